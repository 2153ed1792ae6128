/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AVX2 + VAES + VPCLMULQDQ kernel of the multi-packet AES-GCM engine
 * (cry_mgcm.h), for CPUs with VAES but without AVX-512 (AMD Zen 3/4 client
 * parts without AVX-512, Intel Alder Lake and later client cores). Only
 * this file is compiled for those instructions (its own -m flags in
 * lib/crypto/meson.build); cry_mgcm.c calls it only when the CPU has them
 * and the AVX-512 kernel is absent or not chosen.
 *
 * Same algorithm as cry_mgcm_avx512.c on 256-bit registers: lane l of a
 * round is packet l, register g holds lanes 2g and 2g+1 (two 128-bit
 * lanes per ymm register), and a round has G = 2 or 4 registers (4 or 8
 * packets); 9..16 packets are two rounds of 8 (run_n).
 * Differences forced by the missing AVX-512 instructions:
 *   - no byte-masked loads/stores: a partial last block of a payload of at
 *     least 16 bytes is read as the payload's last 16 bytes and shifted
 *     down with PSHUFB (the shuffle control computed from the public
 *     length), and written back by blending into those same 16 bytes
 *     (bytes before the block already hold this packet's output); a
 *     payload shorter than one block goes through a 16-byte stack buffer
 *     byte by byte. Nothing outside the payload is read or written.
 *   - no VPTERNLOG: three-way XORs are two VPXORs.
 *   - 16 vector registers instead of 32: rounds of at most 8 packets;
 *     round keys and H powers are memory operands of VAESENC/VPCLMULQDQ
 *     (L1 loads).
 * The GHASH staging area, H powers (cry_gcm_key.hpow, same layout as the
 * AVX-512 kernel's), reduction and tag are the same as there.
 *
 * Constant time: AES only through VAESENC/VAESENCLAST (AESENC for H),
 * GHASH only through VPCLMULQDQ and shifts, no table lookups; every branch
 * and address depends on lengths, lane counts or key pointers only. The
 * tag compare ORs all differences before one VPTEST.
 * tests/unit/ct_check_mgcm.py checks the compiled *_avx2 functions.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif

#include "crypto/cry_mgcm.h"

#include <errno.h>
#include <immintrin.h>
#include <string.h>

#include "crypto/cry_mgcm_priv.h"

/* ymm: two 128-bit lanes per register (cry_mgcm_ghash.h) */
#define VEC		__m256i
#define V_XOR		_mm256_xor_si256
#define V_OR		_mm256_or_si256
#define V_CLMUL		_mm256_clmulepi64_epi128
#define V_SLLI32	_mm256_slli_epi32
#define V_SRLI32	_mm256_srli_epi32
#define V_BSLLI		_mm256_bslli_epi128
#define V_BSRLI		_mm256_bsrli_epi128
#define V_ZERO		_mm256_setzero_si256
#define V_SHUFB		_mm256_shuffle_epi8
#define V_BCAST128	_mm256_broadcastsi128_si256
#define V_LO128		_mm256_castsi256_si128

enum { GMAX = 4 };			/* registers per round: 8 lanes */

struct lane {
	uint8_t *data;
	uint32_t len;
	uint32_t nb;			/* payload blocks, last may be partial */
};

static ALWAYS_INLINE __m256i
bswap_mask(void)
{
	return _mm256_broadcastsi128_si256(_mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
							13, 14, 15));
}

static ALWAYS_INLINE __m128i
iota(void)
{
	return _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

/* 0xff in bytes 0..rem-1, zero above (rem 0..16, a public length) */
static ALWAYS_INLINE __m128i
head_mask(uint32_t rem)
{
	return _mm_cmpgt_epi8(_mm_set1_epi8((char)rem), iota());
}

static ALWAYS_INLINE __m256i
x2(__m128i a, __m128i b)
{
	return _mm256_inserti128_si256(_mm256_castsi128_si256(a), b, 1);
}

static ALWAYS_INLINE __m256i
xor3(__m256i a, __m256i b, __m256i c)
{
	return _mm256_xor_si256(_mm256_xor_si256(a, b), c);
}

#define V_OR3(a, b, c)	_mm256_or_si256(_mm256_or_si256(a, b), c)
#define MGCM_KEY_INIT	cry_mgcm_key_init_avx2
#include "crypto/cry_mgcm_ghash.h"

/*
 * Payload block j of lane @l, zero past the end. Whole blocks take a plain
 * load; the branches are on the public length only.
 */
static ALWAYS_INLINE __m128i
data_blk(const struct lane *l, uint32_t j)
{
	uint32_t off = j * 16, rem;

	if (off + 16 <= l->len)
		return _mm_loadu_si128((const __m128i *)(l->data + off));
	if (off >= l->len)
		return _mm_setzero_si128();
	rem = l->len - off;			/* 1..15 */
	if (l->len >= 16) {
		/* the payload's last 16 bytes, bytes 16-rem..15 moved to 0..rem-1 */
		__m128i v = _mm_loadu_si128((const __m128i *)(l->data + l->len - 16));
		__m128i idx = _mm_add_epi8(iota(), _mm_set1_epi8((char)(16 - rem)));

		idx = _mm_blendv_epi8(_mm_set1_epi8((char)0x80), idx, head_mask(rem));
		return _mm_shuffle_epi8(v, idx);
	} else {
		uint8_t b[16] __attribute__((aligned(16)));
		uint32_t i;

		_mm_store_si128((__m128i *)b, _mm_setzero_si128());
		for (i = 0; i < rem; i++)
			b[i] = l->data[i];
		return _mm_load_si128((const __m128i *)b);
	}
}

/* Write bytes 0..rem-1 of @o as the partial last block j of lane @l. */
static ALWAYS_INLINE void
put_partial(const struct lane *l, uint32_t j, __m128i o)
{
	uint32_t rem = l->len - j * 16;		/* 1..15 */

	if (l->len >= 16) {
		uint8_t *p = l->data + l->len - 16;
		/* byte k of the 16 gets byte k-(16-rem) of o; bytes below
		 * 16-rem keep what is there (this packet's output) */
		__m128i idx = _mm_sub_epi8(iota(), _mm_set1_epi8((char)(16 - rem)));
		__m128i keep = _mm_cmpgt_epi8(_mm_set1_epi8((char)(16 - rem)), iota());

		_mm_storeu_si128((__m128i *)p,
				 _mm_blendv_epi8(_mm_shuffle_epi8(o, idx),
						 _mm_loadu_si128((const __m128i *)p), keep));
	} else {
		uint8_t b[16] __attribute__((aligned(16)));
		uint32_t i;

		_mm_store_si128((__m128i *)b, o);
		for (i = 0; i < rem; i++)
			l->data[i] = b[i];
	}
}

static ALWAYS_INLINE __m256i
keys2(const struct cry_gcm_key *const *kp, unsigned r)
{
	if (kp[0] == kp[1])
		return _mm256_broadcastsi128_si256(
			_mm_load_si128((const __m128i *)kp[0]->kd.expanded_keys + r));
	return x2(_mm_load_si128((const __m128i *)kp[0]->kd.expanded_keys + r),
		  _mm_load_si128((const __m128i *)kp[1]->kd.expanded_keys + r));
}

static ALWAYS_INLINE __m256i
hpow2(const struct cry_gcm_key *const *kp, unsigned e)
{
	if (kp[0] == kp[1])
		return _mm256_broadcastsi128_si256(_mm_load_si128((const __m128i *)kp[0]->hpow[e]));
	return x2(_mm_load_si128((const __m128i *)kp[0]->hpow[e]),
		  _mm_load_si128((const __m128i *)kp[1]->hpow[e]));
}

/* AES-CTR keystream block k of every lane of @G registers into @x. */
static ALWAYS_INLINE void
aes_ctr(__m256i *x, const unsigned G, const __m256i (*rk)[15], const unsigned nr,
	const __m256i *j0r, uint32_t k)
{
	const __m256i bsw = bswap_mask();
	const __m256i inc = _mm256_set_epi32(0, 0, 0, (int)k, 0, 0, 0, (int)k);
	unsigned g, r;

	_Pragma("GCC unroll 4")
	for (g = 0; g < G; g++)
		x[g] = _mm256_xor_si256(_mm256_shuffle_epi8(_mm256_add_epi32(j0r[g], inc), bsw),
					rk[g][0]);
	_Pragma("GCC unroll 15")
	for (r = 1; r < nr; r++)
		_Pragma("GCC unroll 4")
		for (g = 0; g < G; g++)
			x[g] = _mm256_aesenc_epi128(x[g], rk[g][r]);
	_Pragma("GCC unroll 4")
	for (g = 0; g < G; g++)
		x[g] = _mm256_aesenclast_epi128(x[g], rk[g][nr]);
}

/*
 * GHASH staging area: row p (G registers, 32 bytes each) holds step p of
 * every lane's right-aligned sequence (zero blocks, AAD, C_0 .. C_nb-1,
 * lengths), so the hash pass reads one whole register per step and group.
 */
enum { STAGE_ROWS = CRY_MGCM_MAX_LEN / 16 + 2 };

static ALWAYS_INLINE uint8_t *
slot(__m256i *st, const unsigned G, uint32_t p, unsigned lane)
{
	return (uint8_t *)&st[p * G + lane / 2] + 16 * (lane % 2);
}

/*
 * CTR pass over @G registers: E(K, J0) into @ekj0, keystream blocks
 * 1..maxnb XORed into the payloads in place; each ciphertext block (the
 * output when sealing, the input when opening) also goes to its row of
 * @st, zeroed past the payload's end.
 */
static ALWAYS_INLINE void
ctr_pass(struct lane *L, const unsigned G, const __m256i (*rk)[15], const unsigned nr,
	 const __m256i *j0r, uint32_t maxnb, __m256i *ekj0, __m256i *st,
	 const uint32_t *first, const bool seal)
{
	uint32_t k;
	unsigned g;

	aes_ctr(ekj0, G, rk, nr, j0r, 0);
	for (k = 1; k <= maxnb; k++) {
		const uint32_t j = k - 1;
		__m256i x[GMAX];

		aes_ctr(x, G, rk, nr, j0r, k);
		_Pragma("GCC unroll 4")
		for (g = 0; g < G; g++) {
			const struct lane *l = &L[2 * g];
			__m256i in = x2(data_blk(&l[0], j), data_blk(&l[1], j));
			__m256i out = _mm256_xor_si256(in, x[g]);
			__m256i ct = seal ? out : in;
			const __m128i o2[2] = { _mm256_castsi256_si128(out),
						_mm256_extracti128_si256(out, 1) };
			const __m128i c2[2] = { _mm256_castsi256_si128(ct),
						_mm256_extracti128_si256(ct, 1) };
			unsigned i;

			_Pragma("GCC unroll 2")
			for (i = 0; i < 2; i++) {
				const struct lane *li = &l[i];
				uint8_t *s = slot(st, G, first[2 * g + i] + j, 2 * g + i);

				if (j * 16 + 16 <= li->len) {
					_mm_storeu_si128((__m128i *)(li->data + j * 16), o2[i]);
					_mm_store_si128((__m128i *)s, c2[i]);
				} else if (j * 16 < li->len) {
					put_partial(li, j, o2[i]);
					/* opening: the input is zero past the end already */
					_mm_store_si128((__m128i *)s,
							seal ? _mm_and_si128(c2[i],
									     head_mask(li->len - j * 16))
							     : c2[i]);
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
ghash_rows(const unsigned G, const __m256i (*hp)[4], const __m256i *st, uint32_t s,
	   const unsigned w, __m256i *xr)
{
	const __m256i bsw = bswap_mask();
	unsigned g, q;

	_Pragma("GCC unroll 4")
	for (g = 0; g < G; g++) {
		__m256i lo = _mm256_setzero_si256(), mid = lo, hi = lo;

		_Pragma("GCC unroll 4")
		for (q = 0; q < w; q++) {
			__m256i b = _mm256_shuffle_epi8(_mm256_load_si256(&st[(s + q) * G + g]), bsw);

			if (q == 0)
				b = _mm256_xor_si256(b, xr[g]);
			clmul_acc(b, hp[g][w - 1 - q], &lo, &mid, &hi);
		}
		xr[g] = gf_reduce(lo, mid, hi);
	}
}

/* GHASH of @steps staged rows: steps % 4 first, then 4 per reduction. */
static ALWAYS_INLINE void
ghash_pass(const unsigned G, const __m256i (*hp)[4], uint32_t steps, const __m256i *st,
	   __m256i *xr)
{
	uint32_t s = steps % 4;
	unsigned g;

	_Pragma("GCC unroll 4")
	for (g = 0; g < G; g++)
		xr[g] = _mm256_setzero_si256();
	if (s == 1)
		ghash_rows(G, hp, st, 0, 1, xr);
	else if (s == 2)
		ghash_rows(G, hp, st, 0, 2, xr);
	else if (s == 3)
		ghash_rows(G, hp, st, 0, 3, xr);
	for (; s < steps; s += 4)
		ghash_rows(G, hp, st, s, 4, xr);
}

/* J0 = nonce || 0x00000001 (the nonce is public: it is in the packet) */
static ALWAYS_INLINE __m128i
load_j0(const uint8_t *iv)
{
	uint64_t a;
	uint32_t b;

	memcpy(&a, iv, 8);
	memcpy(&b, iv + 8, 4);
	return _mm_set_epi32(0x01000000, (int)b, (int)(a >> 32), (int)a);
}

/* The AAD (public: SPI and sequence number), zero-padded to a block. */
static ALWAYS_INLINE __m128i
load_aad(const uint8_t *aad, unsigned aad_len)
{
	uint8_t b[16] __attribute__((aligned(16)));
	uint32_t w;
	unsigned i;

	if (aad_len == 8)
		return _mm_loadl_epi64((const __m128i *)aad);
	if (aad_len == 12) {
		memcpy(&w, aad + 8, 4);
		return _mm_insert_epi32(_mm_loadl_epi64((const __m128i *)aad), (int)w, 2);
	}
	_mm_store_si128((__m128i *)b, _mm_setzero_si128());
	for (i = 0; i < aad_len && i < 16; i++)
		b[i] = aad[i];
	return _mm_load_si128((const __m128i *)b);
}

/* One round of up to 2 * G packets, all with @nr rounds. */
static ALWAYS_INLINE void
run(struct cry_mgcm_op *ops, unsigned n, const unsigned G, const unsigned nr, const bool seal)
{
	const __m256i bsw = bswap_mask();
	__m256i st[STAGE_ROWS * GMAX] __attribute__((aligned(32)));
	struct lane L[2 * GMAX];
	const struct cry_gcm_key *kp[2 * GMAX];
	__m256i rk[GMAX][15], hp[GMAX][4], j0r[GMAX], ekj0[GMAX], xr[GMAX];
	__m128i j0[2 * GMAX], lb[2 * GMAX];
	uint32_t first[2 * GMAX], maxnb = 0, steps, zrows = 0, p;
	unsigned i, g, r;

	for (i = 0; i < 2 * G; i++) {
		const struct cry_mgcm_op *o = &ops[i < n ? i : 0];
		struct lane *l = &L[i];

		kp[i] = o->key;
		l->data = o->data;
		l->len = i < n ? o->len : 0;
		l->nb = (l->len + 15) / 16;
		/* len(A) || len(C) in bits, wire order */
		lb[i] = _mm_set_epi64x((long long)__builtin_bswap64((uint64_t)l->len * 8),
				       (long long)__builtin_bswap64((uint64_t)o->aad_len * 8));
		j0[i] = load_j0(o->iv);
		if (l->nb > maxnb)
			maxnb = l->nb;
	}
	steps = maxnb + 2;
	for (i = 0; i < 2 * G; i++) {
		const struct cry_mgcm_op *o = &ops[i < n ? i : 0];
		uint32_t start = steps - (L[i].nb + 2);

		/* rows before a lane's AAD stay zero: GHASH stays zero over them */
		if (start > zrows)
			zrows = start;
		first[i] = start + 1;
		_mm_store_si128((__m128i *)slot(st, G, start, i), load_aad(o->aad, o->aad_len));
	}
	for (g = 0; g < G; g++) {
		_Pragma("GCC unroll 15")
		for (r = 0; r <= nr; r++)
			rk[g][r] = keys2(&kp[2 * g], r);
		_Pragma("GCC unroll 4")
		for (r = 0; r < 4; r++)
			hp[g][r] = hpow2(&kp[2 * g], r);
		j0r[g] = _mm256_shuffle_epi8(x2(j0[2 * g], j0[2 * g + 1]), bsw);
		st[(steps - 1) * G + g] = x2(lb[2 * g], lb[2 * g + 1]);
	}
	/* zero the leading rows lane by lane (rows below each lane's AAD) */
	for (p = 0; p < zrows; p++)
		for (i = 0; i < 2 * G; i++)
			if (p + 1 < first[i])
				_mm_store_si128((__m128i *)slot(st, G, p, i), _mm_setzero_si128());
	ctr_pass(L, G, (const __m256i(*)[15])rk, nr, j0r, maxnb, ekj0, st, first, seal);
	ghash_pass(G, (const __m256i(*)[4])hp, steps, st, xr);
	_Pragma("GCC unroll 4")
	for (g = 0; g < G; g++) {
		__m256i t = _mm256_xor_si256(_mm256_shuffle_epi8(xr[g], bsw), ekj0[g]);
		__m128i tl[2];

		tl[0] = _mm256_castsi256_si128(t);
		tl[1] = _mm256_extracti128_si256(t, 1);
		for (i = 0; i < 2 && 2 * g + i < n; i++) {
			struct cry_mgcm_op *o = &ops[2 * g + i];

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

/*
 * 4 packets in 2 registers, 8 in 4; 9..16 as two rounds of 8 (one round of
 * 8 registers was 3-5 % slower in perf/mgcm-micro: 16 ymm registers are
 * not enough for its state, and it spills).
 */
static ALWAYS_INLINE void
run_n(struct cry_mgcm_op *ops, unsigned n, unsigned nr, bool seal)
{
	if (n <= 4) {
		run(ops, n, 2, nr, seal);
	} else if (n <= 8) {
		run(ops, n, 4, nr, seal);
	} else {
		run(ops, 8, 4, nr, seal);
		run(ops + 8, n - 8, 4, nr, seal);
	}
}

/* @n <= 16 packets, all with the same key length. */
void
cry_mgcm_run_avx2(struct cry_mgcm_op *ops, unsigned n, bool seal)
{
	unsigned nr = cry_mgcm_nrounds(ops[0].key->key_len);

	CRY_MGCM_DISPATCH(run_n, ops, n, nr, seal);
}
