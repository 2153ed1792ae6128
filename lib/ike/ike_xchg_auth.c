/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE_AUTH (RFC 7296 1.2, 2.15): identities, AUTH with a PSK or an X.509
 * signature (RFC 7427), the first child SA with traffic-selector narrowing
 * (2.9), virtual IPs through the CP payload (3.15), INITIAL_CONTACT,
 * SET_WINDOW_SIZE (2.3) and MOBIKE_SUPPORTED (RFC 4555 3.2, both roles).
 * RFC 4739 multiple authentication: the rounds a connection requires are
 * checked against ANOTHER_AUTH_FOLLOWS before any AUTH is verified; a
 * second (EAP) round continues in ike_eap.c and the child SA comes only
 * after the last round.
 *
 * Initiator: ike_auth_start, ike_auth_on_response. Responder:
 * ike_auth_on_request. Also the child-SA helpers that CREATE_CHILD_SA shares
 * (algorithms, KEYMAT, our ESP offer, selector choice). Never logs AUTH data,
 * keys or the PSK.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/evp.h>

#include "ike/ike_priv.h"

void
ike_esp_offer(const struct ike_sa *sa, bool with_dh, uint32_t spi, struct ike_proposal *out,
	      unsigned *n)
{
	const struct ike_conn *conn = sa->conn;
	unsigned i;

	for (i = 0; i < conn->n_esp_props; i++) {
		out[i] = conn->esp_props[i];
		out[i].num = (uint8_t)(i + 1);
		out[i].proto = IKE_PROTO_ESP;
		ike_prop_set_spi32(&out[i], spi);
		if (!with_dh)
			ike_prop_strip_dh(&out[i]);
	}
	*n = conn->n_esp_props;
}

void
ike_esp_offer_nospi(const struct ike_sa *sa, bool with_dh, struct ike_proposal *out,
		    unsigned *n)
{
	unsigned i;

	ike_esp_offer(sa, with_dh, 0, out, n);
	for (i = 0; i < *n; i++)
		out[i].spi_len = 0;
}

int
ike_child_algs(const struct ike_proposal *p, struct ike_algs *a)
{
	uint16_t esn = 0;

	memset(a, 0, sizeof(*a));
	if (ike_prop_xform(p, IKE_XF_ENCR, &a->encr, &a->encr_bits) < 0)
		return -EINVAL;
	if (ike_prop_xform(p, IKE_XF_INTEG, &a->integ, NULL) < 0)
		a->integ = 0;
	if (ike_prop_xform(p, IKE_XF_ESN, &esn, NULL) == 0)
		a->esn = esn == IKE_ESN_YES;
	if (ike_prop_xform(p, IKE_XF_DH, &a->dh, NULL) < 0)
		a->dh = 0;
	if (a->encr_bits == 0)
		a->encr_bits = 128;
	if (p->spi_len != 4)
		return -EINVAL;
	return 0;
}

int
ike_child_keys_make(struct ike_sa *sa, struct ike_child *c, const uint8_t *gir, size_t gir_len,
		    const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len)
{
	size_t ek = ike_encr_key_len(c->algs.encr, c->algs.encr_bits);
	size_t ik = c->algs.integ ? ike_integ_key_len(c->algs.integ) : 0;

	if (ek == 0 || (c->algs.integ != 0 && ik == 0))
		return -EINVAL;
	return ike_kdf_child_keys(sa->algs.prf, sa->keys.sk_d, sa->keys.prf_len, gir, gir_len, ni,
				  ni_len, nr, nr_len, ek, ik, &c->keys);
}

static unsigned
conf_or_any(const struct ike_ts *conf, unsigned n, const struct ike_ts *prop, unsigned n_prop,
	    struct ike_ts *out)
{
	unsigned i;

	if (n > 0) {
		memcpy(out, conf, n * sizeof(*conf));
		return n;
	}
	for (i = 0; i < n_prop && i < IKE_MAX_TS; i++)
		out[i] = prop[i];
	return i;
}

/* Responder: narrow the peer's TSi/TSr to our policy (RFC 7296 2.9); with a
 * virtual IP, the peer side is exactly the lease. */
int
ike_ts_select(struct ike_sa *sa, const struct ike_msg *m, struct ike_child *c)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ike_ts rconf[IKE_MAX_TS], lconf[IKE_MAX_TS];
	unsigned nr, nl;

	if (sa->lease != NULL) {
		uint8_t af, addr[16];

		ike_lease_addr(sa->lease, &af, addr);
		ike_ts_host(&rconf[0], af, addr);
		nr = 1;
	} else if (!sa->initiator && sa->vip_af != 0) {
		ike_ts_host(&rconf[0], sa->vip_af, sa->vip);
		nr = 1;
	} else {
		nr = conf_or_any(cfg->remote_ts, cfg->n_remote_ts, m->tsi.ts, m->tsi.n_ts, rconf);
	}
	nl = conf_or_any(cfg->local_ts, cfg->n_local_ts, m->tsr.ts, m->tsr.n_ts, lconf);
	c->n_ts_r = ike_ts_narrow(m->tsi.ts, m->tsi.n_ts, rconf, nr, c->ts_r, IKE_MAX_TS);
	c->n_ts_l = ike_ts_narrow(m->tsr.ts, m->tsr.n_ts, lconf, nl, c->ts_l, IKE_MAX_TS);
	if (c->n_ts_r == 0 || c->n_ts_l == 0) {
		char a[96], b[96];

		SA_LOG(sa, INFO, "traffic selectors unacceptable: TSi %s (%u) TSr %s (%u)",
		       m->tsi.n_ts ? ike_ts_str(&m->tsi.ts[0], a, sizeof(a)) : "-", m->tsi.n_ts,
		       m->tsr.n_ts ? ike_ts_str(&m->tsr.ts[0], b, sizeof(b)) : "-", m->tsr.n_ts);
		return -ENOENT;
	}
	return 0;
}

int
ike_auth_signed_octets(struct ike_sa *sa, bool of_initiator, const uint8_t *id_body,
		       size_t id_len, uint8_t **oct, size_t *oct_len)
{
	/* RFC 7296 2.15: initiator signs its IKE_SA_INIT request | Nr | prf(SK_pi, IDi);
	 * the responder its response | Ni | prf(SK_pr, IDr). */
	if (of_initiator)
		return ike_auth_octets(sa->algs.prf, sa->keys.sk_pi, sa->keys.prf_len, sa->init_req,
				       sa->init_req_len, sa->nr, sa->nr_len, id_body, id_len, oct,
				       oct_len);
	return ike_auth_octets(sa->algs.prf, sa->keys.sk_pr, sa->keys.prf_len, sa->init_resp,
			       sa->init_resp_len, sa->ni, sa->ni_len, id_body, id_len, oct,
			       oct_len);
}

int
ike_auth_verify(struct ike_sa *sa, const struct ike_msg *m, const struct ike_id_pld *id)
{
	const struct ike_conn *conn = sa->conn;
	uint8_t *oct = NULL;
	size_t oct_len = 0;
	X509 *x = NULL;
	EVP_PKEY *pub = NULL;
	int rc;

	rc = ike_auth_signed_octets(sa, !sa->initiator, id->body.p, id->body.len, &oct, &oct_len);
	if (rc < 0)
		return rc;
	if (conn->cfg.remote_auth != IKE_AUTHM_PUBKEY) {
		if (m->auth.method != IKE_AUTH_PSK) {
			rc = -EACCES;
			goto out;
		}
		rc = ike_auth_psk_verify(sa->algs.prf, conn->cfg.psk, conn->cfg.psk_len, oct,
					 oct_len, m->auth.data.p, m->auth.data.len);
		goto out;
	}
	if (m->auth.method == IKE_AUTH_PSK || m->n_certs == 0 || conn->ca == NULL ||
	    m->certs[0].encoding != IKE_CERT_X509_SIG) {
		rc = -EACCES;
		goto out;
	}
	{
		/* further CERT payloads are intermediate CAs of the chain */
		struct ike_cbuf extra[IKE_MAX_CERTS];
		unsigned i, n = 0;

		for (i = 1; i < m->n_certs; i++) {
			if (m->certs[i].encoding != IKE_CERT_X509_SIG)
				continue;
			extra[n].ptr = m->certs[i].data.p;
			extra[n].len = m->certs[i].data.len;
			n++;
		}
		rc = ike_cert_verify_chain(conn->ca, m->certs[0].data.p, m->certs[0].data.len,
					   extra, n, &x);
	}
	if (rc == 0)
		rc = ike_cert_match_id(x, &id->id);
	if (rc == 0)
		rc = ike_cert_pubkey(x, &pub);
	if (rc == 0)
		rc = ike_sig_verify(pub, m->auth.method, m->auth.data.p, m->auth.data.len, oct,
				    oct_len);
out:
	EVP_PKEY_free(pub);
	X509_free(x);
	if (oct != NULL) {
		OPENSSL_cleanse(oct, oct_len);
		free(oct);
	}
	return rc;
}

int
ike_auth_our_octets(struct ike_sa *sa, uint8_t **oct, size_t *oct_len)
{
	uint8_t body[IKE_MAX_ID_LEN + 8];
	struct ike_id id;
	size_t blen;
	int rc;

	ike_id_local(sa, &id);
	rc = ike_id_body(&id, body, sizeof(body), &blen);
	if (rc == 0)
		rc = ike_auth_signed_octets(sa, sa->initiator, body, blen, oct, oct_len);
	return rc;
}

void
ike_auth_octets_free(uint8_t *oct, size_t len)
{
	if (oct != NULL) {
		OPENSSL_cleanse(oct, len);
		free(oct);
	}
}

/* Inline: PSK MAC or signature over our octets. */
static int
our_auth_compute(struct ike_sa *sa, struct ike_our_auth *a)
{
	const struct ike_conn *conn = sa->conn;
	uint8_t *oct = NULL, hash;
	size_t oct_len = 0;
	int rc;

	rc = ike_auth_our_octets(sa, &oct, &oct_len);
	if (rc < 0)
		return rc;
	if (conn->cfg.auth == IKE_AUTHM_PUBKEY) {
		rc = ike_sig_choose(conn->key, sa->peer_sighash ? sa->peer_hashes : 0, &a->method,
				    &hash);
		if (rc == 0)
			rc = ike_sig_sign(conn->key, a->method, hash, oct, oct_len, a->data,
					  sizeof(a->data), &a->len);
	} else {
		a->method = IKE_AUTH_PSK;
		a->len = sa->keys.prf_len;
		rc = ike_auth_psk(sa->algs.prf, conn->cfg.psk, conn->cfg.psk_len, oct, oct_len,
				  a->data);
	}
	ike_auth_octets_free(oct, oct_len);
	return rc;
}

/* ID (and CERT, CERTREQ, INITIAL_CONTACT, IDr) and our AUTH payload. */
static int
bld_id_auth(struct ike_sa *sa, struct ike_bld *b, bool with_certreq, bool with_ic,
	    const struct ike_id *idr, const struct ike_our_auth *a)
{
	const struct ike_conn *conn = sa->conn;
	struct ike_id id;
	int rc;

	ike_id_local(sa, &id);
	rc = ike_bld_id(b, sa->initiator ? IKE_PLD_IDI : IKE_PLD_IDR, &id);
	if (rc == 0 && conn->cfg.auth == IKE_AUTHM_PUBKEY) {
		unsigned i;

		rc = ike_bld_cert(b, IKE_CERT_X509_SIG, conn->cert_der, conn->cert_der_len);
		for (i = 0; rc == 0 && i < conn->n_chain; i++)
			rc = ike_bld_cert(b, IKE_CERT_X509_SIG, conn->chain_der[i],
					  conn->chain_len[i]);
	}
	if (rc == 0 && with_certreq && conn->ca != NULL) {
		uint8_t cr[IKE_CERTREQ_MAX_CAS * 20];
		size_t crl;

		rc = ike_certreq_build(conn->ca, cr, sizeof(cr), &crl);
		if (rc == 0 && crl > 0)
			rc = ike_bld_certreq(b, IKE_CERT_X509_SIG, cr, crl);
	}
	if (rc == 0 && with_ic)
		rc = ike_bld_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_INITIAL_CONTACT, NULL, 0);
	if (rc == 0 && idr != NULL)
		rc = ike_bld_id(b, IKE_PLD_IDR, idr);
	if (rc == 0 && a != NULL)	/* NULL: an EAP initiator (RFC 7296 2.16) */
		rc = ike_bld_auth(b, a->method, a->data, a->len);
	return rc;
}

static int
bld_window(struct ike_sa *sa, struct ike_bld *b)
{
	uint16_t w = sa->ctx->window_size;
	uint8_t d[4];

	if (w <= 1)
		return 0;
	put_be32(d, w);
	return ike_bld_notify(b, IKE_PROTO_NONE, NULL, 0, IKE_N_SET_WINDOW_SIZE, d, 4);
}

static void
peer_window(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_notify *n = ike_msg_notify(m, IKE_N_SET_WINDOW_SIZE);

	if (n != NULL && n->data.len == 4) {
		uint32_t w = net_rd32(n->data.p);

		sa->peer_window = (uint16_t)(w == 0 ? 1 : (w > IKE_WINDOW_MAX ? IKE_WINDOW_MAX : w));
	}
}

/* RFC 7296 2.4: INITIAL_CONTACT removes the other IKE SAs of this identity. */
static void
initial_contact(struct ike_sa *sa)
{
	uint64_t key = ike_peer_id_key(sa->conn, &sa->remote_id);
	struct ike_hnode *n;

	/* the SAs of this connection and identity only, not a walk of all */
	for (n = ike_htab_find(&sa->ctx->by_peer_id, key); n != NULL; n = ike_htab_next(n, key)) {
		struct ike_sa *o = IKE_CONTAINER(n, struct ike_sa, h_peer_id);

		if (o == sa || o->state == IKE_ST_DEAD || o->established_ms == 0 ||
		    o->conn != sa->conn || o->remote_id.type != sa->remote_id.type ||
		    o->remote_id.len != sa->remote_id.len ||
		    memcmp(o->remote_id.data, sa->remote_id.data, o->remote_id.len) != 0)
			continue;
		ike_sa_kill(o, "INITIAL_CONTACT from the same identity");
	}
}

static void
set_rekey_timer(struct ike_sa *sa)
{
	uint64_t life = (uint64_t)sa->conn->cfg.ike_lifetime_s * 1000;

	/* the responder waits 10% longer so the two sides rarely collide */
	if (life != 0)
		sa->rekey_ms = sa->ctx->now_ms + (sa->initiator ? life : life + life / 10);
}

/* CP request of a remote-access client: lease an address from the pool. */
static int
cp_lease(struct ike_sa *sa, const struct ike_msg *m, struct ike_cp_attr *attrs, unsigned *n)
{
	const struct ike_pool_cfg *pc;
	uint8_t af, addr[16];
	bool want4 = false, want6 = false;
	unsigned i;
	int rc;

	*n = 0;
	if (!m->has_cp || m->cp.cfg_type != IKE_CFG_REQUEST)
		return 0;
	for (i = 0; i < m->cp.n_attrs; i++) {
		want4 |= m->cp.attrs[i].type == IKE_CP_INTERNAL_IP4_ADDRESS;
		want6 |= m->cp.attrs[i].type == IKE_CP_INTERNAL_IP6_ADDRESS;
	}
	pc = &sa->conn->cfg.pool;
	/* an address from the EAP back end (RADIUS) overrides the pool */
	if (sa->eap != NULL && sa->eap->vip_af != 0 && sa->lease == NULL &&
	    ((sa->eap->vip_af == 4 && want4) || (sa->eap->vip_af == 6 && want6))) {
		sa->vip_af = sa->eap->vip_af;
		memcpy(sa->vip, sa->eap->vip, 16);
	}
	if (sa->vip_af != 0) {
		af = sa->vip_af;
		memcpy(addr, sa->vip, 16);
		goto give;
	}
	if (sa->conn->pool == NULL)
		return 0;
	if (!((pc->af == 4 && want4) || (pc->af == 6 && want6)))
		return 0;
	if (sa->lease == NULL) {
		rc = ike_pool_acquire(sa->conn->pool, &sa->remote_id, &sa->lease);
		if (rc < 0)
			return rc;
	}
	ike_lease_addr(sa->lease, &af, addr);
give:
	if (af == 4) {
		attrs[*n].type = IKE_CP_INTERNAL_IP4_ADDRESS;
		attrs[*n].len = 4;
		memcpy(attrs[*n].val, addr, 4);
	} else {
		attrs[*n].type = IKE_CP_INTERNAL_IP6_ADDRESS;
		attrs[*n].len = 17;
		memcpy(attrs[*n].val, addr, 16);
		attrs[*n].val[16] = 128;
	}
	(*n)++;
	for (i = 0; i < pc->n_dns && i < IKE_MAX_DNS && *n < IKE_MAX_CP_ATTRS; i++) {
		if (pc->dns_af[i] == 4) {
			attrs[*n].type = IKE_CP_INTERNAL_IP4_DNS;
			attrs[*n].len = 4;
			memcpy(attrs[*n].val, pc->dns[i], 4);
		} else {
			attrs[*n].type = IKE_CP_INTERNAL_IP6_DNS;
			attrs[*n].len = 16;
			memcpy(attrs[*n].val, pc->dns[i], 16);
		}
		(*n)++;
	}
	{
		char s[INET6_ADDRSTRLEN];

		inet_ntop(af == 4 ? AF_INET : AF_INET6, addr, s, sizeof(s));
		SA_LOG(sa, INFO, "virtual IP %s %s", s, sa->lease != NULL ? "leased" :
		       "assigned by the EAP back end");
	}
	return 0;
}

/*
 * IKE_SA_INIT picked the first connection for the addresses; the identity in
 * IKE_AUTH may select a better one: a connection naming exactly this remote
 * identity wins over one accepting any; the current one wins ties.
 */
static struct ike_conn *
conn_for_identity(struct ike_sa *sa, const struct ike_id *id)
{
	struct ike_ctx *ctx = sa->ctx;
	struct ike_conn *any = NULL;
	unsigned i;

	if (sa->conn->cfg.remote_id.type != IKE_ID_ANY && ike_id_match(&sa->conn->cfg.remote_id, id))
		return sa->conn;
	for (i = 0; i < ctx->n_conns; i++) {
		struct ike_conn *c = ctx->conns[i];

		if (c == sa->conn || !ike_conn_matches(c, &sa->local, &sa->remote) ||
		    !ike_id_match(&c->cfg.remote_id, id))
			continue;
		if (c->cfg.remote_id.type != IKE_ID_ANY)
			return c;
		if (any == NULL)
			any = c;
	}
	if (sa->conn->cfg.remote_id.type == IKE_ID_ANY)
		return sa->conn;
	return any;
}

void
ike_auth_failed(struct ike_sa *sa, const struct ike_msg *m, const char *why)
{
	char ids[128];

	sa->ctx->st.auth_failed++;
	SA_LOG(sa, NOTICE, "authentication of %s failed: %s",
	       m->has_idi ? ike_id_str(&m->idi.id, ids, sizeof(ids)) : "-", why);
	ike_respond_notify(sa, m, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	ike_sa_kill(sa, "authentication failed");
}

/* ---- suspended requests (job interface) ---- */

static int
susp_save(struct ike_sa *sa, const struct ike_msg *m)
{
	if (sa->susp_inner == NULL) {
		sa->susp_inner = malloc(sa->rx_inner_len ? sa->rx_inner_len : 1);
		if (sa->susp_inner == NULL)
			return -ENOMEM;
		memcpy(sa->susp_inner, sa->rx_inner, sa->rx_inner_len);
		sa->susp_len = sa->rx_inner_len;
		sa->susp_first = sa->rx_first;
		sa->susp_hdr = m->hdr;
	}
	sa->job_pending = true;
	sa->job_msgid = m->hdr.msg_id;
	return 0;
}

static void
susp_free(struct ike_sa *sa)
{
	if (sa->susp_inner != NULL) {
		OPENSSL_cleanse(sa->susp_inner, sa->susp_len);
		free(sa->susp_inner);
	}
	sa->susp_inner = NULL;
	sa->susp_len = 0;
}

/* Park @m (susp_save) and hand @job, tagged @tag, to the job runner. If @rc
 * (the job's creation) or the parking failed: the job is destroyed and the
 * error returned. */
static int
submit(struct ike_sa *sa, const struct ike_msg *m, int rc, struct ike_job *job, uint32_t tag)
{
	if (rc == 0)
		rc = susp_save(sa, m);
	if (rc < 0) {
		ike_job_destroy(job);
		return rc;
	}
	job->owner = sa->ctx;
	job->sa_id = sa->id;
	job->tag = tag;
	sa->ctx->job_submit(sa->ctx->job_user, job);
	return 0;
}

/* The child SA, CP and the IKE_AUTH response, once both AUTHs are done. */
int
ike_auth_respond(struct ike_sa *sa, const struct ike_msg *m, const struct ike_our_auth *oa,
		 bool eap_final)
{
	struct ike_conn *conn = sa->conn;
	struct ike_cp_attr cpa[IKE_MAX_CP_ATTRS];
	struct ike_proposal offer[IKE_MAX_PROPOSALS], chosen;
	struct ike_child *c = NULL;
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	uint8_t redir[2 + 255];
	size_t redir_len = 0;
	uint16_t child_err = 0;
	unsigned n_cpa = 0, n_offer;
	int rc, redirect;

	/* RFC 5685 6: authenticated, then sent elsewhere: no child, no lease */
	redirect = ike_redirect_auth_answer(sa, redir, sizeof(redir), &redir_len);
	/* the first child SA: virtual IP, proposal, selectors */
	if (redirect) {
		child_err = 0;
	} else if (!m->has_sa || !m->has_tsi || !m->has_tsr) {
		child_err = m->has_sa ? IKE_N_TS_UNACCEPTABLE : 0;
	} else if (cp_lease(sa, m, cpa, &n_cpa) < 0) {
		SA_LOG(sa, NOTICE, "virtual IP pool of %s exhausted", conn->cfg.name);
		child_err = IKE_N_INTERNAL_ADDRESS_FAILURE;
	} else {
		ike_esp_offer_nospi(sa, false, offer, &n_offer);
		rc = ike_prop_select(offer, n_offer, &m->sa, &chosen, NULL);
		if (rc < 0) {
			sa->ctx->st.no_proposal++;
			SA_LOG(sa, INFO, "no acceptable ESP proposal (%u offered)", m->sa.n_props);
			child_err = IKE_N_NO_PROPOSAL_CHOSEN;
		} else {
			c = ike_child_new(sa);
			if (c == NULL)
				return -ENOMEM;
			if (ike_child_algs(&chosen, &c->algs) < 0) {
				child_err = IKE_N_NO_PROPOSAL_CHOSEN;
			} else if (ike_ts_select(sa, m, c) < 0) {
				child_err = IKE_N_TS_UNACCEPTABLE;
			} else {
				c->spi_out = ike_prop_spi32(&chosen);
				c->spi_in = ike_alloc_spi_in(sa->ctx);
				if (c->spi_in == 0 ||
				    ike_child_keys_make(sa, c, NULL, 0, sa->ni, sa->ni_len, sa->nr,
							sa->nr_len) < 0)
					child_err = IKE_N_NO_ADDITIONAL_SAS;
			}
			if (child_err != 0) {
				ike_child_free(c);
				c = NULL;
			}
		}
	}
	if (ike_msg_notify(m, IKE_N_INITIAL_CONTACT) != NULL)
		initial_contact(sa);
	/* RFC 4555 3.2: MOBIKE when both announce it */
	sa->mobike = !conn->cfg.no_mobike && !redirect &&
		     ike_msg_notify(m, IKE_N_MOBIKE_SUPPORTED) != NULL;

	rc = ike_txm_begin(&t, sa, IKE_XCHG_AUTH, true, m->hdr.msg_id);
	/* RFC 7296 2.16: the last message of an EAP exchange carries AUTH only */
	if (rc == 0 && eap_final)
		rc = ike_bld_auth(&t.b, oa->method, oa->data, oa->len);
	else if (rc == 0)
		rc = bld_id_auth(sa, &t.b, false, false, NULL, oa);
	if (rc == 0 && n_cpa > 0)
		rc = ike_bld_cp(&t.b, IKE_CFG_REPLY, cpa, n_cpa);
	if (rc == 0 && c != NULL) {
		ike_prop_set_spi32(&chosen, c->spi_in);
		rc = ike_bld_sa(&t.b, &chosen, 1);
		if (rc == 0)
			rc = ike_bld_ts(&t.b, IKE_PLD_TSI, c->ts_r, c->n_ts_r);
		if (rc == 0)
			rc = ike_bld_ts(&t.b, IKE_PLD_TSR, c->ts_l, c->n_ts_l);
	} else if (rc == 0 && child_err != 0) {
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, child_err, NULL, 0);
	}
	if (rc == 0 && redirect)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_REDIRECT, redir, redir_len);
	if (rc == 0)
		rc = bld_window(sa, &t.b);
	if (rc == 0 && sa->mobike)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_MOBIKE_SUPPORTED, NULL, 0);
	rc = ike_txm_finish(&t, rc, &out);
	if (rc < 0)
		goto fail;
	ike_sa_set_state(sa, IKE_ST_ESTABLISHED);
	set_rekey_timer(sa);
	if (redirect) {
		/* the peer deletes this SA and goes to the new gateway; if it
		 * does not within the grace, the SA times out here */
		sa->ctx->st.redirects++;
		sa->rekey_ms = 0;
		sa->expire_ms = sa->ctx->now_ms + IKE_REDIRECT_AUTH_GRACE_MS;
		SA_LOG(sa, NOTICE, "IKE_AUTH: authenticated, redirected to %s",
		       conn->cfg.redirect_to);
	}
	if (c != NULL)
		ike_child_up(c);
	else if (child_err != 0)
		SA_LOG(sa, NOTICE, "IKE SA up without child SA: %s", ike_notify_name(child_err));
	return ike_respond(sa, m->hdr.msg_id, &out);
fail:
	ike_pkts_free(&out);
	if (c != NULL)
		ike_child_free(c);
	SA_LOG(sa, ERR, "cannot build IKE_AUTH response: %s", ike_strerror(rc));
	ike_respond_notify(sa, m, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	ike_sa_kill(sa, "IKE_AUTH response failed");
	return rc;
}

/*
 * The responder's answer before an EAP exchange or a further round: IDr,
 * CERT and AUTH, then the EAP-Request/Identity (RFC 7296 2.16) or, when
 * another round follows (@round1, RFC 4739 2), nothing more: the child SA,
 * CP and notifies come with the last round's answer.
 */
static int
id_auth_respond(struct ike_sa *sa, const struct ike_msg *m, const struct ike_our_auth *oa,
		bool round1)
{
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	int rc;

	rc = ike_txm_begin(&t, sa, IKE_XCHG_AUTH, true, m->hdr.msg_id);
	if (rc == 0)
		rc = bld_id_auth(sa, &t.b, false, false, NULL, oa);
	if (rc == 0 && !round1)
		rc = ike_eap_bld_identity(sa, &t.b);
	rc = ike_txm_finish(&t, rc, &out);
	if (rc < 0) {
		ike_pkts_free(&out);
		SA_LOG(sa, ERR, "cannot build the %s response: %s",
		       round1 ? "round 1" : "first EAP", ike_strerror(rc));
		ike_respond_notify(sa, m, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		ike_sa_kill(sa, "IKE_AUTH response failed");
		return rc;
	}
	if (round1)
		sa->eap->phase = IKE_EAP_PH_NEXT_ID;
	return ike_respond(sa, m->hdr.msg_id, &out);
}

static int
respond_next(struct ike_sa *sa, const struct ike_msg *m, const struct ike_our_auth *oa)
{
	if (sa->eap != NULL)
		return id_auth_respond(sa, m, oa, sa->eap->phase == IKE_EAP_PH_ROUND1);
	return ike_auth_respond(sa, m, oa, false);
}

/* The peer is authenticated: our AUTH next (inline, or a sign job). */
static int
auth_verified(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_conn *conn = sa->conn;
	struct ike_our_auth *oa;
	char ids[128];
	int rc;

	sa->remote_id = m->idi.id;
	peer_window(sa, m);
	if (sa->eap != NULL && sa->eap->phase == IKE_EAP_PH_ROUND1)
		SA_LOG(sa, INFO, "round 1 of 2 (RFC 4739): peer authenticated as %s (%s), "
		       "EAP round follows", ike_id_str(&sa->remote_id, ids, sizeof(ids)),
		       conn->cfg.remote_auth == IKE_AUTHM_PUBKEY ? "certificate" : "PSK");
	else if (sa->eap != NULL)
		SA_LOG(sa, INFO, "peer %s: EAP authentication begins",
		       ike_id_str(&sa->remote_id, ids, sizeof(ids)));
	else
		SA_LOG(sa, INFO, "peer authenticated as %s (%s)",
		       ike_id_str(&sa->remote_id, ids, sizeof(ids)),
		       conn->cfg.remote_auth == IKE_AUTHM_PUBKEY ? "certificate" : "PSK");
	if (conn->cfg.auth == IKE_AUTHM_PUBKEY && sa->ctx->job_submit != NULL) {
		struct ike_job *job = NULL;
		uint8_t *oct = NULL, method, hash;
		size_t oct_len = 0;

		rc = ike_auth_our_octets(sa, &oct, &oct_len);
		if (rc == 0)
			rc = ike_sig_choose(conn->key, sa->peer_sighash ? sa->peer_hashes : 0,
					    &method, &hash);
		if (rc == 0)
			rc = ike_job_sign_create(conn->key, method, hash, oct, oct_len, &job);
		ike_auth_octets_free(oct, oct_len);
		rc = submit(sa, m, rc, job, IKE_JT_AUTH_SIGN);
		if (rc < 0)
			goto fail;
		return 0;
	}
	oa = malloc(sizeof(*oa));
	if (oa == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = our_auth_compute(sa, oa);
	if (rc == 0)
		rc = respond_next(sa, m, oa);
	OPENSSL_cleanse(oa, sizeof(*oa));
	free(oa);
	if (rc == 0)
		return 0;
fail:
	if (!ike_resp_sent(sa, m->hdr.msg_id))
		ike_respond_notify(sa, m, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
	ike_sa_kill(sa, "cannot compute our AUTH");
	return rc;
}

/* Verify job for the peer's certificate and signature (job interface). */
static int
verify_submit(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_conn *conn = sa->conn;
	struct ike_job *job = NULL;
	uint8_t *oct = NULL;
	size_t oct_len = 0;
	unsigned i;
	int rc;

	rc = ike_auth_signed_octets(sa, !sa->initiator, m->idi.body.p, m->idi.body.len, &oct, &oct_len);
	if (rc == 0)
		rc = ike_job_verify_create(conn->ca, m->certs[0].data.p, m->certs[0].data.len,
					   &m->idi.id, NULL, m->auth.method, m->auth.data.p,
					   m->auth.data.len, oct, oct_len, &job);
	ike_auth_octets_free(oct, oct_len);
	for (i = 1; rc == 0 && i < m->n_certs; i++)
		if (m->certs[i].encoding == IKE_CERT_X509_SIG)
			rc = ike_job_verify_add_chain(job, m->certs[i].data.p, m->certs[i].data.len);
	return submit(sa, m, rc, job, IKE_JT_AUTH_VERIFY);
}

int
ike_auth_on_request(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_conn *conn;
	bool another;
	int rc;

	if (sa->state != IKE_ST_INIT_RCVD) {
		SA_LOG(sa, DEBUG, "IKE_AUTH request in state %s", ike_state_name(sa->state));
		return ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
	}
	if (sa->eap != NULL)
		return ike_eap_on_request(sa, m);
	if (!m->has_idi) {
		ike_auth_failed(sa, m, "IDi missing");
		return -EACCES;
	}
	conn = conn_for_identity(sa, &m->idi.id);
	if (conn == NULL) {
		ike_auth_failed(sa, m, "no connection allows this identity");
		return -EACCES;
	}
	if (conn != sa->conn) {
		SA_LOG(sa, INFO, "identity selects connection %s (was %s)", conn->cfg.name,
		       sa->conn->cfg.name);
		conn->refs++;
		ike_conn_put(sa->conn);
		sa->conn = conn;
	}
	/* RFC 4739 3.2: the peer announces each further round; the rounds must
	 * be the connection's, checked before any AUTH is (no child SA, no
	 * lease for a peer that skips the second round) */
	another = ike_msg_notify(m, IKE_N_ANOTHER_AUTH_FOLLOWS) != NULL;
	if (another && conn->cfg.remote_auth2 == 0) {
		sa->ctx->st.auth_rounds_refused++;
		ike_auth_failed(sa, m, "peer offers a second authentication round (RFC 4739), "
				"the connection requires one");
		return -EACCES;
	}
	if (!another && conn->cfg.remote_auth2 != 0) {
		sa->ctx->st.auth_rounds_refused++;
		ike_auth_failed(sa, m, "connection requires a second authentication round "
				"(RFC 4739: EAP), peer offers one round");
		return -EACCES;
	}
	if (another) {
		/* the first request is kept: its SA, TS and CP make the child
		 * once the EAP round has succeeded */
		rc = ike_eap_begin(sa, m, true);
		if (rc < 0) {
			ike_auth_failed(sa, m, ike_strerror(rc));
			return rc;
		}
	}
	if (conn->cfg.remote_auth == IKE_AUTHM_EAP) {
		/* RFC 7296 2.16: an initiator that wants EAP omits AUTH */
		if (m->has_auth) {
			ike_auth_failed(sa, m, "connection requires EAP, peer sent AUTH");
			return -EACCES;
		}
		rc = ike_eap_begin(sa, m, false);
		if (rc < 0) {
			ike_auth_failed(sa, m, ike_strerror(rc));
			return rc;
		}
		return auth_verified(sa, m);
	}
	if (!m->has_auth) {
		ike_auth_failed(sa, m, "AUTH missing (EAP not configured)");
		return -EACCES;
	}
	if (conn->cfg.remote_auth == IKE_AUTHM_PUBKEY && sa->ctx->job_submit != NULL) {
		if (m->auth.method == IKE_AUTH_PSK || m->n_certs == 0 || conn->ca == NULL ||
		    m->certs[0].encoding != IKE_CERT_X509_SIG) {
			ike_auth_failed(sa, m, "no certificate or not a signature");
			return -EACCES;
		}
		rc = verify_submit(sa, m);
		if (rc < 0)
			ike_auth_failed(sa, m, ike_strerror(rc));
		return rc;
	}
	rc = ike_auth_verify(sa, m, &m->idi);
	if (rc < 0) {
		ike_auth_failed(sa, m, ike_strerror(rc));
		return -EACCES;
	}
	return auth_verified(sa, m);
}

/* A verify or sign job of a suspended IKE_AUTH request has run. */
void
ike_auth_job_done(struct ike_sa *sa, struct ike_job *job)
{
	struct ike_msg *m = calloc(1, sizeof(*m));
	int rc = m == NULL ? -ENOMEM : 0;

	if (rc == 0 && sa->susp_inner != NULL) {
		m->hdr = sa->susp_hdr;
		m->sk.present = true;
		rc = ike_msg_parse_inner_raw(m, sa->susp_first, sa->susp_inner, sa->susp_len);
	} else if (rc == 0) {
		rc = -EINVAL;
	}
	if (rc < 0) {
		ike_sa_kill(sa, "cannot resume IKE_AUTH");
		goto out;
	}
	if (job->tag == IKE_JT_AUTH_VERIFY) {
		if (job->result < 0)
			ike_auth_failed(sa, m, ike_strerror(job->result));
		else
			auth_verified(sa, m);
	} else if (job->result < 0) {
		SA_LOG(sa, ERR, "our signature failed: %s", ike_strerror(job->result));
		ike_respond_notify(sa, m, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		ike_sa_kill(sa, "signing failed");
	} else {
		struct ike_our_auth *oa = malloc(sizeof(*oa));

		if (oa == NULL || job->u.sign.auth_len > sizeof(oa->data)) {
			ike_sa_kill(sa, "out of memory");
		} else {
			oa->method = job->u.sign.method;
			oa->len = job->u.sign.auth_len;
			memcpy(oa->data, job->u.sign.auth, oa->len);
			respond_next(sa, m, oa);
			OPENSSL_cleanse(oa, sizeof(*oa));
		}
		free(oa);
	}
out:
	if (!sa->job_pending)
		susp_free(sa);
	free(m);
}

/* RFC 7296 2.4: INITIAL_CONTACT only when we hold no other IKE SA with this
 * peer for this connection (a second SA must not wipe the first). */
static bool
first_contact(const struct ike_sa *sa)
{
	uint64_t key = ike_peer_addr_key(sa->conn, &sa->remote);
	const struct ike_hnode *n;

	for (n = ike_htab_find(&sa->ctx->by_peer_addr, key); n != NULL;
	     n = ike_htab_next(n, key)) {
		const struct ike_sa *o = IKE_CONTAINER(n, struct ike_sa, h_peer_addr);

		if (o != sa && o->state != IKE_ST_DEAD && o->conn == sa->conn &&
		    o->established_ms != 0 && ike_addr_eq(&o->remote, &sa->remote, false))
			return false;
	}
	return true;
}

int
ike_auth_start(struct ike_sa *sa)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ike_proposal offer[IKE_MAX_PROPOSALS];
	struct ike_child_pend *p;
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	struct ike_req *r;
	struct ike_our_auth *oa;
	unsigned n_offer;
	int rc;

	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->spi_in = ike_alloc_spi_in(sa->ctx);
	if (p->spi_in == 0) {
		free(p);
		return -ENOSPC;
	}
	p->n_ts_l = cfg->n_local_ts;
	memcpy(p->ts_l, cfg->local_ts, sizeof(p->ts_l));
	p->n_ts_r = cfg->n_remote_ts;
	memcpy(p->ts_r, cfg->remote_ts, sizeof(p->ts_r));
	if (p->n_ts_l == 0) {
		ike_ts_any(&p->ts_l[0], 4);
		p->n_ts_l = 1;
	}
	if (p->n_ts_r == 0) {
		ike_ts_any(&p->ts_r[0], 4);
		p->n_ts_r = 1;
	}
	r = ike_req_alloc(sa, IKE_REQ_AUTH);
	if (r == NULL) {
		free(p);
		return -EAGAIN;
	}
	r->xchg = IKE_XCHG_AUTH;
	r->pend = p;
	ike_esp_offer(sa, false, p->spi_in, offer, &n_offer);
	oa = NULL;
	rc = 0;
	if (cfg->auth2 != 0 && !sa->peer_multi_auth) {
		SA_LOG(sa, NOTICE, "the responder does not announce MULTIPLE_AUTH_SUPPORTED "
		       "(RFC 4739): cannot do the second authentication round");
		rc = -EPROTO;
	} else if (cfg->auth2 != 0) {
		/* RFC 4739: our AUTH, ANOTHER_AUTH_FOLLOWS; the EAP round next */
		rc = ike_eap_peer_begin(sa, p, true);
		if (rc == 0)
			r->pend = NULL;
	} else if (cfg->auth == IKE_AUTHM_EAP) {
		rc = ike_eap_peer_begin(sa, p, false);	/* no AUTH: EAP follows */
		if (rc == 0)
			r->pend = NULL;
	}
	if (rc == 0 && cfg->auth != IKE_AUTHM_EAP) {
		oa = malloc(sizeof(*oa));
		rc = oa == NULL ? -ENOMEM : our_auth_compute(sa, oa);
	}
	if (rc < 0) {
		free(oa);
		ike_req_release(r);
		return rc;
	}
	rc = ike_txm_begin(&t, sa, IKE_XCHG_AUTH, false, r->msgid);
	if (rc == 0)
		rc = bld_id_auth(sa, &t.b, true, first_contact(sa),
				 cfg->remote_id.type != IKE_ID_ANY ? &cfg->remote_id : NULL, oa);
	if (oa != NULL)
		OPENSSL_cleanse(oa, sizeof(*oa));
	free(oa);
	if (rc == 0 && cfg->request_vip) {
		struct ike_cp_attr a[2] = {
			{ .type = IKE_CP_INTERNAL_IP4_ADDRESS, .len = 0 },
			{ .type = IKE_CP_INTERNAL_IP4_DNS, .len = 0 },
		};

		if (p->ts_l[0].af == 6) {
			a[0].type = IKE_CP_INTERNAL_IP6_ADDRESS;
			a[1].type = IKE_CP_INTERNAL_IP6_DNS;
		}
		rc = ike_bld_cp(&t.b, IKE_CFG_REQUEST, a, 2);
	}
	if (rc == 0)
		rc = ike_bld_sa(&t.b, offer, n_offer);
	if (rc == 0)
		rc = ike_bld_ts(&t.b, IKE_PLD_TSI, p->ts_l, p->n_ts_l);
	if (rc == 0)
		rc = ike_bld_ts(&t.b, IKE_PLD_TSR, p->ts_r, p->n_ts_r);
	if (rc == 0)
		rc = bld_window(sa, &t.b);
	if (rc == 0 && !cfg->no_mobike)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_MOBIKE_SUPPORTED, NULL, 0);
	if (rc == 0 && cfg->auth2 != 0)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_MULTIPLE_AUTH_SUPPORTED,
				    NULL, 0);
	if (rc == 0 && cfg->auth2 != 0)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_ANOTHER_AUTH_FOLLOWS,
				    NULL, 0);
	rc = ike_txm_finish_req(&t, r, rc, &out);
	if (rc < 0)
		return rc;
	ike_sa_set_state(sa, IKE_ST_AUTH_SENT);
	return ike_request_send(sa, r, &out);
}

static void
cp_reply(struct ike_sa *sa, const struct ike_msg *m)
{
	unsigned i;

	if (!m->has_cp || m->cp.cfg_type != IKE_CFG_REPLY)
		return;
	for (i = 0; i < m->cp.n_attrs; i++) {
		const struct ike_cp_attr *a = &m->cp.attrs[i];
		char s[INET6_ADDRSTRLEN];

		if (a->type == IKE_CP_INTERNAL_IP4_ADDRESS && a->len == 4) {
			sa->vip_af = 4;
			memset(sa->vip, 0, 16);
			memcpy(sa->vip, a->val, 4);
		} else if (a->type == IKE_CP_INTERNAL_IP6_ADDRESS && a->len == 17) {
			sa->vip_af = 6;
			memcpy(sa->vip, a->val, 16);
		} else {
			continue;
		}
		inet_ntop(sa->vip_af == 4 ? AF_INET : AF_INET6, sa->vip, s, sizeof(s));
		SA_LOG(sa, INFO, "virtual IP %s assigned", s);
		return;
	}
}

int
ike_auth_on_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r)
{
	const struct ike_conn_cfg *cfg = &sa->conn->cfg;
	struct ike_proposal offer[IKE_MAX_PROPOSALS], chosen;
	struct ike_child_pend *p = r->pend;
	const struct ike_notify *err = ike_msg_error_notify(m);
	struct ike_child *c;
	unsigned n_offer;
	char ids[128];
	int rc;

	if (sa->state != IKE_ST_AUTH_SENT)
		return -EPROTO;
	if (sa->eap != NULL) {
		rc = ike_eap_on_response(sa, m, r);
		if (rc <= 0)
			return rc;
		p = r->pend;
		goto authenticated;
	}
	if (!m->has_idr || !m->has_auth) {
		if (err != NULL && err->type == IKE_N_AUTHENTICATION_FAILED)
			sa->ctx->st.auth_failed++;
		SA_LOG(sa, NOTICE, "IKE_AUTH refused: %s",
		       err ? ike_notify_name(err->type) : "no IDr/AUTH");
		ike_sa_kill(sa, "IKE_AUTH failed");
		return -EACCES;
	}
	if (!ike_id_match(&cfg->remote_id, &m->idr.id) || ike_auth_verify(sa, m, &m->idr) < 0) {
		sa->ctx->st.auth_failed++;
		SA_LOG(sa, NOTICE, "responder %s failed authentication",
		       ike_id_str(&m->idr.id, ids, sizeof(ids)));
		ike_sa_kill(sa, "responder authentication failed");
		return -EACCES;
	}
	sa->remote_id = m->idr.id;
authenticated:
	peer_window(sa, m);
	cp_reply(sa, m);
	sa->mobike = !cfg->no_mobike && ike_msg_notify(m, IKE_N_MOBIKE_SUPPORTED) != NULL;
	ike_sa_set_state(sa, IKE_ST_ESTABLISHED);
	set_rekey_timer(sa);
	if (ike_msg_notify(m, IKE_N_REDIRECT) != NULL) {
		/* RFC 5685 6: not followed from IKE_AUTH yet (only from
		 * IKE_SA_INIT): the SA is deleted, the redirect logged */
		SA_LOG(sa, NOTICE, "IKE_AUTH response carries REDIRECT: not followed, deleting");
		ike_info_delete_ike_start(sa);
		return 0;
	}
	if (err != NULL || !m->has_sa || !m->has_tsi || !m->has_tsr) {
		SA_LOG(sa, NOTICE, "IKE SA up without child SA: %s",
		       err ? ike_notify_name(err->type) : "SA/TS missing");
		return 0;
	}
	ike_esp_offer(sa, false, p->spi_in, offer, &n_offer);
	rc = ike_prop_check_reply(offer, n_offer, &m->sa, &chosen);
	if (rc < 0 || m->tsi.n_ts == 0 || m->tsr.n_ts == 0) {
		SA_LOG(sa, NOTICE, "IKE_AUTH response: child proposal or selectors invalid");
		return -EBADMSG;
	}
	c = ike_child_new(sa);
	if (c == NULL)
		return -ENOMEM;
	c->initiator = true;
	c->spi_in = p->spi_in;
	if (ike_child_algs(&chosen, &c->algs) < 0 ||
	    ike_child_keys_make(sa, c, NULL, 0, sa->ni, sa->ni_len, sa->nr, sa->nr_len) < 0) {
		ike_child_free(c);
		return -EINVAL;
	}
	c->spi_out = ike_prop_spi32(&chosen);
	c->n_ts_l = m->tsi.n_ts;
	memcpy(c->ts_l, m->tsi.ts, sizeof(c->ts_l));
	c->n_ts_r = m->tsr.n_ts;
	memcpy(c->ts_r, m->tsr.ts, sizeof(c->ts_r));
	ike_child_up(c);
	return 0;
}
