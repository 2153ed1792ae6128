/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Event log lines for the journal: "event=NAME key=value ...", one line per
 * event, with stable keys (conn=, peer=, ike_sa=, child=, spi=, reason=) so
 * that journalctl and log shippers can filter without parsing prose.
 *
 * Two guards sit between a call site and the sink:
 *   - a level: the connection's own connections[].log_level when the line
 *     names a connection, else the top-level log_level (rd_log_configure);
 *   - a token bucket per site (RD_LOG_SITES): a flood of one kind of line
 *     (bad IKE datagrams, failing installs) prints the site's burst of lines,
 *     then its rate per second, and a "event=log_suppressed site=S
 *     suppressed=N" summary at most once per RD_LOG_SUMMARY_MS; SA life-cycle
 *     lines (site sa) have a larger budget than rejected input; every
 *     suppressed line is
 *     counted (rd_log_suppressed_total, exported as
 *     rampart_log_suppressed_total{site}).
 *
 * No DPDK here (tests/unit/test_log.c links it alone): the daemon installs a
 * sink that writes through rte_log. Control core only; values given to
 * rd_kv_str() must never be secrets (keys, nonces, PSKs are not loggable by
 * construction: there is no hex-dump helper).
 */
#ifndef RAMPART_RD_LOG_H
#define RAMPART_RD_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;

/* X(site, burst, lines per second, "help") */
#define RD_LOG_SITES(X) \
	X(sa, 200, 50, "IKE SA and child SA up, down, rekey (also lib/ike's info lines)") \
	X(ike_fail, 50, 10, "lib/ike notice and worse: failed authentications, refusals") \
	X(ike_lib, 20, 5, "lib/ike's debug lines (rejected datagrams)") \
	X(child_fail, 20, 5, "child SA installs refused or failed") \
	X(fault, 20, 5, "resource faults: pool exhausted, link changes, injected faults") \
	X(other, 20, 5, "configuration reloads and other lines")

enum rd_log_site {
#define RD_LOG_SITE_ENUM(s, burst, rate, help) RD_LOG_SITE_##s,
	RD_LOG_SITES(RD_LOG_SITE_ENUM)
#undef RD_LOG_SITE_ENUM
	RD_LOG_SITE__COUNT
};

extern const char *const rd_log_site_names[RD_LOG_SITE__COUNT];

enum rd_log_limits {
	RD_LOG_LINE = 512,		/* one line, truncated with "..." */
	RD_LOG_VAL = 96,		/* one value, truncated with "..." */
	RD_LOG_BURST = 20,		/* lines a flood site may print at once */
	RD_LOG_RATE_PER_S = 5,		/* then this many per second */
	RD_LOG_SUMMARY_MS = 1000,	/* at most one summary per site per second */
	RD_LOG_MAX_CONNS = 64,		/* per-connection levels kept */
};

/* Levels are syslog numbers (enum ike_log_level): 3 err .. 7 debug. */
typedef void rd_log_sink_fn(int level, const char *line);

/* One token bucket (the per-site state; public for the unit test). */
struct rd_logrl {
	uint32_t burst, rate_per_s;	/* set before the first use */
	uint64_t tokens_milli;		/* tokens * 1000 */
	uint64_t last_ms;		/* last refill */
	uint64_t suppressed;		/* since the last summary */
	uint64_t last_summary_ms;
	bool started;
};

/* true: print; false: count as suppressed. */
bool rd_logrl_allow(struct rd_logrl *rl, uint64_t now_ms);

/* A line under construction. */
struct rd_logbuf {
	char s[RD_LOG_LINE];
	size_t n;
};

/* Starts "event=@event". */
void rd_logbuf_init(struct rd_logbuf *b, const char *event);
/* " key=value": quoted ("...") when the value has a space, '"', '=' or is
 * empty; '"' and '\' escaped, control bytes as \xNN; values cut at RD_LOG_VAL. */
void rd_kv_str(struct rd_logbuf *b, const char *key, const char *val);
void rd_kv_u64(struct rd_logbuf *b, const char *key, uint64_t v);
void rd_kv_spi(struct rd_logbuf *b, const char *key, uint32_t spi);	/* 8 hex digits */

/* Install @sink (NULL: lines go nowhere) and reset sites and counters. */
void rd_log_init(rd_log_sink_fn *sink);
/* Take the levels from @c (top level and connections[].log_level). */
void rd_log_configure(const struct conf *c);
/* Would a line of @level about @conn (NULL: none) be printed? */
bool rd_log_enabled(int level, const char *conn);
/*
 * Print @b at @level if rd_log_enabled(@level, @conn) and @site's bucket
 * allows it; a pending summary of @site is printed first.
 */
void rd_log_emit(enum rd_log_site site, int level, const char *conn, const struct rd_logbuf *b);
/* The same for a ready line (lib/ike's messages). */
void rd_log_emit_text(enum rd_log_site site, int level, const char *conn, const char *line);
/* Print due summaries (each site with suppressed lines, once per second). */
void rd_log_tick(uint64_t now_ms);
/* Lines suppressed at @site since rd_log_init. */
uint64_t rd_log_suppressed_total(enum rd_log_site site);
/* The clock rd_log_emit uses (monotonic ms); tests replace it. */
void rd_log_set_clock(uint64_t (*now_ms)(void));

#endif
