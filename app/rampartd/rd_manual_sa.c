/* SPDX-License-Identifier: BSD-3-Clause */
/* Manual SA -> lib/esp parameters (rd_manual_sa.h). */
#include "rd_manual_sa.h"

#include <string.h>

void
rd_manual_sa_params(struct esp_sa_params *p, const struct conf_manual_sa *ms, uint32_t i,
		    uint8_t dir, uint64_t id, bool peer)
{
	bool in = dir == ESP_DIR_IN;

	memset(p, 0, sizeof(*p));
	p->dir = peer ? (in ? ESP_DIR_OUT : ESP_DIR_IN) : dir;
	p->spi = in ? ms->spi_in + i : ms->spi_out + i;
	p->enc = (uint8_t)ms->enc;
	p->integ = (uint8_t)ms->integ;
	p->enc_key_len = (uint8_t)ms->enc_key_len;
	p->integ_key_len = (uint8_t)ms->integ_key_len;
	p->outer_af = ms->af;
	memcpy(p->enc_key, in ? ms->key_in : ms->key_out,
	       ms->enc_key_len + (ms->enc == ESP_ENC_AES_GCM16 ? 4u : 0u));
	if (ms->integ_key_len)
		memcpy(p->integ_key, in ? ms->integ_in : ms->integ_out, ms->integ_key_len);
	memcpy(p->outer_src, in ? ms->remote : ms->local, 16);
	memcpy(p->outer_dst, in ? ms->local : ms->remote, 16);
	if (p->dir == ESP_DIR_IN) {
		p->replay_window = peer ? 0 : ms->replay_window;
		p->no_replay = peer || ms->replay_window == 0;
	}
	p->user_id = id;
}
