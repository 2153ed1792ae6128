#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Prometheus endpoint against a running rampartd and strongSwan (root).

    e2e_metrics.py metrics --rampartd PATH --rampartctl PATH

rampartd runs with `metrics: {listen: "127.0.0.1:9464"}` inside its
namespace. The test scrapes http://127.0.0.1:9464/metrics from inside that
namespace (curl), validates every scrape with `promtool check metrics`
(parse errors and lint problems both fail), connects a strongSwan client,
pings through the tunnel and checks that the worker's decrypted-packet and
byte counters move in the scrape by at least the pings sent, that the scrape
agrees with `rampartctl stats` (JSON) for a set of counters, that every drop
reason of the JSON has its labelled series, and that other paths and
methods are refused. A missing or malformed endpoint fails the case.
"""

import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import N, LAN_HOST, Result, args_common, log, sh, wait_for  # noqa: E402
from e2e import cli_main, ping, start_clients  # noqa: E402
from e2e_hostile import telemetry  # noqa: E402

LISTEN = "127.0.0.1:9464"
URL = "http://%s/metrics" % LISTEN
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(path="/metrics", method="GET"):
    """(HTTP status, content type, body) from inside rampartd's namespace."""
    rc, out = sh(["curl", "-sS", "--max-time", "10", "-X", method, "-o", "-", "-w",
                  "\n@@%{http_code} %{content_type}", "http://%s%s" % (LISTEN, path)],
                 ns=N("gw"), check=False, timeout=20)
    body, _, tail = out.rpartition("\n@@")
    if rc != 0 or not tail:
        return 0, "", out
    code, _, ctype = tail.partition(" ")
    return int(code) if code.isdigit() else 0, ctype.strip(), body


def parse(body):
    """{(name, frozenset(labels)): value} of every sample."""
    out = {}
    for ln in body.splitlines():
        if not ln or ln.startswith("#"):
            continue
        m = SAMPLE.match(ln)
        if not m:
            raise ValueError("not a sample line: %r" % ln)
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def val(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def promtool(body, res, what):
    p = subprocess.run(["promtool", "check", "metrics"], input=body, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    return res.check(p.returncode == 0 and body.strip() != "",
                     "promtool check metrics accepts %s" % what,
                     "rc %d: %s" % (p.returncode, p.stdout.strip()[-800:]))


def stats(r):
    rc, j = r.ctl("stats")
    return j if rc == 0 and isinstance(j, dict) else {}


# JSON path -> (metric, labels): counters that stay put while the tunnel is idle
AGREE = [
    (("ike", "ike_up"), ("rampart_ike_sa_established_total", {})),
    (("ike", "child_up"), ("rampart_ike_child_sa_established_total", {})),
    (("ike", "sas"), ("rampart_ike_sas", {})),
    (("ike", "half_open"), ("rampart_ike_half_open_sas", {})),
    (("ike", "cookies_sent"), ("rampart_ike_cookies_sent_total", {})),
    (("ike", "auth_failed"), ("rampart_ike_auth_failures_total", {})),
    (("control", "child_up"), ("rampart_control_child_sa_installed_total", {})),
    (("control", "ike_in"), ("rampart_control_ike_datagrams_total", {"direction": "in"})),
    (("control", "drops", "no_route"), ("rampart_control_dropped_packets_total",
                                        {"reason": "no_route"})),
    (("workers", 0, "dec_ok"), ("rampart_worker_decrypted_packets_total", {"worker": "0"})),
    (("workers", 0, "enc_ok"), ("rampart_worker_encrypted_packets_total", {"worker": "0"})),
    (("workers", 0, "rx_bytes"), ("rampart_worker_rx_bytes_total", {"worker": "0"})),
    (("workers", 0, "esp_in"), ("rampart_worker_esp_packets_total",
                                {"worker": "0", "direction": "in"})),
    (("workers", 0, "loop_gap_count"), ("rampart_worker_loop_gap_seconds_count",
                                        {"worker": "0"})),
    (("workers", 0, "loop_gap_le_1024us"), ("rampart_worker_loop_gap_seconds_bucket",
                                            {"worker": "0", "le": "0.001024"})),
]


def jget(j, path):
    for k in path:
        try:
            j = j[k]
        except (KeyError, IndexError, TypeError):
            return None
    return j


def case_metrics(args, net, r, res):
    net.base()
    r.write_conf(extra='metrics: {listen: "%s"}\n' % LISTEN)
    with open(r.conf) as f:
        text = f.read().replace("telemetry: false", "telemetry: true")
    with open(r.conf, "w") as f:
        f.write(text)
    if not res.check(r.start(), "rampartd starts with metrics and telemetry on"):
        return
    ok = wait_for(lambda: scrape()[0] == 200, 15)
    code, ctype, body = scrape()
    if not res.check(bool(ok) and code == 200, "GET %s answers 200 inside the namespace" % URL,
                     "" if code == 200 else "status %s: %s" % (code, body.strip()[-300:])):
        return
    res.check(ctype.startswith("text/plain") and "version=0.0.4" in ctype,
              "content type is the Prometheus text format 0.0.4", ctype)
    promtool(body, res, "the scrape of an idle daemon")
    s0 = parse(body)
    for name, lbl in (("rampart_workers", {}), ("rampart_worker_rx_packets_total", {"worker": "0"}),
                      ("rampart_mbufs", {"state": "in_use"}),
                      ("rampart_ring_capacity", {"ring": "punt"}),
                      ("rampart_port_link_up", {"port": "pub"})):
        res.check(val(s0, name, **lbl) is not None, "the scrape has %s%s" % (name, lbl or ""))

    ns, addr = net.client_ns(1)
    chs, oks = start_clients(net, r, [(ns, addr, "c1", "c1@rampart.test")])
    if not res.check(all(oks), "a strongSwan client connects"):
        return
    wait_for(lambda: ping(ns, LAN_HOST, 1, wait=2)[1] == 1, 15)     # ARP, first packets
    time.sleep(0.6)                 # the IKE snapshot is at most 250 ms old
    code, _, body = scrape()
    s1 = parse(body) if code == 200 else {}
    n = 10
    t, rcv = ping(ns, LAN_HOST, n)
    time.sleep(0.3)
    code, _, body = scrape()
    s2 = parse(body) if code == 200 else {}
    dec1 = val(s1, "rampart_worker_decrypted_packets_total", worker="0")
    dec2 = val(s2, "rampart_worker_decrypted_packets_total", worker="0")
    res.check(rcv >= 1 and dec1 is not None and dec2 is not None and dec2 - dec1 >= rcv,
              "rampart_worker_decrypted_packets_total moves with the pings through the tunnel",
              "%s -> %s after %d/%d echo replies" % (dec1, dec2, rcv, t))
    b1 = val(s1, "rampart_worker_rx_bytes_total", worker="0")
    b2 = val(s2, "rampart_worker_rx_bytes_total", worker="0")
    res.check(b1 is not None and b2 is not None and b2 - b1 >= rcv * 84,
              "rampart_worker_rx_bytes_total moves by at least the echo bytes",
              "%s -> %s" % (b1, b2))
    res.check((val(s2, "rampart_ike_sa_established_total") or 0) >= 1 and
              val(s2, "rampart_ike_sas") == 1 and val(s2, "rampart_child_sas_installed") == 1,
              "IKE SA and child SA counts show the client",
              "established %s sas %s children %s" % (val(s2, "rampart_ike_sa_established_total"),
                                                     val(s2, "rampart_ike_sas"),
                                                     val(s2, "rampart_child_sas_installed")))
    promtool(body, res, "the scrape with a tunnel up")
    _, out = sh(["sh", "-c", "for i in $(seq 20); do curl -s -o /dev/null -w "
                 "'%%{time_total}\\n' %s; done" % URL], ns=N("gw"), check=False)
    times = sorted(float(x) for x in out.split() if re.match(r"^[0-9.]+$", x))
    log("scrape: %d bytes, %d samples, %d families; curl time_total median %.1f ms, max "
        "%.1f ms (20 scrapes)" % (len(body), len(s2), body.count("# TYPE "),
                                  1000 * times[len(times) // 2] if times else -1,
                                  1000 * times[-1] if times else -1))

    # JSON, scrape and telemetry agree: json before <= other <= json after (idle tunnel)
    j1 = stats(r)
    time.sleep(0.6)
    code, _, body = scrape()
    s3 = parse(body) if code == 200 else {}
    tel = telemetry(r, "/rampart/workers,0") or {}
    j2 = stats(r)
    bad = []
    for path, (name, lbl) in AGREE:
        a, b, p = jget(j1, path), jget(j2, path), val(s3, name, **lbl)
        if a is None or b is None or p is None or not (a <= p <= b):
            bad.append("%s=%s..%s vs %s%s=%s" % (".".join(map(str, path)), a, b, name, lbl, p))
    res.check(not bad and bool(j1), "rampartctl stats (JSON) and the scrape agree on %d counters"
              % len(AGREE), "; ".join(bad))
    g1, g2 = jget(j1, ("workers", 0, "loop_gap_count")), jget(j2, ("workers", 0, "loop_gap_count"))
    res.check(g1 is not None and g2 is not None and g2 > g1 and
              jget(j2, ("workers", 0, "loop_gap_max_us")) is not None,
              "the worker loop-gap histogram moves (loop_gap_count, loop_gap_max_us in JSON)",
              "%s -> %s, max %s us" % (g1, g2, jget(j2, ("workers", 0, "loop_gap_max_us"))))
    # every drop reason of the JSON is a labelled series of the scrape
    missing = []
    for key, name in (("drops", "rampart_worker_dropped_packets_total"),
                      ("esp_drops", "rampart_esp_dropped_packets_total")):
        for reason, v in (jget(j2, ("workers", 0, key)) or {"<none>": 0}).items():
            p = val(s3, name, worker="0", reason=reason)
            if p is None or p < (jget(j1, ("workers", 0, key, reason)) or 0) or p > v:
                missing.append("%s{reason=%s}=%s json %s" % (name, reason, p, v))
    res.check(not missing, "every worker drop reason of the JSON is in the scrape and agrees",
              "; ".join(missing[:6]))
    # the one list: every scalar worker counter of the JSON is also in DPDK
    # telemetry (same name, same value while idle)
    w1, w2 = jget(j1, ("workers", 0)) or {}, jget(j2, ("workers", 0)) or {}
    names = [k for k, v in w1.items() if isinstance(v, int) and k not in ("id", "lcore")
             and not k.startswith("esp_")]
    diff = [k for k in names if not (w1[k] <= tel.get(k, -1) <= w2.get(k, -1))]
    res.check(bool(tel) and len(names) >= 15 and not diff,
              "telemetry /rampart/workers,0 has every worker counter of the JSON (%d)"
              % len(names), "missing or differing: %s" % diff[:8] if tel else "no answer")
    # refusals, and the daemon keeps serving
    c404 = scrape("/")[0]
    c405 = scrape("/metrics", "POST")[0]
    res.check(c404 == 404 and c405 == 405, "other paths get 404, other methods 405",
              "/ -> %s, POST -> %s" % (c404, c405))
    code, _, body = scrape()
    s4 = parse(body) if code == 200 else {}
    res.check(code == 200 and (val(s4, "rampart_metrics_refused_total") or 0) >= 2,
              "refusals are counted in rampart_metrics_refused_total",
              "%s" % val(s4, "rampart_metrics_refused_total"))
    for c in chs:
        c.kill()


CASES = {"metrics": case_metrics}


if __name__ == "__main__":
    sys.exit(cli_main(CASES))
