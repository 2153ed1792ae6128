/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf/esp-bench: ESP datapath throughput of one worker core, no NIC.
 *
 * Owns the measurement method. Cleartext IPv4/UDP packets are synthesised in
 * memory for each frame size (frame = Ethernet frame of the cleartext packet
 * with header and FCS, see bench_pkt.c) and pushed in bursts of BENCH_BURST
 * through ten variants, interleaved round by round so that a noisy
 * neighbour on this shared machine hits all of them alike:
 *
 *   rampart encap/decap with 1 SA, and with --sas SAs (100 000, round-robin),
 *   rampart-imb encap/decap (1 SA, the multi-packet GCM engine switched off:
 *   IPsec-MB only), librte_ipsec encap/decap (CPU_CRYPTO, 1 SA), raw
 *   IPsec-MB GCM, and raw-mgcm (the same raw work through the multi-packet
 *   engine, lib/crypto/cry_mgcm.h, one call per burst).
 *
 * Fairness rules, the same for every variant:
 *  - Each engine works in place on the same mbufs. Before every burst the
 *    packets are copied back from a template (the cleartext packet for encap,
 *    a pre-encrypted packet for decap) outside the timed region; the timer
 *    brackets only the engine call(s), so the copy is neither charged nor
 *    subtracted. The copy leaves the packet in cache, as DDIO would after a
 *    NIC's DMA, for all engines.
 *  - Decap templates: a ring of packets encapsulated once (untimed) with
 *    consecutive sequence numbers. A replay window rejects a packet seen
 *    before, so when an engine reaches the end of the ring its inbound SAs are
 *    reset (outside the timed region: Rampart recreates the SAs, librte_ipsec
 *    re-inits its SA) and the ring is replayed. Both keep a 1024-packet
 *    window and do the full replay check and update on every packet. When the
 *    self-check shows the two engines interoperate, both decapsulate the very
 *    same ring (made by Rampart).
 *  - Timed: rte_rdtsc() before and after each burst call, minus the measured
 *    cost of an empty timed region. Cycles are TSC cycles. A variant's figure
 *    is the mean over its bursts without those slower than 4x the median
 *    (descheduled), see bench_samples_cpp().
 *  - Raw GCM encrypts, in the same mbufs, exactly the bytes ESP encrypts for
 *    the frame, with the 8-byte AAD and 16-byte tag, one call per packet.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "test_eal.h"	/* tests/unit: the one EAL run-directory removal */
#include "bench.h"
#include "cdev.h"
#include "port.h"
#include "crypto/cry_mgcm.h"
#include "perf_common.h"

enum variant {
	V_RAM_ENC,
	V_RAM_DEC,
	V_LIP_ENC,
	V_LIP_DEC,
	V_RAW_GCM,
	V_RAM_ENC_MANY,
	V_RAM_DEC_MANY,
	V_RAW_MGCM,		/* raw-gcm's work through the multi-packet engine */
	V_RAM_ENC_IMB,		/* rampart with the engine off: IPsec-MB only */
	V_RAM_DEC_IMB,
	V_CDEV_MB_ENC,		/* rampart on the cryptodev backend, three vdevs */
	V_CDEV_MB_DEC,
	V_CDEV_GCM_ENC,
	V_CDEV_GCM_DEC,
	V_CDEV_OSSL_ENC,
	V_CDEV_OSSL_DEC,
	V__COUNT,
};

/* The cryptodev backend's devices (created by drivers/cdev.c; the *0
 * instances belong to librte_ipsec's CPU_CRYPTO sessions). */
enum { CDEV_MB, CDEV_GCM, CDEV_OSSL, CDEV__COUNT };
static const char *const cdev_names[CDEV__COUNT] = {
	"crypto_aesni_mb1", "crypto_aesni_gcm1", "crypto_openssl0",
};
static struct cdev_ctx *cdevs[CDEV__COUNT];

/* V_CDEV_*: which device, or -1 */
static int
v_cdev(enum variant v)
{
	return v >= V_CDEV_MB_ENC ? (int)(v - V_CDEV_MB_ENC) / 2 : -1;
}

static const char *const v_engine[V__COUNT] = {
	[V_RAM_ENC] = "rampart", [V_RAM_DEC] = "rampart",
	[V_LIP_ENC] = "librte_ipsec", [V_LIP_DEC] = "librte_ipsec",
	[V_RAW_GCM] = "raw-gcm",
	[V_RAM_ENC_MANY] = "rampart", [V_RAM_DEC_MANY] = "rampart",
	[V_RAW_MGCM] = "raw-mgcm",
	[V_RAM_ENC_IMB] = "rampart-imb", [V_RAM_DEC_IMB] = "rampart-imb",
	[V_CDEV_MB_ENC] = "cdev-aesni-mb", [V_CDEV_MB_DEC] = "cdev-aesni-mb",
	[V_CDEV_GCM_ENC] = "cdev-aesni-gcm", [V_CDEV_GCM_DEC] = "cdev-aesni-gcm",
	[V_CDEV_OSSL_ENC] = "cdev-openssl", [V_CDEV_OSSL_DEC] = "cdev-openssl",
};

static const bool v_decap[V__COUNT] = {
	[V_RAM_DEC] = true, [V_LIP_DEC] = true, [V_RAM_DEC_MANY] = true,
	[V_RAM_DEC_IMB] = true, [V_CDEV_MB_DEC] = true, [V_CDEV_GCM_DEC] = true,
	[V_CDEV_OSSL_DEC] = true,
};

static const bool v_many[V__COUNT] = {
	[V_RAM_ENC_MANY] = true, [V_RAM_DEC_MANY] = true,
};

enum {
	DEC_RING_ONE = 4096,		/* pre-encrypted packets of the 1-SA ring */
	DEFAULT_SAS = 100000,
};

struct opts {
	bool quick;
	unsigned sizes[BENCH_MAX_SIZES];
	unsigned n_sizes;
	bool alg_on[BENCH_ALG__COUNT];
	unsigned n_sa_many;
	unsigned rounds, bursts, warm;
	bool no_cdev;			/* --no-cdev: skip the cryptodev rows */
	bool no_huge;			/* --no-huge: 4 KB pages even if hugepages are free */
};

/*
 * A ring of pre-encrypted packets, all of one length (one cleartext packet,
 * one algorithm), stored back to back with a cache-line stride.
 */
struct dec_ring {
	uint8_t *buf;
	unsigned n;
	uint16_t len;
	size_t stride;
};

struct run {
	const struct opts *o;
	enum bench_alg alg;
	unsigned frame;
	struct rte_mempool *pool;
	struct rte_mbuf *slots[BENCH_SLOTS][BENCH_BURST];
	unsigned slot;
	struct bench_tpl clear;
	uint32_t esp_plen;		/* bytes ESP encrypts for this frame (GCM) */
	struct ram_ctx *ram_one, *ram_many;
	struct ram_ctx *ram_cdev[CDEV__COUNT];	/* 1 SA on each cryptodev */
	struct lip_sa *lip_out, *lip_in;
	struct raw_gcm *gcm;
	struct dec_ring ring_ram, ring_lip, ring_many;
	bool shared_ring;		/* ring_lip.buf == ring_ram.buf */
	unsigned pos[V__COUNT];
	uint64_t gcm_seq;
	struct bench_samples s[V__COUNT];
	bool enabled[V__COUNT];
};

/* Results of one (alg, frame), kept for the ratio table and the SUMMARY. */
struct result {
	bool valid;
	double cpp[V__COUNT];		/* 0: not measured */
};

static struct result results[BENCH_ALG__COUNT][BENCH_MAX_SIZES];
static unsigned n_errors;		/* failed self-checks and variants: exit 1 */
static volatile sig_atomic_t stop;	/* SIGINT/SIGTERM: finish the burst, clean up */
static double tsc_hz;

static void
usage(const char *prog)
{
	printf("usage: %s [--quick] [--sizes 64,128,...] [--algs a,b] [--sas N]\n"
	       "          [--rounds N] [--bursts N] [--warm N] [--spi random|seq]\n"
	       "          [--sa-order rr|random] [--no-cdev] [--no-huge]\n"
	       "          [-- EAL arguments]\n"
	       "spi: many-SA SPIs as rampartd draws them (random, default) or sequential\n"
	       "sa-order: packets visit the many SAs round robin (default) or shuffled\n"
	       "no-cdev: no rows of the cryptodev backend (cdev-*: rampart on\n"
	       "         crypto_aesni_mb1, crypto_aesni_gcm1, crypto_openssl0)\n"
	       "algs: aes128gcm, aes256gcm, aes128cbc-sha256 (default: all)\n"
	       "sizes: Ethernet frame bytes of the cleartext packet incl. FCS, %d..%d\n"
	       "       (default 64,128,256,512,1024,1420)\n"
	       "Without EAL arguments: -m 1024 --no-pci, a private file prefix, one lcore,\n"
	       "--vdev crypto_aesni_gcm0 --vdev crypto_aesni_mb0, and hugepages (--in-memory)\n"
	       "when 1100 MB of them are free, else (or with --no-huge) --no-huge, with the\n"
	       "mbuf pool packed across 4 KB pages (perf/README.md, \"Hugepages\").\n",
	       prog, BENCH_MIN_FRAME, BENCH_MAX_FRAME);
}

static int
parse_list_algs(struct opts *o, const char *arg)
{
	char buf[256], *tok, *save = NULL;
	unsigned a, n = 0;

	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, arg);
	memset(o->alg_on, 0, sizeof(o->alg_on));
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		for (a = 0; a < BENCH_ALG__COUNT; a++)
			if (strcmp(tok, bench_algs[a].name) == 0)
				break;
		if (a == BENCH_ALG__COUNT)
			return -EINVAL;
		o->alg_on[a] = true;
		n++;
	}
	return n > 0 ? 0 : -EINVAL;
}

/* Parses the benchmark's own options (before "--"); returns argc consumed. */
static int
parse_opts(struct opts *o, int argc, char **argv)
{
	static const unsigned def_sizes[] = { 64, 128, 256, 512, 1024, 1420 };
	/* in the order of enum bench_spi, and of bench_sa_shuffle false, true */
	static const char *const spi_modes[] = { "random", "seq", NULL };
	static const char *const sa_orders[] = { "rr", "random", NULL };
	unsigned a, rounds = 0, bursts = 0, warm = UINT_MAX;
	const struct perf_opt opts[] = {
		PERF_OPT_BOOL("quick", o->quick),
		PERF_OPT_ARG("sizes", 's'),
		PERF_OPT_ARG("algs", 'a'),
		PERF_OPT_NUM("sas", 2, 1000000, o->n_sa_many, NULL),
		PERF_OPT_NUM("rounds", 1, 1000, rounds, NULL),
		PERF_OPT_NUM("bursts", 1, 1000000, bursts, NULL),
		PERF_OPT_NUM("warm", 0, 1000, warm, NULL),
		PERF_OPT_CHOICE("spi", bench_spi_mode, spi_modes),
		PERF_OPT_CHOICE("sa-order", bench_sa_shuffle, sa_orders),
		PERF_OPT_BOOL("no-cdev", o->no_cdev),
		PERF_OPT_BOOL("no-huge", o->no_huge),
		PERF_OPT_FLAG("help", 'h'),
	};
	int c, n;

	memset(o, 0, sizeof(*o));
	memcpy(o->sizes, def_sizes, sizeof(def_sizes));
	o->n_sizes = RTE_DIM(def_sizes);
	for (a = 0; a < BENCH_ALG__COUNT; a++)
		o->alg_on[a] = true;
	o->n_sa_many = DEFAULT_SAS;
	/* "+": stop at the first non-option, so "--" separates the EAL arguments */
	while ((c = perf_getopt(argv[0], argc, argv, "+h", opts, RTE_DIM(opts))) != -1) {
		switch (c) {
		case 's':
			n = perf_parse_list(optarg, BENCH_MIN_FRAME, BENCH_MAX_FRAME, o->sizes,
					    BENCH_MAX_SIZES);
			if (n < 0)
				goto bad;
			o->n_sizes = (unsigned)n;
			break;
		case 'a':
			if (parse_list_algs(o, optarg) < 0)
				goto bad;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			goto bad;
		}
	}
	/*
	 * Many short rounds: a neighbour that shares this core (or its SMT
	 * sibling) for a few milliseconds then slows every variant alike.
	 * 40 x (60 + 4) bursts of 32 = 81 920 packets per variant, fewer than
	 * the 100 000-packet ring of the many-SA decap variant, so no SA is
	 * recreated during the default run.
	 */
	o->rounds = o->quick ? 10 : 40;
	o->bursts = o->quick ? 20 : 60;
	o->warm = o->quick ? 2 : 4;
	if (rounds != 0)
		o->rounds = rounds;
	if (bursts != 0)
		o->bursts = bursts;
	if (warm != UINT_MAX)
		o->warm = warm;
	return optind;
bad:
	usage(argv[0]);
	exit(2);
}

static char eal_prefix[64];

/* Hugepages in the default EAL arguments (else --no-huge): see usage(). */
static bool use_huge;

/* Default EAL arguments: hugepages if free (else none), no PCI, our own runtime directory. */
static int
eal_start(int argc, char **argv, const char *prog)
{
	char lcore[16];
	char *def[] = { (char *)(uintptr_t)prog, "-l", lcore, use_huge ? "--in-memory" : "--no-huge",
			"-m", "1024", "--no-pci", "--file-prefix", eal_prefix, "--vdev",
			"crypto_aesni_gcm0", "--vdev", "crypto_aesni_mb0", "--log-level", "error",
			NULL };
	cpu_set_t cs;
	int cpu, i;

	if (argc > 0)
		return rte_eal_init(argc, argv);
	cpu = 0;
	if (sched_getaffinity(0, sizeof(cs), &cs) == 0)
		for (i = 0; i < CPU_SETSIZE; i++)
			if (CPU_ISSET(i, &cs))
				cpu = i;
	snprintf(lcore, sizeof(lcore), "%d", cpu);
	snprintf(eal_prefix, sizeof(eal_prefix), "perf-bench-%d", (int)getpid());
	return rte_eal_init((int)RTE_DIM(def) - 1, def);
}

/* Remove /var/run/dpdk/<prefix> when we chose the prefix. */
static void
eal_dir_remove(void)
{
	char dir[PATH_MAX];

	if (eal_prefix[0] == '\0')
		return;
	snprintf(dir, sizeof(dir), "/var/run/dpdk/%s", eal_prefix);
	tu_eal_dir_remove(dir);
}

static void
on_signal(int sig __rte_unused)
{
	stop = 1;
}

static void
tsc_overhead_measure(void)
{
	uint64_t best = UINT64_MAX, t0, t1;
	unsigned i;

	for (i = 0; i < 10000; i++) {
		t0 = rte_rdtsc();
		rte_compiler_barrier();
		t1 = rte_rdtsc();
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	bench_tsc_overhead = best;
}

/* ---- decap rings ---- */

static void
ring_free(struct dec_ring *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/*
 * Fill @r with @n packets encapsulated (untimed) by Rampart (@ram) or by
 * librte_ipsec (@lip), from the cleartext template.
 */
static int
ring_fill(struct run *ru, struct dec_ring *r, unsigned n, struct ram_ctx *ram, struct lip_sa *lip)
{
	struct rte_mbuf *pk[BENCH_BURST];
	struct esp_sa *sas[BENCH_BURST];
	unsigned i, j, k = 0;
	uint16_t got = 0;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (rte_pktmbuf_alloc_bulk(ru->pool, pk, BENCH_BURST) < 0)
		return -ENOMEM;
	for (i = 0; i < n && rc == 0; i += k) {
		k = RTE_MIN((unsigned)BENCH_BURST, n - i);
		for (j = 0; j < k; j++)
			bench_tpl_load(pk[j], &ru->clear);
		if (ram != NULL) {
			ram_pick(ram, sas, (uint16_t)k);
			got = ram_encap(ram, sas, pk, (uint16_t)k);
		} else {
			got = lip_burst(lip, pk, (uint16_t)k);
		}
		if (got != k) {
			rc = -EIO;
			break;
		}
		if (r->buf == NULL) {
			r->len = (uint16_t)pk[0]->data_len;
			r->stride = RTE_ALIGN_CEIL((size_t)r->len, RTE_CACHE_LINE_SIZE);
			r->buf = malloc((size_t)n * r->stride);
			if (r->buf == NULL) {
				rc = -ENOMEM;
				break;
			}
			r->n = n;
		}
		for (j = 0; j < k; j++) {
			if (pk[j]->nb_segs != 1 || pk[j]->data_len != r->len) {
				rc = -EIO;
				break;
			}
			memcpy(r->buf + (i + j) * r->stride, rte_pktmbuf_mtod(pk[j], void *),
			       r->len);
		}
	}
	if (got == k) {
		rte_pktmbuf_free_bulk(pk, BENCH_BURST);
	} else {
		/* Rampart freed its drops; librte_ipsec moved them behind got */
		rte_pktmbuf_free_bulk(pk, ram != NULL ? got : k);
		if (k < BENCH_BURST)
			rte_pktmbuf_free_bulk(pk + k, BENCH_BURST - k);
	}
	if (rc < 0)
		ring_free(r);
	return rc;
}

/* ---- one burst of one variant ---- */

static int
inbound_reset(struct run *ru, enum variant v)
{
	switch (v) {
	case V_RAM_DEC:
	case V_RAM_DEC_IMB:
		return ram_ctx_reset_in(ru->ram_one);
	case V_RAM_DEC_MANY:
		return ram_ctx_reset_in(ru->ram_many);
	case V_LIP_DEC:
		return lip_sa_reset(ru->lip_in);
	case V_CDEV_MB_DEC:
	case V_CDEV_GCM_DEC:
	case V_CDEV_OSSL_DEC:
		return ram_ctx_reset_in(ru->ram_cdev[v_cdev(v)]);
	default:
		return 0;
	}
}

static struct dec_ring *
variant_ring(struct run *ru, enum variant v)
{
	switch (v) {
	case V_RAM_DEC:
	case V_RAM_DEC_IMB:
	case V_CDEV_MB_DEC:	/* rampart's packets, the same keys and SPI */
	case V_CDEV_GCM_DEC:
	case V_CDEV_OSSL_DEC:
		return &ru->ring_ram;
	case V_RAM_DEC_MANY:
		return &ru->ring_many;
	case V_LIP_DEC:
		return &ru->ring_lip;
	default:
		return NULL;
	}
}

/* Untimed part of a burst: reload the packets. */
static int
burst_prepare(struct run *ru, enum variant v, struct rte_mbuf **pk, struct esp_sa **sas)
{
	struct dec_ring *r;
	unsigned i;
	int rc;
	/* both engines of rampart decap walk one ring under one inbound SA */
	enum variant pv = v == V_RAM_DEC_IMB ? V_RAM_DEC : v;

	if (!v_decap[v]) {
		for (i = 0; i < BENCH_BURST; i++)
			bench_tpl_load(pk[i], &ru->clear);
		if (v == V_RAM_ENC || v == V_RAM_ENC_IMB)
			ram_pick(ru->ram_one, sas, BENCH_BURST);
		else if (v == V_RAM_ENC_MANY)
			ram_pick(ru->ram_many, sas, BENCH_BURST);
		else if (v_cdev(v) >= 0)
			ram_pick(ru->ram_cdev[v_cdev(v)], sas, BENCH_BURST);
		return 0;
	}
	r = variant_ring(ru, v);
	if (ru->pos[pv] + BENCH_BURST > r->n) {
		rc = inbound_reset(ru, v);
		if (rc < 0)
			return rc;
		ru->pos[pv] = 0;
	}
	for (i = 0; i < BENCH_BURST; i++)
		bench_data_load(pk[i], r->buf + (ru->pos[pv] + i) * r->stride, r->len);
	ru->pos[pv] += BENCH_BURST;
	return 0;
}

/* The timed call. Returns how many packets the engine passed. */
static inline uint16_t
burst_call(struct run *ru, enum variant v, struct rte_mbuf **pk, struct esp_sa **sas,
	   uint8_t **bufs)
{
	switch (v) {
	case V_RAM_ENC:
	case V_RAM_ENC_IMB:
		return ram_encap(ru->ram_one, sas, pk, BENCH_BURST);
	case V_RAM_ENC_MANY:
		return ram_encap(ru->ram_many, sas, pk, BENCH_BURST);
	case V_RAM_DEC:
	case V_RAM_DEC_IMB:
		return ram_decap(ru->ram_one, pk, BENCH_BURST);
	case V_RAM_DEC_MANY:
		return ram_decap(ru->ram_many, pk, BENCH_BURST);
	case V_CDEV_MB_ENC:
	case V_CDEV_GCM_ENC:
	case V_CDEV_OSSL_ENC:
		return ram_encap(ru->ram_cdev[v_cdev(v)], sas, pk, BENCH_BURST);
	case V_CDEV_MB_DEC:
	case V_CDEV_GCM_DEC:
	case V_CDEV_OSSL_DEC:
		return ram_decap(ru->ram_cdev[v_cdev(v)], pk, BENCH_BURST);
	case V_LIP_ENC:
		return lip_burst(ru->lip_out, pk, BENCH_BURST);
	case V_LIP_DEC:
		return lip_burst(ru->lip_in, pk, BENCH_BURST);
	case V_RAW_GCM:
		raw_gcm_enc_burst(ru->gcm, bufs, ru->esp_plen, BENCH_BURST, ru->gcm_seq);
		ru->gcm_seq += BENCH_BURST;
		return BENCH_BURST;
	case V_RAW_MGCM:
		raw_mgcm_enc_burst(ru->gcm, bufs, ru->esp_plen, BENCH_BURST, ru->gcm_seq);
		ru->gcm_seq += BENCH_BURST;
		return BENCH_BURST;
	default:
		return 0;
	}
}

/* After a short burst: Rampart freed its drops, librte_ipsec kept them. */
static void
burst_repair(struct run *ru, enum variant v, struct rte_mbuf **pk, uint16_t got)
{
	uint16_t i;

	if (v == V_LIP_ENC || v == V_LIP_DEC || v == V_RAW_GCM || v == V_RAW_MGCM)
		return;
	for (i = got; i < BENCH_BURST; i++)
		pk[i] = rte_pktmbuf_alloc(ru->pool);
}

static void
variant_run(struct run *ru, enum variant v, unsigned n, bool record)
{
	struct bench_samples *s = &ru->s[v];
	struct esp_sa *sas[BENCH_BURST];
	uint8_t *bufs[BENCH_BURST];
	struct rte_mbuf **pk;
	uint64_t t0, t1;
	unsigned b, i;
	uint16_t got;
	enum cry_mgcm_mode mode = cry_mgcm_mode();

	if (v == V_RAM_ENC_IMB || v == V_RAM_DEC_IMB)
		cry_mgcm_set_mode(CRY_MGCM_OFF);
	for (b = 0; b < n && !s->failed && !stop; b++) {
		pk = ru->slots[ru->slot];
		if (++ru->slot == BENCH_SLOTS)
			ru->slot = 0;
		if (burst_prepare(ru, v, pk, sas) < 0) {
			fprintf(stderr, "esp-bench: %s %s: inbound SA reset failed\n",
				bench_algs[ru->alg].name, v_engine[v]);
			s->failed = true;
			break;
		}
		for (i = 0; i < BENCH_BURST; i++)
			bufs[i] = rte_pktmbuf_mtod(pk[i], uint8_t *);
		t0 = rte_rdtsc();
		got = burst_call(ru, v, pk, sas, bufs);
		t1 = rte_rdtsc();
		if (unlikely(got != BENCH_BURST)) {
			fprintf(stderr, "esp-bench: %s %u B %s %s%s: %u of %u packets passed\n",
				bench_algs[ru->alg].name, ru->frame, v_engine[v],
				v_decap[v] ? "decap" : "encap", v_many[v] ? " (many SAs)" : "",
				got, BENCH_BURST);
			if (v == V_RAM_ENC || v == V_RAM_DEC || v == V_RAM_ENC_IMB ||
			    v == V_RAM_DEC_IMB)
				ram_drops_print(ru->ram_one, stderr);
			else if (v == V_RAM_ENC_MANY || v == V_RAM_DEC_MANY)
				ram_drops_print(ru->ram_many, stderr);
			else if (v_cdev(v) >= 0)
				ram_drops_print(ru->ram_cdev[v_cdev(v)], stderr);
			burst_repair(ru, v, pk, got);
			s->failed = true;
			n_errors++;
			break;
		}
		if (record && s->n < s->cap)
			s->cyc[s->n++] = t1 - t0 > bench_tsc_overhead ?
					 t1 - t0 - bench_tsc_overhead : 0;
	}
	cry_mgcm_set_mode(mode);
}

/* ---- self-check: do the engines produce and accept each other's ESP? ---- */

/*
 * The decapsulated inner packet equals the cleartext one, except that a
 * forwarding engine may decrement the inner TTL (and fix the checksum):
 * Rampart does, librte_ipsec does not. Bytes 8 (TTL), 10 and 11 (checksum)
 * are therefore compared separately, and the checksum must still be valid.
 */
static bool
inner_equal(const struct rte_mbuf *m, const struct bench_tpl *t)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

	if (m->pkt_len != t->len || t->len < 20)
		return false;
	if (memcmp(p, t->data, 8) != 0 || p[9] != t->data[9] ||
	    memcmp(p + 12, t->data + 12, t->len - 12) != 0)
		return false;
	if (p[8] != t->data[8] && p[8] != t->data[8] - 1)
		return false;
	return rte_ipv4_cksum((const struct rte_ipv4_hdr *)p) == 0 ||
	       rte_raw_cksum(p, 20) == 0xffff;
}

static const char *
ok_str(bool ok)
{
	if (!ok)
		n_errors++;
	return ok ? "ok" : "FAILED";
}

/* One packet through a Rampart or librte_ipsec SA; true if it passed. */
static bool
chk_one(struct run *ru, struct rte_mbuf **mp, const struct bench_tpl *in, struct ram_ctx *ram,
	bool encap, struct lip_sa *lip)
{
	struct esp_sa *sa1[1];
	uint16_t got;

	bench_tpl_load(*mp, in);
	if (lip != NULL)
		return lip_burst(lip, mp, 1) == 1;
	if (encap) {
		ram_pick(ram, sa1, 1);
		got = ram_encap(ram, sa1, mp, 1);
	} else {
		got = ram_decap(ram, mp, 1);
	}
	if (got == 1)
		return true;
	ram_drops_print(ram, stderr);
	*mp = rte_pktmbuf_alloc(ru->pool);	/* Rampart freed the dropped one */
	return false;
}

/*
 * On fresh SAs (sequence number 1 for both engines): encapsulate one packet
 * with each engine, check librte_ipsec's ESP against an IPsec-MB reference
 * (GCM), compare the two engines' ESP bytes (GCM: identical when both use
 * IV = sequence number; CBC IVs differ by design), and decapsulate each
 * engine's packet with both. Sets ru->shared_ring when the engines accept
 * each other's packets.
 */
static void
self_check(struct run *ru)
{
	struct bench_tpl lp, rp;
	struct rte_mbuf *m;
	struct ram_ctx *ram = NULL;
	struct lip_sa *lo = NULL, *li = NULL;
	bool lp_ok = false, rp_ok = false, lip_ref = false, same = false;
	bool lip_rt = false, ram_rt = false, r2l = false, l2r = false;
	const unsigned oh = 20;		/* outer IPv4 header: ESP starts after it */
	struct bench_keys k;

	ru->shared_ring = false;
	m = rte_pktmbuf_alloc(ru->pool);
	if (m == NULL)
		return;
	bench_keys_init(&k, 0);
	if (ru->enabled[V_LIP_ENC] &&
	    (lip_sa_create(ru->alg, &k, BENCH_SPI_BASE, true, &lo) < 0 ||
	     lip_sa_create(ru->alg, &k, BENCH_SPI_BASE, false, &li) < 0))
		goto out;
	if (ru->enabled[V_RAM_ENC] && ram_ctx_create(ru->alg, 1, &ram) < 0)
		goto out;

	if (lo != NULL) {
		lp_ok = chk_one(ru, &m, &ru->clear, NULL, true, lo) && bench_tpl_save(&lp, m) == 0;
		if (lp_ok && ru->gcm != NULL)
			lip_ref = raw_gcm_check_esp(ru->gcm, lp.data + oh, lp.len - oh,
						    ru->clear.data, ru->clear.len) == 0;
		if (lp_ok && m != NULL)
			lip_rt = chk_one(ru, &m, &lp, NULL, false, li) &&
				 inner_equal(m, &ru->clear);
		lip_sa_reset(li);
		printf("# self-check %s %u B: librte_ipsec encap->decap %s",
		       bench_algs[ru->alg].name, ru->frame, ok_str(lip_rt));
		if (ru->gcm != NULL)
			printf(", librte_ipsec ESP == IPsec-MB GCM reference %s", ok_str(lip_ref));
		printf("\n");
	}
	if (ram != NULL && m != NULL) {
		rp_ok = chk_one(ru, &m, &ru->clear, ram, true, NULL) && bench_tpl_save(&rp, m) == 0;
		if (rp_ok && m != NULL)
			ram_rt = chk_one(ru, &m, &rp, ram, false, NULL) &&
				 inner_equal(m, &ru->clear);
		ram_ctx_reset_in(ram);
		if (lp_ok && rp_ok)
			same = lp.len == rp.len &&
			       memcmp(lp.data + oh, rp.data + oh, lp.len - oh) == 0;
		if (rp_ok && li != NULL && m != NULL)
			r2l = chk_one(ru, &m, &rp, NULL, false, li) && inner_equal(m, &ru->clear);
		if (lp_ok && m != NULL)
			l2r = chk_one(ru, &m, &lp, ram, false, NULL) && inner_equal(m, &ru->clear);
		printf("# self-check %s %u B: rampart encap->decap %s", bench_algs[ru->alg].name,
		       ru->frame, ok_str(ram_rt));
		if (lo != NULL) {
			if (ru->gcm != NULL)
				printf(", rampart ESP == librte_ipsec ESP %s", ok_str(same));
			printf(", rampart->librte_ipsec %s, librte_ipsec->rampart %s", ok_str(r2l),
			       ok_str(l2r));
		}
		printf("\n");
	}
	ru->shared_ring = r2l && l2r;
out:
	ram_ctx_destroy(ram);
	lip_sa_destroy(lo);
	lip_sa_destroy(li);
	rte_pktmbuf_free(m);
}

/*
 * The cryptodev backend on device @d: its encap decapsulates through its own
 * inbound SA and through rampart's IPsec-MB path (same keys and SPI), to
 * the cleartext. Its decap rows then take rampart's ring (checked packet by
 * packet while measured). Inbound SAs are reset afterwards.
 */
static int
self_check_cdev(struct run *ru, unsigned d)
{
	struct ram_ctx *cd = ru->ram_cdev[d];
	struct rte_mbuf *m = rte_pktmbuf_alloc(ru->pool);
	bool enc_ok, own = false, imb = false;
	struct bench_tpl e;

	if (m == NULL)
		return -1;
	/* the inbound SAs' windows stand where the last decap rows left them */
	ram_ctx_reset_in(cd);
	if (ru->ram_one != NULL)
		ram_ctx_reset_in(ru->ram_one);
	enc_ok = chk_one(ru, &m, &ru->clear, cd, true, NULL) && bench_tpl_save(&e, m) == 0;
	if (enc_ok && m != NULL)
		own = chk_one(ru, &m, &e, cd, false, NULL) && inner_equal(m, &ru->clear);
	if (enc_ok && m != NULL && ru->ram_one != NULL)
		imb = chk_one(ru, &m, &e, ru->ram_one, false, NULL) && inner_equal(m, &ru->clear);
	ram_ctx_reset_in(cd);
	if (ru->ram_one != NULL)
		ram_ctx_reset_in(ru->ram_one);
	printf("# self-check %s %u B: %s encap->decap %s", bench_algs[ru->alg].name, ru->frame,
	       cdev_names[d], ok_str(own));
	printf(", %s->rampart (IPsec-MB) %s\n", cdev_names[d], ok_str(imb));
	rte_pktmbuf_free(m);
	return own && imb ? 0 : -1;
}

/* ---- one (alg, frame) ---- */

static void
run_one(struct run *ru, struct result *res)
{
	enum variant order[V__COUNT];
	unsigned r, i, nv = 0, many_ring;
	const struct opts *o = ru->o;
	int rc;

	bench_clear_build(&ru->clear, ru->frame);
	ru->esp_plen = (ru->clear.len + 2 + 3) & ~3u;
	memset(ru->pos, 0, sizeof(ru->pos));

	self_check(ru);

	/* decap rings: Rampart's packets for both engines when they interoperate */
	if (ru->enabled[V_RAM_DEC]) {
		rc = ring_fill(ru, &ru->ring_ram, DEC_RING_ONE, ru->ram_one, NULL);
		if (rc < 0)
			ru->enabled[V_RAM_DEC] = false;
	}
	if (ru->enabled[V_LIP_DEC]) {
		if (ru->shared_ring && ru->ring_ram.buf != NULL) {
			ru->ring_lip = ru->ring_ram;
		} else {
			rc = ring_fill(ru, &ru->ring_lip, DEC_RING_ONE, NULL, ru->lip_out);
			if (rc < 0)
				ru->enabled[V_LIP_DEC] = false;
		}
	}
	if (ru->enabled[V_RAM_DEC_MANY]) {
		/* one packet per SA, round-robin, as many as the run uses */
		many_ring = (o->rounds * (o->bursts + o->warm) + 1) * BENCH_BURST;
		many_ring = RTE_MIN(many_ring, RTE_ALIGN_CEIL(o->n_sa_many, BENCH_BURST));
		rc = ring_fill(ru, &ru->ring_many, many_ring, ru->ram_many, NULL);
		if (rc < 0)
			ru->enabled[V_RAM_DEC_MANY] = false;
		else
			ram_ctx_reset_in(ru->ram_many);
	}
	if (!ru->enabled[V_RAM_DEC])
		ru->enabled[V_RAM_DEC_IMB] = false;
	if (ru->ring_ram.buf != NULL)
		ram_ctx_reset_in(ru->ram_one);
	for (i = 0; i < CDEV__COUNT; i++) {
		if (ru->ring_ram.buf == NULL)
			ru->enabled[V_CDEV_MB_DEC + 2 * i] = false;
		if (ru->ram_cdev[i] != NULL && self_check_cdev(ru, i) != 0)
			ru->enabled[V_CDEV_MB_ENC + 2 * i] = ru->enabled[V_CDEV_MB_DEC + 2 * i] =
				false;
	}
	if (ru->ring_lip.buf != NULL)
		lip_sa_reset(ru->lip_in);

	for (i = 0; i < V__COUNT; i++) {
		if (ru->enabled[i])
			order[nv++] = (enum variant)i;
		bench_samples_init(&ru->s[i], o->rounds * o->bursts);
	}
	for (r = 0; r < o->rounds && !stop; r++) {
		for (i = 0; i < nv; i++) {
			enum variant v = order[(i + r) % nv];

			variant_run(ru, v, o->warm, false);
			variant_run(ru, v, o->bursts, true);
		}
	}
	res->valid = true;
	for (i = 0; i < V__COUNT; i++) {
		res->cpp[i] = ru->enabled[i] ? bench_samples_cpp(&ru->s[i]) : 0;
		bench_samples_fini(&ru->s[i]);
	}
	if (ru->ring_lip.buf == ru->ring_ram.buf)
		memset(&ru->ring_lip, 0, sizeof(ru->ring_lip));
	ring_free(&ru->ring_ram);
	ring_free(&ru->ring_lip);
	ring_free(&ru->ring_many);
}

static double
mpps(double cpp)
{
	return cpp > 0 ? tsc_hz / cpp / 1e6 : 0;
}

static double
gbps(double cpp, unsigned frame)
{
	return mpps(cpp) * frame * 8 / 1000;
}

static void
print_row(const char *alg, unsigned frame, unsigned sas, const char *engine, const char *dir,
	  double cpp)
{
	char sa_str[16];

	if (sas == 0)
		snprintf(sa_str, sizeof(sa_str), "-");
	else
		snprintf(sa_str, sizeof(sa_str), "%u", sas);
	if (cpp > 0)
		printf("%-17s %5u %7s  %-13s %-6s %8.3f %8.3f %9.1f\n", alg, frame, sa_str, engine,
		       dir, mpps(cpp), gbps(cpp, frame), cpp);
	else
		printf("%-17s %5u %7s  %-13s %-6s %8s %8s %9s\n", alg, frame, sa_str, engine, dir,
		       "-", "-", "-");
}

static void
print_results(const char *alg, unsigned frame, const struct result *res, unsigned n_many)
{
	static const enum variant rows[] = {
		V_RAM_ENC, V_RAM_ENC_IMB, V_LIP_ENC, V_RAW_GCM, V_RAW_MGCM, V_RAM_ENC_MANY,
		V_RAM_DEC, V_RAM_DEC_IMB, V_LIP_DEC, V_RAM_DEC_MANY,
		V_CDEV_MB_ENC, V_CDEV_GCM_ENC, V_CDEV_OSSL_ENC,
		V_CDEV_MB_DEC, V_CDEV_GCM_DEC, V_CDEV_OSSL_DEC,
	};
	unsigned i;

	for (i = 0; i < RTE_DIM(rows); i++) {
		enum variant v = rows[i];

		bool raw = v == V_RAW_GCM || v == V_RAW_MGCM;

		if ((raw || v == V_RAM_ENC_IMB || v == V_RAM_DEC_IMB || v_cdev(v) >= 0) &&
		    res->cpp[v] == 0)
			continue;
		print_row(alg, frame, raw ? 0 : v_many[v] ? n_many : 1, v_engine[v],
			  raw ? "enc" : v_decap[v] ? "decap" : "encap", res->cpp[v]);
	}
	fflush(stdout);
}

/* a / b of throughputs (= b / a of cycles), or NAN if either is missing. */
static double
ratio(double cpp_a, double cpp_b)
{
	return cpp_a > 0 && cpp_b > 0 ? cpp_b / cpp_a : -1;
}

static void
print_ratio(double r)
{
	if (r < 0)
		printf(" %12s", "-");
	else
		printf(" %12.2f", r);
}

static void
summary_field(const char *name, double r, bool last)
{
	if (r < 0)
		printf("%s=n/a%s", name, last ? "\n" : " ");
	else
		printf("%s=%.2f%s", name, r, last ? "\n" : " ");
}

static int
size_index(const struct opts *o, unsigned frame)
{
	unsigned i;

	for (i = 0; i < o->n_sizes; i++)
		if (o->sizes[i] == frame)
			return (int)i;
	return -1;
}

static void
print_ratios_and_summary(const struct opts *o)
{
	const struct result *r;
	double e64 = -1, e1420 = -1, d64 = -1, m64 = -1, g64 = -1, imb64 = -1;
	unsigned a, i;
	int i64 = size_index(o, 64), i1420 = size_index(o, 1420);

	printf("\n# ratios within this run (throughput of the first over the second)\n");
	printf("%-17s %5s %12s %12s %12s %12s %12s %12s %12s %12s\n", "alg", "frame",
	       "enc/librte", "dec/librte", "enc/raw-gcm", "enc many/1", "dec many/1",
	       "mgcm/raw-gcm", "enc/enc-imb", "dec/dec-imb");
	for (a = 0; a < BENCH_ALG__COUNT; a++) {
		for (i = 0; i < o->n_sizes; i++) {
			r = &results[a][i];
			if (!r->valid)
				continue;
			printf("%-17s %5u", bench_algs[a].name, o->sizes[i]);
			print_ratio(ratio(r->cpp[V_RAM_ENC], r->cpp[V_LIP_ENC]));
			print_ratio(ratio(r->cpp[V_RAM_DEC], r->cpp[V_LIP_DEC]));
			print_ratio(ratio(r->cpp[V_RAM_ENC], r->cpp[V_RAW_GCM]));
			print_ratio(ratio(r->cpp[V_RAM_ENC_MANY], r->cpp[V_RAM_ENC]));
			print_ratio(ratio(r->cpp[V_RAM_DEC_MANY], r->cpp[V_RAM_DEC]));
			print_ratio(ratio(r->cpp[V_RAW_MGCM], r->cpp[V_RAW_GCM]));
			print_ratio(ratio(r->cpp[V_RAM_ENC], r->cpp[V_RAM_ENC_IMB]));
			print_ratio(ratio(r->cpp[V_RAM_DEC], r->cpp[V_RAM_DEC_IMB]));
			printf("\n");
		}
	}
	printf("\n# cryptodev backend vs rampart's IPsec-MB path, same run (throughput of the "
	       "cdev row over the rampart row; 1 SA)\n");
	printf("%-17s %5s %12s %12s %12s %12s %12s %12s\n", "alg", "frame", "enc mb/imb",
	       "dec mb/imb", "enc gcm/imb", "dec gcm/imb", "enc ossl/imb", "dec ossl/imb");
	for (a = 0; a < BENCH_ALG__COUNT; a++) {
		for (i = 0; i < o->n_sizes; i++) {
			unsigned d;

			r = &results[a][i];
			if (!r->valid)
				continue;
			printf("%-17s %5u", bench_algs[a].name, o->sizes[i]);
			for (d = 0; d < CDEV__COUNT; d++) {
				print_ratio(ratio(r->cpp[V_CDEV_MB_ENC + 2 * d], r->cpp[V_RAM_ENC]));
				print_ratio(ratio(r->cpp[V_CDEV_MB_DEC + 2 * d], r->cpp[V_RAM_DEC]));
			}
			printf("\n");
		}
	}
	if (i64 >= 0 && results[BENCH_AES128_GCM][i64].valid) {
		r = &results[BENCH_AES128_GCM][i64];
		e64 = ratio(r->cpp[V_RAM_ENC], r->cpp[V_LIP_ENC]);
		d64 = ratio(r->cpp[V_RAM_DEC], r->cpp[V_LIP_DEC]);
		m64 = ratio(r->cpp[V_RAM_ENC_MANY], r->cpp[V_RAM_ENC]);
		/* cycles of the engine over IPsec-MB's for the same raw work */
		g64 = r->cpp[V_RAW_MGCM] > 0 && r->cpp[V_RAW_GCM] > 0 ?
			      r->cpp[V_RAW_MGCM] / r->cpp[V_RAW_GCM] : -1;
		imb64 = ratio(r->cpp[V_RAM_ENC], r->cpp[V_RAM_ENC_IMB]);
	}
	if (i1420 >= 0 && results[BENCH_AES128_GCM][i1420].valid) {
		r = &results[BENCH_AES128_GCM][i1420];
		e1420 = ratio(r->cpp[V_RAM_ENC], r->cpp[V_RAW_GCM]);
	}
	printf("\n# targets (aes128gcm): encap 64 B >= 1.50x librte_ipsec: %s; "
	       "encap 1420 B >= 0.95x raw GCM: %s; %u SAs >= 0.80x 1 SA: %s\n",
	       e64 < 0 ? "n/a" : e64 >= 1.5 ? "met" : "NOT met",
	       e1420 < 0 ? "n/a" : e1420 >= 0.95 ? "met" : "NOT met", o->n_sa_many,
	       m64 < 0 ? "n/a" : m64 >= 0.8 ? "met" : "NOT met");
	printf("# targets (aes128gcm 64 B): multi-packet GCM cycles <= 0.60x IPsec-MB's: %s\n",
	       g64 < 0 ? "n/a" : g64 <= 0.6 ? "met" : "NOT met");
	printf("SUMMARY ");
	summary_field("encap64_vs_librte_ipsec", e64, false);
	summary_field("encap1420_vs_raw_gcm", e1420, false);
	summary_field("decap64_vs_librte_ipsec", d64, false);
	summary_field("sa100k_vs_sa1", m64, false);
	summary_field("mgcm64_cycles_vs_ipsecmb", g64, false);
	summary_field("encap64_vs_ipsecmb_only", imb64, true);
}

/* Engines of one algorithm, shared by all frame sizes. */
static int
alg_setup(struct run *ru, enum bench_alg alg)
{
	const struct opts *o = ru->o;
	struct bench_keys k;
	unsigned i;
	int rc;

	memset(ru->enabled, 0, sizeof(ru->enabled));
	ru->alg = alg;
	bench_keys_init(&k, 0);
	rc = ram_ctx_create(alg, 1, &ru->ram_one);
	if (rc < 0) {
		fprintf(stderr, "esp-bench: %s: rampart SA setup: %s\n", bench_algs[alg].name,
			strerror(-rc));
		n_errors++;
	} else {
		ru->enabled[V_RAM_ENC] = ru->enabled[V_RAM_DEC] = true;
	}
	/* --quick: the many-SA rows (slow to set up) only where SUMMARY needs them */
	if (o->quick && alg != BENCH_AES128_GCM)
		rc = 0;
	else
		rc = ram_ctx_create(alg, o->n_sa_many, &ru->ram_many);
	if (rc < 0) {
		fprintf(stderr, "esp-bench: %s: rampart %u SAs setup: %s\n",
			bench_algs[alg].name, o->n_sa_many, strerror(-rc));
		n_errors++;
	} else if (ru->ram_many != NULL) {
		ru->enabled[V_RAM_ENC_MANY] = ru->enabled[V_RAM_DEC_MANY] = true;
	}
	if (lip_alg_supported(alg)) {
		rc = lip_sa_create(alg, &k, BENCH_SPI_BASE, true, &ru->lip_out);
		if (rc == 0)
			rc = lip_sa_create(alg, &k, BENCH_SPI_BASE, false, &ru->lip_in);
		if (rc < 0) {
			fprintf(stderr, "esp-bench: %s: librte_ipsec SA setup: %s\n",
				bench_algs[alg].name, strerror(-rc));
			n_errors++;
		} else {
			ru->enabled[V_LIP_ENC] = ru->enabled[V_LIP_DEC] = true;
		}
	}
	if (bench_algs[alg].gcm) {
		rc = raw_gcm_create(alg, &k, &ru->gcm);
		if (rc == 0)
			ru->enabled[V_RAW_GCM] = true;
		/* the multi-packet engine next to IPsec-MB, raw and in rampart */
		if (rc == 0 && cry_mgcm_isa() != CRY_MGCM_ISA_NONE)
			ru->enabled[V_RAW_MGCM] = true;
		if (ru->enabled[V_RAM_ENC] && cry_mgcm_isa() != CRY_MGCM_ISA_NONE)
			ru->enabled[V_RAM_ENC_IMB] = ru->enabled[V_RAM_DEC_IMB] = true;
	}
	for (i = 0; i < CDEV__COUNT; i++) {
		if (cdevs[i] == NULL)
			continue;
		rc = ram_ctx_create_cdev(alg, 1, cdevs[i], &ru->ram_cdev[i]);
		if (rc == -ENOTSUP) {
			printf("# %s: %s lacks the algorithm (no rows)\n", bench_algs[alg].name,
			       cdev_names[i]);
		} else if (rc < 0) {
			fprintf(stderr, "esp-bench: %s: %s SA setup: %s\n", bench_algs[alg].name,
				cdev_names[i], strerror(-rc));
			n_errors++;
		} else {
			ru->enabled[V_CDEV_MB_ENC + 2 * i] = ru->enabled[V_CDEV_MB_DEC + 2 * i] = true;
		}
	}
	return 0;
}

static void
alg_teardown(struct run *ru)
{
	unsigned i;

	ram_ctx_destroy(ru->ram_one);
	ram_ctx_destroy(ru->ram_many);
	lip_sa_destroy(ru->lip_out);
	lip_sa_destroy(ru->lip_in);
	raw_gcm_destroy(ru->gcm);
	for (i = 0; i < CDEV__COUNT; i++) {
		ram_ctx_destroy(ru->ram_cdev[i]);
		ru->ram_cdev[i] = NULL;
	}
	ru->ram_one = ru->ram_many = NULL;
	ru->lip_out = ru->lip_in = NULL;
	ru->gcm = NULL;
}

int
main(int argc, char **argv)
{
	static struct run ru;
	struct opts o;
	int used, eal_argc, rc = 0;
	unsigned a, i, j;
	char **eal_argv;

	used = parse_opts(&o, argc, argv);
	/* anything after "--" goes to EAL (getopt stepped over the "--") */
	eal_argc = 0;
	eal_argv = NULL;
	if (used > 1 && strcmp(argv[used - 1], "--") == 0 && used < argc) {
		eal_argv = argv + used - 1;
		eal_argv[0] = argv[0];
		eal_argc = argc - used + 1;
	} else if (used < argc) {
		usage(argv[0]);
		return 2;
	}
	use_huge = !o.no_huge && perf_hugepages_free_mb() >= 1100;
	if (eal_start(eal_argc, eal_argv, argv[0]) < 0) {
		fprintf(stderr, "esp-bench: EAL init failed\n");
		return 1;
	}
	/* after EAL init (which installs no handlers of its own for these) */
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	tsc_hz = (double)rte_get_tsc_hz();
	tsc_overhead_measure();
	ru.o = &o;
	ru.pool = port_pktmbuf_pool_create("perf_mbufs", 1023, 0, 0, BENCH_MBUF_ROOM,
					  (int)rte_socket_id());
	if (ru.pool == NULL) {
		fprintf(stderr, "esp-bench: mbuf pool: %s\n", rte_strerror(rte_errno));
		rc = 1;
		goto out;
	}
	for (i = 0; i < BENCH_SLOTS; i++) {
		if (rte_pktmbuf_alloc_bulk(ru.pool, ru.slots[i], BENCH_BURST) < 0) {
			rc = 1;
			goto out;
		}
	}
	if (lip_init() < 0) {
		fprintf(stderr, "esp-bench: no crypto_ipsec_mb vdev: librte_ipsec skipped\n");
		n_errors++;
	}
	for (i = 0; i < CDEV__COUNT && !o.no_cdev; i++) {
		const char *nm[1] = { cdev_names[i] };
		char err[256];

		/* 4 sessions: one SA each way, and the inbound one remade */
		if (cdev_setup(nm, 1, 1, 4, (int)rte_socket_id(), &cdevs[i], err,
			       sizeof(err)) < 0) {
			fprintf(stderr, "esp-bench: %s\n", err);
			n_errors++;
			cdevs[i] = NULL;
			continue;
		}
		esp_cdev_register(NULL);	/* sessions per context (bench_rampart.c) */
	}

	printf("# esp-bench: lcore %u, TSC %.3f GHz (cycles below are TSC cycles), burst %d,"
	       " %u rounds x %u bursts (+%u warm-up) per variant, interleaved\n",
	       rte_lcore_id(), tsc_hz / 1e9, BENCH_BURST, o.rounds, o.bursts, o.warm);
	printf("# memory: %s\n", eal_argc > 0 ? "as the EAL arguments say" : use_huge ?
	       "hugepages (--in-memory)" : "4 KB pages (--no-huge; the mbuf pool packed across "
	       "pages, see perf/README.md \"Hugepages\")");
	printf("# frame = Ethernet frame of the cleartext packet incl. 14 B header and 4 B FCS"
	       " (inner IPv4/UDP packet = frame - 18 B); Gbps = cleartext frame bits\n");
	printf("%-17s %5s %7s  %-13s %-6s %8s %8s %9s\n", "alg", "frame", "SAs", "engine", "dir",
	       "Mpps", "Gbps", "cyc/pkt");
	for (a = 0; a < BENCH_ALG__COUNT && !stop; a++) {
		if (!o.alg_on[a])
			continue;
		alg_setup(&ru, (enum bench_alg)a);
		for (i = 0; i < o.n_sizes && !stop; i++) {
			ru.frame = o.sizes[i];
			run_one(&ru, &results[a][i]);
			print_results(bench_algs[a].name, ru.frame, &results[a][i], o.n_sa_many);
		}
		alg_teardown(&ru);
	}
	if (stop) {
		fprintf(stderr, "esp-bench: interrupted\n");
		rc = 130;
	} else {
		print_ratios_and_summary(&o);
	}
	lip_fini();
	for (i = 0; i < CDEV__COUNT; i++)
		cdev_teardown(cdevs[i]);
	if (n_errors != 0 && rc == 0) {
		fprintf(stderr, "esp-bench: %u self-check or measurement failures\n", n_errors);
		rc = 1;
	}
out:
	for (i = 0; i < BENCH_SLOTS; i++)
		for (j = 0; j < BENCH_BURST; j++)
			rte_pktmbuf_free(ru.slots[i][j]);
	rte_mempool_free(ru.pool);
	rte_eal_cleanup();
	eal_dir_remove();
	return rc;
}
