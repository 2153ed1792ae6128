/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The child-SA manager of the control core: the record of every installed
 * child SA, its inbound SPI (allocation, hold, release), the messages that
 * install, switch, move and remove it on the workers (with a per-worker
 * backlog when a ring is full), the deferred rekey switch and the linger of
 * a replaced child, and the worker events that concern a child (delete
 * acks, soft and hard lifetimes).
 *
 * It knows neither lib/ike nor the rest of rampartd: the IKE glue
 * (ctl_ike.c) turns IKE events into sa_mgr calls and gets the manager's
 * requests back through struct sa_mgr_ops. Single-threaded (control core);
 * every lookup by child id is O(1) (rd_idmap), records are packed, and a
 * child's standby successors hang off its record, so no call walks the
 * children.
 *
 * Child states (docs/samgr.md has the table):
 *
 *   STANDBY   installed; we answered its rekey: the workers accept its
 *             inbound SPI but still send on the child it replaces
 *   ACTIVE    installed, outbound traffic on it
 *   REKEYING  ACTIVE, and a rekey was asked of IKE (soft lifetime)
 *   LINGER    down but replaced: routes gone, SAs stay linked until due_ms
 *   DELETING  DEL_OUT and DEL_IN sent; the record goes with the second ack
 */
#ifndef RD_SA_MGR_H
#define RD_SA_MGR_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ring.h>

#include "esp/esp.h"
#include "ike/ike.h"
#include "sa/sa_msg.h"
#include "sa/sa_spi.h"

#include "rd_idmap.h"
#include "rd_stats.h"

enum sa_child_state {
	SA_CH_NONE,		/* no record (before up, after the last ack) */
	SA_CH_STANDBY,
	SA_CH_ACTIVE,
	SA_CH_REKEYING,
	SA_CH_LINGER,
	SA_CH_DELETING,
	SA_CH__COUNT,
};

enum sa_mgr_limits {
	SA_MGR_SWITCH_WAIT_MS = 2000,	/* rekey responder: latest outbound switch */
	SA_MGR_LINGER_MS = 500,		/* a replaced child's SAs stay this long */
	SA_MGR_MAX_ROUTES = 255,	/* prefixes one child may route */
};

/* Control-side record of one installed child SA. */
struct sa_child {
	uint64_t id, ike_sa_id;
	uint64_t rekey_of;		/* child this one replaces, or 0 */
	uint64_t established_ms;
	uint64_t due_ms;		/* STANDBY: switch by then; LINGER: delete then */
	uint64_t standby_head;		/* first child in standby replacing this one */
	uint64_t standby_next;		/* STANDBY: next of the same rekey_of, or 0 */
	struct esp_sa *sa_in, *sa_out;	/* NULL once acked back and freed */
	struct sa_route *routes;	/* n_routes remote prefixes (heap) */
	struct sa_sel *sel;		/* protocol/port selectors (heap), or NULL
					 * when not port-restricted */
	uint32_t spi_in, spi_out;
	uint32_t successors;		/* live children with rekey_of == id */
	uint32_t timer_pos;		/* 1 + index in the timer list; 0 = not there */
	uint16_t owner;			/* worker holding both SAs */
	uint16_t n_routes;
	uint16_t enc, enc_key_len, integ;
	uint8_t state;			/* enum sa_child_state */
	uint8_t acks_pending;		/* DELETING: acks still to come */
	bool esn, natt;
	char conn[IKE_MAX_NAME];
#ifdef RD_DEBUG_KEYS
	/* -Ddebug_keys=true and RAMPART_DEBUG_KEYS=1 only (tests): keys as hex. */
	char dbg_key_in[2 * IKE_MAX_KEY_LEN + 1], dbg_key_out[2 * IKE_MAX_KEY_LEN + 1];
#endif
};

/* What the manager asks of its user (the IKE glue); @user from the config. */
struct sa_mgr_ops {
	/* soft lifetime or sequence near wrap: start a rekey of the child */
	void (*rekey)(void *user, uint64_t child_id, uint64_t now_ms);
	/* hard lifetime or sequence exhausted: the child must go */
	void (*expire)(void *user, uint64_t child_id, uint64_t now_ms);
	/* the child is down: give back its prefixes' ownership (may be NULL) */
	void (*routes_release)(void *user, const struct sa_route *r, unsigned n);
	/* fault injection: true = treat every worker ring as full (may be NULL) */
	bool (*ring_blocked)(void *user);
};

struct sa_mgr_cfg {
	unsigned n_workers;
	struct rte_ring *msg_ring[SA_MAX_WORKERS];	/* SPSC sa_msg, to each worker */
	unsigned max_children;
	struct sa_mgr_ops ops;
	void *user;
	struct rd_ctl_stats *st;	/* counters the manager bumps */
};

/* What the glue knows of a new child (IKE_EV_CHILD_UP). */
struct sa_child_cfg {
	uint64_t id, ike_sa_id, rekey_of;
	const char *conn;
	uint32_t spi_in, spi_out;
	bool initiator;			/* we initiated its exchange */
	bool esn, natt;
	uint16_t enc, enc_key_len, integ;
	uint16_t max_inner;		/* ADD_OUT */
	struct esp_sa *sa_in, *sa_out;	/* on sa_mgr_owner()'s socket */
	const struct sa_route *routes;
	unsigned n_routes;
	struct sa_sel sel;		/* protocol/port selectors (ROUTE_ADD) */
};

struct sa_mgr_backlog {
	struct sa_msg *q;		/* q[head..n) wait for room in the ring */
	unsigned head, n, cap;
};

/*
 * Live children (standby, active, rekeying) per connection name, kept up to
 * date at every state change, so the metrics snapshot needs no walk of the
 * records. A slot is free while its count is 0; twice CONF_MAX_CONNS slots
 * cover the names of a configuration and of the one a reload replaced.
 */
enum { SA_MGR_CONN_SLOTS = 128 };
struct sa_mgr_conn_live {
	char name[IKE_MAX_NAME];
	unsigned live;
};

struct sa_mgr {
	struct sa_mgr_cfg cfg;
	struct sa_spi_alloc *spi_alloc;	/* inbound SPIs (lib/sa/sa_spi.h) */
	unsigned spi_rr;		/* round robin over the workers */
	struct sa_child *children;	/* max_children, packed: [0, n_children) */
	unsigned n_children;
	struct rd_idmap idx;		/* child id -> children[] index */
	struct rd_idmap out_idx;	/* (owner, outbound SPI) of every record */
	uint64_t *timers;		/* ids of children with a switch or delete due */
	unsigned n_timers;
	struct sa_mgr_backlog backlog[SA_MAX_WORKERS];
	unsigned n_live;		/* children in standby, active or rekeying */
	struct sa_mgr_conn_live conn_live[SA_MGR_CONN_SLOTS];
};

const char *sa_child_state_name(unsigned state);
/* Is @from -> @to a transition of the table (docs/samgr.md)? */
bool sa_child_transition_ok(unsigned from, unsigned to);

int sa_mgr_init(struct sa_mgr *m, const struct sa_mgr_cfg *cfg);
/* Live children of connection @name: O(SA_MGR_CONN_SLOTS), not O(children). */
unsigned sa_mgr_conn_live(const struct sa_mgr *m, const char *name);
/* Frees records and backlogs; SAs still referenced must be taken back first
 * (sa_mgr_release_all). */
void sa_mgr_fini(struct sa_mgr *m);

/* Inbound SPI for a new child: owner worker round robin. 0 on failure. */
uint32_t sa_mgr_spi_alloc(struct sa_mgr *m, uint64_t now_ms);
/* Give back an SPI that never got a record (child refused). */
void sa_mgr_spi_release(struct sa_mgr *m, uint32_t spi_in);
/* The worker that will own a child with inbound SPI @spi_in. */
unsigned sa_mgr_owner(const struct sa_mgr *m, uint32_t spi_in);
/* Room for child @id: not full, id not 0 and not installed. 0, -ENOSPC, -EEXIST.
 * sa_mgr_child_up also refuses (-EADDRINUSE) a child whose outbound SPI a
 * record on the same owner worker holds: the peer picks that SPI, and the
 * worker keys outbound SAs and routes by it. */
int sa_mgr_can_add(const struct sa_mgr *m, uint64_t id);

/*
 * A child is up: record it, send ADD_IN/ADD_OUT to the owner and the routes
 * to every worker (standby when we answered its rekey). Takes the SAs on
 * success (*out: the record, may be NULL). Errors (-ENOSPC, -EEXIST,
 * -EINVAL, -ENOMEM) leave the SAs and the SPI to the caller.
 */
int sa_mgr_child_up(struct sa_mgr *m, const struct sa_child_cfg *c, uint64_t now_ms,
		    struct sa_child **out);
/* A child is down (IKE_EV_CHILD_DOWN): routes withdrawn, SAs deleted now
 * or after the linger of a replaced child. Unknown or going: ignored. */
void sa_mgr_child_down(struct sa_mgr *m, uint64_t id, uint64_t now_ms);
/* The peer moved (NAT rebinding): UPDATE_OUT/UPDATE_IN with @peer. 0 or -ENOENT. */
int sa_mgr_child_moved(struct sa_mgr *m, uint64_t id, const struct sa_peer *peer);
/* A worker event: DEL_ACK, SOFT/SEQ_NEAR_WRAP, HARD/SEQ_EXHAUSTED.
 * Returns false for the others (the caller's). */
bool sa_mgr_event(struct sa_mgr *m, const struct sa_event *ev, uint64_t now_ms);
/* Deferred switches and lingering deletes; O(children with a timer). */
void sa_mgr_tick(struct sa_mgr *m, uint64_t now_ms);

/* Message to @worker, through the backlog when its ring is full. 0 or -ENOMEM. */
int sa_mgr_send(struct sa_mgr *m, unsigned worker, const struct sa_msg *msg);
/* Move backlogged messages into the rings while they have room. */
void sa_mgr_flush(struct sa_mgr *m);
/* Messages waiting in the backlogs. */
uint64_t sa_mgr_backlog_len(const struct sa_mgr *m);

struct sa_child *sa_mgr_child_find(struct sa_mgr *m, uint64_t id);
/* Installed and not on its way out (STANDBY, ACTIVE, REKEYING). */
static inline bool
sa_child_is_live(const struct sa_child *ch)
{
	return ch->state == SA_CH_STANDBY || ch->state == SA_CH_ACTIVE ||
	       ch->state == SA_CH_REKEYING;
}

/*
 * Shutdown, after the workers stopped (nothing else touches an SA): unlink
 * every SA still installed from its worker's table @ew[owner] and free it,
 * drop every record. Acks still in the event ring must be fed to
 * sa_mgr_event first.
 */
void sa_mgr_release_all(struct sa_mgr *m, struct esp_worker *const *ew);

#endif
