#!/usr/bin/env bash
# Cross-check `eval`'s similarity (chrF) against sacrebleu (from PyPI) on sample pairs: build the
# starter, answer its train split with the gold code changed in several ways (cut, reordered, words
# replaced, whitespace changed, an unrelated scene, empty), score with `eval --json`, and compare each
# example's similarity with sacrebleu's CHRF().sentence_score(output, [gold]). Run by .ci/run; run it
# yourself with
#   bash scripts/check-chrf.sh
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh
python="$(venv_with sacrebleu sacrebleu)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="$(build_starter "$work")"

"$python" - "$version" "$work/predictions.jsonl" <<'PY'
import json, random, sys
version, out = sys.argv[1], sys.argv[2]
random.seed(7)
gold = [json.loads(l) for l in open(f"{version}/train.jsonl")]
codes = [g["messages"][2]["content"] for g in gold]
with open(out, "w") as f:
    for i, g in enumerate(gold):
        m = g["meta"]
        code = codes[i]
        kind = i % 7
        if kind == 0:
            text = code[: len(code) // 2]
        elif kind == 1:
            lines = code.splitlines(); random.shuffle(lines); text = "\n".join(lines)
        elif kind == 2:
            text = code.replace("const", "let").replace("frame", "f")
        elif kind == 3:
            text = " ".join(code.split()) + "\t\u00a0ünïcödé — ✓"
        elif kind == 4:
            text = codes[(i + 5) % len(codes)]
        elif kind == 5:
            text = ""
        else:
            text = code + "\n// extra\n" + code[:200]
        f.write(json.dumps({"custom_id": f"{m['templateId']}/{m['promptVariant']}/{m['format']}", "completion": text}) + "\n")
PY
target/release/template-sft eval "$version" --split train --predictions "$work/predictions.jsonl" --json > "$work/eval.json"

"$python" - "$version" "$work/predictions.jsonl" "$work/eval.json" <<'PY'
import json, sys
import sacrebleu
from sacrebleu.metrics import CHRF
version, predictions, result = sys.argv[1], sys.argv[2], sys.argv[3]
gold = {}
for line in open(f"{version}/train.jsonl"):
    g = json.loads(line); m = g["meta"]
    gold[f"{m['templateId']}/{m['promptVariant']}/{m['format']}"] = g["messages"][2]["content"]
outputs = {json.loads(l)["custom_id"]: json.loads(l)["completion"] for l in open(predictions)}
rows = json.load(open(result))["predictions"]["rows"]
chrf = CHRF()
for row in rows:
    want = chrf.sentence_score(outputs[row["id"]], [gold[row["id"]]]).score
    assert abs(row["similarity"] - want) < 1e-9, (row["id"], row["similarity"], want)
print(f"chrF equals sacrebleu {sacrebleu.__version__} CHRF().sentence_score on {len(rows)} pairs")
PY
