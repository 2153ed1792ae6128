/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shared runner of the CUnit test binaries (tests/unit/test_main.c) and,
 * for those that need DPDK, their EAL set-up (test_eal.h, test_eal.c):
 *
 *	static const struct tu_test tests[] = {
 *		{ "case", fn },		(names as CI output knows them)
 *	};
 *
 *	int main(void)
 *	{
 *		return tu_main("name", tests, TU_N(tests));
 *	}
 */
#ifndef RAMPART_TEST_MAIN_H
#define RAMPART_TEST_MAIN_H

#include <stddef.h>
#include <stdint.h>

#include <CUnit/Basic.h>

/* Open the registry (first call) and add a suite; exits the process with 1 if
 * CUnit cannot (so callers need no error path). */
CU_pSuite tu_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc fini);

/* A suite from a table of tests (name as CI output knows it, function). */
struct tu_test {
	const char *name;
	CU_TestFunc fn;
};
CU_pSuite tu_suite_tab(const char *name, CU_InitializeFunc init, CU_CleanupFunc fini,
		       const struct tu_test *t, size_t n);
#define TU_N(a) (sizeof(a) / sizeof((a)[0]))

/* Run every suite verbosely, free the registry; 0 when no assertion and no
 * test failed (and a suite init/cleanup did not fail), else 1. */
int tu_run(void);
/* The main of a binary with one suite: tu_suite_tab() without init/cleanup,
 * then tu_run(); 0 or 1. */
int tu_main(const char *name, const struct tu_test *t, size_t n);

/* CLOCK_MONOTONIC in nanoseconds (cost measurements). */
uint64_t tu_now_ns(void);
/* The next value of the xorshift64* generator in *@st (test data only; the
 * state must not be 0). */
uint64_t tu_xorshift64s(uint64_t *st);

/* tu_main() with a fresh directory /tmp/test_@name.XXXXXX in @dir for the
 * tests, removed after them; 1 also when either fails. */
int tu_main_tmpdir(const char *name, char *dir, size_t len, const struct tu_test *t, size_t n);
/* A fresh directory /tmp/@name.XXXXXX into @buf; 0 or -1. */
int tu_tmpdir(const char *name, char *buf, size_t len);
/* Remove it and everything below; 0 or -1. */
int tu_tmpdir_remove(const char *dir);

#include "test_eal.h"	/* the EAL set-up, for the binaries with DPDK */

#endif
