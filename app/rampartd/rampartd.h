/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rampartd internals shared by main.c (start-up, shutdown), ctl_loop.c (the
 * control lcore), ctl_ike.c (IKE glue), sa_mgr.c (child SA lifecycle), ctl_cmd.c (control
 * socket commands, telemetry) and worker_loop.c (the worker lcores).
 *
 * Ownership at a glance (docs/ARCHITECTURE.md, rampartd section has the full story):
 *   - struct rd_port and the port address sets: written before the workers
 *     start, read-only afterwards.
 *   - struct rd_fwd (neighbours + routes): the control core writes a private
 *     master copy and publishes immutable snapshots; workers read the current
 *     snapshot and report quiescent states to rte_rcu_qsbr once per loop.
 *   - struct rd_worker: everything below "worker-private" is touched only by
 *     its worker; counters are plain and read (torn reads tolerated) by the
 *     control core and the telemetry thread.
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
#include "rd_stats.h"
#include "sa_mgr.h"

struct rd_rate;
struct sa_spd;

extern int rd_logtype;
extern int rd_ike_logtype;
#define RD_LOG(lvl, ...) rte_log(RTE_LOG_##lvl, rd_logtype, "rampartd: " __VA_ARGS__)

enum rd_limits {
	RD_BURST = 32,
	RD_MSG_RING = 4096,		/* control -> worker sa_msg ring */
	RD_PUNT_RING = 1024,		/* workers -> control mbufs */
	RD_PUNT_NBR_RING = 512,		/* workers -> control ARP/ND, served first */
	RD_JOB_POLL = 256,		/* crypto completions taken per control loop:
					 * more than the IKE datagrams one loop admits */
	RD_EV_RING = 4096,		/* workers -> control sa_event */
	RD_HANDOFF_RING = 2048,		/* any -> owner worker mbufs */
	RD_MSG_PER_LOOP = 32,		/* ring messages a worker applies per loop */
	RD_MAX_TS_PREFIXES = 16,	/* CIDRs one traffic selector may expand to */
	RD_MAX_PENDING = 256,		/* frames waiting for ARP/ND */
	RD_MAX_HOPS = 2,		/* handoffs one packet may take */
	RD_MAX_FRAGS = 8,		/* fragments one inner IPv4 packet may become */
	RD_IDLE_SPIN = 64,		/* empty loops before backing off */
	RD_IDLE_MAX_NS = 1000000,	/* longest idle sleep: 1 ms */
	RD_NBR_RETRY_MS = 1000,
	RD_NBR_TRIES = 3,
	RD_NBR_AGE_MS = 300000,		/* re-validate a neighbour after 5 min */
	RD_KICK_WINDOW_MS = 50,		/* af_packet: control queue kick window */
	RD_KICK_FIRST_MS = 2,		/* af_packet worker queues: kick 2 ms and */
	RD_KICK_SECOND_MS = 20,		/* 20 ms after the last transmit */
};

/* Why a packet was punted to the control core (rd_meta.reason). */
enum rd_punt {
	RD_PUNT_RX = 1,			/* received frame for the control core */
	RD_PUNT_NBR_MISS,		/* IP packet waiting for a next-hop MAC */
};

/* Per-mbuf metadata in a dynamic field. */
struct rd_meta {
	uint8_t reason;			/* enum rd_punt */
	uint8_t port;			/* NBR_MISS: output port index */
	uint8_t af;			/* NBR_MISS: 4 or 6 */
	uint8_t hops;			/* handoffs taken so far */
	uint8_t nh[16];			/* NBR_MISS: next hop */
	uint32_t spi;			/* inbound ESP: SPI it arrived with */
};

extern int rd_meta_off;

static inline struct rd_meta *
rd_meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, rd_meta_off, struct rd_meta *);
}

struct rd_port {
	char name[CONF_MAX_NAME];
	char device[CONF_MAX_DEVARGS];
	uint8_t role;			/* enum conf_port_role */
	uint16_t port_id;
	bool ctl_rxq;			/* control core polls RX queue ctl_q too */
	bool kick;			/* af_packet: re-kick TX queues after sends */
	uint16_t mtu;
	uint64_t ctl_kick_until_ms;	/* control queue: kick until then */
	struct net_if_addrs ifa;
};

/* What workers read for L2 output: published with RCU (see rd_fwd_publish). */
struct rd_fwd {
	struct net_nbr_table nbr;
	struct net_route_table routes;
};

struct rd_wstats {
	RD_WORKER_COUNTERS(RD_STATS_FIELD)	/* rd_stats.h */
	uint64_t cls[NET_CL__COUNT];
	uint64_t drop[RD_DROP__COUNT];	/* every packet the worker drops */
	struct rd_loop_gap gap;		/* time between RX polls (rd_stats.h) */
} __rte_cache_aligned;

struct rd_txbuf {
	uint16_t n;
	struct rte_mbuf *m[RD_BURST];
};

struct rd_worker {
	unsigned id;
	unsigned lcore;
	int socket;
	struct rte_ring *msg_ring;	/* SPSC sa_msg, control -> this worker */
	struct rte_ring *handoff;	/* MPSC mbufs for this worker */
	struct esp_worker *esp;
	struct rd_wstats st;
	/* worker-private from here on */
	struct sa_spd *spd;		/* outbound policy (lib/sa/sa_spd.h) */
	struct sa_event ack_q[RD_MSG_PER_LOOP];	/* acks waiting for room in rd.ev */
	unsigned n_ack_q;
	struct rd_txbuf tx[RTE_MAX_ETHPORTS];
	uint64_t next_kick_tsc[CONF_MAX_PORTS];	/* see port_tx_kick() */
	uint8_t kicks_left[CONF_MAX_PORTS];
} __rte_cache_aligned;

struct rd_pending {
	struct rte_mbuf *m;		/* data at the IP header */
	uint64_t since_ms;
};

struct rd_ctx {
	struct conf *conf;
	char conf_path[IKE_MAX_PATH];	/* "" = built-in */
	unsigned n_workers;
	struct rd_worker *workers[SA_MAX_WORKERS];
	unsigned n_ports;
	struct rd_port ports[CONF_MAX_PORTS];
	int8_t port_idx[RTE_MAX_ETHPORTS];	/* ethdev port id -> ports[] index */
	uint16_t ctl_q;			/* control core's queue index = n_workers */
	struct rte_mempool *mp;
	struct rte_ring *punt;		/* MPSC mbufs -> control */
	struct rte_ring *punt_nbr;	/* MPSC ARP/ND mbufs -> control, served first */
	struct rd_rate *ike_rate;	/* IKE admission (ctl_rate.h) */
	struct rte_ring *ev;		/* MPSC sa_event -> control */
	struct rte_rcu_qsbr *qsbr;
	struct rd_fwd *fwd;		/* current snapshot (workers read) */
	struct rd_fwd master;		/* control's working copy */
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
	/* table sizes, from conf max_tunnels (rd_caps_set) */
	unsigned max_children, max_tgt, max_wroutes;
	struct ctl_sock *ctl;
	struct rd_ctl_stats st;
	uint64_t start_ms;
#ifdef RD_DEBUG_KEYS
	bool debug_keys;		/* RAMPART_DEBUG_KEYS=1: list-children shows root keys */
#endif
	volatile bool stop;		/* workers: leave the loop */
	volatile bool reload_req;	/* SIGHUP */
};

extern struct rd_ctx rd;
extern volatile int rd_signal;		/* SIGTERM/SIGINT received */

uint64_t rd_now_ms(void);

/*
 * Table sizes from conf max_tunnels (0 = the default): child records and
 * worker targets get an eighth more for rekeys in flight (old and new child
 * both installed), worker routes twice that (a child may route several
 * prefixes). Set once, before rd_worker_init and rd_ike_init.
 */
static inline void
rd_caps_set(unsigned max_tunnels)
{
	if (max_tunnels == 0)
		max_tunnels = CONF_MAX_TUNNELS_DEFAULT;
	rd.max_children = max_tunnels + max_tunnels / 8;
	rd.max_tgt = rd.max_children;
	rd.max_wroutes = 2 * rd.max_children;
}
/* main.c: the built-in configuration with the PSK generated at start. */
int rd_load_builtin(struct conf **out, char *err, size_t err_len);

/* worker_loop.c */
int rd_worker_init(struct rd_worker *w);
int rd_worker_main(void *arg);
void rd_worker_fini(struct rd_worker *w);

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
};
int rd_radius_init(const struct conf_radius *cfg);
void rd_radius_fini(void);
/* ops.eap of lib/ike */
int rd_radius_eap(void *user, uint64_t ike_sa_id, const char *conn, const uint8_t *eap,
		  size_t eap_len);
/* Answers, retransmissions, failover; how many datagrams were handled. */
unsigned rd_radius_poll(uint64_t now);
void rd_radius_stats_get(struct rd_radius_stats *st);
/* The counters as a JSON object (rampartctl stats "radius"). */
struct json_t *rd_radius_stats_json(void);

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
