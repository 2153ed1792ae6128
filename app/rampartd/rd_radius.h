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
	RD_RADIUS_ACCOUNTING_REQUEST = 4,
	RD_RADIUS_ACCOUNTING_RESPONSE = 5,
	RD_RADIUS_ACCESS_CHALLENGE = 11,
};

enum rd_radius_attr {
	RD_RA_USER_NAME = 1,
	RD_RA_SERVICE_TYPE = 6,
	RD_RA_FRAMED_IP_ADDRESS = 8,
	RD_RA_FRAMED_MTU = 12,
	RD_RA_CLASS = 25,
	RD_RA_SESSION_TIMEOUT = 27,
	RD_RA_STATE = 24,
	RD_RA_VENDOR_SPECIFIC = 26,
	RD_RA_CALLING_STATION_ID = 31,
	RD_RA_NAS_IDENTIFIER = 32,
	RD_RA_ACCT_STATUS_TYPE = 40,
	RD_RA_ACCT_INPUT_OCTETS = 42,
	RD_RA_ACCT_OUTPUT_OCTETS = 43,
	RD_RA_ACCT_SESSION_ID = 44,
	RD_RA_ACCT_SESSION_TIME = 46,
	RD_RA_ACCT_INPUT_PACKETS = 47,
	RD_RA_ACCT_OUTPUT_PACKETS = 48,
	RD_RA_ACCT_TERMINATE_CAUSE = 49,
	RD_RA_ACCT_INPUT_GIGAWORDS = 52,
	RD_RA_ACCT_OUTPUT_GIGAWORDS = 53,
	RD_RA_NAS_PORT_TYPE = 61,
	RD_RA_FRAMED_IPV6_PREFIX = 97,	/* RFC 3162 2.3 */
	RD_RA_FRAMED_IPV6_ADDRESS = 168,	/* RFC 6911 3.1 */
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
	/* Framed-IPv6-Address, or a Framed-IPv6-Prefix of length 128 (one
	 * address: what an IKEv2 client gets); other prefix lengths ignored */
	bool has_framed_ip6;
	uint8_t framed_ip6[16];
	uint8_t class_[253];		/* Class (RFC 2865 5.25), echoed in accounting */
	size_t class_len;
	uint32_t session_timeout;	/* Session-Timeout in s (5.27), 0 = none */
};

/* RFC 2866 5.1 Acct-Status-Type, 5.10 Acct-Terminate-Cause (the ones used) */
enum rd_acct_status { RD_ACCT_START = 1, RD_ACCT_STOP = 2, RD_ACCT_INTERIM = 3 };
enum rd_acct_cause {
	RD_ACCT_CAUSE_USER_REQUEST = 1,
	RD_ACCT_CAUSE_LOST_CARRIER = 2,
	RD_ACCT_CAUSE_SESSION_TIMEOUT = 5,
	RD_ACCT_CAUSE_ADMIN_RESET = 6,
	RD_ACCT_CAUSE_NAS_ERROR = 9,
	RD_ACCT_CAUSE_NAS_REBOOT = 11,
};

/* What an Accounting-Request carries (pointers valid during the build). */
struct rd_radius_acct {
	uint8_t id;
	uint8_t status;			/* enum rd_acct_status */
	const char *session_id;		/* Acct-Session-Id */
	const uint8_t *user;		/* User-Name, may be NULL */
	size_t user_len;
	const uint8_t *class_;		/* Class from the Access-Accept, may be NULL */
	size_t class_len;
	const char *nas_id;
	bool has_framed_ip;
	uint8_t framed_ip[4];
	/* Interim and Stop: RFC 2866 5.3/5.4/5.8/5.9 (in = from the user) */
	uint64_t in_octets, out_octets, in_packets, out_packets;
	uint32_t session_time;		/* s */
	uint32_t cause;			/* Stop: enum rd_acct_cause */
};

/* Write an Accounting-Request, its Request Authenticator (RFC 2866 3:
 * MD5(Code+ID+Length+16 zero octets+Attributes+Secret)) in place and in
 * @auth. 0, -ENOSPC, -EINVAL. */
int rd_radius_build_acct(const struct rd_radius_acct *a, const uint8_t *secret,
			 size_t secret_len, uint8_t *buf, size_t cap, size_t *len,
			 uint8_t auth[16]);

/* Verify an Accounting-Response to request @id sent with Request
 * Authenticator @req_auth: 0, -EBADMSG, -EPROTO, -EACCES. */
int rd_radius_parse_acct_response(const uint8_t *pkt, size_t len, uint8_t id,
				  const uint8_t req_auth[16], const uint8_t *secret,
				  size_t secret_len);

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
