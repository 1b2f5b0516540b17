#!/usr/bin/env bash
# Render the starter project's HTML report and take a screenshot of it with headless Chromium, so a
# person can see what `template-sft report --html` produces: the starter built with the render check
# and `[render] keep_frames = true`, so the report has its contact sheet. Writes docs/report.png
# (and prints the path of the HTML it rendered).
#   usage: bash scripts/report-screenshot.sh [HEIGHT]     (default 5600 pixels tall, 1280 wide)
set -euo pipefail
cd "$(dirname "$0")/.."
height="${1:-5600}"

source scripts/lib.sh

work="$(mktemp -d)"
cargo build --release --quiet
cp -r examples/starter "$work/starter"
rm -rf "$work/starter/dataset"
sed -i 's/^\[render\]$/[render]\nkeep_frames = true/' "$work/starter/template-sft.toml"
target/release/template-sft build -q --render --config "$work/starter/template-sft.toml" >/dev/null
version="$work/starter/dataset/v1"
target/release/template-sft report "$version" --html "$work/report.html" >/dev/null
screenshot "$work/report.html" docs/report.png "$height"
echo "rendered $work/report.html -> docs/report.png"
