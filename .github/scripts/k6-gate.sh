#!/usr/bin/env bash
# The preview's k6 gate: runs each named scenario of load-tests/scenarios with PROFILE=smoke against BASE_URL,
# keeps each text summary, writes a Markdown report (.tmp/k6/report.md, also the job summary and the step
# output `report`) and fails when any scenario failed (a breached threshold makes k6 exit 99).
#   .github/scripts/k6-gate.sh <base-url> <scenario>...
set -uo pipefail

base_url="${1:?usage: k6-gate.sh <base-url> <scenario>...}"
shift
[ "$#" -gt 0 ] || { echo "k6-gate.sh: name at least one scenario" >&2; exit 2; }
out=.tmp/k6
mkdir -p "$out"
report="$out/report.md"
failed=0
rows=()
for scenario in "$@"; do
  script="load-tests/scenarios/$scenario.ts"
  if [ ! -f "$script" ]; then
    echo "k6-gate.sh: $script does not exist" >&2
    rows+=("| \`$scenario\` | missing | — |")
    failed=1
    continue
  fi
  started=$(date +%s)
  k6 run --no-color -e BASE_URL="$base_url" -e PROFILE=smoke -e RESULTS_DIR="$out" "$script" 2>&1 | tee "$out/$scenario.txt"
  status=${PIPESTATUS[0]}
  seconds=$(( $(date +%s) - started ))
  if [ "$status" -eq 0 ]; then
    rows+=("| \`$scenario\` | ✅ passed | ${seconds} s |")
  else
    rows+=("| \`$scenario\` | ❌ failed (k6 exit $status) | ${seconds} s |")
    failed=1
  fi
done

{
  echo "k6 smoke (\`PROFILE=smoke\`) against \`$base_url\`"
  echo
  echo "| scenario | result | time |"
  echo "| --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  for scenario in "$@"; do
    [ -f "$out/$scenario.txt" ] || continue
    echo
    echo "<details><summary><code>$scenario</code> summary</summary>"
    echo
    echo '```'
    # The end of k6's output: the thresholds, checks and metrics of the run.
    tail -n 60 "$out/$scenario.txt"
    echo '```'
    echo
    echo "</details>"
  done
} > "$report"

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then cat "$report" >> "$GITHUB_STEP_SUMMARY"; fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  delimiter="k6_report_$(date +%s%N)"
  { echo "report<<$delimiter"; cat "$report"; echo "$delimiter"; echo "passed=$([ "$failed" -eq 0 ] && echo true || echo false)"; } >> "$GITHUB_OUTPUT"
fi
exit "$failed"
