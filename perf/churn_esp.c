/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP AES-GCM codec for the load tools (churn_esp.h). OpenSSL EVP. */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "churn_esp.h"

int
cesp_key_set(struct cesp_key *k, const uint8_t *keymat, unsigned enc_key_len)
{
	if (enc_key_len != 16 && enc_key_len != 32)
		return -EINVAL;
	memcpy(k->key, keymat, enc_key_len);
	memcpy(k->salt, keymat + enc_key_len, CESP_SALT);
	k->key_len = (uint8_t)enc_key_len;
	return 0;
}

static const EVP_CIPHER *
gcm(const struct cesp_key *k)
{
	return k->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
}

/* Nonce = salt || IV (RFC 4106 section 4); the IV is the sequence number. */
static void
nonce(const struct cesp_key *k, const uint8_t *iv, uint8_t *n)
{
	memcpy(n, k->salt, CESP_SALT);
	memcpy(n + CESP_SALT, iv, CESP_IV);
}

/*
 * AES-GCM over @len bytes from @in to @out (in place allowed), the ESP header
 * @hdr as AAD, the IV @iv: encrypts and writes the ICV to @icv, or decrypts
 * and checks the ICV @icv. 0, or -1.
 */
static int
gcm_pass(const struct cesp_key *k, int enc, const uint8_t *hdr, const uint8_t *iv,
	 const uint8_t *in, size_t len, uint8_t *out, uint8_t *icv)
{
	uint8_t n[12];
	EVP_CIPHER_CTX *x;
	int ol = 0, ok;

	nonce(k, iv, n);
	x = EVP_CIPHER_CTX_new();
	if (x == NULL)
		return -1;
	ok = EVP_CipherInit_ex(x, gcm(k), NULL, k->key, n, enc) == 1 &&
	     EVP_CipherUpdate(x, NULL, &ol, hdr, CESP_HDR) == 1 &&
	     EVP_CipherUpdate(x, out, &ol, in, (int)len) == 1 &&
	     (enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, CESP_ICV, icv) == 1) &&
	     EVP_CipherFinal_ex(x, out + len, &ol) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, CESP_ICV, icv) == 1);
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -1;
}

int
cesp_encrypt(const struct cesp_key *k, uint32_t spi, uint32_t seq, const uint8_t *in,
	     size_t len, uint8_t *out, size_t cap)
{
	size_t pad = (4 - (len + 2) % 4) % 4, plen = len + pad + 2, i;
	uint8_t *ct = out + CESP_HDR + CESP_IV;

	if (CESP_HDR + CESP_IV + plen + CESP_ICV > cap)
		return -1;
	out[0] = (uint8_t)(spi >> 24);
	out[1] = (uint8_t)(spi >> 16);
	out[2] = (uint8_t)(spi >> 8);
	out[3] = (uint8_t)spi;
	out[4] = (uint8_t)(seq >> 24);
	out[5] = (uint8_t)(seq >> 16);
	out[6] = (uint8_t)(seq >> 8);
	out[7] = (uint8_t)seq;
	memset(out + CESP_HDR, 0, 4);
	memcpy(out + CESP_HDR + 4, out + 4, 4);		/* IV: 0 || seq, unique per SA */
	memcpy(ct, in, len);
	for (i = 0; i < pad; i++)
		ct[len + i] = (uint8_t)(i + 1);		/* RFC 4303 2.4 */
	ct[len + pad] = (uint8_t)pad;
	ct[len + pad + 1] = 4;				/* IPv4 */
	if (gcm_pass(k, 1, out, out + CESP_HDR, ct, plen, ct, ct + plen) != 0)
		return -1;
	return (int)(CESP_HDR + CESP_IV + plen + CESP_ICV);
}

int
cesp_decrypt(const struct cesp_key *k, const uint8_t *esp, size_t len, uint8_t *out,
	     size_t cap, uint8_t *next_hdr)
{
	size_t clen, pad;
	uint8_t tag[CESP_ICV];

	if (len < CESP_HDR + CESP_IV + 2 + CESP_ICV)
		return -1;
	clen = len - CESP_HDR - CESP_IV - CESP_ICV;
	if (clen > cap)
		return -1;
	memcpy(tag, esp + len - CESP_ICV, CESP_ICV);
	if (gcm_pass(k, 0, esp, esp + CESP_HDR, esp + CESP_HDR + CESP_IV, clen, out, tag) != 0)
		return -1;
	pad = out[clen - 2];
	if (pad + 2 > clen)
		return -1;
	*next_hdr = out[clen - 1];
	return (int)(clen - 2 - pad);
}

uint16_t
cesp_csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)(b[len - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}
