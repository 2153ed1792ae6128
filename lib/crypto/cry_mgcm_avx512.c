/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AVX-512 + VAES + VPCLMULQDQ kernel of the multi-packet AES-GCM engine
 * (cry_mgcm.h). Only this file is compiled for those instructions (its own
 * -m flags in lib/crypto/meson.build); cry_mgcm.c calls it only when the
 * CPU has them.
 *
 * Layout: lane l (0..15) of a round is packet l; register g (0..3) holds
 * lanes 4g..4g+3, one 128-bit lane each. Every step runs over all four
 * registers, so up to 16 independent AES / carry-less multiply chains are
 * in flight.
 *   - CTR: keystream block k of every lane is AES(K_l, J0_l + k); block 0
 *     is E(K, J0) for the tag. Payload bytes go through masked byte loads
 *     and stores (partial last block, packets of different lengths).
 *   - GHASH: each lane's sequence (AAD block, ciphertext blocks, length
 *     block) is right-aligned to the longest one with leading zero blocks
 *     (which leave GHASH at zero) in a staging area written by the CTR
 *     pass (ciphertext out when sealing, in when opening), then folded up
 *     to 4 blocks at a time with H^4..H^1 and one reduction per fold.
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
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "crypto/cry_mgcm.h"

#include <errno.h>
#include <immintrin.h>
#include <string.h>

#include "crypto/cry_mgcm_priv.h"

/* zmm: four 128-bit lanes per register (cry_mgcm_ghash.h) */
#define VEC		__m512i
#define V_XOR		_mm512_xor_si512
#define V_OR		_mm512_or_si512
#define V_CLMUL		_mm512_clmulepi64_epi128
#define V_SLLI32	_mm512_slli_epi32
#define V_SRLI32	_mm512_srli_epi32
#define V_BSLLI		_mm512_bslli_epi128
#define V_BSRLI		_mm512_bsrli_epi128
#define V_ZERO		_mm512_setzero_si512
#define V_SHUFB		_mm512_shuffle_epi8
#define V_BCAST128	_mm512_broadcast_i32x4
#define V_LO128		_mm512_castsi512_si128

struct lane {
	uint8_t *data;
	uint32_t len;
	uint32_t nb;			/* payload blocks, last may be partial */
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

#define V_OR3(a, b, c)	_mm512_ternarylogic_epi64(a, b, c, 0xfe)	/* a | b | c */
#define MGCM_KEY_INIT	cry_mgcm_key_init_avx512
#include "crypto/cry_mgcm_ghash.h"

static ALWAYS_INLINE __mmask16
blk_mask(uint32_t len, uint32_t off)
{
	uint32_t rem = len > off ? len - off : 0;

	return (__mmask16)_bzhi_u32(0xffff, rem < 16 ? rem : 16);
}

/*
 * Payload block j of lane @l, zero-masked past the end. Whole blocks take a
 * plain load (masked loads and stores are slower on some CPUs); the branch
 * is on the public length only.
 */
static ALWAYS_INLINE __m128i
data_blk(const struct lane *l, uint32_t j)
{
	if (j * 16 + 16 <= l->len)
		return _mm_loadu_si128((const __m128i *)(l->data + j * 16));
	return _mm_maskz_loadu_epi8(blk_mask(l->len, j * 16), l->data + j * 16);
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
aes_ctr(__m512i *x, const unsigned G, const __m512i (*rk)[15], const unsigned nr,
	const __m512i *j0r, uint32_t k)
{
	const __m512i bsw = bswap_mask();
	const __m512i inc = _mm512_maskz_set1_epi32(0x1111, (int)k);
	unsigned g, r;

	_Pragma("GCC unroll 4")
	for (g = 0; g < G; g++)
		x[g] = _mm512_xor_si512(_mm512_shuffle_epi8(_mm512_add_epi32(j0r[g], inc), bsw),
					rk[g][0]);
	_Pragma("GCC unroll 15")
	for (r = 1; r < nr; r++)
		_Pragma("GCC unroll 4")
		for (g = 0; g < G; g++)
			x[g] = _mm512_aesenc_epi128(x[g], rk[g][r]);
	_Pragma("GCC unroll 4")
	for (g = 0; g < G; g++)
		x[g] = _mm512_aesenclast_epi128(x[g], rk[g][nr]);
}

/*
 * GHASH staging area: row p holds step p of every lane's right-aligned
 * sequence (zero blocks, AAD, C_0 .. C_nb-1, lengths), 64 bytes per
 * register, so the hash pass reads one whole register per step and group.
 */
enum { STAGE_ROWS = CRY_MGCM_MAX_LEN / 16 + 2 };

struct stage {
	__m512i row[STAGE_ROWS][4];
};

static ALWAYS_INLINE uint8_t *
slot(struct stage *st, uint32_t p, unsigned lane)
{
	return (uint8_t *)&st->row[p][lane / 4] + 16 * (lane % 4);
}

/*
 * CTR pass over @G registers: E(K, J0) into @ekj0, keystream blocks
 * 1..maxnb XORed into the payloads in place; each ciphertext block (the
 * output when sealing, the input when opening) also goes to its row of
 * @st, zeroed past the payload's end.
 */
static ALWAYS_INLINE void
ctr_pass(struct lane *L, const unsigned G, const __m512i (*rk)[15], const unsigned nr,
	 const __m512i *j0r, uint32_t maxnb, __m512i *ekj0, struct stage *st,
	 const uint32_t *first, const bool *uni, const bool seal)
{
	uint32_t k;
	unsigned g;

	aes_ctr(ekj0, G, rk, nr, j0r, 0);
	for (k = 1; k <= maxnb; k++) {
		const uint32_t j = k - 1;
		__m512i x[4];

		aes_ctr(x, G, rk, nr, j0r, k);
		_Pragma("GCC unroll 4")
		for (g = 0; g < G; g++) {
			const struct lane *l = &L[4 * g];
			__m512i in = x4(data_blk(&l[0], j), data_blk(&l[1], j), data_blk(&l[2], j),
					data_blk(&l[3], j));
			__m512i out = _mm512_xor_si512(in, x[g]);
			__m512i ct = seal ? out : in;
			const __m128i o4[4] = { _mm512_extracti32x4_epi32(out, 0),
						_mm512_extracti32x4_epi32(out, 1),
						_mm512_extracti32x4_epi32(out, 2),
						_mm512_extracti32x4_epi32(out, 3) };
			const __m128i c4[4] = { _mm512_extracti32x4_epi32(ct, 0),
						_mm512_extracti32x4_epi32(ct, 1),
						_mm512_extracti32x4_epi32(ct, 2),
						_mm512_extracti32x4_epi32(ct, 3) };
			unsigned i;

			/*
			 * Lanes of one length: the register is the staging row,
			 * stored whole so that the hash pass's 64-byte load of it
			 * is forwarded from one store (four 16-byte stores cannot
			 * be forwarded to it: the load would wait for them to
			 * reach the cache).
			 */
			if (uni[g] && j * 16 < l->len) {
				__mmask64 m4 = j * 16 + 16 <= l->len ? ~(__mmask64)0 :
					       (__mmask64)blk_mask(l->len, j * 16) *
						       0x0001000100010001ull;

				_mm512_store_si512(&st->row[first[4 * g] + j][g],
						   _mm512_maskz_mov_epi8(m4, ct));
			}
			_Pragma("GCC unroll 4")
			for (i = 0; i < 4; i++) {
				const struct lane *li = &l[i];
				const __m128i o = o4[i], c = c4[i];

				if (uni[g] && j * 16 + 16 <= li->len) {
					_mm_storeu_si128((__m128i *)(li->data + j * 16), o);
				} else if (uni[g] && j * 16 < li->len) {
					_mm_mask_storeu_epi8(li->data + j * 16,
							     blk_mask(li->len, j * 16), o);
				} else if (j * 16 + 16 <= li->len) {
					_mm_storeu_si128((__m128i *)(li->data + j * 16), o);
					_mm_store_si128((__m128i *)slot(st, first[4 * g + i] + j,
									4 * g + i), c);
				} else if (j * 16 < li->len) {
					__mmask16 mk = blk_mask(li->len, j * 16);

					_mm_mask_storeu_epi8(li->data + j * 16, mk, o);
					_mm_store_si128((__m128i *)slot(st, first[4 * g + i] + j,
									4 * g + i),
							_mm_maskz_mov_epi8(mk, c));
				}
			}
		}
	}
}

/*
 * Fold @w (1..4) staged rows from @s into the hash: X = (X + B_0) H^w +
 * B_1 H^(w-1) + ... + B_(w-1) H, one reduction.
 */
static ALWAYS_INLINE void
ghash_rows(const unsigned G, const __m512i (*hp)[4], const struct stage *st, uint32_t s,
	   const unsigned w, __m512i *xr)
{
	const __m512i bsw = bswap_mask();
	__m512i lo[4], mid[4], hi[4];
	unsigned g, q;

	_Pragma("GCC unroll 4")
	for (g = 0; g < G; g++) {
		lo[g] = _mm512_setzero_si512();
		mid[g] = lo[g];
		hi[g] = lo[g];
	}
	_Pragma("GCC unroll 4")
	for (q = 0; q < w; q++) {
		_Pragma("GCC unroll 4")
		for (g = 0; g < G; g++) {
			__m512i b = _mm512_shuffle_epi8(_mm512_load_si512(&st->row[s + q][g]), bsw);

			if (q == 0)
				b = _mm512_xor_si512(b, xr[g]);
			clmul_acc(b, hp[g][w - 1 - q], &lo[g], &mid[g], &hi[g]);
		}
	}
	_Pragma("GCC unroll 4")
	for (g = 0; g < G; g++)
		xr[g] = gf_reduce(lo[g], mid[g], hi[g]);
}

/* GHASH of @steps staged rows: steps % 4 first, then 4 per reduction. */
static ALWAYS_INLINE void
ghash_pass(const unsigned G, const __m512i (*hp)[4], uint32_t steps, const struct stage *st,
	   __m512i *xr)
{
	uint32_t s = steps % 4;
	unsigned g;

	_Pragma("GCC unroll 4")
	for (g = 0; g < G; g++)
		xr[g] = _mm512_setzero_si512();
	if (s == 1)
		ghash_rows(G, hp, st, 0, 1, xr);
	else if (s == 2)
		ghash_rows(G, hp, st, 0, 2, xr);
	else if (s == 3)
		ghash_rows(G, hp, st, 0, 3, xr);
	for (; s < steps; s += 4)
		ghash_rows(G, hp, st, s, 4, xr);
}

/* One round of up to 4 * G packets, all with @nr rounds. */
static ALWAYS_INLINE void
run(struct cry_mgcm_op *ops, unsigned n, const unsigned G, const unsigned nr, const bool seal)
{
	const __m512i bsw = bswap_mask();
	struct stage st;
	struct lane L[16];
	const struct cry_gcm_key *kp[16];
	__m512i rk[4][15], hp[4][4], j0r[4], ekj0[4], xr[4];
	__m128i j0[16], lb[16];
	uint32_t first[16], maxnb = 0, steps, zrows = 0, p;
	bool uni[4];
	unsigned i, g, r;

	for (i = 0; i < 4 * G; i++) {
		const struct cry_mgcm_op *o = &ops[i < n ? i : 0];
		struct lane *l = &L[i];

		kp[i] = o->key;
		l->data = o->data;
		l->len = i < n ? o->len : 0;
		l->nb = (l->len + 15) / 16;
		/* len(A) || len(C) in bits, wire order */
		lb[i] = _mm_set_epi64x((long long)__builtin_bswap64((uint64_t)l->len * 8),
				       (long long)__builtin_bswap64((uint64_t)o->aad_len * 8));
		/* J0 = nonce || 0x00000001 */
		j0[i] = _mm_mask_set1_epi8(_mm_maskz_loadu_epi8(0x0fff, o->iv), 0x8000, 1);
		if (l->nb > maxnb)
			maxnb = l->nb;
	}
	steps = maxnb + 2;
	for (g = 0; g < G; g++) {
		const struct lane *l = &L[4 * g];
		__m128i a[4];

		/* lengths only (public): one staging row per register and step */
		uni[g] = l[0].len == l[1].len && l[0].len == l[2].len && l[0].len == l[3].len;
		for (i = 0; i < 4; i++) {
			const struct cry_mgcm_op *o = &ops[4 * g + i < n ? 4 * g + i : 0];
			uint32_t start = steps - (l[i].nb + 2);

			/* rows before a lane's AAD stay zero: GHASH stays zero there */
			if (start > zrows)
				zrows = start;
			first[4 * g + i] = start + 1;
			a[i] = _mm_maskz_loadu_epi8((__mmask16)_bzhi_u32(0xffff, o->aad_len), o->aad);
		}
		if (uni[g]) {
			st.row[first[4 * g] - 1][g] = x4(a[0], a[1], a[2], a[3]);
		} else {
			for (i = 0; i < 4; i++)
				_mm_store_si128((__m128i *)slot(&st, first[4 * g + i] - 1, 4 * g + i),
						a[i]);
		}
	}
	for (g = 0; g < G; g++) {
		_Pragma("GCC unroll 15")
		for (r = 0; r <= nr; r++)
			rk[g][r] = keys4(&kp[4 * g], r);
		_Pragma("GCC unroll 4")
		for (r = 0; r < 4; r++)
			hp[g][r] = hpow4(&kp[4 * g], r);
		j0r[g] = _mm512_shuffle_epi8(x4(j0[4 * g], j0[4 * g + 1], j0[4 * g + 2], j0[4 * g + 3]),
					     bsw);
		st.row[steps - 1][g] = x4(lb[4 * g], lb[4 * g + 1], lb[4 * g + 2], lb[4 * g + 3]);
	}
	/* zero the leading rows lane by lane (rows below each lane's AAD) */
	for (p = 0; p < zrows; p++)
		for (i = 0; i < 4 * G; i++)
			if (p + 1 < first[i])
				_mm_store_si128((__m128i *)slot(&st, p, i), _mm_setzero_si128());
	ctr_pass(L, G, (const __m512i(*)[15])rk, nr, j0r, maxnb, ekj0, &st, first, uni, seal);
	ghash_pass(G, (const __m512i(*)[4])hp, steps, &st, xr);
	_Pragma("GCC unroll 4")
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

static ALWAYS_INLINE void
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
	unsigned nr = cry_mgcm_nrounds(ops[0].key->key_len);

	CRY_MGCM_DISPATCH(run_n, ops, n, nr, seal);
}
