/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 PRF and key derivation (RFC 7296 2.13, 2.14, 2.17, 2.18): HMAC-SHA2
 * PRFs 5/6/7, prf+, SKEYSEED for new and rekeyed IKE SAs, SK_d, SK_a[ir], SK_e[ir],
 * SK_p[ir] and child SA KEYMAT, plus the key-length tables of the transforms we
 * support (AES-CBC, AES-GCM-16 with its 4-byte salt, HMAC-SHA2 integrity).
 *
 * Pure functions of their arguments: no SA, no context, no logging. Every
 * intermediate buffer holding key material is wiped before returning.
 */
#include "ike/ike_crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

static const char *
prf_digest(uint16_t prf)
{
	switch (prf) {
	case IKE_CRYPTO_PRF_HMAC_SHA2_256:
		return "SHA256";
	case IKE_CRYPTO_PRF_HMAC_SHA2_384:
		return "SHA384";
	case IKE_CRYPTO_PRF_HMAC_SHA2_512:
		return "SHA512";
	default:
		return NULL;
	}
}

size_t
ike_prf_len(uint16_t prf)
{
	switch (prf) {
	case IKE_CRYPTO_PRF_HMAC_SHA2_256:
		return 32;
	case IKE_CRYPTO_PRF_HMAC_SHA2_384:
		return 48;
	case IKE_CRYPTO_PRF_HMAC_SHA2_512:
		return 64;
	default:
		return 0;
	}
}

size_t
ike_encr_key_len(uint16_t encr, uint16_t key_bits)
{
	if (key_bits != 128 && key_bits != 192 && key_bits != 256)
		return 0;
	switch (encr) {
	case IKE_CRYPTO_ENCR_AES_CBC:
		return key_bits / 8u;
	case IKE_CRYPTO_ENCR_AES_GCM16:
		return key_bits / 8u + 4u;	/* RFC 5282 7.1: key || salt */
	default:
		return 0;
	}
}

size_t
ike_integ_key_len(uint16_t integ)
{
	switch (integ) {
	case IKE_CRYPTO_INTEG_HMAC_SHA2_256_128:
		return 32;
	case IKE_CRYPTO_INTEG_HMAC_SHA2_384_192:
		return 48;
	case IKE_CRYPTO_INTEG_HMAC_SHA2_512_256:
		return 64;
	default:
		return 0;
	}
}

size_t
ike_integ_icv_len(uint16_t integ)
{
	return ike_integ_key_len(integ) / 2u;	/* RFC 4868: half the output */
}

int
ike_prf(uint16_t prf, const uint8_t *key, size_t key_len,
	const struct ike_cbuf *data, unsigned n, uint8_t *out)
{
	static const uint8_t empty[1];
	const char *md = prf_digest(prf);
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t olen = 0;
	unsigned i;
	int ret = -EIO;

	if (md == NULL)
		return -EINVAL;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac == NULL)
		return -EIO;
	ctx = EVP_MAC_CTX_new(mac);
	if (ctx == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* a NULL key means "keep the old key" to OpenSSL: pass a real pointer */
	if (EVP_MAC_init(ctx, key_len != 0 ? key : empty, key_len, params) != 1)
		goto out;
	for (i = 0; i < n; i++)
		if (data[i].len != 0 && EVP_MAC_update(ctx, data[i].ptr, data[i].len) != 1)
			goto out;
	if (EVP_MAC_final(ctx, out, &olen, ike_prf_len(prf)) != 1 || olen != ike_prf_len(prf))
		goto out;
	ret = 0;
out:
	EVP_MAC_CTX_free(ctx);	/* clears the key schedule */
	EVP_MAC_free(mac);
	return ret;
}

/* prf+ (RFC 7296 2.13): T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n) */
int
ike_prf_plus(uint16_t prf, const uint8_t *key, size_t key_len,
	     const struct ike_cbuf *seed, unsigned n, uint8_t *out, size_t out_len)
{
	struct ike_cbuf parts[2 + 8];
	uint8_t t[IKE_PRF_MAX_LEN];
	size_t plen = ike_prf_len(prf), done = 0, take;
	unsigned i, np;
	uint8_t ctr;
	int ret = 0;

	if (plen == 0 || n > 8 || out_len > 255 * plen)
		return -EINVAL;
	for (ctr = 1; done < out_len; ctr++) {
		np = 0;
		if (ctr > 1)
			parts[np++] = (struct ike_cbuf){ t, plen };
		for (i = 0; i < n; i++)
			parts[np++] = seed[i];
		parts[np++] = (struct ike_cbuf){ &ctr, 1 };
		ret = ike_prf(prf, key, key_len, parts, np, t);
		if (ret < 0)
			break;
		take = out_len - done < plen ? out_len - done : plen;
		memcpy(out + done, t, take);
		done += take;
	}
	OPENSSL_cleanse(t, sizeof(t));
	if (ret < 0)
		OPENSSL_cleanse(out, out_len);
	return ret;
}

int
ike_kdf_skeyseed(uint16_t prf, const uint8_t *ni, size_t ni_len,
		 const uint8_t *nr, size_t nr_len,
		 const uint8_t *gir, size_t gir_len, uint8_t *skeyseed)
{
	uint8_t key[512];
	struct ike_cbuf d = { gir, gir_len };
	int ret;

	/* nonces are 16..256 bytes each (RFC 7296 3.9) */
	if (ni_len > 256 || nr_len > 256 || ni_len == 0 || nr_len == 0)
		return -EINVAL;
	memcpy(key, ni, ni_len);
	memcpy(key + ni_len, nr, nr_len);
	ret = ike_prf(prf, key, ni_len + nr_len, &d, 1, skeyseed);
	OPENSSL_cleanse(key, sizeof(key));
	return ret;
}

int
ike_kdf_skeyseed_rekey(uint16_t old_prf, const uint8_t *old_sk_d, size_t old_sk_d_len,
		       const uint8_t *gir, size_t gir_len,
		       const uint8_t *ni, size_t ni_len,
		       const uint8_t *nr, size_t nr_len, uint8_t *skeyseed)
{
	struct ike_cbuf d[3] = { { gir, gir_len }, { ni, ni_len }, { nr, nr_len } };

	if (gir == NULL || gir_len == 0)
		return -EINVAL;	/* 2.18: a rekeyed IKE SA always has new g^ir */
	return ike_prf(old_prf, old_sk_d, old_sk_d_len, d, 3, skeyseed);
}

void
ike_sa_keys_wipe(struct ike_sa_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

void
ike_child_keys_wipe(struct ike_child_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

static void
take(uint8_t *dst, const uint8_t *km, size_t *off, size_t len)
{
	memcpy(dst, km + *off, len);
	*off += len;
}

static int
ike_keys(uint16_t prf, const uint8_t *skeyseed, size_t skeyseed_len,
	 const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
	 const uint8_t spi_i[8], const uint8_t spi_r[8],
	 uint16_t encr, uint16_t encr_key_bits, uint16_t integ, struct ike_sa_keys *out)
{
	uint8_t km[3 * IKE_PRF_MAX_LEN + 2 * IKE_INTEG_MAX_KEY_LEN + 2 * IKE_ENCR_MAX_KEY_LEN];
	struct ike_cbuf seed[4] = {
		{ ni, ni_len }, { nr, nr_len }, { spi_i, 8 }, { spi_r, 8 },
	};
	size_t plen = ike_prf_len(prf), elen = ike_encr_key_len(encr, encr_key_bits);
	size_t ilen = ike_integ_key_len(integ), off = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (plen == 0 || elen == 0)
		return -EINVAL;
	/* AEAD (GCM) takes no integrity transform; CBC needs one */
	if ((encr == IKE_CRYPTO_ENCR_AES_GCM16) != (integ == IKE_CRYPTO_INTEG_NONE))
		return -EINVAL;
	if (integ != IKE_CRYPTO_INTEG_NONE && ilen == 0)
		return -EINVAL;
	ret = ike_prf_plus(prf, skeyseed, skeyseed_len, seed, 4, km,
			   3 * plen + 2 * ilen + 2 * elen);
	if (ret < 0)
		goto out;
	out->prf = prf;
	out->prf_len = (uint8_t)plen;
	out->i.encr = out->r.encr = encr;
	out->i.integ = out->r.integ = integ;
	out->i.encr_key_len = out->r.encr_key_len = (uint8_t)elen;
	out->i.integ_key_len = out->r.integ_key_len = (uint8_t)ilen;
	/* {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} */
	take(out->sk_d, km, &off, plen);
	take(out->i.integ_key, km, &off, ilen);
	take(out->r.integ_key, km, &off, ilen);
	take(out->i.encr_key, km, &off, elen);
	take(out->r.encr_key, km, &off, elen);
	take(out->sk_pi, km, &off, plen);
	take(out->sk_pr, km, &off, plen);
out:
	OPENSSL_cleanse(km, sizeof(km));
	return ret;
}

int
ike_kdf_ike_keys(uint16_t prf, const uint8_t *skeyseed,
		 const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		 const uint8_t spi_i[8], const uint8_t spi_r[8],
		 uint16_t encr, uint16_t encr_key_bits, uint16_t integ,
		 struct ike_sa_keys *out)
{
	return ike_keys(prf, skeyseed, ike_prf_len(prf), ni, ni_len, nr, nr_len, spi_i, spi_r,
			encr, encr_key_bits, integ, out);
}

int
ike_kdf_ike_sa_rekey(uint16_t old_prf, const uint8_t *old_sk_d, size_t old_sk_d_len,
		     const uint8_t *gir, size_t gir_len,
		     const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		     const uint8_t spi_i[8], const uint8_t spi_r[8], uint16_t prf,
		     uint16_t encr, uint16_t encr_key_bits, uint16_t integ,
		     struct ike_sa_keys *out)
{
	uint8_t skeyseed[IKE_PRF_MAX_LEN];
	int ret;

	memset(out, 0, sizeof(*out));
	ret = ike_kdf_skeyseed_rekey(old_prf, old_sk_d, old_sk_d_len, gir, gir_len, ni, ni_len,
				     nr, nr_len, skeyseed);
	/* SKEYSEED has the old PRF's output length, whatever the new PRF is */
	if (ret == 0)
		ret = ike_keys(prf, skeyseed, ike_prf_len(old_prf), ni, ni_len, nr, nr_len, spi_i,
			       spi_r, encr, encr_key_bits, integ, out);
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	return ret;
}

int
ike_kdf_ike_sa(uint16_t prf, const uint8_t *gir, size_t gir_len,
	       const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
	       const uint8_t spi_i[8], const uint8_t spi_r[8],
	       uint16_t encr, uint16_t encr_key_bits, uint16_t integ,
	       struct ike_sa_keys *out)
{
	uint8_t skeyseed[IKE_PRF_MAX_LEN];
	int ret;

	memset(out, 0, sizeof(*out));
	ret = ike_kdf_skeyseed(prf, ni, ni_len, nr, nr_len, gir, gir_len, skeyseed);
	if (ret == 0)
		ret = ike_kdf_ike_keys(prf, skeyseed, ni, ni_len, nr, nr_len, spi_i, spi_r,
				       encr, encr_key_bits, integ, out);
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	return ret;
}

int
ike_kdf_child_keys(uint16_t prf, const uint8_t *sk_d, size_t sk_d_len,
		   const uint8_t *gir, size_t gir_len,
		   const uint8_t *ni, size_t ni_len, const uint8_t *nr, size_t nr_len,
		   size_t encr_key_len, size_t integ_key_len,
		   struct ike_child_keys *out)
{
	uint8_t km[4 * IKE_MAX_KEY_LEN];
	struct ike_cbuf seed[3];
	unsigned n = 0;
	size_t off = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (encr_key_len == 0 || encr_key_len > IKE_MAX_KEY_LEN || integ_key_len > IKE_MAX_KEY_LEN)
		return -EINVAL;
	if (gir != NULL && gir_len != 0)
		seed[n++] = (struct ike_cbuf){ gir, gir_len };
	seed[n++] = (struct ike_cbuf){ ni, ni_len };
	seed[n++] = (struct ike_cbuf){ nr, nr_len };
	ret = ike_prf_plus(prf, sk_d, sk_d_len, seed, n, km, 2 * (encr_key_len + integ_key_len));
	if (ret < 0)
		goto out;
	out->encr_key_len = (uint8_t)encr_key_len;
	out->integ_key_len = (uint8_t)integ_key_len;
	/* RFC 7296 2.17: initiator-to-responder first, encryption before integrity */
	take(out->encr_i, km, &off, encr_key_len);
	take(out->integ_i, km, &off, integ_key_len);
	take(out->encr_r, km, &off, encr_key_len);
	take(out->integ_r, km, &off, integ_key_len);
out:
	OPENSSL_cleanse(km, sizeof(km));
	return ret;
}
