/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * EAL set-up and tear-down for the unit tests that need DPDK, and the removal
 * of an EAL run's /var/run/dpdk/PREFIX directory that the unit tests, the
 * fuzz target fuzz_esp and the perf programs share (test_eal.c; no CUnit).
 */
#ifndef RAMPART_TEST_EAL_H
#define RAMPART_TEST_EAL_H

#include <stdint.h>

/*
 * EAL for a unit test: no huge pages, @mem_mb of memory, no PCI, file prefix
 * unit-@name-PID, no shared config, EAL logs at error and rampart.esp at
 * warning. Returns 0 or -1 (printed).
 */
int tu_eal_init(const char *argv0, const char *name, unsigned mem_mb);
/* rte_eal_cleanup() and the removal of the run's /var/run/dpdk directory. */
void tu_eal_fini(void);
/* Remove an EAL runtime directory @dir (rte_eal_get_runtime_dir(), taken
 * before rte_eal_cleanup()) and the files in it. */
void tu_eal_dir_remove(const char *dir);
/* Bytes allocated from the DPDK heap now, all sockets (leak checks). */
uint64_t tu_eal_heap_bytes(void);
/* Allocations live in the DPDK heap now, all sockets (leak checks). */
uint64_t tu_eal_heap_allocs(void);

#endif
