/* SPDX-License-Identifier: BSD-3-Clause */
/* The ESP algorithm sets the ESP unit tests cover (test_esp.c for the
 * IPsec-MB path, test_esp_cdev.c for the cryptodev backend): one name and
 * one set of SA parameters each. */
#ifndef RAMPART_TEST_ESP_ALG_H
#define RAMPART_TEST_ESP_ALG_H

#include "esp/esp.h"

enum alg { A_GCM128, A_GCM256, A_CBC128_SHA256, A_CBC256_SHA384, A_CBC128_SHA512, A__COUNT };

static const char *const alg_names[A__COUNT] = { "gcm128", "gcm256", "cbc128-sha256",
						 "cbc256-sha384", "cbc128-sha512" };

/* Cipher, integrity and key lengths of @a in @p (the keys are the caller's). */
static inline void
alg_set(struct esp_sa_params *p, enum alg a)
{
	static const struct {
		uint8_t enc, enc_key_len, integ, integ_key_len;
	} t[A__COUNT] = {
		[A_GCM128] = { ESP_ENC_AES_GCM16, 16, ESP_INTEG_NONE, 0 },
		[A_GCM256] = { ESP_ENC_AES_GCM16, 32, ESP_INTEG_NONE, 0 },
		[A_CBC128_SHA256] = { ESP_ENC_AES_CBC, 16, ESP_INTEG_HMAC_SHA256_128, 32 },
		[A_CBC256_SHA384] = { ESP_ENC_AES_CBC, 32, ESP_INTEG_HMAC_SHA384_192, 48 },
		[A_CBC128_SHA512] = { ESP_ENC_AES_CBC, 16, ESP_INTEG_HMAC_SHA512_256, 64 },
	};

	p->enc = t[a].enc;
	p->enc_key_len = t[a].enc_key_len;
	p->integ = t[a].integ;
	p->integ_key_len = t[a].integ_key_len;
}

#endif
