/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who owns the remote prefixes that the workers route into tunnels: control
 * core only, consulted by child_up() before any message goes to a worker.
 *
 * Worker routes are keyed on the prefix alone and the longest match wins,
 * so a child SA whose remote selector equals, or lies inside, a prefix that
 * a tunnel of another peer already routes would take that tunnel's traffic
 * (and its inbound SPI would pass the anti-spoofing check for those
 * sources). Such a child is refused. Prefixes belong to a peer identity,
 * not to one IKE SA: a rekey, a reauthentication or an INITIAL_CONTACT
 * replacement by the same identity takes them over (the latest IKE SA is
 * recorded); any other identity is refused. A new prefix that is broader
 * than another identity's is allowed: the more specific one keeps its
 * traffic by longest match, the new one only gets what nobody owns.
 *
 * Lookups: one rte_hash keyed by (family, depth, address masked to the
 * depth). A check probes, for each depth up to the new prefix's that some
 * owned prefix of that family uses, the enclosing prefix: at most 33
 * (IPv4) or 129 (IPv6) hash lookups per prefix, never a walk over children.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>

#include "rampartd.h"

/* One owned prefix. */
struct rd_own {
	uint64_t ike_sa_id;		/* IKE SA of the latest child holding it */
	uint32_t refs;			/* children holding exactly this prefix */
	struct ike_id id;		/* the owning peer identity */
};

static struct {
	struct rte_hash *h;
	uint32_t depth_n[2][129];	/* owned prefixes per (family, depth) */
} own;

static unsigned
af_ix(uint8_t af)
{
	return af == 4 ? 0 : 1;
}

/* @r cut to @depth bits, everything else zero: the hash key. */
static void
key_make(struct sa_route *k, const struct sa_route *r, unsigned depth)
{
	unsigned len = r->af == 4 ? 4 : 16, i;

	memset(k, 0, sizeof(*k));
	k->af = r->af;
	k->depth = (uint8_t)depth;
	for (i = 0; i < len && i * 8 < depth; i++)
		k->addr[i] = r->addr[i] & net_prefix_byte_mask(depth, i);
}

/* The owner entry of @r cut to @depth bits (its key into @k), or NULL. */
static struct rd_own *
own_lookup(const struct sa_route *r, unsigned depth, struct sa_route *k)
{
	void *data;

	key_make(k, r, depth);
	return rte_hash_lookup_data(own.h, k, &data) >= 0 ? data : NULL;
}

static bool
id_eq(const struct ike_id *a, const struct ike_id *b)
{
	return a->type == b->type && a->len == b->len && a->len <= IKE_MAX_ID_LEN &&
	       memcmp(a->data, b->data, a->len) == 0;
}

static bool
route_ok(const struct sa_route *r)
{
	return (r->af == 4 && r->depth <= 32) || (r->af == 6 && r->depth <= 128);
}

int
rd_own_init(void)
{
	struct rte_hash_parameters hp = {
		.name = "rd_route_own",
		.entries = rd.sh.max_wroutes,
		.key_len = sizeof(struct sa_route),
		.hash_func = rte_jhash,
		.socket_id = SOCKET_ID_ANY,
	};

	memset(&own, 0, sizeof(own));
	own.h = rte_hash_create(&hp);
	return own.h != NULL ? 0 : -ENOMEM;
}

void
rd_own_fini(void)
{
	const void *k;
	uint32_t pos = 0;
	void *d;

	if (own.h == NULL)
		return;
	while (rte_hash_iterate(own.h, &k, &d, &pos) >= 0)
		free(d);
	rte_hash_free(own.h);
	memset(&own, 0, sizeof(own));
}

int
rd_own_check(const struct sa_route *r, unsigned n, const struct ike_id *id, unsigned *bad,
	     uint64_t *owner_ike_sa)
{
	unsigned i, d;

	for (i = 0; i < n; i++) {
		const uint32_t *dn;

		if (!route_ok(&r[i]))
			return -EINVAL;
		dn = own.depth_n[af_ix(r[i].af)];
		for (d = 0; d <= r[i].depth; d++) {
			struct sa_route k;
			const struct rd_own *o;

			if (dn[d] == 0)
				continue;
			o = own_lookup(&r[i], d, &k);
			if (o == NULL)
				continue;
			if (!id_eq(&o->id, id)) {
				*bad = i;
				*owner_ike_sa = o->ike_sa_id;
				return -EPERM;
			}
		}
	}
	return 0;
}

void
rd_own_release(const struct sa_route *r, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct sa_route k;
		struct rd_own *o;

		if (!route_ok(&r[i]))
			continue;
		o = own_lookup(&r[i], r[i].depth, &k);
		if (o == NULL)
			continue;
		if (--o->refs != 0)
			continue;
		rte_hash_del_key(own.h, &k);
		own.depth_n[af_ix(k.af)][k.depth]--;
		free(o);
	}
}

int
rd_own_claim(const struct sa_route *r, unsigned n, uint64_t ike_sa_id, const struct ike_id *id)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct sa_route k;
		struct rd_own *o;

		if (!route_ok(&r[i]))
			goto undo;
		o = own_lookup(&r[i], r[i].depth, &k);
		if (o != NULL) {
			o->refs++;
			o->ike_sa_id = ike_sa_id;	/* same identity: checked first */
			continue;
		}
		o = calloc(1, sizeof(*o));
		if (o == NULL)
			goto undo;
		o->refs = 1;
		o->ike_sa_id = ike_sa_id;
		o->id = *id;
		if (rte_hash_add_key_data(own.h, &k, o) < 0) {
			free(o);
			goto undo;
		}
		own.depth_n[af_ix(k.af)][k.depth]++;
	}
	return 0;
undo:
	rd_own_release(r, i);
	return -ENOSPC;
}
