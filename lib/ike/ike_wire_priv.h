/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private helpers of the IKE wire codec (ike_msg.c, ike_pld.c, ike_frag.c,
 * ike_prop.c): the bounded reader for untrusted bytes, the on-wire header
 * layouts, and the per-payload validate/parse/build functions that the
 * payload walk in ike_msg.c dispatches to. Nothing here is for the state
 * machine or the crypto files; they use ike_wire.h.
 */
#ifndef RAMPART_IKE_WIRE_PRIV_H
#define RAMPART_IKE_WIRE_PRIV_H

#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ike/ike_wire.h"

/* Bounded reader over untrusted bytes (STYLE 4). */
struct ike_rdr {
	const uint8_t *p;
	size_t left;
};

static inline void
rdr_init(struct ike_rdr *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->left = len;
}

/* Carve the next @n bytes as a sub-reader. */
static inline int
rdr_sub(struct ike_rdr *r, size_t n, struct ike_rdr *sub)
{
	if (n > r->left)
		return -EBADMSG;
	sub->p = r->p;
	sub->left = n;
	r->p += n;
	r->left -= n;
	return 0;
}

static inline int
rdr_take(struct ike_rdr *r, void *dst, size_t n)
{
	struct ike_rdr s;

	if (rdr_sub(r, n, &s) < 0)
		return -EBADMSG;
	memcpy(dst, s.p, n);
	return 0;
}

static inline int
rdr_u8(struct ike_rdr *r, uint8_t *v)
{
	return rdr_take(r, v, 1);
}

/* The next @n (2 or 4) bytes as a number in network order. */
static inline int
rdr_be(struct ike_rdr *r, size_t n, uint32_t *v)
{
	struct ike_rdr s;

	if (rdr_sub(r, n, &s) < 0)
		return -EBADMSG;
	*v = n == 2 ? net_rd16(s.p) : net_rd32(s.p);
	return 0;
}

static inline int
rdr_u16(struct ike_rdr *r, uint16_t *v)
{
	uint32_t x;

	if (rdr_be(r, 2, &x) < 0)
		return -EBADMSG;
	*v = (uint16_t)x;
	return 0;
}

static inline int
rdr_u32(struct ike_rdr *r, uint32_t *v)
{
	return rdr_be(r, 4, v);
}

/*
 * Generic payload header (RFC 7296 3.2):
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Next Payload  |C|  RESERVED   |         Payload Length        |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
struct ike_pld_hdr {
	uint8_t next;
	uint8_t flags;
	uint16_t len_be;
};

/* IKE header on the wire (diagram at struct ike_hdr in ike_wire.h). */
struct ike_hdr_wire {
	uint8_t spi_i[8];
	uint8_t spi_r[8];
	uint8_t next;
	uint8_t version;
	uint8_t exchange;
	uint8_t flags;
	uint32_t msg_id_be;
	uint32_t len_be;
};

_Static_assert(sizeof(struct ike_pld_hdr) == IKE_PLD_HDR_LEN, "generic header");
_Static_assert(sizeof(struct ike_hdr_wire) == IKE_HDR_LEN, "IKE header");

#define IKE_VERSION_2_0 0x20
#define IKE_SKF_EXTRA 4			/* Fragment Number + Total Fragments */

/* In a _validate(): set *why and return @rc_. */
#define FAIL(rc_, msg_)                 \
	do {                            \
		*why = (msg_);          \
		return (rc_);           \
	} while (0)

static inline bool
ike_all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Record an error for logs; returns @rc. */
static inline int
ike_msg_fail(struct ike_msg *m, int rc, const char *why)
{
	if (m != NULL && m->err == NULL)
		m->err = why;
	return rc;
}

/*
 * Payload body readers: check @body and, when @out is not NULL, fill @out (the
 * struct of the payload's kind). ike_msg.c calls each one first with NULL and
 * only if that passed again with @out, so a payload that fails writes nothing.
 */
typedef int ike_pld_read_fn(const struct ike_rdr *body, void *out, const char **why);
ike_pld_read_fn ike_pld_sa_read;		/* struct ike_sa_pld */
ike_pld_read_fn ike_pld_ke_read;		/* struct ike_ke */
ike_pld_read_fn ike_pld_id_read;		/* struct ike_id_pld */
ike_pld_read_fn ike_pld_cert_read;		/* struct ike_cert */
ike_pld_read_fn ike_pld_certreq_read;	/* struct ike_cert */
ike_pld_read_fn ike_pld_auth_read;		/* struct ike_auth */
ike_pld_read_fn ike_pld_nonce_read;		/* struct ike_blob */
ike_pld_read_fn ike_pld_notify_read;	/* struct ike_notify */
ike_pld_read_fn ike_pld_delete_read;	/* struct ike_delete */
ike_pld_read_fn ike_pld_ts_read;		/* struct ike_ts_pld */
ike_pld_read_fn ike_pld_cp_read;		/* struct ike_cp */

/* The 4-byte head of ID, AUTH, TS and CP bodies: a type octet (*@type) and
 * three RESERVED bytes that must be zero; @short_why and @rsv_why are the
 * payload's messages for a body shorter than 4 and for reserved bits set. */
int ike_pld_head4(struct ike_rdr *r, uint8_t *type, const char *short_why, const char *rsv_why,
		  const char **why);

/* The bytes of @body after its first @skip (checked by the caller) as a blob. */
static inline void
ike_pld_rest(const struct ike_rdr *body, size_t skip, struct ike_blob *out)
{
	out->p = body->p + skip;
	out->len = body->left - skip;
}

/* Builder internals shared by ike_msg.c, ike_pld.c and ike_frag.c. */
int ike_bld_put(struct ike_bld *b, const void *p, size_t n);
int ike_bld_put_u8(struct ike_bld *b, uint8_t v);
int ike_bld_put_u16(struct ike_bld *b, uint16_t v);
int ike_bld_put_u32(struct ike_bld *b, uint32_t v);
int ike_bld_zero(struct ike_bld *b, size_t n);
/* Write b->len - @start (at most 65535, else -EMSGSIZE) as the big-endian
 * length field at @start + @len_off. */
int ike_bld_len16(struct ike_bld *b, size_t start, size_t len_off);
/* Open a payload of @type: chains the previous next field, writes the
 * generic header; *start gets its offset for ike_bld_pld_end(). */
int ike_bld_pld_begin(struct ike_bld *b, uint8_t type, bool critical, size_t *start);
int ike_bld_pld_end(struct ike_bld *b, size_t start);
/* Record @rc as the builder's sticky error; returns it. */
int ike_bld_error(struct ike_bld *b, int rc);

/* Proposal substructure writer (ike_pld.c) */
int ike_bld_proposal(struct ike_bld *b, const struct ike_proposal *p, uint8_t num, bool last);

/* Expected KE data length of a known group, 0 if unknown. */
size_t ike_dh_len(uint16_t group);

#endif
