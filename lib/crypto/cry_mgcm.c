/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multi-packet AES-GCM: CPU dispatch, mode switch and the IPsec-MB fallback.
 * The kernels live in cry_mgcm_<isa>.c, each compiled for its instructions.
 */
#include "crypto/cry_mgcm.h"

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cry_mgcm_priv.h"

static enum cry_mgcm_isa isa;
static bool has_avx512, has_avx2;	/* what the CPU runs */
static enum cry_mgcm_mode mode;
static bool inited;
uint32_t cry_mgcm_max_len;
bool cry_mgcm_on;

static void
apply(void)
{
	cry_mgcm_on = isa != CRY_MGCM_ISA_NONE && mode != CRY_MGCM_OFF;
	cry_mgcm_max_len = !cry_mgcm_on		 ? 0
			   : mode == CRY_MGCM_FORCE	 ? CRY_MGCM_MAX_LEN
			   : isa == CRY_MGCM_ISA_AVX2 ? CRY_MGCM_CROSSOVER_AVX2
						      : CRY_MGCM_CROSSOVER;
}

/* CPUID leaf 7, sub-leaf 0, ECX bits 9 (VAES) and 10 (VPCLMULQDQ): asked
 * directly because clang 14's __builtin_cpu_supports() does not know them. */
static bool
has_vaes_vpclmulqdq(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0)
		return false;
	return (c & (1u << 9)) != 0 && (c & (1u << 10)) != 0;
}

void
cry_mgcm_init(void)
{
	const char *e;

	if (inited)
		return;
	inited = true;
	__builtin_cpu_init();
	has_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
		     __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
		     __builtin_cpu_supports("bmi2") && has_vaes_vpclmulqdq();
	has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("aes") &&
		   __builtin_cpu_supports("pclmul") && has_vaes_vpclmulqdq();
	isa = has_avx512 ? CRY_MGCM_ISA_AVX512 : has_avx2 ? CRY_MGCM_ISA_AVX2 : CRY_MGCM_ISA_NONE;
	e = getenv("RAMPART_GCM_ISA");
	if (e != NULL && strcmp(e, "avx2") == 0 && has_avx2)
		isa = CRY_MGCM_ISA_AVX2;
	else if (e != NULL && strcmp(e, "avx512") == 0 && has_avx512)
		isa = CRY_MGCM_ISA_AVX512;
	e = getenv("RAMPART_GCM_ENGINE");
	if (e != NULL && strcmp(e, "mgcm") == 0)
		mode = CRY_MGCM_FORCE;
	else if (e != NULL && strcmp(e, "ipsecmb") == 0)
		mode = CRY_MGCM_OFF;
	apply();
}

enum cry_mgcm_isa
cry_mgcm_isa(void)
{
	cry_mgcm_init();
	return isa;
}

bool
cry_mgcm_isa_supported(enum cry_mgcm_isa k)
{
	cry_mgcm_init();
	return k == CRY_MGCM_ISA_NONE || (k == CRY_MGCM_ISA_AVX512 && has_avx512) ||
	       (k == CRY_MGCM_ISA_AVX2 && has_avx2);
}

int
cry_mgcm_set_isa(enum cry_mgcm_isa k)
{
	if (!cry_mgcm_isa_supported(k))
		return -ENOTSUP;
	isa = k;
	apply();
	return 0;
}

void
cry_mgcm_set_mode(enum cry_mgcm_mode m)
{
	cry_mgcm_init();
	mode = m;
	apply();
}

enum cry_mgcm_mode
cry_mgcm_mode(void)
{
	return mode;
}

void
cry_mgcm_key_init(struct cry_gcm_key *k)
{
	cry_mgcm_init();
	memset(k->hpow, 0, sizeof(k->hpow));
	/* from what the CPU has, not the kernel in use: cry_mgcm_set_isa may
	 * switch kernels later (both read the same H powers) */
	if (has_avx512)
		cry_mgcm_key_init_avx512(k);
	else if (has_avx2)
		cry_mgcm_key_init_avx2(k);
}

static void
one_by_one(IMB_MGR *m, struct cry_mgcm_op *ops, unsigned n, bool seal)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct cry_mgcm_op *o = &ops[i];

		if (seal)
			cry_gcm_seal(m, o->key, o->iv, o->aad, o->aad_len, o->data, o->len,
				     o->tag);
		else
			o->status = (int8_t)cry_gcm_open(m, o->key, o->iv, o->aad, o->aad_len,
							 o->data, o->len, o->tag);
	}
}

static bool
fits(const struct cry_mgcm_op *o, uint8_t key_len)
{
	return o->key->key_len == key_len && o->len <= CRY_MGCM_MAX_LEN &&
	       o->aad_len <= CRY_MGCM_MAX_AAD;
}

static void
run_kernel(struct cry_mgcm_op *ops, unsigned n, bool seal)
{
	if (isa == CRY_MGCM_ISA_AVX2)
		cry_mgcm_run_avx2(ops, n, seal);
	else
		cry_mgcm_run_avx512(ops, n, seal);
}

static void
mgcm_crypt(IMB_MGR *m, struct cry_mgcm_op *ops, unsigned n, bool seal)
{
	struct cry_mgcm_op tmp[CRY_MGCM_MAX_LANES];
	unsigned i;

	/* auto: fewer than CRY_MGCM_MIN_BURST packets do not fill the lanes */
	if (isa == CRY_MGCM_ISA_NONE || (mode == CRY_MGCM_AUTO && n < CRY_MGCM_MIN_BURST)) {
		one_by_one(m, ops, n, seal);
		return;
	}
	/* rounds of up to 16 packets with one key length; in a window with
	 * mixed key lengths (rare) or packets the engine does not take, the
	 * first length's packets are copied into a round of their own and
	 * the others go through IPsec-MB one by one */
	while (n > 0) {
		unsigned k = n < CRY_MGCM_MAX_LANES ? n : CRY_MGCM_MAX_LANES, same = 0, t = 0;
		uint8_t kl = ops[0].key->key_len;

		while (same < k && fits(&ops[same], kl))
			same++;
		if (same == k) {
			run_kernel(ops, k, seal);
			ops += k;
			n -= k;
			continue;
		}
		for (i = 0; i < k; i++)
			if (fits(&ops[i], kl))
				tmp[t++] = ops[i];
		if (t != 0)
			run_kernel(tmp, t, seal);
		for (i = 0, t = 0; i < k; i++) {
			if (fits(&ops[i], kl))
				ops[i].status = tmp[t++].status;
			else
				one_by_one(m, &ops[i], 1, seal);
		}
		ops += k;
		n -= k;
	}
}

void
cry_mgcm_seal(IMB_MGR *m, struct cry_mgcm_op *ops, unsigned n)
{
	mgcm_crypt(m, ops, n, true);
}

void
cry_mgcm_open(IMB_MGR *m, struct cry_mgcm_op *ops, unsigned n)
{
	mgcm_crypt(m, ops, n, false);
}
