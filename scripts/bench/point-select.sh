#!/usr/bin/env bash
# Quick check: sysbench oltp_point_select, directly against MariaDB and (optionally)
# through a Shardline proxy, and a markdown table of the results.
#
# Environment:
#   DURATION=10        seconds per measured run
#   ROUNDS=3           rounds; each round runs, per --db-ps-mode (auto, disable),
#                      direct then proxy (A B A B ...), so drift hits both alike
#   THREADS=8          sysbench threads
#   TABLE_SIZE=10000   rows in the single table sbtest1
#   BENCH_PORT=13316   port of the MariaDB this script starts under .bench/point-select/
#   MARIADB_ADDR       host:port of an already running MariaDB (root, no password)
#                      to use instead of starting one
#   SHARDLINE_ADDR     host:port of a proxy; when unset only direct runs happen.
#                      The proxy must route database $BENCH_DB to the same
#                      MariaDB (e.g. a schema whose default_shard is it), with
#                      user SHARDLINE_USER / SHARDLINE_PASSWORD (default app/app).
#   BENCH_DB=sbtest    database holding sbtest1 (prepared directly on MariaDB)
#
# Everything it starts is stopped on exit; .bench/point-select/ is removed.
set -euo pipefail
cd "$(dirname "$0")/../.."

DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-8}
TABLE_SIZE=${TABLE_SIZE:-10000}
BENCH_PORT=${BENCH_PORT:-13316}
BENCH_DB=${BENCH_DB:-sbtest}
SHARDLINE_USER=${SHARDLINE_USER:-app}
SHARDLINE_PASSWORD=${SHARDLINE_PASSWORD-app}
BENCH_DIR=.bench/point-select
CTL=bin/mariadbctl
PS_MODES=(auto disable)

for v in DURATION ROUNDS THREADS TABLE_SIZE BENCH_PORT; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done
command -v sysbench >/dev/null || { echo "bench: sysbench is not installed (apt-get install sysbench)" >&2; exit 1; }

started=""
cleanup() {
	if [[ -n $started ]]; then
		"$CTL" down -dir "$BENCH_DIR" bench >/dev/null || true
		rm -rf "$BENCH_DIR"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -n ${MARIADB_ADDR:-} ]]; then
	direct_host=${MARIADB_ADDR%:*} direct_port=${MARIADB_ADDR##*:}
else
	if [[ ! -x $CTL ]]; then
		mkdir -p bin
		go build -o "$CTL" ./internal/mariadbtest/cmd/mariadbctl
	fi
	started=1
	"$CTL" up -dir "$BENCH_DIR" "bench:$BENCH_PORT"
	direct_host=127.0.0.1 direct_port=$BENCH_PORT
fi

# sysbench_args TARGET: connection flags for "direct" or "proxy".
sysbench_args() {
	if [[ $1 == direct ]]; then
		echo "--mysql-host=$direct_host --mysql-port=$direct_port --mysql-user=root --mysql-password="
	else
		echo "--mysql-host=${SHARDLINE_ADDR%:*} --mysql-port=${SHARDLINE_ADDR##*:} --mysql-user=$SHARDLINE_USER --mysql-password=$SHARDLINE_PASSWORD"
	fi
}

# sb TARGET COMMAND [ARGS...]: sysbench oltp_point_select, bounded in time.
sb() {
	local target=$1 cmd=$2
	shift 2
	# shellcheck disable=SC2046
	timeout $((DURATION + 120)) sysbench oltp_point_select --db-driver=mysql $(sysbench_args "$target") \
		--mysql-db="$BENCH_DB" --mysql-ssl=off --tables=1 --table-size="$TABLE_SIZE" "$@" "$cmd"
}

echo "== prepare: $BENCH_DB.sbtest1 with $TABLE_SIZE rows on $direct_host:$direct_port"
mariadb --no-defaults -h"$direct_host" -P"$direct_port" -uroot \
	-e "DROP DATABASE IF EXISTS \`$BENCH_DB\`; CREATE DATABASE \`$BENCH_DB\`"
sb direct prepare >/dev/null

targets=(direct)
[[ -n ${SHARDLINE_ADDR:-} ]] && targets+=(proxy)

# run_qps TARGET PSMODE SECONDS: prints the QPS of one run, or "error".
run_qps() {
	local out
	if out=$(sb "$1" run --threads="$THREADS" --time="$3" --db-ps-mode="$2" --report-interval=0 2>&1); then
		out=$(awk '/queries:/ { gsub(/[(]/, "", $3); print $3; exit }' <<<"$out")
		echo "${out:-error}"
	else
		echo "bench: $1 run (ps-mode $2) failed:" >&2
		tail -n 15 <<<"$out" >&2
		echo error
	fi
}

echo "== warm-up (2 s per target, not measured)"
for t in "${targets[@]}"; do
	[[ $(run_qps "$t" auto 2) != error ]] || exit 1
done

echo "== measuring: $ROUNDS rounds x ${#PS_MODES[@]} ps-modes x ${targets[*]}, ${DURATION}s each, $THREADS threads"
results=$(mktemp)
trap 'rm -f "$results"; cleanup' EXIT
failed=0
for round in $(seq 1 "$ROUNDS"); do
	for mode in "${PS_MODES[@]}"; do
		for t in "${targets[@]}"; do
			qps=$(run_qps "$t" "$mode" "$DURATION")
			[[ $qps == error ]] && failed=1
			echo "$round $mode $t $qps" | tee -a "$results" >&2
		done
	done
done

# Markdown: every run, then medians per ps-mode and the proxy/direct ratio.
awk -v rounds="$ROUNDS" -v threads="$THREADS" -v dur="$DURATION" -v size="$TABLE_SIZE" '
function median(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
	if (n == 0) return ""
	return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{ q[$1, $2, $3] = $4; if (!($2 in seen)) { seen[$2] = 1; modes[++nm] = $2 }; if ($3 == "proxy") proxy = 1
  if ($4 != "error") ok[$2, $3] = ok[$2, $3] " " $4 }
END {
	printf "\n### sysbench oltp_point_select: %d threads, 1 table x %d rows, %d s per run\n\n", threads, size, dur
	printf "| round | ps-mode | direct QPS |%s\n", proxy ? " proxy QPS | proxy/direct |" : ""
	printf "|---|---|---|%s\n", proxy ? "---|---|" : ""
	for (r = 1; r <= rounds; r++) for (i = 1; i <= nm; i++) {
		m = modes[i]; d = q[r, m, "direct"]; p = q[r, m, "proxy"]
		printf "| %d | %s | %s |", r, m, d
		if (proxy) printf " %s | %s |", p, (d + 0 > 0 && p != "error") ? sprintf("%.2f", p / d) : "-"
		printf "\n"
	}
	printf "\n| ps-mode | median direct QPS |%s\n", proxy ? " median proxy QPS | proxy/direct |" : ""
	printf "|---|---|%s\n", proxy ? "---|---|" : ""
	for (i = 1; i <= nm; i++) {
		m = modes[i]; d = median(ok[m, "direct"]); p = median(ok[m, "proxy"])
		printf "| %s | %s |", m, d
		if (proxy) printf " %s | %s |", p, (d + 0 > 0 && p != "") ? sprintf("%.2f", p / d) : "-"
		printf "\n"
	}
}' "$results"

if ((failed)); then
	echo "bench: some runs failed (marked 'error' above)" >&2
	exit 1
fi
