/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RADIUS codec for EAP passthrough (rd_radius.h). Builds Access-Requests
 * and verifies responses; every attribute walk is bounded by the packet's
 * Length field, checked against the datagram first. Never logs.
 */
#include "rd_radius.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

enum {
	VENDOR_MICROSOFT = 311,
	MS_MPPE_SEND_KEY = 16,
	MS_MPPE_RECV_KEY = 17,
	MA_LEN = 16,
};

static int
put_attr(uint8_t *buf, size_t cap, size_t *off, uint8_t type, const void *val, size_t len)
{
	if (len > 253 || cap - *off < len + 2)
		return -ENOSPC;
	buf[*off] = type;
	buf[*off + 1] = (uint8_t)(len + 2);
	if (len > 0)
		memcpy(buf + *off + 2, val, len);
	*off += len + 2;
	return 0;
}

static int
hmac_md5(const uint8_t *key, size_t key_len, const uint8_t *data, size_t len, uint8_t out[16])
{
	unsigned int ol = 0;

	if (HMAC(EVP_md5(), key, (int)key_len, data, len, out, &ol) == NULL || ol != 16)
		return -EIO;
	return 0;
}

/* MD5 over up to three pieces. */
static int
md5_3(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, const uint8_t *c, size_t cl,
      uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int ol = 0;
	int ok;

	if (ctx == NULL)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 && EVP_DigestUpdate(ctx, a, al) == 1 &&
	     (bl == 0 || EVP_DigestUpdate(ctx, b, bl) == 1) &&
	     (cl == 0 || EVP_DigestUpdate(ctx, c, cl) == 1) &&
	     EVP_DigestFinal_ex(ctx, out, &ol) == 1 && ol == 16;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int
rd_radius_build_request(const struct rd_radius_req *r, const uint8_t *secret,
			size_t secret_len, uint8_t *buf, size_t cap, size_t *len)
{
	static const uint8_t nas_port_virtual[4] = { 0, 0, 0, 5 };	/* RFC 2865 5.41 */
	static const uint8_t framed_user[4] = { 0, 0, 0, 2 };		/* RFC 2865 5.6 */
	static const uint8_t mtu[4] = { 0, 0, 0x05, 0x78 };		/* 1400 */
	size_t off = RD_RADIUS_HDR_LEN, ma_off, i;
	int rc = 0;

	if (cap > RD_RADIUS_MAX_PKT)
		cap = RD_RADIUS_MAX_PKT;
	if (cap < RD_RADIUS_HDR_LEN || secret_len == 0 || r->eap_len == 0 ||
	    r->user_len > RD_RADIUS_MAX_USER || r->state_len > RD_RADIUS_MAX_STATE)
		return -EINVAL;
	buf[0] = RD_RADIUS_ACCESS_REQUEST;
	buf[1] = r->id;
	memcpy(buf + 4, r->authenticator, 16);
	if (r->user != NULL && r->user_len > 0)
		rc = put_attr(buf, cap, &off, RD_RA_USER_NAME, r->user, r->user_len);
	if (rc == 0)
		rc = put_attr(buf, cap, &off, RD_RA_SERVICE_TYPE, framed_user, 4);
	if (rc == 0)
		rc = put_attr(buf, cap, &off, RD_RA_NAS_PORT_TYPE, nas_port_virtual, 4);
	if (rc == 0)
		rc = put_attr(buf, cap, &off, RD_RA_FRAMED_MTU, mtu, 4);
	if (rc == 0 && r->nas_id != NULL && r->nas_id[0] != '\0')
		rc = put_attr(buf, cap, &off, RD_RA_NAS_IDENTIFIER, r->nas_id,
			      strnlen(r->nas_id, 253));
	if (rc == 0 && r->calling != NULL && r->calling[0] != '\0')
		rc = put_attr(buf, cap, &off, RD_RA_CALLING_STATION_ID, r->calling,
			      strnlen(r->calling, 253));
	/* RFC 3579 3.1: an EAP message longer than 253 octets spans consecutive
	 * EAP-Message attributes */
	for (i = 0; rc == 0 && i < r->eap_len; i += 253)
		rc = put_attr(buf, cap, &off, RD_RA_EAP_MESSAGE, r->eap + i,
			      r->eap_len - i > 253 ? 253 : r->eap_len - i);
	if (rc == 0 && r->state != NULL && r->state_len > 0)
		rc = put_attr(buf, cap, &off, RD_RA_STATE, r->state, r->state_len);
	ma_off = off;
	if (rc == 0)
		rc = put_attr(buf, cap, &off, RD_RA_MESSAGE_AUTHENTICATOR, NULL, 0) == 0 &&
				     cap - off >= MA_LEN ? 0 : -ENOSPC;
	if (rc < 0)
		return rc;
	/* RFC 3579 3.2: HMAC-MD5 over the packet with the attribute's value zero */
	buf[ma_off + 1] = 2 + MA_LEN;
	memset(buf + off, 0, MA_LEN);
	off += MA_LEN;
	buf[2] = (uint8_t)(off >> 8);
	buf[3] = (uint8_t)off;
	rc = hmac_md5(secret, secret_len, buf, off, buf + ma_off + 2);
	if (rc == 0)
		*len = off;
	return rc;
}

int
rd_radius_mppe_decrypt(const uint8_t *val, size_t val_len, const uint8_t req_auth[16],
		       const uint8_t *secret, size_t secret_len, uint8_t *key, size_t cap,
		       size_t *key_len)
{
	uint8_t plain[256], b[16];
	size_t n, i, j;
	int rc = 0;

	/* Salt (2 octets, high bit set), then 16-octet blocks of
	 * Key-Length | Key | padding, each XORed with
	 * b(1) = MD5(S + R + A), b(i) = MD5(S + c(i-1)) */
	if (val_len < 2 + 16 || val_len - 2 > sizeof(plain) || (val_len - 2) % 16 != 0 ||
	    (val[0] & 0x80) == 0)
		return -EBADMSG;
	n = val_len - 2;
	for (i = 0; rc == 0 && i < n; i += 16) {
		if (i == 0)
			rc = md5_3(secret, secret_len, req_auth, 16, val, 2, b);
		else
			rc = md5_3(secret, secret_len, val + 2 + i - 16, 16, NULL, 0, b);
		for (j = 0; rc == 0 && j < 16; j++)
			plain[i + j] = val[2 + i + j] ^ b[j];
	}
	if (rc == 0 && (plain[0] == 0 || plain[0] > n - 1 || plain[0] > cap))
		rc = -EBADMSG;
	if (rc == 0) {
		memcpy(key, plain + 1, plain[0]);
		*key_len = plain[0];
	}
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(b, sizeof(b));
	return rc;
}

int
rd_radius_parse_response(const uint8_t *pkt, size_t len, uint8_t id,
			 const uint8_t req_auth[16], const uint8_t *secret,
			 size_t secret_len, struct rd_radius_resp *out)
{
	uint8_t copy[RD_RADIUS_MAX_PKT], md[16], recv_key[64], send_key[64];
	size_t plen, off, ma_off = 0, rk_len = 0, sk_len = 0;
	bool has_ma = false, has_rk = false, has_sk = false;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (len < RD_RADIUS_HDR_LEN)
		return -EBADMSG;
	plen = (size_t)pkt[2] << 8 | pkt[3];
	/* RFC 2865 3: octets beyond Length are padding; fewer is malformed */
	if (plen < RD_RADIUS_HDR_LEN || plen > len || plen > RD_RADIUS_MAX_PKT)
		return -EBADMSG;
	if (pkt[1] != id)
		return -EPROTO;
	if (pkt[0] != RD_RADIUS_ACCESS_ACCEPT && pkt[0] != RD_RADIUS_ACCESS_REJECT &&
	    pkt[0] != RD_RADIUS_ACCESS_CHALLENGE)
		return -EPROTO;
	/* Response Authenticator = MD5(Code+ID+Length+RequestAuth+Attributes+Secret) */
	memcpy(copy, pkt, plen);
	memcpy(copy + 4, req_auth, 16);
	if (md5_3(copy, plen, secret, secret_len, NULL, 0, md) < 0)
		return -EIO;
	if (CRYPTO_memcmp(md, pkt + 4, 16) != 0)
		return -EACCES;
	for (off = RD_RADIUS_HDR_LEN; off < plen;) {
		uint8_t type, alen;
		const uint8_t *v;

		if (plen - off < 2)
			return -EBADMSG;
		type = pkt[off];
		alen = pkt[off + 1];
		if (alen < 2 || alen > plen - off)
			return -EBADMSG;
		v = pkt + off + 2;
		switch (type) {
		case RD_RA_EAP_MESSAGE:
			if (out->eap_len + alen - 2u > sizeof(out->eap))
				return -EBADMSG;
			memcpy(out->eap + out->eap_len, v, alen - 2u);
			out->eap_len += alen - 2u;
			break;
		case RD_RA_STATE:
			memcpy(out->state, v, alen - 2u);
			out->state_len = alen - 2u;
			break;
		case RD_RA_MESSAGE_AUTHENTICATOR:
			if (has_ma || alen != 2 + MA_LEN)
				return -EBADMSG;
			has_ma = true;
			ma_off = off + 2;
			break;
		case RD_RA_CLASS:
			memcpy(out->class_, v, alen - 2u);
			out->class_len = alen - 2u;
			break;
		case RD_RA_SESSION_TIMEOUT:
			if (alen != 6)
				return -EBADMSG;
			out->session_timeout = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
					       (uint32_t)v[2] << 8 | v[3];
			break;
		case RD_RA_FRAMED_IPV6_ADDRESS:
			if (alen != 18)
				return -EBADMSG;
			memcpy(out->framed_ip6, v, 16);
			out->has_framed_ip6 = true;
			break;
		case RD_RA_FRAMED_IPV6_PREFIX:
			/* Reserved, Prefix-Length, then the prefix's octets (2..18 long) */
			if (alen < 4 || alen > 20 || v[1] > 128 || (v[1] + 7u) / 8 > alen - 4u)
				return -EBADMSG;
			if (v[1] == 128 && !out->has_framed_ip6) {
				memcpy(out->framed_ip6, v + 2, 16);
				out->has_framed_ip6 = true;
			}
			break;
		case RD_RA_FRAMED_IP_ADDRESS:
			if (alen != 6)
				return -EBADMSG;
			memcpy(out->framed_ip, v, 4);
			out->has_framed_ip = true;
			break;
		case RD_RA_VENDOR_SPECIFIC: {
			/* Vendor-Id (4), then Vendor-Type, Vendor-Length, value */
			uint32_t vendor;
			uint8_t vt, vl;

			if (alen < 8)
				break;
			vendor = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
				 (uint32_t)v[2] << 8 | v[3];
			vt = v[4];
			vl = v[5];
			if (vendor != VENDOR_MICROSOFT || vl < 2 || vl > alen - 6u)
				break;
			if (vt == MS_MPPE_RECV_KEY && !has_rk)
				has_rk = rd_radius_mppe_decrypt(v + 6, vl - 2u, req_auth, secret,
								secret_len, recv_key,
								sizeof(recv_key), &rk_len) == 0;
			else if (vt == MS_MPPE_SEND_KEY && !has_sk)
				has_sk = rd_radius_mppe_decrypt(v + 6, vl - 2u, req_auth, secret,
								secret_len, send_key,
								sizeof(send_key), &sk_len) == 0;
			break;
		}
		default:
			break;
		}
		off += alen;
	}
	/* RFC 3579 3.2: a response with EAP-Message without a valid
	 * Message-Authenticator is silently discarded; we require it always */
	if (!has_ma) {
		rc = -ENOMSG;
		goto out;
	}
	memset(copy + ma_off, 0, MA_LEN);	/* copy: Request Authenticator in place */
	if (hmac_md5(secret, secret_len, copy, plen, md) < 0 ||
	    CRYPTO_memcmp(md, pkt + ma_off, 16) != 0) {
		rc = -EACCES;
		goto out;
	}
	out->code = pkt[0];
	/* MSK = MasterReceiveKey | MasterSendKey (RFC 3079, RFC 5216 style),
	 * zero padded to 64: HMAC keys of up to a block length are padded the
	 * same way, so the AUTH value is the one the client computes */
	if (has_rk && has_sk && rk_len + sk_len <= sizeof(out->msk)) {
		memcpy(out->msk, recv_key, rk_len);
		memcpy(out->msk + rk_len, send_key, sk_len);
		out->has_msk = true;
	}
out:
	OPENSSL_cleanse(recv_key, sizeof(recv_key));
	OPENSSL_cleanse(send_key, sizeof(send_key));
	OPENSSL_cleanse(copy, sizeof(copy));
	if (rc < 0)
		OPENSSL_cleanse(out, sizeof(*out));
	return rc;
}

static int
put_u32(uint8_t *buf, size_t cap, size_t *off, uint8_t type, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	return put_attr(buf, cap, off, type, b, 4);
}

int
rd_radius_build_acct(const struct rd_radius_acct *a, const uint8_t *secret,
		     size_t secret_len, uint8_t *buf, size_t cap, size_t *len, uint8_t auth[16])
{
	static const uint8_t nas_port_virtual[4] = { 0, 0, 0, 5 };
	size_t off = RD_RADIUS_HDR_LEN;
	int rc = 0;

	if (cap > RD_RADIUS_MAX_PKT)
		cap = RD_RADIUS_MAX_PKT;
	if (cap < RD_RADIUS_HDR_LEN || secret_len == 0 || a->session_id == NULL ||
	    a->user_len > RD_RADIUS_MAX_USER || a->class_len > 253 ||
	    a->status < RD_ACCT_START || a->status > RD_ACCT_INTERIM)
		return -EINVAL;
	buf[0] = RD_RADIUS_ACCOUNTING_REQUEST;
	buf[1] = a->id;
	memset(buf + 4, 0, 16);
	rc = put_u32(buf, cap, &off, RD_RA_ACCT_STATUS_TYPE, a->status);
	if (rc == 0)
		rc = put_attr(buf, cap, &off, RD_RA_ACCT_SESSION_ID, a->session_id,
			      strnlen(a->session_id, 253));
	if (rc == 0 && a->user != NULL && a->user_len > 0)
		rc = put_attr(buf, cap, &off, RD_RA_USER_NAME, a->user, a->user_len);
	if (rc == 0 && a->nas_id != NULL && a->nas_id[0] != '\0')
		rc = put_attr(buf, cap, &off, RD_RA_NAS_IDENTIFIER, a->nas_id,
			      strnlen(a->nas_id, 253));
	if (rc == 0)
		rc = put_attr(buf, cap, &off, RD_RA_NAS_PORT_TYPE, nas_port_virtual, 4);
	if (rc == 0 && a->has_framed_ip)
		rc = put_attr(buf, cap, &off, RD_RA_FRAMED_IP_ADDRESS, a->framed_ip, 4);
	/* RFC 2865 5.25: Class is sent unmodified in accounting */
	if (rc == 0 && a->class_ != NULL && a->class_len > 0)
		rc = put_attr(buf, cap, &off, RD_RA_CLASS, a->class_, a->class_len);
	if (rc == 0 && a->status != RD_ACCT_START) {
		/* RFC 2866 5.3/5.4 with RFC 2869 5.1/5.2: 2^32 wraps in the Gigawords */
		rc = put_u32(buf, cap, &off, RD_RA_ACCT_INPUT_OCTETS, (uint32_t)a->in_octets);
		if (rc == 0)
			rc = put_u32(buf, cap, &off, RD_RA_ACCT_OUTPUT_OCTETS,
				     (uint32_t)a->out_octets);
		if (rc == 0 && a->in_octets >> 32)
			rc = put_u32(buf, cap, &off, RD_RA_ACCT_INPUT_GIGAWORDS,
				     (uint32_t)(a->in_octets >> 32));
		if (rc == 0 && a->out_octets >> 32)
			rc = put_u32(buf, cap, &off, RD_RA_ACCT_OUTPUT_GIGAWORDS,
				     (uint32_t)(a->out_octets >> 32));
		if (rc == 0)
			rc = put_u32(buf, cap, &off, RD_RA_ACCT_INPUT_PACKETS,
				     a->in_packets > UINT32_MAX ? UINT32_MAX
								: (uint32_t)a->in_packets);
		if (rc == 0)
			rc = put_u32(buf, cap, &off, RD_RA_ACCT_OUTPUT_PACKETS,
				     a->out_packets > UINT32_MAX ? UINT32_MAX
								 : (uint32_t)a->out_packets);
		if (rc == 0)
			rc = put_u32(buf, cap, &off, RD_RA_ACCT_SESSION_TIME, a->session_time);
	}
	if (rc == 0 && a->status == RD_ACCT_STOP && a->cause != 0)
		rc = put_u32(buf, cap, &off, RD_RA_ACCT_TERMINATE_CAUSE, a->cause);
	if (rc < 0)
		return rc;
	buf[2] = (uint8_t)(off >> 8);
	buf[3] = (uint8_t)off;
	/* RFC 2866 3: MD5(Code+Identifier+Length+16 zero octets+Attributes+Secret) */
	rc = md5_3(buf, off, secret, secret_len, NULL, 0, buf + 4);
	if (rc == 0) {
		memcpy(auth, buf + 4, 16);
		*len = off;
	}
	return rc;
}

int
rd_radius_parse_acct_response(const uint8_t *pkt, size_t len, uint8_t id,
			      const uint8_t req_auth[16], const uint8_t *secret,
			      size_t secret_len)
{
	uint8_t copy[RD_RADIUS_MAX_PKT], md[16];
	size_t plen, off;
	int rc = 0;

	if (len < RD_RADIUS_HDR_LEN)
		return -EBADMSG;
	plen = (size_t)pkt[2] << 8 | pkt[3];
	if (plen < RD_RADIUS_HDR_LEN || plen > len || plen > RD_RADIUS_MAX_PKT)
		return -EBADMSG;
	if (pkt[1] != id || pkt[0] != RD_RADIUS_ACCOUNTING_RESPONSE)
		return -EPROTO;
	for (off = RD_RADIUS_HDR_LEN; off < plen; off += pkt[off + 1])
		if (plen - off < 2 || pkt[off + 1] < 2 || pkt[off + 1] > plen - off)
			return -EBADMSG;
	/* the same Response Authenticator as for Access responses (RFC 2866 3) */
	memcpy(copy, pkt, plen);
	memcpy(copy + 4, req_auth, 16);
	if (md5_3(copy, plen, secret, secret_len, NULL, 0, md) < 0)
		rc = -EIO;
	else if (CRYPTO_memcmp(md, pkt + 4, 16) != 0)
		rc = -EACCES;
	OPENSSL_cleanse(copy, sizeof(copy));
	return rc;
}
