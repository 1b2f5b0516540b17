//! What a trainer config needs: a sequence length that holds every example, and the warnings.
//!
//! Takes the source version, its lengths (under `--tokenizer`s, else the build's model tokenizers,
//! else its OpenAI-encoding counts) and `--base-model`; gives a [`Plan`]: the length the configs set
//! (the smallest power of two or multiple of 1,024 that holds the longest example), whether packing
//! is worth suggesting and why, the model family for template names, and the export's warnings:
//! for a layout without a config, every trainer default that would drop or cut examples, naming the
//! trainer and its setting; for a config, what it could not know (lengths estimated, no model).

use super::Source;
use crate::diagnostic::{warning, Diagnostic};
use crate::tokens::chat_template::Family;
use crate::tokens::lengths::{recommended_max_length, TokenizerLengths, Trainer};

/// Headroom over OpenAI-encoding counts when no model tokenizer counted: Qwen's tokenizer counts
/// examples up to 17% longer than o200k_base, Gemma's 16% on the median.
const ESTIMATE_HEADROOM: f64 = 1.25;

/// The lengths an export works from.
pub struct Plan {
    pub lengths: Vec<TokenizerLengths>,
    /// No model tokenizer counted: `length` is the OpenAI-encoding count plus headroom.
    pub estimated: bool,
    /// The sequence length every config sets.
    pub length: usize,
    /// The longest example, and the tokenizer that counted it.
    pub longest: (String, usize),
    /// The largest median over the tokenizers (for the packing suggestion).
    pub median: usize,
    /// The model family of the first tokenizer whose family is known (else of `--base-model`, when
    /// its name says it), and where it was read ("the `qwen3` tokenizer", "--base-model `…`").
    pub family: Option<(Family, String)>,
    pub base_model: Option<String>,
}

impl Plan {
    pub fn new(
        lengths: Vec<TokenizerLengths>,
        estimated: bool,
        base_model: Option<String>,
    ) -> Plan {
        let longest = lengths
            .iter()
            .map(|l| (l.name.clone(), l.overall.tokens.max))
            .max_by_key(|l| l.1)
            .unwrap_or_default();
        let length = if estimated {
            recommended_max_length((longest.1 as f64 * ESTIMATE_HEADROOM).ceil() as usize)
        } else {
            recommended_max_length(longest.1)
        };
        Plan {
            median: lengths
                .iter()
                .map(|l| l.overall.tokens.median)
                .max()
                .unwrap_or(0),
            // A tokenizer's chat template says the family; without one, a --base-model whose
            // name says it plainly (`Qwen/Qwen3-8B`).
            family: lengths
                .iter()
                .find_map(|l| Some((l.family?, format!("the `{}` tokenizer", l.name))))
                .or_else(|| {
                    let model = base_model.as_deref()?;
                    let family = crate::tokens::chat_template::Family::from_model_name(model)?;
                    Some((family, format!("--base-model `{model}`")))
                }),
            length,
            longest,
            estimated,
            lengths,
            base_model,
        }
    }

    /// Where `length` comes from, for a config comment.
    pub fn length_reason(&self) -> String {
        let (name, max) = &self.longest;
        if self.estimated {
            format!(
                "the longest example has {max} {name} tokens; model tokenizers count up to a fifth more, so this is {max} plus 25%, rounded up (export with --tokenizer for exact lengths)"
            )
        } else {
            format!(
                "the longest example has {max} tokens under the {name} tokenizer (its chat template rendered): this holds every example"
            )
        }
    }

    /// Whether packing several examples into one sequence is worth it, and why.
    pub fn packing(&self) -> (bool, String) {
        if self.median * 2 <= self.length {
            (
                true,
                format!(
                    "the median example ({} tokens) is at most half the sequence length ({}): packing fills sequences instead of padding them",
                    self.median, self.length
                ),
            )
        } else {
            (
                false,
                format!(
                    "the median example ({} tokens) is more than half the sequence length ({}): packing would gain little",
                    self.median, self.length
                ),
            )
        }
    }

    /// What to warn about: for a layout without a config (`configured` is `None`), the default
    /// lengths of the trainers it is for (`audience`); for a config (its trainer and file), how its
    /// length was found and whether it names a model.
    pub fn warnings(
        &self,
        configured: Option<(Trainer, &str)>,
        audience: &[Trainer],
    ) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        match configured {
            None => {
                for trainer in audience {
                    for l in &self.lengths {
                        if let Some(w) = trainer.warning(l) {
                            out.push(warning::sequence_length(w));
                        }
                    }
                }
            }
            Some((trainer, config_file)) => {
                if self.estimated {
                    out.push(warning::estimated_length(
                        config_file,
                        trainer.setting,
                        self.length,
                        &self.longest.0,
                    ));
                }
                if self.base_model.is_none() {
                    out.push(warning::no_base_model(config_file));
                }
            }
        }
        out
    }
}

/// The name of a run and its datasets: the version's folder name made to follow the name rule
/// (a version received from elsewhere may sit in a folder named anything; LLaMA-Factory splits
/// dataset names at commas).
pub fn run_name(source: &Source) -> String {
    crate::config::sanitized_name(&source.version_name())
}

/// The dataset names of a version's splits for LLaMA-Factory's `dataset_info.json`, named after the
/// version so that several exports merge without a collision.
pub fn dataset_name(source: &Source, split: &str) -> String {
    format!("template_sft_{}_{split}", run_name(source))
}

/// How often to evaluate and save, as a fraction of the run's steps: a ratio below 1 is read by
/// `transformers` as a share of the total steps, so a small dataset (or a one-step run) still
/// evaluates, where a fixed `eval_steps: 100` never came.
pub const EVAL_EVERY: f64 = 0.25;
pub const SAVE_EVERY: f64 = 0.5;
/// Warm-up as a share of the steps (`warmup_steps` below 1 is a ratio; `warmup_ratio` is gone from
/// `transformers` 5.16).
pub const WARMUP: f64 = 0.1;

/// The export's `README.md` for a trainer config: how to run it, and why its data settings are what
/// they are. Names in it follow the name rule; nothing in it is run.
pub fn readme(
    plan: &Plan,
    trainer: &str,
    config_file: &str,
    (run, cpu_run): (&str, &str),
    settings: &[(&str, String)],
) -> String {
    let mut out = format!(
        "# {trainer} config written by template-sft {}\n\nRun from this folder (every path in `{config_file}` is relative to it):\n\n```sh\n{run}\n```\n\nWithout a GPU (a CPU-only run: slow, for a smoke test; bf16 needs a GPU), as template-sft's CI runs it (with one step):\n\n```sh\n{cpu_run}\n```\n\nThe model, LoRA settings and hyperparameters are starting points; these settings are what the data needs:\n\n",
        env!("CARGO_PKG_VERSION")
    );
    for (setting, why) in settings {
        out.push_str(&format!("- `{setting}`: {why}\n"));
    }
    let (packing, why) = plan.packing();
    out.push_str(&format!(
        "- packing {}: {why}\n",
        if packing { "on" } else { "off" }
    ));
    if plan.base_model.is_none() {
        out.push_str(
            "\nNo `--base-model` was given: set the model in the config before training.\n",
        );
    }
    out
}
