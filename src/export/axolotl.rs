//! `--to axolotl`: the messages layout (`{split}.jsonl` of `{"messages": […]}`) plus `axolotl.yaml`,
//! a LoRA config that runs as it is with `axolotl train`: dataset paths are absolute, the model's own
//! chat template renders the messages, only the assistant's turn is trained, `sequence_len` holds
//! every example (Axolotl drops longer ones), and the validation split is the eval set
//! (`val_set_size: 0`, no random split of train).

use std::fmt::Write as _;

use super::trainer::quoted;
use super::Out;
use crate::dataset::writer::FileRecord;
use crate::error::Result;
use crate::split::Split;

pub const CONFIG: &str = "axolotl.yaml";

pub fn write(to: &Out<'_>) -> Result<Vec<FileRecord>> {
    let mut files = super::copy_splits(to.source, to.staging, "upload.jsonl", "")?;
    files.push(to.staging.write_small(CONFIG, config(to).as_bytes())?);
    Ok(files)
}

/// One `datasets` / `test_datasets` entry.
fn dataset(c: &mut String, to: &Out<'_>, split: Split) {
    let path = to.dir.join(format!("{}.jsonl", split.name()));
    let _ = writeln!(
        c,
        "  - path: {}\n    ds_type: json\n    split: train  # a JSON file loads as one split named train\n    type: chat_template\n    field_messages: messages\n    roles_to_train: [\"assistant\"]\n    train_on_eos: turn",
        quoted(&path.display().to_string())
    );
}

fn config(to: &Out<'_>) -> String {
    let plan = to.plan;
    let (packing, why) = plan.packing();
    let mut c = String::new();
    let _ = writeln!(
        c,
        "# Axolotl LoRA config for dataset {} (template-sft {}).\n# Run from any folder: axolotl train {}\n# The model, LoRA settings and training hyperparameters are suggestions; the data settings are not.\n",
        to.source.version_name(),
        env!("CARGO_PKG_VERSION"),
        to.dir.join(CONFIG).display()
    );
    match &plan.base_model {
        Some(model) => {
            let _ = writeln!(c, "base_model: {}", quoted(model));
        }
        None => c.push_str("base_model: null  # set it (or export with --base-model)\n"),
    }
    c.push_str("chat_template: tokenizer_default  # the model's own chat template, as counted\n\ndatasets:\n");
    dataset(&mut c, to, Split::Train);
    if to.source.splits().contains(&Split::Validation) {
        c.push_str("test_datasets:\n");
        dataset(&mut c, to, Split::Validation);
    }
    c.push_str("val_set_size: 0  # the validation split above is the eval set\n");
    let _ = writeln!(
        c,
        "dataset_prepared_path: {}",
        quoted(&to.dir.join("prepared").display().to_string())
    );
    let _ = writeln!(
        c,
        "\nsequence_len: {}  # {}",
        plan.length,
        plan.length_reason()
    );
    let _ = writeln!(c, "sample_packing: {packing}  # {why}");
    if packing {
        c.push_str("eval_sample_packing: false\npad_to_sequence_len: true\nflash_attention: true  # packed examples attend only to themselves\n");
    }
    let _ = writeln!(
        c,
        "\nadapter: lora\nlora_r: 16\nlora_alpha: 32\nlora_dropout: 0.05\nlora_target_linear: true\n\noutput_dir: ./outputs/template-sft-{}\nmicro_batch_size: 1\ngradient_accumulation_steps: 8\nnum_epochs: 3\nlearning_rate: 0.0001\nlr_scheduler: cosine\nwarmup_ratio: 0.1\noptimizer: adamw_torch\nbf16: auto\nlogging_steps: 10",
        to.source.version_name()
    );
    c
}
