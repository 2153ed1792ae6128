/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/conf: the walk context over a libyaml document and the
 * helpers each section parser uses. Every error goes through cx_err(), which
 * formats "FILE:LINE:COL: PATH: message" once; parsers return its -EINVAL.
 */
#ifndef RAMPART_CONF_PRIV_H
#define RAMPART_CONF_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sys/stat.h>

#include <yaml.h>

#include "conf.h"

enum conf_priv_limits {
	CX_PATH_LEN = 192,		/* "connections[12].remote_ts[3]" */
	CX_MAX_SCALAR = 4096,		/* longest scalar we accept */
	CX_MAX_SECRET_FILE = 4096,	/* psk_file size */
	CX_MAX_ITEMS = 64,		/* longest list cx_seq_each() takes */
	CX_MAX_DEPTH = 16,		/* nested lists/mappings (the schema needs 5) */
	CX_MAX_EVENTS = 100000,		/* YAML events (nodes, ends) in one file */
};

struct cx {
	yaml_document_t *doc;
	const char *name;		/* for messages */
	char dir[IKE_MAX_PATH];		/* base for relative paths ("" = cwd) */
	char *err;
	size_t err_len;
	char path[CX_PATH_LEN];		/* key path of the node being parsed */
	size_t path_len;
	struct conf *c;
	bool is_file;			/* loaded by conf_load*(): file_mode is valid */
	unsigned file_mode;		/* st_mode & 07777 of the config file */
	const uint8_t *gen_psk;		/* conf_load_default(): PSK for auth psk without one */
	size_t gen_psk_len;
	struct conf_err_pos *pos;	/* where the error is, or NULL */
};

/* Key path: cx_push_key(x, "ports") / cx_push_idx(x, 3) return the previous
 * length to hand back to cx_pop(). A path that would overflow is cut (the
 * message then ends in "..."), never written past. */
size_t cx_push_key(struct cx *x, const char *key);
size_t cx_push_idx(struct cx *x, unsigned idx);
void cx_pop(struct cx *x, size_t mark);

/* Format the one error message; returns -EINVAL. @n may be NULL (no line). */
int cx_err(struct cx *x, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* cx_err with @key pushed on the path for this one message. */
int cx_key_err(struct cx *x, const char *key, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Warning through the log callback. */
void cx_warn(struct cx *x, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Look up @n_keys known keys of mapping @map: v[i] is the value node of
 * keys[i] or NULL. Unknown keys, duplicates, non-scalar keys and a @map that
 * is not a mapping are errors.
 */
int cx_map(struct cx *x, const yaml_node_t *map, const char *const keys[], unsigned n_keys,
	   yaml_node_t *v[]);
/* cx_map, then cx_missing for the first key of @keys whose bit (1u << index)
 * is set in @need and that @map lacks. */
int cx_map_req(struct cx *x, const yaml_node_t *map, const char *const keys[], unsigned n_keys,
	       yaml_node_t *v[], unsigned need);
/* The index of the first of items[0..@i) (each @size bytes) that @same()
 * finds equal to items[@i], or -1: a list's duplicate-entry check. */
int cx_earlier(const void *items, size_t size, unsigned i,
	       bool (*same)(const void *a, const void *b));
/* cx_earlier for items that begin with their name (a char array at offset 0):
 * the first earlier item of the same name. */
int cx_earlier_name(const void *items, size_t size, unsigned i);
yaml_node_t *cx_node(struct cx *x, int index);
/* The text of scalar @n (NUL-free, bounded) or an error naming what it was. */
int cx_scalar(struct cx *x, const yaml_node_t *n, const char *want, const char **out);

/* Value readers; @key is pushed on the path for messages. @n may be NULL only
 * where the caller checked. A scalar is always NUL-free text. */
int cx_str(struct cx *x, const char *key, const yaml_node_t *n, char *dst, size_t size);
int cx_uint(struct cx *x, const char *key, const yaml_node_t *n, uint64_t min, uint64_t max,
	    uint64_t *out);
int cx_bool(struct cx *x, const char *key, const yaml_node_t *n, bool *out);
/* Durations: @ms selects the unit of *out (ms or s); range in that unit. */
int cx_duration(struct cx *x, const char *key, const yaml_node_t *n, bool ms, uint64_t max,
		uint64_t *out);
/* Counts with K/M/G; @base 1024 (bytes) or 1000 (packets). */
int cx_size(struct cx *x, const char *key, const yaml_node_t *n, unsigned base, uint64_t *out);
/* A sequence node (a single scalar is accepted as a one-element list when
 * @scalar_ok). Fills items[] (node pointers) up to @max. */
int cx_seq(struct cx *x, const char *key, const yaml_node_t *n, bool scalar_ok,
	   yaml_node_t *items[], unsigned max, unsigned *count);
/*
 * cx_seq(), then @fn on each item in order with "key[i]" on the path, up to
 * the first error. @if_empty: the message for an empty list, or NULL when
 * one is fine. @max is at most CX_MAX_ITEMS.
 */
int cx_seq_each(struct cx *x, const char *key, const yaml_node_t *n, bool scalar_ok,
		const char *if_empty, unsigned max, unsigned *count,
		int (*fn)(struct cx *x, const yaml_node_t *item, unsigned i, void *arg),
		void *arg);
int cx_missing(struct cx *x, const yaml_node_t *map, const char *key);
/* cx_str of @map's required @key (its value @n; NULL: cx_missing). */
int cx_req_str(struct cx *x, const yaml_node_t *map, const char *key, const yaml_node_t *n,
	       char *dst, size_t size);
/*
 * A secret (inline PSK's config file, psk_file, private key) must not be
 * readable or writable by group or others: -EINVAL with a message on key
 * @key at @n when @mode allows it.
 */
int cx_secret_mode(struct cx *x, const char *key, const yaml_node_t *n, const char *what,
		   unsigned mode);
/*
 * Open the secret file named by @n (relative to x->dir) for reading: its
 * resolved name in @path, the fd (>= 0) on success. Refused with a message
 * "KEY PATH: ..." when it cannot be opened, is not a regular file (opened
 * O_NONBLOCK: a FIFO never blocks the loader) or is open to group/others.
 */
int cx_open_secret(struct cx *x, const char *key, const yaml_node_t *n, char *path,
		   size_t size, struct stat *st);
/* Read @fd until its end, an error or @cap bytes into @buf, then close it;
 * the number of bytes read (EINTR retried). */
size_t cx_read_close(int fd, char *buf, size_t cap);
/* Resolve a relative @path against x->dir into @dst. */
int cx_path(struct cx *x, const char *key, const yaml_node_t *n, char *dst, size_t size);

/* Pure text parsers (conf_val.c): 0 or -EINVAL with *why set to a reason. */
int conf_parse_addr(const char *s, uint8_t *af, uint8_t addr[16]);
int conf_parse_prefix(const char *s, bool len_required, struct conf_prefix *p,
		      const char **why);
int conf_parse_range(const char *s, uint8_t *af, uint8_t lo[16], uint8_t hi[16],
		     const char **why);
int conf_parse_ts(const char *s, struct ike_ts *ts, const char **why);
int conf_parse_id(const char *s, struct ike_id *id, const char **why);
int conf_parse_mac(const char *s, uint8_t mac[6], const char **why);
int conf_parse_hex(const char *s, uint8_t *dst, size_t cap, size_t *len, const char **why);
bool conf_prefix_contains(const struct conf_prefix *p, uint8_t af, const uint8_t addr[16]);
bool conf_is_name(const char *s, size_t max);
bool conf_is_proposal(const char *s);
void conf_prefix_to_range(const struct conf_prefix *p, uint8_t lo[16], uint8_t hi[16]);
int conf_addr_cmp(uint8_t af, const uint8_t a[16], const uint8_t b[16]);
void conf_addr_str(uint8_t af, const uint8_t a[16], char *dst, size_t size);

/* Sections: conf_ports.c, conf_conn.c. */
int conf_parse_ports(struct cx *x, const yaml_node_t *seq);
int conf_port_of_addr(const struct conf *c, uint8_t af, const uint8_t addr[16]);
int conf_parse_routes(struct cx *x, const yaml_node_t *seq);
int conf_parse_conns(struct cx *x, const yaml_node_t *seq);
/* "err" .. "debug" -> enum ike_log_level, or a positioned error. */
int conf_parse_log_level(struct cx *x, const yaml_node_t *n, int *out);

/* conf_radius.c: the radius section; conn checks after all sections */
int conf_parse_radius(struct cx *x, const yaml_node_t *n);
int conf_radius_check_conns(struct cx *x, const yaml_node_t *root);
/* conf_eap_users.c: eap_users FILE */
int conf_parse_eap_users(struct cx *x, const yaml_node_t *n);

/* conf_ctlcore.c: the control_core section */
int conf_parse_manual(struct cx *x, const yaml_node_t *seq);
int conf_parse_crypto(struct cx *x, const yaml_node_t *n);
int conf_parse_neighbors(struct cx *x, const yaml_node_t *seq);
void conf_ctlcore_defaults(struct conf_ctlcore *cc);
int conf_parse_ctlcore(struct cx *x, const yaml_node_t *n);

#endif
