/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rampartd internals of the control side: main.c (start-up, shutdown),
 * ctl_loop.c (the control lcore), ctl_ike.c (IKE glue), sa_mgr.c (child SA
 * lifecycle), ctl_cmd.c (control socket commands, telemetry). The worker
 * lcores (worker_loop.c) include only rd_shared.h.
 *
 * Ownership at a glance (docs/ARCHITECTURE.md, rampartd section has the full story):
 *   - rd.sh (struct rd_shared, rd_shared.h): ports, rings, pool, table
 *     sizes; written before the workers start, read-only afterwards, but
 *     for the fwd snapshot pointer and the stop flag.
 *   - struct rd_fwd (neighbours + routes): the control core writes a private
 *     master copy and publishes immutable snapshots; workers read the current
 *     snapshot and report quiescent states to rte_rcu_qsbr once per loop.
 *   - struct rd_worker: written only by its worker once it runs; counters
 *     are plain and read (torn reads tolerated) by the control core and the
 *     telemetry thread.
 *   - the rest of struct rd_ctx: the control core's, never seen by a worker.
 */
#ifndef RAMPART_RAMPARTD_H
#define RAMPART_RAMPARTD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "conf/conf.h"
#include "esp/esp.h"
#include "ike/ike.h"
#include "net/net.h"
#include "sa/sa_msg.h"
#include "sa/sa_spi.h"

#include "rd_drop.h"
#include "rd_hist.h"
#include "rd_idmap.h"
#include "rd_log.h"
#include "rd_shared.h"
#include "rd_stats.h"
#include "sa_mgr.h"

struct rd_rate;

extern int rd_ike_logtype;

struct rd_pending {
	struct rte_mbuf *m;		/* data at the IP header */
	uint64_t since_ms;
};

/*
 * The control core's state. Workers see only sh (as const, through
 * rd_worker.sh); the rest is the control core's (and, where noted in
 * ctl_cmd.c and ctl_metrics.c, read by the telemetry threads).
 */
struct rd_ctx {
	struct rd_shared sh;		/* what the workers read (rd_shared.h) */
	struct conf *conf;
	char conf_path[IKE_MAX_PATH];	/* "" = built-in */
	struct rd_worker *workers[SA_MAX_WORKERS];
	uint16_t ctl_q;			/* control core's queue index = n_workers */
	struct port_kick ctl_kick[CONF_MAX_PORTS];	/* af_packet control TX queue (ms) */
	struct rd_rate *ike_rate;	/* IKE admission (ctl_rate.h) */
	struct rd_fwd master;		/* control's working copy of sh.fwd */
	bool fwd_dirty;
	struct {
		struct rd_fwd *p;
		uint64_t token;
	} retired[64];
	unsigned n_retired;
	struct rd_pending pending[RD_MAX_PENDING];
	/* IKE */
	struct ike_ctx *ike;
	struct sa_mgr sam;		/* child SAs, SPIs, worker messages (sa_mgr.h) */
	struct ctl_sock *ctl;
	struct rd_ctl_stats st;
	uint64_t start_ms;
#ifdef RD_DEBUG_KEYS
	bool debug_keys;		/* RAMPART_DEBUG_KEYS=1: list-children shows root keys */
#endif
	volatile bool reload_req;	/* SIGHUP */
};

extern struct rd_ctx rd;
extern volatile int rd_signal;		/* SIGTERM/SIGINT received */

uint64_t rd_now_ms(void);

/* main.c: the built-in configuration with the PSK generated at start. */
int rd_load_builtin(struct conf **out, char *err, size_t err_len);

/* ctl_loop.c */
void rd_ctl_main(void);
void rd_ctl_drain(uint64_t ms);
void rd_fwd_publish(void);
void rd_fwd_reclaim(bool wait);
int rd_fwd_init(void);
int rd_ctl_tx(unsigned port, struct rte_mbuf *m);
int rd_send_ip(struct rte_mbuf *m, uint8_t af, const uint8_t *dst);
int rd_port_by_addr(uint8_t af, const uint8_t *addr);
struct rte_mbuf *rd_ctl_mbuf_alloc(void);	/* counts and logs pool exhaustion */

/* ctl_jobs.c: DH/signature helper threads (lib/ike job runner) */
int rd_jobs_init(unsigned n_threads);
/* Hand up to @max finished jobs back to lib/ike; how many. Control core. */
unsigned rd_jobs_poll(unsigned max);
void rd_jobs_fini(void);

/* ctl_log.c: event lines (rd_log.h), one call per site; control core */
void rd_log_start(void);
void rd_ev_child_up(const struct ike_child_sa *c, unsigned worker, unsigned n_routes);
void rd_ev_child_down(const struct sa_child *ch, bool replaced);
void rd_ev_child_failed(const struct ike_child_sa *c, const char *reason);
void rd_ev_ike(const struct ike_event *ev);
void rd_ev_ike_lib(int level, const char *msg);
void rd_ev_reload(const struct conf *c, const char *err);
/* event=@event state=@state @key=@v (mbuf pool, injected faults) */
void rd_ev_fault(const char *event, const char *state, const char *key, uint64_t v);
void rd_ev_link(const char *port, bool up);
/* Add "log_suppressed" {site: n} and the RD_CTL_HISTOGRAMS ({count, sum_ms}) to @o. */
struct json_t;
void rd_log_stats_json(struct json_t *o);

/* ctl_radius.c: EAP back end of lib/ike over RADIUS (control core only) */
struct rd_radius_stats {
	uint64_t requests, retransmits, timeouts, failovers, send_errors;
	uint64_t accepts, rejects, challenges, bad_responses, unexpected, busy;
	uint64_t framed_ips;		/* Framed-IP-Address used instead of the pool */
	uint64_t acct_requests, acct_responses, acct_retransmits, acct_timeouts;
	uint64_t acct_failovers, acct_dropped, acct_bad_responses;
	uint64_t session_timeouts;	/* IKE SAs ended by RADIUS Session-Timeout */
};
int rd_radius_init(const struct conf_radius *cfg);
void rd_radius_fini(void);
/* ops.eap of lib/ike */
int rd_radius_eap(void *user, uint64_t ike_sa_id, const char *conn, const uint8_t *eap,
		  size_t eap_len);
/* Answers, retransmissions, failover; how many datagrams were handled. */
unsigned rd_radius_poll(uint64_t now);
void rd_radius_stats_get(struct rd_radius_stats *st);
/* Sessions (accounting, Session-Timeout), from the IKE glue: the first
 * child of an IKE SA is up (Start); a child is down (its counters join the
 * session's totals); the IKE SA is down (Stop), or rekeyed to @successor_id. */
struct ike_child_sa;
struct esp_sa_stats;
void rd_radius_child_up(uint64_t ike_sa_id, const struct ike_child_sa *c, bool first);
void rd_radius_child_gone(uint64_t ike_sa_id, const struct esp_sa_stats *in,
			  const struct esp_sa_stats *out);
void rd_radius_ike_down(uint64_t ike_sa_id, uint64_t successor_id, const char *why);
/* The counters as a JSON object (rampartctl stats "radius"). */
struct json_t *rd_radius_stats_json(void);

/* ctl_eaplocal.c: local EAP-MSCHAPv2 back end (eap_users), ops.eap router */
int rd_eaplocal_init(void);
void rd_eaplocal_fini(void);
int rd_eap_backend(void *user, uint64_t ike_sa_id, const char *conn, const uint8_t *eap,
		   size_t eap_len);
unsigned rd_eaplocal_poll(uint64_t now);
struct json_t *rd_eaplocal_stats_json(void);

/* ctl_ike.c */
int rd_ike_init(void);
void rd_ike_fini(void);
void rd_ike_input(unsigned port, const uint8_t *frame, const struct net_pkt_info *pi);
void rd_ike_events(void);
void rd_msg_flush(void);
void rd_child_timers(uint64_t now);
void rd_sa_release_all(void);

/*
 * Fault injection for tests (meson -Dfault_inject=true, ctl_cmd.c "fault"
 * command); production builds compile it out.
 */
enum rd_fault {
	RD_FAULT_RING_FULL,		/* control -> worker rings report full */
	RD_FAULT_MBUF_EXHAUST,		/* pool drained; control allocations fail */
	RD_FAULT__COUNT,
};
#ifdef RD_FAULT_INJECT
bool rd_fault_active(unsigned f);
void rd_fault_tick(uint64_t now);
#else
static inline bool
rd_fault_active(unsigned f)
{
	(void)f;
	return false;
}

static inline void
rd_fault_tick(uint64_t now)
{
	(void)now;
}
#endif

/* ctl_route.c: remote prefixes owned by peer identities (child_up checks) */
int rd_own_init(void);
void rd_own_fini(void);
/* 0, or -EPERM with r[*bad] inside a prefix of another identity (its latest
 * IKE SA in *owner_ike_sa), -EINVAL for a malformed route */
int rd_own_check(const struct sa_route *r, unsigned n, const struct ike_id *id, unsigned *bad,
		 uint64_t *owner_ike_sa);
/* after a successful check: 0 or -ENOSPC (nothing claimed) */
int rd_own_claim(const struct sa_route *r, unsigned n, uint64_t ike_sa_id,
		 const struct ike_id *id);
void rd_own_release(const struct sa_route *r, unsigned n);

/* ctl_manual.c: manual SAs (conf manual_sas) and static neighbours, installed
 * by rd_ike_init before IKE starts; child ids from RD_MANUAL_ID_BASE up */
#define RD_MANUAL_ID_BASE (1ull << 62)
int rd_manual_install(void);
bool rd_manual_failed(void);
bool rd_child_is_manual(uint64_t id);
struct json_t *rd_manual_json(void);

/* ctl_cmd.c */
int rd_cmd_init(void);
void rd_cmd_poll(void);
void rd_cmd_fini(void);
int rd_reload(const char *path, char *err, size_t err_len);

/* ctl_metrics.c: Prometheus /metrics (conf metrics.listen) on libmicrohttpd's
 * thread; the control core publishes lib/ike and lib/ctl snapshots for it */
int rd_metrics_init(void);
void rd_metrics_publish(uint64_t now_ms);
char *rd_metrics_render(size_t *len);		/* malloc'd text, or NULL */
void rd_metrics_fini(void);

#endif
