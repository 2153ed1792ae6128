/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-side half of lib/esp: building and destroying SAs (keys expanded,
 * outer header template prebuilt, lifetimes and window set), per-worker
 * state, the worker's SA table operations and the statistics getters.
 * esp_sa_create/destroy and esp_worker_create/destroy run on the control
 * core; esp_worker_sa_* run on the owner worker while it drains its ring.
 */
#include "esp/esp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/random.h>

#include <rte_log.h>
#include <rte_malloc.h>

#include "esp/esp_priv.h"

RTE_LOG_REGISTER(esp_logtype, rampart.esp, INFO);

const char *const esp_drop_names[ESP_DROP__COUNT] = {
	[ESP_DROP_NO_SA] = "no_sa",
	[ESP_DROP_REPLAY] = "replay",
	[ESP_DROP_ICV] = "icv",
	[ESP_DROP_PAD] = "pad",
	[ESP_DROP_MALFORMED] = "malformed",
	[ESP_DROP_SHORT] = "short",
	[ESP_DROP_SEQ_EXHAUSTED] = "seq_exhausted",
	[ESP_DROP_LIFETIME] = "lifetime",
	[ESP_DROP_NOROOM] = "noroom",
	[ESP_DROP_TTL] = "ttl",
	[ESP_DROP_MULTISEG] = "multiseg",
	[ESP_DROP_ECN] = "ecn",
};

static int
params_validate(const struct esp_sa_params *p)
{
	if (p->dir != ESP_DIR_IN && p->dir != ESP_DIR_OUT)
		return -EINVAL;
	if (p->spi < 256)		/* RFC 4303 2.1: 1..255 reserved, 0 local */
		return -EINVAL;
	if (p->enc == ESP_ENC_AES_GCM16) {
		if (p->integ != ESP_INTEG_NONE)
			return -EINVAL;
		if (p->enc_key_len != 16 && p->enc_key_len != 24 && p->enc_key_len != 32)
			return -EINVAL;
	} else if (p->enc == ESP_ENC_AES_CBC) {
		if (p->enc_key_len != 16 && p->enc_key_len != 32)
			return -EINVAL;
		if (p->integ != ESP_INTEG_HMAC_SHA256_128 &&
		    p->integ != ESP_INTEG_HMAC_SHA384_192 &&
		    p->integ != ESP_INTEG_HMAC_SHA512_256)
			return -EINVAL;
		if (p->integ_key_len == 0 || p->integ_key_len > ESP_MAX_INTEG_KEY_LEN)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (p->dir == ESP_DIR_OUT && p->outer_af != 4 && p->outer_af != 6)
		return -EINVAL;
	if ((p->natt_sport == 0) != (p->natt_dport == 0))
		return -EINVAL;
	if (p->dscp_mode > 1)
		return -EINVAL;
	if (p->no_replay && (p->dir != ESP_DIR_IN || p->esn))
		return -EINVAL;
	if (p->replay_window != 0 &&
	    (p->replay_window < ESP_REPLAY_MIN || p->replay_window > ESP_REPLAY_MAX))
		return -EINVAL;
	return 0;
}

/* Outer IPv4/IPv6 (+ UDP 4500) header with every per-SA constant filled in. */
/*
 * IPv4 template: its checksum field holds the folded one's complement sum of
 * the header words that are the same for every packet (TOS, total length, ID
 * and DF taken as 0), so esp_out adds only the per-packet words (RFC 1071
 * sums are associative; RFC 1624). The field is rewritten in every packet.
 */
static void
tmpl_sum4(uint8_t *t)
{
	uint8_t h[20];
	uint32_t s = 0;
	unsigned i;

	memcpy(h, t, 20);
	h[1] = h[2] = h[3] = h[4] = h[5] = h[6] = h[10] = h[11] = 0;
	for (i = 0; i < 20; i += 2)
		s += net_rd16(h + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	net_wr16(t + 10, (uint16_t)s);
}

static void
tmpl_build(struct esp_sa *sa, const struct esp_sa_params *p)
{
	uint8_t *t = sa->tmpl;
	unsigned ipl;

	memset(t, 0, sizeof(sa->tmpl));
	if (p->outer_af == 4) {
		t[0] = 0x45;
		t[6] = 0x40;			/* DF; per packet: see esp_out.c */
		t[8] = 64;			/* outer TTL */
		t[9] = p->natt_sport != 0 ? IPPROTO_UDP : IPPROTO_ESP;
		memcpy(t + 12, p->outer_src, 4);
		memcpy(t + 16, p->outer_dst, 4);
		tmpl_sum4(t);
		ipl = 20;
	} else {
		t[0] = 0x60;
		t[6] = p->natt_sport != 0 ? IPPROTO_UDP : IPPROTO_ESP;
		t[7] = 64;			/* outer hop limit */
		memcpy(t + 8, p->outer_src, 16);
		memcpy(t + 24, p->outer_dst, 16);
		ipl = 40;
	}
	if (p->natt_sport != 0) {
		net_wr16(t + ipl, p->natt_sport);
		net_wr16(t + ipl + 2, p->natt_dport);
		ipl += 8;
	}
	sa->hdr_len = (uint8_t)ipl;
}

int
esp_sa_create(const struct esp_sa_params *p, int socket_id, struct esp_sa **out)
{
	struct esp_sa *sa;
	uint8_t iv_key[16];
	int rc;

	if (p == NULL || out == NULL)
		return -EINVAL;
	rc = params_validate(p);
	if (rc != 0)
		return rc;
	sa = rte_zmalloc_socket("esp_sa", sizeof(*sa), RTE_CACHE_LINE_SIZE, socket_id);
	if (sa == NULL)
		return -ENOMEM;
	sa->spi = p->spi;
	sa->spi_be = rte_cpu_to_be_32(p->spi);
	sa->dir = p->dir;
	sa->user_id = p->user_id;
	if (p->esn)
		sa->flags |= ESP_SAF_ESN;
	if (p->no_replay)
		sa->flags |= ESP_SAF_NO_REPLAY;
	if (p->natt_sport != 0)
		sa->flags |= ESP_SAF_NATT;
	if (p->outer_af == 6)
		sa->flags |= ESP_SAF_OUTER6;
	if (p->dscp_mode == 1)
		sa->flags |= ESP_SAF_DSCP_ZERO;
	sa->soft_packets = p->soft_packets != 0 ? p->soft_packets : UINT64_MAX;
	sa->hard_packets = p->hard_packets != 0 ? p->hard_packets : UINT64_MAX;
	sa->soft_bytes = p->soft_bytes != 0 ? p->soft_bytes : UINT64_MAX;
	sa->hard_bytes = p->hard_bytes != 0 ? p->hard_bytes : UINT64_MAX;
	/* Outbound numbers never wrap (RFC 4303 3.3.3): the last usable one is
	 * 2^32-1, or 2^64-1 with ESN; the near-wrap event fires 1/16 earlier. */
	sa->seq_limit = p->esn ? UINT64_MAX : UINT32_MAX;
	sa->seq_near = sa->seq_limit - (sa->seq_limit >> 4);
	esp_seq_arm(sa);
	esp_sa_life_arm(sa);
	if (p->dir == ESP_DIR_OUT) {
		if (p->seq_start >= sa->seq_limit) {
			rc = -EINVAL;
			goto fail;
		}
		sa->seq = p->seq_start;
		tmpl_build(sa, p);
	}
	if (esp_replay_init(&sa->replay, p->replay_window) != 0) {
		rc = -EINVAL;
		goto fail;
	}
	if (p->dir == ESP_DIR_IN) {
		if (!p->esn && p->seq_start > UINT32_MAX) {
			rc = -EINVAL;
			goto fail;
		}
		sa->replay.top = p->seq_start;	/* tests: window already advanced */
		sa->seq = p->seq_start;
		/* RFC 3948: authenticated packets from elsewhere are reported */
		if (p->natt_sport != 0 && (p->outer_af == 4 || p->outer_af == 6)) {
			sa->peer_fp = esp_peer_fp(p->outer_af, p->outer_src, p->natt_sport);
			sa->flags |= ESP_SAF_PEER_CHECK;
		}
	}
	if (p->enc == ESP_ENC_AES_GCM16) {
		sa->icv_len = CRY_GCM_ICV_LEN;
		sa->iv_len = CRY_GCM_IV_LEN;
		sa->align = 4;
		memcpy(sa->salt, p->enc_key + p->enc_key_len, CRY_GCM_SALT_LEN);
		rc = cry_gcm_key_init(cry_ctl_mgr(), &sa->key.gcm, p->enc_key, p->enc_key_len);
	} else {
		sa->flags |= ESP_SAF_CBC;
		sa->iv_len = CRY_CBC_IV_LEN;
		sa->align = CRY_CBC_BLOCK;
		if (getrandom(iv_key, sizeof(iv_key), 0) != (ssize_t)sizeof(iv_key)) {
			rc = -EIO;
			goto fail;
		}
		rc = cry_cbc_key_init(cry_ctl_mgr(), &sa->key.cbc, p->enc_key, p->enc_key_len,
				      p->integ, p->integ_key, p->integ_key_len, iv_key);
		cry_wipe(iv_key, sizeof(iv_key));
		sa->icv_len = sa->key.cbc.icv_len;
	}
	if (rc != 0)
		goto fail;
	rc = esp_cdev_sa_init(sa, p, socket_id);	/* no-op without cryptodevs */
	if (rc != 0)
		goto fail;
	ESP_LOG(DEBUG, "sa spi 0x%08x %s %s-%u%s%s created", p->spi,
		p->dir == ESP_DIR_IN ? "in" : "out",
		p->enc == ESP_ENC_AES_GCM16 ? "aes-gcm16" : "aes-cbc", p->enc_key_len * 8u,
		p->esn ? " esn" : "", p->natt_sport != 0 ? " natt" : "");
	*out = sa;
	return 0;
fail:
	cry_wipe(sa, sizeof(*sa));
	rte_free(sa);
	return rc;
}

void
esp_sa_destroy(struct esp_sa *sa)
{
	if (sa == NULL)
		return;
	esp_cdev_sa_fini(sa);
	cry_wipe(sa, sizeof(*sa));
	rte_free(sa);
}

unsigned
esp_sa_overhead(const struct esp_sa *sa)
{
	return sa->hdr_len + ESP_HDR_LEN + sa->iv_len + (sa->align - 1u) + 2u + sa->icv_len;
}

uint32_t
esp_sa_spi(const struct esp_sa *sa)
{
	return sa->spi;
}

void
esp_sa_stats_get(const struct esp_sa *sa, struct esp_sa_stats *st)
{
	st->packets = sa->packets;
	st->bytes = sa->bytes;
	st->seq = sa->dir == ESP_DIR_OUT ? sa->seq : sa->replay.top;
	st->drops = sa->drops;
}

int
esp_worker_create(unsigned worker_id, int socket_id, struct rte_ring *ev_ring,
		  struct esp_worker **out)
{
	static unsigned seq;		/* control core only: unique table names */
	char name[32];
	struct esp_worker *w;
	int rc;

	if (out == NULL)
		return -EINVAL;
	w = rte_zmalloc_socket("esp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE, socket_id);
	if (w == NULL)
		return -ENOMEM;
	w->id = (uint16_t)worker_id;
	w->ev_ring = ev_ring;
	w->mb = cry_mgr_create();
	if (w->mb == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	w->spi_ix = rte_zmalloc_socket("esp_spi_ix", SA_SPI_INDEX_SIZE * sizeof(*w->spi_ix),
				       RTE_CACHE_LINE_SIZE, socket_id);
	if (w->spi_ix == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	snprintf(name, sizeof(name), "esp_sa_%u_%u", worker_id, seq++);
	rc = sa_tab_create(name, 0, socket_id, &w->tab);
	if (rc != 0)
		goto fail;
	*out = w;
	return 0;
fail:
	rte_free(w->spi_ix);
	cry_mgr_destroy(w->mb);
	rte_free(w);
	return rc;
}

#ifdef ESP_CYCLES
static void
cyc_print(const struct esp_worker *w)
{
	static const char *const names[ESP_CYC__COUNT] = {
		"out prepare", "out cbc-iv", "out crypto", "out finish",
		"in parse", "in lookup", "in check", "in crypto", "in commit",
	};
	unsigned i;

	for (i = 0; i < ESP_CYC__COUNT; i++) {
		uint64_t np = w->cyc_pkts[i < ESP_CYC_IN_PARSE ? 1 : 0];

		if (np != 0)
			fprintf(stderr, "esp cycles worker %u: %-12s %8.1f /pkt\n", w->id,
				names[i], (double)w->cyc[i] / (double)np);
	}
}
#endif

void
esp_worker_destroy(struct esp_worker *w)
{
	if (w == NULL)
		return;
#ifdef ESP_CYCLES
	cyc_print(w);
#endif
	esp_cdev_worker_fini(w);
	sa_tab_destroy(w->tab);
	rte_free(w->spi_ix);
	cry_mgr_destroy(w->mb);
	rte_free(w);
}

int
esp_worker_sa_add(struct esp_worker *w, struct esp_sa *sa)
{
	struct esp_sa **slot = &w->spi_ix[sa_spi_index(sa->spi)];
	int rc;

	sa->worker = w->id;
	rc = sa_tab_add(w->tab, sa->spi, sa->dir, sa);
	/* first come keeps a shared index; the others are found by the hash */
	if (rc == 0 && sa->dir == ESP_DIR_IN && *slot == NULL)
		*slot = sa;
	return rc;
}

struct esp_sa *
esp_worker_sa_del(struct esp_worker *w, uint32_t spi, uint8_t dir)
{
	struct esp_sa *sa = sa_tab_del(w->tab, spi, dir);
	struct esp_sa **slot = &w->spi_ix[sa_spi_index(spi)];

	if (sa != NULL && *slot == sa)
		*slot = NULL;
	return sa;
}

struct esp_sa *
esp_worker_sa_lookup(struct esp_worker *w, uint32_t spi, uint8_t dir)
{
	return sa_tab_lookup(w->tab, spi, dir);
}

int
esp_worker_sa_update(struct esp_worker *w, uint32_t spi, uint8_t dir, const struct sa_peer *peer)
{
	bool natt = peer != NULL && peer->peer_port != 0;
	struct esp_sa *sa;
	unsigned ipl;
	uint8_t *t;

	if (w == NULL || peer == NULL || (peer->af != 4 && peer->af != 6))
		return -EINVAL;
	sa = sa_tab_lookup(w->tab, spi, dir);
	if (sa == NULL)
		return -ENOENT;
	if (natt != ((sa->flags & ESP_SAF_NATT) != 0))
		return -EINVAL;
	if (dir == ESP_DIR_IN) {
		if (natt) {
			sa->peer_fp = esp_peer_fp(peer->af, peer->peer, peer->peer_port);
			sa->flags |= ESP_SAF_PEER_CHECK;
		}
		sa->moved_tsc = 0;
		return 0;
	}
	if ((peer->af == 6) != ((sa->flags & ESP_SAF_OUTER6) != 0) ||
	    natt != (peer->local_port != 0))
		return -EINVAL;
	/* the template is read only by this worker's esp_out_burst: no race */
	t = sa->tmpl;
	if (peer->af == 4) {
		memcpy(t + 12, peer->local, 4);
		memcpy(t + 16, peer->peer, 4);
		tmpl_sum4(t);
		ipl = 20;
	} else {
		memcpy(t + 8, peer->local, 16);
		memcpy(t + 24, peer->peer, 16);
		ipl = 40;
	}
	if (natt) {
		net_wr16(t + ipl, peer->local_port);
		net_wr16(t + ipl + 2, peer->peer_port);
	}
	return 0;
}

void
esp_worker_stats_get(const struct esp_worker *w, struct esp_worker_stats *st)
{
	*st = w->st;
}

uint32_t
esp_worker_sa_count(const struct esp_worker *w)
{
	return sa_tab_count(w->tab);
}

/* Fill @ack as the SA_EV_DEL_ACK handing @sa (may be NULL) back. */
static void
del_ack(const struct esp_worker *w, struct esp_sa *sa, uint32_t spi, uint64_t cookie,
	struct sa_event *ack)
{
	memset(ack, 0, sizeof(*ack));
	ack->type = SA_EV_DEL_ACK;
	ack->worker = w->id;
	ack->spi = spi;
	ack->user_id = sa != NULL ? sa->user_id : 0;
	ack->cookie = cookie;
	ack->sa = sa;
}

int
esp_worker_msg(struct esp_worker *w, const struct sa_msg *msg, struct sa_event *ack)
{
	struct esp_sa *sa;
	uint8_t dir;
	int rc;

	if (ack != NULL)
		ack->type = 0;
	if (w == NULL || msg == NULL || ack == NULL)
		return -EINVAL;
	switch (msg->op) {
	case SA_MSG_ADD_IN:
	case SA_MSG_ADD_OUT:
		sa = msg->add.sa;
		if (sa == NULL)
			return -EINVAL;
		dir = msg->op == SA_MSG_ADD_IN ? ESP_DIR_IN : ESP_DIR_OUT;
		rc = sa->dir != dir || sa->spi != msg->spi ? -EINVAL : esp_worker_sa_add(w, sa);
		if (rc != 0)		/* hand the SA back so control can free it */
			del_ack(w, sa, msg->spi, msg->cookie, ack);
		return rc;
	case SA_MSG_DEL_IN:
	case SA_MSG_DEL_OUT:
		dir = msg->op == SA_MSG_DEL_IN ? ESP_DIR_IN : ESP_DIR_OUT;
		sa = esp_worker_sa_del(w, msg->spi, dir);
		del_ack(w, sa, msg->spi, msg->cookie, ack);
		return sa != NULL ? 0 : -ENOENT;
	case SA_MSG_UPDATE_IN:
	case SA_MSG_UPDATE_OUT:
		return esp_worker_sa_update(w, msg->spi,
					    msg->op == SA_MSG_UPDATE_IN ? ESP_DIR_IN : ESP_DIR_OUT,
					    &msg->peer);
	case SA_MSG_ROUTE_ADD:
	case SA_MSG_ROUTE_DEL:
	case SA_MSG_FLUSH:
		return -ENOTSUP;
	default:
		return -EINVAL;
	}
}
