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

#include <rte_flow.h>
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
 * rte_pktmbuf_pool_create(), except that without hugepages (--no-huge) the
 * objects are packed at their own size (RTE_MEMPOOL_F_NO_IOVA_CONTIG): EAL
 * would otherwise keep every mbuf inside one 4 KB page, one per page, so
 * that every packet sits at the same page offset - one L1 set for the first
 * line of every packet of a burst, and 4K aliasing between them (measured:
 * perf/README.md, "Hugepages"). Nothing without hugepages does DMA by
 * physical address; with hugepages the pool is the usual one. NULL and
 * rte_errno on failure.
 */
struct rte_mempool *port_pktmbuf_pool_create(const char *name, unsigned n, unsigned cache,
					     uint16_t priv, uint16_t room, int socket);

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

/*
 * ESP steering by SPI (rte_flow). The owner worker of an inbound SA is in
 * the top @bits bits of its SPI (sa_spi_worker); worker w polls RX queue w.
 * port_steer_esp() asks the device for one rule per worker and outer form
 * (IPv4 or IPv6, ESP or ESP in UDP port 4500):
 *   ETH / IPV4|IPV6 / [UDP dst 4500 /] ESP spi & top-bits-mask == w -> QUEUE w
 * so that inbound ESP lands on its owner's queue and the handoff ring is
 * the exception (a packet whose SA moved, IKE on 4500). All rules or none:
 * each is validated first, and a refusal destroys the ones made before.
 * Returns the number of rules, or a negative errno with the device's reason
 * in @why (most software PMDs have no rte_flow or no ESP item: RSS and the
 * handoff ring do the job there). After port_start; control core only.
 */
enum { PORT_STEER_MAX = 4 * 16 };

struct port_steer {
	struct rte_flow *flow[PORT_STEER_MAX];
	unsigned n;
};

int port_steer_esp(uint16_t port_id, unsigned n_workers, unsigned bits, struct port_steer *st,
		   char *why, size_t cap);
/* Destroy the rules of port_steer_esp (before port_stop). */
void port_steer_release(uint16_t port_id, struct port_steer *st);
/*
 * The pattern of one steering rule, for tests: fills @items (5 entries, END
 * last) and the spec/mask storage behind them. @af 4 or 6; @natt: ESP in
 * UDP port 4500.
 */
struct port_steer_rule {
	struct rte_flow_item items[5];
	struct rte_flow_item_ipv4 ip4_spec, ip4_mask;
	struct rte_flow_item_ipv6 ip6_spec, ip6_mask;
	struct rte_flow_item_udp udp_spec, udp_mask;
	struct rte_flow_item_esp esp_spec, esp_mask;
};
void port_steer_rule(struct port_steer_rule *r, unsigned worker, unsigned bits, uint8_t af,
		     bool natt);

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
