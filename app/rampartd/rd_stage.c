/* SPDX-License-Identifier: BSD-3-Clause */
/* Stage cycle counters (rd_stage.h); the rows exist only with -Dstage_cycles=true. */
#include "rd_stage.h"

#include "sa/sa_msg.h"

const char *const rd_stage_names[RD_STG__COUNT] = {
	[RD_STG_RX] = "rx", [RD_STG_CLASSIFY] = "classify", [RD_STG_SPD] = "spd",
	[RD_STG_DISPATCH] = "dispatch", [RD_STG_ESP_IN] = "esp_in", [RD_STG_POST_IN] = "post_in",
	[RD_STG_ESP_OUT] = "esp_out", [RD_STG_L2_OUT] = "l2_out", [RD_STG_TX] = "tx",
	[RD_STG_LOOP] = "loop",
};

#ifdef RD_STAGE_CYCLES
struct rd_stage_row rd_stage[SA_MAX_WORKERS];
#endif
