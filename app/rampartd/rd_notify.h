/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * systemd service notification (Type=notify): READY=1 once the ports are up
 * and IKE listens, STOPPING=1 at shutdown, WATCHDOG=1 from the control loop
 * when the unit sets WatchdogSec= (WATCHDOG_USEC in the environment). All
 * three do nothing outside systemd (no NOTIFY_SOCKET) or in a build without
 * libsystemd (meson -Dsystemd=disabled).
 */
#ifndef RAMPART_RD_NOTIFY_H
#define RAMPART_RD_NOTIFY_H

#include <stdint.h>

void rd_notify_ready(const char *status);
void rd_notify_stopping(void);
/* Called from the control loop at least every 500 ms; pings at a quarter of
 * the watchdog period, so a stuck control loop gets the unit restarted. */
void rd_notify_watchdog(uint64_t now_ms);

#endif
