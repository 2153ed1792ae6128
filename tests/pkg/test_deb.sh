#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The Debian package works as shipped: tests/pkg/test_deb.sh DEB_BUILD_DIR
# (make check-pkg, after make deb). Unpacks the .deb into a temporary root
# (dpkg-deb -x), runs the packaged binaries there with --version (must print
# the package's version) and --check-config on every packaged sample config
# (0600 copies: the loader refuses secrets others can read), checks that a
# broken config is refused with FILE:LINE:COL and exit 1, checks the unit's
# essentials, and runs lintian: any error (E:) fails.
set -eu
B=${1:-build-deb}
set -- "$B"/rampart_*.deb
[ $# -eq 1 ] && [ -f "$1" ] || { echo "test_deb: expected one $B/rampart_*.deb (make deb)"; exit 1; }
DEB=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
fail() { echo "test_deb: FAIL: $*"; exit 1; }

dpkg-deb -x "$DEB" "$T/root"
VER=$(dpkg-deb -f "$DEB" Version)
D="$T/root/usr/bin/rampartd"
C="$T/root/usr/bin/rampartctl"
[ -x "$D" ] && [ -x "$C" ] || fail "binaries missing"
[ "$("$D" --version)" = "rampartd $VER" ] || fail "rampartd --version: $("$D" --version)"
[ "$("$C" --version)" = "rampartctl $VER" ] || fail "rampartctl --version: $("$C" --version)"

n=0
for f in $(cd "$T/root" && find etc/rampart -name '*.yaml' | sort); do
	cp "$T/root/$f" "$T/check.yaml"
	chmod 0600 "$T/check.yaml"
	out=$("$D" --check-config "$T/check.yaml" 2>&1) || fail "/$f: $out"
	[ "$out" = "$T/check.yaml: OK" ] || fail "/$f: unexpected output: $out"
	echo "test_deb: /$f: OK"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "only $n sample configs packaged"
dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles | grep -q '^/etc/rampart/rampart.yaml$' ||
	fail "/etc/rampart/rampart.yaml is not a conffile"

# A broken file: exit 1 with FILE:LINE:COL, nothing printed as OK.
printf 'workers: 1\nno_such_key: 2\n' > "$T/bad.yaml"
chmod 0600 "$T/bad.yaml"
if out=$("$D" --check-config "$T/bad.yaml" 2>&1); then fail "bad config accepted: $out"; fi
echo "$out" | grep -q "bad.yaml:2:1: no_such_key" || fail "bad config error: $out"

U="$T/root/lib/systemd/system/rampartd.service"
for want in '^Type=notify$' '^ExecStart=/usr/bin/rampartd -c /etc/rampart/rampart.yaml$' \
	    '^ExecReload=/usr/bin/rampartctl reload$' '^WatchdogSec=' '^Restart=on-failure$' \
	    '^CapabilityBoundingSet='; do
	grep -q "$want" "$U" || fail "unit lacks $want"
done
[ -f "$T/root/usr/share/bash-completion/completions/rampartctl" ] ||
	fail "bash completion missing"
bash -c '. "$1" && complete -p rampartctl' _ "$T/root/usr/share/bash-completion/completions/rampartctl" \
	>/dev/null || fail "bash completion does not register"
for m in man8/rampartd.8.gz man8/rampartctl.8.gz man5/rampart.yaml.5.gz; do
	[ -f "$T/root/usr/share/man/$m" ] || fail "man page $m missing"
done

# Expected warnings: non-standard-file-perm 0600 on the sample configs (they
# hold example PSKs; rampartd refuses a secret that others can read).
rc=0
lintian --no-cfg --allow-root "$DEB" > "$T/lintian.txt" 2>&1 || rc=$?
cat "$T/lintian.txt"
! grep -q '^E: ' "$T/lintian.txt" || fail "lintian errors"
[ "$rc" -eq 0 ] || fail "lintian exit status $rc"
echo "test_deb: OK ($DEB, $n configs)"
