/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The upper bound of perf/esp-bench: AES-GCM through IPsec-MB's direct GCM
 * API on flat buffers, with exactly the bytes ESP encrypts for a frame (inner
 * packet, padding to 4 bytes, pad length and next header), an 8-byte AAD
 * (SPI and 32-bit sequence number) and a 16-byte tag. No headers, no mbufs,
 * no SA state: whatever an ESP implementation adds on top shows up as the
 * gap to this figure. Also owns the independent check of ESP ciphertexts
 * (RFC 4106) used by the start-up self-check.
 */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include <intel-ipsec-mb.h>

#include "crypto/cry_mgcm.h"

struct raw_gcm {
	IMB_MGR *mgr;
	bool k256;
	uint8_t salt[4];
	struct gcm_key_data key __rte_aligned(64);
	struct cry_gcm_key ck __rte_aligned(64);	/* same key, multi-packet engine */
};

int
raw_gcm_create(enum bench_alg alg, const struct bench_keys *k, struct raw_gcm **out)
{
	const struct bench_alg_info *ai = &bench_algs[alg];
	IMB_ARCH arch;
	struct raw_gcm *g;

	if (!ai->gcm)
		return -ENOTSUP;
	if (posix_memalign((void **)&g, 64, sizeof(*g)) != 0)
		return -ENOMEM;
	memset(g, 0, sizeof(*g));
	g->mgr = alloc_mb_mgr(0);
	if (g->mgr == NULL) {
		free(g);
		return -ENOMEM;
	}
	init_mb_mgr_auto(g->mgr, &arch);
	g->k256 = ai->key_len == 32;
	memcpy(g->salt, k->enc + ai->key_len, 4);
	if (g->k256)
		IMB_AES256_GCM_PRE(g->mgr, k->enc, &g->key);
	else
		IMB_AES128_GCM_PRE(g->mgr, k->enc, &g->key);
	if (cry_gcm_key_init(g->mgr, &g->ck, k->enc, ai->key_len) != 0) {
		raw_gcm_destroy(g);
		return -EINVAL;
	}
	*out = g;
	return 0;
}

void
raw_gcm_destroy(struct raw_gcm *g)
{
	if (g == NULL)
		return;
	free_mb_mgr(g->mgr);
	memset(g, 0, sizeof(*g));
	free(g);
}

static void
gcm_enc(struct raw_gcm *g, uint8_t *dst, const uint8_t *src, uint32_t len, const uint8_t iv[12],
	const uint8_t aad[8], uint8_t *tag)
{
	struct gcm_context_data ctx;

	if (g->k256)
		IMB_AES256_GCM_ENC(g->mgr, &g->key, &ctx, dst, src, len, iv, aad, 8, tag, 16);
	else
		IMB_AES128_GCM_ENC(g->mgr, &g->key, &ctx, dst, src, len, iv, aad, 8, tag, 16);
}

void
raw_gcm_enc_burst(struct raw_gcm *g, uint8_t *bufs[], uint32_t len, uint16_t n, uint64_t seq)
{
	uint8_t iv[12], aad[8];
	uint64_t seq_be;
	uint16_t i;

	memcpy(iv, g->salt, 4);
	memset(aad, 0, sizeof(aad));
	for (i = 0; i < n; i++) {
		/* IV and AAD built per packet, as ESP must (RFC 4106 3.1, 5) */
		seq_be = rte_cpu_to_be_64(seq + i);
		memcpy(iv + 4, &seq_be, 8);
		memcpy(aad + 4, (const uint8_t *)&seq_be + 4, 4);
		gcm_enc(g, bufs[i], bufs[i], len, iv, aad, bufs[i] + len);
	}
}

/* The same work as raw_gcm_enc_burst through the multi-packet engine. */
void
raw_mgcm_enc_burst(struct raw_gcm *g, uint8_t *bufs[], uint32_t len, uint16_t n, uint64_t seq)
{
	struct cry_mgcm_op ops[BENCH_BURST];
	uint8_t iv[BENCH_BURST][12], aad[BENCH_BURST][8];
	uint64_t seq_be;
	uint16_t i;

	for (i = 0; i < n && i < BENCH_BURST; i++) {
		seq_be = rte_cpu_to_be_64(seq + i);
		memcpy(iv[i], g->salt, 4);
		memcpy(iv[i] + 4, &seq_be, 8);
		memset(aad[i], 0, 4);
		memcpy(aad[i] + 4, (const uint8_t *)&seq_be + 4, 4);
		ops[i] = (struct cry_mgcm_op){ .key = &g->ck, .iv = iv[i], .aad = aad[i],
					       .data = bufs[i], .tag = bufs[i] + len, .len = len,
					       .aad_len = 8 };
	}
	cry_mgcm_seal(g->mgr, ops, i);
}

/*
 * @esp: SPI, sequence number, 8-byte IV, ciphertext, 16-byte ICV (RFC 4106 3).
 * @clear: the inner packet. Rebuilds the plaintext with RFC 4303 2.4 default
 * padding (1, 2, 3, ...) to a multiple of 4, encrypts it with the IV and AAD
 * taken from @esp, and compares.
 */
int
raw_gcm_check_esp(struct raw_gcm *g, const uint8_t *esp, uint32_t esp_len, const uint8_t *clear,
		  uint32_t clear_len)
{
	uint8_t plain[BENCH_TPL_MAX], ct[BENCH_TPL_MAX], tag[16], iv[12];
	uint32_t plen, pad, i;

	plen = (clear_len + 2 + 3) & ~3u;
	if (esp_len != 16 + plen + 16 || plen > sizeof(plain))
		return -EBADMSG;
	pad = plen - clear_len - 2;
	memcpy(plain, clear, clear_len);
	for (i = 0; i < pad; i++)
		plain[clear_len + i] = (uint8_t)(i + 1);
	plain[plen - 2] = (uint8_t)pad;
	plain[plen - 1] = 4;		/* next header: IPv4 (tunnel mode) */
	memcpy(iv, g->salt, 4);
	memcpy(iv + 4, esp + 8, 8);
	gcm_enc(g, ct, plain, plen, iv, esp, tag);
	if (memcmp(ct, esp + 16, plen) != 0)
		return -EBADMSG;
	if (memcmp(tag, esp + 16 + plen, 16) != 0)
		return -EBADMSG;
	return 0;
}
