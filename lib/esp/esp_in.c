/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inbound ESP tunnel mode (RFC 4303) incl. ESP-in-UDP (RFC 3948), in
 * passes over a burst:
 *   1. classify: bounded parse of the outer IPv4/IPv6 (+ UDP 4500) header,
 *      one SA lookup per run of equal SPIs (direct index by the SPI's low
 *      bits, validated by the SA's SPI; one bulk hash lookup for the runs
 *      it misses), prefetch of every SA and key schedule, then length checks, ESN inference and the replay pre-check
 *      (no state change);
 *   2. crypto: AES-GCM open (constant-time tag compare) per packet, or one
 *      cry_cbc_burst for AES-CBC + HMAC (complete on return);
 *   3. commit: replay window update (re-checked: a burst can carry the same
 *      number twice), padding, next header and inner header checks, TTL and
 *      ECN (RFC 6040) on the inner header, trim to the inner packet,
 *      lifetimes, compaction.
 * Decrypted bytes are interpreted only after the ICV verified.
 * Runs on the owner worker only; no allocation, locks, logs or syscalls.
 *
 * Not accepted (dropped as malformed): outer IPv4 fragments, IPv6 extension
 * headers before ESP, UDP not to port 4500, SPI 0 (non-ESP marker: the
 * caller punts IKE before calling us). The outer UDP checksum is not
 * verified: the ICV covers everything it would.
 */
#include "esp/esp.h"

#include <netinet/in.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_mbuf_ptype.h>
#include <rte_prefetch.h>

#include "esp/esp_priv.h"

struct in_ctx {
	struct rte_mbuf *m;
	struct esp_sa *sa;
	uint8_t *esp;			/* ESP header */
	uint32_t esp_len;		/* ESP header .. end of ICV */
	uint32_t clen;			/* ciphertext length */
	uint16_t outer_len;		/* bytes before the ESP header */
	uint8_t outer_ecn;
	uint8_t aad_len;
	bool failed;
	bool udp;			/* ESP-in-UDP (RFC 3948) */
	uint64_t seq;
	uint8_t nonce[CRY_GCM_NONCE_LEN];
	uint8_t aad[12];
	uint8_t icv[CRY_MAX_ICV_LEN];	/* CBC + ESN: received ICV */
	uint8_t calc[CRY_MAX_ICV_LEN];	/* CBC: computed ICV */
};

/* ECN bits of the outer IPv4 or IPv6 header at @h (version checked). */
static inline uint8_t
outer_ecn(const uint8_t *h)
{
	return (uint8_t)((h[0] >> 4) == 4 ? h[1] & 3 : (h[1] >> 4) & 3);
}

/*
 * End of pass 1a: the ESP header lies at @h + @hl, the IP packet is @end
 * bytes. Refuses SPI 0 (RFC 3948's non-ESP marker), else fills @c.
 */
static inline int
found_esp(struct in_ctx *c, struct rte_mbuf *m, uint8_t *h, uint32_t hl, uint32_t end, uint32_t spi)
{
	if (unlikely(spi == 0))
		return ESP_DROP_MALFORMED;
	c->m = m;
	c->esp = h + hl;
	c->esp_len = end - hl;
	c->outer_len = (uint16_t)hl;
	return ESP_PASS;
}

/* Pass 1a: outer header walk. ESP_PASS (ctx and spi filled) or a drop reason. */
static inline int
outer_parse(struct rte_mbuf *m, struct in_ctx *c, uint32_t *spi)
{
	uint8_t *h = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t hl, end, proto;
	int rc;

	if (unlikely(m->nb_segs != 1))
		return ESP_DROP_MULTISEG;
	rc = esp_ip_walk(h, m->data_len, &hl, &end);
	if (unlikely(rc != ESP_PASS))
		return rc;
	if ((h[0] >> 4) == 4) {
		if (unlikely((net_rd16(h + 6) & 0x3fff) != 0))
			return ESP_DROP_MALFORMED;	/* fragment: no reassembly here */
		proto = h[9];
	} else {
		proto = h[6];
	}
	c->outer_ecn = outer_ecn(h);
	if (proto == IPPROTO_UDP) {
		if (unlikely(end - hl < 8))
			return ESP_DROP_SHORT;
		if (unlikely(net_rd16(h + hl + 4) != end - hl))
			return ESP_DROP_MALFORMED;	/* UDP length must match IP */
		if (unlikely(net_rd16(h + hl + 2) != ESP_NATT_PORT))
			return ESP_DROP_MALFORMED;
		hl += 8;
		c->udp = true;
	} else if (unlikely(proto != IPPROTO_ESP)) {
		return ESP_DROP_MALFORMED;
	} else {
		c->udp = false;
	}
	if (unlikely(end - hl < ESP_HDR_LEN))
		return ESP_DROP_SHORT;
	*spi = net_rd32(h + hl);
	return found_esp(c, m, h, hl, end, *spi);
}

/*
 * Pass 1a with the caller's parse (esp_in_burst_pre): the outer header was
 * validated by the caller's classifier; only what this file relies on for
 * memory safety and for the ESP length is checked again: the IP header and
 * (NAT-T) the UDP header lie before the ESP header, the ESP header inside
 * the data, the UDP length covers exactly the rest of the packet, SPI != 0.
 */
static inline int
pre_parse(struct rte_mbuf *m, const struct esp_in_pre *p, struct in_ctx *c, uint32_t *spi)
{
	uint8_t *h = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t end = m->data_len, hl = p->esp_off, ip_hl;

	if (unlikely(m->nb_segs != 1))
		return ESP_DROP_MULTISEG;
	if (unlikely(end < 1))
		return ESP_DROP_SHORT;
	switch (h[0] >> 4) {
	case 4:
		ip_hl = 20;
		break;
	case 6:
		ip_hl = 40;
		break;
	default:
		return ESP_DROP_MALFORMED;
	}
	c->outer_ecn = outer_ecn(h);
	c->udp = p->udp != 0;
	if (unlikely(hl < ip_hl + (c->udp ? 8u : 0u) || hl + ESP_HDR_LEN > end))
		return ESP_DROP_SHORT;
	if (c->udp && unlikely(net_rd16(h + hl - 4) != end - hl + 8))
		return ESP_DROP_MALFORMED;	/* UDP length must match IP */
	*spi = p->spi;
	return found_esp(c, m, h, hl, end, *spi);
}

/* Pass 1c: checks that need the SA. ESP_PASS or a drop reason. */
static inline int
sa_checks(struct esp_worker *w, struct esp_sa *sa, struct in_ctx *c)
{
	uint32_t min = ESP_HDR_LEN + sa->iv_len + sa->icv_len, sl;

	if (unlikely(sa->stopped))
		return esp_sa_stopped_reason(w, sa);
	if (unlikely(c->esp_len < min + sa->align))
		return ESP_DROP_SHORT;
	c->clen = c->esp_len - min;
	if (unlikely(c->clen & (sa->align - 1u)))
		return ESP_DROP_MALFORMED;		/* RFC 4303 2.4 alignment */
	sl = net_rd32(c->esp + 4);
	if (sa->flags & ESP_SAF_ESN) {
		if (unlikely(esp_replay_esn(&sa->replay, sl, &c->seq) != 0))
			return ESP_DROP_REPLAY;
	} else {
		c->seq = sl;
	}
	if (unlikely(!(sa->flags & ESP_SAF_NO_REPLAY) &&
		     esp_replay_check(&sa->replay, c->seq) != 0))
		return ESP_DROP_REPLAY;
	c->sa = sa;
	c->failed = false;
	if (sa->flags & ESP_SAF_ESN) {
		memcpy(c->aad, c->esp, 4);
		net_wr32(c->aad + 4, (uint32_t)(c->seq >> 32));
		memcpy(c->aad + 8, c->esp + 4, 4);
		c->aad_len = 12;
	} else {
		memcpy(c->aad, c->esp, 8);
		c->aad_len = 8;
	}
	if (!(sa->flags & ESP_SAF_CBC)) {
		memcpy(c->nonce, sa->salt, 4);
		memcpy(c->nonce + 4, c->esp + ESP_HDR_LEN, CRY_GCM_IV_LEN);
	}
	return ESP_PASS;
}

/* RFC 6040 4.2 decapsulation; returns the new inner ECN or -1 to drop. */
static inline int
ecn_decap(uint8_t inner, uint8_t outer)
{
	if (outer == 3)				/* CE */
		return inner == 0 ? -1 : 3;
	if (outer == 1 && inner == 2)		/* outer ECT(1) over ECT(0) */
		return 1;
	return inner;
}

/*
 * An authenticated packet (ICV verified, replay window advanced) came from
 * another outer address or UDP port than the SA's peer: the NAT mapping
 * changed (RFC 3948, RFC 7296 2.23). Tell the control core, which moves the
 * IKE SA and every child of it; at most once a second per SA (the ring is
 * shared, and the control core's update makes the check pass again).
 */
static void __rte_noinline
peer_moved(struct esp_worker *w, struct esp_sa *sa, const struct in_ctx *c)
{
	const uint8_t *h = rte_pktmbuf_mtod(c->m, const uint8_t *);
	unsigned udp = c->outer_len - 8u;	/* NAT-T: the IP header ends there */
	uint64_t now = rte_rdtsc();
	struct sa_event ev;

	if (sa->moved_tsc != 0 && now - sa->moved_tsc < rte_get_tsc_hz())
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = SA_EV_PEER_MOVED;
	ev.worker = w->id;
	ev.spi = sa->spi;
	ev.user_id = sa->user_id;
	if ((h[0] >> 4) == 4) {
		ev.peer.af = 4;
		memcpy(ev.peer.peer, h + 12, 4);
		memcpy(ev.peer.local, h + 16, 4);
	} else {
		ev.peer.af = 6;
		memcpy(ev.peer.peer, h + 8, 16);
		memcpy(ev.peer.local, h + 24, 16);
	}
	ev.peer.peer_port = net_rd16(h + udp);
	ev.peer.local_port = net_rd16(h + udp + 2);
	if (w->ev_ring == NULL) {
		w->st.events++;
	} else if (rte_ring_mp_enqueue_elem(w->ev_ring, &ev, sizeof(ev)) != 0) {
		w->st.events_lost++;
		return;			/* the next packet tries again */
	} else {
		w->st.events++;
	}
	sa->moved_tsc = now;
}

/* The packet's outer source (address, UDP port) as esp_peer_fp() sees it. */
static inline uint64_t
src_fp(const struct in_ctx *c)
{
	const uint8_t *h = rte_pktmbuf_mtod(c->m, const uint8_t *);
	uint16_t sport = net_rd16(h + c->outer_len - 8u);

	return (h[0] >> 4) == 4 ? esp_peer_fp(4, h + 12, sport) : esp_peer_fp(6, h + 8, sport);
}

/* Pass 3 for one packet after the ICV verified: ESP_PASS or a drop reason. */
static inline int
in_commit(struct esp_worker *w, struct in_ctx *c)
{
	struct esp_sa *sa = c->sa;
	struct rte_mbuf *m = c->m;
	uint8_t *pl = c->esp + ESP_HDR_LEN + sa->iv_len, *h = pl;
	uint32_t padlen, nh, ilen, tot, hl, k;
	uint16_t w0, w8;
	int ecn;

	if (unlikely(sa->stopped))
		return esp_sa_stopped_reason(w, sa);
	if (unlikely(!(sa->flags & ESP_SAF_NO_REPLAY) &&
		     esp_replay_update(&sa->replay, c->seq) != 0))
		return ESP_DROP_REPLAY;
	/* only now, authenticated and not a replay, may the source count */
	if ((sa->flags & ESP_SAF_PEER_CHECK) && c->udp && unlikely(src_fp(c) != sa->peer_fp))
		peer_moved(w, sa, c);
	nh = pl[c->clen - 1];
	padlen = pl[c->clen - 2];
	if (unlikely(padlen + 2 > c->clen))
		return ESP_DROP_PAD;
	ilen = c->clen - 2 - padlen;
	for (k = 0; k < padlen; k++)		/* RFC 4303 2.4 default pattern */
		if (unlikely(pl[ilen + k] != (uint8_t)(k + 1)))
			return ESP_DROP_PAD;
	if (nh == 4) {
		if (unlikely(ilen < 20 || (h[0] >> 4) != 4))
			return ESP_DROP_MALFORMED;
		hl = (h[0] & 0xf) * 4u;
		tot = net_rd16(h + 2);
		if (unlikely(hl < 20 || tot < hl || tot > ilen))
			return ESP_DROP_MALFORMED;
		if (unlikely(h[8] <= 1))
			return ESP_DROP_TTL;
		ecn = ecn_decap(h[1] & 3, c->outer_ecn);
		if (unlikely(ecn < 0))
			return ESP_DROP_ECN;
		w0 = net_rd16(h);
		w8 = net_rd16(h + 8);
		h[8]--;
		h[1] = (uint8_t)((h[1] & 0xfc) | ecn);
		net_cksum_adjust16(h + 10, w0, net_rd16(h));
		net_cksum_adjust16(h + 10, w8, net_rd16(h + 8));
	} else if (nh == 41) {
		if (unlikely(ilen < 40 || (h[0] >> 4) != 6))
			return ESP_DROP_MALFORMED;
		tot = 40u + net_rd16(h + 4);
		if (unlikely(tot > ilen))
			return ESP_DROP_MALFORMED;
		if (unlikely(h[7] <= 1))
			return ESP_DROP_TTL;
		ecn = ecn_decap((h[1] >> 4) & 3, c->outer_ecn);
		if (unlikely(ecn < 0))
			return ESP_DROP_ECN;
		h[7]--;
		h[1] = (uint8_t)((h[1] & 0xcf) | ecn << 4);
	} else {
		return ESP_DROP_MALFORMED;	/* incl. 59: dummy packet (RFC 4303 2.6) */
	}
	rte_pktmbuf_adj(m, (uint16_t)(c->outer_len + ESP_HDR_LEN + sa->iv_len));
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - tot));
	/* the NIC's verdicts were about the outer packet */
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK |
			 RTE_MBUF_F_RX_OUTER_L4_CKSUM_MASK | RTE_MBUF_F_RX_OUTER_IP_CKSUM_BAD);
	m->packet_type = nh == 4 ? RTE_PTYPE_L3_IPV4_EXT_UNKNOWN : RTE_PTYPE_L3_IPV6_EXT_UNKNOWN;
	sa->seq = sa->replay.top;
	esp_sa_account(w, sa, tot);
	return ESP_PASS;
}

static uint16_t
in_chunk(struct esp_worker *w, struct rte_mbuf *pkts[], const struct esp_in_pre *pre, uint16_t n,
	 struct rte_mbuf *outv[])
{
	struct in_ctx ctx[ESP_MAX_BURST];
	uint32_t spis[ESP_MAX_BURST];
	struct esp_sa *run_sa[ESP_MAX_BURST];	/* SA of each run of equal SPIs */
	uint8_t run_of[ESP_MAX_BURST];		/* packet -> run */
	uint8_t run_first[ESP_MAX_BURST];	/* run -> its first packet */
	struct sa_tab_key mkeys[ESP_MAX_BURST];
	void *msas[ESP_MAX_BURST];
	uint8_t mrun[ESP_MAX_BURST];
	struct cry_cbc_op ops[ESP_MAX_BURST];
	uint8_t opidx[ESP_MAX_BURST];
	struct cry_mgcm_op mops[ESP_MAX_BURST];
	uint8_t mgidx[ESP_MAX_BURST];
	uint16_t i, np = 0, nr = 0, nm = 0, ok = 0, nops = 0, done = 0, nmg = 0;

	ESP_CYC_START(w, n, false);
	/* pass 1a: outer headers of the whole burst; runs of equal SPIs */
	for (i = 0; i < n; i++) {
		uint32_t spi = 0;
		int why = pre != NULL ? pre_parse(pkts[i], &pre[i], &ctx[np], &spi) :
					outer_parse(pkts[i], &ctx[np], &spi);

		if (unlikely(why != ESP_PASS)) {
			esp_drop(w, pkts[i], (unsigned)why);
			continue;
		}
		spis[np] = spi;
		if (nr == 0 || spi != spis[run_first[nr - 1]]) {
			rte_prefetch0(&w->spi_ix[sa_spi_index(spi)]);
			run_first[nr++] = (uint8_t)np;
		}
		run_of[np] = (uint8_t)(nr - 1);
		np++;
	}
	ESP_CYC(w, ESP_CYC_IN_PARSE);
	/* pass 1b: one lookup per run (STYLE.md 5): the direct index, valid only
	 * when the SA there carries this SPI; the rest in one bulk hash lookup.
	 * Then prefetch each SA's hot lines, window and key schedule. */
	for (i = 0; i < nr; i++) {
		run_sa[i] = w->spi_ix[sa_spi_index(spis[run_first[i]])];
		if (run_sa[i] != NULL)
			rte_prefetch0(run_sa[i]);
	}
	for (i = 0; i < nr; i++) {
		uint32_t spi = spis[run_first[i]];

		if (likely(run_sa[i] != NULL && run_sa[i]->spi == spi))
			continue;
		run_sa[i] = NULL;
		mkeys[nm].spi = spi;
		mkeys[nm].dir = ESP_DIR_IN;
		mrun[nm++] = (uint8_t)i;
	}
	if (nm != 0) {
		sa_tab_lookup_bulk(w->tab, mkeys, nm, msas);
		for (i = 0; i < nm; i++)
			run_sa[mrun[i]] = msas[i];
	}
	for (i = 0; i < nr; i++) {
		const uint8_t *s = (const uint8_t *)run_sa[i];

		if (s == NULL)
			continue;
		rte_prefetch0(s);
		rte_prefetch0(s + offsetof(struct esp_sa, replay));
		esp_prefetch_keys(run_sa[i], ctx[run_first[i]].esp_len);
	}
	ESP_CYC(w, ESP_CYC_IN_LOOKUP);
	/* pass 1c: per-SA checks and replay pre-check */
	for (i = 0; i < np; i++) {
		struct esp_sa *sa = run_sa[run_of[i]];
		int why;

		if (unlikely(sa == NULL)) {
			esp_drop(w, ctx[i].m, ESP_DROP_NO_SA);
			continue;
		}
		why = sa_checks(w, sa, &ctx[i]);
		if (unlikely(why != ESP_PASS)) {
			sa->drops++;
			esp_drop(w, ctx[i].m, (unsigned)why);
			continue;
		}
		if (ok != i)
			ctx[ok] = ctx[i];
		ok++;
	}
	ESP_CYC(w, ESP_CYC_IN_CHECK);
	/* pass 2: crypto */
	if (unlikely(w->cdev != NULL)) {	/* cryptodev backend (esp_cdev.c) */
		struct esp_cdev_job *jb = w->cdev->jobs;

		for (i = 0; i < ok; i++)
			jb[i] = (struct esp_cdev_job){ .m = ctx[i].m, .sa = ctx[i].sa,
				.esp = ctx[i].esp, .nonce = ctx[i].nonce, .aad = ctx[i].aad,
				.len = ctx[i].clen };
		esp_cdev_run(w, jb, ok, false);
		for (i = 0; i < ok; i++)
			ctx[i].failed = jb[i].failed;
		goto crypto_done;
	}
	for (i = 0; i < ok; i++) {
		struct in_ctx *c = &ctx[i];
		struct esp_sa *sa = c->sa;
		uint8_t *ct = c->esp + ESP_HDR_LEN + sa->iv_len;

		if (!(sa->flags & ESP_SAF_CBC)) {
			if (cry_mgcm_take(c->clen)) {
				/* small packets: opened together after the loop */
				mops[nmg] = (struct cry_mgcm_op){
					.key = &sa->key.gcm, .iv = c->nonce, .aad = c->aad,
					.data = ct, .tag = ct + c->clen, .len = c->clen,
					.aad_len = c->aad_len };
				mgidx[nmg++] = (uint8_t)i;
				continue;
			}
			c->failed = cry_gcm_open(w->mb, &sa->key.gcm, c->nonce, c->aad, c->aad_len,
						 ct, c->clen, ct + c->clen) != 0;
			continue;
		}
		ops[nops].buf = c->esp;
		ops[nops].iv = c->esp + ESP_HDR_LEN;
		ops[nops].tag = c->calc;
		ops[nops].key = &sa->key.cbc;
		ops[nops].cipher_off = ESP_HDR_LEN + CRY_CBC_IV_LEN;
		ops[nops].cipher_len = c->clen;
		ops[nops].hash_len = ESP_HDR_LEN + CRY_CBC_IV_LEN + c->clen;
		if (sa->flags & ESP_SAF_ESN) {
			/* RFC 4303 3.3.2.1: ICV over ... || seq high (not sent),
			 * written over the received ICV: keep that first */
			memcpy(c->icv, ct + c->clen, sa->icv_len);
			memcpy(ct + c->clen, c->aad + 4, 4);
			ops[nops].hash_len += 4;
		}
		opidx[nops++] = (uint8_t)i;
	}
	if (nmg != 0) {
		cry_mgcm_open(w->mb, mops, nmg);
		for (i = 0; i < nmg; i++)
			ctx[mgidx[i]].failed = mops[i].status != 0;
	}
	if (nops != 0) {
		cry_cbc_burst(w->mb, ops, nops, false);
		for (i = 0; i < nops; i++) {
			struct in_ctx *c = &ctx[opidx[i]];
			const uint8_t *icv = (c->sa->flags & ESP_SAF_ESN) ? c->icv :
					     c->esp + ESP_HDR_LEN + CRY_CBC_IV_LEN + c->clen;

			c->failed = ops[i].status != 0 || !cry_icv_eq_ct(c->calc, icv, c->sa->icv_len);
		}
	}
crypto_done:
	ESP_CYC(w, ESP_CYC_IN_CRYPTO);
	/* pass 3: commit in packet order */
	for (i = 0; i < ok; i++) {
		struct in_ctx *c = &ctx[i];
		int why = c->failed ? ESP_DROP_ICV : in_commit(w, c);

		if (unlikely(why != ESP_PASS)) {
			c->sa->drops++;
			esp_drop(w, c->m, (unsigned)why);
			continue;
		}
		w->st.in_packets++;
		w->st.in_bytes += c->m->pkt_len;
		outv[done++] = c->m;
	}
	ESP_CYC(w, ESP_CYC_IN_COMMIT);
	return done;
}

uint16_t
esp_in_burst(struct esp_worker *w, struct rte_mbuf *pkts[], uint16_t n)
{
	uint16_t off, k, ok = 0;

	for (off = 0; off < n; off += k) {
		k = (uint16_t)RTE_MIN(n - off, ESP_MAX_BURST);
		ok += in_chunk(w, pkts + off, NULL, k, pkts + ok);
		esp_drop_flush(w);
	}
	return ok;
}

uint16_t
esp_in_burst_pre(struct esp_worker *w, struct rte_mbuf *pkts[], const struct esp_in_pre pre[],
		 uint16_t n)
{
	uint16_t off, k, ok = 0;

	for (off = 0; off < n; off += k) {
		k = (uint16_t)RTE_MIN(n - off, ESP_MAX_BURST);
		ok += in_chunk(w, pkts + off, pre + off, k, pkts + ok);
		esp_drop_flush(w);
	}
	return ok;
}
