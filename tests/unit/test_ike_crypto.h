/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the two source files of the test_ike_crypto binary
 * (test_ike_crypto.c with main(), test_ike_crypto_auth.c).
 */
#ifndef RAMPART_TEST_IKE_CRYPTO_H
#define RAMPART_TEST_IKE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

struct tic_case {
	const char *name;
	void (*fn)(void);
};

/* Hex string -> bytes (fatal CUnit assertion on bad input); returns length. */
size_t tic_unhex(const char *s, uint8_t *out, size_t cap);

/* Register a suite with its cases; 0 or -1. */
int tic_add_suite(const char *name, const struct tic_case *t, size_t n, CU_InitializeFunc init,
		  CU_CleanupFunc fini);

/* test_ike_crypto_auth.c: the "ike_auth" suite. */
int test_ike_crypto_auth_register(void);

#endif
