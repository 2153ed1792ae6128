/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE_SA_INIT (RFC 7296 1.2): proposal and DH choice, nonces, SKEYSEED and
 * SK_* keys, NAT detection (2.23), stateless cookies (2.6), INVALID_KE_PAYLOAD
 * (1.2), the fragmentation / signature-hash announcements (RFC 7383,
 * RFC 7427) and REDIRECT (RFC 5685; the decisions live in ike_redirect.c):
 * a responder may send a peer to another gateway instead of answering, an
 * initiator follows such an answer.
 *
 * Initiator: ike_init_start, ike_init_on_response. Responder:
 * ike_init_on_request. Half-open SAs are counted here and capped; nothing
 * logs a nonce, a DH value or a key.
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ike/ike_priv.h"

enum {
	NATT_PORT = 4500,
	COOKIE_ROTATE_MS = 300000,
	MAX_INIT_RETRIES = 3,
};

/* RFC 7296 2.23: SHA-1(SPIi | SPIr | IP address | port) */
void
ike_natd_hash(uint64_t spi_i, uint64_t spi_r, const struct sockaddr_storage *ss,
	      uint8_t out[IKE_NATD_LEN])
{
	uint8_t buf[8 + 8 + 16 + 2];
	const uint8_t *a;
	size_t n = ike_addr_bytes(ss, &a);
	uint16_t port = ike_port(ss);
	unsigned int olen = 0;

	put_be64(buf, spi_i);
	put_be64(buf + 8, spi_r);
	memcpy(buf + 16, a, n);
	put_be16(buf + 16 + n, port);
	EVP_Digest(buf, 18 + n, out, &olen, EVP_sha1(), NULL);
}

/*
 * RFC 7296 2.6: a new secret every COOKIE_ROTATE_MS; cookies made with the
 * previous one stay valid for one more period. The previous secret is
 * accepted only after a rotation really happened (cookie_have_old): before
 * that it is an unused random value, and version cookie_ver - 1 never
 * selects it by wrap-around (version 0xffffffff at start).
 */
void
ike_cookie_rotate(struct ike_ctx *ctx)
{
	uint8_t fresh[sizeof(ctx->cookie_secret)];

	ctx->cookie_rotate_ms = ctx->now_ms + COOKIE_ROTATE_MS;
	if (ike_rand_bytes(fresh, sizeof(fresh)) < 0)
		return;		/* keep the current secret one more period */
	memcpy(ctx->cookie_secret_old, ctx->cookie_secret, sizeof(ctx->cookie_secret));
	memcpy(ctx->cookie_secret, fresh, sizeof(fresh));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	ctx->cookie_ver++;
	ctx->cookie_have_old = true;
}

/* RFC 7296 2.6: Cookie = <VersionIDofSecret> | Hash(Ni | IPi | SPIi | <secret>) */
static void
cookie_make(const uint8_t secret[32], uint32_t ver, const struct ike_msg *m,
	    const struct sockaddr_storage *from, uint8_t out[IKE_COOKIE_LEN])
{
	const uint8_t *a;
	size_t n = ike_addr_bytes(from, &a);
	uint8_t spi[8];
	unsigned int olen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	put_be32(out, ver);
	memset(out + 4, 0, IKE_COOKIE_LEN - 4);
	if (md == NULL)
		return;
	put_be64(spi, m->hdr.spi_i);
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(md, m->nonce.p, m->nonce.len);
		EVP_DigestUpdate(md, a, n);
		EVP_DigestUpdate(md, spi, sizeof(spi));
		EVP_DigestUpdate(md, secret, 32);
		EVP_DigestFinal_ex(md, out + 4, &olen);
	}
	EVP_MD_CTX_free(md);
}

static bool
cookie_ok(const struct ike_ctx *ctx, const struct ike_msg *m, const struct sockaddr_storage *from)
{
	const struct ike_notify *n = ike_msg_notify(m, IKE_N_COOKIE);
	uint8_t want[IKE_COOKIE_LEN];
	const uint8_t *secret;
	uint32_t ver;

	if (n == NULL || n->data.len != IKE_COOKIE_LEN)
		return false;
	ver = net_rd32(n->data.p);
	if (ver == ctx->cookie_ver)
		secret = ctx->cookie_secret;
	else if (ctx->cookie_have_old && ctx->cookie_ver != 0 && ver == ctx->cookie_ver - 1)
		secret = ctx->cookie_secret_old;
	else
		return false;
	cookie_make(secret, ver, m, from, want);
	return CRYPTO_memcmp(want, n->data.p, IKE_COOKIE_LEN) == 0;
}

static bool
addr_any(const struct sockaddr_storage *ss)
{
	static const uint8_t zero[16];
	const uint8_t *a;
	size_t n;

	if (ss->ss_family == AF_UNSPEC)
		return true;
	n = ike_addr_bytes(ss, &a);
	return memcmp(a, zero, n) == 0;
}

bool
ike_conn_matches(const struct ike_conn *conn, const struct sockaddr_storage *local,
		 const struct sockaddr_storage *remote)
{
	const struct ike_conn_cfg *c = &conn->cfg;

	if (!addr_any(&c->local) &&
	    (c->local.ss_family != local->ss_family || !ike_addr_eq(&c->local, local, false)))
		return false;
	if (!addr_any(&c->remote) && !ike_addr_eq(&c->remote, remote, false))
		return false;
	return true;
}

struct ike_conn *
ike_conn_for(struct ike_ctx *ctx, const struct sockaddr_storage *local,
	     const struct sockaddr_storage *remote)
{
	unsigned i;

	for (i = 0; i < ctx->n_conns; i++)
		if (ike_conn_matches(ctx->conns[i], local, remote))
			return ctx->conns[i];
	return NULL;
}

/* A stateless IKE_SA_INIT answer: error notify or COOKIE (RFC 7296 2.6, 1.2). */
static int
init_notify(struct ike_ctx *ctx, const struct ike_msg *m, const struct sockaddr_storage *from,
	    const struct sockaddr_storage *to, uint16_t type, const uint8_t *data, size_t len)
{
	struct ike_hdr h = {
		.spi_i = m->hdr.spi_i,
		.spi_r = 0,
		.exchange = IKE_XCHG_SA_INIT,
		.flags = IKE_FLAG_R,
		.msg_id = 0,
	};
	struct ike_bld b;
	uint8_t buf[1024];	/* REDIRECT: 2 + 255 + nonce (<= IKE_NONCE_MAX) */
	size_t blen;
	int rc;

	rc = ike_bld_init(&b, buf, sizeof(buf), &h);
	if (rc == 0)
		rc = ike_bld_notify(&b, IKE_PROTO_NONE, NULL, 0, type, data, len);
	if (rc == 0)
		rc = ike_bld_finish(&b, &blen);
	if (rc < 0)
		return rc;
	IKE_LOG(ctx, DEBUG, "ike %016" PRIx64 ":0000000000000000 IKE_SA_INIT answered with %s",
		m->hdr.spi_i, ike_notify_name(type));
	return ike_send_raw(ctx, buf, blen, to, from);
}

bool
ike_natd_match(const struct ike_msg *m, uint16_t type, const uint8_t want[IKE_NATD_LEN])
{
	unsigned i;

	for (i = 0; i < m->n_notifies; i++) {
		const struct ike_notify *n = &m->notifies[i];

		if (n->type == type && n->data.len == IKE_NATD_LEN &&
		    memcmp(n->data.p, want, IKE_NATD_LEN) == 0)
			return true;
	}
	return false;
}

/* RFC 7296 2.23; @spi_r is 0 when checking a request. */
static void
nat_detect(struct ike_sa *sa, const struct ike_msg *m, uint64_t spi_r,
	   const struct sockaddr_storage *peer, const struct sockaddr_storage *self)
{
	uint8_t h[IKE_NATD_LEN];

	if (ike_msg_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP) == NULL ||
	    ike_msg_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP) == NULL)
		return;
	ike_natd_hash(m->hdr.spi_i, spi_r, peer, h);
	sa->nat_remote = !ike_natd_match(m, IKE_N_NAT_DETECTION_SOURCE_IP, h);
	ike_natd_hash(m->hdr.spi_i, spi_r, self, h);
	sa->nat_local = !ike_natd_match(m, IKE_N_NAT_DETECTION_DESTINATION_IP, h);
	if (sa->nat_local || sa->nat_remote)
		SA_LOG(sa, INFO, "NAT detected:%s%s", sa->nat_local ? " local" : "",
		       sa->nat_remote ? " remote" : "");
}

static int
bld_natd(struct ike_bld *b, const struct ike_sa *sa)
{
	uint8_t h[IKE_NATD_LEN];
	int rc;

	ike_natd_hash(sa->spi_i, sa->spi_r, &sa->local, h);
	rc = ike_bld_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP, h,
			    sizeof(h));
	ike_natd_hash(sa->spi_i, sa->spi_r, &sa->remote, h);
	if (rc == 0)
		rc = ike_bld_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_NAT_DETECTION_DESTINATION_IP,
				    h, sizeof(h));
	return rc;
}

static bool
any_multi_auth(const struct ike_ctx *ctx)
{
	unsigned i;

	for (i = 0; i < ctx->n_conns; i++)
		if (ctx->conns[i]->cfg.remote_auth2 != 0)
			return true;
	return false;
}

static int
bld_common_tail(struct ike_bld *b, const struct ike_sa *sa, bool frag)
{
	uint8_t data[16];
	size_t len;
	int rc = 0;

	/* RFC 7296 1.2: CERTREQ in the IKE_SA_INIT response only; the initiator
	 * sends its own inside IKE_AUTH */
	if (sa->conn->ca != NULL && !sa->initiator) {
		uint8_t cr[IKE_CERTREQ_MAX_CAS * 20];

		rc = ike_certreq_build(sa->conn->ca, cr, sizeof(cr), &len);
		if (rc == 0 && len > 0)
			rc = ike_bld_certreq(b, IKE_CERT_X509_SIG, cr, len);
		if (rc < 0)
			return rc;
	}
	if (frag)
		rc = ike_bld_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED,
				    NULL, 0);
	if (rc == 0 && ike_sighash_build(ike_sighash_ours(), data, sizeof(data), &len) == 0)
		rc = ike_bld_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_SIGNATURE_HASH_ALGORITHMS,
				    data, len);
	/* RFC 4739 3.1: the responder announces multiple authentication in
	 * its IKE_SA_INIT response (the initiator in its first IKE_AUTH),
	 * when a connection requires a second round: IKE_AUTH may still move
	 * the SA to another connection by identity */
	if (rc == 0 && !sa->initiator && any_multi_auth(sa->ctx))
		rc = ike_bld_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_MULTIPLE_AUTH_SUPPORTED,
				    NULL, 0);
	return rc;
}

static void
peer_caps(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_notify *n = ike_msg_notify(m, IKE_N_SIGNATURE_HASH_ALGORITHMS);

	if (n != NULL && ike_sighash_parse(n->data.p, n->data.len, &sa->peer_hashes) == 0)
		sa->peer_sighash = true;
	sa->peer_redirect = ike_msg_notify(m, IKE_N_REDIRECT_SUPPORTED) != NULL ||
			    ike_msg_notify(m, IKE_N_REDIRECTED_FROM) != NULL;
	sa->peer_redirected = ike_msg_notify(m, IKE_N_REDIRECTED_FROM) != NULL;
	sa->peer_multi_auth = ike_msg_notify(m, IKE_N_MULTIPLE_AUTH_SUPPORTED) != NULL;
}

/* RFC 5685 4.2: answer with REDIRECT instead; 1 when done so. */
static int
init_redirect(struct ike_ctx *ctx, const struct ike_conn *conn, const struct ike_msg *m,
	      const struct sockaddr_storage *from, const struct sockaddr_storage *to)
{
	uint8_t data[2 + 255 + IKE_NONCE_MAX];
	size_t len;
	int rc;

	if (ike_redirect_answer(conn, m, data, sizeof(data), &len) == 0)
		return 0;
	rc = init_notify(ctx, m, from, to, IKE_N_REDIRECT, data, len);
	if (rc < 0)
		return rc;
	ctx->st.redirects++;
	IKE_LOG(ctx, INFO, "ike %016" PRIx64 ": IKE_SA_INIT on conn %s redirected to %s",
		m->hdr.spi_i, conn->cfg.name, conn->cfg.redirect_to);
	return 1;
}

static int
algs_from(const struct ike_proposal *p, struct ike_algs *a)
{
	memset(a, 0, sizeof(*a));
	if (ike_prop_xform(p, IKE_XF_ENCR, &a->encr, &a->encr_bits) < 0 ||
	    ike_prop_xform(p, IKE_XF_PRF, &a->prf, NULL) < 0 ||
	    ike_prop_xform(p, IKE_XF_DH, &a->dh, NULL) < 0)
		return -EINVAL;
	if (ike_prop_xform(p, IKE_XF_INTEG, &a->integ, NULL) < 0)
		a->integ = 0;
	if (a->encr_bits == 0)
		a->encr_bits = 128;
	return 0;
}

/* SKEYSEED and SK_* from g^ir (RFC 7296 2.14). */
static int
derive_keys_gir(struct ike_sa *sa, const uint8_t *gir, size_t gir_len)
{
	uint8_t spi_i[8], spi_r[8];
	int rc;

	put_be64(spi_i, sa->spi_i);
	put_be64(spi_r, sa->spi_r);
	rc = ike_kdf_ike_sa(sa->algs.prf, gir, gir_len, sa->ni, sa->ni_len, sa->nr, sa->nr_len,
			    spi_i, spi_r, sa->algs.encr, sa->algs.encr_bits, sa->algs.integ,
			    &sa->keys);
	if (rc == 0) {
		sa->have_keys = true;
		ike_sa_keys_report(sa);
	}
	return rc;
}

/* g^ir from our DH pair and the peer's KE data, then the keys. */
static int
derive_keys(struct ike_sa *sa, const uint8_t *peer_ke, size_t peer_len)
{
	uint8_t gir[IKE_DH_MAX_LEN];
	size_t gir_len;
	int rc;

	rc = ike_dh_shared(sa->dh, peer_ke, peer_len, gir, sizeof(gir), &gir_len);
	if (rc == 0)
		rc = derive_keys_gir(sa, gir, gir_len);
	OPENSSL_cleanse(gir, sizeof(gir));
	return rc;
}

static uint8_t *
dup_bytes(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	if (c != NULL)
		memcpy(c, p, n);
	return c;
}

/* The peer's KE group may be acceptable in the chosen proposal too (@ours is
 * our proposal that matched): take it instead of a round trip with
 * INVALID_KE_PAYLOAD (RFC 7296 1.2, 1.3). */
void
ike_prefer_ke_group(const struct ike_proposal *ours, const struct ike_msg *m,
		    struct ike_proposal *chosen)
{
	unsigned i, j;

	if (!ike_prop_has_dh(ours, m->ke.group))
		return;
	for (i = 0; i < m->sa.n_props; i++) {
		if (m->sa.props[i].num != chosen->num)
			continue;
		if (!ike_prop_has_dh(&m->sa.props[i], m->ke.group))
			return;
		for (j = 0; j < chosen->n_xforms; j++)
			if (chosen->xf[j].type == IKE_XF_DH)
				chosen->xf[j].id = m->ke.group;
		return;
	}
}

/* Keys, NAT detection and the IKE_SA_INIT response, once g^ir is known. */
static int
init_resp_finish(struct ike_sa *sa, const struct ike_msg *m, const uint8_t *pub, size_t pub_len,
		 const uint8_t *gir, size_t gir_len)
{
	struct ike_bld b;
	struct ike_pkts out = { .n = 0 };
	uint8_t *buf;
	size_t blen;
	int rc;

	rc = derive_keys_gir(sa, gir, gir_len);
	if (rc < 0)
		return rc;
	nat_detect(sa, m, 0, &sa->remote, &sa->local);
	sa->frag = ike_msg_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	peer_caps(sa, m);
	buf = malloc(4096);
	if (buf == NULL)
		return -ENOMEM;
	{
		struct ike_hdr h = {
			.spi_i = sa->spi_i,
			.spi_r = sa->spi_r,
			.exchange = IKE_XCHG_SA_INIT,
			.flags = IKE_FLAG_R,
			.msg_id = 0,
		};

		rc = ike_bld_init(&b, buf, 4096, &h);
	}
	if (rc == 0)
		rc = ike_bld_sa(&b, sa->chosen, 1);
	if (rc == 0)
		rc = ike_bld_ke(&b, sa->dh_group, pub, pub_len);
	if (rc == 0)
		rc = ike_bld_nonce(&b, sa->nr, sa->nr_len);
	if (rc == 0)
		rc = bld_natd(&b, sa);
	if (rc == 0)
		rc = bld_common_tail(&b, sa, sa->frag);
	if (rc == 0)
		rc = ike_bld_finish(&b, &blen);
	if (rc == 0) {
		sa->init_resp = dup_bytes(buf, blen);
		sa->init_resp_len = blen;
		if (sa->init_resp == NULL)
			rc = -ENOMEM;
	}
	if (rc < 0) {
		free(buf);
		return rc;
	}
	rc = ike_pkts_add(&out, buf, blen);
	free(buf);
	if (rc < 0)
		return rc;
	free(sa->chosen);
	sa->chosen = NULL;
	SA_LOG(sa, INFO, "IKE_SA_INIT answered: conn %s, encr %u/%u prf %u integ %u dh %u",
	       sa->conn->cfg.name, sa->algs.encr, sa->algs.encr_bits, sa->algs.prf,
	       sa->algs.integ, sa->algs.dh);
	ike_respond(sa, 0, &out);
	return 0;
}

int
ike_init_on_request(struct ike_ctx *ctx, const struct ike_msg *m,
		    const struct sockaddr_storage *from, const struct sockaddr_storage *to)
{
	struct ike_proposal chosen;
	struct ike_conn *conn;
	struct ike_sa *sa = NULL;
	struct ike_algs algs;
	uint8_t grp[2];
	unsigned our_idx = 0;
	int rc;

	conn = ike_conn_for(ctx, to, from);
	if (conn == NULL) {
		ctx->st.rx_dropped++;
		IKE_LOG(ctx, DEBUG, "ike %016" PRIx64 ": IKE_SA_INIT from a peer without a "
			"connection, dropped", m->hdr.spi_i);
		return -ENOENT;
	}
	if (m->err != NULL || !m->has_sa || !m->has_ke || !m->has_nonce ||
	    m->nonce.len < IKE_NONCE_MIN || m->nonce.len > IKE_NONCE_MAX) {
		ctx->st.rx_invalid++;
		IKE_LOG(ctx, DEBUG, "ike %016" PRIx64 ": IKE_SA_INIT request malformed (%s)",
			m->hdr.spi_i, m->err ? m->err : "SA, KE or Nonce missing or bad");
		if (m->unsupported_critical != 0)
			return init_notify(ctx, m, from, to, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
					   &m->unsupported_critical, 1);
		return init_notify(ctx, m, from, to, IKE_N_INVALID_SYNTAX, NULL, 0);
	}
	if (ctx->half_open_max != 0 && ctx->half_open >= ctx->half_open_max) {
		ctx->st.rx_dropped++;
		IKE_LOG(ctx, NOTICE, "ike %016" PRIx64 ": %u half-open IKE SAs (cap), "
			"IKE_SA_INIT dropped", m->hdr.spi_i, ctx->half_open);
		return -EBUSY;
	}
	if (ctx->cookie_threshold != 0 && ctx->half_open >= ctx->cookie_threshold &&
	    !cookie_ok(ctx, m, from)) {
		uint8_t ck[IKE_COOKIE_LEN];

		cookie_make(ctx->cookie_secret, ctx->cookie_ver, m, from, ck);
		ctx->st.cookies_sent++;
		return init_notify(ctx, m, from, to, IKE_N_COOKIE, ck, sizeof(ck));
	}
	rc = init_redirect(ctx, conn, m, from, to);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	/* after the cookie: a source that proved it receives our answers, still
	 * holding too many half-open SAs (RFC 7296 2.6 leaves it to us) */
	if (ike_src_half_open(ctx, from) >= ctx->half_open_per_src) {
		char a[64];

		ctx->st.half_open_src_refused++;
		IKE_LOG(ctx, DEBUG, "ike %016" PRIx64 ": %u half-open IKE SAs from %s (cap), "
			"IKE_SA_INIT dropped", m->hdr.spi_i, ctx->half_open_per_src,
			ike_addr_str(from, a, sizeof(a)));
		return -EBUSY;
	}
	rc = ike_prop_select(conn->ike_props, conn->n_ike_props, &m->sa, &chosen, &our_idx);
	if (rc < 0) {
		ctx->st.no_proposal++;
		IKE_LOG(ctx, INFO, "ike %016" PRIx64 ": no acceptable IKE proposal (%u offered)",
			m->hdr.spi_i, m->sa.n_props);
		return init_notify(ctx, m, from, to, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	}
	if (our_idx < conn->n_ike_props)
		ike_prefer_ke_group(&conn->ike_props[our_idx], m, &chosen);
	if (algs_from(&chosen, &algs) < 0 || !ike_dh_supported(algs.dh)) {
		ctx->st.no_proposal++;
		return init_notify(ctx, m, from, to, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	}
	if (m->ke.group != algs.dh) {
		IKE_LOG(ctx, INFO, "ike %016" PRIx64 ": KE group %u, we want %u", m->hdr.spi_i,
			m->ke.group, algs.dh);
		put_be16(grp, algs.dh);
		return init_notify(ctx, m, from, to, IKE_N_INVALID_KE_PAYLOAD, grp, 2);
	}
	if (ike_dh_check_peer(m->ke.group, m->ke.data.p, m->ke.data.len) < 0) {
		ctx->st.rx_invalid++;
		IKE_LOG(ctx, DEBUG, "ike %016" PRIx64 ": KE data invalid for group %u",
			m->hdr.spi_i, m->ke.group);
		return init_notify(ctx, m, from, to, IKE_N_INVALID_SYNTAX, NULL, 0);
	}
	rc = ike_sa_create(ctx, conn, false, &sa);
	if (rc < 0)
		return rc;
	sa->algs = algs;
	sa->spi_i = m->hdr.spi_i;
	sa->spi_r = ike_new_spi(ctx);
	sa->local = *to;
	sa->remote = *from;
	sa->dh_group = sa->algs.dh;
	ike_sa_hash_local(sa);
	ike_sa_hash_init(sa);
	sa->resp_low = 0;
	sa->ni_len = m->nonce.len;
	memcpy(sa->ni, m->nonce.p, m->nonce.len);
	sa->nr_len = IKE_NONCE_LEN;
	sa->init_req = dup_bytes(m->raw, m->raw_len);
	sa->init_req_len = m->raw_len;
	ike_req_hash_note(sa, m);	/* only this request gets the response again */
	sa->chosen = malloc(sizeof(*sa->chosen));
	if (sa->init_req == NULL || sa->chosen == NULL) {
		ike_sa_kill(sa, "out of memory");
		return -ENOMEM;
	}
	*sa->chosen = chosen;
	sa->chosen->spi_len = 0;
	rc = ike_rand_bytes(sa->nr, sa->nr_len);
	if (rc < 0) {
		ike_sa_kill(sa, "no randomness");
		return rc;
	}
	/* half-open from here: retransmissions find the SA and wait */
	ike_sa_set_state(sa, IKE_ST_INIT_RCVD);
	sa->expire_ms = ctx->now_ms + IKE_HALF_OPEN_TIMEOUT_MS;
	if (ctx->job_submit != NULL) {
		struct ike_job *job;

		rc = ike_job_dh_create(sa->dh_group, NULL, m->ke.data.p, m->ke.data.len, &job);
		if (rc < 0) {
			ike_sa_kill(sa, "cannot create DH job");
			return rc;
		}
		job->owner = ctx;
		job->sa_id = sa->id;
		job->tag = IKE_JT_INIT_DH;
		sa->job_pending = true;
		sa->job_msgid = 0;
		ctx->job_submit(ctx->job_user, job);
		return 0;
	}
	{
		uint8_t pub[IKE_DH_MAX_LEN], gir[IKE_DH_MAX_LEN];
		size_t pub_len = 0, gir_len = 0;

		rc = ike_dh_create(sa->dh_group, &sa->dh);
		if (rc == 0)
			rc = ike_dh_pub(sa->dh, pub, sizeof(pub), &pub_len);
		if (rc == 0)
			rc = ike_dh_shared(sa->dh, m->ke.data.p, m->ke.data.len, gir, sizeof(gir),
					   &gir_len);
		ike_dh_destroy(sa->dh);
		sa->dh = NULL;
		if (rc == 0)
			rc = init_resp_finish(sa, m, pub, pub_len, gir, gir_len);
		OPENSSL_cleanse(gir, sizeof(gir));
		if (rc < 0) {
			ike_sa_kill(sa, "key derivation failed");
			return init_notify(ctx, m, from, to, IKE_N_INVALID_SYNTAX, NULL, 0);
		}
	}
	return 0;
}

/* A DH job of a responder IKE_SA_INIT has run: answer now. */
void
ike_init_job_done(struct ike_sa *sa, struct ike_job *job)
{
	struct ike_msg *m;
	int rc = job->result;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		rc = -ENOMEM;
	if (rc == 0)
		rc = ike_msg_parse(sa->init_req, sa->init_req_len, m);
	if (rc == 0)
		rc = init_resp_finish(sa, m, job->u.dh.pub, job->u.dh.pub_len, job->u.dh.shared,
				      job->u.dh.shared_len);
	if (rc < 0) {
		sa->ctx->st.rx_invalid++;
		ike_sa_kill(sa, "IKE_SA_INIT: DH failed (bad KE data?)");
	}
	free(m);
}

int
ike_init_start(struct ike_sa *sa)
{
	struct ike_conn *conn = sa->conn;
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	struct ike_req *r;
	uint8_t pub[IKE_DH_MAX_LEN];
	size_t pub_len;
	unsigned i;
	int rc;

	if (sa->spi_i == 0) {
		sa->spi_i = ike_new_spi(sa->ctx);
		ike_sa_hash_local(sa);
	}
	if (sa->dh_group == 0 &&
	    ike_prop_xform(&conn->ike_props[0], IKE_XF_DH, &sa->dh_group, NULL) < 0)
		return -EINVAL;
	if (sa->dh != NULL && ike_dh_group(sa->dh) != sa->dh_group) {
		ike_dh_destroy(sa->dh);
		sa->dh = NULL;
	}
	rc = 0;
	if (sa->dh == NULL)
		rc = ike_dh_create(sa->dh_group, &sa->dh);
	if (rc == 0)
		rc = ike_dh_pub(sa->dh, pub, sizeof(pub), &pub_len);
	if (rc < 0)
		return rc;
	if (sa->ni_len == 0) {
		sa->ni_len = IKE_NONCE_LEN;
		rc = ike_rand_bytes(sa->ni, sa->ni_len);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < IKE_WINDOW_MAX; i++)
		ike_req_release(&sa->reqs[i]);
	sa->req_next = 0;
	r = ike_req_alloc(sa, IKE_REQ_SA_INIT);
	if (r == NULL)
		return -EAGAIN;
	r->xchg = IKE_XCHG_SA_INIT;
	rc = ike_txm_begin(&t, sa, IKE_XCHG_SA_INIT, false, 0);
	if (rc == 0 && sa->cookie != NULL)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_COOKIE, sa->cookie,
				    sa->cookie_len);
	if (rc == 0)
		rc = ike_bld_sa(&t.b, conn->ike_props, conn->n_ike_props);
	if (rc == 0)
		rc = ike_bld_ke(&t.b, sa->dh_group, pub, pub_len);
	if (rc == 0)
		rc = ike_bld_nonce(&t.b, sa->ni, sa->ni_len);
	if (rc == 0)
		rc = bld_natd(&t.b, sa);
	if (rc == 0)
		rc = bld_common_tail(&t.b, sa, true);
	if (rc == 0)
		rc = ike_redirect_caps_bld(&t.b, sa);
	if (rc < 0) {
		ike_txm_abort(&t);
		ike_req_release(r);
		return rc;
	}
	rc = ike_txm_plain(&t, &out);
	if (rc < 0) {
		ike_req_release(r);
		return rc;
	}
	free(sa->init_req);
	sa->init_req = dup_bytes(out.v[0].buf, out.v[0].len);
	sa->init_req_len = out.v[0].len;
	if (sa->init_req == NULL) {
		ike_pkts_free(&out);
		ike_req_release(r);
		return -ENOMEM;
	}
	r->xchg = IKE_XCHG_SA_INIT;
	if (sa->state == IKE_ST_IDLE)
		ike_sa_set_state(sa, IKE_ST_INIT_SENT);
	SA_LOG(sa, INFO, "IKE_SA_INIT sent: conn %s, dh %u%s", conn->cfg.name, sa->dh_group,
	       sa->cookie ? ", with cookie" : "");
	return ike_request_send(sa, r, &out);
}

static bool
we_offer_group(const struct ike_conn *conn, uint16_t g)
{
	unsigned i;

	for (i = 0; i < conn->n_ike_props; i++)
		if (ike_prop_has_dh(&conn->ike_props[i], g))
			return true;
	return false;
}

int
ike_init_on_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r)
{
	struct ike_conn *conn = sa->conn;
	const struct ike_notify *n;
	struct ike_proposal chosen;
	int rc;

	if (sa->state != IKE_ST_INIT_SENT)
		return -EPROTO;
	n = ike_msg_notify(m, IKE_N_COOKIE);
	if (n != NULL) {
		if (++sa->init_retries > MAX_INIT_RETRIES || n->data.len == 0 ||
		    n->data.len > IKE_COOKIE_MAX) {
			ike_sa_kill(sa, "too many COOKIE rounds");
			return -EPROTO;
		}
		free(sa->cookie);
		sa->cookie = dup_bytes(n->data.p, n->data.len);
		sa->cookie_len = sa->cookie ? n->data.len : 0;
		SA_LOG(sa, INFO, "responder wants a cookie: IKE_SA_INIT again");
		return ike_init_start(sa);
	}
	n = ike_msg_notify(m, IKE_N_INVALID_KE_PAYLOAD);
	if (n != NULL) {
		uint16_t g = n->data.len == 2 ? net_rd16(n->data.p) : 0;

		if (++sa->init_retries > MAX_INIT_RETRIES || g == sa->dh_group ||
		    !we_offer_group(conn, g)) {
			ike_sa_kill(sa, "INVALID_KE_PAYLOAD for a group we do not offer");
			return -EPROTO;
		}
		SA_LOG(sa, INFO, "INVALID_KE_PAYLOAD: retry with group %u (was %u)", g,
		       sa->dh_group);
		sa->dh_group = g;
		ike_dh_destroy(sa->dh);
		sa->dh = NULL;
		return ike_init_start(sa);
	}
	n = ike_msg_notify(m, IKE_N_REDIRECT);
	if (n != NULL)
		return ike_redirect_follow(sa, n);
	n = ike_msg_error_notify(m);
	if (n != NULL) {
		if (n->type == IKE_N_NO_PROPOSAL_CHOSEN)
			sa->ctx->st.no_proposal++;
		SA_LOG(sa, NOTICE, "IKE_SA_INIT refused: %s", ike_notify_name(n->type));
		ike_sa_kill(sa, ike_notify_name(n->type));
		return -EPROTO;
	}
	if (!m->has_sa || !m->has_ke || !m->has_nonce || m->hdr.spi_r == 0 ||
	    m->nonce.len < IKE_NONCE_MIN || m->nonce.len > IKE_NONCE_MAX) {
		sa->ctx->st.rx_invalid++;
		ike_sa_kill(sa, "IKE_SA_INIT response without SA, KE, Nonce or SPI");
		return -EBADMSG;
	}
	rc = ike_prop_check_reply(conn->ike_props, conn->n_ike_props, &m->sa, &chosen);
	if (rc < 0 || algs_from(&chosen, &sa->algs) < 0 || sa->algs.dh != sa->dh_group ||
	    m->ke.group != sa->dh_group) {
		sa->ctx->st.rx_invalid++;
		ike_sa_kill(sa, "IKE_SA_INIT response: proposal or KE not what we offered");
		return -EBADMSG;
	}
	sa->spi_r = m->hdr.spi_r;
	sa->nr_len = m->nonce.len;
	memcpy(sa->nr, m->nonce.p, m->nonce.len);
	rc = derive_keys(sa, m->ke.data.p, m->ke.data.len);
	if (rc < 0) {
		sa->ctx->st.rx_invalid++;
		ike_sa_kill(sa, "IKE_SA_INIT response: bad KE data");
		return rc;
	}
	ike_dh_destroy(sa->dh);
	sa->dh = NULL;
	free(sa->init_resp);
	sa->init_resp = dup_bytes(m->raw, m->raw_len);
	sa->init_resp_len = m->raw_len;
	if (sa->init_resp == NULL) {
		ike_sa_kill(sa, "out of memory");
		return -ENOMEM;
	}
	nat_detect(sa, m, m->hdr.spi_r, &sa->remote, &sa->local);
	sa->frag = ike_msg_notify(m, IKE_N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;
	peer_caps(sa, m);
	ike_req_release(r);
	/* RFC 7296 2.23: with a NAT on either side, continue on port 4500 */
	if ((sa->nat_local || sa->nat_remote) && ike_port(&sa->remote) == 500) {
		ike_set_port(&sa->local, NATT_PORT);
		ike_set_port(&sa->remote, NATT_PORT);
		sa->natt = true;
	}
	SA_LOG(sa, INFO, "IKE_SA_INIT done: encr %u/%u prf %u integ %u dh %u", sa->algs.encr,
	       sa->algs.encr_bits, sa->algs.prf, sa->algs.integ, sa->algs.dh);
	rc = ike_auth_start(sa);
	if (rc < 0)
		ike_sa_kill(sa, "cannot start IKE_AUTH");
	return rc;
}
