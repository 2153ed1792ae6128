/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The connections section: each entry becomes one struct ike_conn_cfg, filled
 * completely (defaults included) so rampartd hands the array to lib/ike as it
 * is. Checks here are the ones a config author gets wrong (auth without a
 * secret, selectors, pools that overlap, lifetimes); algorithm names are only
 * syntax-checked, lib/ike validates them. PSKs are never put in a message.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf_priv.h"

enum {
	K_NAME, K_LOCAL, K_REMOTE, K_LOCAL_ID, K_REMOTE_ID, K_AUTH, K_REMOTE_AUTH, K_PSK,
	K_PSK_FILE, K_CERT, K_KEY, K_CA, K_IKE, K_ESP, K_LOCAL_TS, K_REMOTE_TS, K_POOL,
	K_IKE_LIFE, K_CHILD_LIFE, K_CHILD_BYTES, K_CHILD_PKTS, K_DPD, K_REPLAY, K_INITIATE,
	K_VIP, K_MOBIKE, K_REDIRECT, K_LOG_LEVEL, K_N
};

static const char *const conn_keys[K_N] = {
	[K_NAME] = "name", [K_LOCAL] = "local", [K_REMOTE] = "remote",
	[K_LOCAL_ID] = "local_id", [K_REMOTE_ID] = "remote_id", [K_AUTH] = "auth",
	[K_REMOTE_AUTH] = "remote_auth", [K_PSK] = "psk", [K_PSK_FILE] = "psk_file",
	[K_CERT] = "cert", [K_KEY] = "key", [K_CA] = "ca", [K_IKE] = "ike", [K_ESP] = "esp",
	[K_LOCAL_TS] = "local_ts", [K_REMOTE_TS] = "remote_ts", [K_POOL] = "pool",
	[K_IKE_LIFE] = "ike_lifetime", [K_CHILD_LIFE] = "child_lifetime",
	[K_CHILD_BYTES] = "child_life_bytes", [K_CHILD_PKTS] = "child_life_packets",
	[K_DPD] = "dpd", [K_REPLAY] = "replay_window", [K_INITIATE] = "initiate",
	[K_VIP] = "request_vip", [K_MOBIKE] = "mobike", [K_REDIRECT] = "redirect",
	[K_LOG_LEVEL] = "log_level",
};

enum {
	CONN_DEF_IKE_LIFE_S = 4 * 3600,
	CONN_DEF_CHILD_LIFE_S = 3600,
	CONN_DEF_DPD_S = 30,
	CONN_DEF_REPLAY = 1024,
	CONN_MIN_REPLAY = 64,
	CONN_MAX_REPLAY = 4096,
	CONN_MAX_LIFE_S = 30 * 86400,
	CONN_MIN_LIFE_S = 60,
	CONN_WARN_PSK_LEN = 20,
};

static const char DEF_IKE_PROPOSAL[] = "aes256gcm16-prfsha384-ecp384";
static const char DEF_ESP_PROPOSAL[] = "aes256gcm16";

static void
set_sockaddr(struct sockaddr_storage *ss, uint8_t af, const uint8_t addr[16], uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (af == 4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr, 16);
	}
}

/* hi - lo + 1 if it fits 32 bits, else UINT32_MAX (pools are capped there). */
static uint32_t
range_size(uint8_t af, const uint8_t lo[16], const uint8_t hi[16])
{
	int len = af == 4 ? 4 : 16, i;
	uint64_t d = 0;
	int borrow = 0;
	uint8_t diff[16];

	for (i = len - 1; i >= 0; i--) {
		int v = hi[i] - lo[i] - borrow;

		borrow = v < 0;
		diff[i] = (uint8_t)(v + (borrow ? 256 : 0));
	}
	for (i = 0; i < len - 4; i++) {
		if (diff[i] != 0)
			return UINT32_MAX;
	}
	for (i = len - 4; i < len; i++)
		d = d << 8 | diff[i];
	return d >= UINT32_MAX ? UINT32_MAX : (uint32_t)(d + 1);
}

static void
pool_last(const struct ike_pool_cfg *p, uint8_t last[16])
{
	memcpy(last, p->first, 16);
	ike_addr_add(p->af, last, (uint64_t)p->size - 1);
}

static int
dns_item(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	struct ike_pool_cfg *pool = arg;
	const char *str;
	int rc;

	rc = cx_scalar(x, item, "an address", &str);
	if (rc == 0 && conf_parse_addr(str, &pool->dns_af[i], pool->dns[i]) < 0)
		rc = cx_err(x, item, "'%.64s' is not an address", str);
	return rc;
}

static int
parse_pool(struct cx *x, const yaml_node_t *n, struct ike_pool_cfg *pool)
{
	enum { P_RANGE, P_DNS, P_N };
	static const char *const keys[P_N] = {"range", "dns"};
	yaml_node_t *v[P_N];
	uint8_t lo[16], hi[16];
	const char *why = NULL;
	char s[128];
	size_t m = cx_push_key(x, "pool");
	int rc;

	rc = cx_map(x, n, keys, P_N, v);
	if (rc == 0)
		rc = cx_req_str(x, n, "range", v[P_RANGE], s, sizeof(s));
	if (rc == 0 && conf_parse_range(s, &pool->af, lo, hi, &why) < 0)
		rc = cx_key_err(x, "range", v[P_RANGE], "%s", why);
	if (rc == 0) {
		memcpy(pool->first, lo, 16);
		pool->size = range_size(pool->af, lo, hi);
		if (strchr(s, '-') == NULL) {
			/* A prefix: skip the network address (and IPv4 broadcast). */
			bool v4 = pool->af == 4;

			if (pool->size <= (v4 ? 2u : 1u)) {
				rc = cx_key_err(x, "range", v[P_RANGE],
						"'%s' holds no usable address", s);
			} else {
				ike_addr_add(pool->af, pool->first, 1);
				pool->size -= v4 ? 2 : 1;
			}
		}
	}
	if (rc == 0 && v[P_DNS] != NULL)
		rc = cx_seq_each(x, "dns", v[P_DNS], true, NULL, IKE_MAX_DNS, &pool->n_dns,
				 dns_item, pool);
	cx_pop(x, m);
	return rc;
}

static int
ts_item(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	struct ike_ts *ts = arg;
	const char *why = NULL;
	const char *str;
	int rc;

	rc = cx_scalar(x, item, "a selector", &str);
	if (rc == 0 && conf_parse_ts(str, &ts[i], &why) < 0)
		rc = cx_err(x, item, "'%.64s': %s", str, why);
	return rc;
}

/* A host name: dot-separated labels of letters, digits and '-' (1..63 each,
 * no '-' at either end), 255 characters at most. */
static bool
is_fqdn(const char *s)
{
	size_t n = strlen(s), lab = 0, i;

	if (n == 0 || n > 255)
		return false;
	for (i = 0; i <= n; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-' || s[i - lab] == '-')
				return false;
			lab = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-') {
			lab++;
		} else {
			return false;
		}
	}
	return true;
}

/* redirect: {to: ADDR|FQDN, tunnels: N, at: init|auth} (RFC 5685, lib/ike
 * answers IKE_SA_INIT, or IKE_AUTH once the peer authenticated, with
 * REDIRECT; tunnels 0 or absent: always). */
static int
parse_redirect(struct cx *x, const yaml_node_t *n, struct ike_conn_cfg *cc)
{
	enum { R_TO, R_TUNNELS, R_AT, R_N };
	static const char *const keys[R_N] = {"to", "tunnels", "at"};
	char at[8] = "init";
	yaml_node_t *v[R_N];
	uint8_t af, a[16];
	uint64_t u = 0;
	size_t m = cx_push_key(x, "redirect");
	int rc;

	rc = cx_map(x, n, keys, R_N, v);
	if (rc == 0)
		rc = cx_req_str(x, n, "to", v[R_TO], cc->redirect_to, sizeof(cc->redirect_to));
	if (rc == 0 && conf_parse_addr(cc->redirect_to, &af, a) < 0 && !is_fqdn(cc->redirect_to))
		rc = cx_key_err(x, "to", v[R_TO], "'%.64s' is not an address or a host name",
				cc->redirect_to);
	if (rc == 0 && v[R_TUNNELS] != NULL)
		rc = cx_uint(x, "tunnels", v[R_TUNNELS], 0, 10000000, &u);
	if (rc == 0)
		cc->redirect_tunnels = (uint32_t)u;
	if (rc == 0 && v[R_AT] != NULL)
		rc = cx_str(x, "at", v[R_AT], at, sizeof(at));
	if (rc == 0 && strcmp(at, "init") != 0 && strcmp(at, "auth") != 0)
		rc = cx_key_err(x, "at", v[R_AT], "'%s': init (IKE_SA_INIT) or auth (IKE_AUTH)",
				at);
	if (rc == 0)
		cc->redirect_in_auth = strcmp(at, "auth") == 0;
	cx_pop(x, m);
	return rc;
}

/* @key: list of selectors or "dynamic" (*dynamic set, nothing filled). */
static int
parse_ts_list(struct cx *x, const char *key, const yaml_node_t *n, struct ike_ts ts[],
	      unsigned *count, bool *dynamic)
{
	*dynamic = false;
	if (n->type == YAML_SCALAR_NODE &&
	    strcmp((const char *)n->data.scalar.value, "dynamic") == 0) {
		*dynamic = true;
		*count = 0;
		return 0;
	}
	return cx_seq_each(x, key, n, true, "empty list", IKE_MAX_TS, count, ts_item, ts);
}

static int
proposal_item(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	char (*dst)[128] = arg;
	const char *str;
	int rc;

	rc = cx_scalar(x, item, "a proposal string", &str);
	if (rc == 0 && (strlen(str) >= 128 || !conf_is_proposal(str)))
		rc = cx_err(x, item, "bad proposal '%.100s' (expected [a-z0-9-]+, e.g. "
			    "aes256gcm16-prfsha384-ecp384)", str);
	if (rc == 0)
		memcpy(dst[i], str, strlen(str) + 1);
	return rc;
}

/* The proposal list @n of @key; absent (NULL): the one proposal @def. */
static int
parse_proposals(struct cx *x, const char *key, const yaml_node_t *n, const char *def,
		char dst[][128], unsigned *count)
{
	if (n == NULL) {
		snprintf(dst[0], sizeof(dst[0]), "%s", def);
		*count = 1;
		return 0;
	}
	return cx_seq_each(x, key, n, true, "empty list", IKE_MAX_PROPOSALS, count,
			   proposal_item, dst);
}

static int
parse_auth(struct cx *x, const char *key, const yaml_node_t *n, uint8_t *out, bool *local)
{
	char s[16];
	int rc = cx_str(x, key, n, s, sizeof(s));

	if (rc < 0)
		return rc;
	if (strcmp(s, "psk") == 0)
		*out = IKE_AUTHM_PSK;
	else if (strcmp(s, "pubkey") == 0)
		*out = IKE_AUTHM_PUBKEY;
	else if (strcmp(s, "eap-radius") == 0 && strcmp(key, "remote_auth") == 0)
		*out = IKE_AUTHM_EAP;
	else if (strcmp(s, "eap-mschapv2") == 0 && strcmp(key, "remote_auth") == 0) {
		*out = IKE_AUTHM_EAP;
		*local = true;
	} else
		return cx_key_err(x, key, n, strcmp(key, "remote_auth") == 0 ?
				  "unknown auth method '%s' (psk, pubkey, eap-radius, "
				  "eap-mschapv2)" :
				  "unknown auth method '%s' (psk, pubkey)", s);
	return 0;
}

/*
 * remote_auth: one method, or a list of authentication rounds (RFC 4739)
 * the peer must complete in order: [psk|pubkey, eap-radius|eap-mschapv2],
 * e.g. a machine certificate, then the user's EAP.
 */
struct auth_rounds {
	uint8_t m[2];
	bool local;
};

static int
auth_round_item(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	struct auth_rounds *r = arg;
	const char *s;
	int rc = cx_scalar(x, item, "an auth method", &s);

	if (rc < 0)
		return rc;
	if (strcmp(s, "psk") == 0 || strcmp(s, "pubkey") == 0) {
		if (i == 1)
			return cx_err(x, item, "'%s': the second round must be EAP (eap-radius, "
				      "eap-mschapv2)", s);
		r->m[i] = strcmp(s, "psk") == 0 ? IKE_AUTHM_PSK : IKE_AUTHM_PUBKEY;
		return 0;
	}
	if (strcmp(s, "eap-radius") == 0 || strcmp(s, "eap-mschapv2") == 0) {
		if (i == 0)
			return cx_err(x, item, "'%s': in a list of rounds, EAP is the second round "
				      "(e.g. [pubkey, %s])", s, s);
		r->m[i] = IKE_AUTHM_EAP;
		r->local = strcmp(s, "eap-mschapv2") == 0;
		return 0;
	}
	return cx_err(x, item, "unknown auth method '%.32s' (psk, pubkey, eap-radius, "
		      "eap-mschapv2)", s);
}

static int
parse_remote_auth(struct cx *x, const yaml_node_t *n, struct ike_conn_cfg *cc, bool *local)
{
	struct auth_rounds r = { .m = { 0, 0 } };
	unsigned count;
	int rc;

	if (n->type == YAML_SCALAR_NODE)
		return parse_auth(x, "remote_auth", n, &cc->remote_auth, local);
	rc = cx_seq_each(x, "remote_auth", n, false, "empty list", 2, &count, auth_round_item, &r);
	if (rc < 0)
		return rc;
	if (count == 1)
		return cx_key_err(x, "remote_auth", n, "%s", "a list of rounds has two entries "
				  "(one method: write it without brackets)");
	cc->remote_auth = r.m[0];
	cc->remote_auth2 = r.m[1];
	*local = r.local;
	return 0;
}

/* Inline "0x..." is hex; anything else is the secret's bytes. */
static int
set_psk(struct cx *x, const char *key, const yaml_node_t *n, const char *s, size_t len,
	struct ike_conn_cfg *cc)
{
	const char *why = NULL;

	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		char hex[2 * IKE_MAX_PSK_LEN + 1];

		if (len - 2 >= sizeof(hex))
			return cx_key_err(x, key, n, "%s", "longer than 256 bytes");
		memcpy(hex, s + 2, len - 2);
		hex[len - 2] = '\0';
		if (conf_parse_hex(hex, cc->psk, sizeof(cc->psk), &cc->psk_len, &why) < 0) {
			OPENSSL_cleanse(hex, sizeof(hex));
			return cx_key_err(x, key, n, "%s", why);
		}
		OPENSSL_cleanse(hex, sizeof(hex));
	} else {
		if (len > sizeof(cc->psk))
			return cx_key_err(x, key, n, "%s", "longer than 256 bytes");
		memcpy(cc->psk, s, len);
		cc->psk_len = len;
	}
	if (cc->psk_len == 0)
		return cx_key_err(x, key, n, "%s", "empty secret");
	if (cc->psk_len < CONN_WARN_PSK_LEN) {
		size_t m = cx_push_key(x, key);

		cx_warn(x, n, "pre-shared key shorter than %d bytes", CONN_WARN_PSK_LEN);
		cx_pop(x, m);
	}
	return 0;
}

static int
read_psk_file(struct cx *x, const yaml_node_t *n, struct ike_conn_cfg *cc)
{
	char path[IKE_MAX_PATH], buf[CX_MAX_SECRET_FILE + 1];
	struct stat st;
	size_t got = 0;
	int fd, rc;

	rc = cx_path(x, "psk_file", n, path, sizeof(path));
	if (rc < 0)
		return rc;
	/* O_NONBLOCK: a FIFO must not block the control core waiting for a writer */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return cx_key_err(x, "psk_file", n, "cannot open: %s", strerror(errno));
	/* The mode of the file we read, not of whatever the name points to later. */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cx_key_err(x, "psk_file", n, "%s: not a regular file", path);
	}
	if ((rc = cx_secret_mode(x, "psk_file", n, path, (unsigned)st.st_mode)) < 0) {
		close(fd);
		return rc;
	}
	got = cx_read_close(fd, buf, sizeof(buf));
	if (got > CX_MAX_SECRET_FILE) {
		rc = cx_key_err(x, "psk_file", n, "%s", "file too large for a secret");
		goto out;
	}
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		got--;
	buf[got] = '\0';
	if (strlen(buf) != got)
		rc = cx_key_err(x, "psk_file", n, "%s", "NUL byte in secret");
	else
		rc = set_psk(x, "psk_file", n, buf, got, cc);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

/* @secret: a private key, which group and others must not be able to read. */
static int
readable_file(struct cx *x, const char *key, const yaml_node_t *n, char *dst, size_t size,
	      bool secret)
{
	int rc = cx_path(x, key, n, dst, size), fd;
	struct stat st;

	if (rc < 0)
		return rc;
	fd = open(dst, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return cx_key_err(x, key, n, "cannot read: %s", strerror(errno));
	/* OpenSSL reads it later by name: a FIFO there would block the control core */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cx_key_err(x, key, n, "%s: not a regular file", dst);
	}
	if (secret)
		rc = cx_secret_mode(x, key, n, dst, (unsigned)st.st_mode);
	close(fd);
	return rc;
}

static int
parse_addr_key(struct cx *x, const char *key, const yaml_node_t *n, uint8_t *af,
	       uint8_t addr[16])
{
	char s[64];
	int rc = cx_str(x, key, n, s, sizeof(s));

	if (rc < 0)
		return rc;
	if (conf_parse_addr(s, af, addr) < 0)
		return cx_key_err(x, key, n, "'%s' is not an IPv4 or IPv6 address", s);
	return 0;
}

static int
parse_id_key(struct cx *x, const char *key, const yaml_node_t *n, struct ike_id *id)
{
	char s[IKE_MAX_ID_LEN * 2 + 16];
	const char *why = NULL;
	int rc = cx_str(x, key, n, s, sizeof(s));

	if (rc < 0)
		return rc;
	if (conf_parse_id(s, id, &why) < 0)
		return cx_key_err(x, key, n, "%s", why);
	return 0;
}

static int
parse_local_remote(struct cx *x, yaml_node_t *const v[], const yaml_node_t *map, unsigned idx)
{
	struct conf *c = x->c;
	struct ike_conn_cfg *cc = &c->conns[idx];
	uint8_t laf = 0, raf = 0, laddr[16], raddr[16];
	int port = -1, rc;
	unsigned i, j;

	if (v[K_REMOTE] == NULL)
		return cx_missing(x, map, "remote");
	if (v[K_REMOTE]->type == YAML_SCALAR_NODE &&
	    (strcmp((const char *)v[K_REMOTE]->data.scalar.value, "any") == 0 ||
	     strcmp((const char *)v[K_REMOTE]->data.scalar.value, "%any") == 0)) {
		cc->remote.ss_family = AF_UNSPEC;
	} else {
		rc = parse_addr_key(x, "remote", v[K_REMOTE], &raf, raddr);
		if (rc < 0)
			return rc;
		set_sockaddr(&cc->remote, raf, raddr, 500);
	}
	if (v[K_LOCAL] != NULL) {
		rc = parse_addr_key(x, "local", v[K_LOCAL], &laf, laddr);
		if (rc < 0)
			return rc;
		port = conf_port_of_addr(c, laf, laddr);
		if (port < 0)
			return cx_key_err(x, "local", v[K_LOCAL], "%s",
					  "not an address of a public or one-armed port");
	} else {
		for (i = 0; port < 0 && i < c->n_ports; i++) {
			if (c->ports[i].role == CONF_PORT_PRIVATE)
				continue;
			for (j = 0; port < 0 && j < c->ports[i].n_addrs; j++) {
				if (raf != 0 && c->ports[i].addrs[j].af != raf)
					continue;
				laf = c->ports[i].addrs[j].af;
				memcpy(laddr, c->ports[i].addrs[j].addr, 16);
				port = (int)i;
			}
		}
		if (port < 0)
			return cx_err(x, map, "no 'local' and no public or one-armed port address%s",
				      raf != 0 ? " of the remote's family" : "");
	}
	if (raf != 0 && raf != laf)
		return cx_key_err(x, "remote", v[K_REMOTE], "%s",
				  "local and remote are of different families");
	set_sockaddr(&cc->local, laf, laddr, 500);
	c->conn_port[idx] = (unsigned)port;
	if (v[K_LOCAL_ID] != NULL) {
		rc = parse_id_key(x, "local_id", v[K_LOCAL_ID], &cc->local_id);
		if (rc < 0)
			return rc;
		if (cc->local_id.type == IKE_ID_ANY)
			return cx_key_err(x, "local_id", v[K_LOCAL_ID], "%s",
					  "our own identity cannot be 'any'");
	} else {
		cc->local_id.type = laf == 4 ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
		cc->local_id.len = laf == 4 ? 4 : 16;
		memcpy(cc->local_id.data, laddr, cc->local_id.len);
	}
	if (v[K_REMOTE_ID] != NULL)
		return parse_id_key(x, "remote_id", v[K_REMOTE_ID], &cc->remote_id);
	cc->remote_id.type = IKE_ID_ANY;
	return 0;
}

static int
parse_auth_keys(struct cx *x, yaml_node_t *const v[], const yaml_node_t *map,
		struct ike_conn_cfg *cc)
{
	bool psk_used, local = false;
	int rc;

	if (v[K_AUTH] == NULL)
		return cx_missing(x, map, "auth");
	if ((rc = parse_auth(x, "auth", v[K_AUTH], &cc->auth, &local)) < 0)
		return rc;
	cc->remote_auth = cc->auth;
	if (v[K_REMOTE_AUTH] != NULL && (rc = parse_remote_auth(x, v[K_REMOTE_AUTH], cc, &local)) < 0)
		return rc;
	x->c->conn_eap_local[cc - x->c->conns] = local;
	psk_used = cc->auth == IKE_AUTHM_PSK || cc->remote_auth == IKE_AUTHM_PSK;
	if (v[K_PSK] != NULL && v[K_PSK_FILE] != NULL)
		return cx_key_err(x, "psk_file", v[K_PSK_FILE], "%s",
				  "give psk or psk_file, not both");
	if (!psk_used && (v[K_PSK] != NULL || v[K_PSK_FILE] != NULL))
		return cx_key_err(x, v[K_PSK] != NULL ? "psk" : "psk_file",
				  v[K_PSK] != NULL ? v[K_PSK] : v[K_PSK_FILE], "%s",
				  "set, but neither auth nor remote_auth is psk");
	if (psk_used && v[K_PSK] == NULL && v[K_PSK_FILE] == NULL) {
		if (x->gen_psk == NULL)
			return cx_err(x, map, "auth psk needs 'psk' or 'psk_file'");
		/* The built-in configuration: the PSK rampartd generated at start. */
		memcpy(cc->psk, x->gen_psk, x->gen_psk_len);
		cc->psk_len = x->gen_psk_len;
	}
	if (v[K_PSK] != NULL) {
		if (v[K_PSK]->type != YAML_SCALAR_NODE)
			return cx_key_err(x, "psk", v[K_PSK], "%s", "expected a string");
		/* An inline secret is as readable as the config file itself. */
		if (x->is_file &&
		    (rc = cx_secret_mode(x, "psk", v[K_PSK], "the config file holding it",
					 x->file_mode)) < 0)
			return rc;
		rc = set_psk(x, "psk", v[K_PSK], (const char *)v[K_PSK]->data.scalar.value,
			     v[K_PSK]->data.scalar.length, cc);
		if (rc < 0)
			return rc;
		if (strlen((const char *)v[K_PSK]->data.scalar.value) !=
		    v[K_PSK]->data.scalar.length)
			return cx_key_err(x, "psk", v[K_PSK], "%s",
					  "NUL byte in secret (use 0x hex)");
	}
	if (v[K_PSK_FILE] != NULL && (rc = read_psk_file(x, v[K_PSK_FILE], cc)) < 0)
		return rc;
	if (cc->auth == IKE_AUTHM_PUBKEY) {
		if (v[K_CERT] == NULL)
			return cx_err(x, map, "auth pubkey needs 'cert'");
		if (v[K_KEY] == NULL)
			return cx_err(x, map, "auth pubkey needs 'key'");
	} else if (v[K_CERT] != NULL || v[K_KEY] != NULL) {
		return cx_key_err(x, v[K_CERT] != NULL ? "cert" : "key",
				  v[K_CERT] != NULL ? v[K_CERT] : v[K_KEY], "%s",
				  "set, but auth is not pubkey");
	}
	if (cc->remote_auth == IKE_AUTHM_PUBKEY && v[K_CA] == NULL)
		return cx_err(x, map, "remote_auth pubkey needs 'ca'");
	if (cc->remote_auth != IKE_AUTHM_PUBKEY && v[K_CA] != NULL)
		return cx_key_err(x, "ca", v[K_CA], "%s", "set, but remote_auth is not pubkey");
	if (v[K_CERT] != NULL &&
	    (rc = readable_file(x, "cert", v[K_CERT], cc->cert_file, sizeof(cc->cert_file),
				false)) < 0)
		return rc;
	if (v[K_KEY] != NULL &&
	    (rc = readable_file(x, "key", v[K_KEY], cc->key_file, sizeof(cc->key_file),
				true)) < 0)
		return rc;
	if (v[K_CA] != NULL &&
	    (rc = readable_file(x, "ca", v[K_CA], cc->ca_file, sizeof(cc->ca_file),
				false)) < 0)
		return rc;
	return 0;
}

/* A rekey lifetime @key (@n; NULL: *@out keeps its default): 0 or at
 * least CONN_MIN_LIFE_S. */
static int
parse_lifetime(struct cx *x, const char *key, const yaml_node_t *n, uint32_t *out)
{
	uint64_t u;
	int rc;

	if (n == NULL)
		return 0;
	rc = cx_duration(x, key, n, false, CONN_MAX_LIFE_S, &u);
	if (rc < 0)
		return rc;
	if (u != 0 && u < CONN_MIN_LIFE_S)
		return cx_key_err(x, key, n, "%s", "below 60s (0 = never rekey)");
	*out = (uint32_t)u;
	return 0;
}

static int
parse_lifetimes(struct cx *x, yaml_node_t *const v[], struct ike_conn_cfg *cc)
{
	uint64_t u;
	int rc;

	cc->ike_lifetime_s = CONN_DEF_IKE_LIFE_S;
	cc->child_lifetime_s = CONN_DEF_CHILD_LIFE_S;
	cc->dpd_s = CONN_DEF_DPD_S;
	cc->replay_window = CONN_DEF_REPLAY;
	if ((rc = parse_lifetime(x, "ike_lifetime", v[K_IKE_LIFE], &cc->ike_lifetime_s)) < 0 ||
	    (rc = parse_lifetime(x, "child_lifetime", v[K_CHILD_LIFE], &cc->child_lifetime_s)) < 0)
		return rc;
	if (v[K_CHILD_BYTES] != NULL &&
	    (rc = cx_size(x, "child_life_bytes", v[K_CHILD_BYTES], 1024, &cc->child_life_bytes)) < 0)
		return rc;
	if (v[K_CHILD_PKTS] != NULL &&
	    (rc = cx_size(x, "child_life_packets", v[K_CHILD_PKTS], 1000,
			  &cc->child_life_packets)) < 0)
		return rc;
	if (v[K_DPD] != NULL) {
		rc = cx_duration(x, "dpd", v[K_DPD], false, 3600, &u);
		if (rc < 0)
			return rc;
		cc->dpd_s = (uint32_t)u;
	}
	if (v[K_REPLAY] != NULL) {
		rc = cx_uint(x, "replay_window", v[K_REPLAY], CONN_MIN_REPLAY, CONN_MAX_REPLAY, &u);
		if (rc < 0)
			return rc;
		cc->replay_window = (uint32_t)u;
	}
	return 0;
}

static void
ts_full(struct ike_ts *ts, uint8_t af)
{
	memset(ts, 0, sizeof(*ts));
	ts->af = af;
	ts->eport = 65535;
	memset(ts->eaddr, 0xff, af == 4 ? 4 : 16);
}

static int
parse_selectors(struct cx *x, yaml_node_t *const v[], const yaml_node_t *map,
		struct ike_conn_cfg *cc, bool has_pool)
{
	bool ldyn, rdyn;
	int rc;

	if (v[K_LOCAL_TS] == NULL)
		return cx_missing(x, map, "local_ts");
	if (v[K_REMOTE_TS] == NULL)
		return cx_missing(x, map, "remote_ts");
	rc = parse_ts_list(x, "local_ts", v[K_LOCAL_TS], cc->local_ts, &cc->n_local_ts, &ldyn);
	if (rc < 0)
		return rc;
	rc = parse_ts_list(x, "remote_ts", v[K_REMOTE_TS], cc->remote_ts, &cc->n_remote_ts, &rdyn);
	if (rc < 0)
		return rc;
	if (ldyn) {
		/* Our virtual IP: propose everything, the responder narrows it. */
		if (!cc->request_vip)
			return cx_key_err(x, "local_ts", v[K_LOCAL_TS], "%s",
					  "'dynamic' needs request_vip: true");
		ts_full(&cc->local_ts[0], 4);
		cc->n_local_ts = 1;
	}
	if (rdyn) {
		/* The client's lease: the whole pool, narrowed by lib/ike. */
		if (!has_pool)
			return cx_key_err(x, "remote_ts", v[K_REMOTE_TS], "%s",
					  "'dynamic' needs a pool");
		ts_full(&cc->remote_ts[0], cc->pool.af);
		memcpy(cc->remote_ts[0].saddr, cc->pool.first, 16);
		pool_last(&cc->pool, cc->remote_ts[0].eaddr);
		cc->n_remote_ts = 1;
	}
	return 0;
}

/* Pools must not overlap each other nor hold an address of ours. */
static int
check_pool(struct cx *x, const yaml_node_t *n, unsigned idx)
{
	const struct conf *c = x->c;
	const struct ike_pool_cfg *p = &c->conns[idx].pool;
	uint8_t last[16], olast[16];
	unsigned i, j;

	if (p->af == 0)
		return 0;
	pool_last(p, last);
	for (i = 0; i < idx; i++) {
		const struct ike_pool_cfg *o = &c->conns[i].pool;

		if (o->af != p->af)
			continue;
		pool_last(o, olast);
		if (conf_addr_cmp(p->af, p->first, olast) <= 0 &&
		    conf_addr_cmp(p->af, o->first, last) <= 0)
			return cx_key_err(x, "pool", n, "overlaps the pool of connection '%s'",
					  c->conns[i].name);
	}
	for (i = 0; i < c->n_ports; i++) {
		for (j = 0; j < c->ports[i].n_addrs; j++) {
			const struct conf_prefix *a = &c->ports[i].addrs[j];

			if (a->af == p->af && conf_addr_cmp(p->af, p->first, a->addr) <= 0 &&
			    conf_addr_cmp(p->af, a->addr, last) <= 0)
				return cx_key_err(x, "pool", n, "holds an address of port '%s'",
						  c->ports[i].name);
		}
	}
	return 0;
}

/*
 * Remote selectors (and so pools, through 'dynamic') of two connections
 * must not share an address: the datapath routes by inner destination
 * alone, so a peer of one connection could otherwise claim addresses that
 * belong behind another connection's peer. Ports and protocols do not
 * separate them (routes carry addresses only).
 */
static int
check_remote_ts(struct cx *x, const yaml_node_t *n, unsigned idx)
{
	const struct conf *c = x->c;
	const struct ike_conn_cfg *cc = &c->conns[idx];
	unsigned i, j, k;

	for (i = 0; i < idx; i++) {
		const struct ike_conn_cfg *o = &c->conns[i];

		for (j = 0; j < cc->n_remote_ts; j++) {
			const struct ike_ts *a = &cc->remote_ts[j];

			for (k = 0; k < o->n_remote_ts; k++) {
				const struct ike_ts *b = &o->remote_ts[k];

				if (a->af == b->af && conf_addr_cmp(a->af, a->saddr, b->eaddr) <= 0 &&
				    conf_addr_cmp(a->af, b->saddr, a->eaddr) <= 0)
					return cx_key_err(x, "remote_ts", n,
							  "overlaps remote_ts of connection '%s'",
							  o->name);
			}
		}
	}
	return 0;
}

static int
parse_conn(struct cx *x, const yaml_node_t *n, unsigned idx)
{
	struct conf *c = x->c;
	struct ike_conn_cfg *cc = &c->conns[idx];
	yaml_node_t *v[K_N];
	int rc;

	rc = cx_map(x, n, conn_keys, K_N, v);
	if (rc < 0)
		return rc;
	if ((rc = cx_req_str(x, n, "name", v[K_NAME], cc->name, sizeof(cc->name))) < 0)
		return rc;
	if (!conf_is_name(cc->name, sizeof(cc->name)))
		return cx_key_err(x, "name", v[K_NAME], "%s",
				  "bad name (letters, digits, '-', '_', '.')");
	if (v[K_LOG_LEVEL] != NULL &&
	    (rc = conf_parse_log_level(x, v[K_LOG_LEVEL], &c->conn_log_level[idx])) < 0)
		return rc;
	if (v[K_INITIATE] != NULL && (rc = cx_bool(x, "initiate", v[K_INITIATE], &cc->initiate)) < 0)
		return rc;
	if (v[K_VIP] != NULL && (rc = cx_bool(x, "request_vip", v[K_VIP], &cc->request_vip)) < 0)
		return rc;
	if (v[K_MOBIKE] != NULL) {
		bool on = true;

		if ((rc = cx_bool(x, "mobike", v[K_MOBIKE], &on)) < 0)
			return rc;
		cc->no_mobike = !on;
	}
	if ((rc = parse_local_remote(x, v, n, idx)) < 0)
		return rc;
	if (cc->remote.ss_family == AF_UNSPEC && cc->initiate)
		return cx_key_err(x, "initiate", v[K_INITIATE], "%s",
				  "needs a remote address, not 'any'");
	if (cc->request_vip && !cc->initiate)
		return cx_key_err(x, "request_vip", v[K_VIP], "%s", "needs initiate: true");
	if ((rc = parse_auth_keys(x, v, n, cc)) < 0)
		return rc;
	rc = parse_proposals(x, "ike", v[K_IKE], DEF_IKE_PROPOSAL, cc->ike_proposals,
			     &cc->n_ike_proposals);
	if (rc == 0)
		rc = parse_proposals(x, "esp", v[K_ESP], DEF_ESP_PROPOSAL, cc->esp_proposals,
				     &cc->n_esp_proposals);
	if (rc < 0)
		return rc;
	if (v[K_POOL] != NULL) {
		if (cc->request_vip)
			return cx_key_err(x, "pool", v[K_POOL], "%s",
					  "a pool serves clients; request_vip asks for an address");
		if ((rc = parse_pool(x, v[K_POOL], &cc->pool)) < 0)
			return rc;
	}
	if (v[K_POOL] != NULL && (rc = check_pool(x, v[K_POOL], idx)) < 0)
		return rc;
	if ((rc = parse_selectors(x, v, n, cc, v[K_POOL] != NULL)) < 0)
		return rc;
	if ((rc = check_remote_ts(x, v[K_REMOTE_TS], idx)) < 0)
		return rc;
	if (v[K_REDIRECT] != NULL) {
		if (cc->initiate)
			return cx_key_err(x, "redirect", v[K_REDIRECT], "%s",
					  "redirects clients; not with initiate: true");
		if ((rc = parse_redirect(x, v[K_REDIRECT], cc)) < 0)
			return rc;
	}
	return parse_lifetimes(x, v, cc);
}

_Static_assert(offsetof(struct ike_conn_cfg, name) == 0, "cx_earlier_name");

static int
conn_item(struct cx *x, const yaml_node_t *item, unsigned i, void *arg)
{
	struct conf *c = x->c;
	int rc;

	(void)arg;
	rc = parse_conn(x, item, i);
	if (rc == 0 && cx_earlier_name(c->conns, sizeof(c->conns[0]), i) >= 0)
		rc = cx_err(x, item, "duplicate connection name '%s'", c->conns[i].name);
	return rc;
}

int
conf_parse_conns(struct cx *x, const yaml_node_t *seq)
{
	return cx_seq_each(x, "connections", seq, false, NULL, CONF_MAX_CONNS, &x->c->n_conns,
			   conn_item, NULL);
}
