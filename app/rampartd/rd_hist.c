/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixed-bucket latency histograms and their Prometheus exposition (rd_hist.h). */
#include "rd_hist.h"

#include <inttypes.h>
#include <stdio.h>

static const uint64_t bounds_ms[RD_HIST_N] = RD_HIST_BOUNDS_MS;

void
rd_hist_observe(struct rd_hist *h, uint64_t ms)
{
	unsigned i;

	for (i = 0; i < RD_HIST_N && ms > bounds_ms[i]; i++)
		;
	h->bucket[i]++;
	h->sum_ms += ms;
	h->count++;
}

void
rd_hist_family(struct rd_prom *p, const char *name, const char *help)
{
	rd_prom_printf(p, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
}

static uint64_t
ld(const uint64_t *v)
{
	/* plain aligned load of a counter the control core writes */
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

void
rd_hist_prom(struct rd_prom *p, const char *name, const char *labels, const struct rd_hist *h)
{
	const char *sep = labels[0] != '\0' ? "," : "";
	uint64_t cum = 0, sum_ms;
	unsigned i;

	for (i = 0; i <= RD_HIST_N; i++) {
		cum += ld(&h->bucket[i]);
		if (i < RD_HIST_N)
			rd_prom_printf(p, "%s_bucket{%s%sle=\"%" PRIu64 ".%03" PRIu64 "\"} %" PRIu64
				       "\n", name, labels, sep, bounds_ms[i] / 1000,
				       bounds_ms[i] % 1000, cum);
		else
			rd_prom_printf(p, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels,
				       sep, cum);
	}
	sum_ms = ld(&h->sum_ms);
	rd_prom_printf(p, "%s_sum%s%s%s %" PRIu64 ".%03" PRIu64 "\n", name,
		       labels[0] ? "{" : "", labels, labels[0] ? "}" : "", sum_ms / 1000,
		       sum_ms % 1000);
	/* _count equals the +Inf bucket of this very scrape (cum), as Prometheus wants */
	rd_prom_printf(p, "%s_count%s%s%s %" PRIu64 "\n", name, labels[0] ? "{" : "", labels,
		       labels[0] ? "}" : "", cum);
}
