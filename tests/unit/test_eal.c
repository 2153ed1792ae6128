/* SPDX-License-Identifier: BSD-3-Clause */
/* EAL set-up and tear-down for the unit tests, run-directory removal (test_eal.h). */
#include "test_eal.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_malloc.h>

static char rundir[256];

int
tu_eal_init(const char *argv0, const char *name, unsigned mem_mb)
{
	char prefix[64], mem[16];
	char *eal[] = { (char *)argv0, "--no-huge", "-m", mem, "--no-pci", "--file-prefix",
			prefix, "--no-shconf", "--log-level", "lib.eal:error", "--log-level",
			"rampart.esp:warning" };

	snprintf(mem, sizeof(mem), "%u", mem_mb);
	snprintf(prefix, sizeof(prefix), "unit-%s-%d", name, (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return -1;
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	return 0;
}

void
tu_eal_dir_remove(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

void
tu_eal_fini(void)
{
	rte_eal_cleanup();
	tu_eal_dir_remove(rundir);
}

/* The DPDK heap's bytes allocated and number of allocations, all sockets. */
static void
heap_totals(uint64_t *bytes, uint64_t *allocs)
{
	struct rte_malloc_socket_stats ms;
	unsigned i;

	*bytes = *allocs = 0;
	for (i = 0; i < RTE_MAX_NUMA_NODES; i++) {
		if (rte_malloc_get_socket_stats((int)i, &ms) == 0) {
			*bytes += ms.heap_allocsz_bytes;
			*allocs += ms.alloc_count;
		}
	}
}

uint64_t
tu_eal_heap_bytes(void)
{
	uint64_t bytes, allocs;

	heap_totals(&bytes, &allocs);
	return bytes;
}

uint64_t
tu_eal_heap_allocs(void)
{
	uint64_t bytes, allocs;

	heap_totals(&bytes, &allocs);
	return allocs;
}
