/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The multi-packet AES-GCM engine (crypto/cry_mgcm.h) against IPsec-MB:
 * known answers (GCM spec cases with AAD <= 16 bytes, draft-mcgrew ESP
 * packets), a differential test over random keys (128/256), nonces, AAD
 * 8/12 and payloads 0..2048 bytes (MGCM_DIFF_CASES, default 1 000 000;
 * the environment variable raises it for longer runs), and tag checks that
 * fail for every flipped bit of tag, AAD, ciphertext and nonce.
 * Every test runs once per kernel the CPU has (AVX-512 and AVX2, switched
 * with cry_mgcm_set_isa); a kernel the CPU lacks is reported as skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "crypto/cry.h"
#include "crypto/cry_mgcm.h"
#include "../vectors/gcm_esp_mcgrew.h"
#include "../vectors/gcm_spec.h"
#include "test_hex.h"
#include "test_main.h"

#include "test_crypto_mgcm.h"

enum {
	NKEYS = 32,			/* key pool, half AES-128, half AES-256 */
	MAXLEN = 2048,
	LANES = CRY_MGCM_MAX_LANES,
};

static IMB_MGR *mgr;
static struct cry_gcm_key keys[NKEYS] __attribute__((aligned(64)));
static uint64_t rs = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	return tu_xorshift64s(&rs);
}

static void
rnd_fill(uint8_t *p, size_t n)
{
	uint64_t v;

	while (n >= 8) {
		v = rnd();
		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	v = rnd();
	memcpy(p, &v, n);
}

static void
rekey(unsigned i)
{
	uint8_t k[32];

	rnd_fill(k, sizeof(k));
	CU_ASSERT_FATAL(cry_gcm_key_init(mgr, &keys[i], k, i % 2 ? 32 : 16) == 0);
}

/* One vector through the engine in a round of 5 copies (4 lanes + 1). */
static void
kat(const char *name, const char *khex, const uint8_t nonce[12], const uint8_t *aad, int aadl,
    const char *pthex, const char *cthex, const char *taghex)
{
	static struct cry_gcm_key k __attribute__((aligned(64)));
	uint8_t key[32], pt[256], ct[256], tag[16], buf[5][256], out[5][16];
	struct cry_mgcm_op ops[5];
	int kl = hex2bin(khex, key, sizeof(key));
	int pl = hex2bin(pthex, pt, sizeof(pt));
	unsigned i;

	CU_ASSERT_FATAL(kl > 0 && pl >= 0 && hex2bin(cthex, ct, sizeof(ct)) == pl);
	CU_ASSERT_FATAL(hex2bin(taghex, tag, sizeof(tag)) == 16);
	CU_ASSERT_FATAL(cry_gcm_key_init(mgr, &k, key, (unsigned)kl) == 0);
	for (i = 0; i < 5; i++) {
		memcpy(buf[i], pt, (size_t)pl);
		ops[i] = (struct cry_mgcm_op){ .key = &k, .iv = nonce, .aad = aad,
					       .data = buf[i], .tag = out[i],
					       .len = (uint32_t)pl, .aad_len = (uint8_t)aadl };
	}
	cry_mgcm_seal(mgr, ops, 5);
	for (i = 0; i < 5; i++) {
		if (memcmp(buf[i], ct, (size_t)pl) != 0 || memcmp(out[i], tag, 16) != 0)
			fprintf(stderr, "mgcm %s lane %u: seal mismatch\n", name, i);
		CU_ASSERT(memcmp(buf[i], ct, (size_t)pl) == 0);
		CU_ASSERT(memcmp(out[i], tag, 16) == 0);
	}
	out[3][15] ^= 0x80;
	cry_mgcm_open(mgr, ops, 5);
	for (i = 0; i < 5; i++) {
		CU_ASSERT(ops[i].status == (i == 3 ? -EBADMSG : 0));
		if (i != 3)
			CU_ASSERT(memcmp(buf[i], pt, (size_t)pl) == 0);
	}
}

bool
gcm_kat_at(enum gcm_kat_set set, size_t i, struct gcm_kat *k)
{
	memset(k, 0, sizeof(*k));
	if (set == GCM_KAT_SPEC) {
		const struct vec_gcm *v;

		if (i >= sizeof(vec_gcm_spec) / sizeof(vec_gcm_spec[0]))
			return false;
		v = &vec_gcm_spec[i];
		snprintf(k->name, sizeof(k->name), "%s", v->name);
		k->key = v->key, k->pt = v->pt, k->ct = v->ct, k->tag = v->tag;
		CU_ASSERT_FATAL(hex2bin(v->iv, k->nonce, 12) == 12);
		k->aad_len = hex2bin(v->aad, k->aad, sizeof(k->aad));
		CU_ASSERT_FATAL(k->aad_len >= 0);
	} else {
		const struct vec_esp_gcm *v;

		if (i >= sizeof(vec_esp_mcgrew) / sizeof(vec_esp_mcgrew[0]))
			return false;
		v = &vec_esp_mcgrew[i];
		snprintf(k->name, sizeof(k->name), "mcgrew pkt%zu", i + 1);
		k->key = v->key, k->pt = v->pt, k->ct = v->ct, k->tag = v->tag;
		CU_ASSERT_FATAL(hex2bin(v->salt, k->nonce, 4) == 4);
		CU_ASSERT_FATAL(hex2bin(v->iv, k->nonce + 4, 8) == 8);
		k->aad_len = hex2bin(v->aad, k->aad, 12);
		CU_ASSERT_FATAL(k->aad_len == 8 || k->aad_len == 12);
	}
	return true;
}

static void
test_mgcm_vectors(void)
{
	static const enum gcm_kat_set sets[] = { GCM_KAT_SPEC, GCM_KAT_MCGREW };
	struct gcm_kat k;
	size_t s, i;
	unsigned n = 0;

	for (s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		for (i = 0; gcm_kat_at(sets[s], i, &k); i++) {
			if (k.aad_len > CRY_MGCM_MAX_AAD)
				continue;	/* the engine is for ESP: AAD 8 or 12 */
			kat(k.name, k.key, k.nonce, k.aad, k.aad_len, k.pt, k.ct, k.tag);
			n++;
		}
	}
	CU_ASSERT(n >= 14);
}

struct dcase {
	uint8_t nonce[12];
	uint8_t aad[12];
	uint8_t tag[16], ref_tag[16];
	uint8_t buf[MAXLEN], ref[MAXLEN], pt[MAXLEN];
};

static struct dcase dc[LANES];

static uint32_t
rnd_len(void)
{
	uint64_t r = rnd();

	/* half uniform over 0..2048, half over the small sizes it serves */
	return (uint32_t)(r & 1 ? (r >> 8) % (MAXLEN + 1) : (r >> 8) % 257);
}

static void
test_mgcm_differential(void)
{
	const char *e = getenv("MGCM_DIFF_CASES");
	unsigned long total = e != NULL ? strtoul(e, NULL, 10) : 1000000ul, done = 0, bad = 0;
	struct cry_mgcm_op ops[LANES];
	unsigned i, n, round = 0;

	for (i = 0; i < NKEYS; i++)
		rekey(i);
	while (done < total) {
		/* 4..16 packets per call, keys drawn from the pool (mixed
		 * lengths and SAs in one call) */
		n = 4 + (unsigned)(rnd() % 13);
		if ((round++ & 63) == 0)
			rekey((unsigned)(rnd() % NKEYS));
		for (i = 0; i < n; i++) {
			struct dcase *c = &dc[i];
			struct cry_gcm_key *k = &keys[rnd() % NKEYS];
			uint32_t len = rnd_len();
			uint8_t al = rnd() & 1 ? 12 : 8;

			rnd_fill(c->nonce, 12);
			rnd_fill(c->aad, 12);
			rnd_fill(c->pt, len);
			memcpy(c->buf, c->pt, len);
			memcpy(c->ref, c->pt, len);
			cry_gcm_seal(mgr, k, c->nonce, c->aad, al, c->ref, len, c->ref_tag);
			ops[i] = (struct cry_mgcm_op){ .key = k, .iv = c->nonce, .aad = c->aad,
						       .data = c->buf, .tag = c->tag,
						       .len = len, .aad_len = al };
		}
		cry_mgcm_seal(mgr, ops, n);
		for (i = 0; i < n; i++) {
			struct dcase *c = &dc[i];

			if (memcmp(c->buf, c->ref, ops[i].len) != 0 ||
			    memcmp(c->tag, c->ref_tag, 16) != 0) {
				if (bad++ < 5)
					fprintf(stderr, "mgcm diff: seal mismatch len %u aad %u "
						"key %u\n", ops[i].len, ops[i].aad_len,
						ops[i].key->key_len);
			}
		}
		/* open what was sealed; every 8th round corrupt one bit of one
		 * packet (tag, AAD or ciphertext) */
		{
			unsigned victim = (round & 7) == 0 ? (unsigned)(rnd() % n) : LANES;

			if (victim < LANES) {
				struct dcase *c = &dc[victim];
				uint32_t len = ops[victim].len;
				uint64_t r = rnd();
				unsigned where = (unsigned)(r % 3);

				if (where == 2 && len == 0)
					where = 0;
				if (where == 0)
					c->tag[(r >> 8) % 16] ^= (uint8_t)(1u << ((r >> 16) & 7));
				else if (where == 1)
					c->aad[(r >> 8) % ops[victim].aad_len] ^=
						(uint8_t)(1u << ((r >> 16) & 7));
				else
					c->buf[(r >> 8) % len] ^= (uint8_t)(1u << ((r >> 16) & 7));
			}
			cry_mgcm_open(mgr, ops, n);
			for (i = 0; i < n; i++) {
				int want = i == victim ? -EBADMSG : 0;

				if (ops[i].status != want ||
				    (want == 0 && memcmp(dc[i].buf, dc[i].pt, ops[i].len) != 0)) {
					if (bad++ < 5)
						fprintf(stderr, "mgcm diff: open wrong, len %u "
							"victim %d\n", ops[i].len, i == victim);
				}
			}
		}
		done += n;
	}
	printf("\n  mgcm differential (%s kernel): %lu cases, %lu mismatches\n",
	       cry_mgcm_isa() == CRY_MGCM_ISA_AVX2 ? "avx2" : "avx512", done, bad);
	CU_ASSERT(bad == 0);
	for (i = 0; i < NKEYS; i++)
		cry_wipe(&keys[i], sizeof(keys[i]));
}

/* Every single-bit flip of tag, AAD, nonce and a 70-byte ciphertext fails. */
static void
test_mgcm_every_bit_flip(void)
{
	static struct cry_gcm_key k __attribute__((aligned(64)));
	uint8_t key[16] = { 1, 2, 3 }, nonce[12] = { 9 }, aad[12] = { 7 }, pt[70], ct[70];
	uint8_t tag[16], buf[4][70], tg[4][16], nn[4][12], ad[4][12];
	struct cry_mgcm_op ops[4];
	unsigned total = (16 + 12 + 12 + 70) * 8, bit, i, fails = 0;

	memset(pt, 0x5a, sizeof(pt));
	CU_ASSERT_FATAL(cry_gcm_key_init(mgr, &k, key, 16) == 0);
	memcpy(ct, pt, sizeof(ct));
	cry_gcm_seal(mgr, &k, nonce, aad, 12, ct, sizeof(ct), tag);
	for (bit = 0; bit < total; bit += 4) {
		for (i = 0; i < 4; i++) {
			unsigned b = bit + i, byte = b / 8;
			uint8_t m = (uint8_t)(1u << (b % 8));

			memcpy(buf[i], ct, sizeof(ct));
			memcpy(tg[i], tag, 16);
			memcpy(nn[i], nonce, 12);
			memcpy(ad[i], aad, 12);
			if (byte < 16)
				tg[i][byte] ^= m;
			else if (byte < 28)
				ad[i][byte - 16] ^= m;
			else if (byte < 40)
				nn[i][byte - 28] ^= m;
			else
				buf[i][byte - 40] ^= m;
			ops[i] = (struct cry_mgcm_op){ .key = &k, .iv = nn[i], .aad = ad[i],
						       .data = buf[i], .tag = tg[i],
						       .len = sizeof(ct), .aad_len = 12 };
		}
		cry_mgcm_open(mgr, ops, 4);
		for (i = 0; i < 4; i++)
			fails += ops[i].status == -EBADMSG;
	}
	CU_ASSERT(fails == total);
	/* and the untouched packet opens */
	memcpy(buf[0], ct, sizeof(ct));
	ops[0] = (struct cry_mgcm_op){ .key = &k, .iv = nonce, .aad = aad, .data = buf[0],
				       .tag = tag, .len = sizeof(ct), .aad_len = 12 };
	for (i = 1; i < 4; i++)
		ops[i] = ops[0], ops[i].data = buf[i], memcpy(buf[i], ct, sizeof(ct));
	cry_mgcm_open(mgr, ops, 4);
	for (i = 0; i < 4; i++) {
		CU_ASSERT(ops[i].status == 0);
		CU_ASSERT(memcmp(buf[i], pt, sizeof(pt)) == 0);
	}
}

/* Run @fn with kernel @k, then put back the kernel chosen at start. */
static enum cry_mgcm_isa start_isa;

static void
with_kernel(enum cry_mgcm_isa k, const char *kname, void (*fn)(void))
{
	if (!cry_mgcm_isa_supported(k)) {
		printf("\n  mgcm: no %s kernel on this CPU, skipped\n", kname);
		return;
	}
	CU_ASSERT_FATAL(cry_mgcm_set_isa(k) == 0);
	CU_ASSERT_FATAL(cry_mgcm_isa() == k);
	fn();
	CU_ASSERT_FATAL(cry_mgcm_set_isa(start_isa) == 0);
}

#define PER_KERNEL(test, k, kname)                                                                 \
	static void test##_##kname(void)                                                           \
	{                                                                                          \
		with_kernel(k, #kname, test);                                                      \
	}
PER_KERNEL(test_mgcm_vectors, CRY_MGCM_ISA_AVX512, avx512)
PER_KERNEL(test_mgcm_vectors, CRY_MGCM_ISA_AVX2, avx2)
PER_KERNEL(test_mgcm_every_bit_flip, CRY_MGCM_ISA_AVX512, avx512)
PER_KERNEL(test_mgcm_every_bit_flip, CRY_MGCM_ISA_AVX2, avx2)
PER_KERNEL(test_mgcm_differential, CRY_MGCM_ISA_AVX512, avx512)
PER_KERNEL(test_mgcm_differential, CRY_MGCM_ISA_AVX2, avx2)

void
test_mgcm_register(CU_pSuite s, IMB_MGR *m)
{
	mgr = m;
	cry_mgcm_init();
	start_isa = cry_mgcm_isa();
	printf("mgcm engine isa: %d (avx512 %s, avx2 %s)\n", (int)start_isa,
	       cry_mgcm_isa_supported(CRY_MGCM_ISA_AVX512) ? "yes" : "no",
	       cry_mgcm_isa_supported(CRY_MGCM_ISA_AVX2) ? "yes" : "no");
	CU_add_test(s, "mgcm_vectors_avx512", test_mgcm_vectors_avx512);
	CU_add_test(s, "mgcm_vectors_avx2", test_mgcm_vectors_avx2);
	CU_add_test(s, "mgcm_every_bit_flip_fails_avx512", test_mgcm_every_bit_flip_avx512);
	CU_add_test(s, "mgcm_every_bit_flip_fails_avx2", test_mgcm_every_bit_flip_avx2);
	CU_add_test(s, "mgcm_differential_vs_ipsecmb_avx512", test_mgcm_differential_avx512);
	CU_add_test(s, "mgcm_differential_vs_ipsecmb_avx2", test_mgcm_differential_avx2);
}
