/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The child-SA manager (sa_mgr.h): records, inbound SPIs, worker messages
 * and their backlog, rekey switch, linger and delete acks. Control core.
 * Never touches an SA after handing it to a worker until it comes back
 * (SA_EV_DEL_ACK), except for reading its counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_log.h>

#include "sa_mgr.h"
#include "sa/sa_sel.h"

extern int rd_logtype;
#define SM_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, rd_logtype, "rampartd: " __VA_ARGS__)

static const char *const state_names[SA_CH__COUNT] = {
	[SA_CH_NONE] = "none",
	[SA_CH_STANDBY] = "standby",
	[SA_CH_ACTIVE] = "active",
	[SA_CH_REKEYING] = "rekeying",
	[SA_CH_LINGER] = "linger",
	[SA_CH_DELETING] = "deleting",
};

/*
 * The transitions a child may take, and nothing else (docs/samgr.md):
 *   none     -> standby (up, rekey we answered) | active (up)
 *   standby  -> active (switch) | rekeying (soft: the switch happens at once)
 *               | linger | deleting (down)
 *   active   -> rekeying (soft) | linger | deleting (down)
 *   rekeying -> linger | deleting (down)
 *   linger   -> deleting (grace period over: DEL_OUT, DEL_IN sent)
 *   deleting -> none (second ack: record freed, SPI released)
 */
static const uint8_t transitions[SA_CH__COUNT] = {
	[SA_CH_NONE] = 1u << SA_CH_STANDBY | 1u << SA_CH_ACTIVE,
	[SA_CH_STANDBY] = 1u << SA_CH_ACTIVE | 1u << SA_CH_REKEYING | 1u << SA_CH_LINGER |
			  1u << SA_CH_DELETING,
	[SA_CH_ACTIVE] = 1u << SA_CH_REKEYING | 1u << SA_CH_LINGER | 1u << SA_CH_DELETING,
	[SA_CH_REKEYING] = 1u << SA_CH_LINGER | 1u << SA_CH_DELETING,
	[SA_CH_LINGER] = 1u << SA_CH_DELETING,
	[SA_CH_DELETING] = 1u << SA_CH_NONE,
};

const char *
sa_child_state_name(unsigned state)
{
	return state < SA_CH__COUNT ? state_names[state] : "?";
}

bool
sa_child_transition_ok(unsigned from, unsigned to)
{
	return from < SA_CH__COUNT && to < SA_CH__COUNT && (transitions[from] >> to & 1u) != 0;
}

/* The live count of @ch's connection goes up or down by one. */
static void
live_adjust(struct sa_mgr *m, const struct sa_child *ch, bool up)
{
	struct sa_mgr_conn_live *free_slot = NULL;
	unsigned i;

	if (up)
		m->n_live++;
	else
		m->n_live--;
	for (i = 0; i < SA_MGR_CONN_SLOTS; i++) {
		struct sa_mgr_conn_live *s = &m->conn_live[i];

		if (s->live == 0) {
			if (free_slot == NULL)
				free_slot = s;
			continue;
		}
		if (strcmp(s->name, ch->conn) == 0) {
			if (up)
				s->live++;
			else if (--s->live == 0)
				s->name[0] = '\0';
			return;
		}
	}
	if (up && free_slot != NULL) {		/* else: in n_live only */
		snprintf(free_slot->name, sizeof(free_slot->name), "%s", ch->conn);
		free_slot->live = 1;
	}
}

unsigned
sa_mgr_conn_live(const struct sa_mgr *m, const char *name)
{
	unsigned i;

	for (i = 0; i < SA_MGR_CONN_SLOTS; i++)
		if (m->conn_live[i].live != 0 && strcmp(m->conn_live[i].name, name) == 0)
			return m->conn_live[i].live;
	return 0;
}

/* Every state change goes through here; a change outside the table is a bug:
 * logged and refused. Keeps the live counts. */
static bool
set_state(struct sa_mgr *m, struct sa_child *ch, unsigned to)
{
	bool was_live = sa_child_is_live(ch);

	if (!sa_child_transition_ok(ch->state, to)) {
		SM_LOG(ERR, "child %" PRIu64 ": no transition %s -> %s\n", ch->id,
		       sa_child_state_name(ch->state), sa_child_state_name(to));
		return false;
	}
	SM_LOG(DEBUG, "child %" PRIu64 ": %s -> %s\n", ch->id, sa_child_state_name(ch->state),
	       sa_child_state_name(to));
	ch->state = (uint8_t)to;
	if (sa_child_is_live(ch) != was_live)
		live_adjust(m, ch, !was_live);
	return true;
}

/* ---- control -> worker messages ---- */

/* @msg to the owner of @ch twice: as @op_out for its outbound SPI, then as
 * @op_in for its inbound one. */
static void
send_out_in(struct sa_mgr *m, const struct sa_child *ch, struct sa_msg *msg, uint16_t op_out,
	    uint16_t op_in)
{
	msg->op = op_out;
	msg->spi = ch->spi_out;
	sa_mgr_send(m, ch->owner, msg);
	msg->op = op_in;
	msg->spi = ch->spi_in;
	sa_mgr_send(m, ch->owner, msg);
}

static bool
ring_blocked(const struct sa_mgr *m)
{
	return m->cfg.ops.ring_blocked != NULL && m->cfg.ops.ring_blocked(m->cfg.user);
}

int
sa_mgr_send(struct sa_mgr *m, unsigned worker, const struct sa_msg *msg)
{
	struct sa_mgr_backlog *b = &m->backlog[worker];
	struct sa_msg copy = *msg;

	if (b->n == b->head && !ring_blocked(m) &&
	    rte_ring_sp_enqueue_elem(m->cfg.msg_ring[worker], &copy, sizeof(copy)) == 0)
		return 0;
	/* Ring full: keep order behind what is already waiting. Logged once
	 * per episode (here and when sa_mgr_flush() has emptied the backlog). */
	if (b->n == b->head) {
		b->n = b->head = 0;
		m->cfg.st->ring_full++;
		SM_LOG(WARNING, "worker %u message ring full: queueing messages\n", worker);
	}
	if (b->n == b->cap && b->head > 0 && b->head >= b->n / 2) {
		/* half or more already delivered: compact (amortised O(1)) */
		memmove(b->q, b->q + b->head, (b->n - b->head) * sizeof(*b->q));
		b->n -= b->head;
		b->head = 0;
	}
	if (b->n == b->cap) {
		unsigned cap = b->cap ? b->cap * 2 : 64;
		struct sa_msg *q = realloc(b->q, cap * sizeof(*q));

		if (q == NULL)
			return -ENOMEM;
		b->q = q;
		b->cap = cap;
	}
	b->q[b->n++] = *msg;
	m->cfg.st->msg_backlog++;
	return 0;
}

void
sa_mgr_flush(struct sa_mgr *m)
{
	unsigned w, k;

	for (w = 0; w < m->cfg.n_workers; w++) {
		struct sa_mgr_backlog *b = &m->backlog[w];

		if (b->n == b->head || ring_blocked(m))
			continue;
		/* no memmove per flush: a mass install queues 100 000s of messages */
		k = rte_ring_sp_enqueue_burst_elem(m->cfg.msg_ring[w], b->q + b->head,
						   sizeof(*b->q), b->n - b->head, NULL);
		b->head += k;
		if (b->head == b->n) {
			b->head = b->n = 0;
			SM_LOG(INFO, "worker %u message ring: backlog delivered\n", w);
		}
	}
}

uint64_t
sa_mgr_backlog_len(const struct sa_mgr *m)
{
	uint64_t n = 0;
	unsigned w;

	for (w = 0; w < SA_MAX_WORKERS; w++)
		n += m->backlog[w].n - m->backlog[w].head;
	return n;
}

/* ---- records and timers ---- */

struct sa_child *
sa_mgr_child_find(struct sa_mgr *m, uint64_t id)
{
	uint32_t i;

	if (!rd_idmap_get(&m->idx, id, &i) || i >= m->n_children)
		return NULL;
	return &m->children[i];
}

static void
timers_add(struct sa_mgr *m, struct sa_child *ch)
{
	if (ch->timer_pos != 0 || m->n_timers >= m->cfg.max_children)
		return;
	m->timers[m->n_timers++] = ch->id;
	ch->timer_pos = m->n_timers;
}

/* Drop timers[@i]; the last entry moves into its place. */
static void
timers_remove_at(struct sa_mgr *m, uint32_t i)
{
	struct sa_child *moved;

	m->timers[i] = m->timers[--m->n_timers];
	if (i < m->n_timers && (moved = sa_mgr_child_find(m, m->timers[i])) != NULL)
		moved->timer_pos = i + 1;
}

static void
timers_remove(struct sa_mgr *m, struct sa_child *ch)
{
	uint32_t k = ch->timer_pos;

	if (k == 0)
		return;
	ch->timer_pos = 0;
	timers_remove_at(m, k - 1);
}

/* ---- SPIs ---- */

/*
 * Inbound SPI = owner worker (top bits, round robin) | CSPRNG bits below it,
 * the direct index among them taken only while free on that worker
 * (lib/sa/sa_spi.h): every installed inbound SA keeps its own direct-index
 * slot, and no SPI says anything about another.
 */
uint32_t
sa_mgr_spi_alloc(struct sa_mgr *m, uint64_t now_ms)
{
	unsigned w = m->spi_rr++ % m->cfg.n_workers;
	uint32_t spi;
	int rc;

	rc = sa_spi_alloc(m->spi_alloc, w, now_ms, &spi);
	if (rc != 0) {
		SM_LOG(ERR, "inbound SPI for worker %u: %s\n", w, strerror(-rc));
		return 0;
	}
	return spi;
}

void
sa_mgr_spi_release(struct sa_mgr *m, uint32_t spi_in)
{
	sa_spi_release(m->spi_alloc, spi_in);
}

unsigned
sa_mgr_owner(const struct sa_mgr *m, uint32_t spi_in)
{
	unsigned owner = sa_spi_worker(spi_in);

	return owner < m->cfg.n_workers ? owner : 0;
}

int
sa_mgr_can_add(const struct sa_mgr *m, uint64_t id)
{
	uint32_t i;

	if (m->n_children >= m->cfg.max_children)
		return -ENOSPC;
	if (id == 0 || rd_idmap_get(&m->idx, id, &i))
		return -EEXIST;
	return 0;
}

/*
 * The peer picks the SPI we send on (RFC 7296 3.3.1), so two peers may pick
 * the same one (with 100 000 random SPIs that happens about once). The owner
 * worker keys outbound SAs and their routes by {SPI, owner} (lib/sa/sa_spd),
 * so a second child with a held outbound SPI would route its traffic onto
 * the first child's SA, to the first peer. out_idx holds the key of every
 * record until its delete acks are in.
 */
static uint64_t
out_key(unsigned owner, uint32_t spi_out)
{
	return 1ull << 63 | (uint64_t)owner << 32 | spi_out;
}

/* ---- life cycle ---- */

/* ROUTE_ADD of @ch's prefixes to every worker; @flags: SA_ROUTE_STANDBY or 0. */
static void
routes_send(struct sa_mgr *m, const struct sa_child *ch, uint16_t flags)
{
	struct sa_msg msg;
	unsigned w, i;

	memset(&msg, 0, sizeof(msg));
	msg.op = SA_MSG_ROUTE_ADD;
	msg.spi = ch->spi_out;
	msg.route.owner = ch->owner;
	msg.route.flags = flags;
	msg.route.spi_in = ch->spi_in;
	for (w = 0; w < m->cfg.n_workers; w++)
		for (i = 0; i < ch->n_routes; i++) {
			msg.route.prefix = ch->routes[i];
			sa_mgr_send(m, w, &msg);
		}
	if (ch->sel == NULL || ch->n_routes == 0)
		return;
	/* after the routes: they create the target on the workers without the SA */
	memset(&msg, 0, sizeof(msg));
	msg.op = SA_MSG_SEL_SET;
	msg.spi = ch->spi_out;
	msg.sel.owner = ch->owner;
	msg.sel.sel = *ch->sel;
	for (w = 0; w < m->cfg.n_workers; w++)
		sa_mgr_send(m, w, &msg);
}

/*
 * Children in standby are listed on the record of the child they replace
 * (standby_head, then standby_next): a child in standby exists only while
 * the one it replaces is live (its down switches them all first), so the
 * list is always reachable, and is usually one or two long.
 */
static void
standby_link(struct sa_child *ch, struct sa_child *old)
{
	ch->standby_next = old->standby_head;
	old->standby_head = ch->id;
}

static void
standby_unlink(struct sa_mgr *m, struct sa_child *ch)
{
	struct sa_child *old = ch->rekey_of ? sa_mgr_child_find(m, ch->rekey_of) : NULL;
	uint64_t *pp = old != NULL ? &old->standby_head : NULL;

	while (pp != NULL && *pp != 0) {
		struct sa_child *o;

		if (*pp == ch->id) {
			*pp = ch->standby_next;
			break;
		}
		o = sa_mgr_child_find(m, *pp);
		pp = o != NULL ? &o->standby_next : NULL;
	}
	ch->standby_next = 0;
}

/* The deferred switch of a rekey we answered: outbound moves to @ch. */
static void
child_switch(struct sa_mgr *m, struct sa_child *ch, unsigned to)
{
	if (ch->state != SA_CH_STANDBY || !set_state(m, ch, to))
		return;
	standby_unlink(m, ch);
	routes_send(m, ch, 0);
	SM_LOG(DEBUG, "child %" PRIu64 ": outbound switched from child %" PRIu64 "\n", ch->id,
	       ch->rekey_of);
}

int
sa_mgr_child_up(struct sa_mgr *m, const struct sa_child_cfg *c, uint64_t now_ms,
		struct sa_child **out)
{
	struct sa_child *ch, *old;
	struct sa_route *routes = NULL;
	unsigned owner = sa_mgr_owner(m, c->spi_in);
	struct sa_msg msg;
	int rc;
	uint32_t held;

	if (out != NULL)
		*out = NULL;
	rc = sa_mgr_can_add(m, c->id);
	if (rc != 0)
		return rc;
	if (rd_idmap_get(&m->out_idx, out_key(owner, c->spi_out), &held))
		return -EADDRINUSE;
	if (c->sa_in == NULL || c->sa_out == NULL || c->n_routes > SA_MGR_MAX_ROUTES)
		return -EINVAL;
	if (c->n_routes > 0) {
		/* the selectors, when they restrict ports, live behind the routes */
		bool sel = sa_sel_active(&c->sel);

		routes = malloc(c->n_routes * sizeof(*routes) + (sel ? sizeof(c->sel) : 0));
		if (routes == NULL)
			return -ENOMEM;
		memcpy(routes, c->routes, c->n_routes * sizeof(*routes));
		if (sel)
			memcpy(routes + c->n_routes, &c->sel, sizeof(c->sel));
	}
	if (sa_spi_keep(m->spi_alloc, c->spi_in) != 0)
		SM_LOG(DEBUG, "child %" PRIu64 ": spi %08x shares its direct index\n", c->id,
		       c->spi_in);
	ch = &m->children[m->n_children];
	memset(ch, 0, sizeof(*ch));
	ch->id = c->id;
	ch->ike_sa_id = c->ike_sa_id;
	ch->rekey_of = c->rekey_of;
	snprintf(ch->conn, sizeof(ch->conn), "%s", c->conn != NULL ? c->conn : "");
	ch->spi_in = c->spi_in;
	ch->spi_out = c->spi_out;
	ch->owner = (uint16_t)owner;
	ch->enc = c->enc;
	ch->enc_key_len = c->enc_key_len;
	ch->integ = c->integ;
	ch->esn = c->esn;
	ch->natt = c->natt;
	ch->sa_in = c->sa_in;
	ch->sa_out = c->sa_out;
	ch->routes = routes;
	ch->n_routes = (uint16_t)c->n_routes;
	if (routes != NULL && sa_sel_active(&c->sel))
		ch->sel = (struct sa_sel *)(void *)(routes + c->n_routes);
	ch->established_ms = now_ms;
	ch->state = SA_CH_NONE;
	/* cannot fail: fewer than max_children records, id checked absent */
	(void)rd_idmap_add(&m->idx, ch->id, (uint32_t)(ch - m->children));
	(void)rd_idmap_add(&m->out_idx, out_key(ch->owner, ch->spi_out), 0);
	m->n_children++;

	memset(&msg, 0, sizeof(msg));
	msg.cookie = c->id;
	msg.op = SA_MSG_ADD_IN;
	msg.spi = c->spi_in;
	msg.add.sa = c->sa_in;
	sa_mgr_send(m, owner, &msg);
	msg.op = SA_MSG_ADD_OUT;
	msg.spi = c->spi_out;
	msg.add.sa = c->sa_out;
	msg.add.max_inner = c->max_inner;
	sa_mgr_send(m, owner, &msg);
	/* Every worker routes the prefixes; only the owner holds the SA, so
	 * cleartext that reaches another worker is handed off to the owner.
	 * Make-before-break: when we answer a rekey, the peer installs the new
	 * SA only once our response arrives, so packets sent on it at once could
	 * be dropped there. Until the new SA has received a packet (the peer
	 * uses it), the old child goes (the peer's Delete) or
	 * SA_MGR_SWITCH_WAIT_MS passed, the workers accept the new inbound SPI
	 * but keep sending on the old SA. A rekey we initiated switches at once:
	 * the peer installed the new SA before it answered. */
	old = c->rekey_of ? sa_mgr_child_find(m, c->rekey_of) : NULL;
	if (old != NULL)
		old->successors++;
	if (!c->initiator && old != NULL && sa_child_is_live(old)) {
		set_state(m, ch, SA_CH_STANDBY);
		standby_link(ch, old);
		ch->due_ms = now_ms + SA_MGR_SWITCH_WAIT_MS;
		timers_add(m, ch);
		routes_send(m, ch, SA_ROUTE_STANDBY);
	} else {
		set_state(m, ch, SA_CH_ACTIVE);
		routes_send(m, ch, 0);
	}
	m->cfg.st->child_up++;
	if (out != NULL)
		*out = ch;
	return 0;
}

/* DEL_OUT and DEL_IN to the owner; the record goes when both acks are in. */
static void
dels_send(struct sa_mgr *m, struct sa_child *ch)
{
	struct sa_msg msg;

	if (!set_state(m, ch, SA_CH_DELETING))
		return;
	memset(&msg, 0, sizeof(msg));
	msg.cookie = ch->id;
	send_out_in(m, ch, &msg, SA_MSG_DEL_OUT, SA_MSG_DEL_IN);
	ch->due_ms = 0;
	ch->acks_pending = 2;
}

/* Switch every child in standby that replaces @old. */
static void
switch_standby(struct sa_mgr *m, struct sa_child *old)
{
	while (old->standby_head != 0) {
		struct sa_child *o = sa_mgr_child_find(m, old->standby_head);

		if (o == NULL || o->state != SA_CH_STANDBY) {
			/* not reached: a child leaves standby only through
			 * child_switch or child_down, both unlink it */
			old->standby_head = o != NULL ? o->standby_next : 0;
			continue;
		}
		child_switch(m, o, SA_CH_ACTIVE);
	}
}

void
sa_mgr_child_down(struct sa_mgr *m, uint64_t id, uint64_t now_ms)
{
	struct sa_child *ch = sa_mgr_child_find(m, id), *old;
	struct sa_msg msg;
	bool replaced;
	unsigned w, i;

	if (ch == NULL || !sa_child_is_live(ch))
		return;
	old = ch->rekey_of ? sa_mgr_child_find(m, ch->rekey_of) : NULL;
	if (old != NULL && old->successors > 0)
		old->successors--;
	/* A successor still waiting for its switch takes over first, so the
	 * ROUTE_DELs below find the prefixes moved and leave them alone. So
	 * does a sibling (rekey collision: the other new child of the same old
	 * one) when this one goes as the redundant pair. Only children on the
	 * timer list can be in standby. */
	replaced = ch->successors > 0;
	if (ch->state == SA_CH_STANDBY)
		standby_unlink(m, ch);
	switch_standby(m, ch);
	if (old != NULL)
		switch_standby(m, old);
	if (m->cfg.ops.routes_release != NULL)
		m->cfg.ops.routes_release(m->cfg.user, ch->routes, ch->n_routes);
	memset(&msg, 0, sizeof(msg));
	msg.op = SA_MSG_ROUTE_DEL;
	msg.spi = ch->spi_out;
	for (w = 0; w < m->cfg.n_workers; w++)
		for (i = 0; i < ch->n_routes; i++) {
			msg.route.prefix = ch->routes[i];
			sa_mgr_send(m, w, &msg);
		}
	/* A replaced child's SAs stay linked a little longer: packets the peer
	 * sent on the old SA before it switched may still be on their way (and
	 * IKE's Delete travels the slower control path). Its routes are gone,
	 * so nothing new is sent on it. */
	if (replaced) {
		set_state(m, ch, SA_CH_LINGER);
		ch->due_ms = now_ms + SA_MGR_LINGER_MS;
		timers_add(m, ch);
	} else {
		dels_send(m, ch);
	}
	m->cfg.st->child_down++;
	SM_LOG(INFO, "child %" PRIu64 " (%s) down: spi in %08x out %08x%s\n", id, ch->conn,
	       ch->spi_in, ch->spi_out, replaced ? " (replaced, removed after a grace period)" : "");
}

void
sa_mgr_tick(struct sa_mgr *m, uint64_t now_ms)
{
	struct esp_sa_stats st;
	unsigned i;

	for (i = 0; i < m->n_timers;) {
		struct sa_child *ch = sa_mgr_child_find(m, m->timers[i]);

		if (ch == NULL || (ch->state != SA_CH_STANDBY && ch->state != SA_CH_LINGER)) {
			if (ch != NULL)
				ch->timer_pos = 0;
			timers_remove_at(m, i);
			continue;
		}
		i++;
		if (ch->state == SA_CH_STANDBY) {
			/* plain counter read, as list-sas does: torn reads only delay */
			st.packets = 0;
			if (ch->sa_in != NULL)
				esp_sa_stats_get(ch->sa_in, &st);
			if (st.packets > 0 || now_ms >= ch->due_ms)
				child_switch(m, ch, SA_CH_ACTIVE);
		} else if (now_ms >= ch->due_ms) {
			dels_send(m, ch);
		}
	}
}

static void
child_forget(struct sa_mgr *m, struct sa_child *ch)
{
	struct sa_child *last;

	if (!set_state(m, ch, SA_CH_NONE))
		return;
	sa_spi_release(m->spi_alloc, ch->spi_in);
	timers_remove(m, ch);
	(void)rd_idmap_del(&m->idx, ch->id);
	(void)rd_idmap_del(&m->out_idx, out_key(ch->owner, ch->spi_out));
	free(ch->routes);
	last = &m->children[--m->n_children];
	if (ch != last) {
		*ch = *last;
		(void)rd_idmap_set(&m->idx, ch->id, (uint32_t)(ch - m->children));
	}
	/* the freed slot keeps no copy of anything (debug keys included) */
	memset(last, 0, sizeof(*last));
}

static void
on_del_ack(struct sa_mgr *m, const struct sa_event *ev)
{
	struct sa_child *ch = sa_mgr_child_find(m, ev->cookie);

	m->cfg.st->del_acks++;
	if (ch != NULL) {
		if (ev->sa != NULL && ev->sa == ch->sa_in)
			ch->sa_in = NULL;
		if (ev->sa != NULL && ev->sa == ch->sa_out)
			ch->sa_out = NULL;
	}
	/* The worker no longer references the SA (it unlinked it before the
	 * ack, and acks are enqueued after the unlink): safe to wipe and free. */
	if (ev->sa != NULL)
		esp_sa_destroy(ev->sa);
	if (ch != NULL && ch->state == SA_CH_DELETING && ch->acks_pending > 0 &&
	    --ch->acks_pending == 0)
		child_forget(m, ch);
}

bool
sa_mgr_event(struct sa_mgr *m, const struct sa_event *ev, uint64_t now_ms)
{
	struct sa_child *ch;

	switch (ev->type) {
	case SA_EV_DEL_ACK:
		on_del_ack(m, ev);
		return true;
	case SA_EV_SOFT:
	case SA_EV_SEQ_NEAR_WRAP:
		/* Both directions may report: one rekey per child. A child in
		 * standby that reports is in use by the peer: switch first. */
		ch = sa_mgr_child_find(m, ev->user_id);
		if (ch == NULL || (ch->state != SA_CH_ACTIVE && ch->state != SA_CH_STANDBY))
			return true;
		if (ch->state == SA_CH_STANDBY)
			child_switch(m, ch, SA_CH_REKEYING);
		else
			set_state(m, ch, SA_CH_REKEYING);
		m->cfg.st->soft++;
		if (m->cfg.ops.rekey != NULL)
			m->cfg.ops.rekey(m->cfg.user, ev->user_id, now_ms);
		return true;
	case SA_EV_HARD:
	case SA_EV_SEQ_EXHAUSTED:
		m->cfg.st->hard++;
		if (m->cfg.ops.expire != NULL)
			m->cfg.ops.expire(m->cfg.user, ev->user_id, now_ms);
		return true;
	default:
		return false;
	}
}

/*
 * RFC 7296 2.23: the IKE SA of the child moved (NAT rebinding): its ESP SAs
 * follow at once, in place (SA_MSG_UPDATE_*: outer header only, sequence
 * numbers and window untouched), on the owner worker. An installed SA keeps
 * its encapsulation: plain ESP stays portless.
 */
int
sa_mgr_child_moved(struct sa_mgr *m, uint64_t id, const struct sa_peer *peer)
{
	struct sa_child *ch = sa_mgr_child_find(m, id);
	struct sa_msg msg;

	if (ch == NULL || !sa_child_is_live(ch))
		return -ENOENT;
	memset(&msg, 0, sizeof(msg));
	msg.peer = *peer;
	if (!ch->natt)
		msg.peer.local_port = msg.peer.peer_port = 0;
	send_out_in(m, ch, &msg, SA_MSG_UPDATE_OUT, SA_MSG_UPDATE_IN);
	m->cfg.st->peer_moved++;
	return 0;
}

/* ---- set-up and shutdown ---- */

int
sa_mgr_init(struct sa_mgr *m, const struct sa_mgr_cfg *cfg)
{
	int rc;

	memset(m, 0, sizeof(*m));
	if (cfg->n_workers == 0 || cfg->n_workers > SA_MAX_WORKERS || cfg->max_children == 0 ||
	    cfg->st == NULL)
		return -EINVAL;
	m->cfg = *cfg;
	m->children = calloc(cfg->max_children, sizeof(*m->children));
	m->timers = calloc(cfg->max_children, sizeof(*m->timers));
	if (m->children == NULL || m->timers == NULL) {
		sa_mgr_fini(m);
		return -ENOMEM;
	}
	rc = rd_idmap_init(&m->idx, cfg->max_children);
	if (rc == 0)
		rc = rd_idmap_init(&m->out_idx, cfg->max_children);
	if (rc == 0)
		rc = sa_spi_alloc_create(cfg->n_workers, &m->spi_alloc);
	if (rc != 0)
		sa_mgr_fini(m);
	return rc;
}

void
sa_mgr_fini(struct sa_mgr *m)
{
	unsigned i;

	for (i = 0; m->children != NULL && i < m->n_children; i++)
		free(m->children[i].routes);
	free(m->children);
	free(m->timers);
	rd_idmap_fini(&m->idx);
	rd_idmap_fini(&m->out_idx);
	sa_spi_alloc_destroy(m->spi_alloc);
	for (i = 0; i < SA_MAX_WORKERS; i++)
		free(m->backlog[i].q);
	memset(m, 0, sizeof(*m));
}

void
sa_mgr_release_all(struct sa_mgr *m, struct esp_worker *const *ew)
{
	unsigned i;

	for (i = 0; i < m->n_children; i++) {
		struct sa_child *ch = &m->children[i];

		if (ch->sa_in != NULL) {
			esp_worker_sa_del(ew[ch->owner], ch->spi_in, ESP_DIR_IN);
			esp_sa_destroy(ch->sa_in);
		}
		if (ch->sa_out != NULL) {
			esp_worker_sa_del(ew[ch->owner], ch->spi_out, ESP_DIR_OUT);
			esp_sa_destroy(ch->sa_out);
		}
		sa_spi_release(m->spi_alloc, ch->spi_in);
		(void)rd_idmap_del(&m->idx, ch->id);
		(void)rd_idmap_del(&m->out_idx, out_key(ch->owner, ch->spi_out));
		free(ch->routes);
		memset(ch, 0, sizeof(*ch));
	}
	m->n_children = 0;
	m->n_timers = 0;
	m->n_live = 0;
	memset(m->conn_live, 0, sizeof(m->conn_live));
}
