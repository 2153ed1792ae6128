/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timers and operator actions: retransmission with exponential back-off and
 * give-up (RFC 7296 2.1, 2.4), half-open expiry, DPD (2.4), IKE and child
 * rekey by lifetime, NAT keepalives (RFC 3948 2.3), cookie secret rotation,
 * and ike_initiate / ike_terminate_ike / ike_rekey_* / ike_shutdown.
 *
 * Timers enter like messages (STYLE 8): ike_tick() pops the SAs that are
 * due from the deadline heap (ike_sched.c) and starts the exchange that is
 * due; it never frees an SA in place (ike_sa_reap runs at the end and puts
 * the ticked SAs back on the heap at their next deadline).
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>

#include "ike/ike_priv.h"

enum {
	NATT_PORT = 4500,
	RETRANSMIT_CAP_MS = 60000,
	SOFT_RETRY_MS = 100,
};

static uint64_t
backoff(const struct ike_ctx *ctx, unsigned tries)
{
	uint64_t t = ctx->retransmit_base_ms;

	while (tries-- > 0 && t < RETRANSMIT_CAP_MS)
		t *= 2;
	return t > RETRANSMIT_CAP_MS ? RETRANSMIT_CAP_MS : t;
}

static void
min_due(uint64_t *due, uint64_t t)
{
	if (t != 0 && t < *due)
		*due = t;
}

/* Rekey, DPD and delayed deletes may be due but blocked (window full, an
 * exchange in flight): look again shortly instead of asking for a busy loop. */
static void
min_due_soft(uint64_t *due, uint64_t t, uint64_t now)
{
	if (t != 0 && t <= now)
		t = now + SOFT_RETRY_MS;
	min_due(due, t);
}

/* RFC 3948 2.3: only the side behind the NAT keeps the mapping alive */
static bool
needs_keepalive(const struct ike_sa *sa)
{
	return sa->nat_local && sa->natt && sa->state >= IKE_ST_ESTABLISHED &&
	       sa->state != IKE_ST_DEAD;
}

void
ike_sa_keepalive_arm(struct ike_sa *sa, uint64_t now_ms)
{
	if (needs_keepalive(sa) && sa->keepalive_ms == 0)
		sa->keepalive_ms = now_ms + (uint64_t)sa->ctx->nat_keepalive_s * 1000;
}

static void
keepalive(struct ike_sa *sa, uint64_t now)
{
	static const uint8_t ka = 0xff;

	if (!needs_keepalive(sa))
		return;
	if (sa->keepalive_ms == 0) {
		ike_sa_keepalive_arm(sa, now);
		return;
	}
	if (now < sa->keepalive_ms)
		return;
	if (now - sa->last_tx_ms >= (uint64_t)sa->ctx->nat_keepalive_s * 1000)
		ike_send_raw(sa->ctx, &ka, 1, &sa->local, &sa->remote);
	sa->keepalive_ms = now + (uint64_t)sa->ctx->nat_keepalive_s * 1000;
}

static void
tick_sa(struct ike_sa *sa, uint64_t now)
{
	struct ike_ctx *ctx = sa->ctx;
	struct ike_child *c, *cn;
	unsigned i;

	for (i = 0; i < IKE_WINDOW_MAX; i++) {
		struct ike_req *r = &sa->reqs[i];

		if (!r->used || now < r->next_ms)
			continue;
		if (r->tries >= ctx->retransmit_tries) {
			SA_LOG(sa, NOTICE, "%s request %u: no response after %u retransmits, giving up",
			       ike_exchange_name(r->xchg), r->msgid, r->tries);
			ike_sa_kill(sa, "peer not responding");
			return;
		}
		r->tries++;
		r->next_ms = now + backoff(ctx, r->tries);
		ctx->st.retransmits++;
		SA_LOG(sa, DEBUG, "%s request %u: retransmit %u", ike_exchange_name(r->xchg),
		       r->msgid, r->tries);
		ike_send_pkts(sa, &r->out);
	}
	if (sa->expire_ms != 0 && now >= sa->expire_ms) {
		if (sa->state == IKE_ST_INIT_RCVD)
			ctx->st.half_open_expired++;
		ike_sa_kill(sa, sa->state == IKE_ST_INIT_RCVD ? "half-open SA expired" :
								"timed out");
		return;
	}
	if (sa->frx.active && ike_frag_expired(&sa->frx, now))
		ike_sa_frag_reset(sa);
	if (sa->state != IKE_ST_ESTABLISHED)
		return;
	for (c = sa->children; c != NULL; c = cn) {
		cn = c->next;
		if (c->delete_ms != 0 && now >= c->delete_ms) {
			if (c->state == IKE_CHILD_REKEYED) {
				/* the rekey initiator never deleted it: do it ourselves */
				ike_child_set_state(c, IKE_CHILD_INSTALLED);
			}
			c->delete_ms = 0;
			ike_info_delete_child_start(sa, c);
			continue;
		}
		if (c->rekey_ms != 0 && now >= c->rekey_ms && c->state == IKE_CHILD_INSTALLED) {
			if (ike_child_rekey_start(sa, c) == 0)
				c->rekey_ms = 0;
		}
	}
	if (sa->rekey_ms != 0 && now >= sa->rekey_ms) {
		if (ike_ike_rekey_start(sa) == 0)
			sa->rekey_ms = 0;
		return;
	}
	if (sa->conn->cfg.dpd_s != 0 && !sa->dpd_pending &&
	    now - sa->last_rx_ms >= (uint64_t)sa->conn->cfg.dpd_s * 1000 &&
	    ike_req_can_send(sa) && !ike_req_pending_kind(sa, IKE_REQ_DPD)) {
		SA_LOG(sa, DEBUG, "idle %" PRIu64 " ms: liveness check", now - sa->last_rx_ms);
		ike_info_dpd_start(sa);
	}
	keepalive(sa, now);
}

void
ike_tick(struct ike_ctx *ctx, uint64_t now_ms)
{
	struct ike_tmr *t;

	ctx->now_ms = now_ms;
	if (ctx->cookie_rotate_ms == 0)
		ctx->cookie_rotate_ms = now_ms + 300000;
	else if (now_ms >= ctx->cookie_rotate_ms)
		ike_cookie_rotate(ctx);
	/* only the due SAs; each goes back on the heap in ike_sa_reap */
	while ((t = ike_heap_top(&ctx->timers)) != NULL && t->due_ms <= now_ms) {
		struct ike_sa *sa = IKE_CONTAINER(t, struct ike_sa, tmr);

		ike_heap_del(&ctx->timers, t);
		ctx->sa_ticks++;
		ike_sa_touch(sa);
		tick_sa(sa, now_ms);
	}
	ike_sa_reap(ctx);
}

/*
 * The earliest time tick_sa has something to do for @sa. Must cover every
 * deadline tick_sa checks: an SA queued later than this misses a timer
 * (ike_sched_audit checks that in the unit tests).
 */
uint64_t
ike_sa_next_due(const struct ike_sa *sa, uint64_t now_ms)
{
	uint64_t due = UINT64_MAX;
	const struct ike_child *c;
	unsigned i;

	if (sa->state == IKE_ST_DEAD)
		return due;
	for (i = 0; i < IKE_WINDOW_MAX; i++)
		if (sa->reqs[i].used)
			min_due(&due, sa->reqs[i].next_ms);
	min_due(&due, sa->expire_ms);
	if (sa->frx.active && !sa->frx.complete)
		min_due(&due, sa->frx.start_ms + IKE_FRAG_TIMEOUT_MS);
	if (sa->state != IKE_ST_ESTABLISHED)
		return due;
	min_due_soft(&due, sa->rekey_ms, now_ms);
	if (sa->conn->cfg.dpd_s != 0 && !sa->dpd_pending)
		min_due_soft(&due, sa->last_rx_ms + (uint64_t)sa->conn->cfg.dpd_s * 1000, now_ms);
	if (needs_keepalive(sa))
		min_due_soft(&due, sa->keepalive_ms, now_ms);
	for (c = sa->children; c != NULL; c = c->next) {
		if (c->state == IKE_CHILD_INSTALLED)
			min_due_soft(&due, c->rekey_ms, now_ms);
		min_due_soft(&due, c->delete_ms, now_ms);
	}
	return due;
}

/* O(1): the top of the heap. Entry points leave no touched or dead SA. */
uint64_t
ike_next_timeout_ms(const struct ike_ctx *ctx, uint64_t now_ms)
{
	uint64_t due = UINT64_MAX;
	const struct ike_tmr *t = ike_heap_top(&ctx->timers);

	if (ctx->dead != NULL || ctx->dirty != NULL)
		return 0;
	min_due(&due, ctx->cookie_rotate_ms);
	if (t != NULL)
		min_due(&due, t->due_ms);
	if (due == UINT64_MAX)
		return 60000;
	return due <= now_ms ? 0 : due - now_ms;
}

/* ---- operator actions ---- */

int
ike_initiate(struct ike_ctx *ctx, const char *conn, uint64_t now_ms)
{
	struct ike_conn *c;
	struct ike_sa *sa;
	int rc;

	ctx->now_ms = now_ms;
	c = ike_conn_by_name(ctx, conn);	/* O(log n): initiators with many connections */
	if (c == NULL)
		return -ENOENT;
	if (c->cfg.remote.ss_family != AF_INET && c->cfg.remote.ss_family != AF_INET6)
		return -EINVAL;
	rc = ike_sa_create(ctx, c, true, &sa);
	if (rc < 0)
		return rc;
	sa->local = c->cfg.local;
	sa->remote = c->cfg.remote;
	if (sa->local.ss_family == AF_UNSPEC)
		sa->local.ss_family = sa->remote.ss_family;
	if (ike_port(&sa->remote) == 0)
		ike_set_port(&sa->remote, 500);
	if (ike_port(&sa->local) == 0)
		ike_set_port(&sa->local, ike_port(&sa->remote) == NATT_PORT ? NATT_PORT : 500);
	rc = ike_init_start(sa);
	if (rc < 0)
		ike_sa_kill(sa, "cannot start IKE_SA_INIT");
	ike_sa_reap(ctx);
	return rc;
}

/*
 * The frame of an operator action on one SA: the IKE SA @id or (@child) the
 * child SA @id and its IKE SA; -ENOENT if it is gone, else @act's result,
 * with the clock set before and the dead SAs reaped after.
 */
static int
operate(struct ike_ctx *ctx, uint64_t id, bool child, uint64_t now_ms,
	int (*act)(struct ike_sa *sa, struct ike_child *c))
{
	struct ike_child *c = child ? ike_child_by_id(ctx, id) : NULL;
	struct ike_sa *sa = child ? (c != NULL ? c->sa : NULL) : ike_sa_by_id(ctx, id);
	int rc;

	ctx->now_ms = now_ms;
	if (sa == NULL)
		return -ENOENT;
	rc = act(sa, c);
	ike_sa_reap(ctx);
	return rc;
}

static int
act_terminate_ike(struct ike_sa *sa, struct ike_child *c)
{
	int rc = 0;

	(void)c;
	if (sa->state == IKE_ST_ESTABLISHED || sa->state == IKE_ST_REKEYING) {
		rc = ike_info_delete_ike_start(sa);
		if (rc < 0)
			ike_sa_kill(sa, "terminated");
	} else if (sa->state != IKE_ST_DELETING) {
		ike_sa_kill(sa, "terminated");
	}
	return rc < 0 ? rc : 0;
}

int
ike_terminate_ike(struct ike_ctx *ctx, uint64_t ike_sa_id, uint64_t now_ms)
{
	return operate(ctx, ike_sa_id, false, now_ms, act_terminate_ike);
}

int
ike_rekey_child(struct ike_ctx *ctx, uint64_t child_id, uint64_t now_ms)
{
	return operate(ctx, child_id, true, now_ms, ike_child_rekey_start);
}

static int
act_rekey_ike(struct ike_sa *sa, struct ike_child *c)
{
	(void)c;
	return ike_ike_rekey_start(sa);
}

int
ike_rekey_ike(struct ike_ctx *ctx, uint64_t ike_sa_id, uint64_t now_ms)
{
	return operate(ctx, ike_sa_id, false, now_ms, act_rekey_ike);
}

static int
peer_moved(struct ike_ctx *ctx, uint64_t child_id, const struct sockaddr *remote)
{
	struct ike_child *c = ike_child_by_id(ctx, child_id);
	struct sockaddr_storage ss;
	struct ike_sa *sa;

	if (c == NULL || remote == NULL)
		return -ENOENT;
	sa = c->sa;
	if (sa->state != IKE_ST_ESTABLISHED && sa->state != IKE_ST_REKEYING)
		return -EPERM;
	/* RFC 7296 2.23: only the side not behind the NAT follows the other */
	if (!sa->natt || !sa->nat_remote)
		return -EPERM;
	if (remote->sa_family != sa->remote.ss_family)
		return -EAFNOSUPPORT;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, remote, remote->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
						   sizeof(struct sockaddr_in6));
	if (ike_addr_eq(&sa->remote, &ss, true))
		return 0;		/* an IKE message moved it first */
	SA_LOG(sa, INFO, "authenticated ESP of child %" PRIu64 " from a new address", child_id);
	ike_sa_update_addrs(sa, &ss, &sa->local);
	return 0;
}

int
ike_peer_moved(struct ike_ctx *ctx, uint64_t child_id, const struct sockaddr *remote,
	       uint64_t now_ms)
{
	int rc;

	ctx->now_ms = now_ms;
	rc = peer_moved(ctx, child_id, remote);
	ike_sa_reap(ctx);	/* the lookup marked the SA: leave nothing marked */
	return rc;
}

/* Hard limit: the SA is unusable, delete it now. */
static int
act_child_hard(struct ike_sa *sa, struct ike_child *c)
{
	if (c->state == IKE_CHILD_DELETING)
		return 0;
	ike_child_set_state(c, IKE_CHILD_INSTALLED);
	return ike_info_delete_child_start(sa, c);
}

/* Soft limit of an installed child: rekey (retried by the timer while the
 * window is full); a child already rekeying or deleting is treated as hard. */
static int
act_child_soft(struct ike_sa *sa, struct ike_child *c)
{
	int rc;

	if (c->state != IKE_CHILD_INSTALLED)
		return act_child_hard(sa, c);
	rc = ike_child_rekey_start(sa, c);
	if (rc == -EAGAIN) {
		c->rekey_ms = sa->ctx->now_ms ? sa->ctx->now_ms : 1;	/* the timer retries */
		rc = 0;
	}
	return rc;
}

int
ike_child_expired(struct ike_ctx *ctx, uint64_t child_id, bool hard, uint64_t now_ms)
{
	return operate(ctx, child_id, true, now_ms, hard ? act_child_hard : act_child_soft);
}

void
ike_shutdown(struct ike_ctx *ctx, uint64_t now_ms)
{
	struct ike_sa *sa;

	ctx->now_ms = now_ms;
	for (sa = ctx->sas; sa != NULL; sa = sa->next) {
		if (sa->state == IKE_ST_DEAD)
			continue;
		if (sa->state == IKE_ST_ESTABLISHED || sa->state == IKE_ST_REKEYING ||
		    sa->state == IKE_ST_REKEYED)
			ike_info_delete_ike_start(sa);
		ike_sa_kill(sa, "shutdown");
	}
	ike_sa_reap(ctx);
}
