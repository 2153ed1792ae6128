/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inbound SPI allocation, on the control core only (no locks):
 *
 *   SPI = owner worker (top SA_SPI_WORKER_BITS) | gen | direct index
 *
 * Both fields below the owner are drawn from the kernel's CSPRNG
 * (getrandom), so a SPI seen on the wire tells nothing about the next one
 * or about other live SPIs (junk and replays cannot be aimed at them for
 * free). The index is taken only when its slot in the owner's map is free,
 * so every live inbound SA of a worker keeps a direct-index slot of its own
 * (lib/esp finds it without the hash); the check is one array read, never
 * a walk over SAs. SPIs 0..255 (RFC 4303 2.1) are never returned.
 *
 * Slot life: sa_spi_alloc() reserves it for SA_SPI_RESERVE_MS (IKE may never
 * install the SPI: a failed exchange just forgets it); sa_spi_keep() when
 * the SA is installed keeps it until sa_spi_release(), called once the
 * owner worker acknowledged the SA's delete.
 */
#ifndef RAMPART_SA_SPI_H
#define RAMPART_SA_SPI_H

#include <stdbool.h>
#include <stdint.h>

enum sa_spi_alloc_limits {
	SA_SPI_RESERVE_MS = 600000,	/* an allocated, never installed SPI's slot */
	SA_SPI_TRIES = 64,		/* random draws before giving up (-ENOSPC) */
	SA_SPI_RAND_WORDS = 64,		/* CSPRNG words fetched per getrandom() */
};

struct sa_spi_alloc;

/* Returns 0, -EINVAL (n_workers 0 or > SA_MAX_WORKERS) or -ENOMEM. */
int sa_spi_alloc_create(unsigned n_workers, struct sa_spi_alloc **out);
void sa_spi_alloc_destroy(struct sa_spi_alloc *a);

/*
 * A fresh inbound SPI owned by @worker; @now_ms: monotonic milliseconds.
 * Returns 0 (*spi set), -EINVAL (bad worker), -ENOSPC (no free slot found
 * in SA_SPI_TRIES draws) or -EIO (CSPRNG failed).
 */
int sa_spi_alloc(struct sa_spi_alloc *a, unsigned worker, uint64_t now_ms, uint32_t *spi);

/* @spi's SA is installed: keep its slot until sa_spi_release(). 0, or
 * -EEXIST when the slot belongs to another SPI (found through the hash). */
int sa_spi_keep(struct sa_spi_alloc *a, uint32_t spi);

/* @spi's SA is gone (delete acknowledged): its slot is free again. */
void sa_spi_release(struct sa_spi_alloc *a, uint32_t spi);

/* Is @spi's slot held (installed, not yet released)? For tests and checks. */
bool sa_spi_is_held(const struct sa_spi_alloc *a, uint32_t spi);

#endif
