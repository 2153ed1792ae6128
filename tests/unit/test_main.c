/* SPDX-License-Identifier: BSD-3-Clause */
/* The CUnit runner every unit test binary shares (test_main.h). */
#include "test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

CU_pSuite
tu_suite(const char *name, CU_InitializeFunc init, CU_CleanupFunc fini)
{
	CU_pSuite s;

	if (CU_get_registry() == NULL && CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "CUnit: no registry\n");
		exit(1);
	}
	s = CU_add_suite(name, init, fini);
	if (s == NULL) {
		fprintf(stderr, "CUnit: suite %s: %s\n", name, CU_get_error_msg());
		exit(1);
	}
	return s;
}

CU_pSuite
tu_suite_tab(const char *name, CU_InitializeFunc init, CU_CleanupFunc fini,
	     const struct tu_test *t, size_t n)
{
	CU_pSuite s = tu_suite(name, init, fini);
	size_t i;

	for (i = 0; i < n; i++) {
		if (CU_add_test(s, t[i].name, t[i].fn) == NULL) {
			fprintf(stderr, "CUnit: test %s: %s\n", t[i].name, CU_get_error_msg());
			exit(1);
		}
	}
	return s;
}

int
tu_run(void)
{
	unsigned fails;

	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
		CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return fails != 0;
}

int
tu_main(const char *name, const struct tu_test *t, size_t n)
{
	tu_suite_tab(name, NULL, NULL, t, n);
	return tu_run();
}

int
tu_main_tmpdir(const char *name, char *dir, size_t len, const struct tu_test *t, size_t n)
{
	char base[64];
	int failed;

	snprintf(base, sizeof(base), "test_%s", name);
	if (tu_tmpdir(base, dir, len) != 0)
		return 1;
	failed = tu_main(name, t, n);
	return tu_tmpdir_remove(dir) != 0 || failed;
}

uint64_t
tu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
tu_xorshift64s(uint64_t *st)
{
	*st ^= *st >> 12;
	*st ^= *st << 25;
	*st ^= *st >> 27;
	return *st * 0x2545f4914f6cdd1dull;
}

int
tu_tmpdir(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/%s.XXXXXX", name);
	return mkdtemp(buf) != NULL ? 0 : -1;
}

int
tu_tmpdir_remove(const char *dir)
{
	char cmd[160];

	if (strncmp(dir, "/tmp/", 5) != 0 || strchr(dir, '\'') != NULL)
		return -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}
