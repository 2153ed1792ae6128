/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internal API of lib/ike: the IKEv2 wire format (RFC 7296 sections 2 and 3),
 * IKE fragmentation (RFC 7383) and proposal strings / proposal matching.
 *
 * This layer turns untrusted datagrams into fixed-size parsed structs
 * (struct ike_msg) and writes messages into caller buffers (struct ike_bld).
 * It holds no SA state, does no cryptography itself (the SK payload is
 * protected and opened through caller-supplied steps, see struct
 * ike_sk_layout) and never allocates, except for fragment reassembly.
 * Everything runs on the control thread.
 *
 * Receive path (the state machine):
 *   ike_msg_parse(dgram)            header + cleartext chain, locates SK/SKF
 *   ike_sk_locate(m, params)        offsets of IV, ciphertext, ICV
 *   ... the SK step (ike_sk.c) verifies the ICV and decrypts ...
 *   ike_msg_parse_inner(m, pt)      inner chain, parsed with in_sk = true
 *   (SKF: ike_frag_add() per decrypted fragment, then ike_frag_parse())
 *
 * Send path (the state machine):
 *   ike_bld_init(hdr); ike_bld_sa()/ke()/nonce()/notify()...;
 *   ike_bld_sk_begin(params); inner payloads...; ike_bld_sk_end(seal);
 *   ike_bld_finish(&len)
 *   (or ike_frag_split() instead of ike_bld_sk_end() for SKF fragments)
 * Alternatively, with ike_crypto.h's whole-message helpers: build the inner
 * payloads as a plain message (ike_bld_init ... ike_bld_finish, no SK) and
 * hand buf + IKE_HDR_LEN, with buf[16] as the first inner type, to
 * ike_sk_encrypt_msg(); on receive, ike_sk_open(..., m->sk.body_off, ...)
 * then ike_msg_parse_inner_raw() or ike_frag_add_raw().
 *
 * Parsed variable-length fields (nonce, KE data, AUTH data, certificates,
 * notify data...) are VIEWS into the buffer given to the parser: that buffer
 * (datagram, decrypted plaintext, or reassembly buffer) must outlive the
 * struct ike_msg. Integers in parsed structs are in host order unless the
 * name ends in _be.
 *
 * Error convention (all parsing functions):
 *   -EBADMSG          malformed: lengths, counts, reserved bits, ranges
 *                     (answer INVALID_SYNTAX when authenticated, else drop)
 *   -E2BIG            a named limit below was exceeded
 *   -EPROTO           payload not allowed in this exchange / SK position
 *                     (ike_pld_allowed), duplicate singleton payload, or an
 *                     exchange type we do not handle
 *   -EOPNOTSUPP       unknown payload with the critical bit set; the type is
 *                     in m->unsupported_critical
 *                     (answer UNSUPPORTED_CRITICAL_PAYLOAD, data = that byte)
 *   -EPROTONOSUPPORT  major version != 2; m->hdr is filled
 *                     (answer INVALID_MAJOR_VERSION, RFC 7296 2.5)
 * On error m->err (static string), m->err_pld and m->err_off say where.
 * Builders return -ENOSPC when the caller buffer is too small (checked before
 * every write) and -EINVAL on misuse; the first error sticks in the builder.
 */
#ifndef RAMPART_IKE_WIRE_H
#define RAMPART_IKE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ike.h"
#include "net/net_bytes.h"

/* ------------------------------------------------------------------------ */
/* Limits (everything countable)                                            */

enum ike_wire_limits {
	IKE_HDR_LEN = 28,
	IKE_PLD_HDR_LEN = 4,
	IKE_MSG_MAX_LEN = 65535,	/* UDP datagram; header length field is 32 bit */
	IKE_MAX_PAYLOADS = 64,		/* cleartext + inner, per message */
	IKE_MAX_SA_PROPOSALS = 16,	/* proposals in one SA payload */
	IKE_MAX_XFORMS = 32,		/* transforms in one proposal */
	IKE_MAX_XFORM_ATTRS = 4,	/* attributes in one transform */
	IKE_MAX_SPI_LEN = 8,
	IKE_NONCE_MIN = 16,		/* RFC 7296 2.10 */
	IKE_NONCE_MAX = 256,
	IKE_KE_MAX = 1024,		/* modp8192 */
	IKE_MAX_NOTIFIES = 32,		/* stored notifies (ADDITIONAL_IP*: not stored) */
	IKE_MAX_NOTIFY_DATA = 1024,
	IKE_COOKIE_MAX = 64,		/* RFC 7296 2.6 */
	IKE_COOKIE2_MIN = 8,		/* RFC 4555 3.7 */
	IKE_COOKIE2_MAX = 64,
	IKE_NATD_LEN = 20,		/* SHA-1 */
	IKE_MAX_CERTS = 8,
	IKE_MAX_CERTREQS = 8,
	IKE_MAX_DELETES = 4,		/* D payloads per message */
	IKE_MAX_DEL_SPIS = 64,		/* SPIs in one D payload */
	IKE_MAX_CP_ATTRS = 16,		/* stored (recognised) CP attributes */
	IKE_MAX_VENDORS = 16,
	IKE_FRAG_MAX = 32,		/* fragments of one message (RFC 7383) */
	IKE_FRAG_MAX_TOTAL = 65536,	/* reassembled inner bytes */
	IKE_FRAG_MIN_LEN = 68,		/* smallest fragment datagram we build */
	IKE_FRAG_TIMEOUT_MS = 30000,	/* drop incomplete reassembly after this */
	IKE_PROP_STR_MAX = 128,		/* as in ike_conn_cfg */
};

/* ------------------------------------------------------------------------ */
/* Network byte order loads and stores (SPIs, lengths in hand-built headers):
 * the 16 and 32-bit ones are net/net_bytes.h's (shared with lib/net and
 * lib/esp), the 64-bit SPIs are lib/ike's own. */

static inline void
put_be16(uint8_t *p, uint16_t v)
{
	net_wr16(p, v);
}

static inline uint64_t
get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void
put_be32(uint8_t *p, uint32_t v)
{
	net_wr32(p, v);
}

static inline void
put_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* ------------------------------------------------------------------------ */
/* Registry values (IANA "IKEv2 parameters")                                */

enum ike_exchange {
	IKE_XCHG_SA_INIT = 34,
	IKE_XCHG_AUTH = 35,
	IKE_XCHG_CREATE_CHILD_SA = 36,
	IKE_XCHG_INFORMATIONAL = 37,
};

/* Header flags (RFC 7296 3.1); other bits are ignored on receipt. */
enum ike_hdr_flag {
	IKE_FLAG_I = 0x08,		/* sent by the original initiator */
	IKE_FLAG_V = 0x10,		/* higher version supported: never set */
	IKE_FLAG_R = 0x20,		/* response */
};

enum ike_pld_type {
	IKE_PLD_NONE = 0,
	IKE_PLD_SA = 33,
	IKE_PLD_KE = 34,
	IKE_PLD_IDI = 35,
	IKE_PLD_IDR = 36,
	IKE_PLD_CERT = 37,
	IKE_PLD_CERTREQ = 38,
	IKE_PLD_AUTH = 39,
	IKE_PLD_NONCE = 40,
	IKE_PLD_N = 41,
	IKE_PLD_D = 42,
	IKE_PLD_V = 43,
	IKE_PLD_TSI = 44,
	IKE_PLD_TSR = 45,
	IKE_PLD_SK = 46,
	IKE_PLD_CP = 47,
	IKE_PLD_EAP = 48,
	IKE_PLD_SKF = 53,		/* RFC 7383 */
};

#define IKE_PLD_CRITICAL 0x80		/* generic header flags byte */

/* Security protocol IDs (proposals, notify, delete) */
enum ike_proto {
	IKE_PROTO_NONE = 0,
	IKE_PROTO_IKE = 1,
	IKE_PROTO_AH = 2,
	IKE_PROTO_ESP = 3,
};

/* Transform types (RFC 7296 3.3.2) */
enum ike_xform_type {
	IKE_XF_ENCR = 1,
	IKE_XF_PRF = 2,
	IKE_XF_INTEG = 3,
	IKE_XF_DH = 4,
	IKE_XF_ESN = 5,
	IKE_XF_TYPE_MAX = 5,
};

enum ike_encr_id {
	IKE_ENCR_AES_CBC = 12,		/* key length attribute: 128/192/256 */
	IKE_ENCR_AES_GCM_8 = 18,
	IKE_ENCR_AES_GCM_12 = 19,
	IKE_ENCR_AES_GCM_16 = 20,	/* key length attribute: 128/256 */
	IKE_ENCR_CHACHA20_POLY1305 = 28,/* no key length attribute */
};

enum ike_prf_id {
	IKE_PRF_HMAC_SHA1 = 2,
	IKE_PRF_HMAC_SHA2_256 = 5,
	IKE_PRF_HMAC_SHA2_384 = 6,
	IKE_PRF_HMAC_SHA2_512 = 7,
};

enum ike_integ_id {
	IKE_INTEG_NONE = 0,
	IKE_INTEG_HMAC_SHA1_96 = 2,
	IKE_INTEG_HMAC_SHA2_256_128 = 12,
	IKE_INTEG_HMAC_SHA2_384_192 = 13,
	IKE_INTEG_HMAC_SHA2_512_256 = 14,
};

enum ike_dh_id {
	IKE_DH_NONE = 0,
	IKE_DH_MODP2048 = 14,
	IKE_DH_MODP3072 = 15,
	IKE_DH_MODP4096 = 16,
	IKE_DH_ECP256 = 19,
	IKE_DH_ECP384 = 20,
	IKE_DH_ECP521 = 21,
	IKE_DH_CURVE25519 = 31,
};

enum ike_esn_id {
	IKE_ESN_NO = 0,
	IKE_ESN_YES = 1,
};

#define IKE_ATTR_KEY_LENGTH 14		/* TV attribute (AF bit set) */

enum ike_auth_method_wire {
	IKE_AUTH_RSA_SIG = 1,
	IKE_AUTH_PSK = 2,
	IKE_AUTH_DSS = 3,
	IKE_AUTH_ECDSA_256 = 9,
	IKE_AUTH_ECDSA_384 = 10,
	IKE_AUTH_ECDSA_521 = 11,
	IKE_AUTH_DIGITAL_SIG = 14,	/* RFC 7427 */
};

enum ike_cert_encoding {
	IKE_CERT_X509_SIG = 4,		/* DER certificate; CERTREQ: SHA-1 key hashes */
};

/* RFC 7427 hash algorithms (SIGNATURE_HASH_ALGORITHMS data, 2 bytes each) */
enum ike_hash_alg {
	IKE_HASH_SHA1 = 1,
	IKE_HASH_SHA2_256 = 2,
	IKE_HASH_SHA2_384 = 3,
	IKE_HASH_SHA2_512 = 4,
};

enum ike_notify_type {
	/* errors */
	IKE_N_UNSUPPORTED_CRITICAL_PAYLOAD = 1,
	IKE_N_INVALID_IKE_SPI = 4,
	IKE_N_INVALID_MAJOR_VERSION = 5,
	IKE_N_INVALID_SYNTAX = 7,
	IKE_N_INVALID_MESSAGE_ID = 9,
	IKE_N_INVALID_SPI = 11,
	IKE_N_NO_PROPOSAL_CHOSEN = 14,
	IKE_N_INVALID_KE_PAYLOAD = 17,
	IKE_N_AUTHENTICATION_FAILED = 24,
	IKE_N_SINGLE_PAIR_REQUIRED = 34,
	IKE_N_NO_ADDITIONAL_SAS = 35,
	IKE_N_INTERNAL_ADDRESS_FAILURE = 36,
	IKE_N_FAILED_CP_REQUIRED = 37,
	IKE_N_TS_UNACCEPTABLE = 38,
	IKE_N_INVALID_SELECTORS = 39,
	IKE_N_TEMPORARY_FAILURE = 43,
	IKE_N_UNACCEPTABLE_ADDRESSES = 40,	/* RFC 4555 */
	IKE_N_UNEXPECTED_NAT_DETECTED = 41,	/* RFC 4555 */
	IKE_N_CHILD_SA_NOT_FOUND = 44,
	IKE_N_ERROR_MAX = 16383,	/* types below 16384 are errors */
	/* status */
	IKE_N_INITIAL_CONTACT = 16384,
	IKE_N_SET_WINDOW_SIZE = 16385,
	IKE_N_ADDITIONAL_TS_POSSIBLE = 16386,
	IKE_N_IPCOMP_SUPPORTED = 16387,
	IKE_N_NAT_DETECTION_SOURCE_IP = 16388,
	IKE_N_NAT_DETECTION_DESTINATION_IP = 16389,
	IKE_N_COOKIE = 16390,
	IKE_N_USE_TRANSPORT_MODE = 16391,
	IKE_N_HTTP_CERT_LOOKUP_SUPPORTED = 16392,
	IKE_N_REKEY_SA = 16393,
	IKE_N_ESP_TFC_PADDING_NOT_SUPPORTED = 16394,
	IKE_N_NON_FIRST_FRAGMENTS_ALSO = 16395,
	IKE_N_MOBIKE_SUPPORTED = 16396,
	IKE_N_ADDITIONAL_IP4_ADDRESS = 16397,
	IKE_N_ADDITIONAL_IP6_ADDRESS = 16398,
	IKE_N_NO_ADDITIONAL_ADDRESSES = 16399,	/* RFC 4555 */
	IKE_N_UPDATE_SA_ADDRESSES = 16400,
	IKE_N_COOKIE2 = 16401,
	IKE_N_NO_NATS_ALLOWED = 16402,
	IKE_N_MULTIPLE_AUTH_SUPPORTED = 16404,	/* RFC 4739 */
	IKE_N_ANOTHER_AUTH_FOLLOWS = 16405,
	IKE_N_REDIRECT_SUPPORTED = 16406,	/* RFC 5685 */
	IKE_N_REDIRECT = 16407,
	IKE_N_REDIRECTED_FROM = 16408,
	IKE_N_IKEV2_FRAGMENTATION_SUPPORTED = 16430,	/* RFC 7383 */
	IKE_N_SIGNATURE_HASH_ALGORITHMS = 16431,	/* RFC 7427 */
};

/* RFC 5685 9.1: gateway identity types of REDIRECT and REDIRECTED_FROM */
enum ike_gw_id_type {
	IKE_GW_ID_IPV4 = 1,
	IKE_GW_ID_IPV6 = 2,
	IKE_GW_ID_FQDN = 3,
};

/* RFC 7296 3.13.1 */
enum ike_ts_type {
	IKE_TS_IPV4_ADDR_RANGE = 7,
	IKE_TS_IPV6_ADDR_RANGE = 8,
};

/* RFC 7296 3.15 */
enum ike_cfg_type {
	IKE_CFG_REQUEST = 1,
	IKE_CFG_REPLY = 2,
	IKE_CFG_SET = 3,
	IKE_CFG_ACK = 4,
};

enum ike_cp_attr_type {
	IKE_CP_INTERNAL_IP4_ADDRESS = 1,	/* 0 or 4 bytes */
	IKE_CP_INTERNAL_IP4_NETMASK = 2,	/* 0 or 4 */
	IKE_CP_INTERNAL_IP4_DNS = 3,		/* 0 or 4 */
	IKE_CP_INTERNAL_IP6_ADDRESS = 8,	/* 0 or 17 (address, prefix length) */
	IKE_CP_INTERNAL_IP6_DNS = 10,		/* 0 or 16 */
};

/* ------------------------------------------------------------------------ */
/* Parsed structures                                                        */

/*
 * IKE header (RFC 7296 3.1), host order:
 *                      1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Initiator's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       IKE SA Responder's SPI                  |
 * |                                                               |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                          Message ID                           |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                            Length                             |
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
struct ike_hdr {
	uint64_t spi_i;			/* host order (wire big-endian) */
	uint64_t spi_r;
	uint8_t next;			/* first payload type */
	uint8_t version;		/* 0x20 for IKEv2 (major << 4 | minor) */
	uint8_t exchange;		/* enum ike_exchange */
	uint8_t flags;			/* enum ike_hdr_flag */
	uint32_t msg_id;
	uint32_t len;			/* whole message, bytes */
};

/* A view of bytes inside the parsed buffer. */
struct ike_blob {
	const uint8_t *p;
	size_t len;
};

/*
 * SA payload (RFC 7296 3.3): proposals, each with transforms.
 * A transform we cannot use (unknown attribute, bad key length) is kept with
 * usable = false so that matching skips it; an unknown transform type makes
 * the whole proposal unusable (RFC 7296 3.3.6).
 */
struct ike_xform {
	uint8_t type;			/* enum ike_xform_type */
	uint16_t id;			/* transform ID of that type */
	uint16_t key_bits;		/* key length attribute, 0 = absent */
	bool usable;
};

struct ike_proposal {
	uint8_t num;			/* proposal number (1-based on the wire) */
	uint8_t proto;			/* enum ike_proto */
	uint8_t spi_len;		/* 0 (IKE_SA_INIT), 8 (IKE rekey), 4 (ESP/AH) */
	uint8_t spi[IKE_MAX_SPI_LEN];	/* wire order */
	bool usable;			/* false: unknown transform type inside */
	unsigned n_xforms;
	struct ike_xform xf[IKE_MAX_XFORMS];
};

struct ike_sa_pld {
	unsigned n_props;
	struct ike_proposal props[IKE_MAX_SA_PROPOSALS];
};

/* KE payload (RFC 7296 3.4) */
struct ike_ke {
	uint16_t group;			/* enum ike_dh_id */
	struct ike_blob data;
};

/*
 * ID payload (RFC 7296 3.5). @body is the payload body after the generic
 * header (ID type, 3 reserved bytes, data): the "RestOfIDPayload" that the
 * AUTH computation (RFC 7296 2.15) signs, exactly as received.
 */
struct ike_id_pld {
	struct ike_id id;
	struct ike_blob body;
};

/* CERT (3.6) and CERTREQ (3.7) */
struct ike_cert {
	uint8_t encoding;		/* enum ike_cert_encoding */
	struct ike_blob data;		/* CERTREQ X.509: n * 20-byte SHA-1 hashes */
};

/* AUTH payload (3.8) */
struct ike_auth {
	uint8_t method;			/* enum ike_auth_method_wire */
	struct ike_blob data;
};

/* Notify payload (3.10) */
struct ike_notify {
	uint8_t proto;			/* enum ike_proto, 0 if none */
	uint8_t spi_len;		/* 0, 4 or 8 */
	uint16_t type;			/* enum ike_notify_type */
	uint8_t spi[IKE_MAX_SPI_LEN];	/* wire order */
	struct ike_blob data;
};

/* Delete payload (3.11) */
struct ike_delete {
	uint8_t proto;			/* IKE (spi_len 0, no SPIs) or ESP/AH (spi_len 4) */
	uint8_t spi_len;
	unsigned n_spis;
	uint32_t spis[IKE_MAX_DEL_SPIS];	/* host order */
};

/* TSi/TSr (3.13); selectors of unknown types are skipped and counted. */
struct ike_ts_pld {
	unsigned n_ts;
	struct ike_ts ts[IKE_MAX_TS];
	unsigned n_skipped;
};

/* CP attribute (3.15.1); only the types of enum ike_cp_attr_type are kept. */
struct ike_cp_attr {
	uint16_t type;			/* enum ike_cp_attr_type */
	uint8_t len;			/* 0 (request), 4, 16 or 17 */
	uint8_t val[17];
};

struct ike_cp {
	uint8_t cfg_type;		/* enum ike_cfg_type */
	unsigned n_attrs;
	struct ike_cp_attr attrs[IKE_MAX_CP_ATTRS];
	unsigned n_skipped;		/* unrecognised attributes */
};

/*
 * Where the Encrypted (SK, RFC 7296 3.14) or Encrypted Fragment (SKF,
 * RFC 7383 2.5) payload sits in the datagram. It is always the last
 * cleartext payload.
 */
struct ike_sk_view {
	bool present;
	bool frag;			/* SKF */
	uint8_t next;			/* first inner payload (SKF: 0 unless frag 1) */
	uint16_t frag_num;		/* SKF: 1..frag_total */
	uint16_t frag_total;
	size_t pld_off;			/* offset of the generic payload header */
	size_t body_off;		/* IV starts here (after SKF's 4 extra bytes) */
	size_t body_len;		/* IV + ciphertext + ICV */
};

/*
 * Layout of a protected SK/SKF payload inside a whole message, for the
 * crypto step (ike_sk.c). AEAD (RFC 5282): associated data = msg[0, aad_len),
 * nonce = salt || IV. Encrypt-then-MAC: ICV over msg[0, icv_off).
 * The ciphertext region holds, in plaintext form, the inner payloads, then
 * padding, then the 1-byte Pad Length.
 */
struct ike_sk_layout {
	size_t aad_len;			/* IKE header + SK(F) header (= iv_off) */
	size_t iv_off, iv_len;
	size_t ct_off, ct_len;
	size_t icv_off, icv_len;
};

/* What the negotiated SK algorithm needs from the codec. */
struct ike_sk_params {
	size_t iv_len;			/* GCM 8, CBC 16 */
	size_t block_len;		/* padding alignment of ct: GCM 1 (or 4), CBC 16 */
	size_t icv_len;			/* GCM16 16, HMAC-SHA2-256-128 16 */
};

/*
 * Seal step, supplied by the caller (wraps ike_sk.c's SK encrypt). Called with
 * the complete message (header length already final): write the IV at
 * l->iv_off, encrypt msg[ct_off, ct_off + ct_len) in place, write the ICV
 * at l->icv_off. Return 0 or a negative errno.
 */
typedef int (*ike_sk_seal_fn)(void *arg, uint8_t *msg, size_t msg_len,
			      const struct ike_sk_layout *l);
/*
 * With ike_crypto.h, a seal step is ike_sk_seal() in place (it pads the same
 * way: zeros, then Pad Length; block_len 1 for GCM, 16 for CBC):
 *   pad = msg[l->ct_off + l->ct_len - 1];
 *   ike_sk_seal(k, msg, l->aad_len, msg + l->ct_off, l->ct_len - 1 - pad,
 *               msg_len, &out_len);   (out_len == msg_len)
 * (tests/unit/test_ike_wire.c, real_seal, checks this for GCM and CBC.)
 */

/*
 * A parsed message. Singleton payloads have a has_ flag; a second copy in
 * one message is -EPROTO. Repeated payloads have an array and a count.
 */
struct ike_msg {
	struct ike_hdr hdr;
	const uint8_t *raw;		/* the datagram given to ike_msg_parse */
	size_t raw_len;
	unsigned n_payloads;		/* walked so far (limit IKE_MAX_PAYLOADS) */

	bool has_sa, has_ke, has_nonce, has_idi, has_idr, has_auth;
	bool has_tsi, has_tsr, has_cp, has_eap;
	struct ike_sa_pld sa;
	struct ike_ke ke;
	struct ike_blob nonce;
	struct ike_id_pld idi, idr;
	struct ike_auth auth;
	struct ike_ts_pld tsi, tsr;
	struct ike_cp cp;
	struct ike_blob eap;		/* EAP message (RFC 3748 4), validated header */

	unsigned n_certs;
	struct ike_cert certs[IKE_MAX_CERTS];
	unsigned n_certreqs;
	struct ike_cert certreqs[IKE_MAX_CERTREQS];
	unsigned n_notifies;
	struct ike_notify notifies[IKE_MAX_NOTIFIES];
	unsigned n_deletes;
	struct ike_delete deletes[IKE_MAX_DELETES];
	unsigned n_vendors;		/* contents skipped */
	unsigned n_addl_addrs;		/* ADDITIONAL_IP4/6_ADDRESS seen (not stored) */

	struct ike_sk_view sk;		/* SK or SKF */
	bool inner_parsed;		/* ike_msg_parse_inner() succeeded */

	/* error detail for DEBUG logs */
	uint8_t unsupported_critical;	/* -EOPNOTSUPP: the payload type */
	uint8_t err_pld;		/* payload type being parsed, 0 = header */
	size_t err_off;			/* offset in the buffer being walked */
	const char *err;		/* static string, NULL if no error */
};

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */

/*
 * Is payload @type allowed in exchange @exchange, inside (in_sk) or outside
 * the SK payload? The one table of RFC 7296 section 1 exchanges.
 */
bool ike_pld_allowed(uint8_t exchange, uint8_t type, bool in_sk);

/*
 * Parse the IKE header only (for SPI lookup / version check before anything
 * else). @len must be the datagram length. Returns 0 or the errors above.
 */
int ike_hdr_parse(const uint8_t *buf, size_t len, struct ike_hdr *h);

/*
 * Parse a datagram: header, then the cleartext payload chain. Stops after an
 * SK/SKF payload (which must be last) and records it in m->sk. @buf must
 * outlive @m. Clears @m first.
 */
int ike_msg_parse(const uint8_t *buf, size_t len, struct ike_msg *m);

/*
 * Compute the SK/SKF layout of a parsed message for the negotiated
 * algorithm. Returns -EBADMSG if the payload is too short for IV + ICV +
 * pad length, or the ciphertext is not a multiple of p->block_len.
 * -ENOENT if m has no SK/SKF payload.
 */
int ike_sk_locate(const struct ike_msg *m, const struct ike_sk_params *p,
		  struct ike_sk_layout *l);

/*
 * After ike_sk.c verified the ICV and decrypted: parse the inner chain of an SK
 * message. @pt/@pt_len is the decrypted ciphertext region (inner payloads,
 * padding, Pad Length byte). The walk starts at m->sk.next with in_sk = true.
 * @pt must outlive @m. Not for SKF (use ike_frag_add).
 */
int ike_msg_parse_inner(struct ike_msg *m, const uint8_t *pt, size_t pt_len);

/*
 * Same, for inner bytes without padding (e.g. reassembled fragments) and an
 * explicit first payload type.
 */
int ike_msg_parse_inner_raw(struct ike_msg *m, uint8_t first, const uint8_t *inner,
			    size_t len);

/* Strip SK padding: @pt_len includes the Pad Length byte. -EBADMSG if the
 * pad length exceeds the data. */
int ike_sk_unpad(const uint8_t *pt, size_t pt_len, size_t *inner_len);

/* First stored notify of @type, or NULL. */
const struct ike_notify *ike_msg_notify(const struct ike_msg *m, uint16_t type);

/* First error notify (type < 16384) or NULL. */
const struct ike_notify *ike_msg_error_notify(const struct ike_msg *m);

/* Names for logs ("IKE_SA_INIT", "N", "NO_PROPOSAL_CHOSEN"); never NULL. */
const char *ike_exchange_name(uint8_t exchange);
const char *ike_pld_name(uint8_t type);
const char *ike_notify_name(uint16_t type);

/* ------------------------------------------------------------------------ */
/* Building                                                                 */

/*
 * Message builder writing into a caller buffer. Fields are private to
 * ike_msg.c/ike_pld.c; the caller only allocates it (on the stack is fine).
 */
struct ike_bld {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t next_off;		/* offset of the next-payload byte to patch */
	size_t sk_off;			/* SK payload header offset (in_sk) */
	size_t inner_off;		/* first inner payload byte (in_sk) */
	uint8_t first_inner;		/* first inner payload type */
	bool in_sk;
	bool sealed;
	int err;			/* first error, sticky */
	struct ike_sk_params skp;
};

/*
 * Start a message in @buf (@cap bytes) with header @h (h->len and h->next
 * are ignored: set by the builder). Version 2.0 is always written.
 */
int ike_bld_init(struct ike_bld *b, uint8_t *buf, size_t cap, const struct ike_hdr *h);

/* Payload appenders; each chains the previous next-payload field. Inside
 * ike_bld_sk_begin/_end they append inner (cleartext) payloads. */

/* SA: proposal numbers are props[i].num, or i + 1 if 0. ESP: spi_len 4. */
int ike_bld_sa(struct ike_bld *b, const struct ike_proposal *props, unsigned n);
int ike_bld_ke(struct ike_bld *b, uint16_t group, const uint8_t *data, size_t len);
int ike_bld_nonce(struct ike_bld *b, const uint8_t *nonce, size_t len);	/* 16..256 */
/* @type: IKE_PLD_IDI or IKE_PLD_IDR */
int ike_bld_id(struct ike_bld *b, uint8_t type, const struct ike_id *id);
int ike_bld_cert(struct ike_bld *b, uint8_t encoding, const uint8_t *data, size_t len);
int ike_bld_certreq(struct ike_bld *b, uint8_t encoding, const uint8_t *data, size_t len);
int ike_bld_auth(struct ike_bld *b, uint8_t method, const uint8_t *data, size_t len);
/* @spi may be NULL when spi_len is 0; @data may be NULL when len is 0. */
int ike_bld_notify(struct ike_bld *b, uint8_t proto, const uint8_t *spi, uint8_t spi_len,
		   uint16_t type, const uint8_t *data, size_t len);
/* IKE SA: proto IKE_PROTO_IKE, n = 0. ESP: SPIs in host order. */
int ike_bld_delete(struct ike_bld *b, uint8_t proto, const uint32_t *spis, unsigned n);
int ike_bld_vendor(struct ike_bld *b, const uint8_t *data, size_t len);
/* @type: IKE_PLD_TSI or IKE_PLD_TSR; 1..IKE_MAX_TS selectors */
int ike_bld_ts(struct ike_bld *b, uint8_t type, const struct ike_ts *ts, unsigned n);
int ike_bld_cp(struct ike_bld *b, uint8_t cfg_type, const struct ike_cp_attr *attrs,
	       unsigned n);
/* Any payload with an opaque body (tests, EAP); @critical sets the C bit. */
int ike_bld_raw(struct ike_bld *b, uint8_t type, bool critical, const uint8_t *body,
		size_t len);

/*
 * Open the SK payload: writes its header and reserves p->iv_len bytes.
 * Payloads appended afterwards are inner payloads (cleartext for now).
 */
int ike_bld_sk_begin(struct ike_bld *b, const struct ike_sk_params *p);

/* Total message length ike_bld_sk_end() would produce (fragment decision). */
size_t ike_bld_sk_len(const struct ike_bld *b);

/*
 * Close the SK payload: add padding and Pad Length, reserve the ICV, set the
 * SK and header lengths, then call @seal once with the layout. After this the
 * message is complete (ike_bld_finish gives its length).
 */
int ike_bld_sk_end(struct ike_bld *b, ike_sk_seal_fn seal, void *arg);

/* Set the header length; returns the first error or 0 with *len set. An
 * SK payload still open is -EINVAL. */
int ike_bld_finish(struct ike_bld *b, size_t *len);

/* Rebuild the ID payload body (RestOfIDPayload) for AUTH computation. */
int ike_id_body(const struct ike_id *id, uint8_t *out, size_t cap, size_t *len);

/* ------------------------------------------------------------------------ */
/* Fragmentation (RFC 7383)                                                 */

struct ike_frag_out {
	unsigned n;
	size_t off[IKE_FRAG_MAX];	/* fragment i is out[off[i], off[i] + len[i]) */
	size_t len[IKE_FRAG_MAX];
};

/*
 * Split the inner payloads of builder @b (SK open, not yet ended; @b is not
 * changed) into SKF fragment datagrams of at most @frag_max_len bytes each
 * (IKE message bytes: the caller subtracts IP, UDP and the non-ESP marker),
 * all in @out. Each fragment carries the header of @b (same message ID,
 * exchange, flags) and is sealed separately by @seal. Cleartext payloads
 * before SK are not supported (-EINVAL). -E2BIG if more than IKE_FRAG_MAX
 * fragments would be needed, -ENOSPC if @out is too small.
 */
int ike_frag_split(const struct ike_bld *b, size_t frag_max_len, ike_sk_seal_fn seal, void *arg,
		   uint8_t *out, size_t out_cap, struct ike_frag_out *fo);

/*
 * Reassembly of one message (one per IKE SA and direction is enough: the
 * caller feeds only fragments of the message ID it expects). Stores the
 * decrypted inner bytes of each fragment after its ICV verified (RFC 7383
 * 2.6); heap memory, wiped and freed by _reset/_fini.
 */
struct ike_frag_reasm {
	bool active;
	bool complete;
	uint32_t msg_id;
	uint8_t exchange;
	uint16_t total;			/* Total Fragments of the stored set */
	uint16_t n_have;
	uint8_t first_next;		/* from fragment 1 */
	size_t bytes;			/* stored inner bytes */
	uint64_t start_ms;		/* first fragment of this set */
	uint8_t *frag[IKE_FRAG_MAX];	/* index frag_num - 1 */
	uint16_t frag_len[IKE_FRAG_MAX];
	uint8_t *whole;			/* after completion */
	size_t whole_len;
};

void ike_frag_init(struct ike_frag_reasm *r);
void ike_frag_reset(struct ike_frag_reasm *r);	/* drop everything, stay usable */
void ike_frag_fini(struct ike_frag_reasm *r);

/*
 * Add a fragment: @m parsed by ike_msg_parse (m->sk.frag), @pt/@pt_len its
 * verified, decrypted ciphertext region (with padding and Pad Length).
 * Returns 1 when the message is complete, 0 when more fragments are needed,
 * -EALREADY for a duplicate (ignore it), -ESTALE for a fragment of an older
 * set (smaller Total Fragments: ignore), -EBADMSG (bad numbers), -E2BIG
 * (limits), -ENOMEM. A larger Total Fragments or another message ID restarts
 * the reassembly (RFC 7383 2.6).
 */
int ike_frag_add(struct ike_frag_reasm *r, const struct ike_msg *m, const uint8_t *pt,
		 size_t pt_len, uint64_t now_ms);

/*
 * Same as ike_frag_add for an already unpadded fragment body (what
 * ike_sk_open() of ike_crypto.h returns): @inner/@inner_len are the inner
 * payload bytes of this fragment. Same returns.
 */
int ike_frag_add_raw(struct ike_frag_reasm *r, const struct ike_msg *m, const uint8_t *inner,
		     size_t inner_len, uint64_t now_ms);

/*
 * After ike_frag_add returned 1: parse the reassembled inner chain into @m
 * (the struct of the last fragment, whose header it keeps). Views point into
 * @r, valid until ike_frag_reset/_fini.
 */
int ike_frag_parse(struct ike_frag_reasm *r, struct ike_msg *m);

/* Timeout hook for the IKE timer (ike_timer.c): true if an incomplete set is older than
 * IKE_FRAG_TIMEOUT_MS (then call ike_frag_reset). */
bool ike_frag_expired(const struct ike_frag_reasm *r, uint64_t now_ms);

/* ------------------------------------------------------------------------ */
/* Proposals                                                                */

/*
 * Parse a strongSwan-style proposal string into one proposal (num 0, no SPI)
 * for @proto (IKE_PROTO_IKE or IKE_PROTO_ESP). Keywords: aes128 aes192
 * aes256 (CBC), aes128gcm16 aes256gcm16 (also gcm8/gcm12, "aes128gcm" =
 * gcm16), chacha20poly1305; sha1 sha256 sha384 sha512 (integrity; IKE
 * without prf also gets the matching prf); prfsha1 prfsha256 prfsha384
 * prfsha512; modp2048 modp3072 modp4096 ecp256 ecp384 ecp521 curve25519
 * x25519; esn noesn (ESP; default noesn). Several of one kind are all
 * offered, in order. Returns 0 or -EINVAL with a message in @err.
 */
int ike_prop_parse(const char *s, uint8_t proto, struct ike_proposal *out, char *err,
		   size_t err_len);

/* Format a proposal back to a string for logs ("aes128gcm16-prfsha256-x25519"). */
int ike_prop_format(const struct ike_proposal *p, char *buf, size_t len);

/*
 * Responder: pick from the peer's SA payload @offer using our proposals
 * @ours in our order (our first proposal that any peer proposal of the same
 * protocol can satisfy wins; within it our transform order). @chosen gets a
 * single proposal with one transform per type, the peer's proposal number
 * and the peer's SPI (replace the SPI with ours before building the reply).
 * *our_idx (may be NULL) gets the index into @ours. -ENOENT: no match
 * (answer NO_PROPOSAL_CHOSEN).
 */
int ike_prop_select(const struct ike_proposal *ours, unsigned n_ours,
		    const struct ike_sa_pld *offer, struct ike_proposal *chosen,
		    unsigned *our_idx);

/*
 * Initiator: check the responder's SA payload @reply against what we offered
 * (@offered[i] was sent as proposal number i + 1, or its own num). It must
 * hold exactly one proposal, of an offered number and protocol, with exactly
 * one transform per type of the offered proposal, each one we offered.
 * @chosen gets it (with the responder's SPI). -EBADMSG otherwise.
 */
int ike_prop_check_reply(const struct ike_proposal *offered, unsigned n_offered,
			 const struct ike_sa_pld *reply, struct ike_proposal *chosen);

/* First transform of @type: 0 and *id / *key_bits (either may be NULL), or
 * -ENOENT. */
int ike_prop_xform(const struct ike_proposal *p, uint8_t type, uint16_t *id,
		   uint16_t *key_bits);

/* Does @p offer DH group @group? */
bool ike_prop_has_dh(const struct ike_proposal *p, uint16_t group);

/* Remove DH transforms (ESP proposals sent in IKE_AUTH, RFC 7296 1.2). */
void ike_prop_strip_dh(struct ike_proposal *p);

/* Is @enc an AEAD transform (no INTEG)? */
bool ike_encr_is_aead(uint16_t enc);

#endif
