/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE SA table and state machine, child SA bookkeeping and the Message-ID
 * windows of RFC 7296 2.3.
 *
 * Owns: the SA hash tables (by our SPI; by the peer's SPI and address for
 * IKE_SA_INIT retransmissions), the table of allowed state transitions, child
 * SA events towards the daemon, and the request/response caches. Must not
 * parse or build wire messages (the exchange files do) nor free an SA while
 * an exchange may still hold it: ike_sa_kill() marks, ike_sa_reap() frees at
 * the end of each entry point.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "ike/ike_priv.h"

static const char *const state_names[IKE_ST__COUNT] = {
	[IKE_ST_IDLE] = "IDLE",
	[IKE_ST_INIT_SENT] = "INIT_SENT",
	[IKE_ST_INIT_RCVD] = "INIT_RCVD",
	[IKE_ST_AUTH_SENT] = "AUTH_SENT",
	[IKE_ST_ESTABLISHED] = "ESTABLISHED",
	[IKE_ST_REKEYING] = "REKEYING",
	[IKE_ST_REKEYED] = "REKEYED",
	[IKE_ST_DELETING] = "DELETING",
	[IKE_ST_DEAD] = "DEAD",
};

#define B(s) (1u << (IKE_ST_##s))

/* Allowed next states, one bitmask per state (STYLE 8). */
static const uint32_t next_ok[IKE_ST__COUNT] = {
	[IKE_ST_IDLE] = B(INIT_SENT) | B(INIT_RCVD) | B(ESTABLISHED) | B(DEAD),
	[IKE_ST_INIT_SENT] = B(AUTH_SENT) | B(DEAD),
	[IKE_ST_INIT_RCVD] = B(ESTABLISHED) | B(DEAD),
	[IKE_ST_AUTH_SENT] = B(ESTABLISHED) | B(DEAD),
	[IKE_ST_ESTABLISHED] = B(REKEYING) | B(REKEYED) | B(DELETING) | B(DEAD),
	[IKE_ST_REKEYING] = B(ESTABLISHED) | B(REKEYED) | B(DELETING) | B(DEAD),
	[IKE_ST_REKEYED] = B(DELETING) | B(DEAD),
	[IKE_ST_DELETING] = B(DEAD),
	[IKE_ST_DEAD] = 0,
};

#undef B

static const char *const child_state_names[] = {
	[IKE_CHILD_INSTALLED] = "INSTALLED",
	[IKE_CHILD_REKEYING] = "REKEYING",
	[IKE_CHILD_REKEYED] = "REKEYED",
	[IKE_CHILD_DELETING] = "DELETING",
	[IKE_CHILD_DEAD] = "DEAD",
};

#define C(s) (1u << (IKE_CHILD_##s))

/* Allowed next child states. A child falls back to INSTALLED when its rekey
 * or delete exchange is abandoned (IKE SA rekeyed under it, failed rekey, a
 * rekey initiator that never deletes the old child, a hard lifetime). */
static const uint32_t child_next_ok[IKE_CHILD__COUNT] = {
	[IKE_CHILD_INSTALLED] = C(REKEYING) | C(REKEYED) | C(DELETING) | C(DEAD),
	[IKE_CHILD_REKEYING] = C(INSTALLED) | C(REKEYED) | C(DELETING) | C(DEAD),
	[IKE_CHILD_REKEYED] = C(INSTALLED) | C(DELETING) | C(DEAD),
	[IKE_CHILD_DELETING] = C(INSTALLED) | C(DEAD),
	[IKE_CHILD_DEAD] = 0,
};

#undef C

const char *
ike_state_name(unsigned st)
{
	return st < IKE_ST__COUNT ? state_names[st] : "?";
}

const char *
ike_child_state_name(unsigned st)
{
	return st < IKE_CHILD__COUNT ? child_state_names[st] : "?";
}

bool
ike_child_state_allowed(unsigned from, unsigned to)
{
	if (from >= IKE_CHILD__COUNT || to >= IKE_CHILD__COUNT)
		return false;
	return (child_next_ok[from] & (1u << to)) != 0;
}

int
ike_child_set_state(struct ike_child *c, unsigned st)
{
	unsigned old = c->state;

	if (old == st)
		return 0;
	if (!ike_child_state_allowed(old, st)) {
		SA_LOG(c->sa, ERR, "child %" PRIu64 ": illegal state change %s -> %s refused",
		       c->id, ike_child_state_name(old), ike_child_state_name(st));
		return -EPERM;
	}
	c->state = (uint8_t)st;
	SA_LOG(c->sa, DEBUG, "child %" PRIu64 ": %s -> %s", c->id, ike_child_state_name(old),
	       ike_child_state_name(st));
	ike_sa_touch(c->sa);
	return 0;
}

bool
ike_state_allowed(unsigned from, unsigned to)
{
	if (from >= IKE_ST__COUNT || to >= IKE_ST__COUNT)
		return false;
	return (next_ok[from] & (1u << to)) != 0;
}

/*
 * Per-source half-open counts (issue: one source filling the half-open
 * table). A hash keyed with a random value, so that nobody can aim many
 * addresses at one bucket; no walk over SAs. IPv6 sources count per /64:
 * one end site owns at least a /64, so per-address counting would not
 * limit anyone.
 */
static unsigned
src_key_of(const struct ike_ctx *ctx, const struct sockaddr_storage *ss, uint8_t *af,
	   uint8_t addr[16])
{
	uint64_t w0, w1, h;

	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET6) {
		*af = 6;
		memcpy(addr, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, 8);
	} else {
		*af = 4;
		memcpy(addr, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, 4);
	}
	memcpy(&w0, addr, 8);
	memcpy(&w1, addr + 8, 8);
	h = ctx->src_key ^ *af;
	h = (h ^ w0) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	h = (h ^ w1) * 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return (unsigned)(h & ((1u << IKE_SRC_HASH_BITS) - 1));
}

static struct ike_src **
src_find(struct ike_ctx *ctx, const struct sockaddr_storage *ss, uint8_t *af, uint8_t addr[16],
	 unsigned *bucket)
{
	struct ike_src **pp;

	*bucket = src_key_of(ctx, ss, af, addr);
	pp = &ctx->src_hash[*bucket];

	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->af == *af && memcmp((*pp)->addr, addr, 16) == 0)
			break;
	return pp;
}

unsigned
ike_src_half_open(struct ike_ctx *ctx, const struct sockaddr_storage *ss)
{
	uint8_t af, addr[16];
	unsigned b;
	struct ike_src **pp = src_find(ctx, ss, &af, addr, &b);

	return *pp != NULL ? (*pp)->n : 0;
}

static void
src_get(struct ike_sa *sa)
{
	uint8_t af, addr[16];
	unsigned b;
	struct ike_src **pp = src_find(sa->ctx, &sa->remote, &af, addr, &b);

	if (*pp == NULL) {
		*pp = calloc(1, sizeof(**pp));
		if (*pp == NULL)
			return;		/* uncounted: the global caps still hold */
		(*pp)->bucket = b;
		(*pp)->af = af;
		memcpy((*pp)->addr, addr, 16);
	}
	(*pp)->n++;
	sa->ho_src = *pp;
}

static void
src_put(struct ike_sa *sa)
{
	struct ike_src *s = sa->ho_src, **pp;

	sa->ho_src = NULL;
	if (s == NULL || --s->n > 0)
		return;
	for (pp = &sa->ctx->src_hash[s->bucket]; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	free(s);
}

void
ike_sa_clear_half_open(struct ike_sa *sa)
{
	if (sa->counted_half_open) {
		sa->counted_half_open = false;
		sa->ctx->half_open--;
		src_put(sa);
	}
}

/* ---- fragment reassembly memory (RFC 7383 messages in pieces) ---- */

void
ike_sa_frag_account(struct ike_sa *sa)
{
	struct ike_ctx *ctx = sa->ctx;

	ctx->frag_mem = ctx->frag_mem - sa->frx_acct + sa->frx.bytes;
	sa->frx_acct = sa->frx.bytes;
}

void
ike_sa_frag_reset(struct ike_sa *sa)
{
	ike_frag_reset(&sa->frx);
	ike_sa_frag_account(sa);
}

/*
 * Before a fragment is stored: the global budget (frag_mem_max over all
 * SAs) and, until IKE_AUTH has completed, the per-SA cap (frag_preauth_max):
 * anyone can open a half-open SA and feed it fragments under its own keys.
 * A set that would go over can never complete, so it is dropped whole.
 */
int
ike_sa_frag_admit(struct ike_sa *sa, size_t len)
{
	struct ike_ctx *ctx = sa->ctx;
	size_t held = sa->frx.active ? sa->frx.bytes : 0;

	if (sa->established_ms == 0 &&
	    (held >= ctx->frag_preauth_max || len > ctx->frag_preauth_max - held)) {
		ctx->st.frag_preauth_refused++;
		SA_LOG(sa, DEBUG, "fragment of %zu bytes: %zu held before IKE_AUTH, cap %zu: "
		       "reassembly dropped", len, held, ctx->frag_preauth_max);
		ike_sa_frag_reset(sa);
		return -ENOBUFS;
	}
	if (ctx->frag_mem >= ctx->frag_mem_max || len > ctx->frag_mem_max - ctx->frag_mem) {
		ctx->st.frag_mem_refused++;
		SA_LOG(sa, DEBUG, "fragment of %zu bytes: %zu reassembly bytes held in all, "
		       "budget %zu: reassembly dropped", len, ctx->frag_mem, ctx->frag_mem_max);
		ike_sa_frag_reset(sa);
		return -ENOBUFS;
	}
	return 0;
}

int
ike_sa_set_state(struct ike_sa *sa, unsigned st)
{
	unsigned old = sa->state;

	if (old == st)
		return 0;
	if (!ike_state_allowed(old, st)) {
		SA_LOG(sa, ERR, "illegal state change %s -> %s refused", ike_state_name(old),
		       ike_state_name(st));
		return -EPERM;
	}
	sa->state = (uint8_t)st;
	SA_LOG(sa, INFO, "%s -> %s", ike_state_name(old), ike_state_name(st));
	if (st == IKE_ST_DEAD) {
		/* off the timers now; freed in O(1) by the next ike_sa_reap */
		ike_heap_del(&sa->ctx->timers, &sa->tmr);
		sa->dead_next = sa->ctx->dead;
		sa->ctx->dead = sa;
	} else {
		ike_sa_touch(sa);
	}
	if (st == IKE_ST_INIT_RCVD && !sa->counted_half_open) {
		sa->counted_half_open = true;
		sa->ctx->half_open++;
		src_get(sa);
	}
	if (st != IKE_ST_INIT_RCVD)
		ike_sa_clear_half_open(sa);
	if (st == IKE_ST_ESTABLISHED && sa->established_ms == 0) {
		sa->established_ms = sa->ctx->now_ms ? sa->ctx->now_ms : 1;
		sa->expire_ms = 0;
		sa->ctx->st.ike_up++;
		ike_sa_hash_peer(sa);
		ike_event_ike(sa, IKE_EV_IKE_UP, NULL);
	}
	return 0;
}

uint64_t
ike_sa_local_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

uint64_t
ike_new_spi(struct ike_ctx *ctx)
{
	uint64_t spi = 0;

	do {
		if (ike_rand_bytes(&spi, sizeof(spi)) < 0)
			spi = (ctx->next_sa_id + 1) * 0x9e3779b97f4a7c15ULL;
	} while (spi == 0 || ike_sa_by_spi(ctx, spi) != NULL);
	return spi;
}

int
ike_sa_create(struct ike_ctx *ctx, struct ike_conn *conn, bool initiator, struct ike_sa **out)
{
	struct ike_sa *sa;

	/* a slot on the timer heap for every SA: ike_heap_set cannot fail */
	if (ike_heap_reserve(&ctx->timers, ctx->n_sas + 1) < 0)
		return -ENOMEM;
	sa = calloc(1, sizeof(*sa));
	if (sa == NULL)
		return -ENOMEM;
	sa->ctx = ctx;
	sa->conn = conn;
	conn->refs++;
	sa->id = ++ctx->next_sa_id;
	sa->initiator = initiator;
	sa->state = IKE_ST_IDLE;
	sa->peer_window = 1;
	sa->created_ms = ctx->now_ms;
	sa->last_rx_ms = ctx->now_ms;
	ike_frag_init(&sa->frx);
	sa->next = ctx->sas;
	if (ctx->sas != NULL)
		ctx->sas->prev = sa;
	ctx->sas = sa;
	ctx->n_sas++;
	ike_htab_add(&ctx->by_id, &sa->h_id, sa->id);
	ike_sa_touch(sa);
	*out = sa;
	return 0;
}

/* FNV-1a; the tables mix again under their random seed. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

uint64_t
ike_peer_id_key(const struct ike_conn *conn, const struct ike_id *id)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, &conn, sizeof(conn));
	size_t len = id->len < sizeof(id->data) ? id->len : sizeof(id->data);

	h = fnv(h, &id->type, sizeof(id->type));
	return fnv(h, id->data, len);
}

uint64_t
ike_peer_addr_key(const struct ike_conn *conn, const struct sockaddr_storage *ss)
{
	uint64_t h = fnv(0xcbf29ce484222325ULL, &conn, sizeof(conn));

	h = fnv(h, &ss->ss_family, sizeof(ss->ss_family));
	if (ss->ss_family == AF_INET)
		h = fnv(h, &((const struct sockaddr_in *)(const void *)ss)->sin_addr, 4);
	else if (ss->ss_family == AF_INET6)
		h = fnv(h, &((const struct sockaddr_in6 *)(const void *)ss)->sin6_addr, 16);
	return h;
}

/* Established: findable by peer identity (INITIAL_CONTACT) and address. */
void
ike_sa_hash_peer(struct ike_sa *sa)
{
	ike_htab_add(&sa->ctx->by_peer_id, &sa->h_peer_id,
		     ike_peer_id_key(sa->conn, &sa->remote_id));
	ike_htab_add(&sa->ctx->by_peer_addr, &sa->h_peer_addr,
		     ike_peer_addr_key(sa->conn, &sa->remote));
}

void
ike_sa_hash_local(struct ike_sa *sa)
{
	ike_htab_add(&sa->ctx->by_spi, &sa->h_spi, ike_sa_local_spi(sa));
}

void
ike_sa_hash_init(struct ike_sa *sa)
{
	ike_htab_add(&sa->ctx->by_init, &sa->h_init, sa->spi_i);
}

void
ike_sa_unhash_init(struct ike_sa *sa)
{
	ike_htab_del(&sa->ctx->by_init, &sa->h_init);
}

/*
 * The lookups below hand an SA to an exchange that may change its
 * deadlines: each marks what it returns (ike_sa_touch), and the entry point
 * recomputes the marked SAs when it ends.
 */
struct ike_sa *
ike_sa_by_spi(struct ike_ctx *ctx, uint64_t local_spi)
{
	struct ike_hnode *n;

	for (n = ike_htab_find(&ctx->by_spi, local_spi); n != NULL;
	     n = ike_htab_next(n, local_spi)) {
		struct ike_sa *sa = IKE_CONTAINER(n, struct ike_sa, h_spi);

		if (sa->state != IKE_ST_DEAD) {
			ike_sa_touch(sa);
			return sa;
		}
	}
	return NULL;
}

bool
ike_spi_known(struct ike_ctx *ctx, const uint8_t *buf, size_t len)
{
	struct ike_hnode *n;
	uint64_t spi;

	if (len < IKE_HDR_LEN)
		return false;
	memcpy(&spi, buf + ((buf[19] & IKE_FLAG_I) ? 8 : 0), sizeof(spi));
	spi = be64toh(spi);
	if (spi == 0)
		return false;
	for (n = ike_htab_find(&ctx->by_spi, spi); n != NULL; n = ike_htab_next(n, spi))
		if (IKE_CONTAINER(n, struct ike_sa, h_spi)->state != IKE_ST_DEAD)
			return true;
	return false;
}

struct ike_sa *
ike_sa_by_init(struct ike_ctx *ctx, uint64_t spi_i, const struct sockaddr_storage *remote)
{
	struct ike_hnode *n;

	for (n = ike_htab_find(&ctx->by_init, spi_i); n != NULL; n = ike_htab_next(n, spi_i)) {
		struct ike_sa *sa = IKE_CONTAINER(n, struct ike_sa, h_init);

		if (sa->state != IKE_ST_DEAD && ike_addr_eq(&sa->remote, remote, true)) {
			ike_sa_touch(sa);
			return sa;
		}
	}
	return NULL;
}

struct ike_sa *
ike_sa_by_id_any(struct ike_ctx *ctx, uint64_t id)
{
	struct ike_hnode *n = id != 0 ? ike_htab_find(&ctx->by_id, id) : NULL;
	struct ike_sa *sa = n != NULL ? IKE_CONTAINER(n, struct ike_sa, h_id) : NULL;

	if (sa != NULL)
		ike_sa_touch(sa);
	return sa;
}

struct ike_sa *
ike_sa_by_id(struct ike_ctx *ctx, uint64_t id)
{
	struct ike_sa *sa = ike_sa_by_id_any(ctx, id);

	return sa != NULL && sa->state != IKE_ST_DEAD ? sa : NULL;
}

void
ike_event_ike(struct ike_sa *sa, uint8_t type, const char *why)
{
	struct ike_event ev = { .type = type, .ike_sa_id = sa->id, .conn = sa->conn->cfg.name,
				.remote = &sa->remote, .reason = why,
				.successor_id = sa->successor_id };

	if (sa->ctx->ops.event != NULL)
		sa->ctx->ops.event(sa->ctx->user, &ev);
}

void
ike_sa_kill(struct ike_sa *sa, const char *why)
{
	struct ike_ctx *ctx = sa->ctx;
	struct ike_child *c;

	if (sa->state == IKE_ST_DEAD)
		return;
	SA_LOG(sa, INFO, "IKE SA removed: %s", why);
	for (c = sa->children; c != NULL; c = c->next) {
		ike_child_down(c);
		ike_child_set_state(c, IKE_CHILD_DEAD);
	}
	ike_sa_set_state(sa, IKE_ST_DEAD);
	if (sa->established_ms != 0) {
		ctx->st.ike_down++;
		ike_event_ike(sa, IKE_EV_IKE_DOWN, why);
	}
	if (sa->lease != NULL) {
		ike_lease_put(sa->lease);
		sa->lease = NULL;
	}
}

void
ike_child_pend_free(struct ike_child_pend *p)
{
	if (p == NULL)
		return;
	ike_dh_destroy(p->dh);
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
}

void
ike_pkts_free(struct ike_pkts *p)
{
	unsigned i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].buf);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

void
ike_req_release(struct ike_req *r)
{
	ike_pkts_free(&r->out);
	ike_child_pend_free(r->pend);
	memset(r, 0, sizeof(*r));
}

void
ike_sa_free(struct ike_sa *sa)
{
	struct ike_ctx *ctx = sa->ctx;
	unsigned i;

	sa->state = IKE_ST_DEAD;	/* no more touches: it is not on ctx->dirty */
	ike_htab_del(&ctx->by_spi, &sa->h_spi);
	ike_sa_unhash_init(sa);
	ike_htab_del(&ctx->by_id, &sa->h_id);
	ike_htab_del(&ctx->by_peer_id, &sa->h_peer_id);
	ike_htab_del(&ctx->by_peer_addr, &sa->h_peer_addr);
	ike_heap_del(&ctx->timers, &sa->tmr);
	if (sa->prev != NULL)
		sa->prev->next = sa->next;
	else
		ctx->sas = sa->next;
	if (sa->next != NULL)
		sa->next->prev = sa->prev;
	ctx->n_sas--;
	ike_sa_clear_half_open(sa);
	while (sa->children != NULL)
		ike_child_free(sa->children);
	for (i = 0; i < IKE_WINDOW_MAX; i++) {
		ike_req_release(&sa->reqs[i]);
		ike_pkts_free(&sa->resps[i].out);
	}
	ike_frag_fini(&sa->frx);
	ike_sa_frag_account(sa);
	ike_dh_destroy(sa->dh);
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->cookie);
	free(sa->coll_nonce);
	free(sa->chosen);
	if (sa->susp_inner != NULL) {
		OPENSSL_cleanse(sa->susp_inner, sa->susp_len);
		free(sa->susp_inner);
	}
	if (sa->lease != NULL)
		ike_lease_put(sa->lease);
	ike_eap_free(sa);
	ike_sa_keys_wipe(&sa->keys);
	ike_conn_put(sa->conn);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

/*
 * End of every entry point: recompute the deadlines of the SAs it touched,
 * then free the SAs it killed. O(touched + dead), never a walk of all SAs;
 * SAs refer to each other by id (coll_sa_id), so no pointer needs clearing.
 */
void
ike_sa_reap(struct ike_ctx *ctx)
{
	struct ike_sa *sa;

	ike_sched_flush(ctx);
	while ((sa = ctx->dead) != NULL) {
		ctx->dead = sa->dead_next;
		ike_sa_free(sa);
	}
}

/*
 * Move the children and the lease of @from to @to (IKE rekey, RFC 7296 2.18;
 * collisions, 2.8.2). A child exchange still in flight on @from dies with it
 * and is redone on @to.
 */
void
ike_sa_adopt(struct ike_sa *to, struct ike_sa *from)
{
	struct ike_child *c;
	uint64_t now = to->ctx->now_ms;

	ike_sa_touch(to);
	ike_sa_touch(from);
	from->successor_id = to->id;
	while ((c = from->children) != NULL) {
		from->children = c->next;
		from->n_children--;
		c->sa = to;
		if (c->state == IKE_CHILD_REKEYING) {
			ike_child_set_state(c, IKE_CHILD_INSTALLED);
			c->rekey_ms = now + 1000;
		} else if (c->state == IKE_CHILD_DELETING) {
			ike_child_set_state(c, IKE_CHILD_INSTALLED);
			c->delete_ms = now ? now : 1;
		}
		c->next = to->children;
		to->children = c;
		to->n_children++;
	}
	if (to->lease == NULL) {
		to->lease = from->lease;	/* the lease survives the rekey */
		from->lease = NULL;
	}
	if (to->vip_af == 0 && from->vip_af != 0) {	/* so does an assigned address */
		to->vip_af = from->vip_af;
		memcpy(to->vip, from->vip, sizeof(to->vip));
	}
}

/* ---- child SAs ---- */

struct ike_child *
ike_child_new(struct ike_sa *sa)
{
	struct ike_child *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->sa = sa;
	c->id = ++sa->ctx->next_child_id;
	c->next = sa->children;
	sa->children = c;
	sa->n_children++;
	sa->ctx->n_children++;
	ike_htab_add(&sa->ctx->child_ids, &c->h_id, c->id);
	ike_sa_touch(sa);
	return c;
}

struct ike_child *
ike_child_by_id(struct ike_ctx *ctx, uint64_t id)
{
	struct ike_hnode *n = ike_htab_find(&ctx->child_ids, id);
	struct ike_child *c = n != NULL ? IKE_CONTAINER(n, struct ike_child, h_id) : NULL;

	if (c == NULL || c->state == IKE_CHILD_DEAD || c->sa->state == IKE_ST_DEAD)
		return NULL;
	ike_sa_touch(c->sa);
	return c;
}

struct ike_child *
ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi)
{
	struct ike_child *c;

	for (c = sa->children; c != NULL; c = c->next)
		if (c->spi_in == spi && c->state != IKE_CHILD_DEAD)
			return c;
	return NULL;
}

struct ike_child *
ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi)
{
	struct ike_child *c;

	for (c = sa->children; c != NULL; c = c->next)
		if (c->spi_out == spi && c->state != IKE_CHILD_DEAD)
			return c;
	return NULL;
}

/*
 * The lifetimes policy: IKE's configured child lifetime is the soft limit
 * (rekey); the datapath's hard limit leaves 10 % more (at least @min) for the
 * rekey to complete. 0 stays 0 (no limit).
 */
static uint64_t
hard_limit(uint64_t soft, uint64_t min)
{
	if (soft == 0)
		return 0;
	return soft + (soft / 10 > min ? soft / 10 : min);
}

static void
child_fill(const struct ike_child *c, struct ike_child_sa *o, bool keys)
{
	const struct ike_sa *sa = c->sa;
	const struct ike_child_keys *k = &c->keys;

	memset(o, 0, sizeof(*o));
	o->id = c->id;
	o->rekey_of = c->rekey_of;
	o->initiator = c->initiator;
	o->ike_sa_id = sa->id;
	snprintf(o->conn, sizeof(o->conn), "%s", sa->conn->cfg.name);
	o->spi_in = c->spi_in;
	o->spi_out = c->spi_out;
	o->enc = c->algs.encr;
	o->enc_key_len = (uint16_t)(c->algs.encr_bits / 8);
	o->integ = c->algs.integ;
	o->integ_key_len = k->integ_key_len;
	o->esn = c->algs.esn;
	if (keys) {
		/* RFC 7296 2.17: "i" keys protect traffic from the initiator of the
		 * exchange that created the child (IKE_AUTH or CREATE_CHILD_SA), not
		 * from the original initiator of the IKE SA */
		const uint8_t *ei = k->encr_i, *er = k->encr_r, *ai = k->integ_i, *ar = k->integ_r;
		bool we_i = c->initiator;

		memcpy(o->key_out, we_i ? ei : er, k->encr_key_len);
		memcpy(o->key_in, we_i ? er : ei, k->encr_key_len);
		memcpy(o->integ_out, we_i ? ai : ar, k->integ_key_len);
		memcpy(o->integ_in, we_i ? ar : ai, k->integ_key_len);
	}
	o->local = sa->local;
	o->remote = sa->remote;
	o->natt = sa->nat_local || sa->nat_remote;
	memcpy(o->local_ts, c->ts_l, sizeof(c->ts_l));
	o->n_local_ts = c->n_ts_l;
	memcpy(o->remote_ts, c->ts_r, sizeof(c->ts_r));
	o->n_remote_ts = c->n_ts_r;
	o->life_bytes = sa->conn->cfg.child_life_bytes;
	o->life_packets = sa->conn->cfg.child_life_packets;
	o->hard_bytes = hard_limit(o->life_bytes, 65536);
	o->hard_packets = hard_limit(o->life_packets, 64);
	o->replay_window = sa->conn->cfg.replay_window;
	o->remote_id = sa->remote_id;
}

void
ike_child_up(struct ike_child *c)
{
	struct ike_sa *sa = c->sa;
	struct ike_child_sa o;
	struct ike_event ev = { .type = IKE_EV_CHILD_UP, .ike_sa_id = sa->id, .child = &o };

	child_fill(c, &o, true);
	c->installed = true;
	c->established_ms = sa->ctx->now_ms ? sa->ctx->now_ms : 1;
	if (sa->conn->cfg.child_lifetime_s != 0) {
		uint64_t life = (uint64_t)sa->conn->cfg.child_lifetime_s * 1000;

		/* the side that created the child rekeys first; the other waits 10%
		 * longer, so both rarely start a rekey at once (2.8.1 still copes) */
		c->rekey_ms = sa->ctx->now_ms + (c->initiator ? life : life + life / 10);
	}
	sa->ctx->st.child_up++;
	if (!sa->child_seen) {
		sa->child_seen = true;
		ev.first_child = true;
		ev.setup_ms = sa->ctx->now_ms - sa->created_ms;
	}
	SA_LOG(sa, INFO, "child %" PRIu64 " up: spi in %08x out %08x enc %u/%u integ %u%s%s",
	       c->id, c->spi_in, c->spi_out, o.enc, o.enc_key_len * 8, o.integ,
	       o.esn ? " esn" : "", o.natt ? " udp-encap" : "");
	if (sa->ctx->ops.event != NULL)
		sa->ctx->ops.event(sa->ctx->user, &ev);
	OPENSSL_cleanse(&o, sizeof(o));
}

void
ike_child_down(struct ike_child *c)
{
	struct ike_sa *sa = c->sa;
	struct ike_child_sa o;
	struct ike_event ev = { .type = IKE_EV_CHILD_DOWN, .ike_sa_id = sa->id, .child = &o };

	if (!c->installed)
		return;
	c->installed = false;
	child_fill(c, &o, false);
	sa->ctx->st.child_down++;
	SA_LOG(sa, INFO, "child %" PRIu64 " down: spi in %08x out %08x", c->id, c->spi_in,
	       c->spi_out);
	if (sa->ctx->ops.event != NULL)
		sa->ctx->ops.event(sa->ctx->user, &ev);
}

/* The SA's endpoints changed: IKE_EV_PEER_MOVED for every installed child. */
void
ike_sa_moved_notify(struct ike_sa *sa)
{
	struct ike_child_sa o;
	struct ike_event ev = { .type = IKE_EV_PEER_MOVED, .ike_sa_id = sa->id, .child = &o };
	struct ike_child *c;

	for (c = sa->children; c != NULL; c = c->next) {
		if (!c->installed || c->state == IKE_CHILD_DEAD)
			continue;
		child_fill(c, &o, false);
		if (sa->ctx->ops.event != NULL)
			sa->ctx->ops.event(sa->ctx->user, &ev);
	}
}

void
ike_child_free(struct ike_child *c)
{
	struct ike_sa *sa = c->sa;
	struct ike_child **pp;

	for (pp = &sa->children; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			sa->n_children--;
			break;
		}
	}
	sa->ctx->n_children--;
	ike_htab_del(&sa->ctx->child_ids, &c->h_id);
	ike_sa_touch(sa);
	ike_child_down(c);
	ike_child_keys_wipe(&c->keys);
	free(c->nonce_min);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

/* ---- Message-ID windows (RFC 7296 2.3) ---- */

static unsigned
our_window(const struct ike_sa *sa)
{
	unsigned w = sa->ctx->window_size;

	if (w < 1)
		w = 1;
	return w > IKE_WINDOW_MAX ? IKE_WINDOW_MAX : w;
}

static unsigned
peer_window(const struct ike_sa *sa)
{
	unsigned w = sa->peer_window;

	if (w < 1)
		w = 1;
	return w > IKE_WINDOW_MAX ? IKE_WINDOW_MAX : w;
}

bool
ike_req_can_send(const struct ike_sa *sa)
{
	uint32_t oldest = sa->req_next;
	unsigned i;

	for (i = 0; i < IKE_WINDOW_MAX; i++)
		if (sa->reqs[i].used && sa->reqs[i].msgid < oldest)
			oldest = sa->reqs[i].msgid;
	/* RFC 7296 2.3: at most window requests beyond the oldest unanswered */
	return sa->req_next - oldest < peer_window(sa);
}

bool
ike_req_pending_kind(const struct ike_sa *sa, uint8_t kind)
{
	unsigned i;

	for (i = 0; i < IKE_WINDOW_MAX; i++)
		if (sa->reqs[i].used && sa->reqs[i].kind == kind)
			return true;
	return false;
}

struct ike_req *
ike_req_alloc(struct ike_sa *sa, uint8_t kind)
{
	unsigned i;

	if (!ike_req_can_send(sa))
		return NULL;
	for (i = 0; i < IKE_WINDOW_MAX; i++) {
		struct ike_req *r = &sa->reqs[i];

		if (!r->used) {
			memset(r, 0, sizeof(*r));
			r->used = true;
			r->kind = kind;
			r->msgid = sa->req_next++;
			return r;
		}
	}
	return NULL;
}

struct ike_req *
ike_req_find(struct ike_sa *sa, uint32_t msgid)
{
	unsigned i;

	for (i = 0; i < IKE_WINDOW_MAX; i++)
		if (sa->reqs[i].used && sa->reqs[i].msgid == msgid)
			return &sa->reqs[i];
	return NULL;
}

void
ike_req_sent(struct ike_sa *sa, struct ike_req *r, uint64_t now_ms)
{
	r->tries = 0;
	r->next_ms = now_ms + sa->ctx->retransmit_base_ms;
	ike_sa_touch(sa);
	ike_send_pkts(sa, &r->out);
}

static void
req_hash(const struct ike_msg *m, uint8_t out[IKE_REQ_HASH_LEN])
{
	unsigned int olen = 0;

	if (EVP_Digest(m->raw, m->raw_len, out, &olen, EVP_sha256(), NULL) != 1)
		memset(out, 0, IKE_REQ_HASH_LEN);	/* matches nothing real */
}

void
ike_req_hash_note(struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_resp *c = &sa->resps[m->hdr.msg_id % IKE_WINDOW_MAX];

	req_hash(m, c->req_hash);
	c->hash_msgid = m->hdr.msg_id;
	c->hash_set = true;
}

/* Does @m's ICV verify under the peer's keys? (SK, or SKF when negotiated) */
static bool
is_authentic(const struct ike_sa *sa, const struct ike_msg *m)
{
	uint8_t *plain;
	size_t plain_len = 0;
	int rc;

	if (!m->sk.present || !sa->have_keys || (m->sk.frag && !sa->frag))
		return false;
	plain = malloc(m->raw_len + 1);
	if (plain == NULL)
		return false;
	rc = ike_sk_open(ike_sa_keys_in(sa), m->raw, m->raw_len, m->sk.body_off, plain,
			 m->raw_len + 1, &plain_len);
	OPENSSL_cleanse(plain, m->raw_len + 1);
	free(plain);
	return rc == 0;
}

/*
 * Answer a retransmitted request from the cache (RFC 7296 2.1). Anyone can
 * send a datagram with the right SPIs and an old Message ID, and the answer
 * goes to the peer: without checks that is an unauthenticated amplifier.
 * So the datagram must be the original request (same SHA-256; a fragmented
 * request is answered on its fragment 1, RFC 7383 2.6.1, whose hash we keep),
 * or, failing that, verify under the peer's keys (a peer that re-encrypts a
 * retransmission or re-fragments it for PMTU, RFC 7383 2.5.2). Only then
 * does it use the per-SA budget of IKE_RESEND_PER_S resends a second, so
 * forged datagrams cannot use up the budget of the real retransmissions.
 */
static void
resend(struct ike_sa *sa, struct ike_resp *c, const struct ike_msg *m)
{
	struct ike_ctx *ctx = sa->ctx;
	uint8_t h[IKE_REQ_HASH_LEN];
	bool same;

	req_hash(m, h);
	same = c->hash_set && c->hash_msgid == c->msgid &&
	       CRYPTO_memcmp(h, c->req_hash, sizeof(h)) == 0;
	if (!same && !is_authentic(sa, m)) {
		ctx->st.resend_refused++;
		SA_LOG(sa, DEBUG, "request %u again, but not the request we answered: "
		       "no resend", c->msgid);
		return;
	}
	if (sa->resend_win_ms == 0 || ctx->now_ms - sa->resend_win_ms >= 1000) {
		sa->resend_win_ms = ctx->now_ms ? ctx->now_ms : 1;
		sa->resend_n = 0;
	}
	if (sa->resend_n >= IKE_RESEND_PER_S) {
		ctx->st.resend_limited++;
		SA_LOG(sa, DEBUG, "request %u again: %u resends this second, no resend",
		       c->msgid, sa->resend_n);
		return;
	}
	sa->resend_n++;
	SA_LOG(sa, DEBUG, "request %u again: cached response resent", c->msgid);
	ctx->st.retransmits++;
	ike_send_pkts(sa, &c->out);
}

int
ike_resp_check(struct ike_sa *sa, const struct ike_msg *m)
{
	uint32_t msgid = m->hdr.msg_id;
	unsigned w = our_window(sa);
	struct ike_resp *c = &sa->resps[msgid % IKE_WINDOW_MAX];
	uint32_t off;

	if (msgid < sa->resp_low) {
		if (c->used && c->msgid == msgid) {
			resend(sa, c, m);
			return 0;
		}
		SA_LOG(sa, DEBUG, "request %u: older than window (next %u), dropped", msgid,
		       sa->resp_low);
		return -EALREADY;
	}
	off = msgid - sa->resp_low;
	if (off >= w) {
		SA_LOG(sa, DEBUG, "request %u: beyond window %u..%u, dropped", msgid,
		       sa->resp_low, sa->resp_low + w - 1);
		return -ERANGE;
	}
	if (sa->resp_done & (1u << off)) {
		if (c->used && c->msgid == msgid)
			resend(sa, c, m);
		return 0;
	}
	return 1;
}

void
ike_resp_store(struct ike_sa *sa, uint32_t msgid, struct ike_pkts *out)
{
	struct ike_resp *c = &sa->resps[msgid % IKE_WINDOW_MAX];
	uint32_t off;

	ike_pkts_free(&c->out);
	c->used = true;
	c->msgid = msgid;
	c->out = *out;
	out->v = NULL;
	out->n = 0;
	if (msgid < sa->resp_low)
		return;
	off = msgid - sa->resp_low;
	if (off >= 32)
		return;
	sa->resp_done |= 1u << off;
	while (sa->resp_done & 1u) {
		sa->resp_done >>= 1;
		sa->resp_low++;
	}
}
