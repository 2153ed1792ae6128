/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CREATE_CHILD_SA (RFC 7296 1.3): child SA rekey (REKEY_SA, 1.3.3) with or
 * without PFS, and IKE SA rekey (1.3.2, 2.18), both directions; simultaneous
 * rekeys resolved by the lowest of the four nonces (2.8.1 children, 2.8.2 IKE
 * SAs); a rekey of a child being deleted gets TEMPORARY_FAILURE (2.25). New
 * child SAs outside a rekey are answered too.
 *
 * Initiator: ike_child_rekey_start, ike_ike_rekey_start, ike_child_on_response.
 * Responder: ike_child_on_request. The old SA of a rekey is deleted by the
 * side that initiated the winning rekey (INFORMATIONAL, ike_xchg_info.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_priv.h"

enum {
	REKEYED_GRACE_MS = 30000,	/* old IKE SA waits this long for its Delete */
};

/* A new exchange of @sa's own (a rekey): established, a request slot
 * free; *@out is an empty pending record. */
static int
pend_start(struct ike_sa *sa, struct ike_child_pend **out)
{
	if (sa->state != IKE_ST_ESTABLISHED)
		return -EBUSY;
	if (!ike_req_can_send(sa))
		return -EAGAIN;
	*out = calloc(1, sizeof(**out));
	return *out == NULL ? -ENOMEM : 0;
}

static int
nonce_new(struct ike_child_pend *p)
{
	p->nonce_len = IKE_NONCE_LEN;
	return ike_rand_bytes(p->nonce, p->nonce_len);
}

static int
nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int c = memcmp(a, b, n);

	if (c != 0)
		return c;
	return al < bl ? -1 : (al > bl ? 1 : 0);
}

/* Shared secret for PFS or IKE rekey; *len 0 without DH. */
static int
pend_gir(struct ike_child_pend *p, const struct ike_ke *ke, uint8_t *gir, size_t *len)
{
	*len = 0;
	if (p->dh == NULL)
		return 0;
	return ike_dh_shared(p->dh, ke->data.p, ke->data.len, gir, IKE_DH_MAX_LEN, len);
}

static int
bld_ke_of(struct ike_bld *b, struct ike_dh *dh)
{
	uint8_t pub[IKE_DH_MAX_LEN];
	size_t len;
	int rc = ike_dh_pub(dh, pub, sizeof(pub), &len);

	if (rc == 0)
		rc = ike_bld_ke(b, ike_dh_group(dh), pub, len);
	return rc;
}

static bool
esp_offers_group(const struct ike_sa *sa, uint16_t g)
{
	unsigned i;

	for (i = 0; i < sa->conn->n_esp_props; i++)
		if (ike_prop_has_dh(&sa->conn->esp_props[i], g))
			return true;
	return false;
}

/* ---- child rekey, initiator ---- */

int
ike_child_rekey_start(struct ike_sa *sa, struct ike_child *c)
{
	struct ike_proposal offer[IKE_MAX_PROPOSALS];
	struct ike_child_pend *p;
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	struct ike_req *r;
	unsigned n_offer;
	uint16_t g = 0;
	uint8_t spi_be[4];
	int rc;

	if (c->state != IKE_CHILD_INSTALLED)
		return -EBUSY;
	rc = pend_start(sa, &p);
	if (rc < 0)
		return rc;
	p->rekey_child_id = c->id;
	p->spi_in = ike_alloc_spi_in(sa->ctx);
	rc = p->spi_in == 0 ? -ENOSPC : nonce_new(p);
	if (rc == 0 && ike_prop_xform(&sa->conn->esp_props[0], IKE_XF_DH, &g, NULL) == 0 && g != 0) {
		if (c->pfs_group != 0)
			g = c->pfs_group;	/* what the peer asked for last time */
		rc = ike_dh_create(g, &p->dh);	/* PFS */
	}
	if (rc < 0) {
		ike_child_pend_free(p);
		return rc;
	}
	memcpy(p->ts_l, c->ts_l, sizeof(p->ts_l));
	memcpy(p->ts_r, c->ts_r, sizeof(p->ts_r));
	p->n_ts_l = c->n_ts_l;
	p->n_ts_r = c->n_ts_r;
	r = ike_txm_request(&t, sa, IKE_REQ_CHILD_REKEY, IKE_XCHG_CREATE_CHILD_SA, &rc);
	r->pend = p;
	r->child_id = c->id;
	ike_esp_offer(sa, p->dh != NULL, p->spi_in, offer, &n_offer);
	put_be32(spi_be, c->spi_in);
	if (rc == 0)
		rc = ike_bld_notify(&t.b, IKE_PROTO_ESP, spi_be, 4, IKE_N_REKEY_SA, NULL, 0);
	if (rc == 0)
		rc = ike_bld_sa(&t.b, offer, n_offer);
	if (rc == 0)
		rc = ike_bld_nonce(&t.b, p->nonce, p->nonce_len);
	if (rc == 0 && p->dh != NULL)
		rc = bld_ke_of(&t.b, p->dh);
	if (rc == 0)
		rc = ike_bld_ts(&t.b, IKE_PLD_TSI, p->ts_l, p->n_ts_l);
	if (rc == 0)
		rc = ike_bld_ts(&t.b, IKE_PLD_TSR, p->ts_r, p->n_ts_r);
	rc = ike_txm_finish_req(&t, r, rc, &out);
	if (rc < 0)
		return rc;
	ike_child_set_state(c, IKE_CHILD_REKEYING);
	SA_LOG(sa, INFO, "child %" PRIu64 " (spi in %08x): rekey started%s", c->id, c->spi_in,
	       p->dh ? " with PFS" : "");
	return ike_request_send(sa, r, &out);
}

/* ---- IKE rekey, initiator ---- */

/*
 * What we offer in an IKE rekey: first exactly the current algorithms (so a
 * peer that accepts them keeps the PRF and no peer-specific reading of
 * RFC 7296 2.18 matters), then our configured proposals. @offer holds
 * IKE_MAX_PROPOSALS + 1 entries.
 */
static unsigned
rekey_offer(const struct ike_sa *sa, uint64_t spi, struct ike_proposal *offer)
{
	struct ike_proposal *c = &offer[0];
	unsigned i, n = 1;

	memset(c, 0, sizeof(*c));
	c->proto = IKE_PROTO_IKE;
	c->usable = true;
	c->xf[c->n_xforms++] = (struct ike_xform){ .type = IKE_XF_ENCR, .id = sa->algs.encr,
						   .key_bits = sa->algs.encr_bits, .usable = true };
	c->xf[c->n_xforms++] = (struct ike_xform){ .type = IKE_XF_PRF, .id = sa->algs.prf,
						   .usable = true };
	if (sa->algs.integ != 0)
		c->xf[c->n_xforms++] = (struct ike_xform){ .type = IKE_XF_INTEG,
							   .id = sa->algs.integ, .usable = true };
	c->xf[c->n_xforms++] = (struct ike_xform){ .type = IKE_XF_DH,
						   .id = sa->rekey_group ? sa->rekey_group :
									   sa->algs.dh,
						   .usable = true };
	for (i = 0; i < sa->conn->n_ike_props && n < IKE_MAX_PROPOSALS + 1; i++)
		offer[n++] = sa->conn->ike_props[i];
	for (i = 0; i < n; i++) {
		offer[i].num = (uint8_t)(i + 1);
		offer[i].spi_len = 8;
		put_be64(offer[i].spi, spi);
	}
	return n;
}

int
ike_ike_rekey_start(struct ike_sa *sa)
{
	struct ike_proposal offer[IKE_MAX_PROPOSALS + 1];
	struct ike_child_pend *p;
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	struct ike_req *r;
	unsigned n;
	int rc;

	rc = pend_start(sa, &p);
	if (rc < 0)
		return rc;
	p->spi_new = ike_new_spi(sa->ctx);
	rc = nonce_new(p);
	if (rc == 0)
		rc = ike_dh_create(sa->rekey_group ? sa->rekey_group : sa->algs.dh, &p->dh);
	if (rc < 0) {
		ike_child_pend_free(p);
		return rc;
	}
	n = rekey_offer(sa, p->spi_new, offer);
	r = ike_txm_request(&t, sa, IKE_REQ_IKE_REKEY, IKE_XCHG_CREATE_CHILD_SA, &rc);
	r->pend = p;
	if (rc == 0)
		rc = ike_bld_sa(&t.b, offer, n);
	if (rc == 0)
		rc = ike_bld_nonce(&t.b, p->nonce, p->nonce_len);
	if (rc == 0)
		rc = bld_ke_of(&t.b, p->dh);
	rc = ike_txm_finish_req(&t, r, rc, &out);
	if (rc < 0)
		return rc;
	ike_sa_set_state(sa, IKE_ST_REKEYING);
	SA_LOG(sa, INFO, "IKE SA rekey started (new SPI %016" PRIx64 ")", p->spi_new);
	return ike_request_send(sa, r, &out);
}

/*
 * Keys of a rekeyed IKE SA. RFC 7296 2.18 says the OLD SA's PRF computes
 * SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr); strongSwan (the peer we
 * must match, keymat_v2.c) also runs prf+ with the old PRF and takes only
 * the key lengths from the new algorithms (SK_d, SK_pi, SK_pr: the new PRF's
 * length). We do the same; without a PRF change this is the plain RFC
 * derivation. Order: SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr.
 */
static int
rekey_keys(uint16_t old_prf, const uint8_t *old_sk_d, size_t old_sk_d_len, const uint8_t *gir,
	   size_t gir_len, const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
	   const uint8_t spi_i[8], const uint8_t spi_r[8], const struct ike_algs *a,
	   struct ike_sa_keys *out)
{
	uint8_t skeyseed[IKE_PRF_MAX_LEN], *km;
	size_t pl = ike_prf_len(a->prf), sl = ike_prf_len(old_prf);
	size_t ek = ike_encr_key_len(a->encr, a->encr_bits);
	size_t ik = a->integ ? ike_integ_key_len(a->integ) : 0;
	size_t total = 3 * pl + 2 * ik + 2 * ek, off = 0;
	struct ike_cbuf seed[4] = {
		{ ni, ni_len }, { nr, nr_len }, { spi_i, 8 }, { spi_r, 8 },
	};
	int rc;

	if (pl == 0 || sl == 0 || ek == 0 || (a->integ != 0 && ik == 0) ||
	    pl > IKE_PRF_MAX_LEN || ek > IKE_ENCR_MAX_KEY_LEN || ik > IKE_INTEG_MAX_KEY_LEN)
		return -EINVAL;
	km = malloc(total);
	if (km == NULL)
		return -ENOMEM;
	rc = ike_kdf_skeyseed_rekey(old_prf, old_sk_d, old_sk_d_len, gir, gir_len, ni, ni_len, nr,
				    nr_len, skeyseed);
	if (rc == 0)
		rc = ike_prf_plus(old_prf, skeyseed, sl, seed, 4, km, total);
	if (rc == 0) {
		memset(out, 0, sizeof(*out));
		out->prf = a->prf;
		out->prf_len = (uint8_t)pl;
		out->i.encr = out->r.encr = a->encr;
		out->i.integ = out->r.integ = a->integ;
		out->i.encr_key_len = out->r.encr_key_len = (uint8_t)ek;
		out->i.integ_key_len = out->r.integ_key_len = (uint8_t)ik;
		memcpy(out->sk_d, km + off, pl);
		off += pl;
		memcpy(out->i.integ_key, km + off, ik);
		off += ik;
		memcpy(out->r.integ_key, km + off, ik);
		off += ik;
		memcpy(out->i.encr_key, km + off, ek);
		off += ek;
		memcpy(out->r.encr_key, km + off, ek);
		off += ek;
		memcpy(out->sk_pi, km + off, pl);
		off += pl;
		memcpy(out->sk_pr, km + off, pl);
	}
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	OPENSSL_cleanse(km, total);
	free(km);
	return rc;
}

/* The new IKE SA of a rekey takes over the children, the lease and the peer. */
static int
ike_sa_successor(struct ike_sa *old, bool initiator, bool adopt, uint64_t spi_i, uint64_t spi_r,
		 const struct ike_proposal *chosen, const uint8_t *gir, size_t gir_len,
		 const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		 struct ike_sa **out)
{
	struct ike_ctx *ctx = old->ctx;
	struct ike_sa *sa;
	uint8_t si[8], sr[8];
	int rc;

	rc = ike_sa_create(ctx, old->conn, initiator, &sa);
	if (rc < 0)
		return rc;
	sa->child_seen = true;		/* a rekeyed IKE SA has no set-up time */
	if (ike_prop_xform(chosen, IKE_XF_ENCR, &sa->algs.encr, &sa->algs.encr_bits) < 0 ||
	    ike_prop_xform(chosen, IKE_XF_PRF, &sa->algs.prf, NULL) < 0 ||
	    ike_prop_xform(chosen, IKE_XF_DH, &sa->algs.dh, NULL) < 0) {
		ike_sa_kill(sa, "rekey proposal incomplete");
		return -EINVAL;
	}
	if (ike_prop_xform(chosen, IKE_XF_INTEG, &sa->algs.integ, NULL) < 0)
		sa->algs.integ = 0;
	if (sa->algs.encr_bits == 0)
		sa->algs.encr_bits = 128;
	sa->spi_i = spi_i;
	sa->spi_r = spi_r;
	put_be64(si, spi_i);
	put_be64(sr, spi_r);
	/* RFC 7296 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the
	 * OLD SA's PRF (the exchange belongs to it), then prf+ with the new PRF;
	 * the two may differ, and so may their lengths */
	if (gir == NULL || gir_len == 0) {
		ike_sa_kill(sa, "IKE rekey without a DH exchange");
		return -EINVAL;
	}
	rc = rekey_keys(old->algs.prf, old->keys.sk_d, old->keys.prf_len, gir, gir_len, ni,
			ni_len, nr, nr_len, si, sr, &sa->algs, &sa->keys);
	if (rc < 0) {
		ike_sa_kill(sa, "rekey key derivation failed");
		return rc;
	}
	sa->have_keys = true;
	ike_sa_keys_report(sa);
	sa->local = old->local;
	sa->remote = old->remote;
	sa->natt = old->natt;
	sa->nat_local = old->nat_local;
	sa->nat_remote = old->nat_remote;
	sa->frag = old->frag;
	sa->mobike = old->mobike;
	sa->peer_sighash = old->peer_sighash;
	sa->peer_hashes = old->peer_hashes;
	sa->peer_redirect = old->peer_redirect;
	sa->peer_window = old->peer_window;
	sa->remote_id = old->remote_id;
	sa->vip_af = old->vip_af;
	memcpy(sa->vip, old->vip, 16);
	ike_sa_hash_local(sa);
	/* children and lease move (the datapath keeps the children: same SPIs
	 * and keys), except while a colliding rekey of ours is still open
	 * (RFC 7296 2.8.2): then they wait on the old SA for the verdict */
	if (adopt)
		ike_sa_adopt(sa, old);
	ike_sa_set_state(sa, IKE_ST_ESTABLISHED);
	if (sa->conn->cfg.ike_lifetime_s != 0) {
		uint64_t life = (uint64_t)sa->conn->cfg.ike_lifetime_s * 1000;

		sa->rekey_ms = ctx->now_ms + (initiator ? life : life + life / 10);
	}
	SA_LOG(sa, INFO, "IKE SA replaces %016" PRIx64 ":%016" PRIx64 " (%u children)",
	       old->spi_i, old->spi_r, sa->n_children);
	*out = sa;
	return 0;
}

/* ---- responder ---- */

static int
respond_ike_rekey(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_proposal chosen;
	struct ike_sa *nsa = NULL;
	struct ike_dh *dh = NULL;
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	uint8_t nr[IKE_NONCE_LEN], gir[IKE_DH_MAX_LEN], grp[2];
	size_t gir_len = 0;
	unsigned our_idx = 0;
	uint16_t g;
	int rc;

	if (!m->has_nonce || !m->has_ke || m->nonce.len < IKE_NONCE_MIN ||
	    m->nonce.len > IKE_NONCE_MAX)
		return ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
	if (sa->state == IKE_ST_REKEYING) {
		/* RFC 7296 2.8.2, simultaneous IKE rekey: answer normally; when our
		 * own response arrives, the lowest of the four nonces decides which
		 * new SA is redundant (on_ike_rekey_response) */
		SA_LOG(sa, INFO, "IKE rekey collision: answering the peer's rekey too");
	} else if (sa->state != IKE_ST_ESTABLISHED) {
		return ike_respond_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
	}
	{
		/* keep the current algorithms when the peer offers them (no PRF
		 * change, see rekey_keys); else our configured preference */
		struct ike_proposal cur[IKE_MAX_PROPOSALS + 1];
		uint16_t cg = 0;

		rekey_offer(sa, 0, cur);
		cur[0].spi_len = 0;
		rc = ike_prop_select(cur, 1, &m->sa, &chosen, NULL);
		if (rc == 0 && (ike_prop_xform(&chosen, IKE_XF_DH, &cg, NULL) < 0 ||
				cg != m->ke.group))
			rc = -ENOENT;
	}
	if (rc < 0) {
		rc = ike_prop_select(sa->conn->ike_props, sa->conn->n_ike_props, &m->sa, &chosen,
				     &our_idx);
		if (rc == 0 && our_idx < sa->conn->n_ike_props)
			ike_prefer_ke_group(&sa->conn->ike_props[our_idx], m, &chosen);
	}
	if (rc < 0 || chosen.spi_len != 8) {
		sa->ctx->st.no_proposal++;
		return ike_respond_notify(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	}
	if (ike_prop_xform(&chosen, IKE_XF_DH, &g, NULL) < 0)
		return ike_respond_notify(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	if (m->ke.group != g) {
		put_be16(grp, g);
		return ike_respond_notify(sa, m, IKE_N_INVALID_KE_PAYLOAD, grp, 2);
	}
	rc = ike_rand_bytes(nr, sizeof(nr));
	if (rc == 0)
		rc = ike_dh_create(g, &dh);
	if (rc == 0)
		rc = ike_dh_shared(dh, m->ke.data.p, m->ke.data.len, gir, sizeof(gir), &gir_len);
	if (rc == 0)
		rc = ike_sa_successor(sa, false, sa->state != IKE_ST_REKEYING, get_be64(chosen.spi),
				      ike_new_spi(sa->ctx),
				      &chosen, gir, gir_len, m->nonce.p, m->nonce.len, nr,
				      sizeof(nr), &nsa);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (rc < 0) {
		ike_dh_destroy(dh);
		return ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
	}
	put_be64(chosen.spi, nsa->spi_r);
	rc = ike_txm_begin(&t, sa, IKE_XCHG_CREATE_CHILD_SA, true, m->hdr.msg_id);
	if (rc == 0)
		rc = ike_bld_sa(&t.b, &chosen, 1);
	if (rc == 0)
		rc = ike_bld_nonce(&t.b, nr, sizeof(nr));
	if (rc == 0)
		rc = bld_ke_of(&t.b, dh);
	ike_dh_destroy(dh);
	rc = ike_txm_finish(&t, rc, &out);
	if (rc < 0)
		return rc;
	if (sa->state == IKE_ST_REKEYING) {
		/* remember the lower nonce of the peer's exchange for 2.8.2 */
		bool peer_low = nonce_cmp(m->nonce.p, m->nonce.len, nr, sizeof(nr)) < 0;

		free(sa->coll_nonce);
		sa->coll_nonce_len = peer_low ? m->nonce.len : sizeof(nr);
		sa->coll_nonce = malloc(sa->coll_nonce_len);
		if (sa->coll_nonce != NULL) {	/* else resolved as if no collision */
			memcpy(sa->coll_nonce, peer_low ? m->nonce.p : nr, sa->coll_nonce_len);
			sa->coll_sa_id = nsa->id;
		}
	}
	ike_sa_set_state(sa, IKE_ST_REKEYED);
	sa->expire_ms = sa->ctx->now_ms + REKEYED_GRACE_MS;
	return ike_respond(sa, m->hdr.msg_id, &out);
}

int
ike_child_on_request(struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_notify *rk = ike_msg_notify(m, IKE_N_REKEY_SA);
	struct ike_proposal offer[IKE_MAX_PROPOSALS], chosen;
	struct ike_child *old = NULL, *c;
	struct ike_dh *dh = NULL;
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	uint8_t nr[IKE_NONCE_LEN], gir[IKE_DH_MAX_LEN], grp[2];
	size_t gir_len = 0;
	unsigned n_offer, our_idx = 0;
	uint16_t g = 0;
	int rc;

	if (!m->has_sa || m->sa.n_props == 0)
		return ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
	if (m->sa.props[0].proto == IKE_PROTO_IKE)
		return respond_ike_rekey(sa, m);
	if (sa->state != IKE_ST_ESTABLISHED && sa->state != IKE_ST_REKEYING)
		return ike_respond_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
	if (!m->has_nonce || !m->has_tsi || !m->has_tsr || m->nonce.len < IKE_NONCE_MIN ||
	    m->nonce.len > IKE_NONCE_MAX)
		return ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
	if (rk != NULL) {
		uint32_t spi = rk->spi_len == 4 ? net_rd32(rk->spi) : 0;

		/* the peer names its inbound SPI: our outbound one */
		old = ike_child_by_spi_out(sa, spi);
		if (old == NULL) {
			SA_LOG(sa, INFO, "rekey of unknown child (spi %08x)", spi);
			return ike_respond_notify(sa, m, IKE_N_CHILD_SA_NOT_FOUND, NULL, 0);
		}
		if (old->state == IKE_CHILD_DELETING) {
			/* RFC 7296 2.25: we are deleting it; the peer's Delete
			 * handling or our Delete settles it */
			SA_LOG(sa, INFO, "rekey of child %" PRIu64 " while we delete it", old->id);
			return ike_respond_notify(sa, m, IKE_N_TEMPORARY_FAILURE, NULL, 0);
		}
	}
	ike_esp_offer_nospi(sa, true, offer, &n_offer);
	rc = ike_prop_select(offer, n_offer, &m->sa, &chosen, &our_idx);
	if (rc == 0 && m->has_ke && our_idx < n_offer)
		ike_prefer_ke_group(&offer[our_idx], m, &chosen);
	if (rc < 0) {
		/* the peer may not do PFS while we list a group: try without */
		ike_esp_offer_nospi(sa, false, offer, &n_offer);
		rc = ike_prop_select(offer, n_offer, &m->sa, &chosen, NULL);
	}
	if (rc < 0) {
		sa->ctx->st.no_proposal++;
		return ike_respond_notify(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	}
	if (ike_prop_xform(&chosen, IKE_XF_DH, &g, NULL) == 0 && g != 0) {
		if (!m->has_ke || m->ke.group != g) {
			put_be16(grp, g);
			return ike_respond_notify(sa, m, IKE_N_INVALID_KE_PAYLOAD, grp, 2);
		}
	}
	c = ike_child_new(sa);
	if (c == NULL)
		return -ENOMEM;
	if (ike_child_algs(&chosen, &c->algs) < 0) {
		ike_child_free(c);
		return ike_respond_notify(sa, m, IKE_N_NO_PROPOSAL_CHOSEN, NULL, 0);
	}
	if (ike_ts_select(sa, m, c) < 0) {
		ike_child_free(c);
		return ike_respond_notify(sa, m, IKE_N_TS_UNACCEPTABLE, NULL, 0);
	}
	c->spi_out = ike_prop_spi32(&chosen);
	c->spi_in = ike_alloc_spi_in(sa->ctx);
	rc = c->spi_in == 0 ? -ENOSPC : ike_rand_bytes(nr, sizeof(nr));
	if (rc == 0 && g != 0) {
		rc = ike_dh_create(g, &dh);
		if (rc == 0)
			rc = ike_dh_shared(dh, m->ke.data.p, m->ke.data.len, gir, sizeof(gir),
					   &gir_len);
	}
	if (rc == 0)
		rc = ike_child_keys_make(sa, c, g ? gir : NULL, gir_len, m->nonce.p, m->nonce.len,
					 nr, sizeof(nr));
	OPENSSL_cleanse(gir, sizeof(gir));
	if (rc == 0 && old != NULL) {
		/* RFC 7296 2.8.1: remember the lowest nonce of this rekey; if our own
		 * rekey of the same child is in flight, the pair with the lower nonce
		 * is redundant and deleted by whoever created it. */
		bool peer_low = nonce_cmp(m->nonce.p, m->nonce.len, nr, sizeof(nr)) < 0;

		c->nonce_min_len = peer_low ? m->nonce.len : sizeof(nr);
		c->nonce_min = malloc(c->nonce_min_len);
		if (c->nonce_min == NULL)
			rc = -ENOMEM;
		else
			memcpy(c->nonce_min, peer_low ? m->nonce.p : nr, c->nonce_min_len);
	}
	if (rc < 0) {
		ike_dh_destroy(dh);
		ike_child_free(c);
		return ike_respond_notify(sa, m, IKE_N_NO_ADDITIONAL_SAS, NULL, 0);
	}
	ike_prop_set_spi32(&chosen, c->spi_in);
	rc = ike_txm_begin(&t, sa, IKE_XCHG_CREATE_CHILD_SA, true, m->hdr.msg_id);
	if (rc == 0)
		rc = ike_bld_sa(&t.b, &chosen, 1);
	if (rc == 0)
		rc = ike_bld_nonce(&t.b, nr, sizeof(nr));
	if (rc == 0 && dh != NULL)
		rc = bld_ke_of(&t.b, dh);
	if (rc == 0)
		rc = ike_bld_ts(&t.b, IKE_PLD_TSI, c->ts_r, c->n_ts_r);
	if (rc == 0)
		rc = ike_bld_ts(&t.b, IKE_PLD_TSR, c->ts_l, c->n_ts_l);
	ike_dh_destroy(dh);
	rc = ike_txm_finish(&t, rc, &out);
	if (rc < 0) {
		ike_child_free(c);
		return rc;
	}
	if (old != NULL) {
		c->rekey_of = old->id;
		if (old->state == IKE_CHILD_INSTALLED)
			ike_child_set_state(old, IKE_CHILD_REKEYED);
		/* the initiator deletes the old child; if it never does, expire it */
		old->delete_ms = sa->ctx->now_ms + REKEYED_GRACE_MS;
	}
	ike_child_up(c);
	return ike_respond(sa, m->hdr.msg_id, &out);
}

/* ---- initiator: responses ---- */

static int
on_child_rekey_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r)
{
	struct ike_child_pend *p = r->pend;
	struct ike_child *old = ike_child_by_id(sa->ctx, r->child_id);
	const struct ike_notify *err = ike_msg_error_notify(m);
	struct ike_proposal offer[IKE_MAX_PROPOSALS], chosen;
	struct ike_child *c, *peer_new;
	uint8_t gir[IKE_DH_MAX_LEN];
	size_t gir_len = 0;
	unsigned n_offer;
	int rc;

	if (err != NULL) {
		SA_LOG(sa, NOTICE, "child %" PRIu64 " rekey refused: %s", r->child_id,
		       ike_notify_name(err->type));
		if (old != NULL && old->state == IKE_CHILD_REKEYING)
			ike_child_set_state(old, IKE_CHILD_INSTALLED);
		if (err->type == IKE_N_INVALID_KE_PAYLOAD && err->data.len == 2 && old != NULL) {
			uint16_t g = net_rd16(err->data.p);

			/* RFC 7296 1.3: retry at once with the group the peer wants,
			 * if we offer it */
			if (esp_offers_group(sa, g) && g != old->pfs_group) {
				old->pfs_group = g;
				if (ike_child_rekey_start(sa, old) == 0)
					return 0;
			}
			old->rekey_ms = sa->ctx->now_ms + 10000;
		}
		if (err->type == IKE_N_CHILD_SA_NOT_FOUND && old != NULL)
			ike_child_free(old);
		return 0;
	}
	if (!m->has_sa || !m->has_nonce || !m->has_tsi || !m->has_tsr ||
	    m->nonce.len < IKE_NONCE_MIN || m->nonce.len > IKE_NONCE_MAX)
		return -EBADMSG;
	ike_esp_offer(sa, p->dh != NULL, p->spi_in, offer, &n_offer);
	rc = ike_prop_check_reply(offer, n_offer, &m->sa, &chosen);
	if (rc < 0)
		return rc;
	c = ike_child_new(sa);
	if (c == NULL)
		return -ENOMEM;
	c->initiator = true;
	c->spi_in = p->spi_in;
	c->spi_out = ike_prop_spi32(&chosen);
	c->rekey_of = r->child_id;
	rc = ike_child_algs(&chosen, &c->algs);
	if (rc == 0 && p->dh != NULL) {
		if (!m->has_ke || m->ke.group != ike_dh_group(p->dh))
			rc = -EBADMSG;
		else
			rc = pend_gir(p, &m->ke, gir, &gir_len);
	}
	if (rc == 0)
		rc = ike_child_keys_make(sa, c, gir_len ? gir : NULL, gir_len, p->nonce,
					 p->nonce_len, m->nonce.p, m->nonce.len);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (rc < 0) {
		ike_child_free(c);
		return rc;
	}
	c->n_ts_l = m->tsi.n_ts;
	memcpy(c->ts_l, m->tsi.ts, sizeof(c->ts_l));
	c->n_ts_r = m->tsr.n_ts;
	memcpy(c->ts_r, m->tsr.ts, sizeof(c->ts_r));
	ike_child_up(c);
	/* RFC 7296 2.8.1 collision: the peer rekeyed the same child meanwhile */
	for (peer_new = sa->children; peer_new != NULL; peer_new = peer_new->next)
		if (peer_new != c && peer_new->rekey_of == r->child_id && !peer_new->initiator &&
		    peer_new->state == IKE_CHILD_INSTALLED)
			break;
	if (peer_new != NULL) {
		const uint8_t *ours = nonce_cmp(p->nonce, p->nonce_len, m->nonce.p,
						m->nonce.len) < 0 ? p->nonce : m->nonce.p;
		size_t ours_len = ours == p->nonce ? p->nonce_len : m->nonce.len;

		if (nonce_cmp(ours, ours_len, peer_new->nonce_min, peer_new->nonce_min_len) < 0) {
			SA_LOG(sa, INFO, "rekey collision on child %" PRIu64 ": ours lost",
			       r->child_id);
			ike_info_delete_child_start(sa, c);
		} else {
			SA_LOG(sa, INFO, "rekey collision on child %" PRIu64 ": ours won",
			       r->child_id);
		}
	}
	if (old != NULL && old->state != IKE_CHILD_DEAD && old->state != IKE_CHILD_DELETING)
		ike_info_delete_child_start(sa, old);
	return 0;
}

static int
on_ike_rekey_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r)
{
	struct ike_child_pend *p = r->pend;
	const struct ike_notify *err = ike_msg_error_notify(m);
	struct ike_proposal offer[IKE_MAX_PROPOSALS + 1], chosen;
	struct ike_sa *nsa = NULL;
	uint8_t gir[IKE_DH_MAX_LEN];
	size_t gir_len = 0;
	unsigned n;
	int rc;

	if (err != NULL && err->type == IKE_N_INVALID_KE_PAYLOAD && err->data.len == 2 &&
	    sa->state == IKE_ST_REKEYING) {
		uint16_t g = net_rd16(err->data.p);
		unsigned k;

		for (k = 0; k < sa->conn->n_ike_props; k++)
			if (ike_prop_has_dh(&sa->conn->ike_props[k], g))
				break;
		if (k < sa->conn->n_ike_props && g != sa->rekey_group) {
			SA_LOG(sa, INFO, "IKE rekey: INVALID_KE_PAYLOAD, retry with group %u", g);
			sa->rekey_group = g;
			ike_sa_set_state(sa, IKE_ST_ESTABLISHED);
			if (ike_ike_rekey_start(sa) == 0)
				return 0;
		}
	}
	if (err != NULL || !m->has_sa || !m->has_nonce || !m->has_ke ||
	    m->nonce.len < IKE_NONCE_MIN || m->nonce.len > IKE_NONCE_MAX) {
		SA_LOG(sa, NOTICE, "IKE rekey refused: %s",
		       err ? ike_notify_name(err->type) : "SA, Nonce or KE missing");
		if (sa->state == IKE_ST_REKEYING) {
			uint16_t jitter = 0;

			ike_sa_set_state(sa, IKE_ST_ESTABLISHED);
			/* retry after 5..21 s so two refused sides do not collide again */
			ike_rand_bytes(&jitter, sizeof(jitter));
			sa->rekey_ms = sa->ctx->now_ms + 5000 + jitter % 16384;
		}
		return err != NULL ? 0 : -EBADMSG;
	}
	n = rekey_offer(sa, p->spi_new, offer);
	rc = ike_prop_check_reply(offer, n, &m->sa, &chosen);
	if (rc == 0 && (chosen.spi_len != 8 || m->ke.group != ike_dh_group(p->dh)))
		rc = -EBADMSG;
	if (rc == 0)
		rc = pend_gir(p, &m->ke, gir, &gir_len);
	if (rc == 0)
		rc = ike_sa_successor(sa, true, true, p->spi_new, get_be64(chosen.spi), &chosen, gir,
				      gir_len, p->nonce, p->nonce_len, m->nonce.p, m->nonce.len,
				      &nsa);
	OPENSSL_cleanse(gir, sizeof(gir));
	if (rc < 0) {
		if (sa->state == IKE_ST_REKEYING)
			ike_sa_set_state(sa, IKE_ST_ESTABLISHED);
		return rc;
	}
	if (sa->state == IKE_ST_REKEYED && ike_sa_by_id_any(sa->ctx, sa->coll_sa_id) != NULL) {
		/* RFC 7296 2.8.2: both rekeys completed. The new SA whose exchange
		 * holds the lowest of the four nonces is redundant; its creator
		 * deletes it, and the creator of the survivor deletes the old SA. */
		struct ike_sa *peers = ike_sa_by_id_any(sa->ctx, sa->coll_sa_id);
		bool mine_low = nonce_cmp(p->nonce, p->nonce_len, m->nonce.p, m->nonce.len) < 0;
		const uint8_t *mn = mine_low ? p->nonce : m->nonce.p;
		size_t mn_len = mine_low ? p->nonce_len : m->nonce.len;

		sa->coll_sa_id = 0;
		if (nonce_cmp(mn, mn_len, sa->coll_nonce, sa->coll_nonce_len) < 0) {
			/* the children go to the peer's SA; ours (empty) is deleted */
			SA_LOG(nsa, INFO, "IKE rekey collision: ours is redundant, deleting it");
			ike_sa_adopt(peers, nsa);
			return ike_info_delete_ike_start(nsa);
		}
		/* ours took the children from the old SA; the peer deletes its own,
		 * and if it never does (it may have lost track), we drop it */
		SA_LOG(nsa, INFO, "IKE rekey collision: ours survives");
		peers->expire_ms = sa->ctx->now_ms + REKEYED_GRACE_MS;
		return ike_info_delete_ike_start(sa);
	}
	ike_sa_set_state(sa, IKE_ST_REKEYED);
	sa->expire_ms = sa->ctx->now_ms + REKEYED_GRACE_MS;
	/* the old IKE SA is ours to delete (RFC 7296 1.3.2) */
	return ike_info_delete_ike_start(sa);
}

int
ike_child_on_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r)
{
	switch (r->kind) {
	case IKE_REQ_CHILD_REKEY:
		return on_child_rekey_response(sa, m, r);
	case IKE_REQ_IKE_REKEY:
		return on_ike_rekey_response(sa, m, r);
	default:
		return -EPROTO;
	}
}
