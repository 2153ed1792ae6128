/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rampartd's event log lines (app/rampartd/rd_log.c): key=value formatting
 * and quoting, the per-site token bucket under a flood (bounded lines, an
 * exact suppressed count, the summary line), and per-connection levels.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "test_main.h"
#include "conf/conf.h"
#include "rd_log.h"

static uint64_t fake_now;
static char lines[4096][RD_LOG_LINE];
static int levels[4096];
static unsigned n_lines;

static uint64_t
clock_fake(void)
{
	return fake_now;
}

static void
sink(int level, const char *line)
{
	if (n_lines < 4096) {
		levels[n_lines] = level;
		snprintf(lines[n_lines], sizeof(lines[0]), "%s", line);
	}
	n_lines++;
}

static void
reset(void)
{
	n_lines = 0;
	fake_now = 1000;
	rd_log_set_clock(clock_fake);
	rd_log_init(sink);
}

static unsigned
count(const char *needle)
{
	unsigned i, k = 0;

	for (i = 0; i < n_lines && i < 4096; i++)
		k += strstr(lines[i], needle) != NULL;
	return k;
}

/* Keys in order, plain values bare, awkward values quoted and escaped. */
static void
format_kv(void)
{
	struct rd_logbuf b;
	char big[300];

	rd_logbuf_init(&b, "child_up");
	rd_kv_str(&b, "conn", "ra");
	rd_kv_u64(&b, "ike_sa", 42);
	rd_kv_spi(&b, "spi", 0xc0ffee);
	rd_kv_str(&b, "peer", "192.0.2.7:4500");
	CU_ASSERT_STRING_EQUAL(b.s, "event=child_up conn=ra ike_sa=42 spi=00c0ffee "
			       "peer=192.0.2.7:4500");
	rd_logbuf_init(&b, "x");
	rd_kv_str(&b, "reason", "no proposal chosen");
	rd_kv_str(&b, "q", "a\"b\\c");
	rd_kv_str(&b, "nl", "a\nb=c");
	rd_kv_str(&b, "e", "");
	CU_ASSERT_STRING_EQUAL(b.s, "event=x reason=\"no proposal chosen\" q=\"a\\\"b\\\\c\" "
			       "nl=\"a\\x0ab=c\" e=\"\"");
	/* a long value is cut at RD_LOG_VAL; a long line ends in "..." */
	memset(big, 'v', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	rd_logbuf_init(&b, "x");
	rd_kv_str(&b, "v", big);
	CU_ASSERT_EQUAL(b.n, strlen("event=x v=") + RD_LOG_VAL + 3);
	CU_ASSERT_STRING_EQUAL(b.s + b.n - 3, "...");
	for (int i = 0; i < 10; i++)
		rd_kv_str(&b, "v", big);
	CU_ASSERT_EQUAL(b.n, sizeof(b.s) - 1);
	CU_ASSERT_EQUAL(strlen(b.s), sizeof(b.s) - 1);
	CU_ASSERT_STRING_EQUAL(b.s + b.n - 3, "...");
}

/* The bucket alone: the burst, then RD_LOG_RATE_PER_S per second. */
static void
bucket_burst_then_rate(void)
{
	struct rd_logrl rl = { .burst = RD_LOG_BURST, .rate_per_s = RD_LOG_RATE_PER_S };
	unsigned i, ok = 0;

	for (i = 0; i < 1000; i++)
		ok += rd_logrl_allow(&rl, 5000);
	CU_ASSERT_EQUAL(ok, RD_LOG_BURST);
	CU_ASSERT_EQUAL(rl.suppressed, 1000 - RD_LOG_BURST);
	ok = 0;
	for (i = 0; i < 1000; i++)
		ok += rd_logrl_allow(&rl, 6000);
	CU_ASSERT_EQUAL(ok, RD_LOG_RATE_PER_S);
	/* a long pause refills no more than the burst */
	ok = 0;
	for (i = 0; i < 1000; i++)
		ok += rd_logrl_allow(&rl, 1000000);
	CU_ASSERT_EQUAL(ok, RD_LOG_BURST);
}

/*
 * 100 000 rejected datagrams over 10 s at one site: at most burst + rate *
 * 10 s lines plus one summary per second; every other line is counted and
 * the summaries add up to the count.
 */
static void
flood_bounded(void)
{
	struct rd_logbuf b;
	unsigned i, printed, summaries, sum = 0;
	const char *p;

	reset();
	for (i = 0; i < 100000; i++) {
		fake_now = 1000 + i / 10;	/* 10 per ms over 10 s */
		rd_logbuf_init(&b, "ike_rejected");
		rd_kv_str(&b, "peer", "198.51.100.9:500");
		rd_kv_str(&b, "reason", "bad message");
		rd_log_emit(RD_LOG_SITE_ike_lib, 6, NULL, &b);
		rd_log_tick(fake_now);
	}
	fake_now += 5000;
	rd_log_tick(fake_now);			/* the flood stopped: last summary */
	rd_log_tick(fake_now + 5000);		/* nothing more to say */
	printed = count("event=ike_rejected");
	summaries = count("event=log_suppressed site=ike_lib");
	CU_ASSERT(printed <= RD_LOG_BURST + RD_LOG_RATE_PER_S * 10 + 1);
	CU_ASSERT(printed >= RD_LOG_BURST + RD_LOG_RATE_PER_S * 9);
	CU_ASSERT(summaries >= 9 && summaries <= 11);
	CU_ASSERT_EQUAL(n_lines, printed + summaries);
	CU_ASSERT_EQUAL(rd_log_suppressed_total(RD_LOG_SITE_ike_lib), 100000 - printed);
	for (i = 0; i < n_lines && i < 4096; i++)
		if ((p = strstr(lines[i], " suppressed=")) != NULL) {
			sum += (unsigned)strtoul(p + 12, NULL, 10);
			CU_ASSERT_EQUAL(levels[i], IKE_LOG_WARNING);
		}
	CU_ASSERT_EQUAL(sum, 100000 - printed);
	/* another site still has its own burst */
	rd_logbuf_init(&b, "child_install_failed");
	rd_log_emit(RD_LOG_SITE_child_fail, 4, NULL, &b);
	CU_ASSERT_EQUAL(count("event=child_install_failed"), 1);
}

/* connections[].log_level overrides the top-level level for lines naming it. */
static void
per_conn_level(void)
{
	struct conf *c = calloc(1, sizeof(*c));
	struct rd_logbuf b;

	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	reset();
	c->log_level = IKE_LOG_INFO;
	c->n_conns = 3;
	snprintf(c->conns[0].name, sizeof(c->conns[0].name), "quiet");
	snprintf(c->conns[1].name, sizeof(c->conns[1].name), "loud");
	snprintf(c->conns[2].name, sizeof(c->conns[2].name), "plain");
	c->conn_log_level[0] = IKE_LOG_WARNING;
	c->conn_log_level[1] = IKE_LOG_DEBUG;
	rd_log_configure(c);
	CU_ASSERT_FALSE(rd_log_enabled(IKE_LOG_INFO, "quiet"));
	CU_ASSERT_TRUE(rd_log_enabled(IKE_LOG_WARNING, "quiet"));
	CU_ASSERT_TRUE(rd_log_enabled(IKE_LOG_DEBUG, "loud"));
	CU_ASSERT_TRUE(rd_log_enabled(IKE_LOG_INFO, "plain"));
	CU_ASSERT_FALSE(rd_log_enabled(IKE_LOG_DEBUG, "plain"));
	CU_ASSERT_FALSE(rd_log_enabled(IKE_LOG_DEBUG, NULL));
	rd_logbuf_init(&b, "child_up");
	rd_log_emit(RD_LOG_SITE_sa, IKE_LOG_INFO, "quiet", &b);
	rd_log_emit(RD_LOG_SITE_sa, IKE_LOG_DEBUG, "loud", &b);
	rd_log_emit(RD_LOG_SITE_sa, IKE_LOG_DEBUG, "plain", &b);
	CU_ASSERT_EQUAL(n_lines, 1);
	CU_ASSERT_EQUAL(levels[0], IKE_LOG_DEBUG);
	/* lines below the level consume no tokens and are not "suppressed" */
	CU_ASSERT_EQUAL(rd_log_suppressed_total(RD_LOG_SITE_sa), 0);
	free(c);
}

static const struct tu_test tests[] = {
	{ "format_kv", format_kv },
	{ "bucket_burst_then_rate", bucket_burst_then_rate },
	{ "flood_bounded", flood_bounded },
	{ "per_conn_level", per_conn_level },
};

int
main(void)
{
	return tu_main("log", tests, TU_N(tests));
}
