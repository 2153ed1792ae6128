/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `rampartctl top` (ctl_top.h): rates are (cur - prev) / dt of the counters
 * in two `stats` replies; a counter that went backwards (daemon restarted)
 * shows 0. Plain text with optional ANSI clear; no curses.
 */
#include "ctl_top.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

static double
num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : 0.0;
}

/* per-second rate of @k between @p and @c; -1 without a previous value */
static double
rate(const json_t *p, const json_t *c, const char *k, double dt)
{
	double d;

	if (p == NULL || dt <= 0)
		return -1;
	d = num(c, k) - num(p, k);
	return d > 0 ? d / dt : 0;
}

static void
put_rate(FILE *f, double r, double scale, int width, int prec)
{
	if (r < 0)
		fprintf(f, " %*s", width, "-");
	else
		fprintf(f, " %*.*f", width, prec, r * scale);
}

static const json_t *
worker_of(const json_t *stats, size_t i)
{
	const json_t *w = json_object_get(stats, "workers");

	return json_is_array(w) ? json_array_get(w, i) : NULL;
}

static double
sum_obj(const json_t *o)
{
	const char *k;
	json_t *v;
	double s = 0;

	json_object_foreach((json_t *)(uintptr_t)o, k, v)
		if (json_is_number(v))
			s += json_number_value(v);
	return s;
}

static double
worker_drops(const json_t *w)
{
	return sum_obj(json_object_get(w, "drops")) + sum_obj(json_object_get(w, "esp_drops"));
}

static void
drops(FILE *f, const json_t *prev, const json_t *cur, double dt)
{
	const json_t *cd = json_object_get(cur, "drops"), *pd = json_object_get(prev, "drops");
	const json_t *ce = json_object_get(cd, "esp"), *pe = json_object_get(pd, "esp");
	const char *k;
	json_t *v;
	unsigned shown = 0;

	fprintf(f, "\ndrops by reason          per s        total\n");
	for (int pass = 0; pass < 2; pass++) {
		const json_t *c = pass ? ce : cd, *p = pass ? pe : pd;

		json_object_foreach((json_t *)(uintptr_t)c, k, v) {
			if (!json_is_number(v) || json_number_value(v) == 0 ||
			    (!pass && strcmp(k, "total") == 0))
				continue;
			fprintf(f, "  %s%-*s", pass ? "esp:" : "", pass ? 18 : 22, k);
			put_rate(f, rate(p, c, k, dt), 1, 8, 1);
			fprintf(f, " %12.0f\n", json_number_value(v));
			shown++;
		}
	}
	if (shown == 0)
		fprintf(f, "  (none)\n");
}

/* The "IKE per s" line: label, then the rate of the key in "ike" (or "control"). */
static const struct {
	const char *label, *key;
	bool control;
} ike_rates[] = {
	{ "IKE per s: rx", "rx", false },
	{ "  invalid", "rx_invalid", false },
	{ "  SAs up", "ike_up", false },
	{ "  down", "ike_down", false },
	{ "  auth failed", "auth_failed", false },
	{ "  children up", "child_up", true },
};

void
top_render(FILE *f, const json_t *prev, const json_t *cur, double dt)
{
	const json_t *ci = json_object_get(cur, "ike"), *pi = json_object_get(prev, "ike");
	const json_t *cc = json_object_get(cur, "control");
	const json_t *pc = json_object_get(prev, "control");
	const json_t *ws = json_object_get(cur, "workers");
	size_t i, nw = json_is_array(ws) ? json_array_size(ws) : 0;
	double t[6] = { 0 };

	fprintf(f, "rampart top: %zu worker%s, interval %.1f s\n", nw, nw == 1 ? "" : "s", dt);
	fprintf(f, "tunnels: %.0f IKE SAs, %.0f child SAs, %.0f half-open, %.0f leases\n",
		num(ci, "sas"), num(ci, "children"), num(ci, "half_open"), num(ci, "pool_leases"));
	for (i = 0; i < sizeof(ike_rates) / sizeof(ike_rates[0]); i++) {
		fprintf(f, "%s", ike_rates[i].label);
		put_rate(f, ike_rates[i].control ? rate(pc, cc, ike_rates[i].key, dt) :
			 rate(pi, ci, ike_rates[i].key, dt), 1, 0, 1);
	}
	fprintf(f, "\n\nworker  rx Mpps  rx Gbps  tx Mpps  tx Gbps  dec Mpps enc Mpps  drops/s\n");
	for (i = 0; i < nw; i++) {
		const json_t *c = worker_of(cur, i), *p = prev != NULL ? worker_of(prev, i) : NULL;
		double r[6] = {
			rate(p, c, "rx", dt), rate(p, c, "rx_bytes", dt),
			rate(p, c, "tx", dt), rate(p, c, "tx_bytes", dt),
			rate(p, c, "dec_ok", dt), rate(p, c, "enc_ok", dt),
		};
		double dr = -1;
		unsigned k;

		if (p != NULL && dt > 0) {
			dr = (worker_drops(c) - worker_drops(p)) / dt;
			if (dr < 0)
				dr = 0;
		}
		fprintf(f, "%6.0f", num(c, "id"));
		for (k = 0; k < 6; k++) {
			/* packets: millions; bytes: gigabits */
			put_rate(f, r[k], k == 1 || k == 3 ? 8e-9 : 1e-6, 8, 3);
			if (r[k] > 0)
				t[k] += r[k];
		}
		put_rate(f, dr, 1, 8, 0);
		fputc('\n', f);
	}
	if (nw > 1 && prev != NULL) {
		fprintf(f, "%6s", "all");
		for (i = 0; i < 6; i++)
			put_rate(f, t[i], i == 1 || i == 3 ? 8e-9 : 1e-6, 8, 3);
		fputc('\n', f);
	}
	drops(f, prev, cur, dt);
	fflush(f);
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
top_run(json_t *(*fetch)(void *arg), void *arg, unsigned iterations, unsigned interval_ms,
	bool clear)
{
	json_t *prev, *cur;
	double t_prev, t_cur;
	unsigned n;

	prev = fetch(arg);
	if (prev == NULL)
		return 1;
	t_prev = mono_s();
	for (n = 0; iterations == 0 || n < iterations; n++) {
		struct timespec ts = { (time_t)(interval_ms / 1000),
				       (long)(interval_ms % 1000) * 1000000L };

		nanosleep(&ts, NULL);
		cur = fetch(arg);
		if (cur == NULL) {
			json_decref(prev);
			return 1;
		}
		t_cur = mono_s();
		if (clear)
			fputs("\033[H\033[2J", stdout);
		top_render(stdout, prev, cur, t_cur - t_prev);
		json_decref(prev);
		prev = cur;
		t_prev = t_cur;
	}
	json_decref(prev);
	return 0;
}
