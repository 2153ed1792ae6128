#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# rampartd --check-config and --version from the build tree:
#   check_config.sh RAMPARTD RAMPARTCTL VERSION SAMPLE...
# Every sample (a 0600 copy) prints "FILE: OK" and exits 0; a file with an
# unknown key and one that others can read while holding a PSK exit 1 with
# the loader's message; --version prints meson's project version.
set -eu
D=$1 C=$2 VER=$3
shift 3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT INT TERM
fail() { echo "check_config: FAIL: $*"; exit 1; }

[ "$("$D" --version)" = "rampartd $VER" ] || fail "rampartd --version: $("$D" --version)"
[ "$("$C" --version)" = "rampartctl $VER" ] || fail "rampartctl --version: $("$C" --version)"
for f in "$@"; do
	cp "$f" "$T/s.yaml"
	chmod 0600 "$T/s.yaml"
	out=$("$D" --check-config "$T/s.yaml" 2>&1) || fail "$f: $out"
	[ "$out" = "$T/s.yaml: OK" ] || fail "$f: $out"
done
printf 'workers: 1\nno_such_key: 2\n' > "$T/bad.yaml"
chmod 0600 "$T/bad.yaml"
if out=$("$D" --check-config "$T/bad.yaml" 2>&1); then fail "unknown key accepted: $out"; fi
echo "$out" | grep -q "bad.yaml:2:1: no_such_key" || fail "unknown key: $out"
cp "$1" "$T/open.yaml"
chmod 0644 "$T/open.yaml"
if out=$("$D" --check-config "$T/open.yaml" 2>&1); then fail "readable PSK accepted: $out"; fi
echo "check_config: $# samples OK, bad files refused"
