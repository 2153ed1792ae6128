/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AVX-512 + VAES + VPCLMULQDQ kernel of the multi-packet AES-GCM engine
 * (cry_mgcm.h). Only this file is compiled for those instructions (the
 * pragma below); cry_mgcm.c calls it only when the CPU has them.
 *
 * Layout: lane l (0..15) of a round is packet l; register g (0..3) holds
 * lanes 4g..4g+3, one 128-bit lane each. Every step runs over all four
 * registers, so up to 16 independent AES / carry-less multiply chains are
 * in flight.
 *   - CTR: keystream block k of every lane is AES(K_l, J0_l + k); block 0
 *     is E(K, J0) for the tag. Payload bytes go through masked byte loads
 *     and stores (partial last block, packets of different lengths).
 *   - GHASH: each lane's sequence (AAD block, ciphertext blocks, length
 *     block) is right-aligned to a common length padded to a multiple of
 *     4 with leading zero blocks (which leave GHASH at zero), then folded
 *     4 blocks at a time with H^4..H^1 and one reduction per 4 blocks.
 *     Sealing hashes after encrypting, opening before decrypting (in place).
 * GF(2^128) arithmetic is on byte-reflected blocks (PSHUFB): 256-bit
 * carry-less product, shift left by one, reduction modulo
 * x^128 + x^7 + x^2 + x + 1 by shifts (Gueron and Kounavis, Intel's
 * carry-less multiplication white paper, algorithm 5).
 *
 * Constant time: AES only through VAESENC/VAESENCLAST, GHASH only through
 * VPCLMULQDQ and shifts; no table lookups, and every branch depends on
 * lengths, lane counts or key pointers only (public), never on key, data
 * or tag bytes. The tag compare ORs all differences before one test.
 */
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,vaes,vpclmulqdq,aes,pclmul,bmi2")

#include "crypto/cry_mgcm.h"

#include <errno.h>
#include <immintrin.h>
#include <string.h>

#include "crypto/cry_mgcm_priv.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

struct lane {
	uint8_t *data;
	const uint8_t *aad;
	uint32_t len;
	uint32_t nb;			/* payload blocks, last may be partial */
	__mmask16 aad_mask;
	__m128i lenblk;			/* len(A) || len(C) in bits, wire order */
};

static ALWAYS_INLINE __m512i
bswap_mask(void)
{
	return _mm512_broadcast_i32x4(_mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
						   14, 15));
}

static ALWAYS_INLINE __m512i
x4(__m128i a, __m128i b, __m128i c, __m128i d)
{
	__m512i z = _mm512_castsi128_si512(a);

	z = _mm512_inserti32x4(z, b, 1);
	z = _mm512_inserti32x4(z, c, 2);
	return _mm512_inserti32x4(z, d, 3);
}

static ALWAYS_INLINE __m512i
xor3(__m512i a, __m512i b, __m512i c)
{
	return _mm512_ternarylogic_epi64(a, b, c, 0x96);
}

/* Accumulate the unreduced product a * b into lo, mid, hi. */
static ALWAYS_INLINE void
clmul_acc(__m512i a, __m512i b, __m512i *lo, __m512i *mid, __m512i *hi)
{
	*lo = _mm512_xor_si512(*lo, _mm512_clmulepi64_epi128(a, b, 0x00));
	*hi = _mm512_xor_si512(*hi, _mm512_clmulepi64_epi128(a, b, 0x11));
	*mid = xor3(*mid, _mm512_clmulepi64_epi128(a, b, 0x10),
		    _mm512_clmulepi64_epi128(a, b, 0x01));
}

/* Reduce the reflected 256-bit product lo, mid, hi to 128 bits. */
static ALWAYS_INLINE __m512i
gf_reduce(__m512i lo, __m512i mid, __m512i hi)
{
	__m512i t7, t8, t9, t2;

	lo = _mm512_xor_si512(lo, _mm512_bslli_epi128(mid, 8));
	hi = _mm512_xor_si512(hi, _mm512_bsrli_epi128(mid, 8));
	/* shift the 256-bit value left by one */
	t7 = _mm512_srli_epi32(lo, 31);
	t8 = _mm512_srli_epi32(hi, 31);
	lo = _mm512_slli_epi32(lo, 1);
	hi = _mm512_slli_epi32(hi, 1);
	t9 = _mm512_bsrli_epi128(t7, 12);
	t8 = _mm512_bslli_epi128(t8, 4);
	t7 = _mm512_bslli_epi128(t7, 4);
	lo = _mm512_or_si512(lo, t7);
	hi = _mm512_ternarylogic_epi64(hi, t8, t9, 0xfe);	/* hi | t8 | t9 */
	/* reduce modulo x^128 + x^7 + x^2 + x + 1 */
	t7 = xor3(_mm512_slli_epi32(lo, 31), _mm512_slli_epi32(lo, 30),
		  _mm512_slli_epi32(lo, 25));
	t8 = _mm512_bsrli_epi128(t7, 4);
	t7 = _mm512_bslli_epi128(t7, 12);
	lo = _mm512_xor_si512(lo, t7);
	t2 = xor3(_mm512_srli_epi32(lo, 1), _mm512_srli_epi32(lo, 2),
		  _mm512_srli_epi32(lo, 7));
	t2 = _mm512_xor_si512(t2, t8);
	return xor3(hi, lo, t2);
}

static ALWAYS_INLINE __m512i
gf_mul(__m512i a, __m512i b)
{
	__m512i lo = _mm512_setzero_si512(), mid = lo, hi = lo;

	clmul_acc(a, b, &lo, &mid, &hi);
	return gf_reduce(lo, mid, hi);
}

static ALWAYS_INLINE unsigned
nrounds(unsigned key_len)
{
	return key_len == 16 ? 10 : key_len == 24 ? 12 : 14;
}

void
cry_mgcm_key_init_avx512(struct cry_gcm_key *k)
{
	const __m128i *rk = (const __m128i *)k->kd.expanded_keys;
	unsigned nr = nrounds(k->key_len), r;
	__m512i h, hp;
	__m128i x = _mm_setzero_si128();

	x = _mm_xor_si128(x, _mm_loadu_si128(&rk[0]));
	for (r = 1; r < nr; r++)
		x = _mm_aesenc_si128(x, _mm_loadu_si128(&rk[r]));
	x = _mm_aesenclast_si128(x, _mm_loadu_si128(&rk[nr]));
	h = _mm512_shuffle_epi8(_mm512_broadcast_i32x4(x), bswap_mask());
	hp = h;
	_mm_storeu_si128((__m128i *)k->hpow[0], _mm512_castsi512_si128(hp));
	for (r = 1; r < 4; r++) {
		hp = gf_mul(hp, h);
		_mm_storeu_si128((__m128i *)k->hpow[r], _mm512_castsi512_si128(hp));
	}
	_mm256_zeroall();
}

static ALWAYS_INLINE __mmask16
blk_mask(uint32_t len, uint32_t off)
{
	uint32_t rem = len - off;

	return rem >= 16 ? (__mmask16)0xffff : (__mmask16)_bzhi_u32(0xffff, rem);
}

/* Payload block j of lane @l (zero-masked past the end; none past nb). */
static ALWAYS_INLINE __m128i
data_blk(const struct lane *l, uint32_t j)
{
	if (j >= l->nb)
		return _mm_setzero_si128();
	return _mm_maskz_loadu_epi8(blk_mask(l->len, j * 16), l->data + j * 16);
}

/* GHASH input block j of lane @l's sequence AAD, C_0.., lengths (wire order). */
static ALWAYS_INLINE __m128i
gh_blk(const struct lane *l, int32_t j)
{
	if (j < 0)
		return _mm_setzero_si128();
	if (j == 0)
		return _mm_maskz_loadu_epi8(l->aad_mask, l->aad);
	if ((uint32_t)j <= l->nb)
		return _mm_maskz_loadu_epi8(blk_mask(l->len, (uint32_t)(j - 1) * 16),
					    l->data + (uint32_t)(j - 1) * 16);
	return l->lenblk;
}

static ALWAYS_INLINE __m512i
keys4(const struct cry_gcm_key *const *kp, unsigned r)
{
	if (kp[0] == kp[1] && kp[0] == kp[2] && kp[0] == kp[3])
		return _mm512_broadcast_i32x4(
			_mm_load_si128((const __m128i *)kp[0]->kd.expanded_keys + r));
	return x4(_mm_load_si128((const __m128i *)kp[0]->kd.expanded_keys + r),
		  _mm_load_si128((const __m128i *)kp[1]->kd.expanded_keys + r),
		  _mm_load_si128((const __m128i *)kp[2]->kd.expanded_keys + r),
		  _mm_load_si128((const __m128i *)kp[3]->kd.expanded_keys + r));
}

static ALWAYS_INLINE __m512i
hpow4(const struct cry_gcm_key *const *kp, unsigned e)
{
	if (kp[0] == kp[1] && kp[0] == kp[2] && kp[0] == kp[3])
		return _mm512_broadcast_i32x4(_mm_load_si128((const __m128i *)kp[0]->hpow[e]));
	return x4(_mm_load_si128((const __m128i *)kp[0]->hpow[e]),
		  _mm_load_si128((const __m128i *)kp[1]->hpow[e]),
		  _mm_load_si128((const __m128i *)kp[2]->hpow[e]),
		  _mm_load_si128((const __m128i *)kp[3]->hpow[e]));
}

/*
 * CTR pass over @G registers: keystream block 0 (E(K, J0)) into @ekj0,
 * blocks 1..maxnb XORed into the payloads in place.
 */
static ALWAYS_INLINE void
ctr_pass(struct lane *L, const unsigned G, const __m512i (*rk)[15], unsigned nr,
	 const __m512i *j0r, uint32_t maxnb, __m512i *ekj0)
{
	const __m512i bsw = bswap_mask();
	uint32_t k;
	unsigned g, r;

	for (k = 0; k <= maxnb; k++) {
		const __m512i inc = _mm512_maskz_set1_epi32(0x1111, (int)k);
		__m512i x[4];

		for (g = 0; g < G; g++)
			x[g] = _mm512_xor_si512(
				_mm512_shuffle_epi8(_mm512_add_epi32(j0r[g], inc), bsw), rk[g][0]);
		for (r = 1; r < nr; r++)
			for (g = 0; g < G; g++)
				x[g] = _mm512_aesenc_epi128(x[g], rk[g][r]);
		for (g = 0; g < G; g++)
			x[g] = _mm512_aesenclast_epi128(x[g], rk[g][nr]);
		if (k == 0) {
			for (g = 0; g < G; g++)
				ekj0[g] = x[g];
			continue;
		}
		for (g = 0; g < G; g++) {
			const struct lane *l = &L[4 * g];
			const uint32_t j = k - 1;
			__m512i d = x4(data_blk(&l[0], j), data_blk(&l[1], j), data_blk(&l[2], j),
				       data_blk(&l[3], j));

			d = _mm512_xor_si512(d, x[g]);
#define STORE_LANE(i)                                                                          \
	do {                                                                                   \
		if (j < l[i].nb)                                                               \
			_mm_mask_storeu_epi8(l[i].data + j * 16, blk_mask(l[i].len, j * 16),   \
					     _mm512_extracti32x4_epi32(d, i));                 \
	} while (0)
			STORE_LANE(0);
			STORE_LANE(1);
			STORE_LANE(2);
			STORE_LANE(3);
#undef STORE_LANE
		}
	}
}

/* GHASH of every lane's sequence, @steps (multiple of 4) right-aligned blocks. */
static ALWAYS_INLINE void
ghash_pass(const struct lane *L, const unsigned G, const __m512i (*hp)[4], uint32_t steps,
	   __m512i *xr)
{
	const __m512i bsw = bswap_mask();
	int32_t start[16];
	uint32_t s, q;
	unsigned g, i;

	for (i = 0; i < 4 * G; i++)
		start[i] = (int32_t)(steps - (L[i].nb + 2));
	for (g = 0; g < G; g++)
		xr[g] = _mm512_setzero_si512();
	for (s = 0; s < steps; s += 4) {
		__m512i lo[4], mid[4], hi[4];

		for (g = 0; g < G; g++) {
			lo[g] = _mm512_setzero_si512();
			mid[g] = lo[g];
			hi[g] = lo[g];
		}
		for (q = 0; q < 4; q++) {
			for (g = 0; g < G; g++) {
				const struct lane *l = &L[4 * g];
				const int32_t p = (int32_t)(s + q);
				__m512i b = x4(gh_blk(&l[0], p - start[4 * g]),
					       gh_blk(&l[1], p - start[4 * g + 1]),
					       gh_blk(&l[2], p - start[4 * g + 2]),
					       gh_blk(&l[3], p - start[4 * g + 3]));

				b = _mm512_shuffle_epi8(b, bsw);
				if (q == 0)
					b = _mm512_xor_si512(b, xr[g]);
				clmul_acc(b, hp[g][3 - q], &lo[g], &mid[g], &hi[g]);
			}
		}
		for (g = 0; g < G; g++)
			xr[g] = gf_reduce(lo[g], mid[g], hi[g]);
	}
}

/* One round of up to 4 * G packets, all with @nr rounds. */
static ALWAYS_INLINE void
run(struct cry_mgcm_op *ops, unsigned n, const unsigned G, unsigned nr, bool seal)
{
	const __m512i bsw = bswap_mask();
	struct lane L[16];
	const struct cry_gcm_key *kp[16];
	__m512i rk[4][15], hp[4][4], j0r[4], ekj0[4], xr[4];
	__m128i j0[16];
	uint32_t maxnb = 0, steps;
	unsigned i, g, r;

	for (i = 0; i < 4 * G; i++) {
		const struct cry_mgcm_op *o = &ops[i < n ? i : 0];
		struct lane *l = &L[i];

		kp[i] = o->key;
		l->data = o->data;
		l->aad = o->aad;
		l->len = i < n ? o->len : 0;
		l->nb = (l->len + 15) / 16;
		l->aad_mask = (__mmask16)_bzhi_u32(0xffff, o->aad_len);
		l->lenblk = _mm_set_epi64x((long long)__builtin_bswap64((uint64_t)l->len * 8),
					   (long long)__builtin_bswap64((uint64_t)o->aad_len * 8));
		/* J0 = nonce || 0x00000001 */
		j0[i] = _mm_mask_set1_epi8(_mm_maskz_loadu_epi8(0x0fff, o->iv), 0x8000, 1);
		if (l->nb > maxnb)
			maxnb = l->nb;
	}
	for (g = 0; g < G; g++) {
		for (r = 0; r <= nr; r++)
			rk[g][r] = keys4(&kp[4 * g], r);
		for (r = 0; r < 4; r++)
			hp[g][r] = hpow4(&kp[4 * g], r);
		j0r[g] = _mm512_shuffle_epi8(x4(j0[4 * g], j0[4 * g + 1], j0[4 * g + 2], j0[4 * g + 3]),
					     bsw);
	}
	steps = (maxnb + 2 + 3) & ~3u;
	if (seal) {
		ctr_pass(L, G, (const __m512i(*)[15])rk, nr, j0r, maxnb, ekj0);
		ghash_pass(L, G, (const __m512i(*)[4])hp, steps, xr);
	} else {
		ghash_pass(L, G, (const __m512i(*)[4])hp, steps, xr);
		ctr_pass(L, G, (const __m512i(*)[15])rk, nr, j0r, maxnb, ekj0);
	}
	for (g = 0; g < G; g++) {
		__m512i t = _mm512_xor_si512(_mm512_shuffle_epi8(xr[g], bsw), ekj0[g]);
		__m128i tl[4];

		tl[0] = _mm512_extracti32x4_epi32(t, 0);
		tl[1] = _mm512_extracti32x4_epi32(t, 1);
		tl[2] = _mm512_extracti32x4_epi32(t, 2);
		tl[3] = _mm512_extracti32x4_epi32(t, 3);
		for (i = 0; i < 4 && 4 * g + i < n; i++) {
			struct cry_mgcm_op *o = &ops[4 * g + i];

			if (seal) {
				_mm_storeu_si128((__m128i *)o->tag, tl[i]);
			} else {
				__m128i d = _mm_xor_si128(tl[i],
							  _mm_loadu_si128((const __m128i *)o->tag));

				o->status = (int8_t)(_mm_testz_si128(d, d) ? 0 : -EBADMSG);
			}
		}
	}
	/* keystream and hash state are as secret as the data: clear them */
	_mm256_zeroall();
}

static void
run_n(struct cry_mgcm_op *ops, unsigned n, unsigned nr, bool seal)
{
	switch ((n + 3) / 4) {
	case 1:
		run(ops, n, 1, nr, seal);
		break;
	case 2:
		run(ops, n, 2, nr, seal);
		break;
	case 3:
		run(ops, n, 3, nr, seal);
		break;
	default:
		run(ops, n, 4, nr, seal);
		break;
	}
}

/* @n <= 16 packets, all with the same key length. */
void
cry_mgcm_run_avx512(struct cry_mgcm_op *ops, unsigned n, bool seal)
{
	unsigned nr = nrounds(ops[0].key->key_len);

	if (nr == 10)
		run_n(ops, n, 10, seal);
	else if (nr == 14)
		run_n(ops, n, 14, seal);
	else
		run_n(ops, n, 12, seal);
}
