/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUnit tests of lib/crypto: AES-GCM known answers (GCM spec, RFC 4106 ESP
 * packets of draft-mcgrew-gcm-test-01) incl. corrupted tags, AAD and
 * ciphertext; HMAC-SHA2 (RFC 4231, truncated per RFC 4868) and AES-CBC
 * (RFC 3602); CBC + HMAC bursts against a per-job reference; the CBC IV
 * generator.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "test_main.h"
#include "crypto/cry.h"
#include "../vectors/aes_cbc_rfc3602.h"
#include "../vectors/hmac_rfc4231.h"
#include "test_hex.h"
#include "test_crypto_mgcm.h"

static IMB_MGR *mgr;

static struct cry_gcm_key gk __attribute__((aligned(64)));
static struct cry_cbc_key ck __attribute__((aligned(64)));

/* Seal and open one vector; also checks that every kind of corruption fails. */
static void
gcm_case(const char *name, const char *khex, const uint8_t nonce[12], const uint8_t *aad,
	 int aadl, const char *pthex, const char *cthex, const char *taghex)
{
	uint8_t key[32], pt[256], ct[256], tag[16], buf[256], out[16];
	int kl = hex2bin(khex, key, sizeof(key));
	int pl = hex2bin(pthex, pt, sizeof(pt));
	int cl = hex2bin(cthex, ct, sizeof(ct));
	uint8_t aad2[32];

	CU_ASSERT_FATAL(kl > 0 && pl >= 0 && cl == pl);
	CU_ASSERT_FATAL(hex2bin(taghex, tag, sizeof(tag)) == 16);
	CU_ASSERT_FATAL(cry_gcm_key_init(mgr, &gk, key, (unsigned)kl) == 0);
	memcpy(buf, pt, (size_t)pl);
	cry_gcm_seal(mgr, &gk, nonce, aad, (unsigned)aadl, buf, (uint64_t)pl, out);
	if (memcmp(buf, ct, (size_t)pl) != 0 || memcmp(out, tag, 16) != 0)
		fprintf(stderr, "gcm %s: seal mismatch\n", name);
	CU_ASSERT(memcmp(buf, ct, (size_t)pl) == 0);
	CU_ASSERT(memcmp(out, tag, 16) == 0);
	CU_ASSERT(cry_gcm_open(mgr, &gk, nonce, aad, (unsigned)aadl, buf, (uint64_t)pl, tag) == 0);
	CU_ASSERT(memcmp(buf, pt, (size_t)pl) == 0);
	/* invalid tag: last bit flipped */
	memcpy(buf, ct, (size_t)pl);
	out[0] = tag[0];
	memcpy(out, tag, 16);
	out[15] ^= 1;
	CU_ASSERT(cry_gcm_open(mgr, &gk, nonce, aad, (unsigned)aadl, buf, (uint64_t)pl, out) ==
		  -EBADMSG);
	/* ciphertext bit flipped */
	if (pl > 0) {
		memcpy(buf, ct, (size_t)pl);
		buf[pl / 2] ^= 0x80;
		CU_ASSERT(cry_gcm_open(mgr, &gk, nonce, aad, (unsigned)aadl, buf, (uint64_t)pl,
				       tag) == -EBADMSG);
	}
	/* AAD changed */
	if (aadl > 0) {
		memcpy(aad2, aad, (size_t)aadl);
		aad2[0] ^= 1;
		memcpy(buf, ct, (size_t)pl);
		CU_ASSERT(cry_gcm_open(mgr, &gk, nonce, aad2, (unsigned)aadl, buf, (uint64_t)pl,
				       tag) == -EBADMSG);
	}
}

/* Every known answer of @set through gcm_case. */
static void
gcm_kats(enum gcm_kat_set set)
{
	struct gcm_kat k;
	size_t i;

	for (i = 0; gcm_kat_at(set, i, &k); i++)
		gcm_case(k.name, k.key, k.nonce, k.aad, k.aad_len, k.pt, k.ct, k.tag);
}

static void
test_gcm_spec(void)
{
	gcm_kats(GCM_KAT_SPEC);
}

static void
test_gcm_esp_mcgrew(void)
{
	gcm_kats(GCM_KAT_MCGREW);
}

static void
test_gcm_bad_key_len(void)
{
	uint8_t key[32] = { 0 };

	CU_ASSERT(cry_gcm_key_init(mgr, &gk, key, 20) == -EINVAL);
	CU_ASSERT(cry_gcm_key_init(mgr, &gk, key, 0) == -EINVAL);
}

static void
test_hmac_rfc4231(void)
{
	static const unsigned alg[3] = { CRY_HMAC_SHA256_128, CRY_HMAC_SHA384_192,
					 CRY_HMAC_SHA512_256 };
	static const uint8_t ivk[16];
	size_t i, a;

	for (i = 0; i < sizeof(vec_hmac_rfc4231) / sizeof(vec_hmac_rfc4231[0]); i++) {
		const struct vec_hmac *v = &vec_hmac_rfc4231[i];
		const char *exp[3] = { v->sha256, v->sha384, v->sha512 };
		uint8_t key[200], data[200], want[64], got[64];
		int kl = hex2bin(v->key, key, sizeof(key));
		int dl = hex2bin(v->data, data, sizeof(data));

		CU_ASSERT_FATAL(kl > 0 && dl > 0);
		for (a = 0; a < 3; a++) {
			CU_ASSERT_FATAL(hex2bin(exp[a], want, sizeof(want)) > 0);
			CU_ASSERT_FATAL(cry_cbc_key_init(mgr, &ck, NULL, 0, alg[a], key,
							 (unsigned)kl, ivk) == 0);
			memset(got, 0, sizeof(got));
			CU_ASSERT(cry_hmac(mgr, &ck, data, (unsigned)dl, got) == 0);
			if (memcmp(got, want, ck.icv_len) != 0)
				fprintf(stderr, "hmac case %zu alg %u mismatch\n", i, alg[a]);
			CU_ASSERT(memcmp(got, want, ck.icv_len) == 0);
			CU_ASSERT(ck.icv_len == (a == 0 ? 16 : a == 1 ? 24 : 32));
		}
	}
}

static void
test_cbc_rfc3602(void)
{
	static const uint8_t ivk[16];
	size_t i;

	for (i = 0; i < sizeof(vec_cbc_rfc3602) / sizeof(vec_cbc_rfc3602[0]); i++) {
		const struct vec_cbc *v = &vec_cbc_rfc3602[i];
		uint8_t key[16], iv[16], pt[64], ct[64], buf[64], tag[32], tag2[32];
		int pl;
		struct cry_cbc_op op;

		CU_ASSERT_FATAL(hex2bin(v->key, key, 16) == 16);
		CU_ASSERT_FATAL(hex2bin(v->iv, iv, 16) == 16);
		pl = hex2bin(v->pt, pt, sizeof(pt));
		CU_ASSERT_FATAL(pl > 0 && hex2bin(v->ct, ct, sizeof(ct)) == pl);
		CU_ASSERT_FATAL(cry_cbc_key_init(mgr, &ck, key, 16, CRY_HMAC_SHA256_128,
						 (const uint8_t *)"k", 1, ivk) == 0);
		memcpy(buf, pt, (size_t)pl);
		memset(&op, 0, sizeof(op));
		op.buf = buf;
		op.iv = iv;
		op.tag = tag;
		op.key = &ck;
		op.cipher_len = (uint32_t)pl;
		op.hash_len = (uint32_t)pl;
		cry_cbc_burst(mgr, &op, 1, true);
		CU_ASSERT(op.status == 0);
		CU_ASSERT(memcmp(buf, ct, (size_t)pl) == 0);
		/* the tag is HMAC over the ciphertext: same as HMAC-only */
		CU_ASSERT(cry_hmac(mgr, &ck, ct, (unsigned)pl, tag2) == 0);
		CU_ASSERT(memcmp(tag, tag2, 16) == 0);
		op.tag = tag2;
		cry_cbc_burst(mgr, &op, 1, false);
		CU_ASSERT(op.status == 0);
		CU_ASSERT(memcmp(buf, pt, (size_t)pl) == 0);
		CU_ASSERT(memcmp(tag, tag2, 16) == 0);
	}
}

/* @op for an ESP-like packet in @buf: 24 bytes (header, IV) before the
 * @clen cipher bytes, @hlen bytes authenticated from @buf. */
static void
cbc_op_set(struct cry_cbc_op *op, uint8_t *buf, const uint8_t *iv, uint8_t *tag,
	   const struct cry_cbc_key *k, uint32_t clen, uint32_t hlen)
{
	memset(op, 0, sizeof(*op));
	op->buf = buf;
	op->iv = iv;
	op->tag = tag;
	op->key = k;
	op->cipher_off = 24;
	op->cipher_len = clen;
	op->hash_len = hlen;
}

/* Many CBC jobs in one burst, mixed lengths: everything completes, round trip holds. */
static void
test_cbc_burst_drain(void)
{
	enum { N = 64 };
	static uint8_t buf[N][512], ref[N][512];
	static uint8_t tag[N][32], tag2[N][32], iv[N][16];
	struct cry_cbc_op ops[N];
	uint8_t key[32], ikey[64];
	static const uint8_t ivk[16] = { 9 };
	unsigned i, j;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 7);
	for (i = 0; i < sizeof(ikey); i++)
		ikey[i] = (uint8_t)(i * 3);
	CU_ASSERT_FATAL(cry_cbc_key_init(mgr, &ck, key, 32, CRY_HMAC_SHA512_256, ikey, 64, ivk) ==
			0);
	for (i = 0; i < N; i++) {
		uint32_t clen = 16 * (1 + i % 28);

		for (j = 0; j < 512; j++)
			ref[i][j] = buf[i][j] = (uint8_t)(i + j);
		cry_cbc_iv_gen(mgr, &ck, i + 1, iv[i]);
		cbc_op_set(&ops[i], buf[i], iv[i], tag[i], &ck, clen, 24 + clen);
	}
	cry_cbc_burst(mgr, ops, N, true);
	for (i = 0; i < N; i++) {
		CU_ASSERT(ops[i].status == 0);
		CU_ASSERT(memcmp(buf[i] + 24, ref[i] + 24, 16) != 0);
		ops[i].tag = tag2[i];
	}
	CU_ASSERT(IMB_QUEUE_SIZE(mgr) == 0);
	cry_cbc_burst(mgr, ops, N, false);
	for (i = 0; i < N; i++) {
		CU_ASSERT(ops[i].status == 0);
		CU_ASSERT(memcmp(buf[i], ref[i], 512) == 0);
		CU_ASSERT(cry_memeq_ct(tag[i], tag2[i], 32));
	}
	CU_ASSERT(IMB_QUEUE_SIZE(mgr) == 0);
}

/*
 * Reference for one CBC + HMAC operation: one chained job through the
 * validating IMB_SUBMIT_JOB, written here independently of lib/crypto.
 */
static int
cbc_ref(const struct cry_cbc_op *op, bool enc)
{
	static const IMB_HASH_ALG ha[3] = { IMB_AUTH_HMAC_SHA_256, IMB_AUTH_HMAC_SHA_384,
					    IMB_AUTH_HMAC_SHA_512 };
	const struct cry_cbc_key *k = op->key;
	IMB_JOB *job = IMB_GET_NEXT_JOB(mgr);
	int st = -1;

	job->cipher_mode = IMB_CIPHER_CBC;
	job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->enc_keys = k->enc_exp;
	job->dec_keys = k->dec_exp;
	job->key_len_in_bytes = k->key_len;
	job->src = op->buf;
	job->dst = op->buf + op->cipher_off;
	job->cipher_start_src_offset_in_bytes = op->cipher_off;
	job->msg_len_to_cipher_in_bytes = op->cipher_len;
	job->iv = op->iv;
	job->iv_len_in_bytes = 16;
	job->hash_alg = ha[k->hmac - CRY_HMAC_SHA256_128];
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->hash_len;
	job->u.HMAC._hashed_auth_key_xor_ipad = k->ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = k->opad;
	job->auth_tag_output = op->tag;
	job->auth_tag_output_len_in_bytes = k->icv_len;
	job = IMB_SUBMIT_JOB(mgr);
	while (job != NULL) {
		st = job->status == IMB_STATUS_COMPLETED ? 0 : -1;
		job = IMB_GET_COMPLETED_JOB(mgr);
	}
	while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
		st = job->status == IMB_STATUS_COMPLETED ? 0 : -1;
	return st;
}

static uint64_t
xs64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * cry_cbc_burst against the per-operation reference: AES-128/256 x
 * HMAC-SHA-256/384/512, bursts of 1..CRY_MAX_BURST with a different key per
 * operation, random lengths (16..1504 cipher bytes), ESN-style hash tails,
 * encrypt then decrypt; bursts that mix key sizes or flavours; and a burst
 * with one operation of a partial block (that one fails, the rest do not).
 */
static void
test_cbc_burst_differential(void)
{
	enum { N = CRY_MAX_BURST, NK = 5, BL = 1600 };
	static struct cry_cbc_key keys[2][3][NK] __attribute__((aligned(64)));
	static uint8_t buf[N][BL], ref[N][BL], tag[N][32], rtag[N][32], iv[N][16];
	static const unsigned burst_n[] = { 1, 2, 7, 16, 31, 32, 33, N };
	struct cry_cbc_op ops[N], rops[N];
	uint64_t rs = 0x9e3779b97f4a7c15ull;
	unsigned kl, h, i, j, e, mismatch = 0, fails = 0;

	for (kl = 0; kl < 2; kl++)
		for (h = 0; h < 3; h++)
			for (i = 0; i < NK; i++) {
				uint8_t key[32], ikey[64], ivk[16];

				for (j = 0; j < 32; j++)
					key[j] = (uint8_t)xs64(&rs);
				for (j = 0; j < 64; j++)
					ikey[j] = (uint8_t)xs64(&rs);
				for (j = 0; j < 16; j++)
					ivk[j] = (uint8_t)xs64(&rs);
				CU_ASSERT_FATAL(cry_cbc_key_init(mgr, &keys[kl][h][i], key, 16 + 16 * kl,
								 CRY_HMAC_SHA256_128 + h, ikey,
								 32 + 32 * (h > 0), ivk) == 0);
			}
	/* mixed = 0: one key size and flavour per burst; 1: mixed */
	for (e = 0; e < 2 * 2 * 3 * (sizeof(burst_n) / sizeof(burst_n[0])); e++) {
		unsigned mixed = e & 1, rest = e >> 1, n;

		kl = rest % 2;
		h = (rest / 2) % 3;
		n = burst_n[rest / 6];
		for (i = 0; i < n; i++) {
			unsigned kk = mixed ? (unsigned)(xs64(&rs) % 2) : kl;
			unsigned hh = mixed ? (unsigned)(xs64(&rs) % 3) : h;
			unsigned clen = 16 * (1 + (unsigned)(xs64(&rs) % 94)), extra;
			const struct cry_cbc_key *k;

			for (j = 0; j < BL; j++)
				ref[i][j] = buf[i][j] = (uint8_t)xs64(&rs);
			for (j = 0; j < 16; j++)
				iv[i][j] = (uint8_t)xs64(&rs);
			k = &keys[kk][hh][xs64(&rs) % NK];
			extra = xs64(&rs) % 2 ? 4 : 0;	/* after the key: same draws */
			cbc_op_set(&ops[i], buf[i], iv[i], tag[i], k, clen, 24 + clen + extra);
			rops[i] = ops[i];
			rops[i].buf = ref[i];
			rops[i].tag = rtag[i];
		}
		for (j = 0; j < 2; j++) {
			bool enc = j == 0;

			memset(tag, 0, sizeof(tag));
			memset(rtag, 0xff, sizeof(rtag));
			cry_cbc_burst(mgr, ops, n, enc);
			for (i = 0; i < n; i++) {
				fails += ops[i].status != 0;
				fails += cbc_ref(&rops[i], enc) != 0;
				mismatch += memcmp(buf[i], ref[i], BL) != 0;
				mismatch += memcmp(tag[i], rtag[i], ops[i].key->icv_len) != 0;
			}
			CU_ASSERT(IMB_QUEUE_SIZE(mgr) == 0);
		}
	}
	CU_ASSERT(fails == 0);
	CU_ASSERT(mismatch == 0);
	/* a partial block in the middle of a uniform burst: only it fails */
	for (i = 0; i < 8; i++) {
		cbc_op_set(&ops[i], buf[i], iv[i], tag[i], &keys[0][0][0], i == 3 ? 15 : 64,
			   24 + 64);
	}
	for (j = 0; j < 2; j++) {
		cry_cbc_burst(mgr, ops, 8, j == 0);
		for (i = 0; i < 8; i++)
			CU_ASSERT(ops[i].status == (i == 3 ? -EIO : 0));
		CU_ASSERT(IMB_QUEUE_SIZE(mgr) == 0);
	}
}

/*
 * The fast paths are taken: a uniform CBC + HMAC burst goes through the
 * cipher and hash burst calls and the CBC IVs through AES-NI, neither
 * through the job manager (whose validation and scheduling cost ~70 cycles
 * per 64 B packet, perf/FINDINGS.md section 6): the manager's next job slot
 * does not move. A burst that mixes HMAC flavours does use the job manager.
 */
static void
test_cbc_fast_paths(void)
{
	enum { N = 32 };
	static struct cry_cbc_key k2 __attribute__((aligned(64)));
	static uint8_t buf[N][256], tag[N][32], iv[N][16];
	static const uint8_t ivk[16] = { 7 };
	struct cry_cbc_op ops[N];
	uint64_t ctr[N];
	uint8_t *ivs[N], key[16] = { 1 }, ikey[32] = { 2 };
	IMB_JOB *before;
	unsigned i;
	bool aesni = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");

	CU_ASSERT_FATAL(cry_cbc_key_init(mgr, &ck, key, 16, CRY_HMAC_SHA256_128, ikey, 32, ivk) ==
			0);
	CU_ASSERT_FATAL(cry_cbc_key_init(mgr, &k2, key, 16, CRY_HMAC_SHA512_256, ikey, 32, ivk) ==
			0);
	for (i = 0; i < N; i++) {
		cbc_op_set(&ops[i], buf[i], iv[i], tag[i], &ck, 48, 72);
		ctr[i] = i + 1;
		ivs[i] = iv[i];
	}
	before = IMB_GET_NEXT_JOB(mgr);
	cry_cbc_burst(mgr, ops, N, true);
	cry_cbc_burst(mgr, ops, N, false);
	for (i = 0; i < N; i++)
		CU_ASSERT(ops[i].status == 0);
	CU_ASSERT(IMB_GET_NEXT_JOB(mgr) == before);
	if (aesni) {
		cry_cbc_iv_gen_n(mgr, &ck, ctr, N, ivs);
		CU_ASSERT(IMB_GET_NEXT_JOB(mgr) == before);
	} else {
		printf("\n  (no AES-NI on this CPU: IV path not checked)\n");
	}
	ops[5].key = &k2;		/* mixed flavours: the job path */
	cry_cbc_burst(mgr, ops, N, true);
	CU_ASSERT(IMB_GET_NEXT_JOB(mgr) != before);
	CU_ASSERT(IMB_QUEUE_SIZE(mgr) == 0);
}

static void
test_cbc_iv_gen(void)
{
	static const uint8_t ivk1[16] = { 1 }, ivk2[16] = { 2 };
	uint8_t a[16], b[16], c[16];

	CU_ASSERT_FATAL(cry_cbc_key_init(mgr, &ck, NULL, 0, CRY_HMAC_SHA256_128,
					 (const uint8_t *)"k", 1, ivk1) == 0);
	cry_cbc_iv_gen(mgr, &ck, 1, a);
	cry_cbc_iv_gen(mgr, &ck, 2, b);
	cry_cbc_iv_gen(mgr, &ck, 1, c);
	CU_ASSERT(memcmp(a, b, 16) != 0);
	CU_ASSERT(memcmp(a, c, 16) == 0);
	CU_ASSERT_FATAL(cry_cbc_key_init(mgr, &ck, NULL, 0, CRY_HMAC_SHA256_128,
					 (const uint8_t *)"k", 1, ivk2) == 0);
	cry_cbc_iv_gen(mgr, &ck, 1, c);
	CU_ASSERT(memcmp(a, c, 16) != 0);
}

/* The multi-block generator gives exactly the per-counter IVs. */
static void
test_cbc_iv_gen_n(void)
{
	static const uint8_t ivk[16] = { 3, 1, 4, 1, 5, 9 };
	static const unsigned ns[] = { 1, 2, 3, 31, CRY_MAX_BURST };
	uint8_t out[CRY_MAX_BURST][16], ref[16];
	uint8_t *ivs[CRY_MAX_BURST];
	uint64_t ctr[CRY_MAX_BURST];
	unsigned t, i;

	CU_ASSERT_FATAL(cry_cbc_key_init(mgr, &ck, NULL, 0, CRY_HMAC_SHA256_128,
					 (const uint8_t *)"k", 1, ivk) == 0);
	for (t = 0; t < sizeof(ns) / sizeof(ns[0]); t++) {
		for (i = 0; i < ns[t]; i++) {
			ctr[i] = (i & 1) ? 0xfffffffeull + i : (uint64_t)t << 40 | (i * 7 + 1);
			ivs[i] = out[i];
		}
		memset(out, 0, sizeof(out));
		cry_cbc_iv_gen_n(mgr, &ck, ctr, ns[t], ivs);
		for (i = 0; i < ns[t]; i++) {
			cry_cbc_iv_gen(mgr, &ck, ctr[i], ref);
			CU_ASSERT(memcmp(out[i], ref, 16) == 0);
		}
		CU_ASSERT(IMB_QUEUE_SIZE(mgr) == 0);
	}
}

static void
test_memeq_ct(void)
{
	uint8_t a[16] = { 1, 2, 3 }, b[16] = { 1, 2, 3 };

	CU_ASSERT(cry_memeq_ct(a, b, 16));
	b[15] = 1;
	CU_ASSERT(!cry_memeq_ct(a, b, 16));
	CU_ASSERT(cry_memeq_ct(a, b, 0));
}

/* cry_icv_eq_ct: any single flipped bit in any word of a 16/24/32-byte ICV. */
static void
test_icv_eq_ct(void)
{
	static const size_t ns[] = { 16, 24, 32 };
	uint8_t a[32], b[32];
	unsigned t, i, bit, miss = 0;

	for (i = 0; i < 32; i++)
		a[i] = (uint8_t)(i * 37 + 5);
	for (t = 0; t < 3; t++) {
		memcpy(b, a, 32);
		CU_ASSERT(cry_icv_eq_ct(a, b, ns[t]));
		for (i = 0; i < ns[t]; i++)
			for (bit = 0; bit < 8; bit++) {
				b[i] ^= (uint8_t)(1u << bit);
				miss += cry_icv_eq_ct(a, b, ns[t]);
				b[i] ^= (uint8_t)(1u << bit);
			}
		b[(ns[t] - 1) & 31] ^= 0x80;
		b[0] ^= 1;
		CU_ASSERT(!cry_icv_eq_ct(a, b, ns[t]));
	}
	CU_ASSERT(miss == 0);
	b[31] ^= 1;		/* beyond n: not compared */
	memcpy(b, a, 16);
	CU_ASSERT(cry_icv_eq_ct(a, b, 16));
}

static const struct tu_test tests[] = {
	{ "gcm_spec_vectors", test_gcm_spec },
	{ "gcm_esp_mcgrew_packets", test_gcm_esp_mcgrew },
	{ "gcm_bad_key_len", test_gcm_bad_key_len },
	{ "hmac_sha2_rfc4231_truncated", test_hmac_rfc4231 },
	{ "aes_cbc_rfc3602", test_cbc_rfc3602 },
	{ "cbc_burst_drains_all_jobs", test_cbc_burst_drain },
	{ "cbc_burst_matches_per_job_reference", test_cbc_burst_differential },
	{ "cbc_fast_paths_bypass_job_manager", test_cbc_fast_paths },
	{ "cbc_iv_generator", test_cbc_iv_gen },
	{ "cbc_iv_generator_multi_block", test_cbc_iv_gen_n },
	{ "memeq_constant_time", test_memeq_ct },
	{ "icv_eq_constant_time", test_icv_eq_ct },
};

int
main(void)
{
	CU_pSuite s;
	unsigned fails;

	mgr = cry_mgr_create();
	if (mgr == NULL)
		return 1;
	s = tu_suite_tab("crypto", NULL, NULL, tests, TU_N(tests));
	test_mgcm_register(s, mgr);
	fails = tu_run();
	cry_mgr_destroy(mgr);
	return fails != 0;
}
