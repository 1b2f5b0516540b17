#!/usr/bin/env bash
# Render-check benchmark (docs/render.md's numbers): the kit's first-use set-up (npm ci
# and the bundle, into a fresh cache), the starter (its [render] packages and runtime included) with
# `build --render` at concurrency 1 and 2 (cold, --no-cache), what `frames` costs (1, 3, 5, 8 and
# all), a warm rebuild (every verdict from the render cache), and a synthetic 100-template catalog
# (its scenes in one to three formats) to extrapolate to 1,000. The browser's memory is the peak of
# the summed resident memory of every Chromium process, sampled every 0.2 s.
#   usage: bash scripts/bench-render.sh     (about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="$PWD/target/release/template-sft"
work="$(mktemp -d /tmp/template-sft-render-XXXXXX)"
trap 'rm -rf "$work"' EXIT
export TEMPLATE_SFT_CACHE="$work/cache"

# `timed CMD…`: prints the wall seconds; the peak browser memory goes to $work/.browser (MiB).
timed() {
  local peak=0 start end
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/.stderr" &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    local now
    now=$(ps -C chromium-headless-shell,chromium,headless_shell -o rss= 2>/dev/null | awk '{s += $1} END {print int(s / 1024)}')
    [ "${now:-0}" -gt "$peak" ] && peak=$now
    sleep 0.2
  done
  wait "$pid" || { cat "$work/.stderr" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$peak" > "$work/.browser"
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}'
}
starter() { rm -rf "$work/s"; cp -r examples/starter "$work/s"; rm -rf "$work/s/dataset"; }
# `render_set KEY VALUE`: a key of the starter's [render] section.
render_set() { sed -i "s|^\[render\]\$|[render]\n$1 = $2|" "$work/s/template-sft.toml"; }
renders() { python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['render']; print(r['renders'], r['verdicts'].get('ok', 0))" "$1"; }

echo "| case | wall | scene-formats | per scene-format | browser peak |"
echo "|---|---|---|---|---|"
setup=$(timed "$bin" render --prepare-kit "$work/kit")
echo "| first use: npm ci + bundle | ${setup} s | | | |"
# The starter's packages and runtime: locked, installed and bundled once (not timed below).
starter
"$bin" render -q -c "$work/s/template-sft.toml" examples/starter/templates/progress-steps.tsx --format square >/dev/null
for c in 1 2; do
  starter
  render_set concurrency "$c"
  t=$(timed "$bin" build -q --render --no-cache -c "$work/s/template-sft.toml")
  read -r n ok < <(renders "$work/s/dataset/v1/stats.json")
  echo "| starter, concurrency $c, cold (5 frames) | ${t} s | $n ($ok ok) | $(awk -v t="$t" -v n="$n" 'BEGIN {printf "%.2f", t / n}') s | $(cat "$work/.browser") MiB |"
done
for f in 1 3 8 '"all"'; do
  starter
  render_set frames "$f"
  t=$(timed "$bin" build -q --render --no-cache -c "$work/s/template-sft.toml")
  read -r n ok < <(renders "$work/s/dataset/v1/stats.json")
  echo "| starter, concurrency 2, frames = $f | ${t} s | $n ($ok ok) | $(awk -v t="$t" -v n="$n" 'BEGIN {printf "%.2f", t / n}') s | $(cat "$work/.browser") MiB |"
done
# Once to fill the caches, then the warm rebuild.
"$bin" build -q --render -c "$work/s/template-sft.toml" >/dev/null
t=$(timed "$bin" build -q --render -c "$work/s/template-sft.toml")
cached=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['render']['cached'])" "$(ls -d "$work"/s/dataset/v1-* | sort -V | tail -1)/stats.json")
echo "| starter, warm rebuild (render cache) | ${t} s | $cached from the cache | | |"

"$bin" synth "$work/synth" --templates 100 --prompts 1 --seed 3 -q
printf '\n[render]\nconcurrency = 2\nkit = "%s"\n' "$work/kit" >> "$work/synth/template-sft.toml"
t=$(timed "$bin" build -q --render -c "$work/synth/template-sft.toml")
read -r n ok < <(renders "$work/synth/dataset/v1/stats.json")
echo "| synthetic 100 templates, concurrency 2 | ${t} s | $n ($ok ok) | $(awk -v t="$t" -v n="$n" 'BEGIN {printf "%.2f", t / n}') s | $(cat "$work/.browser") MiB |"
echo "| synthetic 1,000 templates (×10, extrapolated) | $(awk -v t="$t" 'BEGIN {printf "%.0f", t * 10}') s | $((n * 10)) | | |"
