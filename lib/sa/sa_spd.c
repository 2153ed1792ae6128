/* SPDX-License-Identifier: BSD-3-Clause */
/* A worker's outbound security policy database (sa_spd.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "sa/sa_spd.h"

struct target_key {
	uint32_t spi;
	uint16_t owner;
	uint16_t zero;
};

/* A prefix with its host bits cleared: one key per prefix. */
struct route_key {
	uint8_t af, depth, zero[2];
	uint8_t addr[16];
};

static bool
route_key_make(struct route_key *k, const struct sa_route *r)
{
	unsigned i, bits;

	if ((r->af != 4 && r->af != 6) || r->depth > (r->af == 4 ? 32 : 128))
		return false;
	memset(k, 0, sizeof(*k));
	k->af = r->af;
	k->depth = r->depth;
	bits = r->depth;
	for (i = 0; i < (r->af == 4 ? 4u : 16u) && bits > 0; i++, bits -= bits < 8 ? bits : 8)
		k->addr[i] = bits >= 8 ? r->addr[i] : (uint8_t)(r->addr[i] & (0xff00 >> bits));
	return true;
}

static uint32_t
be32(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static int
fib_set(struct sa_spd *s, const struct route_key *k, uint32_t t)
{
	if (k->af == 4)
		return rte_fib_add(s->fib4, be32(k->addr), k->depth, (uint64_t)t + 1);
	return rte_fib6_add(s->fib6, k->addr, k->depth, (uint64_t)t + 1);
}

static void
fib_clear(struct sa_spd *s, const struct route_key *k)
{
	if (k->af == 4)
		rte_fib_delete(s->fib4, be32(k->addr), k->depth);
	else
		rte_fib6_delete(s->fib6, k->addr, k->depth);
}

int
sa_spd_create(const struct sa_spd_conf *c, struct sa_spd **out)
{
	struct rte_hash_parameters hp = {
		.hash_func = rte_jhash,
		.socket_id = c->socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,	/* every slot usable */
	};
	struct rte_fib_conf f4 = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = 0,
		.dir24_8 = { .nh_sz = RTE_FIB_DIR24_8_4B },
	};
	struct rte_fib6_conf f6 = {
		.type = RTE_FIB6_TRIE,
		.default_nh = 0,
		.trie = { .nh_sz = RTE_FIB6_TRIE_4B },
	};
	char name[64];
	struct sa_spd *s;
	uint32_t i, tbl8;

	*out = NULL;
	/* next hops are slot + 1 in 31 bits (DIR24_8 keeps the top bit) */
	if (c->name == NULL || c->max_target == 0 || c->max_routes == 0 ||
	    c->max_target >= (1u << 30) || c->max_routes > (1u << 30))
		return -EINVAL;
	s = rte_zmalloc_socket("sa_spd", sizeof(*s), 0, c->socket_id);
	if (s == NULL)
		return -ENOMEM;
	s->max_target = c->max_target;
	s->max_routes = c->max_routes;
	/*
	 * A prefix longer than /24 (IPv4) needs a group of 256 entries for its
	 * /24; remote-access pools put many /32s in one /24, so a sixteenth of
	 * the routes (at least SA_SPD_MIN_TBL8) covers 100 000 /32s spread over
	 * 6 250 /24s at 1 KiB a group. IPv6 TRIE groups likewise.
	 */
	tbl8 = c->max_routes / 16;
	if (tbl8 < SA_SPD_MIN_TBL8)
		tbl8 = SA_SPD_MIN_TBL8;
	f4.max_routes = (int)c->max_routes;
	f4.dir24_8.num_tbl8 = tbl8;
	f6.max_routes = (int)c->max_routes;
	f6.trie.num_tbl8 = tbl8;

	hp.name = name;
	snprintf(name, sizeof(name), "%s_target", c->name);
	hp.entries = c->max_target < 8 ? 8 : c->max_target;
	hp.key_len = sizeof(struct target_key);
	s->target_h = rte_hash_create(&hp);
	snprintf(name, sizeof(name), "%s_rt", c->name);
	hp.entries = c->max_routes < 8 ? 8 : c->max_routes;
	hp.key_len = sizeof(struct route_key);
	s->route_h = rte_hash_create(&hp);
	snprintf(name, sizeof(name), "%s_f4", c->name);
	s->fib4 = rte_fib_create(name, c->socket_id, &f4);
	snprintf(name, sizeof(name), "%s_f6", c->name);
	s->fib6 = rte_fib6_create(name, c->socket_id, &f6);
	s->target = rte_zmalloc_socket("sa_spd_target", sizeof(*s->target) * c->max_target, 64,
				       c->socket_id);
	s->routes = rte_zmalloc_socket("sa_spd_routes", sizeof(*s->routes) * c->max_routes, 64,
				       c->socket_id);
	s->target_free = rte_malloc_socket("sa_spd_tfree", sizeof(uint32_t) * c->max_target, 0,
					c->socket_id);
	s->route_free = rte_malloc_socket("sa_spd_rfree", sizeof(uint32_t) * c->max_routes, 0,
					  c->socket_id);
	if (s->target_h == NULL || s->route_h == NULL || s->fib4 == NULL || s->fib6 == NULL ||
	    s->target == NULL || s->routes == NULL || s->target_free == NULL || s->route_free == NULL) {
		sa_spd_destroy(s);
		return -ENOMEM;
	}
	/* free stacks: lowest slot on top */
	for (i = 0; i < c->max_target; i++)
		s->target_free[i] = c->max_target - 1 - i;
	s->n_target_free = c->max_target;
	for (i = 0; i < c->max_routes; i++) {
		s->routes[i].target = SA_SPD_NONE;
		s->route_free[i] = c->max_routes - 1 - i;
	}
	s->n_route_free = c->max_routes;
	*out = s;
	return 0;
}

void
sa_spd_destroy(struct sa_spd *s)
{
	if (s == NULL)
		return;
	rte_fib_free(s->fib4);
	rte_fib6_free(s->fib6);
	rte_hash_free(s->target_h);
	rte_hash_free(s->route_h);
	rte_free(s->target);
	rte_free(s->routes);
	rte_free(s->target_free);
	rte_free(s->route_free);
	rte_free(s);
}

uint32_t
sa_spd_target_get(struct sa_spd *s, uint32_t spi, uint16_t owner, bool create)
{
	struct target_key k = { .spi = spi, .owner = owner };
	void *d;
	uint32_t t;

	if (rte_hash_lookup_data(s->target_h, &k, &d) >= 0)
		return (uint32_t)(uintptr_t)d;
	if (!create || s->n_target_free == 0)
		return SA_SPD_NONE;
	t = s->target_free[s->n_target_free - 1];
	if (rte_hash_add_key_data(s->target_h, &k, (void *)(uintptr_t)t) < 0)
		return SA_SPD_NONE;
	s->n_target_free--;
	memset(&s->target[t], 0, sizeof(s->target[t]));
	s->target[t].spi = spi;
	s->target[t].owner = owner;
	s->target[t].routes = SA_SPD_NONE;
	return t;
}

void
sa_spd_target_put(struct sa_spd *s, uint32_t t)
{
	struct sa_spd_target *x;
	struct target_key k;
	void *d;

	if (t >= s->max_target)
		return;
	x = &s->target[t];
	if (x->refs != 0 || x->sa != NULL)
		return;
	k = (struct target_key){ .spi = x->spi, .owner = x->owner };
	if (rte_hash_lookup_data(s->target_h, &k, &d) < 0 || (uint32_t)(uintptr_t)d != t)
		return;
	rte_hash_del_key(s->target_h, &k);
	s->target_free[s->n_target_free++] = t;
}

static void
target_link(struct sa_spd *s, uint32_t i, uint32_t t)
{
	struct sa_spd_route *r = &s->routes[i];

	r->target = t;
	r->prev = SA_SPD_NONE;
	r->next = s->target[t].routes;
	if (r->next != SA_SPD_NONE)
		s->routes[r->next].prev = i;
	s->target[t].routes = i;
	s->target[t].refs++;
}

static void
target_unlink(struct sa_spd *s, uint32_t i)
{
	struct sa_spd_route *r = &s->routes[i];

	if (r->prev != SA_SPD_NONE)
		s->routes[r->prev].next = r->next;
	else
		s->target[r->target].routes = r->next;
	if (r->next != SA_SPD_NONE)
		s->routes[r->next].prev = r->prev;
	s->target[r->target].refs--;
}

static uint32_t
route_find(const struct sa_spd *s, const struct route_key *k)
{
	void *d;

	if (rte_hash_lookup_data(s->route_h, k, &d) < 0)
		return SA_SPD_NONE;
	return (uint32_t)(uintptr_t)d;
}

static void
route_remove_at(struct sa_spd *s, uint32_t i)
{
	uint32_t t = s->routes[i].target;
	struct route_key k;

	route_key_make(&k, &s->routes[i].r);
	target_unlink(s, i);
	fib_clear(s, &k);
	rte_hash_del_key(s->route_h, &k);
	s->routes[i].target = SA_SPD_NONE;
	s->route_free[s->n_route_free++] = i;
	s->n_routes--;
	sa_spd_target_put(s, t);
}

int
sa_spd_route_add(struct sa_spd *s, const struct sa_route *r, uint32_t spi, uint16_t owner,
		 uint32_t spi_in, bool standby)
{
	struct route_key k;
	uint32_t t, i, old;
	int ret;

	if (!route_key_make(&k, r))
		return -EINVAL;
	i = route_find(s, &k);
	if (standby && i != SA_SPD_NONE) {
		struct sa_spd_target *cur = &s->target[s->routes[i].target];

		if (cur->spi != spi || cur->owner != owner) {
			cur->next_spi_in = spi_in;
			return 0;
		}
	}
	t = sa_spd_target_get(s, spi, owner, true);
	if (t == SA_SPD_NONE)
		return -ENOSPC;
	if (i == SA_SPD_NONE) {
		if (s->n_route_free == 0 || s->target[t].refs == UINT16_MAX) {
			sa_spd_target_put(s, t);
			return -ENOSPC;
		}
		i = s->route_free[s->n_route_free - 1];
		ret = fib_set(s, &k, t);
		if (ret == 0 &&
		    rte_hash_add_key_data(s->route_h, &k, (void *)(uintptr_t)i) < 0) {
			fib_clear(s, &k);
			ret = -ENOSPC;
		}
		if (ret < 0) {
			sa_spd_target_put(s, t);
			return -ENOSPC;
		}
		s->n_route_free--;
		memset(&s->routes[i].r, 0, sizeof(s->routes[i].r));
		s->routes[i].r.af = k.af;
		s->routes[i].r.depth = k.depth;
		memcpy(s->routes[i].r.addr, k.addr, sizeof(k.addr));
		s->n_routes++;
		target_link(s, i, t);
	} else if ((old = s->routes[i].target) != t) {
		if (s->target[t].refs == UINT16_MAX || fib_set(s, &k, t) < 0) {
			sa_spd_target_put(s, t);
			return -ENOSPC;
		}
		s->target[t].prev_spi_in = s->target[old].spi_in;
		target_unlink(s, i);
		target_link(s, i, t);
		sa_spd_target_put(s, old);
	}
	s->target[t].spi_in = spi_in;
	return 0;
}

int
sa_spd_route_del(struct sa_spd *s, const struct sa_route *r, uint32_t spi)
{
	struct route_key k;
	uint32_t i;

	if (!route_key_make(&k, r))
		return -ENOENT;
	i = route_find(s, &k);
	if (i == SA_SPD_NONE || s->target[s->routes[i].target].spi != spi)
		return -ENOENT;
	route_remove_at(s, i);
	return 0;
}

void
sa_spd_target_flush(struct sa_spd *s, uint32_t t)
{
	if (t >= s->max_target)
		return;
	while (s->target[t].routes != SA_SPD_NONE)
		route_remove_at(s, s->target[t].routes);
	sa_spd_target_put(s, t);
}

void
sa_spd_flush(struct sa_spd *s)
{
	uint32_t i;

	for (i = 0; i < s->max_routes && s->n_routes > 0; i++)
		if (s->routes[i].target != SA_SPD_NONE)
			route_remove_at(s, i);
}

const struct sa_spd_target *
sa_spd_lookup(const struct sa_spd *s, uint8_t af, const uint8_t *addr)
{
	uint64_t nh = 0;

	if (af == 4) {
		uint32_t a = be32(addr);

		rte_fib_lookup_bulk(s->fib4, &a, &nh, 1);
	} else {
		uint8_t a[1][RTE_FIB6_IPV6_ADDR_SIZE];

		memcpy(a[0], addr, RTE_FIB6_IPV6_ADDR_SIZE);
		rte_fib6_lookup_bulk(s->fib6, a, &nh, 1);
	}
	return nh == 0 || nh > s->max_target ? NULL : &s->target[nh - 1];
}

void
sa_spd_lookup4_bulk(const struct sa_spd *s, const uint32_t *addr, unsigned n,
		    const struct sa_spd_target **out)
{
	uint64_t nh[SA_SPD_BULK_MAX];
	uint32_t a[SA_SPD_BULK_MAX];
	unsigned i;

	if (n > SA_SPD_BULK_MAX)
		n = SA_SPD_BULK_MAX;
	memcpy(a, addr, n * sizeof(a[0]));
	rte_fib_lookup_bulk(s->fib4, a, nh, (int)n);
	for (i = 0; i < n; i++)
		out[i] = nh[i] == 0 || nh[i] > s->max_target ? NULL : &s->target[nh[i] - 1];
}

void
sa_spd_lookup6_bulk(const struct sa_spd *s, const uint8_t (*addr)[16], unsigned n,
		    const struct sa_spd_target **out)
{
	uint64_t nh[SA_SPD_BULK_MAX];
	unsigned i;

	RTE_BUILD_BUG_ON(RTE_FIB6_IPV6_ADDR_SIZE != 16);
	if (n > SA_SPD_BULK_MAX)
		n = SA_SPD_BULK_MAX;
	/* rte_fib6 takes a non-const array; it only reads it */
	rte_fib6_lookup_bulk(s->fib6, (uint8_t (*)[RTE_FIB6_IPV6_ADDR_SIZE])(uintptr_t)addr, nh,
			     (int)n);
	for (i = 0; i < n; i++)
		out[i] = nh[i] == 0 || nh[i] > s->max_target ? NULL : &s->target[nh[i] - 1];
}

uint32_t
sa_spd_target_count(const struct sa_spd *s)
{
	return s->max_target - s->n_target_free;
}

void
sa_spd_target_sel_set(struct sa_spd *s, uint32_t spi, uint16_t owner, const struct sa_sel *sel)
{
	uint32_t t = sa_spd_target_get(s, spi, owner, false);

	if (t == SA_SPD_NONE)
		return;
	if (sel->n_local > SA_SEL_MAX || sel->n_remote > SA_SEL_MAX) {
		/* not from sa_sel_add/finish: refuse to read past the lists */
		memset(&s->target[t].sel, 0, sizeof(s->target[t].sel));
		s->target[t].has_sel = 0;
		return;
	}
	s->target[t].sel = *sel;
	s->target[t].has_sel = sa_sel_active(sel);
}
