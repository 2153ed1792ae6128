/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Public API of lib/conf: the rampartd YAML configuration, validated into
 * plain C structs (fixed-size arrays, named limits, no pointers into libyaml).
 *
 * A load either returns a complete, fully validated struct conf or fails with
 * one message "FILE:LINE:COL: KEY.PATH: what is wrong" and nothing allocated,
 * so a reload that fails leaves the caller's old config untouched. The library
 * has no other side effects: it opens files named by the config only to read
 * PSK files and to check that certificate/key/CA files are readable. It links
 * no DPDK; it logs (warnings only) through the callback set by conf_set_log().
 *
 * Connections are filled straight into struct ike_conn_cfg (lib/ike/ike.h), so
 * rampartd passes conf->conns / conf->n_conns to ike_ctx_create() as they are.
 * PSKs live in those structs: conf_free() wipes them; never print them.
 *
 * YAML schema (the samples in config/ comment every key):
 *
 *   workers: 2                      # 0 = every EAL worker lcore
 *   max_tunnels: 16384              # child SA / worker table sizes (restart only)
 *   log_level: info                 # err|warning|notice|info|debug
 *   telemetry: true
 *   control: {socket: PATH, mode: "0600", group: NAME}
 *   metrics: {listen: "127.0.0.1:9464"}   # Prometheus /metrics; off if absent
 *   ike: {window_size, cookie_threshold, half_open_max, retransmit_base (ms
 *         duration), retransmit_tries, nat_keepalive (duration),
 *         half_open_per_source, frag_memory_max (size), frag_preauth_max (size)}
 *   control_core: {crypto_threads, ike_rate, ike_burst, ike_rate_per_source,
 *         ike_burst_per_source, ike_sources}
 *   ports:       [{name, role: public|private|one-armed, device: DEVARGS,
 *                  addresses: [CIDR...], mac, mtu, rx_queues, tx_queues}]
 *   routes:      [{prefix: CIDR, via: ADDR, port: PORTNAME}]
 *   neighbors:   [{address, mac, port}]      # static ARP/ND entries
 *   manual_sas:  [{name, spi_in, spi_out, esp, key_in, key_out, integ_key_in,
 *                  integ_key_out, local, remote, local_ts, remote_ts,
 *                  replay_window, count}]     # conf_manual.c
 *   connections: [{name, local, remote, local_id, remote_id, auth, remote_auth,
 *                  psk | psk_file, cert, key, ca, ike: [..], esp: [..],
 *                  local_ts: [..] | dynamic, remote_ts: [..] | dynamic,
 *                  pool: {range, dns: [..]}, ike_lifetime, child_lifetime,
 *                  child_life_bytes, child_life_packets, dpd, replay_window,
 *                  initiate, request_vip, mobike, redirect: {to, tunnels}}]
 *
 * Value syntax: durations "90", "90s", "30m", "4h", "1d", "500ms" (ms only
 * where the key says so); sizes "1000", "64K", "10M", "2G" (x1024 for bytes,
 * x1000 for packets); identities "fqdn:gw.example.org", "ipv4:192.0.2.1",
 * "ipv6:2001:db8::1", "email:a@b.example", "dn:CN=gw,O=Example", "keyid:0x0102",
 * "any"; traffic selectors "10.0.0.0/24", "10.0.0.1-10.0.0.9", with an optional
 * "[proto]" or "[proto/port]" or "[proto/lo-hi]" suffix (proto: tcp, udp, icmp,
 * icmp6, any or a number). Relative file paths (psk_file, cert, key, ca) are
 * resolved against the directory of the config file.
 *
 * How connection keys land in struct ike_conn_cfg:
 *   local       omitted: the first address (of the remote's family) of the
 *               first public/one-armed port; given: must be such an address.
 *               Port 500 in both sockaddrs; remote "any" -> AF_UNSPEC.
 *   local_id    default: our address (IPv4/IPv6 ID); remote_id default "any".
 *   auth        required; remote_auth defaults to auth. psk/psk_file needed
 *               iff one of them is psk; cert+key iff auth is pubkey; ca iff
 *               remote_auth is pubkey (each file checked readable).
 *               remote_auth may list two rounds (RFC 4739): [psk|pubkey,
 *               eap-radius|eap-mschapv2] (remote_auth, remote_auth2).
 *   ike, esp    default ["aes256gcm16-prfsha384-ecp384"], ["aes256gcm16"].
 *   pool        range "a.b.c.d/n" skips the network (and IPv4 broadcast)
 *               address; "first-last" is taken as written. Pools must not
 *               overlap each other or contain an address of a port.
 *   remote_ts   "dynamic" (needs pool): one selector covering the pool,
 *               which lib/ike narrows to the lease.
 *   local_ts    "dynamic" (needs request_vip, initiator): 0.0.0.0-
 *               255.255.255.255, which the responder narrows to our VIP.
 *   lifetimes   ike 4h, child 1h, bytes/packets 0 (off), dpd 30s,
 *               replay_window 1024 (64..4096); initiate needs a remote
 *               address; request_vip needs initiate and excludes pool.
 *   mobike      default true: MOBIKE (RFC 4555) when the peer offers it;
 *               false sets no_mobike.
 *   redirect    RFC 5685: clients that announce REDIRECT_SUPPORTED get
 *               REDIRECT to 'to' (address or host name) in IKE_SA_INIT,
 *               always, or with 'tunnels: N' once the connection holds N
 *               IKE SAs. Not with initiate: true.
 *
 * Threads: every function may be called from any one thread at a time; the
 * log callback is process-wide.
 */
#ifndef RAMPART_CONF_H
#define RAMPART_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike.h"

enum conf_limits {
	CONF_MAX_WORKERS = 128,
	CONF_MAX_TUNNELS_MIN = 16,		/* max_tunnels range */
	CONF_MAX_TUNNELS_MAX = 4194304,
	CONF_MAX_TUNNELS_DEFAULT = 16384,
	CONF_MAX_PORTS = 8,
	CONF_MAX_PORT_ADDRS = 8,	/* addresses per port */
	CONF_MAX_ROUTES = 64,
	CONF_MAX_CONNS = 64,
	CONF_MAX_NAME = 32,		/* port names, group name (with NUL) */
	CONF_MAX_DEVARGS = 256,		/* DPDK device string (with NUL) */
	CONF_MAX_SOCK_PATH = 108,	/* sizeof(sun_path) */
	CONF_MAX_FILE_LEN = 1 << 20,	/* config file size */
	CONF_ERR_LEN = 512,		/* a buffer this long holds any message */
	CONF_MAX_CRYPTO_THREADS = 16,	/* control_core.crypto_threads */
	CONF_MAX_MANUAL = 64,		/* manual_sas entries (each may expand: count) */
	CONF_MAX_MANUAL_TS = 8,		/* prefixes per manual SA and side */
	CONF_MAX_MANUAL_KEY = 36,	/* enc key || salt (AES-256-GCM) */
	CONF_MAX_MANUAL_INTEG_KEY = 32,
	CONF_MAX_NEIGHBORS = 64,
};

enum conf_port_role {
	CONF_PORT_PUBLIC = 1,		/* peers: IKE and ESP */
	CONF_PORT_PRIVATE = 2,		/* LAN: cleartext */
	CONF_PORT_ONE_ARMED = 3,	/* both on one port */
};

/* An address with a prefix length (port address, route destination). */
struct conf_prefix {
	uint8_t af;			/* 4 or 6 */
	uint8_t len;			/* prefix length in bits */
	uint8_t addr[16];		/* network order; IPv4 in the first 4 bytes */
};

struct conf_port {
	char name[CONF_MAX_NAME];
	uint8_t role;			/* enum conf_port_role */
	char device[CONF_MAX_DEVARGS];	/* "net_af_packet0,iface=veth0" or "0000:03:00.0" */
	struct conf_prefix addrs[CONF_MAX_PORT_ADDRS];	/* host bits kept: our address */
	unsigned n_addrs;
	bool has_mac;			/* false: use the device's own MAC */
	uint8_t mac[6];
	uint16_t mtu;			/* 0 = device default; else 576..9216 */
	uint16_t rx_queues;		/* 0 = one per worker */
	uint16_t tx_queues;		/* 0 = one per worker */
};

struct conf_route {
	struct conf_prefix dst;		/* host bits are zero (checked) */
	uint8_t via_af;			/* 0 = directly connected; else 4 or 6 */
	uint8_t via[16];
	unsigned port;			/* index into conf.ports */
};

/* Global IKE settings, copied into struct ike_ctx_cfg by rampartd. */
struct conf_ike {
	uint16_t window_size;		/* 1..64, default 1 */
	unsigned cookie_threshold;	/* default 1000 */
	unsigned half_open_max;		/* default 10000, >= cookie_threshold */
	uint32_t retransmit_base_ms;	/* default 1000 */
	unsigned retransmit_tries;	/* default 5 */
	uint32_t nat_keepalive_s;	/* default 20 */
	unsigned half_open_per_src;	/* half_open_per_source: default 32 */
	size_t frag_mem_max;		/* frag_memory_max: bytes, default 8M */
	size_t frag_preauth_max;	/* frag_preauth_max: bytes, default 16K */
};

/* RADIUS servers for remote_auth eap-radius (conf_radius.c documents the keys). */
enum {
	CONF_MAX_RADIUS = 4,
	CONF_MAX_RADIUS_SECRET = 128,
};
struct conf_radius_server {
	uint8_t af;			/* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;			/* default 1812 */
	uint8_t secret[CONF_MAX_RADIUS_SECRET];	/* from secret_file (mode 0600) */
	size_t secret_len;
};
struct conf_radius {
	struct conf_radius_server servers[CONF_MAX_RADIUS];	/* in failover order */
	unsigned n_servers;
	uint32_t timeout_ms;		/* per try, default 2000 */
	uint32_t retries;		/* tries per server after the first, default 2 */
	char nas_id[64];		/* NAS-Identifier, default "rampart" */
	/* accounting (RFC 2866): servers in failover order, port default 1813 */
	struct conf_radius_server acct_servers[CONF_MAX_RADIUS];
	unsigned n_acct_servers;
	uint32_t interim_ms;		/* Interim-Update interval, 0 = none */
};

/* The local EAP-MSCHAPv2 users (eap_users: FILE, conf_eap_users.c). */
enum { CONF_EAP_USER_MAX = 128, CONF_EAP_USERS_MAX = 100000 };
struct conf_eap_user {
	char name[CONF_EAP_USER_MAX];	/* the EAP identity, as the client sends it */
	uint8_t nt_hash[16];		/* MD4(UTF-16LE(password)), RFC 2759 8.3 */
};

/* The control lcore's self-protection (conf_ctlcore.c documents the keys). */
struct conf_ctlcore {
	uint32_t crypto_threads;	/* DH/signature helper threads; 0 = inline */
	uint32_t ike_rate, ike_burst;	/* IKE datagrams/s in all, bucket depth */
	uint32_t ike_rate_src, ike_burst_src;	/* the same per source address */
	uint32_t ike_sources;		/* source addresses tracked */
};

/* gcm_engine: which AES-GCM code seals and opens ESP (lib/crypto). */
enum conf_gcm_engine {
	CONF_GCM_UNSET = 0,		/* key absent: RAMPART_GCM_ENGINE or auto */
	CONF_GCM_AUTO,			/* multi-packet engine for bursts of small packets */
	CONF_GCM_MGCM,			/* the engine for every packet it can take */
	CONF_GCM_IPSECMB,		/* IPsec-MB only */
};

/* crypto: the workers' ESP crypto backend (conf_crypto.c documents the keys). */
enum conf_crypto_backend {
	CONF_CRYPTO_IPSECMB = 0,	/* default */
	CONF_CRYPTO_CRYPTODEV,		/* lookaside, rte_cryptodev (drivers/cdev.h) */
};

enum { CONF_MAX_CDEV = 8, CONF_MAX_CDEV_NAME = 64 };

struct conf_crypto {
	enum conf_crypto_backend backend;
	unsigned n_devices;
	char devices[CONF_MAX_CDEV][CONF_MAX_CDEV_NAME];
};

/*
 * A manually keyed ESP SA pair (conf_manual.c documents the keys): no IKE,
 * no rekey, no PFS. Entry i of a block of @count SAs (count > 1, benchmarks)
 * has SPIs spi_in + i / spi_out + i and its remote prefix shifted by i times
 * the prefix's size; keys and endpoints are the same for all.
 * Algorithm numbers are IANA's (enc 20 AES-GCM-16 or 12 AES-CBC; integ 12
 * HMAC-SHA-256-128 with CBC, 0 with GCM). Keys are wiped by conf_wipe().
 */
struct conf_manual_sa {
	char name[IKE_MAX_NAME];
	uint32_t spi_in, spi_out;	/* host order; first of the block */
	uint32_t count;			/* SAs in the block, >= 1 */
	uint16_t enc, enc_key_len;	/* key length without the GCM salt */
	uint16_t integ, integ_key_len;
	uint8_t key_in[CONF_MAX_MANUAL_KEY], key_out[CONF_MAX_MANUAL_KEY];
	uint8_t integ_in[CONF_MAX_MANUAL_INTEG_KEY], integ_out[CONF_MAX_MANUAL_INTEG_KEY];
	uint8_t af;			/* outer family */
	uint8_t local[16], remote[16];	/* outer tunnel endpoints */
	unsigned port;			/* index of the port holding local */
	struct conf_prefix local_ts[CONF_MAX_MANUAL_TS], remote_ts[CONF_MAX_MANUAL_TS];
	unsigned n_local_ts, n_remote_ts;
	uint32_t replay_window;		/* packets; 0 = anti-replay off */
};

/* A static neighbour (ARP/ND never asked, never aged). */
struct conf_neighbor {
	uint8_t af;
	uint8_t addr[16];
	uint8_t mac[6];
	unsigned port;			/* index into conf.ports */
};

struct conf {
	char source[IKE_MAX_PATH];	/* file name loaded, or the name given */
	unsigned workers;		/* 0 = one per EAL worker lcore */
	unsigned max_tunnels;		/* sizes rampartd's child and worker tables */
	enum conf_gcm_engine gcm_engine;
	struct conf_crypto crypto;
	int log_level;			/* enum ike_log_level (syslog numbers 3..7) */
	bool telemetry;			/* default true */

	char ctl_path[CONF_MAX_SOCK_PATH];	/* default /run/rampart/rampart.sock */
	uint32_t ctl_mode;		/* default 0600 */
	char ctl_group[CONF_MAX_NAME];	/* "" = keep the daemon's group */

	/* Prometheus endpoint: metrics_af 0 = off (default), else 4 or 6 */
	uint8_t metrics_af;
	uint8_t metrics_addr[16];
	uint16_t metrics_port;

	struct conf_ike ike;
	struct conf_ctlcore ctlcore;
	struct conf_radius radius;

	struct conf_port ports[CONF_MAX_PORTS];
	unsigned n_ports;
	struct conf_route routes[CONF_MAX_ROUTES];
	unsigned n_routes;
	/* Ready for ike_ctx_create(); conn_port[i] is the index of the port that
	 * carries conns[i].local (always a public or one-armed port). */
	struct ike_conn_cfg conns[CONF_MAX_CONNS];
	unsigned conn_port[CONF_MAX_CONNS];
	/* connections[i].log_level: enum ike_log_level, 0 = the global log_level */
	int conn_log_level[CONF_MAX_CONNS];
	/* remote_auth eap-mschapv2: EAP against eap_users, not RADIUS */
	bool conn_eap_local[CONF_MAX_CONNS];
	unsigned n_conns;
	/* eap_users: heap array, sorted by name, wiped and freed by conf_free */
	struct conf_eap_user *eap_users;
	unsigned n_eap_users;
	struct conf_manual_sa manual[CONF_MAX_MANUAL];
	unsigned n_manual;
	uint64_t n_manual_sas;		/* sum of manual[].count */
	struct conf_neighbor neighbors[CONF_MAX_NEIGHBORS];
	unsigned n_neighbors;
};

/* The user @name of the eap_users file, or NULL. */
const struct conf_eap_user *conf_eap_user_find(const struct conf *c, const char *name,
					       size_t len);

/*
 * Load and validate @path. On success returns 0 and a heap struct in *@out
 * (release with conf_free()). On failure returns a negative errno (-EINVAL for
 * any config error, -ENOENT/-EACCES/-EFBIG for the file itself, -ENOMEM),
 * writes one NUL-terminated message to @err (truncated to @err_len; give
 * CONF_ERR_LEN) and leaves *@out unchanged. Messages never contain secrets.
 */
int conf_load(const char *path, struct conf **out, char *err, size_t err_len);

/*
 * Same from memory: @yaml of @len bytes; @name is used in messages and as the
 * base for relative file paths ("" or a name without '/' = current directory).
 * No file mode is known, so an inline PSK is taken as it is.
 */
int conf_load_string(const char *yaml, size_t len, const char *name, struct conf **out,
		     char *err, size_t err_len);

/* Where a load failed, for a caller that must not show the message itself
 * (messages may quote the file's content). */
struct conf_err_pos {
	unsigned line, col;		/* 1-based; 0 when the error has no position */
	char key[192];			/* key path, e.g. "connections[0].psk"; "" if none */
};

/* conf_load() that also fills @pos (NULL is fine) on failure. */
int conf_load_pos(const char *path, struct conf **out, char *err, size_t err_len,
		  struct conf_err_pos *pos);

/*
 * The built-in configuration (conf_default_yaml()) with @psk (@psk_len bytes,
 * 1..IKE_MAX_PSK_LEN) as the secret of every PSK connection: the built-in
 * text holds none, so that no published PSK is ever accepted.
 */
int conf_load_default(const uint8_t *psk, size_t psk_len, struct conf **out, char *err,
		      size_t err_len);

/*
 * Reload policy: @req (a path from a control client) may be loaded instead of
 * @conf_path (the daemon's configuration file) only if, with every symlink
 * resolved, it is a file in the same directory as @conf_path. Writes the
 * resolved path to @out. Returns 0, -EPERM (elsewhere, or not resolvable:
 * the caller learns nothing about paths outside), -ENAMETOOLONG.
 */
int conf_reload_path(const char *conf_path, const char *req, char *out, size_t out_len);

/* Manual SA block owning inbound SPI @spi (@out: index in c->manual), or -1. */
int conf_manual_find_spi(const struct conf *c, uint32_t spi);

/* Wipe every secret in @c (PSKs, manual SA keys) with OPENSSL_cleanse; @c stays usable. */
void conf_wipe(struct conf *c);

/* conf_wipe() then free; NULL is fine. */
void conf_free(struct conf *c);

/*
 * The built-in configuration rampartd uses when started without -c (the
 * demo: same shape as config/ci.yaml). Static storage; load it with
 * conf_load_string(conf_default_yaml(), strlen(...), "<built-in>", ...).
 */
const char *conf_default_yaml(void);

/* Index of the port called @name, or -1. */
int conf_port_find(const struct conf *c, const char *name);

/* "public", "private", "one-armed" ("?" for anything else). */
const char *conf_port_role_name(uint8_t role);

/* "err", "warning", "notice", "info", "debug" ("?" otherwise). */
const char *conf_log_level_name(int level);

/*
 * Log callback for warnings found while loading (world-readable PSK file,
 * ...). @level: enum ike_log_level. NULL (the default) discards them.
 */
void conf_set_log(void (*fn)(void *user, int level, const char *msg), void *user);

/*
 * Test only: called by conf_free() after conf_wipe() and before the memory is
 * released, so a test can check that secrets are gone. NULL to remove.
 */
void conf_set_free_hook(void (*fn)(const struct conf *c));

#endif
