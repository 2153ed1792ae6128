/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus exposition writer (app/rampartd/rd_prom.c) and the counter
 * name lists it is fed from (rd_stats.h, IKE_STATS_LIST,
 * CTL_SOCK_STATS_LIST): text format, escaping, bounded labels, and names
 * that follow the conventions (valid, counters end in _total, gauges do
 * not, entries of one family adjacent and of one type).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "test_main.h"
#include "ctl/ctl_sock.h"
#include "ike/ike.h"
#include "rd_hist.h"
#include "rd_prom.h"
#include "rd_stats.h"

static void
format(void)
{
	struct rd_prom p = { 0 };
	char l[RD_PROM_MAX_LABELS] = "";

	CU_ASSERT_EQUAL(rd_prom_label(l, sizeof(l), "worker", "0"), 0);
	CU_ASSERT_EQUAL(rd_prom_label(l, sizeof(l), "reason", "a\"b\\c\nd"), 0);
	CU_ASSERT_STRING_EQUAL(l, "worker=\"0\",reason=\"a\\\"b\\\\c\\nd\"");
	rd_prom_family(&p, "rampart_x_total", RD_PROM_counter, "help with \\ and\nnewline");
	rd_prom_sample(&p, "rampart_x_total", l, 18446744073709551615ull);
	rd_prom_family(&p, "rampart_y", RD_PROM_gauge, "a gauge");
	rd_prom_sample(&p, "rampart_y", "", 0);
	CU_ASSERT_FALSE(p.oom);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p.buf);
	CU_ASSERT_STRING_EQUAL(p.buf,
		"# HELP rampart_x_total help with \\\\ and\\nnewline\n"
		"# TYPE rampart_x_total counter\n"
		"rampart_x_total{worker=\"0\",reason=\"a\\\"b\\\\c\\nd\"} 18446744073709551615\n"
		"# HELP rampart_y a gauge\n"
		"# TYPE rampart_y gauge\n"
		"rampart_y 0\n");
	CU_ASSERT_EQUAL(p.len, strlen(p.buf));
	free(p.buf);
}

/* A histogram: buckets by upper bound (inclusive), cumulative, seconds. */
static void
histogram(void)
{
	struct rd_prom p = { 0 };
	struct rd_hist h = { 0 };

	rd_hist_observe(&h, 0);
	rd_hist_observe(&h, 5);		/* le 0.005 is inclusive */
	rd_hist_observe(&h, 6);
	rd_hist_observe(&h, 1234);
	rd_hist_observe(&h, 999999);	/* +Inf */
	CU_ASSERT_EQUAL(h.count, 5);
	CU_ASSERT_EQUAL(h.bucket[0], 2);
	CU_ASSERT_EQUAL(h.bucket[1], 1);
	CU_ASSERT_EQUAL(h.bucket[8], 1);
	CU_ASSERT_EQUAL(h.bucket[RD_HIST_N], 1);
	rd_hist_family(&p, "rampart_x_seconds", "a latency");
	rd_hist_prom(&p, "rampart_x_seconds", "role=\"responder\"", &h);
	rd_hist_prom(&p, "rampart_x_seconds", "", &h);
	CU_ASSERT_FALSE(p.oom);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p.buf);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.buf, "# TYPE rampart_x_seconds histogram\n"
		"rampart_x_seconds_bucket{role=\"responder\",le=\"0.005\"} 2\n"
		"rampart_x_seconds_bucket{role=\"responder\",le=\"0.010\"} 3\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.buf,
		"rampart_x_seconds_bucket{role=\"responder\",le=\"2.500\"} 4\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.buf,
		"rampart_x_seconds_bucket{role=\"responder\",le=\"30.000\"} 4\n"
		"rampart_x_seconds_bucket{role=\"responder\",le=\"+Inf\"} 5\n"
		"rampart_x_seconds_sum{role=\"responder\"} 1001.244\n"
		"rampart_x_seconds_count{role=\"responder\"} 5\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.buf, "rampart_x_seconds_bucket{le=\"+Inf\"} 5\n"
		"rampart_x_seconds_sum 1001.244\nrampart_x_seconds_count 5\n"));
	free(p.buf);
}

static void
label_bounds(void)
{
	char l[16] = "";

	CU_ASSERT_EQUAL(rd_prom_label(l, sizeof(l), "a", "12345"), 0);	/* a="12345" */
	CU_ASSERT_EQUAL(rd_prom_label(l, sizeof(l), "b", "12345"), -1);	/* does not fit */
	CU_ASSERT_STRING_EQUAL(l, "a=\"12345\"");			/* unchanged */
	CU_ASSERT_EQUAL(rd_prom_label(l, sizeof(l), "b", "1"), 0);
	CU_ASSERT_STRING_EQUAL(l, "a=\"12345\",b=\"1\"");
	CU_ASSERT_EQUAL(strlen(l), 15u);
}

static void
big_buffer(void)
{
	struct rd_prom p = { 0 };
	unsigned i;

	for (i = 0; i < 5000; i++)
		rd_prom_sample(&p, "rampart_many_total", "k=\"v\"", i);
	CU_ASSERT_FALSE(p.oom);
	CU_ASSERT_EQUAL(p.len, strlen(p.buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(p.buf, "rampart_many_total{k=\"v\"} 4999\n"));
	free(p.buf);
}

struct ent {
	const char *field, *name, *labels;
	int type;
};

static int
valid_name(const char *s)
{
	const char *c;

	if (s[0] == '\0' || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (c = s; *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == ':'))
			return 0;
	return 1;
}

static int
ends_total(const char *s)
{
	size_t n = strlen(s);

	return n > 6 && strcmp(s + n - 6, "_total") == 0;
}

static void
check_list(const char *what, const struct ent *e, unsigned n)
{
	unsigned i, k;

	for (i = 0; i < n; i++) {
		int ok = valid_name(e[i].name) &&
			 ends_total(e[i].name) == (e[i].type == RD_PROM_counter);

		if (e[i].labels[0] != '\0') {
			const char *eq = strchr(e[i].labels, '=');

			ok = ok && eq != NULL && eq[1] == '"' &&
			     e[i].labels[strlen(e[i].labels) - 1] == '"';
		}
		for (k = 0; k < i; k++) {
			/* a family's entries are adjacent, of one type, with distinct labels */
			if (strcmp(e[k].name, e[i].name) == 0)
				ok = ok && (k == i - 1 || strcmp(e[i - 1].name, e[i].name) == 0) &&
				     e[k].type == e[i].type && strcmp(e[k].labels, e[i].labels) != 0;
			ok = ok && strcmp(e[k].field, e[i].field) != 0;
		}
		if (!ok) {
			fprintf(stderr, "\n%s: %s (%s{%s})\n", what, e[i].field, e[i].name, e[i].labels);
			CU_FAIL("bad metric entry");
		}
	}
}

static void
name_lists(void)
{
#define E5(f, prom, lbl, type, help) { #f, "rampart_x_" prom, lbl, RD_PROM_##type },
	static const struct ent w[] = { RD_WORKER_COUNTERS(E5) };
	static const struct ent c[] = { RD_CTL_COUNTERS(E5) };
#undef E5
#define E4(f, prom, type, help) { #f, "rampart_ike_" prom, "", RD_PROM_##type },
	static const struct ent ike[] = { IKE_STATS_LIST(E4) };
#undef E4
#define E2(f, help) { #f, "rampart_ctl_" #f "_total", "", RD_PROM_counter },
	static const struct ent ctl[] = { CTL_SOCK_STATS_LIST(E2) };
#undef E2

	check_list("RD_WORKER_COUNTERS", w, sizeof(w) / sizeof(w[0]));
	check_list("RD_CTL_COUNTERS", c, sizeof(c) / sizeof(c[0]));
	check_list("IKE_STATS_LIST", ike, sizeof(ike) / sizeof(ike[0]));
	check_list("CTL_SOCK_STATS_LIST", ctl, sizeof(ctl) / sizeof(ctl[0]));
	/* the lists cover their structs (every field uint64_t) */
	CU_ASSERT_EQUAL(sizeof(ike) / sizeof(ike[0]) * sizeof(uint64_t), sizeof(struct ike_stats));
	CU_ASSERT_EQUAL(sizeof(ctl) / sizeof(ctl[0]) * sizeof(uint64_t) + sizeof(uint64_t),
			sizeof(struct ctl_sock_stats));	/* + clients, padded */
}

/* A histogram family and the loop-gap buckets (rd_stats.h). */
static void
loop_gap_histogram(void)
{
	static const double le[] = { 0.5, 1 };
	static const uint64_t cum[] = { 2, 3 };
	struct rd_prom p = { 0 };
	uint64_t bound[RD_LOOP_GAP_BUCKETS - 1], c[RD_LOOP_GAP_BUCKETS];
	struct rd_loop_gap g;

	rd_prom_family(&p, "rampart_h_seconds", RD_PROM_histogram, "h");
	rd_prom_histogram(&p, "rampart_h_seconds", "worker=\"0\"", 2, le, cum, 4, 2.25, 0);
	rd_prom_histogram(&p, "rampart_h_seconds", "", 2, le, cum, 3, 0.000016, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p.buf);
	CU_ASSERT_STRING_EQUAL(p.buf,
		"# HELP rampart_h_seconds h\n"
		"# TYPE rampart_h_seconds histogram\n"
		"rampart_h_seconds_bucket{worker=\"0\",le=\"0.5\"} 2\n"
		"rampart_h_seconds_bucket{worker=\"0\",le=\"1\"} 3\n"
		"rampart_h_seconds_bucket{worker=\"0\",le=\"+Inf\"} 4\n"
		"rampart_h_seconds_sum{worker=\"0\"} 2.25\n"
		"rampart_h_seconds_count{worker=\"0\"} 4\n"
		"rampart_h_seconds_bucket{le=\"0.5\"} 2\n"
		"rampart_h_seconds_bucket{le=\"1\"} 3\n"
		"rampart_h_seconds_bucket{le=\"+Inf\"} 3\n"
		"rampart_h_seconds_sum 1.6e-05\n"
		"rampart_h_seconds_count 3\n");
	free(p.buf);

	/* 1 GHz: 1000 cycles a microsecond; bounds 16, 32, ... 65536 us */
	CU_ASSERT_EQUAL(RD_LOOP_GAP_BUCKETS, 14);
	rd_loop_gap_bounds(bound, 1000000000u);
	CU_ASSERT_EQUAL(bound[0], 16000u);
	CU_ASSERT_EQUAL(bound[RD_LOOP_GAP_BUCKETS - 2], 65536000u);
	memset(&g, 0, sizeof(g));
	rd_loop_gap_add(&g, bound, 0);		/* le 16 */
	rd_loop_gap_add(&g, bound, 16000);	/* le 16 (bound included) */
	rd_loop_gap_add(&g, bound, 16001);	/* le 32 */
	rd_loop_gap_add(&g, bound, 999000);	/* le 1024 */
	rd_loop_gap_add(&g, bound, 70000000);	/* +Inf */
	CU_ASSERT_EQUAL(g.n[0], 2);
	CU_ASSERT_EQUAL(g.n[1], 1);
	CU_ASSERT_EQUAL(g.n[6], 1);
	CU_ASSERT_EQUAL(g.n[RD_LOOP_GAP_BUCKETS - 1], 1);
	CU_ASSERT_EQUAL(g.max_tsc, 70000000u);
	CU_ASSERT_EQUAL(g.sum_tsc, 16000u + 16001u + 999000u + 70000000u);
	rd_loop_gap_cumulative(&g, c);
	CU_ASSERT_EQUAL(c[0], 2);
	CU_ASSERT_EQUAL(c[5], 3);
	CU_ASSERT_EQUAL(c[6], 4);
	CU_ASSERT_EQUAL(c[RD_LOOP_GAP_BUCKETS - 2], 4);
	CU_ASSERT_EQUAL(c[RD_LOOP_GAP_BUCKETS - 1], 5);
}

static const struct tu_test tests[] = {
	{ "format", format },
	{ "label_bounds", label_bounds },
	{ "histogram", histogram },
	{ "big_buffer", big_buffer },
	{ "name_lists", name_lists },
	{ "loop_gap_histogram", loop_gap_histogram },
};

int
main(void)
{
	return tu_main("prom", tests, TU_N(tests));
}
