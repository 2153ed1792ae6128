/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the worker lcores see of rampartd: the shared, read-only part
 * (struct rd_shared) and each worker's own state (struct rd_worker).
 *
 * worker_loop.c includes this header and not rampartd.h, so it cannot name
 * the control core's state (struct rd_ctx, the global rd: IKE, the SA
 * manager, route ownership, control socket, statistics, the fwd master
 * copy): a reference is a compile error. A worker reaches the shared part
 * only through w->sh, a pointer to const.
 *
 * Who writes what:
 *   - struct rd_shared: filled by main.c before the workers launch (ports,
 *     rings, pool, RCU variable, table sizes), read-only afterwards, with
 *     two exceptions written only by the control/main thread: fwd (the
 *     neighbour and route snapshot, published with a release store by
 *     rd_fwd_publish, reclaimed under RCU) and stop (shutdown).
 *   - struct rd_worker: set up by main.c before launch; from then on the
 *     worker alone writes it. Its counters (st) are plain and read (torn
 *     reads tolerated) by the control core and the telemetry thread.
 * A worker writes nothing else but the tables it owns (ESP worker, SPD, its
 * SAs), its RCU slot, mbufs and the rings it produces into: no global, no
 * other worker's struct (packets for another worker go on its handoff ring).
 */
#ifndef RAMPART_RD_SHARED_H
#define RAMPART_RD_SHARED_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "conf/conf.h"
#include "drivers/port.h"
#include "esp/esp.h"
#include "net/net.h"
#include "sa/sa_msg.h"
#include "sa/sa_spi.h"

#include "rd_drop.h"
#include "rd_hist.h"
#include "rd_stats.h"

struct sa_spd;

extern int rd_logtype;
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
	RD_KICK_FIRST_MS = 2,		/* af_packet worker queues: kick 2 ms after */
	RD_KICK_SECOND_MS = 20,		/* the last transmit, then 20 ms later */
	RD_NH_CACHE_BITS = 10,		/* next-hop cache: 1024 slots per worker */
	RD_NH_CACHE = 1 << RD_NH_CACHE_BITS,
};

/*
 * The idle back-off of the worker and control loops: after RD_IDLE_SPIN empty
 * loops in a row, sleep, doubling from 1 us to RD_IDLE_MAX_NS. Counts one
 * empty loop in *@idle; returns 0 (keep spinning) or the nanoseconds to sleep
 * now. A loop that did work resets *@idle and *@sleep_ns to 0.
 */
static inline long
rd_idle_step(unsigned *idle, long *sleep_ns)
{
	if (++*idle < RD_IDLE_SPIN)
		return 0;
	*sleep_ns = *sleep_ns == 0 ? 1000 : *sleep_ns * 2;
	if (*sleep_ns > RD_IDLE_MAX_NS)
		*sleep_ns = RD_IDLE_MAX_NS;
	return *sleep_ns;
}

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

/* A port as set up by main.c; read-only once the workers run. */
struct rd_port {
	char name[CONF_MAX_NAME];
	char device[CONF_MAX_DEVARGS];
	uint8_t role;			/* enum conf_port_role */
	uint16_t port_id;
	bool ctl_rxq;			/* control core polls RX queue ctl_q too */
	bool kick;			/* af_packet: re-kick TX queues after sends */
	uint16_t mtu;
	struct net_if_addrs ifa;
	/* inbound ESP steered to its owner's RX queue by SPI (rte_flow rules,
	 * port_steer_esp), or why not (empty with one worker, private ports) */
	uint16_t esp_steer_rules;
	char esp_steer_why[96];
};

/*
 * What workers read for L2 output: published with RCU (see rd_fwd_publish).
 * gen: this snapshot's generation, never 0 for a published one, one more
 * for every publish (64 bits: never wraps). A worker's next-hop cache entry
 * is valid only for the snapshot of its generation, so any change to the
 * routes or the neighbours (which always goes through a new snapshot)
 * invalidates every cached next hop at once.
 */
struct rd_fwd {
	uint64_t gen;
	struct net_nbr_table nbr;
	struct net_route_table routes;
};

/*
 * One slot of a worker's next-hop cache (worker-private, direct-mapped by a
 * hash of the destination): where a packet to @dst goes when the snapshot of
 * generation @gen is current. Resolved from the route list and the
 * neighbour table by send_ip() on a miss; only REACHABLE/STATIC neighbours
 * are cached, so an unresolved next hop keeps going to the control core.
 */
struct rd_nh {
	uint64_t gen;			/* rd_fwd.gen it was resolved in, 0 = empty */
	uint8_t af;			/* 4 or 6, 0 = empty */
	uint8_t port;			/* output port index */
	uint8_t eth[NET_ETH_HLEN];	/* the Ethernet header to prepend */
	uint8_t dst[16];		/* destination (IPv4: first 4 bytes, rest 0) */
} __rte_aligned(64);

/*
 * The part of rampartd every worker reads. The control core owns it (rd.sh,
 * rampartd.h); workers get it as const (w->sh).
 */
struct rd_shared {
	unsigned n_workers;
	unsigned n_ports;
	struct rd_port ports[CONF_MAX_PORTS];
	int8_t port_idx[RTE_MAX_ETHPORTS];	/* ethdev port id -> ports[] index */
	struct rte_ring *handoff[SA_MAX_WORKERS];	/* MPSC mbufs for worker i */
	struct rte_mempool *mp;
	struct rte_ring *punt;		/* MPSC mbufs -> control */
	struct rte_ring *punt_nbr;	/* MPSC ARP/ND mbufs -> control, served first */
	struct rte_ring *ev;		/* MPSC sa_event -> control */
	struct rte_rcu_qsbr *qsbr;
	/* table sizes, from conf max_tunnels (rd_caps_set) */
	unsigned max_children, max_target, max_wroutes;
	/* written after launch, by the control/main thread only */
	struct rd_fwd *fwd;		/* current snapshot: release store, acquire load */
	volatile bool stop;		/* workers: leave the loop */
};

/*
 * Table sizes from conf max_tunnels (0 = the default): child records and
 * worker targets get an eighth more for rekeys in flight (old and new child
 * both installed), worker routes twice that (a child may route several
 * prefixes). Set once, before rd_worker_init and rd_ike_init.
 */
static inline void
rd_caps_set(struct rd_shared *sh, unsigned max_tunnels)
{
	if (max_tunnels == 0)
		max_tunnels = CONF_MAX_TUNNELS_DEFAULT;
	sh->max_children = max_tunnels + max_tunnels / 8;
	sh->max_target = sh->max_children;
	sh->max_wroutes = 2 * sh->max_children;
}

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
	const struct rd_shared *sh;	/* read-only view of rd.sh */
	struct rte_ring *msg_ring;	/* SPSC sa_msg, control -> this worker */
	struct rte_ring *handoff;	/* MPSC mbufs for this worker (= sh->handoff[id]) */
	struct esp_worker *esp;
	struct rd_wstats st;
	/* worker-private from here on */
	struct sa_spd *spd;		/* outbound policy (lib/sa/sa_spd.h) */
	struct sa_event ack_q[RD_MSG_PER_LOOP];	/* acks waiting for room in sh->ev */
	unsigned n_ack_q;
	struct rd_txbuf tx[RTE_MAX_ETHPORTS];
	struct rd_nh *nh;		/* next-hop cache, RD_NH_CACHE slots */
	/* packets for the MP rings, sent in one enqueue per ring at the end
	 * of each burst (or when full): handoffs by owner worker, punts */
	struct rd_txbuf ho_q[SA_MAX_WORKERS];
	struct rd_txbuf punt_q;		/* -> sh->punt */
	struct rd_txbuf punt_nbr_q;	/* -> sh->punt_nbr */
	struct port_kick kick[CONF_MAX_PORTS];	/* af_packet TX queue w (TSC) */
} __rte_cache_aligned;

/* worker_loop.c. rd_worker_init: @sh complete but for the ports (sizes set). */
int rd_worker_init(struct rd_worker *w, const struct rd_shared *sh);
int rd_worker_main(void *arg);
void rd_worker_fini(struct rd_worker *w);

#endif
