/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared declarations of perf/esp-bench: the algorithm table, the packet
 * templates, the burst timer and the three engines that are measured
 * (Rampart's lib/esp, DPDK's librte_ipsec in CPU_CRYPTO mode, and raw
 * IPsec-MB GCM on flat buffers). Benchmark code only: nothing here is used
 * by the datapath, and nothing here may be linked into rampartd.
 */
#ifndef RAMPART_PERF_BENCH_H
#define RAMPART_PERF_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

enum bench_limits {
	BENCH_BURST = 32,		/* packets per timed call */
	BENCH_SLOTS = 8,		/* bursts of mbufs cycled through */
	BENCH_MAX_SIZES = 16,
	BENCH_FRAME_OVERHEAD = 18,	/* Ethernet header 14 + FCS 4 */
	BENCH_MIN_FRAME = 64,
	BENCH_MAX_FRAME = 1500,
	BENCH_MBUF_ROOM = 2048 + RTE_PKTMBUF_HEADROOM,
	BENCH_TPL_MAX = 1600,		/* largest encrypted packet we store */
	BENCH_SPI_BASE = 0x1000,	/* worker 0 in the top SPI bits */
	BENCH_REPLAY_WIN = 1024,	/* inbound window of both engines */
};

/* The algorithms under test (one row group each in the table). */
enum bench_alg {
	BENCH_AES128_GCM,
	BENCH_AES256_GCM,
	BENCH_AES128_CBC_SHA256,
	BENCH_ALG__COUNT,
};

struct bench_alg_info {
	const char *name;		/* as printed and accepted by --algs */
	bool gcm;
	uint8_t key_len;		/* cipher key bytes, GCM salt excluded */
	uint8_t auth_key_len;		/* HMAC key bytes, 0 for GCM */
};

extern const struct bench_alg_info bench_algs[BENCH_ALG__COUNT];

/* Key material shared by every engine, so their outputs can be compared. */
struct bench_keys {
	uint8_t enc[36];		/* key || 4-byte salt (GCM) */
	uint8_t auth[32];
	uint8_t outer_src[4], outer_dst[4];
};

void bench_keys_init(struct bench_keys *k, unsigned sa_index);

/*
 * A flat copy of a packet (data starting at the IP header) that is written
 * back into an mbuf before each timed burst.
 */
struct bench_tpl {
	uint16_t len;
	uint8_t data[BENCH_TPL_MAX];
};

/* Build the cleartext inner IPv4/UDP packet of an Ethernet frame of @frame bytes. */
void bench_clear_build(struct bench_tpl *t, unsigned frame);

/* Copy @t into @m (data at headroom, l2_len 0, l3_len 20, no flags). */
void bench_tpl_load(struct rte_mbuf *m, const struct bench_tpl *t);
void bench_data_load(struct rte_mbuf *m, const uint8_t *data, uint16_t len);

/* Save the packet data of @m into @t; -ENOSPC if it does not fit. */
int bench_tpl_save(struct bench_tpl *t, const struct rte_mbuf *m);

/* Per-burst cycle samples of one measured variant. */
struct bench_samples {
	uint64_t *cyc;
	uint32_t n, cap;
	uint64_t pkts_per_sample;
	bool failed;			/* an engine dropped a packet: no figure */
};

int bench_samples_init(struct bench_samples *s, uint32_t cap);
void bench_samples_fini(struct bench_samples *s);
/* TSC cycles per packet: trimmed mean over bursts (see bench_samples_cpp). */
double bench_samples_cpp(const struct bench_samples *s);

/* rdtsc cost of an empty timed region, subtracted from every burst sample. */
extern uint64_t bench_tsc_overhead;

/* ---- librte_ipsec (CPU_CRYPTO through a crypto_ipsec_mb vdev) ---- */
struct lip_sa;

int lip_init(void);
void lip_fini(void);
bool lip_alg_supported(enum bench_alg alg);
int lip_sa_create(enum bench_alg alg, const struct bench_keys *k, uint32_t spi, bool out,
		  struct lip_sa **out_sa);
void lip_sa_destroy(struct lip_sa *sa);
/* Re-initialise the SA (sequence number and replay window back to 0). */
int lip_sa_reset(struct lip_sa *sa);
uint16_t lip_burst(struct lip_sa *sa, struct rte_mbuf *pkts[], uint16_t n);

/* ---- raw IPsec-MB AES-GCM on flat buffers ---- */
struct raw_gcm;

int raw_gcm_create(enum bench_alg alg, const struct bench_keys *k, struct raw_gcm **out);
void raw_gcm_destroy(struct raw_gcm *g);
/* Encrypt @n buffers of @len bytes in place; the 16-byte tag goes after each. */
void raw_gcm_enc_burst(struct raw_gcm *g, uint8_t *bufs[], uint32_t len, uint16_t n,
		       uint64_t seq);
/* The same through the multi-packet AES-GCM engine (lib/crypto/cry_mgcm.h). */
void raw_mgcm_enc_burst(struct raw_gcm *g, uint8_t *bufs[], uint32_t len, uint16_t n,
			uint64_t seq);
/* Reference ESP encryption for the self-check: returns 0 if @esp (SPI..ICV) matches. */
int raw_gcm_check_esp(struct raw_gcm *g, const uint8_t *esp, uint32_t esp_len,
		      const uint8_t *clear, uint32_t clear_len);

/* ---- Rampart lib/esp ---- */
struct ram_ctx;

/*
 * SPIs of the many-SA context: as rampartd allocates them (random below the
 * owner bits, lib/sa/sa_spi.h; the default) or BENCH_SPI_BASE + i (--spi seq).
 * A one-SA context always uses BENCH_SPI_BASE (librte_ipsec shares it).
 */
enum bench_spi { BENCH_SPI_RANDOM, BENCH_SPI_SEQ };
extern enum bench_spi bench_spi_mode;
/* Order in which packets visit the many SAs: SA 0, 1, 2, ... (default), or a
 * fixed random permutation (--sa-order random): no locality between the SAs
 * of consecutive packets, as with real traffic over many tunnels. */
extern bool bench_sa_shuffle;

int ram_ctx_create(enum bench_alg alg, unsigned n_sa, struct ram_ctx **out);
/* The same on a worker attached to the cryptodev of @cd (drivers/cdev.h);
 * -ENOTSUP when that device lacks the algorithm. */
struct cdev_ctx;
int ram_ctx_create_cdev(enum bench_alg alg, unsigned n_sa, struct cdev_ctx *cd,
			struct ram_ctx **out);
void ram_ctx_destroy(struct ram_ctx *c);
/* Recreate every inbound SA (fresh replay windows). */
int ram_ctx_reset_in(struct ram_ctx *c);
/*
 * Pick the outbound SAs of the next @n packets round-robin (SA next++ % n_sa);
 * untimed, it stands for the route lookup that is not part of ESP.
 */
struct esp_sa;
void ram_pick(struct ram_ctx *c, struct esp_sa *sas[], uint16_t n);
uint16_t ram_encap(struct ram_ctx *c, struct esp_sa *sas[], struct rte_mbuf *pkts[], uint16_t n);
uint16_t ram_decap(struct ram_ctx *c, struct rte_mbuf *pkts[], uint16_t n);
void ram_drops_print(const struct ram_ctx *c, FILE *f);

#endif
