/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Glue between lib/ike and the datapath, on the control core:
 *   - IKE datagrams in (punted frames) and out (built into mbufs here, sent
 *     on the control TX queue, with the RFC 3948 non-ESP marker on 4500);
 *   - inbound SPI allocation carrying the owner worker (sa_spi_worker);
 *   - route ownership: a child whose remote prefixes another peer identity
 *     routes is refused before anything is sent (ctl_route.c);
 *   - NAT rebinding: IKE_EV_PEER_MOVED -> SA_MSG_UPDATE_IN/OUT to the owner,
 *     SA_EV_PEER_MOVED (authenticated ESP from elsewhere) -> ike_peer_moved;
 *   - child SA lifecycle: IKE_EV_CHILD_UP -> esp_sa_create (both
 *     directions) -> SA_MSG_ADD_IN/ADD_OUT to the owner worker and
 *     SA_MSG_ROUTE_ADD (remote traffic selectors as CIDRs) to every worker;
 *     IKE_EV_CHILD_DOWN -> ROUTE_DEL everywhere, DEL_IN/DEL_OUT to the owner,
 *     esp_sa_destroy only on its SA_EV_DEL_ACK;
 *   - worker events: soft lifetime / sequence near wrap -> ike_rekey_child,
 *     hard lifetime / sequence exhausted -> ike_child_expired.
 * Never touches an SA after handing it to a worker until it comes back.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_random.h>

#include "rampartd.h"

static void
ss_split(const struct sockaddr *sa, uint8_t *af, uint8_t addr[16], uint16_t *port)
{
	memset(addr, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)(const void *)sa;

		*af = 4;
		memcpy(addr, &s->sin_addr, 4);
		*port = ntohs(s->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)(const void *)sa;

		*af = 6;
		memcpy(addr, &s->sin6_addr, 16);
		*port = ntohs(s->sin6_port);
	} else {
		*af = 0;
		*port = 0;
	}
}

static void
ss_make(struct sockaddr_storage *ss, uint8_t af, const uint8_t *addr, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (af == 4) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, addr, 4);
		s->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, addr, 16);
		s->sin6_port = htons(port);
	}
}

/* ---- lib/ike callbacks ---- */

static int
ike_send_cb(void *user, const uint8_t *buf, size_t len, const struct sockaddr *from,
	    const struct sockaddr *to)
{
	uint8_t saf, daf, src[16], dst[16];
	uint16_t sport, dport;
	struct rte_mbuf *m;
	uint32_t flen;
	bool marker;
	int pidx;

	(void)user;
	ss_split(from, &saf, src, &sport);
	ss_split(to, &daf, dst, &dport);
	if (saf == 0 || saf != daf || (pidx = rd_port_by_addr(saf, src)) < 0) {
		rd.st.ike_out_fail++;
		return -EADDRNOTAVAIL;
	}
	/* RFC 3948 2.2: IKE on 4500 carries the zero marker; a NAT keepalive
	 * (one 0xff byte) does not. */
	marker = (sport == NET_PORT_NATT || dport == NET_PORT_NATT) && !(len == 1 && buf[0] == 0xff);
	m = rd_ctl_mbuf_alloc();
	if (m == NULL) {
		rd.st.ike_out_fail++;
		return -ENOBUFS;
	}
	flen = net_udp_build(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m),
			     rd.ports[pidx].ifa.mac, rd.ports[pidx].ifa.mac, saf, src, dst, sport,
			     dport, marker, buf, (uint32_t)len);
	if (flen == 0 || rte_pktmbuf_append(m, (uint16_t)flen) == NULL) {
		rte_pktmbuf_free(m);
		rd.st.ike_out_fail++;
		return -EMSGSIZE;
	}
	rte_pktmbuf_adj(m, NET_ETH_HLEN);	/* rd_send_ip adds the real one */
	rd.st.ike_out++;
	return rd_send_ip(m, saf, dst);
}

/*
 * Inbound SPI = owner worker (top bits, round robin) | CSPRNG bits below it,
 * the direct index among them taken only while free on that worker
 * (lib/sa/sa_spi.h): every installed inbound SA keeps its own direct-index
 * slot, and no SPI says anything about another.
 */
static uint32_t
alloc_spi_cb(void *user)
{
	unsigned w = rd.spi_rr++ % rd.n_workers;
	uint32_t spi;
	int rc;

	(void)user;
	rc = sa_spi_alloc(rd.spi_alloc, w, rd_now_ms(), &spi);
	if (rc != 0) {
		RD_LOG(ERR, "inbound SPI for worker %u: %s\n", w, strerror(-rc));
		return 0;
	}
	return spi;
}

static void
ike_log_cb(void *user, int level, const char *msg)
{
	(void)user;
	rte_log((uint32_t)(level <= IKE_LOG_ERR ? RTE_LOG_ERR : level == IKE_LOG_WARNING ?
			   RTE_LOG_WARNING : level == IKE_LOG_NOTICE ? RTE_LOG_NOTICE :
			   level == IKE_LOG_INFO ? RTE_LOG_INFO : RTE_LOG_DEBUG),
		rd_ike_logtype, "ike: %s\n", msg);
}

/* ---- control -> worker messages ---- */

int
rd_msg_send(unsigned worker, const struct sa_msg *msg)
{
	typeof(rd.backlog[0]) *b = &rd.backlog[worker];
	struct sa_msg copy = *msg;

	if (b->n == 0 && !rd_fault_active(RD_FAULT_RING_FULL) &&
	    rte_ring_sp_enqueue_elem(rd.workers[worker]->msg_ring, &copy, sizeof(copy)) == 0)
		return 0;
	/* Ring full: keep order behind what is already waiting. Logged once
	 * per episode (here and when rd_msg_flush() has emptied the backlog). */
	if (b->n == 0) {
		rd.st.ring_full++;
		RD_LOG(WARNING, "worker %u message ring full: queueing messages\n", worker);
	}
	if (b->n == b->cap && b->head >= b->n / 2) {
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
	rd.st.msg_backlog++;
	return 0;
}

void
rd_msg_flush(void)
{
	unsigned w, k;

	for (w = 0; w < rd.n_workers; w++) {
		typeof(rd.backlog[0]) *b = &rd.backlog[w];

		if (b->n == 0 || rd_fault_active(RD_FAULT_RING_FULL))
			continue;
		/* no memmove per flush: a mass install queues 100 000s of messages */
		k = rte_ring_sp_enqueue_burst_elem(rd.workers[w]->msg_ring, b->q + b->head,
						   sizeof(*b->q), b->n - b->head, NULL);
		b->head += k;
		if (b->head == b->n) {
			b->head = b->n = 0;
			RD_LOG(INFO, "worker %u message ring: backlog delivered\n", w);
		}
	}
}

/* ---- child SAs ---- */

/*
 * rd.child_idx maps a child id to its index in the packed rd.children;
 * rd.timers lists the ids of children with a deferred switch or delete, so
 * rd_child_timers costs O(children with a timer), not O(children).
 */
struct rd_child *
rd_child_find(uint64_t id)
{
	uint32_t i;

	if (!rd_idmap_get(&rd.child_idx, id, &i) || i >= rd.n_children)
		return NULL;
	return &rd.children[i];
}

static void
timers_add(struct rd_child *ch)
{
	if (ch->timer_pos != 0 || rd.n_timers >= rd.max_children)
		return;
	rd.timers[rd.n_timers++] = ch->id;
	ch->timer_pos = rd.n_timers;
}

/* Drop rd.timers[@i]; the last entry moves into its place. */
static void
timers_remove_at(uint32_t i)
{
	struct rd_child *moved;

	rd.timers[i] = rd.timers[--rd.n_timers];
	if (i < rd.n_timers && (moved = rd_child_find(rd.timers[i])) != NULL)
		moved->timer_pos = i + 1;
}

static void
timers_remove(struct rd_child *ch)
{
	uint32_t k = ch->timer_pos;

	if (k == 0)
		return;
	ch->timer_pos = 0;
	timers_remove_at(k - 1);
}

static bool
timer_due(const struct rd_child *ch)
{
	return (ch->switch_pending && !ch->dying) || (ch->dying && ch->del_at_ms != 0);
}

static void
fill_params(struct esp_sa_params *p, const struct ike_child_sa *c, uint8_t dir)
{
	uint8_t laf, raf, la[16], ra[16];
	uint16_t lport, rport;
	unsigned klen = c->enc_key_len + (c->enc == ESP_ENC_AES_GCM16 ? 4 : 0);

	ss_split((const struct sockaddr *)&c->local, &laf, la, &lport);
	ss_split((const struct sockaddr *)&c->remote, &raf, ra, &rport);
	memset(p, 0, sizeof(*p));
	p->dir = dir;
	p->spi = dir == ESP_DIR_IN ? c->spi_in : c->spi_out;
	p->enc = (uint8_t)c->enc;
	p->integ = (uint8_t)c->integ;
	p->enc_key_len = (uint8_t)c->enc_key_len;
	p->integ_key_len = (uint8_t)c->integ_key_len;
	p->esn = c->esn;
	p->outer_af = laf;
	if (klen > sizeof(p->enc_key))
		klen = sizeof(p->enc_key);
	memcpy(p->enc_key, dir == ESP_DIR_IN ? c->key_in : c->key_out, klen);
	if (c->integ_key_len <= sizeof(p->integ_key) && c->integ_key_len <= IKE_MAX_KEY_LEN)
		memcpy(p->integ_key, dir == ESP_DIR_IN ? c->integ_in : c->integ_out,
		       c->integ_key_len);
	/* Outer header as it appears on the wire in this direction. */
	memcpy(p->outer_src, dir == ESP_DIR_IN ? ra : la, 16);
	memcpy(p->outer_dst, dir == ESP_DIR_IN ? la : ra, 16);
	if (c->natt) {
		p->natt_sport = dir == ESP_DIR_IN ? rport : lport;
		p->natt_dport = dir == ESP_DIR_IN ? lport : rport;
	}
	p->replay_window = c->replay_window;
	if (p->replay_window != 0 && p->replay_window < ESP_REPLAY_MIN)
		p->replay_window = ESP_REPLAY_MIN;
	if (p->replay_window > ESP_REPLAY_MAX)
		p->replay_window = ESP_REPLAY_MAX;
	/* IKE gives soft limits; the hard limit leaves 10% (at least 64 packets
	 * or 64 KiB) for the rekey to complete. */
	p->soft_bytes = c->life_bytes;
	p->hard_bytes = c->life_bytes ? c->life_bytes + RTE_MAX(c->life_bytes / 10, 65536ul) : 0;
	p->soft_packets = c->life_packets;
	p->hard_packets = c->life_packets ? c->life_packets + RTE_MAX(c->life_packets / 10, 64ul) :
					    0;
	p->user_id = c->id;
}

/*
 * Largest inner packet the outbound SA can carry without exceeding the MTU of
 * the port towards the peer: MTU minus the worst-case encapsulation (outer
 * IP, UDP for NAT-T, ESP header, IV, padding, pad length + next header, ICV).
 */
static uint16_t
max_inner(const struct ike_child_sa *c)
{
	bool gcm = c->enc == ESP_ENC_AES_GCM16;
	unsigned icv = gcm ? 16 : c->integ == ESP_INTEG_HMAC_SHA384_192 ? 24 :
		       c->integ == ESP_INTEG_HMAC_SHA512_256 ? 32 : 16;
	const struct net_route *r;
	uint8_t af, addr[16], nh[16];
	unsigned ov, mtu;
	uint16_t port;

	ss_split((const struct sockaddr *)&c->remote, &af, addr, &port);
	r = af ? net_route_lookup(&rd.master.routes, af, addr, nh) : NULL;
	if (r == NULL)
		return 0;
	mtu = rd.ports[r->port].mtu ? rd.ports[r->port].mtu : 1500;
	ov = (af == 4 ? 20 : 40) + (c->natt ? 8 : 0) + 8 + (gcm ? 8 + 3 : 16 + 15) + 2 + icv;
	return mtu > ov + 68 ? (uint16_t)(mtu - ov) : 0;
}

/* ROUTE_ADD of @ch's prefixes to every worker; @flags: RD_ROUTE_STANDBY or 0. */
static void
routes_send(const struct rd_child *ch, uint16_t flags)
{
	struct sa_msg msg;
	unsigned w, i;

	memset(&msg, 0, sizeof(msg));
	msg.op = SA_MSG_ROUTE_ADD;
	msg.spi = ch->spi_out;
	msg.flags = (uint16_t)(ch->owner | flags);	/* ROUTE_ADD: flags = owner worker, */
	msg.cookie = ch->spi_in;			/* cookie = inbound SPI (anti-spoofing) */
	for (w = 0; w < rd.n_workers; w++)
		for (i = 0; i < ch->n_routes; i++) {
			msg.route = ch->routes[i];
			rd_msg_send(w, &msg);
		}
}

/* The deferred switch of a rekey we answered: outbound moves to @ch. */
static void
child_switch(struct rd_child *ch)
{
	if (!ch->switch_pending)
		return;
	ch->switch_pending = false;
	routes_send(ch, 0);
	RD_LOG(DEBUG, "child %" PRIu64 ": outbound switched from child %" PRIu64 "\n", ch->id,
	       ch->rekey_of);
}

/*
 * Children refused for their routes are deleted from rd_child_timers, not
 * from inside lib/ike's CHILD_UP callback: the exchange that made the child
 * (an IKE_AUTH response) may not be out yet, and a Delete must follow it.
 */
static struct {
	uint64_t id[64];
	unsigned n;
} refused;

/*
 * Claim @ch's remote prefixes for the peer identity of @c
 * (ctl_route.c). A prefix owned by another identity refuses the child:
 * counted, logged, deleted towards the peer. Returns 0 or -EPERM.
 */
static int
routes_claim(struct rd_child *ch, const struct ike_child_sa *c)
{
	uint64_t owner = 0;
	unsigned bad = 0;
	char a[64];
	int rc;

	rc = rd_own_check(ch->routes, ch->n_routes, &c->remote_id, &bad, &owner);
	if (rc == 0)
		rc = rd_own_claim(ch->routes, ch->n_routes, c->ike_sa_id, &c->remote_id);
	if (rc == 0)
		return 0;
	rd.st.route_refused++;
	if (rc == -EPERM)
		RD_LOG(WARNING, "child %" PRIu64 " (%s) of ike sa %" PRIu64 " refused: remote "
		       "%s/%u is routed to another peer (ike sa %" PRIu64 ")\n", c->id, c->conn,
		       c->ike_sa_id, inet_ntop(ch->routes[bad].af == 4 ? AF_INET : AF_INET6,
					       ch->routes[bad].addr, a, sizeof(a)),
		       ch->routes[bad].depth, owner);
	else
		RD_LOG(WARNING, "child %" PRIu64 " (%s) refused: route table: %s\n", c->id, c->conn,
		       strerror(-rc));
	sa_spi_release(rd.spi_alloc, c->spi_in);
	if (refused.n < RTE_DIM(refused.id))
		refused.id[refused.n++] = c->id;
	else
		ike_child_expired(rd.ike, c->id, true, rd_now_ms());
	return -EPERM;
}

static void
child_up(const struct ike_child_sa *c)
{
	struct esp_sa_params p;
	struct rd_child *ch, *old;
	struct sa_msg msg;
	unsigned owner = sa_spi_worker(c->spi_in), i;
	int ret;

	if (rd.n_children == rd.max_children || c->id == 0 || rd_child_find(c->id) != NULL) {
		RD_LOG(ERR, "child %" PRIu64 ": %s\n", c->id,
		       rd.n_children == rd.max_children ? "too many child SAs (max_tunnels)" :
		       "child id already installed");
		rd.st.child_fail++;
		return;
	}
	if (owner >= rd.n_workers)
		owner = 0;
	ch = &rd.children[rd.n_children];
	memset(ch, 0, sizeof(*ch));
	for (i = 0; i < c->n_remote_ts && i < IKE_MAX_TS; i++) {
		struct net_prefix pf[RD_MAX_TS_PREFIXES];
		unsigned k, n = net_range_to_prefixes(c->remote_ts[i].af, c->remote_ts[i].saddr,
						      c->remote_ts[i].eaddr, pf,
						      RD_MAX_TS_PREFIXES);

		for (k = 0; k < n; k++) {
			struct sa_route *r = &ch->routes[ch->n_routes++];

			memset(r, 0, sizeof(*r));
			r->af = pf[k].af;
			r->depth = pf[k].depth;
			memcpy(r->addr, pf[k].addr, 16);
		}
	}
	/* nothing goes to a worker for a child whose prefixes another peer owns */
	if (routes_claim(ch, c) != 0)
		return;
	fill_params(&p, c, ESP_DIR_IN);
	ret = esp_sa_create(&p, rd.workers[owner]->socket, &ch->sa_in);
	if (ret == 0) {
		fill_params(&p, c, ESP_DIR_OUT);
		ret = esp_sa_create(&p, rd.workers[owner]->socket, &ch->sa_out);
		if (ret != 0)
			esp_sa_destroy(ch->sa_in);
	}
	memset(&p, 0, sizeof(p));
	__asm__ __volatile__("" : : "r"(&p) : "memory");	/* keep the wipe */
	if (ret != 0) {
		RD_LOG(ERR, "child %" PRIu64 " spi %08x/%08x: esp_sa_create: %s\n", c->id,
		       c->spi_in, c->spi_out, strerror(-ret));
		rd.st.child_fail++;
		sa_spi_release(rd.spi_alloc, c->spi_in);
		rd_own_release(ch->routes, ch->n_routes);
		ike_child_expired(rd.ike, c->id, true, rd_now_ms());
		return;
	}
	if (sa_spi_hold(rd.spi_alloc, c->spi_in) != 0)
		RD_LOG(DEBUG, "child %" PRIu64 ": spi %08x shares its direct index\n", c->id,
		       c->spi_in);
	ch->id = c->id;
	ch->ike_sa_id = c->ike_sa_id;
	snprintf(ch->conn, sizeof(ch->conn), "%s", c->conn);
	ch->spi_in = c->spi_in;
	ch->spi_out = c->spi_out;
	ch->owner = (uint16_t)owner;
	ch->enc = c->enc;
	ch->enc_key_len = c->enc_key_len;
	ch->integ = c->integ;
	ch->esn = c->esn;
	ch->natt = c->natt;
	ch->established_ms = rd_now_ms();
#ifdef RD_DEBUG_KEYS
	if (rd.debug_keys) {
		unsigned k, klen = c->enc_key_len + (c->enc == ESP_ENC_AES_GCM16 ? 4 : 0);

		for (k = 0; k < klen && k < IKE_MAX_KEY_LEN; k++) {
			snprintf(ch->dbg_key_in + 2 * k, 3, "%02x", c->key_in[k]);
			snprintf(ch->dbg_key_out + 2 * k, 3, "%02x", c->key_out[k]);
		}
	}
#endif
	/* cannot fail: fewer than max_children records, id checked absent */
	(void)rd_idmap_add(&rd.child_idx, ch->id, (uint32_t)(ch - rd.children));
	rd.n_children++;

	memset(&msg, 0, sizeof(msg));
	msg.cookie = c->id;
	msg.op = SA_MSG_ADD_IN;
	msg.spi = c->spi_in;
	msg.sa = ch->sa_in;
	rd_msg_send(owner, &msg);
	msg.op = SA_MSG_ADD_OUT;
	msg.spi = c->spi_out;
	msg.sa = ch->sa_out;
	msg.flags = max_inner(c);	/* ADD_OUT: flags = largest inner packet */
	rd_msg_send(owner, &msg);
	/* Every worker routes the prefixes; only the owner holds the SA, so
	 * cleartext that reaches another worker is handed off to the owner.
	 * Make-before-break: when we answer a rekey, the peer installs the new
	 * SA only once our response arrives, so packets sent on it at once could
	 * be dropped there. Until the new SA has received a packet (the peer
	 * uses it), the old child goes (the peer's Delete) or RD_SWITCH_WAIT_MS
	 * passed, the workers accept the new inbound SPI but keep sending on the
	 * old SA. A rekey we initiated switches at once: the peer installed the
	 * new SA before it answered. */
	ch->rekey_of = c->rekey_of;
	old = c->rekey_of ? rd_child_find(c->rekey_of) : NULL;
	if (old != NULL)
		old->successors++;
	if (!c->initiator && old != NULL && !old->dying) {
		ch->switch_pending = true;
		ch->switch_by_ms = rd_now_ms() + RD_SWITCH_WAIT_MS;
		timers_add(ch);
		routes_send(ch, RD_ROUTE_STANDBY);
	} else {
		routes_send(ch, 0);
	}
	rd.st.child_up++;
	RD_LOG(INFO, "child %" PRIu64 " (%s) up: spi in %08x out %08x, worker %u, %u routes%s\n",
	       c->id, c->conn, c->spi_in, c->spi_out, owner, ch->n_routes,
	       c->natt ? ", udp-encap" : "");
}

/* DEL_OUT and DEL_IN to the owner; the record goes when both acks are in. */
static void
dels_send(struct rd_child *ch)
{
	struct sa_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.cookie = ch->id;
	msg.op = SA_MSG_DEL_OUT;
	msg.spi = ch->spi_out;
	rd_msg_send(ch->owner, &msg);
	msg.op = SA_MSG_DEL_IN;
	msg.spi = ch->spi_in;
	rd_msg_send(ch->owner, &msg);
	ch->del_at_ms = 0;
	ch->acks_pending = 2;
}

static void
child_down(uint64_t id)
{
	struct rd_child *ch = rd_child_find(id), *old;
	bool replaced;
	struct sa_msg msg;
	unsigned w, i;

	if (ch == NULL || ch->dying)
		return;
	ch->dying = true;
	ch->switch_pending = false;
	old = ch->rekey_of ? rd_child_find(ch->rekey_of) : NULL;
	if (old != NULL && old->successors > 0)
		old->successors--;
	/* A successor still waiting for its switch takes over first, so the
	 * ROUTE_DELs below find the prefixes moved and leave them alone. So
	 * does a sibling (rekey collision: the other new child of the same old
	 * one) when this one goes as the redundant pair. Only children on
	 * rd.timers can have a switch pending. */
	replaced = ch->successors > 0;
	for (i = 0; i < rd.n_timers; i++) {
		struct rd_child *o = rd_child_find(rd.timers[i]);

		if (o == NULL || o->dying || !o->switch_pending)
			continue;
		if (o->rekey_of == id || (ch->rekey_of != 0 && o->rekey_of == ch->rekey_of))
			child_switch(o);
	}
	rd_own_release(ch->routes, ch->n_routes);
	memset(&msg, 0, sizeof(msg));
	msg.cookie = id;
	msg.op = SA_MSG_ROUTE_DEL;
	msg.spi = ch->spi_out;
	for (w = 0; w < rd.n_workers; w++)
		for (i = 0; i < ch->n_routes; i++) {
			msg.route = ch->routes[i];
			rd_msg_send(w, &msg);
		}
	/* A replaced child's SAs stay linked a little longer: packets the peer
	 * sent on the old SA before it switched may still be on their way (and
	 * IKE's Delete travels the slower control path). Its routes are gone,
	 * so nothing new is sent on it. */
	if (replaced) {
		ch->del_at_ms = rd_now_ms() + RD_LINGER_MS;
		timers_add(ch);
	} else {
		dels_send(ch);
	}
	rd.st.child_down++;
	RD_LOG(INFO, "child %" PRIu64 " (%s) down: spi in %08x out %08x%s\n", id, ch->conn,
	       ch->spi_in, ch->spi_out, replaced ? " (replaced, removed after a grace period)" : "");
}

/* Every ~10 ms: deferred rekey switches and replaced children's deletes. */
void
rd_child_timers(uint64_t now)
{
	struct esp_sa_stats st;
	unsigned i;

	for (i = 0; i < refused.n; i++)
		if (rd.ike != NULL)
			ike_child_expired(rd.ike, refused.id[i], true, now);
	refused.n = 0;
	for (i = 0; i < rd.n_timers;) {
		struct rd_child *ch = rd_child_find(rd.timers[i]);

		if (ch == NULL || !timer_due(ch)) {
			if (ch != NULL)
				ch->timer_pos = 0;
			timers_remove_at(i);
			continue;
		}
		i++;
		if (ch->switch_pending && !ch->dying) {
			/* plain counter read, as list-sas does: torn reads only delay */
			st.packets = 0;
			if (ch->sa_in != NULL)
				esp_sa_stats_get(ch->sa_in, &st);
			if (st.packets > 0 || now >= ch->switch_by_ms)
				child_switch(ch);
		}
		if (ch->dying && ch->del_at_ms != 0 && now >= ch->del_at_ms)
			dels_send(ch);
	}
}

static void
child_forget(struct rd_child *ch)
{
#ifdef RD_DEBUG_KEYS
	memset(ch->dbg_key_in, 0, sizeof(ch->dbg_key_in));
	memset(ch->dbg_key_out, 0, sizeof(ch->dbg_key_out));
#endif
	sa_spi_release(rd.spi_alloc, ch->spi_in);
	timers_remove(ch);
	(void)rd_idmap_del(&rd.child_idx, ch->id);
	*ch = rd.children[--rd.n_children];
	if (ch != &rd.children[rd.n_children])
		(void)rd_idmap_set(&rd.child_idx, ch->id, (uint32_t)(ch - rd.children));
#ifdef RD_DEBUG_KEYS
	/* The moved entry's old slot keeps no copy of its keys. */
	memset(&rd.children[rd.n_children], 0, sizeof(rd.children[rd.n_children]));
#endif
}

static void
on_del_ack(const struct sa_event *ev)
{
	struct rd_child *ch = rd_child_find(ev->cookie);

	rd.st.del_acks++;
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
	if (ch != NULL && ch->dying && ch->acks_pending > 0 && --ch->acks_pending == 0)
		child_forget(ch);
}

/*
 * RFC 7296 2.23: the IKE SA of @c moved (NAT rebinding): the child's ESP SAs
 * follow at once, in place (SA_MSG_UPDATE_*: outer header only, sequence
 * numbers and window untouched), on the owner worker.
 */
static void
child_moved(const struct ike_child_sa *c)
{
	struct rd_child *ch = rd_child_find(c->id);
	uint8_t laf, raf;
	struct sa_msg msg;
	char buf[64];

	if (ch == NULL || ch->dying)
		return;
	memset(&msg, 0, sizeof(msg));
	ss_split((const struct sockaddr *)&c->local, &laf, msg.peer.local, &msg.peer.local_port);
	ss_split((const struct sockaddr *)&c->remote, &raf, msg.peer.peer, &msg.peer.peer_port);
	if (laf == 0 || laf != raf) {
		rd.st.child_fail++;
		return;
	}
	msg.peer.af = laf;
	/* an installed SA keeps its encapsulation (MOBIKE: lib/ike rekeys a
	 * child whose need for UDP encapsulation changed) */
	if (c->natt != ch->natt)
		RD_LOG(INFO, "child %" PRIu64 " (%s): moved with %s until its rekey\n", ch->id,
		       ch->conn, ch->natt ? "ESP-in-UDP" : "plain ESP");
	if (!ch->natt)
		msg.peer.local_port = msg.peer.peer_port = 0;
	msg.cookie = ch->id;
	msg.op = SA_MSG_UPDATE_OUT;
	msg.spi = ch->spi_out;
	rd_msg_send(ch->owner, &msg);
	msg.op = SA_MSG_UPDATE_IN;
	msg.spi = ch->spi_in;
	rd_msg_send(ch->owner, &msg);
	rd.st.peer_moved++;
	RD_LOG(INFO, "child %" PRIu64 " (%s): ESP now to %s port %u\n", ch->id, ch->conn,
	       inet_ntop(laf == 4 ? AF_INET : AF_INET6, msg.peer.peer, buf, sizeof(buf)),
	       msg.peer.peer_port);
}

/* A worker saw authenticated ESP from a new address/port (SA_EV_PEER_MOVED). */
static void
esp_peer_moved(const struct sa_event *ev)
{
	struct sockaddr_storage from;
	int rc;

	if (rd.ike == NULL || (ev->peer.af != 4 && ev->peer.af != 6))
		return;
	ss_make(&from, ev->peer.af, ev->peer.peer, ev->peer.peer_port);
	rc = ike_peer_moved(rd.ike, ev->user_id, (const struct sockaddr *)&from, rd_now_ms());
	if (rc != 0) {
		rd.st.peer_move_refused++;
		RD_LOG(DEBUG, "child %" PRIu64 " spi %08x: ESP from a new address ignored: %s\n",
		       ev->user_id, ev->spi, ike_strerror(rc));
	}
}

static void
ike_event_cb(void *user, const struct ike_event *ev)
{
	(void)user;
	switch (ev->type) {
	case IKE_EV_CHILD_UP:
		if (ev->child != NULL)
			child_up(ev->child);
		break;
	case IKE_EV_CHILD_DOWN:
		if (ev->child != NULL)
			child_down(ev->child->id);
		break;
	case IKE_EV_IKE_UP:
		RD_LOG(INFO, "ike sa %" PRIu64 " up\n", ev->ike_sa_id);
		break;
	case IKE_EV_IKE_DOWN:
		RD_LOG(INFO, "ike sa %" PRIu64 " down\n", ev->ike_sa_id);
		break;
	case IKE_EV_PEER_MOVED:
		if (ev->child != NULL)
			child_moved(ev->child);
		break;
	default:
		break;
	}
}

void
rd_ike_events(void)
{
	struct sa_event evs[RD_BURST];
	unsigned n, i;

	n = rte_ring_sc_dequeue_burst_elem(rd.ev, evs, sizeof(evs[0]), RD_BURST, NULL);
	for (i = 0; i < n; i++) {
		const struct sa_event *ev = &evs[i];
		struct rd_child *ch;

		rd.st.events++;
		switch (ev->type) {
		case SA_EV_DEL_ACK:
			on_del_ack(ev);
			break;
		case SA_EV_SOFT:
		case SA_EV_SEQ_NEAR_WRAP:
			/* Both directions may report: one rekey per child. */
			ch = rd_child_find(ev->user_id);
			if (ch == NULL || ch->dying || rd.ike == NULL || ch->rekeying)
				break;
			ch->rekeying = true;
			rd.st.soft++;
			ike_rekey_child(rd.ike, ev->user_id, rd_now_ms());
			break;
		case SA_EV_HARD:
		case SA_EV_SEQ_EXHAUSTED:
			rd.st.hard++;
			if (rd.ike != NULL)
				ike_child_expired(rd.ike, ev->user_id, true, rd_now_ms());
			break;
		case SA_EV_PEER_MOVED:
			esp_peer_moved(ev);
			break;
		default:
			break;
		}
	}
}

void
rd_ike_input(unsigned pidx, const uint8_t *frame, const struct net_pkt_info *pi)
{
	struct sockaddr_storage from, to;
	const uint8_t *ip = frame + pi->l3_off;

	(void)pidx;
	if (rd.ike == NULL)
		return;
	if (pi->af == 4) {
		ss_make(&from, 4, ip + 12, pi->sport);
		ss_make(&to, 4, ip + 16, pi->dport);
	} else {
		ss_make(&from, 6, ip + 8, pi->sport);
		ss_make(&to, 6, ip + 24, pi->dport);
	}
	ike_input(rd.ike, frame + pi->ike_off, pi->ike_len, (const struct sockaddr *)&from,
		  (const struct sockaddr *)&to, rd_now_ms());
}

int
rd_ike_init(void)
{
	const struct conf *c = rd.conf;
	struct ike_ctx_cfg cfg;
	unsigned i;
	int ret;

	if (rd.max_children == 0)
		rd_caps_set(c->max_tunnels);
	rd.children = calloc(rd.max_children, sizeof(*rd.children));
	rd.timers = calloc(rd.max_children, sizeof(*rd.timers));
	if (rd.children == NULL || rd.timers == NULL)
		return -ENOMEM;
	ret = rd_idmap_init(&rd.child_idx, rd.max_children);
	if (ret != 0)
		return ret;
	ret = sa_spi_alloc_create(rd.n_workers, &rd.spi_alloc);
	if (ret != 0)
		return ret;
	ret = rd_own_init();
	if (ret != 0)
		return ret;
	memset(&cfg, 0, sizeof(cfg));
	cfg.conns = c->conns;
	cfg.n_conns = c->n_conns;
	cfg.ops.send = ike_send_cb;
	cfg.ops.event = ike_event_cb;
	cfg.ops.log = ike_log_cb;
	cfg.ops.alloc_spi = alloc_spi_cb;
	cfg.ops.eap = rd_radius_eap;
	cfg.window_size = c->ike.window_size ? c->ike.window_size : 1;
	cfg.cookie_threshold = c->ike.cookie_threshold;
	cfg.half_open_max = c->ike.half_open_max;
	cfg.half_open_per_src = c->ike.half_open_per_src;
	cfg.frag_mem_max = c->ike.frag_mem_max;
	cfg.frag_preauth_max = c->ike.frag_preauth_max;
	cfg.retransmit_base_ms = c->ike.retransmit_base_ms;
	cfg.retransmit_tries = c->ike.retransmit_tries;
	cfg.nat_keepalive_s = c->ike.nat_keepalive_s;
	ret = ike_ctx_create(&cfg, &rd.ike);
	if (ret != 0) {
		rd.ike = NULL;
		return ret;
	}
	for (i = 0; i < c->n_conns; i++)
		if (c->conns[i].initiate) {
			ret = ike_initiate(rd.ike, c->conns[i].name, rd_now_ms());
			if (ret != 0)
				RD_LOG(WARNING, "initiate %s: %s\n", c->conns[i].name,
				       ike_strerror(ret));
		}
	return 0;
}

/*
 * Shutdown, after the workers have stopped: nothing can touch an SA any
 * more except this core. Take back what acks returned, then unlink and free
 * whatever is still installed (or still waiting in a ring).
 */
void
rd_sa_release_all(void)
{
	unsigned i;

	rd_ike_events();
	while (rte_ring_count(rd.ev))
		rd_ike_events();
	for (i = 0; i < rd.n_children; i++) {
		struct rd_child *ch = &rd.children[i];
		struct esp_worker *ew = rd.workers[ch->owner]->esp;

		if (ch->sa_in != NULL) {
			esp_worker_sa_del(ew, ch->spi_in, ESP_DIR_IN);
			esp_sa_destroy(ch->sa_in);
		}
		if (ch->sa_out != NULL) {
			esp_worker_sa_del(ew, ch->spi_out, ESP_DIR_OUT);
			esp_sa_destroy(ch->sa_out);
		}
		(void)rd_idmap_del(&rd.child_idx, ch->id);
	}
	rd.n_children = 0;
	rd.n_timers = 0;
}

void
rd_ike_fini(void)
{
	unsigned w;

	if (rd.ike != NULL)
		ike_ctx_destroy(rd.ike);
	rd.ike = NULL;
	free(rd.children);
	rd.children = NULL;
	free(rd.timers);
	rd.timers = NULL;
	rd.n_timers = 0;
	rd_idmap_fini(&rd.child_idx);
	sa_spi_alloc_destroy(rd.spi_alloc);
	rd.spi_alloc = NULL;
	rd_own_fini();
	for (w = 0; w < SA_MAX_WORKERS; w++) {
		free(rd.backlog[w].q);
		rd.backlog[w].q = NULL;
		rd.backlog[w].head = rd.backlog[w].n = rd.backlog[w].cap = 0;
	}
}
