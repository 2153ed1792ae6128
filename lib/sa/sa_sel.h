/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Protocol and port traffic selectors in the datapath (struct sa_sel, in
 * sa_msg.h): does an inner IP packet fall inside a child's selectors?
 *
 * Only children whose selectors name a protocol or a port range narrower
 * than 0-65535 carry a non-empty sa_sel; the workers test sa_sel_active()
 * (one byte) before anything else, so address-only tunnels pay nothing.
 *
 * Bounded reads only: the caller passes the IP packet and its length.
 * Non-first IPv4/IPv6 fragments carry no ports: they match only a side whose
 * entries for that protocol cover all ports (RFC 4301 4.4.1.3 leaves them to
 * policy; we refuse them rather than guess).
 */
#ifndef RAMPART_SA_SEL_H
#define RAMPART_SA_SEL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "sa/sa_msg.h"

enum sa_sel_proto {
	SA_SEL_ICMP = 1,
	SA_SEL_TCP = 6,
	SA_SEL_UDP = 17,
	SA_SEL_ICMPV6 = 58,
	SA_SEL_SCTP = 132,
	SA_SEL_UDPLITE = 136,
};

static inline bool
sa_sel_active(const struct sa_sel *s)
{
	return (s->n_local | s->n_remote) != 0;
}

/*
 * Add entry {@proto, @lo..@hi} to side @local (else remote). An "any" entry
 * (proto 0, 0-65535) empties that side for good (marked by n = 0xff until
 * sa_sel_finish). Returns false when the side is full (caller widens it).
 */
static inline bool
sa_sel_add(struct sa_sel *s, bool local, uint8_t proto, uint16_t lo, uint16_t hi)
{
	uint8_t *n = local ? &s->n_local : &s->n_remote;
	struct sa_sel_port *e = local ? s->local : s->remote;
	unsigned i;

	if (*n == 0xff)
		return true;
	if (proto == 0 && lo == 0 && hi == 65535) {
		*n = 0xff;
		return true;
	}
	for (i = 0; i < *n; i++)
		if (e[i].proto == proto && e[i].lo == lo && e[i].hi == hi)
			return true;
	if (*n >= SA_SEL_MAX) {
		*n = 0xff;
		return false;
	}
	e[*n].proto = proto;
	e[*n].pad = 0;
	e[*n].lo = lo;
	e[*n].hi = hi;
	(*n)++;
	return true;
}

/* After the adds: a side marked "any" becomes empty (n = 0, entries zeroed). */
static inline void
sa_sel_finish(struct sa_sel *s)
{
	if (s->n_local == 0xff) {
		s->n_local = 0;
		memset(s->local, 0, sizeof(s->local));
	}
	if (s->n_remote == 0xff) {
		s->n_remote = 0;
		memset(s->remote, 0, sizeof(s->remote));
	}
}

static inline bool
sa_sel_has_ports(uint8_t proto)
{
	return proto == SA_SEL_TCP || proto == SA_SEL_UDP || proto == SA_SEL_SCTP ||
	       proto == SA_SEL_UDPLITE;
}

static inline bool
sa_sel_side_ok(const struct sa_sel_port *e, unsigned n, uint8_t proto, int port)
{
	unsigned i;

	if (n == 0)
		return true;
	for (i = 0; i < n; i++) {
		if (e[i].proto != 0 && e[i].proto != proto)
			continue;
		if (port < 0) {		/* no port visible: only a full range matches */
			if (e[i].lo == 0 && e[i].hi == 65535)
				return true;
			continue;
		}
		if ((uint16_t)port >= e[i].lo && (uint16_t)port <= e[i].hi)
			return true;
	}
	return false;
}

/*
 * Does IP packet @ip (@len bytes) match @s? @inbound: it came out of the
 * tunnel (source = remote side), else it goes in (source = local side).
 * Malformed or truncated headers do not match.
 */
static inline bool
sa_sel_match(const struct sa_sel *s, const uint8_t *ip, uint32_t len, bool inbound)
{
	uint32_t off;
	uint8_t proto;
	int sport = -1, dport = -1;
	bool first = true;

	if (len < 20)
		return false;
	if ((ip[0] >> 4) == 4) {
		off = (uint32_t)(ip[0] & 0xf) * 4;
		if (off < 20 || off > len)
			return false;
		proto = ip[9];
		first = ((ip[6] & 0x1f) | ip[7]) == 0;
	} else if ((ip[0] >> 4) == 6) {
		unsigned hops;

		if (len < 40)
			return false;
		proto = ip[6];
		off = 40;
		/* hop-by-hop, routing, destination options, fragment: bounded */
		for (hops = 0; hops < 8; hops++) {
			if (proto == 0 || proto == 43 || proto == 60) {
				if (off + 8 > len)
					return false;
				proto = ip[off];
				off += 8u + (uint32_t)ip[off + 1] * 8;
			} else if (proto == 44) {
				if (off + 8 > len)
					return false;
				first = ((ip[off + 2] << 8 | ip[off + 3]) & 0xfff8) == 0;
				proto = ip[off];
				off += 8;
			} else {
				break;
			}
		}
		if (off > len)
			return false;
	} else {
		return false;
	}
	if (first && sa_sel_has_ports(proto)) {
		if (off + 4 > len)
			return false;
		sport = ip[off] << 8 | ip[off + 1];
		dport = ip[off + 2] << 8 | ip[off + 3];
	} else if (first && (proto == SA_SEL_ICMP || proto == SA_SEL_ICMPV6)) {
		if (off + 2 > len)
			return false;
		sport = dport = ip[off] << 8 | ip[off + 1];
	} else if (first) {
		/* no ports in this protocol: only a full range matches */
		return sa_sel_side_ok(s->local, s->n_local, proto, -1) &&
		       sa_sel_side_ok(s->remote, s->n_remote, proto, -1);
	}
	if (inbound)
		return sa_sel_side_ok(s->remote, s->n_remote, proto, sport) &&
		       sa_sel_side_ok(s->local, s->n_local, proto, dport);
	return sa_sel_side_ok(s->local, s->n_local, proto, sport) &&
	       sa_sel_side_ok(s->remote, s->n_remote, proto, dport);
}

#endif
