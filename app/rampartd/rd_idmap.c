/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rd_idmap.h"

static inline uint32_t
slot_of(const struct rd_idmap *m, uint64_t key)
{
	/* splitmix64 finaliser: sequential ids spread over the table */
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ull;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebull;
	key ^= key >> 31;
	return (uint32_t)key & m->mask;
}

int
rd_idmap_init(struct rd_idmap *m, uint32_t cap)
{
	uint32_t slots = 16;

	memset(m, 0, sizeof(*m));
	if (cap == 0 || cap > (1u << 30))
		return -EINVAL;
	while (slots < 2 * (uint64_t)cap)
		slots <<= 1;
	m->keys = calloc(slots, sizeof(*m->keys));
	m->vals = calloc(slots, sizeof(*m->vals));
	if (m->keys == NULL || m->vals == NULL) {
		rd_idmap_fini(m);
		return -ENOMEM;
	}
	m->mask = slots - 1;
	m->cap = cap;
	return 0;
}

void
rd_idmap_fini(struct rd_idmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static bool
find(const struct rd_idmap *m, uint64_t key, uint32_t *slot)
{
	uint32_t i;

	if (key == 0 || m->keys == NULL)
		return false;
	for (i = slot_of(m, key); m->keys[i] != 0; i = (i + 1) & m->mask)
		if (m->keys[i] == key) {
			*slot = i;
			return true;
		}
	*slot = i;
	return false;
}

int
rd_idmap_add(struct rd_idmap *m, uint64_t key, uint32_t val)
{
	uint32_t i;

	if (key == 0 || m->keys == NULL)
		return -EINVAL;
	if (find(m, key, &i))
		return -EEXIST;
	if (m->n >= m->cap)
		return -ENOSPC;
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return 0;
}

int
rd_idmap_set(struct rd_idmap *m, uint64_t key, uint32_t val)
{
	uint32_t i;

	if (!find(m, key, &i))
		return -ENOENT;
	m->vals[i] = val;
	return 0;
}

bool
rd_idmap_get(const struct rd_idmap *m, uint64_t key, uint32_t *val)
{
	uint32_t i;

	if (!find(m, key, &i))
		return false;
	*val = m->vals[i];
	return true;
}

int
rd_idmap_del(struct rd_idmap *m, uint64_t key)
{
	uint32_t i, j, home;

	if (!find(m, key, &i))
		return -ENOENT;
	/* Backward shift: move each later entry of the run into the hole if
	 * its home slot does not lie cyclically in (hole, its slot]. */
	for (j = (i + 1) & m->mask; m->keys[j] != 0; j = (j + 1) & m->mask) {
		home = slot_of(m, m->keys[j]);
		if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			i = j;
		}
	}
	m->keys[i] = 0;
	m->vals[i] = 0;
	m->n--;
	return 0;
}
