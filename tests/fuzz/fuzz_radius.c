/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer entry point for rampartd's RADIUS response parser
 * (app/rampartd/rd_radius.c). Input: one byte of flags, 16 bytes of Request
 * Authenticator, then the response datagram. With flag bit 0 the harness
 * first makes the datagram authentic for a fixed secret (writes the
 * Message-Authenticator of the first such attribute and the Response
 * Authenticator), so that the attribute walk, EAP reassembly and MPPE key
 * decryption are reached rather than stopping at the authenticator check.
 * Bit 1 feeds the rest to the MPPE decryption directly; bit 2 to the
 * Accounting-Response check (after bit 0's signing). No state between
 * inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "../../app/rampartd/rd_radius.h"
#include "fuzz_entry.h"

static const uint8_t secret[] = "fuzz-radius-secret";
#define SECRET_LEN (sizeof(secret) - 1)

/* Sign @p (@len octets, Length field already as fuzzed) like a server. */
static void
make_authentic(uint8_t *p, size_t len, const uint8_t req_auth[16])
{
	size_t plen = (size_t)p[2] << 8 | p[3], off;
	uint8_t md[16];
	unsigned ol = 0;
	EVP_MD_CTX *x;

	if (plen < RD_RADIUS_HDR_LEN || plen > len)
		return;
	memcpy(p + 4, req_auth, 16);
	for (off = RD_RADIUS_HDR_LEN; plen - off >= 2 && p[off + 1] >= 2 &&
	     p[off + 1] <= plen - off; off += p[off + 1]) {
		if (p[off] == RD_RA_MESSAGE_AUTHENTICATOR && p[off + 1] == 18) {
			memset(p + off + 2, 0, 16);
			HMAC(EVP_md5(), secret, (int)SECRET_LEN, p, plen, md, &ol);
			memcpy(p + off + 2, md, 16);
			break;
		}
	}
	x = EVP_MD_CTX_new();
	if (x == NULL)
		return;
	EVP_DigestInit_ex(x, EVP_md5(), NULL);
	EVP_DigestUpdate(x, p, plen);
	EVP_DigestUpdate(x, secret, SECRET_LEN);
	EVP_DigestFinal_ex(x, md, &ol);
	EVP_MD_CTX_free(x);
	memcpy(p + 4, md, 16);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[RD_RADIUS_MAX_PKT + 64];
	static struct rd_radius_resp r;
	uint8_t req_auth[16], key[64];
	size_t n, kl;

	if (size < 17)
		return 0;
	memcpy(req_auth, data + 1, 16);
	n = size - 17;
	if (n > sizeof(pkt))
		n = sizeof(pkt);
	memcpy(pkt, data + 17, n);
	if (data[0] & 2) {
		rd_radius_mppe_decrypt(pkt, n, req_auth, secret, SECRET_LEN, key, sizeof(key), &kl);
		return 0;
	}
	if ((data[0] & 1) && n >= RD_RADIUS_HDR_LEN)
		make_authentic(pkt, n, req_auth);
	/* bit 2: the Accounting-Response check (RFC 2866) instead */
	if (data[0] & 4) {
		rd_radius_parse_acct_response(pkt, n, n > 1 ? pkt[1] : 0, req_auth, secret,
					      SECRET_LEN);
		return 0;
	}
	rd_radius_parse_response(pkt, n, n > 1 ? pkt[1] : 0, req_auth, secret, SECRET_LEN, &r);
	return 0;
}
