/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Event log lines (rd_log.h): key=value formatting, per-site token buckets
 * with suppression summaries, the per-connection level table. Control core
 * only; no DPDK, no I/O of its own (the sink writes).
 */
#include "rd_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conf/conf.h"

const char *const rd_log_site_names[RD_LOG_SITE__COUNT] = {
#define RD_LOG_SITE_NAME(s, burst, rate, help) [RD_LOG_SITE_##s] = #s,
	RD_LOG_SITES(RD_LOG_SITE_NAME)
#undef RD_LOG_SITE_NAME
};

static const struct {
	uint32_t burst, rate_per_s;
} site_budget[RD_LOG_SITE__COUNT] = {
#define RD_LOG_SITE_BUDGET(s, burst, rate, help) [RD_LOG_SITE_##s] = { burst, rate },
	RD_LOG_SITES(RD_LOG_SITE_BUDGET)
#undef RD_LOG_SITE_BUDGET
};

static struct {
	rd_log_sink_fn *sink;
	uint64_t (*now_ms)(void);
	int level;			/* top-level log_level */
	struct {
		char name[IKE_MAX_NAME];
		int level;
	} conns[RD_LOG_MAX_CONNS];
	unsigned n_conns;
	struct rd_logrl rl[RD_LOG_SITE__COUNT];
	uint64_t suppressed_total[RD_LOG_SITE__COUNT];
} lg = { .level = IKE_LOG_INFO };

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- token bucket ---- */

bool
rd_logrl_allow(struct rd_logrl *rl, uint64_t now_ms)
{
	const uint64_t cap = (uint64_t)rl->burst * 1000;

	if (!rl->started) {
		rl->started = true;
		rl->tokens_milli = cap;
		rl->last_ms = now_ms;
		rl->last_summary_ms = now_ms;
	}
	if (now_ms > rl->last_ms) {
		/* elapsed ms * rate/s = milli-tokens; capped before multiplying */
		uint64_t dt = now_ms - rl->last_ms;

		if (dt > (uint64_t)rl->burst * 1000)
			dt = (uint64_t)rl->burst * 1000;
		rl->tokens_milli += dt * rl->rate_per_s;
		if (rl->tokens_milli > cap)
			rl->tokens_milli = cap;
		rl->last_ms = now_ms;
	}
	if (rl->tokens_milli >= 1000) {
		rl->tokens_milli -= 1000;
		return true;
	}
	rl->suppressed++;
	return false;
}

/* ---- formatting ---- */

static void
put(struct rd_logbuf *b, const char *s, size_t n)
{
	size_t room = sizeof(b->s) - 1 - b->n;

	if (n > room) {
		n = room;
		/* mark the cut where it happens */
		if (room >= 3) {
			memcpy(b->s + b->n, s, room - 3);
			memcpy(b->s + b->n + room - 3, "...", 3);
			b->n += room;
			b->s[b->n] = '\0';
			return;
		}
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

void
rd_logbuf_init(struct rd_logbuf *b, const char *event)
{
	b->n = 0;
	b->s[0] = '\0';
	put(b, "event=", 6);
	put(b, event, strlen(event));
}

void
rd_kv_str(struct rd_logbuf *b, const char *key, const char *val)
{
	char v[RD_LOG_VAL * 4 + 8];
	size_t i, n = 0, in = strlen(val);
	bool quote = in == 0;

	for (i = 0; i < in && !quote; i++)
		quote = val[i] == ' ' || val[i] == '"' || val[i] == '=' || val[i] == '\\' ||
			(unsigned char)val[i] < 0x20 || val[i] == 0x7f;
	if (quote)
		v[n++] = '"';
	for (i = 0; i < in && i < RD_LOG_VAL; i++) {
		unsigned char c = (unsigned char)val[i];

		if (c == '"' || c == '\\') {
			v[n++] = '\\';
			v[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(v + n, sizeof(v) - n, "\\x%02x", c);
		} else {
			v[n++] = (char)c;
		}
	}
	if (in > RD_LOG_VAL) {
		memcpy(v + n, "...", 3);
		n += 3;
	}
	if (quote)
		v[n++] = '"';
	put(b, " ", 1);
	put(b, key, strlen(key));
	put(b, "=", 1);
	put(b, v, n);
}

void
rd_kv_u64(struct rd_logbuf *b, const char *key, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	rd_kv_str(b, key, s);
}

void
rd_kv_spi(struct rd_logbuf *b, const char *key, uint32_t spi)
{
	char s[12];

	snprintf(s, sizeof(s), "%08x", spi);
	rd_kv_str(b, key, s);
}

/* ---- levels and sites ---- */

void
rd_log_init(rd_log_sink_fn *sink)
{
	lg.sink = sink;
	if (lg.now_ms == NULL)
		lg.now_ms = mono_ms;
	unsigned s;

	memset(lg.rl, 0, sizeof(lg.rl));
	memset(lg.suppressed_total, 0, sizeof(lg.suppressed_total));
	for (s = 0; s < RD_LOG_SITE__COUNT; s++) {
		lg.rl[s].burst = site_budget[s].burst;
		lg.rl[s].rate_per_s = site_budget[s].rate_per_s;
	}
}

void
rd_log_set_clock(uint64_t (*now_ms)(void))
{
	lg.now_ms = now_ms != NULL ? now_ms : mono_ms;
}

void
rd_log_configure(const struct conf *c)
{
	unsigned i;

	lg.level = c->log_level;
	lg.n_conns = 0;
	for (i = 0; i < c->n_conns && lg.n_conns < RD_LOG_MAX_CONNS; i++) {
		if (c->conn_log_level[i] == 0)
			continue;
		snprintf(lg.conns[lg.n_conns].name, sizeof(lg.conns[0].name), "%s",
			 c->conns[i].name);
		lg.conns[lg.n_conns++].level = c->conn_log_level[i];
	}
}

bool
rd_log_enabled(int level, const char *conn)
{
	unsigned i;

	if (conn != NULL)
		for (i = 0; i < lg.n_conns; i++)
			if (strcmp(lg.conns[i].name, conn) == 0)
				return level <= lg.conns[i].level;
	return level <= lg.level;
}

static void
summary(enum rd_log_site site, uint64_t now_ms)
{
	struct rd_logrl *rl = &lg.rl[site];
	struct rd_logbuf b;

	rd_logbuf_init(&b, "log_suppressed");
	rd_kv_str(&b, "site", rd_log_site_names[site]);
	rd_kv_u64(&b, "suppressed", rl->suppressed);
	rd_kv_u64(&b, "total", lg.suppressed_total[site]);
	rl->suppressed = 0;
	rl->last_summary_ms = now_ms;
	if (lg.sink != NULL)
		lg.sink(IKE_LOG_WARNING, b.s);
}

void
rd_log_emit(enum rd_log_site site, int level, const char *conn, const struct rd_logbuf *b)
{
	rd_log_emit_text(site, level, conn, b->s);
}

void
rd_log_emit_text(enum rd_log_site site, int level, const char *conn, const char *line)
{
	struct rd_logrl *rl;
	uint64_t now;

	if ((unsigned)site >= RD_LOG_SITE__COUNT || !rd_log_enabled(level, conn))
		return;
	rl = &lg.rl[site];
	now = lg.now_ms != NULL ? lg.now_ms() : mono_ms();
	if (!rd_logrl_allow(rl, now)) {
		lg.suppressed_total[site]++;
		return;
	}
	if (rl->suppressed != 0 && now - rl->last_summary_ms >= RD_LOG_SUMMARY_MS)
		summary(site, now);
	if (lg.sink != NULL)
		lg.sink(level, line);
}

void
rd_log_tick(uint64_t now_ms)
{
	unsigned s;

	for (s = 0; s < RD_LOG_SITE__COUNT; s++) {
		const struct rd_logrl *rl = &lg.rl[s];

		if (rl->suppressed != 0 && now_ms - rl->last_summary_ms >= RD_LOG_SUMMARY_MS)
			summary((enum rd_log_site)s, now_ms);
	}
}

uint64_t
rd_log_suppressed_total(enum rd_log_site site)
{
	return (unsigned)site < RD_LOG_SITE__COUNT ? lg.suppressed_total[site] : 0;
}
