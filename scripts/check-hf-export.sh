#!/usr/bin/env bash
# Load the `hf` export of the starter dataset with the real Python `datasets` library (from PyPI) and
# check its split sizes and a record against what `build` wrote. Run by .ci/run; run it yourself with
#   bash scripts/check-hf-export.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${TEMPLATE_SFT_VENV:-$HOME/.cache/template-sft/hf-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import datasets" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check datasets
fi

cargo build --release --quiet
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r examples/starter "$work/starter"
rm -rf "$work/starter/dataset"
target/release/template-sft build -q --config "$work/starter/template-sft.toml" >/dev/null
target/release/template-sft export "$work/starter/dataset/v1" --to hf "$work/hf" >/dev/null

HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 HF_HOME="$work/hf-home" "$venv/bin/python" - "$work" <<'PY'
import json, sys
import datasets

work = sys.argv[1]
data = datasets.load_dataset(f"{work}/hf")
stats = json.load(open(f"{work}/starter/dataset/v1/stats.json"))
for split in ("train", "validation", "test"):
    assert data[split].num_rows == stats["totals"][split], (split, data[split].num_rows, stats["totals"][split])
first = json.loads(open(f"{work}/starter/dataset/v1/train.upload.jsonl").readline())
record = data["train"][0]
assert record["messages"] == first["messages"], "first train record differs"
assert record["meta"]["split"] == "train"
print("hf export loads with datasets", datasets.__version__, {s: data[s].num_rows for s in data})
PY
