/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixed-bucket latency histograms and their Prometheus exposition (rd_hist.h). */
#include "rd_hist.h"

#include <stdio.h>

static const uint64_t bounds_ms[RD_HIST_N] = RD_HIST_BOUNDS_MS;

void
rd_hist_observe(struct rd_hist *h, uint64_t ms)
{
	h->bucket[rd_hist_bucket(bounds_ms, RD_HIST_N, ms)]++;
	h->sum_ms += ms;
	h->count++;
}

void
rd_hist_family(struct rd_prom *p, const char *name, const char *help)
{
	rd_prom_printf(p, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
}

void
rd_hist_prom(struct rd_prom *p, const char *name, const char *labels, const struct rd_hist *h)
{
	uint64_t cum[RD_HIST_N + 1];
	double le[RD_HIST_N];
	unsigned i;

	for (i = 0; i < RD_HIST_N; i++)
		le[i] = (double)bounds_ms[i] / 1000.0;
	rd_hist_cumulative(h->bucket, RD_HIST_N + 1, cum);
	/* _count equals the +Inf bucket of this very scrape, as Prometheus wants;
	 * milliseconds: 3 decimals of seconds, exactly */
	rd_prom_histogram(p, name, labels, RD_HIST_N, le, cum, cum[RD_HIST_N],
			  (double)__atomic_load_n(&h->sum_ms, __ATOMIC_RELAXED) / 1000.0, 3);
}
