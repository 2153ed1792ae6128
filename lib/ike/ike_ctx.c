/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lib/ike context: configuration copies, connections (with their loaded
 * certificates, keys and pools), logging, sending, listing, statistics and
 * the job runner hook.
 *
 * Owns: struct ike_ctx and struct ike_conn. Must not run exchanges (the
 * ike_xchg_*.c files do) and never logs secrets: log lines carry SPIs,
 * addresses and numbers only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "ike/ike_priv.h"

/* STYLE 7: DEBUG lines about rejected input are rate-limited (a flood of
 * garbage must not become a flood of log lines). */
static bool
log_allowed(struct ike_ctx *ctx, int level)
{
	uint64_t sec = ctx->now_ms / 1000;

	if (level < IKE_LOG_DEBUG)
		return true;
	if (sec != ctx->log_sec) {
		ctx->log_sec = sec;
		ctx->log_debug_n = 0;
	}
	if (++ctx->log_debug_n <= IKE_LOG_DEBUG_PER_S)
		return true;
	ctx->st.log_dropped++;
	return false;
}

void
ike_log(struct ike_ctx *ctx, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (ctx->ops.log == NULL || !log_allowed(ctx, level))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ctx->ops.log(ctx->user, level, buf);
}

void
ike_sa_log(const struct ike_sa *sa, int level, const char *fmt, ...)
{
	char buf[512], peer[INET6_ADDRSTRLEN + 8];
	va_list ap;
	int n;

	if (sa->ctx->ops.log == NULL || !log_allowed(sa->ctx, level))
		return;
	n = snprintf(buf, sizeof(buf), "ike %016" PRIx64 ":%016" PRIx64 " peer %s: ",
		     sa->spi_i, sa->spi_r, ike_addr_str(&sa->remote, peer, sizeof(peer)));
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	sa->ctx->ops.log(sa->ctx->user, level, buf);
}

const char *
ike_addr_str(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(buf, cap, "%s:%u", a, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(buf, cap, "[%s]:%u", a, ntohs(s->sin6_port));
	} else {
		snprintf(buf, cap, "-");
	}
	return buf;
}

void
ike_addr_split(const struct sockaddr *sa, uint8_t *af, uint8_t addr[16], uint16_t *port)
{
	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)sa;

		*af = 4;
		memcpy(addr, &s->sin_addr, 4);
		*port = ntohs(s->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)sa;

		*af = 6;
		memcpy(addr, &s->sin6_addr, 16);
		*port = ntohs(s->sin6_port);
	} else {
		*af = 0;
		*port = 0;
	}
}

void
ike_addr_make(struct sockaddr_storage *ss, uint8_t af, const uint8_t *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (af == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)(void *)ss;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, addr, 4);
		s->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)(void *)ss;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, addr, 16);
		s->sin6_port = htons(port);
	}
}

void
ike_addr_from(struct sockaddr_storage *dst, const struct sockaddr *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src == NULL)
		return;
	if (src->sa_family == AF_INET)
		memcpy(dst, src, sizeof(struct sockaddr_in));
	else if (src->sa_family == AF_INET6)
		memcpy(dst, src, sizeof(struct sockaddr_in6));
}

size_t
ike_addr_bytes(const struct sockaddr_storage *ss, const uint8_t **p)
{
	if (ss->ss_family == AF_INET6) {
		*p = (const uint8_t *)&((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr;
		return 16;
	}
	*p = (const uint8_t *)&((const struct sockaddr_in *)(const void *)ss)->sin_addr;
	return 4;
}

uint16_t
ike_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
	return 0;
}

void
ike_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)ss)->sin6_port = htons(port);
}

socklen_t
ike_ss_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					   sizeof(struct sockaddr_in);
}

bool
ike_addr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b, bool with_port)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (with_port && ike_port(a) != ike_port(b))
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr, 16) == 0;
	return false;
}

int
ike_send_raw(struct ike_ctx *ctx, const uint8_t *buf, size_t len,
	     const struct sockaddr_storage *from, const struct sockaddr_storage *to)
{
	if (ctx->ops.send == NULL)
		return -ENOTCONN;
	ctx->st.tx++;
	return ctx->ops.send(ctx->user, buf, len, (const struct sockaddr *)from,
			     (const struct sockaddr *)to);
}

int
ike_send_pkts(struct ike_sa *sa, const struct ike_pkts *p)
{
	unsigned i;
	int rc = 0;

	for (i = 0; i < p->n; i++) {
		int r = ike_send_raw(sa->ctx, p->v[i].buf, p->v[i].len, &sa->local, &sa->remote);

		if (r < 0)
			rc = r;
	}
	sa->last_tx_ms = sa->ctx->now_ms;
	return rc;
}

uint32_t
ike_alloc_spi_in(struct ike_ctx *ctx)
{
	uint32_t spi = 0;

	if (ctx->ops.alloc_spi != NULL)
		return ctx->ops.alloc_spi(ctx->user);
	while (spi < 256) {
		if (ike_rand_bytes(&spi, sizeof(spi)) < 0)
			return 0;
	}
	return spi;
}

void
ike_ctx_set_key_hook(struct ike_ctx *ctx,
		     void (*fn)(void *user, uint64_t ike_sa_id, uint64_t spi_i, uint64_t spi_r,
				const char *name, const uint8_t *key, size_t len),
		     void *user)
{
	ctx->key_hook = fn;
	ctx->key_hook_user = user;
}

void
ike_sa_keys_report(const struct ike_sa *sa)
{
	const struct ike_sa_keys *k = &sa->keys;
	void *u = sa->ctx->key_hook_user;

	if (sa->ctx->key_hook == NULL)
		return;
	sa->ctx->key_hook(u, sa->id, sa->spi_i, sa->spi_r, "SK_d", k->sk_d, k->prf_len);
	sa->ctx->key_hook(u, sa->id, sa->spi_i, sa->spi_r, "SK_ai", k->i.integ_key,
			  k->i.integ_key_len);
	sa->ctx->key_hook(u, sa->id, sa->spi_i, sa->spi_r, "SK_ar", k->r.integ_key,
			  k->r.integ_key_len);
	sa->ctx->key_hook(u, sa->id, sa->spi_i, sa->spi_r, "SK_ei", k->i.encr_key,
			  k->i.encr_key_len);
	sa->ctx->key_hook(u, sa->id, sa->spi_i, sa->spi_r, "SK_er", k->r.encr_key,
			  k->r.encr_key_len);
	sa->ctx->key_hook(u, sa->id, sa->spi_i, sa->spi_r, "SK_pi", k->sk_pi, k->prf_len);
	sa->ctx->key_hook(u, sa->id, sa->spi_i, sa->spi_r, "SK_pr", k->sk_pr, k->prf_len);
}

/* ---- connections ---- */

static void
conn_free(struct ike_conn *c)
{
	if (c == NULL)
		return;
	X509_free(c->cert);
	EVP_PKEY_free(c->key);
	X509_STORE_free(c->ca);
	OPENSSL_free(c->cert_der);
	for (unsigned i = 0; i < c->n_chain; i++)
		OPENSSL_free(c->chain_der[i]);
	ike_pool_destroy(c->pool);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

void
ike_conn_put(struct ike_conn *c)
{
	if (c != NULL && --c->refs == 0)
		conn_free(c);
}

/*
 * RFC 7296 3.6: further certificates in our cert_file (leaf first, as in a
 * usual PEM bundle) are intermediate CAs, sent as extra CERT payloads so a
 * peer that trusts only the root can build the chain.
 */
static int
chain_der(struct ike_conn *c, STACK_OF(X509) *chain)
{
	int i;

	for (i = 0; i < sk_X509_num(chain) && c->n_chain < IKE_CHAIN_MAX; i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(sk_X509_value(chain, i), &der);

		if (len <= 0)
			return -EINVAL;
		c->chain_der[c->n_chain] = der;
		c->chain_len[c->n_chain] = (size_t)len;
		c->n_chain++;
	}
	return 0;
}

int
ike_conn_load(const struct ike_conn_cfg *cfg, struct ike_conn **out)
{
	struct ike_conn *c = calloc(1, sizeof(*c));
	char err[128];
	unsigned i;
	int rc;

	if (c == NULL)
		return -ENOMEM;
	c->cfg = *cfg;
	c->cfg.name[IKE_MAX_NAME - 1] = 0;
	c->refs = 1;
	if (cfg->n_ike_proposals > IKE_MAX_PROPOSALS || cfg->n_esp_proposals > IKE_MAX_PROPOSALS ||
	    cfg->n_local_ts > IKE_MAX_TS || cfg->n_remote_ts > IKE_MAX_TS ||
	    cfg->psk_len > IKE_MAX_PSK_LEN) {
		rc = -EINVAL;
		goto fail;
	}
	for (i = 0; i < cfg->n_ike_proposals; i++) {
		rc = ike_prop_parse(cfg->ike_proposals[i], IKE_PROTO_IKE, &c->ike_props[i], err,
				    sizeof(err));
		if (rc < 0)
			goto fail;
		c->ike_props[i].num = (uint8_t)(i + 1);
	}
	c->n_ike_props = cfg->n_ike_proposals;
	for (i = 0; i < cfg->n_esp_proposals; i++) {
		rc = ike_prop_parse(cfg->esp_proposals[i], IKE_PROTO_ESP, &c->esp_props[i], err,
				    sizeof(err));
		if (rc < 0)
			goto fail;
		c->esp_props[i].num = (uint8_t)(i + 1);
	}
	c->n_esp_props = cfg->n_esp_proposals;
	if (c->n_ike_props == 0 || c->n_esp_props == 0) {
		rc = -EINVAL;
		goto fail;
	}
	/* RFC 4739: a second round is EAP, after a certificate or PSK round */
	if ((cfg->remote_auth2 != 0 && (cfg->remote_auth2 != IKE_AUTHM_EAP ||
					cfg->remote_auth == IKE_AUTHM_EAP)) ||
	    (cfg->auth2 != 0 && (cfg->auth2 != IKE_AUTHM_EAP || cfg->auth == IKE_AUTHM_EAP))) {
		rc = -EINVAL;
		goto fail;
	}
	if (cfg->auth == IKE_AUTHM_PUBKEY) {
		STACK_OF(X509) *chain = NULL;

		rc = ike_cert_load_pem(cfg->cert_file, &c->cert, &chain);
		if (rc == 0)
			rc = ike_key_load_pem(cfg->key_file, &c->key);
		if (rc == 0)
			rc = ike_cert_der(c->cert, &c->cert_der, &c->cert_der_len);
		if (rc == 0)
			rc = chain_der(c, chain);
		sk_X509_pop_free(chain, X509_free);
		if (rc < 0)
			goto fail;
	}
	if (cfg->remote_auth == IKE_AUTHM_PUBKEY) {
		rc = ike_ca_load_pem(cfg->ca_file, &c->ca);
		if (rc < 0)
			goto fail;
	}
	if (cfg->pool.af != 0) {
		c->pool = ike_pool_create(&cfg->pool);
		if (c->pool == NULL) {
			rc = -EINVAL;
			goto fail;
		}
	}
	*out = c;
	return 0;
fail:
	conn_free(c);
	return rc;
}

static int
load_conns(const struct ike_conn_cfg *cfgs, unsigned n, struct ike_conn ***out)
{
	struct ike_conn **v = calloc(n ? n : 1, sizeof(*v));
	unsigned i;
	int rc;

	if (v == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rc = ike_conn_load(&cfgs[i], &v[i]);
		if (rc < 0) {
			while (i-- > 0)
				ike_conn_put(v[i]);
			free(v);
			return rc;
		}
	}
	*out = v;
	return 0;
}

static int
conn_name_cmp(const void *a, const void *b)
{
	const struct ike_conn_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* The name index of @v (@n connections): malloc'd, or NULL (-ENOMEM). */
static struct ike_conn_name *
conn_names_build(struct ike_conn *const *v, unsigned n)
{
	struct ike_conn_name *t = calloc(n ? n : 1, sizeof(*t));
	unsigned i;

	if (t == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		t[i].name = v[i]->cfg.name;
		t[i].idx = i;
	}
	qsort(t, n, sizeof(*t), conn_name_cmp);
	return t;
}

/* Index into @v of the last connection named @name in index @t (@n entries), or -1. */
static int
conn_find(const struct ike_conn_name *t, unsigned n, const char *name)
{
	unsigned lo = 0, hi = n, mid;

	if (name == NULL)
		return -1;
	/* first entry whose name is greater than @name */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(t[mid].name, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || strcmp(t[lo - 1].name, name) != 0)
		return -1;
	return (int)t[lo - 1].idx;
}

struct ike_conn *
ike_conn_by_name(const struct ike_ctx *ctx, const char *name)
{
	int i = conn_find(ctx->conn_names, ctx->n_conns, name);

	return i < 0 ? NULL : ctx->conns[i];
}

int
ike_ctx_create(const struct ike_ctx_cfg *cfg, struct ike_ctx **out)
{
	struct ike_ctx *ctx;
	int rc;

	if (cfg == NULL || out == NULL || (cfg->n_conns > 0 && cfg->conns == NULL))
		return -EINVAL;
	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return -ENOMEM;
	ctx->ops = cfg->ops;
	ctx->user = cfg->user;
	ctx->window_size = cfg->window_size ? cfg->window_size : 1;
	if (ctx->window_size > IKE_WINDOW_MAX)
		ctx->window_size = IKE_WINDOW_MAX;
	ctx->cookie_threshold = cfg->cookie_threshold;
	ctx->half_open_max = cfg->half_open_max;
	ctx->retransmit_base_ms = cfg->retransmit_base_ms ? cfg->retransmit_base_ms : 1000;
	ctx->retransmit_tries = cfg->retransmit_tries ? cfg->retransmit_tries : 5;
	ctx->nat_keepalive_s = cfg->nat_keepalive_s ? cfg->nat_keepalive_s : 20;
	ctx->half_open_per_src = cfg->half_open_per_src ? cfg->half_open_per_src :
							  IKE_DEF_HALF_OPEN_PER_SRC;
	ctx->frag_mem_max = cfg->frag_mem_max ? cfg->frag_mem_max : IKE_DEF_FRAG_MEM_MAX;
	ctx->frag_preauth_max = cfg->frag_preauth_max ? cfg->frag_preauth_max :
							IKE_DEF_FRAG_PREAUTH_MAX;
	rc = load_conns(cfg->conns, cfg->n_conns, &ctx->conns);
	if (rc < 0) {
		free(ctx);
		return rc;
	}
	ctx->n_conns = cfg->n_conns;
	ctx->conn_names = conn_names_build(ctx->conns, ctx->n_conns);
	if (ctx->conn_names == NULL) {
		ike_ctx_destroy(ctx);
		return -ENOMEM;
	}
	/* both cookie secrets random (CSPRNG): never a known value, even the
	 * previous one, which is only accepted after a rotation */
	if (ike_rand_bytes(ctx->cookie_secret, sizeof(ctx->cookie_secret)) < 0 ||
	    ike_rand_bytes(ctx->cookie_secret_old, sizeof(ctx->cookie_secret_old)) < 0 ||
	    ike_rand_bytes(&ctx->src_key, sizeof(ctx->src_key)) < 0) {
		ike_ctx_destroy(ctx);
		return -EIO;
	}
	/* table seeds from the same random key: no bucket a peer can aim at */
	if (ike_htab_init(&ctx->by_spi, ctx->src_key ^ 0x5350495f5350495fULL) < 0 ||
	    ike_htab_init(&ctx->by_init, ctx->src_key ^ 0x494e49545f5f5f5fULL) < 0 ||
	    ike_htab_init(&ctx->by_id, ctx->src_key ^ 0x49445f5f5f5f5f5fULL) < 0 ||
	    ike_htab_init(&ctx->child_ids, ctx->src_key ^ 0x4348494c445f5f5fULL) < 0 ||
	    ike_htab_init(&ctx->by_peer_id, ctx->src_key ^ 0x5045455249445f5fULL) < 0 ||
	    ike_htab_init(&ctx->by_peer_addr, ctx->src_key ^ 0x5045455241444452ULL) < 0) {
		ike_ctx_destroy(ctx);
		return -ENOMEM;
	}
	*out = ctx;
	return 0;
}

void
ike_ctx_destroy(struct ike_ctx *ctx)
{
	unsigned i;

	if (ctx == NULL)
		return;
	/* no events from a context being torn down (ike_shutdown sends them) */
	ctx->ops.event = NULL;
	ctx->ops.log = NULL;
	ctx->dirty = NULL;		/* the SAs on it are freed below */
	ctx->dead = NULL;
	while (ctx->sas != NULL)
		ike_sa_free(ctx->sas);
	for (i = 0; i < ctx->n_conns; i++)
		ike_conn_put(ctx->conns[i]);
	free(ctx->conns);
	free(ctx->conn_names);
	ike_heap_fini(&ctx->timers);
	ike_htab_fini(&ctx->by_spi);
	ike_htab_fini(&ctx->by_init);
	ike_htab_fini(&ctx->by_id);
	ike_htab_fini(&ctx->child_ids);
	ike_htab_fini(&ctx->by_peer_id);
	ike_htab_fini(&ctx->by_peer_addr);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

int
ike_reconfigure(struct ike_ctx *ctx, const struct ike_conn_cfg *conns, unsigned n)
{
	struct ike_conn_name *names;
	struct ike_conn **v;
	struct ike_sa *sa;
	unsigned i, j;
	int rc;

	rc = load_conns(conns, n, &v);
	if (rc < 0)
		return rc;
	names = conn_names_build(v, n);
	if (names == NULL) {
		for (i = 0; i < n; i++)
			ike_conn_put(v[i]);
		free(v);
		return -ENOMEM;
	}
	/* SAs of connections that keep their name move to the new config; the
	 * others are deleted. */
	for (sa = ctx->sas; sa != NULL; sa = sa->next) {
		if (conn_find(names, n, sa->conn->cfg.name) < 0) {
			if (sa->state == IKE_ST_ESTABLISHED || sa->state == IKE_ST_REKEYING)
				ike_info_delete_ike_start(sa);	/* tell the peer */
			if (sa->state != IKE_ST_DEAD)
				ike_sa_kill(sa, "connection removed by reload");
			continue;
		}
		/* keep the old conn object (pool, certs) for live SAs */
	}
	/* a connection that keeps its name and pool keeps the pool object, so
	 * leases of live SAs stay reserved */
	for (j = 0; j < n; j++) {
		for (i = 0; i < ctx->n_conns; i++) {
			struct ike_conn *o = ctx->conns[i];

			if (strcmp(o->cfg.name, v[j]->cfg.name) != 0 || o->pool == NULL ||
			    v[j]->pool == NULL ||
			    memcmp(&o->cfg.pool, &v[j]->cfg.pool, sizeof(o->cfg.pool)) != 0)
				continue;
			ike_pool_destroy(v[j]->pool);
			v[j]->pool = ike_pool_ref(o->pool);
		}
	}
	for (i = 0; i < ctx->n_conns; i++) {
		ctx->conns[i]->removed = true;
		ike_conn_put(ctx->conns[i]);
	}
	free(ctx->conns);
	free(ctx->conn_names);
	ctx->conns = v;
	ctx->conn_names = names;
	ctx->n_conns = n;
	ike_sa_reap(ctx);
	return 0;
}

void
ike_stats_get(const struct ike_ctx *ctx, struct ike_stats *st)
{
	unsigned i;

	*st = ctx->st;
	st->half_open = ctx->half_open;
	st->sas = ctx->n_sas;
	st->children = ctx->n_children;
	st->pool_leases = 0;
	for (i = 0; i < ctx->n_conns; i++)
		if (ctx->conns[i]->pool != NULL)
			st->pool_leases += ike_pool_in_use(ctx->conns[i]->pool);
	st->frag_mem = ctx->frag_mem;
}

int
ike_foreach_sa(struct ike_ctx *ctx, int (*fn)(void *arg, const struct ike_sa_info *i), void *arg)
{
	struct ike_sa *sa;
	int rc;

	for (sa = ctx->sas; sa != NULL; sa = sa->next) {
		struct ike_sa_info in;

		if (sa->state == IKE_ST_DEAD)
			continue;
		memset(&in, 0, sizeof(in));
		in.id = sa->id;
		in.spi_i = sa->spi_i;
		in.spi_r = sa->spi_r;
		snprintf(in.conn, sizeof(in.conn), "%s", sa->conn->cfg.name);
		in.state = ike_state_name(sa->state);
		in.initiator = sa->initiator;
		in.local = sa->local;
		in.remote = sa->remote;
		in.remote_id = sa->remote_id;
		if (sa->lease != NULL)
			ike_lease_addr(sa->lease, &in.vip_af, in.vip);
		else if (sa->vip_af != 0) {
			in.vip_af = sa->vip_af;
			memcpy(in.vip, sa->vip, 16);
		}
		in.established_ms = sa->established_ms;
		in.n_children = sa->n_children;
		rc = fn(arg, &in);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
ike_foreach_child(struct ike_ctx *ctx, int (*fn)(void *arg, const struct ike_child_info *i),
		  void *arg)
{
	struct ike_sa *sa;
	struct ike_child *c;
	int rc;

	for (sa = ctx->sas; sa != NULL; sa = sa->next) {
		if (sa->state == IKE_ST_DEAD)
			continue;
		for (c = sa->children; c != NULL; c = c->next) {
			struct ike_child_info in;

			if (!c->installed)
				continue;
			memset(&in, 0, sizeof(in));
			in.id = c->id;
			in.ike_sa_id = sa->id;
			in.spi_in = c->spi_in;
			in.spi_out = c->spi_out;
			in.enc = c->algs.encr;
			in.enc_key_len = (uint16_t)(c->algs.encr_bits / 8);
			in.integ = c->algs.integ;
			in.esn = c->algs.esn;
			in.natt = sa->nat_local || sa->nat_remote;
			in.established_ms = c->established_ms;
			rc = fn(arg, &in);
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

void
ike_ctx_set_job_runner(struct ike_ctx *ctx, void (*submit)(void *user, struct ike_job *job),
		       void *user)
{
	ctx->job_submit = submit;
	ctx->job_user = user;
}

/*
 * With a runner, the responder hands its IKE_SA_INIT DH and its IKE_AUTH
 * certificate verification and signature to jobs; the SA waits (a
 * retransmitted request is dropped meanwhile) and resumes here. The SA may
 * be gone by then: the job is just released. The initiator side and
 * CREATE_CHILD_SA still compute inline.
 */
void
ike_job_done(struct ike_ctx *ctx, struct ike_job *job, uint64_t now_ms)
{
	struct ike_sa *sa;

	if (job == NULL)
		return;
	ctx->now_ms = now_ms;
	sa = job->owner == ctx ? ike_sa_by_id(ctx, job->sa_id) : NULL;
	if (sa != NULL && sa->job_pending) {
		sa->job_pending = false;
		switch (job->tag) {
		case IKE_JT_INIT_DH:
			ike_init_job_done(sa, job);
			break;
		case IKE_JT_AUTH_VERIFY:
		case IKE_JT_AUTH_SIGN:
			ike_auth_job_done(sa, job);
			break;
		default:
			break;
		}
	}
	ike_job_destroy(job);
	ike_sa_reap(ctx);
}

const char *
ike_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case 0:
		return "success";
	case EINVAL:
		return "invalid argument or configuration";
	case ENOENT:
		return "no such connection or SA";
	case ENOMEM:
		return "out of memory";
	case EBUSY:
		return "exchange already in progress";
	case EAGAIN:
		return "window full, try again";
	case EACCES:
		return "authentication failed";
	case EBADMSG:
		return "malformed message";
	case EPROTO:
		return "protocol error";
	case ENOSPC:
		return "no space (pool exhausted or buffer too small)";
	case ETIMEDOUT:
		return "peer not responding";
	default:
		return strerror(err < 0 ? -err : err);
	}
}
