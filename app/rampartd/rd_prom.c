/* SPDX-License-Identifier: BSD-3-Clause */
/* Prometheus text exposition writer (rd_prom.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rd_prom.h"

static bool
reserve(struct rd_prom *p, size_t more)
{
	size_t cap;
	char *n;

	if (p->oom)
		return false;
	if (p->len + more + 1 <= p->cap)
		return true;
	cap = p->cap ? p->cap : 4096;
	while (cap < p->len + more + 1)
		cap *= 2;
	n = realloc(p->buf, cap);
	if (n == NULL) {
		p->oom = true;
		return false;
	}
	p->buf = n;
	p->cap = cap;
	return true;
}

void
rd_prom_printf(struct rd_prom *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(p, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(p->buf + p->len, p->cap - p->len, fmt, ap);
	va_end(ap);
	p->len += (size_t)n;
}

static void
put_escaped(struct rd_prom *p, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			rd_prom_printf(p, "\\\\");
		else if (*s == '\n')
			rd_prom_printf(p, "\\n");
		else if (*s == '"' && quote)
			rd_prom_printf(p, "\\\"");
		else
			rd_prom_printf(p, "%c", *s);
	}
}

void
rd_prom_family(struct rd_prom *p, const char *name, enum rd_prom_type type, const char *help)
{
	rd_prom_printf(p, "# HELP %s ", name);
	put_escaped(p, help, false);
	rd_prom_printf(p, "\n# TYPE %s %s\n", name,
		       type == RD_PROM_gauge ? "gauge" :
		       type == RD_PROM_histogram ? "histogram" : "counter");
}

void
rd_prom_sample(struct rd_prom *p, const char *name, const char *labels, uint64_t v)
{
	if (labels != NULL && labels[0] != '\0')
		rd_prom_printf(p, "%s{%s} %" PRIu64 "\n", name, labels, v);
	else
		rd_prom_printf(p, "%s %" PRIu64 "\n", name, v);
}

void
rd_prom_sample_f(struct rd_prom *p, const char *name, const char *labels, double v)
{
	if (labels != NULL && labels[0] != '\0')
		rd_prom_printf(p, "%s{%s} %.9g\n", name, labels, v);
	else
		rd_prom_printf(p, "%s %.9g\n", name, v);
}

void
rd_prom_histogram(struct rd_prom *p, const char *name, const char *labels, unsigned n,
		  const double *le, const uint64_t *cum, uint64_t count, double sum, int decimals)
{
	const char *sep = labels != NULL && labels[0] != '\0' ? "," : "";
	unsigned i;

	if (labels == NULL)
		labels = "";
	for (i = 0; i < n; i++) {
		if (decimals > 0)
			rd_prom_printf(p, "%s_bucket{%s%sle=\"%.*f\"} %" PRIu64 "\n", name, labels,
				       sep, decimals, le[i], cum[i]);
		else
			rd_prom_printf(p, "%s_bucket{%s%sle=\"%.9g\"} %" PRIu64 "\n", name, labels,
				       sep, le[i], cum[i]);
	}
	rd_prom_printf(p, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep, count);
	rd_prom_printf(p, "%s_sum%s%s%s ", name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "");
	if (decimals > 0)
		rd_prom_printf(p, "%.*f\n", decimals, sum);
	else
		rd_prom_printf(p, "%.9g\n", sum);
	rd_prom_printf(p, "%s_count%s%s%s %" PRIu64 "\n", name, labels[0] ? "{" : "", labels,
		       labels[0] ? "}" : "", count);
}

int
rd_prom_label(char *dst, size_t cap, const char *key, const char *val)
{
	size_t len = strnlen(dst, cap), o;

	if (len >= cap)
		return -1;
	o = len;
#define PUT(c) do { if (o + 1 >= cap) goto full; dst[o++] = (c); } while (0)
	if (len > 0)
		PUT(',');
	for (; *key != '\0'; key++)
		PUT(*key);
	PUT('=');
	PUT('"');
	for (; *val != '\0'; val++) {
		if (*val == '\\' || *val == '"') {
			PUT('\\');
			PUT(*val);
		} else if (*val == '\n') {
			PUT('\\');
			PUT('n');
		} else {
			PUT(*val);
		}
	}
	PUT('"');
#undef PUT
	dst[o] = '\0';
	return 0;
full:
	dst[len] = '\0';
	return -1;
}
