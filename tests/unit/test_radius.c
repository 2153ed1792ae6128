/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rampartd's RADIUS codec (app/rampartd/rd_radius.c): Access-Request with
 * EAP-Message and Message-Authenticator, response verification (Response
 * Authenticator, Message-Authenticator), bounded attribute walk, EAP
 * reassembly and the MS-MPPE key decryption that yields the MSK.
 *
 * Vectors: RFC 2865 section 7.1 (an Access-Request and its Access-Accept
 * with secret "xyzzy5461": the Response Authenticator), RFC 2104 section 2
 * test case 1 (HMAC-MD5, the Message-Authenticator primitive of RFC 3579
 * 3.2). The MPPE keys are encrypted here by the RFC 2548 2.4.2 procedure
 * written out independently of the decryption under test.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "test_hex.h"
#include "test_main.h"
#include "rd_radius.h"

static const uint8_t secret[] = "shared-secret-for-tests";
#define SECRET_LEN (sizeof(secret) - 1)

/* @n bytes from the hex @s (the tests' one decoder, test_hex.h) */
static void
hex(const char *s, uint8_t *out, size_t n)
{
	CU_ASSERT_FATAL(hex2bin(s, out, n) == (int)n);
}

static void
md5(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, const uint8_t *c, size_t cl,
    uint8_t out[16])
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	unsigned ol;

	CU_ASSERT_FATAL(x != NULL);
	EVP_DigestInit_ex(x, EVP_md5(), NULL);
	EVP_DigestUpdate(x, a, al);
	if (bl)
		EVP_DigestUpdate(x, b, bl);
	if (cl)
		EVP_DigestUpdate(x, c, cl);
	EVP_DigestFinal_ex(x, out, &ol);
	EVP_MD_CTX_free(x);
}

/* RFC 2865 7.1: the Access-Accept's Response Authenticator verifies against
 * the request's authenticator and the secret; that response has no
 * Message-Authenticator, which we require (-ENOMSG), and one flipped bit
 * fails the authenticator (-EACCES). */
static void
rfc2865_response_authenticator(void)
{
	/* the request's Code, Identifier, Length and Request Authenticator */
	static const char req_hex[] = "010000380f403f9473978057bd83d5cb98f4227a";
	static const char resp_hex[] = "0200002686fe220e7624ba2a1005f6bf9b55e0b20606000000010f060000"
				       "00000e06c0a80103";
	static const uint8_t sec[] = "xyzzy5461";
	uint8_t req_auth[16], resp[38];
	struct rd_radius_resp r;

	hex(req_hex + 8, req_auth, 16);
	hex(resp_hex, resp, sizeof(resp));
	CU_ASSERT_EQUAL(rd_radius_parse_response(resp, sizeof(resp), 0, req_auth, sec, 9, &r),
			-ENOMSG);
	CU_ASSERT_EQUAL(rd_radius_parse_response(resp, sizeof(resp), 1, req_auth, sec, 9, &r),
			-EPROTO);
	resp[30] ^= 1;
	CU_ASSERT_EQUAL(rd_radius_parse_response(resp, sizeof(resp), 0, req_auth, sec, 9, &r),
			-EACCES);
}

/* RFC 2104 test case 1: the HMAC-MD5 the Message-Authenticator uses. */
static void
rfc2104_hmac_md5(void)
{
	uint8_t key[16], want[16], got[16];
	unsigned ol = 0;

	memset(key, 0x0b, sizeof(key));
	hex("9294727a3638bb1c13f48ef8158bfc9d", want, 16);
	HMAC(EVP_md5(), key, 16, (const uint8_t *)"Hi There", 8, got, &ol);
	CU_ASSERT_EQUAL(ol, 16);
	CU_ASSERT_EQUAL(memcmp(got, want, 16), 0);
}

static uint8_t eap_big[600];

static size_t
build(uint8_t *pkt, size_t cap, size_t eap_len)
{
	struct rd_radius_req q = {
		.id = 42,
		.user = (const uint8_t *)"alice", .user_len = 5,
		.eap = eap_big, .eap_len = eap_len,
		.state = (const uint8_t *)"st8", .state_len = 3,
		.nas_id = "rampart",
	};
	size_t len = 0;

	memset(q.authenticator, 0xa5, 16);
	CU_ASSERT_EQUAL_FATAL(rd_radius_build_request(&q, secret, SECRET_LEN, pkt, cap, &len), 0);
	return len;
}

/* Walk the attributes of a packet: offset of the first of @type, count. */
static size_t
find_attr(const uint8_t *p, size_t len, uint8_t type, unsigned *count)
{
	size_t off, first = 0;

	*count = 0;
	for (off = 20; off + 2 <= len && p[off + 1] >= 2; off += p[off + 1])
		if (p[off] == type && (*count)++ == 0)
			first = off;
	CU_ASSERT_EQUAL(off, len);
	return first;
}

/* RFC 3579 3.1/3.2: EAP over 253 octets spans consecutive attributes; the
 * Message-Authenticator is HMAC-MD5(secret, packet with its value zero). */
static void
request_layout_and_message_authenticator(void)
{
	uint8_t pkt[RD_RADIUS_MAX_PKT], zero[RD_RADIUS_MAX_PKT], mac[16];
	unsigned n_eap, n_ma, n_user;
	size_t len, ma, e;
	unsigned ol;

	memset(eap_big, 0x5c, sizeof(eap_big));
	eap_big[0] = 2;
	eap_big[2] = (uint8_t)(sizeof(eap_big) >> 8);
	eap_big[3] = (uint8_t)sizeof(eap_big);
	len = build(pkt, sizeof(pkt), sizeof(eap_big));
	CU_ASSERT_EQUAL(pkt[0], RD_RADIUS_ACCESS_REQUEST);
	CU_ASSERT_EQUAL(pkt[1], 42);
	CU_ASSERT_EQUAL((size_t)pkt[2] << 8 | pkt[3], len);
	e = find_attr(pkt, len, RD_RA_EAP_MESSAGE, &n_eap);
	CU_ASSERT_EQUAL(n_eap, 3);		/* 253 + 253 + 94 */
	CU_ASSERT_EQUAL(pkt[e + 1], 255);
	CU_ASSERT_EQUAL(memcmp(pkt + e + 2, eap_big, 253), 0);
	find_attr(pkt, len, RD_RA_USER_NAME, &n_user);
	CU_ASSERT_EQUAL(n_user, 1);
	ma = find_attr(pkt, len, RD_RA_MESSAGE_AUTHENTICATOR, &n_ma);
	CU_ASSERT_EQUAL_FATAL(n_ma, 1);
	CU_ASSERT_EQUAL(pkt[ma + 1], 18);
	memcpy(zero, pkt, len);
	memset(zero + ma + 2, 0, 16);
	HMAC(EVP_md5(), secret, (int)SECRET_LEN, zero, len, mac, &ol);
	CU_ASSERT_EQUAL(memcmp(mac, pkt + ma + 2, 16), 0);
	/* too small a buffer: refused, not overrun */
	{
		struct rd_radius_req q = { .eap = eap_big, .eap_len = sizeof(eap_big) };
		size_t l2;

		CU_ASSERT_EQUAL(rd_radius_build_request(&q, secret, SECRET_LEN, pkt, 300, &l2),
				-ENOSPC);
		CU_ASSERT_EQUAL(rd_radius_build_request(&q, secret, 0, pkt, sizeof(pkt), &l2),
				-EINVAL);
	}
}

/* RFC 2548 2.4.2 encryption (the server's side), for the decryption test. */
static size_t
mppe_encrypt(const uint8_t *key, size_t key_len, const uint8_t req_auth[16], uint16_t salt,
	     uint8_t *out)
{
	uint8_t p[64], b[16];
	size_t n = ((1 + key_len) + 15) / 16 * 16, i, j;

	memset(p, 0, sizeof(p));
	p[0] = (uint8_t)key_len;
	memcpy(p + 1, key, key_len);
	out[0] = (uint8_t)(salt >> 8) | 0x80;
	out[1] = (uint8_t)salt;
	for (i = 0; i < n; i += 16) {
		if (i == 0)
			md5(secret, SECRET_LEN, req_auth, 16, out, 2, b);
		else
			md5(secret, SECRET_LEN, out + 2 + i - 16, 16, NULL, 0, b);
		for (j = 0; j < 16; j++)
			out[2 + i + j] = p[i + j] ^ b[j];
	}
	return 2 + n;
}

static size_t
put(uint8_t *p, size_t off, uint8_t type, const void *v, size_t len)
{
	p[off] = type;
	p[off + 1] = (uint8_t)(len + 2);
	memcpy(p + off + 2, v, len);
	return off + 2 + len;
}

static size_t
put_mppe(uint8_t *p, size_t off, uint8_t vtype, const uint8_t *key, size_t key_len,
	 const uint8_t req_auth[16], uint16_t salt)
{
	uint8_t v[80], enc[64];
	size_t el = mppe_encrypt(key, key_len, req_auth, salt, enc);

	v[0] = 0;
	v[1] = 0;
	v[2] = 0x01;
	v[3] = 0x37;			/* Vendor-Id 311, Microsoft */
	v[4] = vtype;
	v[5] = (uint8_t)(el + 2);
	memcpy(v + 6, enc, el);
	return put(p, off, RD_RA_VENDOR_SPECIFIC, v, 6 + el);
}

/* Finish a response: Length, Message-Authenticator (over the packet with
 * the Request Authenticator), then the Response Authenticator. */
static size_t
seal(uint8_t *p, size_t off, const uint8_t req_auth[16], bool with_ma)
{
	uint8_t zero16[16] = { 0 }, mac[16];
	size_t ma = off;
	unsigned ol;

	if (with_ma)
		off = put(p, off, RD_RA_MESSAGE_AUTHENTICATOR, zero16, 16);
	p[2] = (uint8_t)(off >> 8);
	p[3] = (uint8_t)off;
	memcpy(p + 4, req_auth, 16);
	if (with_ma) {
		HMAC(EVP_md5(), secret, (int)SECRET_LEN, p, off, mac, &ol);
		memcpy(p + ma + 2, mac, 16);
	}
	md5(p, off, secret, SECRET_LEN, NULL, 0, mac);
	memcpy(p + 4, mac, 16);
	return off;
}

static size_t
accept_pkt(uint8_t *p, const uint8_t req_auth[16], const uint8_t recv[32],
	   const uint8_t send[32], bool with_ma)
{
	static const uint8_t success[4] = { 3, 7, 0, 4 };
	static const uint8_t fip[4] = { 10, 99, 0, 77 };
	size_t off = 20;

	p[0] = RD_RADIUS_ACCESS_ACCEPT;
	p[1] = 9;
	off = put(p, off, RD_RA_EAP_MESSAGE, success, 4);
	off = put_mppe(p, off, 17, recv, 32, req_auth, 0x1234);	/* MS-MPPE-Recv-Key */
	off = put_mppe(p, off, 16, send, 32, req_auth, 0x0042);	/* MS-MPPE-Send-Key */
	off = put(p, off, RD_RA_FRAMED_IP_ADDRESS, fip, 4);
	return seal(p, off, req_auth, with_ma);
}

/* Access-Accept: EAP-Success, MSK = Recv-Key | Send-Key (zero padded to
 * 64), Framed-IP-Address; without Message-Authenticator: discarded. */
static void
accept_msk_and_authenticators(void)
{
	uint8_t p[1024], req_auth[16], recv[32], send[32];
	struct rd_radius_resp r;
	size_t len, i;

	for (i = 0; i < 32; i++) {
		recv[i] = (uint8_t)(0x10 + i);
		send[i] = (uint8_t)(0xe0 - i);
	}
	memset(req_auth, 0x3c, 16);
	len = accept_pkt(p, req_auth, recv, send, true);
	CU_ASSERT_EQUAL_FATAL(rd_radius_parse_response(p, len, 9, req_auth, secret, SECRET_LEN,
						       &r), 0);
	CU_ASSERT_EQUAL(r.code, RD_RADIUS_ACCESS_ACCEPT);
	CU_ASSERT_EQUAL(r.eap_len, 4);
	CU_ASSERT_EQUAL(r.eap[0], 3);
	CU_ASSERT_TRUE(r.has_msk);
	CU_ASSERT_EQUAL(memcmp(r.msk, recv, 32), 0);
	CU_ASSERT_EQUAL(memcmp(r.msk + 32, send, 32), 0);
	CU_ASSERT_TRUE(r.has_framed_ip);
	CU_ASSERT_EQUAL(r.framed_ip[3], 77);
	/* trailing octets beyond Length are padding (RFC 2865 3) */
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, len + 5, 9, req_auth, secret, SECRET_LEN,
						 &r), 0);
	/* another request's authenticator, another secret: both -EACCES */
	req_auth[0] ^= 1;
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, len, 9, req_auth, secret, SECRET_LEN, &r),
			-EACCES);
	req_auth[0] ^= 1;
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, len, 9, req_auth, secret, SECRET_LEN - 1,
						 &r), -EACCES);
	CU_ASSERT_FALSE(r.has_msk);		/* wiped on failure */
	/* no Message-Authenticator: discarded */
	len = accept_pkt(p, req_auth, recv, send, false);
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, len, 9, req_auth, secret, SECRET_LEN, &r),
			-ENOMSG);
}

/* The Message-Authenticator is checked on its own: a packet whose Response
 * Authenticator is recomputed after tampering still fails. */
static void
message_authenticator_tamper(void)
{
	uint8_t p[1024], req_auth[16], k[32], mac[16];
	struct rd_radius_resp r;
	size_t len;

	memset(k, 7, sizeof(k));
	memset(req_auth, 0x11, 16);
	len = accept_pkt(p, req_auth, k, k, true);
	p[22 + 2] ^= 0x01;			/* inside the EAP-Message */
	memcpy(p + 4, req_auth, 16);
	md5(p, len, secret, SECRET_LEN, NULL, 0, mac);
	memcpy(p + 4, mac, 16);
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, len, 9, req_auth, secret, SECRET_LEN, &r),
			-EACCES);
}

/* Bounds: short datagram, Length beyond it, attribute length 0/1 or past
 * the end, two Message-Authenticators. */
static void
malformed_responses(void)
{
	uint8_t p[256], req_auth[16] = { 0 };
	struct rd_radius_resp r;
	size_t len;

	memset(p, 0, sizeof(p));
	p[0] = RD_RADIUS_ACCESS_CHALLENGE;
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, 19, 0, req_auth, secret, SECRET_LEN, &r),
			-EBADMSG);
	p[3] = 40;
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, 30, 0, req_auth, secret, SECRET_LEN, &r),
			-EBADMSG);
	p[3] = 19;
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, 30, 0, req_auth, secret, SECRET_LEN, &r),
			-EBADMSG);
	/* attribute of length 1, authentic */
	p[20] = RD_RA_STATE;
	p[21] = 1;
	len = seal(p, 22, req_auth, false);
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, len, 0, req_auth, secret, SECRET_LEN, &r),
			-EBADMSG);
	/* attribute running past Length */
	p[21] = 10;
	len = seal(p, 22, req_auth, false);
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, len, 0, req_auth, secret, SECRET_LEN, &r),
			-EBADMSG);
	/* two Message-Authenticators */
	{
		uint8_t z[16] = { 0 };
		size_t off = put(p, 20, RD_RA_MESSAGE_AUTHENTICATOR, z, 16);

		len = seal(p, off, req_auth, true);
		CU_ASSERT_EQUAL(rd_radius_parse_response(p, len, 0, req_auth, secret, SECRET_LEN,
							 &r), -EBADMSG);
	}
	/* Access-Request code in a response */
	p[0] = RD_RADIUS_ACCESS_REQUEST;
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, len, 0, req_auth, secret, SECRET_LEN, &r),
			-EPROTO);
}

/* Challenge: EAP split over attributes is joined, State kept. */
static void
challenge_reassembly(void)
{
	uint8_t p[1024], req_auth[16], eap[300];
	struct rd_radius_resp r;
	size_t off = 20, len;

	memset(eap, 0x77, sizeof(eap));
	eap[0] = 1;
	eap[2] = 300 >> 8;
	eap[3] = 300 & 0xff;
	memset(req_auth, 0x99, 16);
	p[0] = RD_RADIUS_ACCESS_CHALLENGE;
	p[1] = 3;
	off = put(p, off, RD_RA_EAP_MESSAGE, eap, 253);
	off = put(p, off, RD_RA_EAP_MESSAGE, eap + 253, 47);
	off = put(p, off, RD_RA_STATE, "state-123", 9);
	len = seal(p, off, req_auth, true);
	CU_ASSERT_EQUAL_FATAL(rd_radius_parse_response(p, len, 3, req_auth, secret, SECRET_LEN,
						       &r), 0);
	CU_ASSERT_EQUAL(r.code, RD_RADIUS_ACCESS_CHALLENGE);
	CU_ASSERT_EQUAL(r.eap_len, 300);
	CU_ASSERT_EQUAL(memcmp(r.eap, eap, 300), 0);
	CU_ASSERT_EQUAL(r.state_len, 9);
	CU_ASSERT_FALSE(r.has_msk);
}

/* MPPE: wrong lengths and a bad key length byte are refused. */
static void
mppe_bounds(void)
{
	uint8_t req_auth[16] = { 1 }, enc[64], key[64], k[16] = { 0 };
	size_t el, kl;

	el = mppe_encrypt(k, 16, req_auth, 0x8001, enc);
	CU_ASSERT_EQUAL(rd_radius_mppe_decrypt(enc, el, req_auth, secret, SECRET_LEN, key,
					       sizeof(key), &kl), 0);
	CU_ASSERT_EQUAL(kl, 16);
	CU_ASSERT_EQUAL(rd_radius_mppe_decrypt(enc, el - 1, req_auth, secret, SECRET_LEN, key,
					       sizeof(key), &kl), -EBADMSG);
	CU_ASSERT_EQUAL(rd_radius_mppe_decrypt(enc, el, req_auth, secret, SECRET_LEN, key, 8,
					       &kl), -EBADMSG);
	{
		/* longer than any attribute can carry (found by fuzz_radius):
		 * refused, not decrypted past the buffer */
		static uint8_t big[2 + 272];

		memcpy(big, enc, el);
		CU_ASSERT_EQUAL(rd_radius_mppe_decrypt(big, sizeof(big), req_auth, secret,
						       SECRET_LEN, key, sizeof(key), &kl), -EBADMSG);
	}
	enc[0] &= 0x7f;				/* salt without its high bit */
	CU_ASSERT_EQUAL(rd_radius_mppe_decrypt(enc, el, req_auth, secret, SECRET_LEN, key,
					       sizeof(key), &kl), -EBADMSG);
}

static uint32_t
attr_u32(const uint8_t *pkt, size_t len, uint8_t type, unsigned *n)
{
	size_t off = find_attr(pkt, len, type, n);

	if (*n == 0 || pkt[off + 1] != 6)
		return 0xdeadbeef;
	return (uint32_t)pkt[off + 2] << 24 | (uint32_t)pkt[off + 3] << 16 |
	       (uint32_t)pkt[off + 4] << 8 | pkt[off + 5];
}

/* RFC 2866 3 and 5: an Accounting-Request's Request Authenticator is
 * MD5(Code+ID+Length+16 zero octets+Attributes+Secret), computed here
 * independently; Stop carries the counters (above 2^32 in the Gigawords of
 * RFC 2869 5.1/5.2), the session time, the cause and the Class unchanged;
 * Start carries no counters. */
static void
acct_request_layout(void)
{
	static const uint8_t cls[] = { 'c', 'l', 0, 's', 0xff };
	struct rd_radius_acct a = {
		.id = 7, .status = RD_ACCT_STOP, .session_id = "0001-abc",
		.user = (const uint8_t *)"alice", .user_len = 5,
		.class_ = cls, .class_len = sizeof(cls), .nas_id = "gw1",
		.has_framed_ip = true, .framed_ip = { 10, 99, 0, 7 },
		.in_octets = 0x100000005ull, .out_octets = 1234, .in_packets = 9,
		.out_packets = 11, .session_time = 77, .cause = RD_ACCT_CAUSE_USER_REQUEST,
	};
	uint8_t pkt[RD_RADIUS_MAX_PKT], copy[RD_RADIUS_MAX_PKT], auth[16], md[16];
	size_t len, off;
	unsigned n;

	CU_ASSERT_EQUAL_FATAL(rd_radius_build_acct(&a, secret, SECRET_LEN, pkt, sizeof(pkt), &len,
						   auth), 0);
	CU_ASSERT_EQUAL(pkt[0], RD_RADIUS_ACCOUNTING_REQUEST);
	CU_ASSERT_EQUAL(pkt[1], 7);
	CU_ASSERT_EQUAL((size_t)pkt[2] << 8 | pkt[3], len);
	memcpy(copy, pkt, len);
	memset(copy + 4, 0, 16);
	md5(copy, len, secret, SECRET_LEN, NULL, 0, md);
	CU_ASSERT_EQUAL(memcmp(md, pkt + 4, 16), 0);
	CU_ASSERT_EQUAL(memcmp(auth, pkt + 4, 16), 0);
	CU_ASSERT_EQUAL(attr_u32(pkt, len, RD_RA_ACCT_STATUS_TYPE, &n), 2);
	CU_ASSERT_EQUAL(attr_u32(pkt, len, RD_RA_ACCT_INPUT_OCTETS, &n), 5);
	CU_ASSERT_EQUAL(attr_u32(pkt, len, RD_RA_ACCT_INPUT_GIGAWORDS, &n), 1);
	CU_ASSERT_EQUAL(attr_u32(pkt, len, RD_RA_ACCT_OUTPUT_OCTETS, &n), 1234);
	find_attr(pkt, len, RD_RA_ACCT_OUTPUT_GIGAWORDS, &n);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(attr_u32(pkt, len, RD_RA_ACCT_INPUT_PACKETS, &n), 9);
	CU_ASSERT_EQUAL(attr_u32(pkt, len, RD_RA_ACCT_OUTPUT_PACKETS, &n), 11);
	CU_ASSERT_EQUAL(attr_u32(pkt, len, RD_RA_ACCT_SESSION_TIME, &n), 77);
	CU_ASSERT_EQUAL(attr_u32(pkt, len, RD_RA_ACCT_TERMINATE_CAUSE, &n), 1);
	CU_ASSERT_EQUAL(attr_u32(pkt, len, RD_RA_FRAMED_IP_ADDRESS, &n), 0x0a630007);
	off = find_attr(pkt, len, RD_RA_CLASS, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(pkt[off + 1], 2 + sizeof(cls));
	CU_ASSERT_EQUAL(memcmp(pkt + off + 2, cls, sizeof(cls)), 0);
	off = find_attr(pkt, len, RD_RA_ACCT_SESSION_ID, &n);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(memcmp(pkt + off + 2, "0001-abc", 8), 0);

	a.status = RD_ACCT_START;
	CU_ASSERT_EQUAL_FATAL(rd_radius_build_acct(&a, secret, SECRET_LEN, pkt, sizeof(pkt), &len,
						   auth), 0);
	CU_ASSERT_EQUAL(attr_u32(pkt, len, RD_RA_ACCT_STATUS_TYPE, &n), 1);
	find_attr(pkt, len, RD_RA_ACCT_INPUT_OCTETS, &n);
	CU_ASSERT_EQUAL(n, 0);
	find_attr(pkt, len, RD_RA_ACCT_TERMINATE_CAUSE, &n);
	CU_ASSERT_EQUAL(n, 0);
	a.status = 9;
	CU_ASSERT_EQUAL(rd_radius_build_acct(&a, secret, SECRET_LEN, pkt, sizeof(pkt), &len,
					     auth), -EINVAL);
	a.status = RD_ACCT_INTERIM;
	CU_ASSERT_EQUAL(rd_radius_build_acct(&a, secret, SECRET_LEN, pkt, 40, &len, auth),
			-ENOSPC);
}

/* An Accounting-Response verifies by its Response Authenticator (RFC 2866 3);
 * a flipped bit, another secret, another Identifier, another code and a
 * Length beyond the datagram are refused. */
static void
acct_response_check(void)
{
	uint8_t req_auth[16] = { 9, 8, 7 }, pkt[64], copy[64];
	size_t len = 20 + 6;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = RD_RADIUS_ACCOUNTING_RESPONSE;
	pkt[1] = 33;
	pkt[3] = (uint8_t)len;
	pkt[20] = 18;				/* Proxy-State, ignored */
	pkt[21] = 6;
	memcpy(copy, pkt, len);
	memcpy(copy + 4, req_auth, 16);
	md5(copy, len, secret, SECRET_LEN, NULL, 0, pkt + 4);
	CU_ASSERT_EQUAL(rd_radius_parse_acct_response(pkt, len, 33, req_auth, secret, SECRET_LEN),
			0);
	CU_ASSERT_EQUAL(rd_radius_parse_acct_response(pkt, len, 34, req_auth, secret, SECRET_LEN),
			-EPROTO);
	CU_ASSERT_EQUAL(rd_radius_parse_acct_response(pkt, len, 33, req_auth, secret,
						      SECRET_LEN - 1), -EACCES);
	CU_ASSERT_EQUAL(rd_radius_parse_acct_response(pkt, len - 1, 33, req_auth, secret,
						      SECRET_LEN), -EBADMSG);
	pkt[25] ^= 1;
	CU_ASSERT_EQUAL(rd_radius_parse_acct_response(pkt, len, 33, req_auth, secret, SECRET_LEN),
			-EACCES);
	pkt[25] ^= 1;
	pkt[21] = 7;				/* attribute past the end */
	CU_ASSERT_EQUAL(rd_radius_parse_acct_response(pkt, len, 33, req_auth, secret, SECRET_LEN),
			-EBADMSG);
	pkt[21] = 6;
	pkt[0] = RD_RADIUS_ACCESS_ACCEPT;
	CU_ASSERT_EQUAL(rd_radius_parse_acct_response(pkt, len, 33, req_auth, secret, SECRET_LEN),
			-EPROTO);
}

/* RFC 6911 Framed-IPv6-Address; RFC 3162 Framed-IPv6-Prefix: a /128 is an
 * address, a /64 is not one (ignored), a prefix longer than its attribute
 * or a length over 128 is malformed; Session-Timeout and Class. */
static void
accept_ipv6_class_timeout(void)
{
	static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x42 };
	static const uint8_t to[4] = { 0, 0, 0x0e, 0x10 };	/* 3600 s */
	uint8_t p[1024], req_auth[16] = { 5 }, pre[18], k[32] = { 1 };
	struct rd_radius_resp r;
	size_t off;

	/* a /64 prefix then a /128: the /128 is taken */
	memset(p, 0, sizeof(p));
	p[0] = RD_RADIUS_ACCESS_ACCEPT;
	p[1] = 9;
	off = put_mppe(p, 20, 17, k, 32, req_auth, 0x1234);
	off = put_mppe(p, off, 16, k, 32, req_auth, 0x0042);
	pre[0] = 0;
	pre[1] = 64;
	memcpy(pre + 2, a6, 8);
	off = put(p, off, RD_RA_FRAMED_IPV6_PREFIX, pre, 10);
	CU_ASSERT_EQUAL_FATAL(rd_radius_parse_response(p, seal(p, off, req_auth, true), 9,
						       req_auth, secret, SECRET_LEN, &r), 0);
	CU_ASSERT_FALSE(r.has_framed_ip6);
	pre[1] = 128;
	memcpy(pre + 2, a6, 16);
	off = put(p, off, RD_RA_FRAMED_IPV6_PREFIX, pre, 18);
	off = put(p, off, RD_RA_SESSION_TIMEOUT, to, 4);
	off = put(p, off, RD_RA_CLASS, "grp-7", 5);
	CU_ASSERT_EQUAL_FATAL(rd_radius_parse_response(p, seal(p, off, req_auth, true), 9,
						       req_auth, secret, SECRET_LEN, &r), 0);
	CU_ASSERT_TRUE(r.has_framed_ip6);
	CU_ASSERT_EQUAL(memcmp(r.framed_ip6, a6, 16), 0);
	CU_ASSERT_EQUAL(r.session_timeout, 3600);
	CU_ASSERT_EQUAL(r.class_len, 5);
	CU_ASSERT_EQUAL(memcmp(r.class_, "grp-7", 5), 0);
	/* Framed-IPv6-Address */
	off = put_mppe(p, 20, 17, k, 32, req_auth, 0x1234);
	off = put_mppe(p, off, 16, k, 32, req_auth, 0x0042);
	off = put(p, off, RD_RA_FRAMED_IPV6_ADDRESS, a6, 16);
	CU_ASSERT_EQUAL_FATAL(rd_radius_parse_response(p, seal(p, off, req_auth, true), 9,
						       req_auth, secret, SECRET_LEN, &r), 0);
	CU_ASSERT_TRUE(r.has_framed_ip6);
	CU_ASSERT_EQUAL(r.framed_ip6[15], 0x42);
	/* malformed: an address of 15 octets, a prefix length of 129, a /128
	 * in a 10-octet prefix, a Session-Timeout of 3 octets */
	off = put(p, 20, RD_RA_FRAMED_IPV6_ADDRESS, a6, 15);
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, seal(p, off, req_auth, true), 9, req_auth,
						 secret, SECRET_LEN, &r), -EBADMSG);
	pre[1] = 129;
	off = put(p, 20, RD_RA_FRAMED_IPV6_PREFIX, pre, 18);
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, seal(p, off, req_auth, true), 9, req_auth,
						 secret, SECRET_LEN, &r), -EBADMSG);
	pre[1] = 128;
	off = put(p, 20, RD_RA_FRAMED_IPV6_PREFIX, pre, 10);
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, seal(p, off, req_auth, true), 9, req_auth,
						 secret, SECRET_LEN, &r), -EBADMSG);
	off = put(p, 20, RD_RA_SESSION_TIMEOUT, to, 3);
	CU_ASSERT_EQUAL(rd_radius_parse_response(p, seal(p, off, req_auth, true), 9, req_auth,
						 secret, SECRET_LEN, &r), -EBADMSG);
}

static const struct tu_test tests[] = {
	{ "rfc2865_response_authenticator", rfc2865_response_authenticator },
	{ "rfc2104_hmac_md5", rfc2104_hmac_md5 },
	{ "request_layout_and_message_authenticator", request_layout_and_message_authenticator },
	{ "accept_msk_and_authenticators", accept_msk_and_authenticators },
	{ "message_authenticator_tamper", message_authenticator_tamper },
	{ "malformed_responses", malformed_responses },
	{ "challenge_reassembly", challenge_reassembly },
	{ "mppe_bounds", mppe_bounds },
	{ "acct_request_layout", acct_request_layout },
	{ "accept_ipv6_class_timeout", accept_ipv6_class_timeout },
	{ "acct_response_check", acct_response_check },
};

int
main(void)
{
	return tu_main("radius", tests, TU_N(tests));
}
