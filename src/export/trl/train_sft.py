"""Fine-tune a model with TRL on the prompt/completion files beside this script.

    pip install "trl>=1.0" peft
    python train_sft.py [--model NAME] [--set KEY=VALUE ...]

Written by template-sft, the same for every export: its settings are in train_sft.json beside it
(max_length holds every example, the loss covers the completion only, the validation split is
evaluated during the run). --set overrides one SFTConfig setting, its value read as JSON when it
is JSON: on a machine without a GPU, --set bf16=false; for a quick try, --set max_steps=1.
"""
import argparse
import json
import os

from datasets import load_dataset
from peft import LoraConfig
from trl import SFTConfig, SFTTrainer

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "train_sft.json"), encoding="utf-8") as f:
    settings = json.load(f)

parser = argparse.ArgumentParser(
    description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
)
parser.add_argument(
    "--model", default=settings["model"], required=settings["model"] is None,
    help="the model to fine-tune (default: the one train_sft.json names)",
)
parser.add_argument(
    "--set", action="append", default=[], metavar="KEY=VALUE",
    help="override an SFTConfig setting of train_sft.json",
)
args = parser.parse_args()

sft = dict(settings["sft_config"])
for item in args.set:
    key, _, value = item.partition("=")
    try:
        sft[key] = json.loads(value)
    except json.JSONDecodeError:
        sft[key] = value
sft["output_dir"] = os.path.join(HERE, sft["output_dir"])

files = {split: os.path.join(HERE, name) for split, name in settings["files"].items()}
data = load_dataset("json", data_files=files)
trainer = SFTTrainer(
    model=args.model,
    args=SFTConfig(**sft),
    train_dataset=data["train"],
    eval_dataset=data["validation"] if "validation" in data else None,
    peft_config=LoraConfig(**settings["lora"]),
)
trainer.train()
trainer.save_model()
