/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The deterministic pieces of an IKE test set-up that the unit tests
 * (test_ike.c and the files sharing test_ike.h) and the fuzz target fuzz_ike
 * share: the random byte source they install with ike_rand_set_hook(),
 * addresses and traffic selectors from text, and the PSK connection of the two
 * peers (A at 10.0.0.1 initiates "to-b", B at 10.0.0.2 answers as "rw").
 * Header only (static inline): fuzz_ike includes it from tests/fuzz without
 * linking any unit test object.
 */
#ifndef RAMPART_TEST_IKE_DET_H
#define RAMPART_TEST_IKE_DET_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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

/* @ts: all ports, all protocols, addresses @first..@last of family @af. */
static inline void
tu_ts(struct ike_ts *ts, uint8_t af, const char *first, const char *last)
{
	int fam = af == 4 ? AF_INET : AF_INET6;

	memset(ts, 0, sizeof(*ts));
	ts->af = af;
	ts->eport = 65535;
	inet_pton(fam, first, ts->saddr);
	inet_pton(fam, last, ts->eaddr);
}

/*
 * @c without proposals: the initiator's "to-b" (10.0.0.1 -> 10.0.0.2, ID
 * a.example, 192.168.1.0/24 to 10.1.0.0/16) or the responder's "rw"
 * (10.0.0.2, ID b.example, 10.1.0.0/16 to anyone); PSK both ways, any peer
 * ID, replay window 64.
 */
static inline void
tu_conn_psk(struct ike_conn_cfg *c, bool initiator)
{
	const char *id = initiator ? "a.example" : "b.example";
	const char *name = initiator ? "to-b" : "rw";

	memset(c, 0, sizeof(*c));
	/* not snprintf: GCC 12 with -fsanitize=address,undefined -O2 sees a
	 * "null destination pointer" in it once inlined (-Wformat-truncation) */
	memcpy(c->name, name, strlen(name) + 1);
	tu_addr(&c->local, 4, initiator ? "10.0.0.1" : "10.0.0.2", 500);
	if (initiator)
		tu_addr(&c->remote, 4, "10.0.0.2", 500);
	c->auth = IKE_AUTHM_PSK;
	c->remote_auth = IKE_AUTHM_PSK;
	memcpy(c->psk, "correct horse battery", 21);
	c->psk_len = 21;
	c->local_id.type = IKE_ID_FQDN;
	c->local_id.len = (uint16_t)strlen(id);
	memcpy(c->local_id.data, id, c->local_id.len);
	c->remote_id.type = IKE_ID_ANY;
	if (initiator) {
		tu_ts(&c->local_ts[0], 4, "192.168.1.0", "192.168.1.255");
		tu_ts(&c->remote_ts[0], 4, "10.1.0.0", "10.1.255.255");
	} else {
		tu_ts(&c->local_ts[0], 4, "10.1.0.0", "10.1.255.255");
		tu_ts(&c->remote_ts[0], 4, "0.0.0.0", "255.255.255.255");
	}
	c->n_local_ts = 1;
	c->n_remote_ts = 1;
	c->replay_window = 64;
}

#endif
