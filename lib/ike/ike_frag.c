/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 message fragmentation (RFC 7383): splitting the inner payloads of
 * an SK message into separately protected Encrypted Fragment (SKF) payloads,
 * and reassembling received fragments.
 *
 * Reassembly only ever sees fragments whose ICV the caller has verified and
 * whose contents it has decrypted (RFC 7383 2.6): forged fragments cannot
 * evict genuine ones. It still bounds everything an authenticated but
 * misbehaving peer controls: fragment count, total bytes, time. No crypto
 * here; the caller's seal step protects each outgoing fragment.
 */
#include "ike/ike_wire.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_wire_priv.h"

/*
 * Encrypted Fragment payload (RFC 7383 2.5):
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |        Fragment Number        |        Total Fragments        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                     Initialization Vector                     |
 * ~                      Encrypted content                        ~
 * |               |             Padding (0-255 octets)            |
 * +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
 * |                                               |  Pad Length   |
 * ~                    Integrity Checksum Data                    ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
#define SKF_HDR_LEN (IKE_PLD_HDR_LEN + IKE_SKF_EXTRA)

int
ike_frag_split(const struct ike_bld *b, size_t frag_max_len, ike_sk_seal_fn seal, void *arg,
	       uint8_t *out, size_t out_cap, struct ike_frag_out *fo)
{
	const struct ike_sk_params *p = &b->skp;
	size_t fixed, room, ct_max, chunk, inner_len, done = 0, pos = 0;
	unsigned n, i;
	uint8_t first;

	memset(fo, 0, sizeof(*fo));
	if (b->err != 0)
		return b->err;
	/* Only an SK opened right after the header (what we build). */
	if (!b->in_sk || b->sealed || b->sk_off != IKE_HDR_LEN || seal == NULL || out == NULL)
		return -EINVAL;
	if (frag_max_len < IKE_FRAG_MIN_LEN || frag_max_len > IKE_MSG_MAX_LEN)
		return -EINVAL;
	fixed = IKE_HDR_LEN + SKF_HDR_LEN + p->iv_len + p->icv_len;
	if (fixed >= frag_max_len)
		return -EINVAL;
	room = frag_max_len - fixed;
	ct_max = p->block_len > 1 ? room - room % p->block_len : room;
	if (ct_max < 2)
		return -EINVAL;
	chunk = ct_max - 1;		/* the Pad Length byte */
	first = b->buf[b->sk_off];
	inner_len = b->len - b->inner_off;
	n = inner_len == 0 ? 1 : (unsigned)((inner_len + chunk - 1) / chunk);
	if (n > IKE_FRAG_MAX)
		return -E2BIG;

	for (i = 0; i < n; i++) {
		size_t take = inner_len - done < chunk ? inner_len - done : chunk;
		size_t pad = p->block_len > 1 ? (p->block_len - (take + 1) % p->block_len) %
				p->block_len : 0;
		size_t flen = IKE_HDR_LEN + SKF_HDR_LEN + p->iv_len + take + pad + 1 + p->icv_len;
		struct ike_sk_layout l;
		uint8_t *f;
		int rc;

		if (flen > out_cap - pos)
			return -ENOSPC;
		f = out + pos;
		memcpy(f, b->buf, IKE_HDR_LEN);
		f[offsetof(struct ike_hdr_wire, next)] = IKE_PLD_SKF;
		put_be32(f + offsetof(struct ike_hdr_wire, len_be), (uint32_t)flen);
		f[IKE_HDR_LEN] = i == 0 ? first : IKE_PLD_NONE;
		f[IKE_HDR_LEN + 1] = 0;
		put_be16(f + IKE_HDR_LEN + 2, (uint16_t)(flen - IKE_HDR_LEN));
		put_be16(f + IKE_HDR_LEN + 4, (uint16_t)(i + 1));
		put_be16(f + IKE_HDR_LEN + 6, (uint16_t)n);
		l.aad_len = IKE_HDR_LEN + SKF_HDR_LEN;
		l.iv_off = l.aad_len;
		l.iv_len = p->iv_len;
		memset(f + l.iv_off, 0, p->iv_len);
		l.ct_off = l.iv_off + p->iv_len;
		l.ct_len = take + pad + 1;
		memcpy(f + l.ct_off, b->buf + b->inner_off + done, take);
		memset(f + l.ct_off + take, 0, pad);
		f[l.ct_off + take + pad] = (uint8_t)pad;
		l.icv_off = l.ct_off + l.ct_len;
		l.icv_len = p->icv_len;
		memset(f + l.icv_off, 0, p->icv_len);
		rc = seal(arg, f, flen, &l);
		if (rc < 0)
			return rc;
		fo->off[i] = pos;
		fo->len[i] = flen;
		pos += flen;
		done += take;
	}
	fo->n = n;
	return 0;
}

void
ike_frag_init(struct ike_frag_reasm *r)
{
	memset(r, 0, sizeof(*r));
}

/* Wipe before freeing: fragments hold decrypted IKE payloads. */
static void
wipe_free(uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

void
ike_frag_reset(struct ike_frag_reasm *r)
{
	unsigned i;

	for (i = 0; i < IKE_FRAG_MAX; i++)
		wipe_free(r->frag[i], r->frag_len[i]);
	wipe_free(r->whole, r->whole_len);
	memset(r, 0, sizeof(*r));
}

void
ike_frag_fini(struct ike_frag_reasm *r)
{
	ike_frag_reset(r);
}

static int
assemble(struct ike_frag_reasm *r)
{
	size_t pos = 0;
	unsigned i;

	/* bytes <= IKE_FRAG_MAX_TOTAL, checked on every add. */
	r->whole = malloc(r->bytes != 0 ? r->bytes : 1);
	if (r->whole == NULL)
		return -ENOMEM;
	for (i = 0; i < r->total; i++) {
		if (r->frag_len[i] != 0)
			memcpy(r->whole + pos, r->frag[i], r->frag_len[i]);
		pos += r->frag_len[i];
	}
	r->whole_len = pos;
	r->complete = true;
	return 1;
}

/* Store @inner (unpadded, verified, decrypted) as fragment m->sk.frag_num. */
static int
add_inner(struct ike_frag_reasm *r, const struct ike_msg *m, const uint8_t *inner,
	  size_t inner_len, uint64_t now_ms)
{
	uint16_t num = m->sk.frag_num, total = m->sk.frag_total;
	uint8_t *copy;

	if (!m->sk.present || !m->sk.frag || (inner == NULL && inner_len != 0))
		return -EINVAL;
	/* Re-checked here: the caller may have built @m by hand. */
	if (num == 0 || total == 0 || num > total)
		return -EBADMSG;
	if (total > IKE_FRAG_MAX)
		return -E2BIG;

	if (r->active && r->msg_id != m->hdr.msg_id)
		ike_frag_reset(r);
	if (r->active && total > r->total) {
		/* RFC 7383 2.6: a retransmission with smaller fragments
		 * (PMTU discovery) supersedes what we have. */
		ike_frag_reset(r);
	} else if (r->active && total < r->total) {
		return -ESTALE;
	}
	if (!r->active) {
		r->active = true;
		r->msg_id = m->hdr.msg_id;
		r->exchange = m->hdr.exchange;
		r->total = total;
		r->start_ms = now_ms;
	}
	if (r->complete || r->frag[num - 1] != NULL)
		return -EALREADY;
	if (inner_len > UINT16_MAX || inner_len > IKE_FRAG_MAX_TOTAL - r->bytes)
		return -E2BIG;
	copy = malloc(inner_len != 0 ? inner_len : 1);
	if (copy == NULL)
		return -ENOMEM;
	if (inner_len != 0)
		memcpy(copy, inner, inner_len);
	r->frag[num - 1] = copy;
	r->frag_len[num - 1] = (uint16_t)inner_len;
	r->bytes += inner_len;
	if (num == 1)
		r->first_next = m->sk.next;
	r->n_have++;
	if (r->n_have < r->total)
		return 0;
	return assemble(r);
}

int
ike_frag_add(struct ike_frag_reasm *r, const struct ike_msg *m, const uint8_t *pt,
	     size_t pt_len, uint64_t now_ms)
{
	size_t inner_len;

	if (!m->sk.present || !m->sk.frag)
		return -EINVAL;
	if (ike_sk_unpad(pt, pt_len, &inner_len) < 0)
		return -EBADMSG;
	return add_inner(r, m, pt, inner_len, now_ms);
}

int
ike_frag_add_raw(struct ike_frag_reasm *r, const struct ike_msg *m, const uint8_t *inner,
		 size_t inner_len, uint64_t now_ms)
{
	return add_inner(r, m, inner, inner_len, now_ms);
}

int
ike_frag_parse(struct ike_frag_reasm *r, struct ike_msg *m)
{
	if (!r->complete || m->hdr.msg_id != r->msg_id)
		return -EINVAL;
	return ike_msg_parse_inner_raw(m, r->first_next, r->whole, r->whole_len);
}

bool
ike_frag_expired(const struct ike_frag_reasm *r, uint64_t now_ms)
{
	return r->active && !r->complete && now_ms >= r->start_ms &&
	       now_ms - r->start_ms >= IKE_FRAG_TIMEOUT_MS;
}
