#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# fuzz_ike's DH memo (ike_dh_memo_set) must not change what lib/ike does:
# replay the corpus twice in one process (so the second pass hits the memo)
# with the memo on and off and compare, input by input, the target's
# counters and a digest of every datagram both instances sent (a wrong
# memoized key pair or g^ir changes the KE payloads or the keys that
# encrypt, so the digest).
#   tests/fuzz/dh_memo_check.sh REPLAY_IKE DIR...
set -u
replay=$1
shift
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
for m in 65536 0; do
	FUZZ_IKE_DH_MEMO=$m FUZZ_IKE_VERBOSE=0 "$replay" "$@" "$@" 2> "$tmp/err.$m" > /dev/null ||
		{ echo "replay failed with FUZZ_IKE_DH_MEMO=$m"; cat "$tmp/err.$m"; exit 1; }
	grep -E '^(target:|tx digest)' "$tmp/err.$m" > "$tmp/out.$m"
done
n=$(grep -c '^tx digest' "$tmp/out.65536")
hits=$(grep '^dh memo' "$tmp/err.65536" | tail -1 | awk '{ print $4 }')
echo "inputs: $n, memo hits at the end: ${hits:-none}"
if [ "$n" -eq 0 ] || [ "${hits:-0}" -eq 0 ]; then
	echo "no input replayed or no memo hit: the comparison would prove nothing"
	exit 1
fi
if ! diff "$tmp/out.65536" "$tmp/out.0" > "$tmp/diff"; then
	echo "DH memo changes lib/ike's behaviour:"
	head -20 "$tmp/diff"
	exit 1
fi
echo "same counters and datagrams with and without the memo"
