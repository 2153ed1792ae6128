/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUnit tests of lib/sa's outbound policy database (sa_spd.h) on an EAL
 * without huge pages: add, delete, lookup; overlapping prefixes, IPv4 and
 * IPv6; the anti-spoofing reverse check through a rekey; capacities from the
 * configuration with nothing half-applied when full; bulk lookups agreeing
 * with single ones; no DPDK heap left behind. Also lib/sa's per-worker SA
 * table (sa_tab.h) against a naive model.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#include "test_main.h"
#include "sa/sa_spd.h"
#include "sa/sa_tab.h"

static struct sa_spd *
spd_new(uint32_t max_target, uint32_t max_routes)
{
	struct sa_spd_conf c = {
		.name = "tspd", .socket_id = SOCKET_ID_ANY,
		.max_target = max_target, .max_routes = max_routes,
	};
	struct sa_spd *s = NULL;

	CU_ASSERT_EQUAL(sa_spd_create(&c, &s), 0);
	return s;
}

static struct sa_route
r4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t depth)
{
	struct sa_route r = { .af = 4, .depth = depth, .addr = { a, b, c, d } };

	return r;
}

/* Flush @s: no route, no target, nothing found at @probe (af @af; NULL: no
 * probe); then destroy it. */
static void
flush_empty_destroy(struct sa_spd *s, uint8_t af, const uint8_t *probe)
{
	sa_spd_flush(s);
	CU_ASSERT_EQUAL(s->n_routes, 0);
	if (probe != NULL)
		CU_ASSERT_EQUAL(sa_spd_lookup(s, af, probe), NULL);
	CU_ASSERT_EQUAL(sa_spd_target_count(s), 0);
	sa_spd_destroy(s);
}

static uint32_t
spi_at(const struct sa_spd *s, uint8_t af, const uint8_t *a)
{
	const struct sa_spd_target *t = sa_spd_lookup(s, af, a);

	return t != NULL ? t->spi : 0;
}

static void
test_add_del_lookup(void)
{
	struct sa_spd *s = spd_new(16, 64);
	struct sa_route a = r4(10, 1, 0, 7, 32), b = r4(10, 2, 0, 0, 24);
	const uint8_t x[4] = { 10, 1, 0, 7 }, y[4] = { 10, 2, 0, 99 }, z[4] = { 10, 3, 0, 1 };

	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(sa_spd_lookup(s, 4, x), NULL);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &a, 0x1001, 0, 0xa001, false), 0);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &b, 0x1002, 1, 0xa002, false), 0);
	CU_ASSERT_EQUAL(spi_at(s, 4, x), 0x1001);
	CU_ASSERT_EQUAL(spi_at(s, 4, y), 0x1002);
	CU_ASSERT_EQUAL(sa_spd_lookup(s, 4, y)->owner, 1);
	CU_ASSERT_EQUAL(sa_spd_lookup(s, 4, z), NULL);
	CU_ASSERT_EQUAL(s->n_routes, 2);
	CU_ASSERT_EQUAL(sa_spd_target_count(s), 2);
	/* delete only while the prefix points at that SPI */
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &a, 0x1002), -ENOENT);
	CU_ASSERT_EQUAL(spi_at(s, 4, x), 0x1001);
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &a, 0x1001), 0);
	CU_ASSERT_EQUAL(sa_spd_lookup(s, 4, x), NULL);
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &a, 0x1001), -ENOENT);
	/* host bits do not make another prefix: 10.2.0.5/24 is 10.2.0.0/24 */
	b.addr[3] = 5;
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &b, 0x1002), 0);
	/* within a byte too: 10.4.0.7/30 is 10.4.0.4/30 */
	a = r4(10, 4, 0, 7, 30);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &a, 0x1003, 0, 0xa003, false), 0);
	a.addr[3] = 5;
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &a, 0x1004, 0, 0xa004, false), 0);	/* replaces */
	CU_ASSERT_EQUAL(s->n_routes, 1);
	a.addr[3] = 4;
	CU_ASSERT_EQUAL(spi_at(s, 4, a.addr), 0x1004);
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &a, 0x1004), 0);
	CU_ASSERT_EQUAL(s->n_routes, 0);
	CU_ASSERT_EQUAL(sa_spd_target_count(s), 0);
	sa_spd_destroy(s);
}

static void
test_overlap_v4(void)
{
	struct sa_spd *s = spd_new(16, 64);
	struct sa_route r16 = r4(10, 9, 0, 0, 16), r24 = r4(10, 9, 5, 0, 24),
			r32 = r4(10, 9, 5, 5, 32), def = r4(0, 0, 0, 0, 0);
	const uint8_t a32[4] = { 10, 9, 5, 5 }, a24[4] = { 10, 9, 5, 6 }, a16[4] = { 10, 9, 6, 1 },
		      other[4] = { 192, 0, 2, 1 };

	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r24, 24, 0, 1, false), 0);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r16, 16, 0, 2, false), 0);	/* shorter after */
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r32, 32, 0, 3, false), 0);
	CU_ASSERT_EQUAL(spi_at(s, 4, a32), 32);
	CU_ASSERT_EQUAL(spi_at(s, 4, a24), 24);
	CU_ASSERT_EQUAL(spi_at(s, 4, a16), 16);
	CU_ASSERT_EQUAL(spi_at(s, 4, other), 0);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &def, 99, 0, 4, false), 0);
	CU_ASSERT_EQUAL(spi_at(s, 4, other), 99);
	/* the middle one goes: its addresses fall back to the /16 */
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &r24, 24), 0);
	CU_ASSERT_EQUAL(spi_at(s, 4, a24), 16);
	CU_ASSERT_EQUAL(spi_at(s, 4, a32), 32);
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &r16, 16), 0);
	CU_ASSERT_EQUAL(spi_at(s, 4, a24), 99);
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &def, 99), 0);
	CU_ASSERT_EQUAL(sa_spd_lookup(s, 4, a24), NULL);
	CU_ASSERT_EQUAL(spi_at(s, 4, a32), 32);
	flush_empty_destroy(s, 4, a32);
}

static void
test_overlap_v6(void)
{
	struct sa_spd *s = spd_new(16, 64);
	struct sa_route r48 = { .af = 6, .depth = 48 }, r64 = { .af = 6, .depth = 64 },
			r128 = { .af = 6, .depth = 128 };
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2 };
	const uint8_t v4[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	CU_ASSERT_FATAL(s != NULL);
	memcpy(r48.addr, a, 6);
	memcpy(r64.addr, a, 8);
	memcpy(r128.addr, a, 16);
	r128.addr[15] = 9;
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r64, 64, 0, 1, false), 0);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r48, 48, 0, 2, false), 0);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r128, 128, 0, 3, false), 0);
	a[15] = 9;
	CU_ASSERT_EQUAL(spi_at(s, 6, a), 128);
	a[15] = 8;
	CU_ASSERT_EQUAL(spi_at(s, 6, a), 64);
	a[7] = 3;
	CU_ASSERT_EQUAL(spi_at(s, 6, a), 48);
	a[5] = 2;
	CU_ASSERT_EQUAL(sa_spd_lookup(s, 6, a), NULL);
	/* the IPv4 table knows nothing of them */
	CU_ASSERT_EQUAL(sa_spd_lookup(s, 4, v4), NULL);
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &r64, 64), 0);
	a[5] = 1, a[7] = 2, a[15] = 8;
	CU_ASSERT_EQUAL(spi_at(s, 6, a), 48);
	flush_empty_destroy(s, 6, a);
}

/*
 * Anti-spoofing through a make-before-break rekey: old child A (out 0xA,
 * in 0x1A), new child B (out 0xB, in 0x1B). Standby: the prefix still
 * sends into A but accepts B's inbound SPI; switch: sends into B, still
 * accepts A's (in flight). Any other SPI, or a source with no route, fails.
 */
static void
test_antispoof_rekey(void)
{
	struct sa_spd *s = spd_new(16, 64);
	struct sa_route r = r4(10, 99, 0, 2, 32);
	const uint8_t src[4] = { 10, 99, 0, 2 }, stranger[4] = { 10, 99, 0, 3 };
	const struct sa_spd_target *t;

	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r, 0xA, 0, 0x1A, false), 0);
	t = sa_spd_lookup(s, 4, src);
	CU_ASSERT(sa_spd_src_ok(t, 0x1A));
	CU_ASSERT(!sa_spd_src_ok(t, 0x1B));
	CU_ASSERT(!sa_spd_src_ok(sa_spd_lookup(s, 4, stranger), 0x1A));
	/* standby for B: still A, B's inbound SPI accepted */
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r, 0xB, 0, 0x1B, true), 0);
	t = sa_spd_lookup(s, 4, src);
	CU_ASSERT_EQUAL(t->spi, 0xA);
	CU_ASSERT(sa_spd_src_ok(t, 0x1A) && sa_spd_src_ok(t, 0x1B));
	CU_ASSERT(!sa_spd_src_ok(t, 0x1C));
	CU_ASSERT_EQUAL(sa_spd_target_count(s), 1);
	/* switch */
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r, 0xB, 0, 0x1B, false), 0);
	t = sa_spd_lookup(s, 4, src);
	CU_ASSERT_EQUAL(t->spi, 0xB);
	CU_ASSERT(sa_spd_src_ok(t, 0x1B) && sa_spd_src_ok(t, 0x1A));
	CU_ASSERT(!sa_spd_src_ok(t, 0x1C));
	CU_ASSERT_EQUAL(sa_spd_target_count(s), 1);	/* A's slot went with its last route */
	/* A's delete no longer removes the prefix */
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &r, 0xA), -ENOENT);
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &r, 0xB), 0);
	CU_ASSERT(!sa_spd_src_ok(sa_spd_lookup(s, 4, src), 0x1B));
	sa_spd_destroy(s);
}

/*
 * Capacities come from the configuration: exactly max_routes routes and
 * max_target targets fit; one more is -ENOSPC and changes nothing; bad
 * prefixes are -EINVAL; everything comes back after the deletes.
 */
static void
test_capacity(void)
{
	enum { TGT = 10, ROUTES = 100 };
	struct sa_spd *s = spd_new(TGT, ROUTES);
	struct sa_route r, bad = r4(10, 0, 0, 0, 33);
	struct sa_spd_conf zero = { .name = "tspd0", .socket_id = SOCKET_ID_ANY };
	struct sa_spd *z = (struct sa_spd *)1;
	unsigned i;

	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_EQUAL(s->max_target, TGT);
	CU_ASSERT_EQUAL(s->max_routes, ROUTES);
	CU_ASSERT_EQUAL(sa_spd_create(&zero, &z), -EINVAL);
	CU_ASSERT_PTR_NULL(z);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &bad, 1, 0, 1, false), -EINVAL);
	bad = r4(10, 0, 0, 0, 8);
	bad.af = 5;
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &bad, 1, 0, 1, false), -EINVAL);
	bad = (struct sa_route){ .af = 6, .depth = 129 };
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &bad, 1, 0, 1, false), -EINVAL);
	for (i = 0; i < ROUTES; i++) {
		r = r4(10, 50, (uint8_t)(i >> 8), (uint8_t)i, 32);
		CU_ASSERT_EQUAL_FATAL(sa_spd_route_add(s, &r, 100 + i % TGT, 0, 1, false), 0);
	}
	CU_ASSERT_EQUAL(s->n_routes, ROUTES);
	CU_ASSERT_EQUAL(sa_spd_target_count(s), TGT);
	r = r4(10, 51, 0, 1, 32);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r, 100, 0, 1, false), -ENOSPC);	/* no route slot */
	CU_ASSERT_EQUAL(sa_spd_lookup(s, 4, r.addr), NULL);
	CU_ASSERT_EQUAL(s->n_routes, ROUTES);
	/* free one route: a new target still does not fit */
	r = r4(10, 50, 0, 0, 32);
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &r, 100), 0);
	r = r4(10, 51, 0, 1, 32);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r, 999, 0, 1, false), -ENOSPC);	/* no target */
	CU_ASSERT_EQUAL(sa_spd_lookup(s, 4, r.addr), NULL);
	CU_ASSERT_EQUAL(sa_spd_target_get(s, 999, 0, false), SA_SPD_NONE);
	CU_ASSERT_EQUAL(sa_spd_target_count(s), TGT);
	CU_ASSERT_EQUAL(s->n_routes, ROUTES - 1);
	CU_ASSERT_EQUAL(sa_spd_route_add(s, &r, 101, 0, 1, false), 0);	/* existing target */
	sa_spd_flush(s);
	CU_ASSERT_EQUAL(s->n_routes, 0);
	CU_ASSERT_EQUAL(s->n_route_free, ROUTES);
	CU_ASSERT_EQUAL(s->n_target_free, TGT);
	sa_spd_destroy(s);
}

/* A target with its SA outlives its routes; sa_spd_target_flush takes only its own. */
static void
test_target_sa_and_flush(void)
{
	struct sa_spd *s = spd_new(16, 64);
	struct sa_route r;
	uint32_t t;
	unsigned i;

	CU_ASSERT_FATAL(s != NULL);
	t = sa_spd_target_get(s, 0x77, 2, true);
	CU_ASSERT_FATAL(t != SA_SPD_NONE);
	s->target[t].sa = (struct esp_sa *)&r;	/* any non-NULL pointer: never dereferenced */
	for (i = 0; i < 30; i++) {
		r = r4(10, 60, 0, (uint8_t)i, 32);
		CU_ASSERT_EQUAL(sa_spd_route_add(s, &r, i % 3 ? 0x77 : 0x78, 2, 1, false), 0);
	}
	r = r4(10, 60, 0, 1, 32);
	CU_ASSERT_EQUAL(sa_spd_lookup(s, 4, r.addr)->sa, (struct esp_sa *)&r);
	CU_ASSERT_EQUAL(sa_spd_route_del(s, &r, 0x77), 0);
	CU_ASSERT_EQUAL(sa_spd_target_get(s, 0x77, 2, false), t);	/* kept: it has an SA */
	s->target[t].sa = NULL;
	sa_spd_target_flush(s, t);
	CU_ASSERT_EQUAL(s->n_routes, 10);
	CU_ASSERT_EQUAL(sa_spd_target_get(s, 0x77, 2, false), SA_SPD_NONE);
	for (i = 0; i < 30; i++) {
		r = r4(10, 60, 0, (uint8_t)i, 32);
		CU_ASSERT_EQUAL(sa_spd_lookup(s, 4, r.addr) != NULL, i % 3 == 0);
	}
	flush_empty_destroy(s, 4, NULL);
}

/* Bulk IPv4 lookups agree with single ones, routed or not. */
static void
test_bulk(void)
{
	struct sa_spd *s = spd_new(64, 1024);
	const struct sa_spd_target *out[SA_SPD_BULK_MAX];
	uint32_t a[SA_SPD_BULK_MAX], x = 12345;
	struct sa_route r;
	unsigned i, round, bad = 0;

	CU_ASSERT_FATAL(s != NULL);
	for (i = 0; i < 500; i++) {
		r = r4(10, 70, (uint8_t)(i >> 6), (uint8_t)(i << 2), (uint8_t)(24 + i % 9));
		sa_spd_route_add(s, &r, 1 + i % 64, 0, 1, false);
	}
	for (round = 0; round < 200; round++) {
		for (i = 0; i < SA_SPD_BULK_MAX; i++) {
			x = x * 1103515245u + 12345u;
			a[i] = 0x0a460000u | (x >> 16 & 0x1fff);
		}
		sa_spd_lookup4_bulk(s, a, SA_SPD_BULK_MAX, out);
		for (i = 0; i < SA_SPD_BULK_MAX; i++) {
			uint8_t b[4] = { (uint8_t)(a[i] >> 24), (uint8_t)(a[i] >> 16),
					 (uint8_t)(a[i] >> 8), (uint8_t)a[i] };

			bad += out[i] != sa_spd_lookup(s, 4, b);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	sa_spd_destroy(s);
}

/* Bulk IPv6 lookups agree with single ones, routed or not. */
static void
test_bulk6(void)
{
	struct sa_spd *s = spd_new(64, 1024);
	const struct sa_spd_target *out[SA_SPD_BULK_MAX];
	uint8_t a[SA_SPD_BULK_MAX][16];
	uint32_t x = 777;
	struct sa_route r = { .af = 6 };
	unsigned i, round, bad = 0, found = 0;

	CU_ASSERT_FATAL(s != NULL);
	/* 2001:db8:i::/48..64 and some /128 hosts under them */
	for (i = 0; i < 300; i++) {
		memset(r.addr, 0, sizeof(r.addr));
		r.addr[0] = 0x20, r.addr[1] = 0x01, r.addr[2] = 0x0d, r.addr[3] = 0xb8;
		r.addr[5] = (uint8_t)(i % 32);
		r.addr[6] = (uint8_t)(i / 32);
		r.depth = (uint8_t)(i % 5 == 0 ? 128 : 48 + i % 17);
		if (r.depth == 128)
			r.addr[15] = (uint8_t)i;
		else if (r.depth < 56)
			r.addr[6] = 0;
		sa_spd_route_add(s, &r, 1 + i % 64, 0, 1, false);
	}
	for (round = 0; round < 200; round++) {
		for (i = 0; i < SA_SPD_BULK_MAX; i++) {
			memset(a[i], 0, 16);
			a[i][0] = 0x20, a[i][1] = 0x01, a[i][2] = 0x0d, a[i][3] = 0xb8;
			x = x * 1103515245u + 12345u;
			a[i][5] = (uint8_t)(x >> 16 & 0x3f);	/* half of them routed */
			a[i][6] = (uint8_t)(x >> 24 & 0x0f);
			a[i][15] = (uint8_t)(x >> 8);
		}
		sa_spd_lookup6_bulk(s, (const uint8_t (*)[16])a, SA_SPD_BULK_MAX, out);
		for (i = 0; i < SA_SPD_BULK_MAX; i++) {
			bad += out[i] != sa_spd_lookup(s, 6, a[i]);
			found += out[i] != NULL;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	/* both outcomes occur: the comparison is not between two NULLs */
	CU_ASSERT(found > 1000 && found < 200 * SA_SPD_BULK_MAX - 1000);
	sa_spd_destroy(s);
}

/* Create, fill, flush, destroy: the DPDK heap is where it was. */
static void
test_no_leak(void)
{
	uint64_t before = tu_eal_heap_bytes();
	struct sa_spd *s = spd_new(1000, 4000);
	struct sa_route r;
	unsigned i;

	CU_ASSERT_FATAL(s != NULL);
	for (i = 0; i < 4000; i++) {
		r = r4(10, 80 + (uint8_t)(i >> 11), (uint8_t)(i >> 3), (uint8_t)(i << 5),
		       (uint8_t)(27 + i % 6));
		CU_ASSERT_EQUAL(sa_spd_route_add(s, &r, 1 + i % 1000, 0, 1, false), 0);
	}
	CU_ASSERT_EQUAL(s->n_routes, 4000);
	sa_spd_destroy(s);	/* full: destroy frees it all too */
	CU_ASSERT_EQUAL(tu_eal_heap_bytes(), before);
	s = spd_new(1000, 4000);
	CU_ASSERT_FATAL(s != NULL);
	sa_spd_destroy(s);
	CU_ASSERT_EQUAL(tu_eal_heap_bytes(), before);
}

/* SA table against a naive array on random add/del/lookup; bulk lookup. */
static void
test_sa_table_model(void)
{
	enum { NSPI = 3000, OPS = 30000 };
	struct sa_tab *t;
	static void *ref[NSPI][2];
	unsigned i, seed = (unsigned)time(NULL) + 99, bad = 0;

	memset(ref, 0, sizeof(ref));
	CU_ASSERT_FATAL(sa_tab_create("spd_t_tab", 4096, SOCKET_ID_ANY, &t) == 0);
	srand(seed);
	for (i = 0; i < OPS; i++) {
		unsigned k = (unsigned)rand() % NSPI, d = (unsigned)rand() & 1, op = rand() % 3;
		uint32_t spi = 0x10000 + k * 977;
		void *val = (void *)(uintptr_t)(0x1000 + k * 8 + d);

		if (op == 0) {
			int rc = sa_tab_add(t, spi, (uint8_t)d, val);

			if ((rc == 0) != (ref[k][d] == NULL))
				bad++;
			if (rc == 0)
				ref[k][d] = val;
		} else if (op == 1) {
			if (sa_tab_del(t, spi, (uint8_t)d) != ref[k][d])
				bad++;
			ref[k][d] = NULL;
		} else if (sa_tab_lookup(t, spi, (uint8_t)d) != ref[k][d]) {
			bad++;
		}
	}
	for (i = 0; i + 64 <= NSPI; i += 64) {
		struct sa_tab_key keys[64];
		void *out[64];
		unsigned j, hits = 0, got;

		for (j = 0; j < 64; j++) {
			keys[j].spi = 0x10000 + (i + j) * 977;
			keys[j].dir = j & 1;
			hits += ref[i + j][j & 1] != NULL;
		}
		got = sa_tab_lookup_bulk(t, keys, 64, out);
		if (got != hits)
			bad++;
		for (j = 0; j < 64; j++)
			if (out[j] != ref[i + j][j & 1])
				bad++;
	}
	if (bad)
		fprintf(stderr, "sa table model: seed %u, %u mismatches\n", seed, bad);
	CU_ASSERT(bad == 0);
	sa_tab_destroy(t);
}

static const struct tu_test tests[] = {
	{ "add_del_lookup", test_add_del_lookup },
	{ "overlapping_prefixes_v4", test_overlap_v4 },
	{ "overlapping_prefixes_v6", test_overlap_v6 },
	{ "antispoof_through_rekey", test_antispoof_rekey },
	{ "capacity_from_config_nothing_half_applied", test_capacity },
	{ "target_with_sa_and_flush", test_target_sa_and_flush },
	{ "bulk_lookup_agrees", test_bulk },
	{ "bulk_lookup6_agrees", test_bulk6 },
	{ "no_leak", test_no_leak },
	{ "sa_table_model", test_sa_table_model },
};

int
main(int argc, char **argv)
{
	unsigned fails;

	(void)argc;
	if (tu_eal_init(argv[0], "spd", 512) != 0)
		return 1;
	fails = tu_main("sa_spd", tests, TU_N(tests));
	tu_eal_fini();
	return fails != 0;
}
