/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Randomness and Diffie-Hellman for IKEv2 (RFC 7296 3.4): MODP groups 14 and
 * 15 (RFC 3526), ECP groups 19/20/21 (RFC 5903) and curve25519 (RFC 8031),
 * through OpenSSL 3 EVP_PKEY.
 *
 * This file owns the KE payload encodings (MODP: big-endian padded to the
 * prime; ECP: x || y padded to the field, no 0x04 prefix; curve25519: 32 raw
 * bytes), validation of the peer's value before it reaches OpenSSL's derive,
 * and the padding of g^ir. It also owns ike_rand_bytes() and its test hook.
 * It keeps no state except the hook, touches no SA and never logs. Private
 * values and shared secrets are wiped before their memory is released.
 */
#include "ike/ike_crypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

/* ------------------------------------------------------------------------
 * Randomness
 * ------------------------------------------------------------------------ */

static int (*rand_hook)(void *arg, void *buf, size_t len);
static void *rand_hook_arg;

void
ike_rand_set_hook(int (*fn)(void *arg, void *buf, size_t len), void *arg)
{
	rand_hook = fn;
	rand_hook_arg = arg;
}

int
ike_rand_bytes(void *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (rand_hook != NULL)
		return rand_hook(rand_hook_arg, buf, len);
	if (len > INT32_MAX)
		return -EINVAL;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

/* ------------------------------------------------------------------------
 * Groups
 * ------------------------------------------------------------------------ */

enum dh_kind {
	DH_MODP = 1,
	DH_ECP,
	DH_X25519,
};

struct dh_group {
	uint16_t id;
	uint8_t kind;		/* enum dh_kind */
	uint16_t len;		/* prime / field length in bytes */
	uint16_t rand_priv_len;	/* private value drawn from the rand hook */
	int nid;		/* ECP only */
	const char *name;	/* OpenSSL group name */
};

static const struct dh_group dh_groups[] = {
	{ IKE_CRYPTO_DH_MODP2048, DH_MODP, 256, 32, NID_undef, "modp_2048" },
	{ IKE_CRYPTO_DH_MODP3072, DH_MODP, 384, 48, NID_undef, "modp_3072" },
	{ IKE_CRYPTO_DH_ECP256, DH_ECP, 32, 32, NID_X9_62_prime256v1, "prime256v1" },
	{ IKE_CRYPTO_DH_ECP384, DH_ECP, 48, 48, NID_secp384r1, "secp384r1" },
	{ IKE_CRYPTO_DH_ECP521, DH_ECP, 66, 66, NID_secp521r1, "secp521r1" },
	{ IKE_CRYPTO_DH_CURVE25519, DH_X25519, 32, 32, NID_undef, "X25519" },
};

struct ike_dh {
	const struct dh_group *g;
	EVP_PKEY *pkey;
	uint16_t priv_len;	/* memo only: 0 = private value not kept */
	uint16_t pub_len;	/* memo only: 0 = pub not kept */
	uint8_t priv[IKE_DH_PRIV_MAX_LEN];	/* memo only (secret, wiped) */
	uint8_t pub[IKE_DH_MAX_LEN];		/* memo only: KE data */
};

static const struct dh_group *
group_find(uint16_t id)
{
	size_t i;

	for (i = 0; i < sizeof(dh_groups) / sizeof(dh_groups[0]); i++)
		if (dh_groups[i].id == id)
			return &dh_groups[i];
	return NULL;
}

bool
ike_dh_supported(uint16_t group)
{
	return group_find(group) != NULL;
}

size_t
ike_dh_pub_len(uint16_t group)
{
	const struct dh_group *g = group_find(group);

	if (g == NULL)
		return 0;
	return g->kind == DH_ECP ? 2u * g->len : g->len;
}

size_t
ike_dh_secret_len(uint16_t group)
{
	const struct dh_group *g = group_find(group);

	return g == NULL ? 0 : g->len;
}

uint16_t
ike_dh_group(const struct ike_dh *dh)
{
	return dh->g->id;
}

static BIGNUM *
modp_prime(const struct dh_group *g)
{
	if (g->id == IKE_CRYPTO_DH_MODP2048)
		return BN_get_rfc3526_prime_2048(NULL);
	return BN_get_rfc3526_prime_3072(NULL);
}

/* ------------------------------------------------------------------------
 * Test hook: a memo of DH results (fuzz harnesses only)
 *
 * With the rand hook, every input of a fuzz harness draws the same private
 * values and the two lib/ike instances exchange the same public values, so
 * the same key pairs and shared secrets are computed again on every input
 * (perf: about half of fuzz_ike's own time). ike_dh_memo_set() turns on a
 * table that keeps, by exact bytes:
 *   KEYPAIR (group, private value) -> the EVP_PKEY (a reference is handed
 *           out) and its KE data (ike_dh_pub)
 *   SHARED  (group, private value, peer value) -> result code and g^ir
 *   CHECK   (group, peer value) -> result code of ike_dh_check_peer
 * Only deterministic outcomes are kept (0, -EINVAL, -EBADMSG); anything not
 * in the table is computed for real, so a fuzzed or new peer value still
 * goes through peer_import() and OpenSSL. Direct-mapped: a colliding entry
 * replaces the old one. Production never calls ike_dh_memo_set(): the table
 * pointer stays NULL and every function below returns at its first line.
 * Not thread-safe (the harnesses run their jobs on one thread).
 * ------------------------------------------------------------------------ */

enum memo_kind {
	MEMO_KEYPAIR = 1,
	MEMO_SHARED,
	MEMO_CHECK,
};

struct memo_ent {
	uint8_t kind;		/* enum memo_kind; 0 = empty */
	uint16_t group;
	uint16_t priv_len, peer_len, out_len;
	int ret;
	EVP_PKEY *pkey;		/* KEYPAIR: the memo's reference */
	uint8_t priv[IKE_DH_PRIV_MAX_LEN];
	uint8_t peer[IKE_DH_MAX_LEN];
	uint8_t out[IKE_DH_MAX_LEN];	/* SHARED: g^ir (secret); KEYPAIR: KE data */
};

static struct memo_ent *memo;
static unsigned memo_n;		/* a power of two */
static uint64_t memo_hits, memo_misses;

static void
memo_clear(struct memo_ent *e)
{
	EVP_PKEY_free(e->pkey);
	OPENSSL_cleanse(e, sizeof(*e));
}

void
ike_dh_memo_set(unsigned entries)
{
	unsigned i, n = 1;

	if (memo != NULL) {
		for (i = 0; i < memo_n; i++)
			memo_clear(&memo[i]);
		free(memo);
		memo = NULL;
		memo_n = 0;
	}
	memo_hits = memo_misses = 0;
	if (entries == 0)
		return;
	while (n < entries && n < (1u << 20))
		n <<= 1;
	memo = calloc(n, sizeof(*memo));
	if (memo != NULL)
		memo_n = n;
}

void
ike_dh_memo_stats(uint64_t *hits, uint64_t *misses)
{
	*hits = memo_hits;
	*misses = memo_misses;
}

static uint64_t
fnv(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static struct memo_ent *
memo_slot(uint8_t kind, uint16_t group, const uint8_t *priv, size_t priv_len,
	  const uint8_t *peer, size_t peer_len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint8_t k[3] = { kind };

	put_be16(k + 1, group);
	h = fnv(h, k, sizeof(k));
	if (priv_len > 0)
		h = fnv(h, priv, priv_len);
	if (peer_len > 0)
		h = fnv(h, peer, peer_len);
	return &memo[(h ^ h >> 32) & (memo_n - 1)];
}

/* The entry for this key if it holds a result, else NULL (counted). */
static struct memo_ent *
memo_find(uint8_t kind, uint16_t group, const uint8_t *priv, size_t priv_len,
	  const uint8_t *peer, size_t peer_len)
{
	struct memo_ent *e;

	if (memo == NULL || priv_len > IKE_DH_PRIV_MAX_LEN || peer_len > IKE_DH_MAX_LEN)
		return NULL;
	e = memo_slot(kind, group, priv, priv_len, peer, peer_len);
	if (e->kind == kind && e->group == group && e->priv_len == priv_len &&
	    e->peer_len == peer_len && (priv_len == 0 || memcmp(e->priv, priv, priv_len) == 0) &&
	    (peer_len == 0 || memcmp(e->peer, peer, peer_len) == 0)) {
		memo_hits++;
		return e;
	}
	memo_misses++;
	return NULL;
}

/* Keep a deterministic result; @out/@pkey as the kind needs (pkey: up-ref). */
static void
memo_put(uint8_t kind, uint16_t group, const uint8_t *priv, size_t priv_len,
	 const uint8_t *peer, size_t peer_len, int ret, const uint8_t *out, size_t out_len,
	 EVP_PKEY *pkey)
{
	struct memo_ent *e;

	if (memo == NULL || priv_len > IKE_DH_PRIV_MAX_LEN || peer_len > IKE_DH_MAX_LEN ||
	    out_len > IKE_DH_MAX_LEN || (ret != 0 && ret != -EINVAL && ret != -EBADMSG))
		return;
	if (pkey != NULL && EVP_PKEY_up_ref(pkey) != 1)
		return;
	e = memo_slot(kind, group, priv, priv_len, peer, peer_len);
	memo_clear(e);
	e->kind = kind;
	e->group = group;
	e->priv_len = (uint16_t)priv_len;
	e->peer_len = (uint16_t)peer_len;
	e->out_len = (uint16_t)out_len;
	e->ret = ret;
	e->pkey = pkey;
	if (priv_len > 0)
		memcpy(e->priv, priv, priv_len);
	if (peer_len > 0)
		memcpy(e->peer, peer, peer_len);
	if (out_len > 0)
		memcpy(e->out, out, out_len);
}

/* ------------------------------------------------------------------------
 * Key pairs
 * ------------------------------------------------------------------------ */

static int
dh_alloc(const struct dh_group *g, EVP_PKEY *pkey, struct ike_dh **out)
{
	struct ike_dh *dh = calloc(1, sizeof(*dh));

	if (dh == NULL) {
		EVP_PKEY_free(pkey);
		return -ENOMEM;
	}
	dh->g = g;
	dh->pkey = pkey;
	*out = dh;
	return 0;
}

/* Build an EVP_PKEY of @type from @params (a key pair or a public key). */
static int
pkey_fromdata(const char *type, int selection, OSSL_PARAM *params, EVP_PKEY **out)
{
	EVP_PKEY_CTX *pctx;
	int ret = -EIO;

	*out = NULL;
	pctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (pctx == NULL)
		return -ENOMEM;
	if (EVP_PKEY_fromdata_init(pctx) <= 0)
		goto out;
	if (EVP_PKEY_fromdata(pctx, out, selection, params) <= 0) {
		ret = -EBADMSG;
		goto out;
	}
	ret = 0;
out:
	EVP_PKEY_CTX_free(pctx);
	return ret;
}

static int
modp_from_priv(const struct dh_group *g, const uint8_t *priv, size_t priv_len, EVP_PKEY **out)
{
	BIGNUM *p = NULL, *x = NULL, *y = NULL, *gen = NULL, *pm1 = NULL;
	BN_CTX *bctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	int ret = -ENOMEM;

	p = modp_prime(g);
	x = BN_secure_new();
	y = BN_new();
	gen = BN_new();
	pm1 = BN_new();
	bctx = BN_CTX_secure_new();
	if (p == NULL || x == NULL || y == NULL || gen == NULL || pm1 == NULL || bctx == NULL)
		goto out;
	if (BN_bin2bn(priv, (int)priv_len, x) == NULL || !BN_set_word(gen, 2) ||
	    !BN_sub(pm1, p, BN_value_one()))
		goto out;
	ret = -EINVAL;
	if (BN_is_zero(x) || BN_is_one(x) || BN_cmp(x, pm1) >= 0)
		goto out;
	ret = -EIO;
	if (!BN_mod_exp(y, gen, x, p, bctx))
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, x) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL)
		goto out;
	ret = pkey_fromdata("DH", EVP_PKEY_KEYPAIR, params, out);
	if (ret == -EBADMSG)
		ret = -EINVAL;
out:
	OSSL_PARAM_free(params);	/* x was copied to secure memory (secure BN) */
	OSSL_PARAM_BLD_free(bld);
	BN_CTX_free(bctx);
	BN_free(pm1);
	BN_free(gen);
	BN_free(y);
	BN_clear_free(x);
	BN_free(p);
	return ret;
}

static int
ecp_from_priv(const struct dh_group *g, const uint8_t *priv, size_t priv_len, EVP_PKEY **out)
{
	EC_GROUP *grp = NULL;
	EC_POINT *pt = NULL;
	BIGNUM *d = NULL;
	BN_CTX *bctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	uint8_t pub[1 + 2 * 66];
	size_t pub_len;
	int ret = -ENOMEM;

	grp = EC_GROUP_new_by_curve_name(g->nid);
	d = BN_secure_new();
	bctx = BN_CTX_secure_new();
	if (grp == NULL || d == NULL || bctx == NULL)
		goto out;
	pt = EC_POINT_new(grp);
	if (pt == NULL || BN_bin2bn(priv, (int)priv_len, d) == NULL)
		goto out;
	ret = -EINVAL;
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(grp)) >= 0)
		goto out;
	ret = -EIO;
	if (!EC_POINT_mul(grp, pt, d, NULL, NULL, bctx))
		goto out;
	pub_len = EC_POINT_point2oct(grp, pt, POINT_CONVERSION_UNCOMPRESSED, pub, sizeof(pub),
				     bctx);
	if (pub_len != 1u + 2u * g->len)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL)
		goto out;
	ret = pkey_fromdata("EC", EVP_PKEY_KEYPAIR, params, out);
	if (ret == -EBADMSG)
		ret = -EINVAL;
out:
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_CTX_free(bctx);
	BN_clear_free(d);
	EC_POINT_free(pt);
	EC_GROUP_free(grp);
	return ret;
}

int
ike_dh_create_from_priv(uint16_t group, const uint8_t *priv, size_t priv_len,
			struct ike_dh **out)
{
	const struct dh_group *g = group_find(group);
	EVP_PKEY *pkey = NULL;
	int ret;

	*out = NULL;
	if (g == NULL || priv == NULL || priv_len == 0)
		return -EINVAL;
	if (memo != NULL) {
		const struct memo_ent *e = memo_find(MEMO_KEYPAIR, group, priv, priv_len,
						     NULL, 0);

		if (e != NULL && e->ret != 0)
			return e->ret;
		if (e != NULL && EVP_PKEY_up_ref(e->pkey) == 1) {
			ret = dh_alloc(g, e->pkey, out);
			if (ret == 0) {
				memcpy((*out)->pub, e->out, e->out_len);
				(*out)->pub_len = e->out_len;
			}
			goto keep_priv;
		}
	}
	switch (g->kind) {
	case DH_MODP:
		if (priv_len > IKE_DH_PRIV_MAX_LEN)
			return -EINVAL;
		ret = modp_from_priv(g, priv, priv_len, &pkey);
		break;
	case DH_ECP:
		if (priv_len != g->len)
			return -EINVAL;
		ret = ecp_from_priv(g, priv, priv_len, &pkey);
		break;
	default:
		if (priv_len != 32)
			return -EINVAL;
		pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
		ret = pkey == NULL ? -EIO : 0;
		break;
	}
	if (ret < 0) {
		if (memo != NULL)
			memo_put(MEMO_KEYPAIR, group, priv, priv_len, NULL, 0, ret, NULL, 0, NULL);
		return ret;
	}
	ret = dh_alloc(g, pkey, out);
	if (ret == 0 && memo != NULL) {
		uint8_t pub[IKE_DH_MAX_LEN];
		size_t pub_len;

		if (ike_dh_pub(*out, pub, sizeof(pub), &pub_len) == 0) {
			memo_put(MEMO_KEYPAIR, group, priv, priv_len, NULL, 0, 0, pub, pub_len,
				 (*out)->pkey);
			memcpy((*out)->pub, pub, pub_len);
			(*out)->pub_len = (uint16_t)pub_len;
		}
	}
keep_priv:
	/* the memo's key for this pair's shared secrets */
	if (ret == 0 && memo != NULL && priv_len <= sizeof((*out)->priv)) {
		memcpy((*out)->priv, priv, priv_len);
		(*out)->priv_len = (uint16_t)priv_len;
	}
	return ret;
}

/* With the test rand hook: draw the private value from ike_rand_bytes. */
static int
create_from_hook(const struct dh_group *g, struct ike_dh **out)
{
	uint8_t priv[66];
	unsigned tries;
	int ret = -EIO;

	for (tries = 0; tries < 64; tries++) {
		ret = ike_rand_bytes(priv, g->rand_priv_len);
		if (ret < 0)
			break;
		if (g->id == IKE_CRYPTO_DH_ECP521)
			priv[0] &= 0x01;	/* 521 bits: keep it below the order mostly */
		ret = ike_dh_create_from_priv(g->id, priv, g->rand_priv_len, out);
		if (ret != -EINVAL)
			break;			/* -EINVAL: out of range, draw again */
	}
	OPENSSL_cleanse(priv, sizeof(priv));
	return ret;
}

int
ike_dh_create(uint16_t group, struct ike_dh **out)
{
	const struct dh_group *g = group_find(group);
	EVP_PKEY_CTX *pctx = NULL;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM params[2];
	int ret = -EIO;

	*out = NULL;
	if (g == NULL)
		return -EINVAL;
	if (rand_hook != NULL)
		return create_from_hook(g, out);
	switch (g->kind) {
	case DH_MODP:
		pctx = EVP_PKEY_CTX_new_from_name(NULL, "DH", NULL);
		break;
	case DH_ECP:
		pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		break;
	default:
		pctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
		break;
	}
	if (pctx == NULL)
		return -ENOMEM;
	if (EVP_PKEY_keygen_init(pctx) <= 0)
		goto out;
	if (g->kind != DH_X25519) {
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
							     (char *)g->name, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(pctx, params) <= 0)
			goto out;
	}
	if (EVP_PKEY_generate(pctx, &pkey) <= 0)
		goto out;
	ret = dh_alloc(g, pkey, out);
out:
	EVP_PKEY_CTX_free(pctx);
	return ret;
}

void
ike_dh_destroy(struct ike_dh *dh)
{
	if (dh == NULL)
		return;
	EVP_PKEY_free(dh->pkey);	/* OpenSSL clears private key material */
	OPENSSL_cleanse(dh, sizeof(*dh));
	free(dh);
}

int
ike_dh_pub(const struct ike_dh *dh, uint8_t *buf, size_t cap, size_t *len)
{
	const struct dh_group *g = dh->g;
	size_t need = ike_dh_pub_len(g->id);
	uint8_t enc[1 + 2 * 66];
	BIGNUM *y = NULL;
	size_t n;
	int ret = -EIO;

	if (cap < need)
		return -ENOSPC;
	if (dh->pub_len == need) {	/* from the memo */
		memcpy(buf, dh->pub, need);
		*len = need;
		return 0;
	}
	switch (g->kind) {
	case DH_MODP:
		if (!EVP_PKEY_get_bn_param(dh->pkey, OSSL_PKEY_PARAM_PUB_KEY, &y))
			break;
		if (BN_bn2binpad(y, buf, (int)need) == (int)need)
			ret = 0;
		BN_free(y);
		break;
	case DH_ECP:
		if (!EVP_PKEY_get_octet_string_param(dh->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						     enc, sizeof(enc), &n))
			break;
		if (n != 1 + need || enc[0] != POINT_CONVERSION_UNCOMPRESSED)
			break;
		memcpy(buf, enc + 1, need);
		ret = 0;
		break;
	default:
		n = need;
		if (EVP_PKEY_get_raw_public_key(dh->pkey, buf, &n) == 1 && n == need)
			ret = 0;
		break;
	}
	if (ret == 0)
		*len = need;
	return ret;
}

/* ------------------------------------------------------------------------
 * Peer values
 * ------------------------------------------------------------------------ */

/* RFC 7296 3.4 / RFC 5903 / RFC 8031: exact length, range, point on curve. */
static int
peer_import(const struct dh_group *g, const uint8_t *peer, size_t peer_len, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *cctx = NULL;
	BIGNUM *p = NULL, *y = NULL, *pm1 = NULL;
	uint8_t enc[1 + 2 * 66];
	int ret = -ENOMEM;

	*out = NULL;
	if (peer == NULL || peer_len != ike_dh_pub_len(g->id))
		return -EBADMSG;
	if (g->kind == DH_X25519) {
		*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, peer_len);
		return *out == NULL ? -EIO : 0;
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, g->name, 0))
		goto out;
	if (g->kind == DH_MODP) {
		/* 1 < y < p-1: excludes the small-subgroup values 0, 1, p-1 */
		p = modp_prime(g);
		y = BN_bin2bn(peer, (int)peer_len, NULL);
		pm1 = BN_new();
		if (p == NULL || y == NULL || pm1 == NULL || !BN_sub(pm1, p, BN_value_one()))
			goto out;
		ret = -EBADMSG;
		if (BN_is_zero(y) || BN_is_one(y) || BN_cmp(y, pm1) >= 0)
			goto out;
		ret = -ENOMEM;
		if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, y))
			goto out;
	} else {
		enc[0] = POINT_CONVERSION_UNCOMPRESSED;
		memcpy(enc + 1, peer, peer_len);
		if (!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, enc,
						      1 + peer_len))
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	if (params == NULL)
		goto out;
	ret = pkey_fromdata(g->kind == DH_MODP ? "DH" : "EC", EVP_PKEY_PUBLIC_KEY, params, out);
	if (ret < 0)
		goto out;
	if (g->kind == DH_ECP) {
		/*
		 * Point on the curve and not at infinity (import checks too).
		 * The NIST curves have cofactor 1, so this is the whole check
		 * (RFC 6989 2.3); the order check would only cost time.
		 */
		cctx = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
		if (cctx == NULL) {
			ret = -ENOMEM;
			goto out;
		}
		if (EVP_PKEY_public_check_quick(cctx) != 1)
			ret = -EBADMSG;
	}
out:
	if (ret < 0 && *out != NULL) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	EVP_PKEY_CTX_free(cctx);
	BN_free(pm1);
	BN_free(y);
	BN_free(p);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return ret;
}

int
ike_dh_check_peer(uint16_t group, const uint8_t *peer, size_t peer_len)
{
	const struct dh_group *g = group_find(group);
	EVP_PKEY *pk;
	int ret;

	if (g == NULL)
		return -EINVAL;
	if (memo != NULL && peer != NULL) {
		const struct memo_ent *e = memo_find(MEMO_CHECK, group, NULL, 0, peer, peer_len);

		if (e != NULL)
			return e->ret;
	}
	ret = peer_import(g, peer, peer_len, &pk);
	EVP_PKEY_free(pk);
	if (memo != NULL && peer != NULL)
		memo_put(MEMO_CHECK, group, NULL, 0, peer, peer_len, ret, NULL, 0, NULL);
	return ret;
}

static int dh_shared(const struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
		     uint8_t *out, size_t cap, size_t *len);

int
ike_dh_shared(const struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
	      uint8_t *out, size_t cap, size_t *len)
{
	const struct memo_ent *e;
	int ret;

	if (memo == NULL || dh->priv_len == 0 || peer == NULL || cap < dh->g->len)
		return dh_shared(dh, peer, peer_len, out, cap, len);
	e = memo_find(MEMO_SHARED, dh->g->id, dh->priv, dh->priv_len, peer, peer_len);
	if (e != NULL) {
		if (e->ret == 0) {
			memcpy(out, e->out, e->out_len);
			*len = e->out_len;
		}
		return e->ret;
	}
	ret = dh_shared(dh, peer, peer_len, out, cap, len);
	memo_put(MEMO_SHARED, dh->g->id, dh->priv, dh->priv_len, peer, peer_len, ret, out,
		 ret == 0 ? *len : 0, NULL);
	return ret;
}

static int
dh_shared(const struct ike_dh *dh, const uint8_t *peer, size_t peer_len,
	  uint8_t *out, size_t cap, size_t *len)
{
	static const uint8_t zero[32];
	const struct dh_group *g = dh->g;
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *dctx = NULL;
	uint8_t tmp[IKE_DH_MAX_LEN];
	size_t n = sizeof(tmp);
	int ret;

	if (cap < g->len)
		return -ENOSPC;
	ret = peer_import(g, peer, peer_len, &pk);
	if (ret < 0)
		return ret;
	ret = -ENOMEM;
	dctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->pkey, NULL);
	if (dctx == NULL)
		goto out;
	ret = -EIO;
	if (EVP_PKEY_derive_init(dctx) <= 0)
		goto out;
	if (g->kind == DH_MODP && EVP_PKEY_CTX_set_dh_pad(dctx, 1) <= 0)
		goto out;
	/*
	 * peer_import() did the checks RFC 6989 asks for (MODP safe primes:
	 * 1 < y < p-1; ECP: on the curve; curve25519: none, zero output below).
	 * OpenSSL's own full check (y^q mod p, n*Q) would triple the cost.
	 */
	if (EVP_PKEY_derive_set_peer_ex(dctx, pk, 0) <= 0) {
		ret = -EBADMSG;
		goto out;
	}
	if (EVP_PKEY_derive(dctx, tmp, &n) <= 0) {
		/* OpenSSL refuses an all-zero X25519 result itself */
		ret = g->kind == DH_X25519 ? -EBADMSG : -EIO;
		goto out;
	}
	if (n > g->len || n == 0)
		goto out;
	/* RFC 8031 2.3: all-zero output means a low-order peer point */
	if (g->kind == DH_X25519 && CRYPTO_memcmp(tmp, zero, 32) == 0) {
		ret = -EBADMSG;
		goto out;
	}
	memset(out, 0, g->len - n);
	memcpy(out + (g->len - n), tmp, n);
	*len = g->len;
	ret = 0;
out:
	OPENSSL_cleanse(tmp, sizeof(tmp));
	EVP_PKEY_CTX_free(dctx);
	EVP_PKEY_free(pk);
	return ret;
}
