/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Client profiles from a connection's public facts (rampartd's "conn-info"
 * reply): Windows PowerShell, Apple .mobileconfig (macOS, iOS), strongSwan
 * for Android (.sswan) and NetworkManager-strongswan (.nmconnection).
 * See docs/clients.md.
 */
#ifndef RAMPART_CTL_PROFILE_H
#define RAMPART_CTL_PROFILE_H

#include <stdio.h>

#include <jansson.h>

struct ctl_profile_opt {
	const char *os;		/* windows, macos, ios, android, linux */
	const char *server;	/* address or name clients dial; NULL: the
				 * gateway's FQDN identity, else its address */
	const char *user;	/* EAP user name (NULL: a placeholder) */
};

/*
 * Write the profile for @o->os to @out. 0, or -1 with a message in @err
 * (no usable proposal for that OS, an auth method it cannot do, ...).
 */
int ctl_profile_write(const json_t *info, const struct ctl_profile_opt *o, FILE *out, char *err,
		      size_t err_len);

#endif
