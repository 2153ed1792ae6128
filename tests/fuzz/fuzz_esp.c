/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer entry point for the inbound ESP datapath, esp_in_burst()
 * (lib/esp), with a worker holding five inbound SAs: AES-GCM-128/256 and
 * AES-CBC with HMAC-SHA-256/384, ESN on and off, plain ESP and NAT-T,
 * outer IPv4 and IPv6. EAL starts once (LLVMFuzzerInitialize: --no-huge
 * --no-pci -m 128, a per-process --file-prefix); the SAs are created afresh
 * for every input so that replay windows and lifetimes do not carry state
 * from one input to the next.
 *
 * The input is a list of records, each becoming one packet of the burst:
 *   op (1 byte), len (2 bytes, little endian), len bytes.
 *   op bit 0 clear: the bytes are the outer packet as received (from the
 *     outer IP header; over 2048 bytes it becomes a two-segment chain);
 *   op bit 0 set: structure-aware: the bytes are an inner packet that the
 *     outbound twin of SA (op >> 1) % 5 encapsulates with the known keys, so
 *     it passes the ICV and reaches the decrypted-trailer and inner-header
 *     checks; op bit 4 also sends it a second time (a replay in one burst),
 *     op bit 5 flips one ciphertext bit picked by the first inner byte.
 * The list is cut into bursts of up to ESP_MAX_BURST packets. Every mbuf
 * must be back in the pool after each input (a leak aborts), and every
 * survivor must start with an IPv4 or IPv6 header inside its data.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "test_eal.h"	/* tests/unit: the one EAL run-directory removal */
#include "esp/esp.h"
#include "sa/sa_msg.h"
#include "fuzz_entry.h"

enum {
	N_SA = 5,
	POOL_SIZE = 1023,
	SEG_DATA = 2048,
	MAX_PKTS = 4 * ESP_MAX_BURST,
};

struct sa_def {
	uint32_t spi;
	uint8_t enc, integ, enc_key_len, integ_key_len;
	uint8_t af;
	bool natt, esn;
	uint32_t window;
};

static const struct sa_def defs[N_SA] = {
	{ 0x00001001, ESP_ENC_AES_GCM16, ESP_INTEG_NONE, 16, 0, 4, false, false, 64 },
	{ 0x00001002, ESP_ENC_AES_GCM16, ESP_INTEG_NONE, 32, 0, 6, true, true, 1024 },
	{ 0x00001003, ESP_ENC_AES_CBC, ESP_INTEG_HMAC_SHA256_128, 16, 32, 4, true, true, 128 },
	{ 0x00001004, ESP_ENC_AES_CBC, ESP_INTEG_HMAC_SHA384_192, 32, 48, 6, false, false, 64 },
	{ 0x80000005, ESP_ENC_AES_GCM16, ESP_INTEG_NONE, 16, 0, 4, true, true, 64 },
};

static struct rte_mempool *pool;
static struct rte_ring *evr;
static struct esp_worker *w;
static struct esp_sa *sa_in[N_SA], *sa_out[N_SA];
static unsigned base_in_use;
/* FUZZ_ESP_SAVE_DIR: write each packet made by a structured record there as
 * a raw record (how the raw ESP seeds of the corpus were made). */
static const char *save_dir;
static unsigned n_saved;

static void
save_raw(const struct rte_mbuf *m)
{
	char path[512];
	uint8_t hdr[3] = { 0, (uint8_t)m->data_len, (uint8_t)(m->data_len >> 8) };
	FILE *f;

	snprintf(path, sizeof(path), "%s/esp_raw_%03u", save_dir, n_saved++);
	f = fopen(path, "wb");
	if (f == NULL)
		return;
	fwrite(hdr, 1, sizeof(hdr), f);
	fwrite(rte_pktmbuf_mtod(m, const uint8_t *), 1, m->data_len, f);
	fclose(f);
}

static void
params(struct esp_sa_params *p, const struct sa_def *d, uint8_t dir)
{
	static const uint8_t s4[4] = { 198, 51, 100, 2 }, d4[4] = { 192, 0, 2, 1 };
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	static const uint8_t d6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	unsigned i;

	memset(p, 0, sizeof(*p));
	p->spi = d->spi;
	p->dir = dir;
	p->enc = d->enc;
	p->integ = d->integ;
	p->enc_key_len = d->enc_key_len;
	p->integ_key_len = d->integ_key_len;
	p->esn = d->esn;
	p->outer_af = d->af;
	p->replay_window = d->window;
	for (i = 0; i < ESP_MAX_KEY_LEN; i++)
		p->enc_key[i] = (uint8_t)(0x21 + 7 * i + d->spi);
	for (i = 0; i < ESP_MAX_INTEG_KEY_LEN; i++)
		p->integ_key[i] = (uint8_t)(0x91 + 3 * i + d->spi);
	/* the outbound twin sends from the peer to us: same src/dst as received */
	memcpy(p->outer_src, d->af == 4 ? s4 : s6, d->af == 4 ? 4 : 16);
	memcpy(p->outer_dst, d->af == 4 ? d4 : d6, d->af == 4 ? 4 : 16);
	if (d->natt) {
		p->natt_sport = 4500;
		p->natt_dport = 4500;
	}
	/* ESN SAs start just below a 2^32 boundary so the high half is in play */
	if (d->esn)
		p->seq_start = 0xfffffff0u;
	p->hard_packets = 1000;
}

static void
sas_create(void)
{
	struct esp_sa_params p;
	unsigned i;

	for (i = 0; i < N_SA; i++) {
		params(&p, &defs[i], ESP_DIR_IN);
		if (esp_sa_create(&p, SOCKET_ID_ANY, &sa_in[i]) != 0 ||
		    esp_worker_sa_add(w, sa_in[i]) != 0)
			abort();
		params(&p, &defs[i], ESP_DIR_OUT);
		if (esp_sa_create(&p, SOCKET_ID_ANY, &sa_out[i]) != 0)
			abort();
	}
}

static void
sas_destroy(void)
{
	unsigned i;

	for (i = 0; i < N_SA; i++) {
		if (esp_worker_sa_del(w, defs[i].spi, ESP_DIR_IN) != sa_in[i])
			abort();
		esp_sa_destroy(sa_in[i]);
		esp_sa_destroy(sa_out[i]);
	}
}

/* At exit (before LeakSanitizer's check): free what Initialize made. */
static void
cleanup(void)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	esp_worker_destroy(w);
	rte_ring_free(evr);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	tu_eal_dir_remove(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char prefix[64];
	char *eal[] = { (*argv)[0], "--no-huge", "--no-pci", "-m", "128", "--file-prefix",
			prefix, "--no-shconf", "--log-level", "lib.eal:error", "--log-level",
			"rampart.*:error", "--no-telemetry" };

	(void)argc;
	save_dir = getenv("FUZZ_ESP_SAVE_DIR");
	snprintf(prefix, sizeof(prefix), "fuzz-esp-%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "EAL init failed: %s\n", rte_strerror(rte_errno));
		abort();
	}
	pool = rte_pktmbuf_pool_create("fuzz_esp_pool", POOL_SIZE, 0, 0,
				       SEG_DATA + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
	evr = rte_ring_create_elem("fuzz_esp_ev", sizeof(struct sa_event), 1024, SOCKET_ID_ANY,
				   RING_F_SC_DEQ);
	if (pool == NULL || evr == NULL || esp_worker_create(0, SOCKET_ID_ANY, evr, &w) != 0)
		abort();
	base_in_use = rte_mempool_in_use_count(pool);
	atexit(cleanup);
	return 0;
}

/* The outer packet @b of @len bytes in one mbuf, or two chained ones. */
static struct rte_mbuf *
mb_from(const uint8_t *b, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool), *m2;
	size_t first = len > SEG_DATA ? SEG_DATA : len;

	if (m == NULL)
		abort();
	if (first > 0)
		memcpy(rte_pktmbuf_append(m, (uint16_t)first), b, first);
	if (len > first) {
		size_t rest = len - first > SEG_DATA ? SEG_DATA : len - first;

		m2 = rte_pktmbuf_alloc(pool);
		if (m2 == NULL)
			abort();
		memcpy(rte_pktmbuf_append(m2, (uint16_t)rest), b + first, rest);
		if (rte_pktmbuf_chain(m, m2) != 0)
			abort();
	}
	return m;
}

/* Inner packet through the outbound twin of SA @k: a valid ESP packet or NULL. */
static struct rte_mbuf *
encap(unsigned k, const uint8_t *b, size_t len)
{
	struct rte_mbuf *m;
	struct esp_sa *s = sa_out[k];

	if (len > SEG_DATA - 128)
		len = SEG_DATA - 128;	/* leave room for the outer headers */
	m = mb_from(b, len);
	if (esp_out_burst(w, &s, &m, 1) != 1)
		return NULL;		/* refused (and freed) by the outbound path */
	return m;
}

static void
check_survivor(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	if (m->data_len < 20 || m->pkt_len != m->data_len)
		abort();
	if ((p[0] >> 4) != 4 && (p[0] >> 4) != 6)
		abort();
}

static void
run_burst(struct rte_mbuf **pkts, unsigned n)
{
	uint16_t i, ok = esp_in_burst(w, pkts, (uint16_t)n);

	if (ok > n)
		abort();
	for (i = 0; i < ok; i++) {
		check_survivor(pkts[i]);
		rte_pktmbuf_free(pkts[i]);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rte_mbuf *pkts[MAX_PKTS];
	struct sa_event ev;
	unsigned n = 0, burst_len, i;
	size_t pos = 0;

	sas_create();
	/* The last byte picks the burst size (1..64), so bursts vary too. */
	burst_len = size > 0 ? 1u + data[size - 1] % ESP_MAX_BURST : ESP_MAX_BURST;
	while (size - pos >= 3 && n + 2 <= MAX_PKTS) {
		uint8_t op = data[pos];
		size_t len = (size_t)data[pos + 1] | (size_t)data[pos + 2] << 8;
		const uint8_t *b = data + pos + 3;
		struct rte_mbuf *m;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		pos += len;
		if (!(op & 1)) {
			pkts[n++] = mb_from(b, len);
			continue;
		}
		m = encap((op >> 1) % N_SA, b, len);
		if (m == NULL)
			continue;
		if (save_dir != NULL)
			save_raw(m);
		if ((op & 0x20) && m->data_len > 0) {
			uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

			p[(len > 0 ? b[0] : 0u) % m->data_len] ^= 0x01;
		}
		pkts[n++] = m;
		if (op & 0x10) {
			struct rte_mbuf *dup = mb_from(rte_pktmbuf_mtod(m, const uint8_t *),
						       m->data_len);

			pkts[n++] = dup;
		}
	}
	for (i = 0; i < n; i += burst_len)
		run_burst(pkts + i, n - i < burst_len ? n - i : burst_len);
	while (rte_ring_dequeue_elem(evr, &ev, sizeof(ev)) == 0)
		;
	if (getenv("FUZZ_ESP_VERBOSE") != NULL) {
		struct esp_worker_stats st;

		esp_worker_stats_get(w, &st);
		fprintf(stderr, "in %" PRIu64 " out %" PRIu64 " drops:", st.in_packets,
			st.out_packets);
		for (i = 0; i < ESP_DROP__COUNT; i++)
			if (st.drops[i] != 0)
				fprintf(stderr, " %s %" PRIu64, esp_drop_names[i], st.drops[i]);
		fprintf(stderr, "\n");
	}
	sas_destroy();
	if (rte_mempool_in_use_count(pool) != base_in_use) {
		fprintf(stderr, "mbuf leak: %u in use, %u at start\n",
			rte_mempool_in_use_count(pool), base_in_use);
		abort();
	}
	return 0;
}
