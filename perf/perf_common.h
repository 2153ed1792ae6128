/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf/perf_common.h: what the perf tools (and tests/interop/ike's
 * ike_driver) share: clocks, a test-data PRNG, sorting and percentiles,
 * option tables and number parsing, sending an IKE message on 500/4500 and
 * the line lib/ike's log callback prints. Test and measurement code only.
 */
#ifndef PERF_COMMON_H
#define PERF_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Clock @id (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID) in ns. */
static inline uint64_t
perf_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Monotonic wall clock and this thread's CPU clock. */
static inline uint64_t perf_now_ns(void) { return perf_clock_ns(CLOCK_MONOTONIC); }
static inline uint64_t perf_now_us(void) { return perf_now_ns() / 1000u; }
static inline uint64_t perf_now_ms(void) { return perf_now_ns() / 1000000u; }
static inline uint64_t perf_cpu_ns(void) { return perf_clock_ns(CLOCK_THREAD_CPUTIME_ID); }

/* Marsaglia's xorshift64: the next of the sequence @x (not 0); not secret. */
static inline uint64_t
perf_xorshift64(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* qsort() comparators, ascending. */
int perf_cmp_u32(const void *a, const void *b);
int perf_cmp_u64(const void *a, const void *b);
int perf_cmp_double(const void *a, const void *b);

/*
 * Nearest-rank percentile of @n sorted values, divided by @unit (1000.0:
 * ns to us); -1 if @n is 0. @permille 500 is the median, 990 p99, 1000 the
 * maximum.
 */
double perf_pct_u32(const uint32_t *sorted, size_t n, unsigned permille, double unit);
double perf_pct_u64(const uint64_t *sorted, size_t n, unsigned permille, double unit);

/* Decimal (or 0x hex) number in [@lo, @hi]; 0, or -1 on anything else. */
int perf_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v);

/*
 * Comma-separated numbers in [@lo, @hi] ("64,128,1420") into @out (at most
 * @max); how many, or -1 if one is bad or there are more than @max.
 */
int perf_parse_list(const char *s, uint64_t lo, uint64_t hi, uint32_t *out, unsigned max);

/* What perf_getopt() does with an option itself. */
enum perf_opt_kind {
	PERF_OPT_K_CALLER,	/* nothing: returns its val to the caller */
	PERF_OPT_K_FLAG,	/* sets the bool @dst */
	PERF_OPT_K_STR,		/* points the const char * @dst at the argument */
	PERF_OPT_K_NUM,		/* stores the argument in the unsigned integer @dst */
	PERF_OPT_K_CHOICE,	/* stores the argument's index in @choices in @dst */
};

/*
 * One option of a tool: --@name and the @val perf_getopt() returns for it.
 * A number is stored in @dst (1, 2, 4 or 8 bytes, @dst_len) if it is in
 * [@lo, @hi]; else the message names its @unit ("": none; NULL: no message,
 * the caller prints its usage). A choice is one of the NULL-terminated
 * @choices; its index is stored like a number.
 */
struct perf_opt {
	const char *name;
	int val;
	enum perf_opt_kind kind;
	int has_arg;
	void *dst;
	size_t dst_len;
	uint64_t lo, hi;
	const char *unit;
	const char *const *choices;
};

enum { PERF_MAX_OPTS = 32 };

#define PERF_DIM(a) (sizeof(a) / sizeof((a)[0]))

#define PERF_OPT_FLAG(name, val) { (name), (val), PERF_OPT_K_CALLER, 0, NULL, 0, 0, 0, NULL, NULL }
#define PERF_OPT_ARG(name, val) { (name), (val), PERF_OPT_K_CALLER, 1, NULL, 0, 0, 0, NULL, NULL }
#define PERF_OPT_BOOL(name, var) \
	{ (name), 0, PERF_OPT_K_FLAG, 0, &(var), sizeof(var), 0, 0, NULL, NULL }
#define PERF_OPT_STR(name, var) \
	{ (name), 0, PERF_OPT_K_STR, 1, &(var), sizeof(var), 0, 0, NULL, NULL }
#define PERF_OPT_NUM(name, lo, hi, var, unit) \
	{ (name), 0, PERF_OPT_K_NUM, 1, &(var), sizeof(var), (lo), (hi), (unit), NULL }
#define PERF_OPT_CHOICE(name, var, choices) \
	{ (name), 0, PERF_OPT_K_CHOICE, 1, &(var), sizeof(var), 0, 0, NULL, (choices) }

/*
 * getopt_long() over @opts (@n <= PERF_MAX_OPTS; @short_opts as getopt's,
 * "+" stops at the first non-option). Options of the kinds FLAG, STR, NUM and
 * CHOICE are stored and skipped; returns the @val of the next other option (optarg
 * set), -1 at the end, or '?' on an unknown option, a bad number (after
 * "@prog: --NAME wants LO..HI UNIT") or a bad choice.
 */
int perf_getopt(const char *prog, int argc, char **argv, const char *short_opts,
		const struct perf_opt *opts, size_t n);

/*
 * Sends the IKE message @msg to @to on @fd, on port 4500 (@natt) after the
 * 4-byte zero non-ESP marker (RFC 3948 2.2). 0, or -errno.
 */
struct sockaddr;
int perf_ike_sendto(int fd, bool natt, const uint8_t *msg, size_t len, const struct sockaddr *to,
		    size_t tolen);

/* lib/ike's log callback: "<ms> <level> msg" on stderr if @level <= @max. */
void perf_ike_log(int level, int max, const char *msg);

/*
 * Free hugepage memory in MB (/proc/meminfo: HugePages_Free x Hugepagesize),
 * 0 if none or unknown. The benchmarks run DPDK on hugepages when there are
 * enough, as deployments do (perf/README.md, "Hugepages").
 */
unsigned perf_hugepages_free_mb(void);

#endif
