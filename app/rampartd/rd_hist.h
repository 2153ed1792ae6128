/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fixed-bucket latency histograms of the control core (rd_stats.h
 * RD_CTL_HISTOGRAMS), exported as Prometheus histograms in seconds. The
 * control core alone writes one; the metrics thread reads plain 64-bit
 * counters (a scrape may see a bucket one observation ahead of _count,
 * which Prometheus tolerates). No DPDK: tests/unit/test_prom.c checks the
 * exposition.
 */
#ifndef RAMPART_RD_HIST_H
#define RAMPART_RD_HIST_H

#include <stdint.h>

#include "rd_prom.h"

/* Upper bounds in ms; one more bucket (+Inf) follows. */
#define RD_HIST_BOUNDS_MS {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000}
enum { RD_HIST_N = 12 };

struct rd_hist {
	uint64_t bucket[RD_HIST_N + 1];	/* per bucket, not cumulative; last = +Inf */
	uint64_t sum_ms;
	uint64_t count;
};

/*
 * The two helpers every histogram of rampartd counts with (these ms ones and
 * the workers' loop gaps in TSC cycles, rd_stats.h): the bucket of @v among
 * @n ascending upper bounds (n = the +Inf one), and cumulative counts
 * out[i] = sum of n_per[0..i] over @nb buckets (relaxed loads: another core
 * may be counting). Exposition: rd_prom_histogram().
 */
static inline unsigned
rd_hist_bucket(const uint64_t *bounds, unsigned n, uint64_t v)
{
	unsigned i = 0;

	while (i < n && v > bounds[i])
		i++;
	return i;
}

static inline void
rd_hist_cumulative(const uint64_t *n_per, unsigned nb, uint64_t *out)
{
	uint64_t c = 0;
	unsigned i;

	for (i = 0; i < nb; i++) {
		c += __atomic_load_n(&n_per[i], __ATOMIC_RELAXED);
		out[i] = c;
	}
}

/* Control core: count one observation of @ms milliseconds. */
void rd_hist_observe(struct rd_hist *h, uint64_t ms);

/* "# HELP @name @help" and "# TYPE @name histogram" (@help: no '\\' or newline). */
void rd_hist_family(struct rd_prom *p, const char *name, const char *help);
/* @name_bucket{@labels,le=...} (cumulative), @name_sum{@labels} (seconds) and
 * @name_count{@labels}; @labels is "" or k="v",... */
void rd_hist_prom(struct rd_prom *p, const char *name, const char *labels,
		  const struct rd_hist *h);

/* rd_stats.h RD_CTL_HISTOGRAMS(X): X(field, "prometheus name", "labels", "help") */
#define RD_HIST_FIELD(f, prom, labels, help) struct rd_hist f;

#endif
