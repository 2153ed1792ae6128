/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_hash-backed SA table of one worker (see sa_tab.h). The hash is created
 * without RW concurrency flags: exactly one thread (the owner worker) reads
 * and writes it.
 */
#include "sa/sa_tab.h"

#include <errno.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

struct sa_tab {
	struct rte_hash *h;
	uint32_t count;
};

int
sa_tab_create(const char *name, uint32_t entries, int socket_id, struct sa_tab **out)
{
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = entries != 0 ? entries : SA_TAB_DEFAULT_ENTRIES,
		.key_len = sizeof(struct sa_tab_key),
		.hash_func = rte_jhash,
		.hash_func_init_val = 0,
		.socket_id = socket_id,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct sa_tab *t;

	if (name == NULL || out == NULL)
		return -EINVAL;
	t = rte_zmalloc_socket("sa_tab", sizeof(*t), 0, socket_id);
	if (t == NULL)
		return -ENOMEM;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL) {
		rte_free(t);
		return -ENOMEM;
	}
	*out = t;
	return 0;
}

void
sa_tab_destroy(struct sa_tab *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t);
}

static inline struct sa_tab_key
mk(uint32_t spi, uint8_t dir)
{
	struct sa_tab_key k;

	memset(&k, 0, sizeof(k));
	k.spi = spi;
	k.dir = dir;
	return k;
}

int
sa_tab_add(struct sa_tab *t, uint32_t spi, uint8_t dir, void *sa)
{
	struct sa_tab_key k = mk(spi, dir);
	int rc;

	if (rte_hash_lookup(t->h, &k) >= 0)
		return -EEXIST;
	rc = rte_hash_add_key_data(t->h, &k, sa);
	if (rc < 0)
		return -ENOSPC;
	t->count++;
	return 0;
}

void *
sa_tab_del(struct sa_tab *t, uint32_t spi, uint8_t dir)
{
	struct sa_tab_key k = mk(spi, dir);
	void *sa = NULL;

	if (rte_hash_lookup_data(t->h, &k, &sa) < 0)
		return NULL;
	rte_hash_del_key(t->h, &k);
	t->count--;
	return sa;
}

void *
sa_tab_lookup(const struct sa_tab *t, uint32_t spi, uint8_t dir)
{
	struct sa_tab_key k = mk(spi, dir);
	void *sa = NULL;

	if (rte_hash_lookup_data(t->h, &k, &sa) < 0)
		return NULL;
	return sa;
}

uint32_t
sa_tab_count(const struct sa_tab *t)
{
	return t->count;
}

unsigned
sa_tab_lookup_bulk(const struct sa_tab *t, const struct sa_tab_key *keys, unsigned n, void *out[])
{
	const void *kp[SA_TAB_BULK_MAX];
	uint64_t hits = 0;
	unsigned i;

	if (n == 0)
		return 0;
	if (n > SA_TAB_BULK_MAX)
		n = SA_TAB_BULK_MAX;
	for (i = 0; i < n; i++)
		kp[i] = &keys[i];
	if (rte_hash_lookup_bulk_data(t->h, kp, n, &hits, out) < 0)
		hits = 0;
	for (i = 0; i < n; i++)
		if (!(hits & (1ULL << i)))
			out[i] = NULL;
	return (unsigned)__builtin_popcountll(hits);
}

int
sa_tab_iterate(const struct sa_tab *t, uint32_t *pos, struct sa_tab_key *key, void **sa)
{
	const void *k;

	if (rte_hash_iterate(t->h, &k, sa, pos) < 0)
		return -ENOENT;
	memcpy(key, k, sizeof(*key));
	return 0;
}
