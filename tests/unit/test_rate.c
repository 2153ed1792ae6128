/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rampartd's IKE admission buckets (app/rampartd/ctl_rate.c): per-source and
 * total token buckets, the reserve kept for exchanges under way, the bounded
 * source table under a spoofed flood, and the header peek that tells an
 * ongoing exchange from a new IKE_SA_INIT.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "test_main.h"
#include "ctl_rate.h"

#define SEC 1000000000ull

static struct rd_rate *
mk(uint32_t rate, uint32_t burst, uint32_t rate_src, uint32_t burst_src, uint32_t sources)
{
	struct rd_rate_cfg c = { rate, burst, rate_src, burst_src, sources };
	struct rd_rate *r = NULL;

	CU_ASSERT_EQUAL_FATAL(rd_rate_create(&c, 0x1234, &r), 0);
	return r;
}

static void
addr4(uint8_t a[4], uint32_t v)
{
	a[0] = (uint8_t)(v >> 24);
	a[1] = (uint8_t)(v >> 16);
	a[2] = (uint8_t)(v >> 8);
	a[3] = (uint8_t)v;
}

/* One source: its burst, then nothing, then its rate once time passes. */
static void
source_burst_then_rate(void)
{
	struct rd_rate *r = mk(1000, 1000, 2, 5, 64);
	uint8_t a[4] = { 198, 51, 100, 7 };
	struct rd_rate_stats st;
	unsigned i, pass = 0;

	for (i = 0; i < 10; i++)
		pass += rd_rate_check(r, 4, a, false, 1, SEC) == RD_RATE_PASS;
	CU_ASSERT_EQUAL(pass, 5);
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, true, 1, SEC), RD_RATE_DROP_SRC);
	pass = 0;
	for (i = 0; i < 10; i++)
		pass += rd_rate_check(r, 4, a, false, 1, 2 * SEC) == RD_RATE_PASS;
	CU_ASSERT_EQUAL(pass, 2);
	/* another source is not affected */
	a[3] = 8;
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, false, 1, 2 * SEC), RD_RATE_PASS);
	rd_rate_stats_get(r, &st);
	CU_ASSERT_EQUAL(st.pass, 8);
	CU_ASSERT_EQUAL(st.drop_src, 14);
	rd_rate_destroy(r);
}

/* The total bucket: new exchanges stop at the reserve, ongoing ones use it. */
static void
total_reserve_for_ongoing(void)
{
	struct rd_rate *r = mk(1, 8, 100, 100, 1024);
	uint8_t a[4];
	unsigned i, pass = 0;

	for (i = 0; i < 20; i++) {
		addr4(a, 0x0a000000 + i);
		pass += rd_rate_check(r, 4, a, false, 1, SEC) == RD_RATE_PASS;
	}
	CU_ASSERT_EQUAL(pass, 6);		/* 8 - the reserve of 8/4 */
	addr4(a, 0x0b000001);
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, true, 1, SEC), RD_RATE_PASS);
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, true, 1, SEC), RD_RATE_PASS);
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, true, 1, SEC), RD_RATE_DROP_TOTAL);
	rd_rate_destroy(r);
}

/* 100 000 spoofed sources: the table stays at its size, old entries go. */
static void
spoofed_flood_bounded(void)
{
	struct rd_rate *r = mk(10000000, 10000000, 1, 1, 64);
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct rd_rate_stats st;
	unsigned i, pass = 0;

	for (i = 0; i < 100000; i++) {
		addr4(a + 12, i);
		pass += rd_rate_check(r, 6, a, false, 1, SEC + i) == RD_RATE_PASS;
	}
	rd_rate_stats_get(r, &st);
	CU_ASSERT_EQUAL(st.capacity, 64);
	CU_ASSERT_EQUAL(st.tracked, 64);
	CU_ASSERT_EQUAL(st.evictions, 100000 - 64);
	CU_ASSERT_EQUAL(pass, 100000);		/* one datagram each: all within budget */
	/* a source seen again right away is still limited */
	CU_ASSERT_EQUAL(rd_rate_check(r, 6, a, false, 1, SEC + i), RD_RATE_DROP_SRC);
	rd_rate_destroy(r);
}

/*
 * Second chance: a new request dropped for the total budget is let in as
 * under way when the same source sends the same SPIi again (a real
 * initiator's retransmission); another SPIi from there is not, and the
 * memory is gone RD_RATE_RETX_KEEP_NS later.
 */
static void
retransmission_second_chance(void)
{
	struct rd_rate *r = mk(1, 4, 100, 100, 1024);
	uint8_t a[4] = { 192, 0, 2, 11 }, b[4] = { 192, 0, 2, 12 };
	struct rd_rate_stats st;
	uint64_t t = 100 * SEC;

	/* use up everything above the reserve (4/4 = 1 token) */
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, b, false, 7, t), RD_RATE_PASS);
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, b, false, 8, t), RD_RATE_PASS);
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, b, false, 9, t), RD_RATE_PASS);
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, false, 0x1111, t), RD_RATE_DROP_TOTAL);
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, false, 0x2222, t), RD_RATE_DROP_TOTAL);
	/* the retransmission may use the reserve */
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, false, 0x1111, t + 1), RD_RATE_PASS);
	rd_rate_stats_get(r, &st);
	CU_ASSERT_EQUAL(st.retx_prio, 1);
	/* same SPIi from another source: no */
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, b, false, 0x2222, t + 2), RD_RATE_DROP_TOTAL);
	/* after RD_RATE_RETX_KEEP_NS it is forgotten */
	t += RD_RATE_RETX_KEEP_NS + RD_RATE_RETX_TICK_NS;
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, true, 5, t), RD_RATE_PASS);
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, true, 5, t), RD_RATE_PASS);
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, true, 5, t), RD_RATE_PASS);
	CU_ASSERT_EQUAL(rd_rate_check(r, 4, a, false, 0x2222, t), RD_RATE_DROP_TOTAL);
	rd_rate_stats_get(r, &st);
	CU_ASSERT_EQUAL(st.retx_prio, 1);
	rd_rate_destroy(r);
}

/*
 * The e2e flood's shape (defaults: 5000/s, burst 1000; 240 000 spoofed new
 * IKE_SA_INIT/s from 65 536 sources, each with a fresh SPIi) for 8 s: none of
 * the flood may pass as a retransmission (the Bloom filter this replaced let
 * 4-8 % of such a flood in as retransmissions, twice the whole budget),
 * while a real client's retransmissions 4 s and 11.2 s after its first try
 * (strongSwan's schedule) are still recognised.
 */
static void
flood_buys_no_priority(void)
{
	struct rd_rate *r = mk(5000, 1000, 50, 100, 16384);
	uint8_t a[4], me[4] = { 192, 0, 2, 11 };
	/* The total bucket refills to a whole token every 200 us after t0, and the
	 * flood takes it at once: the client's tries fall between two refills
	 * (+99 991 ns), as on a real clock, so its first try is lost. */
	const uint64_t pps = 240000, t0 = 50 * SEC, my_spi = 0x1122334455667788ull;
	const uint64_t t1 = t0 + SEC / 2 + 99991;
	const uint64_t tries[3] = { t1, t1 + 4 * SEC, t1 + 11 * SEC + SEC / 5 };
	struct rd_rate_stats st;
	uint64_t x = 88172645463325252ull, n, t, prio;
	unsigned k = 0, mine_prio = 0;
	enum rd_rate_verdict v;

	for (n = 0; n < pps * 12; n++) {
		t = t0 + n * SEC / pps;
		while (k < 3 && t >= tries[k]) {
			rd_rate_stats_get(r, &st);
			prio = st.retx_prio;
			v = rd_rate_check(r, 4, me, false, my_spi, tries[k]);
			rd_rate_stats_get(r, &st);
			if (k == 0) {	/* a first try: lost to the flood, not prio */
				CU_ASSERT_EQUAL(v, RD_RATE_DROP_TOTAL);
				CU_ASSERT_EQUAL(st.retx_prio, prio);
			}
			mine_prio += (unsigned)(st.retx_prio - prio);
			k++;
		}
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		addr4(a, 0xc6120000u | (uint32_t)(x >> 48));	/* 198.18.0.0/16 */
		(void)rd_rate_check(r, 4, a, false, x, t);
	}
	rd_rate_stats_get(r, &st);
	CU_ASSERT_EQUAL(k, 3);
	CU_ASSERT_EQUAL(mine_prio, 2);		/* both retransmissions */
	CU_ASSERT(st.retx_prio - mine_prio <= 20);
	CU_ASSERT(st.drop_total > pps * 12 * 9 / 10);
	if (st.retx_prio - mine_prio > 20)
		fprintf(stderr, "flood requests let in as retransmissions: %" PRIu64 " of %" PRIu64 "\n",
			st.retx_prio - mine_prio, pps * 12);
	rd_rate_destroy(r);
}

static void
bad_cfg(void)
{
	struct rd_rate_cfg c = { 0, 1, 1, 1, 64 };
	struct rd_rate *r = (struct rd_rate *)&c;

	CU_ASSERT_EQUAL(rd_rate_create(&c, 1, &r), -22);
	CU_ASSERT_PTR_NULL(r);
}

/* Header peek: SPIr set, or IKE_SA_INIT with a COOKIE first, is ongoing. */
static void
ongoing_peek(void)
{
	uint8_t m[64] = { 0 };

	m[0] = 1;				/* SPIi */
	m[16] = 33;				/* next: SA */
	m[17] = 0x20;
	m[18] = 34;				/* IKE_SA_INIT */
	CU_ASSERT_FALSE(rd_ike_is_ongoing(m, sizeof(m)));
	CU_ASSERT_FALSE(rd_ike_is_ongoing(m, 27));
	m[16] = 41;				/* N(COOKIE) first */
	m[28 + 6] = 0x40;
	m[28 + 7] = 0x06;
	CU_ASSERT_TRUE(rd_ike_is_ongoing(m, sizeof(m)));
	CU_ASSERT_FALSE(rd_ike_is_ongoing(m, 35));
	m[28 + 7] = 0x07;			/* another notify */
	CU_ASSERT_FALSE(rd_ike_is_ongoing(m, sizeof(m)));
	m[15] = 9;				/* SPIr */
	CU_ASSERT_TRUE(rd_ike_is_ongoing(m, 28));
}

static const struct tu_test tests[] = {
	{ "source_burst_then_rate", source_burst_then_rate },
	{ "total_reserve_for_ongoing", total_reserve_for_ongoing },
	{ "spoofed_flood_bounded", spoofed_flood_bounded },
	{ "retransmission_second_chance", retransmission_second_chance },
	{ "flood_buys_no_priority", flood_buys_no_priority },
	{ "bad_cfg", bad_cfg },
	{ "ongoing_peek", ongoing_peek },
};

int
main(void)
{
	return tu_main("rate", tests, TU_N(tests));
}
