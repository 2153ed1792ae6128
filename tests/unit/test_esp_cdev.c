/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CUnit tests of the cryptodev ESP backend (lib/esp/esp_cdev.c,
 * drivers/cdev.c) on the software vdevs crypto_aesni_mb0, crypto_aesni_gcm0
 * and crypto_openssl0 (EAL --no-huge --no-pci). For every device, algorithm
 * (AES-GCM 128/256, AES-CBC + HMAC-SHA-256/384/512), ESN on/off (numbers
 * crossing 2^32) and outer IPv4, or IPv6 + UDP 4500 (checksum after crypto):
 *   - encap of one burst of mixed sizes through the device is byte for byte
 *     the IPsec-MB path's output for the same SA and sequence numbers;
 *   - each path decapsulates the other's packets back to the cleartext;
 *   - tampered packets (ciphertext, ICV, sequence number) fail
 *     authentication through the device (ESP_DROP_ICV), and the untampered
 *     ones still pass afterwards;
 *   - with completions handed back in reverse order (fault injection), the
 *     results still land on the right packets, committed in packet order;
 *   - the device really did the work (its queue pair's counters).
 * Plus: a device that is missing is refused by name; an algorithm the device
 * lacks (AES-CBC on crypto_aesni_gcm) refuses the SA; an SA without a
 * session on the worker's device drops instead of passing cleartext.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "test_main.h"
#include "test_esp_alg.h"
#include "cdev.h"
#include "esp/esp.h"
#include "esp/esp_cdev.h"
#include "esp/esp_priv.h"

static struct rte_mempool *pool;
static char rundir[256];
static bool v6_natt;		/* outer IPv6 + UDP 4500 (checksum after the crypto) */

static const char *const devs[] = { "crypto_aesni_mb0", "crypto_aesni_gcm0", "crypto_openssl0" };

enum { NPKT = 48, SPI = 0x2345 };

static void
params_fill(struct esp_sa_params *p, uint8_t dir, enum alg a, bool esn)
{
	unsigned i;

	memset(p, 0, sizeof(*p));
	p->spi = SPI;
	p->dir = dir;
	p->esn = esn;
	p->outer_af = v6_natt ? 6 : 4;
	for (i = 0; i < ESP_MAX_KEY_LEN; i++)
		p->enc_key[i] = (uint8_t)(0x31 + i * 7);
	for (i = 0; i < ESP_MAX_INTEG_KEY_LEN; i++)
		p->integ_key[i] = (uint8_t)(0x92 + i * 11);
	/* the same endpoints both ways: inbound, outer_src is the peer the
	 * packets come from (NAT-T's peer check) */
	if (v6_natt) {
		static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
		static const uint8_t d6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };

		memcpy(p->outer_src, s6, 16);
		memcpy(p->outer_dst, d6, 16);
		p->natt_sport = 4500;
		p->natt_dport = 4500;
	} else {
		static const uint8_t s4[4] = { 192, 0, 2, 1 }, d4[4] = { 198, 51, 100, 7 };

		memcpy(p->outer_src, s4, 4);
		memcpy(p->outer_dst, d4, 4);
	}
	/* ESN: numbers cross 2^32 inside the burst (the high half is in the ICV) */
	p->seq_start = esn ? 0xffffffe0ull : 0;
	alg_set(p, a);
}

/* Cleartext IPv4/UDP packet number @i (sizes 28 .. ~1400 bytes, mixed). */
static struct rte_mbuf *
clear_pkt(unsigned i)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t len = (uint16_t)(28 + (i * 131) % 1373);
	uint8_t b[1500];
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)b;
	uint8_t *d;
	unsigned k;

	CU_ASSERT_FATAL(m != NULL);
	memset(b, 0, 28);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(len);
	ip->time_to_live = 64;
	ip->next_proto_id = 17;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001 + i);
	ip->dst_addr = rte_cpu_to_be_32(0x0a010001);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	b[20] = 0x30; b[21] = (uint8_t)i;
	b[22] = 0x13; b[23] = 0x89;
	b[24] = (uint8_t)((len - 20) >> 8); b[25] = (uint8_t)(len - 20);
	for (k = 28; k < len; k++)
		b[k] = (uint8_t)(k * 13 + i);
	d = (uint8_t *)rte_pktmbuf_append(m, len);
	CU_ASSERT_FATAL(d != NULL);
	memcpy(d, b, len);
	return m;
}

static struct rte_mbuf *
clone_pkt(const struct rte_mbuf *src)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;

	CU_ASSERT_FATAL(m != NULL);
	d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)src->data_len);
	CU_ASSERT_FATAL(d != NULL);
	memcpy(d, rte_pktmbuf_mtod(src, const void *), src->data_len);
	return m;
}

static bool
same_bytes(const struct rte_mbuf *a, const struct rte_mbuf *b)
{
	return a->data_len == b->data_len &&
	       memcmp(rte_pktmbuf_mtod(a, const void *), rte_pktmbuf_mtod(b, const void *),
		      a->data_len) == 0;
}

/* Decapsulated inner packet == cleartext, but for the TTL (-1) and checksum. */
static bool
inner_ok(const struct rte_mbuf *m, const struct rte_mbuf *clear)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	const uint8_t *c = rte_pktmbuf_mtod(clear, const uint8_t *);

	if (m->data_len != clear->data_len)
		return false;
	if (memcmp(p, c, 8) != 0 || p[8] != c[8] - 1 || p[9] != c[9] ||
	    memcmp(p + 12, c + 12, m->data_len - 12) != 0)
		return false;
	return rte_ipv4_cksum((const struct rte_ipv4_hdr *)p) == 0 ||
	       rte_raw_cksum(p, 20) == 0xffff;
}

static void
free_all(struct rte_mbuf **m, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		rte_pktmbuf_free(m[i]);
		m[i] = NULL;
	}
}

/* One worker per backend, both over one set of SAs. */
struct pair {
	struct cdev_ctx *cd;
	struct esp_worker *imb, *dev;
	struct esp_sa *out, *in_imb, *in_dev;
};

static int
pair_create(struct pair *pr, const char *dev, enum alg a, bool esn)
{
	const char *names[1] = { dev };
	struct esp_sa_params p;
	char err[256];
	int rc;

	memset(pr, 0, sizeof(*pr));
	rc = cdev_setup(names, 1, 1, 64, SOCKET_ID_ANY, &pr->cd, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "cdev_setup %s: %s\n", dev, err);
		return rc;
	}
	CU_ASSERT_FATAL(esp_worker_create(0, SOCKET_ID_ANY, NULL, &pr->imb) == 0);
	CU_ASSERT_FATAL(esp_worker_create(1, SOCKET_ID_ANY, NULL, &pr->dev) == 0);
	CU_ASSERT_FATAL(cdev_worker_attach(pr->cd, 0, pr->dev) == 0);
	CU_ASSERT(esp_worker_uses_cdev(pr->dev) && !esp_worker_uses_cdev(pr->imb));
	params_fill(&p, ESP_DIR_OUT, a, esn);
	rc = esp_sa_create(&p, SOCKET_ID_ANY, &pr->out);
	if (rc != 0)
		return rc;
	params_fill(&p, ESP_DIR_IN, a, esn);
	CU_ASSERT_FATAL(esp_sa_create(&p, SOCKET_ID_ANY, &pr->in_imb) == 0);
	CU_ASSERT_FATAL(esp_sa_create(&p, SOCKET_ID_ANY, &pr->in_dev) == 0);
	CU_ASSERT_FATAL(esp_worker_sa_add(pr->imb, pr->in_imb) == 0);
	CU_ASSERT_FATAL(esp_worker_sa_add(pr->dev, pr->in_dev) == 0);
	return 0;
}

static void
pair_destroy(struct pair *pr)
{
	if (pr->in_imb != NULL)
		esp_sa_destroy(esp_worker_sa_del(pr->imb, SPI, ESP_DIR_IN));
	if (pr->in_dev != NULL)
		esp_sa_destroy(esp_worker_sa_del(pr->dev, SPI, ESP_DIR_IN));
	esp_sa_destroy(pr->out);
	esp_worker_destroy(pr->imb);
	esp_worker_destroy(pr->dev);
	cdev_teardown(pr->cd);
	memset(pr, 0, sizeof(*pr));
}

static uint64_t
drops(struct esp_worker *w, enum esp_drop why)
{
	struct esp_worker_stats st;

	esp_worker_stats_get(w, &st);
	return st.drops[why];
}

/* Encap @n cleartexts (from sequence number @seq0 + 1) through @w into out[]. */
static uint16_t
encap(struct pair *pr, struct esp_worker *w, struct rte_mbuf *const clear[], unsigned n,
      uint64_t seq0, struct rte_mbuf *out[])
{
	struct esp_sa *sas[NPKT];
	unsigned i;

	pr->out->seq = seq0;		/* the same numbers for both paths */
	for (i = 0; i < n; i++) {
		out[i] = clone_pkt(clear[i]);
		sas[i] = pr->out;
	}
	return esp_out_burst(w, sas, out, (uint16_t)n);
}

static void
one_case(const char *dev, enum alg a, bool esn, bool reverse)
{
	struct rte_mbuf *clear[NPKT], *ea[NPKT], *eb[NPKT], *t[NPKT];
	struct esp_cdev_stats cs;
	struct pair pr;
	uint64_t seq0, icv0;
	unsigned i, bad = 0;
	uint16_t got, gotb;
	int rc;

	rc = pair_create(&pr, dev, a, esn);
	if (rc == -ENOTSUP && strncmp(dev, "crypto_aesni_gcm", 16) == 0 && a >= A_CBC128_SHA256) {
		/* refused as it must be: that PMD has AES-GCM only */
		CU_ASSERT(pr.out == NULL);
		pair_destroy(&pr);
		return;
	}
	CU_ASSERT_FATAL(rc == 0);
	seq0 = pr.out->seq;
	for (i = 0; i < NPKT; i++)
		clear[i] = clear_pkt(i);
	esp_cdev_test_reverse(reverse);

	/* encap: IPsec-MB path (a), cryptodev path (b), same SA and numbers */
	CU_ASSERT_FATAL(encap(&pr, pr.imb, clear, NPKT, seq0, ea) == NPKT);
	got = encap(&pr, pr.dev, clear, NPKT, seq0, eb);
	CU_ASSERT_FATAL(got == NPKT);
	for (i = 0; i < NPKT; i++)
		if (!same_bytes(ea[i], eb[i]))
			bad++;
	CU_ASSERT(bad == 0);
	if (bad != 0)
		fprintf(stderr, "%s %s esn=%d v6_natt=%d: %u of %u encaps differ\n", dev,
			alg_names[a], esn, v6_natt, bad, NPKT);

	/* tampered copies of the next packets through the device: ICV failures */
	CU_ASSERT_FATAL(encap(&pr, pr.imb, clear, 3, seq0 + NPKT, t) == 3);
	{
		uint8_t *p0 = rte_pktmbuf_mtod(t[0], uint8_t *);
		uint8_t *p1 = rte_pktmbuf_mtod(t[1], uint8_t *);
		uint8_t *p2 = rte_pktmbuf_mtod(t[2], uint8_t *);

		unsigned oh = pr.out->hdr_len;		/* outer IP (+ UDP) */

		p0[oh + 8 + pr.out->iv_len + 3] ^= 0x01;	/* ciphertext */
		p1[t[1]->data_len - 1] ^= 0x80;			/* ICV */
		p2[oh + 7] ^= 0x01;				/* sequence number */
	}
	icv0 = drops(pr.dev, ESP_DROP_ICV);
	CU_ASSERT(esp_in_burst(pr.dev, t, 3) == 0);
	CU_ASSERT(drops(pr.dev, ESP_DROP_ICV) == icv0 + 3);

	/* decap: each path takes the other's packets, in packet order */
	gotb = esp_in_burst(pr.imb, eb, NPKT);
	CU_ASSERT(gotb == NPKT);
	got = esp_in_burst(pr.dev, ea, NPKT);
	CU_ASSERT(got == NPKT);
	bad = 0;
	for (i = 0; i < got && i < gotb; i++)
		if (!inner_ok(ea[i], clear[i]) || !inner_ok(eb[i], clear[i]))
			bad++;
	CU_ASSERT(bad == 0);
	if (bad != 0)
		fprintf(stderr, "%s %s esn=%d reverse=%d: %u of %u decaps wrong\n", dev,
			alg_names[a], esn, reverse, bad, NPKT);
	free_all(ea, got);	/* the dropped ones were freed by lib/esp */
	free_all(eb, gotb);

	/* the untampered packets of the tampered numbers still pass */
	CU_ASSERT_FATAL(encap(&pr, pr.imb, clear, 3, seq0 + NPKT, t) == 3);
	got = esp_in_burst(pr.dev, t, 3);
	CU_ASSERT(got == 3);
	for (i = 0; i < got; i++)
		CU_ASSERT(inner_ok(t[i], clear[i]));
	free_all(t, got);

	/* a burst of good and tampered packets (every third): exactly the good
	 * ones come out, in packet order, each with its own cleartext */
	CU_ASSERT_FATAL(encap(&pr, pr.imb, clear, NPKT, seq0 + NPKT + 3, ea) == NPKT);
	for (i = 0; i < NPKT; i += 3)
		rte_pktmbuf_mtod(ea[i], uint8_t *)[ea[i]->data_len - 2] ^= 0x10;
	icv0 = drops(pr.dev, ESP_DROP_ICV);
	got = esp_in_burst(pr.dev, ea, NPKT);
	CU_ASSERT(got == NPKT - NPKT / 3);
	CU_ASSERT(drops(pr.dev, ESP_DROP_ICV) == icv0 + NPKT / 3);
	bad = 0;
	for (i = 0; i < got; i++)
		if (!inner_ok(ea[i], clear[i + i / 2 + 1]))	/* survivors: 1, 2, 4, 5, ... */
			bad++;
	CU_ASSERT(bad == 0);
	free_all(ea, got);

	esp_worker_cdev_stats_get(pr.dev, &cs);
	CU_ASSERT(cs.enqueued == (uint64_t)NPKT * 3 + 6);
	CU_ASSERT(cs.dequeued == cs.enqueued);
	CU_ASSERT(cs.op_errors == 0 && cs.no_ops == 0);
	esp_cdev_test_reverse(false);
	free_all(clear, NPKT);
	pair_destroy(&pr);
}

static void
run_matrix(bool reverse)
{
	unsigned d, a, e, o;

	for (o = 0; o < 2; o++) {
		v6_natt = o != 0;
		for (d = 0; d < RTE_DIM(devs); d++)
			for (a = 0; a < A__COUNT; a++)
				for (e = 0; e < 2; e++)
					one_case(devs[d], (enum alg)a, e != 0, reverse);
	}
	v6_natt = false;
}

static void
test_matrix(void)
{
	run_matrix(false);
}

static void
test_matrix_reversed_completions(void)
{
	run_matrix(true);
}

static void
test_missing_device(void)
{
	const char *n1[1] = { "crypto_nosuch0" };
	const char *n2[1] = { "0000:af:00.1" };
	const char *n3[2] = { "crypto_aesni_mb0", "crypto_aesni_mb0" };
	struct cdev_ctx *c = NULL;
	char err[256];

	CU_ASSERT(cdev_setup(n1, 1, 1, 16, SOCKET_ID_ANY, &c, err, sizeof(err)) == -ENODEV);
	CU_ASSERT(strstr(err, "crypto_nosuch0") != NULL);
	CU_ASSERT(cdev_setup(n2, 1, 1, 16, SOCKET_ID_ANY, &c, err, sizeof(err)) == -ENODEV);
	CU_ASSERT(strstr(err, "0000:af:00.1") != NULL);
	CU_ASSERT(cdev_setup(n3, 2, 1, 16, SOCKET_ID_ANY, &c, err, sizeof(err)) == -EINVAL);
	CU_ASSERT(c == NULL);
	CU_ASSERT(!esp_cdev_registered());
}

/* EAL arguments for configured devices: PCI ones allow-listed, software ones none. */
static void
test_eal_arg(void)
{
	char b[64];

	CU_ASSERT(cdev_eal_arg("0000:3d:01.0", b, sizeof(b)) == 0);
	CU_ASSERT_STRING_EQUAL(b, "-a0000:3d:01.0");
	CU_ASSERT(cdev_eal_arg("0000:3d:01.0_qat_sym", b, sizeof(b)) == 0);
	CU_ASSERT_STRING_EQUAL(b, "-a0000:3d:01.0");
	CU_ASSERT(cdev_eal_arg("crypto_aesni_mb0", b, sizeof(b)) == 0);
	CU_ASSERT_STRING_EQUAL(b, "");
	CU_ASSERT(cdev_eal_arg("0000:3d:01", b, sizeof(b)) == 0);	/* not an address */
	CU_ASSERT_STRING_EQUAL(b, "");
	CU_ASSERT(cdev_eal_arg("0000:3d:01.0", b, 8) == -ENAMETOOLONG);
}

/* An SA made before the device was registered has no session there: drop. */
static void
test_no_session_drops(void)
{
	const char *names[1] = { "crypto_aesni_mb0" };
	struct rte_mbuf *m[2];
	struct esp_sa_params p;
	struct esp_sa *sa, *sas[2];
	struct esp_worker *w;
	struct cdev_ctx *c;
	char err[256];
	uint64_t d0;

	params_fill(&p, ESP_DIR_OUT, A_GCM128, false);
	CU_ASSERT_FATAL(esp_sa_create(&p, SOCKET_ID_ANY, &sa) == 0);
	CU_ASSERT_FATAL(cdev_setup(names, 1, 1, 16, SOCKET_ID_ANY, &c, err, sizeof(err)) == 0);
	CU_ASSERT_FATAL(esp_worker_create(0, SOCKET_ID_ANY, NULL, &w) == 0);
	CU_ASSERT_FATAL(cdev_worker_attach(c, 0, w) == 0);
	m[0] = clear_pkt(1);
	m[1] = clear_pkt(2);
	sas[0] = sas[1] = sa;
	d0 = drops(w, ESP_DROP_MALFORMED);
	CU_ASSERT(esp_out_burst(w, sas, m, 2) == 0);
	CU_ASSERT(drops(w, ESP_DROP_MALFORMED) == d0 + 2);
	esp_sa_destroy(sa);
	esp_worker_destroy(w);
	cdev_teardown(c);
}

static const struct tu_test tests[] = {
	{ "missing_device_refused_by_name", test_missing_device },
	{ "eal_arg_pci_allow_list", test_eal_arg },
	{ "encap_equals_ipsecmb_decap_each_other_tamper_icv", test_matrix },
	{ "reversed_completions_commit_in_order", test_matrix_reversed_completions },
	{ "sa_without_session_drops", test_no_session_drops },
};

int
main(int argc, char **argv)
{
	char prefix[64];
	char *eal[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--file-prefix", prefix,
			"--no-shconf", "--log-level", "lib.eal:error", "--log-level",
			"rampart.esp:error", "--vdev", "crypto_aesni_mb0", "--vdev",
			"crypto_aesni_gcm0", "--vdev", "crypto_openssl0" };
	int fails;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "unit-esp-cdev-%d", (int)getpid());
	if (rte_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	pool = rte_pktmbuf_pool_create("cdev_t_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "mbuf pool failed\n");
		return 1;
	}
	tu_suite_tab("esp_cdev", NULL, NULL, tests, TU_N(tests));
	fails = tu_run();
	rte_mempool_free(pool);
	rte_eal_cleanup();
	tu_eal_dir_remove(rundir);
	return fails != 0;
}
