/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUnit tests of lib/esp and lib/sa on DPDK without a NIC (EAL --no-huge
 * --no-pci, small mbuf pool): encap/decap round trips over every outer/inner
 * family, NAT-T, ESN and algorithm; outer header choices (TTL, DF, DSCP/ECN,
 * UDP); the replay window against a naive model; hostile packets (each drop
 * counted by reason, no mbuf leaked); lifetimes and sequence exhaustion
 * events; and an independent peer (scapy, tests/unit/esp_scapy.py) in both
 * directions. argv[1]: path of esp_scapy.py.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include <CUnit/Basic.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "test_main.h"
#include "test_esp_alg.h"
#include "crypto/cry.h"
#include "esp/esp.h"
#include "esp/esp_priv.h"
#include "esp/esp_replay.h"
#include "sa/sa_msg.h"
#include "test_hex.h"

static struct rte_mempool *pool;
static struct esp_worker *w;
static struct rte_ring *evr;
static const char *scapy_script;

/* ------------------------------------------------------------------ helpers */

static void
params_fill(struct esp_sa_params *p, uint32_t spi, uint8_t dir, enum alg a, int outer_af,
	    bool natt, bool esn)
{
	unsigned i;

	memset(p, 0, sizeof(*p));
	p->spi = spi;
	p->dir = dir;
	p->esn = esn;
	p->outer_af = (uint8_t)outer_af;
	for (i = 0; i < ESP_MAX_KEY_LEN; i++)
		p->enc_key[i] = (uint8_t)(0x10 + i * 3 + spi);
	for (i = 0; i < ESP_MAX_INTEG_KEY_LEN; i++)
		p->integ_key[i] = (uint8_t)(0x80 + i * 5 + spi);
	alg_set(p, a);
	if (outer_af == 4) {
		static const uint8_t s4[4] = { 192, 0, 2, 1 }, d4[4] = { 198, 51, 100, 2 };

		memcpy(p->outer_src, s4, 4);
		memcpy(p->outer_dst, d4, 4);
	} else {
		static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
		static const uint8_t d6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

		memcpy(p->outer_src, s6, 16);
		memcpy(p->outer_dst, d6, 16);
	}
	if (natt) {
		p->natt_sport = 4500;
		p->natt_dport = 4500;
	}
}

/* An outbound and an inbound SA with the same keys; the inbound one is linked. */
static void
sa_pair(uint32_t spi, enum alg a, int outer_af, bool natt, bool esn, struct esp_sa **out,
	struct esp_sa **in, const struct esp_sa_params *tweak)
{
	struct esp_sa_params p;

	params_fill(&p, spi, ESP_DIR_OUT, a, outer_af, natt, esn);
	if (tweak != NULL) {
		p.soft_packets = tweak->soft_packets;
		p.hard_packets = tweak->hard_packets;
		p.soft_bytes = tweak->soft_bytes;
		p.hard_bytes = tweak->hard_bytes;
		p.seq_start = tweak->seq_start;
		p.replay_window = tweak->replay_window;
		p.dscp_mode = tweak->dscp_mode;
	}
	CU_ASSERT_FATAL(esp_sa_create(&p, SOCKET_ID_ANY, out) == 0);
	p.dir = ESP_DIR_IN;
	if (tweak != NULL)
		p.seq_start = tweak->user_id;	/* inbound start (tests reuse user_id) */
	else
		p.seq_start = 0;
	CU_ASSERT_FATAL(esp_sa_create(&p, SOCKET_ID_ANY, in) == 0);
	CU_ASSERT_FATAL(esp_worker_sa_add(w, *in) == 0);
}

static void
sa_pair_free(struct esp_sa *out, struct esp_sa *in)
{
	if (in != NULL) {
		CU_ASSERT(esp_worker_sa_del(w, esp_sa_spi(in), ESP_DIR_IN) == in);
		esp_sa_destroy(in);
	}
	esp_sa_destroy(out);
}

/* IPv4 header checksum by DPDK's rte_raw_cksum (not lib/esp's code), as a
 * big-endian value for net_wr16; 0 over a header whose checksum is right. */
static uint16_t
ck4(const uint8_t *h)
{
	return rte_be_to_cpu_16((uint16_t)~rte_raw_cksum(h, (h[0] & 0xf) * 4u));
}

/* Inner IPv4/IPv6 + UDP packet with @plen payload bytes. Returns its length. */
static unsigned
inner_build(uint8_t *b, int af, unsigned plen, uint8_t tos, bool df, uint8_t seed)
{
	unsigned hl = af == 4 ? 20 : 40, tot = hl + 8 + plen, i;

	memset(b, 0, tot);
	if (af == 4) {
		b[0] = 0x45;
		b[1] = tos;
		net_wr16(b + 2, (uint16_t)tot);
		net_wr16(b + 4, 0x1234);
		b[6] = df ? 0x40 : 0;
		b[8] = 64;
		b[9] = 17;
		b[12] = 10;
		b[15] = 1;
		b[16] = 10;
		b[18] = 1;
		b[19] = 1;
		net_wr16(b + 10, ck4(b));
	} else {
		b[0] = (uint8_t)(0x60 | tos >> 4);
		b[1] = (uint8_t)(tos << 4);
		net_wr16(b + 4, (uint16_t)(tot - 40));
		b[6] = 17;
		b[7] = 64;
		b[8] = 0xfd;
		b[23] = 1;
		b[24] = 0xfd;
		b[26] = 1;
		b[39] = 1;
	}
	net_wr16(b + hl, 1234);
	net_wr16(b + hl + 2, 5678);
	net_wr16(b + hl + 4, (uint16_t)(8 + plen));
	for (i = 0; i < plen; i++)
		b[hl + 8 + i] = (uint8_t)(seed + i);
	return tot;
}

/* What the decapsulated packet must look like: TTL / hop limit one less. */
static void
inner_expect(uint8_t *b, unsigned len)
{
	(void)len;
	if ((b[0] >> 4) == 4) {
		b[8]--;
		b[10] = b[11] = 0;
		net_wr16(b + 10, ck4(b));
	} else {
		b[7]--;
	}
}

static struct rte_mbuf *
mb_from(const uint8_t *b, unsigned len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;

	CU_ASSERT_FATAL(m != NULL);
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	CU_ASSERT_FATAL(d != NULL || len == 0);
	if (len != 0)
		memcpy(d, b, len);
	return m;
}

static uint64_t
drops(enum esp_drop why)
{
	struct esp_worker_stats st;

	esp_worker_stats_get(w, &st);
	return st.drops[why];
}

/* Count events of every type (drains the ring). */
static void
ev_count(unsigned cnt[8])
{
	struct sa_event ev;

	memset(cnt, 0, 8 * sizeof(cnt[0]));
	while (rte_ring_dequeue_elem(evr, &ev, sizeof(ev)) == 0)
		if (ev.type < 8)
			cnt[ev.type]++;
}

/* Encrypt one packet; returns the mbuf (outer) or NULL when dropped. */
static struct rte_mbuf *
enc1(struct esp_sa *sa, const uint8_t *inner, unsigned len)
{
	struct rte_mbuf *m = mb_from(inner, len);
	struct esp_sa *sas[1] = { sa };

	return esp_out_burst(w, sas, &m, 1) == 1 ? m : NULL;
}

static struct rte_mbuf *
dec1(struct rte_mbuf *m)
{
	return esp_in_burst(w, &m, 1) == 1 ? m : NULL;
}

static struct rte_mbuf *
mb_copy(const struct rte_mbuf *m)
{
	return mb_from(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
}

/* ------------------------------------------------------------- round trips */

static void
check_outer(const struct rte_mbuf *m, int oaf, bool natt, const uint8_t *inner, uint32_t spi,
	    uint64_t seq, bool gcm, uint8_t dscp_mode)
{
	const uint8_t *h = rte_pktmbuf_mtod(m, const uint8_t *);
	unsigned hl = oaf == 4 ? 20 : 40;
	const uint8_t *esp = h + hl + (natt ? 8 : 0);
	uint8_t itos = (inner[0] >> 4) == 4 ? inner[1] : (uint8_t)(net_rd16(inner) >> 4);
	uint8_t otos;

	if (dscp_mode == 1)
		itos &= 3;
	if (oaf == 4) {
		CU_ASSERT(h[0] == 0x45);
		CU_ASSERT(net_rd16(h + 2) == m->pkt_len);
		CU_ASSERT(h[8] == 64);
		CU_ASSERT(h[9] == (natt ? 17 : 50));
		CU_ASSERT(ck4(h) == 0);
		otos = h[1];
		/* DF: copied from an IPv4 inner header, set for IPv6 inner */
		if ((inner[0] >> 4) == 4) {
			CU_ASSERT((h[6] & 0x40) == (inner[6] & 0x40));
		} else {
			CU_ASSERT((h[6] & 0x40) != 0);
		}
		if (natt) {
			CU_ASSERT(net_rd16(h + 20) == 4500 && net_rd16(h + 22) == 4500);
			CU_ASSERT(net_rd16(h + 24) == m->pkt_len - 20);
			CU_ASSERT(net_rd16(h + 26) == 0);
		}
	} else {
		CU_ASSERT((h[0] >> 4) == 6);
		CU_ASSERT(net_rd16(h + 4) == m->pkt_len - 40);
		CU_ASSERT(h[7] == 64);
		CU_ASSERT(h[6] == (natt ? 17 : 50));
		otos = (uint8_t)(net_rd16(h) >> 4);
		if (natt) {
			CU_ASSERT(net_rd16(h + 44) == m->pkt_len - 40);
			CU_ASSERT(net_rd16(h + 46) != 0);
			{
				uint8_t cp[2048];

				memcpy(cp, h, m->pkt_len);
				cp[46] = cp[47] = 0;
				CU_ASSERT(rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)cp,
								cp + 40) == net_rd16(h + 46) ||
					  rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)cp,
								cp + 40) ==
						  rte_cpu_to_be_16(net_rd16(h + 46)));
			}
		}
	}
	CU_ASSERT(otos == itos);
	CU_ASSERT(net_rd32(esp) == spi);
	CU_ASSERT(net_rd32(esp + 4) == (uint32_t)seq);
	if (gcm) {
		/* IV = 64-bit sequence number */
		CU_ASSERT(net_rd32(esp + 8) == (uint32_t)(seq >> 32));
		CU_ASSERT(net_rd32(esp + 12) == (uint32_t)seq);
	}
}

static void
test_roundtrip_matrix(void)
{
	static const unsigned sizes[] = { 0, 1, 2, 3, 13, 100, 1000, 1400 };
	uint8_t inner[2048], exp[2048];
	unsigned oaf, iaf, natt, esn, a, s, fails = 0;
	uint32_t spi = 0x01000100;
	unsigned in_use = rte_mempool_in_use_count(pool);

	for (a = 0; a < A__COUNT; a++)
	for (oaf = 4; oaf <= 6; oaf += 2)
	for (iaf = 4; iaf <= 6; iaf += 2)
	for (natt = 0; natt < 2; natt++)
	for (esn = 0; esn < 2; esn++) {
		struct esp_sa *so, *si;
		struct esp_sa_params tw;

		memset(&tw, 0, sizeof(tw));
		/* ESN: start just below a 2^32 boundary on both sides */
		if (esn) {
			tw.seq_start = (3ULL << 32) - 4;
			tw.user_id = (3ULL << 32) - 4;
		}
		sa_pair(++spi, (enum alg)a, (int)oaf, natt, esn, &so, &si, &tw);
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			uint8_t tos = (uint8_t)(s * 37);	/* every ECN codepoint */
			unsigned len = inner_build(inner, (int)iaf, sizes[s], tos, s & 1,
						   (uint8_t)s);
			struct rte_mbuf *m = enc1(so, inner, len), *d;

			CU_ASSERT_FATAL(m != NULL);
			check_outer(m, (int)oaf, natt, inner, spi, tw.seq_start + s + 1, a <= 1, 0);
			CU_ASSERT((m->packet_type & RTE_PTYPE_TUNNEL_MASK) == RTE_PTYPE_TUNNEL_ESP);
			d = dec1(m);
			if (d == NULL) {
				fprintf(stderr, "roundtrip %s o%u i%u natt%u esn%u size %u "
					"dropped\n", alg_names[a], oaf, iaf, natt, esn, sizes[s]);
				fails++;
				continue;
			}
			memcpy(exp, inner, len);
			inner_expect(exp, len);
			CU_ASSERT(d->pkt_len == len);
			CU_ASSERT(memcmp(rte_pktmbuf_mtod(d, uint8_t *), exp, len) == 0);
			CU_ASSERT(d->packet_type == (iaf == 4 ? RTE_PTYPE_L3_IPV4_EXT_UNKNOWN :
							       RTE_PTYPE_L3_IPV6_EXT_UNKNOWN));
			rte_pktmbuf_free(d);
		}
		sa_pair_free(so, si);
	}
	CU_ASSERT(fails == 0);
	CU_ASSERT(rte_mempool_in_use_count(pool) == in_use);
}

/* A burst of 64+ packets across two SAs with drops in the middle. */
static void
test_burst_mixed(void)
{
	enum { N = 100 };
	struct rte_mbuf *m[N];
	struct esp_sa *sas[N], *o1, *i1, *o2, *i2;
	uint8_t inner[256];
	unsigned i, len, in_use = rte_mempool_in_use_count(pool);
	uint16_t n;
	uint64_t bad0 = drops(ESP_DROP_MALFORMED);

	sa_pair(0x02000001, A_GCM128, 4, false, false, &o1, &i1, NULL);
	sa_pair(0x02000002, A_CBC128_SHA256, 6, true, true, &o2, &i2, NULL);
	for (i = 0; i < N; i++) {
		len = inner_build(inner, (i & 1) ? 6 : 4, 10 + i, 0, false, (uint8_t)i);
		if (i % 10 == 5)
			inner[0] = 0x55;	/* not IP: dropped on the way out */
		m[i] = mb_from(inner, len);
		sas[i] = (i % 3) ? o1 : o2;
	}
	n = esp_out_burst(w, sas, m, N);
	CU_ASSERT(n == N - 10);
	CU_ASSERT(drops(ESP_DROP_MALFORMED) == bad0 + 10);
	n = esp_in_burst(w, m, n);
	CU_ASSERT(n == N - 10);
	for (i = 0; i < n; i++)
		CU_ASSERT(net_rd16(rte_pktmbuf_mtod(m[i], uint8_t *) + ((rte_pktmbuf_mtod(m[i],
			uint8_t *)[0] >> 4) == 4 ? 20 : 40) + 2) == 5678);
	rte_pktmbuf_free_bulk(m, n);
	sa_pair_free(o1, i1);
	sa_pair_free(o2, i2);
	CU_ASSERT(rte_mempool_in_use_count(pool) == in_use);
}

/* RFC 6040: encap copies ECN; decap combines outer CE etc. */
static void
test_ecn_decap(void)
{
	/* inner ECN x outer ECN -> result (-1 = drop) */
	static const int want[4][4] = {
		{ 0, 0, 0, -1 },	/* not-ECT */
		{ 1, 1, 1, 3 },		/* ECT(1) */
		{ 2, 1, 2, 3 },		/* ECT(0) */
		{ 3, 3, 3, 3 },		/* CE */
	};
	struct esp_sa *so, *si;
	uint8_t inner[128];
	unsigned ie, oe, iaf, oaf;
	unsigned in_use = rte_mempool_in_use_count(pool);

	for (oaf = 4; oaf <= 6; oaf += 2)
	for (iaf = 4; iaf <= 6; iaf += 2) {
		sa_pair(0x03000000 + oaf * 16 + iaf, A_GCM128, (int)oaf, false, false, &so, &si,
			NULL);
		for (ie = 0; ie < 4; ie++)
		for (oe = 0; oe < 4; oe++) {
			unsigned len = inner_build(inner, (int)iaf, 20, (uint8_t)(0xb8 | ie),
						   true, 1);
			struct rte_mbuf *m = enc1(so, inner, len), *d;
			uint8_t *h;
			uint64_t ecn0 = drops(ESP_DROP_ECN);

			CU_ASSERT_FATAL(m != NULL);
			h = rte_pktmbuf_mtod(m, uint8_t *);
			/* rewrite the outer ECN as a congested router would */
			if (oaf == 4) {
				h[1] = (uint8_t)((h[1] & 0xfc) | oe);
				h[10] = h[11] = 0;
				net_wr16(h + 10, ck4(h));
			} else {
				h[1] = (uint8_t)((h[1] & 0xcf) | oe << 4);
			}
			d = dec1(m);
			if (want[ie][oe] < 0) {
				CU_ASSERT(d == NULL);
				CU_ASSERT(drops(ESP_DROP_ECN) == ecn0 + 1);
				continue;
			}
			CU_ASSERT_FATAL(d != NULL);
			h = rte_pktmbuf_mtod(d, uint8_t *);
			if (iaf == 4) {
				CU_ASSERT((h[1] & 3) == want[ie][oe]);
				CU_ASSERT((h[1] >> 2) == (0xb8 >> 2));	/* DSCP kept */
				CU_ASSERT(ck4(h) == 0);
			} else {
				CU_ASSERT(((h[1] >> 4) & 3) == want[ie][oe]);
			}
			rte_pktmbuf_free(d);
		}
		sa_pair_free(so, si);
	}
	CU_ASSERT(rte_mempool_in_use_count(pool) == in_use);
}

static void
test_dscp_mode_zero(void)
{
	struct esp_sa *so, *si;
	struct esp_sa_params tw;
	uint8_t inner[128];
	unsigned len = inner_build(inner, 4, 10, 0xb9, true, 1);
	struct rte_mbuf *m;

	memset(&tw, 0, sizeof(tw));
	tw.dscp_mode = 1;
	sa_pair(0x03100001, A_GCM256, 4, true, false, &so, &si, &tw);
	m = enc1(so, inner, len);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT(rte_pktmbuf_mtod(m, uint8_t *)[1] == 0x01);	/* ECN only */
	check_outer(m, 4, true, inner, 0x03100001, 1, true, 1);
	rte_pktmbuf_free(m);
	sa_pair_free(so, si);
}

static void
test_ttl_expired(void)
{
	struct esp_sa *so, *si;
	uint8_t inner[128];
	unsigned af, len;
	uint64_t t0 = drops(ESP_DROP_TTL);

	sa_pair(0x03200001, A_GCM128, 6, false, false, &so, &si, NULL);
	for (af = 4; af <= 6; af += 2) {
		len = inner_build(inner, (int)af, 10, 0, true, 1);
		if (af == 4) {
			inner[8] = 1;
			inner[10] = inner[11] = 0;
			net_wr16(inner + 10, ck4(inner));
		} else {
			inner[7] = 1;
		}
		CU_ASSERT(dec1(enc1(so, inner, len)) == NULL);
	}
	CU_ASSERT(drops(ESP_DROP_TTL) == t0 + 2);
	sa_pair_free(so, si);
}

/* ------------------------------------------------------------------ replay */

/* Naive reference: set of seen numbers and the highest. */
struct model {
	uint8_t *seen;
	uint64_t base, top;
	uint32_t size;
};

static int
model_accept(struct model *md, uint64_t seq)
{
	if (seq == 0 || md->seen[seq - md->base])
		return 0;
	if (seq <= md->top && md->top - seq >= md->size)
		return 0;
	md->seen[seq - md->base] = 1;
	if (seq > md->top)
		md->top = seq;
	return 1;
}

static void
replay_random(uint32_t size, uint64_t base, bool esn, unsigned seed)
{
	enum { LEN = 50000 };
	size_t cap = (size_t)LEN * (8 + size / 25) + 10000;
	struct esp_replay r;
	struct model md;
	unsigned i, bad = 0, accepted = 0;
	uint64_t cur = base;

	srand(seed);
	memset(&r, 0, sizeof(r));
	CU_ASSERT_FATAL(esp_replay_init(&r, size) == 0);
	r.top = base;
	md.seen = calloc(cap, 1);
	CU_ASSERT_FATAL(md.seen != NULL);
	md.base = base > 5000 ? base - 5000 : 0;
	md.top = base;
	md.size = r.size;
	for (i = 0; i < LEN && bad == 0; i++) {
		uint64_t seq, got;
		int x = rand() % 100, a, b;

		if (x < 60)
			seq = cur + 1 + (uint64_t)(rand() % 3);		/* forward */
		else if (x < 90)
			seq = cur - (uint64_t)(rand() % (2 * size + 2));	/* left edge */
		else if (x < 99)
			seq = cur;					/* duplicate */
		else
			seq = cur + size + (uint64_t)(rand() % size);	/* jump > window */
		if (seq < md.base || seq - md.base >= cap)
			continue;
		if (esn) {
			/* the receiver sees only the low 32 bits */
			if (esp_replay_esn(&r, (uint32_t)seq, &got) != 0) {
				a = 0;
				goto cmp;
			}
			if (got != seq) {
				/* a wrong guess is fine only for numbers left of the window */
				if (!(seq <= r.top && r.top - seq >= r.size)) {
					fprintf(stderr, "esn guess %" PRIx64 " for %" PRIx64
						" top %" PRIx64 "\n", got, seq, r.top);
					bad++;
				}
				a = 0;
				goto cmp;
			}
		}
		a = esp_replay_check(&r, seq) == 0;
		if (a)
			CU_ASSERT(esp_replay_update(&r, seq) == 0);
cmp:
		b = model_accept(&md, seq);
		accepted += (unsigned)b;
		if (a != b) {
			fprintf(stderr, "replay mismatch seed %u size %u step %u seq %" PRIu64
				" top %" PRIu64 ": impl %d model %d\n", seed, size, i, seq, r.top,
				a, b);
			bad++;
		}
		if (seq > cur)
			cur = seq;
	}
	if (bad)
		fprintf(stderr, "replay_random: seed %u\n", seed);
	CU_ASSERT(bad == 0);
	CU_ASSERT(accepted > LEN / 2);
	free(md.seen);
}

static void
test_replay_model(void)
{
	static const uint32_t sizes[] = { 64, 1024, 4096, 100 };
	unsigned seed = (unsigned)time(NULL), i;

	for (i = 0; i < 4; i++) {
		replay_random(sizes[i], 0, false, seed + i);
		replay_random(sizes[i], 10, false, seed + 10 + i);
		/* ESN across the 2^32 boundary */
		replay_random(sizes[i], (1ULL << 32) - 20000, true, seed + 20 + i);
		replay_random(sizes[i], (7ULL << 32) - 3000, true, seed + 30 + i);
	}
}

static void
test_replay_edges(void)
{
	struct esp_replay r;

	memset(&r, 0, sizeof(r));
	CU_ASSERT(esp_replay_init(&r, 63) == -1);
	CU_ASSERT(esp_replay_init(&r, 4097) == -1);
	CU_ASSERT(esp_replay_init(&r, 0) == 0 && r.size == ESP_REPLAY_DEFAULT);
	CU_ASSERT_FATAL(esp_replay_init(&r, 64) == 0);
	CU_ASSERT(esp_replay_check(&r, 0) == -1);
	CU_ASSERT(esp_replay_update(&r, 100) == 0);
	CU_ASSERT(esp_replay_check(&r, 100) == -1);		/* duplicate */
	CU_ASSERT(esp_replay_check(&r, 37) == 0);		/* exactly left edge */
	CU_ASSERT(esp_replay_check(&r, 36) == -1);		/* one left of window */
	CU_ASSERT(esp_replay_update(&r, 37) == 0);
	CU_ASSERT(esp_replay_update(&r, 37) == -1);
	CU_ASSERT(esp_replay_update(&r, 100 + 64 + 5) == 0);	/* jump > window */
	CU_ASSERT(esp_replay_check(&r, 100) == -1);		/* now left of window */
	CU_ASSERT(esp_replay_check(&r, 106) == 0);
	CU_ASSERT(esp_replay_check(&r, 168) == 0);
	CU_ASSERT(esp_replay_check(&r, 169) == -1);
}

/* RFC 4303 A2.2 high-bit inference on both sides of a 2^32 boundary. */
static void
test_esn_inference(void)
{
	struct esp_replay r;
	uint64_t s;

	CU_ASSERT_FATAL(esp_replay_init(&r, 64) == 0);
	r.top = (5ULL << 32) + 10;		/* window straddles 5<<32 */
	CU_ASSERT(esp_replay_esn(&r, 0xfffffff0u, &s) == 0 && s == (4ULL << 32) + 0xfffffff0u);
	CU_ASSERT(esp_replay_esn(&r, 11, &s) == 0 && s == (5ULL << 32) + 11);
	CU_ASSERT(esp_replay_esn(&r, 0x80000000u, &s) == 0 && s == (5ULL << 32) + 0x80000000u);
	r.top = (5ULL << 32) + 0xfffffff0u;	/* window inside one subspace */
	CU_ASSERT(esp_replay_esn(&r, 0xffffffb2u, &s) == 0 && s == (5ULL << 32) + 0xffffffb2u);
	CU_ASSERT(esp_replay_esn(&r, 3, &s) == 0 && s == (6ULL << 32) + 3);
	r.top = 10;				/* nothing below 0 */
	CU_ASSERT(esp_replay_esn(&r, 0xfffffff0u, &s) == -1);
}

/* Through the datapath: window edges, duplicates in one burst. */
static void
test_replay_datapath(void)
{
	enum { N = 200 };
	struct rte_mbuf *enc[N], *m[4];
	struct esp_sa *so, *si;
	struct esp_sa_params tw;
	uint8_t inner[128];
	unsigned i, len = inner_build(inner, 4, 16, 0, true, 1);
	uint64_t rp0;
	unsigned in_use = rte_mempool_in_use_count(pool);

	memset(&tw, 0, sizeof(tw));
	tw.replay_window = 64;
	sa_pair(0x04000001, A_GCM128, 4, false, false, &so, &si, &tw);
	for (i = 0; i < N; i++) {
		enc[i] = enc1(so, inner, len);		/* enc[i] carries seq i + 1 */
		CU_ASSERT_FATAL(enc[i] != NULL);
	}
	rp0 = drops(ESP_DROP_REPLAY);
	m[0] = enc[99];						/* seq 100 */
	CU_ASSERT(esp_in_burst(w, m, 1) == 1);
	rte_pktmbuf_free(m[0]);
	m[0] = enc[36];						/* seq 37: left edge */
	m[1] = enc[35];						/* seq 36: outside */
	m[2] = mb_copy(enc[36]);				/* seq 37 again, same burst */
	CU_ASSERT(esp_in_burst(w, m, 3) == 1);
	rte_pktmbuf_free(m[0]);
	CU_ASSERT(drops(ESP_DROP_REPLAY) == rp0 + 2);
	m[0] = enc[199];					/* jump: seq 200 */
	m[1] = enc[100];					/* seq 101: now too old */
	m[2] = enc[135];					/* seq 136: one left of window */
	m[3] = enc[136];					/* seq 137: exactly left edge */
	CU_ASSERT(esp_in_burst(w, m, 4) == 2);
	rte_pktmbuf_free_bulk(m, 2);
	CU_ASSERT(drops(ESP_DROP_REPLAY) == rp0 + 4);
	for (i = 0; i < N; i++)
		if (i != 99 && i != 36 && i != 35 && i != 199 && i != 100 && i != 135 && i != 136)
			rte_pktmbuf_free(enc[i]);
	sa_pair_free(so, si);
	CU_ASSERT(rte_mempool_in_use_count(pool) == in_use);
}

/*
 * esp_in_burst_pre (the caller's parse, issue 10) against esp_in_burst (the
 * outer header walked here): for both outer families, with and without
 * NAT-T, GCM and CBC, the same packets decrypt to the same bytes; hints
 * that do not fit the packet are dropped with the walk's reason, never read
 * past the data.
 */
static void
test_in_pre_same_as_walk(void)
{
	enum { N = 8 };
	static const enum alg algs[] = { A_GCM128, A_CBC128_SHA256 };
	unsigned in_use = rte_mempool_in_use_count(pool), af, natt, ai, i;
	struct esp_sa_params tw;
	uint8_t inner[256];

	memset(&tw, 0, sizeof(tw));
	for (af = 4; af <= 6; af += 2)
		for (natt = 0; natt < 2; natt++)
			for (ai = 0; ai < RTE_DIM(algs); ai++) {
				struct rte_mbuf *a[N], *b[N];
				struct esp_in_pre pre[N];
				struct esp_sa *so, *si, *so2, *si2;
				uint32_t spi = 0x05000001 + af * 16 + natt * 4 + ai;
				uint16_t ka, kb;

				/* two SA pairs, same packets: a[] through the pre path,
				 * b[] (the other SA) through the walk */
				sa_pair(spi, algs[ai], (int)af, natt != 0, false, &so, &si, &tw);
				sa_pair(spi + 0x100, algs[ai], (int)af, natt != 0, false, &so2, &si2,
					&tw);
				for (i = 0; i < N; i++) {
					unsigned len = inner_build(inner, i % 2 ? 6 : 4, 16 + i * 20, 0,
								   true, (uint8_t)i);
					const uint8_t *h;

					a[i] = enc1(so, inner, len);
					b[i] = enc1(so2, inner, len);
					CU_ASSERT_FATAL(a[i] != NULL && b[i] != NULL);
					h = rte_pktmbuf_mtod(a[i], const uint8_t *);
					pre[i].esp_off = (uint16_t)((af == 4 ? (h[0] & 0xf) * 4u : 40u) +
								    (natt ? 8u : 0u));
					pre[i].udp = (uint8_t)natt;
					pre[i].spi = spi;
				}
				ka = esp_in_burst_pre(w, a, pre, N);
				kb = esp_in_burst(w, b, N);
				CU_ASSERT(ka == N && kb == N);
				for (i = 0; i < ka && i < kb; i++)
					CU_ASSERT(a[i]->data_len == b[i]->data_len &&
						  memcmp(rte_pktmbuf_mtod(a[i], const void *),
							 rte_pktmbuf_mtod(b[i], const void *),
							 a[i]->data_len) == 0);
				rte_pktmbuf_free_bulk(a, ka);
				rte_pktmbuf_free_bulk(b, kb);
				sa_pair_free(so, si);
				sa_pair_free(so2, si2);
			}
	/* hints that do not fit (IPv4, NAT-T) */
	{
		static const struct {
			int off_delta;		/* added to the right esp_off */
			int what;		/* 0 as is, 1 UDP length +1, 2 version 5, 3 SPI 0 */
			enum esp_drop why;
		} bad[] = {
			{ 2000, 0, ESP_DROP_SHORT }, { -9, 0, ESP_DROP_SHORT },
			{ -28, 0, ESP_DROP_SHORT }, { 0, 1, ESP_DROP_MALFORMED },
			{ 0, 2, ESP_DROP_MALFORMED }, { 0, 3, ESP_DROP_MALFORMED },
		};
		struct esp_sa *so, *si;
		unsigned len = inner_build(inner, 4, 40, 0, true, 1);

		sa_pair(0x05000100, A_GCM128, 4, true, false, &so, &si, &tw);
		for (i = 0; i < RTE_DIM(bad); i++) {
			struct rte_mbuf *m = enc1(so, inner, len), *c;
			struct esp_in_pre p = { .spi = esp_sa_spi(si), .esp_off = 28, .udp = 1 };
			uint64_t d0 = drops(bad[i].why);
			uint8_t *h;

			CU_ASSERT_FATAL(m != NULL);
			h = rte_pktmbuf_mtod(m, uint8_t *);
			p.esp_off = (uint16_t)(28 + bad[i].off_delta);
			if (bad[i].what == 1)
				h[25]++;		/* UDP length */
			else if (bad[i].what == 2)
				h[0] = 0x55;
			else if (bad[i].what == 3)
				p.spi = 0;
			c = mb_copy(m);
			CU_ASSERT(esp_in_burst_pre(w, &m, &p, 1) == 0);
			CU_ASSERT(drops(bad[i].why) == d0 + 1);
			if (bad[i].what == 1 || bad[i].what == 2) {	/* the walk agrees */
				CU_ASSERT(esp_in_burst(w, &c, 1) == 0);
				CU_ASSERT(drops(bad[i].why) == d0 + 2);
			} else {
				rte_pktmbuf_free(c);
			}
		}
		sa_pair_free(so, si);
	}
	CU_ASSERT(rte_mempool_in_use_count(pool) == in_use);
}

/* ---------------------------------------------------------------- hostile */

/* Build ESP (outer IPv4, GCM-128, SPI/seq given) around an arbitrary plaintext. */
static struct rte_mbuf *
craft_gcm(const struct esp_sa_params *p, uint32_t seq, const uint8_t *pt, unsigned ptl)
{
	static struct cry_gcm_key k __attribute__((aligned(64)));
	uint8_t b[2048], nonce[12];
	unsigned tot = 20 + 8 + 8 + ptl + 16;

	CU_ASSERT_FATAL(cry_gcm_key_init(cry_ctl_mgr(), &k, p->enc_key, p->enc_key_len) == 0);
	memset(b, 0, 20);
	b[0] = 0x45;
	net_wr16(b + 2, (uint16_t)tot);
	b[8] = 64;
	b[9] = 50;
	memcpy(b + 12, p->outer_src, 4);
	memcpy(b + 16, p->outer_dst, 4);
	net_wr16(b + 10, ck4(b));
	net_wr32(b + 20, p->spi);
	net_wr32(b + 24, seq);
	memset(b + 28, 0, 4);
	net_wr32(b + 32, seq);
	memcpy(nonce, p->enc_key + p->enc_key_len, 4);
	memcpy(nonce + 4, b + 28, 8);
	memcpy(b + 36, pt, ptl);
	cry_gcm_seal(cry_ctl_mgr(), &k, nonce, b + 20, 8, b + 36, ptl, b + 36 + ptl);
	return mb_from(b, tot);
}

/* Plaintext = inner || pad 1..n || padlen || nh, aligned to 4. */
static unsigned
trailer(uint8_t *pt, unsigned ilen, uint8_t nh)
{
	unsigned pad = (unsigned)(-(int)(ilen + 2)) & 3u, k;

	for (k = 0; k < pad; k++)
		pt[ilen + k] = (uint8_t)(k + 1);
	pt[ilen + pad] = (uint8_t)pad;
	pt[ilen + pad + 1] = nh;
	return ilen + pad + 2;
}

struct hostile {
	const char *name;
	enum esp_drop why;
};

static void
test_hostile_crafted(void)
{
	struct esp_sa_params p;
	struct esp_sa *si;
	uint8_t pt[512], inner[256];
	unsigned ilen, n, in_use = rte_mempool_in_use_count(pool), c;
	uint32_t seq = 1;

	params_fill(&p, 0x05000001, ESP_DIR_IN, A_GCM128, 4, false, false);
	CU_ASSERT_FATAL(esp_sa_create(&p, SOCKET_ID_ANY, &si) == 0);
	CU_ASSERT_FATAL(esp_worker_sa_add(w, si) == 0);

	for (c = 0; c < 12; c++) {
		enum esp_drop want;
		uint64_t before;
		struct rte_mbuf *m;

		ilen = inner_build(inner, 4, 30, 0, true, 3);
		memcpy(pt, inner, ilen);
		n = trailer(pt, ilen, 4);
		switch (c) {
		case 0:		/* control: valid */
			want = ESP_DROP__COUNT;
			break;
		case 1:		/* bad padding byte */
			n = trailer(pt, ilen + 1, 4);	/* pad 1 byte */
			pt[ilen] = 0;			/* junk inner tail byte, fine */
			pt[n - 3] = 7;			/* pad byte should be 1 */
			want = ESP_DROP_PAD;
			break;
		case 2:		/* pad length larger than payload */
			pt[n - 2] = 250;
			want = ESP_DROP_PAD;
			break;
		case 3:		/* wrong next header */
			pt[n - 1] = 6;
			want = ESP_DROP_MALFORMED;
			break;
		case 4:		/* next header says IPv6, inner is IPv4 */
			pt[n - 1] = 41;
			want = ESP_DROP_MALFORMED;
			break;
		case 5:		/* inner total length lies (longer than payload) */
			net_wr16(pt + 2, (uint16_t)(ilen + 40));
			want = ESP_DROP_MALFORMED;
			break;
		case 6:		/* inner header length lies */
			pt[0] = 0x4f;
			want = ESP_DROP_MALFORMED;
			break;
		case 7:		/* dummy packet (next header 59) */
			pt[n - 1] = 59;
			want = ESP_DROP_MALFORMED;
			break;
		case 8:		/* inner shorter than payload (TFC padding): accepted */
			net_wr16(pt + 2, (uint16_t)(ilen - 10));
			pt[10] = pt[11] = 0;
			net_wr16(pt + 10, ck4(pt));
			want = ESP_DROP__COUNT;
			break;
		case 9:		/* inner IPv6 too short for its header */
			memset(pt, 0, 30);
			pt[0] = 0x60;
			n = trailer(pt, 30, 41);
			want = ESP_DROP_MALFORMED;
			break;
		case 10:	/* empty inner */
			n = trailer(pt, 0, 4);
			want = ESP_DROP_MALFORMED;
			break;
		default:	/* replay of an accepted number */
			seq = 1;
			want = ESP_DROP_REPLAY;
			break;
		}
		before = want < ESP_DROP__COUNT ? drops(want) : 0;
		m = craft_gcm(&p, seq++, pt, n);
		m = dec1(m);
		if (want == ESP_DROP__COUNT) {
			CU_ASSERT(m != NULL);
			if (m != NULL && c == 8) {
				CU_ASSERT(m->pkt_len == ilen - 10);
			}
			rte_pktmbuf_free(m);
		} else {
			if (m != NULL || drops(want) != before + 1)
				fprintf(stderr, "hostile case %u not dropped as %s\n", c,
					esp_drop_names[want]);
			CU_ASSERT(m == NULL);
			CU_ASSERT(drops(want) == before + 1);
			rte_pktmbuf_free(m);
		}
	}
	CU_ASSERT(esp_worker_sa_del(w, p.spi, ESP_DIR_IN) == si);
	esp_sa_destroy(si);
	CU_ASSERT(rte_mempool_in_use_count(pool) == in_use);
}

static uint64_t
drops_total(void)
{
	struct esp_worker_stats st;
	uint64_t t = 0;
	unsigned i;

	esp_worker_stats_get(w, &st);
	for (i = 0; i < ESP_DROP__COUNT; i++)
		t += st.drops[i];
	return t;
}

/* Every truncation of valid packets, lying outer lengths, bad ICV, unknown SPI. */
static void
test_hostile_wire(void)
{
	struct esp_sa *so, *si;
	uint8_t inner[256], b[2048];
	unsigned cfg, len, cut, in_use = rte_mempool_in_use_count(pool);
	uint32_t spi = 0x05100000;

	for (cfg = 0; cfg < 8; cfg++) {
		int oaf = (cfg & 1) ? 6 : 4;
		bool natt = (cfg & 2) != 0;
		enum alg a = (cfg & 4) ? A_CBC128_SHA256 : A_GCM128;
		struct rte_mbuf *m, *d;
		unsigned tot, hl = oaf == 4 ? 20 : 40;
		uint64_t t0, x0;

		sa_pair(++spi, a, oaf, natt, false, &so, &si, NULL);
		len = inner_build(inner, 4, 50, 0, true, 9);
		m = enc1(so, inner, len);
		CU_ASSERT_FATAL(m != NULL);
		tot = m->pkt_len;
		memcpy(b, rte_pktmbuf_mtod(m, uint8_t *), tot);
		rte_pktmbuf_free(m);

		/* truncated at every offset (IP length left as sent, or fixed up) */
		for (cut = 0; cut < tot; cut++) {
			unsigned fix;

			for (fix = 0; fix < 2; fix++) {
				uint8_t c[2048];

				memcpy(c, b, cut);
				if (fix && cut >= hl) {
					if (oaf == 4) {
						net_wr16(c + 2, (uint16_t)cut);
					} else {
						net_wr16(c + 4, (uint16_t)(cut - 40));
					}
					if (natt && cut >= hl + 8)
						net_wr16(c + hl + 4, (uint16_t)(cut - hl));
				}
				t0 = drops_total();
				d = dec1(mb_from(c, cut));
				if (d != NULL)
					fprintf(stderr, "cfg %u cut %u fix %u accepted\n", cfg, cut,
						fix);
				CU_ASSERT(d == NULL);
				rte_pktmbuf_free(d);
				CU_ASSERT(drops_total() == t0 + 1);
			}
		}
		/* IP total length lying both ways */
		{
			uint8_t c[2048];
			unsigned delta;

			for (delta = 0; delta < 2; delta++) {
				memcpy(c, b, tot);
				if (oaf == 4)
					net_wr16(c + 2, (uint16_t)(delta ? tot + 1 : tot - 1));
				else
					net_wr16(c + 4, (uint16_t)(delta ? tot - 39 : tot - 41));
				t0 = drops_total();
				CU_ASSERT(dec1(mb_from(c, tot)) == NULL);
				CU_ASSERT(drops_total() == t0 + 1);
			}
			/* UDP length lying */
			if (natt) {
				memcpy(c, b, tot);
				net_wr16(c + hl + 4, (uint16_t)(tot - hl - 1));
				x0 = drops(ESP_DROP_MALFORMED);
				CU_ASSERT(dec1(mb_from(c, tot)) == NULL);
				CU_ASSERT(drops(ESP_DROP_MALFORMED) == x0 + 1);
			}
			/* bad ICV: flip one byte in every region after the header */
			for (cut = hl + (natt ? 8 : 0) + 8; cut < tot; cut += 7) {
				memcpy(c, b, tot);
				c[cut] ^= 0x20;
				x0 = drops(ESP_DROP_ICV);
				CU_ASSERT(dec1(mb_from(c, tot)) == NULL);
				CU_ASSERT(drops(ESP_DROP_ICV) == x0 + 1);
			}
			/* unknown SPI */
			memcpy(c, b, tot);
			c[hl + (natt ? 8 : 0) + 3] ^= 0x5a;
			x0 = drops(ESP_DROP_NO_SA);
			CU_ASSERT(dec1(mb_from(c, tot)) == NULL);
			CU_ASSERT(drops(ESP_DROP_NO_SA) == x0 + 1);
			/* the original still decrypts, then is a replay */
			d = dec1(mb_from(b, tot));
			CU_ASSERT(d != NULL);
			rte_pktmbuf_free(d);
			x0 = drops(ESP_DROP_REPLAY);
			CU_ASSERT(dec1(mb_from(b, tot)) == NULL);
			CU_ASSERT(drops(ESP_DROP_REPLAY) == x0 + 1);
		}
		sa_pair_free(so, si);
	}
	CU_ASSERT(rte_mempool_in_use_count(pool) == in_use);
}

/* Random byte mutations of valid packets: never a crash or a leak; anything
 * accepted was not changed in an authenticated byte. Seed printed on failure. */
static void
test_hostile_mutations(void)
{
	enum { ROUNDS = 4000 };
	unsigned seed = (unsigned)time(NULL) + 7, cfg, r, bad = 0;
	unsigned in_use = rte_mempool_in_use_count(pool);
	uint32_t spi = 0x05300000;

	srand(seed);
	for (cfg = 0; cfg < 4; cfg++) {
		int oaf = (cfg & 1) ? 6 : 4;
		bool natt = (cfg & 2) != 0;
		struct esp_sa *so, *si;
		struct esp_sa_params tw;
		uint8_t inner[256], b[2048], c[2048];
		unsigned len, tot, esp_off = (oaf == 4 ? 20u : 40u) + (natt ? 8u : 0u);
		struct rte_mbuf *m;

		memset(&tw, 0, sizeof(tw));
		tw.replay_window = 4096;
		sa_pair(++spi, cfg < 2 ? A_GCM128 : A_CBC128_SHA256, oaf, natt, true, &so, &si,
			&tw);
		for (r = 0; r < ROUNDS; r++) {
			unsigned k, nmut = 1 + (unsigned)rand() % 4, cutlen;
			uint64_t t0 = drops_total();
			struct esp_worker_stats st0, st1;
			bool auth_touched = false;

			len = inner_build(inner, (r & 1) ? 6 : 4, (unsigned)rand() % 200, 0, true,
					  (uint8_t)r);
			m = enc1(so, inner, len);
			CU_ASSERT_FATAL(m != NULL);
			tot = m->pkt_len;
			memcpy(b, rte_pktmbuf_mtod(m, uint8_t *), tot);
			rte_pktmbuf_free(m);
			memcpy(c, b, tot);
			for (k = 0; k < nmut; k++) {
				unsigned pos = (rand() & 1) ? (unsigned)rand() % (esp_off + 16) :
							       (unsigned)rand() % tot;
				uint8_t v = (uint8_t)rand();

				if (pos >= tot || c[pos] == v)
					continue;
				c[pos] = v;
				if (pos >= esp_off)
					auth_touched = true;
			}
			cutlen = (rand() % 8 == 0) ? (unsigned)rand() % (tot + 1) : tot;
			esp_worker_stats_get(w, &st0);
			m = dec1(mb_from(c, cutlen));
			esp_worker_stats_get(w, &st1);
			if (m != NULL) {
				/* accepted: the ESP bytes must be intact */
				if (auth_touched && cutlen == tot &&
				    memcmp(c + esp_off, b + esp_off, tot - esp_off) != 0)
					bad++;
				if (st1.in_packets != st0.in_packets + 1)
					bad++;
				rte_pktmbuf_free(m);
			} else if (drops_total() != t0 + 1) {
				bad++;
			}
		}
		sa_pair_free(so, si);
	}
	if (bad)
		fprintf(stderr, "hostile_mutations: seed %u, %u bad\n", seed, bad);
	CU_ASSERT(bad == 0);
	CU_ASSERT(rte_mempool_in_use_count(pool) == in_use);
}

static void
test_multiseg_and_noroom(void)
{
	struct esp_sa *so, *si;
	uint8_t inner[256];
	unsigned len, in_use = rte_mempool_in_use_count(pool);
	struct rte_mbuf *m, *m2;
	uint64_t x0;

	sa_pair(0x05200001, A_GCM128, 4, false, false, &so, &si, NULL);
	len = inner_build(inner, 4, 40, 0, true, 1);
	/* outbound chained mbuf */
	m = mb_from(inner, len);
	m2 = mb_from(inner, 10);
	CU_ASSERT_FATAL(rte_pktmbuf_chain(m, m2) == 0);
	x0 = drops(ESP_DROP_MULTISEG);
	{
		struct esp_sa *sas[1] = { so };

		CU_ASSERT(esp_out_burst(w, sas, &m, 1) == 0);
	}
	CU_ASSERT(drops(ESP_DROP_MULTISEG) == x0 + 1);
	/* inbound chained mbuf */
	m = enc1(so, inner, len);
	CU_ASSERT_FATAL(m != NULL);
	m2 = mb_from(inner, 10);
	CU_ASSERT_FATAL(rte_pktmbuf_chain(m, m2) == 0);
	CU_ASSERT(dec1(m) == NULL);
	CU_ASSERT(drops(ESP_DROP_MULTISEG) == x0 + 2);
	/* no headroom */
	m = rte_pktmbuf_alloc(pool);
	CU_ASSERT_FATAL(m != NULL);
	m->data_off = 0;
	memcpy(rte_pktmbuf_append(m, (uint16_t)len), inner, len);
	x0 = drops(ESP_DROP_NOROOM);
	{
		struct esp_sa *sas[1] = { so };

		CU_ASSERT(esp_out_burst(w, sas, &m, 1) == 0);
	}
	CU_ASSERT(drops(ESP_DROP_NOROOM) == x0 + 1);
	/* outbound with no SA, and with an inbound SA */
	x0 = drops(ESP_DROP_NO_SA);
	{
		struct esp_sa *sas[2] = { NULL, si };
		struct rte_mbuf *mm[2] = { mb_from(inner, len), mb_from(inner, len) };

		CU_ASSERT(esp_out_burst(w, sas, mm, 2) == 0);
	}
	CU_ASSERT(drops(ESP_DROP_NO_SA) == x0 + 2);
	/* inbound: UDP to a port other than 4500, SPI 0 marker, protocol 6 */
	{
		uint8_t c[64];

		memset(c, 0, sizeof(c));
		c[0] = 0x45;
		net_wr16(c + 2, 40);
		c[8] = 64;
		c[9] = 17;
		net_wr16(c + 20, 4500);
		net_wr16(c + 22, 4501);
		net_wr16(c + 24, 20);
		net_wr32(c + 28, 0x05200001);
		x0 = drops(ESP_DROP_MALFORMED);
		CU_ASSERT(dec1(mb_from(c, 40)) == NULL);
		net_wr16(c + 22, 4500);
		net_wr32(c + 28, 0);
		CU_ASSERT(dec1(mb_from(c, 40)) == NULL);
		c[9] = 6;
		CU_ASSERT(dec1(mb_from(c, 40)) == NULL);
		c[9] = 50;
		c[6] = 0x20;		/* MF: fragment */
		CU_ASSERT(dec1(mb_from(c, 40)) == NULL);
		CU_ASSERT(drops(ESP_DROP_MALFORMED) == x0 + 4);
	}
	sa_pair_free(so, si);
	CU_ASSERT(rte_mempool_in_use_count(pool) == in_use);
}

/* -------------------------------------------------- lifetimes and sequence */

static void
test_lifetime_packets(void)
{
	struct esp_sa *so, *si;
	struct esp_sa_params tw;
	uint8_t inner[256];
	unsigned len = inner_build(inner, 4, 40, 0, true, 1), i, ok = 0, cnt[8];
	struct rte_mbuf *m;
	uint64_t lt0 = drops(ESP_DROP_LIFETIME);
	struct esp_sa_stats st;

	ev_count(cnt);
	memset(&tw, 0, sizeof(tw));
	tw.soft_packets = 3;
	tw.hard_packets = 5;
	sa_pair(0x06000001, A_GCM128, 4, false, false, &so, &si, &tw);
	for (i = 0; i < 8; i++) {
		m = enc1(so, inner, len);
		if (m == NULL)
			continue;
		ok++;
		m = dec1(m);
		CU_ASSERT(m != NULL);
		rte_pktmbuf_free(m);
	}
	CU_ASSERT(ok == 5);
	CU_ASSERT(drops(ESP_DROP_LIFETIME) == lt0 + 3);
	ev_count(cnt);
	/* one soft + one hard from each direction */
	CU_ASSERT(cnt[SA_EV_SOFT] == 2);
	CU_ASSERT(cnt[SA_EV_HARD] == 2);
	esp_sa_stats_get(so, &st);
	CU_ASSERT(st.packets == 5 && st.seq == 5 && st.drops == 3);
	esp_sa_stats_get(si, &st);
	CU_ASSERT(st.packets == 5 && st.seq == 5);
	sa_pair_free(so, si);
}

static void
test_lifetime_bytes(void)
{
	struct esp_sa *so, *si;
	struct esp_sa_params tw;
	uint8_t inner[256];
	unsigned len = inner_build(inner, 6, 52, 0, true, 1), i, ok = 0, cnt[8];	/* 100 B */
	struct rte_mbuf *m;

	ev_count(cnt);
	memset(&tw, 0, sizeof(tw));
	tw.soft_bytes = 250;
	tw.hard_bytes = 400;
	sa_pair(0x06000002, A_CBC256_SHA384, 6, true, true, &so, &si, &tw);
	for (i = 0; i < 6; i++) {
		m = enc1(so, inner, len);
		if (m == NULL)
			continue;
		ok++;
		rte_pktmbuf_free(dec1(m));
	}
	CU_ASSERT(ok == 4);
	ev_count(cnt);
	CU_ASSERT(cnt[SA_EV_SOFT] == 2);
	CU_ASSERT(cnt[SA_EV_HARD] == 2);
	sa_pair_free(so, si);
}

static void
test_seq_exhaustion(void)
{
	unsigned esn, cnt[8];

	for (esn = 0; esn < 2; esn++) {
		struct esp_sa *so, *si;
		struct esp_sa_params tw;
		uint8_t inner[256];
		unsigned len = inner_build(inner, 4, 40, 0, true, 1), i, ok = 0;
		uint64_t ex0 = drops(ESP_DROP_SEQ_EXHAUSTED);
		struct rte_mbuf *m;
		uint64_t last = esn ? UINT64_MAX : UINT32_MAX;

		ev_count(cnt);
		memset(&tw, 0, sizeof(tw));
		tw.seq_start = last - 3;
		tw.user_id = last - 10;		/* inbound window start */
		sa_pair(0x06100001 + esn, A_GCM256, 4, false, esn, &so, &si, &tw);
		for (i = 0; i < 6; i++) {
			m = enc1(so, inner, len);
			if (m == NULL)
				continue;
			ok++;
			CU_ASSERT(net_rd32(rte_pktmbuf_mtod(m, uint8_t *) + 24) ==
				  (uint32_t)(last - 3 + ok));
			m = dec1(m);
			CU_ASSERT(m != NULL);
			rte_pktmbuf_free(m);
		}
		CU_ASSERT(ok == 3);				/* last - 2, last - 1, last */
		CU_ASSERT(drops(ESP_DROP_SEQ_EXHAUSTED) == ex0 + 3);
		ev_count(cnt);
		CU_ASSERT(cnt[SA_EV_SEQ_NEAR_WRAP] == 1);
		CU_ASSERT(cnt[SA_EV_SEQ_EXHAUSTED] == 1);
		sa_pair_free(so, si);
	}
}

static void
test_event_ring_full(void)
{
	struct rte_ring *small = rte_ring_create_elem("esp_t_small", sizeof(struct sa_event), 4,
						      SOCKET_ID_ANY, RING_F_SC_DEQ);
	struct esp_worker *w2;
	struct esp_worker_stats st;
	struct esp_sa_params p;
	struct esp_sa *sa[8];
	uint8_t inner[128];
	unsigned i, len = inner_build(inner, 4, 10, 0, true, 1);
	struct sa_event ev;

	CU_ASSERT_FATAL(small != NULL);
	CU_ASSERT_FATAL(esp_worker_create(7, SOCKET_ID_ANY, small, &w2) == 0);
	for (i = 0; i < 8; i++) {
		struct rte_mbuf *m = mb_from(inner, len);

		params_fill(&p, 0x06200000 + i, ESP_DIR_OUT, A_GCM128, 4, false, false);
		p.hard_packets = 1;
		CU_ASSERT_FATAL(esp_sa_create(&p, SOCKET_ID_ANY, &sa[i]) == 0);
		CU_ASSERT(esp_out_burst(w2, &sa[i], &m, 1) == 1);
		rte_pktmbuf_free(m);
	}
	esp_worker_stats_get(w2, &st);
	CU_ASSERT(st.events == 3);		/* ring of 4 holds 3 */
	CU_ASSERT(st.events_lost == 5);
	/* once there is room, the next packet on a stopped SA retries its event */
	CU_ASSERT(rte_ring_dequeue_elem(small, &ev, sizeof(ev)) == 0);
	CU_ASSERT(ev.type == SA_EV_HARD && ev.worker == 7);
	{
		struct rte_mbuf *m = mb_from(inner, len);

		CU_ASSERT(esp_out_burst(w2, &sa[7], &m, 1) == 0);
	}
	esp_worker_stats_get(w2, &st);
	CU_ASSERT(st.events == 4);
	for (i = 0; i < 8; i++)
		esp_sa_destroy(sa[i]);
	esp_worker_destroy(w2);
	rte_ring_free(small);
}

/* ---------------------------------------------------------- control side */

static void
test_sa_params_invalid(void)
{
	struct esp_sa_params p;
	struct esp_sa *sa = NULL;

	params_fill(&p, 0x07000001, ESP_DIR_IN, A_GCM128, 4, false, false);
	p.enc_key_len = 20;
	CU_ASSERT(esp_sa_create(&p, SOCKET_ID_ANY, &sa) == -EINVAL);
	params_fill(&p, 0x07000001, ESP_DIR_IN, A_GCM128, 4, false, false);
	p.integ = ESP_INTEG_HMAC_SHA256_128;
	CU_ASSERT(esp_sa_create(&p, SOCKET_ID_ANY, &sa) == -EINVAL);
	params_fill(&p, 0x07000001, ESP_DIR_IN, A_CBC128_SHA256, 4, false, false);
	p.integ = 99;
	CU_ASSERT(esp_sa_create(&p, SOCKET_ID_ANY, &sa) == -EINVAL);
	params_fill(&p, 0x07000001, ESP_DIR_IN, A_GCM128, 4, false, false);
	p.replay_window = 32;
	CU_ASSERT(esp_sa_create(&p, SOCKET_ID_ANY, &sa) == -EINVAL);
	p.replay_window = 8192;
	CU_ASSERT(esp_sa_create(&p, SOCKET_ID_ANY, &sa) == -EINVAL);
	params_fill(&p, 0x07000001, ESP_DIR_OUT, A_GCM128, 5, false, false);
	CU_ASSERT(esp_sa_create(&p, SOCKET_ID_ANY, &sa) == -EINVAL);
	params_fill(&p, 0x07000001, ESP_DIR_OUT, A_GCM128, 4, false, false);
	p.natt_sport = 4500;
	CU_ASSERT(esp_sa_create(&p, SOCKET_ID_ANY, &sa) == -EINVAL);
	params_fill(&p, 200, ESP_DIR_IN, A_GCM128, 4, false, false);
	CU_ASSERT(esp_sa_create(&p, SOCKET_ID_ANY, &sa) == -EINVAL);
	params_fill(&p, 0x07000001, ESP_DIR_OUT, A_GCM128, 4, false, false);
	p.seq_start = UINT32_MAX;
	CU_ASSERT(esp_sa_create(&p, SOCKET_ID_ANY, &sa) == -EINVAL);
	CU_ASSERT(sa == NULL);
}

static void
test_worker_table(void)
{
	struct esp_sa_params p;
	struct esp_sa *a, *b;

	params_fill(&p, 0x07100001, ESP_DIR_IN, A_GCM128, 4, false, false);
	CU_ASSERT_FATAL(esp_sa_create(&p, SOCKET_ID_ANY, &a) == 0);
	p.dir = ESP_DIR_OUT;
	CU_ASSERT_FATAL(esp_sa_create(&p, SOCKET_ID_ANY, &b) == 0);
	CU_ASSERT(esp_worker_sa_add(w, a) == 0);
	CU_ASSERT(esp_worker_sa_add(w, a) == -EEXIST);
	CU_ASSERT(esp_worker_sa_add(w, b) == 0);	/* same SPI, other direction */
	CU_ASSERT(esp_worker_sa_lookup(w, 0x07100001, ESP_DIR_IN) == a);
	CU_ASSERT(esp_worker_sa_lookup(w, 0x07100001, ESP_DIR_OUT) == b);
	CU_ASSERT(esp_worker_sa_del(w, 0x07100001, ESP_DIR_IN) == a);
	CU_ASSERT(esp_worker_sa_lookup(w, 0x07100001, ESP_DIR_IN) == NULL);
	CU_ASSERT(esp_worker_sa_del(w, 0x07100001, ESP_DIR_OUT) == b);
	CU_ASSERT(esp_worker_sa_del(w, 0x07100001, ESP_DIR_OUT) == NULL);
	esp_sa_destroy(a);
	esp_sa_destroy(b);
	CU_ASSERT(strcmp(esp_drop_names[ESP_DROP_ICV], "icv") == 0);
}

/* Control messages applied on the worker: add, refused add, delete with ack. */
static void
test_worker_msg(void)
{
	enum { NSA = 500 };
	struct esp_worker *w2;
	struct esp_sa_params p;
	struct esp_sa *sa[NSA], *extra;
	struct sa_msg msg;
	struct sa_event ev;
	unsigned i, bad = 0;

	CU_ASSERT_FATAL(esp_worker_create(3, SOCKET_ID_ANY, NULL, &w2) == 0);
	CU_ASSERT(esp_worker_msg(w2, &msg, NULL) == -EINVAL);
	for (i = 0; i < NSA; i++) {
		params_fill(&p, 0x09000000 + i / 2, (uint8_t)(i & 1), A_GCM128, 4, false, false);
		p.user_id = i;
		CU_ASSERT_FATAL(esp_sa_create(&p, SOCKET_ID_ANY, &sa[i]) == 0);
		memset(&msg, 0, sizeof(msg));
		msg.op = (i & 1) ? SA_MSG_ADD_OUT : SA_MSG_ADD_IN;
		msg.spi = p.spi;
		msg.add.sa = sa[i];
		ev.type = 99;
		if (esp_worker_msg(w2, &msg, &ev) != 0 || ev.type != 0)
			bad++;
	}
	CU_ASSERT(bad == 0);
	CU_ASSERT(esp_worker_sa_count(w2) == NSA);
	CU_ASSERT(esp_worker_sa_lookup(w2, 0x09000000 + 7, ESP_DIR_OUT) == sa[15]);
	/* duplicate add: refused and handed back */
	params_fill(&p, 0x09000000, ESP_DIR_IN, A_GCM128, 4, false, false);
	CU_ASSERT_FATAL(esp_sa_create(&p, SOCKET_ID_ANY, &extra) == 0);
	memset(&msg, 0, sizeof(msg));
	msg.op = SA_MSG_ADD_IN;
	msg.spi = 0x09000000;
	msg.add.sa = extra;
	msg.cookie = 77;
	CU_ASSERT(esp_worker_msg(w2, &msg, &ev) == -EEXIST);
	CU_ASSERT(ev.type == SA_EV_DEL_ACK && ev.sa == extra && ev.cookie == 77);
	/* an add whose op or SPI disagrees with the SA: refused, handed back */
	msg.op = SA_MSG_ADD_OUT;
	CU_ASSERT(esp_worker_msg(w2, &msg, &ev) == -EINVAL);
	CU_ASSERT(ev.type == SA_EV_DEL_ACK && ev.sa == extra);
	msg.op = SA_MSG_ADD_IN;
	msg.spi = 0x09000001;
	CU_ASSERT(esp_worker_msg(w2, &msg, &ev) == -EINVAL);
	CU_ASSERT(ev.type == SA_EV_DEL_ACK && ev.sa == extra);
	CU_ASSERT(esp_worker_sa_lookup(w2, 0x09000001, ESP_DIR_IN) == sa[2]);
	esp_sa_destroy(extra);
	/* delete one with ack */
	memset(&msg, 0, sizeof(msg));
	msg.op = SA_MSG_DEL_OUT;
	msg.spi = 0x09000000 + 7;
	msg.cookie = 5;
	CU_ASSERT(esp_worker_msg(w2, &msg, &ev) == 0);
	CU_ASSERT(ev.type == SA_EV_DEL_ACK && ev.sa == sa[15] && ev.cookie == 5 && ev.worker == 3 &&
		  ev.user_id == 15 && ev.spi == 0x09000000 + 7);
	CU_ASSERT(esp_worker_sa_lookup(w2, 0x09000000 + 7, ESP_DIR_OUT) == NULL);
	esp_sa_destroy(sa[15]);
	sa[15] = NULL;
	/* unknown SPI: acked with no SA */
	CU_ASSERT(esp_worker_msg(w2, &msg, &ev) == -ENOENT);
	CU_ASSERT(ev.type == SA_EV_DEL_ACK && ev.sa == NULL);
	/* policy messages are the caller's */
	msg.op = SA_MSG_ROUTE_ADD;
	CU_ASSERT(esp_worker_msg(w2, &msg, &ev) == -ENOTSUP && ev.type == 0);
	msg.op = SA_MSG_FLUSH;
	CU_ASSERT(esp_worker_msg(w2, &msg, &ev) == -ENOTSUP && ev.type == 0);
	msg.op = 0;
	CU_ASSERT(esp_worker_msg(w2, &msg, &ev) == -EINVAL && ev.type == 0);
	/* every SA comes back exactly once */
	bad = 0;
	for (i = 0; i < NSA; i++) {
		if (sa[i] == NULL)
			continue;
		memset(&msg, 0, sizeof(msg));
		msg.op = (i & 1) ? SA_MSG_DEL_OUT : SA_MSG_DEL_IN;
		msg.spi = 0x09000000 + i / 2;
		msg.cookie = i;
		if (esp_worker_msg(w2, &msg, &ev) != 0 || ev.type != SA_EV_DEL_ACK ||
		    ev.sa != sa[i] || ev.cookie != i)
			bad++;
		esp_sa_destroy(ev.sa);
	}
	CU_ASSERT(bad == 0);
	CU_ASSERT(esp_worker_sa_count(w2) == 0);
	esp_worker_destroy(w2);
}

/* ------------------------------------------------------ NAT rebinding */

/* Rewrite an ESP-in-UDP/IPv4 packet's outer source (address, port), as
 * if it arrived from there on our port 4500. */
static void
outer_src_set(struct rte_mbuf *m, const uint8_t a[4], uint16_t port)
{
	uint8_t *h = rte_pktmbuf_mtod(m, uint8_t *);

	memcpy(h + 12, a, 4);
	net_wr16(h + 20, port);
	net_wr16(h + 22, 4500);
	h[10] = h[11] = 0;
	net_wr16(h + 10, ck4(h));
}

static unsigned
ev_moved(struct sa_event *last)
{
	struct sa_event ev;
	unsigned n = 0;

	while (rte_ring_dequeue_elem(evr, &ev, sizeof(ev)) == 0)
		if (ev.type == SA_EV_PEER_MOVED) {
			*last = ev;
			n++;
		}
	return n;
}

/*
 * RFC 7296 2.23 / RFC 3948: SA_MSG_UPDATE_OUT moves a live outbound SA's
 * outer header (addresses, UDP ports) and nothing else: the sequence
 * numbers go on. Inbound, only packets that authenticate and pass the
 * replay window report a new source (SA_EV_PEER_MOVED, once a second per
 * SA); SA_MSG_UPDATE_IN makes the new source the expected one.
 */
static void
test_peer_update(void)
{
	static const uint8_t self[4] = { 192, 0, 2, 1 }, nat2[4] = { 203, 0, 113, 7 };
	static const uint8_t moved[4] = { 203, 0, 113, 9 }, other[4] = { 203, 0, 113, 10 };
	uint8_t inner[200], *h;
	struct esp_sa *so, *si;
	struct esp_sa_stats st;
	struct rte_mbuf *m, *keep;
	struct sa_event ev, ack;
	struct sa_msg msg;
	unsigned len, i;

	ev_moved(&ev);
	sa_pair(0x0a000100, A_GCM128, 4, true, false, &so, &si, NULL);
	CU_ASSERT_FATAL(esp_worker_sa_add(w, so) == 0);
	len = inner_build(inner, 4, 64, 0, false, 7);
	for (i = 0; i < 3; i++) {
		m = enc1(so, inner, len);
		CU_ASSERT_FATAL(m != NULL);
		CU_ASSERT(dec1(m) != NULL);
		rte_pktmbuf_free(m);
	}
	/* outbound moves to the peer's new NAT mapping: 203.0.113.7:41234 */
	memset(&msg, 0, sizeof(msg));
	msg.op = SA_MSG_UPDATE_OUT;
	msg.spi = 0x0a000100;
	msg.peer.af = 4;
	memcpy(msg.peer.local, self, 4);
	memcpy(msg.peer.peer, nat2, 4);
	msg.peer.local_port = 4500;
	msg.peer.peer_port = 41234;
	CU_ASSERT(esp_worker_msg(w, &msg, &ack) == 0);
	m = enc1(so, inner, len);
	CU_ASSERT_FATAL(m != NULL);
	h = rte_pktmbuf_mtod(m, uint8_t *);
	CU_ASSERT(memcmp(h + 12, self, 4) == 0);
	CU_ASSERT(memcmp(h + 16, nat2, 4) == 0);
	CU_ASSERT(net_rd16(h + 20) == 4500 && net_rd16(h + 22) == 41234);
	CU_ASSERT(ck4(h) == 0);
	CU_ASSERT(net_rd32(h + 28) == 0x0a000100);
	CU_ASSERT(net_rd32(h + 32) == 4);	/* sequence number 4: none lost or reset */
	esp_sa_stats_get(so, &st);
	CU_ASSERT(st.seq == 4 && st.packets == 4);
	/* refused: unknown SPI, another family, plain ESP for a NAT-T SA */
	msg.spi = 0x0a0001ff;
	CU_ASSERT(esp_worker_msg(w, &msg, &ack) == -ENOENT);
	msg.spi = 0x0a000100;
	msg.peer.af = 6;
	CU_ASSERT(esp_worker_msg(w, &msg, &ack) == -EINVAL);
	msg.peer.af = 4;
	msg.peer.local_port = msg.peer.peer_port = 0;
	CU_ASSERT(esp_worker_msg(w, &msg, &ack) == -EINVAL);
	/* the unchanged inbound direction: same source, no event */
	outer_src_set(m, self, 4500);
	keep = mb_copy(m);
	CU_ASSERT(dec1(m) != NULL);
	rte_pktmbuf_free(m);
	CU_ASSERT(ev_moved(&ev) == 0);
	/* a forged packet from elsewhere (bad ICV) moves nothing */
	m = enc1(so, inner, len);
	CU_ASSERT_FATAL(m != NULL);
	h = rte_pktmbuf_mtod(m, uint8_t *);
	h[m->data_len - 1] ^= 1;
	outer_src_set(m, moved, 1111);
	CU_ASSERT(dec1(m) == NULL);
	CU_ASSERT(ev_moved(&ev) == 0);
	/* a replay of an authentic packet from elsewhere moves nothing */
	outer_src_set(keep, moved, 1111);
	CU_ASSERT(dec1(keep) == NULL);
	CU_ASSERT(ev_moved(&ev) == 0);
	/* an authentic packet from 203.0.113.9:1111: one event, with the address */
	m = enc1(so, inner, len);
	CU_ASSERT_FATAL(m != NULL);
	outer_src_set(m, moved, 1111);
	CU_ASSERT(dec1(m) != NULL);
	rte_pktmbuf_free(m);
	CU_ASSERT_FATAL(ev_moved(&ev) == 1);
	CU_ASSERT(ev.spi == 0x0a000100 && ev.peer.af == 4 && ev.peer.peer_port == 1111 &&
		  ev.peer.local_port == 4500 && memcmp(ev.peer.peer, moved, 4) == 0 &&
		  memcmp(ev.peer.local, nat2, 4) == 0);
	/* at once again (another port): rate-limited, the packet still passes */
	m = enc1(so, inner, len);
	CU_ASSERT_FATAL(m != NULL);
	outer_src_set(m, other, 2222);
	CU_ASSERT(dec1(m) != NULL);
	rte_pktmbuf_free(m);
	CU_ASSERT(ev_moved(&ev) == 0);
	/* the control core moved the SA: the new source is the expected one */
	msg.op = SA_MSG_UPDATE_IN;
	msg.peer.local_port = 4500;
	msg.peer.peer_port = 1111;
	memcpy(msg.peer.peer, moved, 4);
	CU_ASSERT(esp_worker_msg(w, &msg, &ack) == 0);
	m = enc1(so, inner, len);
	CU_ASSERT_FATAL(m != NULL);
	outer_src_set(m, moved, 1111);
	CU_ASSERT(dec1(m) != NULL);
	rte_pktmbuf_free(m);
	CU_ASSERT(ev_moved(&ev) == 0);
	/* and the old one is news again (the update re-armed the report) */
	m = enc1(so, inner, len);
	CU_ASSERT_FATAL(m != NULL);
	outer_src_set(m, self, 4500);
	CU_ASSERT(dec1(m) != NULL);
	rte_pktmbuf_free(m);
	CU_ASSERT(ev_moved(&ev) == 1 && ev.peer.peer_port == 4500);
	CU_ASSERT(esp_worker_sa_del(w, 0x0a000100, ESP_DIR_OUT) == so);
	sa_pair_free(so, si);
}

/* ------------------------------------------------------------------ scapy */

struct peer_case {
	int oaf, iaf;
	bool natt, esn;
	enum alg a;
	uint32_t spi;
	struct esp_sa *so, *si;
};

static void
hexout(FILE *f, const uint8_t *b, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

static void
test_scapy_peer(void)
{
	enum { NC = 2 * 2 * 2 * 2 + 4 };
	struct peer_case pc[NC];
	char c2p[128], p2c[128], cmd[512];
	uint8_t inner[256];
	FILE *f;
	unsigned i, nc = 0, got = 0, in_use = rte_mempool_in_use_count(pool);
	int rc;
	char line[8192];

	CU_ASSERT_FATAL(scapy_script != NULL);
	snprintf(c2p, sizeof(c2p), "/tmp/esp-scapy-%d-c2p.txt", (int)getpid());
	snprintf(p2c, sizeof(p2c), "/tmp/esp-scapy-%d-p2c.txt", (int)getpid());
	f = fopen(c2p, "w");
	CU_ASSERT_FATAL(f != NULL);
	for (i = 0; i < 16; i++) {
		pc[nc].oaf = (i & 1) ? 6 : 4;
		pc[nc].iaf = (i & 2) ? 6 : 4;
		pc[nc].natt = (i & 4) != 0;
		pc[nc].esn = (i & 8) != 0;
		pc[nc].a = (i & 8) ? A_GCM256 : A_GCM128;
		nc++;
	}
	for (i = 0; i < 4; i++) {
		pc[nc].oaf = (i & 1) ? 6 : 4;
		pc[nc].iaf = 4;
		pc[nc].natt = (i & 2) != 0;
		pc[nc].esn = i == 3;
		pc[nc].a = A_CBC128_SHA256;
		nc++;
	}
	for (i = 0; i < nc; i++) {
		struct esp_sa_params p, tw;
		struct rte_mbuf *m;
		unsigned len;
		uint64_t start = pc[i].esn ? (5ULL << 32) + 100 : 0;

		pc[i].spi = 0x08000000 + i;
		memset(&tw, 0, sizeof(tw));
		tw.seq_start = start;
		tw.user_id = start;
		sa_pair(pc[i].spi, pc[i].a, pc[i].oaf, pc[i].natt, pc[i].esn, &pc[i].so, &pc[i].si,
			&tw);
		params_fill(&p, pc[i].spi, ESP_DIR_OUT, pc[i].a, pc[i].oaf, pc[i].natt,
			    pc[i].esn);
		len = inner_build(inner, pc[i].iaf, 20 + i * 3, (uint8_t)(i * 4), true,
				  (uint8_t)i);
		m = enc1(pc[i].so, inner, len);
		CU_ASSERT_FATAL(m != NULL);
		fprintf(f, "%u %d %d %d %d %s %08x ", i, pc[i].oaf, pc[i].iaf, pc[i].natt,
			pc[i].esn, alg_names[pc[i].a], pc[i].spi);
		hexout(f, p.enc_key, p.enc_key_len + (p.enc == ESP_ENC_AES_GCM16 ? 4u : 0u));
		fputc(' ', f);
		if (p.integ_key_len != 0)
			hexout(f, p.integ_key, p.integ_key_len);
		else
			fputc('-', f);
		fprintf(f, " %u ", (unsigned)(start >> 32));
		hexout(f, rte_pktmbuf_mtod(m, uint8_t *), m->pkt_len);
		fputc(' ', f);
		hexout(f, inner, len);
		fputc('\n', f);
		rte_pktmbuf_free(m);
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s %s", scapy_script, c2p, p2c);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "esp_scapy.py failed: %d\n", rc);
	CU_ASSERT(rc == 0);
	f = fopen(p2c, "r");
	CU_ASSERT(f != NULL);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		unsigned id;
		char *pk, *in;
		uint8_t pkt[2048], want[2048];
		int pl, il;
		struct rte_mbuf *d;

		if (sscanf(line, "%u", &id) != 1 || id >= nc)
			continue;
		pk = strchr(line, ' ');
		if (pk == NULL)
			continue;
		pk++;
		in = strchr(pk, ' ');
		if (in == NULL)
			continue;
		*in++ = '\0';
		pl = hex2bin(pk, pkt, sizeof(pkt));
		il = hex2bin(in, want, sizeof(want));
		CU_ASSERT_FATAL(pl > 0 && il > 0);
		d = dec1(mb_from(pkt, (unsigned)pl));
		if (d == NULL) {
			fprintf(stderr, "scapy case %u (%s o%d i%d natt%d esn%d): dropped\n", id,
				alg_names[pc[id].a], pc[id].oaf, pc[id].iaf, pc[id].natt,
				pc[id].esn);
			CU_FAIL("scapy packet dropped");
			continue;
		}
		inner_expect(want, (unsigned)il);
		CU_ASSERT(d->pkt_len == (unsigned)il);
		CU_ASSERT(memcmp(rte_pktmbuf_mtod(d, uint8_t *), want, (size_t)il) == 0);
		rte_pktmbuf_free(d);
		got++;
	}
	if (f != NULL)
		fclose(f);
	CU_ASSERT(got == nc);
	for (i = 0; i < nc; i++)
		sa_pair_free(pc[i].so, pc[i].si);
	unlink(c2p);
	unlink(p2c);
	CU_ASSERT(rte_mempool_in_use_count(pool) == in_use);
}

/*
 * esp_sa_overhead() is what rampartd sizes the tunnel MTU with: no packet may
 * grow by more, and some inner length (all padding residues are tried) must
 * grow by exactly that much, for every algorithm, outer family and NAT-T.
 */
static void
test_sa_overhead(void)
{
	static uint8_t inner[256];
	uint32_t spi = 0x7100;
	unsigned a, oaf, natt, pl;

	for (a = 0; a < A__COUNT; a++)
	for (oaf = 4; oaf <= 6; oaf += 2)
	for (natt = 0; natt < 2; natt++) {
		struct esp_sa *so, *si;
		unsigned ov, worst = 0, over = 0;

		sa_pair(++spi, (enum alg)a, (int)oaf, natt, false, &so, &si, NULL);
		ov = esp_sa_overhead(so);
		for (pl = 32; pl < 32 + 16; pl++) {
			unsigned len = inner_build(inner, 4, pl, 0, false, (uint8_t)pl);
			struct rte_mbuf *m = enc1(so, inner, len);

			CU_ASSERT_FATAL(m != NULL);
			if (m->pkt_len - len > worst)
				worst = m->pkt_len - len;
			over += m->pkt_len - len > ov;
			rte_pktmbuf_free(m);
		}
		if (worst != ov || over != 0)
			fprintf(stderr, "overhead %s o%u natt%u: esp_sa_overhead %u, worst %u\n",
				alg_names[a], oaf, natt, ov, worst);
		CU_ASSERT_EQUAL(over, 0);
		CU_ASSERT_EQUAL(worst, ov);
		sa_pair_free(so, si);
	}
}

/* ------------------------------------------------------------------- main */

static const struct tu_test tests[] = {
	{ "roundtrip_all_families_natt_esn_algs", test_roundtrip_matrix },
	{ "burst_mixed_sas_with_drops", test_burst_mixed },
	{ "in_pre_same_as_outer_walk", test_in_pre_same_as_walk },
	{ "ecn_rfc6040_decap", test_ecn_decap },
	{ "dscp_mode_zero", test_dscp_mode_zero },
	{ "ttl_expired", test_ttl_expired },
	{ "replay_vs_model", test_replay_model },
	{ "replay_edges", test_replay_edges },
	{ "esn_inference", test_esn_inference },
	{ "replay_datapath_same_burst", test_replay_datapath },
	{ "hostile_crafted_plaintext", test_hostile_crafted },
	{ "hostile_wire_truncation_lengths_icv", test_hostile_wire },
	{ "hostile_random_mutations", test_hostile_mutations },
	{ "multiseg_noroom_nosa", test_multiseg_and_noroom },
	{ "lifetime_packets", test_lifetime_packets },
	{ "lifetime_bytes", test_lifetime_bytes },
	{ "seq_exhaustion", test_seq_exhaustion },
	{ "event_ring_full", test_event_ring_full },
	{ "sa_params_invalid", test_sa_params_invalid },
	{ "sa_overhead_worst_case", test_sa_overhead },
	{ "worker_table", test_worker_table },
	{ "worker_msg_add_del_flush", test_worker_msg },
	{ "peer_update_keeps_seq_and_reports_moves", test_peer_update },
	{ "scapy_peer_both_directions", test_scapy_peer },
};

int
main(int argc, char **argv)
{
	unsigned fails;

	scapy_script = argc > 1 ? argv[1] : NULL;
	if (tu_eal_init(argv[0], "esp", 256) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("esp_t_pool", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	evr = rte_ring_create_elem("esp_t_ev", sizeof(struct sa_event), 1024, SOCKET_ID_ANY,
				   RING_F_SC_DEQ);
	if (pool == NULL || evr == NULL || esp_worker_create(1, SOCKET_ID_ANY, evr, &w) != 0) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	fails = tu_main("esp", tests, TU_N(tests));
	esp_worker_destroy(w);
	rte_ring_free(evr);
	rte_mempool_free(pool);
	tu_eal_fini();
	return fails != 0;
}
