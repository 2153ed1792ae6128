/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/net private constants; the byte helpers are in net/net_bytes.h. */
#ifndef RAMPART_NET_PRIV_H
#define RAMPART_NET_PRIV_H

#include <stdint.h>
#include <string.h>

#include "net/net_bytes.h"

enum {
	IPPROTO_ICMP_ = 1,
	IPPROTO_UDP_ = 17,
	IPPROTO_ESP_ = 50,
	IPPROTO_ICMPV6_ = 58,
	ICMP_ECHO_REPLY = 0,
	ICMP_ECHO_REQUEST = 8,
	ICMP6_ECHO_REQUEST = 128,
	ICMP6_ECHO_REPLY = 129,
	ND_NS = 135,
	ND_NA = 136,
	ND_OPT_SLLA = 1,
	ND_OPT_TLLA = 2,
	ND_HLEN = 24,		/* ICMPv6 header + reserved/flags + target */
};

#endif
