#!/usr/bin/env bash
# Runs every fuzz target (tests/fuzz/) for SECONDS each (default 600), one after the other,
# in release mode and niced, then prints the cases run per target.
#
#   tests/fuzz/run.sh [SECONDS] [TARGET...]     targets: front_matter markdown search serve_path
#
# Logs: target/fuzz/<target>.log. A failing input is shrunk and saved under
# target/fuzz/crashes/; an abort (stack overflow) or a hang leaves the input that caused it
# there too. Copy a crash into tests/fuzz/seeds/<target>/ (and add a named test in
# tests/fuzz/regressions.rs) once it is fixed.
set -uo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(front_matter markdown search serve_path)
fi

test_name() {
  case "$1" in
    front_matter) echo front_matter::front_matter ;;
    markdown) echo markdown::markdown ;;
    search) echo search::search ;;
    serve_path) echo serve::serve_path ;;
    *) echo "unknown target $1" >&2; exit 2 ;;
  esac
}

nice -n 10 cargo test --release --locked --test fuzz --no-run || exit 1
mkdir -p target/fuzz/crashes
summary=()
status=0
for t in "${targets[@]}"; do
  name=$(test_name "$t")
  log=target/fuzz/$t.log
  echo "== $t: $seconds s"
  FUZZ_SECONDS=$seconds nice -n 10 cargo test --release --locked --test fuzz -- \
    --exact "$name" --test-threads 1 --nocapture >"$log" 2>&1
  code=$?
  line=$(grep -ao "fuzz $t: [0-9]* cases.*" "$log" | tail -n 1)
  if [ $code -ne 0 ]; then
    status=1
    if ! grep -aq "input saved to" "$log" && [ -f "target/fuzz/current-$t.bin" ]; then
      # Aborted (stack overflow): the input being run is the culprit.
      crash="target/fuzz/crashes/$t-abort-$(date +%s).bin"
      cp "target/fuzz/current-$t.bin" "$crash"
      echo "aborted; the input that was running is $crash"
    fi
    grep -a "fuzz $t\|panicked\|overflow\|input saved" "$log" | tail -n 20
    line="fuzz $t: FAILED (see $log)"
  fi
  echo "$line"
  summary+=("$line")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
