/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MS-CHAPv2 of the local EAP-MSCHAPv2 back end (app/rampartd/rd_mschap.c).
 *
 * Vectors: RFC 2759 section 9.2 (UserName "User", Password "clientPass":
 * AuthenticatorChallenge, PeerChallenge, Challenge, PasswordHash,
 * NT-Response, PasswordHashHash, AuthenticatorResponse) and RFC 3079
 * section 3.5.3 (the same NT-Response: MasterKey and the 128-bit
 * SendStartKey of the server).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "test_hex.h"
#include "test_main.h"

#include "rd_mschap.h"

/* @n bytes from the hex @s (the tests' one decoder, test_hex.h) */
static void
hex(const char *s, uint8_t *out, size_t n)
{
	CU_ASSERT_FATAL(hex2bin(s, out, n) == (int)n);
}

static uint8_t auth_ch[16], peer_ch[16], pw_hash[16], nt_resp[24];

static void
load_vectors(void)
{
	hex("5B5D7C7D7B3F2F3E3C2C602132262628", auth_ch, 16);
	hex("21402324255E262A28295F2B3A337C7E", peer_ch, 16);
	hex("44EBBA8D5312B8D611474411F56989AE", pw_hash, 16);
	hex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF", nt_resp, 24);
}

static void
rfc2759_challenge_and_response(void)
{
	uint8_t ch[8], want_ch[8], r[24], hh[16], want_hh[16];

	load_vectors();
	hex("D02E4386BCE91226", want_ch, 8);
	CU_ASSERT_EQUAL_FATAL(rd_mschap_challenge_hash(peer_ch, auth_ch, "User", 4, ch), 0);
	CU_ASSERT_EQUAL(memcmp(ch, want_ch, 8), 0);
	CU_ASSERT_EQUAL_FATAL(rd_mschap_challenge_response(ch, pw_hash, r), 0);
	CU_ASSERT_EQUAL(memcmp(r, nt_resp, 24), 0);
	memset(r, 0, sizeof(r));
	CU_ASSERT_EQUAL_FATAL(rd_mschap_nt_response(auth_ch, peer_ch, "User", 4, pw_hash, r), 0);
	CU_ASSERT_EQUAL(memcmp(r, nt_resp, 24), 0);
	hex("41C00C584BD2D91C4017A2A12FA59F3F", want_hh, 16);
	CU_ASSERT_EQUAL_FATAL(rd_mschap_hash_hash(pw_hash, hh), 0);
	CU_ASSERT_EQUAL(memcmp(hh, want_hh, 16), 0);
	/* another user name, another challenge: the response differs */
	CU_ASSERT_EQUAL_FATAL(rd_mschap_nt_response(auth_ch, peer_ch, "user", 4, pw_hash, r), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(r, nt_resp, 24), 0);
}

static void
rfc2759_authenticator_response(void)
{
	char s[RD_MSCHAP_AUTH_RESP_LEN + 1];

	load_vectors();
	CU_ASSERT_EQUAL_FATAL(rd_mschap_auth_response(pw_hash, nt_resp, peer_ch, auth_ch, "User",
						      4, s), 0);
	CU_ASSERT_STRING_EQUAL(s, "S=407A5589115FD0D6209F510FE9C04566932CDA56");
}

static void
rfc3079_keys_and_msk(void)
{
	uint8_t mk[16], want_mk[16], k[16], want_send[16], msk[RD_MSCHAP_MSK_LEN];

	load_vectors();
	hex("FDECE3717A8C838CB388E527AE3CDD31", want_mk, 16);
	hex("8B7CDC149B993A1BA118CB153F56DCCB", want_send, 16);
	CU_ASSERT_EQUAL_FATAL(rd_mschap_master_key(pw_hash, nt_resp, mk), 0);
	CU_ASSERT_EQUAL(memcmp(mk, want_mk, 16), 0);
	CU_ASSERT_EQUAL_FATAL(rd_mschap_start_key(mk, 1, 1, k), 0);
	CU_ASSERT_EQUAL(memcmp(k, want_send, 16), 0);
	/* the client's receive key is the server's send key */
	CU_ASSERT_EQUAL_FATAL(rd_mschap_start_key(mk, 0, 0, k), 0);
	CU_ASSERT_EQUAL(memcmp(k, want_send, 16), 0);
	/* MSK: server receive key (= client send key), then the send key */
	CU_ASSERT_EQUAL_FATAL(rd_mschap_msk(pw_hash, nt_resp, msk), 0);
	CU_ASSERT_EQUAL(memcmp(msk + 16, want_send, 16), 0);
	CU_ASSERT_EQUAL_FATAL(rd_mschap_start_key(mk, 1, 0, k), 0);
	CU_ASSERT_EQUAL(memcmp(msk, k, 16), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(msk, want_send, 16), 0);
}

static const struct tu_test tests[] = {
	{ "rfc2759_challenge_and_response", rfc2759_challenge_and_response },
	{ "rfc2759_authenticator_response", rfc2759_authenticator_response },
	{ "rfc3079_keys_and_msk", rfc3079_keys_and_msk },
};

int
main(void)
{
	int fails;

	if (rd_mschap_init() != 0) {
		fprintf(stderr, "OpenSSL legacy provider (MD4, DES) not available\n");
		return 1;
	}
	fails = tu_main("mschap", tests, TU_N(tests));
	rd_mschap_fini();
	return fails;
}
