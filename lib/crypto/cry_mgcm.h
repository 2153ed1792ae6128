/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Multi-packet AES-GCM (RFC 4106 ESP): seals or opens up to
 * CRY_MGCM_MAX_LANES packets per call, one packet per 128-bit lane of
 * four 512-bit registers (AVX-512 kernel) or eight 256-bit registers (AVX2
 * kernel, CPUs with VAES but no AVX-512), interleaving the packets' AES-CTR
 * rounds (VAES) and their GHASH (VPCLMULQDQ). Small packets only: their fixed cost (J0,
 * AAD block, length block, tag) is a chain of dependent AES rounds and
 * carry-less multiplies that one packet cannot keep the units busy with.
 *
 * Uses the AES round keys IPsec-MB expanded into struct gcm_key_data and
 * H, H^2, H^3, H^4 (byte-reflected) that cry_gcm_key_init computes at SA
 * install (the same for both kernels). Chosen at run time from the CPU
 * flags (cry_mgcm_init: AVX-512 if present, else AVX2); callers
 * fall back to cry_gcm_seal/open when cry_mgcm_use() says no.
 */
#ifndef RAMPART_CRY_MGCM_H
#define RAMPART_CRY_MGCM_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/cry.h"

enum cry_mgcm_limits {
	CRY_MGCM_MAX_LANES = 16,	/* packets per engine round */
	CRY_MGCM_MIN_BURST = 4,		/* fewer: IPsec-MB per packet */
	CRY_MGCM_MAX_AAD = 16,
	CRY_MGCM_MAX_LEN = 2048,	/* longer payloads go to IPsec-MB */
};

/* Engine selection (env RAMPART_GCM_ENGINE=auto|mgcm|ipsecmb). */
enum cry_mgcm_mode {
	CRY_MGCM_AUTO = 0,		/* engine for bursts of small packets */
	CRY_MGCM_FORCE = 1,		/* engine for every GCM packet it can take */
	CRY_MGCM_OFF = 2,		/* IPsec-MB only */
};

/* One packet. The payload is encrypted/decrypted in place. */
struct cry_mgcm_op {
	const struct cry_gcm_key *key;	/* key_len 16, 24 or 32 */
	const uint8_t *iv;		/* 12-byte nonce: salt || explicit IV */
	const uint8_t *aad;		/* aad_len bytes (8, or 12 with ESN) */
	uint8_t *data;
	uint8_t *tag;			/* seal: written; open: expected tag */
	uint32_t len;
	uint8_t aad_len;		/* <= CRY_MGCM_MAX_AAD */
	int8_t status;			/* open: out, 0 or -EBADMSG */
};

/* Which instruction set the engine runs on (0: none, IPsec-MB only). */
enum cry_mgcm_isa {
	CRY_MGCM_ISA_NONE = 0,
	CRY_MGCM_ISA_AVX512 = 1,
	CRY_MGCM_ISA_AVX2 = 2,		/* AVX2 + VAES + VPCLMULQDQ, ymm */
};

/*
 * Largest payload (bytes) the engine takes in auto mode: above it IPsec-MB's
 * one-packet code (8 blocks in flight per packet) is as fast; measured with
 * perf/esp-bench on hugepages (2026-12-07, perf/README.md: the engine ahead
 * up to 192-byte frames, 176 payload bytes, behind from 256-byte frames;
 * mgcm-micro agrees: 0.89x IPsec-MB's cycles at 128 B, 1.21x at 256 B).
 */
#define CRY_MGCM_CROSSOVER 176u
/* The same for the AVX2 kernel (perf/mgcm-micro, perf/README.md). */
#define CRY_MGCM_CROSSOVER_AVX2 64u

/*
 * CPU check and the RAMPART_GCM_ENGINE variable; idempotent. The variable
 * RAMPART_GCM_ISA=avx2|avx512 picks a kernel the CPU has (tests and perf:
 * the AVX2 kernel on an AVX-512 machine); otherwise the best one is used.
 */
void cry_mgcm_init(void);
enum cry_mgcm_isa cry_mgcm_isa(void);
/* Does the CPU run kernel @k? (CRY_MGCM_ISA_NONE: always) */
bool cry_mgcm_isa_supported(enum cry_mgcm_isa k);
/*
 * Use kernel @k from now on (NONE: IPsec-MB only); -ENOTSUP if the CPU
 * lacks it. Keys need no re-init (same H powers). Like cry_mgcm_set_mode:
 * at start or in tests, not while workers run.
 */
int cry_mgcm_set_isa(enum cry_mgcm_isa k);
void cry_mgcm_set_mode(enum cry_mgcm_mode mode);
enum cry_mgcm_mode cry_mgcm_mode(void);

/* Take a payload of @len bytes with the engine? (burst size checked apart). */
extern uint32_t cry_mgcm_max_len;	/* set by cry_mgcm_init/_set_mode */
extern bool cry_mgcm_on;		/* engine available and not forced off */

static inline bool
cry_mgcm_take(uint32_t len)
{
	return cry_mgcm_on && len <= cry_mgcm_max_len;
}

/* Fill k->hpow for @k whose kd.expanded_keys are set. Control core. */
void cry_mgcm_key_init(struct cry_gcm_key *k);

/*
 * Seal or open @n packets (any n; processed 16 at a time, any mix of keys).
 * Without engine support they go through IPsec-MB one by one on @m.
 */
void cry_mgcm_seal(IMB_MGR *m, struct cry_mgcm_op *ops, unsigned n);
void cry_mgcm_open(IMB_MGR *m, struct cry_mgcm_op *ops, unsigned n);

#endif
