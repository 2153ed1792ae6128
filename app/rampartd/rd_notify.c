/* SPDX-License-Identifier: BSD-3-Clause */
/* systemd notification: see rd_notify.h. */
#include <stdbool.h>
#include <stdio.h>

#include "rd_notify.h"

#ifdef RD_SYSTEMD
#include <systemd/sd-daemon.h>

static uint64_t wd_period_ms;	/* 0: no watchdog */
static uint64_t wd_next_ms;

void
rd_notify_ready(const char *status)
{
	uint64_t usec = 0;
	char buf[256];

	/* The daemon's own pid only: no child inherits WATCHDOG_USEC. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 4000)
		wd_period_ms = usec / 4000;
	snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s", status != NULL ? status : "running");
	sd_notify(0, buf);
}

void
rd_notify_stopping(void)
{
	wd_period_ms = 0;
	sd_notify(0, "STOPPING=1");
}

void
rd_notify_watchdog(uint64_t now_ms)
{
	if (wd_period_ms == 0 || now_ms < wd_next_ms)
		return;
	wd_next_ms = now_ms + wd_period_ms;
	sd_notify(0, "WATCHDOG=1");
}

#else

void
rd_notify_ready(const char *status)
{
	(void)status;
}

void
rd_notify_stopping(void)
{
}

void
rd_notify_watchdog(uint64_t now_ms)
{
	(void)now_ms;
}

#endif
