/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IKEv2 traffic selector (RFC 7296 3.13) and configuration (3.15) payload
 * bodies: validate, parse into struct ike_ts / struct ike_cp_attr, build.
 * Same contract as ike_pld.c: _parse() runs only after its _validate()
 * accepted the same bytes; builders check capacity before every write.
 */
#include "ike/ike_wire.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "ike/ike_wire_priv.h"

/* ------------------------------------------------------------------------ */
/* Traffic selectors (3.13)                                                 */

/*
 * | Number of TSs |                 RESERVED                      |
 * ~                       <Traffic Selectors>                     ~
 *
 * Selector (3.13.1):
 * |   TS Type     |IP Protocol ID*|       Selector Length         |
 * |           Start Port*         |           End Port*           |
 * ~                         Starting Address*                     ~
 * ~                         Ending Address*                       ~
 */
#define TS_HDR_LEN 8
#define TS4_LEN 16
#define TS6_LEN 40
#define TS_PORT_OPAQUE_START 65535	/* RFC 7296 3.13.1: 65535..0 = OPAQUE */

int
ike_pld_ts_read(const struct ike_rdr *body, void *arg, const char **why)
{
	struct ike_ts_pld *out = arg;
	struct ike_rdr r = *body;
	uint8_t n_ts;
	unsigned i;
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	rc = ike_pld_head4(&r, &n_ts, "TS payload shorter than 4", "reserved bytes in TS payload",
			   why);
	if (rc < 0)
		return rc;
	if (n_ts == 0)
		FAIL(-EBADMSG, "TS payload with 0 selectors");
	if (n_ts > IKE_MAX_TS)
		FAIL(-E2BIG, "too many traffic selectors");
	for (i = 0; i < n_ts; i++) {
		uint8_t type, proto;
		uint16_t slen, sport, eport;
		struct ike_rdr sel;
		size_t alen;

		if (rdr_u8(&r, &type) < 0 || rdr_u8(&r, &proto) < 0 || rdr_u16(&r, &slen) < 0)
			FAIL(-EBADMSG, "truncated traffic selector");
		if (slen < TS_HDR_LEN)
			FAIL(-EBADMSG, "selector length < 8");
		if (rdr_sub(&r, slen - 4, &sel) < 0)
			FAIL(-EBADMSG, "selector beyond TS payload");
		if (type == IKE_TS_IPV4_ADDR_RANGE)
			alen = 4;
		else if (type == IKE_TS_IPV6_ADDR_RANGE)
			alen = 16;
		else {
			if (out != NULL)
				out->n_skipped++;
			continue;
		}
		if (slen != (type == IKE_TS_IPV4_ADDR_RANGE ? TS4_LEN : TS6_LEN))
			FAIL(-EBADMSG, "selector length wrong for its type");
		(void)rdr_u16(&sel, &sport);
		(void)rdr_u16(&sel, &eport);
		if (sport > eport && !(sport == TS_PORT_OPAQUE_START && eport == 0))
			FAIL(-EBADMSG, "selector start port > end port");
		if (memcmp(sel.p, sel.p + alen, alen) > 0)
			FAIL(-EBADMSG, "selector start address > end address");
		if (out != NULL) {
			struct ike_ts *ts = &out->ts[out->n_ts++];

			memset(ts, 0, sizeof(*ts));
			ts->af = alen == 4 ? 4 : 6;
			ts->proto = proto;
			ts->sport = sport;
			ts->eport = eport;
			memcpy(ts->saddr, sel.p, alen);
			memcpy(ts->eaddr, sel.p + alen, alen);
		}
	}
	if (r.left != 0)
		FAIL(-EBADMSG, "bytes after last selector");
	return 0;
}

int
ike_bld_ts(struct ike_bld *b, uint8_t type, const struct ike_ts *ts, unsigned n)
{
	size_t start;
	unsigned i;
	int rc;

	if ((type != IKE_PLD_TSI && type != IKE_PLD_TSR) || ts == NULL || n == 0 ||
	    n > IKE_MAX_TS)
		return ike_bld_error(b, -EINVAL);
	for (i = 0; i < n; i++)
		if (ts[i].af != 4 && ts[i].af != 6)
			return ike_bld_error(b, -EINVAL);
	rc = ike_bld_pld_begin(b, type, false, &start);
	if (rc == 0)
		rc = ike_bld_put_u8(b, (uint8_t)n);
	if (rc == 0)
		rc = ike_bld_zero(b, 3);
	for (i = 0; rc == 0 && i < n; i++) {
		size_t alen = ts[i].af == 4 ? 4 : 16;

		rc = ike_bld_put_u8(b, ts[i].af == 4 ? IKE_TS_IPV4_ADDR_RANGE :
				    IKE_TS_IPV6_ADDR_RANGE);
		if (rc == 0)
			rc = ike_bld_put_u8(b, ts[i].proto);
		if (rc == 0)
			rc = ike_bld_put_u16(b, ts[i].af == 4 ? TS4_LEN : TS6_LEN);
		if (rc == 0)
			rc = ike_bld_put_u16(b, ts[i].sport);
		if (rc == 0)
			rc = ike_bld_put_u16(b, ts[i].eport);
		if (rc == 0)
			rc = ike_bld_put(b, ts[i].saddr, alen);
		if (rc == 0)
			rc = ike_bld_put(b, ts[i].eaddr, alen);
	}
	if (rc == 0)
		rc = ike_bld_pld_end(b, start);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Configuration (3.15)                                                     */

/*
 * |   CFG Type    |                    RESERVED                   |
 * ~                   Configuration Attributes                    ~
 *
 * Attribute (3.15.1):
 * |R|         Attribute Type      |            Length             |
 * ~                             Value                             ~
 */
#define CP_ATTR_R 0x8000

/* Allowed value length of a recognised attribute (besides 0), or -1. */
static int
cp_attr_len(uint16_t type)
{
	switch (type) {
	case IKE_CP_INTERNAL_IP4_ADDRESS:
	case IKE_CP_INTERNAL_IP4_NETMASK:
	case IKE_CP_INTERNAL_IP4_DNS:
		return 4;
	case IKE_CP_INTERNAL_IP6_ADDRESS:
		return 17;
	case IKE_CP_INTERNAL_IP6_DNS:
		return 16;
	default:
		return -1;
	}
}

int
ike_pld_cp_read(const struct ike_rdr *body, void *arg, const char **why)
{
	struct ike_cp *out = arg;
	struct ike_rdr r = *body;
	uint8_t cfg_type;
	unsigned n_kept = 0;
	int rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	rc = ike_pld_head4(&r, &cfg_type, "CP payload shorter than 4",
			   "reserved bytes in CP payload",
			   why);
	if (rc < 0)
		return rc;
	if (cfg_type < IKE_CFG_REQUEST || cfg_type > IKE_CFG_ACK)
		FAIL(-EBADMSG, "CP type unknown");
	if (out != NULL)
		out->cfg_type = cfg_type;
	while (r.left > 0) {
		uint16_t type, len;
		struct ike_rdr val;
		int want;

		if (rdr_u16(&r, &type) < 0 || rdr_u16(&r, &len) < 0)
			FAIL(-EBADMSG, "truncated CP attribute");
		if (type & CP_ATTR_R)
			FAIL(-EBADMSG, "reserved bit in CP attribute");
		if (rdr_sub(&r, len, &val) < 0)
			FAIL(-EBADMSG, "CP attribute beyond payload");
		want = cp_attr_len(type);
		if (want < 0) {
			if (out != NULL)
				out->n_skipped++;
			continue;
		}
		if (len != 0 && len != want)
			FAIL(-EBADMSG, "CP attribute length wrong for its type");
		if (n_kept >= IKE_MAX_CP_ATTRS)
			FAIL(-E2BIG, "too many CP attributes");
		if (out != NULL) {
			struct ike_cp_attr *a = &out->attrs[out->n_attrs++];

			memset(a, 0, sizeof(*a));
			a->type = type;
			a->len = (uint8_t)len;
			memcpy(a->val, val.p, len);
		}
		n_kept++;
	}
	return 0;
}

int
ike_bld_cp(struct ike_bld *b, uint8_t cfg_type, const struct ike_cp_attr *attrs, unsigned n)
{
	size_t start;
	unsigned i;
	int rc;

	if (cfg_type < IKE_CFG_REQUEST || cfg_type > IKE_CFG_ACK || n > IKE_MAX_CP_ATTRS ||
	    (attrs == NULL && n != 0))
		return ike_bld_error(b, -EINVAL);
	for (i = 0; i < n; i++)
		if ((attrs[i].type & CP_ATTR_R) || attrs[i].len > sizeof(attrs[i].val))
			return ike_bld_error(b, -EINVAL);
	rc = ike_bld_pld_begin(b, IKE_PLD_CP, false, &start);
	if (rc == 0)
		rc = ike_bld_put_u8(b, cfg_type);
	if (rc == 0)
		rc = ike_bld_zero(b, 3);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = ike_bld_put_u16(b, attrs[i].type);
		if (rc == 0)
			rc = ike_bld_put_u16(b, attrs[i].len);
		if (rc == 0)
			rc = ike_bld_put(b, attrs[i].val, attrs[i].len);
	}
	if (rc == 0)
		rc = ike_bld_pld_end(b, start);
	return rc;
}
