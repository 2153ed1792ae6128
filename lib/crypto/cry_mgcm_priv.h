/* SPDX-License-Identifier: BSD-3-Clause */
/* Kernels of the multi-packet AES-GCM engine, one file per instruction set. */
#ifndef RAMPART_CRY_MGCM_PRIV_H
#define RAMPART_CRY_MGCM_PRIV_H

#include <stdbool.h>

#include "crypto/cry_mgcm.h"

void cry_mgcm_key_init_avx512(struct cry_gcm_key *k);
/* @n (1..16) packets with the same key length. */
void cry_mgcm_run_avx512(struct cry_mgcm_op *ops, unsigned n, bool seal);
/* The same on AVX2 + VAES + VPCLMULQDQ (ymm, two lanes per register). */
void cry_mgcm_key_init_avx2(struct cry_gcm_key *k);
void cry_mgcm_run_avx2(struct cry_mgcm_op *ops, unsigned n, bool seal);

#endif
