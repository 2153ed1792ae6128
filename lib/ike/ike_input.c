/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message I/O around the exchanges: ike_input() (SA lookup, Message-ID window,
 * retransmission and duplicate detection, SK/SKF opening, dispatch to the
 * exchange files) and the builders' sealing and sending helpers.
 *
 * RFC 7296 2.3 and STYLE 8: windows and duplicates are handled here, before
 * any exchange sees a message. Decrypt, then parse: inner payloads are only
 * looked at after the ICV verified. Must not interpret exchange contents.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ike/ike_priv.h"

enum {
	TX_CAP = 16384,
	NATT_PORT = 4500,
};

const struct ike_sk_dir *
ike_sa_keys_out(const struct ike_sa *sa)
{
	return sa->initiator ? &sa->keys.i : &sa->keys.r;
}

const struct ike_sk_dir *
ike_sa_keys_in(const struct ike_sa *sa)
{
	return sa->initiator ? &sa->keys.r : &sa->keys.i;
}

int
ike_txm_begin(struct ike_txm *t, struct ike_sa *sa, uint8_t xchg, bool response, uint32_t msgid)
{
	struct ike_hdr h = {
		.spi_i = sa->spi_i,
		.spi_r = sa->spi_r,
		.exchange = xchg,
		.flags = (uint8_t)((sa->initiator ? IKE_FLAG_I : 0) | (response ? IKE_FLAG_R : 0)),
		.msg_id = msgid,
	};

	t->sa = sa;
	t->cap = TX_CAP;
	t->buf = malloc(t->cap);
	if (t->buf == NULL)
		return -ENOMEM;
	return ike_bld_init(&t->b, t->buf, t->cap, &h);
}

struct ike_req *
ike_txm_request(struct ike_txm *t, struct ike_sa *sa, uint8_t kind, uint8_t xchg, int *rc)
{
	struct ike_req *r = ike_req_alloc(sa, kind);

	if (r == NULL) {
		*rc = -EAGAIN;
		return NULL;
	}
	r->xchg = xchg;
	*rc = ike_txm_begin(t, sa, xchg, false, r->msgid);
	return r;
}

int
ike_txm_finish_req(struct ike_txm *t, struct ike_req *r, int rc, struct ike_pkts *out)
{
	rc = ike_txm_finish(t, rc, out);
	if (rc < 0)
		ike_req_release(r);
	return rc;
}

void
ike_txm_abort(struct ike_txm *t)
{
	if (t->buf != NULL) {
		OPENSSL_cleanse(t->buf, t->cap);
		free(t->buf);
	}
	t->buf = NULL;
}

int
ike_pkts_add(struct ike_pkts *out, const uint8_t *buf, size_t len)
{
	struct ike_pkt *v;
	uint8_t *c;

	if (out->n >= IKE_MAX_FRAGS)
		return -E2BIG;
	v = realloc(out->v, (out->n + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	out->v = v;
	c = malloc(len);
	if (c == NULL)
		return -ENOMEM;
	memcpy(c, buf, len);
	v[out->n].buf = c;
	v[out->n].len = len;
	out->n++;
	return 0;
}

int
ike_txm_plain(struct ike_txm *t, struct ike_pkts *out)
{
	size_t len;
	int rc = ike_bld_finish(&t->b, &len);

	if (rc == 0)
		rc = ike_pkts_add(out, t->buf, len);
	ike_txm_abort(t);
	return rc;
}

/* Largest IKE message we send unfragmented once RFC 7383 is negotiated:
 * 1280 minus IPv6, UDP and the non-ESP marker. */
static size_t
frag_limit(void)
{
	return IKE_FRAG_MTU - 40 - 8 - 4;
}

/* RFC 7383 2.5: split the inner payload bytes into SKF fragments, each sealed
 * on its own with the same header fields. */
static int
seal_frags(struct ike_sa *sa, const uint8_t *hdr, uint8_t first, const uint8_t *inner,
	   size_t inner_len, struct ike_pkts *out)
{
	const struct ike_sk_dir *k = ike_sa_keys_out(sa);
	size_t chunk = ike_sk_max_plain(k, frag_limit() - IKE_HDR_LEN - 8);
	uint8_t *msg;
	unsigned n, i;
	int rc = 0;

	if (chunk == 0)
		return -EINVAL;
	n = (unsigned)((inner_len + chunk - 1) / chunk);
	if (n == 0 || n > IKE_MAX_FRAGS)
		return -E2BIG;
	msg = malloc(IKE_FRAG_MTU + 64);
	if (msg == NULL)
		return -ENOMEM;
	for (i = 0; i < n && rc == 0; i++) {
		size_t off = (size_t)i * chunk;
		size_t cl = inner_len - off < chunk ? inner_len - off : chunk;
		size_t body = ike_sk_body_len(k, cl);
		size_t total = IKE_HDR_LEN + 8 + body, mlen;

		memcpy(msg, hdr, IKE_HDR_LEN);
		msg[16] = IKE_PLD_SKF;
		put_be32(msg + 24, (uint32_t)total);
		msg[28] = i == 0 ? first : 0;
		msg[29] = 0;
		put_be16(msg + 30, (uint16_t)(8 + body));
		put_be16(msg + 32, (uint16_t)(i + 1));
		put_be16(msg + 34, (uint16_t)n);
		rc = ike_sk_seal(k, msg, IKE_HDR_LEN + 8, inner + off, cl, IKE_FRAG_MTU + 64, &mlen);
		if (rc == 0)
			rc = ike_pkts_add(out, msg, mlen);
	}
	free(msg);
	return rc;
}

int
ike_txm_seal(struct ike_txm *t, struct ike_pkts *out)
{
	struct ike_sa *sa = t->sa;
	const struct ike_sk_dir *k = ike_sa_keys_out(sa);
	size_t len, enc_len, enc_cap;
	uint8_t *enc = NULL, first;
	int rc;

	rc = ike_bld_finish(&t->b, &len);
	if (rc < 0)
		goto out;
	first = t->buf[16];
	if (len - IKE_HDR_LEN == 0)
		first = IKE_PLD_NONE;
	if (sa->frag && IKE_HDR_LEN + 4 + ike_sk_body_len(k, len - IKE_HDR_LEN) > frag_limit()) {
		rc = seal_frags(sa, t->buf, first, t->buf + IKE_HDR_LEN, len - IKE_HDR_LEN, out);
		goto out;
	}
	/* exactly the sealed size: header, SK header, IV, padded body, ICV */
	enc_cap = IKE_HDR_LEN + IKE_GENERIC_HDR_LEN + ike_sk_body_len(k, len - IKE_HDR_LEN);
	enc = malloc(enc_cap);
	if (enc == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = ike_sk_encrypt_msg(k, t->buf, first, t->buf + IKE_HDR_LEN, len - IKE_HDR_LEN, enc,
				enc_cap, &enc_len);
	if (rc == 0)
		rc = ike_pkts_add(out, enc, enc_len);
	free(enc);
out:
	ike_txm_abort(t);
	return rc;
}

/*
 * The end of every SK message builder: @rc is what the payload builders
 * returned. On error the unsealed message is dropped; else it is sealed into
 * @out. On error @out holds nothing.
 */
int
ike_txm_finish(struct ike_txm *t, int rc, struct ike_pkts *out)
{
	if (rc < 0) {
		ike_txm_abort(t);
		return rc;
	}
	rc = ike_txm_seal(t, out);
	if (rc < 0)
		ike_pkts_free(out);
	return rc;
}

bool
ike_resp_sent(const struct ike_sa *sa, uint32_t msgid)
{
	if (msgid < sa->resp_low)
		return true;
	if (msgid - sa->resp_low >= 32)
		return false;
	return (sa->resp_done & (1u << (msgid - sa->resp_low))) != 0;
}

int
ike_respond(struct ike_sa *sa, uint32_t msgid, struct ike_pkts *out)
{
	int rc = ike_send_pkts(sa, out);

	ike_resp_store(sa, msgid, out);
	return rc;
}

int
ike_respond_notify(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
		   const uint8_t *data, size_t len)
{
	struct ike_txm t;
	struct ike_pkts out = { .n = 0 };
	int rc;

	rc = ike_txm_begin(&t, sa, m->hdr.exchange, true, m->hdr.msg_id);
	if (rc == 0)
		rc = ike_bld_notify(&t.b, IKE_PROTO_NONE, NULL, 0, type, data, len);
	rc = ike_txm_finish(&t, rc, &out);
	if (rc < 0)
		return rc;
	SA_LOG(sa, DEBUG, "%s response %u: notify %s", ike_exchange_name(m->hdr.exchange),
	       m->hdr.msg_id, ike_notify_name(type));
	return ike_respond(sa, m->hdr.msg_id, &out);
}

int
ike_request_send(struct ike_sa *sa, struct ike_req *r, struct ike_pkts *out)
{
	ike_pkts_free(&r->out);
	r->out = *out;
	out->v = NULL;
	out->n = 0;
	ike_req_sent(sa, r, sa->ctx->now_ms);
	return 0;
}

/* ---- identities ---- */

void
ike_id_local(const struct ike_sa *sa, struct ike_id *id)
{
	const struct ike_id *c = &sa->conn->cfg.local_id;

	if (c->type != IKE_ID_ANY && c->len > 0) {
		*id = *c;
		return;
	}
	memset(id, 0, sizeof(*id));
	if (sa->local.ss_family == AF_INET6) {
		id->type = IKE_ID_IPV6_ADDR;
		id->len = 16;
		memcpy(id->data, &((const struct sockaddr_in6 *)(const void *)&sa->local)->sin6_addr,
		       16);
	} else {
		id->type = IKE_ID_IPV4_ADDR;
		id->len = 4;
		memcpy(id->data, &((const struct sockaddr_in *)(const void *)&sa->local)->sin_addr,
		       4);
	}
}

bool
ike_id_match(const struct ike_id *want, const struct ike_id *got)
{
	if (want->type == IKE_ID_ANY)
		return true;
	if (want->type != got->type || want->len != got->len)
		return false;
	if (want->type == IKE_ID_FQDN || want->type == IKE_ID_RFC822_ADDR)
		return strncasecmp((const char *)want->data, (const char *)got->data, want->len) == 0;
	return memcmp(want->data, got->data, want->len) == 0;
}

const char *
ike_id_str(const struct ike_id *id, char *buf, size_t cap)
{
	switch (id->type) {
	case IKE_ID_IPV4_ADDR:
		if (id->len == 4)
			return inet_ntop(AF_INET, id->data, buf, (socklen_t)cap);
		break;
	case IKE_ID_IPV6_ADDR:
		if (id->len == 16)
			return inet_ntop(AF_INET6, id->data, buf, (socklen_t)cap);
		break;
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR: {
		size_t i, n = id->len < cap - 1 ? id->len : cap - 1;

		for (i = 0; i < n; i++)
			buf[i] = (id->data[i] >= 0x20 && id->data[i] < 0x7f) ? (char)id->data[i] : '?';
		buf[n] = 0;
		return buf;
	}
	default:
		break;
	}
	snprintf(buf, cap, "<type %u, %u bytes>", id->type, id->len);
	return buf;
}

/*
 * RFC 7296 2.23: after NAT detection the peer may change ports (4500) or its
 * NAT mapping; follow the addresses of authenticated messages.
 */
void
ike_sa_update_addrs(struct ike_sa *sa, const struct sockaddr_storage *from,
		    const struct sockaddr_storage *to)
{
	if (!ike_addr_eq(&sa->remote, from, true) || !ike_addr_eq(&sa->local, to, true)) {
		char a[64], b[64];

		SA_LOG(sa, INFO, "peer now at %s (local %s)", ike_addr_str(from, a, sizeof(a)),
		       ike_addr_str(to, b, sizeof(b)));
		sa->remote = *from;
		sa->local = *to;
		if (sa->h_peer_addr.linked)
			ike_htab_add(&sa->ctx->by_peer_addr, &sa->h_peer_addr,
				     ike_peer_addr_key(sa->conn, &sa->remote));
		ike_sa_moved_notify(sa);
	}
	if (ike_port(to) == NATT_PORT)
		sa->natt = true;
}

/* ---- receive path ---- */

static void
drop(struct ike_ctx *ctx, const char *why, const struct ike_hdr *h)
{
	ctx->st.rx_dropped++;
	if (h != NULL)
		IKE_LOG(ctx, DEBUG, "ike %016" PRIx64 ":%016" PRIx64 " %s msgid %u dropped: %s",
			h->spi_i, h->spi_r, ike_exchange_name(h->exchange), h->msg_id, why);
	else
		IKE_LOG(ctx, DEBUG, "datagram dropped: %s", why);
}

static void
sa_invalid(struct ike_sa *sa, const struct ike_msg *m, const char *what, int rc)
{
	sa->ctx->st.rx_invalid++;
	SA_LOG(sa, DEBUG, "%s %s %u: %s (%s%s%s, payload %u at %zu)",
	       ike_exchange_name(m->hdr.exchange),
	       (m->hdr.flags & IKE_FLAG_R) ? "response" : "request", m->hdr.msg_id, what,
	       ike_strerror(rc), m->err ? ": " : "", m->err ? m->err : "", m->err_pld,
	       m->err_off);
}

/* The plaintext buffer for @m: the decrypted body is shorter than the
 * datagram, so the datagram's length (plus the Pad Length byte a fragment
 * gets back) bounds it; a fixed 64 KB buffer per message cost a large
 * allocation and a 64 KB wipe on every encrypted datagram. */
static size_t
plain_cap(const struct ike_msg *m)
{
	return m->raw_len + 1;
}

/* Open the SK payload or feed an SKF fragment. 1: m has its inner payloads,
 * 0: fragment stored (more needed), <0: drop. */
static int
open_msg(struct ike_sa *sa, struct ike_msg *m, uint8_t **plain, size_t *plain_size,
	 bool *authed)
{
	const struct ike_sk_dir *k = ike_sa_keys_in(sa);
	size_t plain_len, cap = plain_cap(m) - 1;
	uint8_t first;
	int rc;

	if (!m->sk.present || !sa->have_keys)
		return -EPROTO;
	*plain = malloc(cap + 1);
	if (*plain == NULL)
		return -ENOMEM;
	*plain_size = cap + 1;
	if (!m->sk.frag) {
		/* SK need not be the first payload: open it where the walk found it */
		first = m->sk.next;
		rc = ike_sk_open(k, m->raw, m->raw_len, m->sk.body_off, *plain, cap, &plain_len);
		if (rc < 0)
			return rc;
		*authed = true;
		sa->rx_inner = *plain;
		sa->rx_inner_len = plain_len;
		sa->rx_first = first;
		rc = ike_msg_parse_inner_raw(m, first, *plain, plain_len);
		return rc < 0 ? rc : 1;
	}
	if (!sa->frag)
		return -EPROTO;
	rc = ike_sk_open(k, m->raw, m->raw_len, m->sk.body_off, *plain, cap, &plain_len);
	if (rc < 0)
		return rc;
	*authed = true;
	(*plain)[plain_len] = 0;	/* Pad Length 0: ike_frag_add strips it */
	if (sa->frx.active && sa->frx.msg_id != m->hdr.msg_id)
		ike_sa_frag_reset(sa);
	if (ike_sa_frag_admit(sa, plain_len) < 0)
		return 0;		/* over a memory cap: counted, dropped */
	rc = ike_frag_add(&sa->frx, m, *plain, plain_len + 1, sa->ctx->now_ms);
	ike_sa_frag_account(sa);
	if (rc == -EALREADY || rc == -ESTALE || rc == 0)
		return 0;
	if (rc < 0)
		return rc;
	sa->rx_inner = sa->frx.whole;
	sa->rx_inner_len = sa->frx.whole_len;
	sa->rx_first = sa->frx.first_next;
	rc = ike_frag_parse(&sa->frx, m);
	return rc < 0 ? rc : 1;
}

static int
dispatch_request(struct ike_sa *sa, const struct ike_msg *m)
{
	switch (m->hdr.exchange) {
	case IKE_XCHG_AUTH:
		return ike_auth_on_request(sa, m);
	case IKE_XCHG_CREATE_CHILD_SA:
		return ike_child_on_request(sa, m);
	case IKE_XCHG_INFORMATIONAL:
		return ike_info_on_request(sa, m);
	default:
		return -EPROTO;
	}
}

static int
dispatch_response(struct ike_sa *sa, const struct ike_msg *m, struct ike_req *r)
{
	switch (r->kind) {
	case IKE_REQ_AUTH:
		return ike_auth_on_response(sa, m, r);
	case IKE_REQ_CHILD_NEW:
	case IKE_REQ_CHILD_REKEY:
	case IKE_REQ_IKE_REKEY:
		return ike_child_on_response(sa, m, r);
	case IKE_REQ_DELETE_CHILD:
	case IKE_REQ_DELETE_IKE:
	case IKE_REQ_DPD:
	case IKE_REQ_INFO:
		return ike_info_on_response(sa, m, r);
	default:
		return -EPROTO;
	}
}

static void
input_sa(struct ike_sa *sa, struct ike_msg *m, const struct sockaddr_storage *from,
	 const struct sockaddr_storage *to)
{
	bool response = (m->hdr.flags & IKE_FLAG_R) != 0;
	uint8_t *plain = NULL;
	size_t plain_size = 0;
	struct ike_req *r = NULL;
	bool authed = false, beyond = false;
	int rc;

	/* the I flag names the original initiator: it must be the peer's role */
	if (((m->hdr.flags & IKE_FLAG_I) != 0) == sa->initiator) {
		sa_invalid(sa, m, "initiator flag does not match our role", -EPROTO);
		return;
	}
	if (m->hdr.exchange == IKE_XCHG_SA_INIT) {
		if (!response) {
			/* retransmitted IKE_SA_INIT on an SA that has its SPI now */
			ike_resp_check(sa, m);
			return;
		}
		r = ike_req_find(sa, m->hdr.msg_id);
		if (r == NULL && m->hdr.msg_id == 0 && sa->spi_r == m->hdr.spi_r) {
			/* the peer's answer to our retransmitted IKE_SA_INIT after we
			 * took its first answer (RFC 7296 2.1): a duplicate, not an error */
			sa->ctx->st.rx_dropped++;
			SA_LOG(sa, DEBUG, "IKE_SA_INIT response 0: duplicate, dropped");
			return;
		}
		if (r == NULL || r->kind != IKE_REQ_SA_INIT) {
			sa_invalid(sa, m, "unexpected IKE_SA_INIT response", -EPROTO);
			return;
		}
		ike_init_on_response(sa, m, r);
		return;
	}
	if (response) {
		r = ike_req_find(sa, m->hdr.msg_id);
		if (r == NULL) {
			sa->ctx->st.rx_dropped++;
			SA_LOG(sa, DEBUG, "%s response %u: no such request outstanding, dropped",
			       ike_exchange_name(m->hdr.exchange), m->hdr.msg_id);
			return;
		}
		if (r->xchg != m->hdr.exchange) {
			sa_invalid(sa, m, "response exchange type differs from request", -EPROTO);
			return;
		}
	} else {
		/* RFC 7383 2.6.1: a retransmitted fragmented request is answered
		 * once, on its first fragment */
		if (m->sk.frag && m->sk.frag_num != 1 && ike_resp_sent(sa, m->hdr.msg_id))
			return;
		rc = ike_resp_check(sa, m);
		if (rc == -ERANGE) {
			beyond = true;
		} else if (rc <= 0) {
			if (rc < 0)
				sa->ctx->st.rx_dropped++;
			return;
		}
		if (sa->job_pending && sa->job_msgid == m->hdr.msg_id) {
			SA_LOG(sa, DEBUG, "request %u again while its job runs: dropped",
			       m->hdr.msg_id);
			return;
		}
		if (m->sk.frag && sa->frx.complete)
			ike_sa_frag_reset(sa);
	}
	rc = open_msg(sa, m, &plain, &plain_size, &authed);
	/* the request's own datagram (fragment 1 of a fragmented one), once
	 * authentic: what a retransmission must match to be answered again */
	if (!response && !beyond && authed && (!m->sk.frag || m->sk.frag_num == 1))
		ike_req_hash_note(sa, m);
	if (beyond) {
		/* RFC 7296 3.10.1: an authentic request outside our window is not
		 * answered; the peer learns it from INVALID_MESSAGE_ID in a request
		 * of ours (rate-limited) */
		sa->ctx->st.rx_dropped++;
		if (authed && (sa->invalid_msgid_ms == 0 ||
			       sa->ctx->now_ms - sa->invalid_msgid_ms >= 1000)) {
			uint8_t d[4];

			put_be32(d, m->hdr.msg_id);
			sa->invalid_msgid_ms = sa->ctx->now_ms ? sa->ctx->now_ms : 1;
			ike_info_notify_start(sa, IKE_N_INVALID_MESSAGE_ID, d, sizeof(d));
		}
		if (m->sk.frag && rc > 0)
			ike_sa_frag_reset(sa);
		goto out;
	}
	if (rc <= 0) {
		if (rc < 0) {
			sa_invalid(sa, m, authed ? "malformed inner payloads" : "cannot open", rc);
			/* RFC 7296 2.21.2: answer a request whose ICV verified but whose
			 * contents are broken; never answer what did not verify */
			if (!response && authed && rc == -EOPNOTSUPP)
				ike_respond_notify(sa, m, IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD,
						   &m->unsupported_critical, 1);
			else if (!response && authed)
				ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
			else if (response && authed)
				ike_req_release(r);
		}
		goto out;
	}
	sa->last_rx_ms = sa->ctx->now_ms;
	sa->dpd_pending = false;
	sa->rx_from = from;
	sa->rx_to = to;
	if (!ike_info_is_update(sa, m))
		ike_sa_update_addrs(sa, from, to);
	if (response) {
		/* the slot is free before the handler runs: it may send the next
		 * request (Delete after a rekey) in a window of 1 */
		struct ike_req done = *r;

		memset(r, 0, sizeof(*r));
		rc = dispatch_response(sa, m, &done);
		if (rc < 0)
			sa_invalid(sa, m, "response rejected", rc);
		ike_req_release(&done);
	} else {
		rc = dispatch_request(sa, m);
		if (rc < 0)
			sa_invalid(sa, m, "request rejected", rc);
		if (sa->state != IKE_ST_DEAD && !ike_resp_sent(sa, m->hdr.msg_id) &&
		    !(sa->job_pending && sa->job_msgid == m->hdr.msg_id))
			ike_respond_notify(sa, m, IKE_N_INVALID_SYNTAX, NULL, 0);
	}
	if (m->sk.frag)
		ike_sa_frag_reset(sa);
out:
	sa->rx_from = sa->rx_to = NULL;
	sa->rx_inner = NULL;
	sa->rx_inner_len = 0;
	if (plain != NULL) {
		OPENSSL_cleanse(plain, plain_size);
		free(plain);
	}
}

int
ike_input(struct ike_ctx *ctx, const uint8_t *buf, size_t len, const struct sockaddr *from,
	  const struct sockaddr *to, uint64_t now_ms)
{
	struct sockaddr_storage f, t;
	struct ike_msg *m;
	struct ike_sa *sa;
	uint64_t our_spi;
	int rc;

	ctx->now_ms = now_ms;
	ctx->st.rx++;
	if (buf == NULL || from == NULL || to == NULL)
		return -EINVAL;
	if (len == 1 && buf[0] == 0xff)
		return 0;	/* NAT keepalive (RFC 3948 2.3) */
	ike_addr_from(&f, from);
	ike_addr_from(&t, to);
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	rc = ike_msg_parse(buf, len, m);
	if (rc == -EPROTONOSUPPORT) {
		drop(ctx, "major version not 2", &m->hdr);
		goto out;
	}
	if (rc < 0) {
		ctx->st.rx_invalid++;
		IKE_LOG(ctx, DEBUG, "datagram of %zu bytes rejected: %s (%s, payload %u at %zu)",
			len, ike_strerror(rc), m->err ? m->err : "-", m->err_pld, m->err_off);
		/* an unauthenticated IKE_SA_INIT request with a bad payload */
		if (m->hdr.exchange == IKE_XCHG_SA_INIT && !(m->hdr.flags & IKE_FLAG_R) &&
		    m->hdr.spi_r == 0 && len >= IKE_HDR_LEN)
			ike_init_on_request(ctx, m, &f, &t);
		goto out;
	}
	if (m->hdr.exchange == IKE_XCHG_SA_INIT && !(m->hdr.flags & IKE_FLAG_R) &&
	    m->hdr.spi_r == 0) {
		if (m->hdr.msg_id != 0) {
			drop(ctx, "IKE_SA_INIT with a non-zero message ID", &m->hdr);
			goto out;
		}
		sa = ike_sa_by_init(ctx, m->hdr.spi_i, &f);
		if (sa != NULL) {
			ike_resp_check(sa, m);	/* retransmission: cached response */
			goto out;
		}
		ike_init_on_request(ctx, m, &f, &t);
		goto out;
	}
	our_spi = (m->hdr.flags & IKE_FLAG_I) ? m->hdr.spi_r : m->hdr.spi_i;
	sa = ike_sa_by_spi(ctx, our_spi);
	if (sa == NULL) {
		drop(ctx, "no IKE SA with this SPI", &m->hdr);
		goto out;
	}
	if (sa->spi_r != 0 && m->hdr.spi_r != sa->spi_r && m->hdr.exchange != IKE_XCHG_SA_INIT) {
		drop(ctx, "responder SPI does not match", &m->hdr);
		goto out;
	}
	input_sa(sa, m, &f, &t);
out:
	free(m);
	ike_sa_reap(ctx);
	return 0;
}
