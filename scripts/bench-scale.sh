#!/usr/bin/env bash
# Scale benchmark: catalogs that grow by variants, a large catalog's memory, validate on
# near-identical outputs, eval on a huge predictions file. Prints one Markdown table (docs/performance.md's
# "Scale" table is this output): every case for this checkout's release build and, with
# BASE=path/to/old/template-sft, for that build too, in the same run on the same machine.
#   usage: bash scripts/bench-scale.sh            (WORK=dir keeps the generated projects there)
# Cases (synthetic projects from the hidden `synth` command):
#   families-10k   10,000 templates in families of 200 variants: build cold, with near-copy
#                  clustering off (near_copy_threshold = 0), warm; cp -r of the version written
#   family-20k     one family of 20,000 variants: the clustering stage (build -v) and peak memory
#   catalog-10k, catalog-100k   10 KB scenes, near-copies as usual: build time and peak memory;
#                  at 10k also the peer, a straightforward Python + tiktoken pipeline
#                  (scripts/peer_build.py), against the build cold and warm: as a first pipeline
#                  would be written (no checks), and with the checks a build makes (--checks:
#                  tree-sitter, QuickJS, datasketch), which is the job template-sft does
#   validate       10,000 train and 1,250 held-out outputs, all variants of one scene (train.upload
#                  and test.upload files of a build with clustering off, so they leak)
#   eval           a 600 MB predictions file: the test split answered with one 140 KB line each,
#                  20,000 lines for 2 KB ids the split does not have, 1,000 lines that are not JSON
set -euo pipefail
cd "$(dirname "$0")/.."

command -v /usr/bin/time >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q time; } >/dev/null
cargo build --release --quiet
this="$PWD/target/release/template-sft"
base="${BASE:+$(realpath "$BASE")}"
work="${WORK:-$(mktemp -d /tmp/template-sft-scale-XXXXXX)}"
mkdir -p "$work"
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT

# `measure CMD...`: runs CMD, prints "seconds MiB" (wall time, peak resident memory), or "failed".
measure() {
  local times="$work/.time"
  if /usr/bin/time -o "$times" -f '%e %M' "$@" >/dev/null 2>"$work/.stderr"; then
    awk '{printf "%.2f %d", $1, $2 / 1024}' "$times"
  else
    echo "failed"
  fi
}
# `median A B C`: the middle of three measures ("seconds MiB" or seconds), by their seconds.
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
secs() { echo "$1" | awk '{print ($1 == "failed") ? "failed" : $1 " s"}'; }
mib() { echo "$1" | awk '{print ($1 == "failed") ? "failed" : $2 " MiB"}'; }
row() { echo "| $1 | $2 | $3 | $4 | $5 |"; }

project() { # DIR ARGS...: a synthetic project, once
  local dir="$1"; shift
  [ -f "$dir/template-sft.toml" ] || "$this" synth "$dir" -q "$@"
}
near_copies_off() { # DIR: a copy of the project's config with clustering off
  sed 's/^\[output\]/[split]\nnear_copy_threshold = 0\n\n[output]/' "$1/template-sft.toml" > "$1/off.toml"
}

# The peer's Python (tiktoken, and for --checks a TSX parser, a JS engine and MinHash LSH, from
# PyPI, pinned to the versions measured) and o200k's ranks: tiktoken would download them, so they
# are read from tiktoken-rs's copy in the cargo registry (a dev-dependency; its SHA-256 is checked
# by tiktoken).
source scripts/lib.sh
peer_python="$(TEMPLATE_SFT_VENV="$HOME/.cache/template-sft/peer-venv" venv_with \
  "tiktoken, tree_sitter, tree_sitter_typescript, quickjs, datasketch" tiktoken \
  tree-sitter==0.26.1 tree-sitter-typescript==0.23.2 quickjs==1.19.4 datasketch==2.0.0)"
cargo fetch --locked --quiet
o200k=$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -path '*/tiktoken-rs-*/assets/o200k_base.tiktoken' | head -1)
[ -n "$o200k" ] || { echo "o200k_base.tiktoken not found in the cargo registry" >&2; exit 1; }

echo "| case | measure | this build | base | target |"
echo "|---|---|---|---|---|"

# --- families-10k
p="$work/families-10k"; project "$p" --templates 10000 --family-size 200; near_copies_off "$p"
for bin in "$this" ${base:+"$base"}; do
  # Every measure here is the median of three, the two measures a target compares alternating:
  # one copy of a gigabyte took anything from 0.5 to 2.3 s on the same disk minutes apart.
  colds=(); offs=()
  for _ in 1 2 3; do
    rm -rf "$p/dataset"; sync
    colds+=("$(measure "$bin" build -c "$p/template-sft.toml")")
    rm -rf "$p/dataset"; sync
    offs+=("$(measure "$bin" build -c "$p/off.toml")")
  done
  cold=$(median "${colds[@]}"); off=$(median "${offs[@]}")
  rm -rf "$p/dataset"; sync
  "$bin" build -q -c "$p/template-sft.toml" >/dev/null # the version and verdicts a rebuild reuses
  warms=(); copies=()
  # Each of the two starts alike: what the one before wrote deleted, the disk synced, and a pause
  # (deleting a gigabyte on a disk mounted with `discard` slows whatever follows it).
  settle() { rm -rf "$work/copy" "$p"/dataset/v1-*; sync; sleep 3; }
  for _ in 1 2 3; do
    settle
    warms+=("$(measure "$bin" build -c "$p/template-sft.toml")")
    settle
    t0=$(date +%s.%N); cp -r "$p/dataset/v1" "$work/copy"; sync; t1=$(date +%s.%N)
    copies+=("$(echo "$t1 - $t0" | bc -l | awk '{printf "%.2f", $1}')")
  done
  warm=$(median "${warms[@]}"); copy=$(median "${copies[@]}")
  rm -rf "$p/dataset" "$work/copy"
  if [ "$bin" = "$this" ]; then t_cold=$cold; t_warm=$warm; t_off=$off; t_copy=$copy
  else b_cold=$cold; b_warm=$warm; b_off=$off; b_copy=$copy; fi
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "failed" || b == "failed") print "-"; else printf "%.2f", a / b }'; }
row "families-10k" "build, cold" "$(secs "$t_cold") ($(mib "$t_cold"))" "${b_cold:+$(secs "$b_cold") ($(mib "$b_cold"))}" "≤ 1.10 × clustering off"
row "families-10k" "build, clustering off" "$(secs "$t_off") ($(mib "$t_off"))" "${b_off:+$(secs "$b_off") ($(mib "$b_off"))}" ""
row "families-10k" "cold / clustering off" "$(ratio "${t_cold% *}" "${t_off% *}")" "${b_cold:+$(ratio "${b_cold% *}" "${b_off% *}")}" "≤ 1.10"
row "families-10k" "build, warm" "$(secs "$t_warm")" "${b_warm:+$(secs "$b_warm")}" "≤ 2 × cp -r"
row "families-10k" "cp -r of the version" "$t_copy s" "${b_copy:+$b_copy s}" ""
row "families-10k" "warm / cp -r" "$(ratio "${t_warm% *}" "$t_copy")" "${b_warm:+$(ratio "${b_warm% *}" "$b_copy")}" "≤ 2"

# --- family-20k: the clustering stage as build -v reports it; the base has no such line, so its
# whole build is timed, capped at 8 GiB of address space and 10 minutes.
p="$work/family-20k"; project "$p" --templates 20000 --family-size 20000 --prompts 1
rm -rf "$p/dataset"
stage=$("$this" build -v -c "$p/template-sft.toml" 2>&1 | grep -o 'in [0-9.]*s$' | tr -dc '0-9.')
rm -rf "$p/dataset"
t=$(measure "$this" build -c "$p/template-sft.toml")
b=""
if [ -n "$base" ]; then
  rm -rf "$p/dataset"
  b=$(measure bash -c "ulimit -v 8388608; exec timeout 600 '$base' build -c '$p/template-sft.toml'")
fi
rm -rf "$p/dataset"
row "family-20k" "clustering (build -v)" "$stage s" "" "≤ 5 s"
row "family-20k" "whole build" "$(secs "$t") ($(mib "$t"))" "${b:+$(secs "$b") ($(mib "$b"))}" "≤ 300 MiB"

# --- catalog-10k and catalog-100k
for n in 10000 100000; do
  p="$work/catalog-$n"; project "$p" --templates "$n" --median-code-bytes 10240
  for bin in "$this" ${base:+"$base"}; do
    rm -rf "$p/dataset"; sync
    m=$(measure "$bin" build -c "$p/template-sft.toml")
    if [ "$bin" = "$this" ]; then t=$m; else b=$m; fi
  done
  target=$([ "$n" = 10000 ] && echo "≤ 400 MiB" || echo "≤ 1 GiB")
  row "catalog-$n" "build (peak memory)" "$(secs "$t") ($(mib "$t"))" "${base:+$(secs "$b") ($(mib "$b"))}" "$target"
  # Per template: the growth of the peak from 10,000 to 100,000 templates (the fixed base, about
  # 140 MiB of bundled encoders, drops out).
  [ "$n" = 10000 ] && peak10k=$t
  [ "$n" = 100000 ] && row "catalog-$n" "peak memory per template (10k → 100k)" \
    "$(awk -v a="$peak10k" -v b="$t" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.1f KiB", (y[2] - x[2]) * 1024 / 90000 }')" "" "≤ 4 KiB"
  [ "$n" = 10000 ] || { rm -rf "$p/dataset"; continue; }
  # The peer: the same project through a straightforward Python + tiktoken pipeline
  # (scripts/peer_build.py), against this build cold (above) and warm (the verdicts reused).
  rm -rf "$p/dataset"; "$this" build -q -c "$p/template-sft.toml" >/dev/null # BASE's cache is not ours
  warm=$(measure "$this" build -c "$p/template-sft.toml")
  rm -rf "$p/dataset" "$work/peer"; sync
  peer=$(measure "$peer_python" scripts/peer_build.py "$p" "$work/peer" "$o200k")
  rm -rf "$work/peer"; sync
  checked=$(measure "$peer_python" scripts/peer_build.py "$p" "$work/peer" "$o200k" --checks)
  rm -rf "$work/peer"
  row "catalog-$n" "Python + tiktoken peer, no checks" "$(secs "$peer") ($(mib "$peer"))" "" ""
  row "catalog-$n" "peer, no checks / build, cold" "$(ratio "${peer% *}" "${t% *}")" "" ""
  row "catalog-$n" "peer, no checks / build, warm" "$(ratio "${peer% *}" "${warm% *}")" "" ""
  row "catalog-$n" "Python peer with the build's checks (--checks)" "$(secs "$checked") ($(mib "$checked"))" "" ""
  row "catalog-$n" "peer with checks / build, cold" "$(ratio "${checked% *}" "${t% *}")" "" "≥ 10"
  row "catalog-$n" "peer with checks / build, warm" "$(ratio "${checked% *}" "${warm% *}")" "" "≥ 10"
done

# --- validate: near-identical outputs on both sides
p="$work/validate"; project "$p" --templates 12500 --family-size 12500 --prompts 1; near_copies_off "$p"
[ -d "$p/dataset/v1" ] || "$this" build -q -c "$p/off.toml" >/dev/null
files=("$p/dataset/v1/train.upload.jsonl" "$p/dataset/v1/test.upload.jsonl")
t=$(measure "$this" validate "${files[@]}")
[ -z "$base" ] || b=$(measure "$base" validate "${files[@]}")
# validate exits 1 on errors; these files have only warnings (near-copy leakage).
row "validate" "10,000 train / 1,250 test near-identical outputs" "$(secs "$t") ($(mib "$t"))" "${base:+$(secs "$b") ($(mib "$b"))}" "≤ 5 s"

# --- eval on a 600 MB predictions file
p="$work/catalog-10000"
[ -d "$p/dataset/v1" ] || "$this" build -q -c "$p/template-sft.toml" >/dev/null
predictions="$work/predictions.jsonl"
if [ ! -f "$predictions" ]; then
  python3 - "$p/dataset/v1/test.jsonl" "$predictions" <<'PY'
import json, sys
gold, out = sys.argv[1], sys.argv[2]
with open(out, "w") as f:
    # Every test example answered with its code on one line, padded to 140 KB: a model that never
    # stops (what a report's first lines of an output must not hold whole).
    for line in open(gold):
        e = json.loads(line)
        m = e["meta"]
        code = e["messages"][2]["content"].replace("\n", " ")
        f.write(json.dumps({"custom_id": f'{m["templateId"]}/{m["promptVariant"]}/{m["format"]}',
                            "completion": (code + " ") * (140_000 // (len(code) + 1))}) + "\n")
    # Ids the split does not have, each 2 KB long.
    for i in range(20_000):
        f.write(json.dumps({"custom_id": f"unknown/{i}/" + "z" * 2000, "completion": "x"}) + "\n")
    for i in range(1000):
        f.write("{not json " + "y" * 100 + "\n")
PY
fi
size=$(du -m "$predictions" | cut -f1)
t=$(measure "$this" eval "$p/dataset/v1" --predictions "$predictions")
[ -z "$base" ] || b=$(measure "$base" eval "$p/dataset/v1" --predictions "$predictions")
row "eval" "$size MB predictions file" "$(secs "$t") ($(mib "$t"))" "${base:+$(secs "$b") ($(mib "$b"))}" "≤ 300 MiB"

echo
echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB RAM, Linux $(uname -r); families-10k: medians of three runs, the rest one run per cell."
