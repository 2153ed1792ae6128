/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rampart's ESP datapath (lib/esp) as perf/esp-bench drives it: one worker,
 * n_sa outbound SAs and n_sa inbound SAs with the same SPIs and keys (SA i
 * uses bench_keys_init(i) and SPI BENCH_SPI_BASE + i, so packets encapsulated
 * here decapsulate here and in librte_ipsec). Encapsulation spreads packets
 * over the SAs round-robin. Only the public API of lib/esp/esp.h is used.
 * Both directions live in one esp_worker, as on a real worker: its SA table
 * then holds 2 x n_sa entries.
 */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "cdev.h"
#include "esp/esp.h"
#include "esp/esp_cdev.h"
#include "sa/sa_spi.h"
#include "perf_common.h"

enum bench_spi bench_spi_mode = BENCH_SPI_RANDOM;
bool bench_sa_shuffle;

struct ram_ctx {
	struct esp_worker *w;
	enum bench_alg alg;
	unsigned n_sa;
	unsigned next;			/* round-robin cursor for encap */
	struct esp_sa **out;
	struct esp_sa **in;
	uint32_t *spis;			/* SPI of SA i, both directions */
	uint32_t *order;		/* packet k goes to SA order[k % n_sa] */
	struct cdev_ctx *cd;		/* cryptodev backend, or NULL (IPsec-MB) */
};

static void
params_fill(struct esp_sa_params *p, enum bench_alg alg, unsigned idx, uint32_t spi, bool out)
{
	const struct bench_alg_info *ai = &bench_algs[alg];
	struct bench_keys k;

	bench_keys_init(&k, idx);
	memset(p, 0, sizeof(*p));
	p->spi = spi;
	p->dir = out ? ESP_DIR_OUT : ESP_DIR_IN;
	p->enc = ai->gcm ? ESP_ENC_AES_GCM16 : ESP_ENC_AES_CBC;
	p->integ = ai->gcm ? ESP_INTEG_NONE : ESP_INTEG_HMAC_SHA256_128;
	p->enc_key_len = ai->key_len;
	p->integ_key_len = ai->auth_key_len;
	p->outer_af = 4;
	memcpy(p->enc_key, k.enc, ai->key_len + (ai->gcm ? 4 : 0));
	memcpy(p->integ_key, k.auth, ai->auth_key_len);
	memcpy(p->outer_src, out ? k.outer_src : k.outer_dst, 4);
	memcpy(p->outer_dst, out ? k.outer_dst : k.outer_src, 4);
	p->replay_window = BENCH_REPLAY_WIN;
	p->user_id = idx;
}

static int
sa_install(struct ram_ctx *c, unsigned idx, bool out)
{
	struct esp_sa_params p;
	struct esp_sa *sa;
	int rc;

	params_fill(&p, c->alg, idx, c->spis[idx], out);
	/* sessions on this context's device only (the others stay unregistered) */
	if (c->cd != NULL)
		esp_cdev_register(&c->cd->conf);
	rc = esp_sa_create(&p, SOCKET_ID_ANY, &sa);
	if (c->cd != NULL)
		esp_cdev_register(NULL);
	memset(&p, 0, sizeof(p));
	if (rc < 0)
		return rc;
	rc = esp_worker_sa_add(c->w, sa);
	if (rc < 0) {
		esp_sa_destroy(sa);
		return rc;
	}
	if (out)
		c->out[idx] = sa;
	else
		c->in[idx] = sa;
	return 0;
}

static void
sa_remove(struct ram_ctx *c, unsigned idx, bool out)
{
	struct esp_sa **slot = out ? &c->out[idx] : &c->in[idx];

	if (*slot == NULL)
		return;
	esp_worker_sa_del(c->w, c->spis[idx], out ? ESP_DIR_OUT : ESP_DIR_IN);
	esp_sa_destroy(*slot);
	*slot = NULL;
}

/* SA i's SPI: see bench_spi_mode. */
static int
spis_fill(struct ram_ctx *c)
{
	struct sa_spi_alloc *a;
	unsigned i;
	int rc;

	if (c->n_sa == 1 || bench_spi_mode == BENCH_SPI_SEQ) {
		for (i = 0; i < c->n_sa; i++)
			c->spis[i] = BENCH_SPI_BASE + i;
		return 0;
	}
	rc = sa_spi_alloc_create(1, &a);
	if (rc < 0)
		return rc;
	for (i = 0; i < c->n_sa && rc == 0; i++) {
		rc = sa_spi_alloc(a, 0, 0, &c->spis[i]);
		if (rc == 0)
			rc = sa_spi_keep(a, c->spis[i]);
	}
	sa_spi_alloc_destroy(a);
	return rc;
}

int
ram_ctx_create(enum bench_alg alg, unsigned n_sa, struct ram_ctx **out)
{
	return ram_ctx_create_cdev(alg, n_sa, NULL, out);
}

int
ram_ctx_create_cdev(enum bench_alg alg, unsigned n_sa, struct cdev_ctx *cd, struct ram_ctx **out)
{
	struct ram_ctx *c;
	unsigned i;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->alg = alg;
	c->n_sa = n_sa;
	c->out = calloc(n_sa, sizeof(*c->out));
	c->in = calloc(n_sa, sizeof(*c->in));
	c->spis = calloc(n_sa, sizeof(*c->spis));
	c->order = calloc(n_sa, sizeof(*c->order));
	rc = -ENOMEM;
	if (c->out == NULL || c->in == NULL || c->spis == NULL || c->order == NULL)
		goto fail;
	for (i = 0; i < n_sa; i++)
		c->order[i] = i;
	if (bench_sa_shuffle) {
		uint64_t x = 0x9e3779b97f4a7c15ull;	/* fixed seed: same order every run */

		for (i = n_sa - 1; i > 0; i--) {
			uint32_t j, t;

			j = (uint32_t)(perf_xorshift64(&x) % (i + 1));
			t = c->order[i];
			c->order[i] = c->order[j];
			c->order[j] = t;
		}
	}
	rc = spis_fill(c);
	if (rc < 0)
		goto fail;
	rc = esp_worker_create(0, SOCKET_ID_ANY, NULL, &c->w);
	if (rc < 0)
		goto fail;
	c->cd = cd;
	if (cd != NULL) {
		rc = cdev_worker_attach(cd, 0, c->w);
		if (rc < 0)
			goto fail;
	}
	for (i = 0; i < n_sa; i++) {
		rc = sa_install(c, i, true);
		if (rc == 0)
			rc = sa_install(c, i, false);
		if (rc < 0)
			goto fail;
	}
	*out = c;
	return 0;
fail:
	ram_ctx_destroy(c);
	return rc;
}

void
ram_ctx_destroy(struct ram_ctx *c)
{
	unsigned i;

	if (c == NULL)
		return;
	if (c->w != NULL) {
		for (i = 0; i < c->n_sa; i++) {
			if (c->out != NULL)
				sa_remove(c, i, true);
			if (c->in != NULL)
				sa_remove(c, i, false);
		}
	}
	if (c->w != NULL)
		esp_worker_destroy(c->w);
	free(c->out);
	free(c->in);
	free(c->spis);
	free(c->order);
	free(c);
}

int
ram_ctx_reset_in(struct ram_ctx *c)
{
	unsigned i;
	int rc;

	for (i = 0; i < c->n_sa; i++) {
		sa_remove(c, i, false);
		rc = sa_install(c, i, false);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void
ram_pick(struct ram_ctx *c, struct esp_sa *sas[], uint16_t n)
{
	unsigned next = c->next;
	uint16_t i;

	for (i = 0; i < n; i++) {
		sas[i] = c->out[c->order[next]];
		if (++next == c->n_sa)
			next = 0;
	}
	c->next = next;
}

uint16_t
ram_encap(struct ram_ctx *c, struct esp_sa *sas[], struct rte_mbuf *pkts[], uint16_t n)
{
	return esp_out_burst(c->w, sas, pkts, n);
}

uint16_t
ram_decap(struct ram_ctx *c, struct rte_mbuf *pkts[], uint16_t n)
{
	return esp_in_burst(c->w, pkts, n);
}

/* Print the worker's non-zero drop counters (after a short burst). */
void
ram_drops_print(const struct ram_ctx *c, FILE *f)
{
	struct esp_worker_stats st;
	struct esp_cdev_stats cs;
	unsigned i;

	esp_worker_stats_get(c->w, &st);
	esp_worker_cdev_stats_get(c->w, &cs);
	if (c->cd != NULL)
		fprintf(f, "esp-bench:   cryptodev ops enqueued %" PRIu64 " dequeued %" PRIu64
			" errors %" PRIu64 " no_ops %" PRIu64 "\n", cs.enqueued, cs.dequeued,
			cs.op_errors, cs.no_ops);
	for (i = 0; i < ESP_DROP__COUNT; i++)
		if (st.drops[i] != 0)
			fprintf(f, "esp-bench:   rampart drops %s: %" PRIu64 "\n",
				esp_drop_names[i], st.drops[i]);
}
