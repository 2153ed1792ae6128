/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf/spd-install: does a worker stall while 100 000 routes go in and out?
 *
 * One thread plays a worker: each loop it "polls" (a burst of RD_BURST
 * outbound lookups of addresses in the pool, as forward_burst() does), then
 * applies at most RD_MSG_PER_LOOP route messages (the daemon's limit per
 * loop), like rd_worker_main. First N ROUTE_ADD of /32s (a remote-access
 * pool: consecutive addresses), then N ROUTE_DEL. The time between two
 * polls goes into the daemon's loop-gap histogram (rd_stats.h), twice: by
 * the wall clock (TSC, what the daemon exports; on a shared machine it also
 * counts the time the thread was preempted) and by the thread's CPU clock
 * (CLOCK_THREAD_CPUTIME_ID: only the work, what a worker on a core of its
 * own would see). The verdict uses the CPU clock; both are printed.
 *
 * Policies, one after the other in the same run, each at the same capacity
 * (rampartd's rd_caps_set for --tunnels):
 *   lpm      the old per-worker table: rte_hash for prefixes and targets,
 *            rte_lpm (+ rte_lpm6 created, as the daemon did) for lookups;
 *   lpm-rcu  the same rte_lpm with rte_lpm_rcu_qsbr_add (DQ mode): what a
 *            table shared by the workers under RCU costs per update;
 *   spd      lib/sa's sa_spd (rte_hash + rte_fib/rte_fib6), per worker.
 *
 * Prints per policy: the longest gap, the histogram, ns per add and per
 * delete (mean, and at the start and end of the install), memory (DPDK
 * heap), and a closing
 *   SUMMARY routes=N per_loop=K old_gap_max_us=.. new_gap_max_us=..
 *           old_add_ns=.. new_add_ns=.. target_gap_us=1000 met=yes|no
 *
 * Usage: spd-install [--routes N] [--tunnels T] [--per-loop K] [--only lpm|spd]
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
/* rte_lpm.h declares a VLA in an inline function (DPDK 22.11). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wvla"
#include <rte_lpm.h>
#pragma GCC diagnostic pop
#include <rte_lpm6.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "test_eal.h"	/* tests/unit: the one EAL run-directory removal */
#include "rd_shared.h"
#include "sa/sa_spd.h"
#include "perf_common.h"

enum { POOL_BASE = 0x0a000000u, MAX_ROUTES_DEFAULT = 100000, TARGET_GAP_US = 1000 };

/* table sizes as rampartd derives them from max_tunnels (rd_caps_set) */
static struct rd_shared caps;

static struct {
	unsigned routes, tunnels, per_loop;
	const char *only;
} opt = { MAX_ROUTES_DEFAULT, MAX_ROUTES_DEFAULT, RD_MSG_PER_LOOP, NULL };

/* ---- the old per-worker policy (worker_loop.c before lib/sa's sa_spd) ---- */

struct old_route_key {
	uint8_t af, depth, zero[2];
	uint8_t addr[16];
};

struct old_spd {
	struct rte_hash *target_h, *route_h;
	struct rte_lpm *lpm4;
	struct rte_lpm6 *lpm6;
	uint32_t *route_free, n_route_free, *target_free, n_target_free;
	uint32_t *route_target;
};

static int
old_create(struct old_spd *o, uint32_t max_target, uint32_t max_routes, struct rte_rcu_qsbr *q)
{
	struct rte_lpm_config c4 = { .number_tbl8s = 1024, .max_rules = max_routes };
	struct rte_lpm6_config c6 = { .number_tbl8s = 2048, .max_rules = max_routes };
	struct rte_hash_parameters hp = {
		.hash_func = rte_jhash, .socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	uint32_t i;

	memset(o, 0, sizeof(*o));
	hp.name = "old_target_h";
	hp.entries = max_target;
	hp.key_len = 8;
	o->target_h = rte_hash_create(&hp);
	hp.name = "old_route_h";
	hp.entries = max_routes;
	hp.key_len = sizeof(struct old_route_key);
	o->route_h = rte_hash_create(&hp);
	o->lpm4 = rte_lpm_create("old_lpm4", SOCKET_ID_ANY, &c4);
	o->lpm6 = rte_lpm6_create("old_lpm6", SOCKET_ID_ANY, &c6);
	o->route_free = rte_malloc(NULL, sizeof(uint32_t) * max_routes, 0);
	o->target_free = rte_malloc(NULL, sizeof(uint32_t) * max_target, 0);
	o->route_target = rte_malloc(NULL, sizeof(uint32_t) * max_routes, 0);
	if (o->target_h == NULL || o->route_h == NULL || o->lpm4 == NULL || o->lpm6 == NULL ||
	    o->route_free == NULL || o->target_free == NULL || o->route_target == NULL)
		return -ENOMEM;
	if (q != NULL) {
		struct rte_lpm_rcu_config rc = { .v = q, .mode = RTE_LPM_QSBR_MODE_DQ };

		if (rte_lpm_rcu_qsbr_add(o->lpm4, &rc) != 0)
			return -ENOMEM;
	}
	for (i = 0; i < max_routes; i++)
		o->route_free[i] = max_routes - 1 - i;
	o->n_route_free = max_routes;
	for (i = 0; i < max_target; i++)
		o->target_free[i] = max_target - 1 - i;
	o->n_target_free = max_target;
	return 0;
}

static void
old_destroy(struct old_spd *o)
{
	rte_lpm_free(o->lpm4);
	rte_lpm6_free(o->lpm6);
	rte_hash_free(o->target_h);
	rte_hash_free(o->route_h);
	rte_free(o->route_free);
	rte_free(o->target_free);
	rte_free(o->route_target);
}

static void
old_key(struct old_route_key *k, const struct sa_route *r)
{
	memset(k, 0, sizeof(*k));
	k->af = r->af;
	k->depth = r->depth;
	memcpy(k->addr, r->addr, 4);
}

/* ROUTE_ADD as the old worker did it: target by {spi, owner}, prefix by hash, lpm add. */
static int
old_add(struct old_spd *o, const struct sa_route *r, uint32_t spi)
{
	uint64_t tk = spi;
	struct old_route_key k;
	void *d;
	uint32_t t, i, a;

	if (rte_hash_lookup_data(o->target_h, &tk, &d) >= 0) {
		t = (uint32_t)(uintptr_t)d;
	} else {
		if (o->n_target_free == 0)
			return -ENOSPC;
		t = o->target_free[--o->n_target_free];
		rte_hash_add_key_data(o->target_h, &tk, (void *)(uintptr_t)t);
	}
	old_key(&k, r);
	if (rte_hash_lookup_data(o->route_h, &k, &d) < 0) {
		if (o->n_route_free == 0)
			return -ENOSPC;
		i = o->route_free[--o->n_route_free];
		rte_hash_add_key_data(o->route_h, &k, (void *)(uintptr_t)i);
	} else {
		i = (uint32_t)(uintptr_t)d;
	}
	o->route_target[i] = t;
	memcpy(&a, r->addr, 4);
	return rte_lpm_add(o->lpm4, rte_be_to_cpu_32(a), r->depth, t);
}

static int
old_del(struct old_spd *o, const struct sa_route *r, uint32_t spi)
{
	uint64_t tk = spi;
	struct old_route_key k;
	void *d;
	uint32_t i, a;

	old_key(&k, r);
	if (rte_hash_lookup_data(o->route_h, &k, &d) < 0)
		return -ENOENT;
	i = (uint32_t)(uintptr_t)d;
	memcpy(&a, r->addr, 4);
	rte_lpm_delete(o->lpm4, rte_be_to_cpu_32(a), r->depth);
	rte_hash_del_key(o->route_h, &k);
	o->route_free[o->n_route_free++] = i;
	/* one route per target here: the target goes with it */
	if (rte_hash_lookup_data(o->target_h, &tk, &d) >= 0) {
		rte_hash_del_key(o->target_h, &tk);
		o->target_free[o->n_target_free++] = (uint32_t)(uintptr_t)d;
	}
	return 0;
}

/* ---- the run ---- */

enum policy { P_LPM, P_LPM_RCU, P_SPD, P__COUNT };
static const char *const policy_names[] = { "lpm", "lpm-rcu", "spd" };

struct result {
	struct rd_loop_gap gap;		/* wall clock, TSC cycles */
	struct rd_loop_gap cpu;		/* thread CPU clock, ns */
	uint64_t add_tsc, del_tsc, loops, errors;
	uint64_t add_cpu_ns, del_cpu_ns;	/* CPU time in the message phases */
	double lookup_ns;			/* per address, bursts of RD_BURST, all installed */
	double add_first_ns, add_last_ns;	/* mean of the first / last 1 000 adds */
	uint64_t heap_bytes;
	bool ran;
};

static void
route_of(unsigned i, struct sa_route *r)
{
	uint32_t a = POOL_BASE + 1 + i;

	memset(r, 0, sizeof(*r));
	r->af = 4;
	r->depth = 32;
	r->addr[0] = (uint8_t)(a >> 24);
	r->addr[1] = (uint8_t)(a >> 16);
	r->addr[2] = (uint8_t)(a >> 8);
	r->addr[3] = (uint8_t)a;
}

/* A burst of RD_BURST outbound lookups of installed addresses; how many found a route. */
static unsigned
lookup_burst(enum policy p, const struct sa_spd *spd, const struct old_spd *old, uint64_t *rnd)
{
	uint32_t a[RD_BURST];
	unsigned i, hits = 0;

	for (i = 0; i < RD_BURST; i++) {
		a[i] = POOL_BASE + 1 + (uint32_t)(perf_xorshift64(rnd) % opt.routes);
	}
	if (p == P_SPD) {
		const struct sa_spd_target *t[RD_BURST];

		sa_spd_lookup4_bulk(spd, a, RD_BURST, t);
		for (i = 0; i < RD_BURST; i++)
			hits += t[i] != NULL;
	} else {
		uint32_t nh[RD_BURST];

		rte_lpm_lookup_bulk(old->lpm4, a, nh, RD_BURST);
		for (i = 0; i < RD_BURST; i++)
			hits += (nh[i] & RTE_LPM_LOOKUP_SUCCESS) != 0;
	}
	return hits;
}

/* CPU ns per outbound lookup with every route in: LOOKUP_BURSTS bursts of RD_BURST. */
static double
lookup_bench(enum policy p, const struct sa_spd *spd, const struct old_spd *old, uint64_t *rnd)
{
	enum { LOOKUP_BURSTS = 200000 };
	uint64_t t0 = perf_cpu_ns(), hits = 0;
	unsigned b;

	for (b = 0; b < LOOKUP_BURSTS; b++)
		hits += lookup_burst(p, spd, old, rnd);
	if (hits != (uint64_t)LOOKUP_BURSTS * RD_BURST)
		fprintf(stderr, "spd-install: %s: %" PRIu64 " of %u lookups found a route\n",
			policy_names[p], hits, LOOKUP_BURSTS * RD_BURST);
	return (double)(perf_cpu_ns() - t0) / ((double)LOOKUP_BURSTS * RD_BURST);
}

static int
run(enum policy p, struct result *res)
{
	uint64_t bound[RD_LOOP_GAP_BUCKETS - 1], hz = rte_get_tsc_hz(), heap0 = tu_eal_heap_bytes();
	uint64_t bound_ns[RD_LOOP_GAP_BUCKETS - 1], last_cpu, now_cpu;
	struct rte_rcu_qsbr *q = NULL;
	struct old_spd old;
	struct sa_spd *spd = NULL;
	uint64_t last, now, rnd = 88172645463325252ull, sink = 0;
	unsigned next = 0, total = 2 * opt.routes;
	struct sa_route r;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	memset(&old, 0, sizeof(old));
	rd_loop_gap_bounds(bound, hz);
	rd_loop_gap_bounds(bound_ns, 1000000000u);
	rd_caps_set(&caps, opt.tunnels);
	if (p == P_SPD) {
		struct sa_spd_conf c = { .name = "perf_spd", .socket_id = SOCKET_ID_ANY,
					 .max_target = caps.max_target, .max_routes = caps.max_wroutes };

		ret = sa_spd_create(&c, &spd);
	} else {
		if (p == P_LPM_RCU) {
			q = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
			if (q == NULL || rte_rcu_qsbr_init(q, 1) != 0)
				return -ENOMEM;
			rte_rcu_qsbr_thread_register(q, 0);
			rte_rcu_qsbr_thread_online(q, 0);
		}
		ret = old_create(&old, caps.max_target, caps.max_wroutes, q);
	}
	if (ret != 0) {
		fprintf(stderr, "spd-install: %s: cannot create the tables (%d)\n",
			policy_names[p], ret);
		return ret;
	}
	res->heap_bytes = tu_eal_heap_bytes() - heap0;
	last = rte_rdtsc();
	last_cpu = perf_cpu_ns();
	while (next < total) {
		uint64_t msg_cpu;
		unsigned k;
		bool adding = next < opt.routes;

		/* poll: a burst of outbound lookups */
		now = rte_rdtsc();
		now_cpu = perf_cpu_ns();
		rd_loop_gap_add(&res->gap, bound, now - last);
		rd_loop_gap_add(&res->cpu, bound_ns, now_cpu - last_cpu);
		last = now;
		last_cpu = now_cpu;
		sink += lookup_burst(p, spd, &old, &rnd);
		if (q != NULL)
			rte_rcu_qsbr_quiescent(q, 0);
		/* then at most per_loop messages */
		msg_cpu = perf_cpu_ns();
		for (k = 0; k < opt.per_loop && next < total; k++, next++) {
			bool add = next < opt.routes;
			unsigned idx = add ? next : next - opt.routes;
			uint32_t spi = 0x1000 + idx;
			uint64_t t0 = rte_rdtsc(), dt;
			int e;

			route_of(idx, &r);
			if (p == P_SPD)
				e = add ? sa_spd_route_add(spd, &r, spi, 0, spi, false) :
					  sa_spd_route_del(spd, &r, spi);
			else
				e = add ? old_add(&old, &r, spi) : old_del(&old, &r, spi);
			dt = rte_rdtsc() - t0;
			res->errors += e != 0;
			if (add) {
				res->add_tsc += dt;
				if (idx < 1000)
					res->add_first_ns += (double)dt * 1e9 / (double)hz / 1000;
				if (idx + 1000 >= opt.routes)
					res->add_last_ns += (double)dt * 1e9 / (double)hz / 1000;
			} else {
				res->del_tsc += dt;
			}
		}
		msg_cpu = perf_cpu_ns() - msg_cpu;
		if (next == opt.routes) {
			/* between the phases, not counted as a gap */
			res->lookup_ns = lookup_bench(p, spd, &old, &rnd);
			last = rte_rdtsc();
			last_cpu = perf_cpu_ns();
		}
		if (adding)
			res->add_cpu_ns += msg_cpu;
		else
			res->del_cpu_ns += msg_cpu;
		res->loops++;
	}
	if (p == P_SPD) {
		if (spd->n_routes != 0)
			res->errors++;
		sa_spd_destroy(spd);
	} else {
		old_destroy(&old);
		if (q != NULL) {
			rte_rcu_qsbr_thread_offline(q, 0);
			rte_rcu_qsbr_thread_unregister(q, 0);
			rte_free(q);
		}
	}
	res->ran = true;
	return sink == UINT64_MAX ? -1 : 0;	/* keeps the lookups */
}

static void
print_hist(const char *what, const struct rd_loop_gap *g)
{
#define B(us) (uint64_t)(us),
	static const uint64_t bound_us[] = { RD_LOOP_GAP_BOUNDS_US(B) };
#undef B
	unsigned i;

	printf("         %s gaps:", what);
	for (i = 0; i < RD_LOOP_GAP_BUCKETS - 1; i++)
		if (g->n[i])
			printf(" le_%" PRIu64 "us=%" PRIu64, bound_us[i], g->n[i]);
	if (g->n[RD_LOOP_GAP_BUCKETS - 1])
		printf(" inf=%" PRIu64, g->n[RD_LOOP_GAP_BUCKETS - 1]);
	printf(" (per bucket)\n");
}

static void
print_result(enum policy p, const struct result *res)
{
	double hz = (double)rte_get_tsc_hz(), loops = (double)(res->loops ? res->loops : 1);

	printf("%-8s loops %" PRIu64 "; gap max: cpu %.0f us, wall %.0f us; mean: cpu %.1f us, "
	       "wall %.1f us; lookup %.1f ns/address (bulk of %u, all routes in)\n",
	       policy_names[p], res->loops, (double)res->cpu.max_tsc / 1e3,
	       (double)res->gap.max_tsc * 1e6 / hz, (double)res->cpu.sum_tsc / 1e3 / loops,
	       (double)res->gap.sum_tsc * 1e6 / hz / loops, res->lookup_ns, (unsigned)RD_BURST);
	printf("         add %.0f ns/op cpu (wall %.0f; first 1000 %.0f, last 1000 %.0f), "
	       "del %.0f ns/op cpu (wall %.0f); install %.2f s cpu, removal %.2f s cpu; "
	       "tables %.1f MiB; errors %" PRIu64 "\n",
	       (double)res->add_cpu_ns / opt.routes, (double)res->add_tsc * 1e9 / hz / opt.routes,
	       res->add_first_ns, res->add_last_ns, (double)res->del_cpu_ns / opt.routes,
	       (double)res->del_tsc * 1e9 / hz / opt.routes, (double)res->add_cpu_ns / 1e9,
	       (double)res->del_cpu_ns / 1e9, (double)res->heap_bytes / 1048576.0, res->errors);
	print_hist("cpu ", &res->cpu);
	print_hist("wall", &res->gap);
}


int
main(int argc, char **argv)
{
	char prefix[64], rundir[256];
	char *eal[] = { argv[0], "--no-huge", "-m", "1024", "--no-pci", "--file-prefix", prefix,
			"--no-shconf", "--log-level", "lib.eal:error", "-l", "0" };
	static struct result res[P__COUNT];
	double hz, old_gap, new_gap;
	int i, bad = 0;
	unsigned p;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--routes") == 0 && i + 1 < argc)
			opt.routes = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--tunnels") == 0 && i + 1 < argc)
			opt.tunnels = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--per-loop") == 0 && i + 1 < argc)
			opt.per_loop = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			opt.only = argv[++i];
		else {
			fprintf(stderr, "usage: %s [--routes N] [--tunnels T] [--per-loop K] "
				"[--only lpm|lpm-rcu|spd]\n", argv[0]);
			return 2;
		}
	}
	if (opt.routes == 0 || opt.routes > 1u << 24 || opt.per_loop == 0 ||
	    opt.tunnels < opt.routes / 2) {
		fprintf(stderr, "spd-install: need 0 < routes <= 2^24, per-loop > 0, "
			"tunnels >= routes / 2 (the daemon holds 2.25 routes a tunnel)\n");
		return 2;
	}
	snprintf(prefix, sizeof(prefix), "spd-install-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "spd-install: EAL init failed\n");
		return 1;
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	hz = (double)rte_get_tsc_hz();
	printf("spd-install: %u /32 routes in, then out, at most %u messages per loop "
	       "(rampartd RD_MSG_PER_LOOP %u), a %u-lookup burst per loop; tables sized for "
	       "max_tunnels %u\n", opt.routes, opt.per_loop, (unsigned)RD_MSG_PER_LOOP,
	       (unsigned)RD_BURST, opt.tunnels);
	for (p = 0; p < P__COUNT; p++) {
		if (opt.only != NULL && strcmp(opt.only, policy_names[p]) != 0)
			continue;
		if (run((enum policy)p, &res[p]) != 0) {
			bad = 1;
			continue;
		}
		print_result((enum policy)p, &res[p]);
		bad |= res[p].errors != 0;
	}
	old_gap = res[P_LPM].ran ? (double)res[P_LPM].cpu.max_tsc / 1e3 : -1;
	new_gap = res[P_SPD].ran ? (double)res[P_SPD].cpu.max_tsc / 1e3 : -1;
	printf("SUMMARY routes=%u per_loop=%u old_gap_max_us=%.0f new_gap_max_us=%.0f "
	       "old_gap_wall_max_us=%.0f new_gap_wall_max_us=%.0f old_add_ns=%.0f new_add_ns=%.0f "
	       "old_del_ns=%.0f new_del_ns=%.0f target_gap_us=%u met=%s\n",
	       opt.routes, opt.per_loop, old_gap, new_gap,
	       res[P_LPM].ran ? (double)res[P_LPM].gap.max_tsc * 1e6 / hz : -1,
	       res[P_SPD].ran ? (double)res[P_SPD].gap.max_tsc * 1e6 / hz : -1,
	       res[P_LPM].ran ? (double)res[P_LPM].add_cpu_ns / opt.routes : -1,
	       res[P_SPD].ran ? (double)res[P_SPD].add_cpu_ns / opt.routes : -1,
	       res[P_LPM].ran ? (double)res[P_LPM].del_cpu_ns / opt.routes : -1,
	       res[P_SPD].ran ? (double)res[P_SPD].del_cpu_ns / opt.routes : -1,
	       (unsigned)TARGET_GAP_US,
	       !res[P_SPD].ran ? "n/a" : new_gap < TARGET_GAP_US ? "yes" : "no");
	rte_eal_cleanup();
	tu_eal_dir_remove(rundir);
	return bad;
}
