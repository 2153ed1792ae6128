/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKE admission token buckets (see ctl_rate.h). Tokens are kept in units of
 * 1/RATE_ONE token so that refilling by elapsed nanoseconds times the rate
 * needs no division: one token = 1e9 units, and a rate of R tokens/s adds R
 * units per nanosecond.
 */
#include "ctl_rate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RATE_ONE 1000000000ull
/* Refill at most this much time at once: keeps elapsed * rate below 2^64
 * (1e10 ns * 1e7 tokens/s = 1e17) and a full bucket is reached long before. */
#define RATE_MAX_GAP_NS 10000000000ull
#define RETX_SETS (1u << RD_RATE_RETX_SETS_LOG2)
#define RETX_TICKS_KEPT ((uint8_t)(RD_RATE_RETX_KEEP_NS / RD_RATE_RETX_TICK_NS))

struct tb {
	uint64_t units;			/* tokens * RATE_ONE */
	uint64_t last_ns;
};

struct src_ent {
	uint8_t addr[16];
	uint8_t af;			/* 0 = free */
	struct tb tb;
	uint64_t seen_ns;
};

struct rd_rate {
	struct rd_rate_cfg cfg;
	uint64_t seed;
	uint32_t set_mask;		/* sets - 1 */
	struct tb total;
	struct rd_rate_stats st;
	struct src_ent *ent;		/* sets * RD_RATE_WAYS */
	/* Retransmission memory: RETX_SETS * RD_RATE_WAYS entries, each a 24-bit
	 * fingerprint << 8 | the 2 s tick it was last seen at (mod 256); 0 is
	 * free. Way 0 of a set is its most recent entry. */
	uint32_t *retx;
};

static void
tb_refill(struct tb *b, uint32_t rate, uint32_t burst, uint64_t now_ns)
{
	uint64_t gap = now_ns > b->last_ns ? now_ns - b->last_ns : 0;
	uint64_t cap = (uint64_t)burst * RATE_ONE;

	if (gap > RATE_MAX_GAP_NS)
		gap = RATE_MAX_GAP_NS;
	b->units += gap * rate;
	if (b->units > cap)
		b->units = cap;
	b->last_ns = now_ns;
}

int
rd_rate_create(const struct rd_rate_cfg *cfg, uint64_t seed, struct rd_rate **out)
{
	struct rd_rate *r;
	uint32_t sets = 1;

	*out = NULL;
	if (cfg->rate == 0 || cfg->burst == 0 || cfg->rate_src == 0 || cfg->burst_src == 0 ||
	    cfg->sources < RD_RATE_WAYS || cfg->sources > (1u << 24))
		return -EINVAL;
	while (sets * RD_RATE_WAYS < cfg->sources)
		sets <<= 1;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	r->ent = calloc((size_t)sets * RD_RATE_WAYS, sizeof(*r->ent));
	if (r->ent == NULL) {
		free(r);
		return -ENOMEM;
	}
	r->retx = calloc((size_t)RETX_SETS * RD_RATE_WAYS, sizeof(*r->retx));
	if (r->retx == NULL) {
		rd_rate_destroy(r);
		return -ENOMEM;
	}
	r->cfg = *cfg;
	r->seed = seed;
	r->set_mask = sets - 1;
	r->st.capacity = sets * RD_RATE_WAYS;
	r->total.units = (uint64_t)cfg->burst * RATE_ONE;
	*out = r;
	return 0;
}

void
rd_rate_destroy(struct rd_rate *r)
{
	if (r == NULL)
		return;
	free(r->ent);
	free(r->retx);
	free(r);
}

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

/*
 * Keyed hash of the address. Not a cryptographic MAC: the worst an attacker
 * who aims many sources at one set achieves is evicting entries, which
 * only hands their owners a full bucket (see ctl_rate.h).
 */
static uint32_t
addr_hash(const struct rd_rate *r, uint8_t af, const uint8_t *a)
{
	uint64_t w0 = 0, w1 = 0;

	memcpy(&w0, a, af == 4 ? 4 : 8);
	if (af == 6)
		memcpy(&w1, a + 8, 8);
	return (uint32_t)mix64(mix64(w0 ^ r->seed) ^ w1 ^ af);
}

static struct src_ent *
src_get(struct rd_rate *r, uint8_t af, const uint8_t *addr, uint64_t now_ns)
{
	uint32_t set = addr_hash(r, af, addr) & r->set_mask;
	struct src_ent *e = &r->ent[(size_t)set * RD_RATE_WAYS], *victim = e;
	unsigned i, alen = af == 4 ? 4 : 16;

	for (i = 0; i < RD_RATE_WAYS; i++) {
		if (e[i].af == af && memcmp(e[i].addr, addr, alen) == 0)
			return &e[i];
		if (victim->af != 0 && (e[i].af == 0 || e[i].seen_ns < victim->seen_ns))
			victim = &e[i];
	}
	if (victim->af != 0)
		r->st.evictions++;
	else
		r->st.tracked++;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->addr, addr, alen);
	victim->af = af;
	victim->tb.units = (uint64_t)r->cfg.burst_src * RATE_ONE;
	victim->tb.last_ns = now_ns;
	return victim;
}

/* Set and fingerprint (non-zero, low 8 bits clear) of (source, SPIi), keyed
 * like addr_hash(). */
static uint32_t *
retx_key(const struct rd_rate *r, uint8_t af, const uint8_t *a, uint64_t spi_i, uint32_t *fp)
{
	uint64_t h = mix64(((uint64_t)addr_hash(r, af, a) << 32 | af) ^ mix64(spi_i ^ ~r->seed));

	*fp = (uint32_t)(h >> 40) << 8;
	if (*fp == 0)
		*fp = 1u << 8;
	return &r->retx[(size_t)(h & (RETX_SETS - 1)) * RD_RATE_WAYS];
}

/*
 * Is @fp in @set, seen within the last RETX_TICKS_KEPT ticks? Either way it
 * becomes the set's most recent entry, stamped @tick, when @remember (a hit
 * is always refreshed); the oldest entry falls out.
 */
static bool
retx_seen(uint32_t *set, uint32_t fp, uint8_t tick, bool remember)
{
	unsigned i, hit = RD_RATE_WAYS;

	for (i = 0; i < RD_RATE_WAYS; i++)
		if ((set[i] & ~0xffu) == fp &&
		    (uint8_t)(tick - (uint8_t)set[i]) < RETX_TICKS_KEPT) {
			hit = i;
			break;
		}
	if (hit == RD_RATE_WAYS && !remember)
		return false;
	memmove(&set[1], &set[0], (hit == RD_RATE_WAYS ? RD_RATE_WAYS - 1 : hit) * sizeof(*set));
	set[0] = fp | tick;
	return hit != RD_RATE_WAYS;
}

enum rd_rate_verdict
rd_rate_check(struct rd_rate *r, uint8_t af, const uint8_t *addr, bool ongoing, uint64_t spi_i,
	      uint64_t now_ns)
{
	struct src_ent *e = src_get(r, af, addr, now_ns);
	uint8_t tick = (uint8_t)(now_ns / RD_RATE_RETX_TICK_NS);
	uint32_t *set = NULL, fp = 0;
	uint64_t need;

	if (!ongoing) {
		set = retx_key(r, af, addr, spi_i, &fp);
		if (retx_seen(set, fp, tick, false)) {
			ongoing = true;
			r->st.retx_prio++;
		}
	}
	/* New exchanges leave the last quarter of the total bucket alone. */
	need = RATE_ONE + (ongoing ? 0 : (uint64_t)(r->cfg.burst / 4) * RATE_ONE);

	e->seen_ns = now_ns;
	tb_refill(&e->tb, r->cfg.rate_src, r->cfg.burst_src, now_ns);
	tb_refill(&r->total, r->cfg.rate, r->cfg.burst, now_ns);
	if (e->tb.units < RATE_ONE) {
		r->st.drop_src++;
		return RD_RATE_DROP_SRC;
	}
	if (r->total.units < need) {
		r->st.drop_total++;
		if (set != NULL)	/* remember it for its retransmission */
			retx_seen(set, fp, tick, true);
		return RD_RATE_DROP_TOTAL;
	}
	e->tb.units -= RATE_ONE;
	r->total.units -= RATE_ONE;
	r->st.pass++;
	return RD_RATE_PASS;
}

void
rd_rate_stats_get(const struct rd_rate *r, struct rd_rate_stats *st)
{
	*st = r->st;
}

bool
rd_ike_is_ongoing(const uint8_t *ike, uint32_t len)
{
	static const uint8_t zero[8];
	enum {
		HDR_LEN = 28, OFF_SPI_R = 8, OFF_NEXT = 16, OFF_XCHG = 18,
		XCHG_SA_INIT = 34, PLD_NOTIFY = 41, N_COOKIE = 16390,
	};

	if (len < HDR_LEN)
		return false;
	if (memcmp(ike + OFF_SPI_R, zero, 8) != 0)
		return true;
	/* Notify body: header(4) protocol(1) SPI size(1) type(2). */
	return ike[OFF_XCHG] == XCHG_SA_INIT && ike[OFF_NEXT] == PLD_NOTIFY &&
	       len >= HDR_LEN + 8 &&
	       ((unsigned)ike[HDR_LEN + 6] << 8 | ike[HDR_LEN + 7]) == N_COOKIE;
}
