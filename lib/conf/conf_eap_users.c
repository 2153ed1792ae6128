/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eap_users: the users of the local EAP-MSCHAPv2 back end (connections with
 * `remote_auth: eap-mschapv2`), for sites without a RADIUS server.
 *
 *   eap_users: /etc/rampart/eap-users     # mode 0600, owner only
 *
 * One user a line, `NAME:NTHASH`: NAME the EAP identity the client sends
 * (1..127 octets, no ':' and no control characters), NTHASH the NT password
 * hash MD4(UTF-16LE(password)) of RFC 2759 8.3 as 32 hex digits (no clear
 * text password is ever stored). '#' starts a comment line; blank lines
 * are skipped. A file readable or writable by group or others, a malformed
 * line (named by its number) or a duplicate name refuses the configuration.
 * `reload` reads the file again. The hashes are wiped with the config.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "conf_priv.h"

enum { EAP_USERS_MAX_BYTES = 16 << 20 };

static int
user_cmp(const void *a, const void *b)
{
	return strcmp(((const struct conf_eap_user *)a)->name,
		      ((const struct conf_eap_user *)b)->name);
}

/* One line (NUL-terminated, no newline) into @u: NULL or what is wrong. */
static const char *
parse_line(char *line, struct conf_eap_user *u)
{
	char *colon = strrchr(line, ':'), *h;
	size_t nl, i;

	if (colon == NULL)
		return "expected NAME:NTHASH";
	nl = (size_t)(colon - line);
	if (nl == 0)
		return "empty user name";
	if (nl >= sizeof(u->name))
		return "user name longer than 127 octets";
	for (i = 0; i < nl; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f || line[i] == ':')
			return "control character or ':' in the user name";
	h = colon + 1;
	while (strlen(h) > 0 && (h[strlen(h) - 1] == '\r' || h[strlen(h) - 1] == ' ' ||
				 h[strlen(h) - 1] == '\t'))
		h[strlen(h) - 1] = '\0';
	if (strlen(h) != 32)
		return "the NT hash must be 32 hex digits (MD4 of the UTF-16LE password)";
	for (i = 0; i < 16; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)h[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)h[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return "the NT hash must be 32 hex digits (MD4 of the UTF-16LE password)";
		u->nt_hash[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(u->name, line, nl);
	u->name[nl] = '\0';
	return NULL;
}

int
conf_parse_eap_users(struct cx *x, const yaml_node_t *n)
{
	char path[IKE_MAX_PATH];
	struct conf_eap_user *users = NULL;
	unsigned n_users = 0, cap = 0, line_no = 0, i;
	char *buf = NULL, *line, *next;
	struct stat st;
	size_t got = 0;
	int fd, rc = 0;

	/* NT hashes are password equivalents for MS-CHAPv2: owner only */
	fd = cx_open_secret(x, "eap_users", n, path, sizeof(path), &st);
	if (fd < 0)
		return fd;
	if (st.st_size > EAP_USERS_MAX_BYTES) {
		close(fd);
		return cx_err(x, n, "eap_users %s: larger than %d bytes", path,
			      EAP_USERS_MAX_BYTES);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return cx_err(x, n, "eap_users %s: out of memory", path);
	}
	got = cx_read_close(fd, buf, (size_t)st.st_size);
	buf[got] = '\0';
	if (memchr(buf, '\0', got) != NULL) {
		rc = cx_err(x, n, "eap_users %s: NUL byte in the file", path);
		goto out;
	}
	for (line = buf; rc == 0 && line != NULL && *line != '\0'; line = next) {
		const char *why;
		char *p;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line_no++;
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#' || *p == '\r')
			continue;
		if (n_users == CONF_EAP_USERS_MAX) {
			rc = cx_err(x, n, "eap_users %s: more than %d users", path,
				    CONF_EAP_USERS_MAX);
			break;
		}
		if (n_users == cap) {
			unsigned nc = cap ? 2 * cap : 16;
			struct conf_eap_user *nu = malloc(nc * sizeof(*nu));

			if (nu == NULL) {
				rc = cx_err(x, n, "eap_users %s: out of memory", path);
				break;
			}
			/* not realloc: the old block's hashes are wiped, not left
			 * in freed memory */
			if (users != NULL) {
				memcpy(nu, users, n_users * sizeof(*nu));
				OPENSSL_cleanse(users, cap * sizeof(*users));
				free(users);
			}
			users = nu;
			cap = nc;
		}
		why = parse_line(p, &users[n_users]);
		if (why != NULL) {
			rc = cx_err(x, n, "eap_users %s line %u: %s", path, line_no, why);
			break;
		}
		n_users++;
	}
	if (rc == 0 && n_users > 1) {
		qsort(users, n_users, sizeof(*users), user_cmp);
		for (i = 1; i < n_users; i++)
			if (strcmp(users[i - 1].name, users[i].name) == 0) {
				rc = cx_err(x, n, "eap_users %s: user '%s' listed twice", path,
					    users[i].name);
				break;
			}
	}
	if (rc == 0 && n_users == 0)
		rc = cx_err(x, n, "eap_users %s: no users", path);
out:
	OPENSSL_cleanse(buf, got);
	free(buf);
	if (rc < 0) {
		if (users != NULL)
			OPENSSL_cleanse(users, cap * sizeof(*users));
		free(users);
		return rc;
	}
	x->c->eap_users = users;
	x->c->n_eap_users = n_users;
	return 0;
}

const struct conf_eap_user *
conf_eap_user_find(const struct conf *c, const char *name, size_t len)
{
	struct conf_eap_user key;

	if (c->eap_users == NULL || len == 0 || len >= sizeof(key.name))
		return NULL;
	memcpy(key.name, name, len);
	key.name[len] = '\0';
	if (strlen(key.name) != len)
		return NULL;		/* a NUL inside the identity */
	return bsearch(&key, c->eap_users, c->n_eap_users, sizeof(key), user_cmp);
}
