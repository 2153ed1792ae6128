/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Proposals: strongSwan-style proposal strings from the configuration
 * ("aes256gcm16-prfsha384-ecp384") parsed into transform lists, proposal
 * selection by the responder (our configured order wins, RFC 7296 2.7 lets
 * the responder choose) and the initiator's check that the responder picked
 * one of the proposals it offered, with one transform per offered type.
 *
 * Works only on parsed structs (struct ike_sa_pld from ike_pld.c); no wire
 * bytes, no state, no allocation.
 */
#include "ike/ike_wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ike/ike_wire_priv.h"

struct alg {
	const char *name;
	uint8_t type;
	uint16_t id;
	uint16_t key_bits;
};

/* The first name of each (type, id, key) is the one ike_prop_format uses. */
static const struct alg algs[] = {
	{ "aes128", IKE_XF_ENCR, IKE_ENCR_AES_CBC, 128 },
	{ "aes192", IKE_XF_ENCR, IKE_ENCR_AES_CBC, 192 },
	{ "aes256", IKE_XF_ENCR, IKE_ENCR_AES_CBC, 256 },
	{ "aes128gcm16", IKE_XF_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ "aes192gcm16", IKE_XF_ENCR, IKE_ENCR_AES_GCM_16, 192 },
	{ "aes256gcm16", IKE_XF_ENCR, IKE_ENCR_AES_GCM_16, 256 },
	{ "aes128gcm", IKE_XF_ENCR, IKE_ENCR_AES_GCM_16, 128 },
	{ "aes256gcm", IKE_XF_ENCR, IKE_ENCR_AES_GCM_16, 256 },
	{ "aes128gcm12", IKE_XF_ENCR, IKE_ENCR_AES_GCM_12, 128 },
	{ "aes256gcm12", IKE_XF_ENCR, IKE_ENCR_AES_GCM_12, 256 },
	{ "aes128gcm8", IKE_XF_ENCR, IKE_ENCR_AES_GCM_8, 128 },
	{ "aes256gcm8", IKE_XF_ENCR, IKE_ENCR_AES_GCM_8, 256 },
	{ "chacha20poly1305", IKE_XF_ENCR, IKE_ENCR_CHACHA20_POLY1305, 0 },
	{ "sha1", IKE_XF_INTEG, IKE_INTEG_HMAC_SHA1_96, 0 },
	{ "sha256", IKE_XF_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha384", IKE_XF_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha512", IKE_XF_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0 },
	{ "sha2_256", IKE_XF_INTEG, IKE_INTEG_HMAC_SHA2_256_128, 0 },
	{ "sha2_384", IKE_XF_INTEG, IKE_INTEG_HMAC_SHA2_384_192, 0 },
	{ "sha2_512", IKE_XF_INTEG, IKE_INTEG_HMAC_SHA2_512_256, 0 },
	{ "prfsha1", IKE_XF_PRF, IKE_PRF_HMAC_SHA1, 0 },
	{ "prfsha256", IKE_XF_PRF, IKE_PRF_HMAC_SHA2_256, 0 },
	{ "prfsha384", IKE_XF_PRF, IKE_PRF_HMAC_SHA2_384, 0 },
	{ "prfsha512", IKE_XF_PRF, IKE_PRF_HMAC_SHA2_512, 0 },
	{ "modp2048", IKE_XF_DH, IKE_DH_MODP2048, 0 },
	{ "modp3072", IKE_XF_DH, IKE_DH_MODP3072, 0 },
	{ "modp4096", IKE_XF_DH, IKE_DH_MODP4096, 0 },
	{ "ecp256", IKE_XF_DH, IKE_DH_ECP256, 0 },
	{ "ecp384", IKE_XF_DH, IKE_DH_ECP384, 0 },
	{ "ecp521", IKE_XF_DH, IKE_DH_ECP521, 0 },
	{ "curve25519", IKE_XF_DH, IKE_DH_CURVE25519, 0 },
	{ "x25519", IKE_XF_DH, IKE_DH_CURVE25519, 0 },
	{ "esn", IKE_XF_ESN, IKE_ESN_YES, 0 },
	{ "noesn", IKE_XF_ESN, IKE_ESN_NO, 0 },
};

#define N_ALGS (sizeof(algs) / sizeof(algs[0]))

/* Order of transform types in proposals we build (as strongSwan does). */
static const uint8_t type_order[] = { IKE_XF_ENCR, IKE_XF_INTEG, IKE_XF_PRF, IKE_XF_DH,
				      IKE_XF_ESN };

bool
ike_encr_is_aead(uint16_t enc)
{
	return enc == IKE_ENCR_AES_GCM_8 || enc == IKE_ENCR_AES_GCM_12 ||
	       enc == IKE_ENCR_AES_GCM_16 || enc == IKE_ENCR_CHACHA20_POLY1305;
}

static int
perr(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && err_len > 0) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static const struct alg *
alg_by_name(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < N_ALGS; i++)
		if (strlen(algs[i].name) == len && strncasecmp(algs[i].name, s, len) == 0)
			return &algs[i];
	return NULL;
}

static bool
has_xform(const struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
	unsigned i;

	for (i = 0; i < p->n_xforms; i++)
		if (p->xf[i].type == type && p->xf[i].id == id && p->xf[i].key_bits == key_bits)
			return true;
	return false;
}

static unsigned
count_type(const struct ike_proposal *p, uint8_t type)
{
	unsigned i, n = 0;

	for (i = 0; i < p->n_xforms; i++)
		n += p->xf[i].type == type;
	return n;
}

static int
add_xform(struct ike_proposal *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
	struct ike_xform *x;

	if (has_xform(p, type, id, key_bits))
		return 0;		/* "aes128-aes128": offer once */
	if (p->n_xforms >= IKE_MAX_XFORMS)
		return -E2BIG;
	x = &p->xf[p->n_xforms++];
	x->type = type;
	x->id = id;
	x->key_bits = key_bits;
	x->usable = true;
	return 0;
}

static uint16_t
prf_for_integ(uint16_t integ)
{
	switch (integ) {
	case IKE_INTEG_HMAC_SHA1_96: return IKE_PRF_HMAC_SHA1;
	case IKE_INTEG_HMAC_SHA2_256_128: return IKE_PRF_HMAC_SHA2_256;
	case IKE_INTEG_HMAC_SHA2_384_192: return IKE_PRF_HMAC_SHA2_384;
	case IKE_INTEG_HMAC_SHA2_512_256: return IKE_PRF_HMAC_SHA2_512;
	default: return 0;
	}
}

int
ike_prop_parse(const char *s, uint8_t proto, struct ike_proposal *out, char *err,
	       size_t err_len)
{
	struct ike_proposal tmp;	/* tokens in string order */
	const char *tok, *end;
	unsigned i, t, n_aead = 0, n_enc;
	size_t slen;

	memset(out, 0, sizeof(*out));
	memset(&tmp, 0, sizeof(tmp));
	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (proto != IKE_PROTO_IKE && proto != IKE_PROTO_ESP)
		return perr(err, err_len, "protocol %u not IKE or ESP", proto);
	if (s == NULL || s[0] == '\0')
		return perr(err, err_len, "empty proposal");
	slen = strnlen(s, IKE_PROP_STR_MAX);
	if (slen >= IKE_PROP_STR_MAX)
		return perr(err, err_len, "proposal longer than %d characters",
			    IKE_PROP_STR_MAX - 1);

	for (tok = s; ; tok = end + 1) {
		const struct alg *a;

		end = strchr(tok, '-');
		if (end == NULL)
			end = s + slen;
		if (end == tok)
			return perr(err, err_len, "empty algorithm in '%s'", s);
		a = alg_by_name(tok, (size_t)(end - tok));
		if (a == NULL)
			return perr(err, err_len, "unknown algorithm '%.*s'", (int)(end - tok),
				    tok);
		if (add_xform(&tmp, a->type, a->id, a->key_bits) < 0)
			return perr(err, err_len, "too many algorithms in '%s'", s);
		if (*end == '\0')
			break;
	}

	for (i = 0; i < tmp.n_xforms; i++)
		if (tmp.xf[i].type == IKE_XF_ENCR && ike_encr_is_aead(tmp.xf[i].id))
			n_aead++;
	n_enc = count_type(&tmp, IKE_XF_ENCR);
	if (n_enc == 0)
		return perr(err, err_len, "'%s': no encryption algorithm", s);
	if (n_aead != 0 && n_aead != n_enc)
		return perr(err, err_len, "'%s': mixes AEAD and non-AEAD encryption", s);
	if (n_aead != 0 && count_type(&tmp, IKE_XF_INTEG) != 0)
		return perr(err, err_len, "'%s': AEAD with an integrity algorithm", s);
	if (n_aead == 0 && count_type(&tmp, IKE_XF_INTEG) == 0)
		return perr(err, err_len, "'%s': no integrity algorithm", s);

	if (proto == IKE_PROTO_IKE) {
		if (count_type(&tmp, IKE_XF_ESN) != 0)
			return perr(err, err_len, "'%s': esn/noesn is for ESP only", s);
		if (count_type(&tmp, IKE_XF_DH) == 0)
			return perr(err, err_len, "'%s': no key exchange (DH) group", s);
		if (count_type(&tmp, IKE_XF_PRF) == 0) {
			if (n_aead != 0)
				return perr(err, err_len, "'%s': AEAD needs a prf", s);
			/* strongSwan: "aes256-sha256" also means prfsha256. */
			for (i = 0; i < tmp.n_xforms; i++)
				if (tmp.xf[i].type == IKE_XF_INTEG &&
				    add_xform(&tmp, IKE_XF_PRF, prf_for_integ(tmp.xf[i].id), 0) < 0)
					return perr(err, err_len, "too many algorithms in '%s'", s);
		}
	} else {
		if (count_type(&tmp, IKE_XF_PRF) != 0)
			return perr(err, err_len, "'%s': prf is for IKE only", s);
		if (count_type(&tmp, IKE_XF_ESN) == 0 &&
		    add_xform(&tmp, IKE_XF_ESN, IKE_ESN_NO, 0) < 0)
			return perr(err, err_len, "too many algorithms in '%s'", s);
	}

	out->proto = proto;
	out->spi_len = proto == IKE_PROTO_ESP ? 4 : 0;
	out->usable = true;
	for (t = 0; t < sizeof(type_order); t++)
		for (i = 0; i < tmp.n_xforms; i++)
			if (tmp.xf[i].type == type_order[t])
				out->xf[out->n_xforms++] = tmp.xf[i];
	return 0;
}

int
ike_prop_format(const struct ike_proposal *p, char *buf, size_t len)
{
	size_t pos = 0;
	unsigned i;

	if (buf == NULL || len == 0)
		return -EINVAL;
	buf[0] = '\0';
	for (i = 0; i < p->n_xforms; i++) {
		const struct ike_xform *x = &p->xf[i];
		char unk[32];
		const char *name = NULL;
		size_t k;
		int n;

		for (k = 0; k < N_ALGS && name == NULL; k++)
			if (algs[k].type == x->type && algs[k].id == x->id &&
			    algs[k].key_bits == x->key_bits)
				name = algs[k].name;
		if (name == NULL) {
			snprintf(unk, sizeof(unk), "t%u:%u/%u", x->type, x->id, x->key_bits);
			name = unk;
		}
		n = snprintf(buf + pos, len - pos, "%s%s", i == 0 ? "" : "-", name);
		if (n < 0 || (size_t)n >= len - pos)
			return -ENOSPC;
		pos += (size_t)n;
	}
	return 0;
}

int
ike_prop_xform(const struct ike_proposal *p, uint8_t type, uint16_t *id, uint16_t *key_bits)
{
	unsigned i;

	for (i = 0; i < p->n_xforms; i++) {
		if (p->xf[i].type != type)
			continue;
		if (id != NULL)
			*id = p->xf[i].id;
		if (key_bits != NULL)
			*key_bits = p->xf[i].key_bits;
		return 0;
	}
	return -ENOENT;
}

bool
ike_prop_has_dh(const struct ike_proposal *p, uint16_t group)
{
	return has_xform(p, IKE_XF_DH, group, 0);
}

void
ike_prop_strip_dh(struct ike_proposal *p)
{
	unsigned i, n = 0;

	for (i = 0; i < p->n_xforms; i++)
		if (p->xf[i].type != IKE_XF_DH)
			p->xf[n++] = p->xf[i];
	p->n_xforms = n;
}

/* Does the peer proposal @peer offer usable transform (type, id, key)? */
static bool
peer_offers(const struct ike_proposal *peer, uint8_t type, uint16_t id, uint16_t key_bits)
{
	unsigned i;

	for (i = 0; i < peer->n_xforms; i++) {
		const struct ike_xform *x = &peer->xf[i];

		if (x->usable && x->type == type && x->id == id && x->key_bits == key_bits)
			return true;
	}
	return false;
}

/* Try to satisfy @ours with @peer; on success fill @chosen. */
static bool
match_one(const struct ike_proposal *ours, const struct ike_proposal *peer,
	  struct ike_proposal *chosen)
{
	uint8_t t;

	if (!peer->usable || peer->proto != ours->proto)
		return false;
	if (peer->proto == IKE_PROTO_ESP && peer->spi_len != 4)
		return false;
	memset(chosen, 0, sizeof(*chosen));
	chosen->num = peer->num;
	chosen->proto = peer->proto;
	chosen->spi_len = peer->spi_len;
	memcpy(chosen->spi, peer->spi, sizeof(chosen->spi));
	chosen->usable = true;

	for (t = IKE_XF_ENCR; t <= IKE_XF_TYPE_MAX; t++) {
		bool ours_has = count_type(ours, t) != 0, peer_has = count_type(peer, t) != 0;
		struct ike_xform pick = { .type = t, .usable = true };
		bool found = false;
		unsigned i;

		if (!ours_has && !peer_has)
			continue;
		if (ours_has && !peer_has)
			return false;
		if (!ours_has) {
			/* We want none of this type: fine if NONE is offered
			 * (e.g. DH NONE in an ESP proposal). */
			if (!peer_offers(peer, t, 0, 0))
				return false;
			found = true;
		}
		for (i = 0; !found && i < ours->n_xforms; i++) {
			const struct ike_xform *x = &ours->xf[i];

			if (x->type == t && peer_offers(peer, t, x->id, x->key_bits)) {
				pick.id = x->id;
				pick.key_bits = x->key_bits;
				found = true;
			}
		}
		if (!found)
			return false;
		chosen->xf[chosen->n_xforms++] = pick;
	}
	return chosen->n_xforms != 0;
}

int
ike_prop_select(const struct ike_proposal *ours, unsigned n_ours, const struct ike_sa_pld *offer,
		struct ike_proposal *chosen, unsigned *our_idx)
{
	unsigned i, j;

	if (ours == NULL || offer == NULL || chosen == NULL)
		return -EINVAL;
	for (i = 0; i < n_ours; i++) {
		for (j = 0; j < offer->n_props && j < IKE_MAX_SA_PROPOSALS; j++) {
			if (match_one(&ours[i], &offer->props[j], chosen)) {
				if (our_idx != NULL)
					*our_idx = i;
				return 0;
			}
		}
	}
	memset(chosen, 0, sizeof(*chosen));
	return -ENOENT;
}

int
ike_prop_check_reply(const struct ike_proposal *offered, unsigned n_offered,
		     const struct ike_sa_pld *reply, struct ike_proposal *chosen)
{
	const struct ike_proposal *r, *o = NULL;
	unsigned i;
	uint8_t t;

	if (offered == NULL || reply == NULL || chosen == NULL)
		return -EINVAL;
	if (reply->n_props != 1)
		return -EBADMSG;
	r = &reply->props[0];
	for (i = 0; i < n_offered && o == NULL; i++) {
		uint8_t num = offered[i].num != 0 ? offered[i].num : (uint8_t)(i + 1);

		if (num == r->num)
			o = &offered[i];
	}
	if (o == NULL || !r->usable || r->proto != o->proto)
		return -EBADMSG;
	if (r->proto == IKE_PROTO_ESP && r->spi_len != 4)
		return -EBADMSG;
	for (i = 0; i < r->n_xforms; i++) {
		const struct ike_xform *x = &r->xf[i];

		if (!x->usable || !has_xform(o, x->type, x->id, x->key_bits))
			return -EBADMSG;
	}
	for (t = IKE_XF_ENCR; t <= IKE_XF_TYPE_MAX; t++)
		if (count_type(r, t) != (count_type(o, t) != 0 ? 1u : 0u))
			return -EBADMSG;
	*chosen = *r;
	return 0;
}
