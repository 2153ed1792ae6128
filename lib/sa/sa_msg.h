/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The messages that cross the control <-> worker rings. This header is the
 * only contract between the control core (IKE, config) and the workers.
 *
 * Control -> worker: one SPSC rte_ring per worker, elements of struct sa_msg
 * (rte_ring_*_elem with sizeof(struct sa_msg)). Worker -> control: one MPSC
 * ring of struct sa_event. Nobody blocks: a full ring is counted and retried.
 *
 * Ownership: an esp_sa passed in SA_MSG_ADD_* belongs to the worker from the
 * moment it is enqueued; after SA_MSG_DEL_* the worker unlinks it and answers
 * SA_EV_DEL_ACK carrying the same pointer; only then may the control core
 * wipe and free it (esp_sa_destroy).
 */
#ifndef RAMPART_SA_MSG_H
#define RAMPART_SA_MSG_H

#include <stdint.h>

struct esp_sa;

enum sa_msg_op {
	SA_MSG_ADD_IN = 1,	/* inbound SA, keyed by spi */
	SA_MSG_ADD_OUT,		/* outbound SA; routes point at it by spi */
	SA_MSG_DEL_IN,		/* unlink inbound spi, ack with SA_EV_DEL_ACK */
	SA_MSG_DEL_OUT,		/* unlink outbound spi (and its routes), ack */
	SA_MSG_ROUTE_ADD,	/* inner destination prefix -> outbound spi */
	SA_MSG_ROUTE_DEL,	/* remove that prefix */
	SA_MSG_FLUSH,		/* drop every route; SAs stay (the control core
				 * takes them back once the workers stopped) */
	SA_MSG_UPDATE_IN,	/* inbound spi: the peer's outer address/port moved */
	SA_MSG_UPDATE_OUT,	/* outbound spi: new outer addresses/ports, same SA */
	SA_MSG_SEL_SET,		/* protocol/port selectors of the target
				 * {spi, owner}, after its ROUTE_ADDs */
};

/* An inner-destination prefix (the remote traffic selector as CIDR). */
struct sa_route {
	uint8_t af;		/* 4 or 6 */
	uint8_t depth;		/* prefix length in bits */
	uint8_t pad[2];
	uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
};

/*
 * The outer endpoints of a tunnel (RFC 7296 2.23, RFC 3948): our address
 * and UDP port, the peer's as seen after any NAT. Ports are 0 for plain ESP.
 */
struct sa_peer {
	uint8_t af;		/* 4 or 6 */
	uint8_t pad[3];
	uint16_t local_port;	/* host order */
	uint16_t peer_port;	/* host order */
	uint8_t local[16];	/* network order; IPv4 in the first 4 bytes */
	uint8_t peer[16];
};

/*
 * SA_MSG_ROUTE_ADD flags. SA_ROUTE_STANDBY: a rekey whose peer may not have
 * installed the new SA yet. If the prefix already routes to another target,
 * the worker only accepts the new inbound SPI there (anti-spoofing) and
 * keeps sending on the current target; a later plain ROUTE_ADD switches.
 */
enum sa_route_flags {
	SA_ROUTE_STANDBY = 1u << 0,
};

/* SA_MSG_ADD_IN, SA_MSG_ADD_OUT */
struct sa_msg_add {
	struct esp_sa *sa;	/* ownership moves to the worker */
	uint16_t max_inner;	/* ADD_OUT: largest inner packet that fits the
				 * egress MTU once encapsulated; 0 = no check */
	uint8_t pad[6];
};

/*
 * The protocol and port part of a child's traffic selectors (RFC 7296 3.13.1),
 * addresses left out (the routes and the anti-spoofing check enforce those).
 * One list per side: local = our side (inner source going out, inner
 * destination coming in), remote = the peer's side. A packet matches when
 * some local entry and some remote entry match its protocol and the port of
 * that side. For ICMP and ICMPv6 the "port" is type << 8 | code (RFC 7296
 * 3.13.1), checked on both sides. An empty list is "any" (no check on that
 * side); n_local == n_remote == 0 means the child is not port-restricted and
 * the datapath skips the check altogether.
 */
enum sa_sel_limits {
	SA_SEL_MAX = 3,		/* entries per side (struct sa_msg stays
				 * within 64 bytes); a child with more distinct
				 * port selectors on a side is widened to "any"
				 * there (rampartd logs it) */
};

struct sa_sel_port {
	uint8_t proto;		/* IP protocol, 0 = any */
	uint8_t pad;
	uint16_t lo, hi;	/* host order, inclusive */
};

struct sa_sel {
	uint8_t n_local, n_remote;
	struct sa_sel_port local[SA_SEL_MAX], remote[SA_SEL_MAX];
};

/* SA_MSG_ROUTE_ADD, SA_MSG_ROUTE_DEL (sa_msg.spi: the outbound SPI) */
struct sa_msg_route {
	struct sa_route prefix;	/* inner destination prefix */
	uint32_t spi_in;	/* ADD: inbound SPI of the same child: packets
				 * from the prefix must arrive on it */
	uint16_t owner;		/* ADD: worker owning the outbound SA */
	uint16_t flags;		/* ADD: enum sa_route_flags */
};

/* SA_MSG_SEL_SET (sa_msg.spi: the outbound SPI) */
struct sa_msg_sel {
	struct sa_sel sel;	/* the child's protocol/port selectors */
	uint16_t owner;		/* worker owning the outbound SA */
};

/*
 * One control -> worker message. Fields common to every op come first;
 * the union holds the op's own arguments (unused members are zero):
 *
 *   op                  spi            cookie         union member
 *   ADD_IN, ADD_OUT     the SA's       echoed (ack)   add
 *   DEL_IN, DEL_OUT     the SA's       echoed (ack)   -
 *   ROUTE_ADD, _DEL     outbound SA's  -              route
 *   SEL_SET             outbound SA's  -              sel
 *   UPDATE_IN, _OUT     the SA's       -              peer
 *   FLUSH               -              -              -
 *
 * cookie is opaque to the worker (rampartd puts the child id there); it is
 * echoed in the SA_EV_DEL_ACK that hands an SA back (a delete, or an add
 * the worker refused).
 */
struct sa_msg {
	uint16_t op;		/* enum sa_msg_op */
	uint16_t reserved;	/* 0 */
	uint32_t spi;		/* host order */
	uint64_t cookie;
	union {
		struct sa_msg_add add;
		struct sa_msg_route route;
		struct sa_msg_sel sel;
		struct sa_peer peer;	/* UPDATE_*: only the outer header changes;
					 * sequence numbers, window, keys stay */
	};
};

enum sa_ev_type {
	SA_EV_DEL_ACK = 1,	/* worker unlinked sa; control may free it */
	SA_EV_SOFT,		/* soft lifetime (packets or bytes) reached: rekey */
	SA_EV_HARD,		/* hard lifetime reached: SA stopped */
	SA_EV_SEQ_NEAR_WRAP,	/* outbound sequence number close to exhaustion */
	SA_EV_SEQ_EXHAUSTED,	/* outbound sequence exhausted: SA stopped */
	SA_EV_IDLE,		/* no traffic for the idle period */
	SA_EV_PEER_MOVED,	/* inbound ESP-in-UDP that authenticated (ICV and
				 * replay window passed) came from another address
				 * or port than the SA's peer: .peer says where
				 * (RFC 3948); rate-limited per SA */
};

struct sa_event {
	uint16_t type;		/* enum sa_ev_type */
	uint16_t worker;	/* reporting worker id */
	uint32_t spi;		/* host order */
	uint64_t user_id;	/* esp_sa_params.user_id of the SA */
	uint64_t cookie;	/* DEL_ACK: sa_msg.cookie */
	struct esp_sa *sa;	/* DEL_ACK: the SA now owned by control again */
	struct sa_peer peer;	/* PEER_MOVED: the packet's outer endpoints */
};

/*
 * Inbound SPIs carry their owner worker in the top SA_SPI_WORKER_BITS bits,
 * so any worker finds the owner without a lookup (and NICs that match on the
 * SPI can steer to it). SPIs 0..255 are reserved (RFC 4303 2.1): the
 * allocator never returns them.
 */
enum sa_spi_limits {
	SA_SPI_WORKER_BITS = 4,
	SA_MAX_WORKERS = 1 << SA_SPI_WORKER_BITS,
	/* low bits: the worker's direct SA index (lib/esp, inbound lookup) */
	SA_SPI_INDEX_BITS = 18,
	SA_SPI_INDEX_SIZE = 1 << SA_SPI_INDEX_BITS,
	SA_SPI_INDEX_MASK = SA_SPI_INDEX_SIZE - 1,
	/* between them: free bits (generation or random), 10 today */
	SA_SPI_GEN_BITS = 32 - SA_SPI_WORKER_BITS - SA_SPI_INDEX_BITS,
};

static inline unsigned
sa_spi_worker(uint32_t spi)
{
	return spi >> (32 - SA_SPI_WORKER_BITS);
}

/*
 * The inbound datapath finds an SA first at index (spi & SA_SPI_INDEX_MASK)
 * of its worker's direct table, checked against the SA's own SPI, and only
 * when that slot is empty or holds another SA in a hash table. Any SPI
 * works; an allocator that wants every inbound SA found without the hash
 * gives each live inbound SA of a worker a distinct low index:
 *
 *   worker (top SA_SPI_WORKER_BITS) | gen (SA_SPI_GEN_BITS) | index (low bits)
 *
 * with index a free slot of that worker (e.g. a free list of
 * SA_SPI_INDEX_SIZE entries, a slot reused only after the old SA's
 * SA_EV_DEL_ACK) and gen random or bumped on reuse, so a freed SPI does not
 * come back at once. Random low bits also work, with some SAs (colliding
 * indexes) found through the hash instead.
 */
static inline uint32_t
sa_spi_index(uint32_t spi)
{
	return spi & SA_SPI_INDEX_MASK;
}

/*
 * Compose an inbound SPI from its parts (each masked to its width).
 * Returns 0 when the result would be a reserved SPI (< 256, RFC 4303 2.1:
 * worker 0, gen 0, index < 256): pick another gen or index.
 */
static inline uint32_t
sa_spi_make(unsigned worker, uint32_t gen, uint32_t index)
{
	uint32_t spi = (uint32_t)(worker & (SA_MAX_WORKERS - 1)) << (32 - SA_SPI_WORKER_BITS) |
		       (gen & ((1u << SA_SPI_GEN_BITS) - 1)) << SA_SPI_INDEX_BITS |
		       (index & SA_SPI_INDEX_MASK);

	return spi < 256 ? 0 : spi;
}

#endif
