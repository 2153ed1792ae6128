/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf/mgcm-micro: the multi-packet AES-GCM engine's kernels (lib/crypto/
 * cry_mgcm.h) against IPsec-MB's one-packet GCM on the same work, measured
 * interleaved in one run:
 *   ipsecmb   cry_gcm_seal / cry_gcm_open, one packet per call (IPsec-MB's
 *             code for this CPU: its VAES AVX-512 GCM here)
 *   imb-avx2  the same calls on a manager set up with init_mb_mgr_avx2:
 *             what IPsec-MB 1.3 runs on a CPU with AVX2 but no AVX-512
 *             (one packet's blocks with AES-NI on xmm, no VAES), the
 *             reference the AVX2 kernel competes with on such CPUs
 *   avx512    cry_mgcm_seal / cry_mgcm_open with the AVX-512 kernel
 *   avx2      the same with the AVX2 (ymm) kernel
 * (the engine forced on, cry_mgcm_set_isa() switching kernels between
 * calls; a kernel the CPU lacks is left out). Every call handles a burst
 * of --burst packets (default 16) of one payload size with 8 bytes of AAD,
 * a fresh nonce per packet and call, the same buffers every call (in
 * place). Before timing, each kernel's ciphertext and tags are checked
 * against IPsec-MB's for every size and the open of a sealed burst must
 * succeed; a mismatch exits 1 and nothing is timed.
 *
 * Usage: mgcm-micro [--sizes 16,48,...] [--rounds N] [--calls N]
 *                   [--burst N] [--key 16|32] [--gap N]
 * --gap N runs N steps of a scalar recurrence (no vector instruction) after
 * every call and takes their separately timed cost out again: the kernels
 * as they run inside a datapath that does other work between bursts.
 * Sizes are ESP payload bytes (esp-bench's 64-byte frame is 48 payload
 * bytes). Figures: TSC cycles per packet, median over rounds (and the
 * minimum) of the mean over a round's calls; the rounds cycle through the
 * variants so that load from other processes hits all of them alike.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x86intrin.h>

#include "crypto/cry.h"
#include "crypto/cry_mgcm.h"
#include "perf_common.h"

enum { NPKT = CRY_MGCM_MAX_LANES, NVAR = 4, MAXR = 2000, NOP = 2 };

static uint8_t bufs[NPKT][CRY_MGCM_MAX_LEN] __attribute__((aligned(64)));
static uint8_t ref[NPKT][CRY_MGCM_MAX_LEN];
static uint8_t tags[NPKT][16], ref_tags[NPKT][16];
static uint8_t nonces[NPKT][12], aads[NPKT][8];
static struct cry_gcm_key key __attribute__((aligned(64)));
static IMB_MGR *mgr, *mgr2;		/* mgr2: IPsec-MB's AVX2 code */
static struct gcm_key_data kd2 __attribute__((aligned(64)));
static unsigned burst = NPKT;
static unsigned gap_iters;		/* --gap: scalar work between calls */
static volatile uint64_t gap_sink;

/* @n steps of a dependent scalar recurrence: no vector instruction */
static void __attribute__((noinline))
gap(unsigned n)
{
	uint64_t x = gap_sink;

	while (n-- > 0)
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	gap_sink = x;
}

enum { V_IMB, V_AVX512, V_AVX2, V_IMB_AVX2 };
static const char *const vname[NVAR] = { "ipsecmb", "avx512", "avx2", "imb-avx2" };
static const enum cry_mgcm_isa visa[NVAR] = { CRY_MGCM_ISA_NONE, CRY_MGCM_ISA_AVX512,
					      CRY_MGCM_ISA_AVX2, CRY_MGCM_ISA_NONE };

/* IPsec-MB's AVX2 GCM (mgr2, kd2) on one packet. */
static void
imb2(bool seal, unsigned i, uint32_t len)
{
	struct gcm_context_data ctx;

	if (key.key_len == 16 && seal)
		IMB_AES128_GCM_ENC(mgr2, &kd2, &ctx, bufs[i], bufs[i], len, nonces[i], aads[i], 8,
				   tags[i], 16);
	else if (key.key_len == 16)
		IMB_AES128_GCM_DEC(mgr2, &kd2, &ctx, bufs[i], bufs[i], len, nonces[i], aads[i], 8,
				   tags[i], 16);
	else if (seal)
		IMB_AES256_GCM_ENC(mgr2, &kd2, &ctx, bufs[i], bufs[i], len, nonces[i], aads[i], 8,
				   tags[i], 16);
	else
		IMB_AES256_GCM_DEC(mgr2, &kd2, &ctx, bufs[i], bufs[i], len, nonces[i], aads[i], 8,
				   tags[i], 16);
}

static void
fill(uint32_t len)
{
	unsigned i, j;

	for (i = 0; i < burst; i++) {
		for (j = 0; j < len; j++)
			bufs[i][j] = (uint8_t)(i * 7 + j);
		for (j = 0; j < 12; j++)
			nonces[i][j] = (uint8_t)(i + 3 * j);
		for (j = 0; j < 8; j++)
			aads[i][j] = (uint8_t)(0x10 + i + j);
	}
}

static void
ops_make(struct cry_mgcm_op *ops, uint32_t len)
{
	unsigned i;

	for (i = 0; i < burst; i++)
		ops[i] = (struct cry_mgcm_op){ .key = &key, .iv = nonces[i], .aad = aads[i],
					       .data = bufs[i], .tag = tags[i], .len = len,
					       .aad_len = 8 };
}

/* One call of variant @v: seal (op 0) or open (op 1) the burst in place. */
static void
call(unsigned v, unsigned op, struct cry_mgcm_op *ops, uint32_t len)
{
	unsigned i;

	for (i = 0; i < burst; i++)
		nonces[i][11]++;		/* a fresh nonce per packet and call */
	if (v == V_IMB_AVX2) {
		for (i = 0; i < burst; i++)
			imb2(op == 0, i, len);
	} else if (v == V_IMB) {
		for (i = 0; i < burst; i++) {
			if (op == 0)
				cry_gcm_seal(mgr, &key, nonces[i], aads[i], 8, bufs[i], len,
					     tags[i]);
			else
				(void)cry_gcm_open(mgr, &key, nonces[i], aads[i], 8, bufs[i],
						   len, tags[i]);
		}
	} else if (op == 0) {
		cry_mgcm_seal(mgr, ops, burst);
	} else {
		cry_mgcm_open(mgr, ops, burst);
	}
}

/* Each kernel against IPsec-MB at @len: 0 if identical and open succeeds. */
static int
check(uint32_t len, const bool *on)
{
	struct cry_mgcm_op ops[NPKT];
	unsigned v, i;

	for (v = 1; v < NVAR; v++) {
		if (!on[v])
			continue;
		fill(len);
		for (i = 0; i < burst; i++) {
			memcpy(ref[i], bufs[i], len);
			cry_gcm_seal(mgr, &key, nonces[i], aads[i], 8, ref[i], len, ref_tags[i]);
		}
		if (v == V_IMB_AVX2) {
			for (i = 0; i < burst; i++) {
				imb2(true, i, len);
				if (memcmp(bufs[i], ref[i], len) != 0 ||
				    memcmp(tags[i], ref_tags[i], 16) != 0) {
					fprintf(stderr, "mgcm-micro: %s differs, len %u\n", vname[v],
						len);
					return -1;
				}
			}
			continue;
		}
		if (cry_mgcm_set_isa(visa[v]) != 0)
			return -1;
		ops_make(ops, len);
		cry_mgcm_seal(mgr, ops, burst);
		for (i = 0; i < burst; i++) {
			if (memcmp(bufs[i], ref[i], len) != 0 || memcmp(tags[i], ref_tags[i], 16) != 0) {
				fprintf(stderr, "mgcm-micro: %s seal differs from IPsec-MB, len %u "
					"packet %u\n", vname[v], len, i);
				return -1;
			}
		}
		cry_mgcm_open(mgr, ops, burst);
		for (i = 0; i < burst; i++) {
			if (ops[i].status != 0) {
				fprintf(stderr, "mgcm-micro: %s open failed, len %u packet %u\n",
					vname[v], len, i);
				return -1;
			}
		}
	}
	return 0;
}

static double cyc[NVAR][NOP][MAXR];

/* med[a] / med[b] for operation @op, -1 if either variant is missing */
static double
ratio(const bool *on, double (*med)[NOP], unsigned a, unsigned b, unsigned op)
{
	return on[a] && on[b] && med[b][op] > 0 ? med[a][op] / med[b][op] : -1;
}

int
main(int argc, char **argv)
{
	static const uint32_t def_sizes[] = { 16, 48, 64, 80, 96, 128, 256, 512, 1420 };
	uint32_t sizes[32], nsizes = 0, s;
	unsigned rounds = 200, calls = 50, key_len = 16, v, op, r, c, i;
	bool on[NVAR] = { true, false, false, false };
	double med[NVAR][NOP], mn[NVAR][NOP], at48[NVAR] = { 0 };
	uint8_t kb[32];
	const struct perf_opt opts[] = {
		PERF_OPT_ARG("sizes", 's'),
		PERF_OPT_NUM("rounds", 1, MAXR, rounds, ""),
		PERF_OPT_NUM("calls", 1, 1000000, calls, ""),
		PERF_OPT_NUM("burst", 1, NPKT, burst, ""),
		PERF_OPT_NUM("key", 16, 32, key_len, ""),
		PERF_OPT_NUM("gap", 0, 1000000, gap_iters, ""),
	};
	int opt, n;

	while ((opt = perf_getopt("mgcm-micro", argc, argv, "", opts, PERF_DIM(opts))) != -1) {
		if (opt != 's' ||
		    (n = perf_parse_list(optarg, 0, CRY_MGCM_MAX_LEN, sizes, PERF_DIM(sizes))) < 0) {
			fprintf(stderr, "usage: mgcm-micro [--sizes 16,48,...] [--rounds N] "
				"[--calls N] [--burst 1..16] [--key 16|32] [--gap N]\n");
			return 2;
		}
		nsizes = (uint32_t)n;
	}
	if (nsizes == 0) {
		memcpy(sizes, def_sizes, sizeof(def_sizes));
		nsizes = sizeof(def_sizes) / sizeof(def_sizes[0]);
	}
	if (key_len != 16 && key_len != 32) {
		fprintf(stderr, "mgcm-micro: --key wants 16 or 32\n");
		return 2;
	}
	mgr = cry_mgr_create();
	if (mgr == NULL)
		return 1;
	cry_mgcm_init();
	cry_mgcm_set_mode(CRY_MGCM_FORCE);
	on[1] = cry_mgcm_isa_supported(CRY_MGCM_ISA_AVX512);
	on[2] = cry_mgcm_isa_supported(CRY_MGCM_ISA_AVX2);
	for (i = 0; i < sizeof(kb); i++)
		kb[i] = (uint8_t)(0x40 + i);
	if (cry_gcm_key_init(mgr, &key, kb, key_len) != 0)
		return 1;
	mgr2 = alloc_mb_mgr(0);
	if (mgr2 != NULL && __builtin_cpu_supports("avx2")) {
		init_mb_mgr_avx2(mgr2);
		if (key_len == 16)
			IMB_AES128_GCM_PRE(mgr2, kb, &kd2);
		else
			IMB_AES256_GCM_PRE(mgr2, kb, &kd2);
		on[V_IMB_AVX2] = true;
	}
	cry_wipe(kb, sizeof(kb));
	printf("# mgcm-micro: AES-%u-GCM, %u packets per call, AAD 8, %u rounds of %u calls; "
	       "TSC cycles per packet (median, min); kernels: avx512 %s, avx2 %s\n",
	       key_len * 8, burst, rounds, calls, on[1] ? "yes" : "no", on[2] ? "yes" : "no");
	printf("%-6s %-8s %-5s %9s %9s\n", "bytes", "variant", "op", "median", "min");
	for (s = 0; s < nsizes; s++) {
		uint32_t len = sizes[s];
		struct cry_mgcm_op ops[NPKT];

		if (check(len, on) != 0)
			return 1;
		fill(len);
		ops_make(ops, len);
		for (r = 0; r < rounds; r++) {
			for (i = 0; i < NVAR * NOP; i++) {
				/* rotate the order every round */
				unsigned k = (i + r) % (NVAR * NOP);
				uint64_t t0;

				v = k / NOP;
				op = k % NOP;
				if (!on[v])
					continue;
				if (visa[v] != CRY_MGCM_ISA_NONE && cry_mgcm_set_isa(visa[v]) != 0)
					return 1;
				call(v, op, ops, len);		/* warm */
				_mm_lfence();
				t0 = __rdtsc();
				for (c = 0; c < calls; c++) {
					call(v, op, ops, len);
					if (gap_iters != 0)
						gap(gap_iters);
				}
				_mm_lfence();
				cyc[v][op][r] = (double)(__rdtsc() - t0) / ((double)calls * burst);
				if (gap_iters != 0) {
					/* the scalar work alone, taken out again */
					t0 = __rdtsc();
					for (c = 0; c < calls; c++)
						gap(gap_iters);
					_mm_lfence();
					cyc[v][op][r] -= (double)(__rdtsc() - t0) /
							 ((double)calls * burst);
				}
			}
		}
		for (v = 0; v < NVAR; v++) {
			if (!on[v])
				continue;
			for (op = 0; op < NOP; op++) {
				qsort(cyc[v][op], rounds, sizeof(double), perf_cmp_double);
				med[v][op] = cyc[v][op][rounds / 2];
				mn[v][op] = cyc[v][op][0];
				printf("%-6u %-8s %-5s %9.1f %9.1f\n", len, vname[v],
				       op == 0 ? "seal" : "open", med[v][op], mn[v][op]);
			}
		}
		for (op = 0; op < NOP; op++)
			printf("%-6u ratios %-5s avx512/ipsecmb %.2f  avx2/ipsecmb %.2f  "
			       "avx2/avx512 %.2f  avx2/imb-avx2 %.2f\n", len,
			       op == 0 ? "seal" : "open", ratio(on, med, V_AVX512, V_IMB, op),
			       ratio(on, med, V_AVX2, V_IMB, op), ratio(on, med, V_AVX2, V_AVX512, op),
			       ratio(on, med, V_AVX2, V_IMB_AVX2, op));
		if (len == 48)
			for (v = 0; v < NVAR; v++)
				at48[v] = on[v] ? med[v][0] : 0;
	}
	if (at48[0] > 0) {
		bool all = true;

		for (v = 0; v < NVAR; v++)
			all = all && at48[v] > 0;
		/* -1: a variant the CPU lacks */
		printf("SUMMARY seal48_avx512_vs_ipsecmb=%.2f seal48_avx2_vs_ipsecmb=%.2f "
		       "seal48_avx2_vs_avx512=%.2f seal48_avx2_vs_imb_avx2=%.2f\n",
		       all ? at48[V_AVX512] / at48[V_IMB] : -1, all ? at48[V_AVX2] / at48[V_IMB] : -1,
		       all ? at48[V_AVX2] / at48[V_AVX512] : -1,
		       all ? at48[V_AVX2] / at48[V_IMB_AVX2] : -1);
	}
	cry_wipe(&key, sizeof(key));
	cry_wipe(&kd2, sizeof(kd2));
	if (mgr2 != NULL)
		free_mb_mgr(mgr2);
	cry_mgr_destroy(mgr);
	return 0;
}
