//! `--to llamafactory`: the ShareGPT layout (`{split}.jsonl` and `dataset_info.json`, entries named
//! after the version) plus `llamafactory_sft.yaml`, a LoRA SFT config that runs as it is with
//! `llamafactory-cli train`: `dataset_dir` is the export's absolute path, `cutoff_len` holds every
//! example, the prompt is masked (`train_on_prompt: false`) and the chat template is the model
//! family's non-reasoning one.

use std::fmt::Write as _;

use super::trainer::{dataset_name, quoted};
use super::{sharegpt, Out};
use crate::dataset::writer::FileRecord;
use crate::error::Result;
use crate::split::Split;

pub const CONFIG: &str = "llamafactory_sft.yaml";

pub fn write(to: &Out<'_>) -> Result<Vec<FileRecord>> {
    let mut files = sharegpt::write(to.source, to.staging)?;
    files.push(to.staging.write_small(CONFIG, config(to).as_bytes())?);
    Ok(files)
}

fn config(to: &Out<'_>) -> String {
    let plan = to.plan;
    let splits = to.source.splits();
    let (packing, why) = plan.packing();
    let mut c = String::new();
    let _ = writeln!(
        c,
        "# LLaMA-Factory LoRA SFT config for dataset {} (template-sft {}).\n# Run from any folder: llamafactory-cli train {}\n# The model, LoRA rank and training hyperparameters are suggestions; the data settings are not.\n",
        to.source.version_name(),
        env!("CARGO_PKG_VERSION"),
        to.dir.join(CONFIG).display()
    );
    c.push_str("### model\n");
    match &plan.base_model {
        Some(model) => {
            let _ = writeln!(c, "model_name_or_path: {}", quoted(model));
        }
        None => c.push_str("model_name_or_path: null  # set it (or export with --base-model)\n"),
    }
    c.push_str("trust_remote_code: true\n\n### method\nstage: sft\ndo_train: true\nfinetuning_type: lora\nlora_rank: 16\nlora_target: all\n\n### dataset\n");
    let _ = writeln!(
        c,
        "dataset: {}",
        dataset_name(to.source, Split::Train.name())
    );
    if splits.contains(&Split::Validation) {
        let _ = writeln!(
            c,
            "eval_dataset: {}",
            dataset_name(to.source, Split::Validation.name())
        );
    }
    let _ = writeln!(c, "dataset_dir: {}", quoted(&to.dir.display().to_string()));
    match &plan.family {
        Some((family, tokenizer)) => {
            let _ = writeln!(
                c,
                "template: {}  # from the {tokenizer} tokenizer's chat template; never a reasoning template: the data has no reasoning",
                family.llamafactory_template(),
            );
        }
        None => c.push_str(
            "template: null  # set the model's LLaMA-Factory template (a non-reasoning one, e.g. qwen, llama3, gemma)\n",
        ),
    }
    let _ = writeln!(c, "cutoff_len: {}  # {}", plan.length, plan.length_reason());
    c.push_str("train_on_prompt: false  # loss on the assistant's code only\n");
    let _ = writeln!(c, "packing: {packing}  # {why}");
    if packing {
        c.push_str("neat_packing: true  # packed examples do not attend to each other\n");
    }
    c.push_str("preprocessing_num_workers: 4\noverwrite_cache: true\n\n### output\n");
    let _ = writeln!(
        c,
        "output_dir: saves/template-sft-{}",
        to.source.version_name()
    );
    c.push_str("logging_steps: 10\nsave_steps: 500\nplot_loss: true\nreport_to: none\n\n### train\nper_device_train_batch_size: 1\ngradient_accumulation_steps: 8\nlearning_rate: 1.0e-4\nnum_train_epochs: 3.0\nlr_scheduler_type: cosine\nwarmup_ratio: 0.1\nbf16: true\n");
    if splits.contains(&Split::Validation) {
        c.push_str(
            "\n### eval\nper_device_eval_batch_size: 1\neval_strategy: steps\neval_steps: 100\n",
        );
    }
    c
}
