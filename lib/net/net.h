/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/net: small packet helpers shared by the control core and the workers:
 * frame classification, Internet checksums, ARP and ICMP/ICMPv6 echo and
 * neighbour discovery, UDP datagram building, a fixed-size neighbour table
 * and a small longest-prefix route list.
 *
 * Everything here works on plain byte buffers (a contiguous Ethernet frame,
 * the first mbuf segment in rampartd), so it is testable without EAL. No
 * function allocates, locks or logs: tables are embedded in their user's
 * struct and set up with net_nbr_init().
 * Every parse is bounded by the length passed in; nothing trusts a length
 * field before comparing it with the bytes actually present.
 */
#ifndef RAMPART_NET_H
#define RAMPART_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum net_limits {
	NET_ETH_HLEN = 14,
	NET_ETH_MIN_FRAME = 60,		/* without FCS: pad short frames */
	NET_ARP_LEN = 28,
	NET_IPV4_HLEN = 20,
	NET_IPV6_HLEN = 40,
	NET_UDP_HLEN = 8,
	NET_NATT_MARKER_LEN = 4,	/* RFC 3948 non-ESP marker */
	NET_MAX_IF_ADDRS = 8,
	NET_MAX_ROUTES = 64,
	NET_NBR_SLOTS = 256,		/* neighbour table size (power of two) */
	NET_NBR_PROBE = 8,		/* open-addressing probe limit */
};

enum net_ethertype {
	NET_ETHER_IPV4 = 0x0800,
	NET_ETHER_ARP = 0x0806,
	NET_ETHER_IPV6 = 0x86dd,
};

enum net_port_ike {
	NET_PORT_IKE = 500,
	NET_PORT_NATT = 4500,
};

/* What a worker does with a received frame. */
enum net_class {
	NET_CL_DROP = 0,	/* malformed, not for this host, unsupported */
	NET_CL_ESP,		/* ESP or ESP-in-UDP to one of our addresses */
	NET_CL_IKE,		/* UDP 500, or 4500 with the zero marker, to us */
	NET_CL_NATT_KA,		/* RFC 3948 NAT keepalive (one 0xff byte): drop */
	NET_CL_ARP,		/* any ARP frame: control learns and answers */
	NET_CL_ICMP,		/* ICMP or ICMPv6 (not ND) to one of our addresses */
	NET_CL_ND,		/* IPv6 neighbour solicitation/advertisement */
	NET_CL_LOCAL,		/* other traffic to us (fragments, TCP...): drop */
	NET_CL_FWD,		/* IP not addressed to us: transit traffic */
	NET_CL__COUNT,
};

extern const char *const net_class_names[NET_CL__COUNT];

/* The addresses one port answers for. */
struct net_if_addrs {
	uint8_t mac[6];
	uint8_t n_v4, n_v6;
	uint32_t v4_be[NET_MAX_IF_ADDRS];	/* network order */
	uint8_t v4_len[NET_MAX_IF_ADDRS];	/* prefix length (on-link subnet) */
	uint8_t v6[NET_MAX_IF_ADDRS][16];
	uint8_t v6_len[NET_MAX_IF_ADDRS];
};

/* Classifier output; offsets are from the start of the frame. */
struct net_pkt_info {
	uint8_t cls;		/* enum net_class */
	uint8_t af;		/* 4 or 6 (0 for ARP/drop) */
	uint8_t l4_proto;
	uint8_t pad;
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t l3_len;	/* IP packet length from its header (<= frame) */
	uint16_t sport, dport;	/* UDP, host order */
	uint32_t spi;		/* ESP: host order */
	uint16_t ike_off;	/* IKE: start of the IKE header (after any marker) */
	uint16_t ike_len;
};

/*
 * Classify the Ethernet frame @frame of @len bytes received on a port with
 * addresses @ifa. Always fills @pi and returns pi->cls. Checks: destination
 * MAC ours, broadcast or multicast; IPv4 version, IHL, header checksum and
 * total length against @len; IPv6 payload length; UDP length. Truncated or
 * inconsistent frames are NET_CL_DROP.
 */
int net_classify(const uint8_t *frame, uint32_t len, const struct net_if_addrs *ifa,
		 struct net_pkt_info *pi);

/* What the NIC said of an IPv4 header checksum (the worker maps its mbuf flags). */
enum net_l3_cksum {
	NET_L3CK_UNKNOWN = 0,	/* not checked: verified in software */
	NET_L3CK_GOOD,		/* verified by the NIC: not recomputed */
	NET_L3CK_BAD,		/* the NIC found it wrong: dropped */
};

/*
 * net_classify with the NIC's verdict on the IPv4 header checksum @l3ck
 * (enum net_l3_cksum); every other check is the same. net_classify is this
 * with NET_L3CK_UNKNOWN.
 */
int net_classify_ck(const uint8_t *frame, uint32_t len, const struct net_if_addrs *ifa,
		    unsigned l3ck, struct net_pkt_info *pi);

/* true if @addr (network order, af 4 or 6) is one of @ifa's addresses. */
bool net_if_has_addr(const struct net_if_addrs *ifa, uint8_t af, const uint8_t *addr);

/* true if @addr is inside one of @ifa's on-link subnets. */
bool net_if_on_link(const struct net_if_addrs *ifa, uint8_t af, const uint8_t *addr);

/* ---- checksums (RFC 1071) ---- */

/* One's-complement sum of @len bytes added to @sum (not folded). */
uint32_t net_cksum_add(uint32_t sum, const void *buf, size_t len);
/* Fold and complement: the value to store in a checksum field. */
uint16_t net_cksum_fold(uint32_t sum);
/* IPv4 header checksum of @hlen bytes (field itself must be zero or is skipped). */
uint16_t net_ipv4_cksum(const uint8_t *ip, uint32_t hlen);
/* Checksum over the pseudo header and @l4 (UDP, TCP, ICMPv6) of @l4_len bytes. */
uint16_t net_l4_cksum(uint8_t af, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		      const uint8_t *l4, uint32_t l4_len);

/* ---- ARP (RFC 826, Ethernet/IPv4 only) ---- */

enum net_arp_op {
	NET_ARP_REQUEST = 1,
	NET_ARP_REPLY = 2,
};

struct net_arp {
	uint16_t op;
	uint8_t sha[6];
	uint32_t spa_be;
	uint8_t tha[6];
	uint32_t tpa_be;
};

/* Parse an ARP frame (Ethernet header included). 0 or -EBADMSG/-EPROTONOSUPPORT. */
int net_arp_parse(const uint8_t *frame, uint32_t len, struct net_arp *a);

/*
 * Build an ARP frame into @buf (@cap bytes, >= NET_ETH_MIN_FRAME) from MAC @src
 * to @eth_dst (NULL = broadcast). Returns the frame length (60, padded) or 0.
 */
uint32_t net_arp_build(uint8_t *buf, uint32_t cap, const uint8_t eth_dst[6],
		       const uint8_t src[6], const struct net_arp *a);

/* ---- ICMP ---- */

/*
 * Turn the ICMP echo request (or ICMPv6 echo request) in @frame, classified
 * NET_CL_ICMP in @pi, into its echo reply in place: Ethernet and IP addresses
 * swapped, TTL/hop limit reset, checksums recomputed. Returns the reply's
 * frame length, or -EINVAL if it is not an echo request (or is malformed).
 */
int net_icmp_echo_reply(uint8_t *frame, uint32_t len, const struct net_pkt_info *pi);

/*
 * Answer an IPv6 neighbour solicitation for one of @ifa's addresses: builds
 * the advertisement into @out (@cap bytes). Returns its length, 0 if the NS
 * is not for us, or -EINVAL if malformed. Also reports the solicitor's
 * address and link-layer address (for the neighbour table) when present:
 * *@have_lla is set when @lla was filled.
 */
int net_nd_answer(const uint8_t *frame, uint32_t len, const struct net_pkt_info *pi,
		  const struct net_if_addrs *ifa, uint8_t *out, uint32_t cap,
		  uint8_t src_ip[16], uint8_t lla[6], bool *have_lla);

/* Parse a neighbour advertisement: target address and target link-layer address. */
int net_nd_parse_na(const uint8_t *frame, uint32_t len, const struct net_pkt_info *pi,
		    uint8_t target[16], uint8_t lla[6]);

/* Build a neighbour solicitation for @target from @src (our address). */
uint32_t net_nd_build_ns(uint8_t *buf, uint32_t cap, const uint8_t mac[6],
			 const uint8_t src[16], const uint8_t target[16]);

/*
 * Build the "packet too big" error for the IP packet @inner (@inner_len
 * bytes) into @out as an IP packet (no Ethernet): ICMP type 3 code 4 with
 * next-hop MTU @mtu (RFC 792, RFC 1191) for IPv4, ICMPv6 type 2 (RFC 4443)
 * for IPv6, from our address @src to the inner source. Quotes the inner
 * header + 8 bytes (IPv4) or as much as fits in 1280 bytes (IPv6). @out may
 * not overlap @inner. Returns the packet length, or 0 if @inner is not a
 * packet one may answer (too short, or a fragment that is not the first).
 */
uint32_t net_icmp_too_big(uint8_t *out, uint32_t cap, const uint8_t *inner, uint32_t inner_len,
			  const uint8_t *src, uint16_t mtu);

/*
 * IPv4 fragmentation (RFC 791) of the packet @ip (@len bytes, DF clear, no
 * options) so that each fragment is at most @mtu bytes. net_ipv4_frag_count
 * says how many fragments (0: cannot fragment); net_ipv4_frag_build writes
 * fragment @idx into @out and returns its length (0 on error).
 */
unsigned net_ipv4_frag_count(const uint8_t *ip, uint32_t len, uint32_t mtu);
uint32_t net_ipv4_frag_build(const uint8_t *ip, uint32_t len, uint32_t mtu, unsigned idx,
			     uint8_t *out, uint32_t cap);

/* ---- UDP datagrams (IKE, NAT keepalives) ---- */

/*
 * Build Ethernet + IPv4/IPv6 + UDP [+ 4-byte zero marker] + @payload into
 * @buf. Addresses in network order (16 bytes for IPv6, 4 for IPv4), ports in
 * host order. Returns the frame length or 0 if @cap is too small.
 */
uint32_t net_udp_build(uint8_t *buf, uint32_t cap, const uint8_t dmac[6], const uint8_t smac[6],
		       uint8_t af, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		       uint16_t dport, bool marker, const uint8_t *payload, uint32_t plen);

/* Write the Ethernet header at @eth. */
void net_eth_write(uint8_t *eth, const uint8_t dst[6], const uint8_t src[6], uint16_t type);

/*
 * Prepare an IP packet for forwarding in place: decrement TTL / hop limit
 * (IPv4 checksum updated incrementally, RFC 1624). Returns -1 if it expired.
 */
int net_ip_forward_ttl(uint8_t *ip, uint32_t len);

/* ---- neighbour table ---- */

enum net_nbr_state {
	NET_NBR_FREE = 0,
	NET_NBR_INCOMPLETE,	/* request sent, no answer yet */
	NET_NBR_REACHABLE,
	NET_NBR_STATIC,
};

struct net_nbr {
	uint8_t state;		/* enum net_nbr_state */
	uint8_t af;
	uint8_t port;
	uint8_t tries;		/* requests sent while INCOMPLETE */
	uint8_t mac[6];
	uint8_t pad[2];
	uint8_t addr[16];
	uint64_t updated_ms;	/* last confirmation or request */
};

/* Flat and pointer-free: a published snapshot is a memcpy of the table. */
struct net_nbr_table {
	uint32_t n_used;
	uint32_t version;
	struct net_nbr e[NET_NBR_SLOTS];
};

void net_nbr_init(struct net_nbr_table *t);
/* Entry for (af, addr) or NULL. */
const struct net_nbr *net_nbr_lookup(const struct net_nbr_table *t, uint8_t af,
				     const uint8_t *addr);
/* Find or create; NULL when the probe sequence is full. */
struct net_nbr *net_nbr_get(struct net_nbr_table *t, uint8_t af, const uint8_t *addr);
/* Remove an entry (tombstone-free: later entries of its chain are reinserted). */
void net_nbr_del(struct net_nbr_table *t, uint8_t af, const uint8_t *addr);

/* ---- route list (next hop for inner packets towards the LAN) ---- */

struct net_route {
	uint8_t af;
	uint8_t depth;
	uint8_t port;
	uint8_t has_via;	/* 0: on-link (next hop = destination) */
	uint8_t dst[16];
	uint8_t via[16];
};

struct net_route_table {
	unsigned n;
	struct net_route r[NET_MAX_ROUTES];
};

/* Add a route; -ENOSPC when full. */
int net_route_add(struct net_route_table *t, const struct net_route *r);
/* Longest-prefix match; writes next hop (16 bytes) and port. NULL if none. */
const struct net_route *net_route_lookup(const struct net_route_table *t, uint8_t af,
					 const uint8_t *dst, uint8_t nexthop[16]);

/* An address prefix (traffic selector ranges become lists of these). */
struct net_prefix {
	uint8_t af;		/* 4 or 6 */
	uint8_t depth;		/* bits */
	uint8_t addr[16];	/* network order, IPv4 in the first 4 bytes */
};

/*
 * Cover the inclusive address range [@lo, @hi] (network order, 4 or 16
 * bytes) with the fewest CIDR prefixes, at most @max of them, in address
 * order. Returns how many were written; a range that needs more than @max
 * is truncated (the caller decides whether that is acceptable).
 */
unsigned net_range_to_prefixes(uint8_t af, const uint8_t *lo, const uint8_t *hi,
			       struct net_prefix *out, unsigned max);

/* Byte @i (network order) of the mask of a @bits-bit prefix: 0xff, 0 or the
 * partial byte. The one home of prefix masks (lib/conf, rampartd's route
 * ownership and net_prefix_match use it). */
static inline uint8_t
net_prefix_byte_mask(unsigned bits, unsigned i)
{
	if (bits >= i * 8 + 8)
		return 0xff;
	if (bits <= i * 8)
		return 0;
	return (uint8_t)(0xff << (8 - (bits - i * 8)));
}

/* true if the first @bits bits of @a and @b match. */
bool net_prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits);

#endif
