#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Long fuzzing campaign, one target at a time (docs/security/fuzz.md):
#   tests/fuzz/campaign.sh BUILD_FUZZ_DIR OUT_DIR SECONDS RUNS TARGET...
# Each target runs niced, as one job, until RUNS executions or SECONDS pass,
# on its own corpus copy OUT_DIR/<target>/corpus (seeded from the source
# corpus and regression inputs); the log is OUT_DIR/<target>/fuzz-0.log and
# any crash lands in OUT_DIR/<target>/. Binaries are copied first so that a
# rebuild during the campaign does not change what runs.
set -u
build=$1 out=$2 secs=$3 runs=$4
shift 4
src=$(cd "$(dirname "$0")" && pwd)
for t in "$@"; do
	d="$out/$t"
	mkdir -p "$d/corpus"
	cp "$build/tests/fuzz/fuzz_$t" "$d/fuzz_$t"
	echo "$(date -u +%FT%TZ) start $t" >> "$out/campaign.log"
	(cd "$d" && ASAN_OPTIONS=detect_leaks=1 nice -n 10 "./fuzz_$t" -jobs=1 -workers=1 \
		-runs="$runs" -max_total_time="$secs" -max_len=16384 -rss_limit_mb=2048 \
		-timeout=25 -entropic=0 -print_final_stats=1 -artifact_prefix="$d/" \
		corpus "$src/corpus/$t" "$src/regress/$t" > "$d/stdout.log" 2>&1)
	echo "$(date -u +%FT%TZ) end $t rc=$?" >> "$out/campaign.log"
done
