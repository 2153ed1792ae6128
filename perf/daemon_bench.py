#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""perf/daemon-bench: the whole rampartd datapath on one worker lcore against DPDK's
examples/ipsec-secgw and the raw crypto limit, interleaved in one run (root).

    daemon_bench.py --rampartd PATH --rampartctl PATH --esp-bench PATH [--quick]

Traffic: scapy writes one pcap per point (frame size, algorithm, direction,
tunnel count); net_pcap replays it from memory (infinite_rx=1) into the
gateway's input port, the output port is net_null (no-rx=1). Frame = Ethernet
frame of the cleartext packet including the 4-byte FCS (as perf/esp-bench).
  encap: IPv4/UDP from the LAN to 16.0.0.0 + tunnel, out as ESP (tunnel mode).
  decap: ESP made by scapy (an implementation nobody here wrote) with the same
         manual SA keys, increasing sequence numbers; replayed ESP repeats them,
         so anti-replay is off on both gateways (rampart replay_window: 0,
         ipsec-secgw's default window 0).
The pcap holds up to 1024 frames; with N tunnels frame k goes to tunnel
(k * 7919) mod N, so N > 1024 spreads the frames over 1024 distinct tunnels.

rampartd: 1 worker (lcore 1, control core lcore 0), manual SAs (conf manual_sas
with count N), static neighbours; packets/s = delta of the output port's
tx_pkts (rampartctl stats) over --secs seconds after a warm-up.
ipsec-secgw: built here from /usr/share/dpdk/examples/ipsec-secgw (Debian's
dpdk-doc) into a temporary directory, RX checksum offload request removed
(net_pcap offers none), `type no-offload` SAs, crypto_aesni_gcm (GCM) or
crypto_aesni_mb (CBC) vdev, one lcore (1, main and worker), the same pcap, SAs, routes;
packets/s = delta of its "Total packets sent" (-t 1 statistics).
raw: perf/esp-bench's raw-gcm rows (IPsec-MB GCM on exactly the bytes ESP
encrypts, one call per packet; GCM only).

Points run one at a time, rampart and ipsec-secgw alternating per point. Ends
with SUMMARY daemon64_vs_secgw=R daemon1420_vs_raw=R tunnels100k_vs_1=R.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SIZES = [64, 128, 256, 512, 1024, 1420]
ALGS = ["aes128gcm", "aes256gcm", "aes128cbc-sha256"]
GW_WAN, PEER, GW_LAN, HOST = "192.0.2.1", "192.0.2.2", "10.0.0.1", "10.0.0.2"
PEER_MAC, HOST_MAC, SRC_MAC = "02:00:00:00:00:02", "02:00:00:00:01:02", "02:00:00:00:09:09"
SPI_IN, SPI_OUT = 0x1000, 0x20000000
MAX_FRAMES = 1024
KEYS = {  # enc key (|| salt for GCM), integrity key; the same in both directions
    "aes128gcm": (bytes(range(0x10, 0x20)) + b"\xca\xfe\xba\xbe", None),
    "aes256gcm": (bytes(range(0x20, 0x40)) + b"\xca\xfe\xba\xbe", None),
    "aes128cbc-sha256": (bytes(range(0x40, 0x50)), bytes(range(0x60, 0x80))),
}
RAMPART_ESP = {"aes128gcm": "aes128gcm16", "aes256gcm": "aes256gcm16",
               "aes128cbc-sha256": "aes128-sha256"}


SIZE_OF_PCAP = {}
# DPDK memory of both gateways: hugepages (--in-memory) when 1100 MB are free, as
# deployments run; else 4 KB pages (--no-huge), where ipsec-secgw's mbuf pools
# keep one mbuf per page (every packet at one page offset) and rampartd's do not
# (drivers/port.c port_pktmbuf_pool_create): not a fair comparison.
MEM_ARG = "--no-huge"


def hugepages_free_mb():
    free = size = 0
    try:
        for ln in open("/proc/meminfo"):
            if ln.startswith("HugePages_Free:"):
                free = int(ln.split()[1])
            elif ln.startswith("Hugepagesize:"):
                size = int(ln.split()[1])
    except OSError:
        return 0
    return free * size // 1024


def pcap_size(path):
    return SIZE_OF_PCAP.get(path, 0)


def log(msg):
    print(msg, flush=True)


def tun_dst(i):
    a = (16 << 24) + i
    return "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)


# ---------------------------------------------------------------- traffic

def make_pcap(path, alg, size, direction, ntun, gw_mac, spi_in=SPI_IN, tun0=0):
    from scapy.all import Ether, IP, UDP, Raw, wrpcap
    from scapy.layers.ipsec import SecurityAssociation, ESP
    nframes = min(MAX_FRAMES, max(ntun, 256))
    ip_len = size - 14 - 4
    pay = ip_len - 28
    pkts = []
    sas = {}
    key, ikey = KEYS[alg]
    for k in range(nframes):
        t = (k * 7919) % ntun + tun0
        if direction == "encap":
            p = Ether(dst=gw_mac, src=SRC_MAC) / IP(src=HOST, dst=tun_dst(t), ttl=64) / \
                UDP(sport=1024 + (k & 1023), dport=9) / Raw(b"\x5a" * pay)
        else:
            if t not in sas:
                if alg.endswith("gcm"):
                    sas[t] = SecurityAssociation(ESP, spi=spi_in + t - tun0, crypt_algo="AES-GCM",
                                                 crypt_key=key, tunnel_header=IP(src=PEER, dst=GW_WAN))
                else:
                    sas[t] = SecurityAssociation(ESP, spi=spi_in + t - tun0, crypt_algo="AES-CBC",
                                                 crypt_key=key, auth_algo="SHA2-256-128",
                                                 auth_key=ikey,
                                                 tunnel_header=IP(src=PEER, dst=GW_WAN))
            inner = IP(src=tun_dst(t), dst=HOST, ttl=64) / UDP(sport=1024 + (k & 1023), dport=9) / \
                Raw(b"\x5a" * pay)
            e = sas[t].encrypt(inner, seq_num=k + 1)
            p = Ether(dst=gw_mac, src=PEER_MAC) / e
        pkts.append(p)
    wrpcap(path, pkts)
    SIZE_OF_PCAP[path] = size
    return nframes


# ---------------------------------------------------------------- rampartd

RAMPART_YAML = """workers: 1
max_tunnels: {maxt}
log_level: warning
telemetry: false
control: {{socket: {sock}, mode: "0600"}}
ports:
  - {{name: wan, role: public, device: "{wan}", addresses: [{gw_wan}/24]}}
  - {{name: lan, role: private, device: "{lan}", addresses: [{gw_lan}/24]}}
neighbors:
  - {{address: {peer}, mac: "{peer_mac}", port: wan}}
  - {{address: {host}, mac: "{host_mac}", port: lan}}
manual_sas:
  - name: bench
    spi_in: {spi_in:#x}
    spi_out: {spi_out:#x}
    esp: {esp}
    key_in: {key}
    key_out: {key}
{ikeys}    local: {gw_wan}
    remote: {peer}
    local_ts: [{gw_lan_net}]
    remote_ts: [16.0.0.0/32]
    replay_window: 0
    count: {count}
"""


class Rampart:
    def __init__(self, args, tmp):
        self.args = args
        self.tmp = tmp
        self.sock = os.path.join(tmp, "rampart.sock")
        self.conf = os.path.join(tmp, "rampart.yaml")
        self.logf = os.path.join(tmp, "rampartd.log")
        self.proc = None
        self.stages = {}

    def ctl(self, *cmd):
        r = subprocess.run([self.args.rampartctl, "-s", self.sock, "--json"] + list(cmd),
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout)

    def spawn(self, text, lcores):
        """Write config @text (mode 0600: it holds keys) and start rampartd on
        @lcores, its output into the log file."""
        fd = os.open(self.conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, text.encode())
        os.close(fd)
        cmd = [self.args.rampartd, "-c", self.conf, "--", "--lcores", lcores, MEM_ARG,
               "-m", "1024", "--no-pci", "--file-prefix", "dbench-rd-%d" % os.getpid(),
               "--log-level", "lib.eal:error"]
        self.lf = open(self.logf, "w")
        self.proc = subprocess.Popen(cmd, stdout=self.lf, stderr=subprocess.STDOUT)

    def start(self, alg, direction, ntun, pcap):
        key, ikey = KEYS[alg]
        dev_in = "net_pcap0,rx_pcap=%s,infinite_rx=1,tx_pcap=/dev/null,tx_pcap=/dev/null" % pcap
        dev_out = "net_null0,no-rx=1"
        ikeys = ""
        if ikey is not None:
            ikeys = "    integ_key_in: %s\n    integ_key_out: %s\n" % (ikey.hex(), ikey.hex())
        text = RAMPART_YAML.format(
            maxt=max(16, ntun + 16), sock=self.sock, gw_wan=GW_WAN, gw_lan=GW_LAN,
            wan=dev_out if direction == "encap" else dev_in,
            lan=dev_in if direction == "encap" else dev_out,
            peer=PEER, peer_mac=PEER_MAC, host=HOST, host_mac=HOST_MAC, spi_in=SPI_IN,
            spi_out=SPI_OUT, esp=RAMPART_ESP[alg], key=key.hex(), ikeys=ikeys,
            gw_lan_net="10.0.0.0/24", count=ntun)
        self.spawn(text, "0@0,1@1")
        t0 = time.time()
        while time.time() - t0 < 120:
            if self.proc.poll() is not None:
                return False
            m = self.ctl("list-manual")
            if m and m["manual_sas"] and m["manual_sas"][0]["installed"] == ntun:
                return True
            time.sleep(0.2)
        return False

    def out_pkts(self, direction, with_stages=False):
        s = self.ctl("stats")
        if s is None:
            return (None, None) if with_stages else None
        want = "wan" if direction == "encap" else "lan"
        tx = None
        for p in s["ports"]:
            if p["name"] == want:
                tx = p["tx_pkts"]
        if not with_stages:
            return tx
        w = s["workers"][0] if s.get("workers") else {}
        return tx, w.get("stage_cycles")

    def measure_conf(self, text, lcores, nsa, secs, warm):
        """rampartd on config @text (decap to port lan): (Mpps out of lan, million
        handoffs/s, [loop cycles per forwarded packet of each worker] or None)."""
        self.spawn(text, lcores)
        try:
            t0 = time.time()
            while time.time() - t0 < 60:
                if self.proc.poll() is not None:
                    log("# rampartd exited:\n" + self.log_tail())
                    return None
                m = self.ctl("list-manual")
                if m and len(m["manual_sas"]) == nsa and \
                        all(x["installed"] == 1 for x in m["manual_sas"]):
                    break
                time.sleep(0.2)
            else:
                return None
            time.sleep(1.0 + warm)

            def snap():
                st = self.ctl("stats")
                if st is None:
                    return None
                tx = [p["tx_pkts"] for p in st["ports"] if p["name"] == "lan"][0]
                ho = sum(w.get("handoff_out", 0) for w in st["workers"])
                loops = [w.get("stage_cycles", {}).get("loop", {}).get("cycles") for w in
                         st["workers"]]
                return tx, ho, loops, time.monotonic()
            a = snap()
            time.sleep(secs)
            b = snap()
            if a is None or b is None or b[0] <= a[0]:
                return None
            dt = b[3] - a[3]
            loops = None
            if all(x is not None for x in a[2] + b[2]):
                loops = [(y - x) / float(b[0] - a[0]) for x, y in zip(a[2], b[2])]
            return (b[0] - a[0]) / dt / 1e6, (b[1] - a[1]) / dt / 1e6, loops
        finally:
            self.stop()

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "lf", None):
            self.lf.close()

    def log_tail(self):
        try:
            return "".join(open(self.logf).readlines()[-15:])
        except OSError:
            return ""

    def measure(self, alg, direction, ntun, pcap, secs, warm):
        if not self.start(alg, direction, ntun, pcap):
            log("# rampartd did not start (%s %s %d):\n%s" % (alg, direction, ntun,
                                                              self.log_tail()))
            self.stop()
            return None
        try:
            # The worker applies the SA and route messages a few per loop: with
            # 100 000 tunnels that takes seconds, during which packets drop (no SA).
            # Measure only once drops have stopped and packets flow.
            t0 = time.time()
            last = None
            while time.time() - t0 < 180:
                st = self.ctl("stats")
                tx = self.out_pkts(direction)
                if st is not None and tx:
                    cur = (st["drops"].get("total"), tx)
                    if last is not None and cur[0] == last[0] and cur[1] > last[1]:
                        break
                    last = cur
                time.sleep(0.5)
            time.sleep(warm)
            (a, sa), ta = self.out_pkts(direction, True), time.monotonic()
            time.sleep(secs)
            (b, sb), tb = self.out_pkts(direction, True), time.monotonic()
            if a is None or b is None:
                return None
            if sa and sb and b > a:
                # -Dstage_cycles=true build: TSC cycles per forwarded packet by stage
                self.stages[(alg, direction, ntun)] = self.stages.get((alg, direction, ntun), {})
                self.stages[(alg, direction, ntun)][pcap_size(pcap)] = {
                    k: (sb[k]["cycles"] - sa[k]["cycles"]) / float(b - a) for k in sb}
            return (b - a) / (tb - ta) / 1e6
        finally:
            self.stop()


# ---------------------------------------------------------------- handoff (2 workers)

HANDOFF_YAML = """workers: 2
max_tunnels: 64
log_level: warning
telemetry: false
control: {{socket: {sock}, mode: "0600"}}
ports:
  - {{name: wan, role: public, device: "{wan}", addresses: [{gw_wan}/24]}}
  - {{name: lan, role: private, device: "net_null0,no-rx=1", addresses: [{gw_lan}/24]}}
neighbors:
  - {{address: {peer}, mac: "{peer_mac}", port: wan}}
  - {{address: {host}, mac: "{host_mac}", port: lan}}
manual_sas:
{sas}"""

HANDOFF_SA = """  - name: w{w}
    spi_in: {spi_in:#x}
    spi_out: {spi_out:#x}
    esp: {esp}
    key_in: {key}
    key_out: {key}
    local: {gw_wan}
    remote: {peer}
    local_ts: [10.0.0.0/24]
    remote_ts: [{ts}/32]
    replay_window: 0
"""


def handoff_bench(args, tmp, sizes, secs, warm):
    """
    What steering ESP by SPI is worth: rampartd with 2 workers and two manual
    SAs, SA w owned by worker w (top 4 SPI bits). net_pcap replays SA 0's ESP
    on RX queue 0 and SA 1's on queue 1 ("steered": every packet arrives at its
    owner, as rte_flow rules put it there) or the other way round ("crossed":
    every packet arrives at the other worker and goes through the handoff
    ring, what RSS does at worst). Decap, AES-128-GCM; lcores: control 0 and
    worker 1 on CPU 0, worker 0 on CPU 1.
    """
    alg = "aes128gcm"
    key, _ = KEYS[alg]
    rd = Rampart(args, tmp)
    res = {}
    spis = [0x00001000, 0x10001000]
    for size in sizes:
        pcaps = []
        for w in (0, 1):
            path = os.path.join(tmp, "sa%d.pcap" % w)
            make_pcap(path, alg, size, "decap", 1, "02:70:63:61:70:00", spi_in=spis[w],
                      tun0=256 * w)
            pcaps.append(path)
        sas = "".join(HANDOFF_SA.format(w=w, spi_in=spis[w], spi_out=0x20000000 + w,
                                        esp=RAMPART_ESP[alg], key=key.hex(), gw_wan=GW_WAN,
                                        peer=PEER, ts=tun_dst(256 * w)) for w in (0, 1))
        for _ in range(args.repeat):
            for mode in ("steered", "crossed"):
                order = pcaps if mode == "steered" else pcaps[::-1]
                wan = "net_pcap0,rx_pcap=%s,rx_pcap=%s,infinite_rx=1,%s" % (
                    order[0], order[1], ",".join(["tx_pcap=/dev/null"] * 3))
                text = HANDOFF_YAML.format(sock=rd.sock, wan=wan, gw_wan=GW_WAN, gw_lan=GW_LAN,
                                           peer=PEER, peer_mac=PEER_MAC, host=HOST,
                                           host_mac=HOST_MAC, sas=sas)
                v = rd.measure_conf(text, "0@0,1@1,2@0", 2, secs, warm)
                old = res.get((size, mode))
                if v is not None and (old is None or v[0] > old[0]):
                    res[(size, mode)] = v
                log("handoff %5d B %-8s %s" % (size, mode, "failed" if v is None else
                    "%.3f Mpps, %.3f M handoffs/s" % (v[0], v[1])))
    rd.stop()
    log("\n# handoff: 2 workers, decap AES-128-GCM, two SAs; steered = each SA's ESP on its "
        "owner's queue, crossed = on the other's (every packet handed off)")
    log("%5s  %10s %10s  %8s" % ("frame", "steered", "crossed", "cr/st"))
    for size in sizes:
        st, cr = res.get((size, "steered")), res.get((size, "crossed"))
        log("%5d  %10s %10s  %8s" % (size, fmt(st and st[0]), fmt(cr and cr[0]),
                                      fmt(ratio(cr and cr[0], st and st[0]), 8, 2)))
    for size in sizes:
        st, cr = res.get((size, "steered")), res.get((size, "crossed"))
        if st and cr and st[2] and cr[2]:
            # both workers poll all the time: their loop cycles over all packets
            # forwarded are the CPU one packet costs, wherever it was handled
            a, b = sum(st[2]), sum(cr[2])
            log("# %d B: TSC cycles of both workers per forwarded packet (stage build): "
                "steered %.0f, crossed %.0f; the handoff adds %.0f" % (size, a, b, b - a))
    return 0 if len(res) == 2 * len(sizes) else 1


# ---------------------------------------------------------------- ipsec-secgw

def build_secgw(tmp):
    src = None
    for d in ("/usr/share/dpdk/examples/ipsec-secgw",
              "/usr/share/doc/dpdk/examples/ipsec-secgw"):
        if os.path.isdir(d):
            src = d
            break
    if src is None:
        log("# ipsec-secgw: no /usr/share/dpdk/examples/ipsec-secgw (apt-get install dpdk-doc)")
        return None
    dst = os.path.join(tmp, "ipsec-secgw")
    shutil.copytree(src, dst)
    common = os.path.join(os.path.dirname(src), "common")
    if os.path.isdir(common):
        shutil.copytree(common, os.path.join(tmp, "common"))
    # net_pcap offers no RX checksum offload: request none (the only change).
    subprocess.run(["sed", "-i", "s/\\.offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,/.offloads = 0,/",
                    os.path.join(dst, "ipsec-secgw.c")], check=True)
    r = subprocess.run(["nice", "make", "-j2", "static"], cwd=dst, capture_output=True, text=True)
    binp = os.path.join(dst, "build", "ipsec-secgw")
    if r.returncode != 0 or not os.path.exists(binp):
        r = subprocess.run(["nice", "make", "-j2"], cwd=dst, capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(binp):
        log("# ipsec-secgw build failed:\n" + r.stderr[-2000:])
        return None
    return binp


def secgw_cfg(alg, direction, ntun):
    key, ikey = KEYS[alg]
    hx = lambda b: ":".join("%02x" % x for x in b)
    if alg.endswith("gcm"):
        cr = "aead_algo aes-%d-gcm aead_key %s" % ((len(key) - 4) * 8, hx(key))
    else:
        cr = "cipher_algo aes-128-cbc cipher_key %s auth_algo sha256-hmac auth_key %s" % (
            hx(key), hx(ikey))
    lines = []
    # port 0: net_pcap (input), port 1: net_null (output)
    for t in range(ntun):
        if direction == "encap":
            lines.append("sp ipv4 out esp protect %d pri 1 dst %s/32 sport 0:65535 dport 0:65535"
                         % (SPI_OUT + t, tun_dst(t)))
            lines.append("sa out %d %s mode ipv4-tunnel src %s dst %s type no-offload"
                         % (SPI_OUT + t, cr, GW_WAN, PEER))
        else:
            lines.append("sp ipv4 in esp protect %d pri 1 src %s/32 dst 10.0.0.0/24 "
                         "sport 0:65535 dport 0:65535" % (SPI_IN + t, tun_dst(t)))
            lines.append("sa in %d %s mode ipv4-tunnel src %s dst %s type no-offload"
                         % (SPI_IN + t, cr, PEER, GW_WAN))
    # ipsec-secgw wants SAs of both directions: one the traffic never matches
    if direction == "encap":
        lines.append("sp ipv4 in esp protect 9 pri 1 src 203.0.113.0/24 dst 203.0.113.0/24 "
                     "sport 0:65535 dport 0:65535")
        lines.append("sa in 9 %s mode ipv4-tunnel src %s dst %s type no-offload"
                     % (cr, PEER, GW_WAN))
    else:
        lines.append("sp ipv4 out esp protect 9 pri 1 dst 203.0.113.0/24 "
                     "sport 0:65535 dport 0:65535")
        lines.append("sa out 9 %s mode ipv4-tunnel src %s dst %s type no-offload"
                     % (cr, GW_WAN, PEER))
    lines.append("rt ipv4 dst 192.0.2.0/24 port 1")
    lines.append("rt ipv4 dst 10.0.0.0/24 port 1")
    lines.append("neigh port 1 %s" % (PEER_MAC if direction == "encap" else HOST_MAC))
    return "\n".join(lines) + "\n"


def secgw_measure(binp, tmp, alg, direction, ntun, pcap, secs, warm):
    cfg = os.path.join(tmp, "secgw.cfg")
    with open(cfg, "w") as f:
        f.write(secgw_cfg(alg, direction, ntun))
    vdev = "crypto_aesni_gcm0" if alg.endswith("gcm") else "crypto_aesni_mb0"
    unprot = "0x2" if direction == "encap" else "0x1"
    # one lcore (1, rampartd's worker lcore), main = worker: net_pcap's TX queues
    cmd = [binp, "-l", "1", "-n", "1", "--no-pci", MEM_ARG, "-m", "1024",
           "--file-prefix", "dbench-sg-%d" % os.getpid(), "--log-level", "lib.eal:error",
           "--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1,tx_pcap=/dev/null,tx_pcap=/dev/null" % pcap,
           "--vdev", "net_null0,no-rx=1",
           "--vdev", vdev, "--",
           "-p", "0x3", "-P", "-u", unprot, "--config", "(0,0,1),(1,0,1)", "-f", cfg, "-t", "1"]
    outf = os.path.join(tmp, "secgw.out")
    with open(outf, "w") as of:
        proc = subprocess.Popen(cmd, stdout=of, stderr=subprocess.STDOUT)
        samples = []
        try:
            t0 = time.time()
            seen = 0
            while time.time() - t0 < warm + secs + 30 and proc.poll() is None:
                time.sleep(0.25)
                text = open(outf, errors="replace").read()
                vals = [int(v) for v in re.findall(r"Total packets sent:\s+(\d+)", text)]
                if len(vals) > seen:
                    for v in vals[seen:]:
                        samples.append((time.monotonic(), v))
                    seen = len(vals)
                started = [s for s in samples if s[1] > 0]
                if len(started) >= 2 + int(warm) + int(secs):
                    break
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    started = [v for _, v in samples if v > 0]
    if len(started) < 2 + int(warm):
        log("# ipsec-secgw %s %s %d: no rate (%d samples); output tail:\n%s" % (
            alg, direction, ntun, len(started),
            "".join(open(outf, errors="replace").readlines()[-12:])))
        return None
    # -t 1: one sample per second (EAL alarm); skip the warm-up samples
    use = started[int(warm):]
    return (use[-1] - use[0]) / float(len(use) - 1) / 1e6


# ---------------------------------------------------------------- raw limit

def raw_limits(esp_bench, sizes, algs):
    gcm = [a for a in algs if a.endswith("gcm")]
    out = {}
    if not gcm:
        return out
    cmd = [esp_bench, "--sizes", ",".join(map(str, sizes)), "--algs", ",".join(gcm),
           "--rounds", "3", "--sas", "2"]
    r = subprocess.run(["taskset", "-c", "1"] + cmd, capture_output=True, text=True, timeout=900)
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 8 and f[3] == "raw-gcm":
            try:
                out[(f[0], int(f[1]))] = float(f[5])
            except ValueError:
                pass
    if not out:
        log("# esp-bench gave no raw-gcm rows:\n" + (r.stdout + r.stderr)[-1500:])
    return out


# ---------------------------------------------------------------- main

def gbps(mpps, size):
    return mpps * size * 8 / 1000.0 if mpps else None


def fmt(v, w=8, p=3):
    return ("%*.*f" % (w, p, v)) if v is not None else "%*s" % (w, "-")


def ratio(a, b):
    return a / b if a and b else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rampartd", required=True)
    ap.add_argument("--rampartctl", required=True)
    ap.add_argument("--esp-bench", required=True)
    ap.add_argument("--quick", action="store_true", help="64 and 1420 B, AES-128-GCM, "
                    "1 and 1000 tunnels, 2 s per point")
    ap.add_argument("--secs", type=float, default=None)
    ap.add_argument("--warm", type=float, default=1.0)
    ap.add_argument("--sizes", default=None)
    ap.add_argument("--algs", default=None)
    ap.add_argument("--tunnels", default=None, help="tunnel counts (default 1,1000,100000)")
    ap.add_argument("--no-secgw", action="store_true")
    ap.add_argument("--repeat", type=int, default=None, help="alternating rampart/secgw "
                    "runs per point, best kept (default 1, quick 2)")
    ap.add_argument("--plot", default=None, help="PNG path (gnuplot); default none")
    ap.add_argument("--tsv", default=None, help="write the rows as TSV here")
    ap.add_argument("--handoff", action="store_true", help="only the two-worker handoff "
                    "experiment: steered vs crossed ESP (64 and 1420 B unless --sizes)")
    ap.add_argument("--no-huge", action="store_true", help="4 KB pages even when "
                    "hugepages are free (see MEM_ARG)")
    args = ap.parse_args()
    global MEM_ARG
    MEM_ARG = "--in-memory" if not args.no_huge and hugepages_free_mb() >= 1100 else "--no-huge"
    if os.geteuid() != 0:
        log("daemon-bench: needs root (DPDK, rampartd)")
        return 77
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else \
        ([64, 1420] if args.quick else SIZES)
    algs = args.algs.split(",") if args.algs else (["aes128gcm"] if args.quick else ALGS)
    tunnels = [int(t) for t in args.tunnels.split(",")] if args.tunnels else \
        ([1, 1000] if args.quick else [1, 1000, 100000])
    secs = args.secs if args.secs is not None else (2.0 if args.quick else 3.0)
    if args.repeat is None:
        args.repeat = 2 if args.quick else 1
    tmp = tempfile.mkdtemp(prefix="dbench-")
    t_start = time.time()
    if args.handoff:
        try:
            return handoff_bench(args, tmp, [int(x) for x in args.sizes.split(",")]
                                 if args.sizes else [64, 1420], secs, args.warm)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    log("# daemon-bench: rampartd 1 worker lcore vs ipsec-secgw 1 lcore vs raw IPsec-MB; "
        "%s s per run after %s s warm-up, best of %d alternating runs per point; "
        "frame = Ethernet incl. FCS" % (secs, args.warm, args.repeat))
    log("# memory: %s" % ("hugepages (--in-memory), both gateways" if MEM_ARG == "--in-memory"
                          else "4 KB pages (--no-huge): ipsec-secgw keeps one mbuf per page, "
                          "rampartd packs them; for a fair comparison free 1100 MB of "
                          "hugepages (echo 1024 > /proc/sys/vm/nr_hugepages)"))
    rd = Rampart(args, tmp)
    secgw = None if args.no_secgw else build_secgw(tmp)
    log("# ipsec-secgw: %s" % (secgw or "not available"))
    raw = raw_limits(args.esp_bench, sizes, algs)
    log("# raw IPsec-MB GCM (esp-bench raw-gcm): %s" % (
        ", ".join("%s/%d=%.2f" % (k[0], k[1], v) for k, v in sorted(raw.items())) or "none"))
    # net_pcap's MAC: 02:70:63:61:70:<port index of the pcap device> ("\x02pcap")
    gw_mac_rd = {"encap": "02:70:63:61:70:00", "decap": "02:70:63:61:70:00"}
    res = {}
    try:
        for alg in algs:
            for direction in ("encap", "decap"):
                for size in sizes:
                    for ntun in tunnels:
                        # many tunnels: 64 and 1420 B only (the target is at 64 B)
                        if ntun > 1 and size not in (64, 1420):
                            continue
                        if ntun > 1 and alg != "aes128gcm":
                            continue
                        pcap = os.path.join(tmp, "in.pcap")
                        make_pcap(pcap, alg, size, direction, ntun, gw_mac_rd[direction])
                        r = s = None
                        # best of --repeat alternating pairs: interference from the
                        # other tenants of this machine only ever lowers a rate
                        for _ in range(args.repeat):
                            v = rd.measure(alg, direction, ntun, pcap, secs, args.warm)
                            r = v if r is None or (v is not None and v > r) else r
                            if secgw and ntun <= 1000:
                                v = secgw_measure(secgw, tmp, alg, direction, ntun, pcap,
                                                  secs, args.warm)
                                s = v if s is None or (v is not None and v > s) else s
                        res[(alg, direction, size, ntun)] = (r, s)
                        log("point %-17s %-5s %5d B %6d tun: rampart %s Mpps  ipsec-secgw %s "
                            "Mpps  ratio %s" % (alg, direction, size, ntun, fmt(r), fmt(s),
                                                fmt(ratio(r, s), 6, 2)))
    finally:
        rd.stop()
    # table
    log("\n# results (Mpps, Gbps at the frame size; raw = IPsec-MB GCM on the ESP bytes)")
    hdr = "%-17s %-5s %5s %7s  %8s %7s  %8s %7s  %8s  %8s %8s" % (
        "alg", "dir", "frame", "tunnels", "rampart", "Gbps", "secgw", "Gbps", "raw",
        "rd/secgw", "rd/raw")
    log(hdr)
    rows = []
    for (alg, direction, size, ntun), (r, s) in sorted(res.items(), key=lambda kv: (
            ALGS.index(kv[0][0]) if kv[0][0] in ALGS else 9, kv[0][1], kv[0][3], kv[0][2])):
        rw = raw.get((alg, size)) if direction == "encap" else None
        if direction == "decap":
            rw = raw.get((alg, size))
        rows.append((alg, direction, size, ntun, r, s, rw))
        log("%-17s %-5s %5d %7d  %s %s  %s %s  %s  %s %s" % (
            alg, direction, size, ntun, fmt(r), fmt(gbps(r, size), 7, 2), fmt(s),
            fmt(gbps(s, size), 7, 2), fmt(rw), fmt(ratio(r, s), 8, 2), fmt(ratio(r, rw), 8, 2)))
    if rd.stages:
        names = ["rx", "classify", "spd", "dispatch", "esp_in", "post_in", "esp_out", "l2_out",
                 "tx", "loop"]
        log("\n# TSC cycles per forwarded packet by stage (rampartd -Dstage_cycles=true; "
            "other = loop minus the stages: messages, RCU, empty polls)")
        log("%-17s %-5s %7s %5s " % ("alg", "dir", "tunnels", "frame") +
            " ".join("%8s" % n for n in names) + " %8s" % "other")
        for (alg, direction, ntun), by_size in sorted(rd.stages.items()):
            for size, st in sorted(by_size.items()):
                parts = sum(st.get(n, 0) for n in names[:-1])
                log("%-17s %-5s %7d %5d " % (alg, direction, ntun, size) +
                    " ".join("%8.1f" % st.get(n, 0) for n in names) +
                    " %8.1f" % (st.get("loop", 0) - parts))
    if args.tsv:
        with open(args.tsv, "w") as f:
            f.write("alg\tdir\tframe\ttunnels\trampart_mpps\tsecgw_mpps\traw_mpps\n")
            for row in rows:
                f.write("\t".join("" if v is None else str(v) for v in row) + "\n")
    if args.plot:
        plot(rows, args.plot, tmp)
    g = lambda a, d, sz, n, i: (res.get((a, d, sz, n)) or (None, None))[i]
    d64 = ratio(g("aes128gcm", "encap", 64, 1, 0), g("aes128gcm", "encap", 64, 1, 1))
    d1420 = ratio(g("aes128gcm", "encap", 1420, 1, 0), raw.get(("aes128gcm", 1420)))
    big = max(tunnels)
    t100k = ratio(g("aes128gcm", "encap", 64, big, 0), g("aes128gcm", "encap", 64, 1, 0))
    log("\n# targets: 64 B AES-128-GCM encap >= 1.5x ipsec-secgw; 1420 B >= 0.90x raw; "
        "%d tunnels >= 0.80x 1 tunnel (64 B encap)" % big)
    log("# run time %.0f s" % (time.time() - t_start))
    nm = "tunnels100k_vs_1" if big == 100000 else "tunnels%d_vs_1" % big
    log("SUMMARY daemon64_vs_secgw=%s daemon1420_vs_raw=%s %s=%s" % (
        fmt(d64, 0, 2).strip() if d64 else "n/a", fmt(d1420, 0, 2).strip() if d1420 else "n/a",
        nm, fmt(t100k, 0, 2).strip() if t100k else "n/a"))
    shutil.rmtree(tmp, ignore_errors=True)
    ok = all(r is not None for r, _ in res.values())
    return 0 if ok else 1


def plot(rows, png, tmp):
    dat = os.path.join(tmp, "plot.dat")
    with open(dat, "w") as f:
        for alg, direction, size, ntun, r, s, rw in rows:
            if alg == "aes128gcm" and ntun == 1:
                f.write("%s %d %s %s %s\n" % (direction, size, r or "NaN", s or "NaN",
                                             rw or "NaN"))
    gp = """set terminal pngcairo size 1000,450 noenhanced
set output '%s'
set multiplot layout 1,2 title 'AES-128-GCM, one lcore, 1 tunnel (perf/daemon-bench)'
set xlabel 'frame (bytes)'
set key top right
set grid
set ylabel 'Mpps'
plot '< grep ^encap %s' u 2:3 w lp t 'rampart encap', '' u 2:4 w lp t 'ipsec-secgw encap', \\
     '' u 2:5 w lp t 'raw IPsec-MB GCM', '< grep ^decap %s' u 2:3 w lp t 'rampart decap', \\
     '' u 2:4 w lp t 'ipsec-secgw decap'
set ylabel 'Gbps'
plot '< grep ^encap %s' u 2:($3*$2*8/1000) w lp t 'rampart encap', \\
     '' u 2:($4*$2*8/1000) w lp t 'ipsec-secgw encap', '' u 2:($5*$2*8/1000) w lp t 'raw', \\
     '< grep ^decap %s' u 2:($3*$2*8/1000) w lp t 'rampart decap', \\
     '' u 2:($4*$2*8/1000) w lp t 'ipsec-secgw decap'
unset multiplot
""" % (png, dat, dat, dat, dat)
    r = subprocess.run(["gnuplot"], input=gp, capture_output=True, text=True)
    log("# plot: %s%s" % (png, "" if r.returncode == 0 else " FAILED: " + r.stderr[-500:]))


if __name__ == "__main__":
    sys.exit(main())
