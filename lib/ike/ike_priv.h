/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private state of the IKEv2 protocol half of lib/ike: the context, the IKE
 * SA table and state machine, child SAs, request/response windows, the
 * virtual-IP pools and the traffic-selector helpers.
 *
 * Owns: everything an exchange needs to remember between datagrams. Must not
 * do: socket I/O (ops.send does), wire parsing (ike_wire.h) or cryptography
 * (ike_crypto.h). All of it runs on the one thread that calls ike_input().
 */
#ifndef RAMPART_IKE_PRIV_H
#define RAMPART_IKE_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#include "ike/ike.h"
#include "ike/ike_crypto.h"
#include "ike/ike_wire.h"

enum ike_state {
	IKE_ST_IDLE = 0,	/* created, nothing sent or answered */
	IKE_ST_INIT_SENT,	/* initiator: IKE_SA_INIT request out */
	IKE_ST_INIT_RCVD,	/* responder: IKE_SA_INIT answered (half-open) */
	IKE_ST_AUTH_SENT,	/* initiator: IKE_AUTH request out */
	IKE_ST_ESTABLISHED,
	IKE_ST_REKEYING,	/* an IKE SA rekey of this SA is in flight */
	IKE_ST_REKEYED,		/* replaced by a new IKE SA; waits for its Delete */
	IKE_ST_DELETING,	/* our Delete of the IKE SA is out */
	IKE_ST_DEAD,		/* unlinked at the next safe point */
	IKE_ST__COUNT
};

enum ike_child_state {
	IKE_CHILD_INSTALLED = 0,
	IKE_CHILD_REKEYING,	/* our CREATE_CHILD_SA rekey is out */
	IKE_CHILD_REKEYED,	/* replaced; our Delete of it is out or due */
	IKE_CHILD_DELETING,	/* our Delete is out */
	IKE_CHILD_DEAD,
	IKE_CHILD__COUNT
};

/* What an outstanding request of ours is for (drives _on_response). */
enum ike_req_kind {
	IKE_REQ_NONE = 0,
	IKE_REQ_SA_INIT,
	IKE_REQ_AUTH,
	IKE_REQ_CHILD_NEW,
	IKE_REQ_CHILD_REKEY,
	IKE_REQ_IKE_REKEY,
	IKE_REQ_DELETE_CHILD,
	IKE_REQ_DELETE_IKE,
	IKE_REQ_DPD,
	IKE_REQ_INFO,
};

enum ike_priv_limits {
	IKE_WINDOW_MAX = 16,		/* largest window we keep state for */
	IKE_MAX_FRAGS = 32,		/* fragments of one message (RFC 7383) */
	IKE_NONCE_LEN = 32,		/* our nonces */
	IKE_HTAB_BITS_MIN = 6,		/* initial buckets of the SA/child tables */
	IKE_HTAB_BITS_MAX = 24,		/* tables stop growing here */
	IKE_COOKIE_LEN = 32 + 4,	/* version | SHA-256 */
	IKE_FRAG_MTU = 1280,
	IKE_HALF_OPEN_TIMEOUT_MS = 30000,
	IKE_LOG_DEBUG_PER_S = 100,
	IKE_CHAIN_MAX = 4,		/* intermediate CA certs we send */	/* DEBUG lines per second, then dropped */
	IKE_REQ_HASH_LEN = 32,		/* SHA-256 of a request datagram */
	IKE_RESEND_PER_S = 5,		/* cached responses resent per SA and second */
	IKE_SRC_HASH_BITS = 12,		/* buckets of the per-source half-open table */
	IKE_DEF_HALF_OPEN_PER_SRC = 32,
	IKE_DEF_FRAG_MEM_MAX = 8 << 20,
	IKE_DEF_FRAG_PREAUTH_MAX = 16 << 10,
};

/* Half-open SAs from one source address (IPv6: one /64), in a keyed hash. */
struct ike_src {
	struct ike_src *next;
	unsigned bucket;		/* index in ctx->src_hash */
	uint8_t af;
	uint8_t addr[16];		/* IPv4 in the first 4 bytes; IPv6 /64 */
	unsigned n;
};

/* One datagram or the fragments of one message, as sent (heap). */
struct ike_pkt {
	uint8_t *buf;
	size_t len;
};

struct ike_pkts {
	struct ike_pkt *v;
	unsigned n;			/* at most IKE_MAX_FRAGS */
};

struct ike_child;
struct ike_sa;

#define IKE_CONTAINER(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Deadline heap (ike_sched.c): a binary min-heap of entries embedded in the
 * objects that own them. */
struct ike_tmr {
	uint64_t due_ms;
	unsigned idx;			/* 0: not queued, else heap slot + 1 */
};

struct ike_heap {
	struct ike_tmr **v;
	unsigned n, cap;
};

/* Intrusive hash table with a random key (ike_sched.c); grows by doubling. */
/* A chained hash node; pprev (the pointer that points at this node) makes
 * removal O(1) even in a long chain of equal keys (many peers behind one
 * NAT address share a by_peer_addr key). */
struct ike_hnode {
	struct ike_hnode *next;
	struct ike_hnode **pprev;
	uint64_t key;
	bool linked;
};

struct ike_htab {
	struct ike_hnode **b;
	unsigned bits, n;
	uint64_t seed;
};

/* What a submitted job was for (struct ike_job.tag). */
enum ike_job_tag {
	IKE_JT_INIT_DH = 1,	/* responder IKE_SA_INIT: keygen + g^ir */
	IKE_JT_AUTH_VERIFY,	/* responder IKE_AUTH: peer cert + signature */
	IKE_JT_AUTH_SIGN,	/* responder IKE_AUTH: our signature */
};

/* Negotiated algorithms of one SA (IKE or child); IANA numbers. */
struct ike_algs {
	uint16_t encr, encr_bits, prf, integ, dh;
	bool esn;
};

/* Data kept for a CREATE_CHILD_SA or IKE_AUTH child in flight. */
struct ike_child_pend {
	uint32_t spi_in;		/* our inbound SPI (child) */
	uint64_t spi_new;		/* IKE rekey: our SPI of the new IKE SA */
	uint64_t rekey_child_id;	/* child being rekeyed, 0 = new */
	struct ike_dh *dh;		/* PFS / IKE rekey key pair */
	uint8_t nonce[IKE_NONCE_MAX];
	size_t nonce_len;
	struct ike_ts ts_l[IKE_MAX_TS], ts_r[IKE_MAX_TS];
	unsigned n_ts_l, n_ts_r;
};

/* A request of ours that waits for its response. */
struct ike_req {
	bool used;
	uint8_t kind;			/* enum ike_req_kind */
	uint8_t xchg;
	uint32_t msgid;
	unsigned tries;
	uint64_t next_ms;		/* retransmit due */
	uint64_t child_id;		/* DELETE_CHILD / CHILD_REKEY */
	struct ike_child_pend *pend;
	struct ike_pkts out;
};

/* A response of ours, kept to answer retransmitted requests. */
struct ike_resp {
	bool used;
	uint32_t msgid;
	struct ike_pkts out;
	/* SHA-256 of the authenticated request datagram with Message ID
	 * hash_msgid (fragmented: of its fragment 1); recorded when the request
	 * arrives, before the response exists (ike_req_hash_note) */
	bool hash_set;
	uint32_t hash_msgid;
	uint8_t req_hash[IKE_REQ_HASH_LEN];
};

struct ike_lease;

struct ike_conn {
	struct ike_conn_cfg cfg;
	X509 *cert;
	EVP_PKEY *key;
	X509_STORE *ca;
	uint8_t *cert_der;
	size_t cert_der_len;
	uint8_t *chain_der[IKE_CHAIN_MAX];	/* intermediates after the leaf in cert_file */
	size_t chain_len[IKE_CHAIN_MAX];
	unsigned n_chain;
	struct ike_pool *pool;
	struct ike_proposal ike_props[IKE_MAX_PROPOSALS];
	unsigned n_ike_props;
	struct ike_proposal esp_props[IKE_MAX_PROPOSALS];
	unsigned n_esp_props;
	unsigned refs;			/* SAs pointing here */
	bool removed;			/* dropped by a reconfigure */
};

struct ike_child {
	struct ike_child *next;
	struct ike_sa *sa;
	struct ike_hnode h_id;		/* ctx->child_ids */
	uint64_t id;
	uint64_t rekey_of;
	uint8_t state;			/* enum ike_child_state, ike_child_set_state */
	uint32_t spi_in, spi_out;
	struct ike_algs algs;
	struct ike_child_keys keys;	/* wiped on free */
	struct ike_ts ts_l[IKE_MAX_TS], ts_r[IKE_MAX_TS];
	unsigned n_ts_l, n_ts_r;
	uint64_t established_ms;
	uint64_t rekey_ms;		/* 0: never */
	uint64_t delete_ms;		/* old child: delete after grace, 0: none */
	bool installed;			/* CHILD_UP sent, CHILD_DOWN not yet */
	bool initiator;			/* we initiated the exchange that created it */
	uint16_t pfs_group;		/* PFS group the peer asked for (INVALID_KE) */
	uint8_t *nonce_min;		/* lowest nonce of the rekey that made it (2.8.1) */
	size_t nonce_min_len;
};

struct ike_sa {
	struct ike_sa *next, *prev;	/* all SAs */
	struct ike_hnode h_spi;		/* ctx->by_spi: our SPI */
	struct ike_hnode h_init;	/* ctx->by_init: peer SPI (+ address) */
	struct ike_hnode h_id;		/* ctx->by_id */
	struct ike_hnode h_peer_id;	/* ctx->by_peer_id, once established */
	struct ike_hnode h_peer_addr;	/* ctx->by_peer_addr, once established */
	struct ike_tmr tmr;		/* ctx->timers: earliest deadline */
	struct ike_sa *dirty_next;	/* ctx->dirty: deadline to recompute */
	struct ike_sa *dead_next;	/* ctx->dead: free at the next reap */
	bool dirty;
	struct ike_ctx *ctx;
	struct ike_conn *conn;
	uint64_t id;
	uint8_t state;			/* enum ike_state */
	bool initiator;			/* original initiator of this IKE SA */
	uint64_t spi_i, spi_r;		/* host order */
	struct sockaddr_storage local, remote;
	bool natt;			/* port 4500 in use */
	bool nat_local, nat_remote;	/* we / the peer behind NAT */
	bool frag;			/* RFC 7383 negotiated */
	bool mobike;			/* RFC 4555 negotiated */
	bool mobike_upd_seen;		/* mobike_upd_msgid is valid */
	uint32_t mobike_upd_msgid;	/* last UPDATE_SA_ADDRESSES applied (3.5) */
	bool peer_sighash;
	uint32_t peer_hashes;
	uint16_t peer_window;		/* peer's SET_WINDOW_SIZE */
	bool peer_redirect;		/* REDIRECT_SUPPORTED or REDIRECTED_FROM seen */
	bool peer_redirected;		/* REDIRECTED_FROM seen: redirected once */
	bool peer_multi_auth;		/* MULTIPLE_AUTH_SUPPORTED seen (RFC 4739) */
	uint8_t redirects;		/* initiator: REDIRECTs followed (RFC 5685) */
	struct sockaddr_storage redirected_from;	/* the first gateway */
	struct ike_algs algs;
	struct ike_sa_keys keys;	/* wiped on free */
	bool have_keys;
	struct ike_dh *dh;
	uint16_t dh_group;
	uint16_t rekey_group;		/* IKE rekey group the peer asked for */
	uint8_t ni[IKE_NONCE_MAX], nr[IKE_NONCE_MAX];
	size_t ni_len, nr_len;
	uint8_t *init_req, *init_resp;	/* IKE_SA_INIT messages for AUTH */
	size_t init_req_len, init_resp_len;
	uint8_t *cookie;		/* initiator: cookie to echo */
	size_t cookie_len;
	struct ike_id remote_id;
	struct ike_lease *lease;
	/* initiator: the address we got; responder: the address the EAP back
	 * end assigned (RADIUS Framed-IP-Address) in place of a pool lease */
	uint8_t vip_af;
	uint8_t vip[16];
	/* job interface: at most one DH/signature job in flight per SA */
	bool job_pending;
	uint32_t job_msgid;		/* the request that waits for it */
	struct ike_proposal *chosen;	/* responder IKE_SA_INIT while DH runs */
	struct ike_hdr susp_hdr;	/* IKE_AUTH request suspended on a job */
	uint8_t susp_first;
	uint8_t *susp_inner;
	size_t susp_len;
	const struct sockaddr_storage *rx_from, *rx_to;	/* datagram being dispatched (view) */
	const uint8_t *rx_inner;	/* inner payloads being dispatched (view) */
	size_t rx_inner_len;
	uint8_t rx_first;
	unsigned init_retries;
	struct ike_eap *eap;		/* responder EAP conversation (ike_eap.c), or NULL */

	/* RFC 7296 2.3: our requests */
	uint32_t req_next;		/* next Message ID we send */
	struct ike_req reqs[IKE_WINDOW_MAX];
	/* RFC 7296 2.3: peer requests */
	uint32_t resp_low;		/* lowest Message ID not yet answered */
	uint32_t resp_done;		/* bitmap of answered IDs above resp_low */
	struct ike_resp resps[IKE_WINDOW_MAX];
	struct ike_frag_reasm frx;

	struct ike_child *children;
	unsigned n_children;
	uint64_t coll_sa_id;		/* 2.8.2: new SA of the peer's colliding rekey */
	uint64_t successor_id;		/* IKE rekey: the SA that adopted our children */
	uint8_t *coll_nonce;		/* lower nonce of that exchange (heap) */
	size_t coll_nonce_len;

	uint64_t created_ms, established_ms;
	bool child_seen;		/* first CHILD_UP reported (ike_event.setup_ms) */
	uint64_t last_rx_ms;		/* anything authenticated from the peer */
	uint64_t last_tx_ms;
	uint64_t rekey_ms;		/* 0: never */
	uint64_t expire_ms;		/* half-open / deleting give-up, 0: none */
	uint64_t keepalive_ms;		/* next NAT keepalive, 0: none */
	bool dpd_pending;
	bool counted_half_open;
	uint64_t invalid_msgid_ms;	/* last INVALID_MESSAGE_ID we sent */
	struct ike_src *ho_src;		/* counted here while half-open */
	size_t frx_acct;		/* frx bytes counted in ctx->frag_mem */
	uint64_t resend_win_ms;		/* start of the current resend second */
	unsigned resend_n;		/* cached responses resent in it */
};

struct ike_pool;

/* conns[] in name order (ike_conn_by_name): names live in conns[idx]->cfg */
struct ike_conn_name {
	const char *name;
	unsigned idx;
};

struct ike_ctx {
	struct ike_conn **conns;
	unsigned n_conns;
	struct ike_conn_name *conn_names;	/* n_conns, sorted by (name, idx) */
	struct ike_ops ops;
	void *user;
	uint16_t window_size;
	unsigned cookie_threshold;
	unsigned half_open_max;
	uint32_t retransmit_base_ms;
	unsigned retransmit_tries;
	uint32_t nat_keepalive_s;
	unsigned half_open_per_src;
	size_t frag_mem_max, frag_preauth_max;
	size_t frag_mem;			/* reassembly bytes held, all SAs */
	uint64_t src_key;			/* random: src_hash is not predictable */
	struct ike_src *src_hash[1u << IKE_SRC_HASH_BITS];

	struct ike_sa *sas;			/* list head */
	struct ike_htab by_spi, by_init, by_id, child_ids;
	struct ike_htab by_peer_id, by_peer_addr;	/* (conn, peer ID / address) */
	struct ike_heap timers;			/* SAs by earliest deadline */
	struct ike_sa *dirty;			/* deadlines to recompute */
	struct ike_sa *dead;			/* to free at the next reap */
	uint64_t sa_ticks;			/* SAs ike_tick visited (tests, perf) */
	unsigned n_sas, n_children;
	unsigned half_open;
	uint64_t next_sa_id, next_child_id;
	uint64_t now_ms;
	struct ike_stats st;

	uint8_t cookie_secret[32], cookie_secret_old[32];	/* both random from creation */
	uint32_t cookie_ver;
	bool cookie_have_old;		/* a rotation happened: _old may be accepted */
	uint64_t cookie_rotate_ms;

	void (*job_submit)(void *user, struct ike_job *job);
	void *job_user;
	uint64_t log_sec;		/* DEBUG rate limit */
	unsigned log_debug_n;
	void (*key_hook)(void *user, uint64_t ike_sa_id, uint64_t spi_i, uint64_t spi_r,
			 const char *name, const uint8_t *key, size_t len);
	void *key_hook_user;
};

/* ---- ike_ctx.c ---- */
void ike_log(struct ike_ctx *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void ike_sa_log(const struct ike_sa *sa, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int ike_conn_load(const struct ike_conn_cfg *cfg, struct ike_conn **out);
void ike_conn_put(struct ike_conn *c);
uint32_t ike_alloc_spi_in(struct ike_ctx *ctx);
void ike_sa_keys_report(const struct ike_sa *sa);	/* test key hook */
int ike_send_pkts(struct ike_sa *sa, const struct ike_pkts *p);
int ike_send_raw(struct ike_ctx *ctx, const uint8_t *buf, size_t len,
		 const struct sockaddr_storage *from, const struct sockaddr_storage *to);
void ike_pkts_free(struct ike_pkts *p);
int ike_pkts_add(struct ike_pkts *out, const uint8_t *buf, size_t len);	/* copies */
uint16_t ike_port(const struct sockaddr_storage *ss);
void ike_set_port(struct sockaddr_storage *ss, uint16_t port);
bool ike_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
		 bool with_port);
socklen_t ike_ss_len(const struct sockaddr_storage *ss);

#define IKE_LOG(ctx, lvl, ...) ike_log((ctx), IKE_LOG_##lvl, __VA_ARGS__)
#define SA_LOG(sa, lvl, ...) ike_sa_log((sa), IKE_LOG_##lvl, __VA_ARGS__)

/* ---- ike_sa.c ---- */
const char *ike_state_name(unsigned st);
const char *ike_child_state_name(unsigned st);
bool ike_state_allowed(unsigned from, unsigned to);
int ike_sa_set_state(struct ike_sa *sa, unsigned st);
int ike_sa_create(struct ike_ctx *ctx, struct ike_conn *conn, bool initiator,
		  struct ike_sa **out);
void ike_sa_hash_local(struct ike_sa *sa);
void ike_sa_hash_init(struct ike_sa *sa);
void ike_sa_unhash_init(struct ike_sa *sa);
struct ike_sa *ike_sa_by_spi(struct ike_ctx *ctx, uint64_t local_spi);
struct ike_sa *ike_sa_by_init(struct ike_ctx *ctx, uint64_t spi_i,
			      const struct sockaddr_storage *remote);
struct ike_sa *ike_sa_by_id(struct ike_ctx *ctx, uint64_t id);
/* The same, also for an SA already dead but not yet freed. */
struct ike_sa *ike_sa_by_id_any(struct ike_ctx *ctx, uint64_t id);
uint64_t ike_sa_local_spi(const struct ike_sa *sa);
/* Keys of the established SAs of @conn by peer identity / address (no port);
 * a filter only: the caller still compares the full values. */
uint64_t ike_peer_id_key(const struct ike_conn *conn, const struct ike_id *id);
uint64_t ike_peer_addr_key(const struct ike_conn *conn, const struct sockaddr_storage *ss);
void ike_sa_hash_peer(struct ike_sa *sa);
uint64_t ike_new_spi(struct ike_ctx *ctx);
/* Mark dead, emit CHILD_DOWN/IKE_DOWN, release lease; freed by ike_sa_reap. */
void ike_sa_kill(struct ike_sa *sa, const char *why);
void ike_sa_reap(struct ike_ctx *ctx);
void ike_sa_free(struct ike_sa *sa);
void ike_sa_clear_half_open(struct ike_sa *sa);
/* Half-open SAs now counted for the source address of @ss. */
unsigned ike_src_half_open(struct ike_ctx *ctx, const struct sockaddr_storage *ss);
/* Reset sa->frx and give its bytes back to the global reassembly budget;
 * ike_sa_frag_account after anything else that changed sa->frx. */
void ike_sa_frag_reset(struct ike_sa *sa);
void ike_sa_frag_account(struct ike_sa *sa);
/* 0 if a fragment of @len more bytes fits the caps, else -ENOBUFS (counted). */
int ike_sa_frag_admit(struct ike_sa *sa, size_t len);
void ike_sa_adopt(struct ike_sa *to, struct ike_sa *from);

bool ike_child_state_allowed(unsigned from, unsigned to);
int ike_child_set_state(struct ike_child *c, unsigned st);
struct ike_child *ike_child_new(struct ike_sa *sa);
struct ike_child *ike_child_by_id(struct ike_ctx *ctx, uint64_t id);
struct ike_child *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi);
struct ike_child *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi);
void ike_child_up(struct ike_child *c);
void ike_child_down(struct ike_child *c);
void ike_sa_moved_notify(struct ike_sa *sa);
void ike_child_free(struct ike_child *c);	/* unlinks, DOWN if installed */
void ike_child_pend_free(struct ike_child_pend *p);
void ike_event_ike(struct ike_sa *sa, uint8_t type, const char *why);

/* Message-ID windows (RFC 7296 2.3) */
struct ike_req *ike_req_alloc(struct ike_sa *sa, uint8_t kind);
bool ike_req_can_send(const struct ike_sa *sa);
struct ike_req *ike_req_find(struct ike_sa *sa, uint32_t msgid);
void ike_req_release(struct ike_req *r);
bool ike_req_pending_kind(const struct ike_sa *sa, uint8_t kind);
void ike_req_sent(struct ike_sa *sa, struct ike_req *r, uint64_t now_ms);
/* 1: new request to process, 0: duplicate answered / dropped, <0 outside.
 * A duplicate is answered from the cache only if it is the original request
 * (hash) or authentic (ICV), and at most IKE_RESEND_PER_S times a second. */
int ike_resp_check(struct ike_sa *sa, const struct ike_msg *m);
/* Record the hash of the authenticated request datagram @m (see ike_resp). */
void ike_req_hash_note(struct ike_sa *sa, const struct ike_msg *m);
void ike_resp_store(struct ike_sa *sa, uint32_t msgid, struct ike_pkts *out);

/* ---- ike_sched.c: deadlines, the dead list, hash tables ---- */
int ike_heap_reserve(struct ike_heap *h, unsigned n);
/* Queue @t at @due_ms or move it there; needs a slot (ike_heap_reserve). */
void ike_heap_set(struct ike_heap *h, struct ike_tmr *t, uint64_t due_ms);
void ike_heap_del(struct ike_heap *h, struct ike_tmr *t);
struct ike_tmr *ike_heap_top(const struct ike_heap *h);
void ike_heap_fini(struct ike_heap *h);
int ike_htab_init(struct ike_htab *t, uint64_t seed);
void ike_htab_fini(struct ike_htab *t);
void ike_htab_add(struct ike_htab *t, struct ike_hnode *n, uint64_t key);
void ike_htab_del(struct ike_htab *t, struct ike_hnode *n);	/* no-op if not linked */
struct ike_hnode *ike_htab_find(const struct ike_htab *t, uint64_t key);
struct ike_hnode *ike_htab_next(const struct ike_hnode *n, uint64_t key);
/* Something of @sa that a deadline depends on changed: its heap entry is
 * recomputed at the end of the entry point (ike_sa_reap). */
void ike_sa_touch(struct ike_sa *sa);
/* Recompute the deadlines of all touched SAs. */
void ike_sched_flush(struct ike_ctx *ctx);
/* Test hook: 0 if no live SA is queued later than its deadlines require. */
int ike_sched_audit(struct ike_ctx *ctx, uint64_t now_ms);

/* ---- ike_timer.c ---- */
/* Earliest time @sa needs ike_tick (UINT64_MAX: none); pure. */
uint64_t ike_sa_next_due(const struct ike_sa *sa, uint64_t now_ms);
/* Start the NAT keepalive clock of an SA that needs one. */
void ike_sa_keepalive_arm(struct ike_sa *sa, uint64_t now_ms);

/* ---- ike_pool.c ---- */
struct ike_pool *ike_pool_create(const struct ike_pool_cfg *cfg);
void ike_pool_destroy(struct ike_pool *p);	/* drops one reference */
struct ike_pool *ike_pool_ref(struct ike_pool *p);
int ike_pool_acquire(struct ike_pool *p, const struct ike_id *id, struct ike_lease **out);
void ike_lease_put(struct ike_lease *l);
void ike_lease_get(struct ike_lease *l);
void ike_lease_addr(const struct ike_lease *l, uint8_t *af, uint8_t addr[16]);
const struct ike_pool_cfg *ike_lease_pool_cfg(const struct ike_lease *l);
unsigned ike_pool_in_use(const struct ike_pool *p);

/* ---- ike_ts.c ---- */
bool ike_ts_intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out);
/* Responder narrowing (RFC 7296 2.9): out = proposed ∩ configured. */
unsigned ike_ts_narrow(const struct ike_ts *prop, unsigned n_prop,
		       const struct ike_ts *conf, unsigned n_conf,
		       struct ike_ts *out, unsigned cap);
void ike_ts_host(struct ike_ts *ts, uint8_t af, const uint8_t addr[16]);
void ike_ts_any(struct ike_ts *ts, uint8_t af);
bool ike_ts_subset(const struct ike_ts *inner, const struct ike_ts *outer);
const char *ike_ts_str(const struct ike_ts *ts, char *buf, size_t cap);

/* ---- ike_input.c: message I/O around the exchanges ---- */
struct ike_txm {
	struct ike_bld b;
	uint8_t *buf;
	size_t cap;
	struct ike_sa *sa;
};
int ike_txm_begin(struct ike_txm *t, struct ike_sa *sa, uint8_t xchg, bool response,
		  uint32_t msgid);
/* A new request (ike_req_alloc) of @kind for exchange @xchg, its message begun
 * in @t: NULL with *rc = -EAGAIN when the window is full; else *rc is
 * ike_txm_begin's result. */
struct ike_req *ike_txm_request(struct ike_txm *t, struct ike_sa *sa, uint8_t kind, uint8_t xchg,
				int *rc);
/* Encrypt (SK, or SKF fragments when negotiated and large); frees t->buf. */
int ike_txm_seal(struct ike_txm *t, struct ike_pkts *out);
/* Abort if @rc < 0, else seal; on error @out is left empty. Returns the error. */
int ike_txm_finish(struct ike_txm *t, int rc, struct ike_pkts *out);
/* ike_txm_finish for the message of request @r (ike_txm_request): on error
 * the request is released too. */
int ike_txm_finish_req(struct ike_txm *t, struct ike_req *r, int rc, struct ike_pkts *out);
int ike_txm_plain(struct ike_txm *t, struct ike_pkts *out);
void ike_txm_abort(struct ike_txm *t);
/* Send a response and keep it for retransmitted requests. */
int ike_respond(struct ike_sa *sa, uint32_t msgid, struct ike_pkts *out);
int ike_respond_notify(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
		       const uint8_t *data, size_t len);
int ike_request_send(struct ike_sa *sa, struct ike_req *r, struct ike_pkts *out);
const struct ike_sk_dir *ike_sa_keys_out(const struct ike_sa *sa);
const struct ike_sk_dir *ike_sa_keys_in(const struct ike_sa *sa);
bool ike_resp_sent(const struct ike_sa *sa, uint32_t msgid);
void ike_id_local(const struct ike_sa *sa, struct ike_id *id);
bool ike_id_match(const struct ike_id *want, const struct ike_id *got);
const char *ike_id_str(const struct ike_id *id, char *buf, size_t cap);
void ike_sa_update_addrs(struct ike_sa *sa, const struct sockaddr_storage *from,
			 const struct sockaddr_storage *to);

/* ---- ike_xchg_init.c ---- */
int ike_init_start(struct ike_sa *sa);
/* REDIRECT, RFC 5685 (ike_redirect.c). 9.1: GW Ident Type, Len and Identity
 * of @target (address or FQDN). */
int ike_gw_id_encode(const char *target, uint8_t *out, size_t cap, size_t *len);
int ike_redirect_answer(const struct ike_conn *conn, const struct ike_msg *m, uint8_t *data,
			size_t cap, size_t *len);
int ike_redirect_caps_bld(struct ike_bld *b, const struct ike_sa *sa);
int ike_redirect_auth_answer(const struct ike_sa *sa, uint8_t *data, size_t cap, size_t *len);
enum {
	/* an SA redirected in IKE_AUTH is removed after this if the peer
	 * has not deleted it (RFC 5685 6 leaves the delete to the client) */
	IKE_REDIRECT_AUTH_GRACE_MS = 30000,
};
int ike_redirect_follow(struct ike_sa *sa, const struct ike_notify *n);
int ike_init_on_request(struct ike_ctx *ctx, const struct ike_msg *m,
			const struct sockaddr_storage *from, const struct sockaddr_storage *to);
int ike_init_on_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r);
/* Does @m carry a @type NAT_DETECTION notify whose hash is @want? */
bool ike_natd_match(const struct ike_msg *m, uint16_t type, const uint8_t want[IKE_NATD_LEN]);
void ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const struct sockaddr_storage *ss,
		   uint8_t out[IKE_NATD_LEN]);
void ike_cookie_rotate(struct ike_ctx *ctx);
void ike_prefer_ke_group(const struct ike_proposal *ours, const struct ike_msg *m,
			 struct ike_proposal *chosen);
void ike_init_job_done(struct ike_sa *sa, struct ike_job *job);
bool ike_conn_matches(const struct ike_conn *conn, const struct sockaddr_storage *local,
		      const struct sockaddr_storage *remote);
/* The connection named @name (the last of equal names), O(log n_conns); or NULL. */
struct ike_conn *ike_conn_by_name(const struct ike_ctx *ctx, const char *name);
struct ike_conn *ike_conn_for(struct ike_ctx *ctx, const struct sockaddr_storage *local,
			      const struct sockaddr_storage *remote);

/* ---- ike_xchg_auth.c ---- */
int ike_auth_start(struct ike_sa *sa);
int ike_auth_on_request(struct ike_sa *sa, const struct ike_msg *m);
int ike_auth_on_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r);
void ike_auth_job_done(struct ike_sa *sa, struct ike_job *job);
/* child SA helpers shared with CREATE_CHILD_SA */
int ike_child_keys_make(struct ike_sa *sa, struct ike_child *c, const uint8_t *gir,
			size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr,
			size_t nr_len);
int ike_child_algs(const struct ike_proposal *p, struct ike_algs *a);
void ike_esp_offer(const struct ike_sa *sa, bool with_dh, uint32_t spi,
		   struct ike_proposal *out, unsigned *n);
/* The same without SPIs: what a responder matches the peer's offer against. */
void ike_esp_offer_nospi(const struct ike_sa *sa, bool with_dh, struct ike_proposal *out,
			 unsigned *n);
int ike_ts_select(struct ike_sa *sa, const struct ike_msg *m, struct ike_child *c);

/* Our AUTH payload contents (RFC 7296 2.15). */
struct ike_our_auth {
	uint8_t method;
	size_t len;
	uint8_t data[IKE_SIG_MAX_LEN];
};

/* Shared with ike_eap.c: the octets an AUTH covers (2.15) for either side
 * (ike_auth_octets_free wipes them), the peer's AUTH check, the response
 * that makes the child SA (eap_final: AUTH without IDr/CERT, 2.16), and an
 * AUTHENTICATION_FAILED answer that kills the SA and counts. */
int ike_auth_signed_octets(struct ike_sa *sa, bool of_initiator, const uint8_t *id_body,
			   size_t id_len, uint8_t **oct, size_t *oct_len);
int ike_auth_our_octets(struct ike_sa *sa, uint8_t **oct, size_t *oct_len);
void ike_auth_octets_free(uint8_t *oct, size_t len);
int ike_auth_verify(struct ike_sa *sa, const struct ike_msg *m, const struct ike_id_pld *id);
int ike_auth_respond(struct ike_sa *sa, const struct ike_msg *m, const struct ike_our_auth *oa,
		     bool eap_final);
void ike_auth_failed(struct ike_sa *sa, const struct ike_msg *m, const char *why);

/* Responder side of the last IKE_AUTH of an EAP conversation (2.16): check
 * the peer's AUTH and send ours, both keyed by @msk; @first is the first
 * IKE_AUTH request (IDi, SA, TS, CP) with the current request's header.
 * @eap_id (len > 0): the identity the SA carries from then on (leases,
 * INITIAL_CONTACT, listings) instead of the unauthenticated IDi. */
int ike_auth_eap_final(struct ike_sa *sa, const struct ike_msg *m, const struct ike_msg *first,
		       const uint8_t *msk, size_t msk_len, const struct ike_id *eap_id);

/* ---- ike_eap.c: responder EAP conversation (RFC 7296 2.16) ---- */
enum {
	IKE_EAP_MSK_MAX = 128,		/* longer MSKs are refused */
	IKE_EAP_MAX_MS = 120000,	/* an EAP conversation ends this long after IKE_SA_INIT */
};
struct ike_eap {
	uint8_t phase;			/* IKE_EAP_PH_* */
	uint8_t ident;			/* Identifier of our last EAP request */
	bool waiting;			/* ops.eap called, ike_eap_done not yet */
	struct ike_hdr first_hdr;	/* the first IKE_AUTH request, inner payloads */
	uint8_t first_next;
	uint8_t *first;
	size_t first_len;
	uint8_t msk[IKE_EAP_MSK_MAX];
	size_t msk_len;
	struct ike_id eap_id;		/* responder: the peer's EAP-Response/Identity */
	uint8_t vip_af;			/* responder: ike_eap_set_vip(), 0 = none */
	uint8_t vip[16];
	/* initiator (EAP peer): the child offer of the first request, moved to
	 * the last one; the responder's IDr body for its MSK-keyed AUTH */
	struct ike_child_pend *pend;
	uint8_t idr_body[IKE_MAX_ID_LEN + 4];
	size_t idr_len;
	/* responder, RFC 4739 second round: the body of the IDi of that round
	 * (IDi'), which the peer's MSK-keyed AUTH covers (0: one round) */
	uint8_t idi2_body[IKE_MAX_ID_LEN + 4];
	size_t idi2_len;
};
enum {
	IKE_EAP_PH_START = 0,		/* our IDr/AUTH + EAP-Request/Identity pending */
	IKE_EAP_PH_ACTIVE,		/* EAP messages go to the back end */
	IKE_EAP_PH_DONE,		/* EAP-Success sent; the peer's AUTH next */
	/* RFC 4739: the certificate or PSK round runs; EAP is the next round
	 * (responder: our IDr/AUTH without child pending; initiator: the
	 * responder's IDr/AUTH awaited) */
	IKE_EAP_PH_ROUND1,
	IKE_EAP_PH_NEXT_ID,		/* responder: round 1 answered, IDi' awaited */
};
/* First IKE_AUTH request: keep it (its SA, TS and CP make the child at the
 * end), set up sa->eap; @round1: it authenticates with AUTH and announces
 * ANOTHER_AUTH_FOLLOWS, EAP is the second round (RFC 4739). */
int ike_eap_begin(struct ike_sa *sa, const struct ike_msg *m, bool round1);
/* Append the EAP-Request/Identity to our first IKE_AUTH response. */
int ike_eap_bld_identity(struct ike_sa *sa, struct ike_bld *b);
/* A later IKE_AUTH request of an SA with sa->eap set. */
int ike_eap_on_request(struct ike_sa *sa, const struct ike_msg *m);
/* Initiator: set up sa->eap, keep the child offer (ownership moves);
 * @round1: our first request carries AUTH and ANOTHER_AUTH_FOLLOWS. */
int ike_eap_peer_begin(struct ike_sa *sa, struct ike_child_pend *p, bool round1);
/* Initiator: an IKE_AUTH response of an SA with sa->eap set. 1: the last
 * response, its AUTH verified with the MSK, r->pend holds the child offer
 * (continue with the child SA); 0: handled; < 0: failed (SA killed). */
int ike_eap_on_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r);
/* Responder's AUTH (IDr, signature or PSK) of the first response. */
int ike_auth_check_responder(struct ike_sa *sa, const struct ike_msg *m);
/* MSK-keyed AUTH (RFC 7296 2.16): ours, and a check of the peer's whose
 * ID payload body was @id_body. */
int ike_auth_msk_ours(struct ike_sa *sa, const uint8_t *msk, size_t msk_len,
		      struct ike_our_auth *oa);
int ike_auth_msk_check(struct ike_sa *sa, const uint8_t *id_body, size_t id_len,
		       const uint8_t *msk, size_t msk_len, const struct ike_auth *auth);
void ike_eap_free(struct ike_sa *sa);

/* ---- ike_xchg_child.c ---- */
int ike_child_rekey_start(struct ike_sa *sa, struct ike_child *c);
int ike_ike_rekey_start(struct ike_sa *sa);
int ike_child_on_request(struct ike_sa *sa, const struct ike_msg *m);
int ike_child_on_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r);

/* ---- ike_xchg_info.c ---- */
int ike_info_delete_child_start(struct ike_sa *sa, struct ike_child *c);
int ike_info_delete_ike_start(struct ike_sa *sa);
int ike_info_dpd_start(struct ike_sa *sa);
int ike_info_notify_start(struct ike_sa *sa, uint16_t type, const uint8_t *data, size_t len);
int ike_info_on_request(struct ike_sa *sa, const struct ike_msg *m);
/* A MOBIKE UPDATE_SA_ADDRESSES request: the IKE SA moves only once it is
 * processed (ike_info_on_request), not on arrival like other messages. */
bool ike_info_is_update(const struct ike_sa *sa, const struct ike_msg *m);
int ike_info_on_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r);

/* The 4-byte ESP SPI of a proposal (wire order in p->spi), and setting it. */
static inline uint32_t
ike_prop_spi32(const struct ike_proposal *p)
{
	return net_rd32(p->spi);
}

static inline void
ike_prop_set_spi32(struct ike_proposal *p, uint32_t spi)
{
	p->spi_len = 4;
	put_be32(p->spi, spi);
}

#endif
