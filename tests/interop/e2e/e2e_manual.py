#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""e2e manual-sa: manually keyed SAs (conf manual_sas) checked by scapy, root.

    e2e_manual.py manual-sa --rampartd PATH --rampartctl PATH

No namespaces: rampartd's two ports are net_pcap devices. For each of
aes128gcm16, aes256gcm16 and aes128-sha256 (AES-CBC + HMAC-SHA-256-128):
  - scapy (an ESP implementation nobody here wrote) encrypts inner packets with
    the manual SA's keys towards rampartd; the LAN port's output must hold
    exactly those inner packets, TTL decremented, in order; one ESP packet
    with a flipped ciphertext byte and one replayed sequence number must not
    come out (anti-replay is on: replay_window 1024);
  - cleartext LAN packets into the SA's remote_ts must leave the WAN port as
    ESP with spi_out and sequence numbers 1, 2, ... that scapy decrypts, with
    key_out, back to the packets sent (TTL - 1);
  - rampartctl list-manual shows the SA installed; no key appears in any
    control reply nor in the daemon's log.
Then, with AES-128-GCM, an SA whose selectors hold IPv4 and IPv6 prefixes,
and bursts mixing both inner families (the worker's bulk policy lookups,
one per family and burst): every inner packet must come out, in order, with
TTL / hop limit decremented, on the right side; scapy decrypts the ESP.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from scapy.all import Ether, IP, IPv6, UDP, Raw, rdpcap, wrpcap
from scapy.layers.ipsec import ESP, SecurityAssociation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_lib import arg_parser, manual_conf, write_private  # noqa: E402

# net_pcap cannot set a MAC; it derives one from its creation order: 02:70:63:61:70:<n>
# ("\x02pcap" + n). rampartd creates the ports in config order (wan, then lan);
# the test checks the MACs rampartd logs.
GW_MAC_WAN, GW_MAC_LAN = "02:70:63:61:70:00", "02:70:63:61:70:01"
PEER_MAC, HOST_MAC = "02:00:00:00:00:02", "02:00:00:00:01:02"
SPI_IN, SPI_OUT = 0x00004321, 0x00009876
N = 12

ALGS = {
    "aes128gcm16": dict(enc=bytes(range(1, 17)) + b"\x01\x02\x03\x04",
                        enc_out=bytes(range(101, 117)) + b"\x05\x06\x07\x08", integ=None),
    "aes256gcm16": dict(enc=bytes(range(1, 33)) + b"\x11\x12\x13\x14",
                        enc_out=bytes(range(101, 133)) + b"\x15\x16\x17\x18", integ=None),
    "aes128-sha256": dict(enc=bytes(range(1, 17)), enc_out=bytes(range(101, 117)),
                          integ=bytes(range(33, 65)), integ_out=bytes(range(133, 165))),
}

def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def sa_for(alg, key, integ, spi, src, dst):
    if alg.endswith("gcm16"):
        return SecurityAssociation(ESP, spi=spi, crypt_algo="AES-GCM", crypt_key=key,
                                   tunnel_header=IP(src=src, dst=dst))
    return SecurityAssociation(ESP, spi=spi, crypt_algo="AES-CBC", crypt_key=key,
                               auth_algo="SHA2-256-128", auth_key=integ,
                               tunnel_header=IP(src=src, dst=dst))


def inner(k, src, dst):
    return IP(src=src, dst=dst, ttl=64, id=1000 + k) / UDP(sport=4000 + k, dport=9) / \
        Raw(("manual-%02d-" % k).encode() * (3 + k))


def run_alg(args, tmp, alg):
    a = ALGS[alg]
    d = os.path.join(tmp, alg)
    os.makedirs(d)
    f = {n: os.path.join(d, n + ".pcap") for n in
         ("wan_in", "wan_out", "wan_out2", "lan_in", "lan_out", "lan_out2")}
    # towards rampartd: ESP encrypted by scapy with key_in (the peer's key_out)
    sa_in = sa_for(alg, a["enc"], a["integ"], SPI_IN, "192.0.2.2", "192.0.2.1")
    esp = []
    for k in range(N):
        e = sa_in.encrypt(inner(k, "10.1.0.5", "10.0.0.2"), seq_num=k + 1)
        esp.append(Ether(dst=GW_MAC_WAN, src=PEER_MAC) / e)
    bad = bytearray(bytes(esp[3]))
    bad[-20] ^= 0x01                       # flipped ciphertext/ICV byte
    esp.append(Ether(bytes(bad)))
    esp.append(esp[5].copy())              # replayed sequence number 6
    wrpcap(f["wan_in"], esp)
    lan = [Ether(dst=GW_MAC_LAN, src=HOST_MAC) / inner(k, "10.0.0.2", "10.1.0.%d" % (10 + k))
           for k in range(N)]
    wrpcap(f["lan_in"], lan)
    sock = os.path.join(d, "s.sock")
    conf = os.path.join(d, "r.yaml")
    manual_conf(conf, sock, "net_pcap1,rx_pcap={wan_in},tx_pcap={wan_out},tx_pcap={wan_out2}"
                .format(**f), "net_pcap0,rx_pcap={lan_in},tx_pcap={lan_out},tx_pcap={lan_out2}"
                .format(**f), PEER_MAC, HOST_MAC, SPI_IN, SPI_OUT, a["enc"], a["enc_out"],
                alg=alg, integ_in=a.get("integ"), integ_out=a.get("integ_out"),
                # sessions per device are 2 * max_tunnels + 2048: keep them
                # within the test's -m 256
                extra=("max_tunnels: 1024\ncrypto: {backend: cryptodev, devices: [%s]}\n"
                       % args.cryptodev if args.cryptodev else ""))
    logf = os.path.join(d, "rampartd.log")
    with open(logf, "w") as lf:
        p = subprocess.Popen([args.rampartd, "-c", conf, "--", "--lcores", "0@0,1@1",
                              "--no-huge", "-m", "256", "--no-pci", "--file-prefix",
                              "e2e-manual-%d" % os.getpid()], stdout=lf, stderr=subprocess.STDOUT)
        replies = []
        try:
            t0 = time.time()
            lm = None
            while time.time() - t0 < 30 and p.poll() is None:
                r = subprocess.run([args.rampartctl, "-s", sock, "--json", "list-manual"],
                                   capture_output=True, text=True)
                if r.returncode == 0:
                    lm = json.loads(r.stdout)
                    break
                time.sleep(0.2)
            if lm is None:
                fail("%s: rampartd did not come up:\n%s" % (alg, open(logf).read()[-2000:]))
            time.sleep(2.0)                # the pcaps are read once, at start
            for c in ("list-manual", "list-children", "stats", "status"):
                r = subprocess.run([args.rampartctl, "-s", sock, "--json", c],
                                   capture_output=True, text=True)
                replies.append(r.stdout)
            stats = json.loads(replies[2])
        finally:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=60)
    log = open(logf, errors="replace").read()
    for name, mac in (("wan", GW_MAC_WAN), ("lan", GW_MAC_LAN)):
        if not any(("port %s " % name) in ln and mac in ln for ln in log.splitlines()):
            fail("%s: port %s does not have MAC %s (net_pcap naming changed?):\n%s" % (
                alg, name, mac, log[-1500:]))
    m = lm["manual_sas"]
    if len(m) != 1 or m[0]["installed"] != 1 or m[0]["spi_in"] != "%08x" % SPI_IN or \
            m[0]["esp"] != alg:
        fail("%s: list-manual: %s" % (alg, m))
    ch = json.loads(replies[1])["children"]
    if len(ch) != 1 or not ch[0].get("manual"):
        fail("%s: list-children does not mark the manual SA: %s" % (alg, ch))
    text = "".join(replies) + open(logf, errors="replace").read()
    for key in (a["enc"], a["enc_out"], a.get("integ"), a.get("integ_out")):
        if key is not None and (key.hex() in text or key[:12].hex() in text):
            fail("%s: a key appears in a control reply or the log" % alg)
    if "MANUAL KEYS" not in text:
        fail("%s: no loud warning in the log" % alg)
    if args.cryptodev:
        if "crypto backend cryptodev: 1 device(s)" not in text:
            fail("%s: rampartd does not say it runs ESP through %s:\n%s" % (
                alg, args.cryptodev, text[-1500:]))
        cd = [w.get("cryptodev") for w in stats.get("workers", [])]
        # every packet of both directions went through the device: N + the
        # tampered one in, N out (the replayed one stops before crypto)
        if len(cd) != 1 or not cd[0] or cd[0]["dequeued"] < 2 * N + 1 or \
                cd[0]["op_errors"] != 0 or cd[0]["no_ops"] != 0:
            fail("%s: the worker's cryptodev counters do not show the traffic: %s" % (alg, cd))
    # decap: exactly the N inner packets, in order, TTL - 1
    out = [x for x in rdpcap(f["lan_out"]) + rdpcap(f["lan_out2"]) if IP in x]
    want = [inner(k, "10.1.0.5", "10.0.0.2") for k in range(N)]
    if len(out) != N:
        fail("%s: decap: %d packets on the LAN, want %d (tampered and replayed ones "
             "dropped)\n%s" % (alg, len(out), N, json.dumps(stats.get("workers"))[:1500]))
    for k, (o, w) in enumerate(zip(out, want)):
        if o[Ether].dst != HOST_MAC or o[IP].ttl != 63 or o[IP].src != "10.1.0.5" or \
                bytes(o[UDP].payload) != bytes(w[UDP].payload) or o[IP].id != 1000 + k:
            fail("%s: decap packet %d differs: %r" % (alg, k, o))
        chk = o[IP].chksum
        o2 = IP(bytes(o[IP]))
        del o2.chksum
        if IP(bytes(o2)).chksum != chk:
            fail("%s: decap packet %d: bad IPv4 header checksum" % (alg, k))
    # encap: ESP with spi_out, seq 1..N, decrypted by scapy with key_out
    sa_out = sa_for(alg, a["enc_out"], a.get("integ_out"), SPI_OUT, "192.0.2.1", "192.0.2.2")
    esp_out = [x for x in rdpcap(f["wan_out"]) + rdpcap(f["wan_out2"]) if ESP in x]
    if len(esp_out) != N:
        fail("%s: encap: %d ESP packets on the WAN, want %d" % (alg, len(esp_out), N))
    for k, e in enumerate(esp_out):
        if e[Ether].dst != PEER_MAC or e[IP].src != "192.0.2.1" or e[IP].dst != "192.0.2.2" or \
                e[ESP].spi != SPI_OUT or e[ESP].seq != k + 1:
            fail("%s: encap packet %d: outer %s > %s spi %#x seq %d" % (
                alg, k, e[IP].src, e[IP].dst, e[ESP].spi, e[ESP].seq))
        try:
            d_in = sa_out.decrypt(e[IP])
        except Exception as ex:             # scapy raises on a bad ICV
            fail("%s: encap packet %d: scapy cannot decrypt it: %s" % (alg, k, ex))
        if d_in[IP].dst != "10.1.0.%d" % (10 + k) or d_in[IP].ttl != 63 or \
                bytes(d_in[UDP].payload) != bytes(lan[k][UDP].payload):
            fail("%s: encap packet %d: inner differs: %r" % (alg, k, d_in))
    print("ok %s: %d decapsulated (tampered and replayed dropped), %d encapsulated and "
          "decrypted by scapy, keys in no reply or log" % (alg, N, N), flush=True)


DUAL_YAML = """workers: 1
log_level: info
telemetry: false
control: {{socket: {sock}, mode: "0600"}}
ports:
  - {{name: wan, role: public, addresses: [192.0.2.1/24], device: "{wan_dev}"}}
  - {{name: lan, role: private, addresses: [10.0.0.1/24, "fd00:a::1/64"], device: "{lan_dev}"}}
neighbors:
  - {{address: 192.0.2.2, mac: "{peer_mac}", port: wan}}
  - {{address: 10.0.0.2, mac: "{host_mac}", port: lan}}
  - {{address: "fd00:a::2", mac: "{host_mac}", port: lan}}
manual_sas:
  - name: dual
    spi_in: {spi_in:#x}
    spi_out: {spi_out:#x}
    esp: aes128gcm16
    key_in: {key_in}
    key_out: {key_out}
    remote: 192.0.2.2
    local_ts: [10.0.0.0/24, "fd00:a::/64"]
    remote_ts: [10.1.0.0/24, "fd00:b::/64"]
    replay_window: 1024
"""


def inner_dual(k, lan_side):
    """Packet k of the mixed stream: even k IPv4, odd k IPv6; from the LAN host
    (lan_side) or from the peer's network."""
    pay = Raw(("dual-%02d-" % k).encode() * (2 + k))
    if k % 2 == 0:
        src, dst = ("10.0.0.2", "10.1.0.%d" % (10 + k)) if lan_side else ("10.1.0.5", "10.0.0.2")
        return IP(src=src, dst=dst, ttl=64, id=2000 + k) / UDP(sport=5000 + k, dport=9) / pay
    src, dst = ("fd00:a::2", "fd00:b::%x" % (16 + k)) if lan_side else ("fd00:b::5", "fd00:a::2")
    return IPv6(src=src, dst=dst, hlim=64) / UDP(sport=5000 + k, dport=9) / pay


def ttl_of(p):
    return p[IP].ttl if IP in p else p[IPv6].hlim


def run_dual(args, tmp):
    a = ALGS["aes128gcm16"]
    d = os.path.join(tmp, "dual")
    os.makedirs(d)
    f = {n: os.path.join(d, n + ".pcap") for n in
         ("wan_in", "wan_out", "wan_out2", "lan_in", "lan_out", "lan_out2")}
    n = 2 * N
    sa_in = sa_for("aes128gcm16", a["enc"], None, SPI_IN, "192.0.2.2", "192.0.2.1")
    wrpcap(f["wan_in"], [Ether(dst=GW_MAC_WAN, src=PEER_MAC) /
                         sa_in.encrypt(inner_dual(k, False), seq_num=k + 1) for k in range(n)])
    lan = [Ether(dst=GW_MAC_LAN, src=HOST_MAC) / inner_dual(k, True) for k in range(n)]
    wrpcap(f["lan_in"], lan)
    sock = os.path.join(d, "s.sock")
    conf = os.path.join(d, "r.yaml")
    write_private(conf, DUAL_YAML.format(
        sock=sock, peer_mac=PEER_MAC, host_mac=HOST_MAC, spi_in=SPI_IN, spi_out=SPI_OUT,
        key_in=a["enc"].hex(), key_out=a["enc_out"].hex(),
        wan_dev="net_pcap1,rx_pcap={wan_in},tx_pcap={wan_out},tx_pcap={wan_out2}".format(**f),
        lan_dev="net_pcap0,rx_pcap={lan_in},tx_pcap={lan_out},tx_pcap={lan_out2}".format(**f)))
    logf = os.path.join(d, "rampartd.log")
    with open(logf, "w") as lf:
        p = subprocess.Popen([args.rampartd, "-c", conf, "--", "--lcores", "0@0,1@1",
                              "--no-huge", "-m", "256", "--no-pci", "--file-prefix",
                              "e2e-manual-%d" % os.getpid()], stdout=lf, stderr=subprocess.STDOUT)
        try:
            t0, up = time.time(), False
            while time.time() - t0 < 30 and p.poll() is None and not up:
                r = subprocess.run([args.rampartctl, "-s", sock, "--json", "list-manual"],
                                   capture_output=True, text=True)
                up = r.returncode == 0 and json.loads(r.stdout)["manual_sas"][0]["installed"]
                time.sleep(0.2)
            if not up:
                fail("dual: rampartd did not come up:\n%s" % open(logf).read()[-2000:])
            time.sleep(2.0)
            r = subprocess.run([args.rampartctl, "-s", sock, "--json", "stats"],
                               capture_output=True, text=True)
            stats = r.stdout
        finally:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=60)
    # decap: both families, in order, one hop less
    out = [x for x in rdpcap(f["lan_out"]) + rdpcap(f["lan_out2"]) if IP in x or IPv6 in x]
    if len(out) != n:
        fail("dual: decap: %d packets on the LAN, want %d\n%s" % (len(out), n, stats[:1500]))
    for k, o in enumerate(out):
        w = inner_dual(k, False)
        if o[Ether].dst != HOST_MAC or (IP in w) != (IP in o) or ttl_of(o) != 63 or \
                bytes(o[UDP].payload) != bytes(w[UDP].payload):
            fail("dual: decap packet %d differs: %r" % (k, o))
    # encap: ESP of both families, seq 1..n, scapy decrypts
    sa_out = sa_for("aes128gcm16", a["enc_out"], None, SPI_OUT, "192.0.2.1", "192.0.2.2")
    esp_out = [x for x in rdpcap(f["wan_out"]) + rdpcap(f["wan_out2"]) if ESP in x]
    if len(esp_out) != n:
        fail("dual: encap: %d ESP packets on the WAN, want %d\n%s" % (len(esp_out), n,
                                                                     stats[:1500]))
    for k, e in enumerate(esp_out):
        if e[ESP].spi != SPI_OUT or e[ESP].seq != k + 1:
            fail("dual: encap packet %d: spi %#x seq %d" % (k, e[ESP].spi, e[ESP].seq))
        try:
            d_in = sa_out.decrypt(e[IP])
        except Exception as ex:
            fail("dual: encap packet %d: scapy cannot decrypt it: %s" % (k, ex))
        w = inner_dual(k, True)
        dst = d_in[IP].dst if IP in d_in else d_in[IPv6].dst
        wdst = w[IP].dst if IP in w else w[IPv6].dst
        if (IP in w) != (IP in d_in) or dst != wdst or ttl_of(d_in) != 63 or \
                bytes(d_in[UDP].payload) != bytes(w[UDP].payload):
            fail("dual: encap packet %d: inner differs: %r" % (k, d_in))
    print("ok dual-stack selectors: %d mixed IPv4/IPv6 packets decapsulated and %d "
          "encapsulated, in order" % (n, n), flush=True)


def main():
    ap = arg_parser(["manual-sa"])
    ap.add_argument("--cryptodev", default=None,
                    help="run ESP through this rte_cryptodev (crypto: backend cryptodev)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    tmp = tempfile.mkdtemp(prefix="e2e-manual-")
    try:
        for alg in ALGS:
            run_alg(args, tmp, alg)
        if not args.cryptodev:
            run_dual(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("PASS manual-sa" + (" through cryptodev %s" % args.cryptodev if args.cryptodev else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
