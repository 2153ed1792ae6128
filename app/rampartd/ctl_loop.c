/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control lcore's loop and its share of the packet path: punted frames
 * (ARP, ICMP/ICMPv6 echo, ND, IKE), packets waiting for a next-hop MAC, the
 * control RX queue of devices that cannot steer away from it (af_packet),
 * the neighbour table and its RCU-published snapshots, timers.
 *
 * Control core only. Sends on the control TX queue of each port (queue index
 * n_workers), which no worker uses.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <rte_malloc.h>

#include "ctl_rate.h"
#include "port.h"
#include "rampartd.h"
#include "rd_notify.h"

const char *const rd_drop_names[RD_DROP__COUNT] = {
#define RD_DROP_NAME(id, name, doc) [RD_DROP_##id] = name,
	RD_DROP_LIST(RD_DROP_NAME)
#undef RD_DROP_NAME
};

uint64_t
rd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Every mbuf the control core allocates: a failure (pool exhausted) is
 * counted, and logged once when it starts and once when allocation works
 * again, however long it lasts.
 */
struct rte_mbuf *
rd_ctl_mbuf_alloc(void)
{
	static uint64_t failing;	/* failures in the current episode */
	/* Fault injection: mbufs the control core frees land in its own cache
	 * and would be reused at once; an exhausted pool fails them too. */
	struct rte_mbuf *m = rd_fault_active(RD_FAULT_MBUF_EXHAUST) ? NULL :
			     rte_pktmbuf_alloc(rd.sh.mp);

	if (unlikely(m == NULL)) {
		if (failing++ == 0)
			rd_ev_fault("mbuf_pool", "exhausted", "in_use",
				    rte_mempool_in_use_count(rd.sh.mp));
		rd.st.mbuf_fail++;
		return NULL;
	}
	if (unlikely(failing != 0)) {
		rd_ev_fault("mbuf_pool", "recovered", "failures", failing);
		failing = 0;
	}
	return m;
}

/*
 * Link changes of the ports (a cable pulled, the veth peer set down), seen
 * by polling from the slow timer: logged once per transition, counted.
 */
static void
link_watch(void)
{
	static int8_t last[CONF_MAX_PORTS];	/* 0 unknown, 1 up, -1 down */
	unsigned p;

	for (p = 0; p < rd.sh.n_ports; p++) {
		int st = port_link_state(rd.sh.ports[p].port_id, rd.sh.ports[p].device);
		int8_t now;

		if (st < 0)
			continue;
		now = st ? 1 : -1;
		if (last[p] != 0 && now != last[p]) {
			rd.st.link_changes++;
			rd_ev_link(rd.sh.ports[p].name, now > 0);
		}
		last[p] = now;
	}
}

/* ---- neighbour / route snapshots ---- */

int
rd_fwd_init(void)
{
	const struct conf *c = rd.conf;
	unsigned i, j;

	memset(&rd.master, 0, sizeof(rd.master));
	net_nbr_init(&rd.master.nbr);
	/* Connected routes first, then the configured ones. */
	for (i = 0; i < rd.sh.n_ports; i++) {
		const struct conf_port *cp = &c->ports[i];

		for (j = 0; j < cp->n_addrs; j++) {
			struct net_route r = { .af = cp->addrs[j].af, .depth = cp->addrs[j].len,
					       .port = (uint8_t)i };
			unsigned k, n = r.af == 4 ? 4 : 16;

			for (k = 0; k < n; k++) {
				unsigned bits = k * 8 >= r.depth ? 0 :
						r.depth - k * 8 >= 8 ? 8 : r.depth - k * 8;

				r.dst[k] = cp->addrs[j].addr[k] & (uint8_t)(0xff00 >> bits);
			}
			if (net_route_add(&rd.master.routes, &r) < 0)
				return -ENOSPC;
		}
	}
	for (i = 0; i < c->n_routes; i++) {
		const struct conf_route *cr = &c->routes[i];
		struct net_route r = { .af = cr->dst.af, .depth = cr->dst.len,
				       .port = (uint8_t)cr->port, .has_via = cr->via_af != 0 };

		memcpy(r.dst, cr->dst.addr, 16);
		memcpy(r.via, cr->via, 16);
		if (net_route_add(&rd.master.routes, &r) < 0)
			return -ENOSPC;
	}
	rd.sh.fwd = rte_malloc("rd_fwd", sizeof(*rd.sh.fwd), 64);
	if (rd.sh.fwd == NULL)
		return -ENOMEM;
	rd.master.gen = 1;		/* 0 marks an empty worker next-hop cache slot */
	memcpy(rd.sh.fwd, &rd.master, sizeof(*rd.sh.fwd));
	return 0;
}

/*
 * Publish the master copy if it changed: a new immutable snapshot replaces
 * the old one with a release store (pairs with the acquire load at the top
 * of each worker loop); the old one is freed once every online worker has
 * reported a quiescent state after the swap (rte_rcu_qsbr token).
 */
void
rd_fwd_publish(void)
{
	struct rd_fwd *n, *old;

	if (!rd.fwd_dirty)
		return;
	if (rd.n_retired == RTE_DIM(rd.retired))
		rd_fwd_reclaim(true);
	n = rte_malloc("rd_fwd", sizeof(*n), 64);
	if (n == NULL)
		return;			/* stays dirty: retried next loop */
	rd.master.nbr.version++;
	rd.master.gen++;		/* invalidates every worker's next-hop cache */
	memcpy(n, &rd.master, sizeof(*n));
	old = rd.sh.fwd;
	__atomic_store_n(&rd.sh.fwd, n, __ATOMIC_RELEASE);
	rd.retired[rd.n_retired].p = old;
	rd.retired[rd.n_retired].token = rte_rcu_qsbr_start(rd.sh.qsbr);
	rd.n_retired++;
	rd.fwd_dirty = false;
}

void
rd_fwd_reclaim(bool wait)
{
	unsigned i = 0;

	while (i < rd.n_retired) {
		if (rte_rcu_qsbr_check(rd.sh.qsbr, rd.retired[i].token, wait) == 1) {
			rte_free(rd.retired[i].p);
			rd.retired[i] = rd.retired[--rd.n_retired];
		} else {
			i++;
		}
	}
}

/* ---- transmit ---- */

int
rd_ctl_tx(unsigned pidx, struct rte_mbuf *m)
{
	if (rd.ctl_kick[pidx].on)
		port_kick_arm(&rd.ctl_kick[pidx], rd_now_ms());
	if (rte_eth_tx_burst(rd.sh.ports[pidx].port_id, rd.ctl_q, &m, 1) == 1)
		return 0;
	rd.st.drop[RD_DROP_TX_FULL]++;
	rte_pktmbuf_free(m);
	return -EAGAIN;
}

int
rd_port_by_addr(uint8_t af, const uint8_t *addr)
{
	unsigned i;

	for (i = 0; i < rd.sh.n_ports; i++)
		if (net_if_has_addr(&rd.sh.ports[i].ifa, af, addr))
			return (int)i;
	return -1;
}

static const uint8_t *
port_src(unsigned pidx, uint8_t af)
{
	const struct net_if_addrs *ifa = &rd.sh.ports[pidx].ifa;

	if (af == 4)
		return ifa->n_v4 ? (const uint8_t *)&ifa->v4_be[0] : NULL;
	return ifa->n_v6 ? ifa->v6[0] : NULL;
}

static void
nbr_request(unsigned pidx, uint8_t af, const uint8_t *nh)
{
	const uint8_t *src = port_src(pidx, af);
	struct rte_mbuf *m;
	uint32_t len;
	uint8_t *buf;

	if (src == NULL || (m = rd_ctl_mbuf_alloc()) == NULL)
		return;
	buf = rte_pktmbuf_mtod(m, uint8_t *);
	if (af == 4) {
		struct net_arp a = { .op = NET_ARP_REQUEST };

		memcpy(a.sha, rd.sh.ports[pidx].ifa.mac, 6);
		memcpy(&a.spa_be, src, 4);
		memcpy(&a.tpa_be, nh, 4);
		len = net_arp_build(buf, rte_pktmbuf_tailroom(m), NULL, rd.sh.ports[pidx].ifa.mac,
				    &a);
	} else {
		len = net_nd_build_ns(buf, rte_pktmbuf_tailroom(m), rd.sh.ports[pidx].ifa.mac, src,
				      nh);
	}
	if (len == 0 || rte_pktmbuf_append(m, (uint16_t)len) == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	rd.st.arp_requests++;
	rd_ctl_tx(pidx, m);
}

/* Prepend Ethernet to an IP packet and send it on the control queue. */
static void
send_resolved(struct rte_mbuf *m, unsigned pidx, uint8_t af, const uint8_t mac[6])
{
	uint8_t *eth = (uint8_t *)rte_pktmbuf_prepend(m, NET_ETH_HLEN);

	if (eth == NULL) {
		rd.st.drop[RD_DROP_NO_HEADROOM]++;
		rte_pktmbuf_free(m);
		return;
	}
	net_eth_write(eth, mac, rd.sh.ports[pidx].ifa.mac,
		      af == 4 ? NET_ETHER_IPV4 : NET_ETHER_IPV6);
	rd_ctl_tx(pidx, m);
}

/* Park @m until (af, nh) on port pidx resolves; ask for it if due. */
static void
nbr_park(struct rte_mbuf *m, unsigned pidx, uint8_t af, const uint8_t *nh)
{
	uint64_t now = rd_now_ms();
	struct net_nbr *e = net_nbr_get(&rd.master.nbr, af, nh);
	struct rd_meta *meta = rd_meta(m);
	uint8_t nh_copy[16] = { 0 };
	unsigned i;

	memcpy(nh_copy, nh, af == 4 ? 4 : 16);	/* @nh may point into meta */
	if (e == NULL) {
		rd.st.drop[RD_DROP_PENDING_FULL]++;	/* neighbour table full */
		rte_pktmbuf_free(m);
		return;
	}
	/* Resolved already: a worker punted this with a snapshot older than
	 * the answer (published at the end of this loop), so nothing else
	 * would ever release it. */
	if (e->state >= NET_NBR_REACHABLE) {
		send_resolved(m, pidx, af, e->mac);
		return;
	}
	e->port = (uint8_t)pidx;
	meta->port = (uint8_t)pidx;
	meta->af = af;
	memcpy(meta->nh, nh_copy, 16);
	for (i = 0; i < RD_MAX_PENDING; i++)
		if (rd.pending[i].m == NULL)
			break;
	if (i == RD_MAX_PENDING) {
		rd.st.drop[RD_DROP_PENDING_FULL]++;
		rte_pktmbuf_free(m);
	} else {
		rd.pending[i].m = m;
		rd.pending[i].since_ms = now;
	}
	if (e->state == NET_NBR_INCOMPLETE &&
	    (e->tries == 0 || now - e->updated_ms >= RD_NBR_RETRY_MS)) {
		e->tries++;
		e->updated_ms = now;
		nbr_request(pidx, af, nh_copy);
	}
}

int
rd_send_ip(struct rte_mbuf *m, uint8_t af, const uint8_t *dst)
{
	const struct net_route *r;
	const struct net_nbr *nb;
	uint8_t nh[16];

	r = net_route_lookup(&rd.master.routes, af, dst, nh);
	if (r == NULL) {
		rd.st.drop[RD_DROP_NO_ROUTE]++;
		rte_pktmbuf_free(m);
		return -ENETUNREACH;
	}
	nb = net_nbr_lookup(&rd.master.nbr, af, nh);
	if (nb != NULL && nb->state >= NET_NBR_REACHABLE) {
		send_resolved(m, r->port, af, nb->mac);
		return 0;
	}
	nbr_park(m, r->port, af, nh);
	return 0;
}

/* A neighbour answered: update the table, release what waited for it. */
static void
nbr_update(unsigned pidx, uint8_t af, const uint8_t *addr, const uint8_t mac[6], bool create)
{
	struct net_nbr *e;
	unsigned i, alen = af == 4 ? 4 : 16;

	if (!net_if_on_link(&rd.sh.ports[pidx].ifa, af, addr) ||
	    net_if_has_addr(&rd.sh.ports[pidx].ifa, af, addr))
		return;
	e = create ? net_nbr_get(&rd.master.nbr, af, addr) :
		     (struct net_nbr *)net_nbr_lookup(&rd.master.nbr, af, addr);
	if (e == NULL || e->state == NET_NBR_STATIC)
		return;
	if (e->state != NET_NBR_REACHABLE || memcmp(e->mac, mac, 6) != 0 || e->port != pidx)
		rd.fwd_dirty = true;
	memcpy(e->mac, mac, 6);
	e->state = NET_NBR_REACHABLE;
	e->port = (uint8_t)pidx;
	e->tries = 0;
	e->updated_ms = rd_now_ms();
	for (i = 0; i < RD_MAX_PENDING; i++) {
		struct rte_mbuf *m = rd.pending[i].m;
		struct rd_meta *meta;

		if (m == NULL)
			continue;
		meta = rd_meta(m);
		if (meta->af == af && meta->port == pidx && memcmp(meta->nh, addr, alen) == 0) {
			rd.pending[i].m = NULL;
			send_resolved(m, pidx, af, mac);
		}
	}
}

/* Every ~100 ms: expire parked packets, retry or give up resolutions, age. */
static void
nbr_timers(uint64_t now)
{
	unsigned i;

	for (i = 0; i < RD_MAX_PENDING; i++)
		if (rd.pending[i].m != NULL &&
		    now - rd.pending[i].since_ms > RD_NBR_RETRY_MS * RD_NBR_TRIES) {
			rte_pktmbuf_free(rd.pending[i].m);
			rd.pending[i].m = NULL;
			rd.st.drop[RD_DROP_NBR_TIMEOUT]++;
		}
	for (i = 0; i < NET_NBR_SLOTS; i++) {
		struct net_nbr *e = &rd.master.nbr.e[i];
		uint8_t addr[16];

		if (e->state == NET_NBR_INCOMPLETE && now - e->updated_ms >= RD_NBR_RETRY_MS) {
			if (e->tries >= RD_NBR_TRIES) {
				memcpy(addr, e->addr, 16);
				net_nbr_del(&rd.master.nbr, e->af, addr);
				i--;	/* the slot may hold a moved entry now */
				continue;
			}
			e->tries++;
			e->updated_ms = now;
			nbr_request(e->port, e->af, e->addr);
		} else if (e->state == NET_NBR_REACHABLE && now - e->updated_ms >= RD_NBR_AGE_MS) {
			/* Stale: keep using it while asking again; drop it when
			 * RD_NBR_TRIES requests went unanswered. */
			if (now - e->updated_ms >= RD_NBR_AGE_MS +
			    (uint64_t)RD_NBR_RETRY_MS * RD_NBR_TRIES) {
				memcpy(addr, e->addr, 16);
				net_nbr_del(&rd.master.nbr, e->af, addr);
				rd.fwd_dirty = true;
				i--;
				continue;
			}
			if (e->tries == 0 || (now - e->updated_ms - RD_NBR_AGE_MS) / RD_NBR_RETRY_MS >=
			    e->tries) {
				e->tries++;
				nbr_request(e->port, e->af, e->addr);
			}
		}
	}
}

/* ---- punted frames ---- */

static void
handle_arp(unsigned pidx, struct rte_mbuf *m)
{
	const struct net_if_addrs *ifa = &rd.sh.ports[pidx].ifa;
	struct net_arp a, r;
	bool for_us;
	uint8_t *buf;
	uint32_t len;

	rd.st.arp_in++;
	if (net_arp_parse(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, &a) != 0) {
		rd.st.drop[RD_DROP_CTL_UNSERVED]++;
		goto out;
	}
	for_us = net_if_has_addr(ifa, 4, (const uint8_t *)&a.tpa_be);
	/* RFC 826: update an existing entry from any packet; create one only
	 * when the packet is addressed to us. */
	nbr_update(pidx, 4, (const uint8_t *)&a.spa_be, a.sha, for_us);
	if (!for_us || a.op != NET_ARP_REQUEST)
		goto out;
	r.op = NET_ARP_REPLY;
	memcpy(r.sha, ifa->mac, 6);
	r.spa_be = a.tpa_be;
	memcpy(r.tha, a.sha, 6);
	r.tpa_be = a.spa_be;
	/* Reuse the mbuf: the reply is never longer than a minimum frame. */
	rte_pktmbuf_reset(m);
	buf = rte_pktmbuf_mtod(m, uint8_t *);
	len = net_arp_build(buf, rte_pktmbuf_tailroom(m), a.sha, ifa->mac, &r);
	if (len == 0 || rte_pktmbuf_append(m, (uint16_t)len) == NULL) {
		rd.st.drop[RD_DROP_NO_HEADROOM]++;
		goto out;
	}
	rd.st.arp_replies++;
	rd_ctl_tx(pidx, m);
	return;
out:
	rte_pktmbuf_free(m);
}

static void
handle_icmp(unsigned pidx, struct rte_mbuf *m, const struct net_pkt_info *pi)
{
	int len = net_icmp_echo_reply(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, pi);

	if (len < 0) {
		rd.st.drop[RD_DROP_CTL_UNSERVED]++;	/* not an echo request to us */
		rte_pktmbuf_free(m);
		return;
	}
	if (m->data_len > len)
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - len));
	rd.st.icmp_replies++;
	rd_ctl_tx(pidx, m);
}

static void
handle_nd(unsigned pidx, struct rte_mbuf *m, const struct net_pkt_info *pi)
{
	const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
	uint8_t src[16], lla[6], target[16];
	struct rte_mbuf *r;
	bool have_lla;
	int len;

	if (net_nd_parse_na(frame, m->data_len, pi, target, lla) == 0) {
		nbr_update(pidx, 6, target, lla, false);
		goto out;
	}
	r = rd_ctl_mbuf_alloc();
	if (r == NULL) {
		rd.st.drop[RD_DROP_ALLOC]++;
		goto out;
	}
	len = net_nd_answer(frame, m->data_len, pi, &rd.sh.ports[pidx].ifa,
			    rte_pktmbuf_mtod(r, uint8_t *), rte_pktmbuf_tailroom(r), src, lla,
			    &have_lla);
	if (have_lla)
		nbr_update(pidx, 6, src, lla, len > 0);
	if (len <= 0 || rte_pktmbuf_append(r, (uint16_t)len) == NULL) {
		rd.st.drop[RD_DROP_CTL_UNSERVED]++;
		rte_pktmbuf_free(r);
		goto out;
	}
	rd.st.nd_answers++;
	rd_ctl_tx(pidx, r);
out:
	rte_pktmbuf_free(m);
}

/*
 * IKE budget (ctl_rate.h): one token per datagram from its source address
 * and from the total, before lib/ike parses anything. Without a limiter
 * (creation failed at start) everything passes.
 *
 * "Under way" (may use the reserve): an IKE_SA_INIT returning a COOKIE, or a
 * datagram whose header names one of our live IKE SAs by our SPI
 * (ike_spi_known: one hash look-up). A non-zero responder SPI alone is not
 * enough: a spoofing flood could set one at random and take the reserve
 * from the clients it is there for.
 */
static uint64_t admit_now_ns;		/* set once per burst (admit_clock) */

static void
admit_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	admit_now_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool
ike_admit(const uint8_t *frame, const struct net_pkt_info *pi)
{
	const uint8_t *ip = frame + pi->l3_off, *ike = frame + pi->ike_off;
	uint64_t spi_i = 0, spi_r = 0;
	bool ongoing;

	if (rd.ike_rate == NULL)
		return true;
	if (pi->ike_len >= 2 * sizeof(spi_i)) {
		memcpy(&spi_i, ike, sizeof(spi_i));
		memcpy(&spi_r, ike + sizeof(spi_i), sizeof(spi_r));
	}
	ongoing = rd_ike_is_ongoing(ike, pi->ike_len);
	if (ongoing && spi_r != 0 && rd.ike != NULL && !ike_spi_known(rd.ike, ike, pi->ike_len)) {
		rd.st.ike_spi_unknown++;
		ongoing = false;
	}
	switch (rd_rate_check(rd.ike_rate, pi->af, pi->af == 4 ? ip + 12 : ip + 8, ongoing,
			      spi_i, admit_now_ns)) {
	case RD_RATE_PASS:
		rd.st.ike_rate_pass++;
		return true;
	case RD_RATE_DROP_SRC:
		rd.st.drop[RD_DROP_IKE_RATE_SRC]++;
		return false;
	default:
		rd.st.drop[RD_DROP_IKE_RATE_TOTAL]++;
		return false;
	}
}

/* A frame for the control core itself (punted, or from the control RX queue). */
static void
handle_local(unsigned pidx, struct rte_mbuf *m, const struct net_pkt_info *pi)
{
	switch (pi->cls) {
	case NET_CL_ARP:
		handle_arp(pidx, m);
		return;
	case NET_CL_ICMP:
		handle_icmp(pidx, m, pi);
		return;
	case NET_CL_ND:
		handle_nd(pidx, m, pi);
		return;
	case NET_CL_IKE:
		rd.st.ike_in++;
		if (ike_admit(rte_pktmbuf_mtod(m, const uint8_t *), pi))
			rd_ike_input(pidx, rte_pktmbuf_mtod(m, const uint8_t *), pi);
		break;
	case NET_CL_NATT_KA:
		rd.st.drop[RD_DROP_NATT_KEEPALIVE]++;
		break;
	case NET_CL_LOCAL:
		rd.st.drop[RD_DROP_LOCAL]++;
		break;
	default:
		rd.st.drop[RD_DROP_MALFORMED]++;
		break;
	}
	rte_pktmbuf_free(m);
}

/*
 * ARP and ND punted by the workers: their own ring, drained completely
 * (bounded by its size) before any IKE is looked at.
 */
static unsigned
poll_nbr(void)
{
	struct rte_mbuf *pkts[RD_BURST];
	unsigned n, i, total = 0;

	do {
		n = rte_ring_sc_dequeue_burst(rd.sh.punt_nbr, (void **)pkts, RD_BURST, NULL);
		for (i = 0; i < n; i++) {
			struct net_pkt_info pi;
			int pidx = rd.sh.port_idx[pkts[i]->port];

			rd.st.nbr_rx++;
			if (pidx < 0) {
				rte_pktmbuf_free(pkts[i]);
				continue;
			}
			net_classify(rte_pktmbuf_mtod(pkts[i], const uint8_t *), pkts[i]->data_len,
				     &rd.sh.ports[pidx].ifa, &pi);
			if (pi.cls == NET_CL_ARP || pi.cls == NET_CL_ND)
				handle_local((unsigned)pidx, pkts[i], &pi);
			else
				rte_pktmbuf_free(pkts[i]);
		}
		total += n;
	} while (n == RD_BURST && total < RD_PUNT_NBR_RING);
	return total;
}

static unsigned poll_punt_burst(void);

static unsigned
poll_punt(void)
{
	unsigned total = 0, n;

	/* Empty the ring each loop (up to its size): what the IKE budget
	 * refuses is dropped here, cheaply and counted, instead of at a full
	 * ring where neighbour discovery and exchanges under way would be
	 * lost with it. ARP/ND are served between bursts. */
	do {
		n = poll_punt_burst();
		total += n;
		if (n != 0)
			total += poll_nbr();
	} while (n == RD_BURST && total < RD_PUNT_RING);
	return total;
}

static unsigned
poll_punt_burst(void)
{
	struct rte_mbuf *pkts[RD_BURST];
	unsigned n, i;

	n = rte_ring_sc_dequeue_burst(rd.sh.punt, (void **)pkts, RD_BURST, NULL);
	if (n != 0)
		admit_clock();
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rd_meta *meta = rd_meta(m);
		struct net_pkt_info pi;
		int pidx;

		if (meta->reason == RD_PUNT_NBR_MISS) {
			nbr_park(m, meta->port, meta->af, meta->nh);
			continue;
		}
		rd.st.punt_rx++;
		pidx = rd.sh.port_idx[m->port];
		if (pidx < 0) {
			rd.st.drop[RD_DROP_BAD_PORT]++;
			rte_pktmbuf_free(m);
			continue;
		}
		net_classify(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
			     &rd.sh.ports[pidx].ifa, &pi);
		handle_local((unsigned)pidx, m, &pi);
	}
	return n;
}

/* Give a datapath frame that arrived on the control RX queue to a worker. */
static void
to_worker(struct rte_mbuf *m, unsigned w)
{
	rd_meta(m)->hops = 0;
	if (w >= rd.sh.n_workers) {
		rd.st.drop[RD_DROP_NO_WORKER]++;	/* no SA can have that SPI */
		rte_pktmbuf_free(m);
	} else if (rte_ring_mp_enqueue(rd.workers[w]->handoff, m) != 0) {
		rd.st.drop[RD_DROP_HANDOFF_FULL]++;
		rte_pktmbuf_free(m);
	}
}

static unsigned
poll_ctl_rx(void)
{
	struct rte_mbuf *pkts[RD_BURST];
	unsigned p, i, total = 0;
	uint16_t n;

	for (p = 0; p < rd.sh.n_ports; p++) {
		if (!rd.sh.ports[p].ctl_rxq)
			continue;
		n = rte_eth_rx_burst(rd.sh.ports[p].port_id, rd.ctl_q, pkts, RD_BURST);
		if (n != 0)
			admit_clock();
		for (i = 0; i < n; i++) {
			struct net_pkt_info pi;

			net_classify(rte_pktmbuf_mtod(pkts[i], const uint8_t *), pkts[i]->data_len,
				     &rd.sh.ports[p].ifa, &pi);
			if (pi.cls == NET_CL_ESP)
				to_worker(pkts[i], sa_spi_worker(pi.spi));
			else if (pi.cls == NET_CL_FWD)
				to_worker(pkts[i], 0);
			else
				handle_local(p, pkts[i], &pi);
		}
		rd.st.ctl_rx += n;
		total += n;
	}
	return total;
}

/*
 * The control loop: punt ring, control RX queues, worker events, pending
 * ring messages, IKE timers, neighbour timers and the control socket; then
 * snapshot publication and reclamation. Idle back-off like the workers.
 */
void
rd_ctl_main(void)
{
	uint64_t next_slow = 0, next_ike = 0, next_link = 0;
	unsigned idle = 0;
	long sleep_ns = 0;

	while (!rd_signal) {
		unsigned work = poll_nbr() + poll_punt() + poll_nbr() + poll_ctl_rx();
		uint64_t now;

		work += rd_jobs_poll(RD_JOB_POLL);
		work += rd_radius_poll(rd_now_ms());
		work += rd_eaplocal_poll(rd_now_ms());

		rd_ike_events();
		rd_msg_flush();
		now = rd_now_ms();
		if (rd.ike != NULL && now >= next_ike) {
			uint64_t t;

			ike_tick(rd.ike, now);
			t = ike_next_timeout_ms(rd.ike, now);
			next_ike = now + (t < 100 ? t : 100);
		}
		if (now >= next_slow) {
			unsigned p;

			for (p = 0; p < rd.sh.n_ports; p++)
				rd.st.tx_kicks += port_kick_poll(&rd.ctl_kick[p],
								 rd.sh.ports[p].port_id, rd.ctl_q,
								 rd.sh.mp, now);
			nbr_timers(now);
			rd_child_timers(now);
			rd_cmd_poll();
			rd_fault_tick(now);
			next_slow = now + 10;
		}
		if (now >= next_link) {
			link_watch();
			rd_notify_watchdog(now);
			next_link = now + 500;
		}
		if (rd.reload_req) {
			char err[CONF_ERR_LEN];

			rd.reload_req = false;
			rd_reload(NULL, err, sizeof(err));	/* logs and counts a failure */
		}
		rd_fwd_publish();
		rd_fwd_reclaim(false);
		if (work) {
			idle = 0;
			sleep_ns = 0;
		} else {
			struct timespec ts = { 0, rd_idle_step(&idle, &sleep_ns) };

			if (ts.tv_nsec != 0)
				nanosleep(&ts, NULL);
		}
	}
}

/* Run the loop's packet work for @ms without reacting to signals (shutdown). */
void
rd_ctl_drain(uint64_t ms)
{
	uint64_t end = rd_now_ms() + ms;
	struct timespec ts = { 0, 1000000 };

	while (rd_now_ms() < end) {
		poll_nbr();
		poll_punt();
		rd_jobs_poll(RD_JOB_POLL);
		poll_ctl_rx();
		rd_ike_events();
		rd_msg_flush();
		if (rd.ike != NULL)
			ike_tick(rd.ike, rd_now_ms());
		rd_fwd_publish();
		rd_fwd_reclaim(false);
		nanosleep(&ts, NULL);
	}
}
