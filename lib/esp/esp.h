/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Public API of the ESP datapath (RFC 4303 tunnel mode, RFC 3948 NAT-T).
 *
 * Control core: esp_sa_create() builds a complete SA (expanded keys, tunnel
 * header template, lifetimes) and hands it to a worker over its ring
 * (lib/sa/sa_msg.h); esp_sa_destroy() wipes and frees it after the worker's
 * SA_EV_DEL_ACK. Workers: esp_in_burst()/esp_out_burst() on whole bursts.
 * Nothing here logs, allocates or locks on the packet path.
 *
 * Packet layout at the API: mbuf data starts at the IP header (L2 stripped
 * by the caller). esp_in_burst takes outer IPv4/IPv6 packets carrying ESP
 * (protocol 50) or ESP-in-UDP (RFC 3948, non-ESP marker already excluded by
 * the caller's classifier) and returns inner IP packets; esp_out_burst does
 * the reverse.
 */
#ifndef RAMPART_ESP_H
#define RAMPART_ESP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "sa/sa_msg.h"

/* IANA IKEv2 transform IDs, so IKE results map without translation. */
enum esp_enc {
	ESP_ENC_AES_CBC = 12,		/* RFC 3602, key 16 or 32 bytes */
	ESP_ENC_AES_GCM16 = 20,		/* RFC 4106, key 16 or 32 bytes + 4 salt */
};

enum esp_integ {
	ESP_INTEG_NONE = 0,		/* with AES-GCM */
	ESP_INTEG_HMAC_SHA256_128 = 12,	/* RFC 4868 */
	ESP_INTEG_HMAC_SHA384_192 = 13,
	ESP_INTEG_HMAC_SHA512_256 = 14,
};

enum esp_dir {
	ESP_DIR_IN = 0,
	ESP_DIR_OUT = 1,
};

enum esp_limits {
	ESP_MAX_BURST = 64,
	ESP_REPLAY_DEFAULT = 1024,
	ESP_REPLAY_MIN = 64,
	ESP_REPLAY_MAX = 4096,
	ESP_MAX_KEY_LEN = 36,		/* AES-256 key + GCM salt */
	ESP_MAX_INTEG_KEY_LEN = 64,
};

struct esp_sa_params {
	uint32_t spi;			/* host order */
	uint8_t dir;			/* enum esp_dir */
	uint8_t enc;			/* enum esp_enc */
	uint8_t integ;			/* enum esp_integ */
	uint8_t enc_key_len;		/* bytes of cipher key, salt excluded */
	uint8_t integ_key_len;		/* bytes */
	bool esn;			/* RFC 4303 appendix A */
	uint8_t outer_af;		/* 4 or 6 */
	uint8_t dscp_mode;		/* 0: RFC 6040 normal mode (copy) */
	uint8_t enc_key[ESP_MAX_KEY_LEN]; /* GCM: key || 4-byte salt */
	uint8_t integ_key[ESP_MAX_INTEG_KEY_LEN];
	uint8_t outer_src[16];		/* tunnel endpoints, network order */
	uint8_t outer_dst[16];
	uint16_t natt_sport;		/* UDP encapsulation ports (host order), */
	uint16_t natt_dport;		/* both 0 = plain ESP */
	uint32_t replay_window;		/* inbound, packets; 0 = ESP_REPLAY_DEFAULT */
	uint64_t soft_packets, hard_packets; /* 0 = no limit */
	uint64_t soft_bytes, hard_bytes;
	uint64_t user_id;		/* opaque, echoed in sa_event */
	/* 0 normally: outbound, the sequence number taken as
	 * already sent (the first packet carries seq_start + 1); inbound, the
	 * initial right edge of the replay window. Tests start near exhaustion
	 * or near a 2^32 boundary with it. */
	uint64_t seq_start;
	/* Inbound, non-ESN only: no anti-replay check at all (RFC 4303 3.4.3
	 * lets the receiver disable it; manual SAs with replay_window 0, and
	 * benchmarks that replay captured ESP). */
	bool no_replay;
};

struct esp_sa;
struct esp_worker;

/* Counters of one SA; read from the control core (plain 64-bit loads). */
struct esp_sa_stats {
	uint64_t packets;
	uint64_t bytes;
	uint64_t seq;			/* out: last sequence sent; in: highest seen */
	uint64_t drops;
};

/*
 * Build an SA on NUMA socket @socket_id (SOCKET_ID_ANY allowed).
 * Returns 0 or -EINVAL (bad params), -ENOMEM. Control core only.
 */
int esp_sa_create(const struct esp_sa_params *p, int socket_id, struct esp_sa **out);

/* Wipe keys and free. Only after the owner worker acknowledged the delete. */
void esp_sa_destroy(struct esp_sa *sa);

uint32_t esp_sa_spi(const struct esp_sa *sa);
/* Worst-case bytes the SA adds to an inner packet: outer IP (+ UDP with
 * NAT-T), ESP header, IV, padding, pad length and next header, ICV. */
unsigned esp_sa_overhead(const struct esp_sa *sa);
void esp_sa_stats_get(const struct esp_sa *sa, struct esp_sa_stats *st);

/*
 * Per-worker state: IPsec-MB manager, SA table, drop counters. @ev_ring
 * (MP, elements of struct sa_event) may be NULL: events are then counted only.
 */
int esp_worker_create(unsigned worker_id, int socket_id, struct rte_ring *ev_ring,
		      struct esp_worker **out);
void esp_worker_destroy(struct esp_worker *w);

/* Link/unlink SAs in the worker's tables (called by the worker for ring messages). */
int esp_worker_sa_add(struct esp_worker *w, struct esp_sa *sa);
struct esp_sa *esp_worker_sa_del(struct esp_worker *w, uint32_t spi, uint8_t dir);
struct esp_sa *esp_worker_sa_lookup(struct esp_worker *w, uint32_t spi, uint8_t dir);

/*
 * Owner worker: the tunnel's outer endpoints moved (NAT rebinding, RFC 7296
 * 2.23). Outbound (@dir ESP_DIR_OUT): the header template takes @peer's
 * addresses and ports (source = local, destination = peer); inbound: the
 * peer address/port that authenticated packets are expected from. Nothing
 * else changes: no sequence number, window, counter or key. Returns 0,
 * -ENOENT (no such SA), -EINVAL (address family or UDP encapsulation
 * differs from the SA's: that needs a new SA).
 */
int esp_worker_sa_update(struct esp_worker *w, uint32_t spi, uint8_t dir,
			 const struct sa_peer *peer);

/*
 * Apply the SA part of one control message (sa_msg.h) on the owner worker:
 * the one implementation used by rampartd's workers and by the tests.
 * SA_MSG_ADD_IN/ADD_OUT link msg->add.sa (its direction and SPI must match
 * the op and msg->spi); SA_MSG_DEL_IN/DEL_OUT unlink the SA of msg->spi;
 * SA_MSG_UPDATE_IN/UPDATE_OUT apply esp_worker_sa_update. When the control
 * core must get an SA back (every delete, with sa = NULL for an unknown
 * SPI; an add refused) *@ack is filled as SA_EV_DEL_ACK (cookie echoed);
 * otherwise ack->type is 0. The caller delivers the ack and must never lose
 * one (rampartd's worker queues it while the event ring is full). Returns
 * 0, -ENOENT (unknown SPI), -EEXIST/-ENOSPC/-EINVAL (add refused, SA
 * handed back), -ENOTSUP for ROUTE_* and FLUSH (the caller's policy table),
 * -EINVAL for anything else.
 */
int esp_worker_msg(struct esp_worker *w, const struct sa_msg *msg, struct sa_event *ack);

/*
 * Inbound burst: decrypt and decapsulate. Surviving inner packets are
 * compacted to the front of @pkts (data at the inner IP header); the rest are
 * freed and counted by reason. Returns how many survive.
 */
uint16_t esp_in_burst(struct esp_worker *w, struct rte_mbuf *pkts[], uint16_t n);

/* Where a caller's classifier found the ESP header of an inbound packet. */
struct esp_in_pre {
	uint32_t spi;		/* host order */
	uint16_t esp_off;	/* bytes from the outer IP header to the ESP header */
	uint8_t udp;		/* 1: ESP-in-UDP, the UDP header ends at esp_off */
	uint8_t pad;
};

/*
 * esp_in_burst for packets whose outer header the caller has already
 * parsed and validated as rampartd's classifier does (net_classify: IPv4
 * header length, total length and checksum, not a fragment; IPv6 without
 * extension headers; UDP to 4500 with its length; SPI >= 256) and trimmed
 * to the IP packet (data_len = IP total length): pre[i] describes pkts[i].
 * The outer header is not walked again; what lib/esp relies on (headers
 * before esp_off, ESP header within the data, UDP length = rest of the
 * packet) is re-checked, so a wrong pre[] drops, never overreads. Same
 * results and counters as esp_in_burst otherwise.
 */
uint16_t esp_in_burst_pre(struct esp_worker *w, struct rte_mbuf *pkts[],
			  const struct esp_in_pre pre[], uint16_t n);

/*
 * Outbound burst: encapsulate pkts[i] (data at inner IP header) into sas[i].
 * Survivors are compacted to the front (data at the outer IP header).
 */
uint16_t esp_out_burst(struct esp_worker *w, struct esp_sa *sas[], struct rte_mbuf *pkts[],
		       uint16_t n);

/* Drop reasons, counted per worker. */
enum esp_drop {
	ESP_DROP_NO_SA,
	ESP_DROP_REPLAY,
	ESP_DROP_ICV,
	ESP_DROP_PAD,
	ESP_DROP_MALFORMED,
	ESP_DROP_SHORT,
	ESP_DROP_SEQ_EXHAUSTED,
	ESP_DROP_LIFETIME,
	ESP_DROP_NOROOM,		/* no headroom/tailroom for encapsulation */
	ESP_DROP_TTL,			/* inner TTL/hop limit expired */
	ESP_DROP_MULTISEG,		/* added: chained mbuf (single segment only) */
	ESP_DROP_ECN,			/* added: outer CE over not-ECT inner (RFC 6040) */
	ESP_DROP__COUNT,
};

extern const char *const esp_drop_names[ESP_DROP__COUNT];

struct esp_worker_stats {
	uint64_t in_packets, in_bytes;
	uint64_t out_packets, out_bytes;
	uint64_t drops[ESP_DROP__COUNT];
	uint64_t events, events_lost;
};

void esp_worker_stats_get(const struct esp_worker *w, struct esp_worker_stats *st);
/* SAs linked in @w's table (both directions); a plain read, any core. */
uint32_t esp_worker_sa_count(const struct esp_worker *w);

#endif
