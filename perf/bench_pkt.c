/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet templates, key material and burst statistics for perf/esp-bench.
 * Owns the definition of "frame": the Ethernet frame size of the cleartext
 * packet including the 14-byte Ethernet header and the 4-byte FCS (RFC 2544
 * sizes), so a 64-byte frame carries a 46-byte inner IPv4 packet. The L2
 * header itself is never built: every engine takes packets that start at the
 * IP header, as lib/esp's API does.
 */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "perf_common.h"

const struct bench_alg_info bench_algs[BENCH_ALG__COUNT] = {
	[BENCH_AES128_GCM] = { "aes128gcm", true, 16, 0 },
	[BENCH_AES256_GCM] = { "aes256gcm", true, 32, 0 },
	[BENCH_AES128_CBC_SHA256] = { "aes128cbc-sha256", false, 16, 32 },
};

uint64_t bench_tsc_overhead;

/* Deterministic, distinct keys per SA index (benchmark keys, not secrets). */
void
bench_keys_init(struct bench_keys *k, unsigned sa_index)
{
	unsigned i;

	for (i = 0; i < sizeof(k->enc); i++)
		k->enc[i] = (uint8_t)(0x11 * (i + 1) + sa_index * 7 + (sa_index >> 8));
	for (i = 0; i < sizeof(k->auth); i++)
		k->auth[i] = (uint8_t)(0x5a ^ (i * 3) ^ sa_index ^ (sa_index >> 8));
	/* 192.0.2.1 -> 198.51.100.1 (RFC 5737 documentation addresses) */
	k->outer_src[0] = 192;
	k->outer_src[1] = 0;
	k->outer_src[2] = 2;
	k->outer_src[3] = 1;
	k->outer_dst[0] = 198;
	k->outer_dst[1] = 51;
	k->outer_dst[2] = 100;
	k->outer_dst[3] = 1;
}

void
bench_clear_build(struct bench_tpl *t, unsigned frame)
{
	struct rte_ipv4_hdr ip;
	struct rte_udp_hdr udp;
	uint16_t ip_len = (uint16_t)(frame - BENCH_FRAME_OVERHEAD);
	unsigned i;

	memset(t, 0, sizeof(*t));
	memset(&ip, 0, sizeof(ip));
	ip.version_ihl = RTE_IPV4_VHL_DEF;
	ip.total_length = rte_cpu_to_be_16(ip_len);
	ip.packet_id = rte_cpu_to_be_16(1);
	ip.time_to_live = 64;
	ip.next_proto_id = IPPROTO_UDP;
	/* 10.1.0.1 -> 10.2.0.1, inner addresses of a site-to-site tunnel */
	ip.src_addr = rte_cpu_to_be_32(0x0a010001);
	ip.dst_addr = rte_cpu_to_be_32(0x0a020001);
	ip.hdr_checksum = rte_ipv4_cksum(&ip);
	udp.src_port = rte_cpu_to_be_16(5001);
	udp.dst_port = rte_cpu_to_be_16(5002);
	udp.dgram_len = rte_cpu_to_be_16(ip_len - sizeof(ip));
	udp.dgram_cksum = 0;
	memcpy(t->data, &ip, sizeof(ip));
	memcpy(t->data + sizeof(ip), &udp, sizeof(udp));
	for (i = sizeof(ip) + sizeof(udp); i < ip_len; i++)
		t->data[i] = (uint8_t)i;
	t->len = ip_len;
}

void
bench_tpl_load(struct rte_mbuf *m, const struct bench_tpl *t)
{
	bench_data_load(m, t->data, t->len);
}

void
bench_data_load(struct rte_mbuf *m, const uint8_t *data, uint16_t len)
{
	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->data_len = len;
	m->pkt_len = len;
	m->nb_segs = 1;
	m->next = NULL;
	m->ol_flags = 0;
	m->packet_type = RTE_PTYPE_L3_IPV4;
	m->tx_offload = 0;
	m->l2_len = 0;
	m->l3_len = sizeof(struct rte_ipv4_hdr);
	rte_memcpy(rte_pktmbuf_mtod(m, void *), data, len);
}

int
bench_tpl_save(struct bench_tpl *t, const struct rte_mbuf *m)
{
	if (m->nb_segs != 1 || m->data_len > sizeof(t->data))
		return -ENOSPC;
	t->len = m->data_len;
	memcpy(t->data, rte_pktmbuf_mtod(m, const void *), t->len);
	return 0;
}

int
bench_samples_init(struct bench_samples *s, uint32_t cap)
{
	memset(s, 0, sizeof(*s));
	s->cyc = calloc(cap, sizeof(*s->cyc));
	if (s->cyc == NULL)
		return -ENOMEM;
	s->cap = cap;
	s->pkts_per_sample = BENCH_BURST;
	return 0;
}

void
bench_samples_fini(struct bench_samples *s)
{
	free(s->cyc);
	memset(s, 0, sizeof(*s));
}

/*
 * Cycles per packet of a variant: the mean over its bursts after dropping
 * bursts slower than 4x the median. Those are bursts during which the
 * scheduler ran another process on this core (the machine is shared); what
 * is left includes interrupts and any periodic slow path of the engine.
 */
double
bench_samples_cpp(const struct bench_samples *s)
{
	uint64_t *sorted, med, sum = 0;
	uint32_t i, kept = 0;

	if (s->n == 0 || s->failed)
		return 0;
	sorted = malloc(s->n * sizeof(*sorted));
	if (sorted == NULL)
		return 0;
	memcpy(sorted, s->cyc, s->n * sizeof(*sorted));
	qsort(sorted, s->n, sizeof(*sorted), perf_cmp_u64);
	med = sorted[s->n / 2];
	for (i = 0; i < s->n; i++) {
		if (sorted[i] > 4 * med)
			break;
		sum += sorted[i];
		kept++;
	}
	free(sorted);
	return (double)sum / kept / (double)s->pkts_per_sample;
}
