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
 *     directions) -> sa_mgr_child_up (sa_mgr.c: records, messages to the
 *     workers, rekey switch, delete acks); IKE_EV_CHILD_DOWN ->
 *     sa_mgr_child_down;
 *   - worker events: sa_mgr_event, which asks back through its ops: soft
 *     lifetime / sequence near wrap -> ike_rekey_child, hard lifetime /
 *     sequence exhausted -> ike_child_expired.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "rampartd.h"
#include "sa/sa_sel.h"

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
	ike_addr_split(from, &saf, src, &sport);
	ike_addr_split(to, &daf, dst, &dport);
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
			     rd.sh.ports[pidx].ifa.mac, rd.sh.ports[pidx].ifa.mac, saf, src, dst,
			     sport, dport, marker, buf, (uint32_t)len);
	if (flen == 0 || rte_pktmbuf_append(m, (uint16_t)flen) == NULL) {
		rte_pktmbuf_free(m);
		rd.st.ike_out_fail++;
		return -EMSGSIZE;
	}
	rte_pktmbuf_adj(m, NET_ETH_HLEN);	/* rd_send_ip adds the real one */
	rd.st.ike_out++;
	return rd_send_ip(m, saf, dst);
}

static uint32_t
alloc_spi_cb(void *user)
{
	(void)user;
	return sa_mgr_spi_alloc(&rd.sam, rd_now_ms());
}

static void
ike_log_cb(void *user, int level, const char *msg)
{
	(void)user;
	rd_ev_ike_lib(level < IKE_LOG_ERR ? IKE_LOG_ERR : level, msg);	/* rate-limited */
}

/* ---- control -> worker messages (sa_mgr.c) ---- */

void
rd_msg_flush(void)
{
	sa_mgr_flush(&rd.sam);
}

/* ---- child SAs ---- */

static void
fill_params(struct esp_sa_params *p, const struct ike_child_sa *c, uint8_t dir)
{
	uint8_t laf, raf, la[16], ra[16];
	uint16_t lport, rport;
	unsigned klen = c->enc_key_len + (c->enc == ESP_ENC_AES_GCM16 ? 4 : 0);

	ike_addr_split((const struct sockaddr *)&c->local, &laf, la, &lport);
	ike_addr_split((const struct sockaddr *)&c->remote, &raf, ra, &rport);
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
	/* lib/ike decides the lifetimes, soft and hard (ike_sa.c) */
	p->soft_bytes = c->life_bytes;
	p->hard_bytes = c->hard_bytes;
	p->soft_packets = c->life_packets;
	p->hard_packets = c->hard_packets;
	p->user_id = c->id;
}

/*
 * Largest inner packet the outbound SA can carry without exceeding the MTU of
 * the port towards the peer: MTU minus lib/esp's worst-case encapsulation.
 */
static uint16_t
max_inner(const struct ike_child_sa *c, const struct esp_sa *sa_out)
{
	const struct net_route *r;
	uint8_t af, addr[16], nh[16];
	unsigned ov, mtu;
	uint16_t port;

	ike_addr_split((const struct sockaddr *)&c->remote, &af, addr, &port);
	r = af ? net_route_lookup(&rd.master.routes, af, addr, nh) : NULL;
	if (r == NULL)
		return 0;
	mtu = rd.sh.ports[r->port].mtu ? rd.sh.ports[r->port].mtu : 1500;
	ov = esp_sa_overhead(sa_out);
	return mtu > ov + 68 ? (uint16_t)(mtu - ov) : 0;
}

/*
 * Children refused (routes, outbound SPI, install) are deleted from the tick, not
 * from inside lib/ike's CHILD_UP callback: the exchange that made the child
 * (an IKE_AUTH response) may not be out yet, and a Delete must follow it.
 */
static struct {
	uint64_t id[64];
	unsigned n;
} refused;

static void
refuse_later(uint64_t id)
{
	if (refused.n < RTE_DIM(refused.id))
		refused.id[refused.n++] = id;
	else
		ike_child_expired(rd.ike, id, true, rd_now_ms());
}

/*
 * Claim the remote prefixes @r of @c for its peer identity (ctl_route.c).
 * A prefix owned by another identity refuses the child: counted, logged,
 * deleted towards the peer. Returns 0 or -EPERM.
 */
static int
routes_claim(const struct sa_route *r, unsigned n, const struct ike_child_sa *c)
{
	uint64_t owner = 0;
	unsigned bad = 0;
	char a[64];
	int rc;

	rc = rd_own_check(r, n, &c->remote_id, &bad, &owner);
	if (rc == 0)
		rc = rd_own_claim(r, n, c->ike_sa_id, &c->remote_id);
	if (rc == 0)
		return 0;
	rd.st.route_refused++;
	if (rc == -EPERM)
		RD_LOG(WARNING, "child %" PRIu64 " (%s) of ike sa %" PRIu64 " refused: remote "
		       "%s/%u is routed to another peer (ike sa %" PRIu64 ")\n", c->id, c->conn,
		       c->ike_sa_id, inet_ntop(r[bad].af == 4 ? AF_INET : AF_INET6,
					       r[bad].addr, a, sizeof(a)),
		       r[bad].depth, owner);
	else
		RD_LOG(WARNING, "child %" PRIu64 " (%s) refused: route table: %s\n", c->id, c->conn,
		       strerror(-rc));
	sa_mgr_spi_release(&rd.sam, c->spi_in);
	refuse_later(c->id);
	return -EPERM;
}

/* The remote traffic selectors of @c as CIDRs; how many. */
static unsigned
ts_prefixes(const struct ike_child_sa *c, struct sa_route *routes)
{
	unsigned i, n_routes = 0;

	for (i = 0; i < c->n_remote_ts && i < IKE_MAX_TS; i++) {
		struct net_prefix pf[RD_MAX_TS_PREFIXES];
		unsigned k, n = net_range_to_prefixes(c->remote_ts[i].af, c->remote_ts[i].saddr,
						      c->remote_ts[i].eaddr, pf,
						      RD_MAX_TS_PREFIXES);

		for (k = 0; k < n; k++) {
			struct sa_route *r = &routes[n_routes++];

			memset(r, 0, sizeof(*r));
			r->af = pf[k].af;
			r->depth = pf[k].depth;
			memcpy(r->addr, pf[k].addr, 16);
		}
	}
	return n_routes;
}

/*
 * The protocol/port part of @c's selectors for the datapath (lib/sa/sa_sel.h).
 * A side with more than SA_SEL_MAX distinct port selectors is widened to any
 * protocol and port there (addresses stay enforced): logged.
 */
static void
ts_sel(const struct ike_child_sa *c, struct sa_sel *sel)
{
	bool ok = true;
	unsigned i;

	memset(sel, 0, sizeof(*sel));
	for (i = 0; i < c->n_local_ts && i < IKE_MAX_TS; i++)
		ok &= sa_sel_add(sel, true, c->local_ts[i].proto, c->local_ts[i].sport,
				 c->local_ts[i].eport);
	for (i = 0; i < c->n_remote_ts && i < IKE_MAX_TS; i++)
		ok &= sa_sel_add(sel, false, c->remote_ts[i].proto, c->remote_ts[i].sport,
				 c->remote_ts[i].eport);
	sa_sel_finish(sel);
	if (!ok)
		RD_LOG(WARNING, "child %" PRIu64 " (%s): more than %u protocol/port selectors "
		       "on a side; that side is enforced by address only\n", c->id, c->conn,
		       (unsigned)SA_SEL_MAX);
}

static void
child_up(const struct ike_child_sa *c)
{
	struct sa_route routes[IKE_MAX_TS * RD_MAX_TS_PREFIXES];
	struct esp_sa *sa_in = NULL, *sa_out = NULL;
	unsigned owner = sa_mgr_owner(&rd.sam, c->spi_in);
	struct esp_sa_params p;
	struct sa_child_cfg cc;
	struct sa_child *ch;
	int ret;

	ret = sa_mgr_can_add(&rd.sam, c->id);
	if (ret != 0) {
		rd_ev_child_failed(c, ret == -ENOSPC ? "too many child SAs (max_tunnels)" :
				   "child id already installed");
		rd.st.child_fail++;
		return;
	}
	memset(&cc, 0, sizeof(cc));
	cc.routes = routes;
	cc.n_routes = ts_prefixes(c, routes);
	ts_sel(c, &cc.sel);
	/* nothing goes to a worker for a child whose prefixes another peer owns */
	if (routes_claim(routes, cc.n_routes, c) != 0)
		return;
	fill_params(&p, c, ESP_DIR_IN);
	ret = esp_sa_create(&p, rd.workers[owner]->socket, &sa_in);
	if (ret == 0) {
		fill_params(&p, c, ESP_DIR_OUT);
		ret = esp_sa_create(&p, rd.workers[owner]->socket, &sa_out);
	}
	OPENSSL_cleanse(&p, sizeof(p));
	if (ret == 0) {
		cc.id = c->id;
		cc.ike_sa_id = c->ike_sa_id;
		cc.rekey_of = c->rekey_of;
		cc.conn = c->conn;
		cc.spi_in = c->spi_in;
		cc.spi_out = c->spi_out;
		cc.initiator = c->initiator;
		cc.esn = c->esn;
		cc.natt = c->natt;
		cc.enc = (uint16_t)c->enc;
		cc.enc_key_len = (uint16_t)c->enc_key_len;
		cc.integ = (uint16_t)c->integ;
		cc.max_inner = max_inner(c, sa_out);
		cc.sa_in = sa_in;
		cc.sa_out = sa_out;
		ret = sa_mgr_child_up(&rd.sam, &cc, rd_now_ms(), &ch);
	}
	if (ret == -EADDRINUSE) {
		/* refused and deleted; the peer may set up again (a new SPI) */
		RD_LOG(WARNING, "child %" PRIu64 " (%s) of ike sa %" PRIu64 " refused: outbound "
		       "spi %08x is already used by another child on worker %u\n", c->id, c->conn,
		       c->ike_sa_id, c->spi_out, owner);
	} else if (ret != 0) {
		RD_LOG(ERR, "child %" PRIu64 " spi %08x/%08x: install: %s\n", c->id,
		       c->spi_in, c->spi_out, strerror(-ret));
	}
	if (ret != 0) {
		rd_ev_child_failed(c, ret == -EADDRINUSE ? "outbound spi in use" : strerror(-ret));
		rd.st.child_fail++;
		if (sa_in != NULL)
			esp_sa_destroy(sa_in);
		if (sa_out != NULL)
			esp_sa_destroy(sa_out);
		sa_mgr_spi_release(&rd.sam, c->spi_in);
		rd_own_release(routes, cc.n_routes);
		refuse_later(c->id);
		return;
	}
#ifdef RD_DEBUG_KEYS
	if (rd.debug_keys && ch != NULL) {
		unsigned k, klen = c->enc_key_len + (c->enc == ESP_ENC_AES_GCM16 ? 4 : 0);

		for (k = 0; k < klen && k < IKE_MAX_KEY_LEN; k++) {
			snprintf(ch->dbg_key_in + 2 * k, 3, "%02x", c->key_in[k]);
			snprintf(ch->dbg_key_out + 2 * k, 3, "%02x", c->key_out[k]);
		}
	}
#else
	(void)ch;
#endif
	rd_ev_child_up(c, owner, cc.n_routes);
}

/* Every ~10 ms: refused children's deletes, then the manager's timers. */
void
rd_child_timers(uint64_t now)
{
	unsigned i;

	for (i = 0; i < refused.n; i++)
		if (rd.ike != NULL)
			ike_child_expired(rd.ike, refused.id[i], true, now);
	refused.n = 0;
	sa_mgr_tick(&rd.sam, now);
}

/*
 * RFC 7296 2.23: the IKE SA of @c moved (NAT rebinding): the child's ESP SAs
 * follow at once, in place, on the owner worker (sa_mgr_child_moved).
 */
static void
child_moved(const struct ike_child_sa *c)
{
	struct sa_child *ch = sa_mgr_child_find(&rd.sam, c->id);
	struct sa_peer peer;
	uint8_t laf, raf;
	char buf[64];

	if (ch == NULL || !sa_child_is_live(ch))
		return;
	memset(&peer, 0, sizeof(peer));
	ike_addr_split((const struct sockaddr *)&c->local, &laf, peer.local, &peer.local_port);
	ike_addr_split((const struct sockaddr *)&c->remote, &raf, peer.peer, &peer.peer_port);
	if (laf == 0 || laf != raf) {
		rd.st.child_fail++;
		return;
	}
	peer.af = laf;
	/* an installed SA keeps its encapsulation (MOBIKE: lib/ike rekeys a
	 * child whose need for UDP encapsulation changed) */
	if (c->natt != ch->natt)
		RD_LOG(INFO, "child %" PRIu64 " (%s): moved with %s until its rekey\n", ch->id,
		       ch->conn, ch->natt ? "ESP-in-UDP" : "plain ESP");
	if (sa_mgr_child_moved(&rd.sam, c->id, &peer) != 0)
		return;
	RD_LOG(INFO, "child %" PRIu64 " (%s): ESP now to %s port %u\n", ch->id, ch->conn,
	       inet_ntop(laf == 4 ? AF_INET : AF_INET6, peer.peer, buf, sizeof(buf)),
	       ch->natt ? peer.peer_port : 0);
}

/* A worker saw authenticated ESP from a new address/port (SA_EV_PEER_MOVED). */
static void
esp_peer_moved(const struct sa_event *ev)
{
	struct sockaddr_storage from;
	int rc;

	if (rd.ike == NULL || (ev->peer.af != 4 && ev->peer.af != 6))
		return;
	ike_addr_make(&from, ev->peer.af, ev->peer.peer, ev->peer.peer_port);
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
	rd_ev_ike(ev);		/* IKE SA up/down lines, set-up latency */
	switch (ev->type) {
	case IKE_EV_CHILD_UP:
		if (ev->child != NULL) {
			child_up(ev->child);
			rd_radius_child_up(ev->ike_sa_id, ev->child, ev->first_child);
		}
		break;
	case IKE_EV_CHILD_DOWN:
		if (ev->child != NULL) {
			const struct sa_child *ch = sa_mgr_child_find(&rd.sam, ev->child->id);

			/* the line first: the manager may drop the record */
			if (ch != NULL && sa_child_is_live(ch)) {
				struct esp_sa_stats in = { 0 }, out = { 0 };

				rd_ev_child_down(ch, ch->successors > 0);
				/* its counters join the user's accounting totals */
				if (ch->sa_in != NULL)
					esp_sa_stats_get(ch->sa_in, &in);
				if (ch->sa_out != NULL)
					esp_sa_stats_get(ch->sa_out, &out);
				rd_radius_child_gone(ch->ike_sa_id, &in, &out);
			}
			sa_mgr_child_down(&rd.sam, ev->child->id, rd_now_ms());
		}
		break;
	case IKE_EV_IKE_DOWN:
		rd_radius_ike_down(ev->ike_sa_id, ev->successor_id, ev->reason);
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

	n = rte_ring_sc_dequeue_burst_elem(rd.sh.ev, evs, sizeof(evs[0]), RD_BURST, NULL);
	for (i = 0; i < n; i++) {
		rd.st.events++;
		if (!sa_mgr_event(&rd.sam, &evs[i], rd_now_ms()) && evs[i].type == SA_EV_PEER_MOVED)
			esp_peer_moved(&evs[i]);
	}
}

/* ---- what the SA manager asks of IKE ---- */

static void
mgr_rekey_cb(void *user, uint64_t child_id, uint64_t now_ms)
{
	(void)user;
	if (rd.ike != NULL)
		ike_rekey_child(rd.ike, child_id, now_ms);
}

static void
mgr_expire_cb(void *user, uint64_t child_id, uint64_t now_ms)
{
	(void)user;
	if (rd.ike != NULL)
		ike_child_expired(rd.ike, child_id, true, now_ms);
}

static void
mgr_routes_release_cb(void *user, const struct sa_route *r, unsigned n)
{
	(void)user;
	rd_own_release(r, n);
}

static bool
mgr_ring_blocked_cb(void *user)
{
	(void)user;
	return rd_fault_active(RD_FAULT_RING_FULL);
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
		ike_addr_make(&from, 4, ip + 12, pi->sport);
		ike_addr_make(&to, 4, ip + 16, pi->dport);
	} else {
		ike_addr_make(&from, 6, ip + 8, pi->sport);
		ike_addr_make(&to, 6, ip + 24, pi->dport);
	}
	ike_input(rd.ike, frame + pi->ike_off, pi->ike_len, (const struct sockaddr *)&from,
		  (const struct sockaddr *)&to, rd_now_ms());
}

int
rd_ike_init(void)
{
	const struct conf *c = rd.conf;
	struct ike_ctx_cfg cfg;
	struct sa_mgr_cfg mc;
	unsigned i;
	int ret;

	if (rd.sh.max_children == 0)
		rd_caps_set(&rd.sh, c->max_tunnels);
	memset(&mc, 0, sizeof(mc));
	mc.n_workers = rd.sh.n_workers;
	for (i = 0; i < rd.sh.n_workers; i++)
		mc.msg_ring[i] = rd.workers[i]->msg_ring;
	mc.max_children = rd.sh.max_children;
	mc.ops.rekey = mgr_rekey_cb;
	mc.ops.expire = mgr_expire_cb;
	mc.ops.routes_release = mgr_routes_release_cb;
	mc.ops.ring_blocked = mgr_ring_blocked_cb;
	mc.st = &rd.st;
	ret = sa_mgr_init(&rd.sam, &mc);
	if (ret != 0)
		return ret;
	ret = rd_own_init();
	if (ret != 0)
		return ret;
	/* before IKE exists: manual SPIs are held before IKE can allocate one */
	ret = rd_manual_install();
	if (ret != 0)
		return ret;
	memset(&cfg, 0, sizeof(cfg));
	cfg.conns = c->conns;
	cfg.n_conns = c->n_conns;
	cfg.ops.send = ike_send_cb;
	cfg.ops.event = ike_event_cb;
	cfg.ops.log = ike_log_cb;
	cfg.ops.alloc_spi = alloc_spi_cb;
	cfg.ops.eap = rd_eap_backend;	/* eap-mschapv2 locally, eap-radius to RADIUS */
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
	struct esp_worker *ew[SA_MAX_WORKERS] = { NULL };
	unsigned w;

	rd_ike_events();
	while (rte_ring_count(rd.sh.ev))
		rd_ike_events();
	for (w = 0; w < rd.sh.n_workers; w++)
		ew[w] = rd.workers[w]->esp;
	sa_mgr_release_all(&rd.sam, ew);
}

void
rd_ike_fini(void)
{
	if (rd.ike != NULL)
		ike_ctx_destroy(rd.ike);
	rd.ike = NULL;
	sa_mgr_fini(&rd.sam);
	rd_own_fini();
}
