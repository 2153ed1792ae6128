/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker lcores. Each worker owns RX queue w and TX queue w of every
 * port, its ESP tables (lib/esp), and its outbound policy database (lib/sa
 * sa_spd: inner destination -> outbound SPI + owner, rte_fib/rte_fib6).
 *
 * Loop: apply up to RD_MSG_PER_LOOP ring messages, receive a burst per port
 * and from the handoff ring, classify, run ESP in/out in bursts, rewrite L2
 * from the current neighbour snapshot, transmit, report an RCU quiescent
 * state, back off when idle.
 *
 * Runs on worker lcores only. Never allocates, locks, logs or frees an SA:
 * deleted SAs go back to the control core on the event ring (SA_EV_DEL_ACK).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "ctl_rate.h"
#include "port.h"
#include "rd_shared.h"
#include "rd_stage.h"
#include "sa/sa_spd.h"

/*
 * Delete acks. The control core must get every SA back, and a worker never
 * waits for room in the event ring: each ack goes to the end of w->ack_q
 * and the queue is sent in order, as far as the ring has room, after each
 * batch of messages and before the next; the rest waits for a later loop.
 * apply_msgs() takes no more messages than the queue has free slots (a
 * message acks at most once), so the queue cannot overflow and there is no
 * other path for an ack.
 */
static unsigned
ack_flush(struct rd_worker *w)
{
	unsigned k;

	if (w->n_ack_q == 0)
		return 0;
	k = rte_ring_mp_enqueue_burst_elem(w->sh->ev, w->ack_q, sizeof(w->ack_q[0]),
					   w->n_ack_q, NULL);
	memmove(w->ack_q, w->ack_q + k, (w->n_ack_q - k) * sizeof(w->ack_q[0]));
	w->n_ack_q -= k;
	return w->n_ack_q;
}

/*
 * One control message: the SA part is lib/esp's (esp_worker_msg, which
 * also says when an SA goes back to the control core), the outbound
 * targets and routes are this worker's. True when @ack is to be sent.
 */
static bool
apply_msg(struct rd_worker *w, const struct sa_msg *m, struct sa_event *ack)
{
	uint32_t t;
	int rc;

	w->st.msgs++;
	switch (m->op) {
	case SA_MSG_ADD_IN:
	case SA_MSG_DEL_IN:
	case SA_MSG_UPDATE_IN:
	case SA_MSG_UPDATE_OUT:
		if (esp_worker_msg(w->esp, m, ack) != 0 && m->op != SA_MSG_DEL_IN)
			w->st.msg_err++;
		break;
	case SA_MSG_ADD_OUT:
		t = sa_spd_target_get(w->spd, m->spi, (uint16_t)w->id, true);
		if (t == SA_SPD_NONE) {
			/* no target: refused like a failed add, SA handed back */
			w->st.msg_err++;
			memset(ack, 0, sizeof(*ack));
			ack->type = SA_EV_DEL_ACK;
			ack->worker = (uint16_t)w->id;
			ack->spi = m->spi;
			ack->cookie = m->cookie;
			ack->sa = m->add.sa;
			break;
		}
		rc = esp_worker_msg(w->esp, m, ack);
		if (rc != 0) {
			w->st.msg_err++;
			sa_spd_target_put(w->spd, t);
			break;
		}
		w->spd->target[t].sa = m->add.sa;
		w->spd->target[t].max_inner = m->add.max_inner;
		break;
	case SA_MSG_DEL_OUT:
		t = sa_spd_target_get(w->spd, m->spi, (uint16_t)w->id, false);
		if (t != SA_SPD_NONE) {
			w->spd->target[t].sa = NULL;
			sa_spd_target_flush(w->spd, t);
		}
		(void)esp_worker_msg(w->esp, m, ack);
		break;
	case SA_MSG_ROUTE_ADD:
		if (sa_spd_route_add(w->spd, &m->route.prefix, m->spi, m->route.owner,
				     m->route.spi_in, (m->route.flags & SA_ROUTE_STANDBY) != 0) != 0)
			w->st.msg_err++;
		return false;
	case SA_MSG_SEL_SET:
		sa_spd_target_sel_set(w->spd, m->spi, m->sel.owner, &m->sel.sel);
		return false;
	case SA_MSG_ROUTE_DEL:
		(void)sa_spd_route_del(w->spd, &m->route.prefix, m->spi);
		return false;
	case SA_MSG_FLUSH:
		/* Routes only: SAs are released by the control core after the
		 * workers have stopped (shutdown). */
		sa_spd_flush(w->spd);
		return false;
	default:
		w->st.msg_err++;
		return false;
	}
	return ack->type == SA_EV_DEL_ACK;
}

/*
 * Apply up to @n messages, as many as w->ack_q has free slots for, then send
 * the acks; how many were applied.
 */
static unsigned
apply_msgs(struct rd_worker *w, const struct sa_msg *msgs, unsigned n)
{
	unsigned i, acks = 0, waiting;

	RTE_BUILD_BUG_ON(RTE_DIM(w->ack_q) < RD_MSG_PER_LOOP);
	if (n > RTE_DIM(w->ack_q) - w->n_ack_q)
		n = RTE_DIM(w->ack_q) - w->n_ack_q;
	for (i = 0; i < n; i++)		/* n_ack_q < RTE_DIM(ack_q) here */
		if (apply_msg(w, &msgs[i], &w->ack_q[w->n_ack_q])) {
			w->n_ack_q++;
			acks++;
		}
	waiting = ack_flush(w);
	w->st.ack_wait += RTE_MIN(acks, waiting);	/* this batch's acks left queued */
	return n;
}

static unsigned
drain_msgs(struct rd_worker *w)
{
	struct sa_msg msgs[RD_MSG_PER_LOOP];
	unsigned n, room;

	/* acks from earlier loops first; one free slot for each message taken */
	room = RD_MSG_PER_LOOP - ack_flush(w);
	if (room == 0)
		return 1;
	n = rte_ring_sc_dequeue_burst_elem(w->msg_ring, msgs, sizeof(msgs[0]), room, NULL);
	if (n == 0)
		return 0;
	return apply_msgs(w, msgs, n);
}

/* ---- packet path ---- */

static inline void
tx_flush(struct rd_worker *w, unsigned pidx)
{
	struct rd_txbuf *b = &w->tx[pidx];
	uint64_t bytes = 0;
	uint16_t sent, i;

	if (b->n == 0)
		return;
	for (i = 0; i < b->n; i++)
		bytes += b->m[i]->pkt_len;
	sent = rte_eth_tx_burst(w->sh->ports[pidx].port_id, (uint16_t)w->id, b->m, b->n);
	for (i = sent; i < b->n; i++)	/* still ours: not sent */
		bytes -= b->m[i]->pkt_len;
	w->st.tx += sent;
	w->st.tx_bytes += bytes;
	if (w->kick[pidx].on && sent)
		port_kick_arm(&w->kick[pidx], rte_rdtsc());
	if (unlikely(sent < b->n)) {
		w->st.drop[RD_DROP_TX_FULL] += b->n - sent;
		rte_pktmbuf_free_bulk(b->m + sent, b->n - sent);
	}
	b->n = 0;
}

static inline void
tx_enqueue(struct rd_worker *w, unsigned pidx, struct rte_mbuf *m)
{
	struct rd_txbuf *b = &w->tx[pidx];

	b->m[b->n++] = m;
	if (b->n == RD_BURST)
		tx_flush(w, pidx);
}

/*
 * ARP or ND (ICMPv6 NS/NA, no extension header: what net_classify calls
 * NET_CL_ND) in a frame already classified for the control core. These go
 * on their own ring, which the control core drains first, so an IKE flood
 * filling the punt ring cannot starve neighbour discovery.
 */
static inline bool
is_nbr_frame(const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t type;

	if (m->data_len < NET_ETH_HLEN)
		return false;
	type = (uint16_t)(f[12] << 8 | f[13]);
	if (type == NET_ETHER_ARP)
		return true;
	return type == NET_ETHER_IPV6 && m->data_len > NET_ETH_HLEN + 40 &&
	       f[NET_ETH_HLEN + 6] == 58 &&
	       (f[NET_ETH_HLEN + 40] == 135 || f[NET_ETH_HLEN + 40] == 136);
}

/*
 * A new IKE_SA_INIT request on UDP 500 (no responder SPI, no COOKIE): what a
 * spoofing flood sends. Such frames may fill only the lower three quarters
 * of the punt ring; the rest stays free for exchanges under way, ICMP and
 * packets waiting for a neighbour. Bounded reads of a classified frame.
 */
static inline bool
is_new_ike_init(const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t udp;

	if (m->data_len < NET_ETH_HLEN + 40 + 8)
		return false;
	if (f[12] == 0x08 && f[13] == 0x00 && f[NET_ETH_HLEN + 9] == 17)
		udp = NET_ETH_HLEN + (uint32_t)(f[NET_ETH_HLEN] & 0xf) * 4;
	else if (f[12] == 0x86 && f[13] == 0xdd && f[NET_ETH_HLEN + 6] == 17)
		udp = NET_ETH_HLEN + 40;
	else
		return false;
	if (udp + 8 > m->data_len || f[udp + 2] != 500 >> 8 || f[udp + 3] != (500 & 0xff))
		return false;
	return !rd_ike_is_ongoing(f + udp + 8, m->data_len - udp - 8);
}

/*
 * Enqueue the packets waiting in @b on the multi-producer ring @r in one
 * burst (one CAS for all of them, not one per packet); what does not fit is
 * freed and counted as @full. Returns how many went.
 */
static inline unsigned
ring_flush(struct rd_worker *w, struct rte_ring *r, struct rd_txbuf *b, enum rd_drop full)
{
	unsigned k;

	if (b->n == 0)
		return 0;
	k = rte_ring_mp_enqueue_burst(r, (void **)b->m, b->n, NULL);
	if (unlikely(k < b->n)) {
		w->st.drop[full] += b->n - k;
		rte_pktmbuf_free_bulk(b->m + k, b->n - k);
	}
	b->n = 0;
	return k;
}

static inline void
punt_flush(struct rd_worker *w)
{
	w->st.punt += ring_flush(w, w->sh->punt_nbr, &w->punt_nbr_q, RD_DROP_PUNT_FULL);
	w->st.punt += ring_flush(w, w->sh->punt, &w->punt_q, RD_DROP_PUNT_FULL);
}

static inline void
handoff_flush(struct rd_worker *w)
{
	unsigned i;

	for (i = 0; i < w->sh->n_workers; i++)
		if (w->ho_q[i].n)
			w->st.handoff_out += ring_flush(w, w->sh->handoff[i], &w->ho_q[i],
							RD_DROP_HANDOFF_FULL);
}

/*
 * Punts and handoffs are queued per destination ring and sent when the burst
 * is done (ring_flush), keeping their order per ring. The IKE shedding
 * threshold counts what is queued for the punt ring too.
 */
static inline void
punt(struct rd_worker *w, struct rte_mbuf *m, uint8_t reason)
{
	bool nbr = reason == RD_PUNT_RX && is_nbr_frame(m);
	struct rd_txbuf *b = nbr ? &w->punt_nbr_q : &w->punt_q;

	rd_meta(m)->reason = reason;
	if (!nbr && reason == RD_PUNT_RX &&
	    rte_ring_count(w->sh->punt) + b->n >= RD_PUNT_RING / 4 * 3 && is_new_ike_init(m)) {
		w->st.drop[RD_DROP_PUNT_IKE_SHED]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (unlikely(b->n == RD_BURST))
		punt_flush(w);
	b->m[b->n++] = m;
}

static inline void
handoff(struct rd_worker *w, unsigned owner, struct rte_mbuf *m, uint8_t hops)
{
	struct rd_txbuf *b;

	if (unlikely(hops >= RD_MAX_HOPS || owner >= w->sh->n_workers)) {
		w->st.drop[RD_DROP_HOPS]++;
		rte_pktmbuf_free(m);
		return;
	}
	rd_meta(m)->hops = (uint8_t)(hops + 1);
	b = &w->ho_q[owner];
	if (unlikely(b->n == RD_BURST))
		w->st.handoff_out += ring_flush(w, w->sh->handoff[owner], b,
						RD_DROP_HANDOFF_FULL);
	b->m[b->n++] = m;
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * The outbound targets of the packets of a burst from a private port that
 * the classifier forwards (t[i], NULL otherwise or without a route): one
 * bulk lookup for the IPv4 destinations and one for the IPv6 ones.
 */
static void
fwd_lookup(const struct rd_worker *w, struct rte_mbuf **m, const struct net_pkt_info *pi,
	   uint16_t n, const struct sa_spd_target **t)
{
	uint32_t a[RD_BURST];
	uint8_t a6[RD_BURST][16];
	const struct sa_spd_target *r[RD_BURST];
	uint16_t idx[RD_BURST], idx6[RD_BURST], n4 = 0, n6 = 0, i;

	for (i = 0; i < n; i++) {
		const uint8_t *ip;

		t[i] = NULL;
		if (m[i]->nb_segs != 1 || pi[i].cls != NET_CL_FWD)
			continue;
		ip = rte_pktmbuf_mtod_offset(m[i], const uint8_t *, pi[i].l3_off);
		if (pi[i].af == 4) {
			a[n4] = rd32(ip + 16);
			idx[n4++] = i;
		} else {
			memcpy(a6[n6], ip + 24, 16);
			idx6[n6++] = i;
		}
	}
	if (n4 != 0) {
		sa_spd_lookup4_bulk(w->spd, a, n4, r);
		for (i = 0; i < n4; i++)
			t[idx[i]] = r[i];
	}
	if (n6 != 0) {
		sa_spd_lookup6_bulk(w->spd, (const uint8_t (*)[16])a6, n6, r);
		for (i = 0; i < n6; i++)
			t[idx6[i]] = r[i];
	}
}

/*
 * Inner source and destination targets of @n decrypted packets (data at
 * the IP header): one bulk lookup of the 2n IPv4 addresses and one of the
 * IPv6 ones.
 */
static void
in_lookup(const struct rd_worker *w, struct rte_mbuf **m, uint16_t n,
	  const struct sa_spd_target **src, const struct sa_spd_target **dst)
{
	uint32_t a[2 * RD_BURST];
	uint8_t a6[2 * RD_BURST][16];
	const struct sa_spd_target *r[2 * RD_BURST];
	uint16_t idx[RD_BURST], idx6[RD_BURST], n4 = 0, n6 = 0, i;

	RTE_BUILD_BUG_ON(2 * RD_BURST > SA_SPD_BULK_MAX);
	for (i = 0; i < n; i++) {
		const uint8_t *ip = rte_pktmbuf_mtod(m[i], const uint8_t *);

		if ((ip[0] >> 4) == 4) {
			a[2 * n4] = rd32(ip + 12);
			a[2 * n4 + 1] = rd32(ip + 16);
			idx[n4++] = i;
		} else {
			memcpy(a6[2 * n6], ip + 8, 32);		/* source, destination */
			idx6[n6++] = i;
		}
	}
	if (n4 != 0) {
		sa_spd_lookup4_bulk(w->spd, a, 2u * n4, r);
		for (i = 0; i < n4; i++) {
			src[idx[i]] = r[2 * i];
			dst[idx[i]] = r[2 * i + 1];
		}
	}
	if (n6 != 0) {
		sa_spd_lookup6_bulk(w->spd, (const uint8_t (*)[16])a6, 2u * n6, r);
		for (i = 0; i < n6; i++) {
			src[idx6[i]] = r[2 * i];
			dst[idx6[i]] = r[2 * i + 1];
		}
	}
}

/*
 * The next-hop cache slot for (@af, @dst): a multiplicative hash of the
 * address (IPv6: its four words folded) picks one of RD_NH_CACHE slots.
 */
static inline struct rd_nh *
nh_slot(const struct rd_worker *w, uint8_t af, const uint8_t *dst)
{
	uint32_t h = rd32(dst);

	if (af != 4)
		h ^= rd32(dst + 4) ^ rd32(dst + 8) ^ rd32(dst + 12);
	return &w->nh[(h * 2654435761u) >> (32 - RD_NH_CACHE_BITS)];
}

/* true if @e holds the next hop for (@af, @dst) in the snapshot of @gen. */
static inline bool
nh_hit(const struct rd_nh *e, uint64_t gen, uint8_t af, const uint8_t *dst)
{
	return e->gen == gen && e->af == af && memcmp(e->dst, dst, af == 4 ? 4 : 16) == 0;
}

/* Prepend the cached Ethernet header of @e and queue @m on its port. */
static inline void
send_nh(struct rd_worker *w, const struct rd_nh *e, struct rte_mbuf *m)
{
	uint8_t *eth = (uint8_t *)rte_pktmbuf_prepend(m, NET_ETH_HLEN);

	if (unlikely(eth == NULL)) {
		w->st.drop[RD_DROP_NO_HEADROOM]++;
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(eth, e->eth, NET_ETH_HLEN);
	tx_enqueue(w, e->port, m);
}

/*
 * Send an IP packet (data at the IP header) towards its destination. The
 * worker's next-hop cache answers for a destination already resolved in the
 * current snapshot (fwd->gen): port and a prebuilt Ethernet header, no route
 * scan, no neighbour lookup. Otherwise route table -> port and next hop,
 * neighbour snapshot -> MAC, and a resolved next hop fills the cache slot. A
 * missing neighbour sends the packet to the control core, which resolves and
 * sends it (nothing cached: the next packet asks the snapshot again).
 */
static void
send_ip(struct rd_worker *w, const struct rd_fwd *fwd, struct rte_mbuf *m)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	uint8_t af = (ip[0] >> 4) == 4 ? 4 : 6, nh[16];
	const uint8_t *dst = af == 4 ? ip + 16 : ip + 24;
	struct rd_nh *e = nh_slot(w, af, dst);
	const struct net_route *r;
	const struct net_nbr *nb;
	struct rd_meta *meta;

	if (likely(nh_hit(e, fwd->gen, af, dst))) {
		send_nh(w, e, m);
		return;
	}
	r = net_route_lookup(&fwd->routes, af, dst, nh);
	if (unlikely(r == NULL)) {
		w->st.drop[RD_DROP_NO_ROUTE]++;
		rte_pktmbuf_free(m);
		return;
	}
	nb = net_nbr_lookup(&fwd->nbr, af, nh);
	if (likely(nb != NULL && nb->state >= NET_NBR_REACHABLE)) {
		/* fill the slot first: @dst points into the packet, which the
		 * prepend below leaves in place */
		e->gen = fwd->gen;
		e->af = af;
		e->port = r->port;
		memset(e->dst, 0, sizeof(e->dst));
		memcpy(e->dst, dst, af == 4 ? 4 : 16);
		net_eth_write(e->eth, nb->mac, w->sh->ports[r->port].ifa.mac,
			      af == 4 ? NET_ETHER_IPV4 : NET_ETHER_IPV6);
		send_nh(w, e, m);
		return;
	}
	meta = rd_meta(m);
	meta->port = r->port;
	meta->af = af;
	memcpy(meta->nh, nh, 16);
	w->st.nbr_miss++;
	punt(w, m, RD_PUNT_NBR_MISS);
}

/* Strip L2 and Ethernet padding: data = the IP packet, exactly. */
static inline void
to_l3(struct rte_mbuf *m, const struct net_pkt_info *pi)
{
	rte_pktmbuf_adj(m, pi->l3_off);
	if (m->data_len > pi->l3_len)
		rte_pktmbuf_trim(m, (uint16_t)(m->data_len - pi->l3_len));
}

/*
 * The packets of one forward_burst() call waiting for esp_out_burst(). Appends go
 * through enc_add(), which encrypts and sends what is queued when the array
 * is full, so no input (however many fragments it becomes) can overrun it
 * and nothing is dropped for lack of room.
 */
struct enc_burst {
	uint16_t n;
	struct esp_sa *sa[ESP_MAX_BURST];
	struct rte_mbuf *m[ESP_MAX_BURST];
};

static void
enc_flush(struct rd_worker *w, const struct rd_fwd *fwd, struct enc_burst *b)
{
	uint16_t k, i;

	if (b->n == 0)
		return;
	RD_STAGE_T(tsc);
	k = esp_out_burst(w->esp, b->sa, b->m, b->n);	/* drops counted in lib/esp */
	RD_STAGE_ADD(w->id, RD_STG_ESP_OUT, tsc, b->n);
	w->st.esp_out += b->n;
	w->st.enc_ok += k;
	for (i = 0; i < k; i++)
		send_ip(w, fwd, b->m[i]);
	RD_STAGE_ADD(w->id, RD_STG_L2_OUT, tsc, k);
	b->n = 0;
}

static inline void
enc_add(struct rd_worker *w, const struct rd_fwd *fwd, struct enc_burst *b, struct esp_sa *sa,
	struct rte_mbuf *m)
{
	if (unlikely(b->n == ESP_MAX_BURST))
		enc_flush(w, fwd, b);
	b->sa[b->n] = sa;
	b->m[b->n++] = m;
}

/*
 * An inner packet (data at its IP header) is larger than @t's tunnel can
 * carry within the egress MTU. IPv4 without DF: split it into fragments
 * that fit and queue each for encryption. Otherwise (DF set, or IPv6) the
 * mbuf is rewritten into ICMP "fragmentation needed" / ICMPv6 "packet too
 * big" from our address on port @pidx to the sender (RFC 1191, RFC 8201).
 */
static void
too_big(struct rd_worker *w, const struct rd_fwd *fwd, unsigned pidx, struct rte_mbuf *m,
	const struct sa_spd_target *t, struct enc_burst *b)
{
	const struct net_if_addrs *ifa = &w->sh->ports[pidx].ifa;
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
	struct rte_mbuf *frag[RD_MAX_FRAGS];
	uint32_t len = m->data_len, n, i;
	uint8_t copy[1280];
	const uint8_t *src;
	unsigned nf;

	if ((ip[0] >> 4) == 4 && !(ip[6] & 0x40)) {
		nf = net_ipv4_frag_count(ip, len, t->max_inner);
		if (nf < 2 || nf > RD_MAX_FRAGS)
			goto drop;
		/* All fragments or none: a partial set only wastes the tunnel. */
		if (rte_pktmbuf_alloc_bulk(w->sh->mp, frag, nf) != 0) {
			w->st.drop[RD_DROP_ALLOC]++;
			rte_pktmbuf_free(m);
			return;
		}
		for (i = 0; i < nf; i++) {
			uint8_t *d = (uint8_t *)rte_pktmbuf_append(frag[i], (uint16_t)t->max_inner);

			n = d ? net_ipv4_frag_build(ip, len, t->max_inner, i, d, t->max_inner) : 0;
			if (n == 0)
				break;
			rte_pktmbuf_trim(frag[i], (uint16_t)(t->max_inner - n));
		}
		if (i < nf) {
			rte_pktmbuf_free_bulk(frag, nf);
			goto drop;
		}
		for (i = 0; i < nf; i++)
			enc_add(w, fwd, b, t->sa, frag[i]);
		w->st.frag++;
		rte_pktmbuf_free(m);
		return;
	}
	src = (ip[0] >> 4) == 4 ? (ifa->n_v4 ? (const uint8_t *)&ifa->v4_be[0] : NULL) :
				   (ifa->n_v6 ? ifa->v6[0] : NULL);
	if (src == NULL)
		goto drop;
	n = len < sizeof(copy) ? len : sizeof(copy);
	memcpy(copy, ip, n);
	rte_pktmbuf_reset_headroom(m);
	m->data_len = 0;
	m->pkt_len = 0;
	n = net_icmp_too_big(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m), copy, n, src,
			     t->max_inner);
	if (n == 0 || rte_pktmbuf_append(m, (uint16_t)n) == NULL)
		goto drop;
	w->st.pmtu_icmp++;
	send_ip(w, fwd, m);
	return;
drop:
	w->st.drop[RD_DROP_TOO_BIG]++;
	rte_pktmbuf_free(m);
}

/* Port whose frames a hairpinned inner packet is re-injected as (handoff). */
static int
inner_port(const struct rd_shared *sh)
{
	unsigned i;

	for (i = 0; i < sh->n_ports; i++)
		if (sh->ports[i].role != CONF_PORT_PUBLIC)
			return (int)i;
	return -1;
}

/*
 * The NIC's verdict on a received frame's IPv4 header checksum
 * (RTE_MBUF_F_RX_IP_CKSUM_*): GOOD spares the classifier the software sum,
 * BAD drops the frame; UNKNOWN, and NONE (header valid but its checksum
 * field not filled in, which forwarding would send on as it is), are
 * verified in software. Frames the worker builds carry no such flag, and
 * esp_in clears them on a decapsulated packet (they were the outer
 * header's), so a hairpinned inner packet handed to its owner is checked.
 */
static inline unsigned
rx_l3ck(const struct rte_mbuf *m)
{
	switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
	case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
		return NET_L3CK_GOOD;
	case RTE_MBUF_F_RX_IP_CKSUM_BAD:
		return NET_L3CK_BAD;
	default:
		return NET_L3CK_UNKNOWN;
	}
}

/*
 * Classify a burst received on port @pidx (or handed over by another worker)
 * and forward each packet: decrypt, encrypt, punt or drop.
 */
static void
forward_burst(struct rd_worker *w, const struct rd_fwd *fwd, unsigned pidx,
	      struct rte_mbuf **pkts, uint16_t n, bool from_handoff)
{
	const struct rd_port *port = &w->sh->ports[pidx];
	struct rte_mbuf *in[RD_BURST], *drop[RD_BURST];
	struct esp_in_pre pre[RD_BURST];	/* in[i]'s ESP header, from pis[] */
	const struct sa_spd_target *fwd_t[RD_BURST];
	struct net_pkt_info pis[RD_BURST];
	struct enc_burst enc;
	uint16_t n_in = 0, n_drop = 0, i, k;

	/* in[] and drop[] take at most one entry per input packet. */
	RTE_ASSERT(n <= RD_BURST);
	enc.n = 0;
	RD_STAGE_T(tsc);
	/* classify the burst, then find the targets of all its forwarded packets at once */
	for (i = 0; i < n; i++)
		if (likely(pkts[i]->nb_segs == 1))
			net_classify_ck(rte_pktmbuf_mtod(pkts[i], const uint8_t *),
					pkts[i]->data_len, &port->ifa, rx_l3ck(pkts[i]), &pis[i]);
	RD_STAGE_ADD(w->id, RD_STG_CLASSIFY, tsc, n);
	if (port->role != CONF_PORT_PUBLIC) {
		fwd_lookup(w, pkts, pis, n, fwd_t);
		RD_STAGE_ADD(w->id, RD_STG_SPD, tsc, n);
	}
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint8_t hops = from_handoff ? rd_meta(m)->hops : 0;
		const struct net_pkt_info *pi = &pis[i];
		const struct sa_spd_target *t;
		unsigned owner;

		if (unlikely(m->nb_segs != 1)) {
			w->st.drop[RD_DROP_MULTISEG]++;
			drop[n_drop++] = m;
			continue;
		}
		w->st.cls[pi->cls]++;
		switch (pi->cls) {
		case NET_CL_ESP:
			owner = sa_spi_worker(pi->spi);
			if (owner != w->id && owner < w->sh->n_workers) {
				handoff(w, owner, m, hops);
				break;
			}
			rd_meta(m)->spi = pi->spi;
			to_l3(m, pi);
			/* the classifier's parse, so lib/esp need not walk it again */
			pre[n_in].spi = pi->spi;
			pre[n_in].udp = pi->l4_proto == IPPROTO_UDP;
			pre[n_in].esp_off = (uint16_t)(pi->l4_off - pi->l3_off +
						       (pre[n_in].udp ? NET_UDP_HLEN : 0));
			in[n_in++] = m;
			w->st.esp_in++;
			break;
		case NET_CL_IKE:
		case NET_CL_ARP:
		case NET_CL_ICMP:
		case NET_CL_ND:
			punt(w, m, RD_PUNT_RX);
			break;
		case NET_CL_FWD:
			if (port->role == CONF_PORT_PUBLIC) {
				w->st.drop[RD_DROP_NOT_PRIVATE]++;
				drop[n_drop++] = m;
				break;
			}
			t = fwd_t[i];
			if (t == NULL) {
				w->st.drop[RD_DROP_NO_SA]++;
				drop[n_drop++] = m;
				break;
			}
			if (t->owner != w->id) {
				handoff(w, t->owner, m, hops);
				break;
			}
			if (t->sa == NULL) {
				w->st.drop[RD_DROP_NO_SA]++;
				drop[n_drop++] = m;
				break;
			}
			to_l3(m, pi);
			/* only port-restricted children pay for this */
			if (unlikely(t->has_sel) &&
			    !sa_sel_match(&t->sel, rte_pktmbuf_mtod(m, const uint8_t *),
					  m->data_len, false)) {
				w->st.drop[RD_DROP_TS_MISMATCH]++;
				drop[n_drop++] = m;
				break;
			}
			if (net_ip_forward_ttl(rte_pktmbuf_mtod(m, uint8_t *), m->data_len) != 0) {
				w->st.drop[RD_DROP_TTL]++;
				drop[n_drop++] = m;
				break;
			}
			if (unlikely(t->max_inner && m->data_len > t->max_inner)) {
				too_big(w, fwd, pidx, m, t, &enc);
				break;
			}
			enc_add(w, fwd, &enc, t->sa, m);
			break;
		case NET_CL_NATT_KA:
			w->st.drop[RD_DROP_NATT_KEEPALIVE]++;
			drop[n_drop++] = m;
			break;
		case NET_CL_LOCAL:
			w->st.drop[RD_DROP_LOCAL]++;
			drop[n_drop++] = m;
			break;
		default:
			w->st.drop[RD_DROP_MALFORMED]++;
			drop[n_drop++] = m;
		}
	}
	if (n_drop)
		rte_pktmbuf_free_bulk(drop, n_drop);
	RD_STAGE_ADD(w->id, RD_STG_DISPATCH, tsc, n);

	if (n_in) {
		const struct sa_spd_target *src_ts[RD_BURST], *dst_ts[RD_BURST];

		k = esp_in_burst_pre(w->esp, in, pre, n_in);
		RD_STAGE_ADD(w->id, RD_STG_ESP_IN, tsc, n_in);
		w->st.dec_ok += k;
		in_lookup(w, in, k, src_ts, dst_ts);
		for (i = 0; i < k; i++) {
			struct rte_mbuf *m = in[i];
			const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *);
			uint8_t af = (ip[0] >> 4) == 4 ? 4 : 6;
			const struct sa_spd_target *t = dst_ts[i];
			int ip_port;

			/* Anti-spoofing: the inner source must route back into the
			 * child the packet arrived on (its remote traffic selector),
			 * into the child that one replaced, or into its successor
			 * before the switch (rekey overlap). */
			if (unlikely(!sa_spd_src_ok(src_ts[i], rd_meta(m)->spi))) {
				w->st.drop[RD_DROP_SPOOF]++;
				rte_pktmbuf_free(m);
				continue;
			}
			/* the protocol/port selectors of the child the source
			 * routes into (during a rekey: the child being replaced) */
			if (unlikely(src_ts[i]->has_sel) &&
			    !sa_sel_match(&src_ts[i]->sel, ip, m->data_len, true)) {
				w->st.drop[RD_DROP_TS_MISMATCH]++;
				rte_pktmbuf_free(m);
				continue;
			}
			if (t == NULL) {
				send_ip(w, fwd, m);	/* towards the LAN */
			} else if (t->owner == w->id && t->sa != NULL) {
				/* hairpin: peer to peer */
				if (unlikely(t->max_inner && m->data_len > t->max_inner)) {
					ip_port = inner_port(w->sh);
					too_big(w, fwd, ip_port >= 0 ? (unsigned)ip_port : pidx, m, t,
						&enc);
					continue;
				}
				enc_add(w, fwd, &enc, t->sa, m);
			} else if (t->owner != w->id && (ip_port = inner_port(w->sh)) >= 0) {
				uint8_t *eth = (uint8_t *)rte_pktmbuf_prepend(m, NET_ETH_HLEN);

				if (eth == NULL) {
					w->st.drop[RD_DROP_NO_HEADROOM]++;
					rte_pktmbuf_free(m);
					continue;
				}
				net_eth_write(eth, w->sh->ports[ip_port].ifa.mac,
					      w->sh->ports[ip_port].ifa.mac,
					      af == 4 ? NET_ETHER_IPV4 : NET_ETHER_IPV6);
				m->port = w->sh->ports[ip_port].port_id;
				handoff(w, t->owner, m, 0);
			} else {
				w->st.drop[RD_DROP_NO_SA]++;
				rte_pktmbuf_free(m);
			}
		}
		RD_STAGE_ADD(w->id, RD_STG_POST_IN, tsc, k);
	}
	enc_flush(w, fwd, &enc);
	punt_flush(w);
	handoff_flush(w);
}

static unsigned
poll_handoff(struct rd_worker *w, const struct rd_fwd *fwd)
{
	struct rte_mbuf *pkts[RD_BURST];
	unsigned n, i, start;

	n = rte_ring_sc_dequeue_burst(w->handoff, (void **)pkts, RD_BURST, NULL);
	if (n == 0)
		return 0;
	w->st.handoff_in += n;
	/* Runs of packets from the same port are classified together. */
	for (start = 0, i = 1; i <= n; i++) {
		if (i < n && pkts[i]->port == pkts[start]->port)
			continue;
		int pidx = w->sh->port_idx[pkts[start]->port];

		if (pidx < 0) {
			w->st.drop[RD_DROP_BAD_PORT] += i - start;
			rte_pktmbuf_free_bulk(pkts + start, i - start);
		} else {
			forward_burst(w, fwd, (unsigned)pidx, pkts + start, (uint16_t)(i - start), true);
		}
		start = i;
	}
	return n;
}

int
rd_worker_init(struct rd_worker *w, const struct rd_shared *sh)
{
	char name[RTE_MEMZONE_NAMESIZE];
	struct sa_spd_conf sc = { .name = name, .socket_id = w->socket };
	int ret;

	if (sh->max_target == 0 || sh->max_wroutes == 0)
		return -EINVAL;		/* rd_caps_set first */
	w->sh = sh;
	snprintf(name, sizeof(name), "rd_spd%u", w->id);
	sc.max_target = w->sh->max_target;
	sc.max_routes = w->sh->max_wroutes;
	ret = sa_spd_create(&sc, &w->spd);
	if (ret < 0)
		return ret;
	w->n_ack_q = 0;
	/* zeroed: gen 0 and af 0 match no snapshot */
	w->nh = rte_zmalloc_socket("rd_nh", sizeof(*w->nh) * RD_NH_CACHE, RTE_CACHE_LINE_SIZE,
				   w->socket);
	if (w->nh == NULL)
		return -ENOMEM;
	ret = esp_worker_create(w->id, w->socket, w->sh->ev, &w->esp);
	if (ret < 0)
		return ret;
	return 0;
}

void
rd_worker_fini(struct rd_worker *w)
{
	unsigned p;

	for (p = 0; p < RTE_MAX_ETHPORTS; p++)
		if (w->tx[p].n) {
			rte_pktmbuf_free_bulk(w->tx[p].m, w->tx[p].n);
			w->tx[p].n = 0;
		}
	/* forward_burst() leaves these empty; freed in case it did not finish */
	for (p = 0; p < SA_MAX_WORKERS; p++)
		if (w->ho_q[p].n) {
			rte_pktmbuf_free_bulk(w->ho_q[p].m, w->ho_q[p].n);
			w->ho_q[p].n = 0;
		}
	if (w->punt_q.n)
		rte_pktmbuf_free_bulk(w->punt_q.m, w->punt_q.n);
	if (w->punt_nbr_q.n)
		rte_pktmbuf_free_bulk(w->punt_nbr_q.m, w->punt_nbr_q.n);
	w->punt_q.n = w->punt_nbr_q.n = 0;
	if (w->esp != NULL)
		esp_worker_destroy(w->esp);
	sa_spd_destroy(w->spd);
	w->spd = NULL;
	rte_free(w->nh);
	w->nh = NULL;
}

/*
 * When idle, re-kick af_packet queues 2 ms after their last transmit and
 * 20 ms after that (port_kick, drivers/port.h), so frames the kernel refused
 * (EAGAIN/ENOBUFS) leave soon.
 */
static void
kick_tx(struct rd_worker *w)
{
	uint64_t now = 0;
	unsigned p;

	for (p = 0; p < w->sh->n_ports; p++) {
		if (w->kick[p].left == 0)
			continue;
		if (now == 0)
			now = rte_rdtsc();
		w->st.tx_kicks += port_kick_poll(&w->kick[p], w->sh->ports[p].port_id,
						 (uint16_t)w->id, w->sh->mp, now);
	}
}

/*
 * Idle back-off: spin RD_IDLE_SPIN empty loops with rte_pause, then sleep,
 * doubling from 1 us to RD_IDLE_MAX_NS. Any work resets it. While asleep the
 * worker is offline for RCU, so it never holds up snapshot reclamation.
 * Returns the TSC cycles spent asleep (0 when it only paused): the loop-gap
 * histogram leaves them out.
 */
static uint64_t
idle_backoff(struct rd_worker *w, unsigned *idle, long *sleep_ns)
{
	struct timespec ts = { 0, rd_idle_step(idle, sleep_ns) };
	uint64_t t0;

	if (ts.tv_nsec == 0) {
		rte_pause();
		return 0;
	}
	t0 = rte_rdtsc();
	rte_rcu_qsbr_thread_offline(w->sh->qsbr, w->id);
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(w->sh->qsbr, w->id);
	w->st.idle_sleeps++;
	return rte_rdtsc() - t0;
}

int
rd_worker_main(void *arg)
{
	struct rd_worker *w = arg;
	struct rte_mbuf *pkts[RD_BURST];
	uint64_t gap_bound[RD_LOOP_GAP_BUCKETS - 1], last_poll, now;
	unsigned idle = 0, p;
	long sleep_ns = 0;

	rd_loop_gap_bounds(gap_bound, rte_get_tsc_hz());
	for (p = 0; p < w->sh->n_ports; p++)
		port_kick_init(&w->kick[p], w->sh->ports[p].kick,
			       rte_get_tsc_hz() / 1000 * RD_KICK_FIRST_MS,
			       rte_get_tsc_hz() / 1000 * RD_KICK_SECOND_MS, 2);
	last_poll = rte_rdtsc();
	rte_rcu_qsbr_thread_register(w->sh->qsbr, w->id);
	rte_rcu_qsbr_thread_online(w->sh->qsbr, w->id);
	RD_LOG(INFO, "worker %u running on lcore %u\n", w->id, w->lcore);
	while (!w->sh->stop) {
		/* Pairs with the release store in rd_fwd_publish(). */
		const struct rd_fwd *fwd = __atomic_load_n(&w->sh->fwd, __ATOMIC_ACQUIRE);
		RD_STAGE_T(tl);
		unsigned work = drain_msgs(w);

		/* loop gap: from the previous RX poll to this one, sleeps excluded */
		now = rte_rdtsc();
		rd_loop_gap_add(&w->st.gap, gap_bound, now - last_poll);
		last_poll = now;
		for (p = 0; p < w->sh->n_ports; p++) {
			RD_STAGE_T(tr);
			uint16_t n = rte_eth_rx_burst(w->sh->ports[p].port_id, (uint16_t)w->id,
						      pkts, RD_BURST);

			if (n) {
				uint64_t bytes = 0;
				uint16_t i;

				for (i = 0; i < n; i++)
					bytes += pkts[i]->pkt_len;
				w->st.rx += n;
				w->st.rx_bytes += bytes;
				RD_STAGE_ADD(w->id, RD_STG_RX, tr, n);
				forward_burst(w, fwd, p, pkts, n, false);
				work += n;
			}
		}
		work += poll_handoff(w, fwd);
		RD_STAGE_T(tt);
		for (p = 0; p < w->sh->n_ports; p++)
			tx_flush(w, p);
		if (work)
			RD_STAGE_ADD(w->id, RD_STG_TX, tt, 0);
		rte_rcu_qsbr_quiescent(w->sh->qsbr, w->id);
		if (work)
			RD_STAGE_ADD(w->id, RD_STG_LOOP, tl, work);
		if (work) {
			idle = 0;
			sleep_ns = 0;
		} else {
			kick_tx(w);
			last_poll += idle_backoff(w, &idle, &sleep_ns);
		}
	}
	rte_rcu_qsbr_thread_offline(w->sh->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(w->sh->qsbr, w->id);
	RD_LOG(INFO, "worker %u stopped\n", w->id);
	return 0;
}
