/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `rampartctl top`: a live view of rampartd from two `stats` replies (JSON)
 * taken @dt_s seconds apart: tunnels, per-worker Mpps and Gbps from counter
 * deltas, drops by reason, IKE rates. Rendering is separate from fetching so
 * tests/unit/test_top.c can check it on fixed snapshots.
 */
#ifndef RAMPART_CTL_TOP_H
#define RAMPART_CTL_TOP_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* One frame to @f. @prev may be NULL (rates shown as "-"). */
void top_render(FILE *f, const json_t *prev, const json_t *cur, double dt_s);

/*
 * Fetch "stats" through @fetch (returns a new reference or NULL) every
 * @interval_ms, render @iterations frames (0 = until interrupted); @clear:
 * ANSI home + clear before each frame. The first frame waits one interval
 * so that it has rates. 0, or 1 when the daemon cannot be asked.
 */
int top_run(json_t *(*fetch)(void *arg), void *arg, unsigned iterations, unsigned interval_ms,
	    bool clear);

#endif
