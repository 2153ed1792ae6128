/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus endpoint: GET /metrics over HTTP on conf "metrics.listen",
 * served by libmicrohttpd on its own internal thread (never a worker, never
 * the control core). Like the telemetry callbacks, that thread reads only
 * plain counters (workers, control core, rings, mempool, ethdev stats); what
 * needs lib/ike, lib/ctl or the rate limiter is copied by the control core
 * into a snapshot every RD_METRICS_PUB_MS (rd_metrics_publish, called from
 * rd_cmd_poll) under a sequence lock the HTTP thread reads without blocking
 * the control core.
 *
 * Names: rampart_<area>_..., counters end in _total, base units (bytes),
 * workers, reasons, ports and directions are labels. The per-worker and
 * control-core families come from the lists in rd_stats.h, drop reasons
 * from rd_drop.h, lib/esp's from esp_drop_names, lib/ike's from
 * IKE_STATS_LIST and lib/ctl's from CTL_SOCK_STATS_LIST.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "ctl/ctl_sock.h"
#include "ctl_rate.h"
#include "rampartd.h"
#include "rd_prom.h"

enum { RD_METRICS_PUB_MS = 250, RD_METRICS_MAX_CONN = 16, RD_METRICS_TIMEOUT_S = 10 };

/* What the control core copies for the HTTP thread. */
struct metrics_snap {
	struct ike_stats ike;
	struct ctl_sock_stats ctl;
	struct rd_rate_stats rate;
	struct rd_radius_stats radius;	/* RADIUS client and accounting */
	uint64_t neighbours, child_sas, pending;
	bool have_ike, have_ctl, have_rate;
	/* child SAs installed per connection; [n_conns] counts children of
	 * connections a reload removed */
	struct {
		char name[IKE_MAX_NAME];
		uint64_t children;
	} conns[CONF_MAX_CONNS + 1];
	unsigned n_conns;
	uint64_t log_suppressed[RD_LOG_SITE__COUNT];
};

static struct {
	struct MHD_Daemon *d;
	uint64_t seq;			/* odd while the control core writes snap */
	struct metrics_snap snap;
	uint64_t next_pub_ms;
	uint64_t start_unix_s;
	uint64_t scrapes, refused;	/* HTTP thread only */
} mt;

struct row {
	const char *name;
	const char *labels;
	enum rd_prom_type type;
	const char *help;
	size_t off;
};

#define ROW_W(f, prom, lbl, type, help) \
	{ "rampart_worker_" prom, lbl, RD_PROM_##type, help, offsetof(struct rd_wstats, f) },
static const struct row worker_rows[] = { RD_WORKER_COUNTERS(ROW_W) };
#undef ROW_W
#define ROW_C(f, prom, lbl, type, help) \
	{ "rampart_control_" prom, lbl, RD_PROM_##type, help, offsetof(struct rd_ctl_stats, f) },
static const struct row ctl_rows[] = { RD_CTL_COUNTERS(ROW_C) };
#undef ROW_C
#define ROW_I(f, prom, type, help) \
	{ "rampart_ike_" prom, "", RD_PROM_##type, help, offsetof(struct ike_stats, f) },
static const struct row ike_rows[] = { IKE_STATS_LIST(ROW_I) };
#undef ROW_I
#define ROW_S(f, help) \
	{ "rampart_ctl_" #f "_total", "", RD_PROM_counter, "control socket: " help, \
	  offsetof(struct ctl_sock_stats, f) },
static const struct row ctl_sock_rows[] = { CTL_SOCK_STATS_LIST(ROW_S) };
#undef ROW_S
/* the counters of rampartctl stats "radius" (docs/eap.md) */
#define ROW_R(f, help) \
	{ "rampart_radius_" #f "_total", "", RD_PROM_counter, "RADIUS: " help, \
	  offsetof(struct rd_radius_stats, f) },
static const struct row radius_rows[] = {
	ROW_R(requests, "Access-Requests sent, retransmissions included")
	ROW_R(retransmits, "Access-Request retransmissions")
	ROW_R(timeouts, "authentication servers that used up their tries on a request")
	ROW_R(failovers, "Access-Requests moved to the next server")
	ROW_R(send_errors, "datagrams the socket refused")
	ROW_R(accepts, "Access-Accepts")
	ROW_R(rejects, "Access-Rejects")
	ROW_R(challenges, "Access-Challenges")
	ROW_R(bad_responses, "responses dropped: authenticator or format")
	ROW_R(unexpected, "responses for no request in flight")
	ROW_R(busy, "EAP conversations refused: all slots in use")
	ROW_R(framed_ips, "Framed-IP(v6)-Address used instead of the pool")
	ROW_R(acct_requests, "Accounting-Requests sent, retransmissions included")
	ROW_R(acct_responses, "Accounting-Responses")
	ROW_R(acct_retransmits, "Accounting-Request retransmissions")
	ROW_R(acct_timeouts, "accounting servers that used up their tries on a request")
	ROW_R(acct_failovers, "Accounting-Requests moved to the next server")
	ROW_R(acct_dropped, "accounting records lost (queue full, no server answered)")
	ROW_R(acct_bad_responses, "Accounting-Responses dropped: authenticator or format")
	ROW_R(session_timeouts, "IKE SAs ended by Session-Timeout")
};
#undef ROW_R

static uint64_t
field(const void *base, size_t off)
{
	/* Plain aligned 64-bit load of a counter another thread writes. */
	return __atomic_load_n((const uint64_t *)((const char *)base + off), __ATOMIC_RELAXED);
}

/* ---- snapshot (control core writes, HTTP thread reads) ---- */

void
rd_metrics_publish(uint64_t now_ms)
{
	struct metrics_snap s;
	uint64_t sum = 0;
	unsigned i;

	if (mt.d == NULL || now_ms < mt.next_pub_ms)
		return;
	mt.next_pub_ms = now_ms + RD_METRICS_PUB_MS;
	memset(&s, 0, sizeof(s));
	if (rd.ike != NULL) {
		ike_stats_get(rd.ike, &s.ike);
		s.have_ike = true;
	}
	if (rd.ctl != NULL) {
		ctl_sock_stats_get(rd.ctl, &s.ctl);
		s.have_ctl = true;
	}
	if (rd.ike_rate != NULL) {
		rd_rate_stats_get(rd.ike_rate, &s.rate);
		s.have_rate = true;
	}
	rd_radius_stats_get(&s.radius);
	s.neighbours = rd.master.nbr.n_used;
	s.n_conns = rd.conf->n_conns < CONF_MAX_CONNS ? rd.conf->n_conns : CONF_MAX_CONNS;
	/* live children: counted by the SA manager at each state change, so
	 * no walk of the records here (O(conns), not O(children)) */
	s.child_sas = rd.sam.n_live;
	for (i = 0; i < s.n_conns; i++) {
		snprintf(s.conns[i].name, sizeof(s.conns[i].name), "%s", rd.conf->conns[i].name);
		s.conns[i].children = sa_mgr_conn_live(&rd.sam, s.conns[i].name);
		sum += s.conns[i].children;
	}
	/* the rest: children of connections a reload removed (names unique) */
	s.conns[s.n_conns].children = s.child_sas > sum ? s.child_sas - sum : 0;
	for (i = 0; i < RD_LOG_SITE__COUNT; i++)
		s.log_suppressed[i] = rd_log_suppressed_total((enum rd_log_site)i);
	for (i = 0; i < RD_MAX_PENDING; i++)
		s.pending += rd.pending[i].m != NULL;

	__atomic_store_n(&mt.seq, mt.seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(&mt.snap, &s, sizeof(s));
	__atomic_store_n(&mt.seq, mt.seq + 1, __ATOMIC_RELEASE);
}

static void
snap_read(struct metrics_snap *out)
{
	uint64_t a, b;

	do {
		while ((a = __atomic_load_n(&mt.seq, __ATOMIC_ACQUIRE)) & 1)
			;
		memcpy(out, &mt.snap, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		b = __atomic_load_n(&mt.seq, __ATOMIC_RELAXED);
	} while (a != b);
}

/* ---- exposition (HTTP thread) ---- */

static void
rows_one(struct rd_prom *p, const struct row *r, unsigned n, const void *base)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(r[i].name, r[i - 1].name) != 0)
			rd_prom_family(p, r[i].name, r[i].type, r[i].help);
		rd_prom_sample(p, r[i].name, r[i].labels, field(base, r[i].off));
	}
}

static void
worker_label(char *l, size_t cap, unsigned w)
{
	char id[12];

	snprintf(id, sizeof(id), "%u", w);
	l[0] = '\0';
	rd_prom_label(l, cap, "worker", id);
}

/* Per worker: the histogram of loop gaps (rd_stats.h) and the largest one. */
static void
loop_gaps(struct rd_prom *p)
{
#define B(us) (us) / 1e6,
	static const double le[] = { RD_LOOP_GAP_BOUNDS_US(B) };
#undef B
	static const char *const h = "rampart_worker_loop_gap_seconds";
	static const char *const m = "rampart_worker_loop_gap_max_seconds";
	double hz = (double)rte_get_tsc_hz();
	uint64_t c[RD_LOOP_GAP_BUCKETS];
	char l[RD_PROM_MAX_LABELS];
	unsigned w;

	if (hz <= 0)
		hz = 1;
	rd_prom_family(p, h, RD_PROM_histogram,
		       "time between two RX polls of a worker, idle sleeps excluded");
	for (w = 0; w < rd.sh.n_workers; w++) {
		const struct rd_loop_gap *g = &rd.workers[w]->st.gap;

		worker_label(l, sizeof(l), w);
		rd_loop_gap_cumulative(g, c);
		rd_prom_histogram(p, h, l, RD_LOOP_GAP_BUCKETS - 1, le, c,
				  c[RD_LOOP_GAP_BUCKETS - 1],
				  (double)field(g, offsetof(struct rd_loop_gap, sum_tsc)) / hz, 0);
	}
	rd_prom_family(p, m, RD_PROM_gauge, "longest time between two RX polls of a worker");
	for (w = 0; w < rd.sh.n_workers; w++) {
		worker_label(l, sizeof(l), w);
		rd_prom_sample_f(p, m, l,
				 (double)field(&rd.workers[w]->st.gap,
					       offsetof(struct rd_loop_gap, max_tsc)) / hz);
	}
}

/* A counter family of every worker's array at @off in its stats, one
 * sample per worker and entry, labelled @key="@names[k]". */
static void
worker_vec(struct rd_prom *p, const char *name, const char *help, const char *key,
	   const char *const names[], unsigned n, size_t off)
{
	char l[RD_PROM_MAX_LABELS];
	unsigned w, k;

	rd_prom_family(p, name, RD_PROM_counter, help);
	for (w = 0; w < rd.sh.n_workers; w++)
		for (k = 0; k < n; k++) {
			worker_label(l, sizeof(l), w);
			rd_prom_label(l, sizeof(l), key, names[k]);
			rd_prom_sample(p, name, l,
				       field(&rd.workers[w]->st, off + k * sizeof(uint64_t)));
		}
}

static void
workers(struct rd_prom *p)
{
	static const size_t n = sizeof(worker_rows) / sizeof(worker_rows[0]);
	char l[RD_PROM_MAX_LABELS];
	unsigned i, w, k;

	for (i = 0; i < n; i++) {
		const struct row *r = &worker_rows[i];

		if (i == 0 || strcmp(r->name, worker_rows[i - 1].name) != 0)
			rd_prom_family(p, r->name, r->type, r->help);
		for (w = 0; w < rd.sh.n_workers; w++) {
			worker_label(l, sizeof(l), w);
			if (r->labels[0] != '\0')
				snprintf(l + strlen(l), sizeof(l) - strlen(l), ",%s", r->labels);
			rd_prom_sample(p, r->name, l, field(&rd.workers[w]->st, r->off));
		}
	}
	loop_gaps(p);
	worker_vec(p, "rampart_worker_class_packets_total", "frames received, by classifier verdict",
		   "class", net_class_names, NET_CL__COUNT, offsetof(struct rd_wstats, cls));
	worker_vec(p, "rampart_worker_dropped_packets_total",
		   "packets a worker dropped, by reason (rd_drop.h)", "reason", rd_drop_names,
		   RD_DROP__COUNT, offsetof(struct rd_wstats, drop));
	rd_prom_family(p, "rampart_esp_dropped_packets_total", RD_PROM_counter,
		       "packets lib/esp dropped, by worker and reason");
	for (w = 0; w < rd.sh.n_workers; w++) {
		struct esp_worker_stats es;

		esp_worker_stats_get(rd.workers[w]->esp, &es);
		for (k = 0; k < ESP_DROP__COUNT; k++) {
			worker_label(l, sizeof(l), w);
			rd_prom_label(l, sizeof(l), "reason", esp_drop_names[k]);
			rd_prom_sample(p, "rampart_esp_dropped_packets_total", l, es.drops[k]);
		}
	}
}

#define ROW_H(f, prom, lbl, help) { "rampart_" prom, lbl, help, offsetof(struct rd_ctl_stats, f) },
static const struct {
	const char *name, *labels, *help;
	size_t off;
} hist_rows[] = { RD_CTL_HISTOGRAMS(ROW_H) };
#undef ROW_H

/* Per-connection tunnels, log suppression, the control core's histograms. */
static void
conn_metrics(struct rd_prom *p, const struct metrics_snap *s)
{
	char l[RD_PROM_MAX_LABELS];
	unsigned i;

	rd_prom_family(p, "rampart_conn_child_sas", RD_PROM_gauge,
		       "child SAs installed, by connection (conn=\"\": removed by a reload)");
	for (i = 0; i <= s->n_conns; i++) {
		if (i == s->n_conns && s->conns[i].children == 0)
			break;
		l[0] = '\0';
		rd_prom_label(l, sizeof(l), "conn", i < s->n_conns ? s->conns[i].name : "");
		rd_prom_sample(p, "rampart_conn_child_sas", l, s->conns[i].children);
	}
	rd_prom_family(p, "rampart_log_suppressed_total", RD_PROM_counter,
		       "log lines dropped by the flood limit, by log site");
	for (i = 0; i < RD_LOG_SITE__COUNT; i++) {
		l[0] = '\0';
		rd_prom_label(l, sizeof(l), "site", rd_log_site_names[i]);
		rd_prom_sample(p, "rampart_log_suppressed_total", l, s->log_suppressed[i]);
	}
	for (i = 0; i < sizeof(hist_rows) / sizeof(hist_rows[0]); i++) {
		if (i == 0 || strcmp(hist_rows[i].name, hist_rows[i - 1].name) != 0)
			rd_hist_family(p, hist_rows[i].name, hist_rows[i].help);
		rd_hist_prom(p, hist_rows[i].name, hist_rows[i].labels,
			     (const struct rd_hist *)(const void *)((const char *)&rd.st +
								   hist_rows[i].off));
	}
}

static void
control(struct rd_prom *p, const struct metrics_snap *s)
{
	char l[RD_PROM_MAX_LABELS];
	unsigned k;

	rows_one(p, ctl_rows, sizeof(ctl_rows) / sizeof(ctl_rows[0]), &rd.st);
	rd_prom_family(p, "rampart_control_dropped_packets_total", RD_PROM_counter,
		       "packets the control core dropped, by reason (rd_drop.h)");
	for (k = 0; k < RD_DROP__COUNT; k++) {
		l[0] = '\0';
		rd_prom_label(l, sizeof(l), "reason", rd_drop_names[k]);
		rd_prom_sample(p, "rampart_control_dropped_packets_total", l, rd.st.drop[k]);
	}
	rd_prom_family(p, "rampart_neighbours", RD_PROM_gauge, "ARP/ND neighbour entries");
	rd_prom_sample(p, "rampart_neighbours", "", s->neighbours);
	rd_prom_family(p, "rampart_child_sas_installed", RD_PROM_gauge,
		       "child SAs installed in the workers");
	rd_prom_sample(p, "rampart_child_sas_installed", "", s->child_sas);
	conn_metrics(p, s);
	rd_prom_family(p, "rampart_pending_packets", RD_PROM_gauge,
		       "packets held waiting for ARP/ND");
	rd_prom_sample(p, "rampart_pending_packets", "", s->pending);
	if (s->have_ike)
		rows_one(p, ike_rows, sizeof(ike_rows) / sizeof(ike_rows[0]), &s->ike);
	rows_one(p, radius_rows, sizeof(radius_rows) / sizeof(radius_rows[0]), &s->radius);
	if (s->have_rate) {
		rd_prom_family(p, "rampart_ike_rate_sources_tracked", RD_PROM_gauge,
			       "IKE source addresses with a rate budget");
		rd_prom_sample(p, "rampart_ike_rate_sources_tracked", "", s->rate.tracked);
		rd_prom_family(p, "rampart_ike_rate_sources_evicted_total", RD_PROM_counter,
			       "IKE source budgets evicted for new sources");
		rd_prom_sample(p, "rampart_ike_rate_sources_evicted_total", "", s->rate.evictions);
		rd_prom_family(p, "rampart_ike_rate_retx_prio_total", RD_PROM_counter,
			       "new IKE requests let in as retransmissions");
		rd_prom_sample(p, "rampart_ike_rate_retx_prio_total", "", s->rate.retx_prio);
	}
	if (s->have_ctl) {
		rows_one(p, ctl_sock_rows, sizeof(ctl_sock_rows) / sizeof(ctl_sock_rows[0]),
			 &s->ctl);
		rd_prom_family(p, "rampart_ctl_clients", RD_PROM_gauge,
			       "control socket clients connected");
		rd_prom_sample(p, "rampart_ctl_clients", "", s->ctl.clients);
	}
}

static void
ring_sample(struct rd_prom *p, const char *metric, const char *ring, int worker,
	    const struct rte_ring *r, bool cap)
{
	char l[RD_PROM_MAX_LABELS] = "", id[12];

	if (r == NULL)
		return;
	rd_prom_label(l, sizeof(l), "ring", ring);
	if (worker >= 0) {
		snprintf(id, sizeof(id), "%d", worker);
		rd_prom_label(l, sizeof(l), "worker", id);
	}
	rd_prom_sample(p, metric, l, cap ? rte_ring_get_capacity(r) : rte_ring_count(r));
}

static void
resources(struct rd_prom *p)
{
	static const char *const names[] = {"rampart_ring_entries", "rampart_ring_capacity"};
	static const char *const helps[] = {"entries waiting in a ring", "capacity of a ring"};
	char l[RD_PROM_MAX_LABELS];
	unsigned i, w;

	for (i = 0; i < 2; i++) {
		rd_prom_family(p, names[i], RD_PROM_gauge, helps[i]);
		ring_sample(p, names[i], "punt", -1, rd.sh.punt, i);
		ring_sample(p, names[i], "punt_nbr", -1, rd.sh.punt_nbr, i);
		ring_sample(p, names[i], "events", -1, rd.sh.ev, i);
		for (w = 0; w < rd.sh.n_workers; w++) {
			ring_sample(p, names[i], "sa_msg", (int)w, rd.workers[w]->msg_ring, i);
			ring_sample(p, names[i], "handoff", (int)w, rd.workers[w]->handoff, i);
		}
	}
	if (rd.sh.mp != NULL) {
		unsigned avail = rte_mempool_avail_count(rd.sh.mp);

		rd_prom_family(p, "rampart_mbufs", RD_PROM_gauge,
			       "packet buffers of the mbuf pool, by state");
		l[0] = '\0';
		rd_prom_label(l, sizeof(l), "state", "in_use");
		rd_prom_sample(p, "rampart_mbufs", l,
			       rd.sh.mp->size > avail ? rd.sh.mp->size - avail : 0);
		l[0] = '\0';
		rd_prom_label(l, sizeof(l), "state", "free");
		rd_prom_sample(p, "rampart_mbufs", l, avail);
		rd_prom_family(p, "rampart_mbuf_pool_size", RD_PROM_gauge,
			       "packet buffers in the mbuf pool");
		rd_prom_sample(p, "rampart_mbuf_pool_size", "", rd.sh.mp->size);
	}
}

static void
ports(struct rd_prom *p)
{
	static const char *const fam[][3] = {
		{"rampart_port_packets_total", "counter", "frames on a port (ethdev)"},
		{"rampart_port_bytes_total", "counter", "bytes on a port (ethdev)"},
		{"rampart_port_errors_total", "counter", "ethdev receive and transmit errors"},
		{"rampart_port_rx_missed_total", "counter", "frames the port could not store"},
		{"rampart_port_rx_nombuf_total", "counter", "receive mbuf allocation failures"},
		{"rampart_port_link_up", "gauge", "1 when the port's link is up"},
	};
	struct rte_eth_stats st[CONF_MAX_PORTS];
	bool up[CONF_MAX_PORTS];
	char l[RD_PROM_MAX_LABELS];
	unsigned i, f, d;

	for (i = 0; i < rd.sh.n_ports; i++) {
		struct rte_eth_link link = { 0 };

		memset(&st[i], 0, sizeof(st[i]));
		rte_eth_stats_get(rd.sh.ports[i].port_id, &st[i]);
		rte_eth_link_get_nowait(rd.sh.ports[i].port_id, &link);
		up[i] = link.link_status == RTE_ETH_LINK_UP;
	}
	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		rd_prom_family(p, fam[f][0], fam[f][1][0] == 'g' ? RD_PROM_gauge : RD_PROM_counter,
			       fam[f][2]);
		for (i = 0; i < rd.sh.n_ports; i++)
			for (d = 0; d < (f < 3 ? 2u : 1u); d++) {
				static const uint64_t z = 0;
				const uint64_t *v[][2] = {
					{&st[i].ipackets, &st[i].opackets},
					{&st[i].ibytes, &st[i].obytes},
					{&st[i].ierrors, &st[i].oerrors},
					{&st[i].imissed, &z}, {&st[i].rx_nombuf, &z}, {&z, &z},
				};

				l[0] = '\0';
				rd_prom_label(l, sizeof(l), "port", rd.sh.ports[i].name);
				if (f < 3)
					rd_prom_label(l, sizeof(l), "direction", d ? "tx" : "rx");
				rd_prom_sample(p, fam[f][0], l, f == 5 ? up[i] : *v[f][d]);
			}
	}
}

/* The whole exposition; NULL (and *len 0) when out of memory. */
char *
rd_metrics_render(size_t *len)
{
	struct rd_prom p = { 0 };
	struct metrics_snap s;

	snap_read(&s);
	rd_prom_family(&p, "rampart_start_time_seconds", RD_PROM_gauge,
		       "when rampartd started, seconds since the Unix epoch");
	rd_prom_sample(&p, "rampart_start_time_seconds", "", mt.start_unix_s);
	rd_prom_family(&p, "rampart_workers", RD_PROM_gauge, "worker lcores");
	rd_prom_sample(&p, "rampart_workers", "", rd.sh.n_workers);
	workers(&p);
	control(&p, &s);
	resources(&p);
	ports(&p);
	rd_prom_family(&p, "rampart_metrics_scrapes_total", RD_PROM_counter,
		       "requests for /metrics answered");
	rd_prom_sample(&p, "rampart_metrics_scrapes_total", "", mt.scrapes + 1);
	rd_prom_family(&p, "rampart_metrics_refused_total", RD_PROM_counter,
		       "HTTP requests refused (other path or method, out of memory)");
	rd_prom_sample(&p, "rampart_metrics_refused_total", "", mt.refused);
	if (p.oom) {
		free(p.buf);
		*len = 0;
		return NULL;
	}
	*len = p.len;
	return p.buf;
}

/* ---- HTTP (libmicrohttpd's internal thread) ---- */

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
					    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
	const char *version, const char *upload, size_t *upload_len, void **state)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *body;

	(void)cls;
	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		mt.refused++;
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics only\n");
	}
	if (strcmp(url, "/metrics") != 0) {
		mt.refused++;
		return reply(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
	}
	body = rd_metrics_render(&len);
	if (body == NULL) {
		mt.refused++;
		return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory\n");
	}
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	mt.scrapes++;
	return ret;
}

int
rd_metrics_init(void)
{
	const struct conf *c = rd.conf;
	struct sockaddr_storage ss;
	char a[INET6_ADDRSTRLEN];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (c->metrics_af == 0)
		return 0;
	ike_addr_make(&ss, c->metrics_af, c->metrics_addr, c->metrics_port);
	if (c->metrics_af != 4)
		flags |= MHD_USE_IPv6;
	inet_ntop(c->metrics_af == 4 ? AF_INET : AF_INET6, c->metrics_addr, a, sizeof(a));
	mt.start_unix_s = (uint64_t)time(NULL);
	mt.d = MHD_start_daemon(flags, c->metrics_port, NULL, NULL, handler, NULL,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)RD_METRICS_MAX_CONN,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)RD_METRICS_TIMEOUT_S,
				MHD_OPTION_END);
	if (mt.d == NULL) {
		RD_LOG(ERR, "metrics: cannot listen on %s port %u\n", a, c->metrics_port);
		return -EADDRNOTAVAIL;
	}
	mt.next_pub_ms = 0;
	rd_metrics_publish(rd_now_ms());
	RD_LOG(INFO, "metrics: Prometheus endpoint http://%s%s%s:%u/metrics\n",
	       c->metrics_af == 6 ? "[" : "", a, c->metrics_af == 6 ? "]" : "", c->metrics_port);
	return 0;
}

void
rd_metrics_fini(void)
{
	if (mt.d != NULL)
		MHD_stop_daemon(mt.d);	/* joins its thread */
	mt.d = NULL;
}
