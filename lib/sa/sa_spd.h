/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The outbound security policy database of one worker: which child SA an
 * inner packet is sent into, and the anti-spoofing reverse check of what
 * comes out of a child.
 *
 *   target:  {outbound SPI, owner worker} -> slot (rte_hash), holding the
 *            linked outbound SA (owner only), the child's inbound SPIs and
 *            the largest inner packet that fits;
 *   route:   inner prefix {af, depth, addr} -> slot (rte_hash) -> target;
 *   lookup:  inner address -> longest matching route's target, in rte_fib
 *            (IPv4, DIR24_8) and rte_fib6 (IPv6, TRIE), both built on
 *            rte_rib: an add or delete walks a tree, never a rule list.
 *
 * Every update costs O(1) hash operations plus one rte_fib add/delete
 * (O(prefix length) in the rib, plus the table entries the prefix covers:
 * 1 for a /32 or /24, 256 for a /16). Sizes come from the caller (rampartd:
 * conf max_tunnels), not from compile-time constants.
 *
 * One instance per worker, modified only by its worker between bursts (no
 * locks, no other readers): see docs/spd.md for why the tables are not shared
 * under RCU with DPDK 22.11's rte_fib.
 */
#ifndef RAMPART_SA_SPD_H
#define RAMPART_SA_SPD_H

#include <stdbool.h>
#include <stdint.h>

#include "sa/sa_msg.h"
#include "sa/sa_sel.h"

struct esp_sa;
struct rte_hash;
struct rte_fib;
struct rte_fib6;

enum sa_spd_limits {
	SA_SPD_NONE = UINT32_MAX,	/* no target / route slot */
	SA_SPD_MIN_TBL8 = 1024,		/* DIR24_8/TRIE groups at least */
	SA_SPD_BULK_MAX = 64,		/* addresses per sa_spd_lookup4_bulk call */
};

/* An outbound target: the routes of one child resolve to it. */
struct sa_spd_target {
	uint32_t spi;			/* outbound SPI (peer's choice) */
	uint16_t owner;			/* worker owning the SA */
	uint16_t refs;			/* routes pointing here */
	struct esp_sa *sa;		/* owner only: the linked SA, or NULL */
	uint32_t spi_in;		/* inbound SPI of the same child */
	uint32_t prev_spi_in;		/* inbound SPI of the child it replaced */
	uint32_t next_spi_in;		/* inbound SPI of its successor, before the
					 * switch (standby route) */
	uint16_t max_inner;		/* owner: largest inner packet that fits the
					 * egress MTU once encapsulated (0 = no check) */
	uint8_t has_sel;		/* sel is active: check protocol/ports */
	uint32_t routes;		/* first route of this target, or SA_SPD_NONE */
	struct sa_sel sel;		/* the child's protocol/port selectors
					 * (ROUTE_ADD, sa_spd_target_sel_set) */
};

struct sa_spd_route {
	struct sa_route r;
	uint32_t target;			/* SA_SPD_NONE = free slot */
	uint32_t prev, next;		/* routes of the same target (SA_SPD_NONE ends) */
};

struct sa_spd_conf {
	const char *name;		/* unique prefix for the DPDK objects */
	int socket_id;
	uint32_t max_target;		/* target slots */
	uint32_t max_routes;		/* route slots */
};

/*
 * Read-only outside sa_spd.c, except target[t].sa and target[t].max_inner, which
 * the owner worker sets for its own targets (sa_spd_target_get).
 */
struct sa_spd {
	struct sa_spd_target *target;		/* max_target slots */
	struct sa_spd_route *routes;	/* max_routes slots */
	struct rte_hash *target_h;		/* {spi, owner} -> target slot */
	struct rte_hash *route_h;	/* prefix -> route slot */
	struct rte_fib *fib4;		/* next hop: target slot + 1, 0 = none */
	struct rte_fib6 *fib6;
	uint32_t *target_free, n_target_free;	/* free slot stacks */
	uint32_t *route_free, n_route_free;
	uint32_t max_target, max_routes;
	uint32_t n_routes;
};

/* Control core, before/after the worker runs. 0, -EINVAL or -ENOMEM. */
int sa_spd_create(const struct sa_spd_conf *c, struct sa_spd **out);
void sa_spd_destroy(struct sa_spd *s);

/*
 * The target slot for {@spi, @owner}; with @create a new one when there is
 * none (SA_SPD_NONE when full). sa_spd_target_put frees slot @t once no route
 * and no SA use it (idempotent).
 */
uint32_t sa_spd_target_get(struct sa_spd *s, uint32_t spi, uint16_t owner, bool create);
void sa_spd_target_put(struct sa_spd *s, uint32_t t);

/*
 * Route @r to the target {@spi, @owner} of the child whose inbound SPI is
 * @spi_in. A later route for the same prefix replaces the earlier one (rekey
 * switch; the old child's inbound SPI stays accepted as prev_spi_in). With
 * @standby, when the prefix already routes to another target, only
 * remember @spi_in there as its successor (next_spi_in) and send on.
 * 0, -EINVAL (bad prefix), -ENOSPC (a table is full); nothing half-applied.
 */
int sa_spd_route_add(struct sa_spd *s, const struct sa_route *r, uint32_t spi, uint16_t owner,
		     uint32_t spi_in, bool standby);
/* Remove prefix @r only if it still points at outbound @spi. 0 or -ENOENT. */
int sa_spd_route_del(struct sa_spd *s, const struct sa_route *r, uint32_t spi);
/* Remove every route of target @t (its SA goes away), then put @t. */
void sa_spd_target_flush(struct sa_spd *s, uint32_t t);
/* Remove every route (targets without an SA go with them). */
void sa_spd_flush(struct sa_spd *s);

/* Longest-prefix match of inner address @addr (network order): target or NULL. */
const struct sa_spd_target *sa_spd_lookup(const struct sa_spd *s, uint8_t af, const uint8_t *addr);
/*
 * @n (<= SA_SPD_BULK_MAX) IPv4 addresses in host order: out[i] = target or
 * NULL. One rte_fib_lookup_bulk call.
 */
void sa_spd_lookup4_bulk(const struct sa_spd *s, const uint32_t *addr, unsigned n,
			 const struct sa_spd_target **out);
/*
 * The same for @n (<= SA_SPD_BULK_MAX) IPv6 addresses (network order, 16
 * bytes each): one rte_fib6_lookup_bulk call.
 */
void sa_spd_lookup6_bulk(const struct sa_spd *s, const uint8_t (*addr)[16], unsigned n,
			 const struct sa_spd_target **out);

/*
 * Anti-spoofing: may a packet that arrived on inbound @spi carry an inner
 * source whose route target is @src? Its own child's, the child it
 * replaced, or its successor before the switch.
 */
static inline bool
sa_spd_src_ok(const struct sa_spd_target *src, uint32_t spi)
{
	return src != NULL && (src->spi_in == spi || src->prev_spi_in == spi ||
			       src->next_spi_in == spi);
}

/*
 * The protocol/port selectors of target {@spi, @owner} (ROUTE_ADD carries
 * them): stored, and has_sel set when they restrict anything. No target: no-op.
 */
void sa_spd_target_sel_set(struct sa_spd *s, uint32_t spi, uint16_t owner,
			   const struct sa_sel *sel);

/* Targets in use (with a route or an SA). */
uint32_t sa_spd_target_count(const struct sa_spd *s);

#endif
