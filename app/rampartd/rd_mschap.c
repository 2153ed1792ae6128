/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MS-CHAPv2 (RFC 2759) and its MPPE keys (RFC 3079): rd_mschap.h. The
 * constants below are the ones the RFCs define.
 */
#include "rd_mschap.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/provider.h>

static OSSL_LIB_CTX *legacy_ctx;
static OSSL_PROVIDER *legacy_prov;
static EVP_MD *md4;
static EVP_CIPHER *des_ecb;

/* RFC 2759 8.7 */
static const char magic_sign1[] = "Magic server to client signing constant";
static const char magic_sign2[] = "Pad to make it do more than one iteration";
/* RFC 3079 3.4 */
static const char magic_master[] = "This is the MPPE Master Key";
static const char magic_key2[] = "On the client side, this is the send key; "
				 "on the server side, it is the receive key.";
static const char magic_key3[] = "On the client side, this is the receive key; "
				 "on the server side, it is the send key.";

int
rd_mschap_init(void)
{
	if (md4 != NULL)
		return 0;
	legacy_ctx = OSSL_LIB_CTX_new();
	if (legacy_ctx == NULL)
		return -ENOMEM;
	legacy_prov = OSSL_PROVIDER_load(legacy_ctx, "legacy");
	if (legacy_prov != NULL) {
		md4 = EVP_MD_fetch(legacy_ctx, "MD4", NULL);
		des_ecb = EVP_CIPHER_fetch(legacy_ctx, "DES-ECB", NULL);
	}
	if (md4 == NULL || des_ecb == NULL) {
		rd_mschap_fini();
		return -ENOTSUP;
	}
	return 0;
}

void
rd_mschap_fini(void)
{
	EVP_MD_free(md4);
	EVP_CIPHER_free(des_ecb);
	md4 = NULL;
	des_ecb = NULL;
	if (legacy_prov != NULL)
		OSSL_PROVIDER_unload(legacy_prov);
	legacy_prov = NULL;
	OSSL_LIB_CTX_free(legacy_ctx);
	legacy_ctx = NULL;
}

/* A digest over up to four pieces (NULL ends the list early). */
static int
digest(const EVP_MD *md, uint8_t *out, unsigned out_len, const void *a, size_t al,
       const void *b, size_t bl, const void *c, size_t cl, const void *d, size_t dl)
{
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	unsigned ol = 0;
	int ok;

	if (x == NULL || md == NULL) {
		EVP_MD_CTX_free(x);
		return -ENOTSUP;
	}
	ok = EVP_DigestInit_ex(x, md, NULL) == 1 && EVP_DigestUpdate(x, a, al) == 1 &&
	     (b == NULL || EVP_DigestUpdate(x, b, bl) == 1) &&
	     (c == NULL || EVP_DigestUpdate(x, c, cl) == 1) &&
	     (d == NULL || EVP_DigestUpdate(x, d, dl) == 1) &&
	     EVP_DigestFinal_ex(x, out, &ol) == 1 && ol == out_len;
	EVP_MD_CTX_free(x);
	return ok ? 0 : -EIO;
}

int
rd_mschap_challenge_hash(const uint8_t peer[16], const uint8_t auth[16], const char *user,
			 size_t user_len, uint8_t out[8])
{
	uint8_t md[20];
	int rc = digest(EVP_sha1(), md, 20, peer, 16, auth, 16, user, user_len, NULL, 0);

	if (rc == 0)
		memcpy(out, md, 8);
	return rc;
}

/* RFC 2759 8.6 DesEncrypt: 7 key octets spread over 8 (parity bits unset:
 * DES ignores them) */
static int
des_encrypt(const uint8_t clear[8], const uint8_t k7[7], uint8_t out[8])
{
	uint8_t key[8];
	EVP_CIPHER_CTX *x;
	int ol = 0, ok;

	key[0] = k7[0] & 0xfe;
	key[1] = (uint8_t)((k7[0] << 7) | (k7[1] >> 1)) & 0xfe;
	key[2] = (uint8_t)((k7[1] << 6) | (k7[2] >> 2)) & 0xfe;
	key[3] = (uint8_t)((k7[2] << 5) | (k7[3] >> 3)) & 0xfe;
	key[4] = (uint8_t)((k7[3] << 4) | (k7[4] >> 4)) & 0xfe;
	key[5] = (uint8_t)((k7[4] << 3) | (k7[5] >> 5)) & 0xfe;
	key[6] = (uint8_t)((k7[5] << 2) | (k7[6] >> 6)) & 0xfe;
	key[7] = (uint8_t)(k7[6] << 1);
	if (des_ecb == NULL)
		return -ENOTSUP;
	x = EVP_CIPHER_CTX_new();
	if (x == NULL)
		return -ENOMEM;
	ok = EVP_EncryptInit_ex2(x, des_ecb, key, NULL, NULL) == 1 &&
	     EVP_CIPHER_CTX_set_padding(x, 0) == 1 &&
	     EVP_EncryptUpdate(x, out, &ol, clear, 8) == 1 && ol == 8;
	EVP_CIPHER_CTX_free(x);
	OPENSSL_cleanse(key, sizeof(key));
	return ok ? 0 : -EIO;
}

int
rd_mschap_challenge_response(const uint8_t challenge[8], const uint8_t nt_hash[16],
			     uint8_t out[24])
{
	uint8_t z[21] = { 0 };
	int rc;

	memcpy(z, nt_hash, 16);
	rc = des_encrypt(challenge, z, out);
	if (rc == 0)
		rc = des_encrypt(challenge, z + 7, out + 8);
	if (rc == 0)
		rc = des_encrypt(challenge, z + 14, out + 16);
	OPENSSL_cleanse(z, sizeof(z));
	return rc;
}

int
rd_mschap_nt_response(const uint8_t auth[16], const uint8_t peer[16], const char *user,
		      size_t user_len, const uint8_t nt_hash[16], uint8_t out[24])
{
	uint8_t ch[8];
	int rc = rd_mschap_challenge_hash(peer, auth, user, user_len, ch);

	return rc < 0 ? rc : rd_mschap_challenge_response(ch, nt_hash, out);
}

int
rd_mschap_hash_hash(const uint8_t nt_hash[16], uint8_t out[16])
{
	return digest(md4, out, 16, nt_hash, 16, NULL, 0, NULL, 0, NULL, 0);
}

int
rd_mschap_auth_response(const uint8_t nt_hash[16], const uint8_t nt_resp[24],
			const uint8_t peer[16], const uint8_t auth[16], const char *user,
			size_t user_len, char out[RD_MSCHAP_AUTH_RESP_LEN + 1])
{
	uint8_t hh[16], md[20], ch[8];
	int rc, i;

	rc = rd_mschap_hash_hash(nt_hash, hh);
	if (rc == 0)
		rc = digest(EVP_sha1(), md, 20, hh, 16, nt_resp, 24, magic_sign1,
			    sizeof(magic_sign1) - 1, NULL, 0);
	if (rc == 0)
		rc = rd_mschap_challenge_hash(peer, auth, user, user_len, ch);
	if (rc == 0)
		rc = digest(EVP_sha1(), md, 20, md, 20, ch, 8, magic_sign2,
			    sizeof(magic_sign2) - 1, NULL, 0);
	if (rc == 0) {
		out[0] = 'S';
		out[1] = '=';
		for (i = 0; i < 20; i++)
			snprintf(out + 2 + 2 * i, 3, "%02X", md[i]);
	}
	OPENSSL_cleanse(hh, sizeof(hh));
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

int
rd_mschap_master_key(const uint8_t nt_hash[16], const uint8_t nt_resp[24], uint8_t out[16])
{
	uint8_t hh[16], md[20];
	int rc = rd_mschap_hash_hash(nt_hash, hh);

	if (rc == 0)
		rc = digest(EVP_sha1(), md, 20, hh, 16, nt_resp, 24, magic_master,
			    sizeof(magic_master) - 1, NULL, 0);
	if (rc == 0)
		memcpy(out, md, 16);
	OPENSSL_cleanse(hh, sizeof(hh));
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

int
rd_mschap_start_key(const uint8_t master[16], int is_send, int is_server, uint8_t out[16])
{
	uint8_t pad1[40], pad2[40], md[20];
	/* RFC 3079 3.4: the server's send key and the client's receive key
	 * use Magic3, the other two Magic2 */
	const char *s = (is_send != 0) == (is_server != 0) ? magic_key3 : magic_key2;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	unsigned ol = 0;
	int ok;

	if (x == NULL)
		return -ENOMEM;
	memset(pad1, 0, sizeof(pad1));
	memset(pad2, 0xf2, sizeof(pad2));
	ok = EVP_DigestInit_ex(x, EVP_sha1(), NULL) == 1 &&
	     EVP_DigestUpdate(x, master, 16) == 1 && EVP_DigestUpdate(x, pad1, 40) == 1 &&
	     EVP_DigestUpdate(x, s, strlen(s)) == 1 && EVP_DigestUpdate(x, pad2, 40) == 1 &&
	     EVP_DigestFinal_ex(x, md, &ol) == 1 && ol == 20;
	EVP_MD_CTX_free(x);
	if (ok)
		memcpy(out, md, 16);
	OPENSSL_cleanse(md, sizeof(md));
	return ok ? 0 : -EIO;
}

int
rd_mschap_msk(const uint8_t nt_hash[16], const uint8_t nt_resp[24],
	      uint8_t out[RD_MSCHAP_MSK_LEN])
{
	uint8_t mk[16];
	int rc = rd_mschap_master_key(nt_hash, nt_resp, mk);

	if (rc == 0)
		rc = rd_mschap_start_key(mk, 0, 1, out);	/* receive */
	if (rc == 0)
		rc = rd_mschap_start_key(mk, 1, 1, out + 16);	/* send */
	OPENSSL_cleanse(mk, sizeof(mk));
	return rc;
}
