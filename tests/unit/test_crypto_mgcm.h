/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef RAMPART_TEST_CRYPTO_MGCM_H
#define RAMPART_TEST_CRYPTO_MGCM_H

#include <CUnit/Basic.h>
#include <intel-ipsec-mb.h>

void test_mgcm_register(CU_pSuite s, IMB_MGR *m);

#endif
