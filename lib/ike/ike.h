/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Public API of lib/ike: IKEv2 (RFC 7296) as a library. Pure C + OpenSSL 3,
 * no DPDK, no sockets, no threads of its own.
 *
 * Input: a datagram with the addresses it came from and went to, and a clock
 * (ike_input, ike_tick). Output, through callbacks: datagrams to send and
 * child-SA events (install, delete) carrying SPIs, keys, algorithms, traffic
 * selectors, lifetimes and NAT-T ports. All calls come from one thread (the
 * control core); the owner of the state machine may hand DH and signature
 * work to helper threads through the job interface (ike_job_*).
 *
 * Datagrams on port 4500 are passed WITHOUT the 4-byte non-ESP marker, and
 * the send callback gets them without it too: the transport adds it.
 *
 * NAT keepalive (RFC 3948 2.3): when we are behind a NAT, the library calls
 * ops.send with a 1-byte datagram 0xFF from port 4500. The transport
 * recognises it by its length (1) and sends that byte as is, WITHOUT the
 * non-ESP marker. A received 1-byte 0xFF may be passed to ike_input (ignored).
 */
#ifndef RAMPART_IKE_H
#define RAMPART_IKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum ike_limits {
	IKE_MAX_PROPOSALS = 8,		/* configured proposal strings per conn */
	IKE_MAX_TS = 8,			/* traffic selectors per side */
	IKE_MAX_ID_LEN = 255,
	IKE_MAX_PSK_LEN = 256,
	IKE_MAX_KEY_LEN = 64,
	IKE_MAX_NAME = 64,
	IKE_MAX_PATH = 256,
	IKE_MAX_DNS = 4,
	IKE_MAX_GW_ID = 256,		/* REDIRECT target, with the NUL */
};

/* RFC 7296 3.5 ID types */
enum ike_id_type {
	IKE_ID_ANY = 0,			/* config only: accept any remote identity */
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822_ADDR = 3,
	IKE_ID_IPV6_ADDR = 5,
	IKE_ID_DER_ASN1_DN = 9,
	IKE_ID_KEY_ID = 11,
};

struct ike_id {
	uint8_t type;			/* enum ike_id_type */
	uint16_t len;
	uint8_t data[IKE_MAX_ID_LEN];	/* DN: DER bytes */
};

/* RFC 7296 3.13.1: ranges, IPv4 (type 7) or IPv6 (type 8) */
struct ike_ts {
	uint8_t af;			/* 4 or 6 */
	uint8_t proto;			/* 0 = any */
	uint16_t sport, eport;		/* host order; 0..65535 = any */
	uint8_t saddr[16], eaddr[16];	/* network order, IPv4 in first 4 bytes */
};

enum ike_auth_method {
	IKE_AUTHM_PSK = 1,
	IKE_AUTHM_PUBKEY = 2,		/* X.509: RSA or ECDSA, RFC 7427 signatures */
	/* EAP through ops.eap (RFC 7296 2.16): as remote_auth, the responder
	 * relays the peer's EAP to its back end; as auth, the initiator is the
	 * EAP peer (its method runs behind ops.eap too) */
	IKE_AUTHM_EAP = 3,
};

/* Virtual IP pool for remote-access clients (CFG payload). */
struct ike_pool_cfg {
	uint8_t af;			/* 0 = no pool */
	uint8_t first[16];		/* first address handed out */
	uint32_t size;			/* number of addresses */
	uint8_t dns_af[IKE_MAX_DNS];
	uint8_t dns[IKE_MAX_DNS][16];
	unsigned n_dns;
};

struct ike_conn_cfg {
	char name[IKE_MAX_NAME];
	struct sockaddr_storage local;	/* local address (port 500) */
	struct sockaddr_storage remote;	/* ss_family AF_UNSPEC: any peer (responder) */
	struct ike_id local_id, remote_id;
	uint8_t auth;			/* enum ike_auth_method, ours */
	uint8_t remote_auth;		/* what we require of the peer */
	/* RFC 4739 multiple authentication exchanges: a second round after
	 * auth / remote_auth, 0 = one round. Only IKE_AUTHM_EAP, after a
	 * PSK or certificate round. remote_auth2 (responder): the peer must
	 * complete it (ANOTHER_AUTH_FOLLOWS, then IDi and EAP); its identity
	 * there (the EAP identity, else that IDi) names the SA, its lease
	 * and its log lines. auth2 (initiator): we do it as the EAP peer. */
	uint8_t auth2, remote_auth2;
	uint8_t psk[IKE_MAX_PSK_LEN];
	size_t psk_len;
	char cert_file[IKE_MAX_PATH];	/* PEM, our certificate */
	char key_file[IKE_MAX_PATH];	/* PEM, our private key */
	char ca_file[IKE_MAX_PATH];	/* PEM, trust anchor(s) for the peer */
	/* strongSwan-style proposal strings, in order of preference, e.g.
	 * IKE "aes256gcm16-prfsha384-ecp384", ESP "aes128gcm16-esn". */
	char ike_proposals[IKE_MAX_PROPOSALS][128];
	unsigned n_ike_proposals;
	char esp_proposals[IKE_MAX_PROPOSALS][128];
	unsigned n_esp_proposals;
	struct ike_ts local_ts[IKE_MAX_TS];
	unsigned n_local_ts;
	struct ike_ts remote_ts[IKE_MAX_TS];	/* with a pool: narrowed to the lease */
	unsigned n_remote_ts;
	struct ike_pool_cfg pool;
	uint32_t ike_lifetime_s;	/* rekey IKE SA after this (0 = never) */
	uint32_t child_lifetime_s;	/* rekey child SA after this (0 = never) */
	uint64_t child_life_bytes;	/* soft byte limit handed to the datapath */
	uint64_t child_life_packets;
	uint32_t dpd_s;			/* liveness check after this idle time */
	uint32_t replay_window;		/* handed to the datapath */
	bool initiate;			/* connect at start */
	bool request_vip;		/* initiator: ask for a virtual IP */
	bool no_mobike;			/* do not offer/accept MOBIKE (RFC 4555) */
	/* RFC 5685: answer IKE_SA_INIT of peers that announce REDIRECT_SUPPORTED
	 * with REDIRECT to this gateway (IPv4, IPv6 or FQDN; "" = never), once
	 * the connection holds redirect_tunnels IKE SAs (0 = always). */
	char redirect_to[IKE_MAX_GW_ID];
	uint32_t redirect_tunnels;
	/* RFC 5685 6: redirect in the IKE_AUTH response instead, once the peer
	 * has authenticated (no child SA, no virtual IP; the SA is deleted
	 * if the peer does not delete it first) */
	bool redirect_in_auth;
};

/* A child SA as the datapath needs it. Keys are wiped by the library after
 * the callback returns: copy what you keep. */
struct ike_child_sa {
	uint64_t id;			/* unique per child SA, never reused */
	uint64_t rekey_of;		/* 0, or id of the child this one replaces */
	/* We initiated the exchange that created this child. A rekey responder
	 * (rekey_of != 0 && !initiator) should keep sending on the old SA until
	 * the old child goes down (the initiator's Delete) or traffic arrives on
	 * the new one: the peer may not have installed its inbound SA yet when
	 * our response leaves (RFC 7296 2.8). The rekey initiator switches at once. */
	bool initiator;
	uint64_t ike_sa_id;		/* owning IKE SA (for listing) */
	char conn[IKE_MAX_NAME];
	uint32_t spi_in, spi_out;	/* host order; spi_in chosen by us */
	uint16_t enc;			/* IANA transform id (20 GCM16, 12 CBC) */
	uint16_t enc_key_len;		/* bytes, without salt */
	uint16_t integ;			/* IANA id (0 with GCM, 12/13/14) */
	uint16_t integ_key_len;		/* bytes */
	bool esn;
	uint8_t key_in[IKE_MAX_KEY_LEN];	/* enc key || salt (GCM), then... */
	uint8_t key_out[IKE_MAX_KEY_LEN];
	uint8_t integ_in[IKE_MAX_KEY_LEN];
	uint8_t integ_out[IKE_MAX_KEY_LEN];
	struct sockaddr_storage local, remote; /* outer endpoints incl. ports */
	bool natt;			/* UDP-encapsulate ESP (ports in local/remote) */
	struct ike_ts local_ts[IKE_MAX_TS];
	unsigned n_local_ts;
	struct ike_ts remote_ts[IKE_MAX_TS];
	unsigned n_remote_ts;
	uint64_t life_bytes, life_packets;	/* soft limits for the datapath */
	/* hard limits: the soft one + 10 % (at least 64 KiB or 64 packets) for
	 * the rekey to complete; 0: none (ike_sa.c decides both) */
	uint64_t hard_bytes, hard_packets;
	uint32_t replay_window;
	struct ike_id remote_id;	/* the peer's authenticated identity */
};

enum ike_event_type {
	IKE_EV_CHILD_UP = 1,		/* install inbound and outbound SAs */
	IKE_EV_CHILD_DOWN,		/* remove them (after rekey: the old one) */
	IKE_EV_IKE_UP,			/* IKE SA established (for status) */
	IKE_EV_IKE_DOWN,
	/* The IKE SA's outer endpoints moved (RFC 7296 2.23: NAT rebinding,
	 * seen on an authenticated IKE message or reported with
	 * ike_peer_moved): one event per installed child, whose local/remote
	 * hold the new addresses and ports (no keys). Move the child's ESP SAs. */
	IKE_EV_PEER_MOVED,
};

struct ike_event {
	uint8_t type;			/* enum ike_event_type */
	uint64_t ike_sa_id;
	const struct ike_child_sa *child; /* CHILD_* only */
	/* CHILD_UP of an IKE SA's first child: set-up time in ms since the IKE SA
	 * was created (IKE_SA_INIT sent, or received as responder) */
	bool first_child;
	uint64_t setup_ms;
	/* IKE_UP / IKE_DOWN (valid during the callback): connection name, the
	 * peer's address, and for IKE_DOWN why (text, never secret) */
	const char *conn;
	const struct sockaddr_storage *remote;
	const char *reason;
	/* IKE_DOWN after an IKE rekey: the SA that took over the children (and
	 * the user's session), else 0 */
	uint64_t successor_id;
};

enum ike_log_level {
	IKE_LOG_ERR = 3,
	IKE_LOG_WARNING = 4,
	IKE_LOG_NOTICE = 5,
	IKE_LOG_INFO = 6,
	IKE_LOG_DEBUG = 7,
};

struct ike_ops {
	/* Send @len bytes from @from to @to (port 4500: without the marker). */
	int (*send)(void *user, const uint8_t *buf, size_t len,
		    const struct sockaddr *from, const struct sockaddr *to);
	void (*event)(void *user, const struct ike_event *ev);
	void (*log)(void *user, int level, const char *msg);	/* may be NULL */
	/* Allocate an inbound ESP SPI (0 = failure); NULL: random, never < 256. */
	uint32_t (*alloc_spi)(void *user);
	/*
	 * EAP back end (IKE_AUTHM_EAP; NULL: such SAs fail). Responder: called
	 * with each EAP-Response of the peer (starting with its Identity) of
	 * IKE SA @ike_sa_id. Initiator: with each EAP-Request of the
	 * responder. @eap is valid during the call only. Must not block and
	 * must not call ike_eap_done() from inside the call: answer later,
	 * exactly once per call. A negative return fails the authentication.
	 */
	int (*eap)(void *user, uint64_t ike_sa_id, const char *conn, const uint8_t *eap,
		   size_t eap_len);
};

struct ike_ctx_cfg {
	const struct ike_conn_cfg *conns;	/* copied */
	unsigned n_conns;
	struct ike_ops ops;
	void *user;
	uint16_t window_size;		/* SET_WINDOW_SIZE we announce (>= 1) */
	unsigned cookie_threshold;	/* half-open SAs before cookies are required */
	unsigned half_open_max;		/* hard cap on half-open SAs */
	uint32_t retransmit_base_ms;	/* first retransmit timeout (default 1000) */
	unsigned retransmit_tries;	/* give up after this many (default 5) */
	uint32_t nat_keepalive_s;	/* 0 = 20 s */
	/* Memory caps against unauthenticated peers; 0 = the default. */
	unsigned half_open_per_src;	/* half-open SAs per source (IPv6: per /64); 32 */
	size_t frag_mem_max;		/* fragment reassembly bytes, all SAs; 8 MiB */
	size_t frag_preauth_max;	/* reassembly bytes per SA before IKE_AUTH; 16 KiB */
};

struct ike_ctx;

int ike_ctx_create(const struct ike_ctx_cfg *cfg, struct ike_ctx **out);
/* Wipes every key and frees everything; emits no events and sends nothing
 * (call ike_shutdown() first for Deletes and CHILD_DOWN events). */
void ike_ctx_destroy(struct ike_ctx *ctx);

/* Feed one received datagram. @now_ms: monotonic milliseconds. */
int ike_input(struct ike_ctx *ctx, const uint8_t *buf, size_t len,
	      const struct sockaddr *from, const struct sockaddr *to, uint64_t now_ms);

/*
 * Does the IKE header at @buf (@len bytes, from the IKE header on) name one
 * of our live IKE SAs by our own SPI (SPIr when the Initiator flag is set,
 * else SPIi)? A cheap look-up before ike_input(), for admission control: an
 * off-path sender cannot guess a 64-bit SPI, so a datagram that passes
 * belongs to an exchange we know. Changes nothing.
 */
bool ike_spi_known(struct ike_ctx *ctx, const uint8_t *buf, size_t len);

/* Run timers (retransmit, DPD, rekey, keepalive, half-open expiry). */
void ike_tick(struct ike_ctx *ctx, uint64_t now_ms);

/* Milliseconds until the next timer is due (for the caller's poll timeout). */
uint64_t ike_next_timeout_ms(const struct ike_ctx *ctx, uint64_t now_ms);

/* Operator and datapath-driven actions. */
int ike_initiate(struct ike_ctx *ctx, const char *conn, uint64_t now_ms);
int ike_terminate_ike(struct ike_ctx *ctx, uint64_t ike_sa_id, uint64_t now_ms);
int ike_rekey_child(struct ike_ctx *ctx, uint64_t child_id, uint64_t now_ms);
int ike_rekey_ike(struct ike_ctx *ctx, uint64_t ike_sa_id, uint64_t now_ms);
/* The datapath reports a child SA's hard limit or sequence exhaustion. */
int ike_child_expired(struct ike_ctx *ctx, uint64_t child_id, bool hard, uint64_t now_ms);
/*
 * The datapath saw an ESP-in-UDP packet of child @child_id that
 * authenticated (ICV and replay window passed) arrive from @remote, not
 * from the IKE SA's peer address/port (RFC 3948: the peer's NAT mapping
 * changed). When the IKE SA is established, uses UDP encapsulation and the
 * peer is behind a NAT, the IKE SA moves there and IKE_EV_PEER_MOVED goes
 * out for each of its children. Returns 0 (moved or already there),
 * -ENOENT (no such child), -EPERM (no NAT on the peer's side, or the IKE SA
 * is not established), -EAFNOSUPPORT (another address family).
 */
int ike_peer_moved(struct ike_ctx *ctx, uint64_t child_id, const struct sockaddr *remote,
		   uint64_t now_ms);
/*
 * RFC 5685 section 5: send an INFORMATIONAL request with REDIRECT to
 * @target (IPv4, IPv6 address or FQDN) on IKE SA @ike_sa_id, or on every
 * established IKE SA whose peer announced REDIRECT_SUPPORTED when
 * @ike_sa_id is 0. *n_sent: how many went out. Returns 0, -EINVAL (bad
 * target), -ENOENT (no such SA), -EPERM (not established, or the peer did
 * not announce REDIRECT_SUPPORTED), -EAGAIN (request window full).
 */
int ike_redirect(struct ike_ctx *ctx, uint64_t ike_sa_id, const char *target, uint64_t now_ms,
		 unsigned *n_sent);
/*
 * Completion of an ops.eap call. IKE_EAP_CONTINUE: @eap is the next
 * EAP-Request for the peer (initiator: our EAP-Response, with @msk once the
 * method has derived it). IKE_EAP_SUCCESS: the method succeeded, @msk is
 * its Master Session Key (RFC 3748 7.10; its first 64 bytes key the AUTH
 * payloads, RFC 7296 2.16), @eap the EAP-Success to send (NULL: built
 * here). IKE_EAP_FAILURE: authentication refused (counted in auth_failed),
 * @eap the EAP-Failure (NULL: built here). The library copies what it keeps
 * and wipes the MSK when the SA goes. Returns 0, -ENOENT (the SA is gone or
 * waits for no EAP answer), -EINVAL (bad arguments: the SA fails).
 */
/*
 * Responder, before ike_eap_done(IKE_EAP_SUCCESS) of the same SA: give the
 * peer this virtual IP (e.g. RADIUS Framed-IP-Address) instead of one from
 * the connection's pool, if it asks for one. The back end answers for its
 * uniqueness. Returns 0, -ENOENT (no SA waiting for EAP), -EINVAL (af).
 */
int ike_eap_set_vip(struct ike_ctx *ctx, uint64_t ike_sa_id, uint8_t af, const uint8_t addr[16]);

enum ike_eap_status {
	IKE_EAP_CONTINUE = 0,
	IKE_EAP_SUCCESS,
	IKE_EAP_FAILURE,
};
int ike_eap_done(struct ike_ctx *ctx, uint64_t ike_sa_id, int status, const uint8_t *eap,
		 size_t eap_len, const uint8_t *msk, size_t msk_len, uint64_t now_ms);

/* Send Deletes for every IKE SA (shutdown). */
void ike_shutdown(struct ike_ctx *ctx, uint64_t now_ms);

/* Listing for the control socket. */
struct ike_sa_info {
	uint64_t id;
	uint64_t spi_i, spi_r;
	char conn[IKE_MAX_NAME];
	const char *state;
	bool initiator;
	struct sockaddr_storage local, remote;
	struct ike_id remote_id;
	uint8_t vip_af;
	uint8_t vip[16];
	uint64_t established_ms;
	unsigned n_children;
};

struct ike_child_info {
	uint64_t id, ike_sa_id;
	uint32_t spi_in, spi_out;
	uint16_t enc, enc_key_len, integ;
	bool esn, natt;
	uint64_t established_ms;
};

/* Call @fn for each IKE SA / child SA; stop when fn returns non-zero. */
int ike_foreach_sa(struct ike_ctx *ctx, int (*fn)(void *arg, const struct ike_sa_info *i),
		   void *arg);
int ike_foreach_child(struct ike_ctx *ctx,
		      int (*fn)(void *arg, const struct ike_child_info *i), void *arg);

struct ike_stats {
	uint64_t rx, tx, rx_invalid, rx_dropped, retransmits, cookies_sent;
	uint64_t ike_up, ike_down, child_up, child_down, auth_failed, no_proposal;
	uint64_t half_open;
	/* refused: a duplicate request that is not the one we answered (no
	 * resend), resends over IKE_RESEND_PER_S per SA */
	uint64_t resend_refused, resend_limited;
	uint64_t half_open_expired;	/* peer went silent after IKE_SA_INIT */
	/* gauges: IKE SAs and child SAs held (any state), virtual-IP leases */
	uint64_t sas, children, pool_leases;
	/* memory caps: IKE_SA_INIT over half_open_per_src (dropped), fragments
	 * over frag_mem_max / frag_preauth_max (reassembly dropped); frag_mem
	 * is the reassembly memory held now */
	uint64_t half_open_src_refused, frag_mem_refused, frag_preauth_refused;
	uint64_t frag_mem;
	/* RFC 4555: UPDATE_SA_ADDRESSES applied; refused (not negotiated,
	 * unacceptable addresses, NO_NATS_ALLOWED with a NAT, stale) */
	uint64_t mobike_updates, mobike_refused;
	uint64_t redirects;		/* REDIRECT notifies sent (RFC 5685) */
	uint64_t log_dropped;		/* debug lines over IKE_LOG_DEBUG_PER_S */
	uint64_t eap_started, eap_success;	/* EAP conversations begun / succeeded */
	/* RFC 4739: IKE_AUTH refused because the peer's rounds are not the
	 * connection's (one round missing, or one more than allowed) */
	uint64_t auth_rounds_refused;
};
/*
 * The name table of struct ike_stats, one X(field, "metric", counter|gauge,
 * "help") per field: rampartd builds its JSON ("ike" object, keyed by field)
 * and its Prometheus names (rampart_ike_<metric>) from it.
 */
#define IKE_STATS_LIST(X) \
	X(rx, "rx_messages_total", counter, "IKE datagrams received") \
	X(tx, "tx_messages_total", counter, "IKE datagrams sent") \
	X(rx_invalid, "rx_invalid_total", counter, "IKE datagrams rejected as malformed") \
	X(rx_dropped, "rx_dropped_total", counter, "IKE datagrams dropped (no SA, state)") \
	X(retransmits, "retransmits_total", counter, "IKE requests retransmitted") \
	X(cookies_sent, "cookies_sent_total", counter, "COOKIE notifies sent (RFC 7296 2.6)") \
	X(ike_up, "sa_established_total", counter, "IKE SAs established") \
	X(ike_down, "sa_deleted_total", counter, "IKE SAs deleted") \
	X(child_up, "child_sa_established_total", counter, "child SAs established") \
	X(child_down, "child_sa_deleted_total", counter, "child SAs deleted") \
	X(auth_failed, "auth_failures_total", counter, "IKE_AUTH exchanges that failed") \
	X(no_proposal, "no_proposal_total", counter, "exchanges without an acceptable proposal") \
	X(half_open, "half_open_sas", gauge, "IKE SAs past IKE_SA_INIT, not authenticated") \
	X(resend_refused, "resend_refused_total", counter, "duplicate requests not answered") \
	X(resend_limited, "resend_limited_total", counter, "resends over the per-SA rate") \
	X(half_open_expired, "half_open_expired_total", counter, \
	  "half-open IKE SAs whose peer went silent") \
	X(sas, "sas", gauge, "IKE SAs held (any state)") \
	X(children, "child_sas", gauge, "child SAs held") \
	X(pool_leases, "pool_leases", gauge, "virtual IP addresses leased") \
	X(half_open_src_refused, "half_open_src_refused_total", counter, \
	  "IKE_SA_INIT refused: half-open SAs of the source over the cap") \
	X(frag_mem_refused, "frag_mem_refused_total", counter, \
	  "fragment reassemblies dropped: memory cap") \
	X(frag_preauth_refused, "frag_preauth_refused_total", counter, \
	  "fragment reassemblies dropped: pre-authentication cap") \
	X(frag_mem, "frag_memory_bytes", gauge, "fragment reassembly memory held") \
	X(mobike_updates, "mobike_updates_total", counter, \
	  "MOBIKE UPDATE_SA_ADDRESSES requests applied (RFC 4555)") \
	X(mobike_refused, "mobike_refused_total", counter, "MOBIKE address updates refused") \
	X(redirects, "redirects_total", counter, "REDIRECT notifies sent (RFC 5685)") \
	X(log_dropped, "log_debug_dropped_total", counter, \
	  "debug lines over the per-second cap, not written") \
	X(eap_started, "eap_started_total", counter, "EAP authentications begun (RFC 7296 2.16)") \
	X(eap_success, "eap_success_total", counter, "EAP authentications that succeeded") \
	X(auth_rounds_refused, "auth_rounds_refused_total", counter, \
	  "IKE_AUTH refused: authentication rounds not the connection's (RFC 4739)")
void ike_stats_get(const struct ike_ctx *ctx, struct ike_stats *st);

/*
 * Replace the connection set (reload). Existing SAs of removed connections
 * are deleted; returns 0 or a negative errno with nothing changed.
 */
int ike_reconfigure(struct ike_ctx *ctx, const struct ike_conn_cfg *conns, unsigned n);

/*
 * Job interface: expensive DH and signature work. When the context is created
 * with ike_ctx_set_job_runner(), the library submits jobs through @submit and
 * the owner calls ike_job_done() on the state-machine thread once @run has
 * finished on any thread. Without a runner, jobs run inline.
 *
 * What goes to jobs today: the responder's IKE_SA_INIT DH (key pair and
 * g^ir) and, with certificates, its IKE_AUTH chain/signature verification
 * and its own signature. The SA waits meanwhile (a retransmitted request is
 * dropped, not answered twice). Initiator-side and CREATE_CHILD_SA work is
 * still inline. Every submitted job must come back through ike_job_done()
 * (which frees it) before ike_ctx_destroy(); a job whose SA is gone is just
 * freed.
 */
struct ike_job;
void ike_job_run(struct ike_job *job);		/* any thread */
void ike_job_done(struct ike_ctx *ctx, struct ike_job *job, uint64_t now_ms);
void ike_ctx_set_job_runner(struct ike_ctx *ctx, void (*submit)(void *user, struct ike_job *job),
			    void *user);

/*
 * Test only (interop key checks against a peer's key log): @fn is called after
 * every IKE SA key derivation (IKE_SA_INIT, IKE rekey), once per key, named
 * "SK_d", "SK_ai", "SK_ar", "SK_ei", "SK_er", "SK_pi", "SK_pr" (SK_e* include
 * the GCM salt; SK_a* are empty with AEAD). Never set it in production.
 */
void ike_ctx_set_key_hook(struct ike_ctx *ctx,
			  void (*fn)(void *user, uint64_t ike_sa_id, uint64_t spi_i,
				     uint64_t spi_r, const char *name, const uint8_t *key,
				     size_t len),
			  void *user);

const char *ike_strerror(int err);

/*
 * Socket addresses: the one home of these helpers for lib/ike and rampartd.
 * ike_addr_str: "a.b.c.d:port", "[v6]:port" or "-"; returns @buf.
 * ike_addr_split: family (4, 6 or 0 for another), address bytes (zero
 * padded to 16) and port (host order) of @sa.
 * ike_addr_make: the reverse, into @ss (af 4 or 6).
 * ike_addr_from: copy an AF_INET/AF_INET6 @src (NULL or another family: zeroed).
 * ike_addr_bytes: @ss's address bytes (*p) and their length, 4 or 16.
 */
const char *ike_addr_str(const struct sockaddr_storage *ss, char *buf, size_t cap);
void ike_addr_split(const struct sockaddr *sa, uint8_t *af, uint8_t addr[16], uint16_t *port);
void ike_addr_make(struct sockaddr_storage *ss, uint8_t af, const uint8_t *addr, uint16_t port);
void ike_addr_from(struct sockaddr_storage *dst, const struct sockaddr *src);
size_t ike_addr_bytes(const struct sockaddr_storage *ss, const uint8_t **p);

/* Add @n to the big-endian address @a of family @af (4: a[0..3], 6: a[0..15]);
 * a carry out of the top byte is lost (callers check their ranges). The one
 * address arithmetic of lib/ike's pools and lib/conf's pool ranges. */
static inline void
ike_addr_add(uint8_t af, uint8_t a[16], uint64_t n)
{
	int i = (af == 4 ? 4 : 16) - 1;

	for (; i >= 0 && n != 0; i--) {
		uint64_t s = a[i] + (n & 0xff);

		a[i] = (uint8_t)s;
		n = (n >> 8) + (s >> 8);
	}
}

#endif
