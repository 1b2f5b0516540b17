#!/usr/bin/env bash
# Load the `hf` export of the starter dataset with the real Python `datasets` library (from PyPI) and
# check its split sizes and a record against what `build` wrote. Run by .ci/run; run it yourself with
#   bash scripts/check-hf-export.sh
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh
python="$(venv_with datasets datasets)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="$(build_starter "$work")"
target/release/template-sft export "$version" --to hf "$work/hf" >/dev/null

HF_DATASETS_OFFLINE=1 HF_HUB_OFFLINE=1 HF_HOME="$work/hf-home" "$python" - "$work" <<'PY'
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
