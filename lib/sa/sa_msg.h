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
	SA_MSG_FLUSH,		/* drop every SA and route, ack each SA */
};

/* An inner-destination prefix (the remote traffic selector as CIDR). */
struct sa_route {
	uint8_t af;		/* 4 or 6 */
	uint8_t depth;		/* prefix length in bits */
	uint8_t pad[2];
	uint8_t addr[16];	/* network order; IPv4 in the first 4 bytes */
};

struct sa_msg {
	uint16_t op;		/* enum sa_msg_op */
	uint16_t flags;
	uint32_t spi;		/* host order */
	struct esp_sa *sa;	/* ADD_*: ownership moves to the worker */
	uint64_t cookie;	/* echoed in the acknowledgement */
	struct sa_route route;	/* ROUTE_* only */
};

enum sa_ev_type {
	SA_EV_DEL_ACK = 1,	/* worker unlinked sa; control may free it */
	SA_EV_SOFT,		/* soft lifetime (packets or bytes) reached: rekey */
	SA_EV_HARD,		/* hard lifetime reached: SA stopped */
	SA_EV_SEQ_NEAR_WRAP,	/* outbound sequence number close to exhaustion */
	SA_EV_SEQ_EXHAUSTED,	/* outbound sequence exhausted: SA stopped */
	SA_EV_IDLE,		/* no traffic for the idle period */
};

struct sa_event {
	uint16_t type;		/* enum sa_ev_type */
	uint16_t worker;	/* reporting worker id */
	uint32_t spi;		/* host order */
	uint64_t user_id;	/* esp_sa_params.user_id of the SA */
	uint64_t cookie;	/* DEL_ACK: sa_msg.cookie */
	struct esp_sa *sa;	/* DEL_ACK: the SA now owned by control again */
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
};

static inline unsigned
sa_spi_worker(uint32_t spi)
{
	return spi >> (32 - SA_SPI_WORKER_BITS);
}

#endif
