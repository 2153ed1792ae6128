/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GF(2^128) arithmetic and the hash-key powers of the multi-packet GCM
 * kernels, written once for both register widths. Included only by
 * cry_mgcm_avx2.c (ymm) and cry_mgcm_avx512.c (zmm), each of which first
 * defines, for its width:
 *   VEC                    the register type (__m256i, __m512i)
 *   V_XOR V_OR V_CLMUL V_SLLI32 V_SRLI32 V_BSLLI V_BSRLI V_ZERO V_SHUFB
 *   V_BCAST128 V_LO128     the intrinsics of that width
 *   xor3(), V_OR3()        three-input XOR and OR (AVX-512: one VPTERNLOG)
 *   bswap_mask()           the byte-reflection shuffle in every lane
 *   MGCM_KEY_INIT          the name of its cry_mgcm_key_init_<isa>
 * All of it is inlined into the kernels: same instructions as the two
 * hand-written copies it replaces (objdump of both objects unchanged),
 * so the constant-time check (tests/unit/ct_check_mgcm.py) still applies.
 */
#ifndef RAMPART_CRY_MGCM_GHASH_H
#define RAMPART_CRY_MGCM_GHASH_H

/* Accumulate the unreduced product a * b into lo, mid, hi. */
static ALWAYS_INLINE void
clmul_acc(VEC a, VEC b, VEC *lo, VEC *mid, VEC *hi)
{
	*lo = V_XOR(*lo, V_CLMUL(a, b, 0x00));
	*hi = V_XOR(*hi, V_CLMUL(a, b, 0x11));
	*mid = xor3(*mid, V_CLMUL(a, b, 0x10), V_CLMUL(a, b, 0x01));
}

/* Reduce the reflected 256-bit product lo, mid, hi to 128 bits (per lane). */
static ALWAYS_INLINE VEC
gf_reduce(VEC lo, VEC mid, VEC hi)
{
	VEC t7, t8, t9, t2;

	lo = V_XOR(lo, V_BSLLI(mid, 8));
	hi = V_XOR(hi, V_BSRLI(mid, 8));
	/* shift the 256-bit value left by one */
	t7 = V_SRLI32(lo, 31);
	t8 = V_SRLI32(hi, 31);
	lo = V_SLLI32(lo, 1);
	hi = V_SLLI32(hi, 1);
	t9 = V_BSRLI(t7, 12);
	t8 = V_BSLLI(t8, 4);
	t7 = V_BSLLI(t7, 4);
	lo = V_OR(lo, t7);
	hi = V_OR3(hi, t8, t9);
	/* reduce modulo x^128 + x^7 + x^2 + x + 1 */
	t7 = xor3(V_SLLI32(lo, 31), V_SLLI32(lo, 30), V_SLLI32(lo, 25));
	t8 = V_BSRLI(t7, 4);
	t7 = V_BSLLI(t7, 12);
	lo = V_XOR(lo, t7);
	t2 = xor3(V_SRLI32(lo, 1), V_SRLI32(lo, 2), V_SRLI32(lo, 7));
	t2 = V_XOR(t2, t8);
	return xor3(hi, lo, t2);
}

static ALWAYS_INLINE VEC
gf_mul(VEC a, VEC b)
{
	VEC lo = V_ZERO(), mid = lo, hi = lo;

	clmul_acc(a, b, &lo, &mid, &hi);
	return gf_reduce(lo, mid, hi);
}

/* H = E(K, 0) and H^1..H^4 into k->hpow: cry_mgcm_key_init_<isa>. */
void
MGCM_KEY_INIT(struct cry_gcm_key *k)
{
	const __m128i *rk = (const __m128i *)k->kd.expanded_keys;
	unsigned nr = cry_mgcm_nrounds(k->key_len), r;
	VEC h, hp;
	__m128i x = _mm_setzero_si128();

	x = _mm_xor_si128(x, _mm_loadu_si128(&rk[0]));
	_Pragma("GCC unroll 15")
	for (r = 1; r < nr; r++)
		x = _mm_aesenc_si128(x, _mm_loadu_si128(&rk[r]));
	x = _mm_aesenclast_si128(x, _mm_loadu_si128(&rk[nr]));
	h = V_SHUFB(V_BCAST128(x), bswap_mask());
	hp = h;
	_mm_storeu_si128((__m128i *)k->hpow[0], V_LO128(hp));
	for (r = 1; r < 4; r++) {
		hp = gf_mul(hp, h);
		_mm_storeu_si128((__m128i *)k->hpow[r], V_LO128(hp));
	}
	_mm256_zeroall();
}

#endif
