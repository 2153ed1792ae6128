/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the two source files of the test_ike_crypto binary
 * (test_ike_crypto.c with main(), test_ike_crypto_auth.c).
 */
#ifndef RAMPART_TEST_IKE_CRYPTO_H
#define RAMPART_TEST_IKE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "test_main.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Hex string -> bytes by test_hex.h (fatal CUnit assertion on bad input); returns length. */
size_t tic_unhex(const char *s, uint8_t *out, size_t cap);

/* test_ike_crypto_auth.c: adds the "ike_auth" suite (test_main.h). */
void test_ike_crypto_auth_register(void);

#endif
