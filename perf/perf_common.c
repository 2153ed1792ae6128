/* SPDX-License-Identifier: BSD-3-Clause */
/* perf/perf_common.c: helpers the perf tools share (perf_common.h). */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "perf_common.h"

#define PERF_CMP(name, type)						\
	int name(const void *a, const void *b)				\
	{								\
		type x = *(const type *)a, y = *(const type *)b;	\
									\
		return x < y ? -1 : x > y;				\
	}

PERF_CMP(perf_cmp_u32, uint32_t)
PERF_CMP(perf_cmp_u64, uint64_t)
PERF_CMP(perf_cmp_double, double)

#define PERF_PCT(name, type)									\
	double name(const type *sorted, size_t n, unsigned permille, double unit)		\
	{											\
		size_t k = (size_t)(((uint64_t)permille * n + 999) / 1000);			\
												\
		return n == 0 ? -1 : (double)sorted[k == 0 ? 0 : k - 1] / unit;		\
	}

PERF_PCT(perf_pct_u32, uint32_t)
PERF_PCT(perf_pct_u64, uint64_t)

/* @s up to its end or to a comma (*@end). */
static int
parse_num(const char *s, uint64_t lo, uint64_t hi, uint64_t *v, char **end)
{
	unsigned long long x;

	errno = 0;
	x = strtoull(s, end, 0);
	if (errno != 0 || *end == s || s[0] == '-' || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

int
perf_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;

	return parse_num(s, lo, hi, v, &end) == 0 && *end == '\0' ? 0 : -1;
}

int
perf_parse_list(const char *s, uint64_t lo, uint64_t hi, uint32_t *out, unsigned max)
{
	unsigned n = 0;
	uint64_t v;
	char *end;

	for (;;) {
		if (n == max || parse_num(s, lo, hi, &v, &end) != 0)
			return -1;
		out[n++] = (uint32_t)v;
		if (*end == '\0')
			return (int)n;
		if (*end != ',')
			return -1;
		s = end + 1;
	}
}

/* Stores @v in @o's unsigned integer. */
static void
opt_store(const struct perf_opt *o, uint64_t v)
{
	if (o->dst_len == sizeof(uint64_t))
		*(uint64_t *)o->dst = v;
	else if (o->dst_len == sizeof(uint32_t))
		*(uint32_t *)o->dst = (uint32_t)v;
	else if (o->dst_len == sizeof(uint16_t))
		*(uint16_t *)o->dst = (uint16_t)v;
	else
		*(uint8_t *)o->dst = (uint8_t)v;
}

/* Stores the number or choice @arg of @o; 0, or -1 (after the message for a number). */
static int
opt_value(const char *prog, const struct perf_opt *o, const char *arg)
{
	uint64_t v;

	if (o->kind == PERF_OPT_K_CHOICE) {
		for (v = 0; o->choices[v] != NULL && strcmp(o->choices[v], arg) != 0; v++)
			;
		if (o->choices[v] == NULL)
			return -1;
	} else if (perf_parse_u64(arg, o->lo, o->hi, &v) != 0) {
		if (o->unit != NULL)
			fprintf(stderr, "%s: --%s wants %" PRIu64 "..%" PRIu64 "%s\n", prog, o->name,
				o->lo, o->hi, o->unit);
		return -1;
	}
	opt_store(o, v);
	return 0;
}

int
perf_getopt(const char *prog, int argc, char **argv, const char *short_opts,
	    const struct perf_opt *opts, size_t n)
{
	struct option lo[PERF_MAX_OPTS + 1] = { { NULL, 0, NULL, 0 } };
	size_t i;
	int c;

	/* getopt_long's val of an option stored here: 1000 + its index */
	for (i = 0; i < n && i < PERF_MAX_OPTS; i++)
		lo[i] = (struct option){ opts[i].name, opts[i].has_arg, NULL,
					 opts[i].kind == PERF_OPT_K_CALLER ? opts[i].val :
					 (int)(1000 + i) };
	for (;;) {
		c = getopt_long(argc, argv, short_opts, lo, NULL);
		if (c < 1000 || c >= 1000 + (int)n)
			return c;
		i = (size_t)c - 1000;
		if (opts[i].kind == PERF_OPT_K_FLAG)
			*(bool *)opts[i].dst = true;
		else if (opts[i].kind == PERF_OPT_K_STR)
			*(const char **)opts[i].dst = optarg;
		else if (opt_value(prog, &opts[i], optarg) != 0)
			return '?';
	}
}

int
perf_ike_sendto(int fd, bool natt, const uint8_t *msg, size_t len, const struct sockaddr *to,
		size_t tolen)
{
	static const uint8_t marker[4];
	struct iovec iov[2] = {
		{ .iov_base = (void *)(uintptr_t)marker, .iov_len = sizeof(marker) },
		{ .iov_base = (void *)(uintptr_t)msg, .iov_len = len },
	};
	struct msghdr mh = {
		.msg_name = (void *)(uintptr_t)to,
		.msg_namelen = (socklen_t)tolen,
		.msg_iov = natt ? iov : iov + 1,
		.msg_iovlen = natt ? 2 : 1,
	};

	return sendmsg(fd, &mh, 0) < 0 ? -errno : 0;
}

void
perf_ike_log(int level, int max, const char *msg)
{
	if (level <= max)
		fprintf(stderr, "%llu <%d> %s\n", (unsigned long long)perf_now_ms(), level, msg);
}

unsigned
perf_hugepages_free_mb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long free_pages = 0, kb = 0, v;
	char line[128];

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "HugePages_Free: %lu", &v) == 1)
			free_pages = v;
		else if (sscanf(line, "Hugepagesize: %lu kB", &v) == 1)
			kb = v;
	}
	fclose(f);
	return (unsigned)(free_pages * kb / 1024);
}
