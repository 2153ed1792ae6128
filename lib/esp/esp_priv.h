/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private layout of an ESP SA and of a worker, shared by esp_sa.c,
 * esp_in.c and esp_out.c. The SA is written by the control core only before
 * it is handed to a worker; after that only the owner worker touches it.
 */
#ifndef RAMPART_ESP_PRIV_H
#define RAMPART_ESP_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "crypto/cry.h"
#include "crypto/cry_mgcm.h"
#include "esp/esp.h"
#include "esp/esp_cdev.h"
#include "net/net_bytes.h"
#include "esp/esp_replay.h"
#include "sa/sa_tab.h"

extern int esp_logtype;
#define ESP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, esp_logtype, "esp: " fmt "\n", ##__VA_ARGS__)

enum esp_sa_flags {
	ESP_SAF_ESN = 1 << 0,
	ESP_SAF_NATT = 1 << 1,
	ESP_SAF_OUTER6 = 1 << 2,
	ESP_SAF_CBC = 1 << 3,
	ESP_SAF_DSCP_ZERO = 1 << 4,	/* dscp_mode 1: outer DSCP 0, ECN still copied */
	ESP_SAF_PEER_CHECK = 1 << 5,	/* in, NAT-T: report a moved peer (peer_fp) */
	ESP_SAF_NO_REPLAY = 1 << 6,	/* in: anti-replay off (manual SAs that ask) */
};

/* Events already raised once (bits of esp_sa.ev_sent). */
enum esp_ev_flags {
	ESP_EVF_SOFT = 1 << 0,
	ESP_EVF_HARD = 1 << 1,
	ESP_EVF_NEAR = 1 << 2,
	ESP_EVF_EXHAUSTED = 1 << 3,
};

/*
 * Fingerprint of an outer source (address, UDP port) for the inbound NAT-T
 * check: exact for IPv4; IPv6 folds the address (a peer that moves to an
 * address with the same fold is not noticed; only authenticated packets are
 * compared, so nobody else can aim at that).
 */
static inline uint64_t
esp_peer_fp(unsigned af, const uint8_t *addr, uint16_t port)
{
	uint64_t a, b;
	uint32_t v4;

	if (af == 4) {
		memcpy(&v4, addr, 4);
		return 1ull << 63 | (uint64_t)v4 << 16 | port;
	}
	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	return (a ^ b * 0x9e3779b97f4a7c15ull ^ port) & ~(1ull << 63);
}

/* Per-packet helpers return a drop reason (enum esp_drop, >= 0) or this. */
enum { ESP_PASS = -1 };

enum esp_wire {
	ESP_HDR_LEN = 8,		/* SPI + sequence number */
	ESP_NATT_PORT = 4500,
	ESP_TMPL_MAX = 48,		/* IPv6 + UDP */
};

struct esp_sa {
	/* cache line 0: everything read or written for every packet of either
	 * direction; the thresholds below stand for the limits of line 1, which
	 * only their slow paths read */
	uint32_t spi;			/* host order */
	uint8_t dir;			/* enum esp_dir */
	uint8_t flags;			/* enum esp_sa_flags */
	uint8_t icv_len;
	uint8_t iv_len;
	uint8_t align;			/* payload alignment: 4 (GCM) or 16 (CBC) */
	uint8_t hdr_len;		/* outer template: IP (+ UDP) */
	uint8_t stopped;		/* 0, or the drop reason once stopped */
	uint8_t ev_sent;		/* enum esp_ev_flags */
	uint8_t salt[4];		/* GCM salt (RFC 4106 4) */
	uint64_t seq;			/* out: last sent; in: replay.top mirror */
	union {
		uint64_t seq_check;	/* out: seq_slow() when seq reaches this */
		uint64_t peer_fp;	/* in, NAT-T: esp_peer_fp() of the peer's
					 * outer address and port */
	};
	uint64_t packets;
	uint64_t bytes;
	uint64_t life_packets;		/* esp_sa_life_slow() when packets reach this */
	uint64_t life_bytes;		/* ... or bytes reach this */
	/* cache line 1: limits (slow paths only), drop counter */
	uint32_t spi_be;		/* network order, as on the wire */
	uint16_t worker;		/* owner, for events */
	uint8_t pad1[2];
	uint64_t seq_limit;		/* out: last usable sequence number */
	uint64_t seq_near;		/* out: raise SA_EV_SEQ_NEAR_WRAP from here */
	uint64_t soft_packets, hard_packets;
	uint64_t soft_bytes, hard_bytes;
	uint64_t drops;
	/* cache line 2: outbound header template (IPv4/IPv6 + optional UDP) */
	uint8_t tmpl[ESP_TMPL_MAX];
	uint64_t user_id;
	uint64_t moved_tsc;		/* in: last SA_EV_PEER_MOVED raised (TSC) */
	/* cache lines 3..: keys, then the inbound window (outbound SAs leave
	 * it unused: keeping it last keeps an outbound SA's lines within
	 * 1.2 KB, fewer 4 KB pages per packet) */
	union {
		struct cry_gcm_key gcm;
		struct cry_cbc_key cbc;
	} key __rte_cache_aligned;
	struct esp_cdev_sa *cdev;	/* cryptodev sessions (esp_cdev.c), or NULL */
	struct esp_replay replay __rte_cache_aligned;
};

_Static_assert(offsetof(struct esp_sa, spi_be) == 64, "hot line 0 must stay 64 bytes");
_Static_assert(offsetof(struct esp_sa, tmpl) == 128, "template must start line 2");
_Static_assert(offsetof(struct esp_sa, key) == 192, "keys start line 3");
_Static_assert(offsetof(struct esp_sa, replay) % 64 == 0, "replay window cache aligned");

/*
 * Compile-time option -DESP_CYCLES (never in production builds): TSC cycles
 * spent in each pass of a burst, summed per worker and printed to stderr
 * by esp_worker_destroy (cycles per packet that entered the pass's burst).
 */
enum esp_cyc_slot {
	ESP_CYC_OUT_PREP,		/* pass 0-1: prefetch, prepare */
	ESP_CYC_OUT_IV,			/* pass 1b: CBC IVs */
	ESP_CYC_OUT_CRYPTO,		/* pass 2 */
	ESP_CYC_OUT_FIN,		/* pass 3 */
	ESP_CYC_IN_PARSE,		/* pass 1a */
	ESP_CYC_IN_LOOKUP,		/* pass 1b */
	ESP_CYC_IN_CHECK,		/* pass 1c */
	ESP_CYC_IN_CRYPTO,		/* pass 2 */
	ESP_CYC_IN_COMMIT,		/* pass 3 */
	ESP_CYC__COUNT,
};

#ifdef ESP_CYCLES
#include <rte_cycles.h>
#define ESP_CYC_START(w, npk, out) \
	uint64_t esp_cyc_t = rte_rdtsc(); \
	(w)->cyc_pkts[(out) ? 1 : 0] += (npk)
#define ESP_CYC(w, slot) do { \
	uint64_t esp_cyc_n = rte_rdtsc(); \
	(w)->cyc[slot] += esp_cyc_n - esp_cyc_t; \
	esp_cyc_t = esp_cyc_n; \
} while (0)
#else
#define ESP_CYC_START(w, npk, out) do { } while (0)
#define ESP_CYC(w, slot) do { } while (0)
#endif

/*
 * Cryptodev backend (esp_cdev.c, docs/ARCHITECTURE.md "Cryptodev backend"):
 * pass 2 of a burst as one job per packet, committed by index.
 */
struct esp_cdev_job {
	struct rte_mbuf *m;
	struct esp_sa *sa;
	uint8_t *esp;			/* ESP header inside m */
	const uint8_t *nonce;		/* GCM: salt || explicit IV (12 bytes) */
	const uint8_t *aad;		/* SPI || [seq high] || seq low */
	uint32_t len;			/* bytes to cipher (payload + trailer) */
	bool failed;			/* out */
};

struct esp_cdev_w {
	struct rte_mempool *op_pool;
	uint16_t qp;
	uint8_t dev_id;
	struct esp_cdev_stats st;
	struct esp_cdev_job jobs[ESP_MAX_BURST];
};

/* Pass 2 of a burst through the worker's queue pair: every job done on return. */
void esp_cdev_run(struct esp_worker *w, struct esp_cdev_job *jobs, uint16_t n, bool out);
/* esp_sa_create/_destroy: the SA's sessions on the registered devices. */
int esp_cdev_sa_init(struct esp_sa *sa, const struct esp_sa_params *p, int socket_id);
void esp_cdev_sa_fini(struct esp_sa *sa);
/* esp_worker_destroy: the worker's backend state. */
void esp_cdev_worker_fini(struct esp_worker *w);

struct esp_worker {
	IMB_MGR *mb;
	struct esp_cdev_w *cdev;	/* NULL: IPsec-MB (the default) */
	/* inbound SAs by sa_spi_index(spi) (sa_msg.h), SA_SPI_INDEX_SIZE
	 * entries; a slot is valid only for the SPI its SA carries. Every SA
	 * (either direction) is also in tab, the fallback and the owner list. */
	struct esp_sa **spi_ix;
	struct sa_tab *tab;
	struct rte_ring *ev_ring;
	uint16_t id;
	uint16_t ndrop;
	struct esp_worker_stats st;
	struct rte_mbuf *drop[ESP_MAX_BURST];
#ifdef ESP_CYCLES
	uint64_t cyc[ESP_CYC__COUNT];
	uint64_t cyc_pkts[2];		/* in, out */
#endif
} __rte_cache_aligned;

/*
 * Prefetch distance in packets (STYLE.md 5: one named distance): while
 * packet i is prepared, the SA of packet i + ESP_PREFETCH_DIST is fetched;
 * while packet i is sealed, the key lines of packet i + ESP_PREFETCH_DIST.
 * Measured: 8 beats 4, 16 and 32 at 100 000 SAs (docs/ARCHITECTURE.md, ESP section).
 */
enum { ESP_PREFETCH_DIST = 8 };

/*
 * The IP header at @h, @have bytes of data (inner packet on the way out,
 * outer on the way in): IPv4 or IPv6, its header length @hl (IHL or 40) and
 * its total length @tot, both within the data. ESP_PASS or a drop reason.
 */
static inline int
esp_ip_walk(const uint8_t *h, uint32_t have, uint32_t *hl, uint32_t *tot)
{
	if (unlikely(have < 1))
		return ESP_DROP_SHORT;
	switch (h[0] >> 4) {
	case 4:
		if (unlikely(have < 20))
			return ESP_DROP_SHORT;
		*hl = (h[0] & 0xf) * 4u;
		*tot = net_rd16(h + 2);
		if (unlikely(*hl < 20 || *tot < *hl || *tot > have))
			return ESP_DROP_MALFORMED;
		return ESP_PASS;
	case 6:
		if (unlikely(have < 40))
			return ESP_DROP_SHORT;
		*hl = 40;
		*tot = 40u + net_rd16(h + 4);
		if (unlikely(*tot > have))
			return ESP_DROP_MALFORMED;
		return ESP_PASS;
	default:
		return ESP_DROP_MALFORMED;
	}
}

/* The lines of an SA that encapsulation reads: 0 and the template (2). */
static inline void
esp_prefetch_sa_out(const struct esp_sa *sa)
{
	const uint8_t *s = (const uint8_t *)sa;

	rte_prefetch0(s);
	rte_prefetch0(s + offsetof(struct esp_sa, tmpl));
}

/*
 * The key lines the crypto pass reads for @len bytes of payload (reads
 * sa->flags: call when line 0 is in cache or on its way).
 */
static inline void
esp_prefetch_keys(const struct esp_sa *sa, uint32_t len)
{
	const uint8_t *k = (const uint8_t *)&sa->key;

	if (!(sa->flags & ESP_SAF_CBC)) {
		cry_gcm_prefetch(&sa->key.gcm, len);
		return;
	}
	rte_prefetch0(k);				/* enc rounds */
	rte_prefetch0(k + 64);
	rte_prefetch0(k + 128);
	rte_prefetch0(k + 192);
	rte_prefetch0(&sa->key.cbc.iv_exp);		/* IV key, 3 lines */
	rte_prefetch0((const uint8_t *)&sa->key.cbc.iv_exp + 64);
	rte_prefetch0((const uint8_t *)&sa->key.cbc.iv_exp + 128);
	rte_prefetch0(&sa->key.cbc.ipad);		/* ipad, opad, lengths */
	rte_prefetch0(&sa->key.cbc.opad);
	rte_prefetch0(&sa->key.cbc.key_len);
}

/* Count a drop and park the mbuf for the bulk free at the end of the burst. */
static inline void
esp_drop(struct esp_worker *w, struct rte_mbuf *m, unsigned why)
{
	w->st.drops[why]++;
	w->drop[w->ndrop++] = m;
}

static inline void
esp_drop_flush(struct esp_worker *w)
{
	if (w->ndrop != 0) {
		rte_pktmbuf_free_bulk(w->drop, w->ndrop);
		w->ndrop = 0;
	}
}

/* Raise an event on the worker's ring; 0 when queued (or no ring), -1 when full. */
static inline int
esp_event(struct esp_worker *w, const struct esp_sa *sa, uint16_t type)
{
	struct sa_event ev = {
		.type = type,
		.worker = w->id,
		.spi = sa->spi,
		.user_id = sa->user_id,
		.cookie = 0,
		.sa = NULL,
	};

	if (w->ev_ring == NULL) {
		w->st.events++;
		return 0;
	}
	if (rte_ring_mp_enqueue_elem(w->ev_ring, &ev, sizeof(ev)) != 0) {
		w->st.events_lost++;
		return -1;
	}
	w->st.events++;
	return 0;
}

/* Raise an event once per SA; a full ring leaves the flag clear (retried). */
static inline void
esp_event_once(struct esp_worker *w, struct esp_sa *sa, uint8_t flag, uint16_t type)
{
	if (sa->ev_sent & flag)
		return;
	if (esp_event(w, sa, type) == 0)
		sa->ev_sent |= flag;
}

/* Stopped SA: retry the pending stop event and return the drop reason. */
static inline unsigned
esp_sa_stopped_reason(struct esp_worker *w, struct esp_sa *sa)
{
	if (sa->stopped == ESP_DROP_SEQ_EXHAUSTED)
		esp_event_once(w, sa, ESP_EVF_EXHAUSTED, SA_EV_SEQ_EXHAUSTED);
	else
		esp_event_once(w, sa, ESP_EVF_HARD, SA_EV_HARD);
	return sa->stopped;
}

/*
 * Outbound: seq_check is the last number before SA_EV_SEQ_NEAR_WRAP is due
 * (until that event went out), then the last usable number.
 */
static inline void
esp_seq_arm(struct esp_sa *sa)
{
	sa->seq_check = (sa->ev_sent & ESP_EVF_NEAR) ? sa->seq_limit : sa->seq_near - 1;
}

/* Next thresholds for esp_sa_account: the soft limit until its event went out. */
static inline void
esp_sa_life_arm(struct esp_sa *sa)
{
	bool soft = !(sa->ev_sent & ESP_EVF_SOFT);

	sa->life_packets = soft ? RTE_MIN(sa->soft_packets, sa->hard_packets) : sa->hard_packets;
	sa->life_bytes = soft ? RTE_MIN(sa->soft_bytes, sa->hard_bytes) : sa->hard_bytes;
}

/* A lifetime threshold was reached: the checks on the limits of line 1. */
static void __rte_noinline __rte_unused
esp_sa_life_slow(struct esp_worker *w, struct esp_sa *sa)
{
	if (sa->packets >= sa->soft_packets || sa->bytes >= sa->soft_bytes)
		esp_event_once(w, sa, ESP_EVF_SOFT, SA_EV_SOFT);
	if (sa->packets >= sa->hard_packets || sa->bytes >= sa->hard_bytes) {
		sa->stopped = ESP_DROP_LIFETIME;
		esp_event_once(w, sa, ESP_EVF_HARD, SA_EV_HARD);
	}
	esp_sa_life_arm(sa);
}

/* Lifetime accounting after a packet was processed (RFC 4301 4.4.2.1). */
static inline void
esp_sa_account(struct esp_worker *w, struct esp_sa *sa, uint32_t len)
{
	sa->packets++;
	sa->bytes += len;
	if (unlikely(sa->packets >= sa->life_packets || sa->bytes >= sa->life_bytes))
		esp_sa_life_slow(w, sa);
}

#endif
