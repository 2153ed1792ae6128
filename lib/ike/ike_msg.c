/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 message codec, the message level (RFC 7296 2.5, 3.1, 3.2, 3.14):
 * header parsing, the payload walk over untrusted bytes, the table of which
 * payload may appear where (ike_pld_allowed), the SK payload layout seam for
 * the crypto step, and the message builder core (header, payload chaining,
 * SK begin/end). Payload bodies are checked and parsed in ike_pld.c.
 *
 * Nothing here trusts a length before comparing it with what is left, and
 * nothing here decrypts: SK contents are walked only after the caller's
 * crypto step verified and decrypted them (ike_msg_parse_inner).
 */
#include "ike/ike_wire.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "ike/ike_wire_priv.h"

/* ------------------------------------------------------------------------ */
/* Where payloads may appear (RFC 7296 1.2 - 1.4, RFC 7383 2.5)             */

#define PB(t) (UINT64_C(1) << ((t) - IKE_PLD_SA))

/* Bit (type - 33) for each payload type 33..53. */
struct pld_rule {
	uint64_t outside;		/* allowed as a cleartext payload */
	uint64_t inside;		/* allowed inside SK */
};

static const struct pld_rule pld_rules[] = {
	[IKE_XCHG_SA_INIT - IKE_XCHG_SA_INIT] = {
		.outside = PB(IKE_PLD_SA) | PB(IKE_PLD_KE) | PB(IKE_PLD_NONCE) | PB(IKE_PLD_N) |
			   PB(IKE_PLD_V) | PB(IKE_PLD_CERTREQ),
		.inside = 0,
	},
	[IKE_XCHG_AUTH - IKE_XCHG_SA_INIT] = {
		.outside = PB(IKE_PLD_SK) | PB(IKE_PLD_SKF),
		.inside = PB(IKE_PLD_IDI) | PB(IKE_PLD_IDR) | PB(IKE_PLD_CERT) |
			  PB(IKE_PLD_CERTREQ) | PB(IKE_PLD_AUTH) | PB(IKE_PLD_SA) |
			  PB(IKE_PLD_TSI) | PB(IKE_PLD_TSR) | PB(IKE_PLD_CP) | PB(IKE_PLD_N) |
			  PB(IKE_PLD_V) | PB(IKE_PLD_EAP),
	},
	[IKE_XCHG_CREATE_CHILD_SA - IKE_XCHG_SA_INIT] = {
		.outside = PB(IKE_PLD_SK) | PB(IKE_PLD_SKF),
		.inside = PB(IKE_PLD_SA) | PB(IKE_PLD_NONCE) | PB(IKE_PLD_KE) | PB(IKE_PLD_TSI) |
			  PB(IKE_PLD_TSR) | PB(IKE_PLD_N) | PB(IKE_PLD_V),
	},
	/* Unprotected notifies (INVALID_IKE_SPI, RFC 7296 2.21.4) may arrive
	 * outside SK; the caller treats them as unauthenticated. */
	[IKE_XCHG_INFORMATIONAL - IKE_XCHG_SA_INIT] = {
		.outside = PB(IKE_PLD_SK) | PB(IKE_PLD_SKF) | PB(IKE_PLD_N),
		.inside = PB(IKE_PLD_N) | PB(IKE_PLD_D) | PB(IKE_PLD_CP) | PB(IKE_PLD_V),
	},
};

static bool
is_known_pld(uint8_t type)
{
	return (type >= IKE_PLD_SA && type <= IKE_PLD_EAP) || type == IKE_PLD_SKF;
}

bool
ike_pld_allowed(uint8_t exchange, uint8_t type, bool in_sk)
{
	const struct pld_rule *rule;

	if (exchange < IKE_XCHG_SA_INIT || exchange > IKE_XCHG_INFORMATIONAL)
		return false;
	if (!is_known_pld(type))
		return false;
	rule = &pld_rules[exchange - IKE_XCHG_SA_INIT];
	return ((in_sk ? rule->inside : rule->outside) & PB(type)) != 0;
}

/* ------------------------------------------------------------------------ */
/* Names                                                                    */

const char *
ike_exchange_name(uint8_t exchange)
{
	switch (exchange) {
	case IKE_XCHG_SA_INIT: return "IKE_SA_INIT";
	case IKE_XCHG_AUTH: return "IKE_AUTH";
	case IKE_XCHG_CREATE_CHILD_SA: return "CREATE_CHILD_SA";
	case IKE_XCHG_INFORMATIONAL: return "INFORMATIONAL";
	default: return "UNKNOWN";
	}
}

const char *
ike_pld_name(uint8_t type)
{
	static const char *const names[] = {
		[IKE_PLD_SA - IKE_PLD_SA] = "SA", [IKE_PLD_KE - IKE_PLD_SA] = "KE",
		[IKE_PLD_IDI - IKE_PLD_SA] = "IDi", [IKE_PLD_IDR - IKE_PLD_SA] = "IDr",
		[IKE_PLD_CERT - IKE_PLD_SA] = "CERT", [IKE_PLD_CERTREQ - IKE_PLD_SA] = "CERTREQ",
		[IKE_PLD_AUTH - IKE_PLD_SA] = "AUTH", [IKE_PLD_NONCE - IKE_PLD_SA] = "No",
		[IKE_PLD_N - IKE_PLD_SA] = "N", [IKE_PLD_D - IKE_PLD_SA] = "D",
		[IKE_PLD_V - IKE_PLD_SA] = "V", [IKE_PLD_TSI - IKE_PLD_SA] = "TSi",
		[IKE_PLD_TSR - IKE_PLD_SA] = "TSr", [IKE_PLD_SK - IKE_PLD_SA] = "SK",
		[IKE_PLD_CP - IKE_PLD_SA] = "CP", [IKE_PLD_EAP - IKE_PLD_SA] = "EAP",
	};

	if (type == IKE_PLD_NONE)
		return "NONE";
	if (type == IKE_PLD_SKF)
		return "SKF";
	if (type >= IKE_PLD_SA && type <= IKE_PLD_EAP)
		return names[type - IKE_PLD_SA];
	return "UNKNOWN";
}

const char *
ike_notify_name(uint16_t type)
{
	switch (type) {
	case IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD: return "UNSUPPORTED_CRITICAL_PAYLOAD";
	case IKE_N_INVALID_IKE_SPI: return "INVALID_IKE_SPI";
	case IKE_N_INVALID_MAJOR_VERSION: return "INVALID_MAJOR_VERSION";
	case IKE_N_INVALID_SYNTAX: return "INVALID_SYNTAX";
	case IKE_N_INVALID_MESSAGE_ID: return "INVALID_MESSAGE_ID";
	case IKE_N_INVALID_SPI: return "INVALID_SPI";
	case IKE_N_NO_PROPOSAL_CHOSEN: return "NO_PROPOSAL_CHOSEN";
	case IKE_N_INVALID_KE_PAYLOAD: return "INVALID_KE_PAYLOAD";
	case IKE_N_AUTHENTICATION_FAILED: return "AUTHENTICATION_FAILED";
	case IKE_N_SINGLE_PAIR_REQUIRED: return "SINGLE_PAIR_REQUIRED";
	case IKE_N_NO_ADDITIONAL_SAS: return "NO_ADDITIONAL_SAS";
	case IKE_N_INTERNAL_ADDRESS_FAILURE: return "INTERNAL_ADDRESS_FAILURE";
	case IKE_N_FAILED_CP_REQUIRED: return "FAILED_CP_REQUIRED";
	case IKE_N_TS_UNACCEPTABLE: return "TS_UNACCEPTABLE";
	case IKE_N_INVALID_SELECTORS: return "INVALID_SELECTORS";
	case IKE_N_TEMPORARY_FAILURE: return "TEMPORARY_FAILURE";
	case IKE_N_CHILD_SA_NOT_FOUND: return "CHILD_SA_NOT_FOUND";
	case IKE_N_INITIAL_CONTACT: return "INITIAL_CONTACT";
	case IKE_N_SET_WINDOW_SIZE: return "SET_WINDOW_SIZE";
	case IKE_N_ADDITIONAL_TS_POSSIBLE: return "ADDITIONAL_TS_POSSIBLE";
	case IKE_N_IPCOMP_SUPPORTED: return "IPCOMP_SUPPORTED";
	case IKE_N_NAT_DETECTION_SOURCE_IP: return "NAT_DETECTION_SOURCE_IP";
	case IKE_N_NAT_DETECTION_DESTINATION_IP: return "NAT_DETECTION_DESTINATION_IP";
	case IKE_N_COOKIE: return "COOKIE";
	case IKE_N_USE_TRANSPORT_MODE: return "USE_TRANSPORT_MODE";
	case IKE_N_HTTP_CERT_LOOKUP_SUPPORTED: return "HTTP_CERT_LOOKUP_SUPPORTED";
	case IKE_N_REKEY_SA: return "REKEY_SA";
	case IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED: return "ESP_TFC_PADDING_NOT_SUPPORTED";
	case IKE_N_NON_FIRST_FRAGMENTS_ALSO: return "NON_FIRST_FRAGMENTS_ALSO";
	case IKE_N_MOBIKE_SUPPORTED: return "MOBIKE_SUPPORTED";
	case IKE_N_ADDITIONAL_IP4_ADDRESS: return "ADDITIONAL_IP4_ADDRESS";
	case IKE_N_ADDITIONAL_IP6_ADDRESS: return "ADDITIONAL_IP6_ADDRESS";
	case IKE_N_NO_ADDITIONAL_ADDRESSES: return "NO_ADDITIONAL_ADDRESSES";
	case IKE_N_UPDATE_SA_ADDRESSES: return "UPDATE_SA_ADDRESSES";
	case IKE_N_COOKIE2: return "COOKIE2";
	case IKE_N_NO_NATS_ALLOWED: return "NO_NATS_ALLOWED";
	case IKE_N_MULTIPLE_AUTH_SUPPORTED: return "MULTIPLE_AUTH_SUPPORTED";
	case IKE_N_ANOTHER_AUTH_FOLLOWS: return "ANOTHER_AUTH_FOLLOWS";
	case IKE_N_UNACCEPTABLE_ADDRESSES: return "UNACCEPTABLE_ADDRESSES";
	case IKE_N_UNEXPECTED_NAT_DETECTED: return "UNEXPECTED_NAT_DETECTED";
	case IKE_N_IKEV2_FRAGMENTATION_SUPPORTED: return "IKEV2_FRAGMENTATION_SUPPORTED";
	case IKE_N_SIGNATURE_HASH_ALGORITHMS: return "SIGNATURE_HASH_ALGORITHMS";
	default: return type <= IKE_N_ERROR_MAX ? "UNKNOWN_ERROR" : "UNKNOWN_STATUS";
	}
}

/* ------------------------------------------------------------------------ */
/* Header                                                                   */

int
ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h)
{
	struct ike_hdr_wire w;
	struct ike_rdr r;
	uint64_t spi;

	memset(h, 0, sizeof(*h));
	rdr_init(&r, buf, len);
	if (buf == NULL || rdr_take(&r, &w, sizeof(w)) < 0)
		return -EBADMSG;
	memcpy(&spi, w.spi_i, 8);
	h->spi_i = be64toh(spi);
	memcpy(&spi, w.spi_r, 8);
	h->spi_r = be64toh(spi);
	h->next = w.next;
	h->version = w.version;
	h->exchange = w.exchange;
	h->flags = w.flags;
	h->msg_id = be32toh(w.msg_id_be);
	h->len = be32toh(w.len_be);

	/* RFC 7296 2.5: a higher major version is answered, not parsed. */
	if ((h->version >> 4) != 2)
		return -EPROTONOSUPPORT;
	/* The length field covers the whole datagram, nothing more or less. */
	if (h->len != len)
		return -EBADMSG;
	if (h->exchange < IKE_XCHG_SA_INIT || h->exchange > IKE_XCHG_INFORMATIONAL)
		return -EPROTO;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The walk                                                                 */

static int
body_fail(struct ike_msg *m, int rc, const char *why)
{
	return ike_msg_fail(m, rc, why);
}

/* Check @body with @read, then (only if it passed) fill @out from it. */
static int
read_pld(ike_pld_read_fn *read, const struct ike_rdr *body, void *out, const char **why)
{
	int rc = read(body, NULL, why);

	if (rc == 0)
		(void)read(body, out, why);
	return rc;
}

#define MSG_AT(m, off) ((char *)(m) + (off))

/* Payloads a message carries at most once: has flag, where the body goes. */
static const struct once_pld {
	uint8_t type;
	ike_pld_read_fn *read;
	size_t has, out;
	const char *dup;
} once_plds[] = {
#define ONCE(t, f, rd, name) \
	{ t, rd, offsetof(struct ike_msg, has_##f), offsetof(struct ike_msg, f), \
	  "duplicate " name " payload" }
	ONCE(IKE_PLD_SA, sa, ike_pld_sa_read, "SA"),
	ONCE(IKE_PLD_KE, ke, ike_pld_ke_read, "KE"),
	ONCE(IKE_PLD_IDI, idi, ike_pld_id_read, "ID"),
	ONCE(IKE_PLD_IDR, idr, ike_pld_id_read, "ID"),
	ONCE(IKE_PLD_AUTH, auth, ike_pld_auth_read, "AUTH"),
	ONCE(IKE_PLD_NONCE, nonce, ike_pld_nonce_read, "Nonce"),
	ONCE(IKE_PLD_TSI, tsi, ike_pld_ts_read, "TS"),
	ONCE(IKE_PLD_TSR, tsr, ike_pld_ts_read, "TS"),
	ONCE(IKE_PLD_CP, cp, ike_pld_cp_read, "CP"),
#undef ONCE
};

/* Payloads kept in an array: count, cap, where the array is. */
static const struct list_pld {
	uint8_t type;
	ike_pld_read_fn *read;
	size_t n, arr, size;
	unsigned max;
	const char *over;
} list_plds[] = {
#define LIST(t, n_, arr_, max_, rd, name) \
	{ t, rd, offsetof(struct ike_msg, n_), offsetof(struct ike_msg, arr_), \
	  sizeof(((struct ike_msg *)0)->arr_[0]), max_, "too many " name " payloads" }
	LIST(IKE_PLD_CERT, n_certs, certs, IKE_MAX_CERTS, ike_pld_cert_read, "CERT"),
	LIST(IKE_PLD_CERTREQ, n_certreqs, certreqs, IKE_MAX_CERTREQS, ike_pld_certreq_read,
	     "CERTREQ"),
	LIST(IKE_PLD_D, n_deletes, deletes, IKE_MAX_DELETES, ike_pld_delete_read, "Delete"),
#undef LIST
};

/* read_once and read_list go through these fields as bool and unsigned. */
#define MSG_FIELD_IS(f, T) __builtin_types_compatible_p(__typeof__(((struct ike_msg *)0)->f), T)
_Static_assert(MSG_FIELD_IS(has_sa, bool) && MSG_FIELD_IS(has_ke, bool) &&
	       MSG_FIELD_IS(has_idi, bool) && MSG_FIELD_IS(has_idr, bool) &&
	       MSG_FIELD_IS(has_auth, bool) && MSG_FIELD_IS(has_nonce, bool) &&
	       MSG_FIELD_IS(has_tsi, bool) && MSG_FIELD_IS(has_tsr, bool) &&
	       MSG_FIELD_IS(has_cp, bool), "once_plds flags");
_Static_assert(MSG_FIELD_IS(n_certs, unsigned) && MSG_FIELD_IS(n_certreqs, unsigned) &&
	       MSG_FIELD_IS(n_deletes, unsigned), "list_plds counters");
#undef MSG_FIELD_IS

static int
read_once(struct ike_msg *m, const struct once_pld *o, const struct ike_rdr *body)
{
	bool *has = (bool *)MSG_AT(m, o->has);
	const char *why = "invalid payload";
	int rc;

	if (*has)
		return body_fail(m, -EPROTO, o->dup);
	rc = read_pld(o->read, body, MSG_AT(m, o->out), &why);
	if (rc < 0)
		return body_fail(m, rc, why);
	*has = true;
	return 0;
}

static int
read_list(struct ike_msg *m, const struct list_pld *l, const struct ike_rdr *body)
{
	unsigned *n = (unsigned *)MSG_AT(m, l->n);
	const char *why = "invalid payload";
	int rc;

	if (*n >= l->max)
		return body_fail(m, -E2BIG, l->over);
	rc = read_pld(l->read, body, MSG_AT(m, l->arr + *n * l->size), &why);
	if (rc < 0)
		return body_fail(m, rc, why);
	(*n)++;
	return 0;
}

/* Read the special ones: Notify, Vendor ID, EAP. */
static int
read_other(struct ike_msg *m, uint8_t type, const struct ike_rdr *body)
{
	const char *why = "invalid payload";
	struct ike_notify n;
	int rc;

	switch (type) {
	case IKE_PLD_N:
		rc = read_pld(ike_pld_notify_read, body, &n, &why);
		if (rc < 0)
			return body_fail(m, rc, why);
		/* RFC 4555 3.6: the peer's additional addresses are counted, not
		 * stored: as a responder we only ever follow the address the peer
		 * sends from (a gateway never picks a path of its own) */
		if (n.type == IKE_N_ADDITIONAL_IP4_ADDRESS ||
		    n.type == IKE_N_ADDITIONAL_IP6_ADDRESS) {
			m->n_addl_addrs++;
			return 0;
		}
		if (m->n_notifies >= IKE_MAX_NOTIFIES)
			return body_fail(m, -E2BIG, "too many Notify payloads");
		m->notifies[m->n_notifies++] = n;
		return 0;
	case IKE_PLD_V:
		/* Contents are not interpreted. */
		if (m->n_vendors >= IKE_MAX_VENDORS)
			return body_fail(m, -E2BIG, "too many Vendor ID payloads");
		m->n_vendors++;
		return 0;
	case IKE_PLD_EAP:
		if (m->has_eap)
			return body_fail(m, -EPROTO, "duplicate EAP payload");
		/* RFC 3748 4: Code, Identifier, Length (= the whole body);
		 * Request/Response (1, 2) carry a Type octet */
		if (body->left < 4 || body->left > 0xffff ||
		    net_rd16(body->p + 2) != body->left)
			return body_fail(m, -EBADMSG, "EAP length differs from the payload");
		if (body->p[0] < 1 || body->p[0] > 4 || (body->p[0] <= 2 && body->left < 5))
			return body_fail(m, -EBADMSG, "EAP code invalid or Type missing");
		m->eap.p = body->p;
		m->eap.len = body->left;
		m->has_eap = true;
		return 0;
	default:
		return body_fail(m, -EPROTO, "payload not handled here");
	}
}

/* Validate then parse one known, allowed payload body into @m. */
static int
dispatch(struct ike_msg *m, uint8_t type, const struct ike_rdr *body)
{
	unsigned i;

	for (i = 0; i < sizeof(once_plds) / sizeof(once_plds[0]); i++)
		if (once_plds[i].type == type)
			return read_once(m, &once_plds[i], body);
	for (i = 0; i < sizeof(list_plds) / sizeof(list_plds[0]); i++)
		if (list_plds[i].type == type)
			return read_list(m, &list_plds[i], body);
	return read_other(m, type, body);
}

/* Record the SK/SKF payload, which ends the cleartext chain. */
static int
record_sk(struct ike_msg *m, uint8_t type, const struct ike_pld_hdr *h, const struct ike_rdr *body,
	  size_t pld_off)
{
	struct ike_rdr b = *body;

	m->sk.present = true;
	m->sk.frag = type == IKE_PLD_SKF;
	m->sk.next = h->next;
	m->sk.pld_off = pld_off;
	m->sk.body_off = pld_off + IKE_PLD_HDR_LEN;
	if (m->sk.frag) {
		uint16_t num, total;

		if (rdr_u16(&b, &num) < 0 || rdr_u16(&b, &total) < 0)
			return ike_msg_fail(m, -EBADMSG, "SKF shorter than its fragment fields");
		if (num == 0 || total == 0 || num > total)
			return ike_msg_fail(m, -EBADMSG, "SKF fragment number out of range");
		if (total > IKE_FRAG_MAX)
			return ike_msg_fail(m, -E2BIG, "SKF total fragments over limit");
		/* RFC 7383 2.5: only fragment 1 names the first inner payload. */
		if (num != 1 && h->next != IKE_PLD_NONE)
			return ike_msg_fail(m, -EBADMSG, "SKF next payload set in fragment > 1");
		m->sk.frag_num = num;
		m->sk.frag_total = total;
		m->sk.body_off += IKE_SKF_EXTRA;
	}
	m->sk.body_len = b.left;
	return 0;
}

/*
 * Walk a payload chain starting with type @first over @buf/@len. @base_off
 * is the offset of @buf in the buffer the error offsets refer to.
 */
static int
walk(struct ike_msg *m, uint8_t first, const uint8_t *buf, size_t len, bool in_sk,
     size_t base_off)
{
	struct ike_rdr r;
	uint8_t next = first;
	int rc;

	rdr_init(&r, buf, len);
	while (next != IKE_PLD_NONE) {
		struct ike_pld_hdr h;
		struct ike_rdr body;
		uint8_t type = next;
		size_t plen, off = base_off + (len - r.left);

		m->err_pld = type;
		m->err_off = off;
		if (m->n_payloads >= IKE_MAX_PAYLOADS)
			return ike_msg_fail(m, -E2BIG, "too many payloads");
		if (rdr_take(&r, &h, sizeof(h)) < 0)
			return ike_msg_fail(m, -EBADMSG, "truncated payload header");
		plen = be16toh(h.len_be);
		if (plen < sizeof(h))
			return ike_msg_fail(m, -EBADMSG, "payload length < 4");
		if (rdr_sub(&r, plen - sizeof(h), &body) < 0)
			return ike_msg_fail(m, -EBADMSG, "payload length beyond message");
		m->n_payloads++;

		if (!is_known_pld(type)) {
			/* RFC 7296 2.5: unknown critical -> reject, else skip. */
			if (h.flags & IKE_PLD_CRITICAL) {
				m->unsupported_critical = type;
				return ike_msg_fail(m, -EOPNOTSUPP, "unknown critical payload");
			}
			next = h.next;
			continue;
		}
		/* The C bit is meaningful only for unknown types; the other
		 * seven bits are RESERVED and must be zero. */
		if (h.flags & ~IKE_PLD_CRITICAL)
			return ike_msg_fail(m, -EBADMSG, "reserved bits in payload header");
		if (!ike_pld_allowed(m->hdr.exchange, type, in_sk))
			return ike_msg_fail(m, -EPROTO, "payload not allowed here");
		if (type == IKE_PLD_SK || type == IKE_PLD_SKF) {
			/* RFC 7296 3.14: SK is the last payload. */
			if (r.left != 0)
				return ike_msg_fail(m, -EBADMSG, "bytes after SK payload");
			return record_sk(m, type, &h, &body, off);
		}
		rc = dispatch(m, type, &body);
		if (rc < 0)
			return rc;
		next = h.next;
	}
	m->err_pld = IKE_PLD_NONE;
	m->err_off = base_off + (len - r.left);
	if (r.left != 0)
		return ike_msg_fail(m, -EBADMSG, "bytes after last payload");
	return 0;
}

int
ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *m)
{
	int rc;

	memset(m, 0, sizeof(*m));
	m->raw = buf;
	m->raw_len = len;
	rc = ike_hdr_parse(buf, len, &m->hdr);
	if (rc == -EPROTONOSUPPORT)
		return ike_msg_fail(m, rc, "IKE major version is not 2");
	if (rc == -EPROTO)
		return ike_msg_fail(m, rc, "unsupported exchange type");
	if (rc < 0)
		return ike_msg_fail(m, rc, "bad IKE header or length");
	rc = walk(m, m->hdr.next, buf + IKE_HDR_LEN, len - IKE_HDR_LEN, false, IKE_HDR_LEN);
	if (rc < 0)
		return rc;
	m->err_pld = 0;
	m->err_off = 0;
	return 0;
}

int
ike_sk_locate(const struct ike_msg *m, const struct ike_sk_params *p, struct ike_sk_layout *l)
{
	size_t ct;

	memset(l, 0, sizeof(*l));
	if (!m->sk.present)
		return -ENOENT;
	/* Compare before subtracting: IV + ICV + Pad Length must fit. */
	if (p->iv_len > m->sk.body_len || p->icv_len > m->sk.body_len - p->iv_len ||
	    m->sk.body_len - p->iv_len - p->icv_len < 1)
		return -EBADMSG;
	ct = m->sk.body_len - p->iv_len - p->icv_len;
	if (p->block_len > 1 && ct % p->block_len != 0)
		return -EBADMSG;
	l->aad_len = m->sk.body_off;
	l->iv_off = m->sk.body_off;
	l->iv_len = p->iv_len;
	l->ct_off = l->iv_off + p->iv_len;
	l->ct_len = ct;
	l->icv_off = l->ct_off + ct;
	l->icv_len = p->icv_len;
	return 0;
}

int
ike_sk_unpad(const uint8_t *pt, size_t pt_len, size_t *inner_len)
{
	size_t pad;

	if (pt == NULL || pt_len == 0)
		return -EBADMSG;
	pad = pt[pt_len - 1];
	if (pad > pt_len - 1)
		return -EBADMSG;
	*inner_len = pt_len - 1 - pad;
	return 0;
}

int
ike_msg_parse_inner_raw(struct ike_msg *m, uint8_t first, const uint8_t *inner, size_t len)
{
	int rc;

	if (!m->sk.present || m->inner_parsed)
		return -EINVAL;
	if (inner == NULL && len != 0)
		return -EINVAL;
	m->err = NULL;
	rc = walk(m, first, inner, len, true, 0);
	if (rc < 0)
		return rc;
	m->inner_parsed = true;
	return 0;
}

int
ike_msg_parse_inner(struct ike_msg *m, const uint8_t *pt, size_t pt_len)
{
	size_t inner_len;

	if (!m->sk.present || m->sk.frag)
		return -EINVAL;
	if (ike_sk_unpad(pt, pt_len, &inner_len) < 0)
		return ike_msg_fail(m, -EBADMSG, "SK pad length beyond plaintext");
	return ike_msg_parse_inner_raw(m, m->sk.next, pt, inner_len);
}

const struct ike_notify *
ike_msg_notify(const struct ike_msg *m, uint16_t type)
{
	unsigned i;

	for (i = 0; i < m->n_notifies; i++)
		if (m->notifies[i].type == type)
			return &m->notifies[i];
	return NULL;
}

const struct ike_notify *
ike_msg_error_notify(const struct ike_msg *m)
{
	unsigned i;

	for (i = 0; i < m->n_notifies; i++)
		if (m->notifies[i].type <= IKE_N_ERROR_MAX)
			return &m->notifies[i];
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Builder core                                                             */

int
ike_bld_error(struct ike_bld *b, int rc)
{
	if (b->err == 0)
		b->err = rc;
	return rc;
}

int
ike_bld_put(struct ike_bld *b, const void *p, size_t n)
{
	if (b->err != 0)
		return b->err;
	if (n > b->cap - b->len)
		return ike_bld_error(b, -ENOSPC);
	if (n != 0)
		memcpy(b->buf + b->len, p, n);
	b->len += n;
	return 0;
}

int
ike_bld_zero(struct ike_bld *b, size_t n)
{
	if (b->err != 0)
		return b->err;
	if (n > b->cap - b->len)
		return ike_bld_error(b, -ENOSPC);
	memset(b->buf + b->len, 0, n);
	b->len += n;
	return 0;
}

int
ike_bld_put_u8(struct ike_bld *b, uint8_t v)
{
	return ike_bld_put(b, &v, 1);
}

int
ike_bld_put_u16(struct ike_bld *b, uint16_t v)
{
	uint16_t be = htobe16(v);

	return ike_bld_put(b, &be, 2);
}

int
ike_bld_put_u32(struct ike_bld *b, uint32_t v)
{
	uint32_t be = htobe32(v);

	return ike_bld_put(b, &be, 4);
}

int
ike_bld_init(struct ike_bld *b, uint8_t *buf, size_t cap, const struct ike_hdr *h)
{
	struct ike_hdr_wire w;
	uint64_t spi;

	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->cap = buf == NULL ? 0 : cap;
	if (cap > IKE_MSG_MAX_LEN)
		b->cap = IKE_MSG_MAX_LEN;
	memset(&w, 0, sizeof(w));
	spi = htobe64(h->spi_i);
	memcpy(w.spi_i, &spi, 8);
	spi = htobe64(h->spi_r);
	memcpy(w.spi_r, &spi, 8);
	w.next = IKE_PLD_NONE;
	w.version = IKE_VERSION_2_0;
	w.exchange = h->exchange;
	w.flags = h->flags & (IKE_FLAG_I | IKE_FLAG_R);
	w.msg_id_be = htobe32(h->msg_id);
	w.len_be = 0;
	b->next_off = offsetof(struct ike_hdr_wire, next);
	return ike_bld_put(b, &w, sizeof(w));
}

int
ike_bld_pld_begin(struct ike_bld *b, uint8_t type, bool critical, size_t *start)
{
	struct ike_pld_hdr h = { .next = IKE_PLD_NONE, .flags = critical ? IKE_PLD_CRITICAL : 0 };
	int rc;

	if (b->err != 0)
		return b->err;
	if (b->sealed || b->buf == NULL)
		return ike_bld_error(b, -EINVAL);
	*start = b->len;
	rc = ike_bld_put(b, &h, sizeof(h));
	if (rc < 0)
		return rc;
	b->buf[b->next_off] = type;
	b->next_off = *start;
	return 0;
}

int
ike_bld_len16(struct ike_bld *b, size_t start, size_t len_off)
{
	size_t n = b->len - start;
	uint16_t be;

	if (n > UINT16_MAX)
		return ike_bld_error(b, -EMSGSIZE);
	be = htobe16((uint16_t)n);
	memcpy(b->buf + start + len_off, &be, 2);
	return 0;
}

int
ike_bld_pld_end(struct ike_bld *b, size_t start)
{
	if (b->err != 0)
		return b->err;
	return ike_bld_len16(b, start, offsetof(struct ike_pld_hdr, len_be));
}

int
ike_bld_raw(struct ike_bld *b, uint8_t type, bool critical, const uint8_t *body, size_t len)
{
	size_t start;
	int rc;

	if (body == NULL && len != 0)
		return ike_bld_error(b, -EINVAL);
	rc = ike_bld_pld_begin(b, type, critical, &start);
	if (rc == 0)
		rc = ike_bld_put(b, body, len);
	if (rc == 0)
		rc = ike_bld_pld_end(b, start);
	return rc;
}

static void
set_hdr_len(struct ike_bld *b)
{
	uint32_t be = htobe32((uint32_t)b->len);

	memcpy(b->buf + offsetof(struct ike_hdr_wire, len_be), &be, 4);
}

int
ike_bld_sk_begin(struct ike_bld *b, const struct ike_sk_params *p)
{
	size_t start;
	int rc;

	if (b->err != 0)
		return b->err;
	if (b->in_sk || p == NULL || p->block_len > 255 || p->iv_len > 64 || p->icv_len > 64)
		return ike_bld_error(b, -EINVAL);
	rc = ike_bld_pld_begin(b, IKE_PLD_SK, false, &start);
	if (rc == 0)
		rc = ike_bld_zero(b, p->iv_len);
	if (rc < 0)
		return rc;
	b->sk_off = start;
	b->inner_off = b->len;
	b->in_sk = true;
	b->skp = *p;
	/* The first inner payload's type goes into SK's Next Payload field. */
	b->next_off = start;
	return 0;
}

static size_t
sk_pad_len(const struct ike_sk_params *p, size_t inner_len)
{
	size_t blk = p->block_len;

	if (blk <= 1)
		return 0;
	return (blk - (inner_len + 1) % blk) % blk;
}

size_t
ike_bld_sk_len(const struct ike_bld *b)
{
	size_t inner;

	if (!b->in_sk || b->sealed)
		return b->len;
	inner = b->len - b->inner_off;
	return b->len + sk_pad_len(&b->skp, inner) + 1 + b->skp.icv_len;
}

int
ike_bld_sk_end(struct ike_bld *b, ike_sk_seal_fn seal, void *arg)
{
	struct ike_sk_layout l;
	size_t inner, pad;
	int rc;

	if (b->err != 0)
		return b->err;
	if (!b->in_sk || b->sealed || seal == NULL)
		return ike_bld_error(b, -EINVAL);
	inner = b->len - b->inner_off;
	pad = sk_pad_len(&b->skp, inner);
	rc = ike_bld_zero(b, pad);
	if (rc == 0)
		rc = ike_bld_put_u8(b, (uint8_t)pad);
	if (rc == 0)
		rc = ike_bld_zero(b, b->skp.icv_len);
	if (rc == 0)
		rc = ike_bld_pld_end(b, b->sk_off);
	if (rc < 0)
		return rc;
	set_hdr_len(b);

	l.aad_len = b->sk_off + IKE_PLD_HDR_LEN;
	l.iv_off = l.aad_len;
	l.iv_len = b->skp.iv_len;
	l.ct_off = b->inner_off;
	l.ct_len = inner + pad + 1;
	l.icv_off = l.ct_off + l.ct_len;
	l.icv_len = b->skp.icv_len;
	b->sealed = true;
	b->in_sk = false;
	rc = seal(arg, b->buf, b->len, &l);
	if (rc < 0)
		return ike_bld_error(b, rc);
	return 0;
}

int
ike_bld_finish(struct ike_bld *b, size_t *len)
{
	if (b->err != 0)
		return b->err;
	if (b->in_sk)
		return ike_bld_error(b, -EINVAL);
	if (!b->sealed)
		set_hdr_len(b);
	*len = b->len;
	return 0;
}
