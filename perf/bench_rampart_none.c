/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stand-in for bench_rampart.c while lib/esp has no implementation to link:
 * esp-bench then measures only librte_ipsec and raw IPsec-MB GCM and prints
 * "-" for Rampart. Removed from the build as soon as lib/esp links.
 */
#include "bench.h"

#include <errno.h>

bool
ram_available(void)
{
	return false;
}

int
ram_ctx_create(enum bench_alg alg __rte_unused, unsigned n_sa __rte_unused,
	       struct ram_ctx **out __rte_unused)
{
	return -ENOTSUP;
}

void
ram_ctx_destroy(struct ram_ctx *c __rte_unused)
{
}

int
ram_ctx_reset_in(struct ram_ctx *c __rte_unused)
{
	return -ENOTSUP;
}

void
ram_pick(struct ram_ctx *c __rte_unused, struct esp_sa *sas[] __rte_unused,
	 uint16_t n __rte_unused)
{
}

uint16_t
ram_encap(struct ram_ctx *c __rte_unused, struct esp_sa *sas[] __rte_unused,
	  struct rte_mbuf *pkts[] __rte_unused, uint16_t n __rte_unused)
{
	return 0;
}

uint16_t
ram_decap(struct ram_ctx *c __rte_unused, struct rte_mbuf *pkts[] __rte_unused,
	  uint16_t n __rte_unused)
{
	return 0;
}
