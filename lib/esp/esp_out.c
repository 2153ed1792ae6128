/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outbound ESP tunnel mode (RFC 4303) with optional UDP encapsulation
 * (RFC 3948), in passes over a burst:
 *   0. prefetch the SAs and key schedules of the whole burst;
 *   1. prepare: validate the inner packet, check room, take the sequence
 *      number, account lifetimes, write outer header, ESP header, GCM IV and
 *      trailer (all sequential, so sequence numbers are in packet order);
 *      then the CBC IVs, one multi-block AES call per run of one SA;
 *   2. crypto: AES-GCM per packet through the direct API (small packets
 *      together through the multi-packet engine, cry_mgcm.h), AES-CBC + HMAC
 *      for the whole burst in one cry_cbc_burst (complete on return);
 *   3. finish: IPv6 UDP checksum (needs the ciphertext), counters, compaction.
 * Runs on the SA's owner worker only; no allocation, locks, logs or syscalls.
 *
 * Header choices (documented in docs/ARCHITECTURE.md, ESP section):
 *   - outer TTL / hop limit 64; the inner TTL is not touched on encapsulation;
 *   - DSCP and ECN copied from inner to outer (RFC 6040 normal mode), or with
 *     dscp_mode 1 only ECN is copied and the outer DSCP is 0;
 *   - DF: copied from an IPv4 inner header, set for an IPv6 inner packet;
 *   - outer IPv4 ID = low 16 bits of the sequence number (unique enough for
 *     reassembly when DF is clear, RFC 6864);
 *   - UDP checksum 0 over IPv4 (RFC 3948 2.1), computed over IPv6.
 */
#include "esp/esp.h"

#include <netinet/in.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf_ptype.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "esp/esp_priv.h"

struct out_ctx {
	struct esp_sa *sa;
	uint8_t *outer;
	uint8_t *esp;
	uint8_t *payload;		/* first byte to encrypt (inner header) */
	uint32_t plen;			/* inner + padding + pad length + next header */
	uint8_t aad_len;
	bool failed;
	uint64_t seq;
	uint8_t nonce[CRY_GCM_NONCE_LEN];
	uint8_t aad[12];
};

/* Validate the inner header; ESP_PASS and len/nh/tos/df, or a drop reason. */
static inline int
inner_parse(struct rte_mbuf *m, uint32_t *len, uint8_t *nh, uint8_t *tos, bool *df)
{
	const uint8_t *h = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t have = m->data_len, tot, hl;
	int rc = esp_ip_walk(h, have, &hl, &tot);

	if (unlikely(rc != ESP_PASS))
		return rc;
	if ((h[0] >> 4) == 4) {
		*nh = 4;
		*tos = h[1];
		*df = (h[6] & 0x40) != 0;
	} else {
		*nh = 41;
		*tos = (uint8_t)(net_rd16(h) >> 4);
		*df = true;
	}
	if (tot < have)				/* link-layer padding */
		rte_pktmbuf_trim(m, (uint16_t)(have - tot));
	*len = tot;
	return ESP_PASS;
}

/*
 * The next sequence number reaches seq_check (esp_seq_arm): RFC 4303 3.3.3,
 * never wrap: stop the SA and tell the control core; near the end raise
 * SA_EV_SEQ_NEAR_WRAP (retried on the next packet while the ring is full).
 */
static int __rte_noinline
seq_slow(struct esp_worker *w, struct esp_sa *sa)
{
	if (sa->seq >= sa->seq_limit) {
		sa->stopped = ESP_DROP_SEQ_EXHAUSTED;
		return esp_sa_stopped_reason(w, sa);
	}
	if (sa->seq + 1 >= sa->seq_near)
		esp_event_once(w, sa, ESP_EVF_NEAR, SA_EV_SEQ_NEAR_WRAP);
	esp_seq_arm(sa);
	return ESP_PASS;
}

/*
 * The outer header template: its four sizes (IPv4 or IPv6, with or without
 * the NAT-T UDP header) as fixed-size copies the compiler inlines, instead
 * of a library memcpy call of a variable length per packet.
 */
static inline void
tmpl_copy(uint8_t *p, const uint8_t *t, uint8_t len)
{
	switch (len) {
	case 20:
		memcpy(p, t, 20);
		break;
	case 28:
		memcpy(p, t, 28);
		break;
	case 40:
		memcpy(p, t, 40);
		break;
	case 48:
		memcpy(p, t, 48);
		break;
	default:
		memcpy(p, t, len);
	}
}

/* Pass 1 for one packet: ESP_PASS or a drop reason. */
static inline int
out_prepare(struct esp_worker *w, struct esp_sa *sa, struct rte_mbuf *m, struct out_ctx *c)
{
	uint32_t ilen, pad, tail, hdr, total, k;
	uint8_t nh = 0, tos = 0, *p, *t;
	bool df = true;
	uint64_t seq, seq_be, hdr8;
	int why;

	if (unlikely(sa == NULL || sa->dir != ESP_DIR_OUT))
		return ESP_DROP_NO_SA;
	if (unlikely(m->nb_segs != 1))
		return ESP_DROP_MULTISEG;
	if (unlikely(sa->stopped))
		return esp_sa_stopped_reason(w, sa);
	why = inner_parse(m, &ilen, &nh, &tos, &df);
	if (unlikely(why != ESP_PASS))
		return why;
	pad = (uint32_t)(-(ilen + 2)) & (sa->align - 1u);
	tail = pad + 2 + sa->icv_len;
	hdr = sa->hdr_len + ESP_HDR_LEN + sa->iv_len;
	if (unlikely(rte_pktmbuf_headroom(m) < hdr || rte_pktmbuf_tailroom(m) < tail))
		return ESP_DROP_NOROOM;
	if (unlikely(sa->seq >= sa->seq_check)) {
		why = seq_slow(w, sa);
		if (why != ESP_PASS)
			return why;
	}
	seq = ++sa->seq;
	esp_sa_account(w, sa, ilen);

	/* one segment, head- and tailroom checked above: the prepend and the
	 * append without their checks and segment walk */
	m->data_off = (uint16_t)(m->data_off - hdr);
	m->data_len = (uint16_t)(m->data_len + hdr + tail);
	m->pkt_len += hdr + tail;
	p = rte_pktmbuf_mtod(m, uint8_t *);
	total = hdr + ilen + tail;
	tmpl_copy(p, sa->tmpl, sa->hdr_len);
	if (sa->flags & ESP_SAF_DSCP_ZERO)
		tos &= 0x03;
	if (!(sa->flags & ESP_SAF_OUTER6)) {
		p[1] = tos;
		net_wr16(p + 2, (uint16_t)total);
		net_wr16(p + 4, (uint16_t)seq);
		p[6] = df ? 0x40 : 0;
		/* the template's constant words are summed in its checksum field */
		{
			uint32_t cs = (uint32_t)net_rd16(p + 10) + tos + total + (uint16_t)seq +
				      (df ? 0x4000u : 0u);

			cs = (cs & 0xffff) + (cs >> 16);
			cs = (cs & 0xffff) + (cs >> 16);
			net_wr16(p + 10, (uint16_t)~cs);
		}
		if (sa->flags & ESP_SAF_NATT)
			net_wr16(p + 24, (uint16_t)(total - 20));	/* checksum stays 0 */
	} else {
		p[0] = (uint8_t)(0x60 | tos >> 4);
		p[1] = (uint8_t)(tos << 4);
		net_wr16(p + 4, (uint16_t)(total - 40));
		if (sa->flags & ESP_SAF_NATT)
			net_wr16(p + 44, (uint16_t)(total - 40));
	}
	m->packet_type = ((sa->flags & ESP_SAF_OUTER6) ? RTE_PTYPE_L3_IPV6 : RTE_PTYPE_L3_IPV4) |
			 ((sa->flags & ESP_SAF_NATT) ? RTE_PTYPE_L4_UDP : 0) | RTE_PTYPE_TUNNEL_ESP;
	c->sa = sa;
	c->failed = false;
	c->seq = seq;
	c->outer = p;
	c->esp = p + sa->hdr_len;
	/* SPI || seq built in a register and stored once; the IV, nonce and
	 * AAD below are built from registers too, never read back from the
	 * packet (a load over two fresh smaller stores cannot be forwarded) */
	seq_be = rte_cpu_to_be_64(seq);
	hdr8 = rte_cpu_to_be_64((uint64_t)sa->spi << 32 | (uint32_t)seq);
	memcpy(c->esp, &hdr8, 8);
	if (!(sa->flags & ESP_SAF_CBC)) {
		/* GCM IV policy: explicit IV = the SA's 64-bit sequence number. It
		 * never repeats under one key: the number never wraps (checked
		 * above) and keys are never reinstalled (RFC 4106 3.1 uniqueness). */
		memcpy(c->esp + 8, &seq_be, 8);
		memcpy(c->nonce, sa->salt, 4);
		memcpy(c->nonce + 4, &seq_be, 8);
	}
	if (sa->flags & ESP_SAF_ESN) {
		/* RFC 4106 5 / RFC 4303 2.2.1: AAD = SPI || seq high || seq low */
		memcpy(c->aad, &hdr8, 4);
		memcpy(c->aad + 4, &seq_be, 8);
		c->aad_len = 12;
	} else {
		memcpy(c->aad, &hdr8, 8);
		c->aad_len = 8;
	}
	c->payload = c->esp + ESP_HDR_LEN + sa->iv_len;
	t = c->payload + ilen;
	for (k = 0; k < pad; k++)		/* RFC 4303 2.4: 1, 2, 3, ... */
		t[k] = (uint8_t)(k + 1);
	t[pad] = (uint8_t)pad;
	t[pad + 1] = nh;
	c->plen = ilen + pad + 2;
	return ESP_PASS;
}

static uint16_t
out_chunk(struct esp_worker *w, struct esp_sa *sas[], struct rte_mbuf *pkts[], uint16_t n,
	  struct rte_mbuf *outv[])
{
	struct out_ctx ctx[ESP_MAX_BURST];
	struct rte_mbuf *keep[ESP_MAX_BURST];
	struct cry_cbc_op ops[ESP_MAX_BURST];
	uint8_t tags[ESP_MAX_BURST][CRY_MAX_ICV_LEN];
	uint16_t i, ok = 0, nops = 0, done = 0, nrun, nm = 0;
	uint8_t opidx[ESP_MAX_BURST];
	struct cry_mgcm_op mops[ESP_MAX_BURST];

	ESP_CYC_START(w, n, true);
	/* pass 0: the SAs of the first ESP_PREFETCH_DIST packets */
	for (i = 0; i < n && i < ESP_PREFETCH_DIST; i++)
		if (sas[i] != NULL)
			esp_prefetch_sa_out(sas[i]);
	/* pass 1: prepare every packet; fetch the SA ESP_PREFETCH_DIST ahead
	 * and this packet's key lines for pass 2 */
	for (i = 0; i < n; i++) {
		int why;

		if (i + ESP_PREFETCH_DIST < n && sas[i + ESP_PREFETCH_DIST] != NULL)
			esp_prefetch_sa_out(sas[i + ESP_PREFETCH_DIST]);
		why = out_prepare(w, sas[i], pkts[i], &ctx[ok]);
		if (unlikely(why != ESP_PASS)) {
			if (sas[i] != NULL)
				sas[i]->drops++;
			esp_drop(w, pkts[i], (unsigned)why);
			continue;
		}
		keep[ok++] = pkts[i];
	}
	ESP_CYC(w, ESP_CYC_OUT_PREP);
	/* pass 1b: CBC IVs, one multi-block call per run of packets of one SA.
	 * CBC IV policy: IV = AES-128(K_iv, sequence number) with a per-SA
	 * random K_iv used for nothing else (cry_cbc_iv_gen_n): distinct
	 * numbers give distinct IVs that cannot be predicted without K_iv
	 * (RFC 3602 2.3), whatever the batching. */
	for (i = 0; i < ok; i = (uint16_t)(i + nrun)) {
		struct esp_sa *sa = ctx[i].sa;
		uint64_t ctrs[ESP_MAX_BURST];
		uint8_t *ivs[ESP_MAX_BURST];

		nrun = 1;
		if (!(sa->flags & ESP_SAF_CBC))
			continue;
		ctrs[0] = ctx[i].seq;
		ivs[0] = ctx[i].esp + ESP_HDR_LEN;
		while (i + nrun < ok && ctx[i + nrun].sa == sa) {
			ctrs[nrun] = ctx[i + nrun].seq;
			ivs[nrun] = ctx[i + nrun].esp + ESP_HDR_LEN;
			nrun++;
		}
		cry_cbc_iv_gen_n(w->mb, &sa->key.cbc, ctrs, nrun, ivs);
	}
	ESP_CYC(w, ESP_CYC_OUT_IV);
	/* pass 2: crypto for all survivors */
	if (unlikely(w->cdev != NULL)) {	/* cryptodev backend (esp_cdev.c) */
		struct esp_cdev_job *jb = w->cdev->jobs;

		for (i = 0; i < ok; i++)
			jb[i] = (struct esp_cdev_job){ .m = keep[i], .sa = ctx[i].sa,
				.esp = ctx[i].esp, .nonce = ctx[i].nonce, .aad = ctx[i].aad,
				.len = ctx[i].plen };
		esp_cdev_run(w, jb, ok, true);
		for (i = 0; i < ok; i++)
			ctx[i].failed = jb[i].failed;
		goto crypto_done;
	}
	for (i = 0; i < ok && i < ESP_PREFETCH_DIST; i++)
		esp_prefetch_keys(ctx[i].sa, ctx[i].plen);
	for (i = 0; i < ok; i++) {
		struct out_ctx *c = &ctx[i];
		struct esp_sa *sa = c->sa;

		if (i + ESP_PREFETCH_DIST < ok)
			esp_prefetch_keys(ctx[i + ESP_PREFETCH_DIST].sa,
					  ctx[i + ESP_PREFETCH_DIST].plen);

		if (!(sa->flags & ESP_SAF_CBC)) {
			if (cry_mgcm_take(c->plen)) {
				/* small packets: sealed together after the loop */
				mops[nm++] = (struct cry_mgcm_op){
					.key = &sa->key.gcm, .iv = c->nonce, .aad = c->aad,
					.data = c->payload, .tag = c->payload + c->plen,
					.len = c->plen, .aad_len = c->aad_len };
				continue;
			}
			cry_gcm_seal(w->mb, &sa->key.gcm, c->nonce, c->aad, c->aad_len, c->payload,
				     c->plen, c->payload + c->plen);
			continue;
		}
		ops[nops].buf = c->esp;
		ops[nops].iv = c->esp + ESP_HDR_LEN;
		/* the ICV goes straight after the trailer, unless ESN's high
		 * sequence bits sit there as hash input (then via tags[]) */
		ops[nops].tag = (sa->flags & ESP_SAF_ESN) ? tags[nops] : c->payload + c->plen;
		ops[nops].key = &sa->key.cbc;
		ops[nops].cipher_off = ESP_HDR_LEN + CRY_CBC_IV_LEN;
		ops[nops].cipher_len = c->plen;
		ops[nops].hash_len = ESP_HDR_LEN + CRY_CBC_IV_LEN + c->plen;
		if (sa->flags & ESP_SAF_ESN) {
			/* RFC 4303 3.3.2.1: seq high bits appended for the ICV only */
			memcpy(c->payload + c->plen, c->aad + 4, 4);
			ops[nops].hash_len += 4;
		}
		opidx[nops++] = (uint8_t)i;
	}
	if (nm != 0)
		cry_mgcm_seal(w->mb, mops, nm);
	if (nops != 0) {
		cry_cbc_burst(w->mb, ops, nops, true);
		for (i = 0; i < nops; i++) {
			struct out_ctx *c = &ctx[opidx[i]];

			if (c->sa->flags & ESP_SAF_ESN)
				memcpy(c->payload + c->plen, tags[i], c->sa->icv_len);
			c->failed = ops[i].status != 0;
		}
	}
crypto_done:
	ESP_CYC(w, ESP_CYC_OUT_CRYPTO);
	/* pass 3: finish */
	for (i = 0; i < ok; i++) {
		struct out_ctx *c = &ctx[i];
		struct rte_mbuf *m = keep[i];

		if (unlikely(c->failed)) {
			c->sa->drops++;
			esp_drop(w, m, ESP_DROP_MALFORMED);
			continue;
		}
		if ((c->sa->flags & (ESP_SAF_OUTER6 | ESP_SAF_NATT)) ==
		    (ESP_SAF_OUTER6 | ESP_SAF_NATT)) {
			struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)c->outer;
			struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(c->outer + 40);

			udp->dgram_cksum = 0;
			udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip6, udp);
		}
		w->st.out_packets++;
		w->st.out_bytes += m->pkt_len;
		outv[done++] = m;
	}
	ESP_CYC(w, ESP_CYC_OUT_FIN);
	return done;
}

uint16_t
esp_out_burst(struct esp_worker *w, struct esp_sa *sas[], struct rte_mbuf *pkts[], uint16_t n)
{
	uint16_t off, k, ok = 0;

	for (off = 0; off < n; off += k) {
		k = (uint16_t)RTE_MIN(n - off, ESP_MAX_BURST);
		ok += out_chunk(w, sas + off, pkts + off, k, pkts + ok);
		esp_drop_flush(w);
	}
	return ok;
}
