/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's side of rd_log.h: the sink (rte_log on the "rampart.event"
 * log type, which stays at DEBUG because rd_log does the level filtering,
 * per connection), and one function per event so that the control-core
 * files call a single line per site. Control core only. Nothing here takes
 * a key, a nonce or a PSK: the child events log SPIs, addresses and names.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <rte_log.h>

#include "rampartd.h"
#include "rd_log.h"

RTE_LOG_REGISTER(rd_event_logtype, rampart.event, DEBUG);

static bool journal;		/* stderr is the journal: "<N>" priority prefix */

static void
sink(int level, const char *line)
{
	/* syslog 3..7 -> RTE_LOG_ERR (4) .. RTE_LOG_DEBUG (8). systemd sets
	 * JOURNAL_STREAM when stderr goes to journald, which reads a leading
	 * "<N>" as the line's priority (SyslogLevelPrefix=, on by default). */
	if (journal)
		rte_log((uint32_t)level + 1, rd_event_logtype, "<%d>rampartd: %s\n", level, line);
	else
		rte_log((uint32_t)level + 1, rd_event_logtype, "rampartd: %s\n", line);
}

void
rd_log_start(void)
{
	const char *js = getenv("JOURNAL_STREAM");

	journal = js != NULL && js[0] != '\0';
	rd_log_set_clock(rd_now_ms);
	rd_log_init(sink);
	rd_log_configure(rd.conf);
	/* rte_log_set_level_pattern("rampart.*") set it to the top level */
	rte_log_set_level(rd_event_logtype, RTE_LOG_DEBUG);
}

static void
kv_addr(struct rd_logbuf *b, const char *key, const struct sockaddr_storage *ss)
{
	char s[INET6_ADDRSTRLEN + 10];

	rd_kv_str(b, key, ike_addr_str(ss, s, sizeof(s)));
}

void
rd_ev_child_up(const struct ike_child_sa *c, unsigned worker, unsigned n_routes)
{
	struct rd_logbuf b;

	if (!rd_log_enabled(IKE_LOG_INFO, c->conn))
		return;
	rd_logbuf_init(&b, c->rekey_of != 0 ? "child_rekeyed" : "child_up");
	rd_kv_str(&b, "conn", c->conn);
	kv_addr(&b, "peer", &c->remote);
	rd_kv_u64(&b, "ike_sa", c->ike_sa_id);
	rd_kv_u64(&b, "child", c->id);
	if (c->rekey_of != 0)
		rd_kv_u64(&b, "rekey_of", c->rekey_of);
	rd_kv_spi(&b, "spi", c->spi_in);
	rd_kv_spi(&b, "spi_out", c->spi_out);
	rd_kv_u64(&b, "worker", worker);
	rd_kv_u64(&b, "routes", n_routes);
	if (c->natt)
		rd_kv_str(&b, "udp_encap", "yes");
	rd_log_emit(RD_LOG_SITE_sa, IKE_LOG_INFO, c->conn, &b);
}

void
rd_ev_child_down(const struct sa_child *ch, bool replaced)
{
	struct rd_logbuf b;

	if (!rd_log_enabled(IKE_LOG_INFO, ch->conn))
		return;
	rd_logbuf_init(&b, "child_down");
	rd_kv_str(&b, "conn", ch->conn);
	rd_kv_u64(&b, "ike_sa", ch->ike_sa_id);
	rd_kv_u64(&b, "child", ch->id);
	rd_kv_spi(&b, "spi", ch->spi_in);
	rd_kv_spi(&b, "spi_out", ch->spi_out);
	rd_kv_str(&b, "reason", replaced ? "replaced" : "deleted");
	rd_log_emit(RD_LOG_SITE_sa, IKE_LOG_INFO, ch->conn, &b);
}

void
rd_ev_child_failed(const struct ike_child_sa *c, const char *reason)
{
	struct rd_logbuf b;

	rd_logbuf_init(&b, "child_install_failed");
	rd_kv_str(&b, "conn", c->conn);
	kv_addr(&b, "peer", &c->remote);
	rd_kv_u64(&b, "ike_sa", c->ike_sa_id);
	rd_kv_u64(&b, "child", c->id);
	rd_kv_spi(&b, "spi", c->spi_in);
	rd_kv_str(&b, "reason", reason);
	rd_log_emit(RD_LOG_SITE_child_fail, IKE_LOG_WARNING, c->conn, &b);
}

void
rd_ev_ike(const struct ike_event *ev)
{
	struct rd_logbuf b;

	if (ev->type == IKE_EV_CHILD_UP && ev->first_child && ev->child != NULL) {
		/* set-up latency: the IKE SA's first child, installed or not */
		if (ev->child->initiator)
			rd_hist_observe(&rd.st.setup_init, ev->setup_ms);
		else
			rd_hist_observe(&rd.st.setup_resp, ev->setup_ms);
		return;
	}
	if (ev->type != IKE_EV_IKE_UP && ev->type != IKE_EV_IKE_DOWN)
		return;
	if (!rd_log_enabled(IKE_LOG_INFO, ev->conn))
		return;
	rd_logbuf_init(&b, ev->type == IKE_EV_IKE_UP ? "ike_sa_up" : "ike_sa_down");
	if (ev->conn != NULL)
		rd_kv_str(&b, "conn", ev->conn);
	if (ev->remote != NULL)
		kv_addr(&b, "peer", ev->remote);
	rd_kv_u64(&b, "ike_sa", ev->ike_sa_id);
	if (ev->reason != NULL)
		rd_kv_str(&b, "reason", ev->reason);
	rd_log_emit(RD_LOG_SITE_sa, IKE_LOG_INFO, ev->conn, &b);
}

void
rd_ev_ike_lib(int level, const char *msg)
{
	char line[RD_LOG_LINE];

	if (!rd_log_enabled(level, NULL))
		return;
	snprintf(line, sizeof(line), "ike: %s", msg);
	rd_log_emit_text(level >= IKE_LOG_DEBUG ? RD_LOG_SITE_ike_lib :
			 level == IKE_LOG_INFO ? RD_LOG_SITE_sa : RD_LOG_SITE_ike_fail,
			 level, NULL, line);
}

void
rd_ev_reload(const struct conf *c, const char *err)
{
	struct rd_logbuf b;

	rd_logbuf_init(&b, "config_reload");
	rd_kv_str(&b, "result", err == NULL ? "ok" : "failed");
	if (err == NULL) {
		rd_kv_str(&b, "file", c->source);
		rd_kv_u64(&b, "conns", c->n_conns);
	} else {
		rd_kv_str(&b, "reason", err);
	}
	rd_log_emit(RD_LOG_SITE_other, err == NULL ? IKE_LOG_INFO : IKE_LOG_ERR, NULL, &b);
}

void
rd_ev_fault(const char *event, const char *state, const char *key, uint64_t v)
{
	struct rd_logbuf b;
	bool bad = strcmp(state, "recovered") != 0;

	rd_logbuf_init(&b, event);
	rd_kv_str(&b, "state", state);
	rd_kv_u64(&b, key, v);
	rd_log_emit(RD_LOG_SITE_fault, bad ? IKE_LOG_WARNING : IKE_LOG_INFO, NULL, &b);
}

void
rd_ev_link(const char *port, bool up)
{
	struct rd_logbuf b;

	rd_logbuf_init(&b, "port_link");
	rd_kv_str(&b, "port", port);
	rd_kv_str(&b, "state", up ? "up" : "down");
	rd_log_emit(RD_LOG_SITE_fault, IKE_LOG_WARNING, NULL, &b);
}

void
rd_log_stats_json(json_t *o)
{
	json_t *sup = json_object();
	unsigned i;

	for (i = 0; i < RD_LOG_SITE__COUNT; i++)
		json_object_set_new(sup, rd_log_site_names[i],
				    json_integer((json_int_t)rd_log_suppressed_total((enum rd_log_site)i)));
	json_object_set_new(o, "log_suppressed", sup);
#define H(f, prom, labels, help) \
	json_object_set_new(o, #f, json_pack("{sI sI}", "count", (json_int_t)rd.st.f.count, \
					     "sum_ms", (json_int_t)rd.st.f.sum_ms));
	RD_CTL_HISTOGRAMS(H)
#undef H
}
