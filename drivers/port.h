/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * drivers/: port setup for rampartd. Turns a config device string into the
 * EAL argument that creates it (virtual devices: net_af_packet, net_tap,
 * net_pcap...; anything else is a PCI address for the allow-list), finds the
 * ethdev after EAL init, and configures queues, RSS, MTU and MAC.
 *
 * Queue plan (see docs/ARCHITECTURE.md, rampartd section): worker w owns RX queue w and TX queue
 * w of every port; the control core owns TX queue n_workers, and RX queue
 * n_workers where the device cannot steer away from it (af_packet opens one
 * socket per queue pair and fans traffic out over all of them).
 *
 * Control core only, at start-up and shutdown.
 */
#ifndef RAMPART_PORT_H
#define RAMPART_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

struct port_params {
	const char *name;		/* for log lines */
	uint16_t n_rxq, n_txq;
	uint16_t rx_desc, tx_desc;	/* 0 = defaults */
	uint16_t mtu;			/* 0 = keep the device's */
	const uint8_t *mac;		/* NULL = keep the device's */
	struct rte_mempool *mp;
};

/*
 * Write the EAL argument(s) for @device into @buf: "--vdev=DEV[,qpairs=N]"
 * for virtual devices (qpairs added for net_af_packet when absent), or
 * "-a=PCI" otherwise. Returns 0, -ENAMETOOLONG or -EINVAL.
 */
int port_eal_arg(const char *device, unsigned qpairs, char *buf, size_t cap);

/* true if @device names a DPDK virtual device (net_*, crypto_*, eth_*). */
bool port_is_vdev(const char *device);

/* Port id of @device after EAL init. 0 or -ENODEV. */
int port_lookup(const char *device, uint16_t *port_id);

/* Configure and start. 0 or a negative errno (logged). */
int port_start(uint16_t port_id, const struct port_params *p);

/* Stop and close. */
void port_stop(uint16_t port_id);

/* Queues the control core must poll for RX on a device of this kind. */
bool port_needs_ctl_rxq(const char *device);

/*
 * net_af_packet only: frames queued by tx_burst leave when the PMD's
 * sendto() "kick" succeeds; on EAGAIN/ENOBUFS they stay in the TX ring,
 * counted as sent, until the next tx_burst on that queue, which on a quiet
 * queue can be seconds later. port_tx_kick() makes the PMD kick again by
 * giving it an mbuf it must drop (longer than any frame) - the PMD frees it
 * and then calls sendto(). Any core that owns @queue; costs one syscall.
 */
bool port_needs_kick(const char *device);
void port_tx_kick(uint16_t port_id, uint16_t queue, struct rte_mempool *mp);

/*
 * The re-kick schedule of one TX queue, the hook both rampartd loops call:
 * port_kick_arm() after a tx_burst that sent something, port_kick_poll()
 * when the core is idle. The first kick falls due @first after the last
 * transmit, each further one @gap after the previous, @count in all. Times
 * are in the owner's clock (workers: TSC cycles, control core: ms). Kept by
 * the one core that owns the queue; a zeroed struct never kicks.
 */
struct port_kick {
	uint64_t next;			/* when the next kick falls due */
	uint64_t first, gap;
	uint8_t count;			/* kicks after each transmit */
	uint8_t left;			/* kicks still to make */
	bool on;			/* port_needs_kick() */
};

static inline void
port_kick_init(struct port_kick *k, bool on, uint64_t first, uint64_t gap, uint8_t count)
{
	k->next = 0;
	k->first = first;
	k->gap = gap;
	k->count = count;
	k->left = 0;
	k->on = on;
}

static inline void
port_kick_arm(struct port_kick *k, uint64_t now)
{
	k->left = k->count;
	k->next = now + k->first;
}

/* Kicks (port_tx_kick) when a kick is due: returns 1 if it kicked, else 0. */
static inline unsigned
port_kick_poll(struct port_kick *k, uint16_t port_id, uint16_t queue, struct rte_mempool *mp,
	       uint64_t now)
{
	if (k->left == 0 || now < k->next)
		return 0;
	port_tx_kick(port_id, queue, mp);
	k->next = now + k->gap;
	k->left--;
	return 1;
}

/*
 * Link state of a port: 1 up, 0 down, negative errno when unknown. ethdev's
 * link status, except for net_af_packet, whose PMD reports "up" for ever:
 * there the kernel interface named by iface= is asked (IFF_RUNNING). Control
 * core only; one system call.
 */
int port_link_state(uint16_t port_id, const char *device);

#endif
