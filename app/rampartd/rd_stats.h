/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one list of rampartd's own scalar counters. Each worker keeps the
 * RD_WORKER_COUNTERS in struct rd_wstats, the control core the
 * RD_CTL_COUNTERS in struct rd_ctl_stats; the struct fields, the JSON of
 * `rampartctl stats` (keyed by field name), the DPDK telemetry endpoints and
 * the Prometheus exposition (ctl_metrics.c) are all generated from these
 * lists, so a counter added here is exported everywhere. Drop reasons have
 * their own list (rd_drop.h), lib/ike's counters theirs (IKE_STATS_LIST).
 *
 * X(field, "prometheus name", "labels", counter|gauge, "help")
 *
 * The Prometheus name is given without its rampart_worker_ / rampart_control_
 * prefix. Entries that share a name differ by their labels, sit next to each
 * other, and the first one's help and type describe the family.
 */
#ifndef RAMPART_RD_STATS_H
#define RAMPART_RD_STATS_H

#include <stdint.h>

#include "rd_drop.h"
#include "rd_hist.h"

#define RD_WORKER_COUNTERS(X) \
	X(rx, "rx_packets_total", "", counter, "frames received from the ports") \
	X(rx_bytes, "rx_bytes_total", "", counter, "bytes of the frames received") \
	X(tx, "tx_packets_total", "", counter, "frames transmitted") \
	X(tx_bytes, "tx_bytes_total", "", counter, "bytes of the frames transmitted") \
	X(punt, "punted_packets_total", "", counter, "frames handed to the control core") \
	X(handoff_out, "handoff_packets_total", "direction=\"out\"", counter, \
	  "packets handed to or taken from another worker (SA owner)") \
	X(handoff_in, "handoff_packets_total", "direction=\"in\"", counter, "") \
	X(esp_in, "esp_packets_total", "direction=\"in\"", counter, \
	  "packets given to lib/esp: inbound ESP, outbound cleartext") \
	X(esp_out, "esp_packets_total", "direction=\"out\"", counter, "") \
	X(dec_ok, "decrypted_packets_total", "", counter, "ESP packets decrypted and verified") \
	X(enc_ok, "encrypted_packets_total", "", counter, "packets encrypted into ESP") \
	X(nbr_miss, "neighbour_misses_total", "", counter, \
	  "packets waiting for ARP/ND (sent to the control core)") \
	X(pmtu_icmp, "pmtu_icmp_sent_total", "", counter, \
	  "ICMP too-big / fragmentation-needed answers") \
	X(frag, "fragmented_packets_total", "", counter, "inner IPv4 packets fragmented") \
	X(tx_kicks, "tx_kicks_total", "", counter, "af_packet transmit queue kicks") \
	X(msgs, "sa_messages_total", "", counter, "SA and route messages applied") \
	X(msg_err, "sa_message_errors_total", "", counter, "SA and route messages refused") \
	X(ack_wait, "sa_acks_deferred_total", "", counter, \
	  "delete acks queued on the worker because the event ring was full") \
	X(idle_sleeps, "idle_sleeps_total", "", counter, "idle back-off sleeps")

#define RD_CTL_COUNTERS(X) \
	X(punt_rx, "punted_packets_total", "", counter, "frames punted by the workers") \
	X(ctl_rx, "rx_packets_total", "", counter, "frames from the control RX queue") \
	X(arp_in, "arp_received_total", "", counter, "ARP frames received") \
	X(arp_replies, "arp_replies_total", "", counter, "ARP replies sent") \
	X(arp_requests, "arp_requests_total", "", counter, "ARP requests sent") \
	X(icmp_replies, "icmp_replies_total", "", counter, "ICMP echo replies sent") \
	X(nd_answers, "nd_answers_total", "", counter, "neighbour advertisements sent") \
	X(nbr_rx, "neighbour_rx_total", "", counter, "ARP/ND frames taken from the punt ring") \
	X(ike_in, "ike_datagrams_total", "direction=\"in\"", counter, \
	  "IKE datagrams to and from lib/ike") \
	X(ike_out, "ike_datagrams_total", "direction=\"out\"", counter, "") \
	X(ike_out_fail, "ike_tx_failures_total", "", counter, "IKE datagrams not sent") \
	X(ike_rate_pass, "ike_admitted_total", "", counter, \
	  "IKE datagrams within the rate budgets") \
	X(ike_spi_unknown, "ike_unknown_spi_total", "", counter, \
	  "IKE datagrams with a responder SPI naming none of our IKE SAs (budgeted as new)") \
	X(events, "sa_events_total", "", counter, "SA events from the workers") \
	X(soft, "lifetime_expiries_total", "kind=\"soft\"", counter, \
	  "child SA lifetime expiries reported by the workers") \
	X(hard, "lifetime_expiries_total", "kind=\"hard\"", counter, "") \
	X(del_acks, "delete_acks_total", "", counter, "SA deletions acknowledged by workers") \
	X(msg_backlog, "msg_backlogged_total", "", counter, \
	  "worker messages queued because a ring was full") \
	X(child_up, "child_sa_installed_total", "", counter, "child SAs installed") \
	X(child_down, "child_sa_removed_total", "", counter, "child SAs removed") \
	X(child_fail, "child_sa_install_failures_total", "", counter, \
	  "child SAs that could not be installed") \
	X(peer_moved, "peer_moves_total", "", counter, "child SAs moved to a new peer address") \
	X(peer_move_refused, "peer_moves_refused_total", "", counter, \
	  "peer address moves refused") \
	X(route_refused, "routes_refused_total", "", counter, \
	  "child SAs refused: prefix owned by another peer") \
	X(tx_kicks, "tx_kicks_total", "", counter, "af_packet transmit queue kicks") \
	X(ring_full, "ring_full_total", "", counter, "ring enqueues that found the ring full") \
	X(mbuf_fail, "mbuf_alloc_failures_total", "", counter, "mbuf allocations that failed") \
	X(link_changes, "link_changes_total", "", counter, "port link state changes") \
	X(reload_fail, "reload_failures_total", "", counter, "configuration reloads refused") \
	X(jobs_submitted, "jobs_total", "stage=\"submitted\"", counter, \
	  "DH/signature jobs by stage") \
	X(jobs_run, "jobs_total", "stage=\"run\"", counter, "") \
	X(jobs_done, "jobs_total", "stage=\"done\"", counter, "") \
	X(jobs_shed, "jobs_shed_total", "", counter, "jobs shed under load")

/* Control-core histograms (rd_hist.h), same shape without the type:
 * X(field, "prometheus name", "labels", "help"), exported in seconds. */
#define RD_CTL_HISTOGRAMS(X) \
	X(setup_resp, "ike_setup_seconds", "role=\"responder\"", \
	  "IKE_SA_INIT received or sent to the first child SA installed") \
	X(setup_init, "ike_setup_seconds", "role=\"initiator\"", "")

#define RD_STATS_FIELD(f, prom, labels, type, help) uint64_t f;

struct rd_ctl_stats {
	RD_CTL_COUNTERS(RD_STATS_FIELD)
	uint64_t drop[RD_DROP__COUNT];	/* every packet the control core drops */
	RD_CTL_HISTOGRAMS(RD_HIST_FIELD)	/* rd_hist.h */
};

/*
 * Worker loop gaps: the time between two consecutive RX polls of a worker,
 * without its idle back-off sleeps (a gap is time the worker was busy and
 * not polling: messages applied, bursts processed). Upper bounds of the
 * histogram buckets in microseconds; one more bucket holds the rest.
 * Exported per worker as loop_gap_le_<N>us (cumulative, like Prometheus
 * "le"), loop_gap_count, loop_gap_sum_us and loop_gap_max_us in JSON and
 * telemetry, and as the histogram rampart_worker_loop_gap_seconds.
 */
#define RD_LOOP_GAP_BOUNDS_US(X) \
	X(16) X(32) X(64) X(128) X(256) X(512) X(1024) X(2048) X(4096) X(8192) X(16384) \
	X(32768) X(65536)

#define RD_LOOP_GAP_ONE(us) +1
enum { RD_LOOP_GAP_BUCKETS = 0 RD_LOOP_GAP_BOUNDS_US(RD_LOOP_GAP_ONE) + 1 };
#undef RD_LOOP_GAP_ONE

struct rd_loop_gap {
	uint64_t n[RD_LOOP_GAP_BUCKETS];	/* gaps per bucket (not cumulative) */
	uint64_t sum_tsc, max_tsc;
};

/* Bucket bounds in TSC cycles for a TSC of @hz: bound_tsc[i] = bound_us[i] * hz / 1e6. */
static inline void
rd_loop_gap_bounds(uint64_t *bound_tsc, uint64_t hz)
{
#define RD_LOOP_GAP_B(us) (uint64_t)(us),
	static const uint64_t us[] = { RD_LOOP_GAP_BOUNDS_US(RD_LOOP_GAP_B) };
#undef RD_LOOP_GAP_B
	unsigned i;

	for (i = 0; i < RD_LOOP_GAP_BUCKETS - 1; i++)
		bound_tsc[i] = us[i] * hz / 1000000u;
}

/* Count one gap of @gap_tsc cycles; @bound_tsc from rd_loop_gap_bounds(). */
static inline void
rd_loop_gap_add(struct rd_loop_gap *g, const uint64_t *bound_tsc, uint64_t gap_tsc)
{
	g->n[rd_hist_bucket(bound_tsc, RD_LOOP_GAP_BUCKETS - 1, gap_tsc)]++;
	g->sum_tsc += gap_tsc;
	if (gap_tsc > g->max_tsc)
		g->max_tsc = gap_tsc;
}

/* Cumulative counts: out[i] = gaps <= bound i; out[RD_LOOP_GAP_BUCKETS - 1] = all. */
static inline void
rd_loop_gap_cumulative(const struct rd_loop_gap *g, uint64_t *out)
{
	rd_hist_cumulative(g->n, RD_LOOP_GAP_BUCKETS, out);
}

#endif
