/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * app/rampartd/rd_idmap.c (child id -> record index on the control core):
 * 50 000 keys inserted, looked up, re-valued and removed in random order
 * against a plain array model; the seed is printed (RAMPART_SEED=N replays).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/Basic.h>

#include "test_main.h"
#include "rd_idmap.h"

enum { N_KEYS = 50000, N_OPS = 400000 };

static uint64_t seed;

static uint64_t
rnd(void)
{
	return tu_xorshift64s(&seed);
}

static void
test_random_model(void)
{
	static uint64_t key[N_KEYS];
	static uint32_t val[N_KEYS];
	static bool in[N_KEYS];
	struct rd_idmap m;
	unsigned i, n = 0, op;
	uint32_t v;

	CU_ASSERT_FATAL(rd_idmap_init(&m, N_KEYS) == 0);
	/* Keys as lib/ike hands them out (sequential) mixed with random ones
	 * and ones that collide in the low bits. */
	for (i = 0; i < N_KEYS; i++)
		key[i] = i % 3 == 0 ? i + 1 : i % 3 == 1 ? (rnd() | 1) : ((uint64_t)i << 32) | 1;
	for (op = 0; op < N_OPS; op++) {
		i = (unsigned)(rnd() % N_KEYS);
		switch (rnd() % 4) {
		case 0:
		case 1:
			v = (uint32_t)rnd();
			if (in[i]) {
				CU_ASSERT_EQUAL(rd_idmap_add(&m, key[i], v), -EEXIST);
			} else {
				CU_ASSERT_EQUAL_FATAL(rd_idmap_add(&m, key[i], v), 0);
				in[i] = true;
				val[i] = v;
				n++;
			}
			break;
		case 2:
			CU_ASSERT_EQUAL(rd_idmap_del(&m, key[i]), in[i] ? 0 : -ENOENT);
			if (in[i])
				n--;
			in[i] = false;
			break;
		default:
			v = (uint32_t)rnd();
			CU_ASSERT_EQUAL(rd_idmap_set(&m, key[i], v), in[i] ? 0 : -ENOENT);
			if (in[i])
				val[i] = v;
			break;
		}
		CU_ASSERT_EQUAL_FATAL(m.n, n);
		if (op % 50000 == 0)	/* full check now and then */
			for (i = 0; i < N_KEYS; i++) {
				bool got = rd_idmap_get(&m, key[i], &v);

				CU_ASSERT_EQUAL_FATAL(got, in[i]);
				if (got)
					CU_ASSERT_EQUAL_FATAL(v, val[i]);
			}
	}
	/* Fill to the capacity, one more is refused, then empty it. */
	for (i = 0; i < N_KEYS; i++)
		if (!in[i]) {
			CU_ASSERT_EQUAL_FATAL(rd_idmap_add(&m, key[i], i), 0);
			in[i] = true;
			val[i] = i;
		}
	CU_ASSERT_EQUAL(rd_idmap_add(&m, UINT64_MAX - 7, 1), -ENOSPC);
	for (i = 0; i < N_KEYS; i++) {
		unsigned j = (unsigned)(rnd() % N_KEYS);
		uint64_t k = key[i];
		uint32_t x = val[i];

		key[i] = key[j], val[i] = val[j];
		key[j] = k, val[j] = x;
	}
	for (i = 0; i < N_KEYS; i++) {
		CU_ASSERT_FATAL(rd_idmap_get(&m, key[i], &v) && v == val[i]);
		CU_ASSERT_EQUAL_FATAL(rd_idmap_del(&m, key[i]), 0);
		if (i + 1 < N_KEYS)
			CU_ASSERT_FATAL(rd_idmap_get(&m, key[i + 1], &v) && v == val[i + 1]);
	}
	CU_ASSERT_EQUAL(m.n, 0);
	for (i = 0; i <= m.mask; i++)
		CU_ASSERT_EQUAL_FATAL(m.keys[i], 0);
	rd_idmap_fini(&m);
}

static void
test_bad_args(void)
{
	struct rd_idmap m;
	uint32_t v;

	CU_ASSERT_EQUAL(rd_idmap_init(&m, 0), -EINVAL);
	CU_ASSERT_FALSE(rd_idmap_get(&m, 1, &v));
	CU_ASSERT_EQUAL(rd_idmap_init(&m, 4), 0);
	CU_ASSERT_EQUAL(rd_idmap_add(&m, 0, 1), -EINVAL);
	CU_ASSERT_FALSE(rd_idmap_get(&m, 0, &v));
	CU_ASSERT_EQUAL(rd_idmap_del(&m, 0), -ENOENT);
	rd_idmap_fini(&m);
}


static double
dmin(double a, double b)
{
	return a < b ? a : b;
}

/*
 * ns per child lookup with @n children, through the map and (for the
 * record) by the linear walk it replaced, over records the size of
 * struct rd_child (2 728 bytes); best of 3 rounds of 20 000 lookups.
 */
static void
bench_one(unsigned n, double *map_ns, double *walk_ns)
{
	enum { REC = 2728, LOOKUPS = 20000 };
	uint8_t *rec = calloc(n, REC);
	struct rd_idmap m;
	volatile uint64_t sink = 0;
	unsigned r, i, j;
	uint32_t v;

	CU_ASSERT_FATAL(rec != NULL && rd_idmap_init(&m, n) == 0);
	for (i = 0; i < n; i++) {
		uint64_t id = 1000 + (uint64_t)i * 7;

		memcpy(rec + (size_t)i * REC, &id, 8);
		CU_ASSERT_FATAL(rd_idmap_add(&m, id, i) == 0);
	}
	*map_ns = *walk_ns = 1e18;
	for (r = 0; r < 3; r++) {
		uint64_t t0 = tu_now_ns();

		for (i = 0; i < LOOKUPS; i++) {
			uint64_t id = 1000 + (rnd() % n) * 7;

			if (rd_idmap_get(&m, id, &v))
				sink += v;
		}
		*map_ns = dmin(*map_ns, (double)(tu_now_ns() - t0) / LOOKUPS);
		t0 = tu_now_ns();
		for (i = 0; i < LOOKUPS / 100; i++) {
			uint64_t id = 1000 + (rnd() % n) * 7, x;

			for (j = 0; j < n; j++) {
				memcpy(&x, rec + (size_t)j * REC, 8);
				if (x == id)
					break;
			}
			sink += j;
		}
		*walk_ns = dmin(*walk_ns, (double)(tu_now_ns() - t0) / (LOOKUPS / 100));
	}
	(void)sink;
	rd_idmap_fini(&m);
	free(rec);
}

/*
 * Lookup cost with 1 000 and 100 000 children, printed. The large map no
 * longer fits the caches (a lookup is then one or two DRAM misses), so the
 * check is absolute: under 1 us, where a walk of 100 000 records takes
 * hundreds.
 */
static void
test_lookup_cost_flat(void)
{
	double m1, w1, m2, w2;

	bench_one(1000, &m1, &w1);
	bench_one(100000, &m2, &w2);
	printf("\n  child lookup: map %.1f ns (1 000 children), %.1f ns (100 000); "
	       "linear walk %.0f ns, %.0f ns\n", m1, m2, w1, w2);
	CU_ASSERT(m2 < 1000);
}

static const struct tu_test tests[] = {
	{ "random_ops_against_model", test_random_model },
	{ "bad_arguments", test_bad_args },
	{ "lookup_cost_flat_in_children", test_lookup_cost_flat },
};

int
main(void)
{
	const char *e = getenv("RAMPART_SEED");

	seed = e != NULL ? strtoull(e, NULL, 0) : (uint64_t)time(NULL) * 2654435761u + 1;
	if (seed == 0)
		seed = 1;
	printf("test_idmap: RAMPART_SEED=%" PRIu64 "\n", seed);
	return tu_main("idmap", tests, TU_N(tests));
}
