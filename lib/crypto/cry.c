/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPsec-MB wrapper for ESP: manager lifetime, key expansion, AES-GCM through
 * the direct GCM API and AES-CBC + HMAC-SHA2 through the job manager. The
 * packet-path functions (cry_gcm_seal/open, cry_cbc_burst, cry_cbc_iv_gen)
 * run on the owning worker with its own manager; they never allocate or log.
 */
#include "crypto/cry.h"
#include "crypto/cry_mgcm.h"

#include <errno.h>
#include <string.h>

#include <immintrin.h>

static IMB_MGR *ctl_mgr;	/* control core only: key setup */

bool cry_gcm_hkey_tail;		/* set once by cry_mgr_create, read by workers */
static bool have_aesni;		/* likewise: CBC IVs through AES-NI (iv_gen_aesni) */

IMB_MGR *
cry_mgr_create(void)
{
	IMB_MGR *m = alloc_mb_mgr(0);
	IMB_ARCH arch;

	if (m == NULL)
		return NULL;
	/* auto picks the AVX-512 (VAES/VPCLMULQDQ) code on the CI CPU */
	init_mb_mgr_auto(m, &arch);
	if (imb_get_errno(m) != 0) {
		free_mb_mgr(m);
		return NULL;
	}
	/* same CPU for every manager: the same answer each time */
	have_aesni = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
	cry_gcm_hkey_tail = arch == IMB_ARCH_AVX512 && (m->features & IMB_FEATURE_VAES) &&
			    (m->features & IMB_FEATURE_VPCLMULQDQ);
	return m;
}

void
cry_mgr_destroy(IMB_MGR *m)
{
	if (m != NULL)
		free_mb_mgr(m);
}

IMB_MGR *
cry_ctl_mgr(void)
{
	if (ctl_mgr == NULL)
		ctl_mgr = cry_mgr_create();
	return ctl_mgr;
}

void
cry_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);	/* glibc: never optimised away */
}

int
cry_gcm_key_init(IMB_MGR *m, struct cry_gcm_key *k, const uint8_t *key, unsigned key_len)
{
	if (m == NULL)
		return -ENOMEM;
	switch (key_len) {
	case 16:
		IMB_AES128_GCM_PRE(m, key, &k->kd);
		break;
	case 24:
		IMB_AES192_GCM_PRE(m, key, &k->kd);
		break;
	case 32:
		IMB_AES256_GCM_PRE(m, key, &k->kd);
		break;
	default:
		return -EINVAL;
	}
	k->key_len = key_len;
	cry_mgcm_key_init(k);		/* H^1..H^4 for the multi-packet engine */
	return 0;
}

/* IPsec-MB's one-shot GCM function for the key's length and direction. */
static inline aes_gcm_enc_dec_t
gcm_fn(const IMB_MGR *m, const struct cry_gcm_key *k, bool encrypt)
{
	if (k->key_len == 16)
		return encrypt ? m->gcm128_enc : m->gcm128_dec;
	if (k->key_len == 32)
		return encrypt ? m->gcm256_enc : m->gcm256_dec;
	return encrypt ? m->gcm192_enc : m->gcm192_dec;
}

void
cry_gcm_seal(IMB_MGR *m, const struct cry_gcm_key *k, const uint8_t iv[12], const uint8_t *aad,
	     unsigned aad_len, uint8_t *data, uint64_t len, uint8_t tag[16])
{
	struct gcm_context_data ctx;

	gcm_fn(m, k, true)(&k->kd, &ctx, data, data, len, iv, aad, aad_len, tag, CRY_GCM_ICV_LEN);
}

int
cry_gcm_open(IMB_MGR *m, const struct cry_gcm_key *k, const uint8_t iv[12], const uint8_t *aad,
	     unsigned aad_len, uint8_t *data, uint64_t len, const uint8_t tag[16])
{
	struct gcm_context_data ctx;
	uint8_t calc[CRY_GCM_ICV_LEN];

	gcm_fn(m, k, false)(&k->kd, &ctx, data, data, len, iv, aad, aad_len, calc, CRY_GCM_ICV_LEN);
	return cry_memeq_ct(calc, tag, CRY_GCM_ICV_LEN) ? 0 : -EBADMSG;
}

/* One HMAC pad block: @blk = @kb ^ @pad (@bs bytes), hashed into @state. */
static void
pad_block(IMB_MGR *m, unsigned hmac, const uint8_t *kb, unsigned bs, uint8_t pad, uint8_t *blk,
	  void *state)
{
	unsigned i;

	for (i = 0; i < bs; i++)
		blk[i] = kb[i] ^ pad;
	if (hmac == CRY_HMAC_SHA256_128)
		IMB_SHA256_ONE_BLOCK(m, blk, state);
	else if (hmac == CRY_HMAC_SHA384_192)
		IMB_SHA384_ONE_BLOCK(m, blk, state);
	else
		IMB_SHA512_ONE_BLOCK(m, blk, state);
}

/* RFC 2104: hashed (K ^ ipad) and (K ^ opad) states, as IPsec-MB expects them. */
static int
hmac_precompute(IMB_MGR *m, struct cry_cbc_key *k, unsigned hmac, const uint8_t *ikey,
		unsigned ikey_len)
{
	uint8_t kb[128], blk[128];
	unsigned bs;

	switch (hmac) {
	case CRY_HMAC_SHA256_128:
		bs = 64;
		k->icv_len = 16;
		break;
	case CRY_HMAC_SHA384_192:
		bs = 128;
		k->icv_len = 24;
		break;
	case CRY_HMAC_SHA512_256:
		bs = 128;
		k->icv_len = 32;
		break;
	default:
		return -EINVAL;
	}
	memset(kb, 0, sizeof(kb));
	if (ikey_len > bs) {
		if (hmac == CRY_HMAC_SHA256_128)
			IMB_SHA256(m, ikey, ikey_len, kb);
		else if (hmac == CRY_HMAC_SHA384_192)
			IMB_SHA384(m, ikey, ikey_len, kb);
		else
			IMB_SHA512(m, ikey, ikey_len, kb);
	} else if (ikey_len > 0) {
		memcpy(kb, ikey, ikey_len);
	}
	pad_block(m, hmac, kb, bs, 0x36, blk, k->ipad);
	pad_block(m, hmac, kb, bs, 0x5c, blk, k->opad);
	k->hmac = hmac;
	cry_wipe(kb, sizeof(kb));
	cry_wipe(blk, sizeof(blk));
	return 0;
}

int
cry_cbc_key_init(IMB_MGR *m, struct cry_cbc_key *k, const uint8_t *key, unsigned key_len,
		 unsigned hmac, const uint8_t *ikey, unsigned ikey_len, const uint8_t iv_key[16])
{
	uint32_t dummy[44] __attribute__((aligned(16)));

	if (m == NULL)
		return -ENOMEM;
	if (key_len == 16)
		IMB_AES_KEYEXP_128(m, key, k->enc_exp, k->dec_exp);
	else if (key_len == 32)
		IMB_AES_KEYEXP_256(m, key, k->enc_exp, k->dec_exp);
	else if (key != NULL || key_len != 0)
		return -EINVAL;
	k->key_len = key_len;
	IMB_AES_KEYEXP_128(m, iv_key, k->iv_exp, dummy);
	cry_wipe(dummy, sizeof(dummy));
	return hmac_precompute(m, k, hmac, ikey, ikey_len);
}

void
cry_cbc_iv_gen(IMB_MGR *m, const struct cry_cbc_key *k, uint64_t ctr, uint8_t iv[16])
{
	static const uint8_t zero[16];
	uint8_t blk[16];
	unsigned i;

	/* counter block: 8 zero bytes || big-endian counter */
	memset(blk, 0, 8);
	for (i = 0; i < 8; i++)
		blk[15 - i] = (uint8_t)(ctr >> (8 * i));
	/* one CFB block over zeros = AES-128(K_iv, blk): a raw block encryption */
	IMB_AES128_CFB_ONE(m, iv, zero, blk, k->iv_exp, 16);
}

/*
 * AES-128 of the counter blocks (8 zero bytes || big-endian counter) under
 * the expanded IV key, four blocks interleaved so the AESENC latency
 * overlaps: a few cycles per IV where a job costs the job manager's
 * overhead (perf/FINDINGS.md, section 6). AES instructions only, no table
 * lookups: constant time. The round keys are read from the key schedule
 * (nothing secret is built on the stack) and the registers that held them
 * are cleared before return.
 */
__attribute__((target("aes,sse4.1"))) static void
iv_gen_aesni(const uint32_t *exp, const uint64_t *ctr, unsigned n, uint8_t *const ivs[])
{
	const __m128i *rk = (const __m128i *)exp;
	unsigned i = 0, r;

	for (; i + 4 <= n; i += 4) {
		__m128i b0 = _mm_set_epi64x((long long)__builtin_bswap64(ctr[i]), 0);
		__m128i b1 = _mm_set_epi64x((long long)__builtin_bswap64(ctr[i + 1]), 0);
		__m128i b2 = _mm_set_epi64x((long long)__builtin_bswap64(ctr[i + 2]), 0);
		__m128i b3 = _mm_set_epi64x((long long)__builtin_bswap64(ctr[i + 3]), 0);

		b0 = _mm_xor_si128(b0, _mm_load_si128(rk));
		b1 = _mm_xor_si128(b1, _mm_load_si128(rk));
		b2 = _mm_xor_si128(b2, _mm_load_si128(rk));
		b3 = _mm_xor_si128(b3, _mm_load_si128(rk));
		for (r = 1; r < 10; r++) {
			b0 = _mm_aesenc_si128(b0, _mm_load_si128(rk + r));
			b1 = _mm_aesenc_si128(b1, _mm_load_si128(rk + r));
			b2 = _mm_aesenc_si128(b2, _mm_load_si128(rk + r));
			b3 = _mm_aesenc_si128(b3, _mm_load_si128(rk + r));
		}
		_mm_storeu_si128((__m128i *)ivs[i], _mm_aesenclast_si128(b0, _mm_load_si128(rk + 10)));
		_mm_storeu_si128((__m128i *)ivs[i + 1],
				 _mm_aesenclast_si128(b1, _mm_load_si128(rk + 10)));
		_mm_storeu_si128((__m128i *)ivs[i + 2],
				 _mm_aesenclast_si128(b2, _mm_load_si128(rk + 10)));
		_mm_storeu_si128((__m128i *)ivs[i + 3],
				 _mm_aesenclast_si128(b3, _mm_load_si128(rk + 10)));
	}
	for (; i < n; i++) {
		__m128i b = _mm_set_epi64x((long long)__builtin_bswap64(ctr[i]), 0);

		b = _mm_xor_si128(b, _mm_load_si128(rk));
		for (r = 1; r < 10; r++)
			b = _mm_aesenc_si128(b, _mm_load_si128(rk + r));
		_mm_storeu_si128((__m128i *)ivs[i], _mm_aesenclast_si128(b, _mm_load_si128(rk + 10)));
	}
	/* no round key left behind in a register (the compiler uses xmm0-7) */
	__asm__ volatile("pxor %%xmm0, %%xmm0\n\tpxor %%xmm1, %%xmm1\n\t"
			 "pxor %%xmm2, %%xmm2\n\tpxor %%xmm3, %%xmm3\n\t"
			 "pxor %%xmm4, %%xmm4\n\tpxor %%xmm5, %%xmm5\n\t"
			 "pxor %%xmm6, %%xmm6\n\tpxor %%xmm7, %%xmm7"
			 ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7");
}

/* The same through one IPsec-MB ECB job (CPUs without AES-NI). */
static void
iv_gen_ecb_job(IMB_MGR *m, const struct cry_cbc_key *k, const uint64_t *ctr, unsigned n,
	       uint8_t *const ivs[])
{
	uint8_t blk[CRY_MAX_BURST][16] __attribute__((aligned(16)));
	uint8_t out[CRY_MAX_BURST][16] __attribute__((aligned(16)));
	IMB_JOB *job;
	unsigned i;
	bool done;

	/* counter blocks: 8 zero bytes || big-endian counter (as cry_cbc_iv_gen) */
	for (i = 0; i < n; i++) {
		unsigned b;

		memset(blk[i], 0, 8);
		for (b = 0; b < 8; b++)
			blk[i][15 - b] = (uint8_t)(ctr[i] >> (8 * b));
	}
	job = IMB_GET_NEXT_JOB(m);
	job->cipher_mode = IMB_CIPHER_ECB;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->hash_alg = IMB_AUTH_NULL;
	job->enc_keys = k->iv_exp;
	job->dec_keys = k->iv_exp;
	job->key_len_in_bytes = IMB_KEY_128_BYTES;
	job->src = blk[0];
	job->dst = out[0];
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = (uint64_t)n * 16;
	job->iv = NULL;
	job->iv_len_in_bytes = 0;
	job->user_data = NULL;
	/* the manager is empty between bursts, so the job returned is ours;
	 * ECB completes at once: drain anyway, nothing stays in flight */
	job = IMB_SUBMIT_JOB(m);
	if (job == NULL)
		job = IMB_FLUSH_JOB(m);
	done = job != NULL && job->status == IMB_STATUS_COMPLETED;
	while (IMB_FLUSH_JOB(m) != NULL)
		;
	for (i = 0; i < n; i++) {
		if (done)
			memcpy(ivs[i], out[i], 16);
		else
			cry_cbc_iv_gen(m, k, ctr[i], ivs[i]);
	}
	cry_wipe(out, (size_t)n * 16);
}

void
cry_cbc_iv_gen_n(IMB_MGR *m, const struct cry_cbc_key *k, const uint64_t *ctr, unsigned n,
		 uint8_t *const ivs[])
{
	unsigned c;

	if (have_aesni) {
		iv_gen_aesni(k->iv_exp, ctr, n, ivs);
		return;
	}
	for (; n > 1; n -= c, ctr += c, ivs += c) {
		c = n < CRY_MAX_BURST ? n : CRY_MAX_BURST;
		iv_gen_ecb_job(m, k, ctr, c, ivs);
	}
	if (n == 1)
		cry_cbc_iv_gen(m, k, ctr[0], ivs[0]);
}

static IMB_HASH_ALG
hash_alg(unsigned hmac)
{
	if (hmac == CRY_HMAC_SHA256_128)
		return IMB_AUTH_HMAC_SHA_256;
	if (hmac == CRY_HMAC_SHA384_192)
		return IMB_AUTH_HMAC_SHA_384;
	return IMB_AUTH_HMAC_SHA_512;
}

static void
job_done(IMB_JOB *job)
{
	struct cry_cbc_op *op = job->user_data;

	op->status = job->status == IMB_STATUS_COMPLETED ? 0 : -EIO;
}

static void
job_fill(IMB_JOB *job, struct cry_cbc_op *op, bool encrypt)
{
	const struct cry_cbc_key *k = op->key;

	if (op->cipher_len == 0) {
		job->cipher_mode = IMB_CIPHER_NULL;
		job->key_len_in_bytes = 0;
		job->dst = op->buf;
	} else {
		job->cipher_mode = IMB_CIPHER_CBC;
		job->enc_keys = k->enc_exp;
		job->dec_keys = k->dec_exp;
		job->key_len_in_bytes = k->key_len;
		job->dst = op->buf + op->cipher_off;
	}
	job->cipher_direction = encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = encrypt ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->src = op->buf;
	job->cipher_start_src_offset_in_bytes = op->cipher_off;
	job->msg_len_to_cipher_in_bytes = op->cipher_len;
	job->iv = op->iv;
	job->iv_len_in_bytes = op->cipher_len == 0 ? 0 : CRY_CBC_IV_LEN;
	job->hash_alg = hash_alg(k->hmac);
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->hash_len;
	job->u.HMAC._hashed_auth_key_xor_ipad = k->ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = k->opad;
	job->auth_tag_output = op->tag;
	job->auth_tag_output_len_in_bytes = k->icv_len;
	job->user_data = op;
}

/*
 * The job-manager path: one chained cipher + hash job per operation, each
 * validated by IMB_SUBMIT_JOB, so a bad operation fails alone. Used when a
 * burst mixes key sizes or HMAC flavours, and for HMAC-only operations.
 */
static void
cbc_burst_jobs(IMB_MGR *m, struct cry_cbc_op *ops, unsigned n, bool encrypt)
{
	IMB_JOB *job;
	unsigned i;

	for (i = 0; i < n; i++) {
		ops[i].status = -EIO;
		job = IMB_GET_NEXT_JOB(m);
		job_fill(job, &ops[i], encrypt);
		job = IMB_SUBMIT_JOB(m);
		while (job != NULL) {
			job_done(job);
			job = IMB_GET_COMPLETED_JOB(m);
		}
	}
	/* drain: no job stays in flight after the call */
	while ((job = IMB_FLUSH_JOB(m)) != NULL)
		job_done(job);
}

/*
 * True when IPsec-MB's single-algorithm burst calls can take the whole
 * burst: one AES key size and one HMAC flavour, and every operation has
 * its buffers, whole cipher blocks and its cipher bytes inside the hashed
 * bytes (what lib/esp always passes; anything else goes through the job
 * path, which reports it per operation). This is every check IPsec-MB's
 * validating submit would make for these jobs (the rest of each job is
 * filled from the key), so the burst calls below skip theirs (NOCHECK).
 */
static bool
cbc_burst_uniform(const struct cry_cbc_op *ops, unsigned n)
{
	const struct cry_cbc_key *k0 = ops[0].key;
	unsigned i;

	for (i = 0; i < n; i++) {
		const struct cry_cbc_op *op = &ops[i];

		if (op->buf == NULL || op->iv == NULL || op->tag == NULL ||
		    op->key->key_len != k0->key_len || op->key->hmac != k0->hmac ||
		    op->cipher_len == 0 || (op->cipher_len & (CRY_CBC_BLOCK - 1)) != 0 ||
		    op->cipher_off > op->hash_len ||
		    op->cipher_len > op->hash_len - op->cipher_off)
			return false;
	}
	return k0->key_len == 16 || k0->key_len == 32;
}

void
cry_cbc_burst(IMB_MGR *m, struct cry_cbc_op *ops, unsigned n, bool encrypt)
{
	IMB_JOB jobs[CRY_MAX_BURST];
	IMB_KEY_SIZE_BYTES ks;
	IMB_HASH_ALG ha;
	unsigned i, got;
	int st;

	if (n == 0)
		return;
	if (n > CRY_MAX_BURST || !cbc_burst_uniform(ops, n)) {
		cbc_burst_jobs(m, ops, n, encrypt);
		return;
	}
	/*
	 * Encrypt-then-MAC as two passes over the burst: all CBC encryptions
	 * in one cipher-burst call, then all HMACs in one hash-burst call (or
	 * the hashes first and then the decryptions). Same bytes as a chained
	 * job per packet, without the job manager's scheduling or its
	 * per-job validation (cbc_burst_uniform did that): measured with
	 * perf/cbc-micro (perf/FINDINGS.md, section 6). Both calls return
	 * only once every job is complete.
	 */
	for (i = 0; i < n; i++)
		job_fill(&jobs[i], &ops[i], encrypt);
	ks = ops[0].key->key_len == 16 ? IMB_KEY_128_BYTES : IMB_KEY_256_BYTES;
	ha = hash_alg(ops[0].key->hmac);
	if (encrypt) {
		got = IMB_SUBMIT_CIPHER_BURST_NOCHECK(m, jobs, n, IMB_CIPHER_CBC, IMB_DIR_ENCRYPT,
						      ks);
		if (got == n)
			got = IMB_SUBMIT_HASH_BURST_NOCHECK(m, jobs, n, ha);
	} else {
		got = IMB_SUBMIT_HASH_BURST_NOCHECK(m, jobs, n, ha);
		if (got == n)
			got = IMB_SUBMIT_CIPHER_BURST_NOCHECK(m, jobs, n, IMB_CIPHER_CBC,
							      IMB_DIR_DECRYPT, ks);
	}
	/* a refused burst (cannot happen for what cbc_burst_uniform admits)
	 * fails every operation: the caller drops them all */
	st = got == n ? 0 : -EIO;
	for (i = 0; i < n; i++)
		ops[i].status = st;
}

int
cry_hmac(IMB_MGR *m, const struct cry_cbc_key *k, const uint8_t *data, unsigned len,
	 uint8_t *tag)
{
	struct cry_cbc_op op = {
		.buf = (uint8_t *)(uintptr_t)data,
		.iv = NULL,
		.tag = tag,
		.key = k,
		.cipher_off = 0,
		.cipher_len = 0,
		.hash_len = len,
	};

	cry_cbc_burst(m, &op, 1, true);
	return op.status;
}
