/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cycles per packet by datapath stage (meson -Dstage_cycles=true, which
 * defines RD_STAGE_CYCLES). Each worker adds the TSC cycles of each stage and
 * the packets it handled to its own row of rd_stage[] (plain stores, one
 * writer); rampartctl stats shows them under workers[].stage_cycles, and
 * perf/daemon-bench turns deltas into cycles per forwarded packet. Without
 * the option the macros compile to nothing: no rdtsc on the packet path.
 *
 * Stages (a worker loop iteration that did work is "loop"; what it spent
 * outside the stages below is messages, RCU, handoff polling, empty RX polls
 * of the other ports and the loop itself):
 *   rx        rte_eth_rx_burst calls that returned packets, with byte counting
 *   classify  net_classify of the burst
 *   spd       outbound policy lookup of a LAN burst (fwd_lookup)
 *   dispatch  the per-packet switch: TTL, L3 trim, handoff, enc_add
 *   esp_in    esp_in_burst
 *   post_in   inner policy lookups, anti-spoofing, send_ip of decapsulated packets
 *   esp_out   esp_out_burst
 *   l2_out    send_ip of encapsulated packets: next-hop cache (on a miss: route,
 *             neighbour), Ethernet header
 *   tx        tx_flush of every port
 */
#ifndef RD_STAGE_H
#define RD_STAGE_H

#include <stdint.h>

#include <rte_cycles.h>

enum rd_stage {
	RD_STG_RX,
	RD_STG_CLASSIFY,
	RD_STG_SPD,
	RD_STG_DISPATCH,
	RD_STG_ESP_IN,
	RD_STG_POST_IN,
	RD_STG_ESP_OUT,
	RD_STG_L2_OUT,
	RD_STG_TX,
	RD_STG_LOOP,
	RD_STG__COUNT,
};

struct rd_stage_row {
	uint64_t cyc[RD_STG__COUNT];
	uint64_t pkts[RD_STG__COUNT];
} __attribute__((aligned(64)));

extern const char *const rd_stage_names[RD_STG__COUNT];

#ifdef RD_STAGE_CYCLES
extern struct rd_stage_row rd_stage[];	/* one per worker (SA_MAX_WORKERS) */
#define RD_STAGE_T(t) uint64_t t = rte_rdtsc()
#define RD_STAGE_ADD(wid, st, t, n)                                                      \
	do {                                                                             \
		uint64_t t1_ = rte_rdtsc();                                              \
		rd_stage[(wid)].cyc[(st)] += t1_ - (t);                                   \
		rd_stage[(wid)].pkts[(st)] += (n);                                        \
		(t) = t1_;                                                               \
	} while (0)
#else
#define RD_STAGE_T(t) do { } while (0)
#define RD_STAGE_ADD(wid, st, t, n) do { } while (0)
#endif

#endif
