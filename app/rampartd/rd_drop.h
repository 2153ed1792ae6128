/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Why rampartd dropped a packet: the one list of drop reasons of the daemon's
 * own packet path (workers and control core). Each worker and the control
 * core keep one counter per reason (rd_wstats.drop[], rd_ctl_stats.drop[]);
 * `rampartctl stats` (JSON) and DPDK telemetry are generated from this list,
 * so a reason added here is exported everywhere. Drops inside lib/esp are
 * counted there by enum esp_drop (esp_drops in the JSON), IKE datagrams that
 * lib/ike rejects by its own statistics (ike.rx_invalid, ike.rx_dropped).
 *
 * X(ID, "json_name", "meaning")
 */
#ifndef RAMPART_RD_DROP_H
#define RAMPART_RD_DROP_H

#define RD_DROP_LIST(X) \
	X(MULTISEG, "multiseg", "chained mbuf (single-segment frames only)") \
	X(MALFORMED, "malformed", "classifier rejected the frame: truncated, bad lengths, " \
	  "reserved SPI, not addressed to us") \
	X(NATT_KEEPALIVE, "natt_keepalive", "RFC 3948 NAT keepalive (consumed)") \
	X(LOCAL, "local_unserved", "to our address but no service takes it (TCP, UDP " \
	  "other than 500/4500, fragments)") \
	X(CTL_UNSERVED, "ctl_unserved", "ARP, ICMP or ND the control core does not answer") \
	X(NOT_PRIVATE, "not_private", "transit traffic received on a public port") \
	X(NO_SA, "no_sa", "cleartext or hairpin traffic with no tunnel towards its destination") \
	X(TTL, "ttl", "TTL or hop limit expired") \
	X(SPOOF, "spoof", "decrypted packet whose source does not route back into its tunnel") \
	X(TS_MISMATCH, "ts_mismatch", "protocol or port outside the traffic selectors of the " \
	  "tunnel (outbound cleartext, or decrypted inbound)") \
	X(TOO_BIG, "too_big", "larger than the tunnel MTU and neither fragmentable nor " \
	  "answerable with ICMP") \
	X(NO_ROUTE, "no_route", "no route towards the destination") \
	X(NO_WORKER, "no_worker", "ESP whose SPI names no worker (control RX queue)") \
	X(HOPS, "hops", "handed between workers too often") \
	X(HANDOFF_FULL, "handoff_full", "the owner worker's handoff ring was full") \
	X(PUNT_FULL, "punt_full", "the punt ring to the control core was full") \
	X(PUNT_IKE_SHED, "punt_ike_shed", "new IKE_SA_INIT kept off a punt ring 3/4 full " \
	  "(room left for ARP/ND and exchanges under way)") \
	X(PENDING_FULL, "pending_full", "no room to hold a packet waiting for ARP/ND") \
	X(NBR_TIMEOUT, "nbr_timeout", "the next hop never answered ARP/ND") \
	X(NO_HEADROOM, "no_headroom", "no room for the Ethernet header") \
	X(TX_FULL, "tx_full", "transmit queue full") \
	X(ALLOC, "alloc_fail", "mbuf pool empty (fragments, replies)") \
	X(BAD_PORT, "bad_port", "frame from a port id rampartd does not own") \
	X(IKE_RATE_SRC, "ike_rate_src", "IKE datagram over its source address's budget") \
	X(IKE_RATE_TOTAL, "ike_rate_total", "IKE datagram over the control core's overall IKE budget")

enum rd_drop {
#define RD_DROP_ENUM(id, name, doc) RD_DROP_##id,
	RD_DROP_LIST(RD_DROP_ENUM)
#undef RD_DROP_ENUM
	RD_DROP__COUNT
};

/* JSON and telemetry names, indexed by enum rd_drop (ctl_loop.c). */
extern const char *const rd_drop_names[RD_DROP__COUNT];

#endif
