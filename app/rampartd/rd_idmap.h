/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fixed-capacity map from a 64-bit key (never 0) to a 32-bit value: open
 * addressing, linear probing, deletion by backward shift (no tombstones),
 * so lookups, inserts and deletes cost O(1) expected at any fill up to the
 * capacity given at creation (the table holds twice that, rounded up to a
 * power of two). Single-threaded; no DPDK.
 */
#ifndef RD_IDMAP_H
#define RD_IDMAP_H

#include <stdbool.h>
#include <stdint.h>

struct rd_idmap {
	uint64_t *keys;		/* 0 = empty slot */
	uint32_t *vals;
	uint32_t mask;		/* slots - 1 */
	uint32_t n, cap;
};

/* 0 or -ENOMEM / -EINVAL (cap 0 or above 2^30). */
int rd_idmap_init(struct rd_idmap *m, uint32_t cap);
void rd_idmap_fini(struct rd_idmap *m);
/* 0, -EEXIST (value left alone), -ENOSPC (cap reached) or -EINVAL (key 0). */
int rd_idmap_add(struct rd_idmap *m, uint64_t key, uint32_t val);
/* Replace the value of a present key: 0 or -ENOENT. */
int rd_idmap_set(struct rd_idmap *m, uint64_t key, uint32_t val);
/* true with *val, or false. */
bool rd_idmap_get(const struct rd_idmap *m, uint64_t key, uint32_t *val);
/* 0 or -ENOENT. */
int rd_idmap_del(struct rd_idmap *m, uint64_t key);

#endif
