#!/usr/bin/env bash
# Render the starter project's HTML report and take a screenshot of it with headless Chromium, so a
# person can see what `template-sft report --html` produces. Writes docs/report.png (and prints the
# path of the HTML it rendered).
#   usage: bash scripts/report-screenshot.sh [HEIGHT]     (default 2300 pixels tall, 1280 wide)
set -euo pipefail
cd "$(dirname "$0")/.."
height="${1:-2300}"

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium" >&2
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q chromium
fi

cargo build --release --quiet
work="$(mktemp -d)"
cp -r examples/starter "$work/starter"
rm -rf "$work/starter/dataset"
target/release/template-sft build -q --config "$work/starter/template-sft.toml" >/dev/null
target/release/template-sft report "$work/starter/dataset/v1" --html "$work/report.html" >/dev/null

mkdir -p docs
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
  --user-data-dir="$work/chromium" --window-size="1280,$height" \
  --screenshot="$PWD/docs/report.png" "file://$work/report.html" 2>/dev/null
echo "rendered $work/report.html -> docs/report.png"
