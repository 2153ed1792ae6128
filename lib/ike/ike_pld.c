/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 payload bodies (RFC 7296 3.3 - 3.15): for each payload type a
 * _validate() that checks lengths, counts, reserved fields and ranges of
 * untrusted bytes, a _parse() that fills a fixed-size struct and may assume
 * its _validate() succeeded on the same bytes, and an ike_bld_<x>() that
 * writes the payload through the builder core of ike_msg.c. Traffic
 * selectors and the configuration payload are in ike_pld_ts.c.
 *
 * Deliberate strictness: RESERVED fields must be zero on receipt (RFC 7296
 * says "ignore"; every implementation we talk to sends zero, and a non-zero
 * value here means a parser disagreement we would rather see).
 */
#include "ike/ike_wire.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "ike/ike_wire_priv.h"


size_t
ike_dh_len(uint16_t group)
{
	switch (group) {
	case IKE_DH_MODP2048: return 256;
	case IKE_DH_MODP3072: return 384;
	case IKE_DH_MODP4096: return 512;
	case IKE_DH_ECP256: return 64;
	case IKE_DH_ECP384: return 96;
	case IKE_DH_ECP521: return 132;
	case IKE_DH_CURVE25519: return 32;
	default: return 0;
	}
}

/* ------------------------------------------------------------------------ */
/* SA (RFC 7296 3.3)                                                        */

/*
 * Proposal substructure (3.3.1):
 *  0                   1                   2                   3
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |         Proposal Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        SPI (variable)                         ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                        <Transforms>                           ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
struct ike_prop_wire {
	uint8_t last;			/* 0 last, 2 more */
	uint8_t reserved;
	uint16_t len_be;
	uint8_t num;
	uint8_t proto;
	uint8_t spi_size;
	uint8_t n_xforms;
};

/*
 * Transform substructure (3.3.2):
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * | Last Substruc |   RESERVED    |        Transform Length       |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Transform Type |   RESERVED    |          Transform ID         |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * ~                      Transform Attributes                     ~
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Attribute (3.3.5):
 * |A|       Attribute Type        |    AF=0  Attribute Length     |
 * |F|                             |    AF=1  Attribute Value      |
 * |                   AF=0  Attribute Value (variable)            |
 */
struct ike_xform_wire {
	uint8_t last;			/* 0 last, 3 more */
	uint8_t reserved1;
	uint16_t len_be;
	uint8_t type;
	uint8_t reserved2;
	uint16_t id_be;
};

struct ike_attr_wire {
	uint16_t type_be;		/* top bit: AF (TV format) */
	uint16_t len_or_val_be;
};

#define IKE_ATTR_AF 0x8000
#define IKE_SUBSTRUC_MORE_PROP 2
#define IKE_SUBSTRUC_MORE_XFORM 3

_Static_assert(sizeof(struct ike_prop_wire) == 8, "proposal header");
_Static_assert(sizeof(struct ike_xform_wire) == 8, "transform header");

/*
 * Walk one transform's attributes. Fills @xf when non-NULL. Unknown
 * attributes or a second key length make the transform unusable (3.3.6).
 */
static int
xform_attrs(struct ike_rdr *a, struct ike_xform *xf, const char **why)
{
	unsigned n = 0;
	bool have_keylen = false, usable = true;
	uint16_t keylen = 0;

	while (a->left > 0) {
		struct ike_attr_wire w;
		uint16_t type, v;

		if (++n > IKE_MAX_XFORM_ATTRS)
			FAIL(-E2BIG, "too many transform attributes");
		if (rdr_take(a, &w, sizeof(w)) < 0)
			FAIL(-EBADMSG, "truncated transform attribute");
		type = be16toh(w.type_be);
		v = be16toh(w.len_or_val_be);
		if (!(type & IKE_ATTR_AF)) {
			struct ike_rdr val;

			/* TLV: skip the value; we know no TLV attribute. */
			if (rdr_sub(a, v, &val) < 0)
				FAIL(-EBADMSG, "transform attribute beyond transform");
			usable = false;
			continue;
		}
		type &= ~IKE_ATTR_AF;
		if (type == IKE_ATTR_KEY_LENGTH && !have_keylen) {
			have_keylen = true;
			keylen = v;
		} else {
			usable = false;
		}
	}
	if (xf != NULL) {
		xf->key_bits = keylen;
		xf->usable = usable;
	}
	return 0;
}

/*
 * Walk one proposal body (after its 8-byte header). @out may be NULL
 * (validate only).
 */
static int
prop_body(struct ike_rdr *p, const struct ike_prop_wire *pw, struct ike_proposal *out,
	  const char **why)
{
	unsigned i;
	uint8_t last = IKE_SUBSTRUC_MORE_XFORM;
	bool usable = true;

	if (pw->reserved != 0)
		FAIL(-EBADMSG, "reserved byte in proposal");
	if (pw->n_xforms == 0)
		FAIL(-EBADMSG, "proposal with 0 transforms");
	if (pw->n_xforms > IKE_MAX_XFORMS)
		FAIL(-E2BIG, "too many transforms in proposal");
	if (pw->spi_size > IKE_MAX_SPI_LEN)
		FAIL(-EBADMSG, "proposal SPI size > 8");
	switch (pw->proto) {
	case IKE_PROTO_IKE:
		if (pw->spi_size != 0 && pw->spi_size != 8)
			FAIL(-EBADMSG, "IKE proposal SPI size not 0 or 8");
		break;
	case IKE_PROTO_AH:
	case IKE_PROTO_ESP:
		if (pw->spi_size != 4)
			FAIL(-EBADMSG, "ESP/AH proposal SPI size not 4");
		break;
	default:
		usable = false;		/* unknown protocol: cannot be chosen */
		break;
	}
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->num = pw->num;
		out->proto = pw->proto;
		out->spi_len = pw->spi_size;
	}
	if (rdr_take(p, out != NULL ? out->spi : (uint8_t[IKE_MAX_SPI_LEN]){ 0 },
		    pw->spi_size) < 0)
		FAIL(-EBADMSG, "proposal SPI beyond proposal");
	for (i = 0; i < pw->n_xforms; i++) {
		struct ike_xform_wire xw;
		struct ike_xform *xf = out != NULL ? &out->xf[i] : NULL;
		struct ike_rdr attrs;
		size_t xlen;
		int rc;

		if (last != IKE_SUBSTRUC_MORE_XFORM)
			FAIL(-EBADMSG, "transform count exceeds transforms present");
		if (rdr_take(p, &xw, sizeof(xw)) < 0)
			FAIL(-EBADMSG, "truncated transform");
		xlen = be16toh(xw.len_be);
		if (xlen < sizeof(xw))
			FAIL(-EBADMSG, "transform length < 8");
		if (rdr_sub(p, xlen - sizeof(xw), &attrs) < 0)
			FAIL(-EBADMSG, "transform length beyond proposal");
		if (xw.last != 0 && xw.last != IKE_SUBSTRUC_MORE_XFORM)
			FAIL(-EBADMSG, "bad transform Last Substruc");
		if (xw.reserved1 != 0 || xw.reserved2 != 0)
			FAIL(-EBADMSG, "reserved byte in transform");
		last = xw.last;
		rc = xform_attrs(&attrs, xf, why);
		if (rc < 0)
			return rc;
		if (xw.type < IKE_XF_ENCR || xw.type > IKE_XF_TYPE_MAX)
			usable = false;	/* RFC 7296 3.3.6: reject whole proposal */
		if (xf != NULL) {
			xf->type = xw.type;
			xf->id = be16toh(xw.id_be);
		}
	}
	if (last != 0)
		FAIL(-EBADMSG, "last transform not marked last");
	if (p->left != 0)
		FAIL(-EBADMSG, "bytes after last transform in proposal");
	if (out != NULL) {
		out->n_xforms = pw->n_xforms;
		out->usable = usable;
	}
	return 0;
}

int
ike_pld_sa_read(const struct ike_rdr *body, void *arg, const char **why)
{
	struct ike_sa_pld *out = arg;
	struct ike_rdr r = *body;
	unsigned n = 0;
	uint8_t last = IKE_SUBSTRUC_MORE_PROP, prev_num = 0;

	if (out != NULL)
		out->n_props = 0;
	if (r.left == 0)
		FAIL(-EBADMSG, "SA payload without proposals");
	while (r.left > 0) {
		struct ike_prop_wire pw;
		struct ike_rdr p;
		size_t plen;
		int rc;

		if (last != IKE_SUBSTRUC_MORE_PROP)
			FAIL(-EBADMSG, "bytes after last proposal");
		if (n >= IKE_MAX_SA_PROPOSALS)
			FAIL(-E2BIG, "too many proposals");
		if (rdr_take(&r, &pw, sizeof(pw)) < 0)
			FAIL(-EBADMSG, "truncated proposal");
		plen = be16toh(pw.len_be);
		if (plen < sizeof(pw))
			FAIL(-EBADMSG, "proposal length < 8");
		if (rdr_sub(&r, plen - sizeof(pw), &p) < 0)
			FAIL(-EBADMSG, "proposal length beyond SA payload");
		if (pw.last != 0 && pw.last != IKE_SUBSTRUC_MORE_PROP)
			FAIL(-EBADMSG, "bad proposal Last Substruc");
		/* RFC 7296 3.3.1: numbers start at 1 and go up by one. */
		if (pw.num == 0 || (n > 0 && pw.num != (uint8_t)(prev_num + 1)))
			FAIL(-EBADMSG, "proposal numbers not consecutive");
		rc = prop_body(&p, &pw, out != NULL ? &out->props[n] : NULL, why);
		if (rc < 0)
			return rc;
		last = pw.last;
		prev_num = pw.num;
		n++;
	}
	if (last != 0)
		FAIL(-EBADMSG, "last proposal not marked last");
	if (out != NULL)
		out->n_props = n;
	return 0;
}

int
ike_bld_proposal(struct ike_bld *b, const struct ike_proposal *p, uint8_t num, bool last)
{
	struct ike_prop_wire pw;
	size_t start = b->len;
	unsigned i;
	int rc;

	if (p->n_xforms == 0 || p->n_xforms > IKE_MAX_XFORMS || p->spi_len > IKE_MAX_SPI_LEN)
		return ike_bld_error(b, -EINVAL);
	memset(&pw, 0, sizeof(pw));
	pw.last = last ? 0 : IKE_SUBSTRUC_MORE_PROP;
	pw.num = num;
	pw.proto = p->proto;
	pw.spi_size = p->spi_len;
	pw.n_xforms = (uint8_t)p->n_xforms;
	rc = ike_bld_put(b, &pw, sizeof(pw));
	if (rc == 0)
		rc = ike_bld_put(b, p->spi, p->spi_len);
	for (i = 0; rc == 0 && i < p->n_xforms; i++) {
		const struct ike_xform *x = &p->xf[i];
		struct ike_xform_wire xw;

		memset(&xw, 0, sizeof(xw));
		xw.last = i + 1 == p->n_xforms ? 0 : IKE_SUBSTRUC_MORE_XFORM;
		xw.len_be = htobe16(x->key_bits != 0 ? 12 : 8);
		xw.type = x->type;
		xw.id_be = htobe16(x->id);
		rc = ike_bld_put(b, &xw, sizeof(xw));
		if (rc == 0 && x->key_bits != 0) {
			rc = ike_bld_put_u16(b, IKE_ATTR_AF | IKE_ATTR_KEY_LENGTH);
			if (rc == 0)
				rc = ike_bld_put_u16(b, x->key_bits);
		}
	}
	if (rc < 0)
		return rc;
	return ike_bld_len16(b, start, offsetof(struct ike_prop_wire, len_be));
}

int
ike_bld_sa(struct ike_bld *b, const struct ike_proposal *props, unsigned n)
{
	size_t start;
	unsigned i;
	int rc;

	if (props == NULL || n == 0 || n > IKE_MAX_SA_PROPOSALS)
		return ike_bld_error(b, -EINVAL);
	rc = ike_bld_pld_begin(b, IKE_PLD_SA, false, &start);
	for (i = 0; rc == 0 && i < n; i++) {
		uint8_t num = props[i].num != 0 ? props[i].num : (uint8_t)(i + 1);

		rc = ike_bld_proposal(b, &props[i], num, i + 1 == n);
	}
	if (rc == 0)
		rc = ike_bld_pld_end(b, start);
	return rc;
}

/*
 * A payload whose body is a fixed head (type, method or encoding, reserved
 * zeros, a notify's SPI) followed by variable data: KE, ID, CERT, CERTREQ,
 * AUTH and N.
 */
static int
bld_head_data(struct ike_bld *b, uint8_t type, const uint8_t *head, size_t head_len,
	      const uint8_t *data, size_t len)
{
	size_t start;
	int rc;

	rc = ike_bld_pld_begin(b, type, false, &start);
	if (rc == 0)
		rc = ike_bld_put(b, head, head_len);
	if (rc == 0)
		rc = ike_bld_put(b, data, len);
	if (rc == 0)
		rc = ike_bld_pld_end(b, start);
	return rc;
}

int
ike_pld_head4(struct ike_rdr *r, uint8_t *type, const char *short_why, const char *rsv_why,
	      const char **why)
{
	uint8_t hdr[4];

	if (rdr_take(r, hdr, sizeof(hdr)) < 0)
		FAIL(-EBADMSG, short_why);
	if (!ike_all_zero(hdr + 1, 3))
		FAIL(-EBADMSG, rsv_why);
	*type = hdr[0];
	return 0;
}

/* ------------------------------------------------------------------------ */
/* KE (3.4)                                                                 */

/*
 * |   Diffie-Hellman Group Num    |           RESERVED            |
 * ~                       Key Exchange Data                       ~
 */
int
ike_pld_ke_read(const struct ike_rdr *body, void *arg, const char **why)
{
	struct ike_ke *out = arg;
	struct ike_rdr r = *body;
	uint16_t group, reserved;
	size_t want;

	if (rdr_u16(&r, &group) < 0 || rdr_u16(&r, &reserved) < 0)
		FAIL(-EBADMSG, "KE payload shorter than 4");
	if (reserved != 0)
		FAIL(-EBADMSG, "reserved bytes in KE payload");
	if (r.left == 0)
		FAIL(-EBADMSG, "KE payload without data");
	if (r.left > IKE_KE_MAX)
		FAIL(-E2BIG, "KE data too long");
	want = ike_dh_len(group);
	if (want != 0 && r.left != want)
		FAIL(-EBADMSG, "KE data length wrong for group");
	if (out != NULL) {
		out->group = group;
		ike_pld_rest(body, 4, &out->data);
	}
	return 0;
}

int
ike_bld_ke(struct ike_bld *b, uint16_t group, const uint8_t *data, size_t len)
{
	uint8_t head[4] = { 0 };

	if (data == NULL || len == 0 || len > IKE_KE_MAX)
		return ike_bld_error(b, -EINVAL);
	put_be16(head, group);
	return bld_head_data(b, IKE_PLD_KE, head, sizeof(head), data, len);
}

/* ------------------------------------------------------------------------ */
/* ID (3.5)                                                              */

/*
 * |   ID Type     |                 RESERVED                      |
 * ~                   Identification Data                         ~
 */
int
ike_pld_id_read(const struct ike_rdr *body, void *arg, const char **why)
{
	struct ike_id_pld *out = arg;
	struct ike_rdr r = *body;
	uint8_t type;
	int rc;

	rc = ike_pld_head4(&r, &type, "ID payload shorter than 4", "reserved bytes in ID payload",
			   why);
	if (rc < 0)
		return rc;
	if (r.left == 0)
		FAIL(-EBADMSG, "ID payload without data");
	if (r.left > IKE_MAX_ID_LEN)
		FAIL(-E2BIG, "ID data too long");
	if (type == IKE_ID_IPV4_ADDR && r.left != 4)
		FAIL(-EBADMSG, "ID_IPV4_ADDR not 4 bytes");
	if (type == IKE_ID_IPV6_ADDR && r.left != 16)
		FAIL(-EBADMSG, "ID_IPV6_ADDR not 16 bytes");
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		ike_pld_rest(body, 0, &out->body);
		out->id.type = type;
		out->id.len = (uint16_t)r.left;
		memcpy(out->id.data, r.p, r.left);
	}
	return 0;
}

int
ike_id_body(const struct ike_id *id, uint8_t *out, size_t cap, size_t *len)
{
	if (id->len == 0 || id->len > IKE_MAX_ID_LEN)
		return -EINVAL;
	if (out == NULL || (size_t)id->len + 4 > cap)
		return -ENOSPC;
	out[0] = id->type;
	memset(out + 1, 0, 3);
	memcpy(out + 4, id->data, id->len);
	*len = (size_t)id->len + 4;
	return 0;
}

int
ike_bld_id(struct ike_bld *b, uint8_t type, const struct ike_id *id)
{
	uint8_t head[4] = { 0 };

	if ((type != IKE_PLD_IDI && type != IKE_PLD_IDR) || id == NULL || id->len == 0 ||
	    id->len > IKE_MAX_ID_LEN)
		return ike_bld_error(b, -EINVAL);
	head[0] = id->type;
	return bld_head_data(b, type, head, sizeof(head), id->data, id->len);
}

/* ------------------------------------------------------------------------ */
/* CERT (3.6), CERTREQ (3.7)                                                */

/*
 * | Cert Encoding |                                               |
 * +-+-+-+-+-+-+-+-+                                               |
 * ~             Certificate Data / Certification Authority        ~
 */
static int
cert_read(const struct ike_rdr *body, bool req, struct ike_cert *out, const char **why)
{
	if (body->left < 1)
		FAIL(-EBADMSG, "CERT/CERTREQ payload without encoding");
	if (!req && body->left < 2)
		FAIL(-EBADMSG, "CERT payload without data");
	/* X.509 CERTREQ: a list of 20-byte SHA-1 public key hashes. */
	if (req && body->p[0] == IKE_CERT_X509_SIG && (body->left - 1) % 20 != 0)
		FAIL(-EBADMSG, "CERTREQ data not a multiple of 20");
	if (out != NULL) {
		out->encoding = body->p[0];
		ike_pld_rest(body, 1, &out->data);
	}
	return 0;
}

int
ike_pld_cert_read(const struct ike_rdr *body, void *out, const char **why)
{
	return cert_read(body, false, out, why);
}

int
ike_pld_certreq_read(const struct ike_rdr *body, void *out, const char **why)
{
	return cert_read(body, true, out, why);
}

static int
bld_cert(struct ike_bld *b, uint8_t type, uint8_t enc, const uint8_t *data, size_t len)
{
	if (data == NULL && len != 0)
		return ike_bld_error(b, -EINVAL);
	return bld_head_data(b, type, &enc, 1, data, len);
}

int
ike_bld_cert(struct ike_bld *b, uint8_t encoding, const uint8_t *data, size_t len)
{
	if (len == 0)
		return ike_bld_error(b, -EINVAL);
	return bld_cert(b, IKE_PLD_CERT, encoding, data, len);
}

int
ike_bld_certreq(struct ike_bld *b, uint8_t encoding, const uint8_t *data, size_t len)
{
	return bld_cert(b, IKE_PLD_CERTREQ, encoding, data, len);
}

/* ------------------------------------------------------------------------ */
/* AUTH (3.8)                                                               */

/*
 * | Auth Method   |                RESERVED                       |
 * ~                      Authentication Data                      ~
 */
int
ike_pld_auth_read(const struct ike_rdr *body, void *arg, const char **why)
{
	struct ike_auth *out = arg;
	struct ike_rdr r = *body;
	uint8_t method;
	int rc;

	rc = ike_pld_head4(&r, &method, "AUTH payload shorter than 4",
			   "reserved bytes in AUTH payload", why);
	if (rc < 0)
		return rc;
	if (r.left == 0)
		FAIL(-EBADMSG, "AUTH payload without data");
	if (out != NULL) {
		out->method = method;
		ike_pld_rest(&r, 0, &out->data);
	}
	return 0;
}

int
ike_bld_auth(struct ike_bld *b, uint8_t method, const uint8_t *data, size_t len)
{
	const uint8_t head[4] = { method, 0, 0, 0 };

	if (data == NULL || len == 0)
		return ike_bld_error(b, -EINVAL);
	return bld_head_data(b, IKE_PLD_AUTH, head, sizeof(head), data, len);
}

/* ------------------------------------------------------------------------ */
/* Nonce (3.9)                                                              */

int
ike_pld_nonce_read(const struct ike_rdr *body, void *out, const char **why)
{
	/* RFC 7296 2.10: at least 16 bytes and at most 256. */
	if (body->left < IKE_NONCE_MIN)
		FAIL(-EBADMSG, "nonce shorter than 16");
	if (body->left > IKE_NONCE_MAX)
		FAIL(-EBADMSG, "nonce longer than 256");
	if (out != NULL)
		ike_pld_rest(body, 0, out);
	return 0;
}

int
ike_bld_nonce(struct ike_bld *b, const uint8_t *nonce, size_t len)
{
	if (nonce == NULL || len < IKE_NONCE_MIN || len > IKE_NONCE_MAX)
		return ike_bld_error(b, -EINVAL);
	return ike_bld_raw(b, IKE_PLD_NONCE, false, nonce, len);
}

/* ------------------------------------------------------------------------ */
/* Notify (3.10)                                                            */

/* Notify types whose data has a fixed length or range. */
static const struct {
	uint16_t type;
	uint16_t min, max;
	const char *why;
} notify_lens[] = {
	{ IKE_N_COOKIE, 1, IKE_COOKIE_MAX, "COOKIE not 1..64 bytes" },
	{ IKE_N_COOKIE2, IKE_COOKIE2_MIN, IKE_COOKIE2_MAX, "COOKIE2 not 8..64 bytes" },
	{ IKE_N_ADDITIONAL_IP4_ADDRESS, 4, 4, "ADDITIONAL_IP4_ADDRESS data not 4 bytes" },
	{ IKE_N_ADDITIONAL_IP6_ADDRESS, 16, 16, "ADDITIONAL_IP6_ADDRESS data not 16 bytes" },
	{ IKE_N_NAT_DETECTION_SOURCE_IP, IKE_NATD_LEN, IKE_NATD_LEN,
	  "NAT_DETECTION data not 20 bytes" },
	{ IKE_N_NAT_DETECTION_DESTINATION_IP, IKE_NATD_LEN, IKE_NATD_LEN,
	  "NAT_DETECTION data not 20 bytes" },
	{ IKE_N_INVALID_KE_PAYLOAD, 2, 2, "INVALID_KE_PAYLOAD data not 2 bytes" },
	{ IKE_N_SET_WINDOW_SIZE, 4, 4, "SET_WINDOW_SIZE data not 4 bytes" },
	{ IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD, 1, 1,
	  "UNSUPPORTED_CRITICAL_PAYLOAD data not 1 byte" },
};

/*
 * |  Protocol ID  |   SPI Size    |      Notify Message Type      |
 * ~                Security Parameter Index (SPI)                 ~
 * ~                       Notification Data                       ~
 */
int
ike_pld_notify_read(const struct ike_rdr *body, void *arg, const char **why)
{
	struct ike_notify *out = arg;
	struct ike_rdr r = *body;
	unsigned i;
	uint8_t proto, spi_len;
	uint16_t type;
	struct ike_rdr spi;

	if (rdr_u8(&r, &proto) < 0 || rdr_u8(&r, &spi_len) < 0 || rdr_u16(&r, &type) < 0)
		FAIL(-EBADMSG, "Notify payload shorter than 4");
	if (proto > IKE_PROTO_ESP)
		FAIL(-EBADMSG, "Notify protocol ID unknown");
	if (spi_len != 0 && spi_len != 4 && spi_len != 8)
		FAIL(-EBADMSG, "Notify SPI size not 0, 4 or 8");
	if (rdr_sub(&r, spi_len, &spi) < 0)
		FAIL(-EBADMSG, "Notify SPI beyond payload");
	if (r.left > IKE_MAX_NOTIFY_DATA)
		FAIL(-E2BIG, "Notify data too long");
	for (i = 0; i < sizeof(notify_lens) / sizeof(notify_lens[0]); i++)
		if (notify_lens[i].type == type &&
		    (r.left < notify_lens[i].min || r.left > notify_lens[i].max))
			FAIL(-EBADMSG, notify_lens[i].why);
	if (type == IKE_N_REKEY_SA && (spi_len == 0 || proto == IKE_PROTO_NONE))
		FAIL(-EBADMSG, "REKEY_SA without protocol and SPI");
	if (type == IKE_N_SIGNATURE_HASH_ALGORITHMS && r.left % 2 != 0)
		FAIL(-EBADMSG, "SIGNATURE_HASH_ALGORITHMS odd length");
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->proto = proto;
		out->spi_len = spi_len;
		out->type = type;
		memcpy(out->spi, spi.p, spi_len);
		ike_pld_rest(&r, 0, &out->data);
	}
	return 0;
}

int
ike_bld_notify(struct ike_bld *b, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
	       uint16_t type, const uint8_t *data, size_t len)
{
	uint8_t head[4 + 8] = { proto, spi_len };

	if ((spi_len != 0 && spi_len != 4 && spi_len != 8) || (spi == NULL && spi_len != 0) ||
	    (data == NULL && len != 0) || len > IKE_MAX_NOTIFY_DATA)
		return ike_bld_error(b, -EINVAL);
	put_be16(head + 2, type);
	if (spi_len != 0)
		memcpy(head + 4, spi, spi_len);
	return bld_head_data(b, IKE_PLD_N, head, 4 + (size_t)spi_len, data, len);
}

/* ------------------------------------------------------------------------ */
/* Delete (3.11)                                                            */

/*
 * | Protocol ID   |   SPI Size    |          Num of SPIs          |
 * ~               Security Parameter Index(es) (SPI)              ~
 */
int
ike_pld_delete_read(const struct ike_rdr *body, void *arg, const char **why)
{
	struct ike_delete *out = arg;
	struct ike_rdr r = *body;
	uint8_t proto, spi_len;
	uint16_t n;
	unsigned i;

	if (rdr_u8(&r, &proto) < 0 || rdr_u8(&r, &spi_len) < 0 || rdr_u16(&r, &n) < 0)
		FAIL(-EBADMSG, "Delete payload shorter than 4");
	switch (proto) {
	case IKE_PROTO_IKE:
		if (spi_len != 0 || n != 0 || r.left != 0)
			FAIL(-EBADMSG, "IKE Delete with SPIs");
		break;
	case IKE_PROTO_AH:
	case IKE_PROTO_ESP:
		if (spi_len != 4)
			FAIL(-EBADMSG, "ESP/AH Delete SPI size not 4");
		if (n == 0)
			FAIL(-EBADMSG, "ESP/AH Delete without SPIs");
		if (n > IKE_MAX_DEL_SPIS)
			FAIL(-E2BIG, "too many SPIs in Delete");
		/* n <= 64 so n * 4 cannot overflow. */
		if (r.left != (size_t)n * 4)
			FAIL(-EBADMSG, "Delete SPI count does not match length");
		break;
	default:
		FAIL(-EBADMSG, "Delete protocol ID unknown");
	}
	if (out != NULL) {
		memset(out, 0, sizeof(*out));
		out->proto = proto;
		out->spi_len = spi_len;
		out->n_spis = spi_len == 4 ? n : 0;
		for (i = 0; i < out->n_spis; i++)
			(void)rdr_u32(&r, &out->spis[i]);
	}
	return 0;
}

int
ike_bld_delete(struct ike_bld *b, uint8_t proto, const uint32_t *spis, unsigned n)
{
	size_t start;
	unsigned i;
	bool ike = proto == IKE_PROTO_IKE;
	int rc;

	if ((ike && n != 0) || (!ike && proto != IKE_PROTO_ESP && proto != IKE_PROTO_AH) ||
	    (!ike && (n == 0 || n > IKE_MAX_DEL_SPIS || spis == NULL)))
		return ike_bld_error(b, -EINVAL);
	rc = ike_bld_pld_begin(b, IKE_PLD_D, false, &start);
	if (rc == 0)
		rc = ike_bld_put_u8(b, proto);
	if (rc == 0)
		rc = ike_bld_put_u8(b, ike ? 0 : 4);
	if (rc == 0)
		rc = ike_bld_put_u16(b, (uint16_t)n);
	for (i = 0; rc == 0 && i < n; i++)
		rc = ike_bld_put_u32(b, spis[i]);
	if (rc == 0)
		rc = ike_bld_pld_end(b, start);
	return rc;
}

int
ike_bld_vendor(struct ike_bld *b, const uint8_t *data, size_t len)
{
	if (data == NULL || len == 0)
		return ike_bld_error(b, -EINVAL);
	return ike_bld_raw(b, IKE_PLD_V, false, data, len);
}
