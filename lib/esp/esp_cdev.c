/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lookaside ESP crypto through rte_cryptodev (esp_cdev.h): the SA's
 * symmetric sessions (control core) and the crypto pass of a burst on a
 * worker's queue pair: one op per packet, operating in place on the mbuf,
 * one enqueue burst, dequeue polling until every op is back, results
 * written to the jobs by the index each op carries (so a device that
 * completes out of order cannot mix packets up). Passes 1 and 3 of
 * esp_in.c/esp_out.c do not change.
 */
#include "esp/esp_cdev.h"

#include <errno.h>
#include <string.h>

#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "esp/esp_priv.h"

/* Per-op private data, right after the symmetric op (the IV offset). */
struct esp_cdev_priv {
	uint8_t iv[16];			/* GCM nonce (12) or CBC IV (16) */
	uint8_t aad[16];		/* GCM AAD (8 or 12) */
	uint8_t digest[CRY_MAX_ICV_LEN]; /* CBC + ESN: ICV out / received ICV */
	uint16_t idx;			/* job index */
};

enum {
	CDEV_IV_OFF = sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op),
	CDEV_AAD_OFF = CDEV_IV_OFF + offsetof(struct esp_cdev_priv, aad),
	CDEV_DIGEST_OFF = CDEV_IV_OFF + offsetof(struct esp_cdev_priv, digest),
};

_Static_assert(sizeof(struct esp_cdev_priv) <= ESP_CDEV_OP_PRIV, "ESP_CDEV_OP_PRIV too small");

/* The SA's sessions, one per device registered when it was made. */
struct esp_cdev_sa {
	unsigned n;
	uint8_t dev_id[ESP_CDEV_MAX_DEV];
	void *sess[ESP_CDEV_MAX_DEV];
};

static struct esp_cdev_conf reg;	/* control core only */
static bool reg_on;
static bool test_reverse;

int
esp_cdev_register(const struct esp_cdev_conf *c)
{
	if (c == NULL) {
		reg_on = false;
		memset(&reg, 0, sizeof(reg));
		return 0;
	}
	if (c->n_dev == 0 || c->n_dev > ESP_CDEV_MAX_DEV || c->sess_pool == NULL)
		return -EINVAL;
	reg = *c;
	reg_on = true;
	return 0;
}

bool
esp_cdev_registered(void)
{
	return reg_on;
}

void
esp_cdev_test_reverse(bool on)
{
	test_reverse = on;
}

/* Device @dev's capability for the algorithm of @xf; NULL if it has none. */
static const struct rte_cryptodev_symmetric_capability *
xform_cap(uint8_t dev, const struct rte_crypto_sym_xform *xf)
{
	struct rte_cryptodev_sym_capability_idx idx;

	memset(&idx, 0, sizeof(idx));
	idx.type = xf->type;
	switch (xf->type) {
	case RTE_CRYPTO_SYM_XFORM_AEAD:
		idx.algo.aead = xf->aead.algo;
		break;
	case RTE_CRYPTO_SYM_XFORM_CIPHER:
		idx.algo.cipher = xf->cipher.algo;
		break;
	case RTE_CRYPTO_SYM_XFORM_AUTH:
		idx.algo.auth = xf->auth.algo;
		break;
	default:
		return NULL;
	}
	return rte_cryptodev_sym_capability_get(dev, &idx);
}

/* Does device @dev do what @xf asks (algorithm, key, digest, AAD, IV sizes)? */
static bool
xform_supported(uint8_t dev, const struct rte_crypto_sym_xform *xf)
{
	const struct rte_cryptodev_symmetric_capability *cap;
	int rc;

	for (; xf != NULL; xf = xf->next) {
		cap = xform_cap(dev, xf);
		if (cap == NULL)
			return false;
		if (xf->type == RTE_CRYPTO_SYM_XFORM_AEAD)
			rc = rte_cryptodev_sym_capability_check_aead(cap, xf->aead.key.length,
					xf->aead.digest_length, xf->aead.aad_length,
					xf->aead.iv.length);
		else if (xf->type == RTE_CRYPTO_SYM_XFORM_CIPHER)
			rc = rte_cryptodev_sym_capability_check_cipher(cap, xf->cipher.key.length,
					xf->cipher.iv.length);
		else
			rc = rte_cryptodev_sym_capability_check_auth(cap, xf->auth.key.length,
					xf->auth.digest_length, 0);
		if (rc != 0)
			return false;
	}
	return true;
}

int
esp_cdev_sa_init(struct esp_sa *sa, const struct esp_sa_params *p, int socket_id)
{
	struct rte_crypto_sym_xform aead, cipher, auth, *first;
	bool out = p->dir == ESP_DIR_OUT;
	struct esp_cdev_sa *cs;
	unsigned i;
	int rc = 0;

	if (!reg_on)
		return 0;
	memset(&aead, 0, sizeof(aead));
	memset(&cipher, 0, sizeof(cipher));
	memset(&auth, 0, sizeof(auth));
	if (p->enc == ESP_ENC_AES_GCM16) {
		aead.type = RTE_CRYPTO_SYM_XFORM_AEAD;
		aead.aead.op = out ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
		aead.aead.algo = RTE_CRYPTO_AEAD_AES_GCM;
		aead.aead.key.data = p->enc_key;	/* salt excluded: it is in the nonce */
		aead.aead.key.length = p->enc_key_len;
		aead.aead.iv.offset = CDEV_IV_OFF;
		aead.aead.iv.length = CRY_GCM_NONCE_LEN;
		aead.aead.digest_length = CRY_GCM_ICV_LEN;
		aead.aead.aad_length = p->esn ? 12 : 8;
		first = &aead;
	} else {
		cipher.type = RTE_CRYPTO_SYM_XFORM_CIPHER;
		cipher.cipher.op = out ? RTE_CRYPTO_CIPHER_OP_ENCRYPT : RTE_CRYPTO_CIPHER_OP_DECRYPT;
		cipher.cipher.algo = RTE_CRYPTO_CIPHER_AES_CBC;
		cipher.cipher.key.data = p->enc_key;
		cipher.cipher.key.length = p->enc_key_len;
		cipher.cipher.iv.offset = CDEV_IV_OFF;
		cipher.cipher.iv.length = CRY_CBC_IV_LEN;
		auth.type = RTE_CRYPTO_SYM_XFORM_AUTH;
		auth.auth.op = out ? RTE_CRYPTO_AUTH_OP_GENERATE : RTE_CRYPTO_AUTH_OP_VERIFY;
		auth.auth.algo = p->integ == ESP_INTEG_HMAC_SHA256_128 ? RTE_CRYPTO_AUTH_SHA256_HMAC :
				 p->integ == ESP_INTEG_HMAC_SHA384_192 ? RTE_CRYPTO_AUTH_SHA384_HMAC :
									  RTE_CRYPTO_AUTH_SHA512_HMAC;
		auth.auth.key.data = p->integ_key;
		auth.auth.key.length = p->integ_key_len;
		auth.auth.digest_length = sa->icv_len;
		/* encrypt then MAC outbound, verify then decrypt inbound */
		if (out) {
			cipher.next = &auth;
			first = &cipher;
		} else {
			auth.next = &cipher;
			first = &auth;
		}
	}
	cs = rte_zmalloc_socket("esp_cdev_sa", sizeof(*cs), 0, socket_id);
	if (cs == NULL)
		return -ENOMEM;
	sa->cdev = cs;
	for (i = 0; i < reg.n_dev; i++) {
		if (!xform_supported(reg.dev_id[i], first)) {
			ESP_LOG(WARNING, "sa spi 0x%08x: cryptodev %u (%s) lacks the SA's algorithm",
				p->spi, reg.dev_id[i], rte_cryptodev_name_get(reg.dev_id[i]));
			rc = -ENOTSUP;
			break;
		}
		cs->sess[i] = rte_cryptodev_sym_session_create(reg.dev_id[i], first,
								reg.sess_pool);
		if (cs->sess[i] == NULL) {
			rc = -ENOMEM;
			break;
		}
		cs->dev_id[i] = reg.dev_id[i];
		cs->n = i + 1;
	}
	if (rc != 0)
		esp_cdev_sa_fini(sa);
	return rc;
}

void
esp_cdev_sa_fini(struct esp_sa *sa)
{
	struct esp_cdev_sa *cs = sa->cdev;
	unsigned i;

	if (cs == NULL)
		return;
	/* the PMD clears the session's key material before the mempool put */
	for (i = 0; i < cs->n; i++)
		rte_cryptodev_sym_session_free(cs->dev_id[i], cs->sess[i]);
	rte_free(cs);
	sa->cdev = NULL;
}

int
esp_worker_cdev_attach(struct esp_worker *w, uint8_t dev_id, uint16_t qp,
		       struct rte_mempool *op_pool)
{
	struct rte_crypto_op_pool_private *pp;
	struct esp_cdev_w *c;

	if (w == NULL || op_pool == NULL || !rte_cryptodev_is_valid_dev(dev_id))
		return -EINVAL;
	pp = rte_mempool_get_priv(op_pool);
	if (pp == NULL || pp->type != RTE_CRYPTO_OP_TYPE_SYMMETRIC ||
	    pp->priv_size < ESP_CDEV_OP_PRIV)
		return -EINVAL;
	if (w->cdev != NULL)
		return -EBUSY;
	c = rte_zmalloc("esp_cdev_w", sizeof(*c), RTE_CACHE_LINE_SIZE);
	if (c == NULL)
		return -ENOMEM;
	c->op_pool = op_pool;
	c->qp = qp;
	c->dev_id = dev_id;
	w->cdev = c;
	return 0;
}

bool
esp_worker_uses_cdev(const struct esp_worker *w)
{
	return w->cdev != NULL;
}

void
esp_worker_cdev_stats_get(const struct esp_worker *w, struct esp_cdev_stats *st)
{
	if (w->cdev == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = w->cdev->st;
}

void
esp_cdev_worker_fini(struct esp_worker *w)
{
	rte_free(w->cdev);
	w->cdev = NULL;
}

static inline void *
sess_of(const struct esp_sa *sa, uint8_t dev)
{
	const struct esp_cdev_sa *cs = sa->cdev;
	unsigned i;

	if (unlikely(cs == NULL))
		return NULL;
	for (i = 0; i < cs->n; i++)
		if (cs->dev_id[i] == dev)
			return cs->sess[i];
	return NULL;
}

/* Fill op @op for job @j (index @idx). Returns false if the SA has no session here. */
static inline bool
op_fill(struct esp_cdev_w *c, struct rte_crypto_op *op, const struct esp_cdev_job *j,
	uint16_t idx, bool out)
{
	struct esp_cdev_priv *pv = rte_crypto_op_ctod_offset(op, struct esp_cdev_priv *,
							     CDEV_IV_OFF);
	struct rte_crypto_sym_op *sym = op->sym;
	const struct esp_sa *sa = j->sa;
	struct rte_mbuf *m = j->m;
	uint8_t *base = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t esp_off = (uint32_t)(j->esp - base);
	uint32_t off = esp_off + ESP_HDR_LEN + sa->iv_len;	/* payload */
	uint8_t *icv = base + off + j->len;
	void *sess = sess_of(sa, c->dev_id);

	if (unlikely(sess == NULL))
		return false;
	pv->idx = idx;
	rte_crypto_op_attach_sym_session(op, sess);
	sym->m_src = m;
	sym->m_dst = NULL;
	if (!(sa->flags & ESP_SAF_CBC)) {
		memcpy(pv->iv, j->nonce, CRY_GCM_NONCE_LEN);
		memcpy(pv->aad, j->aad, 12);
		sym->aead.data.offset = off;
		sym->aead.data.length = j->len;
		sym->aead.digest.data = icv;
		sym->aead.digest.phys_addr = rte_pktmbuf_iova_offset(m, off + j->len);
		sym->aead.aad.data = pv->aad;
		sym->aead.aad.phys_addr = rte_crypto_op_ctophys_offset(op, CDEV_AAD_OFF);
		return true;
	}
	memcpy(pv->iv, j->esp + ESP_HDR_LEN, CRY_CBC_IV_LEN);
	sym->cipher.data.offset = off;
	sym->cipher.data.length = j->len;
	sym->auth.data.offset = esp_off;
	sym->auth.data.length = ESP_HDR_LEN + CRY_CBC_IV_LEN + j->len;
	if (sa->flags & ESP_SAF_ESN) {
		/* RFC 4303 3.3.2.1: seq high bits after the trailer, for the ICV
		 * only; the ICV (received, or computed) sits in the op meanwhile */
		if (!out)
			memcpy(pv->digest, icv, sa->icv_len);
		memcpy(icv, j->aad + 4, 4);
		sym->auth.data.length += 4;
		sym->auth.digest.data = pv->digest;
		sym->auth.digest.phys_addr = rte_crypto_op_ctophys_offset(op, CDEV_DIGEST_OFF);
	} else {
		sym->auth.digest.data = icv;
		sym->auth.digest.phys_addr = rte_pktmbuf_iova_offset(m, off + j->len);
	}
	return true;
}

/* One completed op: its job's verdict (and the ESN ICV moved into place). */
static inline void
op_done(struct esp_cdev_w *c, struct rte_crypto_op *op, struct esp_cdev_job *jobs, bool out)
{
	struct esp_cdev_priv *pv = rte_crypto_op_ctod_offset(op, struct esp_cdev_priv *,
							     CDEV_IV_OFF);
	struct esp_cdev_job *j = &jobs[pv->idx];
	const struct esp_sa *sa = j->sa;

	if (likely(op->status == RTE_CRYPTO_OP_STATUS_SUCCESS)) {
		j->failed = false;
		if (out && (sa->flags & (ESP_SAF_CBC | ESP_SAF_ESN)) ==
			   (ESP_SAF_CBC | ESP_SAF_ESN))
			memcpy(j->esp + ESP_HDR_LEN + sa->iv_len + j->len, pv->digest,
			       sa->icv_len);
		return;
	}
	j->failed = true;
	if (op->status != RTE_CRYPTO_OP_STATUS_AUTH_FAILED)
		c->st.op_errors++;
}

void
esp_cdev_run(struct esp_worker *w, struct esp_cdev_job *jobs, uint16_t n, bool out)
{
	struct esp_cdev_w *c = w->cdev;
	struct rte_crypto_op *ops[ESP_MAX_BURST], *deq[ESP_MAX_BURST];
	uint16_t i, nops = 0, sent = 0, got = 0, k;

	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		jobs[i].failed = true;
	if (unlikely(rte_crypto_op_bulk_alloc(c->op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC, ops,
					      n) == 0)) {
		c->st.no_ops += n;
		return;
	}
	for (i = 0; i < n; i++)
		if (likely(op_fill(c, ops[nops], &jobs[i], i, out)))
			nops++;
	if (nops < n)
		rte_mempool_put_bulk(c->op_pool, (void **)(ops + nops), n - nops);
	/* enqueue what the queue pair takes, collect completions, until all are back */
	while (got < nops) {
		if (sent < nops) {
			k = rte_cryptodev_enqueue_burst(c->dev_id, c->qp, ops + sent,
							(uint16_t)(nops - sent));
			if (unlikely(k == 0 && sent == got)) {
				/* nothing in flight and still refused: the device
				 * rejects this op itself; its packet fails alone */
				c->st.op_errors++;
				rte_mempool_put(c->op_pool, ops[sent]);
				sent++;
				got++;
				continue;
			}
			sent = (uint16_t)(sent + k);
			c->st.enqueued += k;
		}
		k = rte_cryptodev_dequeue_burst(c->dev_id, c->qp, deq, (uint16_t)(sent - got));
		if (k == 0) {
			c->st.polls_empty++;
			rte_pause();
			continue;
		}
		if (unlikely(test_reverse)) {
			for (i = 0; i < k / 2; i++) {
				struct rte_crypto_op *t = deq[i];

				deq[i] = deq[k - 1 - i];
				deq[k - 1 - i] = t;
			}
		}
		for (i = 0; i < k; i++)
			op_done(c, deq[i], jobs, out);
		rte_mempool_put_bulk(c->op_pool, (void **)deq, k);
		got = (uint16_t)(got + k);
		c->st.dequeued += k;
	}
}
