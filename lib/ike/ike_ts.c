/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic selectors (RFC 7296 3.13) and narrowing (RFC 7296 2.9).
 *
 * Pure functions on struct ike_ts ranges; addresses are compared in network
 * order (4 bytes for IPv4, 16 for IPv6). No wire parsing here.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "ike/ike_priv.h"

static size_t
alen(uint8_t af)
{
	return af == 4 ? 4 : 16;
}

bool
ike_ts_intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out)
{
	struct ike_ts r;
	size_t n;

	if (a->af != b->af || (a->af != 4 && a->af != 6))
		return false;
	n = alen(a->af);
	memset(&r, 0, sizeof(r));
	r.af = a->af;
	if (a->proto == 0)
		r.proto = b->proto;
	else if (b->proto == 0 || b->proto == a->proto)
		r.proto = a->proto;
	else
		return false;
	r.sport = a->sport > b->sport ? a->sport : b->sport;
	r.eport = a->eport < b->eport ? a->eport : b->eport;
	if (r.sport > r.eport)
		return false;
	memcpy(r.saddr, memcmp(a->saddr, b->saddr, n) > 0 ? a->saddr : b->saddr, n);
	memcpy(r.eaddr, memcmp(a->eaddr, b->eaddr, n) < 0 ? a->eaddr : b->eaddr, n);
	if (memcmp(r.saddr, r.eaddr, n) > 0)
		return false;
	*out = r;
	return true;
}

static bool
ts_eq(const struct ike_ts *a, const struct ike_ts *b)
{
	size_t n = alen(a->af);

	return a->af == b->af && a->proto == b->proto && a->sport == b->sport &&
	       a->eport == b->eport && memcmp(a->saddr, b->saddr, n) == 0 &&
	       memcmp(a->eaddr, b->eaddr, n) == 0;
}

unsigned
ike_ts_narrow(const struct ike_ts *prop, unsigned n_prop, const struct ike_ts *conf,
	      unsigned n_conf, struct ike_ts *out, unsigned cap)
{
	unsigned i, j, k, n = 0;
	struct ike_ts t;

	for (i = 0; i < n_prop; i++) {
		for (j = 0; j < n_conf; j++) {
			if (!ike_ts_intersect(&prop[i], &conf[j], &t))
				continue;
			for (k = 0; k < n; k++)
				if (ts_eq(&out[k], &t))
					break;
			if (k < n || n >= cap)
				continue;
			out[n++] = t;
		}
	}
	return n;
}

bool
ike_ts_subset(const struct ike_ts *inner, const struct ike_ts *outer)
{
	struct ike_ts t;

	return ike_ts_intersect(inner, outer, &t) && ts_eq(&t, inner);
}

void
ike_ts_host(struct ike_ts *ts, uint8_t af, const uint8_t addr[16])
{
	memset(ts, 0, sizeof(*ts));
	ts->af = af;
	ts->eport = 65535;
	memcpy(ts->saddr, addr, alen(af));
	memcpy(ts->eaddr, addr, alen(af));
}

void
ike_ts_any(struct ike_ts *ts, uint8_t af)
{
	memset(ts, 0, sizeof(*ts));
	ts->af = af;
	ts->eport = 65535;
	memset(ts->eaddr, 0xff, alen(af));
}

const char *
ike_ts_str(const struct ike_ts *ts, char *buf, size_t cap)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int fam = ts->af == 4 ? AF_INET : AF_INET6;

	inet_ntop(fam, ts->saddr, a, sizeof(a));
	inet_ntop(fam, ts->eaddr, b, sizeof(b));
	snprintf(buf, cap, "%s-%s[%u/%u-%u]", a, b, ts->proto, ts->sport, ts->eport);
	return buf;
}
