#!/bin/sh
# Until rampartd exists, the demo is the datapath benchmark.
set -e
B=${1:-build}
exec "$B/perf/esp-bench" --quick
