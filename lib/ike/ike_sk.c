/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Protection of the Encrypted and Authenticated payload (SK, RFC 7296 3.14)
 * and of its fragment form (SKF, RFC 7383): AES-GCM with 8-byte explicit IV
 * and 16-byte ICV (RFC 5282), and AES-CBC with HMAC-SHA2 integrity
 * (RFC 4868 truncations).
 *
 * This file owns the body layout IV | ciphertext | ICV, the padding rules, the
 * choice of IVs and the order of checks on input: length bounds, then the ICV
 * (constant-time for HMAC; the GCM tag inside OpenSSL), and only then the
 * decrypted pad length. It never parses payloads and never logs. Decrypted
 * output of a message whose ICV fails is wiped before returning.
 */
#include "ike/ike_crypto.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

enum sk_consts {
	GCM_IV_LEN = 8,
	GCM_SALT_LEN = 4,
	GCM_ICV_LEN = 16,
	CBC_IV_LEN = 16,
	AES_BLOCK = 16,
};

static bool
is_gcm(const struct ike_sk_dir *k)
{
	return k->encr == IKE_CRYPTO_ENCR_AES_GCM16;
}

/* Key checks shared by every entry point. */
static bool
keys_ok(const struct ike_sk_dir *k)
{
	size_t klen;

	if (is_gcm(k)) {
		klen = k->encr_key_len;
		return k->integ == IKE_CRYPTO_INTEG_NONE &&
		       (klen == 16 + GCM_SALT_LEN || klen == 24 + GCM_SALT_LEN ||
			klen == 32 + GCM_SALT_LEN);
	}
	if (k->encr != IKE_CRYPTO_ENCR_AES_CBC)
		return false;
	klen = k->encr_key_len;
	if (klen != 16 && klen != 24 && klen != 32)
		return false;
	return ike_integ_key_len(k->integ) != 0 && k->integ_key_len == ike_integ_key_len(k->integ);
}

static const EVP_CIPHER *
cipher_of(const struct ike_sk_dir *k)
{
	if (is_gcm(k)) {
		switch (k->encr_key_len - GCM_SALT_LEN) {
		case 16:
			return EVP_aes_128_gcm();
		case 24:
			return EVP_aes_192_gcm();
		default:
			return EVP_aes_256_gcm();
		}
	}
	switch (k->encr_key_len) {
	case 16:
		return EVP_aes_128_cbc();
	case 24:
		return EVP_aes_192_cbc();
	default:
		return EVP_aes_256_cbc();
	}
}

size_t
ike_sk_iv_len(const struct ike_sk_dir *k)
{
	return is_gcm(k) ? GCM_IV_LEN : CBC_IV_LEN;
}

size_t
ike_sk_icv_len(const struct ike_sk_dir *k)
{
	return is_gcm(k) ? GCM_ICV_LEN : ike_integ_icv_len(k->integ);
}

/* Encrypted part: plain | pad | pad length (one byte). */
static size_t
ct_len(const struct ike_sk_dir *k, size_t plain_len)
{
	if (is_gcm(k))
		return plain_len + 1;	/* a stream mode needs no padding */
	return (plain_len + 1 + AES_BLOCK - 1) / AES_BLOCK * AES_BLOCK;
}

size_t
ike_sk_body_len(const struct ike_sk_dir *k, size_t plain_len)
{
	if (!keys_ok(k) || plain_len > 65535)
		return 0;
	return ike_sk_iv_len(k) + ct_len(k, plain_len) + ike_sk_icv_len(k);
}

size_t
ike_sk_max_plain(const struct ike_sk_dir *k, size_t body_max)
{
	size_t over, avail;

	if (!keys_ok(k))
		return 0;
	over = ike_sk_iv_len(k) + ike_sk_icv_len(k);
	if (body_max <= over + 1)
		return 0;
	avail = body_max - over;
	if (!is_gcm(k))
		avail = avail / AES_BLOCK * AES_BLOCK;
	return avail == 0 ? 0 : avail - 1;
}

/* HMAC over @data, truncated to the ICV length (RFC 4868 2.3). */
static int
integ_icv(const struct ike_sk_dir *k, const uint8_t *data, size_t len, uint8_t *icv)
{
	uint8_t full[IKE_PRF_MAX_LEN];
	struct ike_cbuf d = { data, len };
	uint16_t prf;
	int ret;

	switch (k->integ) {
	case IKE_CRYPTO_INTEG_HMAC_SHA2_256_128:
		prf = IKE_CRYPTO_PRF_HMAC_SHA2_256;
		break;
	case IKE_CRYPTO_INTEG_HMAC_SHA2_384_192:
		prf = IKE_CRYPTO_PRF_HMAC_SHA2_384;
		break;
	default:
		prf = IKE_CRYPTO_PRF_HMAC_SHA2_512;
		break;
	}
	ret = ike_prf(prf, k->integ_key, k->integ_key_len, &d, 1, full);
	if (ret == 0)
		memcpy(icv, full, ike_sk_icv_len(k));
	OPENSSL_cleanse(full, sizeof(full));
	return ret;
}

/*
 * A new cipher context in *@cp (the caller frees it, also on error) keyed for
 * one SK payload, @enc 1 to seal or 0 to open: AES-GCM with the nonce
 * salt | IV (RFC 5282 4), or AES-CBC without OpenSSL's padding (the SK padding
 * is ours, RFC 7296 3.14). 0, -ENOMEM or -EIO.
 */
static int
cipher_new(EVP_CIPHER_CTX **cp, const struct ike_sk_dir *k, const uint8_t *iv, int enc)
{
	uint8_t nonce[GCM_SALT_LEN + GCM_IV_LEN];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	*cp = c;
	if (c == NULL)
		return -ENOMEM;
	if (!is_gcm(k)) {
		if (EVP_CipherInit_ex(c, cipher_of(k), NULL, k->encr_key, iv, enc) != 1 ||
		    EVP_CIPHER_CTX_set_padding(c, 0) != 1)
			return -EIO;
		return 0;
	}
	memcpy(nonce, k->encr_key + k->encr_key_len - GCM_SALT_LEN, GCM_SALT_LEN);
	memcpy(nonce + GCM_SALT_LEN, iv, GCM_IV_LEN);
	if (EVP_CipherInit_ex(c, cipher_of(k), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, sizeof(nonce), NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, k->encr_key, nonce, enc) != 1)
		return -EIO;
	return 0;
}

int
ike_sk_seal(const struct ike_sk_dir *k, uint8_t *msg, size_t aad_len,
	    const uint8_t *plain, size_t plain_len, size_t cap, size_t *msg_len)
{
	uint8_t tail[AES_BLOCK];
	size_t body = ike_sk_body_len(k, plain_len);
	size_t ivl, clen, tail_len, head_len;
	uint8_t *iv, *ct;
	EVP_CIPHER_CTX *c = NULL;
	int outl, ret;

	if (body == 0)
		return -EINVAL;
	if (aad_len > cap || body > cap - aad_len)
		return -ENOSPC;
	if (aad_len > INT32_MAX || plain_len > INT32_MAX)
		return -EINVAL;
	ivl = ike_sk_iv_len(k);
	clen = ct_len(k, plain_len);
	iv = msg + aad_len;
	ct = iv + ivl;
	/*
	 * IVs are random: GCM needs uniqueness per key (RFC 5282 3.1), and 64
	 * random bits are ample for the number of messages one IKE SA sends; CBC
	 * needs unpredictability (RFC 7296 3.14).
	 */
	ret = ike_rand_bytes(iv, ivl);
	if (ret < 0)
		return ret;
	/* the bytes after the payloads: zero padding, then the pad length */
	head_len = plain_len / AES_BLOCK * AES_BLOCK;
	if (is_gcm(k))
		head_len = plain_len;
	tail_len = clen - head_len;
	memset(tail, 0, sizeof(tail));
	if (plain_len > head_len)
		memcpy(tail, plain + head_len, plain_len - head_len);
	tail[tail_len - 1] = (uint8_t)(clen - plain_len - 1);

	ret = cipher_new(&c, k, iv, 1);
	if (ret < 0)
		goto out;
	ret = -EIO;
	/* GCM AAD: IKE header through the SK (or SKF) header (RFC 5282 5.1) */
	if (is_gcm(k) && aad_len != 0 &&
	    EVP_EncryptUpdate(c, NULL, &outl, msg, (int)aad_len) != 1)
		goto out;
	if (head_len != 0 && EVP_EncryptUpdate(c, ct, &outl, plain, (int)head_len) != 1)
		goto out;
	if (EVP_EncryptUpdate(c, ct + head_len, &outl, tail, (int)tail_len) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(c, ct + clen, &outl) != 1 || outl != 0)
		goto out;
	if (is_gcm(k)) {
		if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_ICV_LEN, ct + clen) != 1)
			goto out;
	} else {
		/* ICV over the whole message up to the ICV (RFC 7296 3.14) */
		ret = integ_icv(k, msg, aad_len + ivl + clen, ct + clen);
		if (ret < 0)
			goto out;
	}
	*msg_len = aad_len + body;
	ret = 0;
out:
	OPENSSL_cleanse(tail, sizeof(tail));
	EVP_CIPHER_CTX_free(c);
	return ret;
}

int
ike_sk_open(const struct ike_sk_dir *k, const uint8_t *msg, size_t len, size_t aad_len,
	    uint8_t *plain, size_t cap, size_t *plain_len)
{
	uint8_t icv[IKE_SK_MAX_ICV_LEN];
	size_t ivl, icvl, clen, padl;
	const uint8_t *iv, *ct;
	EVP_CIPHER_CTX *c = NULL;
	bool wrote = false;
	int outl, ret;

	if (!keys_ok(k))
		return -EINVAL;
	ivl = ike_sk_iv_len(k);
	icvl = ike_sk_icv_len(k);
	if (aad_len > len || len - aad_len < ivl + icvl + 1)
		return -EBADMSG;
	clen = len - aad_len - ivl - icvl;
	if (!is_gcm(k) && clen % AES_BLOCK != 0)
		return -EBADMSG;
	if (clen > cap)
		return -ENOSPC;
	if (len > INT32_MAX)
		return -EBADMSG;
	iv = msg + aad_len;
	ct = iv + ivl;

	if (!is_gcm(k)) {
		/* integrity first: nothing is decrypted before the ICV matches */
		ret = integ_icv(k, msg, aad_len + ivl + clen, icv);
		if (ret < 0)
			return ret;
		if (CRYPTO_memcmp(icv, ct + clen, icvl) != 0)
			return -EACCES;
	}
	ret = cipher_new(&c, k, iv, 0);
	if (ret < 0)
		goto out;
	ret = -EIO;
	if (is_gcm(k)) {
		if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_ICV_LEN,
					(void *)(ct + clen)) != 1)
			goto out;
		if (aad_len != 0 && EVP_DecryptUpdate(c, NULL, &outl, msg, (int)aad_len) != 1)
			goto out;
	}
	wrote = true;
	if (EVP_DecryptUpdate(c, plain, &outl, ct, (int)clen) != 1 || (size_t)outl != clen)
		goto out;
	/* GCM: the tag is checked here; until then @plain is not looked at */
	if (EVP_DecryptFinal_ex(c, plain + clen, &outl) != 1) {
		ret = is_gcm(k) ? -EACCES : -EIO;
		goto out;
	}
	/* RFC 7296 3.14: the pad length must fit inside the decrypted data */
	padl = plain[clen - 1];
	if (padl + 1 > clen) {
		ret = -EBADMSG;
		goto out;
	}
	*plain_len = clen - padl - 1;
	ret = 0;
out:
	if (ret < 0 && wrote)
		OPENSSL_cleanse(plain, clen);
	OPENSSL_cleanse(icv, sizeof(icv));
	EVP_CIPHER_CTX_free(c);
	return ret;
}

int
ike_sk_encrypt_msg(const struct ike_sk_dir *k, const uint8_t *hdr, uint8_t first_inner,
		   const uint8_t *inner, size_t inner_len,
		   uint8_t *out, size_t cap, size_t *out_len)
{
	size_t body = ike_sk_body_len(k, inner_len);
	size_t sk_len, total;

	if (body == 0)
		return -EINVAL;
	sk_len = IKE_GENERIC_HDR_LEN + body;
	total = IKE_HDR_LEN + sk_len;
	if (sk_len > 65535)
		return -EMSGSIZE;
	if (cap < total)
		return -ENOSPC;
	memcpy(out, hdr, IKE_HDR_LEN);
	out[16] = IKE_PLD_SK;			/* header: next payload */
	put_be32(out + 24, (uint32_t)total);	/* header: length */
	out[28] = first_inner;
	out[29] = 0;				/* C bit clear, reserved */
	put_be16(out + 30, (uint16_t)sk_len);
	return ike_sk_seal(k, out, IKE_HDR_LEN + IKE_GENERIC_HDR_LEN, inner, inner_len, cap,
			   out_len);
}

int
ike_sk_decrypt_msg(const struct ike_sk_dir *k, const uint8_t *msg, size_t len,
		   uint8_t *first_inner, uint8_t *plain, size_t cap, size_t *plain_len)
{
	uint32_t total;
	size_t sk_len;

	if (len < IKE_HDR_LEN + IKE_GENERIC_HDR_LEN || msg[16] != IKE_PLD_SK)
		return -EBADMSG;
	total = net_rd32(msg + 24);
	sk_len = net_rd16(msg + 30);
	if (total != len || sk_len != len - IKE_HDR_LEN)
		return -EBADMSG;
	*first_inner = msg[28];
	return ike_sk_open(k, msg, len, IKE_HDR_LEN + IKE_GENERIC_HDR_LEN, plain, cap, plain_len);
}
