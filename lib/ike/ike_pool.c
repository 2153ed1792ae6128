/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual-IP pools for remote-access clients (RFC 7296 3.15, CP payload).
 *
 * A lease is keyed by the peer's identity: the same identity gets the same
 * address back, across IKE rekeys (the new IKE SA takes a reference before
 * the old one drops its own) and across a reconnect with INITIAL_CONTACT. A
 * lease is freed when its last IKE SA goes away. Pools never touch sockets
 * or SAs; the state machine holds the references.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_priv.h"

struct ike_lease {
	struct ike_lease *next;
	struct ike_pool *pool;
	struct ike_id id;
	uint32_t index;
	unsigned refs;
};

struct ike_pool {
	struct ike_pool_cfg cfg;
	uint8_t *used;			/* bitmap, cfg.size bits */
	uint32_t hint;
	unsigned in_use;
	struct ike_lease *leases;
	unsigned refs;			/* leases + owner */
};

struct ike_pool *
ike_pool_create(const struct ike_pool_cfg *cfg)
{
	struct ike_pool *p;

	if (cfg->af != 4 && cfg->af != 6)
		return NULL;
	if (cfg->size == 0 || cfg->size > (1u << 24))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->cfg = *cfg;
	p->used = calloc((cfg->size + 7) / 8, 1);
	if (p->used == NULL) {
		free(p);
		return NULL;
	}
	p->refs = 1;
	return p;
}

static void
pool_put(struct ike_pool *p)
{
	if (--p->refs > 0)
		return;
	free(p->used);
	free(p);
}

struct ike_pool *
ike_pool_ref(struct ike_pool *p)
{
	p->refs++;
	return p;
}

/* The owner (a connection) lets go; leases still held keep the pool alive. */
void
ike_pool_destroy(struct ike_pool *p)
{
	if (p != NULL)
		pool_put(p);
}

static bool
id_eq(const struct ike_id *a, const struct ike_id *b)
{
	return a->type == b->type && a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}

int
ike_pool_acquire(struct ike_pool *p, const struct ike_id *id, struct ike_lease **out)
{
	struct ike_lease *l;
	uint32_t i, idx;

	for (l = p->leases; l != NULL; l = l->next) {
		if (id_eq(&l->id, id)) {
			l->refs++;
			*out = l;
			return 0;
		}
	}
	if (p->in_use >= p->cfg.size)
		return -ENOSPC;
	for (i = 0; i < p->cfg.size; i++) {
		idx = (p->hint + i) % p->cfg.size;
		if (!(p->used[idx / 8] & (1u << (idx % 8))))
			break;
	}
	if (i == p->cfg.size)
		return -ENOSPC;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	l->pool = p;
	l->id = *id;
	l->index = idx;
	l->refs = 1;
	l->next = p->leases;
	p->leases = l;
	p->used[idx / 8] |= (uint8_t)(1u << (idx % 8));
	p->hint = (idx + 1) % p->cfg.size;
	p->in_use++;
	p->refs++;
	*out = l;
	return 0;
}

void
ike_lease_get(struct ike_lease *l)
{
	l->refs++;
}

void
ike_lease_put(struct ike_lease *l)
{
	struct ike_pool *p;
	struct ike_lease **pp;

	if (l == NULL || --l->refs > 0)
		return;
	p = l->pool;
	for (pp = &p->leases; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	}
	p->used[l->index / 8] &= (uint8_t)~(1u << (l->index % 8));
	p->in_use--;
	free(l);
	pool_put(p);
}

void
ike_lease_addr(const struct ike_lease *l, uint8_t *af, uint8_t addr[16])
{
	const struct ike_pool_cfg *c = &l->pool->cfg;
	unsigned last = c->af == 4 ? 3 : 15;
	uint32_t carry = l->index;
	int i;

	memcpy(addr, c->first, 16);
	if (c->af == 4)
		memset(addr + 4, 0, 12);
	/* big-endian add of the index to the first address */
	for (i = (int)last; i >= 0 && carry != 0; i--) {
		uint32_t v = addr[i] + (carry & 0xff);

		addr[i] = (uint8_t)v;
		carry = (carry >> 8) + (v >> 8);
	}
	*af = c->af;
}

const struct ike_pool_cfg *
ike_lease_pool_cfg(const struct ike_lease *l)
{
	return &l->pool->cfg;
}

unsigned
ike_pool_in_use(const struct ike_pool *p)
{
	return p->in_use;
}
