/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Manually keyed ESP SAs and static neighbours.
 *
 *   neighbors:                      # static ARP/ND entries, never aged
 *     - {address: 192.0.2.254, mac: "02:00:00:00:00:fe", port: wan}
 *
 *   manual_sas:
 *     - name: lab-peer              # [A-Za-z0-9._-], unique among manual SAs
 *       spi_in: 0x00001000          # we receive with it; 256..2^32-1, hex or decimal
 *       spi_out: 0x00002000         # we send with it
 *       esp: aes128gcm16            # aes128gcm16 | aes256gcm16 | aes128-sha256 | aes256-sha256
 *       key_in: 0x...               # enc key || 4-byte salt (GCM); the peer's key_out
 *       key_out: 0x...
 *       integ_key_in: 0x...         # CBC only: 32-byte HMAC-SHA-256 keys
 *       integ_key_out: 0x...
 *       local: 192.0.2.1            # outer source; default the first address of
 *                                   # the remote's family on a public/one-armed port
 *       remote: 198.51.100.2        # outer destination (the peer)
 *       local_ts: [10.0.0.0/24]     # informational (listing)
 *       remote_ts: [10.1.0.0/24]    # CIDRs routed into the SA (outbound policy)
 *       replay_window: 1024         # 64..4096; 0 = anti-replay off
 *       count: 1                    # > 1: a block of SAs for benchmarks (below)
 *
 * count N > 1 makes N SA pairs: SA i has SPIs spi_in + i and spi_out + i and
 * remote_ts[0] shifted by i times its size (one IPv4 remote_ts only); keys
 * and endpoints are shared. The SPI ranges of all blocks must be disjoint
 * (inbound and outbound separately), must not wrap and must not leave the
 * top 4 bits of the first SPI (the owner worker: it must exist). Manual SPIs
 * are reserved before IKE starts, so IKE never allocates one.
 *
 * Manual SAs are loud: every load logs a warning per block (static keys, no
 * rekey, no PFS). Keys are hex, optionally 0x-prefixed, never logged; an
 * inline key makes the config file a secret (mode 0600 like an inline PSK).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "conf_priv.h"

enum {
	MAN_ENC_GCM = 20,		/* IANA ENCR_AES_GCM_16 */
	MAN_ENC_CBC = 12,		/* IANA ENCR_AES_CBC */
	MAN_INTEG_SHA256 = 12,		/* IANA AUTH_HMAC_SHA2_256_128 */
	MAN_REPLAY_DEFAULT = 1024,
	MAN_REPLAY_MIN = 64,
	MAN_REPLAY_MAX = 4096,
	MAN_SPI_WORKER_SHIFT = 28,	/* lib/sa: top 4 bits = owner worker */
};

/* ---- neighbors ---- */

static bool
same_neigh(const void *pa, const void *pb)
{
	const struct conf_neighbor *a = pa, *b = pb;

	return a->af == b->af && conf_addr_cmp(a->af, a->addr, b->addr) == 0;
}

static int
neigh_item(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	enum { K_ADDR, K_MAC, K_PORT, K_N };
	static const char *const keys[K_N] = { "address", "mac", "port" };
	struct conf *c = x->c;
	struct conf_neighbor *nb = &c->neighbors[i];
	yaml_node_t *v[K_N];
	const char *why = NULL;
	char s[64];
	unsigned j;
	bool on_link = false;
	int rc, port, k;

	(void)arg;
	if ((rc = cx_map_req(x, item, keys, K_N, v, (1u << K_N) - 1)) < 0)
		return rc;
	if ((rc = cx_str(x, "port", v[K_PORT], s, sizeof(s))) < 0)
		return rc;
	port = conf_port_find(c, s);
	if (port < 0)
		return cx_key_err(x, "port", v[K_PORT], "no port named '%s'", s);
	nb->port = (unsigned)port;
	if ((rc = cx_str(x, "address", v[K_ADDR], s, sizeof(s))) < 0)
		return rc;
	if (conf_parse_addr(s, &nb->af, nb->addr) < 0)
		return cx_key_err(x, "address", v[K_ADDR], "'%s' is not an IPv4 or IPv6 address",
				  s);
	for (j = 0; j < c->ports[port].n_addrs; j++)
		if (conf_prefix_contains(&c->ports[port].addrs[j], nb->af, nb->addr))
			on_link = true;
	if (!on_link)
		return cx_key_err(x, "address", v[K_ADDR], "%s is on no subnet of port '%s'", s,
				  c->ports[port].name);
	if ((k = cx_earlier(c->neighbors, sizeof(c->neighbors[0]), i, same_neigh)) >= 0)
		return cx_key_err(x, "address", v[K_ADDR], "same address as neighbors[%d]", k);
	if ((rc = cx_str(x, "mac", v[K_MAC], s, sizeof(s))) < 0)
		return rc;
	if (conf_parse_mac(s, nb->mac, &why) < 0)
		return cx_key_err(x, "mac", v[K_MAC], "'%s': %s", s, why);
	if (nb->mac[0] & 1)
		return cx_key_err(x, "mac", v[K_MAC], "'%s' is a multicast address", s);
	return 0;
}

int
conf_parse_neighbors(struct cx *x, const yaml_node_t *n)
{
	return cx_seq_each(x, "neighbors", n, false, NULL, CONF_MAX_NEIGHBORS,
			   &x->c->n_neighbors, neigh_item, NULL);
}

/* ---- manual_sas ---- */

static int
parse_spi(struct cx *x, const char *key, const yaml_node_t *n, uint32_t *spi)
{
	const char *s;
	char *end;
	unsigned long long v;
	size_t m = cx_push_key(x, key);
	int rc = cx_scalar(x, n, "an SPI", &s);

	if (rc == 0) {
		errno = 0;
		v = strtoull(s, &end, 0);
		if (s[0] == '-' || s[0] == '\0' || *end != '\0' || errno != 0 || v > UINT32_MAX)
			rc = cx_err(x, n, "'%s' is not a 32-bit SPI (hex 0x... or decimal)", s);
		else if (v < 256)
			rc = cx_err(x, n, "SPI %llu is reserved (RFC 4303: 0..255)", v);
		else
			*spi = (uint32_t)v;
	}
	cx_pop(x, m);
	return rc;
}

/* Hex key of exactly @want bytes into @dst; the text copy is wiped. */
static int
parse_key(struct cx *x, const char *key, const yaml_node_t *n, uint8_t *dst, size_t want)
{
	char hex[2 * CONF_MAX_MANUAL_KEY + 8];
	const char *why = NULL, *s;
	size_t len = 0, m;
	int rc;

	m = cx_push_key(x, key);
	rc = cx_scalar(x, n, "a hex key", &s);
	cx_pop(x, m);
	if (rc < 0)
		return rc;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strlen(s) >= sizeof(hex))
		return cx_key_err(x, key, n, "key too long: %zu bytes wanted", want);
	memcpy(hex, s, strlen(s) + 1);
	rc = conf_parse_hex(hex, dst, CONF_MAX_MANUAL_KEY, &len, &why);
	OPENSSL_cleanse(hex, sizeof(hex));
	if (rc < 0)
		return cx_key_err(x, key, n, "%s", why);
	if (len != want) {
		OPENSSL_cleanse(dst, len);
		return cx_key_err(x, key, n, "key of %zu bytes, %zu wanted for this esp", len,
				  want);
	}
	return 0;
}

static int
prefix_item(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	struct conf_prefix *p = arg;
	uint8_t lo[16], hi[16];
	const char *why = NULL;
	const char *s;
	int rc = cx_scalar(x, item, "a CIDR prefix", &s);

	if (rc < 0)
		return rc;
	if (strlen(s) > 64)
		return cx_err(x, item, "'%.64s...': not a CIDR prefix", s);
	if (conf_parse_prefix(s, true, &p[i], &why) < 0)
		return cx_err(x, item, "'%s': %s", s, why);
	conf_prefix_to_range(&p[i], lo, hi);
	if (conf_addr_cmp(p[i].af, lo, p[i].addr) != 0)
		return cx_err(x, item, "'%s' has host bits set", s);
	return 0;
}

/* First address of family @af on a public or one-armed port; -1 if none. */
static int
default_local(const struct conf *c, uint8_t af, uint8_t addr[16])
{
	unsigned p, a;

	for (p = 0; p < c->n_ports; p++) {
		if (c->ports[p].role == CONF_PORT_PRIVATE)
			continue;
		for (a = 0; a < c->ports[p].n_addrs; a++)
			if (c->ports[p].addrs[a].af == af) {
				memcpy(addr, c->ports[p].addrs[a].addr, 16);
				return (int)p;
			}
	}
	return -1;
}

static bool
ranges_overlap(uint32_t a, uint32_t na, uint32_t b, uint32_t nb)
{
	return (uint64_t)a < (uint64_t)b + nb && (uint64_t)b < (uint64_t)a + na;
}

static int
parse_esp(struct cx *x, const yaml_node_t *n, struct conf_manual_sa *ms)
{
	static const struct {
		const char *name;
		uint16_t enc, key_len, integ, integ_key_len;
	} algs[] = {
		{ "aes128gcm16", MAN_ENC_GCM, 16, 0, 0 },
		{ "aes256gcm16", MAN_ENC_GCM, 32, 0, 0 },
		{ "aes128-sha256", MAN_ENC_CBC, 16, MAN_INTEG_SHA256, 32 },
		{ "aes256-sha256", MAN_ENC_CBC, 32, MAN_INTEG_SHA256, 32 },
	};
	char s[32];
	unsigned i;
	int rc;

	if ((rc = cx_str(x, "esp", n, s, sizeof(s))) < 0)
		return rc;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(s, algs[i].name) == 0) {
			ms->enc = algs[i].enc;
			ms->enc_key_len = algs[i].key_len;
			ms->integ = algs[i].integ;
			ms->integ_key_len = algs[i].integ_key_len;
			return 0;
		}
	return cx_key_err(x, "esp", n, "'%s': expected aes128gcm16, aes256gcm16, aes128-sha256 or "
			  "aes256-sha256", s);
}

_Static_assert(offsetof(struct conf_manual_sa, name) == 0, "cx_earlier_name");

static int
manual_item(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	enum { K_NAME, K_SPI_IN, K_SPI_OUT, K_ESP, K_KEY_IN, K_KEY_OUT, K_IKEY_IN, K_IKEY_OUT,
	       K_LOCAL, K_REMOTE, K_LTS, K_RTS, K_REPLAY, K_COUNT, K_N };
	static const char *const keys[K_N] = {
		"name", "spi_in", "spi_out", "esp", "key_in", "key_out", "integ_key_in",
		"integ_key_out", "local", "remote", "local_ts", "remote_ts", "replay_window",
		"count",
	};
	struct conf *c = x->c;
	struct conf_manual_sa *ms = &c->manual[i];
	yaml_node_t *v[K_N];
	size_t klen;
	uint8_t laf;
	uint64_t u;
	char s[64];
	unsigned j;
	int rc, port, k;

	(void)arg;
	memset(ms, 0, sizeof(*ms));
	if ((rc = cx_map(x, item, keys, K_N, v)) < 0)
		return rc;
	if ((rc = cx_req_str(x, item, "name", v[K_NAME], ms->name, sizeof(ms->name))) < 0)
		return rc;
	if (!conf_is_name(ms->name, sizeof(ms->name)))
		return cx_key_err(x, "name", v[K_NAME], "'%s': letters, digits, '.', '_', '-' only",
				  ms->name);
	if ((k = cx_earlier_name(c->manual, sizeof(c->manual[0]), i)) >= 0)
		return cx_key_err(x, "name", v[K_NAME], "same name as manual_sas[%d]", k);
	if (v[K_SPI_IN] == NULL)
		return cx_missing(x, item, "spi_in");
	if (v[K_SPI_OUT] == NULL)
		return cx_missing(x, item, "spi_out");
	if ((rc = parse_spi(x, "spi_in", v[K_SPI_IN], &ms->spi_in)) < 0 ||
	    (rc = parse_spi(x, "spi_out", v[K_SPI_OUT], &ms->spi_out)) < 0)
		return rc;
	ms->count = 1;
	if (v[K_COUNT] != NULL) {
		if ((rc = cx_uint(x, "count", v[K_COUNT], 1, CONF_MAX_TUNNELS_MAX, &u)) < 0)
			return rc;
		ms->count = (uint32_t)u;
	}
	if ((uint64_t)ms->spi_in + ms->count - 1 > UINT32_MAX ||
	    (uint64_t)ms->spi_out + ms->count - 1 > UINT32_MAX)
		return cx_key_err(x, "count", v[K_COUNT], "SPI range wraps past 0xffffffff");
	if ((ms->spi_in >> MAN_SPI_WORKER_SHIFT) !=
	    ((ms->spi_in + ms->count - 1) >> MAN_SPI_WORKER_SHIFT))
		return cx_key_err(x, "count", v[K_COUNT] != NULL ? v[K_COUNT] : v[K_SPI_IN],
				  "inbound SPIs 0x%08x.. cross an owner-worker boundary "
				  "(top 4 bits)", ms->spi_in);
	if (c->workers != 0 && (ms->spi_in >> MAN_SPI_WORKER_SHIFT) >= c->workers)
		return cx_key_err(x, "spi_in", v[K_SPI_IN],
				  "0x%08x: its top 4 bits name worker %u, only %u workers",
				  ms->spi_in, ms->spi_in >> MAN_SPI_WORKER_SHIFT, c->workers);
	for (j = 0; j < i; j++) {
		const struct conf_manual_sa *o = &c->manual[j];

		if (ranges_overlap(ms->spi_in, ms->count, o->spi_in, o->count))
			return cx_key_err(x, "spi_in", v[K_SPI_IN],
					  "inbound SPI 0x%08x collides with manual_sas[%u] ('%s')",
					  ms->spi_in, j, o->name);
		if (ranges_overlap(ms->spi_out, ms->count, o->spi_out, o->count))
			return cx_key_err(x, "spi_out", v[K_SPI_OUT],
					  "outbound SPI 0x%08x collides with manual_sas[%u] ('%s')",
					  ms->spi_out, j, o->name);
	}
	for (j = K_ESP; j <= K_KEY_OUT; j++)
		if (v[j] == NULL)
			return cx_missing(x, item, keys[j]);
	if ((rc = parse_esp(x, v[K_ESP], ms)) < 0)
		return rc;
	/* An inline key is as readable as the config file itself. */
	if (x->is_file && (rc = cx_secret_mode(x, "key_in", v[K_KEY_IN],
					       "the config file holding it", x->file_mode)) < 0)
		return rc;
	klen = ms->enc_key_len + (ms->enc == MAN_ENC_GCM ? 4u : 0u);
	if ((rc = parse_key(x, "key_in", v[K_KEY_IN], ms->key_in, klen)) < 0 ||
	    (rc = parse_key(x, "key_out", v[K_KEY_OUT], ms->key_out, klen)) < 0)
		return rc;
	if (ms->integ != 0) {
		if (v[K_IKEY_IN] == NULL || v[K_IKEY_OUT] == NULL)
			return cx_missing(x, item, v[K_IKEY_IN] == NULL ? "integ_key_in" :
					  "integ_key_out");
		if ((rc = parse_key(x, "integ_key_in", v[K_IKEY_IN], ms->integ_in,
				    ms->integ_key_len)) < 0 ||
		    (rc = parse_key(x, "integ_key_out", v[K_IKEY_OUT], ms->integ_out,
				    ms->integ_key_len)) < 0)
			return rc;
	} else if (v[K_IKEY_IN] != NULL || v[K_IKEY_OUT] != NULL) {
		return cx_key_err(x, v[K_IKEY_IN] ? "integ_key_in" : "integ_key_out",
				  v[K_IKEY_IN] ? v[K_IKEY_IN] : v[K_IKEY_OUT],
				  "AES-GCM has no separate integrity key");
	}
	if ((rc = cx_req_str(x, item, "remote", v[K_REMOTE], s, sizeof(s))) < 0)
		return rc;
	if (conf_parse_addr(s, &ms->af, ms->remote) < 0)
		return cx_key_err(x, "remote", v[K_REMOTE], "'%s' is not an IPv4 or IPv6 address",
				  s);
	if (v[K_LOCAL] != NULL) {
		if ((rc = cx_str(x, "local", v[K_LOCAL], s, sizeof(s))) < 0)
			return rc;
		if (conf_parse_addr(s, &laf, ms->local) < 0)
			return cx_key_err(x, "local", v[K_LOCAL], "'%s' is not an address", s);
		if (laf != ms->af)
			return cx_key_err(x, "local", v[K_LOCAL],
					  "local and remote are of different families");
		port = conf_port_of_addr(c, laf, ms->local);
		if (port < 0)
			return cx_key_err(x, "local", v[K_LOCAL], "%s is no address of a public or "
					  "one-armed port", s);
	} else {
		port = default_local(c, ms->af, ms->local);
		if (port < 0)
			return cx_err(x, item, "no public or one-armed port has an IPv%u address "
				      "(set local)", ms->af);
	}
	ms->port = (unsigned)port;
	if (v[K_RTS] == NULL)
		return cx_missing(x, item, "remote_ts");
	if ((rc = cx_seq_each(x, "remote_ts", v[K_RTS], true, "empty list", CONF_MAX_MANUAL_TS,
			      &ms->n_remote_ts, prefix_item, ms->remote_ts)) < 0)
		return rc;
	if (v[K_LTS] != NULL &&
	    (rc = cx_seq_each(x, "local_ts", v[K_LTS], true, "empty list", CONF_MAX_MANUAL_TS,
			      &ms->n_local_ts, prefix_item, ms->local_ts)) < 0)
		return rc;
	if (ms->count > 1) {
		const struct conf_prefix *p = &ms->remote_ts[0];
		uint32_t base, span;

		if (ms->n_remote_ts != 1 || p->af != 4)
			return cx_key_err(x, "count", v[K_COUNT],
					  "a block (count > 1) takes exactly one "
					  "IPv4 remote_ts");
		base = (uint32_t)p->addr[0] << 24 | (uint32_t)p->addr[1] << 16 |
		       (uint32_t)p->addr[2] << 8 | p->addr[3];
		span = p->len == 0 ? 0 : 32 - p->len;
		if (p->len == 0 || ((uint64_t)ms->count << span) - 1 > UINT32_MAX - base)
			return cx_key_err(x, "count", v[K_COUNT],
					  "%u copies of remote_ts[0] run past "
					  "255.255.255.255", ms->count);
	}
	ms->replay_window = MAN_REPLAY_DEFAULT;
	if (v[K_REPLAY] != NULL) {
		if ((rc = cx_uint(x, "replay_window", v[K_REPLAY], 0, MAN_REPLAY_MAX, &u)) < 0)
			return rc;
		if (u != 0 && u < MAN_REPLAY_MIN)
			return cx_key_err(x, "replay_window", v[K_REPLAY],
					  "%llu: 0 (off) or %u..%u",
					  (unsigned long long)u, MAN_REPLAY_MIN, MAN_REPLAY_MAX);
		ms->replay_window = (uint32_t)u;
	}
	c->n_manual_sas += ms->count;
	if (c->n_manual_sas > c->max_tunnels)
		return cx_err(x, item, "%llu manual SAs in all, above max_tunnels (%u)",
			      (unsigned long long)c->n_manual_sas, c->max_tunnels);
	cx_warn(x, item, "manual SA '%s' (%u SA pair%s, spi_in 0x%08x): static keys, no IKE, "
		"no rekey, no perfect forward secrecy%s; for hand-keyed peers and benchmarks only",
		ms->name, ms->count, ms->count > 1 ? "s" : "", ms->spi_in,
		ms->replay_window == 0 ? ", ANTI-REPLAY OFF" : "");
	return 0;
}

int
conf_parse_manual(struct cx *x, const yaml_node_t *n)
{
	x->c->n_manual_sas = 0;
	return cx_seq_each(x, "manual_sas", n, false, NULL, CONF_MAX_MANUAL, &x->c->n_manual,
			   manual_item, NULL);
}

int
conf_manual_find_spi(const struct conf *c, uint32_t spi)
{
	unsigned i;

	for (i = 0; i < c->n_manual; i++)
		if (spi >= c->manual[i].spi_in && spi - c->manual[i].spi_in < c->manual[i].count)
			return (int)i;
	return -1;
}
