/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the two source files of the test_ike_wire binary share: test_ike_wire.c
 * (round trips, malformed input, fragments, the SK seam, mutation; main) and
 * test_ike_wire_prop.c (proposal strings and selection, strongSwan captures).
 */
#ifndef RAMPART_TEST_IKE_WIRE_H
#define RAMPART_TEST_IKE_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "ike/ike_wire.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))
#define BUF_CAP 8192

struct ike_hdr hdr(uint8_t exchange, uint8_t flags, uint32_t msg_id);
struct ike_proposal prop_str(const char *s, uint8_t proto);
bool prop_eq(const struct ike_proposal *a, const struct ike_proposal *b);
void test_prop_parse(void);
void test_prop_select(void);
void test_strongswan_sa_init(void);
void test_strongswan_sa_init_resp(void);
void test_strongswan_auth_resp(void);
void test_strongswan_fragments(void);

#endif
