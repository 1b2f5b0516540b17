#!/usr/bin/env bash
# Score a worked example with `template-sft eval` and take a screenshot of its HTML report with
# headless Chromium (Debian's), so a person can see what `eval --html` produces: the starter's train
# split answered by a stand-in "model" (the gold code with a few faults made on purpose: a Markdown
# fence, a syntax error, a wrong duration, an invented Remotion name, a missing answer, a scene that
# holds its first frame, one recoloured) against the gold code as the baseline, rendered
# (`--render`: appearance, motion and the frames of the outputs furthest from their gold). Writes
# docs/eval.png and prints the HTML's path.
#   usage: bash scripts/eval-screenshot.sh [HEIGHT]     (default 7400 pixels tall, 1280 wide)
set -euo pipefail
cd "$(dirname "$0")/.."
height="${1:-7400}"

source scripts/lib.sh

work="$(mktemp -d)"
version="$(build_starter "$work")"
python3 - "$version" "$work" <<'PY'
import json, sys
version, work = sys.argv[1], sys.argv[2]
gold = [json.loads(l) for l in open(f"{version}/train.jsonl")]
faults = {
    "quote-card": lambda c: "Here is your scene:\n```tsx\n" + c + "\n```",
    "kinetic-headline": lambda c: c.replace("return (", "return ((", 1),
    "lower-third": lambda c: c.replace("durationInFrames = 120", "durationInFrames = 150"),
    "countdown-portrait": lambda c: c.replace("window.Remotion", "window.Remotion;\nconst { useMagicTween } = window.Remotion", 1),
    "stats-counter": lambda c: c.replace("useCurrentFrame()", "(useCurrentFrame() * 0)"),
    "gradient-waves-background": lambda c: c + '\ndocument.documentElement.style.filter = "hue-rotate(150deg)";\n',
}
seen = set()
with open(f"{work}/model.jsonl", "w") as model, open(f"{work}/baseline.jsonl", "w") as base:
    for g in gold:
        m = g["meta"]; code = g["messages"][2]["content"]
        cid = f"{m['templateId']}/{m['promptVariant']}/{m['format']}"
        base.write(json.dumps({"custom_id": cid, "completion": code}) + "\n")
        if m["templateId"] == "progress-steps":
            continue
        fault = faults.get(m["templateId"]) if m["templateId"] not in seen else None
        seen.add(m["templateId"])
        model.write(json.dumps({"custom_id": cid, "completion": fault(code) if fault else code}) + "\n")
PY
target/release/template-sft eval "$version" --split train --predictions "$work/model.jsonl" \
  --baseline "$work/baseline.jsonl" --render -c "$work/starter/template-sft.toml" \
  --html "$work/eval.html" >/dev/null
screenshot "$work/eval.html" docs/eval.png "$height"
echo "rendered $work/eval.html -> docs/eval.png"
