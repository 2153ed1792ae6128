#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""rampartd speaks systemd's notify protocol (Type=notify, WatchdogSec=).

Plays systemd: a datagram socket as NOTIFY_SOCKET and WATCHDOG_USEC=2 s in
rampartd's environment; rampartd runs on a net_null port (no network, no
hugepages, its own --file-prefix). Requires READY=1 (after the port is up:
the control socket already answers), at least two WATCHDOG=1 within 3 s,
and STOPPING=1 then exit 0 after SIGTERM.

usage: notify.py RAMPARTD RAMPARTCTL
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

CONF = """\
workers: 1
log_level: info
control:
  socket: {sock}
ports:
  - name: pub
    role: public
    device: net_null0
    addresses: [192.0.2.1/24]
"""


def recv_until(s, want, deadline):
    seen = []
    while time.monotonic() < deadline:
        s.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            msg = s.recv(4096).decode()
        except socket.timeout:
            break
        seen.append(msg)
        if want in msg.split("\n"):
            return seen
    sys.exit(f"notify: no {want} (got {seen!r})")


def main():
    rampartd, rampartctl = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "rampart.sock")
        conf = os.path.join(d, "r.yaml")
        with open(conf, "w") as f:
            f.write(CONF.format(sock=sock))
        os.chmod(conf, 0o600)
        ns_path = os.path.join(d, "notify")
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(ns_path)
        env = dict(os.environ, NOTIFY_SOCKET=ns_path, WATCHDOG_USEC="2000000")
        env.pop("WATCHDOG_PID", None)
        p = subprocess.Popen([rampartd, "-c", conf, "--", "-l", "0,1", "--no-huge", "-m", "256",
                              "--no-pci", f"--file-prefix=rpnotify-{os.getpid()}"], env=env)
        try:
            recv_until(ns, "READY=1", time.monotonic() + 60)
            r = subprocess.run([rampartctl, "-s", sock, "ping"], capture_output=True, timeout=10)
            if r.returncode != 0:
                sys.exit(f"notify: READY=1 before the control socket answers: {r.stderr!r}")
            t0 = time.monotonic()
            recv_until(ns, "WATCHDOG=1", t0 + 3)
            recv_until(ns, "WATCHDOG=1", t0 + 3)
            p.send_signal(signal.SIGTERM)
            recv_until(ns, "STOPPING=1", time.monotonic() + 10)
            rc = p.wait(timeout=30)
            if rc != 0:
                sys.exit(f"notify: rampartd exit status {rc}")
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
    print("notify: READY=1, WATCHDOG=1 x2, STOPPING=1, exit 0")


if __name__ == "__main__":
    main()
