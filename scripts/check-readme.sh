#!/usr/bin/env bash
# The README's walkthroughs run as printed: the Set up build line and every line of "Your own
# project", in order, in a scratch copy of the repository's examples, with this checkout's release
# binary as `template-sft` on PATH. Any line that fails fails the check; then what the lines say
# they write must be there. Run by .ci/run:
#   bash scripts/check-readme.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
cargo build --release --quiet
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
ln -s "$repo/target/release/template-sft" "$work/bin/template-sft"
cp -r examples "$work/examples"
rm -rf "$work/examples/starter/dataset"

# The sh blocks of a README section, comments dropped, one command a line.
block() {
  python3 - "$repo/README.md" "$1" <<'PY'
import sys
text = open(sys.argv[1]).read()
section = text.split("\n## " + sys.argv[2] + "\n", 1)[1].split("\n## ", 1)[0]
for chunk in section.split("```sh\n")[1:]:
    for line in chunk.split("```", 1)[0].splitlines():
        line = line.split(" #", 1)[0].strip()
        if line:
            print(line)
PY
}
run_lines() {
  while IFS= read -r line; do
    echo "\$ $line" >&2
    (cd "$work" && PATH="$work/bin:$PATH" bash -euo pipefail -c "$line") >"$work/.out" 2>&1 \
      || { cat "$work/.out" >&2; echo "README line failed: $line" >&2; exit 1; }
  done
}
# Set up: the build line (installing and the test suite are checked elsewhere).
block "Set up" | grep '^template-sft build' | run_lines
[ -f "$work/examples/starter/dataset/v1/manifest.json" ] || { echo "Set up did not write examples/starter/dataset/v1" >&2; exit 1; }
block "Your own project" | run_lines
for made in my-project/template-sft.toml my-project/dataset/v1/manifest.json my-project/report.html \
            my-project/trl/train_sft.json my-project/requests.jsonl; do
  [ -e "$work/$made" ] || { echo "the walkthrough did not write $made" >&2; exit 1; }
done
echo "README: the set-up build and the own-project walkthrough ($(block "Your own project" | wc -l) lines) run as printed"
