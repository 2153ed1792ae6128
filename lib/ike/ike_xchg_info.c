/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * INFORMATIONAL (RFC 7296 1.4): Delete of child SAs and of the IKE SA, empty
 * liveness checks (DPD), and answers to everything else (strongSwan's MOBIKE
 * ADD_*_ADDRESS updates get an empty response).
 *
 * Initiator: ike_info_delete_child_start, ike_info_delete_ike_start,
 * ike_info_dpd_start, ike_info_on_response. Responder: ike_info_on_request.
 * Delete collisions (2.25) are fine: a child we are deleting ourselves is
 * just removed when the peer's Delete for it arrives.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_priv.h"

static int
send_info_n(struct ike_sa *sa, uint8_t kind, uint64_t child_id, const uint32_t *spis,
	    unsigned n, bool del_ike, uint16_t ntype, const uint8_t *ndata, size_t nlen)
{
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	struct ike_req *r;
	int rc;

	r = ike_req_alloc(sa, kind);
	if (r == NULL)
		return -EAGAIN;
	r->xchg = IKE_XCHG_INFORMATIONAL;
	r->child_id = child_id;
	rc = ike_txm_begin(&t, sa, IKE_XCHG_INFORMATIONAL, false, r->msgid);
	if (rc == 0 && del_ike)
		rc = ike_bld_delete(&t.b, IKE_PROTO_IKE, NULL, 0);
	else if (rc == 0 && n > 0)
		rc = ike_bld_delete(&t.b, IKE_PROTO_ESP, spis, n);
	if (rc == 0 && ntype != 0)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, ntype, ndata, nlen);
	rc = ike_txm_finish(&t, rc, &out);
	if (rc < 0) {
		ike_req_release(r);
		return rc;
	}
	return ike_request_send(sa, r, &out);
}

static int
send_info(struct ike_sa *sa, uint8_t kind, uint64_t child_id, const uint32_t *spis, unsigned n,
	  bool del_ike)
{
	return send_info_n(sa, kind, child_id, spis, n, del_ike, 0, NULL, 0);
}

int
ike_info_notify_start(struct ike_sa *sa, uint16_t type, const uint8_t *data, size_t len)
{
	int rc = send_info_n(sa, IKE_REQ_INFO, 0, NULL, 0, false, type, data, len);

	if (rc == 0)
		SA_LOG(sa, INFO, "INFORMATIONAL with %s sent", ike_notify_name(type));
	return rc;
}

int
ike_info_delete_child_start(struct ike_sa *sa, struct ike_child *c)
{
	int rc;

	if (c->state == IKE_CHILD_DELETING || c->state == IKE_CHILD_DEAD)
		return 0;
	rc = send_info(sa, IKE_REQ_DELETE_CHILD, c->id, &c->spi_in, 1, false);
	if (rc == -EAGAIN) {
		c->delete_ms = sa->ctx->now_ms ? sa->ctx->now_ms : 1;	/* timer retries */
		return 0;
	}
	if (rc < 0)
		return rc;
	ike_child_set_state(c, IKE_CHILD_DELETING);
	c->delete_ms = 0;
	SA_LOG(sa, INFO, "child %" PRIu64 " (spi in %08x): Delete sent", c->id, c->spi_in);
	return 0;
}

int
ike_info_delete_ike_start(struct ike_sa *sa)
{
	unsigned i;
	int rc;

	/* a Delete of the IKE SA goes out even if other requests wait */
	for (i = 0; i < IKE_WINDOW_MAX; i++)
		if (sa->reqs[i].used && sa->reqs[i].kind != IKE_REQ_DELETE_IKE)
			ike_req_release(&sa->reqs[i]);
	if (ike_req_pending_kind(sa, IKE_REQ_DELETE_IKE))
		return 0;
	rc = send_info(sa, IKE_REQ_DELETE_IKE, 0, NULL, 0, true);
	if (rc < 0)
		return rc;
	if (sa->state != IKE_ST_REKEYED)
		ike_sa_set_state(sa, IKE_ST_DELETING);
	SA_LOG(sa, INFO, "IKE SA Delete sent");
	return 0;
}

int
ike_info_dpd_start(struct ike_sa *sa)
{
	int rc = send_info(sa, IKE_REQ_DPD, 0, NULL, 0, false);

	if (rc == 0)
		sa->dpd_pending = true;
	return rc;
}

int
ike_info_on_request(struct ike_sa *sa, const struct ike_msg *m)
{
	uint32_t ours[IKE_MAX_DEL_SPIS];
	unsigned n_ours = 0, i, j;
	bool del_ike = false;
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	int rc;

	if (sa->state < IKE_ST_ESTABLISHED && sa->state != IKE_ST_INIT_RCVD)
		return ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
	for (i = 0; i < m->n_deletes; i++) {
		const struct ike_delete *d = &m->deletes[i];

		if (d->proto == IKE_PROTO_IKE) {
			del_ike = true;
			continue;
		}
		if (d->proto != IKE_PROTO_ESP)
			continue;
		for (j = 0; j < d->n_spis; j++) {
			/* the peer lists its inbound SPIs: our outbound ones */
			struct ike_child *c = ike_child_by_spi_out(sa, d->spis[j]);

			if (c == NULL) {
				SA_LOG(sa, DEBUG, "Delete for unknown child spi %08x", d->spis[j]);
				continue;
			}
			/* RFC 7296 1.4.1: answer with our SPIs, unless we are deleting it
			 * ourselves (2.25: then the response carries nothing for it) */
			if (c->state != IKE_CHILD_DELETING && n_ours < IKE_MAX_DEL_SPIS)
				ours[n_ours++] = c->spi_in;
			SA_LOG(sa, INFO, "child %" PRIu64 " deleted by peer", c->id);
			ike_child_free(c);
		}
	}
	rc = ike_txm_begin(&t, sa, IKE_XCHG_INFORMATIONAL, true, m->hdr.msg_id);
	if (rc == 0 && n_ours > 0 && !del_ike)
		rc = ike_bld_delete(&t.b, IKE_PROTO_ESP, ours, n_ours);
	rc = ike_txm_finish(&t, rc, &out);
	if (rc < 0)
		return rc;
	ike_respond(sa, m->hdr.msg_id, &out);
	if (del_ike) {
		/* RFC 7296 2.8.2: the peer won a rekey collision and deletes the old
		 * SA before our own rekey finished: the children live on in the
		 * peer's new SA */
		struct ike_sa *coll = ike_sa_by_id_any(sa->ctx, sa->coll_sa_id);

		if (sa->state == IKE_ST_REKEYED && coll != NULL &&
		    coll->state == IKE_ST_ESTABLISHED && sa->children != NULL)
			ike_sa_adopt(coll, sa);
		ike_sa_kill(sa, "deleted by peer");
	}
	return 0;
}

int
ike_info_on_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r)
{
	struct ike_child *c;

	(void)m;
	switch (r->kind) {
	case IKE_REQ_DELETE_CHILD:
		c = ike_child_by_id(sa->ctx, r->child_id);
		if (c != NULL)
			ike_child_free(c);
		return 0;
	case IKE_REQ_DELETE_IKE:
		ike_sa_kill(sa, "deleted");
		return 0;
	case IKE_REQ_DPD:
		sa->dpd_pending = false;
		return 0;
	default:
		return 0;
	}
}
