/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUnit tests of lib/sa's control-side pieces that need no EAL: the inbound
 * SPI allocator (sa_spi.h): uniqueness, owner bits, reserved values,
 * unpredictability (no sequential or repeating low bits), slot reuse only
 * after release or a lapsed reservation, exhaustion.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "test_main.h"
#include "sa/sa_msg.h"
#include "sa/sa_spi.h"

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* 100 000 installed SPIs per worker on 3 workers: unique, owner bits right,
 * never reserved, every one with a direct index of its own, and nothing
 * sequential about them. */
static void
test_spi_unique_random(void)
{
	enum { NW = 3, N = 100000 };
	struct sa_spi_alloc *a;
	uint32_t *spis = calloc((size_t)NW * N, sizeof(*spis));
	uint32_t *ix = calloc(N, sizeof(*ix));
	unsigned w, i, bad_owner = 0, reserved = 0, seq = 0, seq_ix = 0, dup = 0, dup_ix = 0;
	unsigned gen_hist[4] = { 0 };
	uint64_t now = 1000;

	CU_ASSERT_FATAL(spis != NULL && ix != NULL);
	CU_ASSERT_FATAL(sa_spi_alloc_create(NW, &a) == 0);
	for (w = 0; w < NW; w++) {
		for (i = 0; i < N; i++) {
			uint32_t s = 0;

			CU_ASSERT_FATAL(sa_spi_alloc(a, w, now, &s) == 0);
			CU_ASSERT(sa_spi_keep(a, s) == 0);
			spis[w * N + i] = s;
			ix[i] = sa_spi_index(s);
			if (sa_spi_worker(s) != w)
				bad_owner++;
			if (s < 256)
				reserved++;
			if (i > 0 && s == spis[w * N + i - 1] + 1)
				seq++;
			if (i > 0 && sa_spi_index(s) == sa_spi_index(spis[w * N + i - 1]) + 1)
				seq_ix++;
			gen_hist[(s >> SA_SPI_INDEX_BITS) & 3]++;
		}
		qsort(ix, N, sizeof(*ix), cmp_u32);
		for (i = 1; i < N; i++)
			if (ix[i] == ix[i - 1])
				dup_ix++;
	}
	qsort(spis, (size_t)NW * N, sizeof(*spis), cmp_u32);
	for (i = 1; i < (unsigned)NW * N; i++)
		if (spis[i] == spis[i - 1])
			dup++;
	CU_ASSERT(bad_owner == 0);
	CU_ASSERT(reserved == 0);
	CU_ASSERT(dup == 0);
	CU_ASSERT(dup_ix == 0);		/* each live SA found by the direct index */
	/* a random next index is index + 1 with probability 2^-18: a few at most */
	CU_ASSERT(seq <= 8);
	CU_ASSERT(seq_ix <= 8);
	/* the gen bits are random too: each 2-bit pattern about a quarter */
	for (i = 0; i < 4; i++)
		CU_ASSERT(gen_hist[i] > NW * N / 4 - NW * N / 20 &&
			  gen_hist[i] < NW * N / 4 + NW * N / 20);
	if (seq > 8 || seq_ix > 8 || dup || dup_ix)
		printf("\n  seq %u seq_ix %u dup %u dup_ix %u\n", seq, seq_ix, dup, dup_ix);
	sa_spi_alloc_destroy(a);
	free(spis);
	free(ix);
}

/* Slots: a held SPI's index is never handed out again until released; an
 * unheld reservation lapses after SA_SPI_RESERVE_MS; a full worker says so. */
static void
test_spi_slots(void)
{
	struct sa_spi_alloc *a;
	uint32_t s, t, first = 0;
	unsigned i, n_ok = 0;
	int rc = 0;

	CU_ASSERT_FATAL(sa_spi_alloc_create(1, &a) == 0);
	CU_ASSERT(sa_spi_alloc(a, 1, 0, &s) == -EINVAL);	/* no such worker */
	CU_ASSERT(sa_spi_alloc_create(0, &a) == -EINVAL);
	CU_ASSERT(sa_spi_alloc_create(SA_MAX_WORKERS + 1, &a) == -EINVAL);
	/* fill every index of worker 0 with reservations (not held) */
	for (i = 0; i < 4 * SA_SPI_INDEX_SIZE && (rc = sa_spi_alloc(a, 0, 5000, &s)) == 0; i++) {
		if (first == 0)
			first = s;
		n_ok++;
	}
	/* the last free slots are hard to hit by chance: -ENOSPC, not a reuse */
	CU_ASSERT(rc == -ENOSPC);
	CU_ASSERT(n_ok > SA_SPI_INDEX_SIZE / 2 && n_ok <= SA_SPI_INDEX_SIZE);
	CU_ASSERT(sa_spi_keep(a, first) == 0);
	/* reservations lapse, the held one does not */
	for (i = 0; i < 2000; i++) {
		CU_ASSERT_FATAL(sa_spi_alloc(a, 0, 5000 + SA_SPI_RESERVE_MS, &t) == 0);
		CU_ASSERT(sa_spi_index(t) != sa_spi_index(first));
	}
	/* released: the slot may come back (with fresh random gen bits) */
	sa_spi_release(a, first);
	CU_ASSERT(sa_spi_keep(a, first) == 0);
	sa_spi_release(a, first ^ (1u << SA_SPI_INDEX_BITS));	/* not its SPI: no-op */
	CU_ASSERT(sa_spi_keep(a, first ^ (1u << SA_SPI_INDEX_BITS)) == -EEXIST);
	sa_spi_alloc_destroy(a);
}

/*
 * Manual SAs (rampartd ctl_manual.c) hold their configured inbound SPIs before
 * IKE starts: with 4096 manual SPIs held on worker 0 (1.6 % of its indices),
 * 100 000 allocations for IKE never return one of them nor share its index.
 * Without the hold about 1 600 of them would.
 */
static void
test_spi_manual_never_allocated(void)
{
	enum { MAN_BASE = 0x00001000, MAN_N = 4096, DRAWS = 100000 };
	struct sa_spi_alloc *a;
	uint32_t s;
	unsigned i, hits = 0;

	CU_ASSERT_FATAL(sa_spi_alloc_create(2, &a) == 0);
	for (i = 0; i < MAN_N; i++)
		CU_ASSERT(sa_spi_keep(a, MAN_BASE + i) == 0);
	for (i = 0; i < DRAWS; i++) {
		CU_ASSERT_FATAL(sa_spi_alloc(a, i & 1, 1000, &s) == 0);
		if (sa_spi_worker(s) == 0 && sa_spi_index(s) >= MAN_BASE &&
		    sa_spi_index(s) < MAN_BASE + MAN_N)
			hits++;
		sa_spi_release(a, s);
	}
	CU_ASSERT_EQUAL(hits, 0);
	for (i = 0; i < MAN_N; i++)
		CU_ASSERT(sa_spi_is_held(a, MAN_BASE + i));
	sa_spi_alloc_destroy(a);
}

static const struct tu_test tests[] = {
	{ "spi_unique_random_owner_bits", test_spi_unique_random },
	{ "spi_slots_hold_release_lapse", test_spi_slots },
	{ "spi_manual_never_allocated", test_spi_manual_never_allocated },
};

int
main(void)
{
	return tu_main("sa", tests, TU_N(tests));
}
