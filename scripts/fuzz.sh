#!/usr/bin/env bash
# Fuzz every target with cargo-fuzz (libFuzzer) for a fixed time each, then report executions and
# crashes. A crash input is copied to fuzz/regressions/<target>/, where tests/fuzz_corpus.rs replays it
# in every test run; commit it with the fix.
#   usage: bash scripts/fuzz.sh [SECONDS_PER_TARGET]      (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
# The duration evaluator runs modules in the binary's worker processes, as the tool does (a
# built-in that never yields is killed by the watchdog, not left to hang the fuzzer).
cargo build --release --locked --bin template-sft
export TEMPLATE_SFT_WORKER="$PWD/target/release/template-sft"
# cargo-fuzz passes -Z flags (sanitizers); this machine has only the stable toolchain.
export RUSTC_BOOTSTRAP=1

status=0
for target in ts_catalog tsx_check code_duration prompt_line validate_line version_readers eval_output; do
  work="$(mktemp -d)"   # new corpus entries go here; the seed folders stay as committed
  set +e
  seeds=()
  while read -r t dir; do [ "$t" = "$target" ] && seeds+=("$dir"); done < <(grep -v '^#' fuzz/seeds.txt)
  dict=()
  [ -f "fuzz/dictionaries/$target.dict" ] && dict=(-dict="fuzz/dictionaries/$target.dict")
  # -timeout: the watchdog stops an evaluation within 12 s; longer is a hang of ours.
  cargo fuzz run --fuzz-dir fuzz "$target" "$work" "${seeds[@]}" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536 -timeout=30 "${dict[@]}" >"$work.log" 2>&1
  code=$?
  set -e
  runs="$(grep -o 'Done [0-9]* runs' "$work.log" | grep -o '[0-9]*' || true)"
  crashes=0
  if [ -d "fuzz/artifacts/$target" ]; then
    mkdir -p "fuzz/regressions/$target"
    for f in fuzz/artifacts/"$target"/*; do
      [ -e "$f" ] || continue
      cp "$f" "fuzz/regressions/$target/"
      crashes=$((crashes + 1))
    done
  fi
  echo "$target: ${runs:-?} executions in ${seconds}s, $crashes crash input(s), exit $code"
  if [ "$code" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    status=1
    tail -30 "$work.log"
  fi
  rm -rf "$work" "$work.log"
done
exit "$status"
