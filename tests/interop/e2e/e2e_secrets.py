#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""rampartd never shows secrets, and its control socket obeys its access rules.

    e2e_secrets.py CASE --rampartd PATH --rampartctl PATH

secrets     rampartd at log level debug (and RAMPART_DEBUG_KEYS=1, the worst
            case) through IKE set-up, a child rekey, an IKE rekey, a second
            child rekey and a delete with a strongSwan client whose charon
            logs every key at ike=4/chd=4. Every key, nonce, the DH secret and
            the PSK taken from charon's log (hex in both cases, any 8-byte
            window) must be absent from rampartd's log (stdout and stderr)
            and from every rampartctl reply to a non-root peer; root replies
            carry ESP keys only in a -Ddebug_keys=true build, only in
            enc_key_in/out. A non-root peer never gets a key field.
ctl-access  reload accepts only the configured file or its siblings (symlinks
            resolved), never quotes a file that fails to load, counts its
            refusals; the control group may mutate, others cannot connect;
            an idle client is closed after 30 s.
"""

import base64
import json
import os
import re
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e import cli_main, start_clients  # noqa: E402
from e2e_lib import PSK, Result, args_common, log, sh, wait_for  # noqa: E402

NOBODY, NOGROUP, OTHER_GID = 65534, 65534, 65533
CTL_GROUP = "nogroup"           # Debian's group 65534: the control group here


def start_gw_ctl(net, r, res, env=None, log_level="info"):
    """Like e2e.start_gw, with the control socket 0660 for CTL_GROUP."""
    net.base()
    r.write_conf(log_level=log_level)
    with open(r.conf) as f:
        text = f.read()
    text = text.replace('mode: "0600"}', 'mode: "0660", group: %s}' % CTL_GROUP)
    with open(r.conf, "w") as f:
        f.write(text)
    up = r.start(env=env)
    res.check(up, "rampartd starts (control socket 0660, group %s)" % CTL_GROUP)
    return up


def ctl_as(r, uid, gid, args, json_out=True, timeout=15):
    """rampartctl as uid/gid (no supplementary groups), or as root when uid is 0."""
    cmd = [r.ctl_bin, "-s", r.sock, "-t", str(timeout)] + (["--json"] if json_out else [])
    if uid != 0:
        cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid, "--clear-groups"] + cmd
    rc, out = sh(["timeout", str(timeout + 5)] + cmd + list(args), check=False,
                 timeout=timeout + 10)
    return rc, out


# ---- secrets from charon's log ----

# "[IKE] Sk_ei secret => 36 bytes @ 0x7f..." then "[IKE]    0: 2C 74 DD ..." lines.
_DUMP = re.compile(r"\[(?:IKE|CHD|ENC|CFG)\] (.+?) => (\d+) bytes @ 0x")
_ROW = re.compile(r"\[(?:IKE|CHD|ENC|CFG)\]\s+\d+: ((?:[0-9A-F]{2} ){1,16})")
SECRET_LABELS = ("SKEYSEED", "Sk_d secret", "Sk_ai secret", "Sk_ar secret", "Sk_ei secret",
                 "Sk_er secret", "Sk_pi secret", "Sk_pr secret", "shared Diffie Hellman secret",
                 "encryption initiator key", "encryption responder key",
                 "integrity initiator key", "integrity responder key", "seed", "secret",
                 "prf(secret, keypad)")


def charon_secrets(text):
    """{label: [bytes]} of every dump whose label is a secret; the 64-byte
    child "seed" (Ni | Nr) is also split into its two nonces."""
    out, lines, i = {}, text.splitlines(), 0
    while i < len(lines):
        m = _DUMP.search(lines[i])
        if not m:
            i += 1
            continue
        label, n, data, j = m.group(1), int(m.group(2)), "", i + 1
        while j < len(lines) and len(data) < 2 * n:
            h = _ROW.search(lines[j])
            if not h:
                break
            data += h.group(1).replace(" ", "")
            j += 1
        i = j
        if label in SECRET_LABELS and len(data) == 2 * n:
            b = bytes.fromhex(data)
            out.setdefault(label, []).append(b)
            if label == "seed" and n == 64:
                out.setdefault("nonce", []).extend([b[:32], b[32:]])
    return out


def windows(b, w=8):
    """Every w-byte window of b as lowercase hex (all of b when shorter)."""
    if len(b) <= w:
        return {b.hex()}
    return {b[k:k + w].hex() for k in range(len(b) - w + 1)}


def find_secrets(hay, needles):
    """Names of needles found in hay: hex (either case, separators removed too)
    windows, the PSK's text and its base64."""
    low = hay.lower()
    flat = re.sub(r"[^0-9a-f]", "", low)
    hits = set()
    for name, (wins, texts) in needles.items():
        if any(t in hay for t in texts) or any(x in low or x in flat for x in wins):
            hits.add(name)
    return sorted(hits)


def build_needles(secrets):
    needles = {}
    for label, vals in secrets.items():
        for k, b in enumerate(vals):
            needles["%s #%d" % (label, k)] = (windows(b), set())
    psk = PSK.encode()
    needles["PSK"] = (windows(psk), {PSK, base64.b64encode(psk).decode()})
    return needles


def strip_key_fields(j):
    """A root reply without enc_key_in/out (the only place keys may be)."""
    if isinstance(j, dict):
        return {k: strip_key_fields(v) for k, v in j.items() if k not in ("enc_key_in",
                                                                           "enc_key_out")}
    if isinstance(j, list):
        return [strip_key_fields(v) for v in j]
    return j


def key_fields(j, path=""):
    """Paths of every field whose name mentions a key or secret."""
    found = []
    if isinstance(j, dict):
        for k, v in j.items():
            if re.search(r"key|secret|psk|nonce", k, re.I):
                found.append(path + "." + k)
            found += key_fields(v, path + "." + k)
    elif isinstance(j, list):
        for i, v in enumerate(j):
            found += key_fields(v, "%s[%d]" % (path, i))
    return found


READ_CMDS = [["status"], ["list-sas"], ["list-children"], ["stats"]]


def case_secrets(args, net, r, res):
    if not start_gw_ctl(net, r, res, env={"RAMPART_DEBUG_KEYS": "1"}, log_level="debug"):
        return
    exported = "RAMPART_DEBUG_KEYS=1: list-children reveals" in r.log_text()
    log("this build %s ESP keys to root" % ("exports" if exported else "never exports"))
    ns, addr = net.client_ns(1)
    chs, oks = start_clients(net, r, [(ns, addr, "c1", "c1@rampart.test")], keylog=True)
    if not res.check(oks[0], "client establishes (charon logs keys at ike=4, chd=4)"):
        return
    c = chs[0]
    replies = {"root": [], "nobody": []}     # (command, rc, text)

    def snapshot(tag):
        for cmd in READ_CMDS:
            for who, uid in (("root", 0), ("nobody", NOBODY)):
                for js in (True, False):
                    rc, out = ctl_as(r, uid, NOGROUP, cmd, json_out=js)
                    replies[who].append(("%s %s%s" % (tag, " ".join(cmd),
                                                      " --json" if js else ""), rc, out))

    def children_count(pattern):
        return len(set(re.findall(pattern, c.log_text())))

    snapshot("after set-up")
    # 1. child rekey initiated by rampartd, asked for by a control-group member.
    ch = r.children()
    rc, out = ctl_as(r, NOBODY, NOGROUP, ["rekey", "--child", str(ch[0]["id"])] if ch else
                     ["rekey", "--child", "1"])
    res.check(rc == 0, "a control-group member (uid %d) may rekey a child" % NOBODY, out.strip())
    res.check(wait_for(lambda: children_count(r"CHILD_SA ra\{(\d+)\} established") >= 2, 20)
              is True, "child rekeyed (rampartd initiated)")
    snapshot("after child rekey")
    # 2. IKE rekey initiated by the client.
    n_ike = len(re.findall(r"IKE_SA ra\[\d+\] rekeyed|rekeyed IKE_SA|IKE_SA rekeying "
                           r"completed", c.log_text()))
    rc, out = c.swanctl(["--rekey", "--ike", "ra"], 30)
    res.check(rc == 0 and wait_for(lambda: len(re.findall(
        r"IKE_SA ra\[\d+\] rekeyed|rekeyed IKE_SA|IKE_SA rekeying completed",
        c.log_text())) > n_ike or len(re.findall(r"SKEYSEED =>", c.log_text())) >= 2, 20)
        is True, "IKE SA rekeyed (client initiated)", out.strip()[-200:])
    # 3. child rekey initiated by the client, on the rekeyed IKE SA.
    rc, out = c.swanctl(["--rekey", "--child", "ra"], 30)
    res.check(rc == 0 and wait_for(lambda: children_count(
        r"CHILD_SA ra\{(\d+)\} established") >= 3, 20) is True,
        "child rekeyed again (client initiated)", out.strip()[-200:])
    snapshot("after IKE rekey")
    # 4. delete, asked for by the control-group member.
    sas = r.sas()
    rc, out = ctl_as(r, NOBODY, NOGROUP, ["terminate", str(sas[0]["id"]) if sas else "1"])
    res.check(rc == 0 and wait_for(lambda: not r.sas(), 20) is True,
              "a control-group member may terminate the IKE SA; it is gone", out.strip())
    snapshot("after delete")
    time.sleep(1)
    rlog = r.log_text()

    secrets = charon_secrets(c.log_text())
    counts = {k: len(v) for k, v in secrets.items()}
    res.check(len(secrets.get("encryption initiator key", [])) >= 3 and
              len(secrets.get("Sk_ei secret", [])) >= 2 and len(secrets.get("nonce", [])) >= 2
              and secrets.get("shared Diffie Hellman secret") and secrets.get("secret"),
              "charon's log gives the keys of 3 children and 2 IKE SAs, nonces, DH secret, PSK",
              ", ".join("%s %d" % kv for kv in sorted(counts.items())))
    needles = build_needles(secrets)
    # Controls: the search finds what it looks for.
    res.check(len(find_secrets(c.log_text(), needles)) == len(needles),
              "control: the search finds every secret in charon's own log",
              "%d of %d" % (len(find_secrets(c.log_text(), needles)), len(needles)))
    # "outbound switched" (a child rekey) is logged at debug level only.
    res.check("outbound switched from child" in rlog, "rampartd logged at debug level",
              "%d lines" % rlog.count("\n"))

    hits = find_secrets(rlog, needles)
    res.check(not hits, "rampartd's log (stdout and stderr, debug level) holds no key, "
              "nonce, DH secret or PSK", "found: %s" % hits[:8] if hits else
              "%d secrets x every 8-byte window, %d bytes of log" % (len(needles), len(rlog)))

    bad, fields, n = [], [], 0
    for what, rc, out in replies["nobody"]:
        n += 1
        h = find_secrets(out, needles)
        if h:
            bad.append("%s: %s" % (what, h[:3]))
        try:
            fields += ["%s: %s" % (what, p) for p in key_fields(json.loads(out))]
        except ValueError:
            pass
    res.check(n > 0 and all(rc == 0 for _, rc, _ in replies["nobody"]),
              "a non-root peer (uid %d, control group) can read status, lists and stats" % NOBODY,
              "%d replies" % n)
    res.check(not bad, "no secret in any rampartctl reply to the non-root peer",
              "; ".join(bad[:4]) if bad else "%d replies" % n)
    res.check(not fields, "no key field in any reply to the non-root peer",
              "; ".join(fields[:4]) if fields else "")

    bad, keyed = [], 0
    for what, rc, out in replies["root"]:
        try:
            j = json.loads(out)
        except ValueError:
            j = None
        if j is not None and key_fields(j):
            keyed += 1
        h = find_secrets(json.dumps(strip_key_fields(j)) if j is not None else out, needles)
        if h:
            bad.append("%s: %s" % (what, h[:3]))
    res.check(not bad, "root replies hold no secret outside enc_key_in/out",
              "; ".join(bad[:4]) if bad else "")
    if exported:
        # Control for the non-root check: the same requests as root do carry keys.
        esp = [x for x in needles if x.startswith("encryption ")]
        roothits = set()
        for _, _, out in replies["root"]:
            roothits.update(x for x in find_secrets(out, needles) if x in esp)
        res.check(keyed > 0 and roothits, "control (key-export build): root, same requests, "
                  "gets ESP keys that the search recognises", "%d replies with key fields, "
                  "%d ESP keys found" % (keyed, len(roothits)))
    else:
        res.check(keyed == 0, "build without key export: no key field even for root",
                  "%d replies with key fields" % keyed)

    # Someone outside the control group cannot even connect (file mode 0660).
    rc, out = ctl_as(r, NOBODY, OTHER_GID, ["status"])
    res.check(rc != 0 and "ermission denied" in out, "a peer outside the control group "
              "cannot connect", out.strip()[-120:])


def reply_of(out):
    try:
        return json.loads(out)
    except ValueError:
        return {"raw": out}


def case_ctl_access(args, net, r, res):
    if not start_gw_ctl(net, r, res):
        return
    d = os.path.dirname(r.conf)
    secret_word = "hunter2-not-for-your-eyes"

    # Outside the config's directory: refused, nothing read.
    rc, out = ctl_as(r, 0, 0, ["reload", "/etc/shadow"])
    j = reply_of(out)
    res.check(rc != 0 and "only the configured file" in j.get("error", ""),
              "root: reload /etc/shadow refused", j.get("error", out)[:120])
    res.check("root:" not in out, "the refusal quotes nothing of /etc/shadow")
    os.symlink("/etc/shadow", os.path.join(d, "shadow.yaml"))
    rc, out = ctl_as(r, 0, 0, ["reload", os.path.join(d, "shadow.yaml")])
    res.check(rc != 0 and "only the configured file" in reply_of(out).get("error", ""),
              "a symlink beside the config that leads out of its directory is refused",
              reply_of(out).get("error", out)[:120])
    os.makedirs(os.path.join(d, "sub"))
    with open(os.path.join(d, "sub", "x.yaml"), "w") as f:
        f.write("workers: 1\n")
    rc, out = ctl_as(r, 0, 0, ["reload", os.path.join(d, "sub", "x.yaml")])
    res.check(rc != 0, "a file in a subdirectory is refused", reply_of(out).get("error", "")[:80])

    # A broken sibling: its position only, never its content.
    sib = os.path.join(d, "other.yaml")
    for text, where, what in (
            ("workers: 1\n%s: [1, 2\n", r":\d+:\d+: rejected",
             "a broken sibling: FILE:LINE:COL only, no content"),
            ("workers: 1\n%s: 1\n", r":2:1: rejected",
             "a sibling with an unknown key: its name is not echoed")):
        with open(sib, "w") as f:
            f.write(text % secret_word)
        rc, out = ctl_as(r, 0, 0, ["reload", sib])
        err = reply_of(out).get("error", out)
        res.check(rc != 0 and re.search(re.escape(sib) + where, err) and
                  secret_word not in out, what, err[:160])
    res.check(secret_word not in r.log_text(), "nor logged")

    # The configured file with an unknown key: position and key name.
    with open(r.conf) as f:
        good = f.read()
    with open(r.conf, "w") as f:
        f.write(good + "zz_unknown_key: 1\n")
    rc, out = ctl_as(r, 0, 0, ["reload"])
    err = reply_of(out).get("error", out)
    res.check(rc != 0 and re.search(r":\d+:1: zz_unknown_key: rejected", err),
              "the configured file: FILE:LINE:COL and the key name", err[:160])
    with open(r.conf, "w") as f:
        f.write(good)

    # A good sibling loads (as the control group member), then the original again.
    with open(sib, "w") as f:
        f.write(good)
    os.chmod(sib, 0o600)
    rc, out = ctl_as(r, NOBODY, NOGROUP, ["reload", sib])
    res.check(rc == 0 and reply_of(out).get("conns") == 1,
              "a control-group member reloads a valid sibling", out.strip()[:120])
    rc, out = ctl_as(r, 0, 0, ["reload", r.conf])
    res.check(rc == 0, "and root the original file again", out.strip()[:120])

    # A group-readable file with an inline PSK is refused, naming no secret.
    os.chmod(sib, 0o640)
    rc, out = ctl_as(r, 0, 0, ["reload", sib])
    err = reply_of(out).get("error", out)
    res.check(rc != 0 and PSK not in out and re.search(r":\d+:\d+: rejected", err),
              "a sibling holding an inline PSK with mode 0640 is refused", err[:160])
    res.check("readable or writable by group or others (mode 0640)" not in out,
              "the reason is not quoted back (not the configured file)")
    stats = reply_of(ctl_as(r, 0, 0, ["stats"])[1])
    st = stats.get("ctl", {})
    # Failed reloads: control.reload_fail (with SIGHUP's), or ctl.reload_failed.
    failed = stats.get("control", {}).get("reload_fail", st.get("reload_failed"))
    res.check(st.get("reload_refused") == 3 and failed == 4,
              "refusals and failures counted (stats ctl.reload_refused, reload failures)",
              "refused %s, failed %s" % (st.get("reload_refused"), failed))

    # An idle client is closed after 30 s; a busy one is not.
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(r.sock)
    s.settimeout(45)
    t0 = time.monotonic()
    try:
        data = s.recv(100)
    except OSError as e:
        data = repr(e)
    dt = time.monotonic() - t0
    s.close()
    res.check(data == b"" and 25 <= dt <= 40, "an idle client is closed after about 30 s",
              "after %.1f s, got %r" % (dt, data))
    st = reply_of(ctl_as(r, 0, 0, ["stats"])[1]).get("ctl", {})
    res.check(st.get("idle_closed", 0) >= 1, "counted (stats ctl.idle_closed)",
              "idle_closed %s" % st.get("idle_closed"))


CASES = {"secrets": case_secrets, "ctl-access": case_ctl_access}


if __name__ == "__main__":
    sys.exit(cli_main(CASES))
