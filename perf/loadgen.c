/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf/loadgen: a DPDK load generator that plays both neighbours of a
 * Rampart gateway carrying a manually keyed SA (conf manual_sas):
 *
 *   encap: cleartext UDP from the LAN host (--host) to addresses in the SA's
 *          remote_ts, sent on the LAN-side port; rampartd encrypts them and
 *          what comes back on the WAN-side port is decrypted here with the
 *          SA's key_out (the peer's inbound SA);
 *   decap: the same flows the other way, encrypted here with key_in (the
 *          peer's outbound SA, valid increasing sequence numbers) and sent
 *          on the WAN-side port; rampartd decrypts them and the cleartext
 *          comes back on the LAN-side port.
 *
 * Every packet carries a magic, its direction, a sequence number and the TSC
 * at send time, so the receive side counts what came back, what was lost and
 * the one-way latency through the gateway (both ports are on this host).
 * Keys come from the gateway's own config file (--conf, --sa NAME), never
 * from the command line. ESP by lib/esp (IPsec-MB), the same code as the
 * daemon; tests check its output against scapy.
 *
 *   loadgen [EAL options] -- --conf FILE --sa NAME --gw-lan-mac MAC
 *           --gw-wan-mac MAC --host IPV4 [--lan-port 0] [--wan-port 1]
 *           [--dir encap|decap|both] [--size BYTES] [--flows N]
 *           [--rate PPS] [--duration S] [--drain-ms MS] [--seq-start N]
 *           [--count N] [--json]
 *
 * --size is the cleartext frame (Ethernet + IPv4 + UDP + payload, 62..1514);
 * --rate is per direction, 0 = as fast as the ports take them; --count stops
 * each direction after N packets (with net_pcap ports that writes the pcap
 * files perf/pktgen-recipe hands to pktgen-dpdk). IPv4 only.
 * One lcore does everything (send both directions, poll both ports): at
 * "flat out" the generator's own ESP work is part of what limits the rate,
 * which the report says by printing the offered rate next to what came back.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_random.h>
#include <rte_udp.h>

#include <openssl/crypto.h>

#include "conf/conf.h"
#include "esp/esp.h"
#include "rd_manual_sa.h"
#include "perf_common.h"

enum {
	BURST = 32,
	NB_MBUF = 8191,
	RING_SIZE = 1024,
	LAT_SAMPLES = 1 << 16,		/* reservoir per direction */
	PAYLOAD_LEN = 20,		/* magic 4, seq 8, tsc 8 */
	MIN_FRAME = RTE_ETHER_HDR_LEN + 20 + 8 + PAYLOAD_LEN,
	MAX_FRAME = 1514,
	UDP_DPORT = 9,			/* discard */
	UDP_SPORT_BASE = 20000,
};

/* 'R' 'L' 'G' + direction */
#define MAGIC_ENCAP 0x524c4765u
#define MAGIC_DECAP 0x524c4764u

enum { D_ENCAP, D_DECAP, D_N };
static const char *const dir_name[D_N] = { "encap", "decap" };

struct dir_stats {
	uint64_t sent, received, bytes_sent, bad;
	uint64_t next_tsc;		/* pacing */
	uint64_t lat_n;			/* samples offered to the reservoir */
	uint32_t *lat;			/* ns, LAT_SAMPLES */
};

static struct {
	const char *conf_path, *sa_name;
	uint16_t lan_port, wan_port;
	struct rte_ether_addr gw_lan_mac, gw_wan_mac, lan_mac, wan_mac;
	uint32_t host;			/* LAN host, network order */
	uint32_t remote_base;		/* first address of remote_ts[0] + 1, host order */
	uint32_t remote_span;		/* addresses usable in that prefix */
	bool run[D_N];
	unsigned size, flows;
	uint64_t rate, seq_start, count;
	double duration;
	unsigned drain_ms;
	bool json;
} o = {
	.lan_port = 0, .wan_port = 1, .run = { true, true }, .size = 128, .flows = 16,
	.rate = 1000, .duration = 5.0, .drain_ms = 500,
};

static struct rte_mempool *pool;
static struct esp_worker *esp;
static struct esp_sa *sa_tx;		/* the peer's outbound SA (gateway's spi_in) */
static struct esp_sa *sa_rx;		/* the peer's inbound SA (gateway's spi_out) */
static struct dir_stats ds[D_N];
static uint64_t rx_other, rx_esp_dropped, tx_full;
static volatile sig_atomic_t stop_req;

static void
on_signal(int sig)
{
	(void)sig;
	stop_req = 1;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: loadgen [EAL options] -- --conf FILE --sa NAME --gw-lan-mac MAC "
		"--gw-wan-mac MAC --host IPV4\n"
		"       [--lan-port N] [--wan-port N] [--dir encap|decap|both] [--size BYTES]\n"
		"       [--flows N] [--rate PPS] [--duration S] [--drain-ms MS] [--seq-start N]"
		" [--count N] [--json]\n");
}

static int
parse_args(int argc, char **argv)
{
	static const struct perf_opt opts[] = {
		PERF_OPT_STR("conf", o.conf_path),
		PERF_OPT_STR("sa", o.sa_name),
		PERF_OPT_ARG("gw-lan-mac", 'L'),
		PERF_OPT_ARG("gw-wan-mac", 'W'),
		PERF_OPT_ARG("host", 'h'),
		PERF_OPT_NUM("lan-port", 0, RTE_MAX_ETHPORTS - 1, o.lan_port, ""),
		PERF_OPT_NUM("wan-port", 0, RTE_MAX_ETHPORTS - 1, o.wan_port, ""),
		PERF_OPT_ARG("dir", 'd'),
		PERF_OPT_NUM("size", MIN_FRAME, MAX_FRAME, o.size, " bytes"),
		PERF_OPT_NUM("flows", 1, 65535, o.flows, ""),
		PERF_OPT_NUM("rate", 0, 100000000, o.rate, " pps (0: flat out)"),
		PERF_OPT_ARG("duration", 't'),
		PERF_OPT_NUM("drain-ms", 0, 60000, o.drain_ms, ""),
		PERF_OPT_NUM("seq-start", 0, UINT32_MAX - 1, o.seq_start, ""),
		PERF_OPT_NUM("count", 1, UINT32_MAX - 1, o.count, " packets"),
		PERF_OPT_BOOL("json", o.json),
	};
	bool have_lan = false, have_wan = false, have_host = false;
	char *end;
	int c;

	while ((c = perf_getopt("loadgen", argc, argv, "", opts, RTE_DIM(opts))) != -1) {
		switch (c) {
		case 'L':
		case 'W':
			if (rte_ether_unformat_addr(optarg, c == 'L' ? &o.gw_lan_mac :
						    &o.gw_wan_mac) != 0) {
				fprintf(stderr, "loadgen: bad MAC address '%s'\n", optarg);
				return -1;
			}
			*(c == 'L' ? &have_lan : &have_wan) = true;
			break;
		case 'h':
			if (inet_pton(AF_INET, optarg, &o.host) != 1) {
				fprintf(stderr, "loadgen: --host wants an IPv4 address, not '%s'\n",
					optarg);
				return -1;
			}
			have_host = true;
			break;
		case 'd':
			o.run[D_ENCAP] = strcmp(optarg, "encap") == 0 || strcmp(optarg, "both") == 0;
			o.run[D_DECAP] = strcmp(optarg, "decap") == 0 || strcmp(optarg, "both") == 0;
			if (!o.run[D_ENCAP] && !o.run[D_DECAP]) {
				fprintf(stderr, "loadgen: --dir wants encap, decap or both\n");
				return -1;
			}
			break;
		case 't':
			o.duration = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !(o.duration > 0 && o.duration <= 86400)) {
				fprintf(stderr, "loadgen: --duration wants 0 < S <= 86400\n");
				return -1;
			}
			break;
		default:
			usage();
			return -1;
		}
	}
	if (optind != argc || o.conf_path == NULL || o.sa_name == NULL || !have_lan ||
	    !have_wan || !have_host) {
		usage();
		return -1;
	}
	if (o.lan_port == o.wan_port) {
		fprintf(stderr, "loadgen: --lan-port and --wan-port must differ\n");
		return -1;
	}
	return 0;
}

/* The peer's two SAs from the gateway's config; keys wiped from the stack. */
static int
load_sa(void)
{
	char err[512];
	struct conf *c = NULL;
	const struct conf_manual_sa *ms = NULL;
	struct esp_sa_params p;
	const struct conf_prefix *rt;
	unsigned i;
	int rc;

	rc = conf_load(o.conf_path, &c, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "loadgen: %s\n", err);
		return -1;
	}
	for (i = 0; i < c->n_manual; i++)
		if (strcmp(c->manual[i].name, o.sa_name) == 0)
			ms = &c->manual[i];
	if (ms == NULL || ms->af != 4 || ms->n_remote_ts == 0 || ms->remote_ts[0].af != 4) {
		fprintf(stderr, "loadgen: %s: no IPv4 manual SA named '%s' with a remote_ts\n",
			o.conf_path, o.sa_name);
		conf_free(c);
		return -1;
	}
	rt = &ms->remote_ts[0];
	o.remote_base = ((uint32_t)rt->addr[0] << 24 | (uint32_t)rt->addr[1] << 16 |
			 (uint32_t)rt->addr[2] << 8 | rt->addr[3]) + 1;
	o.remote_span = rt->len >= 31 ? 1 : (1u << (32 - rt->len)) - 2;
	rc = esp_worker_create(0, (int)rte_socket_id(), NULL, &esp);
	if (rc == 0) {
		rd_manual_sa_params(&p, ms, 0, ESP_DIR_IN, 0, true);	/* -> our outbound */
		p.seq_start = o.seq_start;
		rc = esp_sa_create(&p, (int)rte_socket_id(), &sa_tx);
	}
	if (rc == 0) {
		rd_manual_sa_params(&p, ms, 0, ESP_DIR_OUT, 0, true);	/* -> our inbound */
		rc = esp_sa_create(&p, (int)rte_socket_id(), &sa_rx);
	}
	OPENSSL_cleanse(&p, sizeof(p));
	conf_free(c);
	if (rc == 0)
		rc = esp_worker_sa_add(esp, sa_tx);
	if (rc != 0) {
		esp_sa_destroy(sa_tx);
		sa_tx = NULL;
	}
	if (rc == 0)
		rc = esp_worker_sa_add(esp, sa_rx);
	if (rc != 0) {
		esp_sa_destroy(sa_rx);
		sa_rx = NULL;
		fprintf(stderr, "loadgen: ESP SAs: %s\n", strerror(-rc));
		return -1;
	}
	return 0;
}

static int
port_init(uint16_t port, struct rte_ether_addr *mac)
{
	struct rte_eth_conf conf;
	int rc;

	if (!rte_eth_dev_is_valid_port(port)) {
		fprintf(stderr, "loadgen: no port %u (give one --vdev or PCI device per port)\n",
			port);
		return -1;
	}
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, RING_SIZE, rte_eth_dev_socket_id(port), NULL,
					    pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, RING_SIZE, rte_eth_dev_socket_id(port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc == 0)
		rc = rte_eth_macaddr_get(port, mac);
	if (rc != 0) {
		fprintf(stderr, "loadgen: port %u: %s\n", port, rte_strerror(-rc));
		return -1;
	}
	rte_eth_promiscuous_enable(port);
	return 0;
}

/* Inner IPv4 + UDP + payload of @len bytes at @p for direction @d, flow @f. */
static void
build_inner(uint8_t *p, unsigned len, int d, unsigned f, uint64_t seq, uint64_t tsc)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *pl = (uint8_t *)(udp + 1);
	uint32_t remote = rte_cpu_to_be_32(o.remote_base + f % o.remote_span);
	uint32_t magic = rte_cpu_to_be_32(d == D_ENCAP ? MAGIC_ENCAP : MAGIC_DECAP);
	uint16_t sport = rte_cpu_to_be_16((uint16_t)(UDP_SPORT_BASE + f));

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)len);
	ip->packet_id = rte_cpu_to_be_16((uint16_t)seq);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = d == D_ENCAP ? o.host : remote;
	ip->dst_addr = d == D_ENCAP ? remote : o.host;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = sport;
	udp->dst_port = rte_cpu_to_be_16(UDP_DPORT);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*ip)));
	udp->dgram_cksum = 0;
	memcpy(pl, &magic, 4);
	memcpy(pl + 4, &seq, 8);
	memcpy(pl + 12, &tsc, 8);
	memset(pl + PAYLOAD_LEN, 0x5a, len - sizeof(*ip) - sizeof(*udp) - PAYLOAD_LEN);
}

static void
eth_hdr(struct rte_mbuf *m, const struct rte_ether_addr *dst, const struct rte_ether_addr *src)
{
	struct rte_ether_hdr *e = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	rte_ether_addr_copy(dst, &e->dst_addr);
	rte_ether_addr_copy(src, &e->src_addr);
	e->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
}

/* Up to @n packets of direction @d onto the wire; returns how many left. */
static unsigned
send_burst(int d, unsigned n)
{
	struct rte_mbuf *m[BURST];
	struct esp_sa *sas[BURST];
	unsigned inner = o.size - RTE_ETHER_HDR_LEN, i, k, sent;
	uint64_t tsc;

	if (rte_pktmbuf_alloc_bulk(pool, m, n) != 0)
		return 0;
	tsc = rte_rdtsc();
	for (i = 0; i < n; i++) {
		uint64_t seq = ds[d].sent + i;
		unsigned f = (unsigned)(seq % o.flows);

		if (d == D_ENCAP) {
			uint8_t *p = (uint8_t *)rte_pktmbuf_append(m[i], (uint16_t)o.size);

			build_inner(p + RTE_ETHER_HDR_LEN, inner, d, f, seq, tsc);
			eth_hdr(m[i], &o.gw_lan_mac, &o.lan_mac);
		} else {
			uint8_t *p = (uint8_t *)rte_pktmbuf_append(m[i], (uint16_t)inner);

			build_inner(p, inner, d, f, seq, tsc);
			sas[i] = sa_tx;
		}
	}
	k = n;
	if (d == D_DECAP) {
		k = esp_out_burst(esp, sas, m, (uint16_t)n);	/* failures freed there */
		for (i = 0; i < k; i++) {
			if (rte_pktmbuf_prepend(m[i], RTE_ETHER_HDR_LEN) == NULL) {
				rte_pktmbuf_free_bulk(&m[i], k - i);
				k = i;
				break;
			}
			eth_hdr(m[i], &o.gw_wan_mac, &o.wan_mac);
		}
	}
	sent = rte_eth_tx_burst(d == D_ENCAP ? o.lan_port : o.wan_port, 0, m, (uint16_t)k);
	if (sent < k) {
		tx_full += k - sent;
		rte_pktmbuf_free_bulk(&m[sent], k - sent);
	}
	/* A packet the port refused is not expected back: its number is
	 * given to the next packet built. */
	ds[d].sent += sent;
	ds[d].bytes_sent += (uint64_t)sent * o.size;
	return sent;
}

static void
lat_add(struct dir_stats *s, uint64_t ns)
{
	uint64_t j;

	if (ns > UINT32_MAX)
		ns = UINT32_MAX;
	if (s->lat_n < LAT_SAMPLES) {
		s->lat[s->lat_n++] = (uint32_t)ns;
		return;
	}
	j = rte_rand() % ++s->lat_n;
	if (j < LAT_SAMPLES)
		s->lat[j] = (uint32_t)ns;
}

/* An inner IPv4 packet at @ip (@len bytes) that came back: count it. */
static void
account(const uint8_t *ip, uint32_t len, int d, uint64_t now, double ns_per_tsc)
{
	const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)ip;
	uint32_t magic;
	uint64_t seq, tsc;
	unsigned hl;

	if (len < 20 || (h->version_ihl >> 4) != 4 || h->next_proto_id != IPPROTO_UDP) {
		rx_other++;
		return;
	}
	hl = (h->version_ihl & 0xf) * 4u;
	if (len < hl + 8 + PAYLOAD_LEN) {
		rx_other++;
		return;
	}
	memcpy(&magic, ip + hl + 8, 4);
	memcpy(&seq, ip + hl + 12, 8);
	memcpy(&tsc, ip + hl + 20, 8);
	if (rte_be_to_cpu_32(magic) != (d == D_ENCAP ? MAGIC_ENCAP : MAGIC_DECAP)) {
		rx_other++;
		return;
	}
	if (seq >= ds[d].sent || tsc > now) {
		ds[d].bad++;
		return;
	}
	ds[d].received++;
	lat_add(&ds[d], (uint64_t)((double)(now - tsc) * ns_per_tsc));
}

/* Receive from both ports; returns how many frames came in. */
static unsigned
poll_ports(double ns_per_tsc)
{
	struct rte_mbuf *m[BURST], *esp_pkts[BURST];
	uint16_t n, i, k, ne = 0;
	unsigned got;
	uint64_t now;

	/* LAN side: cleartext of the decap direction */
	n = rte_eth_rx_burst(o.lan_port, 0, m, BURST);
	now = rte_rdtsc();
	for (i = 0; i < n; i++) {
		const struct rte_ether_hdr *e = rte_pktmbuf_mtod(m[i], const struct rte_ether_hdr *);

		if (m[i]->data_len >= RTE_ETHER_HDR_LEN + 20 &&
		    e->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
			account((const uint8_t *)(e + 1), m[i]->data_len - RTE_ETHER_HDR_LEN,
				D_DECAP, now, ns_per_tsc);
		else
			rx_other++;
	}
	rte_pktmbuf_free_bulk(m, n);
	got = n;
	/* WAN side: ESP of the encap direction */
	n = rte_eth_rx_burst(o.wan_port, 0, m, BURST);
	got += n;
	for (i = 0; i < n; i++) {
		const uint8_t *f = rte_pktmbuf_mtod(m[i], const uint8_t *);
		const struct rte_ipv4_hdr *h = (const struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
		uint16_t tl;

		if (m[i]->data_len < RTE_ETHER_HDR_LEN + 20 || f[12] != 0x08 || f[13] != 0x00 ||
		    h->next_proto_id != IPPROTO_ESP) {
			rx_other++;
			rte_pktmbuf_free(m[i]);
			continue;
		}
		tl = rte_be_to_cpu_16(h->total_length);
		rte_pktmbuf_adj(m[i], RTE_ETHER_HDR_LEN);
		if (m[i]->data_len > tl)	/* Ethernet padding */
			rte_pktmbuf_trim(m[i], (uint16_t)(m[i]->data_len - tl));
		esp_pkts[ne++] = m[i];
	}
	if (ne == 0)
		return got;
	k = esp_in_burst(esp, esp_pkts, ne);
	rx_esp_dropped += ne - k;
	now = rte_rdtsc();
	for (i = 0; i < k; i++)
		account(rte_pktmbuf_mtod(esp_pkts[i], const uint8_t *), esp_pkts[i]->data_len,
			D_ENCAP, now, ns_per_tsc);
	rte_pktmbuf_free_bulk(esp_pkts, k);
	return got;
}

static void
report(double secs)
{
	static const unsigned qs[] = { 500, 900, 990, 999, 1000 };	/* permille */
	static const char *const qn[] = { "p50", "p90", "p99", "p999", "max" };
	int d;
	unsigned q;

	if (o.json)
		printf("{\"size\": %u, \"flows\": %u, \"rate\": %" PRIu64 ", \"seconds\": %.3f, "
		       "\"rx_other\": %" PRIu64 ", \"esp_rx_dropped\": %" PRIu64
		       ", \"tx_refused\": %" PRIu64, o.size, o.flows, o.rate, secs, rx_other,
		       rx_esp_dropped, tx_full);
	for (d = 0; d < D_N; d++) {
		struct dir_stats *s = &ds[d];
		uint64_t n = s->lat_n < LAT_SAMPLES ? s->lat_n : LAT_SAMPLES;
		uint64_t lost = s->sent > s->received ? s->sent - s->received : 0;
		double pps = secs > 0 ? (double)s->received / secs : 0;

		if (!o.run[d])
			continue;
		qsort(s->lat, n, sizeof(*s->lat), perf_cmp_u32);
		if (o.json) {
			printf(", \"%s\": {\"sent\": %" PRIu64 ", \"received\": %" PRIu64
			       ", \"lost\": %" PRIu64 ", \"bad\": %" PRIu64
			       ", \"pps\": %.0f, \"gbps\": %.4f, \"lat_us\": {", dir_name[d],
			       s->sent, s->received, lost, s->bad, pps,
			       pps * o.size * 8 / 1e9);
			for (q = 0; q < RTE_DIM(qs); q++)
				printf("%s\"%s\": %.1f", q ? ", " : "", qn[q],
				       perf_pct_u32(s->lat, n, qs[q], 1000.0));
			printf("}}");
			continue;
		}
		printf("loadgen: %s: sent %" PRIu64 ", received %" PRIu64 ", lost %" PRIu64
		       " (%.3f %%), bad %" PRIu64 "; %.0f pps, %.3f Gbps of %u-byte frames\n",
		       dir_name[d], s->sent, s->received, lost,
		       s->sent ? 100.0 * (double)lost / (double)s->sent : 0.0, s->bad, pps,
		       pps * o.size * 8 / 1e9, o.size);
		printf("loadgen: %s: one-way latency us:", dir_name[d]);
		for (q = 0; q < RTE_DIM(qs); q++)
			printf(" %s %.1f", qn[q], perf_pct_u32(s->lat, n, qs[q], 1000.0));
		printf("\n");
	}
	if (o.json)
		printf("}\n");
	else
		printf("loadgen: other frames received %" PRIu64 ", ESP failing decryption %"
		       PRIu64 ", frames the ports refused %" PRIu64 "\n", rx_other,
		       rx_esp_dropped, tx_full);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	uint64_t hz, t_start, t_end, t_drain, now, per_pkt[D_N] = { 0, 0 };
	double ns_per_tsc;
	int rc, d, ret = 1;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "loadgen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	if (parse_args(argc, argv) != 0)
		goto out;
	for (d = 0; d < D_N; d++) {
		ds[d].lat = calloc(LAT_SAMPLES, sizeof(uint32_t));
		if (ds[d].lat == NULL)
			goto out;
	}
	pool = rte_pktmbuf_pool_create("loadgen", NB_MBUF, 256, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE + 512, (int)rte_socket_id());
	if (pool == NULL) {
		fprintf(stderr, "loadgen: mbuf pool: %s\n", rte_strerror(rte_errno));
		goto out;
	}
	if (load_sa() != 0 || port_init(o.lan_port, &o.lan_mac) != 0 ||
	    port_init(o.wan_port, &o.wan_mac) != 0)
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);

	hz = rte_get_tsc_hz();
	ns_per_tsc = 1e9 / (double)hz;
	for (d = 0; d < D_N; d++)
		per_pkt[d] = o.rate ? hz / o.rate : 0;
	t_start = rte_rdtsc();
	t_end = t_start + (uint64_t)(o.duration * (double)hz);
	for (d = 0; d < D_N; d++)
		ds[d].next_tsc = t_start;
	while (!stop_req && (now = rte_rdtsc()) < t_end) {
		uint64_t wake = t_end;
		bool done = o.count != 0;

		for (d = 0; d < D_N; d++) {
			uint64_t due, left = o.count ? o.count - ds[d].sent : BURST;
			unsigned n;

			if (!o.run[d] || left == 0)
				continue;
			done = false;
			if (per_pkt[d] == 0) {
				send_burst(d, (unsigned)RTE_MIN(left, (uint64_t)BURST));
				continue;
			}
			if (now < ds[d].next_tsc) {
				wake = RTE_MIN(wake, ds[d].next_tsc);
				continue;
			}
			due = RTE_MIN((now - ds[d].next_tsc) / per_pkt[d] + 1, left);
			n = due > BURST ? BURST : (unsigned)due;
			n = send_burst(d, n);
			ds[d].next_tsc += (uint64_t)(n ? n : 1) * per_pkt[d];
			if (now > ds[d].next_tsc + hz)	/* fell behind by > 1 s: give up on it */
				ds[d].next_tsc = now;
			wake = RTE_MIN(wake, ds[d].next_tsc);
		}
		if (done)
			break;
		/* Paced and idle: nap until the next packet is due (at most 100 us,
		 * which bounds the latency error this adds), so a slow run leaves
		 * the core to the gateway on a small host. */
		if (poll_ports(ns_per_tsc) == 0 && o.rate != 0 && (now = rte_rdtsc()) < wake)
			rte_delay_us_sleep((unsigned)RTE_MIN((wake - now) * 1000000 / hz, (uint64_t)100));
	}
	t_drain = rte_rdtsc() + (uint64_t)o.drain_ms * hz / 1000;
	while (!stop_req && rte_rdtsc() < t_drain)
		poll_ports(ns_per_tsc);
	report((double)(t_end < rte_rdtsc() ? t_end - t_start : rte_rdtsc() - t_start) /
	       (double)hz);
	ret = 0;
out:
	if (esp != NULL) {
		if (sa_tx != NULL)
			esp_sa_destroy(esp_worker_sa_del(esp, esp_sa_spi(sa_tx), ESP_DIR_OUT));
		if (sa_rx != NULL)
			esp_sa_destroy(esp_worker_sa_del(esp, esp_sa_spi(sa_rx), ESP_DIR_IN));
		esp_worker_destroy(esp);
	}
	rte_eal_cleanup();
	for (d = 0; d < D_N; d++)
		free(ds[d].lat);
	return ret;
}
