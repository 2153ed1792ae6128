/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One manually keyed SA of the configuration (conf manual_sas) as lib/esp
 * parameters. Used by rampartd (ctl_manual.c) and by perf/loadgen, which
 * plays the peer of the same block: it builds the mirror image of each
 * direction, so keys are written once, in the daemon's config.
 * No DPDK state, no rampartd globals.
 */
#ifndef RAMPART_RD_MANUAL_SA_H
#define RAMPART_RD_MANUAL_SA_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/conf.h"
#include "esp/esp.h"

/*
 * SA @i of block @ms in direction @dir (ESP_DIR_IN: spi_in, key_in, from
 * remote to local) as the gateway installs it; user_id @id. With @peer the
 * same SA as the remote end sees it: the direction flips (the gateway's
 * inbound SA is the peer's outbound one), the keys and endpoints stay, and
 * the peer's inbound side takes no anti-replay (a load generator counts,
 * it does not police).
 */
void rd_manual_sa_params(struct esp_sa_params *p, const struct conf_manual_sa *ms, uint32_t i,
			 uint8_t dir, uint64_t id, bool peer);

#endif
