/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text exposition (format 0.0.4) into a growing buffer: no DPDK,
 * no I/O, so tests/unit can check it. A family is "# HELP" and "# TYPE"
 * followed by its samples; callers emit all samples of a family together.
 * After an allocation failure every call is a no-op and rd_prom.oom is set.
 */
#ifndef RAMPART_RD_PROM_H
#define RAMPART_RD_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rd_prom {
	char *buf;			/* NUL-terminated; the caller frees */
	size_t len, cap;
	bool oom;
};

enum rd_prom_type { RD_PROM_counter, RD_PROM_gauge, RD_PROM_histogram };

enum { RD_PROM_MAX_LABELS = 256 };	/* one sample's label text, escaped */

void rd_prom_printf(struct rd_prom *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "# HELP name help" (help escaped) and "# TYPE name counter|gauge|histogram" */
void rd_prom_family(struct rd_prom *p, const char *name, enum rd_prom_type type,
		    const char *help);
/* name{labels} value; @labels is "" or k="v",... built with rd_prom_label() */
void rd_prom_sample(struct rd_prom *p, const char *name, const char *labels, uint64_t v);
/* name{labels} v for a non-integer value (seconds), %.9g */
void rd_prom_sample_f(struct rd_prom *p, const char *name, const char *labels, double v);
/*
 * The samples of one histogram: name_bucket{labels,le="b"} for each of the
 * @n upper bounds @le (ascending) with the cumulative counts @cum, then
 * le="+Inf" with @count, name_sum{labels} @sum and name_count{labels}.
 * Bounds and sum are printed %.9g, or with @decimals fixed decimals when > 0.
 * The one writer of histogram samples (rd_hist.h, loop gaps).
 */
void rd_prom_histogram(struct rd_prom *p, const char *name, const char *labels, unsigned n,
		       const double *le, const uint64_t *cum, uint64_t count, double sum,
		       int decimals);
/*
 * Append k="v" to the label text @dst (with a comma when not empty),
 * escaping \, " and newline in @val. 0, or -1 (dst unchanged) if it does not
 * fit in @cap.
 */
int rd_prom_label(char *dst, size_t cap, const char *key, const char *val);

#endif
