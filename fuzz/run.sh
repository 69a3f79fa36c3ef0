#!/usr/bin/env bash
# Run one fuzz target until it has used CPU_SECONDS of CPU time (default 600), niced, with the
# limits that turn hangs and unbounded allocations into findings. Writes logs/<target>.log (the
# libFuzzer output followed by /usr/bin/time -v) and prints one summary line.
# Usage: fuzz/run.sh TARGET [CPU_SECONDS]   (after `cargo fuzz build` and fuzz/seed.sh)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
t="$1"; limit="${2:-600}"
bin="$here/target/x86_64-unknown-linux-gnu/release/$t"
[ -x "$bin" ] || { echo "build first: RUSTC_BOOTSTRAP=1 cargo fuzz build" >&2; exit 1; }
mkdir -p "$here/corpus/$t" "$here/artifacts/$t" "$here/logs"
log="$here/logs/$t.log"
dict=(); [ -f "$here/dict/$t.dict" ] && dict=(-dict="$here/dict/$t.dict")
start=$(date +%s)
nice -n 10 /usr/bin/time -v "$bin" "$here/corpus/$t" "${dict[@]}" \
  -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$here/artifacts/$t/" > "$log" 2>&1 &
tpid=$!
tick=$(getconf CLK_TCK)
fpid=""
while kill -0 "$tpid" 2>/dev/null; do
  sleep 5
  [ -n "$fpid" ] || fpid=$(pgrep -P "$tpid" | head -1)
  [ -n "$fpid" ] && [ -r "/proc/$fpid/stat" ] || continue
  cpu=$(awk -v t="$tick" '{print int(($14+$15)/t)}' "/proc/$fpid/stat" 2>/dev/null || echo 0)
  if [ "${cpu:-0}" -ge "$limit" ]; then kill -INT "$fpid"; break; fi
done
wait "$tpid"; rc=$?
wall=$(( $(date +%s) - start ))
user=$(awk -F': ' '/User time/{print $2}' "$log"); sys=$(awk -F': ' '/System time/{print $2}' "$log")
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
execs=$(awk '/stat::number_of_executed_units/{print $2}' "$log")
peak=$(awk '/stat::peak_rss_mb/{print $2}' "$log")
corp=$(ls "$here/corpus/$t" | wc -l)
crashes=$(ls "$here/artifacts/$t" | wc -l)
echo "$t rc=$rc wall=${wall}s user=${user}s sys=${sys}s execs=$execs peak_rss=${peak}MB corpus_files=$corp artifacts=$crashes date=$(date -u +%F) last: $last"
