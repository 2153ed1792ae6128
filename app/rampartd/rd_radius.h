/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RADIUS packet codec for EAP passthrough: Access-Request with EAP-Message
 * and Message-Authenticator (RFC 2865, RFC 3579), and the checks and
 * attributes of Access-Accept / -Reject / -Challenge, including the
 * MS-MPPE keys that make the EAP MSK (RFC 2548 2.4.2, 2.4.3). Plain C and
 * OpenSSL (MD5, HMAC-MD5); no sockets, no DPDK, no state: ctl_radius.c
 * owns those. Secrets are only read; buffers holding keys are wiped.
 */
#ifndef RAMPART_RD_RADIUS_H
#define RAMPART_RD_RADIUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rd_radius_limits {
	RD_RADIUS_HDR_LEN = 20,
	RD_RADIUS_MAX_PKT = 4096,	/* RFC 2865 3 */
	RD_RADIUS_MAX_EAP = 4000,	/* one EAP message, reassembled */
	RD_RADIUS_MAX_STATE = 253,
	RD_RADIUS_MAX_USER = 253,
	RD_RADIUS_MSK_LEN = 64,		/* MPPE Recv-Key | Send-Key, zero padded */
};

enum rd_radius_code {
	RD_RADIUS_ACCESS_REQUEST = 1,
	RD_RADIUS_ACCESS_ACCEPT = 2,
	RD_RADIUS_ACCESS_REJECT = 3,
	RD_RADIUS_ACCESS_CHALLENGE = 11,
};

enum rd_radius_attr {
	RD_RA_USER_NAME = 1,
	RD_RA_SERVICE_TYPE = 6,
	RD_RA_FRAMED_IP_ADDRESS = 8,
	RD_RA_FRAMED_MTU = 12,
	RD_RA_STATE = 24,
	RD_RA_VENDOR_SPECIFIC = 26,
	RD_RA_CALLING_STATION_ID = 31,
	RD_RA_NAS_IDENTIFIER = 32,
	RD_RA_NAS_PORT_TYPE = 61,
	RD_RA_EAP_MESSAGE = 79,
	RD_RA_MESSAGE_AUTHENTICATOR = 80,
};

/* What an Access-Request carries (pointers valid during the build). */
struct rd_radius_req {
	uint8_t id;
	uint8_t authenticator[16];	/* Request Authenticator: random */
	const uint8_t *user;		/* User-Name, may be NULL */
	size_t user_len;
	const uint8_t *eap;		/* EAP-Message, split in 253-byte attributes */
	size_t eap_len;
	const uint8_t *state;		/* State echoed from the last challenge, or NULL */
	size_t state_len;
	const char *nas_id;		/* NAS-Identifier, or NULL */
	const char *calling;		/* Calling-Station-Id (peer address), or NULL */
};

/* Write the packet with its Message-Authenticator; 0, -ENOSPC, -EINVAL. */
int rd_radius_build_request(const struct rd_radius_req *r, const uint8_t *secret,
			    size_t secret_len, uint8_t *buf, size_t cap, size_t *len);

/* A verified response. */
struct rd_radius_resp {
	uint8_t code;			/* enum rd_radius_code */
	uint8_t eap[RD_RADIUS_MAX_EAP];	/* EAP-Message attributes joined */
	size_t eap_len;
	uint8_t state[RD_RADIUS_MAX_STATE];
	size_t state_len;
	bool has_msk;			/* both MS-MPPE keys present and decrypted */
	uint8_t msk[RD_RADIUS_MSK_LEN];	/* wipe after use */
	bool has_framed_ip;
	uint8_t framed_ip[4];
};

/*
 * Verify and parse a response to the request with @id and Request
 * Authenticator @req_auth: length, Response Authenticator (RFC 2865 3),
 * Message-Authenticator (RFC 3579 3.2, required), attribute bounds, EAP
 * reassembly and the MPPE keys. Returns 0, -EBADMSG (malformed), -EPROTO
 * (another identifier or code), -EACCES (an authenticator does not verify),
 * -ENOMSG (authentic by its Response Authenticator, but no
 * Message-Authenticator: discarded as well).
 */
int rd_radius_parse_response(const uint8_t *pkt, size_t len, uint8_t id,
			     const uint8_t req_auth[16], const uint8_t *secret,
			     size_t secret_len, struct rd_radius_resp *out);

/* RFC 2548 2.4.2: decrypt one MS-MPPE-*-Key value (salt + string) into the
 * key; *key_len its length. 0 or -EBADMSG. (Exposed for the unit tests.) */
int rd_radius_mppe_decrypt(const uint8_t *val, size_t val_len, const uint8_t req_auth[16],
			   const uint8_t *secret, size_t secret_len, uint8_t *key, size_t cap,
			   size_t *key_len);

#endif
