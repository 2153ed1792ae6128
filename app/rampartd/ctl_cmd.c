/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Operator interfaces of rampartd: the control socket commands (lib/ctl
 * calls rd_cmd_handler from rd_cmd_poll on the control core) and the DPDK
 * telemetry endpoints /rampart/stats and /rampart/workers (called on the
 * telemetry thread: they read only plain counters, never lib/ike or the
 * child table); the Prometheus endpoint is ctl_metrics.c. The counter
 * lists are rd_stats.h, rd_drop.h and lib/ike's IKE_STATS_LIST. Port
 * counters are DPDK's own /ethdev/stats and /ethdev/link_status endpoints.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <malloc.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_telemetry.h>

#include "ctl/ctl_sock.h"
#include "ctl_rate.h"
#include "esp/esp_cdev.h"
#include "rampartd.h"
#include "rd_stage.h"
#include "sa/sa_spd.h"

/* Control-socket refusals of rampartd's own (lib/ctl counts "denied"). */
static struct {
	uint64_t reload_refused;	/* a file neither the configured one nor beside it */
} cmd_st;

static json_t *
addr_json(const struct sockaddr_storage *ss)
{
	char buf[INET6_ADDRSTRLEN + 8];

	return json_string(ike_addr_str(ss, buf, sizeof(buf)));
}

static json_t *
hex_json(uint64_t v, int digits)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%0*" PRIx64, digits, v);
	return json_string(buf);
}

static const char *
enc_name(uint16_t enc, uint16_t key_len, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%u%s", enc == ESP_ENC_AES_GCM16 ? "aes" : enc == ESP_ENC_AES_CBC ?
		 "aes" : "enc", key_len * 8u, enc == ESP_ENC_AES_GCM16 ? "gcm16" : "");
	return buf;
}

/*
 * @keys: the peer may see key material (root, in a -Ddebug_keys=true build
 * run with RAMPART_DEBUG_KEYS=1). Production builds have no keys to show.
 */
static json_t *
child_json(const struct sa_child *ch, bool keys)
{
	struct esp_sa_stats in = { 0 }, out = { 0 };
	uint64_t now = rd_now_ms();
	char enc[32];

	/* Plain 64-bit loads of counters the owner worker writes. */
	if (ch->sa_in != NULL)
		esp_sa_stats_get(ch->sa_in, &in);
	if (ch->sa_out != NULL)
		esp_sa_stats_get(ch->sa_out, &out);
	json_t *o;

	o = json_pack("{sI sI ss so so ss sb sb sI sI sI sI sI sI sI}",
			 "id", (json_int_t)ch->id, "ike_sa_id", (json_int_t)ch->ike_sa_id,
			 "conn", ch->conn, "spi_in", hex_json(ch->spi_in, 8),
			 "spi_out", hex_json(ch->spi_out, 8),
			 "enc", enc_name(ch->enc, ch->enc_key_len, enc, sizeof(enc)),
			 "esn", ch->esn, "natt", ch->natt, "worker", (json_int_t)ch->owner,
			 "established_s", (json_int_t)((now - ch->established_ms) / 1000),
			 "bytes_in", (json_int_t)in.bytes, "bytes_out", (json_int_t)out.bytes,
			 "pkts_in", (json_int_t)in.packets, "pkts_out", (json_int_t)out.packets,
			 "drops", (json_int_t)(in.drops + out.drops));
	if (o != NULL && rd_child_is_manual(ch->id))
		json_object_set_new(o, "manual", json_true());
#ifdef RD_DEBUG_KEYS
	/* Test builds of the e2e suite only: see RAMPART_DEBUG_KEYS in main.c. */
	if (o != NULL && keys && rd.debug_keys && ch->dbg_key_in[0] != '\0') {
		json_object_set_new(o, "enc_key_in", json_string(ch->dbg_key_in));
		json_object_set_new(o, "enc_key_out", json_string(ch->dbg_key_out));
	}
#else
	(void)keys;
#endif
	return o;
}

/* Key material goes to root peers only (SO_PEERCRED), never to the group. */
static bool
peer_is_root(void)
{
	struct ctl_peer p;

	return rd.ctl != NULL && ctl_sock_peer(rd.ctl, &p) == 0 && p.uid == 0;
}

static json_t *
children_json(uint64_t ike_sa_id, bool all)
{
	bool keys = peer_is_root();
	json_t *a = json_array();
	unsigned i;

	for (i = 0; a != NULL && i < rd.sam.n_children; i++) {
		const struct sa_child *ch = &rd.sam.children[i];

		if (sa_child_is_live(ch) && (all || ch->ike_sa_id == ike_sa_id))
			json_array_append_new(a, child_json(ch, keys));
	}
	return a;
}

static int
sa_cb(void *arg, const struct ike_sa_info *i)
{
	json_t *a = arg;
	char vip[INET6_ADDRSTRLEN] = "-";
	char rid[IKE_MAX_ID_LEN + 1];
	uint64_t now = rd_now_ms();
	size_t n = i->remote_id.len < IKE_MAX_ID_LEN ? i->remote_id.len : IKE_MAX_ID_LEN;
	unsigned k;

	if (i->vip_af == 4 || i->vip_af == 6)
		inet_ntop(i->vip_af == 4 ? AF_INET : AF_INET6, i->vip, vip, sizeof(vip));
	/* Identities may be binary (DN, key id): print the printable part. */
	for (k = 0; k < n; k++)
		rid[k] = i->remote_id.data[k] >= 0x20 && i->remote_id.data[k] < 0x7f ?
			 (char)i->remote_id.data[k] : '.';
	rid[n] = '\0';
	json_array_append_new(a, json_pack("{sI ss ss sb so so ss ss so so sI so}",
		"id", (json_int_t)i->id, "conn", i->conn, "state", i->state ? i->state : "?",
		"initiator", i->initiator, "local", addr_json(&i->local),
		"remote", addr_json(&i->remote), "remote_id", rid, "vip", vip,
		"spi_i", hex_json(i->spi_i, 16), "spi_r", hex_json(i->spi_r, 16),
		"established_s", (json_int_t)(i->established_ms && now > i->established_ms ?
					      (now - i->established_ms) / 1000 : 0),
		"children", children_json(i->id, false)));
	return 0;
}

static int
count_cb(void *arg, const struct ike_sa_info *i)
{
	(void)i;
	(*(unsigned *)arg)++;
	return 0;
}

/* {reason: count} for every rd_drop reason (rd_drop.h). */
static json_t *
drops_json(const uint64_t drop[RD_DROP__COUNT])
{
	json_t *o = json_object();
	unsigned i;

	for (i = 0; i < RD_DROP__COUNT; i++)
		json_object_set_new(o, rd_drop_names[i], json_integer((json_int_t)drop[i]));
	return o;
}

/* Every drop of the daemon: rd_drop reasons of workers and control, lib/esp's. */
static json_t *
drop_totals_json(void)
{
	uint64_t d[RD_DROP__COUNT] = { 0 }, e[ESP_DROP__COUNT] = { 0 }, total = 0;
	json_t *o, *esp = json_object();
	unsigned i, k;

	for (i = 0; i < rd.sh.n_workers; i++) {
		struct esp_worker_stats es;

		esp_worker_stats_get(rd.workers[i]->esp, &es);
		for (k = 0; k < RD_DROP__COUNT; k++)
			d[k] += rd.workers[i]->st.drop[k];
		for (k = 0; k < ESP_DROP__COUNT; k++)
			e[k] += es.drops[k];
	}
	for (k = 0; k < RD_DROP__COUNT; k++) {
		d[k] += rd.st.drop[k];
		total += d[k];
	}
	for (k = 0; k < ESP_DROP__COUNT; k++) {
		json_object_set_new(esp, esp_drop_names[k], json_integer((json_int_t)e[k]));
		total += e[k];
	}
	o = drops_json(d);
	json_object_set_new(o, "esp", esp);
	json_object_set_new(o, "total", json_integer((json_int_t)total));
	return o;
}

/*
 * A worker's table sizes: SAs linked in its lib/esp table, SA routes and
 * outbound targets in use. Plain reads of worker-private state from the
 * control core: a count may be one message behind.
 */
static json_t *
worker_res_json(const struct rd_worker *w)
{
	return json_pack("{sI sI sI}", "sa_entries", (json_int_t)esp_worker_sa_count(w->esp),
			 "routes", (json_int_t)w->spd->n_routes,
			 "targets", (json_int_t)sa_spd_target_count(w->spd));
}

/*
 * Process-wide resources, for leak checks (churn tests): resident memory,
 * DPDK heap and glibc malloc in use, mbufs out of the pool, control-side
 * tables.
 */
static json_t *
resources_json(void)
{
	struct rte_malloc_socket_stats ms;
	struct mallinfo2 mi = mallinfo2();
	json_t *o = json_object();
	uint64_t heap = 0, allocs = 0, backlog = 0, rss_kb = 0;
	unsigned i, pending = 0;
	char line[128];
	FILE *f;

	for (i = 0; i < RTE_MAX_NUMA_NODES; i++)
		if (rte_malloc_get_socket_stats((int)i, &ms) == 0) {
			heap += ms.heap_allocsz_bytes;
			allocs += ms.alloc_count;
		}
	backlog = sa_mgr_backlog_len(&rd.sam);
	for (i = 0; i < RD_MAX_PENDING; i++)
		pending += rd.pending[i].m != NULL;
	f = fopen("/proc/self/status", "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %" SCNu64, &rss_kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
#define R(k, v) json_object_set_new(o, k, json_integer((json_int_t)(v)))
	R("rss_kb", rss_kb);
	R("heap_bytes", heap);
	R("heap_allocs", allocs);
	R("malloc_bytes", mi.uordblks + mi.hblkhd);	/* glibc heap + mmapped blocks in use */
	R("mbufs_in_use", rd.sh.mp != NULL ? rte_mempool_in_use_count(rd.sh.mp) : 0);
	R("child_records", rd.sam.n_children);
	R("msg_backlog", backlog);
	R("pending", pending);
	R("fwd_retired", rd.n_retired);
#undef R
	return o;
}

/*
 * A worker's loop-gap histogram as name/value pairs (rd_stats.h):
 * loop_gap_le_<N>us cumulative, loop_gap_count, loop_gap_sum_us,
 * loop_gap_max_us.
 */
static void
loop_gap_each(const struct rd_wstats *s, void (*put)(void *ctx, const char *name, uint64_t v),
	      void *ctx)
{
#define B(us) (uint64_t)(us),
	static const uint64_t bound_us[] = { RD_LOOP_GAP_BOUNDS_US(B) };
#undef B
	uint64_t c[RD_LOOP_GAP_BUCKETS], hz = rte_get_tsc_hz();
	char name[32];
	unsigned i;

	rd_loop_gap_cumulative(&s->gap, c);
	for (i = 0; i < RD_LOOP_GAP_BUCKETS - 1; i++) {
		snprintf(name, sizeof(name), "loop_gap_le_%" PRIu64 "us", bound_us[i]);
		put(ctx, name, c[i]);
	}
	put(ctx, "loop_gap_count", c[RD_LOOP_GAP_BUCKETS - 1]);
	put(ctx, "loop_gap_sum_us",
	    hz ? (uint64_t)((double)__atomic_load_n(&s->gap.sum_tsc, __ATOMIC_RELAXED) * 1e6 /
			    (double)hz) : 0);
	put(ctx, "loop_gap_max_us",
	    hz ? (uint64_t)((double)__atomic_load_n(&s->gap.max_tsc, __ATOMIC_RELAXED) * 1e6 /
			    (double)hz + 0.999) : 0);
}

static void
gap_json(void *ctx, const char *name, uint64_t v)
{
	json_object_set_new(ctx, name, json_integer((json_int_t)v));
}

static void
gap_tel(void *ctx, const char *name, uint64_t v)
{
	rte_tel_data_add_dict_u64(ctx, name, v);
}

static json_t *
worker_json(const struct rd_worker *w)
{
	const struct rd_wstats *s = &w->st;
	struct esp_worker_stats es;
	json_t *o = json_object(), *cls = json_object(), *drops = json_object();
	unsigned i;

	esp_worker_stats_get(w->esp, &es);
#ifdef RD_STAGE_CYCLES
	{
		json_t *sc = json_object();

		for (i = 0; i < RD_STG__COUNT; i++)
			json_object_set_new(sc, rd_stage_names[i], json_pack("{sI sI}",
				"cycles", (json_int_t)rd_stage[w->id].cyc[i],
				"packets", (json_int_t)rd_stage[w->id].pkts[i]));
		json_object_set_new(o, "stage_cycles", sc);
	}
#endif
	for (i = 0; i < NET_CL__COUNT; i++)
		json_object_set_new(cls, net_class_names[i], json_integer((json_int_t)s->cls[i]));
	for (i = 0; i < ESP_DROP__COUNT; i++)
		json_object_set_new(drops, esp_drop_names[i],
				    json_integer((json_int_t)es.drops[i]));
#define W(f, prom, labels, type, help) \
	json_object_set_new(o, #f, json_integer((json_int_t)s->f));
	json_object_set_new(o, "id", json_integer(w->id));
	json_object_set_new(o, "lcore", json_integer(w->lcore));
	RD_WORKER_COUNTERS(W)
#undef W
	loop_gap_each(s, gap_json, o);
	json_object_set_new(o, "resources", worker_res_json(w));
	json_object_set_new(o, "class", cls);
	json_object_set_new(o, "drops", drops_json(s->drop));
	json_object_set_new(o, "esp_drops", drops);
	json_object_set_new(o, "esp_events", json_integer((json_int_t)es.events));
	json_object_set_new(o, "esp_events_lost", json_integer((json_int_t)es.events_lost));
	if (rd.conf->crypto.backend == CONF_CRYPTO_CRYPTODEV) {
		struct esp_cdev_stats cs;

		esp_worker_cdev_stats_get(w->esp, &cs);
		json_object_set_new(o, "cryptodev", json_pack("{sI sI sI sI sI}",
			"enqueued", (json_int_t)cs.enqueued, "dequeued", (json_int_t)cs.dequeued,
			"op_errors", (json_int_t)cs.op_errors, "no_ops", (json_int_t)cs.no_ops,
			"polls_empty", (json_int_t)cs.polls_empty));
	}
	return o;
}

static json_t *
ports_json(bool counters)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; i < rd.sh.n_ports; i++) {
		const struct rd_port *p = &rd.sh.ports[i];
		struct rte_eth_stats es = { 0 };
		struct rte_eth_link link = { 0 };

		rte_eth_stats_get(p->port_id, &es);
		rte_eth_link_get_nowait(p->port_id, &link);
		json_t *o = json_pack("{ss ss ss sb sI sI sI}", "name", p->name,
				      "role", conf_port_role_name(p->role), "device", p->device,
				      "link_up", link.link_status == RTE_ETH_LINK_UP,
				      "rx_pkts", (json_int_t)es.ipackets,
				      "tx_pkts", (json_int_t)es.opackets,
				      "rx_dropped", (json_int_t)(es.imissed + es.ierrors));
		/* tried (setup_steering): rules made, or the reason why not */
		if (o != NULL && (p->esp_steer_rules > 0 || p->esp_steer_why[0] != '\0'))
			json_object_set_new(o, "esp_steering",
					    p->esp_steer_rules > 0 ?
					    json_pack("{ss si}", "by", "rte_flow", "rules",
						      (int)p->esp_steer_rules) :
					    json_pack("{ss ss}", "by", "rss+handoff", "why",
						      p->esp_steer_why));
		if (counters && o != NULL) {
			json_object_set_new(o, "rx_bytes", json_integer((json_int_t)es.ibytes));
			json_object_set_new(o, "tx_bytes", json_integer((json_int_t)es.obytes));
			json_object_set_new(o, "tx_errors", json_integer((json_int_t)es.oerrors));
			json_object_set_new(o, "rx_nombuf", json_integer((json_int_t)es.rx_nombuf));
		}
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
ctl_stats_json(void)
{
	const struct rd_ctl_stats *s = &rd.st;
	json_t *o = json_object();

#define C(f, prom, labels, type, help) \
	json_object_set_new(o, #f, json_integer((json_int_t)s->f));
	RD_CTL_COUNTERS(C)
#undef C
	json_object_set_new(o, "neighbours", json_integer(rd.master.nbr.n_used));
	json_object_set_new(o, "drops", drops_json(s->drop));
	rd_log_stats_json(o);
	if (rd.ike_rate != NULL) {
		struct rd_rate_stats rs;

		rd_rate_stats_get(rd.ike_rate, &rs);
		json_object_set_new(o, "ike_sources_tracked", json_integer(rs.tracked));
		json_object_set_new(o, "ike_sources_evicted",
				    json_integer((json_int_t)rs.evictions));
		json_object_set_new(o, "ike_rate_retx_prio", json_integer((json_int_t)rs.retx_prio));
	}
	return o;
}

static json_t *
ike_stats_json(void)
{
	struct ike_stats s = { 0 };
	json_t *o = json_object();

	if (rd.ike != NULL)
		ike_stats_get(rd.ike, &s);
#define I(f, prom, type, help) json_object_set_new(o, #f, json_integer((json_int_t)s.f));
	IKE_STATS_LIST(I)
#undef I
	return o;
}

static int
err_reply(json_t **reply, int ret, const char *what)
{
	*reply = json_pack("{ss}", "error", what);
	return ret;
}

#ifdef RD_FAULT_INJECT
/*
 * Test builds only (meson -Dfault_inject=true): {"what": "ring-full" |
 * "mbuf-exhaust", "ms": N}. ring-full makes every control -> worker ring
 * report full for N ms (messages wait in the backlog); mbuf-exhaust takes
 * every mbuf the control lcore can get out of the pool, puts
 * RD_FAULT_MBUF_RESERVE of them back into the pool's common ring and gives
 * the rest back after N ms (control core allocations fail meanwhile, also
 * from its own recycled cache). The reserve keeps every receive path working,
 * so that the request whose answer the control core then fails to allocate
 * is received: a worker's queue allocates from its lcore cache, then the
 * ring; the control RX queue (af_packet hashes flows onto it too) from the
 * ring only. It must be in the ring: left in the pool as "the last N free",
 * it sat in the worker's lcore cache (the control lcore had drained its own
 * cache and the ring), and a request hashed onto the control queue waited in
 * the kernel socket ring until the fault ended, uncounted (af_packet in DPDK
 * 22.11 does not count rx_nombuf).
 */
enum { RD_FAULT_MBUF_RESERVE = 256 };
static uint64_t fault_until[RD_FAULT__COUNT];
static struct {
	struct rte_mbuf **m;
	unsigned n;
	uint64_t until;
} fault_held;

bool
rd_fault_active(unsigned f)
{
	return f < RD_FAULT__COUNT && rd_now_ms() < fault_until[f];
}

void
rd_fault_tick(uint64_t now)
{
	if (fault_held.m == NULL || now < fault_held.until)
		return;
	rte_pktmbuf_free_bulk(fault_held.m, fault_held.n);
	rd_ev_fault("fault_injection", "mbuf-exhaust-released", "mbufs", fault_held.n);
	free(fault_held.m);
	fault_held.m = NULL;
	fault_held.n = 0;
}

static int
fault_cmd(json_t *args, json_t **reply)
{
	json_t *w = json_object_get(args, "what"), *t = json_object_get(args, "ms");
	uint64_t ms = json_is_integer(t) && json_integer_value(t) > 0 ?
		      (uint64_t)json_integer_value(t) : 1000;
	const char *what = json_is_string(w) ? json_string_value(w) : "";

	if (strcmp(what, "ring-full") == 0) {
		fault_until[RD_FAULT_RING_FULL] = rd_now_ms() + ms;
	} else if (strcmp(what, "mbuf-exhaust") == 0) {
		unsigned cap = rd.sh.mp->size, keep;

		if (fault_held.m != NULL)
			return err_reply(reply, -EBUSY, "mbufs already held");
		fault_held.m = calloc(cap, sizeof(*fault_held.m));
		if (fault_held.m == NULL)
			return err_reply(reply, -ENOMEM, "out of memory");
		while (fault_held.n < cap &&
		       (fault_held.m[fault_held.n] = rte_pktmbuf_alloc(rd.sh.mp)) != NULL)
			fault_held.n++;
		/* Fresh mbufs: straight back to the ring (no lcore cache). */
		keep = fault_held.n < RD_FAULT_MBUF_RESERVE ? fault_held.n : RD_FAULT_MBUF_RESERVE;
		fault_held.n -= keep;
		rte_mempool_generic_put(rd.sh.mp, (void **)&fault_held.m[fault_held.n], keep, NULL);
		fault_held.until = rd_now_ms() + ms;
		fault_until[RD_FAULT_MBUF_EXHAUST] = fault_held.until;
	} else {
		return err_reply(reply, -EINVAL, "what: ring-full or mbuf-exhaust");
	}
	rd_ev_fault("fault_injection", what, "ms", ms);
	*reply = json_pack("{ss sI}", "fault", what, "ms", (json_int_t)ms);
	return 0;
}
#endif

static int reload(const char *path, char *err, size_t err_len, struct conf_err_pos *pos);

static json_t *
ctl_json(void)
{
	json_t *o = rd.ctl != NULL ? ctl_sock_stats_json(rd.ctl) : json_object();

	if (o != NULL) {
		json_object_set_new(o, "reload_refused", json_integer((json_int_t)cmd_st.reload_refused));
	}
	return o;
}

/*
 * reload [FILE]: lib/ctl has checked that the peer is root or in the control
 * group. FILE must be the configured file or one beside it (symlinks
 * resolved: see conf_reload_path()). A file that fails to load is never
 * quoted back: the reply holds FILE:LINE:COL, plus the key path for the
 * configured file only; the reason goes to the daemon log, in full for the
 * configured file (lib/conf messages never hold secrets).
 */
static int
reload_cmd(json_t *args, json_t **reply)
{
	json_t *f = json_object_get(args, "file");
	char path[PATH_MAX], err[CONF_ERR_LEN], msg[PATH_MAX + 512];
	const char *file;
	struct conf_err_pos pos;
	bool configured = true;
	int ret;

	if (f != NULL && !json_is_string(f))
		return err_reply(reply, -EINVAL, "\"file\" must be a string");
	if (f != NULL) {
		ret = conf_reload_path(rd.conf_path, json_string_value(f), path, sizeof(path));
		if (ret < 0) {
			cmd_st.reload_refused++;
			RD_LOG(WARNING, "reload refused: not %s or a file beside it\n",
			       rd.conf_path[0] != '\0' ? rd.conf_path : "a configuration file");
			return err_reply(reply, -EPERM, rd.conf_path[0] == '\0' ?
					 "the built-in configuration runs: reload takes no file" :
					 "only the configured file or a file in its directory");
		}
		configured = strcmp(path, rd.conf_path) == 0;
	}
	ret = reload(f != NULL ? path : NULL, err, sizeof(err), &pos);
	if (ret == 0) {
		*reply = json_pack("{sI}", "conns", (json_int_t)rd.conf->n_conns);
		return 0;
	}
	rd.st.reload_fail++;
	file = f != NULL ? path : rd.conf_path[0] != '\0' ? rd.conf_path : "<built-in>";
	if (pos.line > 0 && configured && pos.key[0] != '\0')
		snprintf(msg, sizeof(msg), "%s:%u:%u: %s: rejected (reason in the daemon log), "
			 "old configuration kept", file, pos.line, pos.col, pos.key);
	else if (pos.line > 0)
		snprintf(msg, sizeof(msg), "%s:%u:%u: rejected (reason in the daemon log), old "
			 "configuration kept", file, pos.line, pos.col);
	else
		snprintf(msg, sizeof(msg), "%s: %s, old configuration kept", file,
			 ret == -EINVAL ? "rejected (reason in the daemon log)" : strerror(-ret));
	rd_ev_reload(NULL, configured ? err : msg);
	return err_reply(reply, ret, msg);
}

/* ---- conn-info: what a client profile needs (rampartctl client-profile) ---- */

enum { CONN_INFO_MAX_PEM = 64 * 1024 };

/* A public PEM file (certificate) as a string, or JSON null. Never a key. */
static json_t *
pem_json(const char *path)
{
	char *buf;
	size_t n;
	FILE *f;
	json_t *j = json_null();

	if (path[0] == '\0' || (f = fopen(path, "r")) == NULL)
		return j;
	buf = malloc(CONN_INFO_MAX_PEM + 1);
	if (buf != NULL) {
		n = fread(buf, 1, CONN_INFO_MAX_PEM, f);
		buf[n] = '\0';
		/* certificates only: a file holding a private key is not sent */
		if (n > 0 && n < CONN_INFO_MAX_PEM && strstr(buf, "PRIVATE KEY") == NULL &&
		    strstr(buf, "-----BEGIN CERTIFICATE-----") != NULL)
			j = json_stringn(buf, n);
		free(buf);
	}
	fclose(f);
	return j;
}

static json_t *
id_json(const struct ike_id *id)
{
	char buf[IKE_MAX_ID_LEN + 1];
	const char *type;
	size_t i, n;

	switch (id->type) {
	case IKE_ID_IPV4_ADDR:
	case IKE_ID_IPV6_ADDR:
		if (id->len != (id->type == IKE_ID_IPV4_ADDR ? 4 : 16))
			return json_null();
		inet_ntop(id->type == IKE_ID_IPV4_ADDR ? AF_INET : AF_INET6, id->data, buf,
			  sizeof(buf));
		type = id->type == IKE_ID_IPV4_ADDR ? "ipv4" : "ipv6";
		break;
	case IKE_ID_FQDN:
	case IKE_ID_RFC822_ADDR:
		n = id->len < sizeof(buf) - 1 ? id->len : sizeof(buf) - 1;
		for (i = 0; i < n; i++)
			buf[i] = id->data[i] >= 0x20 && id->data[i] < 0x7f ? (char)id->data[i] : '?';
		buf[n] = '\0';
		type = id->type == IKE_ID_FQDN ? "fqdn" : "email";
		break;
	case IKE_ID_ANY:
		return json_pack("{ss}", "type", "any");
	default:
		return json_pack("{ss}", "type", id->type == IKE_ID_DER_ASN1_DN ? "dn" : "keyid");
	}
	return json_pack("{ss ss}", "type", type, "value", buf);
}

static const char *
auth_name(uint8_t a)
{
	return a == IKE_AUTHM_PSK ? "psk" : a == IKE_AUTHM_PUBKEY ? "pubkey" :
	       a == IKE_AUTHM_EAP ? "eap" : "none";
}

static json_t *
ts_json(const struct ike_ts *ts, unsigned n)
{
	json_t *a = json_array();
	unsigned i, k, np;

	for (i = 0; i < n; i++) {
		struct net_prefix pf[RD_MAX_TS_PREFIXES];
		char addr[INET6_ADDRSTRLEN], sfx[32] = "", buf[96];

		if (ts[i].proto != 0 || ts[i].sport != 0 || ts[i].eport != 65535) {
			if (ts[i].sport == 0 && ts[i].eport == 65535)
				snprintf(sfx, sizeof(sfx), "[%u]", ts[i].proto);
			else if (ts[i].sport == ts[i].eport)
				snprintf(sfx, sizeof(sfx), "[%u/%u]", ts[i].proto, ts[i].sport);
			else
				snprintf(sfx, sizeof(sfx), "[%u/%u-%u]", ts[i].proto, ts[i].sport,
					 ts[i].eport);
		}
		np = net_range_to_prefixes(ts[i].af, ts[i].saddr, ts[i].eaddr, pf,
					   RD_MAX_TS_PREFIXES);
		for (k = 0; k < np; k++) {
			inet_ntop(pf[k].af == 4 ? AF_INET : AF_INET6, pf[k].addr, addr, sizeof(addr));
			snprintf(buf, sizeof(buf), "%s/%u%s", addr, pf[k].depth, sfx);
			json_array_append_new(a, json_string(buf));
		}
	}
	return a;
}

/* The gateway address clients dial: the connection's local, else its port's first. */
static json_t *
gw_addr_json(unsigned c)
{
	const struct ike_conn_cfg *cc = &rd.conf->conns[c];
	const struct conf_port *p = &rd.conf->ports[rd.conf->conn_port[c]];
	char a[INET6_ADDRSTRLEN];

	if (cc->local.ss_family == AF_INET)
		return json_string(inet_ntop(AF_INET, &((const struct sockaddr_in *)&cc->local)->sin_addr,
					     a, sizeof(a)));
	if (cc->local.ss_family == AF_INET6)
		return json_string(inet_ntop(AF_INET6,
					     &((const struct sockaddr_in6 *)&cc->local)->sin6_addr,
					     a, sizeof(a)));
	if (p->n_addrs > 0)
		return json_string(inet_ntop(p->addrs[0].af == 4 ? AF_INET : AF_INET6,
					     p->addrs[0].addr, a, sizeof(a)));
	return json_null();
}

/* Public facts of connection @name for client profiles; never a secret. */
static int
conn_info(json_t *args, json_t **reply)
{
	json_t *jn = json_object_get(args, "conn"), *ike, *esp, *dns;
	const struct ike_conn_cfg *cc = NULL;
	char a[INET6_ADDRSTRLEN];
	unsigned c, i;

	if (!json_is_string(jn))
		return err_reply(reply, -EINVAL, "missing \"conn\"");
	for (c = 0; c < rd.conf->n_conns; c++)
		if (strcmp(rd.conf->conns[c].name, json_string_value(jn)) == 0) {
			cc = &rd.conf->conns[c];
			break;
		}
	if (cc == NULL)
		return err_reply(reply, -ENOENT, "no such connection");
	ike = json_array();
	esp = json_array();
	dns = json_array();
	for (i = 0; i < cc->n_ike_proposals; i++)
		json_array_append_new(ike, json_string(cc->ike_proposals[i]));
	for (i = 0; i < cc->n_esp_proposals; i++)
		json_array_append_new(esp, json_string(cc->esp_proposals[i]));
	for (i = 0; i < cc->pool.n_dns; i++)
		json_array_append_new(dns, json_string(inet_ntop(cc->pool.dns_af[i] == 4 ? AF_INET :
								 AF_INET6, cc->pool.dns[i], a,
								 sizeof(a))));
	*reply = json_pack("{ss so so ss ss so so so so sb sb sI sI sI so so}",
			   "name", cc->name, "gateway", gw_addr_json(c),
			   "local_id", id_json(&cc->local_id), "auth", auth_name(cc->auth),
			   "remote_auth", auth_name(cc->remote_auth), "ike", ike, "esp", esp,
			   "local_ts", ts_json(cc->local_ts, cc->n_local_ts), "dns", dns,
			   "pool", cc->pool.af != 0, "mobike", !cc->no_mobike,
			   "ike_lifetime_s", (json_int_t)cc->ike_lifetime_s,
			   "child_lifetime_s", (json_int_t)cc->child_lifetime_s,
			   "dpd_s", (json_int_t)cc->dpd_s,
			   "ca_pem", pem_json(cc->ca_file), "cert_pem", pem_json(cc->cert_file));
	if (*reply != NULL && cc->remote_auth2 != 0)	/* RFC 4739: the second round */
		json_object_set_new(*reply, "remote_auth2",
				    json_string(auth_name(cc->remote_auth2)));
	return *reply != NULL ? 0 : err_reply(reply, -ENOMEM, "out of memory");
}

/*
 * The control commands rampartd answers: lib/ctl refuses any other name and
 * the mutating ones from a client neither root nor in the socket's group. A
 * new command is an entry here and its branch in rd_cmd_handler below.
 */
static const struct ctl_cmd_def rd_ctl_cmds[] = {
	{"status", false}, {"list-sas", false}, {"list-children", false}, {"stats", false},
	{"list-manual", false},
	{"initiate", true}, {"terminate", true}, {"rekey", true}, {"reload", true},
	{"fault", true}, {"redirect", true},
	/* not mutating, but configuration (proposals, identities, CA) that only
	 * the operators see: the same rule */
	{"conn-info", true},
};

static int
rd_cmd_handler(void *user, const char *cmd, json_t *args, json_t **reply)
{
	uint64_t now = rd_now_ms(), id;
	unsigned i;
	int ret;

	(void)user;
	if (strcmp(cmd, "status") == 0) {
		unsigned ike_sas = 0, live = rd.sam.n_live;

		if (rd.ike != NULL)
			ike_foreach_sa(rd.ike, count_cb, &ike_sas);
		*reply = json_pack("{ss sI sI sI sI sI sb so}", "version", RAMPART_VERSION,
				   "uptime_s", (json_int_t)((now - rd.start_ms) / 1000),
				   "workers", (json_int_t)rd.sh.n_workers,
				   "conns", (json_int_t)rd.conf->n_conns,
				   "ike_sas", (json_int_t)ike_sas, "child_sas", (json_int_t)live,
				   "ike", rd.ike != NULL, "ports", ports_json(false));
		return 0;
	}
	if (strcmp(cmd, "list-sas") == 0) {
		json_t *a = json_array();

		if (rd.ike != NULL)
			ike_foreach_sa(rd.ike, sa_cb, a);
		*reply = json_pack("{so}", "sas", a);
		return 0;
	}
	if (strcmp(cmd, "list-children") == 0) {
		*reply = json_pack("{so}", "children", children_json(0, true));
		return 0;
	}
	if (strcmp(cmd, "list-manual") == 0) {
		*reply = json_pack("{so}", "manual_sas", rd_manual_json());
		return 0;
	}
	if (strcmp(cmd, "stats") == 0) {
		json_t *w = json_array();

		for (i = 0; i < rd.sh.n_workers; i++)
			json_array_append_new(w, worker_json(rd.workers[i]));
		*reply = json_pack("{so so so so so so}", "ike", ike_stats_json(),
				   "ctl", ctl_json(),
				   "control", ctl_stats_json(), "ports", ports_json(true),
				   "workers", w, "drops", drop_totals_json());
		if (*reply != NULL) {
			json_object_set_new(*reply, "resources", resources_json());
			json_object_set_new(*reply, "radius", rd_radius_stats_json());
			json_object_set_new(*reply, "eap_local", rd_eaplocal_stats_json());
		}
		return 0;
	}
	if (strcmp(cmd, "reload") == 0)
		return reload_cmd(args, reply);
	if (strcmp(cmd, "conn-info") == 0)
		return conn_info(args, reply);
#ifdef RD_FAULT_INJECT
	if (strcmp(cmd, "fault") == 0)
		return fault_cmd(args, reply);
#endif
	if (rd.ike == NULL)
		return err_reply(reply, -ENOTSUP, "IKE is not available");
	if (strcmp(cmd, "initiate") == 0) {
		json_t *c = json_object_get(args, "conn");

		if (!json_is_string(c))
			return err_reply(reply, -EINVAL, "missing \"conn\"");
		ret = ike_initiate(rd.ike, json_string_value(c), now);
		return ret ? err_reply(reply, ret, ike_strerror(ret)) : 0;
	}
	if (strcmp(cmd, "terminate") == 0) {
		if (ctl_arg_id(args, "ike", &id) != 0)
			return err_reply(reply, -EINVAL, "missing \"ike\" id");
		ret = ike_terminate_ike(rd.ike, id, now);
		return ret ? err_reply(reply, ret, ike_strerror(ret)) : 0;
	}
	if (strcmp(cmd, "redirect") == 0) {
		json_t *to = json_object_get(args, "to");
		unsigned n = 0;

		if (!json_is_string(to))
			return err_reply(reply, -EINVAL, "missing \"to\" (address or host name)");
		if (json_is_true(json_object_get(args, "all")))
			id = 0;
		else if (ctl_arg_id(args, "ike", &id) != 0 || id == 0)
			return err_reply(reply, -EINVAL, "missing \"ike\" id or \"all\"");
		ret = ike_redirect(rd.ike, id, json_string_value(to), now, &n);
		if (ret == -EINVAL)
			return err_reply(reply, ret, "bad target (IPv4, IPv6 address or host name)");
		if (ret == -EPERM)
			return err_reply(reply, ret, "IKE SA not established or its peer did not "
					 "announce REDIRECT_SUPPORTED");
		if (ret != 0)
			return err_reply(reply, ret, ike_strerror(ret));
		*reply = json_pack("{sI}", "redirected", (json_int_t)n);
		return 0;
	}
	if (strcmp(cmd, "rekey") == 0) {
		if (ctl_arg_id(args, "child", &id) == 0)
			ret = ike_rekey_child(rd.ike, id, now);
		else if (ctl_arg_id(args, "ike", &id) == 0)
			ret = ike_rekey_ike(rd.ike, id, now);
		else
			return err_reply(reply, -EINVAL, "missing \"child\" or \"ike\" id");
		return ret ? err_reply(reply, ret, ike_strerror(ret)) : 0;
	}
	return err_reply(reply, -EOPNOTSUPP, "unknown command");
}

/* Load @path (NULL: the configured file or the built-in) and apply it. */
static int
reload(const char *path, char *err, size_t err_len, struct conf_err_pos *pos)
{
	struct conf *nc = NULL;
	const char *p = path != NULL ? path : rd.conf_path;
	int ret;

	memset(pos, 0, sizeof(*pos));
	if (p[0] == '\0')
		ret = rd_load_builtin(&nc, err, err_len);
	else
		ret = conf_load_pos(p, &nc, err, err_len, pos);
	if (ret != 0)
		return ret;
	/* The control socket stays where it was created (e.g. by -s). */
	snprintf(nc->ctl_path, sizeof(nc->ctl_path), "%s", rd.conf->ctl_path);
	if (rd.ike != NULL) {
		ret = ike_reconfigure(rd.ike, nc->conns, nc->n_conns);
		if (ret != 0) {
			snprintf(err, err_len, "ike: %s", ike_strerror(ret));
			conf_free(nc);
			return ret;
		}
	}
	if (nc->n_ports != rd.conf->n_ports || nc->n_routes != rd.conf->n_routes ||
	    nc->workers != rd.conf->workers)
		RD_LOG(WARNING, "reload: ports, routes and workers change only on restart\n");
	if (nc->metrics_af != rd.conf->metrics_af || nc->metrics_port != rd.conf->metrics_port ||
	    memcmp(nc->metrics_addr, rd.conf->metrics_addr, sizeof(nc->metrics_addr)) != 0)
		RD_LOG(WARNING, "reload: metrics.listen changes only on restart\n");
	if (nc->n_manual != rd.conf->n_manual || nc->n_neighbors != rd.conf->n_neighbors ||
	    memcmp(nc->manual, rd.conf->manual, sizeof(nc->manual)) != 0 ||
	    memcmp(nc->neighbors, rd.conf->neighbors, sizeof(nc->neighbors)) != 0)
		RD_LOG(WARNING, "reload: manual_sas and neighbors change only on restart "
		       "(the installed ones stay)\n");
	if (nc->max_tunnels != rd.conf->max_tunnels)
		RD_LOG(WARNING, "reload: max_tunnels changes only on restart (%u tables kept)\n",
		       rd.conf->max_tunnels);
	if (nc->gcm_engine != rd.conf->gcm_engine)
		RD_LOG(WARNING, "reload: gcm_engine changes only on restart\n");
	/* Ports and routes in use keep their start-up values; connections and the
	 * rest come from the new file. */
	conf_free(rd.conf);
	rd.conf = nc;
	if (path != NULL)
		snprintf(rd.conf_path, sizeof(rd.conf_path), "%s", path);
	rd_log_configure(nc);
	rd_ev_reload(nc, NULL);
	return 0;
}

/* SIGHUP: reload the configured file; a failure keeps the running config,
 * is logged once and counted. */
int
rd_reload(const char *path, char *err, size_t err_len)
{
	struct conf_err_pos pos;
	int ret = reload(path, err, err_len, &pos);

	if (ret != 0) {
		rd.st.reload_fail++;
		rd_ev_reload(NULL, err);	/* the old config is kept */
	}
	return ret;
}

/* ---- telemetry (telemetry thread: counters only) ---- */

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct rd_ctl_stats *s = &rd.st;
	uint64_t rx = 0, tx = 0, dec = 0, enc = 0, drop = 0, dr[RD_DROP__COUNT];
	unsigned i, k;

	(void)cmd;
	(void)params;
	memcpy(dr, s->drop, sizeof(dr));
	for (i = 0; i < rd.sh.n_workers; i++) {
		const struct rd_wstats *w = &rd.workers[i]->st;
		struct esp_worker_stats es;

		rx += w->rx;
		tx += w->tx;
		dec += w->dec_ok;
		enc += w->enc_ok;
		for (k = 0; k < RD_DROP__COUNT; k++)
			dr[k] += w->drop[k];
		esp_worker_stats_get(rd.workers[i]->esp, &es);
		for (k = 0; k < ESP_DROP__COUNT; k++)
			drop += es.drops[k];
	}
	for (k = 0; k < RD_DROP__COUNT; k++)
		drop += dr[k];
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "workers", rd.sh.n_workers);
	rte_tel_data_add_dict_u64(d, "rx", rx);
	rte_tel_data_add_dict_u64(d, "tx", tx);
	rte_tel_data_add_dict_u64(d, "decrypted", dec);
	rte_tel_data_add_dict_u64(d, "encrypted", enc);
	rte_tel_data_add_dict_u64(d, "dropped", drop);
	rte_tel_data_add_dict_u64(d, "child_sas", rd.sam.n_children);
#define T(f, prom, labels, type, help) rte_tel_data_add_dict_u64(d, #f, s->f);
	RD_CTL_COUNTERS(T)
#undef T
	for (k = 0; k < RD_DROP__COUNT; k++) {
		char name[48];

		snprintf(name, sizeof(name), "drop_%s", rd_drop_names[k]);
		rte_tel_data_add_dict_u64(d, name, dr[k]);
	}
	return 0;
}

static int
tel_workers(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned i, k;

	(void)cmd;
	if (params == NULL || *params == '\0') {
		rte_tel_data_start_array(d, RTE_TEL_INT_VAL);
		for (i = 0; i < rd.sh.n_workers; i++)
			rte_tel_data_add_array_int(d, (int)i);
		return 0;
	}
	i = (unsigned)strtoul(params, NULL, 0);
	if (i >= rd.sh.n_workers)
		return -EINVAL;
	const struct rd_wstats *w = &rd.workers[i]->st;
	struct esp_worker_stats es;

	esp_worker_stats_get(rd.workers[i]->esp, &es);
	rte_tel_data_start_dict(d);
#define T(f, prom, labels, type, help) rte_tel_data_add_dict_u64(d, #f, w->f);
	RD_WORKER_COUNTERS(T)
#undef T
	loop_gap_each(w, gap_tel, d);
	for (k = 0; k < RD_DROP__COUNT; k++) {
		char name[48];

		snprintf(name, sizeof(name), "drop_%s", rd_drop_names[k]);
		rte_tel_data_add_dict_u64(d, name, w->drop[k]);
	}
	for (k = 0; k < ESP_DROP__COUNT; k++) {
		char name[48];

		snprintf(name, sizeof(name), "esp_drop_%s", esp_drop_names[k]);
		rte_tel_data_add_dict_u64(d, name, es.drops[k]);
	}
	return 0;
}

int
rd_cmd_init(void)
{
	const struct conf *c = rd.conf;
	struct ctl_sock_cfg cfg = {
		.path = c->ctl_path,
		.mode = c->ctl_mode,
		.group = c->ctl_group,
		.cmds = rd_ctl_cmds,
		.n_cmds = RTE_DIM(rd_ctl_cmds),
	};
	int ret;

	if (c->telemetry) {
		rte_telemetry_register_cmd("/rampart/stats", tel_stats,
					   "Rampart totals. No parameters");
		rte_telemetry_register_cmd("/rampart/workers", tel_workers,
					   "Worker ids, or one worker's counters. Parameter: id");
	}
	rd_metrics_init();	/* a failure is logged, not fatal (like the socket) */
	if (c->ctl_path[0] == '\0')
		return 0;
	ret = ctl_sock_create(&cfg, &rd.ctl);
	if (ret != 0)
		RD_LOG(ERR, "control socket %s: %s\n", c->ctl_path, strerror(-ret));
	return ret;
}

void
rd_cmd_poll(void)
{
	if (rd.ctl != NULL)
		ctl_sock_poll(rd.ctl, rd_cmd_handler, NULL);
	rd_metrics_publish(rd_now_ms());
	rd_log_tick(rd_now_ms());
}

void
rd_cmd_fini(void)
{
#ifdef RD_FAULT_INJECT
	rd_fault_tick(UINT64_MAX);	/* give back mbufs still held */
#endif
	rd_metrics_fini();
	ctl_sock_destroy(rd.ctl);
	rd.ctl = NULL;
}
