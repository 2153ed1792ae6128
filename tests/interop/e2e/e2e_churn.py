#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""rampartd under tunnel churn: resources return to their baseline (root).

    e2e_churn.py churn --rampartd PATH --rampartctl PATH --churn PATH
                 [--total N] [--batch N] [--forget PCT] [--rss-tol-kb KB] [--asan]

perf/ike-churn (lib/ike over UDP sockets, in its own namespace with 8 source
addresses) sets up --total IKE SAs with a child SA and a virtual IP each,
deletes most of them and forgets --forget percent without a Delete; rampartd
must reap those through DPD (2 s idle, retransmits 0.5 + 1 + 2 s). Baseline,
peak and after values of `rampartctl --json stats` (resources, ike gauges,
per-worker tables) and VmRSS are printed as a table and compared:

- exactly back to baseline: DPDK heap bytes and allocation count, mbufs in
  use, IKE SAs, child SAs, pool leases, half-open SAs, rampartd's child
  records, every worker's SA entries, routes and targets, message backlog;
- glibc malloc in use (mallinfo2): at most --malloc-tol bytes above
  (default 8192). rampartd runs with glibc's tcache off
  (GLIBC_TUNABLES=glibc.malloc.tcache_count=0): mallinfo2 counts chunks
  parked in a thread's tcache as in use, which moved the figure by up to
  10 KB from one run to the next. Without it the figure returns to the byte
  (two runs: +0); the tolerance leaves room for a one-off first use, while
  a leak of one chunk per set-up in 1000 set-ups is 16 KB or more;
- RSS: at most --rss-tol-kb above baseline (default 2048 KiB): with
  --no-huge DPDK memory is first touched lazily (mbufs taken from the pool
  for the first time), and glibc keeps freed pages; the exact counters
  carry the leak proof, RSS is the cross-check.

The baseline is taken after a warm-up run (--warm, default --total set-ups)
once everything has returned to zero: first-use allocations (mempool
caches, OpenSSL method tables, neighbour entries, first-touched pages) are
not leaks.

--asan: rampartd is an ASan/LSan build; after SIGTERM its log must hold no
LeakSanitizer or AddressSanitizer report and no UBSan runtime error, and it
must exit 0 (LSan exits non-zero on a leak).
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import arg_parser, GW_ID, GW_PUB, N, PSK, Result, log, sh, wait_for  # noqa: E402
from e2e import finish, run_cli, start_gw  # noqa: E402

# Compared with a tolerance, not exactly (see the module doc).
TOLERANT = ("rss_kb", "rss_anon_kb", "rss_shmem_kb", "malloc_bytes")
SRC = ["192.0.2.%d" % a for a in range(100, 108)]
CHURN_POOL = "10.99.0.0/20"

# (label, path in the stats reply) compared exactly against the baseline
EXACT = [
    ("heap_bytes", ("resources", "heap_bytes")),
    ("heap_allocs", ("resources", "heap_allocs")),
    ("malloc_bytes", ("resources", "malloc_bytes")),
    ("mbufs_in_use", ("resources", "mbufs_in_use")),
    ("child_records", ("resources", "child_records")),
    ("msg_backlog", ("resources", "msg_backlog")),
    ("ike_sas", ("ike", "sas")),
    ("child_sas", ("ike", "children")),
    ("pool_leases", ("ike", "pool_leases")),
    ("half_open", ("ike", "half_open")),
]


def stats(r):
    rc, j = r.ctl("stats", timeout=20)
    return j if rc == 0 and isinstance(j, dict) else None


def rss_kb(pid, field="VmRSS"):
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith(field + ":"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return -1


def flat(j, pid):
    """The compared values of one stats reply, plus RSS from /proc."""
    v = {}
    for label, path in EXACT:
        x = j
        for k in path:
            x = x.get(k, {}) if isinstance(x, dict) else {}
        v[label] = x if isinstance(x, int) else None
    for w in j.get("workers", []):
        for k in ("sa_entries", "routes", "targets"):
            v["w%s_%s" % (w.get("id"), k)] = w.get("resources", {}).get(k)
    v["rss_kb"] = rss_kb(pid)
    v["rss_anon_kb"] = rss_kb(pid, "RssAnon")
    v["rss_shmem_kb"] = rss_kb(pid, "RssShmem")
    return v


def daemon_pid(r):
    """rampartd's pid (the spawned process may be an env wrapper)."""
    return r.proc.pid


def run_gen(args, total, prefix, out):
    cmd = [args.churn, "--gw", GW_PUB, "--src", ",".join(SRC), "--psk", PSK, "--gw-id", GW_ID,
           "--total", str(total), "--batch", str(args.batch), "--forget", str(args.forget),
           "--ike", "aes128gcm16-prfsha256-x25519", "--esp", "aes128gcm16",
           "--remote-ts", "10.1.0.0/24", "--prefix", prefix]
    t0 = time.monotonic()
    p = subprocess.run(["ip", "netns", "exec", N("ch")] + cmd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=args.timeout)
    with open(out, "a") as f:
        f.write(p.stdout)
    m = re.search(r"^RESULT (.*)$", p.stdout, re.M)
    res = dict(kv.split("=", 1) for kv in m.group(1).split()) if m else {}
    return p.returncode, res, time.monotonic() - t0


def settled(r, pid, base=None):
    """Stats once no SA, lease or child record is left (and, with @base, the
    exact counters are back): polled, since deletes and DEL acks travel
    through rings and DPD reaps forgotten clients after a few seconds."""
    last = [None]

    def done():
        j = stats(r)
        if j is None:
            return False
        v = flat(j, pid)
        last[0] = v
        if any(v[k] != 0 for k in ("ike_sas", "child_sas", "pool_leases", "half_open",
                                   "child_records", "msg_backlog")):
            return False
        if base is not None:
            return all(v[k] == base[k] for k in v if k not in TOLERANT)
        return True
    ok = wait_for(done, 90, step=1.0)
    return bool(ok), last[0]


def case_churn(args, net, r, res):
    # glibc's per-thread tcache keeps up to 7 freed chunks of each small size
    # outside the arena's free lists, and mallinfo2 counts them as in use:
    # whatever the last few frees of each thread were moves malloc_bytes by
    # kilobytes. Without the tcache every freed chunk is counted free, so the
    # malloc check measures what is really held.
    env = None if args.asan else {"GLIBC_TUNABLES": "glibc.malloc.tcache_count=0"}
    if not start_gw(net, r, res, env=env, pool=CHURN_POOL, dpd="2s", rbase="500ms", rtries=3,
                    log_level="info"):
        return
    net.attach(N("ch"), "e2e-ch", SRC[0] + "/24", "e2e-sch")
    for a in SRC[1:]:
        sh(["ip", "addr", "add", a + "/24", "dev", "e2e-ch"], ns=N("ch"))
    pid = daemon_pid(r)
    genlog = os.path.join(net.dir, "ike-churn.log")

    warm = args.warm if args.warm is not None else args.total
    rc, gres, dt = run_gen(args, warm, "w", genlog)
    res.check(rc == 0, "warm-up: %d set-ups and tear-downs" % warm, str(gres))
    ok, base = settled(r, pid)
    res.check(ok, "warm-up: rampartd back to zero SAs, leases and records", str(base))
    if not ok:
        return
    j0 = stats(r)

    peak = dict(base)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            j = stats(r)
            if j is not None:
                for k, v in flat(j, pid).items():
                    if isinstance(v, int) and (peak.get(k) is None or v > peak[k]):
                        peak[k] = v
            stop.wait(0.5)
    th = threading.Thread(target=sample)
    th.start()
    try:
        rc, gres, dt = run_gen(args, args.total, "u", genlog)
    finally:
        stop.set()
        th.join()
    n_ok = int(gres.get("setups", 0))
    forgotten = int(gres.get("forgotten", 0))
    res.check(rc == 0 and n_ok == args.total and forgotten > 0,
              "%d set-ups and tear-downs (%s forgotten without a Delete)"
              % (args.total, gres.get("forgotten")),
              "%s in %.0f s" % (gres, dt))
    t0 = time.monotonic()
    ok, after = settled(r, pid, base)
    res.check(ok, "rampartd reaped the %d forgotten clients (DPD) and freed everything" % forgotten,
              "%s" % after)
    log("settled %.1f s after the generator finished" % (time.monotonic() - t0))
    j1 = stats(r)

    print("%-16s %12s %12s %12s" % ("", "baseline", "peak", "after"))
    for k in sorted(base):
        print("%-16s %12s %12s %12s" % (k, base.get(k), peak.get(k), (after or {}).get(k)))
    res.check(peak["ike_sas"] > 0 and (args.asan or (peak["child_records"] > 0 and
                                                     peak["w0_sa_entries"] > 0)),
              "the samples saw the churn (peak IKE SAs, child records, SA entries > 0)",
              "peak ike_sas %s child_records %s w0_sa_entries %s"
              % (peak["ike_sas"], peak["child_records"], peak["w0_sa_entries"]))
    after = after or {}
    for k in sorted(base):
        if k in TOLERANT:
            continue
        res.check(after.get(k) == base[k], "%s back to its baseline" % k,
                  "baseline %s peak %s after %s" % (base[k], peak.get(k), after.get(k)))
    mgrow = (after.get("malloc_bytes") or 0) - (base["malloc_bytes"] or 0)
    res.check(mgrow <= args.malloc_tol, "glibc malloc in use within %d bytes of its baseline"
              % args.malloc_tol, "baseline %s peak %s after %s (%+d bytes)"
              % (base["malloc_bytes"], peak.get("malloc_bytes"), after.get("malloc_bytes"), mgrow))
    grow = after.get("rss_kb", -1) - base["rss_kb"]
    if args.asan:
        log("RSS not checked under ASan (quarantine and shadow memory): %+d KiB" % grow)
        return
    res.check(base["rss_kb"] > 0 and after.get("rss_kb", -1) > 0 and grow <= args.rss_tol_kb,
              "RSS within %d KiB of its baseline" % args.rss_tol_kb,
              "baseline %d KiB, peak %s, after %s (%+d KiB)"
              % (base["rss_kb"], peak.get("rss_kb"), after.get("rss_kb"), grow))
    if j0 and j1:
        d = {k: j1["ike"].get(k, 0) - j0["ike"].get(k, 0) for k in ("ike_up", "ike_down",
                                                                    "child_up", "child_down")}
        c = {k: j1["control"].get(k, 0) - j0["control"].get(k, 0)
             for k in ("child_up", "child_down", "child_fail")}
        log("counters during the run: ike %s control %s" % (d, c))
        log("control stats after: %s" % j1["control"])
        res.check(d["ike_up"] >= args.total and d["ike_down"] == d["ike_up"] and
                  c["child_up"] == c["child_down"] and c["child_up"] >= args.total and
                  c["child_fail"] == 0,
                  "every IKE SA and child SA that came up went down again",
                  "ike %s control %s" % (d, c))


def finish_asan(net, r, res):
    ok = r.stop()
    text = r.log_text()
    bad = [ln for ln in text.splitlines()
           if re.search(r"LeakSanitizer|AddressSanitizer|runtime error:", ln)]
    res.check(ok, "ASan rampartd exits 0 on SIGTERM (LSan ran and found nothing)")
    res.check(not bad, "no LeakSanitizer/AddressSanitizer/UBSan report in rampartd's log",
              "; ".join(bad[:5]))
    if bad or not ok:
        print("\n".join(text.splitlines()[-120:]))
    r.stop = lambda: ok     # already stopped: finish() reports the same exit
    return finish(net, r, res)


def main():
    ap = arg_parser(["churn"])
    ap.add_argument("--churn", required=True, help="perf/ike-churn")
    ap.add_argument("--total", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--forget", type=int, default=10)
    ap.add_argument("--warm", type=int, default=None, help="warm-up set-ups (default: --total)")
    ap.add_argument("--rss-tol-kb", type=int, default=2048)
    ap.add_argument("--malloc-tol", type=int, default=8192)
    ap.add_argument("--timeout", type=int, default=3600)
    ap.add_argument("--asan", action="store_true")
    args = ap.parse_args()
    # ASan: SIGTERM, then LeakSanitizer's report is read from the log
    return run_cli(args, {"churn": case_churn}, name="churn-asan" if args.asan else "churn",
                   tools=(args.churn,), finish_fn=finish_asan if args.asan else None)


if __name__ == "__main__":
    sys.exit(main())
