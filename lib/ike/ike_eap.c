/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The responder's EAP conversation inside IKE_AUTH (RFC 7296 2.16): keeps
 * the first IKE_AUTH request (its IDi, SA, TS and CP make the child SA at
 * the end), sends EAP-Request/Identity with our certificate AUTH, then
 * relays each EAP-Response of the peer to the back end (ops.eap) and its
 * answer (ike_eap_done) back to the peer; after EAP-Success the peer's AUTH
 * and ours are keyed by the MSK (ike_auth_eap_final).
 *
 * As initiator (conn auth IKE_AUTHM_EAP, the EAP peer): the first request
 * goes without AUTH, the responder's AUTH is checked as usual, each
 * EAP-Request goes to ops.eap and its EAP-Response (ike_eap_done) back in a
 * new IKE_AUTH request; after EAP-Success our AUTH is keyed by the MSK the
 * back end handed over, and so is the check of the responder's last AUTH.
 *
 * RFC 4739 (multiple authentication exchanges): EAP can also be the second
 * round after a certificate or PSK round. Responder: the first request
 * (AUTH, ANOTHER_AUTH_FOLLOWS, SA, TS, CP) is kept the same way and answered
 * with IDr/AUTH only; the next request brings IDi' (no AUTH), answered with
 * the EAP-Request/Identity; the peer's last AUTH covers IDi', not IDi.
 * Initiator: the same in the other direction (IKE_EAP_PH_ROUND1).
 *
 * No EAP method runs here and nothing blocks: while the back end works the
 * request waits like one whose job runs (a retransmission is dropped). The
 * MSK is wiped when the SA goes; EAP contents are never logged.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "ike/ike_priv.h"

enum {
	EAP_CODE_REQUEST = 1,
	EAP_CODE_RESPONSE = 2,
	EAP_CODE_SUCCESS = 3,
	EAP_CODE_FAILURE = 4,
	EAP_TYPE_IDENTITY = 1,
};

void
ike_eap_free(struct ike_sa *sa)
{
	struct ike_eap *e = sa->eap;

	if (e == NULL)
		return;
	if (e->first != NULL) {
		OPENSSL_cleanse(e->first, e->first_len);
		free(e->first);
	}
	ike_child_pend_free(e->pend);
	OPENSSL_cleanse(e, sizeof(*e));
	free(e);
	sa->eap = NULL;
}

int
ike_eap_begin(struct ike_sa *sa, const struct ike_msg *m, bool round1)
{
	struct ike_eap *e;

	if (sa->ctx->ops.eap == NULL)
		return -EOPNOTSUPP;
	if (sa->rx_inner == NULL || sa->eap != NULL)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->first = malloc(sa->rx_inner_len ? sa->rx_inner_len : 1);
	if (e->first == NULL) {
		free(e);
		return -ENOMEM;
	}
	memcpy(e->first, sa->rx_inner, sa->rx_inner_len);
	e->first_len = sa->rx_inner_len;
	e->first_next = sa->rx_first;
	e->first_hdr = m->hdr;
	if (RAND_bytes(&e->ident, 1) != 1)
		e->ident = 0;
	sa->eap = e;
	if (round1)
		e->phase = IKE_EAP_PH_ROUND1;	/* EAP is counted when it begins */
	else
		sa->ctx->st.eap_started++;
	return 0;
}

int
ike_eap_bld_identity(struct ike_sa *sa, struct ike_bld *b)
{
	struct ike_eap *e = sa->eap;
	uint8_t req[5] = { EAP_CODE_REQUEST, e->ident, 0, 5, EAP_TYPE_IDENTITY };

	e->phase = IKE_EAP_PH_ACTIVE;
	return ike_bld_raw(b, IKE_PLD_EAP, false, req, sizeof(req));
}

/* An IKE_AUTH response carrying one EAP message. */
static int
respond_eap(struct ike_sa *sa, uint32_t msgid, const uint8_t *eap, size_t len)
{
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	int rc;

	rc = ike_txm_begin(&t, sa, IKE_XCHG_AUTH, true, msgid);
	if (rc == 0)
		rc = ike_bld_raw(&t.b, IKE_PLD_EAP, false, eap, len);
	rc = ike_txm_finish(&t, rc, &out);
	if (rc < 0) {
		ike_pkts_free(&out);
		return rc;
	}
	return ike_respond(sa, msgid, &out);
}

/* EAP-Failure to the peer, counted; the SA goes. */
static void
eap_fail(struct ike_sa *sa, uint32_t msgid, const uint8_t *eap, size_t len, const char *why)
{
	uint8_t fail[4] = { EAP_CODE_FAILURE, sa->eap->ident, 0, 4 };
	char ids[128];

	sa->ctx->st.auth_failed++;
	SA_LOG(sa, NOTICE, "EAP authentication of %s failed: %s",
	       ike_id_str(&sa->remote_id, ids, sizeof(ids)), why);
	if (eap == NULL || len < 4 || eap[0] != EAP_CODE_FAILURE) {
		eap = fail;
		len = sizeof(fail);
	}
	respond_eap(sa, msgid, eap, len);
	ike_sa_kill(sa, "EAP authentication failed");
}

static int
eap_final(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_eap *e = sa->eap;
	struct ike_msg *first = calloc(1, sizeof(*first));
	int rc;

	if (first == NULL) {
		ike_sa_kill(sa, "out of memory");
		return -ENOMEM;
	}
	/* the child SA comes from the first request, the reply gets this ID */
	first->hdr = m->hdr;
	first->sk.present = true;
	rc = ike_msg_parse_inner_raw(first, e->first_next, e->first, e->first_len);
	if (rc < 0 || !first->has_idi) {
		ike_sa_kill(sa, "cannot parse the first IKE_AUTH request again");
		free(first);
		return rc < 0 ? rc : -EINVAL;
	}
	/* RFC 4739 2: the AUTH of a later round covers the latest IDi (IDi') */
	if (e->idi2_len > 0) {
		first->idi.body.p = e->idi2_body;
		first->idi.body.len = e->idi2_len;
	}
	rc = ike_auth_eap_final(sa, m, first, e->msk, e->msk_len, &e->eap_id);
	free(first);
	/* done: the MSK and the kept request go now, not with the SA */
	if (rc == 0 && sa->state == IKE_ST_ESTABLISHED)
		ike_eap_free(sa);
	return rc;
}

/* RFC 4739 3: a refused round. AUTHENTICATION_FAILED, counted twice
 * (auth_failed, auth_rounds_refused); the SA goes. */
static int
round_refused(struct ike_sa *sa, const struct ike_msg *m, const char *why)
{
	sa->ctx->st.auth_rounds_refused++;
	ike_auth_failed(sa, m, why);
	return -EACCES;
}

/* RFC 4739 2: the second round's first request, HDR, SK {IDi'}; the answer
 * is the EAP-Request/Identity (the responder authenticated in round 1). */
static int
next_round(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_eap *e = sa->eap;
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	char ids[128];
	int rc;

	if (!m->has_idi)
		return round_refused(sa, m, "second authentication round without IDi (RFC 4739)");
	if (m->has_auth)
		return round_refused(sa, m, "second authentication round must be EAP, peer sent AUTH");
	if (ike_msg_notify(m, IKE_N_ANOTHER_AUTH_FOLLOWS) != NULL)
		return round_refused(sa, m, "peer offers a third authentication round");
	if (m->idi.body.len > sizeof(e->idi2_body))
		return round_refused(sa, m, "IDi of the second round too long");
	memcpy(e->idi2_body, m->idi.body.p, m->idi.body.len);
	e->idi2_len = m->idi.body.len;
	/* the identity of this round names the SA (the EAP identity, once
	 * given, replaces it) */
	sa->remote_id = m->idi.id;
	sa->ctx->st.eap_started++;
	SA_LOG(sa, INFO, "round 2 of 2 (RFC 4739): peer %s, EAP authentication begins",
	       ike_id_str(&sa->remote_id, ids, sizeof(ids)));
	rc = ike_txm_begin(&t, sa, IKE_XCHG_AUTH, true, m->hdr.msg_id);
	if (rc == 0)
		rc = ike_eap_bld_identity(sa, &t.b);
	rc = ike_txm_finish(&t, rc, &out);
	if (rc < 0) {
		ike_pkts_free(&out);
		ike_respond_notify(sa, m, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		ike_sa_kill(sa, "cannot send the EAP-Request/Identity");
		return rc;
	}
	return ike_respond(sa, m->hdr.msg_id, &out);
}

int
ike_eap_on_request(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_eap *e = sa->eap;
	int rc;

	if (e->phase == IKE_EAP_PH_DONE)
		return eap_final(sa, m);
	if (e->phase == IKE_EAP_PH_NEXT_ID)
		return next_round(sa, m);
	if (e->phase != IKE_EAP_PH_ACTIVE || e->waiting)
		return ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
	if (!m->has_eap || m->eap.p[0] != EAP_CODE_RESPONSE || m->eap.p[1] != e->ident) {
		SA_LOG(sa, DEBUG, "IKE_AUTH request %u: no EAP-Response %u", m->hdr.msg_id,
		       e->ident);
		eap_fail(sa, m->hdr.msg_id, NULL, 0, "no EAP-Response to our request");
		return -EACCES;
	}
	/* RFC 3748 5.1: the identity the peer gives; it names the SA once EAP
	 * has authenticated it (as a KEY_ID: an opaque string) */
	if (m->eap.p[4] == EAP_TYPE_IDENTITY && m->eap.len > 5 &&
	    m->eap.len - 5 <= sizeof(e->eap_id.data)) {
		e->eap_id.type = IKE_ID_KEY_ID;
		e->eap_id.len = (uint16_t)(m->eap.len - 5);
		memcpy(e->eap_id.data, m->eap.p + 5, e->eap_id.len);
	}
	/* each round may take the back end seconds (RADIUS retries, failover):
	 * the half-open deadline moves with the peer's rounds, never beyond
	 * IKE_EAP_MAX_MS after the SA was created */
	if (sa->expire_ms != 0) {
		uint64_t want = sa->ctx->now_ms + IKE_HALF_OPEN_TIMEOUT_MS;
		uint64_t cap = sa->created_ms + IKE_EAP_MAX_MS;

		want = want < cap ? want : cap;
		if (want > sa->expire_ms)
			sa->expire_ms = want;
	}
	/* the request waits like one on a job: a retransmission is dropped */
	e->waiting = true;
	sa->job_pending = true;
	sa->job_msgid = m->hdr.msg_id;
	rc = sa->ctx->ops.eap(sa->ctx->user, sa->id, sa->conn->cfg.name, m->eap.p, m->eap.len);
	if (rc < 0) {
		e->waiting = false;
		sa->job_pending = false;
		eap_fail(sa, m->hdr.msg_id, NULL, 0, "EAP back end refused the message");
		return -EACCES;
	}
	return 0;
}

/* ---- AUTH keyed by the MSK (RFC 7296 2.16) ---- */

int
ike_auth_eap_final(struct ike_sa *sa, const struct ike_msg *m, const struct ike_msg *first,
		   const uint8_t *msk, size_t msk_len, const struct ike_id *eap_id)
{
	struct ike_our_auth *oa = NULL;
	uint8_t *oct = NULL;
	size_t oct_len = 0;
	char ids[128];
	int rc;

	/* the initiator's octets name the IDi of the first IKE_AUTH request */
	if (!m->has_auth || m->auth.method != IKE_AUTH_PSK) {
		ike_auth_failed(sa, m, "no shared-key AUTH after EAP");
		return -EACCES;
	}
	rc = ike_auth_signed_octets(sa, true, first->idi.body.p, first->idi.body.len, &oct, &oct_len);
	if (rc == 0)
		rc = ike_auth_psk_verify(sa->algs.prf, msk, msk_len, oct, oct_len, m->auth.data.p,
					 m->auth.data.len);
	ike_auth_octets_free(oct, oct_len);
	oct = NULL;
	if (rc < 0) {
		ike_auth_failed(sa, m, "AUTH does not match the EAP MSK");
		return -EACCES;
	}
	if (eap_id != NULL && eap_id->len > 0)
		sa->remote_id = *eap_id;
	SA_LOG(sa, INFO, "peer authenticated as %s (EAP)",
	       ike_id_str(&sa->remote_id, ids, sizeof(ids)));
	oa = malloc(sizeof(*oa));
	rc = oa == NULL ? -ENOMEM : ike_auth_our_octets(sa, &oct, &oct_len);
	if (rc == 0) {
		oa->method = IKE_AUTH_PSK;
		oa->len = sa->keys.prf_len;
		rc = ike_auth_psk(sa->algs.prf, msk, msk_len, oct, oct_len, oa->data);
	}
	ike_auth_octets_free(oct, oct_len);
	if (rc == 0)
		rc = ike_auth_respond(sa, first, oa, true);
	else {
		ike_respond_notify(sa, m, IKE_N_AUTHENTICATION_FAILED, NULL, 0);
		ike_sa_kill(sa, "cannot compute our AUTH");
	}
	if (oa != NULL) {
		OPENSSL_cleanse(oa, sizeof(*oa));
		free(oa);
	}
	return rc;
}

int
ike_auth_msk_ours(struct ike_sa *sa, const uint8_t *msk, size_t msk_len,
		  struct ike_our_auth *oa)
{
	uint8_t *oct = NULL;
	size_t oct_len = 0;
	int rc;

	rc = ike_auth_our_octets(sa, &oct, &oct_len);
	if (rc == 0) {
		oa->method = IKE_AUTH_PSK;
		oa->len = sa->keys.prf_len;
		rc = ike_auth_psk(sa->algs.prf, msk, msk_len, oct, oct_len, oa->data);
	}
	ike_auth_octets_free(oct, oct_len);
	return rc;
}

int
ike_auth_msk_check(struct ike_sa *sa, const uint8_t *id_body, size_t id_len,
		   const uint8_t *msk, size_t msk_len, const struct ike_auth *auth)
{
	uint8_t *oct = NULL;
	size_t oct_len = 0;
	int rc;

	if (auth->method != IKE_AUTH_PSK)
		return -EACCES;
	rc = ike_auth_signed_octets(sa, !sa->initiator, id_body, id_len, &oct, &oct_len);
	if (rc == 0)
		rc = ike_auth_psk_verify(sa->algs.prf, msk, msk_len, oct, oct_len, auth->data.p,
					 auth->data.len);
	ike_auth_octets_free(oct, oct_len);
	return rc < 0 ? -EACCES : 0;
}

int
ike_auth_check_responder(struct ike_sa *sa, const struct ike_msg *m)
{
	if (!m->has_idr || !m->has_auth || !ike_id_match(&sa->conn->cfg.remote_id, &m->idr.id))
		return -EACCES;
	return ike_auth_verify(sa, m, &m->idr) < 0 ? -EACCES : 0;
}

/* ---- initiator: the EAP peer ---- */

int
ike_eap_peer_begin(struct ike_sa *sa, struct ike_child_pend *p, bool round1)
{
	struct ike_eap *e;

	if (sa->ctx->ops.eap == NULL)
		return -EOPNOTSUPP;
	if (sa->eap != NULL)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->pend = p;
	if (round1)
		e->phase = IKE_EAP_PH_ROUND1;
	sa->eap = e;
	sa->ctx->st.eap_started++;
	return 0;
}

/* One IKE_AUTH request: an EAP message, (@a) the MSK-keyed AUTH, or
 * (neither) our IDi' opening the second round (RFC 4739 2). */
static int
peer_send(struct ike_sa *sa, const uint8_t *eap, size_t len, const struct ike_our_auth *a)
{
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	struct ike_req *r;
	int rc;

	r = ike_txm_request(&t, sa, IKE_REQ_AUTH, IKE_XCHG_AUTH, &rc);
	if (r == NULL)
		return rc;
	if (rc == 0 && a != NULL) {
		rc = ike_bld_auth(&t.b, a->method, a->data, a->len);
	} else if (rc == 0 && eap == NULL) {
		struct ike_id id;

		ike_id_local(sa, &id);
		rc = ike_bld_id(&t.b, IKE_PLD_IDI, &id);
	} else if (rc == 0) {
		rc = ike_bld_raw(&t.b, IKE_PLD_EAP, false, eap, len);
	}
	rc = ike_txm_finish_req(&t, r, rc, &out);
	if (rc < 0)
		return rc;
	if (a != NULL) {		/* the last request: its response makes the child */
		r->pend = sa->eap->pend;
		sa->eap->pend = NULL;
	}
	return ike_request_send(sa, r, &out);
}

static int
peer_fail(struct ike_sa *sa, const char *why)
{
	sa->ctx->st.auth_failed++;
	SA_LOG(sa, NOTICE, "EAP authentication with the responder failed: %s", why);
	ike_sa_kill(sa, "EAP authentication failed");
	return -EACCES;
}

int
ike_eap_on_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r)
{
	struct ike_eap *e = sa->eap;
	struct ike_our_auth *oa;
	int rc;

	(void)r;
	if (e->phase == IKE_EAP_PH_ROUND1 || e->phase == IKE_EAP_PH_START) {
		/* IDr, CERT, AUTH of the responder, which is authenticated here;
		 * then either (RFC 4739 2, round 1) no child yet and our IDi' opens
		 * the EAP round, or (RFC 7296 2.16) the first EAP request */
		bool round1 = e->phase == IKE_EAP_PH_ROUND1;
		const struct ike_notify *err = round1 ? ike_msg_error_notify(m) : NULL;

		if (err != NULL)
			return peer_fail(sa, ike_notify_name(err->type));
		if (!round1 && !m->has_eap)
			return peer_fail(sa, "no EAP in the first IKE_AUTH response");
		if (ike_auth_check_responder(sa, m) < 0)
			return peer_fail(sa, "responder AUTH invalid");
		if (m->idr.body.len > sizeof(e->idr_body))
			return peer_fail(sa, "IDr too long");
		memcpy(e->idr_body, m->idr.body.p, m->idr.body.len);
		e->idr_len = m->idr.body.len;
		sa->remote_id = m->idr.id;
		e->phase = IKE_EAP_PH_ACTIVE;
		if (round1) {
			rc = peer_send(sa, NULL, 0, NULL);
			if (rc < 0)
				ike_sa_kill(sa, "cannot send the second round's IDi");
			return rc < 0 ? rc : 0;
		}
	} else if (e->phase == IKE_EAP_PH_DONE) {
		if (!m->has_auth || ike_auth_msk_check(sa, e->idr_body, e->idr_len, e->msk,
						       e->msk_len, &m->auth) < 0)
			return peer_fail(sa, "responder AUTH does not match the MSK");
		ike_eap_free(sa);	/* the MSK goes now, not with the SA */
		return 1;
	}
	if (!m->has_eap) {
		const struct ike_notify *err = ike_msg_error_notify(m);

		return peer_fail(sa, err != NULL ? ike_notify_name(err->type)
				 : "IKE_AUTH response without EAP");
	}
	switch (m->eap.p[0]) {
	case EAP_CODE_REQUEST:
		e->ident = m->eap.p[1];
		e->waiting = true;
		rc = sa->ctx->ops.eap(sa->ctx->user, sa->id, sa->conn->cfg.name, m->eap.p,
				      m->eap.len);
		if (rc < 0) {
			e->waiting = false;
			return peer_fail(sa, "EAP back end refused the request");
		}
		return 0;
	case EAP_CODE_SUCCESS:
		if (e->msk_len == 0)
			return peer_fail(sa, "EAP-Success, but the method gave no MSK");
		oa = malloc(sizeof(*oa));
		rc = oa == NULL ? -ENOMEM : ike_auth_msk_ours(sa, e->msk, e->msk_len, oa);
		if (rc == 0) {
			e->phase = IKE_EAP_PH_DONE;
			sa->ctx->st.eap_success++;
			rc = peer_send(sa, NULL, 0, oa);
		}
		if (oa != NULL) {
			OPENSSL_cleanse(oa, sizeof(*oa));
			free(oa);
		}
		if (rc < 0)
			ike_sa_kill(sa, "cannot send the MSK-keyed AUTH");
		return rc < 0 ? rc : 0;
	default:
		return peer_fail(sa, "EAP-Failure from the responder");
	}
}

/* ike_eap_done for the initiator: the back end's EAP-Response (and, from
 * the method's last round, the MSK). */
static int
peer_done(struct ike_sa *sa, int status, const uint8_t *eap, size_t eap_len,
	  const uint8_t *msk, size_t msk_len)
{
	struct ike_eap *e = sa->eap;
	int rc;

	if (status == IKE_EAP_FAILURE) {
		peer_fail(sa, "refused by the back end");
		return 0;
	}
	if (eap == NULL || eap_len < 5 || eap_len > 0xffff || eap[0] != EAP_CODE_RESPONSE ||
	    net_rd16(eap + 2) != eap_len || msk_len > sizeof(e->msk)) {
		peer_fail(sa, "back end gave no valid EAP-Response");
		return -EINVAL;
	}
	if (msk != NULL && msk_len > 0) {
		memcpy(e->msk, msk, msk_len);
		e->msk_len = msk_len;
	}
	rc = peer_send(sa, eap, eap_len, NULL);
	if (rc < 0)
		ike_sa_kill(sa, "cannot send the EAP response");
	return rc;
}

int
ike_eap_set_vip(struct ike_ctx *ctx, uint64_t ike_sa_id, uint8_t af, const uint8_t addr[16])
{
	struct ike_sa *sa = ike_sa_by_id(ctx, ike_sa_id);
	int rc = 0;

	if (sa == NULL || sa->eap == NULL || !sa->eap->waiting || sa->initiator ||
	    sa->state == IKE_ST_DEAD)
		rc = -ENOENT;
	else if ((af != 4 && af != 6) || addr == NULL)
		rc = -EINVAL;
	if (rc == 0) {
		sa->eap->vip_af = af;
		memset(sa->eap->vip, 0, sizeof(sa->eap->vip));
		memcpy(sa->eap->vip, addr, af == 4 ? 4 : 16);
	}
	ike_sa_reap(ctx);
	return rc;
}

int
ike_eap_done(struct ike_ctx *ctx, uint64_t ike_sa_id, int status, const uint8_t *eap,
	     size_t eap_len, const uint8_t *msk, size_t msk_len, uint64_t now_ms)
{
	struct ike_sa *sa = ike_sa_by_id(ctx, ike_sa_id);
	struct ike_eap *e;
	uint32_t msgid;
	int rc = 0;

	if (sa == NULL || sa->eap == NULL || !sa->eap->waiting || sa->state == IKE_ST_DEAD) {
		ike_sa_reap(ctx);
		return -ENOENT;
	}
	ctx->now_ms = now_ms;
	e = sa->eap;
	e->waiting = false;
	if (sa->initiator) {
		rc = peer_done(sa, status, eap, eap_len, msk, msk_len);
		ike_sa_reap(ctx);
		return rc;
	}
	sa->job_pending = false;
	msgid = sa->job_msgid;
	switch (status) {
	case IKE_EAP_CONTINUE:
		if (eap == NULL || eap_len < 5 || eap_len > 0xffff || eap[0] != EAP_CODE_REQUEST ||
		    net_rd16(eap + 2) != eap_len) {
			eap_fail(sa, msgid, NULL, 0, "back end gave no valid EAP-Request");
			rc = -EINVAL;
			break;
		}
		e->ident = eap[1];
		rc = respond_eap(sa, msgid, eap, eap_len);
		if (rc < 0)
			ike_sa_kill(sa, "cannot send the EAP request");
		break;
	case IKE_EAP_SUCCESS: {
		uint8_t ok[4] = { EAP_CODE_SUCCESS, e->ident, 0, 4 };

		if (msk == NULL || msk_len == 0 || msk_len > sizeof(e->msk)) {
			eap_fail(sa, msgid, NULL, 0, "EAP succeeded without a usable MSK");
			rc = -EINVAL;
			break;
		}
		memcpy(e->msk, msk, msk_len);
		e->msk_len = msk_len;
		if (eap == NULL || eap_len != 4 || eap[0] != EAP_CODE_SUCCESS) {
			eap = ok;
			eap_len = sizeof(ok);
		}
		e->phase = IKE_EAP_PH_DONE;
		ctx->st.eap_success++;
		rc = respond_eap(sa, msgid, eap, eap_len);
		if (rc < 0)
			ike_sa_kill(sa, "cannot send EAP-Success");
		break;
	}
	default:
		eap_fail(sa, msgid, eap, eap_len, "refused by the back end");
		break;
	}
	ike_sa_reap(ctx);
	return rc;
}
