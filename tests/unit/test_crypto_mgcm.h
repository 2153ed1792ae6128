/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RAMPART_TEST_CRYPTO_MGCM_H
#define RAMPART_TEST_CRYPTO_MGCM_H

#include <stdint.h>

#include <CUnit/Basic.h>
#include <intel-ipsec-mb.h>

void test_mgcm_register(CU_pSuite s, IMB_MGR *m);

struct vec_gcm;
struct vec_esp_gcm;
/* The nonce and the AAD of a GCM spec vector (hex); the AAD's length. */
int vec_gcm_nonce_aad(const struct vec_gcm *v, uint8_t nonce[12], uint8_t aad[32]);
/* The nonce (salt, IV) and the AAD of a McGrew ESP packet; the AAD's length (8 or 12). */
int vec_esp_nonce_aad(const struct vec_esp_gcm *v, uint8_t nonce[12], uint8_t aad[12]);

#endif
