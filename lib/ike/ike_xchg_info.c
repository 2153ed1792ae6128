/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * INFORMATIONAL (RFC 7296 1.4): Delete of child SAs and of the IKE SA, empty
 * liveness checks (DPD), MOBIKE address updates as a responder (RFC 4555
 * 3.5: UPDATE_SA_ADDRESSES with NAT detection, COOKIE2 echoed, the peer's
 * ADDITIONAL_*_ADDRESS lists accepted), and answers to everything else.
 * A gateway never changes its own addresses: no UPDATE_SA_ADDRESSES of ours.
 *
 * Initiator: ike_info_delete_child_start, ike_info_delete_ike_start,
 * ike_info_dpd_start, ike_info_on_response. Responder: ike_info_on_request.
 * Delete collisions (2.25) are fine: a child we are deleting ourselves is
 * just removed when the peer's Delete for it arrives.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
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

	r = ike_txm_request(&t, sa, kind, IKE_XCHG_INFORMATIONAL, &rc);
	if (r == NULL)
		return rc;
	r->child_id = child_id;
	if (rc == 0 && del_ike)
		rc = ike_bld_delete(&t.b, IKE_PROTO_IKE, NULL, 0);
	else if (rc == 0 && n > 0)
		rc = ike_bld_delete(&t.b, IKE_PROTO_ESP, spis, n);
	if (rc == 0 && ntype != 0)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, ntype, ndata, nlen);
	rc = ike_txm_finish_req(&t, r, rc, &out);
	if (rc < 0)
		return rc;
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

bool
ike_info_is_update(const struct ike_sa *sa, const struct ike_msg *m)
{
	return sa->mobike && !(m->hdr.flags & IKE_FLAG_R) &&
	       m->hdr.exchange == IKE_XCHG_INFORMATIONAL &&
	       ike_msg_notify(m, IKE_N_UPDATE_SA_ADDRESSES) != NULL;
}

/*
 * RFC 4555 3.9: NO_NATS_ALLOWED carries the addresses and ports the peer
 * sent from and to (IPv4: 4 + 4 + 2 + 2 bytes, IPv6: 16 + 16 + 2 + 2). True
 * if they are not what we received: a NAT is on the path.
 */
static bool
nats_seen(const struct ike_notify *n, const struct sockaddr_storage *from,
	  const struct sockaddr_storage *to)
{
	uint8_t want[36];
	const uint8_t *fa, *ta;
	size_t alen = ike_addr_bytes(from, &fa);
	uint16_t fp = htons(ike_port(from)), tp = htons(ike_port(to));

	(void)ike_addr_bytes(to, &ta);
	memcpy(want, fa, alen);
	memcpy(want + alen, ta, alen);
	memcpy(want + 2 * alen, &fp, 2);
	memcpy(want + 2 * alen + 2, &tp, 2);
	return n->data.len != 2 * alen + 4 || memcmp(n->data.p, want, 2 * alen + 4) != 0;
}

/*
 * RFC 4555 3.5, responder: the peer (authenticated: the SK payload of @m
 * verified) moved. The IKE SA takes the addresses of the request's IP header
 * (not the ADDITIONAL_* lists), NAT detection is redone with the update's
 * NAT_DETECTION_* payloads, and every child follows (IKE_EV_PEER_MOVED from
 * ike_sa_update_addrs). The datapath moves an SA in place but cannot switch
 * it between ESP and ESP-in-UDP: when the need for UDP encapsulation
 * changes, every child is rekeyed (make-before-break, RFC 7296 2.8), and the
 * new SAs carry the new mode. Returns 0 or the error notify to answer with
 * (nothing moved then). *natd: put NAT_DETECTION_* in the response.
 */
static uint16_t
mobike_update(struct ike_sa *sa, const struct ike_msg *m, bool *natd)
{
	const struct sockaddr_storage *from = sa->rx_from, *to = sa->rx_to;
	const struct ike_notify *nn = ike_msg_notify(m, IKE_N_NO_NATS_ALLOWED);
	bool nat_l = sa->nat_local, nat_r = sa->nat_remote, was_udp, now_udp;
	uint8_t h[IKE_NATD_LEN];
	struct ike_child *c;
	unsigned n_rekey = 0;
	char a[64];

	*natd = ike_msg_notify(m, IKE_N_NAT_DETECTION_SOURCE_IP) != NULL &&
		ike_msg_notify(m, IKE_N_NAT_DETECTION_DESTINATION_IP) != NULL;
	if (from == NULL || to == NULL)
		return IKE_N_UNACCEPTABLE_ADDRESSES;
	/* the datapath cannot move a child SA to another address family */
	if (from->ss_family != sa->remote.ss_family || to->ss_family != sa->local.ss_family) {
		sa->ctx->st.mobike_refused++;
		SA_LOG(sa, NOTICE, "UPDATE_SA_ADDRESSES from %s refused: other address family",
		       ike_addr_str(from, a, sizeof(a)));
		return IKE_N_UNACCEPTABLE_ADDRESSES;
	}
	if (nn != NULL && nats_seen(nn, from, to)) {
		sa->ctx->st.mobike_refused++;
		SA_LOG(sa, NOTICE, "UPDATE_SA_ADDRESSES from %s refused: NO_NATS_ALLOWED, NAT seen",
		       ike_addr_str(from, a, sizeof(a)));
		return IKE_N_UNEXPECTED_NAT_DETECTED;
	}
	/* 3.5: an older update than one applied already (window > 1) is stale */
	if (sa->mobike_upd_seen && m->hdr.msg_id < sa->mobike_upd_msgid) {
		sa->ctx->st.mobike_refused++;
		SA_LOG(sa, DEBUG, "UPDATE_SA_ADDRESSES %u older than %u: not applied",
		       m->hdr.msg_id, sa->mobike_upd_msgid);
		return 0;
	}
	if (*natd) {
		ike_natd_hash(sa->spi_i, sa->spi_r, from, h);
		nat_r = !ike_natd_match(m, IKE_N_NAT_DETECTION_SOURCE_IP, h);
		ike_natd_hash(sa->spi_i, sa->spi_r, to, h);
		nat_l = !ike_natd_match(m, IKE_N_NAT_DETECTION_DESTINATION_IP, h);
	}
	was_udp = sa->nat_local || sa->nat_remote;
	now_udp = nat_l || nat_r;
	sa->nat_local = nat_l;
	sa->nat_remote = nat_r;
	sa->mobike_upd_seen = true;
	sa->mobike_upd_msgid = m->hdr.msg_id;
	sa->ctx->st.mobike_updates++;
	SA_LOG(sa, INFO, "UPDATE_SA_ADDRESSES: peer at %s, NAT:%s%s%s, %u children follow",
	       ike_addr_str(from, a, sizeof(a)), nat_l ? " local" : "", nat_r ? " remote" : "",
	       now_udp ? "" : " none", sa->n_children);
	ike_sa_update_addrs(sa, from, to);
	if (was_udp == now_udp)
		return 0;
	for (c = sa->children; c != NULL; c = c->next) {
		if (!c->installed || c->state != IKE_CHILD_INSTALLED)
			continue;
		if (ike_child_rekey_start(sa, c) < 0)
			c->rekey_ms = sa->ctx->now_ms ? sa->ctx->now_ms : 1;	/* the timer */
		n_rekey++;
	}
	SA_LOG(sa, INFO, "UDP encapsulation of ESP now %s: %u children rekeyed (an installed SA "
	       "keeps its mode)", now_udp ? "on" : "off", n_rekey);
	return 0;
}

/* Send @out to where the request came from (an update not applied leaves
 * the IKE SA's own addresses where they were) and keep it for resends. */
static int
respond_to_source(struct ike_sa *sa, uint32_t msgid, struct ike_pkts *out)
{
	unsigned i;
	int rc = 0;

	if (sa->rx_from == NULL || sa->rx_to == NULL ||
	    (ike_addr_eq(sa->rx_from, &sa->remote, true) &&
	     ike_addr_eq(sa->rx_to, &sa->local, true)))
		return ike_respond(sa, msgid, out);
	for (i = 0; i < out->n; i++) {
		int r = ike_send_raw(sa->ctx, out->v[i].buf, out->v[i].len, sa->rx_to, sa->rx_from);

		if (r < 0)
			rc = r;
	}
	sa->last_tx_ms = sa->ctx->now_ms;
	ike_resp_store(sa, msgid, out);
	return rc;
}

int
ike_info_on_request(struct ike_sa *sa, const struct ike_msg *m)
{
	uint32_t ours[IKE_MAX_DEL_SPIS];
	unsigned n_ours = 0, i, j;
	bool del_ike = false, natd = false, update;
	const struct ike_notify *cookie2;
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	uint16_t upd_err = 0;
	uint8_t h[IKE_NATD_LEN];
	int rc;

	if (sa->state < IKE_ST_ESTABLISHED && sa->state != IKE_ST_INIT_RCVD)
		return ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
	update = ike_info_is_update(sa, m);
	if (update && sa->state != IKE_ST_DEAD)
		upd_err = mobike_update(sa, m, &natd);
	else if (ike_msg_notify(m, IKE_N_UPDATE_SA_ADDRESSES) != NULL) {
		sa->ctx->st.mobike_refused++;
		SA_LOG(sa, DEBUG, "UPDATE_SA_ADDRESSES without MOBIKE negotiated: ignored");
	}
	if (m->n_addl_addrs > 0 || ike_msg_notify(m, IKE_N_NO_ADDITIONAL_ADDRESSES) != NULL)
		SA_LOG(sa, DEBUG, "peer lists %u additional addresses (we follow its source only)",
		       m->n_addl_addrs);
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
	if (rc == 0 && upd_err != 0)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, upd_err, NULL, 0);
	if (rc == 0 && natd && upd_err == 0) {
		/* RFC 4555 3.5: our NAT detection for the path the update came on */
		ike_natd_hash(sa->spi_i, sa->spi_r, sa->rx_to, h);
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_NAT_DETECTION_SOURCE_IP,
				    h, sizeof(h));
		ike_natd_hash(sa->spi_i, sa->spi_r, sa->rx_from, h);
		if (rc == 0)
			rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0,
					    IKE_N_NAT_DETECTION_DESTINATION_IP, h, sizeof(h));
	}
	/* RFC 4555 3.7: COOKIE2 comes back unchanged in the response */
	cookie2 = ike_msg_notify(m, IKE_N_COOKIE2);
	if (rc == 0 && cookie2 != NULL)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, IKE_N_COOKIE2, cookie2->data.p,
				    cookie2->data.len);
	rc = ike_txm_finish(&t, rc, &out);
	if (rc < 0)
		return rc;
	if (update)
		respond_to_source(sa, m->hdr.msg_id, &out);
	else
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
