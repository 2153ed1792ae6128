/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/ike at scale: nothing on a per-datagram or per-tick path walks all
 * SAs. Each IKE SA has one entry in a binary min-heap keyed by the earliest
 * of its deadlines (retransmits, half-open / deleting expiry, fragment
 * reassembly timeout, rekey, DPD, NAT keepalive, and those of its children:
 * rekey and delayed delete). ike_tick pops only the due entries and
 * ike_next_timeout_ms reads the top.
 *
 * An entry point does not recompute deadlines where it changes them: it
 * marks the SA (ike_sa_touch, done by the lookups that hand an SA to an
 * exchange, by state changes, by sent requests and by SA creation) and
 * ike_sa_reap, at the end of every entry point, recomputes the marked ones
 * (O(touched)) and frees the SAs on the dead list (O(dead)).
 *
 * The SA tables (our SPI, the peer's SPI for IKE_SA_INIT retransmissions,
 * the SA id and the child id) are intrusive hash tables keyed with a random
 * seed, so that a peer choosing SPIs cannot aim at one bucket, and doubled
 * when they hold twice as many entries as buckets.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "ike/ike_priv.h"

/* ---- binary min-heap ---- */

int
ike_heap_reserve(struct ike_heap *h, unsigned n)
{
	struct ike_tmr **v;
	unsigned cap;

	if (n <= h->cap)
		return 0;
	cap = h->cap ? h->cap : 64;
	while (cap < n) {
		if (cap > (1u << 30))
			return -ENOMEM;
		cap *= 2;
	}
	v = realloc(h->v, (size_t)cap * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	h->v = v;
	h->cap = cap;
	return 0;
}

static void
heap_put(struct ike_heap *h, unsigned i, struct ike_tmr *t)
{
	h->v[i] = t;
	t->idx = i + 1;
}

static void
sift_up(struct ike_heap *h, unsigned i)
{
	struct ike_tmr *t = h->v[i];

	while (i > 0) {
		unsigned p = (i - 1) / 2;

		if (h->v[p]->due_ms <= t->due_ms)
			break;
		heap_put(h, i, h->v[p]);
		i = p;
	}
	heap_put(h, i, t);
}

static void
sift_down(struct ike_heap *h, unsigned i)
{
	struct ike_tmr *t = h->v[i];

	for (;;) {
		unsigned l = 2 * i + 1, m;

		if (l >= h->n)
			break;
		m = l + 1 < h->n && h->v[l + 1]->due_ms < h->v[l]->due_ms ? l + 1 : l;
		if (t->due_ms <= h->v[m]->due_ms)
			break;
		heap_put(h, i, h->v[m]);
		i = m;
	}
	heap_put(h, i, t);
}

void
ike_heap_set(struct ike_heap *h, struct ike_tmr *t, uint64_t due_ms)
{
	uint64_t old = t->due_ms;

	t->due_ms = due_ms;
	if (t->idx == 0) {
		if (h->n >= h->cap && ike_heap_reserve(h, h->n + 1) < 0)
			return;		/* callers reserve first; see ike_sa_create */
		heap_put(h, h->n++, t);
		sift_up(h, h->n - 1);
	} else if (due_ms < old) {
		sift_up(h, t->idx - 1);
	} else if (due_ms > old) {
		sift_down(h, t->idx - 1);
	}
}

void
ike_heap_del(struct ike_heap *h, struct ike_tmr *t)
{
	unsigned i = t->idx;
	struct ike_tmr *last;

	if (i == 0)
		return;
	i--;
	t->idx = 0;
	last = h->v[--h->n];
	if (i == h->n)
		return;
	heap_put(h, i, last);
	if (i > 0 && h->v[(i - 1) / 2]->due_ms > last->due_ms)
		sift_up(h, i);
	else
		sift_down(h, i);
}

struct ike_tmr *
ike_heap_top(const struct ike_heap *h)
{
	return h->n > 0 ? h->v[0] : NULL;
}

void
ike_heap_fini(struct ike_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

/* ---- hash tables ---- */

static unsigned
bucket_of(const struct ike_htab *t, uint64_t key, unsigned bits)
{
	uint64_t h = (key ^ t->seed) * 0x9e3779b97f4a7c15ULL;

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return (unsigned)(h >> (64 - bits));
}

int
ike_htab_init(struct ike_htab *t, uint64_t seed)
{
	t->bits = IKE_HTAB_BITS_MIN;
	t->n = 0;
	t->seed = seed;
	t->b = calloc((size_t)1 << t->bits, sizeof(*t->b));
	return t->b != NULL ? 0 : -ENOMEM;
}

void
ike_htab_fini(struct ike_htab *t)
{
	free(t->b);
	t->b = NULL;
	t->n = 0;
}

/* Double the buckets; on allocation failure chains just grow longer. */
static void
grow(struct ike_htab *t)
{
	unsigned bits = t->bits + 1, i;
	struct ike_hnode **nb;

	if (bits > IKE_HTAB_BITS_MAX)
		return;
	nb = calloc((size_t)1 << bits, sizeof(*nb));
	if (nb == NULL)
		return;
	for (i = 0; i < (1u << t->bits); i++) {
		struct ike_hnode *n, *next;

		for (n = t->b[i]; n != NULL; n = next) {
			unsigned j = bucket_of(t, n->key, bits);

			next = n->next;
			n->next = nb[j];
			if (nb[j] != NULL)
				nb[j]->pprev = &n->next;
			n->pprev = &nb[j];
			nb[j] = n;
		}
	}
	free(t->b);
	t->b = nb;
	t->bits = bits;
}

void
ike_htab_add(struct ike_htab *t, struct ike_hnode *n, uint64_t key)
{
	unsigned j;

	if (n->linked)
		ike_htab_del(t, n);
	if (t->n >= (2u << t->bits))
		grow(t);
	j = bucket_of(t, key, t->bits);
	n->key = key;
	n->next = t->b[j];
	if (n->next != NULL)
		n->next->pprev = &n->next;
	n->pprev = &t->b[j];
	n->linked = true;
	t->b[j] = n;
	t->n++;
}

/* O(1): no walk of the chain */
void
ike_htab_del(struct ike_htab *t, struct ike_hnode *n)
{
	if (!n->linked)
		return;
	*n->pprev = n->next;
	if (n->next != NULL)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
	n->linked = false;
	t->n--;
}

struct ike_hnode *
ike_htab_find(const struct ike_htab *t, uint64_t key)
{
	struct ike_hnode *n;

	for (n = t->b[bucket_of(t, key, t->bits)]; n != NULL; n = n->next)
		if (n->key == key)
			return n;
	return NULL;
}

struct ike_hnode *
ike_htab_next(const struct ike_hnode *n, uint64_t key)
{
	for (n = n->next; n != NULL; n = n->next)
		if (n->key == key)
			return (struct ike_hnode *)(uintptr_t)n;
	return NULL;
}

/* ---- SA deadlines ---- */

void
ike_sa_touch(struct ike_sa *sa)
{
	if (sa->dirty || sa->state == IKE_ST_DEAD)
		return;
	sa->dirty = true;
	sa->dirty_next = sa->ctx->dirty;
	sa->ctx->dirty = sa;
}

/* Established: the IKE_SA_INIT messages (AUTH octets) and the cookie are
 * done with; an SA held for days should not carry them. */
static void
drop_setup_state(struct ike_sa *sa)
{
	if (sa->state < IKE_ST_ESTABLISHED || sa->state == IKE_ST_DEAD)
		return;
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->cookie);
	sa->init_req = sa->init_resp = sa->cookie = NULL;
	sa->init_req_len = sa->init_resp_len = sa->cookie_len = 0;
}

void
ike_sched_flush(struct ike_ctx *ctx)
{
	struct ike_sa *sa;

	while ((sa = ctx->dirty) != NULL) {
		uint64_t due;

		ctx->dirty = sa->dirty_next;
		sa->dirty_next = NULL;
		sa->dirty = false;
		if (sa->state == IKE_ST_DEAD) {
			ike_heap_del(&ctx->timers, &sa->tmr);
			continue;
		}
		drop_setup_state(sa);
		ike_sa_keepalive_arm(sa, ctx->now_ms);
		due = ike_sa_next_due(sa, ctx->now_ms);
		if (due == UINT64_MAX)
			ike_heap_del(&ctx->timers, &sa->tmr);
		else
			ike_heap_set(&ctx->timers, &sa->tmr, due);
	}
}

int
ike_sched_audit(struct ike_ctx *ctx, uint64_t now_ms)
{
	const struct ike_heap *h = &ctx->timers;
	struct ike_sa *sa;
	unsigned i;

	for (i = 0; i < h->n; i++) {
		if (h->v[i]->idx != i + 1)
			return -1;
		if (i > 0 && h->v[(i - 1) / 2]->due_ms > h->v[i]->due_ms)
			return -2;
	}
	for (sa = ctx->sas; sa != NULL; sa = sa->next) {
		uint64_t want, have;

		if (sa->state == IKE_ST_DEAD) {
			if (sa->tmr.idx != 0)
				return -3;
			continue;
		}
		want = ike_sa_next_due(sa, now_ms);
		have = sa->tmr.idx != 0 ? sa->tmr.due_ms : UINT64_MAX;
		if (have > want && !sa->dirty) {
			SA_LOG(sa, ERR, "timer audit: queued at %" PRIu64 ", due at %" PRIu64,
			       have, want);
			return -4;
		}
	}
	if (ctx->by_id.n != ctx->n_sas)
		return -5;
	return 0;
}
