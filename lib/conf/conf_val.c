/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pure text parsers for config values: addresses, prefixes, ranges, traffic
 * selectors, identities, MACs, hex. No YAML here, no allocation except the
 * OpenSSL X509_NAME built for "dn:" identities; every writer checks the
 * capacity of its destination before writing.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "conf_priv.h"
#include "net/net.h"	/* net_prefix_byte_mask (inline: no link dependency) */

int
conf_parse_addr(const char *s, uint8_t *af, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, addr) != 1)
			return -EINVAL;
		*af = 6;
		return 0;
	}
	if (inet_pton(AF_INET, s, addr) != 1)
		return -EINVAL;
	*af = 4;
	return 0;
}

static int
addr_bits(uint8_t af)
{
	return af == 4 ? 32 : 128;
}

int
conf_parse_prefix(const char *s, bool len_required, struct conf_prefix *p, const char **why)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	char *end;

	memset(p, 0, sizeof(*p));
	if (alen == 0 || alen >= sizeof(buf)) {
		*why = "not an address/prefix-length";
		return -EINVAL;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (conf_parse_addr(buf, &p->af, p->addr) < 0) {
		*why = "not an IPv4 or IPv6 address";
		return -EINVAL;
	}
	if (slash == NULL) {
		if (len_required) {
			*why = "prefix length missing (address/len)";
			return -EINVAL;
		}
		p->len = (uint8_t)addr_bits(p->af);
		return 0;
	}
	if (!isdigit((unsigned char)slash[1])) {
		*why = "bad prefix length";
		return -EINVAL;
	}
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || len > (unsigned long)addr_bits(p->af)) {
		*why = "bad prefix length";
		return -EINVAL;
	}
	p->len = (uint8_t)len;
	return 0;
}

void
conf_prefix_to_range(const struct conf_prefix *p, uint8_t lo[16], uint8_t hi[16])
{
	int bytes = addr_bits(p->af) / 8;
	int i;

	memset(lo, 0, 16);
	memset(hi, 0, 16);
	for (i = 0; i < bytes; i++) {
		uint8_t mask = net_prefix_byte_mask(p->len, (unsigned)i);

		lo[i] = p->addr[i] & mask;
		hi[i] = (uint8_t)(p->addr[i] | (uint8_t)~mask);
	}
}

bool
conf_prefix_contains(const struct conf_prefix *p, uint8_t af, const uint8_t addr[16])
{
	uint8_t lo[16], hi[16];

	if (af != p->af)
		return false;
	conf_prefix_to_range(p, lo, hi);
	return conf_addr_cmp(af, addr, lo) >= 0 && conf_addr_cmp(af, addr, hi) <= 0;
}

int
conf_addr_cmp(uint8_t af, const uint8_t a[16], const uint8_t b[16])
{
	return memcmp(a, b, af == 4 ? 4 : 16);
}

void
conf_addr_str(uint8_t af, const uint8_t a[16], char *dst, size_t size)
{
	if (inet_ntop(af == 4 ? AF_INET : AF_INET6, a, dst, (socklen_t)size) == NULL)
		snprintf(dst, size, "?");
}

/* "a-b" or a prefix; the result is an inclusive range. */
int
conf_parse_range(const char *s, uint8_t *af, uint8_t lo[16], uint8_t hi[16], const char **why)
{
	const char *dash = strchr(s, '-');
	struct conf_prefix p;

	if (dash != NULL) {
		char a[64];
		size_t alen = (size_t)(dash - s);
		uint8_t af2;

		if (alen == 0 || alen >= sizeof(a)) {
			*why = "bad range (first-last)";
			return -EINVAL;
		}
		memcpy(a, s, alen);
		a[alen] = '\0';
		if (conf_parse_addr(a, af, lo) < 0 || conf_parse_addr(dash + 1, &af2, hi) < 0) {
			*why = "bad address in range (first-last)";
			return -EINVAL;
		}
		if (af2 != *af) {
			*why = "range mixes IPv4 and IPv6";
			return -EINVAL;
		}
		if (conf_addr_cmp(*af, lo, hi) > 0) {
			*why = "range end below its start";
			return -EINVAL;
		}
		return 0;
	}
	if (conf_parse_prefix(s, false, &p, why) < 0)
		return -EINVAL;
	*af = p.af;
	conf_prefix_to_range(&p, lo, hi);
	return 0;
}

static int
parse_proto(const char *s, uint8_t *proto)
{
	static const struct {
		const char *name;
		uint8_t num;
	} names[] = {
		{"any", 0}, {"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"gre", 47},
		{"esp", 50}, {"icmp6", 58}, {"ipv6-icmp", 58}, {"sctp", 132},
	};
	unsigned long v;
	char *end;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*proto = names[i].num;
			return 0;
		}
	}
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > 255)
		return -EINVAL;
	*proto = (uint8_t)v;
	return 0;
}

static int
parse_port(const char *s, const char **end_out, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	*end_out = end;
	return 0;
}

/* "[proto]", "[proto/port]", "[proto/lo-hi]" */
static int
parse_ts_suffix(const char *s, struct ike_ts *ts, const char **why)
{
	char buf[64];
	size_t len = strlen(s);
	char *slash;
	const char *end;

	if (len < 3 || s[len - 1] != ']' || len - 2 >= sizeof(buf)) {
		*why = "bad selector suffix (expected [proto], [proto/port] or [proto/lo-hi])";
		return -EINVAL;
	}
	memcpy(buf, s + 1, len - 2);
	buf[len - 2] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (parse_proto(buf, &ts->proto) < 0) {
		*why = "unknown protocol in selector";
		return -EINVAL;
	}
	if (slash == NULL)
		return 0;
	if (ts->proto != 6 && ts->proto != 17 && ts->proto != 132) {
		*why = "ports need tcp, udp or sctp";
		return -EINVAL;
	}
	if (parse_port(slash + 1, &end, &ts->sport) < 0) {
		*why = "bad port in selector";
		return -EINVAL;
	}
	ts->eport = ts->sport;
	if (*end == '-') {
		if (parse_port(end + 1, &end, &ts->eport) < 0 || ts->eport < ts->sport) {
			*why = "bad port range in selector";
			return -EINVAL;
		}
	}
	if (*end != '\0') {
		*why = "bad port in selector";
		return -EINVAL;
	}
	return 0;
}

int
conf_parse_ts(const char *s, struct ike_ts *ts, const char **why)
{
	char buf[128];
	const char *br = strchr(s, '[');
	size_t alen = br != NULL ? (size_t)(br - s) : strlen(s);

	memset(ts, 0, sizeof(*ts));
	ts->sport = 0;
	ts->eport = 65535;
	if (alen == 0 || alen >= sizeof(buf)) {
		*why = "bad traffic selector";
		return -EINVAL;
	}
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (conf_parse_range(buf, &ts->af, ts->saddr, ts->eaddr, why) < 0)
		return -EINVAL;
	if (br != NULL && parse_ts_suffix(br, ts, why) < 0)
		return -EINVAL;
	return 0;
}

int
conf_parse_hex(const char *s, uint8_t *dst, size_t cap, size_t *len, const char **why)
{
	size_t n = strlen(s), i;

	if (n == 0 || n % 2 != 0) {
		*why = "hex needs an even, non-zero number of digits";
		return -EINVAL;
	}
	if (n / 2 > cap) {
		*why = "hex value too long";
		return -EINVAL;
	}
	for (i = 0; i < n; i += 2) {
		int hi = OPENSSL_hexchar2int((unsigned char)s[i]);
		int lo = OPENSSL_hexchar2int((unsigned char)s[i + 1]);

		if (hi < 0 || lo < 0) {
			*why = "bad hex digit";
			return -EINVAL;
		}
		dst[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

/*
 * "CN=gw,O=Example,C=CH" into DER. RDNs are encoded in the order written
 * (strongSwan's convention, so the same string matches on both sides); a
 * backslash escapes the next character (e.g. "\,").
 */
static int
parse_dn(const char *s, struct ike_id *id, const char **why)
{
	X509_NAME *name = X509_NAME_new();
	char type[32], val[IKE_MAX_ID_LEN + 1];
	unsigned char *der = NULL;
	int rc = -EINVAL, len;

	if (name == NULL) {
		*why = "out of memory";
		return -ENOMEM;
	}
	while (*s != '\0') {
		size_t tn = 0, vn = 0;

		while (*s == ' ')
			s++;
		while (*s != '\0' && *s != '=' && tn + 1 < sizeof(type))
			type[tn++] = *s++;
		while (tn > 0 && type[tn - 1] == ' ')
			tn--;
		type[tn] = '\0';
		if (*s != '=' || tn == 0) {
			*why = "bad DN (expected TYPE=value,...)";
			goto out;
		}
		s++;
		while (*s == ' ')
			s++;
		while (*s != '\0' && *s != ',') {
			if (*s == '\\' && s[1] != '\0')
				s++;
			if (vn + 1 >= sizeof(val)) {
				*why = "DN too long";
				goto out;
			}
			val[vn++] = *s++;
		}
		val[vn] = '\0';
		if (vn == 0) {
			*why = "empty value in DN";
			goto out;
		}
		if (!X509_NAME_add_entry_by_txt(name, type, MBSTRING_UTF8,
						(const unsigned char *)val, -1, -1, 0)) {
			*why = "unknown attribute type in DN";
			goto out;
		}
		if (*s == ',')
			s++;
	}
	if (X509_NAME_entry_count(name) == 0) {
		*why = "empty DN";
		goto out;
	}
	len = i2d_X509_NAME(name, &der);
	if (len <= 0 || len > IKE_MAX_ID_LEN) {
		*why = len <= 0 ? "DN does not encode" : "DN longer than 255 bytes in DER";
		goto out;
	}
	memcpy(id->data, der, (size_t)len);
	id->len = (uint16_t)len;
	id->type = IKE_ID_DER_ASN1_DN;
	rc = 0;
out:
	OPENSSL_free(der);
	X509_NAME_free(name);
	return rc;
}

static int
id_text(const char *s, uint8_t type, struct ike_id *id, const char **why)
{
	size_t n = strlen(s);

	if (n == 0 || n > IKE_MAX_ID_LEN) {
		*why = n == 0 ? "empty identity" : "identity longer than 255 bytes";
		return -EINVAL;
	}
	id->type = type;
	memcpy(id->data, s, n);
	id->len = (uint16_t)n;
	return 0;
}

int
conf_parse_id(const char *s, struct ike_id *id, const char **why)
{
	uint8_t af, addr[16];
	size_t len;

	memset(id, 0, sizeof(*id));
	if (strcmp(s, "any") == 0 || strcmp(s, "%any") == 0) {
		id->type = IKE_ID_ANY;
		return 0;
	}
	if (strncmp(s, "ipv4:", 5) == 0 || strncmp(s, "ipv6:", 5) == 0) {
		if (conf_parse_addr(s + 5, &af, addr) < 0 || af != (s[3] == '4' ? 4 : 6)) {
			*why = "bad address in identity";
			return -EINVAL;
		}
		goto addr;
	}
	if (strncmp(s, "fqdn:", 5) == 0)
		return id_text(s + 5, IKE_ID_FQDN, id, why);
	if (strncmp(s, "email:", 6) == 0) {
		if (strchr(s + 6, '@') == NULL) {
			*why = "email identity without '@'";
			return -EINVAL;
		}
		return id_text(s + 6, IKE_ID_RFC822_ADDR, id, why);
	}
	if (strncmp(s, "dn:", 3) == 0)
		return parse_dn(s + 3, id, why);
	if (strncmp(s, "keyid:", 6) == 0) {
		if (strncmp(s + 6, "0x", 2) == 0) {
			if (conf_parse_hex(s + 8, id->data, IKE_MAX_ID_LEN, &len, why) < 0)
				return -EINVAL;
			id->type = IKE_ID_KEY_ID;
			id->len = (uint16_t)len;
			return 0;
		}
		return id_text(s + 6, IKE_ID_KEY_ID, id, why);
	}
	/* No prefix: an address, an email, a DN or else an FQDN. */
	if (conf_parse_addr(s, &af, addr) == 0)
		goto addr;
	if (strchr(s, '=') != NULL)
		return parse_dn(s, id, why);
	if (strchr(s, '@') != NULL)
		return id_text(s, IKE_ID_RFC822_ADDR, id, why);
	if (strchr(s, ':') != NULL) {
		*why = "unknown identity type (fqdn:, ipv4:, ipv6:, email:, dn:, keyid:, any)";
		return -EINVAL;
	}
	return id_text(s, IKE_ID_FQDN, id, why);
addr:
	id->type = af == 4 ? IKE_ID_IPV4_ADDR : IKE_ID_IPV6_ADDR;
	id->len = af == 4 ? 4 : 16;
	memcpy(id->data, addr, id->len);
	return 0;
}

int
conf_parse_mac(const char *s, uint8_t mac[6], const char **why)
{
	unsigned i;

	if (strlen(s) != 17) {
		*why = "MAC must be six hex pairs separated by ':'";
		return -EINVAL;
	}
	for (i = 0; i < 6; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)s[3 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':')) {
			*why = "MAC must be six hex pairs separated by ':'";
			return -EINVAL;
		}
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1) {
		*why = "multicast MAC";
		return -EINVAL;
	}
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0) {
		*why = "all-zero MAC";
		return -EINVAL;
	}
	return 0;
}

bool
conf_is_name(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= max)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.')
			return false;
	}
	return true;
}

/* Light check only: lib/ike validates the algorithms. */
bool
conf_is_proposal(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= 128 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!(ch >= 'a' && ch <= 'z') && !(ch >= '0' && ch <= '9') && ch != '-')
			return false;
	}
	return true;
}
