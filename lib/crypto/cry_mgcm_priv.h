/* SPDX-License-Identifier: BSD-3-Clause */
/* Kernels of the multi-packet AES-GCM engine, one file per instruction set. */
#ifndef RAMPART_CRY_MGCM_PRIV_H
#define RAMPART_CRY_MGCM_PRIV_H

#include <stdbool.h>

#include "crypto/cry_mgcm.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* AES rounds of a 16-, 24- or 32-byte key. */
static inline unsigned
cry_mgcm_nrounds(unsigned key_len)
{
	return key_len == 16 ? 10 : key_len == 24 ? 12 : 14;
}

/*
 * The kernels' entry: calls RUN_N(ops, n, nr, seal) with the round count and
 * the direction as constants, so each (key length, direction) pair is its
 * own inlined copy of the kernel, with no branch on either inside.
 */
#define CRY_MGCM_DISPATCH(RUN_N, ops, n, nr, seal)					\
	do {										\
		if (seal)								\
			CRY_MGCM_DISPATCH_NR(RUN_N, ops, n, nr, true);			\
		else									\
			CRY_MGCM_DISPATCH_NR(RUN_N, ops, n, nr, false);			\
	} while (0)
#define CRY_MGCM_DISPATCH_NR(RUN_N, ops, n, nr, seal)					\
	do {										\
		if ((nr) == 10)								\
			RUN_N(ops, n, 10, seal);					\
		else if ((nr) == 14)							\
			RUN_N(ops, n, 14, seal);					\
		else									\
			RUN_N(ops, n, 12, seal);					\
	} while (0)

void cry_mgcm_key_init_avx512(struct cry_gcm_key *k);
/* @n (1..16) packets with the same key length. */
void cry_mgcm_run_avx512(struct cry_mgcm_op *ops, unsigned n, bool seal);
/* The same on AVX2 + VAES + VPCLMULQDQ (ymm, two lanes per register). */
void cry_mgcm_key_init_avx2(struct cry_gcm_key *k);
void cry_mgcm_run_avx2(struct cry_mgcm_op *ops, unsigned n, bool seal);

#endif
