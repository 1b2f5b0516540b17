#!/usr/bin/env bash
# The smaller tool (`cargo install --no-default-features --features cli`: the command line, no
# PostgreSQL, no model tokenizers, no mimalloc) builds, builds and validates the starter, and says which feature a config needs when it
# asks for a missing part. Prints the clean build's wall time (a target folder of its own, so
# nothing is shared with the default build). Run by .ci/run:
#   bash scripts/check-minimal.sh
set -euo pipefail
cd "$(dirname "$0")/.."

target="${TEMPLATE_SFT_MINIMAL_TARGET:-target/minimal}"
started=$(date +%s)
cargo build --release --locked --quiet --no-default-features --features cli --target-dir "$target"
echo "minimal release build: $(( $(date +%s) - started )) s (target folder $target)" >&2
tool="$target/release/template-sft"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r examples/starter "$work/starter"
rm -rf "$work/starter/dataset"
"$tool" build -q -c "$work/starter" >/dev/null
"$tool" validate -q "$work/starter/dataset/v1" >/dev/null

# Asks for a feature it was built without: exit 2 and the feature named, nothing written.
expect_feature() {
  local feature="$1"; shift
  local out status=0
  out="$("$tool" "$@" 2>&1)" || status=$?
  if [ "$status" -ne 2 ] || ! grep -q "needs the \`$feature\` feature\|need the \`$feature\` feature" <<<"$out"; then
    echo "expected exit 2 naming the $feature feature, got exit $status:" >&2
    echo "$out" >&2
    exit 1
  fi
}
expect_feature model-tokenizers build -q -c "$work/starter" --tokenizer "$work/starter/tokenizer.json"
sed -i 's/^source = "directory"/source = "postgres"/' "$work/starter/template-sft.toml"
DATABASE_URL=postgres://nobody@127.0.0.1:1/none expect_feature postgres build -q -c "$work/starter"
[ "$(ls "$work/starter/dataset")" = "v1" ] || { echo "a refused build wrote something" >&2; exit 1; }
echo "minimal: the tool without default features builds and validates the starter, and names the feature a config needs"
