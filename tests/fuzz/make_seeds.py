#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the hand-made seed inputs of tests/fuzz/corpus/{net,ctl,esp,ike,gcm}.

net: Ethernet frames (scapy) to the harness's addresses (10.0.2.1, 192.0.2.1,
2001:db8::1, MAC 02:00:00:00:00:01): ARP, ICMP echo, ND, IKE on 500 and 4500,
ESP and ESP-in-UDP, NAT keepalive, transit traffic, fragments.
ctl: request streams as rampartctl writes them, plus malformed ones.
esp: structure-aware records (op odd: inner packet sealed with a known SA);
the raw ESP packets come from running replay_esp with FUZZ_ESP_SAVE_DIR set.
Usage: make_seeds.py CORPUS_DIR
"""
import os
import struct
import sys

from scapy.all import (ARP, ICMP, IP, UDP, TCP, Ether, IPv6, ICMPv6EchoRequest,
                       ICMPv6ND_NS, ICMPv6ND_NA, ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr,
                       Raw, fragment, raw)

MAC = "02:00:00:00:00:01"
PEER = "02:00:00:00:00:02"


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def net(d):
    e = Ether(dst=MAC, src=PEER)
    ike = bytes(range(28)) + b"\x00" * 8
    frames = {
        "arp_req": Ether(dst="ff:ff:ff:ff:ff:ff", src=PEER) / ARP(op=1, hwsrc=PEER, psrc="10.0.2.2", pdst="10.0.2.1"),
        "arp_reply": e / ARP(op=2, hwsrc=PEER, psrc="10.0.2.2", hwdst=MAC, pdst="10.0.2.1"),
        "icmp4_echo": e / IP(src="10.0.2.2", dst="10.0.2.1") / ICMP() / Raw(b"ping" * 8),
        "icmp6_echo": e / IPv6(src="2001:db8::2", dst="2001:db8::1") / ICMPv6EchoRequest(data=b"x" * 16),
        "nd_ns": Ether(dst="33:33:ff:00:00:01", src=PEER) / IPv6(src="2001:db8::2", dst="ff02::1:ff00:1", hlim=255) / ICMPv6ND_NS(tgt="2001:db8::1") / ICMPv6NDOptSrcLLAddr(lladdr=PEER),
        "nd_na": e / IPv6(src="2001:db8::2", dst="2001:db8::1", hlim=255) / ICMPv6ND_NA(tgt="2001:db8::2", S=1) / ICMPv6NDOptDstLLAddr(lladdr=PEER),
        "ike500": e / IP(src="198.51.100.2", dst="192.0.2.1") / UDP(sport=500, dport=500) / Raw(ike),
        "ike4500": e / IP(src="198.51.100.2", dst="192.0.2.1") / UDP(sport=4500, dport=4500) / Raw(b"\0\0\0\0" + ike),
        "ike6": e / IPv6(src="2001:db8::2", dst="2001:db8::1") / UDP(sport=500, dport=500) / Raw(ike),
        "esp4": e / IP(src="198.51.100.2", dst="192.0.2.1", proto=50) / Raw(struct.pack(">II", 0x1001, 1) + b"\xaa" * 48),
        "esp6": e / IPv6(src="2001:db8::2", dst="2001:db8::1", nh=50) / Raw(struct.pack(">II", 0x1002, 1) + b"\xaa" * 48),
        "natt_esp": e / IP(src="198.51.100.2", dst="192.0.2.1") / UDP(sport=4500, dport=4500) / Raw(struct.pack(">II", 0x1003, 1) + b"\xbb" * 48),
        "natt_ka": e / IP(src="198.51.100.2", dst="192.0.2.1") / UDP(sport=4500, dport=4500) / Raw(b"\xff"),
        "fwd_udp": e / IP(src="10.0.2.7", dst="172.16.0.9", ttl=9) / UDP(sport=1000, dport=2000) / Raw(b"d" * 1400),
        "fwd_v6": e / IPv6(src="2001:db8::7", dst="2001:db8:1::9", hlim=3) / UDP(sport=1, dport=2) / Raw(b"e" * 1300),
        "local_tcp": e / IP(src="10.0.2.7", dst="10.0.2.1") / TCP(dport=22),
        "ip_options": e / IP(src="10.0.2.7", dst="10.0.2.1", ihl=6, options=b"\x01\x01\x01\x00") / ICMP(),
    }
    for i, fr in enumerate(fragment(IP(src="10.0.2.7", dst="10.0.2.1") / ICMP() / Raw(b"f" * 3000), fragsize=1000)):
        frames[f"frag{i}"] = e / fr
    for name, fr in frames.items():
        write(d, name, raw(fr))


def ctl(d):
    reqs = {
        "ping": b'{"cmd": "ping", "id": 1}\n',
        "status": b'{"cmd": "status"}\n',
        "list": b'{"cmd": "list-sas"}\n{"cmd": "list-children", "id": "x"}\n',
        "initiate": b'{"cmd": "initiate", "args": {"conn": "site-b"}, "id": 7}\n',
        "terminate": b'{"cmd": "terminate", "args": {"ike": 12}}\n{"cmd": "terminate", "args": {"ike": "0x10"}}\n',
        "rekey": b'{"cmd": "rekey", "args": {"child": 3}}\r\n{"cmd": "rekey", "args": {"ike": "41"}}\n',
        "reload": b'{"cmd": "reload", "args": {"file": "/etc/rampart/rampart.yaml"}}\n{"cmd": "reload", "args": null}\n',
        "stats": b'{"cmd": "stats", "id": [1, {"a": null}]}\n',
        "bad": b'{"cmd": 5}\n{"args": []}\n[1,2]\n{"cmd": "x"}\n{"cmd": "status", "cmd": "ping"}\nnot json\n\n',
        "oversized": b'{"cmd": "ping", "pad": "' + b"A" * 700 + b'"}\n{"cmd": "ping"}\n',
        "unicode": '{"cmd": "initiate", "args": {"conn": "\\u00e9\\ud83d\\ude00"}}\n'.encode(),
    }
    for name, data in reqs.items():
        write(d, name, data)


def esp(d):
    def rec(op, b):
        return bytes([op]) + struct.pack("<H", len(b)) + b
    pkts = {
        "udp4": raw(IP(src="10.1.0.5", dst="192.168.1.9") / UDP(sport=5, dport=6) / Raw(b"u" * 64)),
        "udp6": raw(IPv6(src="fd00::5", dst="fd00:1::9") / UDP(sport=5, dport=6) / Raw(b"v" * 200)),
        "tiny4": raw(IP(src="10.1.0.5", dst="192.168.1.9", proto=253)),
        "big4": raw(IP(src="10.1.0.5", dst="192.168.1.9") / UDP() / Raw(b"w" * 1400)),
    }
    for k in range(5):
        for name, p in pkts.items():
            write(d, f"sealed_sa{k}_{name}", rec(1 + 2 * k, p) + b"\x3f")
    # several SAs in one burst, with a replayed packet and a flipped bit
    allsa = b"".join(rec(1 + 2 * k, pkts["udp4"]) for k in range(5))
    write(d, "sealed_all_sas", allsa + rec(1 + 0x10, pkts["udp6"]) + rec(3 + 0x20, pkts["udp4"]) + b"\x3f")


def ike(d, ike_msg_dir):
    """Op streams for fuzz_ike (see its header): whole sessions driven by the
    peer instance; SK variants are made from these by FUZZ_IKE_RECORD."""
    STEP, RAW, SK, TICK, TACT, PACT, MUT, DROP = range(8)

    def steps(n):
        return bytes([STEP] * n)
    resp_session = (bytes([PACT, 0]) + steps(12) + bytes([PACT, 1]) + steps(6) +
                    bytes([TACT, 1]) + steps(6) + bytes([PACT, 2]) + steps(8) +
                    bytes([TICK, 255]) + steps(8) + bytes([TACT, 4 + 8]) + steps(6) +
                    bytes([PACT, 3]) + steps(6))
    init_session = (bytes([TACT, 0]) + steps(12) + bytes([TACT, 1]) + steps(6) +
                    bytes([PACT, 1]) + steps(6) + bytes([TACT, 2]) + steps(8) +
                    bytes([TICK, 120]) + steps(4) + bytes([TICK, 255]) + steps(8) +
                    bytes([TACT, 3]) + steps(6))
    for cfg in (0x00, 0x02, 0x04, 0x06, 0x08, 0x10, 0x20, 0x40, 0x80, 0x5a, 0xd6):
        write(d, f"session_resp_{cfg:02x}", bytes([cfg]) + resp_session)
        write(d, f"session_init_{cfg | 1:02x}", bytes([cfg | 1]) + init_session)
    # lost and retransmitted messages, a shutdown mid-way
    write(d, "session_resp_loss", bytes([0, PACT, 0, STEP, DROP, TICK, 5, STEP, STEP, STEP,
                                         DROP, TICK, 5, STEP, STEP, TICK, 20, STEP, STEP,
                                         TACT, 5, STEP, STEP]))
    # strongSwan's own messages (tests/vectors/ike_wire_strongswan.h captures)
    with open(os.path.join(ike_msg_dir, "sa_init_strongswan"), "rb") as f:
        sa_init = f.read()[1:]
    with open(os.path.join(ike_msg_dir, "auth_resp_inner_strongswan"), "rb") as f:
        raw_inner = f.read()
    first, inner = raw_inner[1], raw_inner[2:]
    write(d, "strongswan_sa_init_req", bytes([0, RAW]) + struct.pack("<H", len(sa_init)) +
          sa_init + steps(2))
    # target initiates; its IKE_AUTH request is dropped and strongSwan's
    # IKE_AUTH response payloads come back sealed with the SA's keys
    write(d, "strongswan_auth_resp", bytes([0x41, TACT, 0, STEP, STEP, DROP, SK, 35, 1, first]) +
          struct.pack("<H", len(inner)) + b"\0" + inner + steps(4))


def gcm(d):
    """Differential GCM inputs (fuzz_gcm.c): packet counts 1..16, both key
    slots and lengths, AAD 8 and 12, the sizes around block and crossover
    edges, and each kind of flipped bit."""
    sizes = [0, 1, 15, 16, 17, 31, 32, 48, 63, 64, 65, 127, 255, 256, 1420, 2048]
    for case, (n, klen_bits) in enumerate([(1, 0x00), (4, 0x20), (16, 0xa0), (7, 0x90), (16, 0x50)]):
        out = bytes([(n - 1) | klen_bits]) + bytes(range(1, 65))
        for i in range(n):
            ln = sizes[(case * 5 + i) % len(sizes)]
            ctrl = (i & 1) | ((i >> 1) & 1) << 1 | ((i + case) % 4) << 2
            out += bytes([ctrl]) + struct.pack("<H", ln) + bytes([i] * 12) + bytes([0xa0 + i] * 12)
            out += struct.pack("<H", i * 37 + case) + bytes((i * 7 + j) & 0xff for j in range(ln))
        write(d, "gcm_%d" % case, out)


def main():
    base = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    net(os.path.join(base, "net"))
    ctl(os.path.join(base, "ctl"))
    esp(os.path.join(base, "esp"))
    ike(os.path.join(base, "ike"), os.path.join(base, "ike_msg"))
    gcm(os.path.join(base, "gcm"))


if __name__ == "__main__":
    main()
