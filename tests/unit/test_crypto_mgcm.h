/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RAMPART_TEST_CRYPTO_MGCM_H
#define RAMPART_TEST_CRYPTO_MGCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <CUnit/Basic.h>
#include <intel-ipsec-mb.h>

void test_mgcm_register(CU_pSuite s, IMB_MGR *m);

/* One AES-GCM known answer: key, plaintext, ciphertext and tag in hex, the
 * nonce and the AAD decoded. */
struct gcm_kat {
	char name[32];
	const char *key, *pt, *ct, *tag;
	uint8_t nonce[12];
	uint8_t aad[32];
	int aad_len;
};
enum gcm_kat_set {
	GCM_KAT_SPEC,		/* the GCM specification's test cases (gcm_spec.h) */
	GCM_KAT_MCGREW,		/* draft-mcgrew ESP packets, nonce = salt | IV (8 or 12 AAD) */
};
/* The @i-th known answer of @set into *@k; false past the last. The one
 * reader of both vector files for test_crypto.c and test_crypto_mgcm.c. */
bool gcm_kat_at(enum gcm_kat_set set, size_t i, struct gcm_kat *k);

#endif
