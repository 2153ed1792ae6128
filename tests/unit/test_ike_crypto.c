/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the cryptographic half of lib/ike (ike_crypto.h), part 1 and
 * main(): DH known answers and peer-value validation, PRF/prf+/KDF known
 * answers, SK payload protection (known answers, round trips, tampering,
 * padding). AUTH, X.509 and jobs are in test_ike_crypto_auth.c. Vectors live
 * in tests/vectors/ike_*.h, each naming its source.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <CUnit/Basic.h>
#include <openssl/bn.h>
#include <openssl/evp.h>

#include "test_main.h"
#include "ike/ike_crypto.h"

#include "tests/vectors/ike_dh_vectors.h"
#include "tests/vectors/ike_kdf_vectors.h"
#include "tests/vectors/ike_sk_vectors.h"

#include "test_hex.h"
#include "test_ike_crypto.h"

/* ------------------------------------------------------------------------
 * helpers
 * ------------------------------------------------------------------------ */

size_t
tic_unhex(const char *s, uint8_t *out, size_t cap)
{
	int n = hex2bin(s, out, cap);	/* test_hex.h: the tests' one hex decoder */
	char two[3];
	int i;

	CU_ASSERT_FATAL(n >= 0);
	CU_ASSERT_FATAL(2 * (size_t)n == strlen(s));	/* all of it, not up to a newline */
	/* the shared decoder against printf's encoding, byte by byte */
	for (i = 0; i < n; i++) {
		snprintf(two, sizeof(two), "%02x", out[i]);
		CU_ASSERT_FATAL(strncasecmp(two, s + 2 * i, 2) == 0);
	}
	return (size_t)n;
}

/* Deterministic rand hook: returns bytes from a fixed buffer, then a counter. */
struct det_rand {
	uint8_t buf[64];
	size_t len, pos;
	uint8_t ctr;
};

static int
det_rand_fn(void *arg, void *out, size_t len)
{
	struct det_rand *d = arg;
	uint8_t *o = out;
	size_t i;

	for (i = 0; i < len; i++)
		o[i] = d->pos < d->len ? d->buf[d->pos++] : d->ctr++;
	return 0;
}

/* ------------------------------------------------------------------------
 * DH
 * ------------------------------------------------------------------------ */

static void
dh_rfc_known_answers(void)
{
	size_t v;

	for (v = 0; v < N_ELEM(ike_dh_vectors); v++) {
		const struct ike_dh_vector *t = &ike_dh_vectors[v];
		uint8_t i[80], r[80], gi[IKE_DH_MAX_LEN], gr[IKE_DH_MAX_LEN], gir[80];
		uint8_t pub[IKE_DH_MAX_LEN], sec[IKE_DH_MAX_LEN];
		size_t il, rl, gil, grl, girl, n;
		struct ike_dh *a = NULL, *b = NULL;

		il = tic_unhex(t->i, i, sizeof(i));
		rl = tic_unhex(t->r, r, sizeof(r));
		gil = tic_unhex(t->gi, gi, sizeof(gi));
		grl = tic_unhex(t->gr, gr, sizeof(gr));
		girl = tic_unhex(t->gir, gir, sizeof(gir));
		CU_ASSERT(ike_dh_supported(t->group));
		CU_ASSERT_EQUAL(ike_dh_pub_len(t->group), gil);
		CU_ASSERT_EQUAL(ike_dh_secret_len(t->group), girl);

		CU_ASSERT_EQUAL_FATAL(ike_dh_create_from_priv(t->group, i, il, &a), 0);
		CU_ASSERT_EQUAL_FATAL(ike_dh_create_from_priv(t->group, r, rl, &b), 0);
		CU_ASSERT_EQUAL(ike_dh_group(a), t->group);
		CU_ASSERT_EQUAL(ike_dh_pub(a, pub, sizeof(pub), &n), 0);
		CU_ASSERT(n == gil && memcmp(pub, gi, gil) == 0);
		CU_ASSERT_EQUAL(ike_dh_pub(b, pub, sizeof(pub), &n), 0);
		CU_ASSERT(n == grl && memcmp(pub, gr, grl) == 0);
		CU_ASSERT_EQUAL(ike_dh_check_peer(t->group, gr, grl), 0);

		CU_ASSERT_EQUAL(ike_dh_shared(a, gr, grl, sec, sizeof(sec), &n), 0);
		CU_ASSERT(n == girl && memcmp(sec, gir, girl) == 0);
		CU_ASSERT_EQUAL(ike_dh_shared(b, gi, gil, sec, sizeof(sec), &n), 0);
		CU_ASSERT(n == girl && memcmp(sec, gir, girl) == 0);
		if (CU_get_number_of_failures() != 0)
			fprintf(stderr, "dh vector %s failed\n", t->name);
		ike_dh_destroy(a);
		ike_dh_destroy(b);
	}
}

static void
dh_round_trip_all_groups(void)
{
	static const uint16_t groups[] = { 14, 15, 19, 20, 21, 31 };
	size_t g;

	for (g = 0; g < N_ELEM(groups); g++) {
		struct ike_dh *a = NULL, *b = NULL;
		uint8_t pa[IKE_DH_MAX_LEN], pb[IKE_DH_MAX_LEN];
		uint8_t sa[IKE_DH_MAX_LEN], sb[IKE_DH_MAX_LEN];
		size_t la, lb, na, nb;

		CU_ASSERT_EQUAL_FATAL(ike_dh_create(groups[g], &a), 0);
		CU_ASSERT_EQUAL_FATAL(ike_dh_create(groups[g], &b), 0);
		CU_ASSERT_EQUAL(ike_dh_pub(a, pa, sizeof(pa), &la), 0);
		CU_ASSERT_EQUAL(ike_dh_pub(b, pb, sizeof(pb), &lb), 0);
		CU_ASSERT_EQUAL(la, ike_dh_pub_len(groups[g]));
		CU_ASSERT_EQUAL(lb, la);
		CU_ASSERT_EQUAL(ike_dh_shared(a, pb, lb, sa, sizeof(sa), &na), 0);
		CU_ASSERT_EQUAL(ike_dh_shared(b, pa, la, sb, sizeof(sb), &nb), 0);
		CU_ASSERT_EQUAL(na, ike_dh_secret_len(groups[g]));
		CU_ASSERT(na == nb && memcmp(sa, sb, na) == 0);
		/* too small output buffer */
		CU_ASSERT_EQUAL(ike_dh_pub(a, pa, la - 1, &la), -ENOSPC);
		ike_dh_destroy(a);
		ike_dh_destroy(b);
	}
	CU_ASSERT(!ike_dh_supported(2));
	CU_ASSERT_EQUAL(ike_dh_pub_len(2), 0);
	ike_dh_destroy(NULL);
}

static void
dh_modp_rejects_small_subgroup_values(void)
{
	static const uint16_t groups[] = { 14, 15 };
	size_t g;

	for (g = 0; g < N_ELEM(groups); g++) {
		size_t plen = ike_dh_pub_len(groups[g]);
		uint8_t y[IKE_DH_MAX_LEN], sec[IKE_DH_MAX_LEN], ok[IKE_DH_MAX_LEN];
		struct ike_dh *a = NULL, *b = NULL;
		BIGNUM *p = groups[g] == 14 ? BN_get_rfc3526_prime_2048(NULL)
					    : BN_get_rfc3526_prime_3072(NULL);
		size_t n;

		CU_ASSERT_EQUAL_FATAL(ike_dh_create(groups[g], &a), 0);
		CU_ASSERT_EQUAL_FATAL(ike_dh_create(groups[g], &b), 0);
		CU_ASSERT_EQUAL(ike_dh_pub(b, ok, sizeof(ok), &n), 0);
		/* 0, 1 */
		memset(y, 0, plen);
		CU_ASSERT_EQUAL(ike_dh_shared(a, y, plen, sec, sizeof(sec), &n), -EBADMSG);
		y[plen - 1] = 1;
		CU_ASSERT_EQUAL(ike_dh_shared(a, y, plen, sec, sizeof(sec), &n), -EBADMSG);
		CU_ASSERT_EQUAL(ike_dh_check_peer(groups[g], y, plen), -EBADMSG);
		/* p and p-1 */
		CU_ASSERT_EQUAL(BN_bn2binpad(p, y, (int)plen), (int)plen);
		CU_ASSERT_EQUAL(ike_dh_shared(a, y, plen, sec, sizeof(sec), &n), -EBADMSG);
		CU_ASSERT_FATAL(BN_sub_word(p, 1));
		CU_ASSERT_EQUAL(BN_bn2binpad(p, y, (int)plen), (int)plen);
		CU_ASSERT_EQUAL(ike_dh_shared(a, y, plen, sec, sizeof(sec), &n), -EBADMSG);
		/* all ones (> p) */
		memset(y, 0xff, plen);
		CU_ASSERT_EQUAL(ike_dh_shared(a, y, plen, sec, sizeof(sec), &n), -EBADMSG);
		/* wrong lengths */
		CU_ASSERT_EQUAL(ike_dh_shared(a, ok, plen - 1, sec, sizeof(sec), &n), -EBADMSG);
		CU_ASSERT_EQUAL(ike_dh_shared(a, ok, plen + 1, sec, sizeof(sec), &n), -EBADMSG);
		/* and a good one still works */
		CU_ASSERT_EQUAL(ike_dh_shared(a, ok, plen, sec, sizeof(sec), &n), 0);
		BN_free(p);
		ike_dh_destroy(a);
		ike_dh_destroy(b);
	}
}

static void
dh_ecp_rejects_off_curve_points(void)
{
	size_t v;

	for (v = 0; v < N_ELEM(ike_dh_vectors); v++) {
		const struct ike_dh_vector *t = &ike_dh_vectors[v];
		uint8_t i[80], gr[IKE_DH_MAX_LEN], sec[IKE_DH_MAX_LEN];
		size_t il, grl, n;
		struct ike_dh *a = NULL;

		if (t->group == 31)
			continue;
		il = tic_unhex(t->i, i, sizeof(i));
		grl = tic_unhex(t->gr, gr, sizeof(gr));
		CU_ASSERT_EQUAL_FATAL(ike_dh_create_from_priv(t->group, i, il, &a), 0);
		gr[grl - 1] ^= 0x01;		/* y changed: not on the curve */
		CU_ASSERT_EQUAL(ike_dh_shared(a, gr, grl, sec, sizeof(sec), &n), -EBADMSG);
		CU_ASSERT_EQUAL(ike_dh_check_peer(t->group, gr, grl), -EBADMSG);
		memset(gr, 0, grl);		/* (0, 0): not a point either */
		CU_ASSERT_EQUAL(ike_dh_shared(a, gr, grl, sec, sizeof(sec), &n), -EBADMSG);
		CU_ASSERT_EQUAL(ike_dh_shared(a, gr, grl - 1, sec, sizeof(sec), &n), -EBADMSG);
		ike_dh_destroy(a);
	}
}

static void
dh_x25519_rejects_low_order_points(void)
{
	uint8_t i[32], pt[32], sec[32];
	struct ike_dh *a = NULL;
	size_t n;

	tic_unhex(ike_dh_vectors[3].i, i, sizeof(i));
	CU_ASSERT_EQUAL_FATAL(ike_dh_create_from_priv(31, i, 32, &a), 0);
	memset(pt, 0, sizeof(pt));		/* order-1 point: all-zero output */
	CU_ASSERT_EQUAL(ike_dh_shared(a, pt, 32, sec, sizeof(sec), &n), -EBADMSG);
	pt[0] = 1;				/* u = 1: small order too */
	CU_ASSERT_EQUAL(ike_dh_shared(a, pt, 32, sec, sizeof(sec), &n), -EBADMSG);
	CU_ASSERT_EQUAL(ike_dh_shared(a, pt, 31, sec, sizeof(sec), &n), -EBADMSG);
	ike_dh_destroy(a);
}

static void
dh_rand_hook_makes_keys_deterministic(void)
{
	static const uint16_t groups[] = { 14, 19, 20, 21, 31 };
	size_t g;

	for (g = 0; g < N_ELEM(groups); g++) {
		struct det_rand d1 = { .ctr = 7 }, d2 = { .ctr = 7 };
		uint8_t p1[IKE_DH_MAX_LEN], p2[IKE_DH_MAX_LEN];
		struct ike_dh *a = NULL, *b = NULL;
		size_t l1, l2;

		ike_rand_set_hook(det_rand_fn, &d1);
		CU_ASSERT_EQUAL_FATAL(ike_dh_create(groups[g], &a), 0);
		ike_rand_set_hook(det_rand_fn, &d2);
		CU_ASSERT_EQUAL_FATAL(ike_dh_create(groups[g], &b), 0);
		ike_rand_set_hook(NULL, NULL);
		CU_ASSERT_EQUAL(ike_dh_pub(a, p1, sizeof(p1), &l1), 0);
		CU_ASSERT_EQUAL(ike_dh_pub(b, p2, sizeof(p2), &l2), 0);
		CU_ASSERT(l1 == l2 && memcmp(p1, p2, l1) == 0);
		ike_dh_destroy(a);
		ike_dh_destroy(b);
	}
}

static void
rand_hook_and_default(void)
{
	struct det_rand d = { .buf = { 1, 2, 3 }, .len = 3, .ctr = 9 };
	uint8_t b[5], z[32] = { 0 }, r[32];

	ike_rand_set_hook(det_rand_fn, &d);
	CU_ASSERT_EQUAL(ike_rand_bytes(b, sizeof(b)), 0);
	ike_rand_set_hook(NULL, NULL);
	CU_ASSERT(b[0] == 1 && b[2] == 3 && b[3] == 9 && b[4] == 10);
	CU_ASSERT_EQUAL(ike_rand_bytes(r, sizeof(r)), 0);
	CU_ASSERT(memcmp(r, z, sizeof(r)) != 0);
	CU_ASSERT_EQUAL(ike_rand_bytes(r, 0), 0);
}

/* ------------------------------------------------------------------------
 * PRF and KDF
 * ------------------------------------------------------------------------ */

static void
prf_rfc4231_case2(void)
{
	/* RFC 4231 4.3 (test case 2): key "Jefe" */
	static const char *expect[] = {
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
		"af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
		"8e2240ca5e69e2c78b3239ecfab21649",
		"164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
		"9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
	};
	static const char data[] = "what do ya want for nothing?";
	struct ike_cbuf d[2] = {
		{ (const uint8_t *)data, 10 }, { (const uint8_t *)data + 10, sizeof(data) - 11 },
	};
	uint8_t out[64], exp[64];
	unsigned i;

	for (i = 0; i < 3; i++) {
		size_t n = tic_unhex(expect[i], exp, sizeof(exp));

		CU_ASSERT_EQUAL(ike_prf_len((uint16_t)(5 + i)), n);
		CU_ASSERT_EQUAL(ike_prf((uint16_t)(5 + i), (const uint8_t *)"Jefe", 4, d, 2, out),
				0);
		CU_ASSERT(memcmp(out, exp, n) == 0);
	}
	CU_ASSERT_EQUAL(ike_prf(2, (const uint8_t *)"Jefe", 4, d, 2, out), -EINVAL);
	CU_ASSERT_EQUAL(ike_prf_len(2), 0);
}

static void
kdf_known_answers(void)
{
	size_t v;

	for (v = 0; v < N_ELEM(ike_kdf_vectors); v++) {
		const struct ike_kdf_vector *t = &ike_kdf_vectors[v];
		uint8_t ni[64], nr[64], gir[128], gn[128], si[8], sr[8];
		uint8_t exp[256], out[256], skeyseed[64];
		size_t nil, nrl, girl, gnl, plen = ike_prf_len(t->prf), n;
		struct ike_cbuf seed[4];
		struct ike_child_keys ck;

		nil = tic_unhex(t->ni, ni, sizeof(ni));
		nrl = tic_unhex(t->nr, nr, sizeof(nr));
		girl = tic_unhex(t->gir, gir, sizeof(gir));
		gnl = tic_unhex(t->gir_new, gn, sizeof(gn));
		tic_unhex(t->spi_i, si, 8);
		tic_unhex(t->spi_r, sr, 8);

		n = tic_unhex(t->skeyseed, exp, sizeof(exp));
		CU_ASSERT_EQUAL(n, plen);
		CU_ASSERT_EQUAL(ike_kdf_skeyseed(t->prf, ni, nil, nr, nrl, gir, girl, skeyseed), 0);
		CU_ASSERT(memcmp(skeyseed, exp, n) == 0);

		seed[0] = (struct ike_cbuf){ ni, nil };
		seed[1] = (struct ike_cbuf){ nr, nrl };
		seed[2] = (struct ike_cbuf){ si, 8 };
		seed[3] = (struct ike_cbuf){ sr, 8 };
		n = tic_unhex(t->dkm, exp, sizeof(exp));
		CU_ASSERT_EQUAL(ike_prf_plus(t->prf, skeyseed, plen, seed, 4, out, n), 0);
		CU_ASSERT(memcmp(out, exp, n) == 0);

		/* SK_d = first prf-length bytes of the DKM */
		n = tic_unhex(t->skeyseed_rekey, exp, sizeof(exp));
		CU_ASSERT_EQUAL(ike_kdf_skeyseed_rekey(t->prf, out, plen, gn, gnl, ni, nil, nr, nrl,
						       skeyseed), 0);
		CU_ASSERT(memcmp(skeyseed, exp, n) == 0);

		/* child KEYMAT, 32-byte encryption and integrity keys per direction */
		n = tic_unhex(t->child_dkm, exp, sizeof(exp));
		CU_ASSERT_EQUAL(n, 128);
		CU_ASSERT_EQUAL(ike_kdf_child_keys(t->prf, out, plen, NULL, 0, ni, nil, nr, nrl,
						   32, 32, &ck), 0);
		CU_ASSERT(memcmp(ck.encr_i, exp, 32) == 0);
		CU_ASSERT(memcmp(ck.integ_i, exp + 32, 32) == 0);
		CU_ASSERT(memcmp(ck.encr_r, exp + 64, 32) == 0);
		CU_ASSERT(memcmp(ck.integ_r, exp + 96, 32) == 0);
		n = tic_unhex(t->child_dkm_dh, exp, sizeof(exp));
		CU_ASSERT_EQUAL(ike_kdf_child_keys(t->prf, out, plen, gn, gnl, ni, nil, nr, nrl,
						   32, 32, &ck), 0);
		CU_ASSERT(memcmp(ck.encr_i, exp, 32) == 0);
		CU_ASSERT(memcmp(ck.integ_r, exp + 96, 32) == 0);
		/* GCM child: 36-byte keys (key || salt), no integrity */
		CU_ASSERT_EQUAL(ike_kdf_child_keys(t->prf, out, plen, gn, gnl, ni, nil, nr, nrl,
						   36, 0, &ck), 0);
		CU_ASSERT(ck.encr_key_len == 36 && ck.integ_key_len == 0);
		CU_ASSERT(memcmp(ck.encr_i, exp, 36) == 0);
		CU_ASSERT(memcmp(ck.encr_r, exp + 36, 36) == 0);
		ike_child_keys_wipe(&ck);
		if (CU_get_number_of_failures() != 0)
			fprintf(stderr, "kdf vector %s failed\n", t->name);
	}
}

/* @k is the key stream @km cut as SK_d | SK_ai | SK_ar | SK_ei | SK_er |
 * SK_pi | SK_pr (RFC 7296 2.14): SK_d and SK_p* @prf bytes, SK_a* @integ, SK_e* @encr. */
static void
check_key_split(const struct ike_sa_keys *k, const uint8_t *km, size_t prf, size_t integ,
		size_t encr)
{
	size_t off = 0;

	CU_ASSERT(memcmp(k->sk_d, km, prf) == 0);
	off += prf;
	CU_ASSERT(memcmp(k->i.integ_key, km + off, integ) == 0);
	off += integ;
	CU_ASSERT(memcmp(k->r.integ_key, km + off, integ) == 0);
	off += integ;
	CU_ASSERT(memcmp(k->i.encr_key, km + off, encr) == 0);
	off += encr;
	CU_ASSERT(memcmp(k->r.encr_key, km + off, encr) == 0);
	off += encr;
	CU_ASSERT(memcmp(k->sk_pi, km + off, prf) == 0);
	off += prf;
	CU_ASSERT(memcmp(k->sk_pr, km + off, prf) == 0);
}

static void
kdf_ike_keys_split(void)
{
	const struct ike_kdf_vector *t = &ike_kdf_vectors[0];
	uint8_t ni[8], nr[8], gir[32], si[8], sr[8], skeyseed[32], km[400];
	struct ike_cbuf seed[4] = { { ni, 8 }, { nr, 8 }, { si, 8 }, { sr, 8 } };
	struct ike_sa_keys k;

	tic_unhex(t->ni, ni, 8);
	tic_unhex(t->nr, nr, 8);
	tic_unhex(t->gir, gir, 32);
	tic_unhex(t->spi_i, si, 8);
	tic_unhex(t->spi_r, sr, 8);
	CU_ASSERT_EQUAL(ike_kdf_skeyseed(5, ni, 8, nr, 8, gir, 32, skeyseed), 0);
	CU_ASSERT_EQUAL(ike_prf_plus(5, skeyseed, 32, seed, 4, km, sizeof(km)), 0);

	/* AES-GCM-256: SK_d 32 | SK_ai 0 | SK_ar 0 | SK_ei 36 | SK_er 36 | SK_pi 32 | SK_pr 32 */
	CU_ASSERT_EQUAL(ike_kdf_ike_sa(5, gir, 32, ni, 8, nr, 8, si, sr, IKE_CRYPTO_ENCR_AES_GCM16,
				       256, IKE_CRYPTO_INTEG_NONE, &k), 0);
	CU_ASSERT(k.prf_len == 32 && k.i.encr_key_len == 36 && k.i.integ_key_len == 0);
	check_key_split(&k, km, 32, 0, 36);

	/* AES-CBC-128 + HMAC-SHA2-384-192: SK_a* 48, SK_e* 16 */
	CU_ASSERT_EQUAL(ike_kdf_ike_keys(5, skeyseed, ni, 8, nr, 8, si, sr,
					 IKE_CRYPTO_ENCR_AES_CBC, 128,
					 IKE_CRYPTO_INTEG_HMAC_SHA2_384_192, &k), 0);
	check_key_split(&k, km, 32, 48, 16);
	CU_ASSERT(k.i.integ == IKE_CRYPTO_INTEG_HMAC_SHA2_384_192 && k.r.encr_key_len == 16);

	/* rekey from a SHA-256 SA to a SHA-512 SA: SKEYSEED keeps 32 bytes */
	{
		uint8_t rk[32], km2[300];
		struct ike_cbuf seed2[4] = { { nr, 8 }, { ni, 8 }, { sr, 8 }, { si, 8 } };

		CU_ASSERT_EQUAL(ike_kdf_skeyseed_rekey(5, km, 32, gir, 32, nr, 8, ni, 8, rk), 0);
		CU_ASSERT_EQUAL(ike_prf_plus(7, rk, 32, seed2, 4, km2, 64 * 3 + 36 * 2), 0);
		CU_ASSERT_EQUAL(ike_kdf_ike_sa_rekey(5, km, 32, gir, 32, nr, 8, ni, 8, sr, si, 7,
						     IKE_CRYPTO_ENCR_AES_GCM16, 256,
						     IKE_CRYPTO_INTEG_NONE, &k), 0);
		CU_ASSERT(k.prf == 7 && k.prf_len == 64);
		check_key_split(&k, km2, 64, 0, 36);
	}

	/* mismatched transforms */
	CU_ASSERT_EQUAL(ike_kdf_ike_keys(5, skeyseed, ni, 8, nr, 8, si, sr,
					 IKE_CRYPTO_ENCR_AES_GCM16, 128,
					 IKE_CRYPTO_INTEG_HMAC_SHA2_256_128, &k), -EINVAL);
	CU_ASSERT_EQUAL(ike_kdf_ike_keys(5, skeyseed, ni, 8, nr, 8, si, sr,
					 IKE_CRYPTO_ENCR_AES_CBC, 128, IKE_CRYPTO_INTEG_NONE, &k),
			-EINVAL);
	CU_ASSERT_EQUAL(ike_kdf_ike_keys(5, skeyseed, ni, 8, nr, 8, si, sr,
					 IKE_CRYPTO_ENCR_AES_CBC, 100,
					 IKE_CRYPTO_INTEG_HMAC_SHA2_256_128, &k), -EINVAL);
	ike_sa_keys_wipe(&k);
	CU_ASSERT_EQUAL(ike_encr_key_len(IKE_CRYPTO_ENCR_AES_GCM16, 128), 20);
	CU_ASSERT_EQUAL(ike_integ_icv_len(IKE_CRYPTO_INTEG_HMAC_SHA2_512_256), 32);
	/* prf+ limit: 255 blocks */
	CU_ASSERT_EQUAL(ike_prf_plus(5, skeyseed, 32, seed, 4, km, 255 * 32 + 1), -EINVAL);
}

/* ------------------------------------------------------------------------
 * SK payload
 * ------------------------------------------------------------------------ */

static void
sk_keys_from_vector(const struct ike_sk_vector *t, struct ike_sk_dir *k)
{
	memset(k, 0, sizeof(*k));
	k->encr = t->encr;
	k->integ = t->integ;
	k->encr_key_len = (uint8_t)tic_unhex(t->encr_key, k->encr_key, sizeof(k->encr_key));
	k->integ_key_len = (uint8_t)tic_unhex(t->integ_key, k->integ_key, sizeof(k->integ_key));
}

static void
sk_known_answers(void)
{
	size_t v;

	for (v = 0; v < N_ELEM(ike_sk_vectors); v++) {
		const struct ike_sk_vector *t = &ike_sk_vectors[v];
		struct det_rand d = { .ctr = 0 };
		uint8_t hdr[28], inner[128], exp[512], out[512], plain[512];
		size_t il, el, n, pl;
		struct ike_sk_dir k;
		uint8_t first = 0;

		sk_keys_from_vector(t, &k);
		tic_unhex(ike_sk_vector_hdr, hdr, sizeof(hdr));
		il = tic_unhex(t->inner, inner, sizeof(inner));
		el = tic_unhex(t->msg, exp, sizeof(exp));
		d.len = tic_unhex(t->iv, d.buf, sizeof(d.buf));

		CU_ASSERT_EQUAL(ike_sk_body_len(&k, il) + 32, el);
		ike_rand_set_hook(det_rand_fn, &d);
		CU_ASSERT_EQUAL(ike_sk_encrypt_msg(&k, hdr, t->first_inner, inner, il, out,
						   sizeof(out), &n), 0);
		ike_rand_set_hook(NULL, NULL);
		CU_ASSERT(n == el && memcmp(out, exp, el) == 0);

		CU_ASSERT_EQUAL(ike_sk_decrypt_msg(&k, exp, el, &first, plain, sizeof(plain), &pl),
				0);
		CU_ASSERT(first == t->first_inner && pl == il && memcmp(plain, inner, il) == 0);
		if (CU_get_number_of_failures() != 0)
			fprintf(stderr, "sk vector %s failed\n", t->name);
	}
}

static void
sk_round_trip_and_tamper(void)
{
	static const struct {
		uint16_t encr, bits, integ;
	} suites[] = {
		{ IKE_CRYPTO_ENCR_AES_GCM16, 128, IKE_CRYPTO_INTEG_NONE },
		{ IKE_CRYPTO_ENCR_AES_GCM16, 256, IKE_CRYPTO_INTEG_NONE },
		{ IKE_CRYPTO_ENCR_AES_CBC, 128, IKE_CRYPTO_INTEG_HMAC_SHA2_256_128 },
		{ IKE_CRYPTO_ENCR_AES_CBC, 256, IKE_CRYPTO_INTEG_HMAC_SHA2_384_192 },
		{ IKE_CRYPTO_ENCR_AES_CBC, 256, IKE_CRYPTO_INTEG_HMAC_SHA2_512_256 },
	};
	static const uint8_t ni[16] = { 1 }, nr[16] = { 2 }, gir[32] = { 3 };
	static const uint8_t si[8] = { 4 }, sr[8] = { 5 };
	uint8_t hdr[28] = { 0 }, inner[100], out[512], plain[512];
	size_t s, len, n, pl, pos;

	for (len = 0; len < sizeof(inner); len++)
		inner[len] = (uint8_t)(len * 3 + 1);
	hdr[17] = 0x20;
	for (s = 0; s < N_ELEM(suites); s++) {
		struct ike_sa_keys k;

		CU_ASSERT_EQUAL_FATAL(ike_kdf_ike_sa(6, gir, 32, ni, 16, nr, 16, si, sr,
						     suites[s].encr, suites[s].bits,
						     suites[s].integ, &k), 0);
		for (len = 0; len <= 40; len++) {
			uint8_t first = 0;

			CU_ASSERT_EQUAL(ike_sk_encrypt_msg(&k.i, hdr, 33, inner, len, out,
							   sizeof(out), &n), 0);
			CU_ASSERT_EQUAL(n, 32 + ike_sk_body_len(&k.i, len));
			CU_ASSERT(ike_sk_max_plain(&k.i, n - 32) >= len);
			CU_ASSERT_EQUAL(ike_sk_decrypt_msg(&k.i, out, n, &first, plain,
							   sizeof(plain), &pl), 0);
			CU_ASSERT(first == 33 && pl == len && memcmp(plain, inner, len) == 0);
			/* the other direction's keys must not open it */
			CU_ASSERT_EQUAL(ike_sk_decrypt_msg(&k.r, out, n, &first, plain,
							   sizeof(plain), &pl), -EACCES);
		}
		/* flip one bit anywhere outside the length fields: ICV fails */
		len = 37;
		CU_ASSERT_EQUAL(ike_sk_encrypt_msg(&k.i, hdr, 33, inner, len, out, sizeof(out),
						   &n), 0);
		for (pos = 0; pos < n; pos++) {
			uint8_t first;

			if (pos == 16 || (pos >= 24 && pos < 28) || pos == 30 || pos == 31)
				continue;	/* framing checks catch these first */
			out[pos] ^= 0x04;
			CU_ASSERT_EQUAL(ike_sk_decrypt_msg(&k.i, out, n, &first, plain,
							   sizeof(plain), &pl), -EACCES);
			out[pos] ^= 0x04;
		}
		/* framing: truncated, wrong length field, not SK */
		{
			uint8_t first;

			CU_ASSERT_EQUAL(ike_sk_decrypt_msg(&k.i, out, n - 1, &first, plain,
							   sizeof(plain), &pl), -EBADMSG);
			out[16] = 41;
			CU_ASSERT_EQUAL(ike_sk_decrypt_msg(&k.i, out, n, &first, plain,
							   sizeof(plain), &pl), -EBADMSG);
			out[16] = 46;
			CU_ASSERT_EQUAL(ike_sk_decrypt_msg(&k.i, out, n, &first, plain, 4, &pl),
					-ENOSPC);
			CU_ASSERT_EQUAL(ike_sk_encrypt_msg(&k.i, hdr, 33, inner, len, out, n - 1,
							   &n), -ENOSPC);
		}
		ike_sa_keys_wipe(&k);
	}
}

/* A fragment (RFC 7383): building blocks with a longer AAD (SKF header 8). */
static void
sk_building_blocks_fragment(void)
{
	static const uint8_t ni[16] = { 9 }, nr[16] = { 8 }, gir[32] = { 7 };
	static const uint8_t si[8] = { 6 }, sr[8] = { 5 };
	uint8_t msg[256], plain[256], inner[50];
	struct ike_sa_keys k;
	size_t n, pl, aad = 28 + 8;

	memset(inner, 0xab, sizeof(inner));
	CU_ASSERT_EQUAL_FATAL(ike_kdf_ike_sa(5, gir, 32, ni, 16, nr, 16, si, sr,
					     IKE_CRYPTO_ENCR_AES_GCM16, 128,
					     IKE_CRYPTO_INTEG_NONE, &k), 0);
	memset(msg, 0x5a, aad);		/* stands for header + SKF header */
	CU_ASSERT_EQUAL(ike_sk_seal(&k.r, msg, aad, inner, sizeof(inner), sizeof(msg), &n), 0);
	CU_ASSERT_EQUAL(n, aad + 8 + 51 + 16);
	CU_ASSERT_EQUAL(ike_sk_open(&k.r, msg, n, aad, plain, sizeof(plain), &pl), 0);
	CU_ASSERT(pl == sizeof(inner) && memcmp(plain, inner, pl) == 0);
	msg[30] ^= 1;			/* the AAD (e.g. fragment number) is covered */
	CU_ASSERT_EQUAL(ike_sk_open(&k.r, msg, n, aad, plain, sizeof(plain), &pl), -EACCES);
	CU_ASSERT_EQUAL(ike_sk_max_plain(&k.r, 8 + 16 + 1), 0);
	CU_ASSERT_EQUAL(ike_sk_max_plain(&k.r, 8 + 16 + 2), 1);
	ike_sa_keys_wipe(&k);
}

/* The one-block SK payload of @msg (IV at 32, ciphertext at 48, ICV at 64):
 * @pt encrypted by OpenSSL (AES-128-CBC, no padding) and a valid
 * HMAC-SHA2-256-128 over the message in front of the ICV. */
static void
cbc_seal_by_openssl(const struct ike_sk_dir *k, uint8_t *msg, const uint8_t pt[16])
{
	struct ike_cbuf d = { msg, 28 + 4 + 16 + 16 };
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t full[32];
	int outl;

	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT(EVP_EncryptInit_ex(c, EVP_aes_128_cbc(), NULL, k->encr_key, msg + 32) == 1);
	CU_ASSERT(EVP_CIPHER_CTX_set_padding(c, 0) == 1);
	CU_ASSERT(EVP_EncryptUpdate(c, msg + 48, &outl, pt, 16) == 1);
	EVP_CIPHER_CTX_free(c);
	CU_ASSERT_EQUAL(ike_prf(IKE_CRYPTO_PRF_HMAC_SHA2_256, k->integ_key, 32, &d, 1, full), 0);
	memcpy(msg + 64, full, 16);
}

/* CBC with a valid ICV but a pad length larger than the data: -EBADMSG. */
static void
sk_cbc_bad_pad_length(void)
{
	struct ike_sk_dir k = {
		.encr = IKE_CRYPTO_ENCR_AES_CBC, .integ = IKE_CRYPTO_INTEG_HMAC_SHA2_256_128,
		.encr_key_len = 16, .integ_key_len = 32,
	};
	uint8_t msg[28 + 4 + 16 + 16 + 16], pt[16], plain[64];
	size_t pl;

	memset(k.encr_key, 0x11, 16);
	memset(k.integ_key, 0x22, 32);
	memset(msg, 0, sizeof(msg));
	memset(msg + 32, 0x33, 16);		/* IV */
	memset(pt, 0, sizeof(pt));
	pt[15] = 0x20;				/* pad length 32 > 16 */
	cbc_seal_by_openssl(&k, msg, pt);
	CU_ASSERT_EQUAL(ike_sk_open(&k, msg, sizeof(msg), 32, plain, sizeof(plain), &pl),
			-EBADMSG);
	/* same with pad length 15: fine, no payload bytes */
	pt[15] = 15;
	cbc_seal_by_openssl(&k, msg, pt);
	CU_ASSERT_EQUAL(ike_sk_open(&k, msg, sizeof(msg), 32, plain, sizeof(plain), &pl), 0);
	CU_ASSERT_EQUAL(pl, 0);
	/* ciphertext not a multiple of the block size */
	CU_ASSERT_EQUAL(ike_sk_open(&k, msg, sizeof(msg) - 1, 32, plain, sizeof(plain), &pl),
			-EBADMSG);
}

/* ------------------------------------------------------------------------
 * hostile input: random bytes never crash and never authenticate
 * ------------------------------------------------------------------------ */

static uint64_t
xorshift(uint64_t *st)
{
	*st ^= *st << 13;
	*st ^= *st >> 7;
	*st ^= *st << 17;
	return *st;
}

static void
hostile_random_inputs(void)
{
	static const uint16_t groups[] = { 14, 19, 21, 31 };
	static const uint8_t ni[16] = { 1 }, nr[16] = { 2 }, gir[32] = { 3 };
	static const uint8_t si[8] = { 4 }, sr[8] = { 5 };
	uint8_t buf[600], plain[600];
	uint64_t st = 0x9e3779b97f4a7c15ull;
	struct ike_dh *dh[N_ELEM(groups)];
	struct ike_sa_keys gcm, cbc;
	size_t g, i, j, len, n;
	uint32_t mask;
	uint8_t first;

	for (g = 0; g < N_ELEM(groups); g++)
		CU_ASSERT_EQUAL_FATAL(ike_dh_create(groups[g], &dh[g]), 0);
	CU_ASSERT_EQUAL_FATAL(ike_kdf_ike_sa(5, gir, 32, ni, 16, nr, 16, si, sr,
					     IKE_CRYPTO_ENCR_AES_GCM16, 128, IKE_CRYPTO_INTEG_NONE,
					     &gcm), 0);
	CU_ASSERT_EQUAL_FATAL(ike_kdf_ike_sa(5, gir, 32, ni, 16, nr, 16, si, sr,
					     IKE_CRYPTO_ENCR_AES_CBC, 256,
					     IKE_CRYPTO_INTEG_HMAC_SHA2_256_128, &cbc), 0);
	fprintf(stderr, "hostile_random_inputs seed %016llx\n", (unsigned long long)st);
	for (i = 0; i < 300; i++) {
		len = xorshift(&st) % sizeof(buf);
		for (j = 0; j < len; j++)
			buf[j] = (uint8_t)xorshift(&st);
		/* a plausible SK frame half of the time, to get past the framing */
		if (len >= 32 && (i & 1)) {
			buf[16] = IKE_PLD_SK;
			buf[24] = 0;
			buf[25] = 0;
			buf[26] = (uint8_t)(len >> 8);
			buf[27] = (uint8_t)len;
			buf[30] = (uint8_t)((len - 28) >> 8);
			buf[31] = (uint8_t)(len - 28);
		}
		CU_ASSERT(ike_sk_decrypt_msg(&gcm.i, buf, len, &first, plain, sizeof(plain),
					     &n) < 0);
		CU_ASSERT(ike_sk_decrypt_msg(&cbc.r, buf, len, &first, plain, sizeof(plain),
					     &n) < 0);
		CU_ASSERT(ike_sk_open(&cbc.i, buf, len, len / 3, plain, sizeof(plain), &n) < 0);
		g = i % N_ELEM(groups);
		n = ike_dh_pub_len(groups[g]);
		if (len >= n)
			(void)ike_dh_check_peer(groups[g], buf, n);	/* may be valid (MODP) */
		CU_ASSERT(ike_dh_shared(dh[g], buf, len == n ? len + 1 : len, plain, sizeof(plain),
					&n) < 0);
		CU_ASSERT(ike_sighash_parse(buf, len, &mask) == (len % 2 ? -EBADMSG : 0));
	}
	for (g = 0; g < N_ELEM(groups); g++)
		ike_dh_destroy(dh[g]);
	ike_sa_keys_wipe(&gcm);
	ike_sa_keys_wipe(&cbc);
}

/* ------------------------------------------------------------------------
 * registration
 * ------------------------------------------------------------------------ */

static const struct tu_test dh_tests[] = {
	{ "dh_rfc_known_answers", dh_rfc_known_answers },
	{ "dh_round_trip_all_groups", dh_round_trip_all_groups },
	{ "dh_modp_rejects_small_subgroup_values", dh_modp_rejects_small_subgroup_values },
	{ "dh_ecp_rejects_off_curve_points", dh_ecp_rejects_off_curve_points },
	{ "dh_x25519_rejects_low_order_points", dh_x25519_rejects_low_order_points },
	{ "dh_rand_hook_makes_keys_deterministic", dh_rand_hook_makes_keys_deterministic },
	{ "rand_hook_and_default", rand_hook_and_default },
};

static const struct tu_test kdf_tests[] = {
	{ "prf_rfc4231_case2", prf_rfc4231_case2 },
	{ "kdf_known_answers", kdf_known_answers },
	{ "kdf_ike_keys_split", kdf_ike_keys_split },
};

static const struct tu_test sk_tests[] = {
	{ "sk_known_answers", sk_known_answers },
	{ "sk_round_trip_and_tamper", sk_round_trip_and_tamper },
	{ "sk_building_blocks_fragment", sk_building_blocks_fragment },
	{ "sk_cbc_bad_pad_length", sk_cbc_bad_pad_length },
	{ "hostile_random_inputs", hostile_random_inputs },
};

int
main(void)
{
	tu_suite_tab("ike_dh", NULL, NULL, dh_tests, TU_N(dh_tests));
	tu_suite_tab("ike_kdf", NULL, NULL, kdf_tests, TU_N(kdf_tests));
	tu_suite_tab("ike_sk", NULL, NULL, sk_tests, TU_N(sk_tests));
	test_ike_crypto_auth_register();
	return tu_run();
}
