/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker SA table: (SPI, direction) -> SA pointer in an rte_hash, with a
 * bulk lookup for a whole burst. Owned by one worker: created and destroyed
 * on the control core before/after the worker runs, modified only by the
 * owner worker while it drains its ring (no locks, no readers elsewhere).
 * The table stores pointers; it never frees an SA.
 */
#ifndef RAMPART_SA_TAB_H
#define RAMPART_SA_TAB_H

#include <stdint.h>

struct sa_tab;

enum sa_tab_limits {
	SA_TAB_DEFAULT_ENTRIES = 1 << 18,	/* 262144: 100 000 SAs per direction per worker */
	SA_TAB_BULK_MAX = 64,			/* RTE_HASH_LOOKUP_BULK_MAX */
};

/* Lookup key: SPI in host order and direction (enum esp_dir), 8 bytes. */
struct sa_tab_key {
	uint32_t spi;
	uint32_t dir;
};

/* Control core. Returns 0, -EINVAL or -ENOMEM. @name must be unique. */
int sa_tab_create(const char *name, uint32_t entries, int socket_id, struct sa_tab **out);
void sa_tab_destroy(struct sa_tab *t);

/* Owner worker. add: 0, -EEXIST, -ENOSPC. del/lookup return the SA or NULL. */
int sa_tab_add(struct sa_tab *t, uint32_t spi, uint8_t dir, void *sa);
void *sa_tab_del(struct sa_tab *t, uint32_t spi, uint8_t dir);
void *sa_tab_lookup(const struct sa_tab *t, uint32_t spi, uint8_t dir);
uint32_t sa_tab_count(const struct sa_tab *t);

/*
 * Walk the table: start with *@pos = 0; returns 0 and one entry per call,
 * -ENOENT at the end. Deleting the returned entry during a walk may make the
 * walk skip another one (the extension table compacts): repeat until empty.
 */
int sa_tab_iterate(const struct sa_tab *t, uint32_t *pos, struct sa_tab_key *key, void **sa);

/*
 * Look up @n <= SA_TAB_BULK_MAX keys at once; out[i] is the SA or NULL.
 * Returns the number of hits.
 */
unsigned sa_tab_lookup_bulk(const struct sa_tab *t, const struct sa_tab_key *keys, unsigned n,
			    void *out[]);

#endif
