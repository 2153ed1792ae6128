#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Operations: event logs, set-up latency, per-connection gauges, `rampartctl
top` and the Grafana dashboard against a running rampartd (root).

    e2e_ops.py ops --rampartd PATH --rampartctl PATH

rampartd runs with the top-level log_level at debug and its connection "ra"
at warning, and with /metrics on. A strongSwan client connects; then:
  - per-connection level: the info line "event=child_up conn=ra" is not
    written (the connection is at warning) while global info/debug lines
    such as "event=ike_sa_up" are;
  - the scrape (promtool-valid) has rampart_ike_setup_seconds with one
    responder observation and rampart_conn_child_sas{conn="ra"} == 1;
  - every metric name used by docs/grafana/rampart.json exists in the scrape;
  - `rampartctl top --once` and `--iterations 2` render the live view;
  - a flood of 1500 malformed IKE datagrams (lib/ike logs each reject at
    debug) writes a bounded number of lines (burst + rate * seconds), a
    "event=log_suppressed site=ike_lib" summary, and the scrape's
    rampart_log_suppressed_total{site="ike_lib"} (rampartd's limit) and
    rampart_ike_log_debug_dropped_total (lib/ike's own cap of debug lines per
    second) account for the rest;
  - a reload writes "event=config_reload result=ok"; the PSK is never logged.
"""

import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import GW_PUB, LAN_HOST, PSK, args_common, log, sh, wait_for  # noqa: E402
from e2e import cli_main, ping, start_clients  # noqa: E402
from e2e_metrics import LISTEN, parse, promtool, scrape, val  # noqa: E402

DASHBOARD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                         "docs", "grafana", "rampart.json")
LOG_BURST, LOG_RATE = 20, 5         # app/rampartd/rd_log.h RD_LOG_BURST, RD_LOG_RATE_PER_S
FLOOD = 1500

# One malformed INFORMATIONAL request: IKE header, then a payload header whose
# length (0xffff) runs past the datagram, so ike_msg_parse refuses it.
FLOOD_PY = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
m = b"\x11" * 8 + b"\x22" * 8 + bytes([0x29, 0x20, 37, 0x08]) + b"\0\0\0\1" + b"\0\0\0\x24" \
    + b"\0\0\xff\xff" + b"\xee" * 4
for i in range(int(sys.argv[2])):
    s.sendto(m, (sys.argv[1], 500))
    if i % 10 == 9:
        time.sleep(0.004)
"""


def dashboard_metrics():
    with open(DASHBOARD) as f:
        d = json.load(f)
    names = set()
    for p in d["panels"]:
        for t in p.get("targets", []):
            names.update(re.findall(r"\b(rampart_[a-z0-9_]+)", t["expr"]))
    return d, names


def case_ops(args, net, r, res):
    net.base()
    r.write_conf(log_level="debug",
                 extra='metrics: {listen: "%s"}\ncontrol_core: {ike_rate_per_source: 1000, '
                       'ike_burst_per_source: 1000}\n' % LISTEN)
    with open(r.conf) as f:
        text = f.read()
    with open(r.conf, "w") as f:
        f.write(text.replace("  - name: ra\n", "  - name: ra\n    log_level: warning\n", 1))
    # JOURNAL_STREAM as systemd sets it when stderr is the journal: event lines
    # then start with their syslog priority, "<6>rampartd: event=..."
    if not res.check(r.start(env={"JOURNAL_STREAM": "8:12345"}),
                     "rampartd starts (log_level debug, connection ra at warning)"):
        return
    if not res.check(wait_for(lambda: scrape()[0] == 200, 15) is True, "/metrics answers"):
        return
    ns, addr = net.client_ns(1)
    chs, oks = start_clients(net, r, [(ns, addr, "c1", "c1@rampart.test")])
    if not res.check(all(oks), "a strongSwan client connects"):
        return
    ping(ns, LAN_HOST, 3)
    time.sleep(0.6)                 # the snapshot is at most 250 ms old

    # per-connection level
    text = r.log_text()
    res.check("<6>rampartd: ike: " in text,
              "lines without a connection name follow the global level (lib/ike's, priority <6>)")
    res.check("event=child_up" not in text and "event=ike_sa_up" not in text and
              "conn=ra" not in text,
              "connection ra at warning: no info line naming it (ike_sa_up, child_up)",
              "; ".join(ln for ln in text.splitlines() if "conn=ra" in ln)[:400])

    # latency histogram, per-connection gauge, promtool
    code, _, body = scrape()
    s = parse(body) if code == 200 else {}
    promtool(body, res, "the scrape with the histogram and per-connection gauges")
    cnt = val(s, "rampart_ike_setup_seconds_count", role="responder")
    inf = val(s, "rampart_ike_setup_seconds_bucket", role="responder", le="+Inf")
    sm = val(s, "rampart_ike_setup_seconds_sum", role="responder")
    res.check(cnt == 1 and inf == 1 and sm is not None and 0 < sm < 30,
              "rampart_ike_setup_seconds{role=responder}: one set-up, 0 < sum < 30 s",
              "count %s +Inf %s sum %s" % (cnt, inf, sm))
    log("IKE set-up latency (responder, IKE_SA_INIT to child installed): %.3f s" % (sm or -1))
    res.check(val(s, "rampart_ike_setup_seconds_count", role="initiator") == 0,
              "no initiator set-ups counted")
    res.check(val(s, "rampart_conn_child_sas", conn="ra") == 1,
              "rampart_conn_child_sas{conn=\"ra\"} is 1",
              "%s" % val(s, "rampart_conn_child_sas", conn="ra"))

    # the dashboard's metric names exist in a real scrape
    d, names = dashboard_metrics()
    have = {k[0] for k in s}
    missing = sorted(n for n in names if n not in have)
    res.check(len(d["panels"]) >= 8 and len(names) >= 25 and not missing,
              "every metric of docs/grafana/rampart.json (%d names, %d panels) is in the scrape"
              % (len(names), len(d["panels"])), "missing: %s" % missing)

    # rampartctl top
    rc, out = sh([r.ctl_bin, "-s", r.sock, "top", "--once"], check=False, timeout=20)
    res.check(rc == 0 and "rampart top: 1 worker, interval 1." in out and
              "tunnels: 1 IKE SAs, 1 child SAs" in out and re.search(
                  r"^ +0 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9]+$",
                  out, re.M) is not None and "drops by reason" in out,
              "rampartctl top --once shows tunnels, worker 0's rates and drops", out[-600:])
    rc, out = sh([r.ctl_bin, "-s", r.sock, "top", "--iterations", "2"], check=False, timeout=20)
    res.check(rc == 0 and out.count("rampart top:") == 2 and "\033[" not in out,
              "top --iterations 2: two frames, no ANSI codes when not on a terminal")

    # flood of malformed IKE datagrams: bounded log lines, counted suppression
    inv0 = val(s, "rampart_ike_rx_invalid_total") or 0
    sup0 = val(s, "rampart_log_suppressed_total", site="ike_lib") or 0
    cap0 = val(s, "rampart_ike_log_debug_dropped_total") or 0
    lines0 = r.log_text().count("ike: datagram of")
    t0 = time.time()
    sh(["python3", "-c", FLOOD_PY, GW_PUB, str(FLOOD)], ns=ns, check=False, timeout=60)
    elapsed = time.time() - t0
    time.sleep(1.6)                 # the next summary is due within a second
    code, _, body = scrape()
    s2 = parse(body) if code == 200 else {}
    inv = (val(s2, "rampart_ike_rx_invalid_total") or 0) - inv0
    sup = (val(s2, "rampart_log_suppressed_total", site="ike_lib") or 0) - sup0
    cap = (val(s2, "rampart_ike_log_debug_dropped_total") or 0) - cap0
    text = r.log_text()
    lines = text.count("ike: datagram of") - lines0
    bound = LOG_BURST + LOG_RATE * (elapsed + 2)
    log("flood: %d datagrams in %.1f s, %d refused by lib/ike, %d lines written, %d suppressed "
        "by rampartd, %d over lib/ike's own debug cap" % (FLOOD, elapsed, inv, lines, sup, cap))
    res.check(inv >= FLOOD * 2 // 3, "lib/ike refused most of the %d datagrams" % FLOOD,
              "%d" % inv)
    res.check("<7>rampartd: ike: datagram of 36 bytes rejected" in text,
              "the rejects are logged at debug (the top level), priority <7>")
    res.check(0 < lines <= bound, "the flood wrote at most burst + rate * seconds lines (%d)"
              % bound, "%d lines" % lines)
    res.check(sup > 0 and sup + cap >= inv - lines,
              "every refused datagram without a line is counted: rampart_log_suppressed_total"
              "{site=\"ike_lib\"} + rampart_ike_log_debug_dropped_total",
              "suppressed %d + cap %d, refused %d, lines %d" % (sup, cap, inv, lines))
    m = re.findall(r"<4>rampartd: event=log_suppressed site=ike_lib suppressed=(\d+)", text)
    res.check(bool(m) and sum(map(int, m)) == sup,
              "event=log_suppressed summaries name the site and add up",
              "summaries %s, suppressed %d" % (m[:5], sup))
    promtool(body, res, "the scrape after the flood")
    # the JSON of rampartctl stats has the same numbers (one list)
    time.sleep(0.6)
    code, _, body = scrape()
    s3 = parse(body) if code == 200 else {}
    rc, j = r.ctl("stats")
    jc = j.get("control", {}) if rc == 0 and isinstance(j, dict) else {}
    res.check(jc.get("setup_resp", {}).get("count") == 1 and
              jc.get("log_suppressed", {}).get("ike_lib") ==
              val(s3, "rampart_log_suppressed_total", site="ike_lib") and
              j.get("ike", {}).get("log_dropped") == val(s3, "rampart_ike_log_debug_dropped_total"),
              "rampartctl stats (JSON) agrees: setup_resp.count, log_suppressed.ike_lib, "
              "ike.log_dropped", "%s %s %s" % (jc.get("setup_resp"), jc.get("log_suppressed"),
                                               j.get("ike", {}).get("log_dropped")))

    # reload without ra's own level: its lines appear (the debug top level)
    with open(r.conf) as f:
        text = f.read()
    with open(r.conf, "w") as f:
        f.write(text.replace("    log_level: warning\n", "", 1))
    rc, _ = r.ctl("reload")
    time.sleep(0.3)
    res.check(rc == 0 and "<6>rampartd: event=config_reload result=ok" in r.log_text(),
              "a reload writes event=config_reload result=ok")
    rc, j = r.ctl("list-sas")
    ids = [sa.get("id") for sa in j.get("sas", [])] if rc == 0 and isinstance(j, dict) else []
    if ids:
        r.ctl("terminate", str(ids[0]))
    wait_for(lambda: "event=ike_sa_down conn=ra" in r.log_text(), 10)
    text = r.log_text()
    down = [ln for ln in text.splitlines() if "conn=ra" in ln]
    res.check(bool(ids) and any(ln.startswith("<6>rampartd: event=child_down conn=ra ike_sa=%s "
                                              % ids[0]) for ln in down) and
              any(re.match(r"<6>rampartd: event=ike_sa_down conn=ra peer=192\.0\.2\.\d+:\d+ "
                           r"ike_sa=%s reason=" % ids[0], ln) for ln in down),
              "after the reload, ra's lines are written: child_down and ike_sa_down with "
              "conn, peer, ike_sa, reason", "; ".join(down)[:500])
    res.check(PSK not in r.log_text(), "the PSK is not in rampartd's debug log")
    for c in chs:
        c.kill()


CASES = {"ops": case_ops}


if __name__ == "__main__":
    sys.exit(cli_main(CASES))
