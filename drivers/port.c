/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port setup (see port.h). Runs on the control core before the workers are
 * launched and after they have stopped; never on the packet path.
 */
#include "port.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>

RTE_LOG_REGISTER(port_logtype, rampart.port, INFO);

#define PLOG(lvl, ...) rte_log(RTE_LOG_##lvl, port_logtype, "port: " __VA_ARGS__)

enum {
	PORT_RX_DESC = 1024,
	PORT_TX_DESC = 1024,
};

bool
port_is_vdev(const char *device)
{
	return strncmp(device, "net_", 4) == 0 || strncmp(device, "eth_", 4) == 0 ||
	       strncmp(device, "crypto_", 7) == 0;
}

bool
port_needs_ctl_rxq(const char *device)
{
	return strncmp(device, "net_af_packet", 13) == 0 || strncmp(device, "eth_af_packet", 13) == 0;
}

bool
port_needs_kick(const char *device)
{
	return port_needs_ctl_rxq(device);
}

int
port_link_state(uint16_t port_id, const char *device)
{
	struct rte_eth_link link = { 0 };
	const char *p = strstr(device, "iface=");
	struct ifreq ifr;
	size_t n;
	int fd, ret;

	if (!port_needs_ctl_rxq(device) || p == NULL) {
		ret = rte_eth_link_get_nowait(port_id, &link);
		return ret != 0 ? ret : link.link_status == RTE_ETH_LINK_UP;
	}
	p += strlen("iface=");
	n = strcspn(p, ",");
	if (n == 0 || n >= sizeof(ifr.ifr_name))
		return -EINVAL;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, p, n);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ? -errno : (ifr.ifr_flags & IFF_RUNNING) != 0;
	close(fd);
	return ret;
}

void
port_tx_kick(uint16_t port_id, uint16_t queue, struct rte_mempool *mp)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

	if (m == NULL)
		return;
	/* Oversized on purpose: the PMD drops (frees) it before the kick. */
	m->pkt_len = UINT16_MAX;
	if (rte_eth_tx_burst(port_id, queue, &m, 1) == 0)
		rte_pktmbuf_free(m);
}

int
port_eal_arg(const char *device, unsigned qpairs, char *buf, size_t cap)
{
	int n;

	if (device[0] == '\0')
		return -EINVAL;
	if (!port_is_vdev(device))
		n = snprintf(buf, cap, "-a%s", device);
	else if (port_needs_ctl_rxq(device) && strstr(device, "qpairs=") == NULL)
		n = snprintf(buf, cap, "--vdev=%s,qpairs=%u", device, qpairs);
	else
		n = snprintf(buf, cap, "--vdev=%s", device);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int
port_lookup(const char *device, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t n = strcspn(device, ",");

	if (n >= sizeof(name))
		return -ENODEV;
	memcpy(name, device, n);
	name[n] = '\0';
	return rte_eth_dev_get_port_by_name(name, port_id) == 0 ? 0 : -ENODEV;
}

struct rte_mempool *
port_pktmbuf_pool_create(const char *name, unsigned n, unsigned cache, uint16_t priv,
			 uint16_t room, int socket)
{
	struct rte_pktmbuf_pool_private pp = { .mbuf_data_room_size = room,
					       .mbuf_priv_size = priv };
	struct rte_mempool *mp;
	int ret;

	if (rte_eal_has_hugepages())
		return rte_pktmbuf_pool_create(name, n, cache, priv, room, socket);
	mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + priv + room, cache,
				      sizeof(pp), socket, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (mp == NULL)
		return NULL;
	ret = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL);
	if (ret == 0) {
		rte_pktmbuf_pool_init(mp, &pp);
		ret = rte_mempool_populate_default(mp);
		ret = ret < 0 ? ret : 0;
	}
	if (ret != 0) {
		rte_mempool_free(mp);
		rte_errno = -ret;
		return NULL;
	}
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
}

int
port_start(uint16_t port_id, const struct port_params *p)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t rxd = p->rx_desc ? p->rx_desc : PORT_RX_DESC;
	uint16_t txd = p->tx_desc ? p->tx_desc : PORT_TX_DESC;
	int sock = rte_eth_dev_socket_id(port_id), ret;
	uint16_t q;

	ret = rte_eth_dev_info_get(port_id, &info);
	if (ret < 0)
		return ret;
	if (p->n_rxq > info.max_rx_queues || p->n_txq > info.max_tx_queues) {
		PLOG(ERR, "%s: needs %u rx / %u tx queues, device has %u / %u\n", p->name,
		     p->n_rxq, p->n_txq, info.max_rx_queues, info.max_tx_queues);
		return -ENOTSUP;
	}
	memset(&conf, 0, sizeof(conf));
	/* RSS over IP addresses and UDP ports: ESP-in-UDP of one peer stays on one
	 * queue, different peers spread. Devices without RSS (af_packet) fan out
	 * in the kernel instead. */
	if (p->n_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) &
						   info.flow_type_rss_offloads;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	/* The worker's classifier trusts the NIC's IPv4 header checksum verdict
	 * (RTE_MBUF_F_RX_IP_CKSUM_GOOD/BAD) and sums in software otherwise. */
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
	ret = rte_eth_dev_configure(port_id, p->n_rxq, p->n_txq, &conf);
	if (ret < 0) {
		PLOG(ERR, "%s: configure: %s\n", p->name, rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rxd, &txd);
	if (ret < 0)
		return ret;
	for (q = 0; q < p->n_rxq; q++) {
		ret = rte_eth_rx_queue_setup(port_id, q, rxd, sock, NULL, p->mp);
		if (ret < 0) {
			PLOG(ERR, "%s: rx queue %u: %s\n", p->name, q, rte_strerror(-ret));
			return ret;
		}
	}
	for (q = 0; q < p->n_txq; q++) {
		ret = rte_eth_tx_queue_setup(port_id, q, txd, sock, NULL);
		if (ret < 0) {
			PLOG(ERR, "%s: tx queue %u: %s\n", p->name, q, rte_strerror(-ret));
			return ret;
		}
	}
	if (p->mtu) {
		ret = rte_eth_dev_set_mtu(port_id, p->mtu);
		if (ret < 0)
			PLOG(WARNING, "%s: mtu %u: %s\n", p->name, p->mtu, rte_strerror(-ret));
	}
	if (p->mac != NULL) {
		struct rte_ether_addr a;

		memcpy(a.addr_bytes, p->mac, 6);
		ret = rte_eth_dev_default_mac_addr_set(port_id, &a);
		if (ret < 0) {
			PLOG(ERR, "%s: set mac: %s\n", p->name, rte_strerror(-ret));
			return ret;
		}
	}
	ret = rte_eth_dev_start(port_id);
	if (ret < 0) {
		PLOG(ERR, "%s: start: %s\n", p->name, rte_strerror(-ret));
		return ret;
	}
	/* Neighbour discovery and ARP need broadcast/multicast; the classifier
	 * drops unicast for other hosts. */
	rte_eth_promiscuous_enable(port_id);
	rte_eth_allmulticast_enable(port_id);
	PLOG(INFO, "%s: port %u started, %u rx / %u tx queues\n", p->name, port_id, p->n_rxq,
	     p->n_txq);
	return 0;
}

void
port_steer_rule(struct port_steer_rule *r, unsigned worker, unsigned bits, uint8_t af, bool natt)
{
	uint32_t mask = bits == 0 ? 0 : ~0u << (32 - bits);
	unsigned k = 0;

	memset(r, 0, sizeof(*r));
	r->items[k++].type = RTE_FLOW_ITEM_TYPE_ETH;
	/* empty IP specs: any addresses, the protocol is implied by the next item */
	if (af == 4) {
		r->items[k].type = RTE_FLOW_ITEM_TYPE_IPV4;
		r->items[k].spec = &r->ip4_spec;
		r->items[k++].mask = &r->ip4_mask;
	} else {
		r->items[k].type = RTE_FLOW_ITEM_TYPE_IPV6;
		r->items[k].spec = &r->ip6_spec;
		r->items[k++].mask = &r->ip6_mask;
	}
	if (natt) {
		r->udp_spec.hdr.dst_port = rte_cpu_to_be_16(4500);
		r->udp_mask.hdr.dst_port = RTE_BE16(0xffff);
		r->items[k].type = RTE_FLOW_ITEM_TYPE_UDP;
		r->items[k].spec = &r->udp_spec;
		r->items[k++].mask = &r->udp_mask;
	}
	if (bits != 0)		/* a shift by 32 is undefined */
		r->esp_spec.hdr.spi = rte_cpu_to_be_32(((uint32_t)worker << (32 - bits)) & mask);
	r->esp_mask.hdr.spi = rte_cpu_to_be_32(mask);
	r->items[k].type = RTE_FLOW_ITEM_TYPE_ESP;
	r->items[k].spec = &r->esp_spec;
	r->items[k++].mask = &r->esp_mask;
	r->items[k].type = RTE_FLOW_ITEM_TYPE_END;
}

int
port_steer_esp(uint16_t port_id, unsigned n_workers, unsigned bits, struct port_steer *st,
	       char *why, size_t cap)
{
	static const struct rte_flow_attr attr = { .ingress = 1 };
	unsigned w, form;

	st->n = 0;
	if (n_workers * 4 > PORT_STEER_MAX || bits == 0 || bits > 8 || n_workers > 1u << bits) {
		snprintf(why, cap, "%u workers, %u SPI bits: out of range", n_workers, bits);
		return -EINVAL;
	}
	for (w = 0; w < n_workers; w++) {
		for (form = 0; form < 4; form++) {
			struct port_steer_rule r;
			struct rte_flow_action_queue q = { .index = (uint16_t)w };
			const struct rte_flow_action act[] = {
				{ .type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &q },
				{ .type = RTE_FLOW_ACTION_TYPE_END },
			};
			struct rte_flow_error err = { 0 };
			struct rte_flow *f;
			int ret;

			port_steer_rule(&r, w, bits, form & 1 ? 6 : 4, form & 2);
			ret = rte_flow_validate(port_id, &attr, r.items, act, &err);
			f = ret == 0 ? rte_flow_create(port_id, &attr, r.items, act, &err) : NULL;
			if (f == NULL) {
				snprintf(why, cap, "%s",
					 err.message != NULL ? err.message :
					 rte_strerror(ret < 0 ? -ret : rte_errno));
				port_steer_release(port_id, st);
				return ret < 0 ? ret : -ENOTSUP;
			}
			st->flow[st->n++] = f;
		}
	}
	return (int)st->n;
}

void
port_steer_release(uint16_t port_id, struct port_steer *st)
{
	struct rte_flow_error err;

	while (st->n > 0)
		rte_flow_destroy(port_id, st->flow[--st->n], &err);
}

void
port_stop(uint16_t port_id)
{
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
}
