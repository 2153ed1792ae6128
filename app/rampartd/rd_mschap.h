/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * MS-CHAPv2 (RFC 2759) for the local EAP-MSCHAPv2 back end, and its MSK
 * (RFC 3079 key derivation: MSK = the authenticator's MasterReceiveKey |
 * MasterSendKey, the order RADIUS servers give them as MS-MPPE-Recv-Key |
 * MS-MPPE-Send-Key). Works from the NT password hash (the users file holds
 * no clear-text password). MD4 and single DES come from OpenSSL's legacy
 * provider, loaded into a library context of its own (the rest of the
 * daemon keeps the default provider only). Plain C, no state but that
 * context; wipes its temporaries.
 */
#ifndef RAMPART_RD_MSCHAP_H
#define RAMPART_RD_MSCHAP_H

#include <stddef.h>
#include <stdint.h>

enum {
	RD_MSCHAP_MSK_LEN = 32,
	RD_MSCHAP_AUTH_RESP_LEN = 42,	/* "S=" and 40 hex digits */
};

/* Load the legacy provider (MD4, DES) once: 0 or -ENOTSUP. */
int rd_mschap_init(void);
void rd_mschap_fini(void);

/* RFC 2759 8.2: SHA1(PeerChallenge | AuthenticatorChallenge | UserName)[0..8) */
int rd_mschap_challenge_hash(const uint8_t peer[16], const uint8_t auth[16], const char *user,
			     size_t user_len, uint8_t out[8]);
/* RFC 2759 8.5: DES of the challenge under the hash padded to 21 octets */
int rd_mschap_challenge_response(const uint8_t challenge[8], const uint8_t nt_hash[16],
				 uint8_t out[24]);
/* RFC 2759 8.1 with 8.2, 8.5: the NT-Response the peer must send */
int rd_mschap_nt_response(const uint8_t auth[16], const uint8_t peer[16], const char *user,
			  size_t user_len, const uint8_t nt_hash[16], uint8_t out[24]);
/* RFC 2759 8.3 HashNtPasswordHash: MD4 of the hash */
int rd_mschap_hash_hash(const uint8_t nt_hash[16], uint8_t out[16]);
/* RFC 2759 8.7: "S=" + 40 upper-case hex digits, NUL terminated */
int rd_mschap_auth_response(const uint8_t nt_hash[16], const uint8_t nt_resp[24],
			    const uint8_t peer[16], const uint8_t auth[16], const char *user,
			    size_t user_len, char out[RD_MSCHAP_AUTH_RESP_LEN + 1]);
/* RFC 3079 3.4 GetMasterKey */
int rd_mschap_master_key(const uint8_t nt_hash[16], const uint8_t nt_resp[24],
			 uint8_t out[16]);
/* RFC 3079 3.4 GetAsymmetricStartKey (16 octets) */
int rd_mschap_start_key(const uint8_t master[16], int is_send, int is_server,
			uint8_t out[16]);
/* The authenticator's MSK: receive key | send key (32 octets) */
int rd_mschap_msk(const uint8_t nt_hash[16], const uint8_t nt_resp[24],
		  uint8_t out[RD_MSCHAP_MSK_LEN]);

#endif
