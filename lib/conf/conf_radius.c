/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The radius section: the RADIUS servers that connections with
 * `remote_auth: eap-radius` pass EAP to (RFC 3579), tried in order.
 *
 *   radius:
 *     servers:
 *       - address: 192.0.2.10        # IPv4 or IPv6
 *         port: 1812                 # default 1812
 *         secret_file: radius.secret # shared secret, mode 0600, one line
 *       - address: 192.0.2.11        # failover when the first stops answering
 *         secret_file: radius2.secret
 *     timeout: 2000ms                # per try (100ms..60s), default 2s
 *     retries: 2                     # retransmissions per server (0..10)
 *     nas_identifier: rampart        # NAS-Identifier attribute
 *     accounting:                    # RFC 2866 (optional)
 *       servers:                     # as above, port default 1813
 *         - address: 192.0.2.10
 *           secret_file: radius.secret
 *       interim_interval: 10m        # Interim-Update (10s..24h), default none
 *
 * Validation only; the secrets are read here and wiped from buffers.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf_priv.h"

enum {
	RADIUS_MIN_TIMEOUT_MS = 100,
	RADIUS_MAX_TIMEOUT_MS = 60000,
	RADIUS_MAX_RETRIES = 10,
	RADIUS_MIN_INTERIM_MS = 10000,
	RADIUS_MAX_INTERIM_MS = 86400000,
};

struct server_list {
	struct conf_radius_server *s;
	unsigned *n;
	uint16_t default_port;
};

static int
read_secret(struct cx *x, const yaml_node_t *n, struct conf_radius_server *s)
{
	char path[IKE_MAX_PATH], buf[CONF_MAX_RADIUS_SECRET + 2];
	struct stat st;
	size_t got = 0;
	int fd, rc = 0;

	fd = cx_open_secret(x, "secret_file", n, path, sizeof(path), &st);
	if (fd < 0)
		return fd;
	got = cx_read_close(fd, buf, sizeof(buf));
	while (got > 0 && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
		got--;
	if (got > CONF_MAX_RADIUS_SECRET)
		rc = cx_err(x, n, "secret_file %s: secret longer than %d bytes", path,
			    CONF_MAX_RADIUS_SECRET);
	else if (got == 0)
		rc = cx_err(x, n, "secret_file %s: empty secret", path);
	else if (memchr(buf, '\0', got) != NULL)
		rc = cx_err(x, n, "secret_file %s: NUL byte in secret", path);
	if (rc == 0) {
		memcpy(s->secret, buf, got);
		s->secret_len = got;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	return rc;
}

static int
server_item(struct cx *x, const yaml_node_t *n, unsigned i, void *arg)
{
	enum { K_ADDR, K_PORT, K_SECRET_FILE, K_N };
	static const char *const keys[K_N] = { "address", "port", "secret_file" };
	struct server_list *l = arg;
	struct conf_radius_server *s = &l->s[i];
	yaml_node_t *v[K_N];
	char a[64];
	uint64_t u;
	int rc;

	rc = cx_map_req(x, n, keys, K_N, v, 1u << K_ADDR | 1u << K_SECRET_FILE);
	if (rc < 0)
		return rc;
	if ((rc = cx_str(x, "address", v[K_ADDR], a, sizeof(a))) < 0)
		return rc;
	if (conf_parse_addr(a, &s->af, s->addr) < 0)
		return cx_err(x, v[K_ADDR], "address: '%s' is not an IPv4 or IPv6 address", a);
	s->port = l->default_port;
	if (v[K_PORT] != NULL) {
		if ((rc = cx_uint(x, "port", v[K_PORT], 1, 65535, &u)) < 0)
			return rc;
		s->port = (uint16_t)u;
	}
	rc = read_secret(x, v[K_SECRET_FILE], s);
	if (rc == 0)
		*l->n = i + 1;
	return rc;
}

/*
 * The required servers list @servers of the section @n into @l, then the
 * optional duration @dur named @key (@min_ms..@max_ms) into *@ms.
 */
static int
servers_and_duration(struct cx *x, const yaml_node_t *n, const yaml_node_t *servers,
		     struct server_list *l, const char *key, const yaml_node_t *dur,
		     uint64_t min_ms, uint64_t max_ms, uint32_t *ms)
{
	unsigned count = 0;
	uint64_t u;
	int rc;

	if (servers == NULL)
		return cx_missing(x, n, "servers");
	rc = cx_seq_each(x, "servers", servers, false, "no servers", CONF_MAX_RADIUS, &count,
			 server_item, l);
	if (rc == 0 && dur != NULL && (rc = cx_duration(x, key, dur, true, max_ms, &u)) == 0) {
		if (u < min_ms)
			rc = cx_err(x, dur, "%s: %llu ms below %llu ms", key,
				    (unsigned long long)u, (unsigned long long)min_ms);
		*ms = (uint32_t)u;
	}
	return rc;
}

static int
parse_accounting(struct cx *x, const yaml_node_t *n, struct conf_radius *r)
{
	enum { K_SERVERS, K_INTERIM, K_N };
	static const char *const keys[K_N] = { "servers", "interim_interval" };
	struct server_list l = { r->acct_servers, &r->n_acct_servers, 1813 };
	yaml_node_t *v[K_N];
	size_t m = cx_push_key(x, "accounting");
	int rc;

	rc = cx_map(x, n, keys, K_N, v);
	if (rc == 0)
		rc = servers_and_duration(x, n, v[K_SERVERS], &l, "interim_interval",
					  v[K_INTERIM], RADIUS_MIN_INTERIM_MS,
					  RADIUS_MAX_INTERIM_MS, &r->interim_ms);
	cx_pop(x, m);
	return rc;
}

int
conf_parse_radius(struct cx *x, const yaml_node_t *n)
{
	enum { K_SERVERS, K_TIMEOUT, K_RETRIES, K_NAS_ID, K_ACCT, K_N };
	static const char *const keys[K_N] = { "servers", "timeout", "retries",
					       "nas_identifier", "accounting" };
	struct conf_radius *r = &x->c->radius;
	struct server_list l = { r->servers, &r->n_servers, 1812 };
	yaml_node_t *v[K_N];
	size_t m = cx_push_key(x, "radius");
	uint64_t u;
	int rc;

	r->timeout_ms = 2000;
	r->retries = 2;
	strcpy(r->nas_id, "rampart");
	rc = cx_map(x, n, keys, K_N, v);
	if (rc == 0)
		rc = servers_and_duration(x, n, v[K_SERVERS], &l, "timeout", v[K_TIMEOUT],
					  RADIUS_MIN_TIMEOUT_MS, RADIUS_MAX_TIMEOUT_MS,
					  &r->timeout_ms);
	if (rc == 0 && v[K_RETRIES] != NULL &&
	    (rc = cx_uint(x, "retries", v[K_RETRIES], 0, RADIUS_MAX_RETRIES, &u)) == 0)
		r->retries = (uint32_t)u;
	if (rc == 0 && v[K_NAS_ID] != NULL)
		rc = cx_str(x, "nas_identifier", v[K_NAS_ID], r->nas_id, sizeof(r->nas_id));
	if (rc == 0 && v[K_ACCT] != NULL)
		rc = parse_accounting(x, v[K_ACCT], r);
	cx_pop(x, m);
	return rc;
}

/* remote_auth eap-radius: our side signs (RFC 7296 2.16), servers exist. */
int
conf_radius_check_conns(struct cx *x, const yaml_node_t *where)
{
	const struct conf *c = x->c;
	unsigned i;

	for (i = 0; i < c->n_conns; i++) {
		const struct ike_conn_cfg *cc = &c->conns[i];

		if (cc->remote_auth != IKE_AUTHM_EAP && cc->remote_auth2 != IKE_AUTHM_EAP)
			continue;
		/* EAP as the second round (RFC 4739): we authenticated in the
		 * first, with whatever auth says */
		if (cc->remote_auth == IKE_AUTHM_EAP && cc->auth != IKE_AUTHM_PUBKEY)
			return cx_err(x, where, "connection %s: remote_auth %s needs "
				      "auth pubkey (the gateway signs, RFC 7296 2.16)", cc->name,
				      c->conn_eap_local[i] ? "eap-mschapv2" : "eap-radius");
		if (c->conn_eap_local[i]) {
			if (c->eap_users == NULL)
				return cx_err(x, where, "connection %s: remote_auth eap-mschapv2 "
					      "needs 'eap_users' (the users file)", cc->name);
			continue;
		}
		if (c->radius.n_servers == 0)
			return cx_err(x, where, "connection %s: remote_auth eap-radius needs a "
				      "'radius' section with servers", cc->name);
	}
	return 0;
}
