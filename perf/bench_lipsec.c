/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The yardstick of perf/esp-bench: DPDK's own ESP library (librte_ipsec) in
 * its fastest software mode, RTE_SECURITY_ACTION_TYPE_CPU_CRYPTO, where
 * rte_ipsec_pkt_cpu_prepare() builds the ESP packet and runs the cipher
 * synchronously through rte_cryptodev_sym_cpu_crypto_process() of a
 * crypto_ipsec_mb vdev (crypto_aesni_gcm0 for AES-GCM, crypto_aesni_mb0 for
 * AES-CBC + HMAC-SHA-256), and rte_ipsec_pkt_process() finishes it. Tunnel
 * mode, IPv4 in IPv4, no ESN, no NAT-T, 1024-packet replay window inbound:
 * the same SA shape Rampart is given. Owns the vdevs and their session pool.
 */
#include "bench.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cryptodev.h>
#include <rte_errno.h>
#include <rte_ip.h>
/* rte_ipsec_group.h declares a VLA in an inline function (DPDK 22.11) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wvla"
#include <rte_ipsec.h>
#pragma GCC diagnostic pop
#include <rte_malloc.h>

enum {
	LIP_DEV_GCM,
	LIP_DEV_MB,
	LIP_DEV__COUNT,
	LIP_SESSIONS = 64,
};

static const char *const lip_dev_names[LIP_DEV__COUNT] = {
	[LIP_DEV_GCM] = "crypto_aesni_gcm0",
	[LIP_DEV_MB] = "crypto_aesni_mb0",
};

static int lip_dev_id[LIP_DEV__COUNT] = { -1, -1 };
static struct rte_mempool *lip_sess_pool;

struct lip_sa {
	struct rte_ipsec_session ss;	/* first: cache aligned */
	struct rte_ipsec_sa *sa;
	uint32_t sa_size;
	uint8_t dev_id;
	struct rte_ipsec_sa_prm prm;
	struct rte_crypto_sym_xform xf[2];
	struct rte_ipv4_hdr tun_hdr;
	uint8_t enc_key[32];
	uint8_t auth_key[32];
};

static int
dev_setup(int id)
{
	struct rte_cryptodev_config conf = {
		.socket_id = (int)rte_socket_id(),
		.nb_queue_pairs = 1,
	};
	struct rte_cryptodev_qp_conf qp = {
		.nb_descriptors = 128,
		.mp_session = lip_sess_pool,
	};
	struct rte_cryptodev_info info;

	rte_cryptodev_info_get((uint8_t)id, &info);
	if ((info.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO) == 0)
		return -ENOTSUP;
	if (rte_cryptodev_configure((uint8_t)id, &conf) < 0)
		return -EIO;
	if (rte_cryptodev_queue_pair_setup((uint8_t)id, 0, &qp, conf.socket_id) < 0)
		return -EIO;
	if (rte_cryptodev_start((uint8_t)id) < 0)
		return -EIO;
	return 0;
}

int
lip_init(void)
{
	unsigned sess_size = 0, s, i;
	int id;

	for (i = 0; i < LIP_DEV__COUNT; i++) {
		id = rte_cryptodev_get_dev_id(lip_dev_names[i]);
		lip_dev_id[i] = id;
		if (id < 0)
			continue;
		s = rte_cryptodev_sym_get_private_session_size((uint8_t)id);
		if (s > sess_size)
			sess_size = s;
	}
	if (sess_size == 0)
		return -ENODEV;
	lip_sess_pool = rte_cryptodev_sym_session_pool_create("perf_lip_sess", LIP_SESSIONS,
							      sess_size, 0, 0, SOCKET_ID_ANY);
	if (lip_sess_pool == NULL)
		return -ENOMEM;
	for (i = 0; i < LIP_DEV__COUNT; i++) {
		if (lip_dev_id[i] < 0)
			continue;
		if (dev_setup(lip_dev_id[i]) < 0) {
			fprintf(stderr, "esp-bench: %s: no CPU crypto, librte_ipsec skipped\n",
				lip_dev_names[i]);
			lip_dev_id[i] = -1;
		}
	}
	return 0;
}

void
lip_fini(void)
{
	unsigned i;

	for (i = 0; i < LIP_DEV__COUNT; i++) {
		if (lip_dev_id[i] >= 0) {
			rte_cryptodev_stop((uint8_t)lip_dev_id[i]);
			rte_cryptodev_close((uint8_t)lip_dev_id[i]);
		}
		lip_dev_id[i] = -1;
	}
	rte_mempool_free(lip_sess_pool);
	lip_sess_pool = NULL;
}

static int
alg_dev(enum bench_alg alg)
{
	return lip_dev_id[bench_algs[alg].gcm ? LIP_DEV_GCM : LIP_DEV_MB];
}

bool
lip_alg_supported(enum bench_alg alg)
{
	return alg_dev(alg) >= 0;
}

/* Crypto transforms in the order librte_ipsec expects for @out. */
static void
xforms_fill(struct lip_sa *s, enum bench_alg alg, bool out)
{
	const struct bench_alg_info *ai = &bench_algs[alg];
	struct rte_crypto_sym_xform *c = &s->xf[0], *a = &s->xf[1];

	memset(s->xf, 0, sizeof(s->xf));
	if (ai->gcm) {
		c->type = RTE_CRYPTO_SYM_XFORM_AEAD;
		c->aead.op = out ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
		c->aead.algo = RTE_CRYPTO_AEAD_AES_GCM;
		c->aead.key.data = s->enc_key;
		c->aead.key.length = ai->key_len;
		c->aead.iv.offset = 0;	/* CPU crypto: IV passed per packet */
		c->aead.iv.length = 12;
		c->aead.digest_length = 16;
		c->aead.aad_length = 8;
		s->prm.crypto_xform = c;
		return;
	}
	c->type = RTE_CRYPTO_SYM_XFORM_CIPHER;
	c->cipher.op = out ? RTE_CRYPTO_CIPHER_OP_ENCRYPT : RTE_CRYPTO_CIPHER_OP_DECRYPT;
	c->cipher.algo = RTE_CRYPTO_CIPHER_AES_CBC;
	c->cipher.key.data = s->enc_key;
	c->cipher.key.length = ai->key_len;
	c->cipher.iv.length = 16;
	a->type = RTE_CRYPTO_SYM_XFORM_AUTH;
	a->auth.op = out ? RTE_CRYPTO_AUTH_OP_GENERATE : RTE_CRYPTO_AUTH_OP_VERIFY;
	a->auth.algo = RTE_CRYPTO_AUTH_SHA256_HMAC;
	a->auth.key.data = s->auth_key;
	a->auth.key.length = ai->auth_key_len;
	a->auth.digest_length = 16;	/* RFC 4868: truncated to 128 bits */
	/* encrypt-then-MAC outbound, verify-then-decrypt inbound */
	if (out) {
		c->next = a;
		s->prm.crypto_xform = c;
	} else {
		a->next = c;
		s->prm.crypto_xform = a;
	}
}

int
lip_sa_create(enum bench_alg alg, const struct bench_keys *k, uint32_t spi, bool out,
	      struct lip_sa **out_sa)
{
	const struct bench_alg_info *ai = &bench_algs[alg];
	struct rte_security_ipsec_xform *ix;
	struct lip_sa *s;
	void *cses;
	int dev = alg_dev(alg), sz, rc;

	if (dev < 0)
		return -ENOTSUP;
	s = rte_zmalloc("perf_lip_sa", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL)
		return -ENOMEM;
	s->dev_id = (uint8_t)dev;
	memcpy(s->enc_key, k->enc, ai->key_len);
	memcpy(s->auth_key, k->auth, ai->auth_key_len);

	s->tun_hdr.version_ihl = RTE_IPV4_VHL_DEF;
	s->tun_hdr.time_to_live = 64;
	s->tun_hdr.next_proto_id = IPPROTO_ESP;
	memcpy(&s->tun_hdr.src_addr, k->outer_src, 4);
	memcpy(&s->tun_hdr.dst_addr, k->outer_dst, 4);

	ix = &s->prm.ipsec_xform;
	ix->spi = spi;
	if (ai->gcm)
		memcpy(&ix->salt, k->enc + ai->key_len, 4);	/* wire order */
	ix->direction = out ? RTE_SECURITY_IPSEC_SA_DIR_EGRESS : RTE_SECURITY_IPSEC_SA_DIR_INGRESS;
	ix->proto = RTE_SECURITY_IPSEC_SA_PROTO_ESP;
	ix->mode = RTE_SECURITY_IPSEC_SA_MODE_TUNNEL;
	ix->tunnel.type = RTE_SECURITY_IPSEC_TUNNEL_IPV4;
	memcpy(&ix->tunnel.ipv4.src_ip, k->outer_src, 4);
	memcpy(&ix->tunnel.ipv4.dst_ip, k->outer_dst, 4);
	ix->tunnel.ipv4.ttl = 64;
	ix->replay_win_sz = out ? 0 : BENCH_REPLAY_WIN;
	s->prm.tun.hdr_len = sizeof(s->tun_hdr);
	s->prm.tun.hdr_l3_off = 0;
	s->prm.tun.next_proto = IPPROTO_IPIP;
	s->prm.tun.hdr = &s->tun_hdr;
	xforms_fill(s, alg, out);

	rc = -EINVAL;
	sz = rte_ipsec_sa_size(&s->prm);
	if (sz <= 0)
		goto fail;
	s->sa_size = (uint32_t)sz;
	rc = -ENOMEM;
	s->sa = rte_zmalloc("perf_lip_ipsec_sa", s->sa_size, RTE_CACHE_LINE_SIZE);
	if (s->sa == NULL)
		goto fail;
	cses = rte_cryptodev_sym_session_create(s->dev_id, s->prm.crypto_xform, lip_sess_pool);
	if (cses == NULL) {
		rc = -rte_errno;
		goto fail;
	}
	s->ss.crypto.ses = cses;
	s->ss.crypto.dev_id = s->dev_id;
	s->ss.type = RTE_SECURITY_ACTION_TYPE_CPU_CRYPTO;
	rc = lip_sa_reset(s);
	if (rc < 0)
		goto fail;
	*out_sa = s;
	return 0;
fail:
	lip_sa_destroy(s);
	return rc;
}

int
lip_sa_reset(struct lip_sa *s)
{
	int rc;

	rc = rte_ipsec_sa_init(s->sa, &s->prm, s->sa_size);
	if (rc < 0)
		return rc;
	s->ss.sa = s->sa;
	return rte_ipsec_session_prepare(&s->ss);
}

void
lip_sa_destroy(struct lip_sa *s)
{
	if (s == NULL)
		return;
	if (s->ss.crypto.ses != NULL)
		rte_cryptodev_sym_session_free(s->dev_id, s->ss.crypto.ses);
	if (s->sa != NULL) {
		rte_ipsec_sa_fini(s->sa);
		rte_free(s->sa);
	}
	rte_free(s);
}

/* Encap or decap one burst, whichever way the SA points. */
uint16_t
lip_burst(struct lip_sa *s, struct rte_mbuf *pkts[], uint16_t n)
{
	uint16_t k;

	k = rte_ipsec_pkt_cpu_prepare(&s->ss, pkts, n);
	return rte_ipsec_pkt_process(&s->ss, pkts, k);
}
