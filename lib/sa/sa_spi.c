/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inbound SPI allocator (see sa_spi.h). Control core only; plain heap
 * memory so unit tests run it without EAL.
 */
#include "sa/sa_spi.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "sa/sa_msg.h"

/* One direct-index slot of a worker: which SPI holds it and until when. */
struct spi_slot {
	uint32_t spi;			/* 0: free */
	uint32_t until_s;		/* reserved until (seconds); HELD: installed */
};

enum { SLOT_HELD = UINT32_MAX };

struct sa_spi_alloc {
	unsigned n_workers;
	unsigned n_rand;		/* unused words left in rnd */
	uint32_t rnd[SA_SPI_RAND_WORDS];
	struct spi_slot *slots[SA_MAX_WORKERS];	/* SA_SPI_INDEX_SIZE each */
};

int
sa_spi_alloc_create(unsigned n_workers, struct sa_spi_alloc **out)
{
	struct sa_spi_alloc *a;
	unsigned w;

	if (n_workers == 0 || n_workers > SA_MAX_WORKERS || out == NULL)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	a->n_workers = n_workers;
	for (w = 0; w < n_workers; w++) {
		a->slots[w] = calloc(SA_SPI_INDEX_SIZE, sizeof(*a->slots[w]));
		if (a->slots[w] == NULL) {
			sa_spi_alloc_destroy(a);
			return -ENOMEM;
		}
	}
	*out = a;
	return 0;
}

void
sa_spi_alloc_destroy(struct sa_spi_alloc *a)
{
	unsigned w;

	if (a == NULL)
		return;
	for (w = 0; w < SA_MAX_WORKERS; w++)
		free(a->slots[w]);
	memset(a->rnd, 0, sizeof(a->rnd));
	free(a);
}

/* Next CSPRNG word; -EIO when the kernel cannot provide one. */
static int
rand32(struct sa_spi_alloc *a, uint32_t *v)
{
	if (a->n_rand == 0) {
		if (getrandom(a->rnd, sizeof(a->rnd), 0) != (ssize_t)sizeof(a->rnd))
			return -EIO;
		a->n_rand = SA_SPI_RAND_WORDS;
	}
	*v = a->rnd[--a->n_rand];
	a->rnd[a->n_rand] = 0;		/* a used word is not kept around */
	return 0;
}

static bool
slot_free(const struct spi_slot *s, uint32_t now_s)
{
	return s->spi == 0 || (s->until_s != SLOT_HELD && s->until_s <= now_s);
}

int
sa_spi_alloc(struct sa_spi_alloc *a, unsigned worker, uint64_t now_ms, uint32_t *spi)
{
	uint32_t now_s = (uint32_t)(now_ms / 1000), r, s;
	unsigned tries;
	int rc;

	if (a == NULL || spi == NULL || worker >= a->n_workers)
		return -EINVAL;
	for (tries = 0; tries < SA_SPI_TRIES; tries++) {
		struct spi_slot *sl;

		rc = rand32(a, &r);
		if (rc != 0)
			return rc;
		/* index: the low SA_SPI_INDEX_BITS; gen: the next SA_SPI_GEN_BITS */
		s = sa_spi_make(worker, r >> SA_SPI_INDEX_BITS, r);
		if (s == 0)
			continue;	/* reserved (< 256) */
		sl = &a->slots[worker][sa_spi_index(s)];
		if (!slot_free(sl, now_s))
			continue;
		sl->spi = s;
		sl->until_s = now_s + SA_SPI_RESERVE_MS / 1000;
		if (sl->until_s == SLOT_HELD)
			sl->until_s--;
		*spi = s;
		return 0;
	}
	return -ENOSPC;
}

int
sa_spi_keep(struct sa_spi_alloc *a, uint32_t spi)
{
	unsigned w = sa_spi_worker(spi);
	struct spi_slot *sl;

	if (a == NULL || w >= a->n_workers)
		return -EINVAL;
	sl = &a->slots[w][sa_spi_index(spi)];
	if (sl->spi != spi && sl->spi != 0 && sl->until_s == SLOT_HELD)
		return -EEXIST;
	/* ours, free, or another SPI's lapsed reservation (that SPI would now
	 * collide with ours only in the index: lib/esp falls back to its hash) */
	sl->spi = spi;
	sl->until_s = SLOT_HELD;
	return 0;
}

void
sa_spi_release(struct sa_spi_alloc *a, uint32_t spi)
{
	unsigned w = sa_spi_worker(spi);
	struct spi_slot *sl;

	if (a == NULL || w >= a->n_workers)
		return;
	sl = &a->slots[w][sa_spi_index(spi)];
	if (sl->spi == spi) {
		sl->spi = 0;
		sl->until_s = 0;
	}
}

bool
sa_spi_is_held(const struct sa_spi_alloc *a, uint32_t spi)
{
	unsigned w = sa_spi_worker(spi);
	const struct spi_slot *sl;

	if (a == NULL || w >= a->n_workers)
		return false;
	sl = &a->slots[w][sa_spi_index(spi)];
	return sl->spi == spi && sl->until_s == SLOT_HELD;
}
