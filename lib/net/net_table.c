/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table (open addressing, linear probing, fixed size, no
 * pointers, so a snapshot is one memcpy) and the short route list that
 * gives the next hop towards the LAN. Written by the control core only;
 * workers read published snapshots (see app/rampartd).
 */
#include "net/net.h"

#include <errno.h>
#include <string.h>

static unsigned
nbr_hash(uint8_t af, const uint8_t *addr)
{
	uint32_t h = 2166136261u;
	unsigned i, n = af == 4 ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ addr[i]) * 16777619u;
	return h & (NET_NBR_SLOTS - 1);
}

static bool
nbr_is(const struct net_nbr *e, uint8_t af, const uint8_t *addr)
{
	return e->state != NET_NBR_FREE && e->af == af &&
	       memcmp(e->addr, addr, af == 4 ? 4 : 16) == 0;
}

void
net_nbr_init(struct net_nbr_table *t)
{
	memset(t, 0, sizeof(*t));
}

const struct net_nbr *
net_nbr_lookup(const struct net_nbr_table *t, uint8_t af, const uint8_t *addr)
{
	unsigned h = nbr_hash(af, addr), i;

	for (i = 0; i < NET_NBR_PROBE; i++) {
		const struct net_nbr *e = &t->e[(h + i) & (NET_NBR_SLOTS - 1)];

		if (e->state == NET_NBR_FREE)
			return NULL;
		if (nbr_is(e, af, addr))
			return e;
	}
	return NULL;
}

struct net_nbr *
net_nbr_get(struct net_nbr_table *t, uint8_t af, const uint8_t *addr)
{
	unsigned h = nbr_hash(af, addr), i;

	for (i = 0; i < NET_NBR_PROBE; i++) {
		struct net_nbr *e = &t->e[(h + i) & (NET_NBR_SLOTS - 1)];

		if (nbr_is(e, af, addr))
			return e;
		if (e->state == NET_NBR_FREE) {
			memset(e, 0, sizeof(*e));
			e->af = af;
			memcpy(e->addr, addr, af == 4 ? 4 : 16);
			e->state = NET_NBR_INCOMPLETE;
			t->n_used++;
			return e;
		}
	}
	return NULL;
}

void
net_nbr_del(struct net_nbr_table *t, uint8_t af, const uint8_t *addr)
{
	unsigned h = nbr_hash(af, addr), i, j;
	struct net_nbr *e = NULL;

	for (i = 0; i < NET_NBR_PROBE; i++) {
		e = &t->e[(h + i) & (NET_NBR_SLOTS - 1)];
		if (e->state == NET_NBR_FREE)
			return;
		if (nbr_is(e, af, addr))
			break;
	}
	if (i == NET_NBR_PROBE)
		return;
	e->state = NET_NBR_FREE;
	t->n_used--;
	/* Reinsert the rest of the cluster so lookups never stop early. */
	for (j = 1; j < NET_NBR_SLOTS; j++) {
		struct net_nbr *n = &t->e[(h + i + j) & (NET_NBR_SLOTS - 1)], tmp, *d;

		if (n->state == NET_NBR_FREE)
			break;
		tmp = *n;
		n->state = NET_NBR_FREE;
		t->n_used--;
		d = net_nbr_get(t, tmp.af, tmp.addr);
		if (d != NULL)
			*d = tmp;
	}
}

int
net_route_add(struct net_route_table *t, const struct net_route *r)
{
	if (t->n >= NET_MAX_ROUTES)
		return -ENOSPC;
	t->r[t->n++] = *r;
	return 0;
}

const struct net_route *
net_route_lookup(const struct net_route_table *t, uint8_t af, const uint8_t *dst,
		 uint8_t nexthop[16])
{
	const struct net_route *best = NULL;
	unsigned i;

	for (i = 0; i < t->n; i++) {
		const struct net_route *r = &t->r[i];

		if (r->af == af && (best == NULL || r->depth > best->depth) &&
		    net_prefix_match(r->dst, dst, r->depth))
			best = r;
	}
	if (best != NULL) {
		memset(nexthop, 0, 16);
		memcpy(nexthop, best->has_via ? best->via : dst, af == 4 ? 4 : 16);
	}
	return best;
}

unsigned
net_range_to_prefixes(uint8_t af, const uint8_t *lo8, const uint8_t *hi8, struct net_prefix *out,
		      unsigned max)
{
	typedef unsigned __int128 u128;
	unsigned bits = af == 4 ? 32 : 128, nb = bits / 8, i, n = 0, k;
	u128 lo = 0, hi = 0, maxv, last;

	if (af != 4 && af != 6)
		return 0;
	maxv = bits == 128 ? ~(u128)0 : ((u128)1 << bits) - 1;
	for (i = 0; i < nb; i++) {
		lo = lo << 8 | lo8[i];
		hi = hi << 8 | hi8[i];
	}
	while (lo <= hi && n < max) {
		if (lo == 0 && hi == maxv) {
			k = bits;
		} else {
			/* Largest block of 2^k addresses aligned at lo ending <= hi. */
			for (k = 0; k + 1 < bits; k++) {
				u128 sz = (u128)1 << (k + 1);

				if ((lo & (sz - 1)) != 0 || lo + sz - 1 > hi)
					break;
			}
		}
		memset(&out[n], 0, sizeof(out[n]));
		out[n].af = af;
		out[n].depth = (uint8_t)(bits - k);
		for (i = 0; i < nb; i++)
			out[n].addr[i] = (uint8_t)(lo >> (8 * (nb - 1 - i)));
		n++;
		if (k == bits)
			break;
		last = lo + ((u128)1 << k) - 1;
		if (last >= hi)
			break;
		lo = last + 1;
	}
	return n;
}
