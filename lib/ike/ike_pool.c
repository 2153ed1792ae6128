/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Virtual-IP pools for remote-access clients (RFC 7296 3.15, CP payload).
 *
 * A lease is keyed by the peer's identity: the same identity gets the same
 * address back, across IKE rekeys (the new IKE SA takes a reference before
 * the old one drops its own) and across a reconnect with INITIAL_CONTACT. A
 * lease is freed when its last IKE SA goes away. Pools never touch sockets
 * or SAs; the state machine holds the references. Leases are found by
 * identity in a keyed hash (one IKE_AUTH must not walk every lease).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ike/ike_priv.h"

struct ike_lease {
	struct ike_hnode h;		/* pool->by_id */
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
	struct ike_htab by_id;		/* leases by peer identity */
	unsigned refs;			/* leases + owner */
};

struct ike_pool *
ike_pool_create(const struct ike_pool_cfg *cfg)
{
	struct ike_pool *p;
	uint64_t seed;

	if (cfg->af != 4 && cfg->af != 6)
		return NULL;
	if (cfg->size == 0 || cfg->size > (1u << 24))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->cfg = *cfg;
	p->used = calloc((cfg->size + 7) / 8, 1);
	if (p->used == NULL || ike_rand_bytes(&seed, sizeof(seed)) < 0 ||
	    ike_htab_init(&p->by_id, seed) < 0) {
		free(p->used);
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
	ike_htab_fini(&p->by_id);
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

static uint64_t
id_key(const struct ike_id *id)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ id->type;
	size_t i, len = id->len < sizeof(id->data) ? id->len : sizeof(id->data);

	for (i = 0; i < len; i++)
		h = (h ^ id->data[i]) * 0x100000001b3ULL;
	return h;
}

int
ike_pool_acquire(struct ike_pool *p, const struct ike_id *id, struct ike_lease **out)
{
	uint64_t key = id_key(id);
	struct ike_hnode *n;
	struct ike_lease *l;
	uint32_t i, idx;

	for (n = ike_htab_find(&p->by_id, key); n != NULL; n = ike_htab_next(n, key)) {
		l = IKE_CONTAINER(n, struct ike_lease, h);
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
	ike_htab_add(&p->by_id, &l->h, key);
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

	if (l == NULL || --l->refs > 0)
		return;
	p = l->pool;
	ike_htab_del(&p->by_id, &l->h);
	p->used[l->index / 8] &= (uint8_t)~(1u << (l->index % 8));
	p->in_use--;
	free(l);
	pool_put(p);
}

void
ike_lease_addr(const struct ike_lease *l, uint8_t *af, uint8_t addr[16])
{
	const struct ike_pool_cfg *c = &l->pool->cfg;

	memcpy(addr, c->first, 16);
	if (c->af == 4)
		memset(addr + 4, 0, 12);
	ike_addr_add(c->af, addr, l->index);	/* the index-th address of the pool */
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
