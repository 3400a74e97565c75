#!/usr/bin/env bash
# The benchmark suite of issue 8 (`make bench`): sysbench direct vs through
# Shardline (pass-through and sharded over two servers), cross-shard transfer
# transactions, proxy CPU per query and RSS (idle, under load, 1,000 idle
# connections), Raft decision appends, and the Go benchmarks (parse+plan,
# merge, packet forwarding). Writes BENCHMARKS.md and prints it; raw output
# (benchstat-ready go test output, proxy logs) stays in .bench/results.
#
# Environment (defaults sized for < 15 minutes on 2 cores):
#   DURATION=5          seconds per measured sysbench/transfer run
#   ROUNDS=3            rounds; each runs direct, pass-through, sharded back to back
#   THREADS="8 32"      sysbench thread counts
#   TABLES=2 TABLE_SIZE=10000   sysbench tables
#   TRANSFER_THREADS=8 ACCOUNTS=10000   transfer workload
#   IDLE_CONNS=1000     idle client connections for the per-connection memory
#   GOBENCH_COUNT=3 GOBENCH_TIME=300ms RAFT_BENCHTIME=1s   go test -bench settings
#   SECTIONS="sysbench transfer resources gobench"  run only some parts
#   OUT=BENCHMARKS.md   where the report goes
#   PROFILE=1           extra unmeasured runs with proxy CPU profiles (0: none)
#   NOTES=scripts/bench/notes.md   hand-written findings copied into the report
#
# Everything it starts (two mariadbd, two shardline) is stopped on exit; the
# Go program kills its children if it dies (Pdeathsig).
# scripts/bench/point-select.sh is the older quick point-select check against
# an already running proxy (SHARDLINE_ADDR).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

for tool in sysbench mariadbd go; do
	command -v "$tool" >/dev/null || { echo "bench: $tool is not installed" >&2; exit 1; }
done
if [[ ! -x bin/shardline ]]; then
	mkdir -p bin
	go build -o bin/ ./cmd/shardline
fi
mkdir -p .bench
go build -o .bench/benchtool ./internal/benchtool
# Bounded: the defaults take about 12 minutes; allow long settings, never forever.
exec timeout --signal=TERM --kill-after=30s "${BENCH_TIMEOUT:-3600}" .bench/benchtool
