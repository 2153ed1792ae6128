/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal ESP (RFC 4303) AES-GCM (RFC 4106) codec for the load tools:
 * tunnel-mode IPv4 inner packets, no ESN, 8-byte IV. Test tool only.
 */
#ifndef RAMPART_PERF_CHURN_ESP_H
#define RAMPART_PERF_CHURN_ESP_H

#include <stddef.h>
#include <stdint.h>

enum {
	CESP_HDR = 8,		/* SPI + sequence number */
	CESP_IV = 8,
	CESP_ICV = 16,
	CESP_SALT = 4,
	CESP_MAX_KEY = 32,
};

struct cesp_key {
	uint8_t key[CESP_MAX_KEY];
	uint8_t salt[CESP_SALT];
	uint8_t key_len;	/* 16 or 32 (AES-128/256-GCM) */
};

/* Key from lib/ike's layout (enc key || 4-byte salt). 0 or -EINVAL. */
int cesp_key_set(struct cesp_key *k, const uint8_t *keymat, unsigned enc_key_len);

/*
 * Encrypt inner packet @in (@len bytes, next header 4 = IPv4) into @out as
 * SPI | seq | IV | ciphertext | ICV. Returns the ESP length, or -1 when it
 * does not fit @cap or the cipher failed.
 */
int cesp_encrypt(const struct cesp_key *k, uint32_t spi, uint32_t seq, const uint8_t *in,
		 size_t len, uint8_t *out, size_t cap);

/*
 * Authenticate and decrypt ESP packet @esp (@len bytes, from the SPI on)
 * into @out; *next_hdr gets the next header. Returns the inner length, or
 * -1 (ICV mismatch, malformed trailer, too short).
 */
int cesp_decrypt(const struct cesp_key *k, const uint8_t *esp, size_t len, uint8_t *out,
		 size_t cap, uint8_t *next_hdr);

/* RFC 1071 Internet checksum of @len bytes. */
uint16_t cesp_csum(const void *p, size_t len);

#endif
