/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf/cbc-micro: the AES-128-CBC + HMAC-SHA-256 crypto step of ESP alone,
 * 32 packets per burst, several ways of driving IPsec-MB 1.3, measured
 * interleaved in one run (see perf/FINDINGS.md, section on CBC):
 *   enc-lib        cry_cbc_burst(encrypt) as built (lib/crypto)
 *   enc-job        a chained cipher+hash job per packet through the
 *                  validating IMB_SUBMIT_JOB, then flush (lib/crypto before)
 *   enc-nocheck    the same loop with IMB_SUBMIT_JOB_NOCHECK
 *   enc-split      IMB_SUBMIT_CIPHER_BURST_NOCHECK (CBC) then
 *                  IMB_SUBMIT_HASH_BURST_NOCHECK (HMAC-SHA-256)
 *   enc-split-chk  the same with the validating IMB_SUBMIT_*_BURST
 *   dec-...        the same five for MAC-then-decrypt
 *   iv-one         cry_cbc_iv_gen per packet (one raw AES block call each)
 *   iv-lib         cry_cbc_iv_gen_n as built (AES-NI where the CPU has it)
 *   iv-ecb-job     one ECB job over 32 counter blocks, IMB_SUBMIT_JOB
 *                  (lib/crypto before)
 *   iv-ecb-nochk   one ECB job over 32 counter blocks, IMB_SUBMIT_JOB_NOCHECK
 *                  (IPsec-MB 1.3's cipher burst API refuses ECB)
 * Each variant checks its output against enc-job / dec-job / iv-one first, so a
 * faster variant that computes something else is reported, not timed.
 *
 * Usage: cbc-micro [--sizes 64,128,...] [--rounds N] [--bursts N]
 * Figures: TSC cycles per packet, median over rounds of the mean of a
 * round's bursts (frame size as in esp-bench: ESP payload = frame - 18 B
 * inner packet + padding + 2, 16-byte aligned; HMAC over 24 + payload).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <x86intrin.h>

#include "crypto/cry.h"
#include "perf_common.h"

enum { NPKT = 32, MAXV = 16, BUFSZ = 1600 };

static uint8_t bufs[NPKT][BUFSZ] __attribute__((aligned(64)));
static uint8_t ref[NPKT][BUFSZ];
static uint8_t tags[NPKT][CRY_MAX_ICV_LEN];
static uint8_t ref_tags[NPKT][CRY_MAX_ICV_LEN];
static uint8_t ivs[NPKT][16];
static struct cry_cbc_key key __attribute__((aligned(64)));
static IMB_MGR *mgr;
static uint32_t plen;			/* cipher bytes per packet */
static uint64_t seq0;

static void
fill(void)
{
	unsigned i, j;

	for (i = 0; i < NPKT; i++)
		for (j = 0; j < BUFSZ; j++)
			bufs[i][j] = (uint8_t)(i * 7 + j);
}

static void
ops_make(struct cry_cbc_op *ops)
{
	unsigned i;

	for (i = 0; i < NPKT; i++) {
		ops[i].buf = bufs[i];
		ops[i].iv = bufs[i] + 8;
		ops[i].tag = tags[i];
		ops[i].key = &key;
		ops[i].cipher_off = 24;
		ops[i].cipher_len = plen;
		ops[i].hash_len = 24 + plen;
	}
}

static void
enc_job(bool enc, bool nocheck)
{
	struct cry_cbc_op ops[NPKT];

	(void)nocheck;
	ops_make(ops);
	cry_cbc_burst(mgr, ops, NPKT, enc);
}

static void
job_fill(IMB_JOB *job, unsigned i, bool enc)
{
	job->cipher_mode = IMB_CIPHER_CBC;
	job->enc_keys = key.enc_exp;
	job->dec_keys = key.dec_exp;
	job->key_len_in_bytes = IMB_KEY_128_BYTES;
	job->dst = bufs[i] + 24;
	job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->src = bufs[i];
	job->cipher_start_src_offset_in_bytes = 24;
	job->msg_len_to_cipher_in_bytes = plen;
	job->iv = bufs[i] + 8;
	job->iv_len_in_bytes = 16;
	job->hash_alg = IMB_AUTH_HMAC_SHA_256;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = 24 + plen;
	job->u.HMAC._hashed_auth_key_xor_ipad = key.ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = key.opad;
	job->auth_tag_output = tags[i];
	job->auth_tag_output_len_in_bytes = 16;
	job->user_data = NULL;
}

static void
job_loop(bool enc, bool nocheck)
{
	IMB_JOB *job;
	unsigned i;

	for (i = 0; i < NPKT; i++) {
		job = IMB_GET_NEXT_JOB(mgr);
		job_fill(job, i, enc);
		job = nocheck ? IMB_SUBMIT_JOB_NOCHECK(mgr) : IMB_SUBMIT_JOB(mgr);
		while (job != NULL)
			job = IMB_GET_COMPLETED_JOB(mgr);
	}
	while (IMB_FLUSH_JOB(mgr) != NULL)
		;
}

static IMB_JOB jobs[NPKT];

/* The CBC burst, then the HMAC burst (the other way round to decrypt). */
static void
split_burst(bool enc, bool nocheck)
{
	submit_cipher_burst_t cipher = nocheck ? mgr->submit_cipher_burst_nocheck :
						 mgr->submit_cipher_burst;
	submit_hash_burst_t hash = nocheck ? mgr->submit_hash_burst_nocheck :
					     mgr->submit_hash_burst;
	unsigned i;

	for (i = 0; i < NPKT; i++)
		job_fill(&jobs[i], i, enc);
	if (!enc)
		hash(mgr, jobs, NPKT, IMB_AUTH_HMAC_SHA_256);
	cipher(mgr, jobs, NPKT, IMB_CIPHER_CBC, enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT,
	       IMB_KEY_128_BYTES);
	if (enc)
		hash(mgr, jobs, NPKT, IMB_AUTH_HMAC_SHA_256);
}

static void
iv_one(bool enc, bool nocheck)
{
	unsigned i;

	(void)enc, (void)nocheck;
	for (i = 0; i < NPKT; i++)
		cry_cbc_iv_gen(mgr, &key, seq0 + i, ivs[i]);
}

static void
iv_n(bool enc, bool nocheck)
{
	uint64_t ctr[NPKT];
	uint8_t *p[NPKT];
	unsigned i;

	(void)enc, (void)nocheck;
	for (i = 0; i < NPKT; i++) {
		ctr[i] = seq0 + i;
		p[i] = ivs[i];
	}
	cry_cbc_iv_gen_n(mgr, &key, ctr, NPKT, p);
}

static void
iv_ecb(bool enc, bool nocheck)
{
	uint8_t blk[NPKT][16] __attribute__((aligned(16)));
	IMB_JOB *job;
	unsigned i, b;

	(void)enc;
	for (i = 0; i < NPKT; i++) {
		memset(blk[i], 0, 8);
		for (b = 0; b < 8; b++)
			blk[i][15 - b] = (uint8_t)((seq0 + i) >> (8 * b));
	}
	job = IMB_GET_NEXT_JOB(mgr);
	job->cipher_mode = IMB_CIPHER_ECB;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->hash_alg = IMB_AUTH_NULL;
	job->enc_keys = key.iv_exp;
	job->dec_keys = key.iv_exp;
	job->key_len_in_bytes = IMB_KEY_128_BYTES;
	job->src = blk[0];
	job->dst = ivs[0];
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = NPKT * 16;
	job->iv = NULL;
	job->iv_len_in_bytes = 0;
	job = nocheck ? IMB_SUBMIT_JOB_NOCHECK(mgr) : IMB_SUBMIT_JOB(mgr);
	while (IMB_FLUSH_JOB(mgr) != NULL)
		;
}

struct variant {
	const char *name;
	void (*fn)(bool enc, bool nocheck);
	bool enc, nocheck;
	double cyc[1024];
};

static struct variant vars[] = {
	{ "enc-lib", enc_job, true, false, {0} },
	{ "enc-job", job_loop, true, false, {0} },
	{ "enc-nocheck", job_loop, true, true, {0} },
	{ "enc-split", split_burst, true, true, {0} },
	{ "enc-split-chk", split_burst, true, false, {0} },
	{ "dec-lib", enc_job, false, false, {0} },
	{ "dec-job", job_loop, false, false, {0} },
	{ "dec-nocheck", job_loop, false, true, {0} },
	{ "dec-split", split_burst, false, true, {0} },
	{ "dec-split-chk", split_burst, false, false, {0} },
	{ "iv-one", iv_one, true, false, {0} },
	{ "iv-lib", iv_n, true, false, {0} },
	{ "iv-ecb-job", iv_ecb, true, false, {0} },
	{ "iv-ecb-nochk", iv_ecb, true, true, {0} },
};
enum { NVAR = sizeof(vars) / sizeof(vars[0]) };

/* Output of variant v (after fill) equals the reference variant's. */
static int
check(unsigned v, unsigned refv)
{
	bool ivv = strncmp(vars[v].name, "iv-", 3) == 0;

	fill();
	vars[refv].fn(vars[refv].enc, vars[refv].nocheck);
	memcpy(ref, bufs, sizeof(ref));
	memcpy(ref_tags, ivv ? (void *)ivs : (void *)tags, ivv ? sizeof(ivs) : sizeof(tags));
	memset(tags, 0, sizeof(tags));
	memset(ivs, 0, sizeof(ivs));
	fill();
	vars[v].fn(vars[v].enc, vars[v].nocheck);
	if (memcmp(ref, bufs, sizeof(ref)) != 0 ||
	    memcmp(ref_tags, ivv ? (void *)ivs : (void *)tags, ivv ? sizeof(ivs) : sizeof(tags)))
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const uint8_t k16[16] = "0123456789abcdef", ik[32] = "hmac-key-hmac-key-hmac-key-0123";
	static const uint8_t ivk[16] = "iv-key-iv-key-iv";
	unsigned sizes[16] = { 64, 128, 256, 512, 1024, 1420 }, nsz = 6, rounds = 200, bursts = 20;
	unsigned s, r, v, b;
	const struct perf_opt opts[] = {
		PERF_OPT_ARG("sizes", 's'),
		PERF_OPT_NUM("rounds", 1, 1024, rounds, NULL),
		PERF_OPT_NUM("bursts", 1, 1000000, bursts, NULL),
	};
	int c, n;

	while ((c = perf_getopt(argv[0], argc, argv, "", opts, PERF_DIM(opts))) != -1) {
		if (c != 's' || (n = perf_parse_list(optarg, 64, 1514, sizes, 16)) < 0) {
			fprintf(stderr, "usage: %s [--sizes 64,...] [--rounds N] [--bursts N]\n",
				argv[0]);
			return 2;
		}
		nsz = (unsigned)n;
	}
	mgr = cry_mgr_create();
	if (mgr == NULL || cry_cbc_key_init(mgr, &key, k16, 16, CRY_HMAC_SHA256_128, ik, 32,
					    ivk) != 0) {
		fprintf(stderr, "cbc-micro: IPsec-MB set-up failed\n");
		return 1;
	}
	printf("# cbc-micro: TSC cycles per packet, burst %d, median of %u rounds x %u bursts\n",
	       NPKT, rounds, bursts);
	printf("%-14s", "frame");
	for (v = 0; v < NVAR; v++)
		printf(" %13s", vars[v].name);
	printf("\n");
	for (s = 0; s < nsz; s++) {
		uint32_t inner = sizes[s] - 18;

		plen = (inner + 2 + 15) & ~15u;
		for (v = 0; v < NVAR; v++) {
			unsigned refv = strncmp(vars[v].name, "iv-", 3) == 0 ? 10 :
					vars[v].enc ? 1 : 6;

			if (check(v, refv) != 0) {
				fprintf(stderr, "cbc-micro: %s differs from %s at %u B\n",
					vars[v].name, vars[refv].name, sizes[s]);
				return 1;
			}
		}
		for (r = 0; r < rounds; r++) {
			for (v = 0; v < NVAR; v++) {
				uint64_t t0, t1;

				vars[v].fn(vars[v].enc, vars[v].nocheck);	/* warm */
				t0 = __rdtsc();
				for (b = 0; b < bursts; b++) {
					seq0 += NPKT;
					vars[v].fn(vars[v].enc, vars[v].nocheck);
				}
				t1 = __rdtsc();
				vars[v].cyc[r] = (double)(t1 - t0) / (bursts * NPKT);
			}
		}
		printf("%-14u", sizes[s]);
		for (v = 0; v < NVAR; v++) {
			qsort(vars[v].cyc, rounds, sizeof(double), perf_cmp_double);
			printf(" %13.1f", vars[v].cyc[rounds / 2]);
		}
		printf("\n");
	}
	cry_mgr_destroy(mgr);
	return 0;
}
