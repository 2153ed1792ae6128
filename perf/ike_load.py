#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""perf/ike-load: IKEv2 set-up load against rampartd and strongSwan's charon (root).

    ike_load.py --rampartd PATH --rampartctl PATH --churn PATH --floor PATH
                [--total N] [--window N] [--repeats N] [--auth psk,cert] [--keep]

For each authentication method (PSK, ECDSA P-256 certificates; IKE
aes128gcm16-prfsha256-x25519, ESP aes128gcm16, a virtual IP from a pool per
client) both responders run at the same time on the same machine:

    e2e<pid>-ld  perf/ike-churn --load, 16 source addresses 192.0.2.100-115
        |   (bridge in e2e<pid>-sw)
        +-- e2e<pid>-gw  rampartd 192.0.2.1 (net_af_packet, 1 worker)
        +-- e2e<pid>-ss  charon 192.0.2.2 (kernel-libipsec, own /run)

and are loaded in turn (one warm-up run each, not counted, then rampartd,
charon, rampartd, ... --repeats times):
ike-churn sets up --total IKE SAs with their first child, --window in flight
at a time, then deletes them all; the responder's utime+stime
(/proc/PID/stat) is read by the generator right before the first set-up
and right after the last one. The responder's idle CPU rate (measured for
3 s before the runs: rampartd's worker backs off but still wakes up) times
the run's duration is subtracted. The crypto floor (perf/ike-floor: X25519,
KDF, PSK or ECDSA AUTH with lib/ike's functions) is measured in the same
run. Certificates (throwaway CA, gateway, one per client identity) are made
with openssl in the temporary directory, which is removed at the end
(--keep keeps it).

Output: one row per run, the medians per responder and method, then per
method

    SUMMARY tunnels_held=na mem_per_tunnel_kib=na worker_gap_max_us=na
            ike_cpu_vs_strongswan=R ike_vs_crypto_floor=R auth=A setups_per_s=X

(one line, shown wrapped; the first five fields are issue 9's common
SUMMARY, of which perf/scale measures the first three and this command
the last two: "na" = not measured here). R = rampartd's responder CPU per SA / charon's (target <= 0.5) and / the
crypto floor (target <= 1.5); X = rampartd's set-up rate (medians over the
repeats). Exit status 0 when every run completed (every set-up and delete
succeeded), 1 otherwise (targets not met do not fail it), 77 when not root
or charon is missing.
"""

import argparse
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "interop", "e2e"))
from e2e_lib import (GW_ID, GW_LAN, GW_PUB, PSK, PSK_AUTH, Charon, N, Net, Rampartd,  # noqa: E402
                     gw_yaml, log, ra_conn, sh, wait_for, write_private)

SS_PUB = "192.0.2.2"
SRC = ["192.0.2.%d" % a for a in range(100, 116)]
POOL = "10.99.0.0/20"
IKE = "aes128gcm16-prfsha256-x25519"
ESP = "aes128gcm16"
CHARON = "/usr/lib/ipsec/charon"

# rampartd as a responder under a set-up load: no COOKIEs
IKE_OPTS = """  cookie_threshold: 100000
  half_open_max: 100000
  retransmit_base: 1s
  retransmit_tries: 5
"""

# charon as a responder under a benchmark load: no COOKIEs, no blocking,
# hashed SA table (strongswan.conf's charon options and plugin sections)
CHARON_OPTS = """	install_routes = no
	install_virtual_ip = no
	cookie_threshold = 1000000
	cookie_threshold_ip = 1000000
	block_threshold = 1000000
	init_limit_half_open = 0
	init_limit_job_load = 0
	ikesa_table_size = 4096
	ikesa_table_segments = 16
	retransmit_timeout = 2.0
	retransmit_tries = 4
"""
CHARON_PLUGIN_OPTS = """		revocation {
			enable_ocsp = no
			enable_crl = no
		}
"""

SWANCTL_CONF = """connections {{
	ld {{
		version = 2
		local_addrs = {addr}
		proposals = {ike}
		pools = ldpool
		mobike = no
		unique = never
		dpd_delay = 0
		local {{
{local}
			id = {gwid}
		}}
		remote {{
{remote}
		}}
		children {{
			ld {{
				local_ts = 10.1.0.0/24
				esp_proposals = {esp}
			}}
		}}
	}}
}}
pools {{
	ldpool {{
		addrs = {pool}
	}}
}}
secrets {{
{secrets}
}}
"""


def make_certs(d, n):
    """CA, gateway cert (dNSName gw.rampart.test), one client key and a cert
    per client identity u<i>.churn.test (ECDSA P-256, openssl)."""
    os.makedirs(d, exist_ok=True)

    def ossl(*a):
        sh(["openssl"] + list(a), timeout=60)
    for k in ("ca", "gw", "client"):
        ossl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
             os.path.join(d, k + ".key"))
    ossl("req", "-new", "-x509", "-key", os.path.join(d, "ca.key"), "-subj",
         "/CN=ike-load throwaway CA", "-days", "2", "-out", os.path.join(d, "ca.pem"))

    def leaf(key, cn, san, out):
        ossl("req", "-new", "-x509", "-key", os.path.join(d, key), "-subj", "/CN=" + cn,
             "-addext", "subjectAltName=DNS:" + san, "-addext", "basicConstraints=CA:FALSE",
             "-CA", os.path.join(d, "ca.pem"), "-CAkey", os.path.join(d, "ca.key"),
             "-days", "2", "-out", os.path.join(d, out))
    leaf("gw.key", GW_ID, GW_ID, "gw.pem")
    # One openssl process per client certificate takes 5-100 ms on a busy
    # 2-core machine; the clients' certificates are signed in-process instead
    # (python3-cryptography, on the same OpenSSL) with the CA made above.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID
    t0 = time.monotonic()
    with open(os.path.join(d, "ca.pem"), "rb") as f:
        ca = x509.load_pem_x509_certificate(f.read())
    with open(os.path.join(d, "ca.key"), "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(os.path.join(d, "client.key"), "rb") as f:
        pub = serialization.load_pem_private_key(f.read(), None).public_key()
    now = datetime.datetime.now(datetime.timezone.utc)
    for i in range(n):
        b = (x509.CertificateBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "u%d" % i)]))
             .issuer_name(ca.subject).public_key(pub)
             .serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(minutes=5))
             .not_valid_after(now + datetime.timedelta(days=2))
             .add_extension(x509.SubjectAlternativeName([x509.DNSName("u%d.churn.test" % i)]),
                            critical=False)
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True))
        with open(os.path.join(d, "c%d.pem" % i), "wb") as f:
            f.write(b.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    log("%d client certificates in %.1f s" % (n, time.monotonic() - t0))


def proc_cpu_s(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    v = s[s.rindex(")") + 2:].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def idle_rate(pid, secs=3.0):
    """CPU seconds per second the idle responder uses."""
    a, t0 = proc_cpu_s(pid), time.monotonic()
    time.sleep(secs)
    b, t1 = proc_cpu_s(pid), time.monotonic()
    return (b - a) / (t1 - t0) if a is not None and b is not None else 0.0


def kv(line):
    return {k: float(v) for k, v in (x.split("=", 1) for x in line.split()[1:])}


class Responder:
    def __init__(self, name, addr, pid, count_sas):
        self.name, self.addr, self.pid, self.count_sas = name, addr, pid, count_sas
        self.idle = 0.0


def start_rampartd(args, net, auth, certs):
    r = Rampartd(net, None, args.rampartd, args.rampartctl, "ike-load-%s-%d" % (auth, os.getpid()))
    if auth == "psk":
        a = PSK_AUTH
    else:
        a = ("    auth: pubkey\n    remote_auth: pubkey\n    cert: %s\n    key: %s\n    ca: %s\n"
             % (os.path.join(certs, "gw.pem"), os.path.join(certs, "gw.key"),
                os.path.join(certs, "ca.pem")))
    write_private(r.conf, gw_yaml(r.sock, ra_conn("ld", a, ike=[IKE], esp=[ESP], pool=POOL,
                                                  dpd="1h"), "warning", ike=IKE_OPTS))

    def count():
        rc, j = r.ctl("status")
        return j.get("ike_sas") if rc == 0 and isinstance(j, dict) else None
    # Rampartd.start() waits for the "running:" line, logged at info: at
    # log_level warning (nothing per SA, as charon's) the control socket tells.
    r.proc = net.spawn([args.rampartd, "-c", r.conf, "--", "--lcores", args.lcores, "--no-huge",
                        "-m", "256", "--no-pci", "--file-prefix", r.prefix], ns=N("gw"),
                       out=r.logf)
    if wait_for(lambda: r.proc.poll() is not None or count() is not None, 120) is not True \
            or r.proc.poll() is not None:
        log("rampartd did not start:\n" + "\n".join(r.log_text().splitlines()[-30:]))
        return r, None
    return r, Responder("rampartd", GW_PUB, r.proc.pid, count)


def start_charon(args, net, auth, certs):
    c = Charon(net, N("ss"), "ss-" + auth, SS_PUB)
    c.write_conf("", CHARON_OPTS, default=1 if args.verbose else -1, plugins=CHARON_PLUGIN_OPTS)
    if auth == "psk":
        local = "\t\t\tauth = psk"
        remote = "\t\t\tauth = psk"
        secrets = "\tike-ld {\n\t\tsecret = \"%s\"\n\t}" % PSK
    else:
        local = "\t\t\tauth = pubkey\n\t\t\tcerts = %s" % os.path.join(certs, "gw.pem")
        remote = "\t\t\tauth = pubkey\n\t\t\tcacerts = %s" % os.path.join(certs, "ca.pem")
        secrets = ""
    with open(c.swconf, "w") as f:
        f.write(SWANCTL_CONF.format(addr=SS_PUB, ike=IKE, esp=ESP, gwid=GW_ID, local=local,
                                    remote=remote, pool=POOL, secrets=secrets))
    # swanctl loads private keys only from its credential directories, next
    # to the --file it is given (ecdsa/ for SEC1 EC keys)
    if auth == "cert":
        os.makedirs(os.path.join(c.dir, "ecdsa"), exist_ok=True)
        shutil.copy(os.path.join(certs, "gw.key"), os.path.join(c.dir, "ecdsa", "gw.key"))
    c.start()
    if not c.wait_ready():
        log("charon did not start")
        return c, None
    rc, out = c.load()
    if args.verbose:
        log("swanctl --load-all:\n" + out.strip())
    if rc != 0:
        log("swanctl --load-all failed: " + out.strip()[-800:])
        return c, None
    try:
        with open("/proc/%d/comm" % c.proc.pid) as f:
            comm = f.read().strip()
    except OSError:
        comm = "?"
    if comm != "charon":
        log("pid %d is %s, not charon" % (c.proc.pid, comm))
        return c, None

    def count():
        rc, out = c.swanctl(["--stats"], 10)
        m = re.search(r"IKE_SAs: (\d+) total", out)
        return int(m.group(1)) if rc == 0 and m else None
    return c, Responder("strongswan", SS_PUB, c.proc.pid, count)


def run_load(args, resp, auth, certs, logf, total=None):
    cmd = ["ip", "netns", "exec", N("ld"), args.churn, "--load", "--gw", resp.addr,
           "--src", ",".join(SRC), "--gw-id", GW_ID, "--total", str(total or args.total),
           "--window", str(args.window), "--cpu-pid", str(resp.pid), "--ike", IKE,
           "--esp", ESP, "--remote-ts", "10.1.0.0/24", "--prefix", "u", "--batch-timeout", str(args.setup_timeout)]
    cmd += ["--cert-dir", certs] if auth == "cert" else ["--psk", PSK]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=600)
    with open(logf, "a") as f:
        f.write("$ %s\n%s" % (" ".join(cmd), p.stdout))
    ld = re.search(r"^LOAD .*$", p.stdout, re.M)
    de = re.search(r"^DELETE .*$", p.stdout, re.M)
    if p.returncode != 0 or not ld or not de:
        log("ike-churn failed (rc %d): %s" % (p.returncode, p.stdout.strip()[-600:]))
        return None
    x = kv(ld.group(0))
    x["del"] = kv(de.group(0))
    # back to zero SAs before the next run
    if wait_for(lambda: resp.count_sas() == 0, 60, step=0.5) is not True:
        log("%s still holds IKE SAs after the run: %s" % (resp.name, resp.count_sas()))
        return None
    return x


def per_sa_ms(run, idle):
    """Responder CPU ms per established SA, idle rate subtracted; and raw."""
    raw = run["resp_cpu_s"]
    return (max(0.0, raw - idle * run["secs"]) * 1000 / run["setups"],
            raw * 1000 / run["setups"])


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rampartd", required=True)
    ap.add_argument("--rampartctl", required=True)
    ap.add_argument("--churn", required=True, help="perf/ike-churn")
    ap.add_argument("--floor", required=True, help="perf/ike-floor")
    ap.add_argument("--total", type=int, default=1000, help="set-ups per run")
    ap.add_argument("--window", type=int, default=16, help="set-ups in flight")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--setup-timeout", type=int, default=30, help="seconds per set-up")
    ap.add_argument("--auth", default="psk,cert")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--lcores", default="0@0,1@1", help="rampartd EAL --lcores")
    ap.add_argument("-v", "--verbose", action="store_true", help="charon logs at level 1")
    args = ap.parse_args()
    auths = [a for a in args.auth.split(",") if a]
    if os.geteuid() != 0:
        print("ike_load.py: needs root (network namespaces)")
        return 77
    if not os.access(CHARON, os.X_OK):
        print("ike_load.py: %s missing (scripts/deps.sh installs strongSwan)" % CHARON)
        return 77
    if any(a not in ("psk", "cert") for a in auths) or args.total < 1 or args.repeats < 1:
        ap.error("bad --auth, --total or --repeats")

    d = tempfile.mkdtemp(prefix="ike-load.")
    os.chmod(d, 0o755)
    net = Net(d)
    certs = os.path.join(d, "certs")
    genlog = os.path.join(d, "ike-churn.log")
    ok = True
    rows, floor = [], {}
    try:
        make_certs(certs, args.total)
        fl = sh([args.floor, "--cert-dir", certs], timeout=300)[1]
        log("crypto floor:\n" + fl.strip())
        m = re.search(r"^FLOOR_TOTAL .*$", fl, re.M)
        floor = kv(m.group(0))
        net.base()
        net.attach(N("ss"), "e2e-ss", SS_PUB + "/24", "e2e-sss")
        # charon's side of the tunnels (local_ts 10.1.0.0/24) is one of its own
        # networks, as on rampartd's LAN port: kernel-libipsec routes each
        # child's remote virtual IP through its TUN device with a source
        # address from local_ts, and fails the child SA without one.
        sh(["ip", "addr", "add", GW_LAN + "/32", "dev", "lo"], ns=N("ss"))
        net.attach(N("ld"), "e2e-ld", SRC[0] + "/24", "e2e-sld")
        for a in SRC[1:]:
            sh(["ip", "addr", "add", a + "/24", "dev", "e2e-ld"], ns=N("ld"))
        for auth in auths:
            r, rd = start_rampartd(args, net, auth, certs)
            c, ss = start_charon(args, net, auth, certs)
            if rd is None or ss is None:
                ok = False
                r.stop()
                r.cleanup()
                c.kill()
                continue
            time.sleep(1)
            for resp in (rd, ss):
                resp.idle = idle_rate(resp.pid)
                log("%s (%s, pid %d) idle: %.3f CPU s/s" % (resp.name, auth, resp.pid,
                                                            resp.idle))
            # warm-up of the same size, not counted: first-use allocations
            # (the first 1000 SAs touch fresh heap pages), ARP, page faults
            for resp in (rd, ss):
                if run_load(args, resp, auth, certs, genlog) is None:
                    ok = False
            for rep in range(args.repeats):
                for resp in (rd, ss):
                    x = run_load(args, resp, auth, certs, genlog)
                    if x is None:
                        ok = False
                        continue
                    cpu, raw = per_sa_ms(x, resp.idle)
                    row = dict(auth=auth, resp=resp.name, rep=rep + 1, cpu=cpu, raw=raw,
                               main=x["resp_main_cpu_s"] * 1000 / x["setups"],
                               rate=x["rate"], p50=x["lat_p50_ms"], p90=x["lat_p90_ms"],
                               p99=x["lat_p99_ms"], setups=int(x["setups"]), secs=x["secs"],
                               dcpu=x["del"]["resp_cpu_s"] * 1000 / max(1, x["del"]["deleted"]))
                    rows.append(row)
                    log("%(auth)s %(resp)s #%(rep)d: %(setups)d SAs in %(secs).2f s, "
                        "%(rate).0f/s, %(cpu).3f ms CPU/SA" % row)
            if not r.stop():
                log("rampartd did not exit 0 on SIGTERM")
                ok = False
            r.cleanup()
            c.kill()
            if args.verbose:
                print(c.log_text()[-3000:])
    finally:
        net.close()
        if args.keep:
            print("work directory kept: " + d)
        else:
            shutil.rmtree(d, ignore_errors=True)

    print("# ike-load: %d set-ups per run, %d in flight, IKE %s, ESP %s, 16 source addresses"
          % (args.total, args.window, IKE, ESP))
    print("# cpu = responder utime+stime per SA minus its idle rate; raw = without; main = "
          "its main thread (rampartd: the control core); del = per Delete")
    hdr = ("auth", "responder", "run", "SAs", "secs", "setups/s", "cpu_ms/SA", "raw_ms/SA",
           "main_ms/SA", "p50_ms", "p90_ms", "p99_ms", "del_ms")
    print("%-5s %-10s %3s %5s %6s %8s %9s %9s %10s %7s %7s %7s %7s" % hdr)
    for w in rows:
        print("%-5s %-10s %3d %5d %6.2f %8.1f %9.3f %9.3f %10.3f %7.2f %7.2f %7.2f %7.3f" % (
            w["auth"], w["resp"], w["rep"], w["setups"], w["secs"], w["rate"], w["cpu"],
            w["raw"], w["main"], w["p50"], w["p90"], w["p99"], w["dcpu"]))
    summaries = []
    for auth in auths:
        fl_ms = floor.get("psk_us" if auth == "psk" else "cert_us", float("nan")) / 1000
        med_of = {}
        for name in ("rampartd", "strongswan"):
            rs = [w for w in rows if w["auth"] == auth and w["resp"] == name]
            if len(rs) != args.repeats:
                ok = False
            med_of[name] = {k: med([w[k] for w in rs]) for k in
                            ("cpu", "raw", "rate", "p50", "p90", "p99")}
            spread = ("%.3f-%.3f" % (min(w["cpu"] for w in rs), max(w["cpu"] for w in rs))
                      if rs else "-")
            m = med_of[name]
            print("median %-5s %-10s cpu %.3f ms/SA (runs %s; %.2f s per 1000 SAs), raw %.3f, "
                  "%.0f setups/s, latency p50/p90/p99 %.2f/%.2f/%.2f ms" % (
                      auth, name, m["cpu"], spread, m["cpu"], m["raw"], m["rate"], m["p50"],
                      m["p90"], m["p99"]))
        rd, ss = med_of["rampartd"], med_of["strongswan"]
        vs_ss = rd["cpu"] / ss["cpu"] if ss["cpu"] > 0 else float("nan")
        vs_fl = rd["cpu"] / fl_ms if fl_ms > 0 else float("nan")
        print("crypto floor %-5s %.3f ms/SA; rampartd/strongswan %.2f (target <= 0.50: %s), "
              "rampartd/floor %.2f (target <= 1.50: %s), strongswan/floor %.2f" % (
                  auth, fl_ms, vs_ss, "met" if vs_ss <= 0.5 else "NOT met", vs_fl,
                  "met" if vs_fl <= 1.5 else "NOT met",
                  ss["cpu"] / fl_ms if fl_ms > 0 else float("nan")))
        summaries.append("SUMMARY tunnels_held=na mem_per_tunnel_kib=na worker_gap_max_us=na "
                         "ike_cpu_vs_strongswan=%.2f ike_vs_crypto_floor=%.2f auth=%s "
                         "setups_per_s=%.0f" % (vs_ss, vs_fl, auth, rd["rate"]))
    print("\n".join(summaries))
    if not ok:
        print("ike-load: some runs failed (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
