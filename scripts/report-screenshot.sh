#!/usr/bin/env bash
# Render the starter project's HTML report and take a screenshot of it with headless Chromium, so a
# person can see what `template-sft report --html` produces. Writes docs/report.png (and prints the
# path of the HTML it rendered).
#   usage: bash scripts/report-screenshot.sh [HEIGHT]     (default 2300 pixels tall, 1280 wide)
set -euo pipefail
cd "$(dirname "$0")/.."
height="${1:-2300}"

source scripts/lib.sh

work="$(mktemp -d)"
version="$(build_starter "$work")"
target/release/template-sft report "$version" --html "$work/report.html" >/dev/null
screenshot "$work/report.html" docs/report.png "$height"
echo "rendered $work/report.html -> docs/report.png"
