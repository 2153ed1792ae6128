/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE admission on the control core: token buckets per source address and
 * for all sources together, checked for every IKE datagram before lib/ike
 * parses it. Plain C (no DPDK), so it is unit-tested on its own.
 *
 * Cost per datagram is constant: the per-source buckets live in a
 * set-associative table (RD_RATE_WAYS entries per set, the set picked by a
 * keyed hash of the address); an unknown source takes the least recently
 * seen way of its set. Eviction only ever forgets a source, which then
 * starts again with a full bucket, so a flood of spoofed sources can never
 * make a real source's budget smaller; the total bucket bounds what such a
 * flood gets through.
 *
 * Priority: a quarter of the total bucket is reserved for datagrams that
 * belong to an exchange already under way (responder SPI set, or an
 * IKE_SA_INIT returning our COOKIE): new IKE_SA_INIT requests, the only
 * thing a spoofing flood can send, stop at the reserve.
 *
 * Second chance: a real initiator whose IKE_SA_INIT was dropped for the
 * total budget sends the same request again (same source, same SPIi) a
 * few seconds later (RFC 7296 2.1). Each such drop is remembered in a
 * set-associative table of 24-bit fingerprints of (source, SPIi) with the
 * time they were last seen (2 s ticks); a request found there, seen within
 * RD_RATE_RETX_KEEP_NS, counts as under way. Under a flood far above the
 * budget, a new client thus waits one retransmission instead of winning a
 * lottery against the flood on every try. A set keeps its RD_RATE_WAYS
 * most recent entries, so a flood only pushes a real client's entry out
 * if RD_RATE_WAYS newer ones land in its set before the retransmission;
 * at 250 k spoofed requests/s and 2^19 sets that is rare for a retry 4 s
 * later (Poisson mean 1.9, P(>= 8) < 0.1 %). A false match (another request
 * with the same set and fingerprint) needs 24 bits to collide: about one
 * in 2 million lookups, so the flood cannot buy itself priority that way
 * (a Bloom filter of the same size gave 4-8 % false matches at that rate,
 * more than the whole budget). A flood that repeats its own requests gets
 * the same treatment as a client (at twice its cost).
 *
 * rd_rate_*: control core only (no locking).
 */
#ifndef RAMPART_CTL_RATE_H
#define RAMPART_CTL_RATE_H

#include <stdbool.h>
#include <stdint.h>

enum rd_rate_limits {
	RD_RATE_WAYS = 8,		/* entries per set */
	RD_RATE_RETX_SETS_LOG2 = 19,	/* retransmission memory: 2^19 sets (16 MiB) */
};
#define RD_RATE_RETX_TICK_NS 2000000000ull	/* its clock: 2 s */
#define RD_RATE_RETX_KEEP_NS (8 * RD_RATE_RETX_TICK_NS)	/* an entry lives 16 s */

struct rd_rate_cfg {
	uint32_t rate, burst;		/* all sources: tokens/s, depth */
	uint32_t rate_src, burst_src;	/* per source address */
	uint32_t sources;		/* entries tracked (rounded up to a power of 2) */
};

enum rd_rate_verdict {
	RD_RATE_PASS = 0,
	RD_RATE_DROP_SRC,		/* this source is over its budget */
	RD_RATE_DROP_TOTAL,		/* everybody together is over budget */
};

struct rd_rate_stats {
	uint64_t pass, drop_src, drop_total, evictions;
	uint64_t retx_prio;		/* new requests let in as retransmissions */
	uint32_t tracked, capacity;
};

struct rd_rate;

/* @seed keys the address hash (take it from a CSPRNG). 0 or -EINVAL/-ENOMEM. */
int rd_rate_create(const struct rd_rate_cfg *cfg, uint64_t seed, struct rd_rate **out);
void rd_rate_destroy(struct rd_rate *r);

/*
 * One datagram from (@af 4 or 6, @addr 4 or 16 bytes, network order) at
 * @now_ns (monotonic). @ongoing: it belongs to an exchange already under way
 * (may use the reserve); @spi_i: the initiator SPI (for the second chance).
 * Takes one token from both buckets or none.
 */
enum rd_rate_verdict rd_rate_check(struct rd_rate *r, uint8_t af, const uint8_t *addr,
				   bool ongoing, uint64_t spi_i, uint64_t now_ns);
void rd_rate_stats_get(const struct rd_rate *r, struct rd_rate_stats *st);

/*
 * Does the IKE message @ike (@len bytes, from the IKE header on) belong to an
 * exchange under way: responder SPI non-zero, or an IKE_SA_INIT whose first
 * payload is a COOKIE notify (RFC 7296 2.6)? Bounded reads only; pure, so
 * workers use it too (punt ring priority, worker_loop.c).
 */
bool rd_ike_is_ongoing(const uint8_t *ike, uint32_t len);

#endif
