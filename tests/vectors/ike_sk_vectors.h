/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SK payload protection known answers (RFC 7296 3.14, RFC 5282, RFC 4868).
 *
 * Source: computed independently with Python 3 (hashlib/hmac and the
 * "cryptography" package's AESGCM and AES-CBC) from the RFC layouts:
 *   message = IKE header (next payload 46, length = total)
 *           | SK generic header (next = first inner payload, C = 0, length)
 *           | IV | E(inner | zero padding | pad length) | ICV
 *   GCM: nonce = salt (last 4 key bytes) | 8-byte IV, AAD = header + SK
 *        header, no padding (pad length 0), 16-byte tag.
 *   CBC: minimum padding to 16 bytes, ICV = HMAC(SK_a, message up to the
 *        ICV) truncated to half the hash length.
 * The IV is what the test's rand hook returns. Lowercase hex strings.
 */
#ifndef RAMPART_TESTS_IKE_SK_VECTORS_H
#define RAMPART_TESTS_IKE_SK_VECTORS_H

#include <stdint.h>

/* The 28-byte IKE header passed to ike_sk_encrypt_msg (length 0, np 0). */
static const char ike_sk_vector_hdr[] =
	"0011223344556677" "8899aabbccddeeff" "00202308" "00000001" "00000000";

/*
 * The inputs the vectors share: one key per cipher and one HMAC key, cut to
 * each length (the longer keys extend the shorter ones), the IVs the rand
 * hook returns, and two inner payloads (a Notify, and 33 bytes that leave
 * CBC an odd padding).
 */
#define SKV_GCM_KEY128 "0718293a4b5c6d7e8fa0b1c2d3e4f506"
#define SKV_GCM_KEY256 SKV_GCM_KEY128 "1728394a5b6c7d8e9fb0c1d2e3f40516"
#define SKV_GCM_SALT "c0ffee01"
#define SKV_GCM_IV "0102030405060708"
#define SKV_CBC_KEY128 "0124476a8db0d3f6193c5f82a5c8eb0e"
#define SKV_CBC_KEY256 SKV_CBC_KEY128 "3154779abde00326496c8fb2d5f81b3e"
#define SKV_HMAC_KEY256 "0964bf1a75d02b86e13c97f24da8035eb9146fca2580db3691ec47a2fd58b30e"
#define SKV_HMAC_KEY384 SKV_HMAC_KEY256 "69c41f7ad5308be6419cf752ad0863be"
#define SKV_HMAC_KEY512 SKV_HMAC_KEY384 "1974cf2a85e03b96f14ca7025db8136e"
#define SKV_CBC_IV "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
#define SKV_INNER_NOTIFY "00000014303132333435363738393a3b3c3d3e3f"
#define SKV_INNER_ODD "505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f70"

struct ike_sk_vector {
	const char *name;
	uint16_t encr, integ;
	const char *encr_key;	/* incl. salt for GCM */
	const char *integ_key;
	const char *iv;
	uint8_t first_inner;
	const char *inner;
	const char *msg;	/* expected whole protected message */
};

static const struct ike_sk_vector ike_sk_vectors[] = {
	{
		.name = "gcm128_informational",
		.encr = 20,
		.integ = 0,
		.encr_key = SKV_GCM_KEY128 SKV_GCM_SALT,
		.integ_key = "",
		.iv = SKV_GCM_IV,
		.first_inner = 41,
		.inner = SKV_INNER_NOTIFY,
		.msg =
		"00112233445566778899aabbccddeeff2e202308000000010000004d29000031"
		"010203040506070815e437b5e4157436d7b74fe984a796408044c225aebcb27e"
		"cfafa1b4874f6aec6d809edae1",
	},
	{
		.name = "gcm256_odd_length",
		.encr = 20,
		.integ = 0,
		.encr_key = SKV_GCM_KEY256 SKV_GCM_SALT,
		.integ_key = "",
		.iv = SKV_GCM_IV,
		.first_inner = 35,
		.inner = SKV_INNER_ODD,
		.msg =
		"00112233445566778899aabbccddeeff2e202308000000010000005a2300003e"
		"0102030405060708b43f78ed13c331e2775559f00d89aa533e2dcbefba51310f"
		"3af0f0aae9b80027fe706670795501188279bb65c6b3c8e33e24",
	},
	{
		.name = "cbc128_sha256_128",
		.encr = 12,
		.integ = 12,
		.encr_key = SKV_CBC_KEY128,
		.integ_key = SKV_HMAC_KEY256,
		.iv = SKV_CBC_IV,
		.first_inner = 41,
		.inner = SKV_INNER_NOTIFY,
		.msg =
		"00112233445566778899aabbccddeeff2e202308000000010000006029000044"
		"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf15236c9a58dd13433de50933a8fd8bf0"
		"a85c15b02341cb64e88d204892f85319b4b0a9601fd469534b4ac5e4c18e97e3",
	},
	{
		.name = "cbc256_sha384_192",
		.encr = 12,
		.integ = 13,
		.encr_key = SKV_CBC_KEY256,
		.integ_key = SKV_HMAC_KEY384,
		.iv = SKV_CBC_IV,
		.first_inner = 36,
		.inner = SKV_INNER_ODD,
		.msg =
		"00112233445566778899aabbccddeeff2e20230800000001000000782400005c"
		"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf9c7e43e3cd6ca5b4d4e78f56a3f048b8"
		"0747bf51e32909d356f6e9c80cef57d80db872e641b9c37aa5e91f0010ff60cd"
		"bcb4b07a98a5605e2c121e18a53622baf484784a9aa2ea1c",
	},
	{
		.name = "cbc256_sha512_256",
		.encr = 12,
		.integ = 14,
		.encr_key = SKV_CBC_KEY256,
		.integ_key = SKV_HMAC_KEY512,
		.iv = SKV_CBC_IV,
		.first_inner = 41,
		.inner = SKV_INNER_NOTIFY,
		.msg =
		"00112233445566778899aabbccddeeff2e202308000000010000007029000054"
		"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf6e142e3e81dd8b52382ffb0c9a1f7e02"
		"6aed46f4f4faea70249cdfb2d6d43613f4cad4d0f5dc286df92976db6b7f3810"
		"f26a766b2ed59ee4cffb562176c3e732",
	},
};

#endif
