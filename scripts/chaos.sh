#!/usr/bin/env bash
# Chaos tests: Go tests named TestChaos* anywhere in the module, run against
# real mariadbd servers (internal/mariadbtest) that they kill, pause and
# restart. SHARDLINE_CHAOS=1 tells long-running chaos tests to run in full
# (under `make test` they may run a shortened version, or skip).
# Env: CHAOS_DURATION (workload length of the full run, default 2m; see
# internal/chaos), CHAOS_LOGS (a directory that keeps the shardline node
# logs), CHAOS_RUN (test name pattern), CHAOS_TIMEOUT (go test -timeout).
set -euo pipefail
cd "$(dirname "$0")/.."

pattern=${CHAOS_RUN:-'^TestChaos'}
if ! listing=$(go test -list "$pattern" ./... 2>&1); then
	echo "$listing" >&2
	echo "make chaos: could not list tests (see above)." >&2
	exit 1
fi
# `go test -list` prints the matching test names, then "ok <package> ..." per package.
mapfile -t pkgs < <(awk '/^Test/{n++} /^ok[ \t]/{ if (n) print $2; n=0 }' <<<"$listing")
if ((${#pkgs[@]} == 0)); then
	echo "make chaos: no chaos tests exist yet (no Go test matches $pattern); nothing was run." >&2
	exit 1
fi
echo "chaos tests in: ${pkgs[*]}"
SHARDLINE_CHAOS=1 exec go test -count=1 -v -timeout "${CHAOS_TIMEOUT:-30m}" -run "$pattern" "${pkgs[@]}"
