/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The deterministic pieces of an IKE test set-up that the unit tests
 * (test_ike.c and the files sharing test_ike.h) and the fuzz target fuzz_ike
 * share: the random byte source they install with ike_rand_set_hook(), and
 * addresses from text. Header only (static inline): fuzz_ike includes it from
 * tests/fuzz without linking any unit test object.
 */
#ifndef RAMPART_TEST_IKE_DET_H
#define RAMPART_TEST_IKE_DET_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ike/ike.h"

/*
 * @len bytes into @buf from the xorshift generator (13, 7, 17) in *@st, one
 * byte a step (bits 24..31). Not random: the same state gives the same
 * nonces, SPIs and DH private values, so runs and fuzz inputs replay.
 */
static inline void
tu_det_bytes(uint64_t *st, void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		*st ^= *st << 13;
		*st ^= *st >> 7;
		*st ^= *st << 17;
		p[i] = (uint8_t)(*st >> 24);
	}
}

/* @ss from the address text @ip of family @af (4 or 6) and @port. */
static inline void
tu_addr(struct sockaddr_storage *ss, uint8_t af, const char *ip, uint16_t port)
{
	uint8_t a[16] = { 0 };

	inet_pton(af == 4 ? AF_INET : AF_INET6, ip, a);
	ike_addr_make(ss, af, a, port);
}

#endif
