/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rampartd internals shared by main.c (start-up, shutdown), ctl_loop.c (the
 * control lcore), ctl_ike.c (IKE glue and SA lifecycle), ctl_cmd.c (control
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
#include "rd_idmap.h"
#include "rd_stats.h"

struct rte_lpm;
struct rte_lpm6;
struct rd_rate;

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
	RD_SWITCH_WAIT_MS = 2000,	/* rekey responder: latest outbound switch */
	RD_LINGER_MS = 500,		/* a replaced child's SAs stay this long */
};

/*
 * SA_MSG_ROUTE_ADD flags: the owner worker, plus this bit for a rekey whose
 * peer may not have installed the new SA yet: the worker then only accepts
 * the new inbound SPI for the prefix (anti-spoofing) and keeps sending on
 * the current target; a later plain ROUTE_ADD does the switch.
 */
#define RD_ROUTE_STANDBY 0x8000u

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

/* A worker's outbound target: routes resolve to one of these. */
struct rd_tgt {
	uint32_t spi;			/* outbound SPI (peer's choice) */
	uint16_t owner;			/* worker owning the SA */
	uint16_t refs;			/* routes pointing here; 0 = free slot */
	struct esp_sa *sa;		/* owner only: the linked SA, or NULL */
	uint32_t spi_in;		/* inbound SPI of the same child */
	uint32_t prev_spi_in;		/* inbound SPI of the child it replaced */
	uint32_t next_spi_in;		/* inbound SPI of its successor, before the
					 * switch (RD_ROUTE_STANDBY) */
	uint16_t max_inner;		/* owner: largest inner packet that fits the
					 * egress MTU once encapsulated (0 = no check) */
	uint32_t routes;		/* first route of this target, or UINT32_MAX */
};

struct rd_wroute {
	struct sa_route r;
	uint32_t tgt;			/* UINT32_MAX = free slot */
	uint32_t prev, next;		/* routes of the same target (UINT32_MAX ends) */
};

struct rd_wstats {
	RD_WORKER_COUNTERS(RD_STATS_FIELD)	/* rd_stats.h */
	uint64_t cls[NET_CL__COUNT];
	uint64_t drop[RD_DROP__COUNT];	/* every packet the worker drops */
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
	struct rte_lpm *lpm4;
	struct rte_lpm6 *lpm6;
	struct rd_tgt *tgt;		/* rd.max_tgt slots */
	struct rd_wroute *routes;	/* rd.max_wroutes slots */
	unsigned n_routes;
	struct rte_hash *tgt_h;		/* {spi, owner} -> tgt slot */
	struct rte_hash *route_h;	/* prefix -> routes slot */
	uint32_t *tgt_free, n_tgt_free;	/* free slot stacks */
	uint32_t *route_free, n_route_free;
	struct sa_event ack_q[RD_MSG_PER_LOOP];	/* acks waiting for room in rd.ev */
	unsigned n_ack_q;
	struct rd_txbuf tx[RTE_MAX_ETHPORTS];
	uint64_t next_kick_tsc[CONF_MAX_PORTS];	/* see port_tx_kick() */
	uint8_t kicks_left[CONF_MAX_PORTS];
} __rte_cache_aligned;

/* Control-side record of one installed child SA. */
struct rd_child {
	uint64_t id, ike_sa_id;
	uint64_t rekey_of;		/* child this one replaces, or 0 */
	char conn[IKE_MAX_NAME];
	uint32_t spi_in, spi_out;
	uint16_t owner;
	uint16_t enc, enc_key_len, integ;
	bool esn, natt, dying, rekeying;
	uint8_t acks_pending;
	bool switch_pending;		/* routes sent RD_ROUTE_STANDBY, switch due */
	uint64_t switch_by_ms;		/* switch at the latest then */
	uint64_t del_at_ms;		/* dying, replaced: DEL_OUT/DEL_IN due then */
	struct esp_sa *sa_in, *sa_out;
#ifdef RD_DEBUG_KEYS
	/* -Ddebug_keys=true and RAMPART_DEBUG_KEYS=1 only (tests): keys as hex. */
	char dbg_key_in[2 * IKE_MAX_KEY_LEN + 1], dbg_key_out[2 * IKE_MAX_KEY_LEN + 1];
#endif
	struct sa_route routes[IKE_MAX_TS * RD_MAX_TS_PREFIXES];
	unsigned n_routes;
	uint64_t established_ms;
	uint32_t successors;		/* live children with rekey_of == id */
	uint32_t timer_pos;		/* 1 + its index in rd.timers; 0 = not there */
};

struct rd_pending {
	struct rte_mbuf *m;		/* data at the IP header */
	uint64_t since_ms;
};

struct rd_ctl_stats {
	RD_CTL_COUNTERS(RD_STATS_FIELD)	/* rd_stats.h */
	uint64_t drop[RD_DROP__COUNT];	/* every packet the control core drops */
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
	unsigned spi_rr;		/* round robin for alloc_spi */
	struct sa_spi_alloc *spi_alloc;	/* inbound SPIs (lib/sa/sa_spi.h) */
	struct rd_child *children;	/* rd.max_children, packed */
	unsigned n_children;
	struct rd_idmap child_idx;	/* child id -> children[] index */
	uint64_t *timers;		/* ids of children with a switch or delete due */
	unsigned n_timers;
	/* table sizes, from conf max_tunnels (rd_caps_set) */
	unsigned max_children, max_tgt, max_wroutes;
	/* control -> worker messages that did not fit in the ring: q[head..n) */
	struct {
		struct sa_msg *q;
		unsigned head, n, cap;
	} backlog[SA_MAX_WORKERS];
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
int rd_msg_send(unsigned worker, const struct sa_msg *msg);
struct rd_child *rd_child_find(uint64_t id);
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
