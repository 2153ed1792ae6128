# SPDX-License-Identifier: BSD-3-Clause
"""The one home of the test networks: namespaces, veth pairs, strongSwan
(charon) instances, charon's key-log parsing and clean-up.

Used by the e2e tests (tests/interop/e2e/e2e_lib.py), the lib/ike interop
tests (tests/interop/ike/ikei_lib.py) and, through the command line below,
by scripts/demo.sh and scripts/rampartd-smoke.sh:

    python3 tests/interop/netlab.py ns-add NS...        fresh namespaces, lo up
    python3 tests/interop/netlab.py veth A NS_A B NS_B  a veth pair between two
    python3 tests/interop/netlab.py ns-del NS...        kill what runs in them, remove
    python3 tests/interop/netlab.py dpdk-port NS DEV... veth ends a DPDK af_packet port owns
    python3 tests/interop/netlab.py host-if NS DEV ADDR a kernel-side interface, address, up
    python3 tests/interop/netlab.py charon-start NS DIR [LEVEL...]
                                                        charon in NS (files in DIR), its
                                                        pid on stdout once it answers
    python3 tests/interop/netlab.py swanctl NS DIR ARG... swanctl against that charon
    python3 tests/interop/netlab.py wait-log FILE TEXT PID SECONDS
                                                        until TEXT is in FILE (PID alive)

Everything a caller creates carries its own prefix and pid; nothing outside
the namespaces is touched.
"""

import os
import re
import signal
import subprocess
import sys
import time

VERBOSE = os.environ.get("V", "") not in ("", "0")

# The plugin list PEERS.md found to work: kernel-libipsec before kernel-netlink.
CHARON_PLUGINS = ("random nonce openssl pem pkcs1 pkcs8 x509 pubkey revocation constraints "
                  "aes gcm sha1 sha2 hmac kdf curve25519 gmp attr kernel-libipsec "
                  "kernel-netlink socket-default vici")
CHARON_BIN = "/usr/lib/ipsec/charon"


def run(cmd, ns=None, timeout=30, env=None):
    """Run a command list (inside namespace ns); return (rc, output).
    A timeout gives rc 124 and what was printed so far."""
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    if VERBOSE:
        print("# $ " + " ".join(cmd), flush=True)
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env, text=True, stdin=subprocess.DEVNULL)
        return r.returncode, r.stdout or ""
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        return 124, out.decode(errors="replace") if isinstance(out, bytes) else out


def must(cmd, ns=None, timeout=30, env=None):
    """run(), raising RuntimeError when the command fails; returns the output."""
    rc, out = run(cmd, ns=ns, timeout=timeout, env=env)
    if rc != 0:
        if ns:
            cmd = ["ip", "netns", "exec", ns] + cmd
        raise RuntimeError("%s: rc %d: %s" % (" ".join(cmd), rc, out.strip()[-2000:]))
    return out


# --------------------------------------------------------------------------
# Namespaces and links

def kill_pid(pid, sig=signal.SIGTERM):
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def ns_list():
    _, out = run(["ip", "netns", "list"])
    return [ln.split()[0] for ln in out.splitlines() if ln.split()]


def ns_pids(ns):
    rc, out = run(["ip", "netns", "pids", ns], timeout=10)
    return [int(p) for p in out.split() if p.isdigit()] if rc == 0 else []


def ns_del(ns):
    """Kill every process in ns, then remove it (quietly when it is absent)."""
    for p in ns_pids(ns):
        kill_pid(p, signal.SIGKILL)
    run(["ip", "netns", "del", ns])


def ns_add(ns, ipv6=True):
    """A fresh namespace (an old one of the same name is removed first) with lo up;
    ipv6=False turns IPv6 off in it."""
    if ns in ns_list():
        ns_del(ns)
    must(["ip", "netns", "add", ns])
    must(["ip", "link", "set", "lo", "up"], ns=ns)
    if not ipv6:
        must(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"], ns=ns)
        must(["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"], ns=ns)


def reap_stale(pattern):
    """Remove namespaces whose name matches pattern (a regex whose group 1 is
    the pid of the run that made them) when that run is gone."""
    for ns in ns_list():
        m = re.match(pattern, ns)
        if m and not os.path.exists("/proc/" + m.group(1)):
            ns_del(ns)


def veth(a, ns_a, b, ns_b):
    must(["ip", "link", "add", a, "netns", ns_a, "type", "veth", "peer", "name", b,
          "netns", ns_b])


def dpdk_port(ns, dev):
    """The end of a veth that a DPDK net_af_packet port owns: no IPv6 chatter,
    promiscuous, up."""
    must(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % dev], ns=ns)
    must(["ip", "link", "set", dev, "promisc", "on", "up"], ns=ns)


def host_if(ns, dev, addr):
    """A kernel-side interface: address, up, no partial checksums."""
    if addr:
        must(["ip", "addr", "add", addr, "dev", dev], ns=ns)
    must(["ip", "link", "set", dev, "up"], ns=ns)
    run(["ethtool", "-K", dev, "tx", "off", "tso", "off", "gso", "off"], ns=ns)


# --------------------------------------------------------------------------
# strongSwan (charon with kernel-libipsec, one per namespace)

def charon_conf(sock, logf, levels="ike = 1\n\t\t\tchd = 1", options="", default=1,
                plugins=""):
    """strongswan.conf text: our plugin list, the vici socket sock, a file log
    logf at level default plus levels, extra charon options (lines) and
    extra plugin sections (lines inside plugins { })."""
    return """charon {
	load_modular = no
	load = %s
%s	filelog {
		netlab {
			path = %s
			time_format = %%H:%%M:%%S
			default = %d
			%s
			flush_line = yes
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
	plugins {
		vici {
			socket = unix://%s
		}
%s	}
}
""" % (CHARON_PLUGINS, options, logf, default, levels, sock, plugins)


def swanctl_template(name, conn, local, remote, children, secrets=()):
    """swanctl.conf text as a str.format template (its own braces doubled, the
    values may hold {placeholders}): connection name with the options conn,
    the auth rounds local and remote, the children [(name, options)], then the
    secrets [(name, options)]. Options are [(key, value)] in file order."""
    def opts(tabs, items):
        return "".join("\t" * tabs + "%s = %s\n" % kv for kv in items)

    text = ("connections {{\n\t%s {{\n" % name + opts(2, conn)
            + "\t\tlocal {{\n" + opts(3, local) + "\t\t}}\n"
            + "\t\tremote {{\n" + opts(3, remote) + "\t\t}}\n"
            + "\t\tchildren {{\n"
            + "".join("\t\t\t%s {{\n" % c + opts(4, o) + "\t\t\t}}\n" for c, o in children)
            + "\t\t}}\n\t}}\n}}\n")
    if secrets:
        text += ("secrets {{\n" + "".join("\t%s {{\n" % k + opts(2, o) + "\t}}\n"
                                          for k, o in secrets) + "}}\n")
    return text


def charon_cmd(ns, rundir, conf):
    """The command that starts charon in ns with its own /run (rundir) and conf."""
    return ["ip", "netns", "exec", ns, "sh", "-c",
            "mount --bind %s /run && exec env STRONGSWAN_CONF=%s %s"
            % (rundir, conf, CHARON_BIN)]


def swanctl_cmd(ns, sock, args, timeout):
    return ["ip", "netns", "exec", ns, "timeout", str(timeout), "swanctl"] + list(args) + \
        ["--uri", "unix://" + sock]


def wait_for(pred, timeout, step=0.2):
    """Poll pred() until it returns a true value or timeout s pass; return its last value."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > end:
            return v
        time.sleep(step)


def read_text(path, start=0):
    """A log file's text from byte start on ("" when it is not there yet)."""
    try:
        with open(path, errors="replace") as f:
            f.seek(start)
            return f.read()
    except OSError:
        return ""


def wait_log(path, text, alive, timeout, step=0.2):
    """Wait until text appears in the file path while alive() holds: True,
    "dead" when alive() turned false first, False after timeout s."""
    def seen():
        if not alive():
            return "dead"
        return text in read_text(path)
    return wait_for(seen, timeout, step)


class Charon:
    """One charon (kernel-libipsec) in namespace ns with its own directory d:
    run/ (bind-mounted on /run: charon's pid file is fixed), strongswan.conf,
    the vici socket sock_name, charon.log (the file log) and charon.out."""

    def __init__(self, ns, d, sock_name="charon.vici"):
        self.ns, self.dir = ns, d
        self.rundir = os.path.join(d, "run")
        self.sock = os.path.join(d, sock_name)
        self.logf = os.path.join(d, "charon.log")
        self.conf = os.path.join(d, "strongswan.conf")
        self.out = os.path.join(d, "charon.out")
        self.swanctl_env = None         # swanctl's environment (None: ours)
        self.proc = None
        os.makedirs(self.rundir, exist_ok=True)

    def write_conf(self, *args, **kw):
        """strongswan.conf for this instance (charon_conf's levels, options, ...)."""
        with open(self.conf, "w") as f:
            f.write(charon_conf(self.sock, self.logf, *args, **kw))

    def start(self, detach=False):
        """Start charon (output appended to charon.out); detach: in a session
        of its own, to outlive the caller (the command line's charon-start)."""
        try:
            os.unlink(self.sock)        # a stale socket would look ready
        except OSError:
            pass
        with open(self.out, "a") as out:
            self.proc = subprocess.Popen(charon_cmd(self.ns, self.rundir, self.conf),
                                         stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=detach)
        return self.proc

    def _swanctl(self, args, timeout):
        return run(swanctl_cmd(self.ns, self.sock, args, timeout), timeout=timeout + 5,
                   env=self.swanctl_env)

    def swanctl(self, args, timeout=20):
        """swanctl ARGS against this charon, timeout s at most: (rc, output)."""
        return self._swanctl(args, timeout)

    def wait_ready(self, timeout=40, step=0.3):
        """True once charon answers on its vici socket, False when it died
        or did not answer within timeout s."""
        def ready():
            if self.proc.poll() is not None:
                return "dead"
            return os.path.exists(self.sock) and self._swanctl(["--stats"], 5)[0] == 0
        return wait_for(ready, timeout, step) is True

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM, grace=5):
        """Signal sig, then SIGKILL after grace s."""
        if self.alive():
            self.proc.send_signal(sig)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def kill(self):
        self.stop(signal.SIGKILL)

    def log_size(self):
        try:
            return os.path.getsize(self.logf)
        except OSError:
            return 0

    def log_text(self, start=0):
        return read_text(self.logf, start)


# --------------------------------------------------------------------------
# charon's key log (ike = 4, chd = 4):
#   ... [IKE] Sk_ei secret => 36 bytes @ 0x...
#   ... [IKE]    0: 01 02 ...  ................
#   ... [CHD] encryption initiator key => 36 bytes @ 0x...
# then "CHILD_SA ra{1} established with SPIs c1234567_i c7654321_o".
_DUMP_HDR = re.compile(r"\[(IKE|CHD)\] (.+?) => (\d+) bytes @ 0x[0-9a-f]+")
_DUMP_LINE = re.compile(r"\[(IKE|CHD)\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})")
_CHILD_EST = re.compile(r"CHILD_SA (\S+)\{(\d+)\} established with SPIs ([0-9a-f]+)_i "
                        r"([0-9a-f]+)_o")
_CHILD_KEY = {"encryption initiator key": "ei", "encryption responder key": "er",
              "integrity initiator key": "ai", "integrity responder key": "ar"}


def parse_key_dumps(text):
    """Yield (label, hexbytes, line_index) for every %B dump in the log."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _DUMP_HDR.search(lines[i])
        if not m:
            i += 1
            continue
        label, n = m.group(2).strip(), int(m.group(3))
        data = ""
        j = i + 1
        while j < len(lines) and len(data) < 2 * n:
            m2 = _DUMP_LINE.search(lines[j])
            if not m2:
                break
            data += m2.group(2).replace(" ", "").lower()
            j += 1
        yield label, data[:2 * n], i
        i = j


def charon_child_keys(text):
    """Child SA keys charon derived, in log order: dicts with 'ei','er' (and
    'ai','ar' with an integrity algorithm; initiator->responder = *i) and the
    SPIs logged right after ('spi_in','spi_out' as in 'established with SPIs
    IN_i OUT_o')."""
    events = [(idx, _CHILD_KEY[label], data) for label, data, idx in parse_key_dumps(text)
              if label in _CHILD_KEY]
    for idx, line in enumerate(text.splitlines()):
        m = _CHILD_EST.search(line)
        if m:
            events.append((idx, "est", m))
    events.sort(key=lambda e: e[0])
    res, cur = [], {}
    for _, kind, val in events:
        if kind == "est":
            # a rekey logs "inbound ... established" and later "outbound
            # ... established" for one key derivation: keep the first
            if "ei" in cur and "er" in cur:
                cur["spi_in"], cur["spi_out"] = val.group(3), val.group(4)
                res.append(cur)
            cur = {}
        else:
            cur[kind] = val
    return res


def charon_ike_keys(text):
    """IKE SA keys charon derived, in order: list of dicts SK_d, SK_ai ..."""
    res, cur = [], {}
    for label, data, _ in parse_key_dumps(text):
        m = re.match(r"Sk_(d|ai|ar|ei|er|pi|pr) secret", label)
        if m:
            k = "SK_" + m.group(1)
            if k in cur:
                res.append(cur)
                cur = {}
            cur[k] = data
    if cur:
        res.append(cur)
    return res


# --------------------------------------------------------------------------
# Command line (for the shell scripts)

def cli_charon_start(ns, d, *levels):
    """charon in ns, files in d (d/charon.vici, d/charon.log): pid on stdout."""
    c = Charon(ns, d)
    c.write_conf(*(["\n\t\t\t".join(levels)] if levels else []))
    c.start(detach=True)
    if not c.wait_ready(30, 0.2):
        c.kill()
        raise RuntimeError("charon in %s did not start (see %s)" % (ns, c.out))
    print(c.proc.pid)


def cli_swanctl(ns, d, *args):
    """swanctl ARGS against the charon of charon-start NS D; its status."""
    return subprocess.run(swanctl_cmd(ns, Charon(ns, d).sock, args, 30)).returncode


def cli_wait_log(path, text, pid, seconds):
    """0 once text is in the file path, 1 when pid exits first or after seconds."""
    return 0 if wait_log(path, text, lambda: os.path.exists("/proc/" + pid),
                         float(seconds)) is True else 1


def main(argv):
    cmds = {"ns-add": (1, lambda a: [ns_add(ns) for ns in a]),
            "ns-del": (1, lambda a: [ns_del(ns) for ns in a]),
            "veth": (4, lambda a: veth(*a)),
            "dpdk-port": (2, lambda a: [dpdk_port(a[0], d) for d in a[1:]]),
            "host-if": (3, lambda a: host_if(*a)),
            "charon-start": (2, lambda a: cli_charon_start(*a)),
            "swanctl": (3, lambda a: cli_swanctl(*a)),
            "wait-log": (4, lambda a: cli_wait_log(*a))}
    if len(argv) < 1 or argv[0] not in cmds or len(argv) - 1 < cmds[argv[0]][0] or \
       (argv[0] in ("veth", "host-if", "wait-log") and len(argv) != cmds[argv[0]][0] + 1):
        sys.stderr.write("usage: netlab.py ns-add NS... | ns-del NS... | veth A NS_A B NS_B | "
                         "dpdk-port NS DEV... | host-if NS DEV ADDR | "
                         "charon-start NS DIR [LEVEL...] | "
                         "swanctl NS DIR ARG... | wait-log FILE TEXT PID SECONDS\n")
        return 2
    try:
        rc = cmds[argv[0]][1](argv[1:])
    except RuntimeError as e:
        sys.stderr.write("netlab: %s\n" % e)
        return 1
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
