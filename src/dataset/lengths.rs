//! Model-tokenizer lengths of a version on disk.
//!
//! Takes a verified [`Version`] and loaded [`ChatTokenizer`]s; gives each tokenizer's per-split
//! [`TokenizerLengths`], counted from the split files: what `report`, `export` and `validate` use
//! with `--tokenizer` for a version built without that tokenizer. Examples are read in batches that
//! are counted on all cores (examples of one template sit together, so a batch shares their code's
//! pieces); memory stays at a batch.

use super::example::{ExampleLine, Message};
use super::version::Version;
use crate::error::{wording, Result};
use crate::split::Split;
use crate::tokens::chat_template::{ChatTokenizer, ModelCount, Turn};
use crate::tokens::lengths::TokenizerLengths;

/// Examples per batch: counted across the cores, a few MB of text.
const BATCH: usize = 512;

/// Lengths of every example of `version` under each of `tokenizers`.
pub fn count(version: &Version, tokenizers: &[ChatTokenizer]) -> Result<Vec<TokenizerLengths>> {
    let mut counted: Vec<Vec<(Split, ModelCount)>> = vec![Vec::new(); tokenizers.len()];
    for split in version.splits() {
        let mut batch: Vec<ExampleLine> = Vec::with_capacity(BATCH);
        let mut failed = None;
        let mut flush = |batch: &mut Vec<ExampleLine>| -> Result<()> {
            for (k, t) in tokenizers.iter().enumerate() {
                counted[k].extend(count_batch(t, batch)?.into_iter().map(|c| (split, c)));
            }
            batch.clear();
            Ok(())
        };
        version.for_each_example(split, |example| {
            batch.push(example);
            if batch.len() == BATCH {
                if let Err(e) = flush(&mut batch) {
                    failed = Some(e);
                    return false;
                }
            }
            true
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        flush(&mut batch)?;
    }
    Ok(tokenizers
        .iter()
        .zip(counted)
        .map(|(t, counts)| {
            TokenizerLengths::under(
                t,
                t.path.display().to_string(),
                counts
                    .into_iter()
                    .map(|(s, c)| (Some(s), c.tokens, c.assistant_tokens)),
            )
        })
        .collect())
}

/// Counts of a batch (runs of a template's examples on all cores: [`ChatTokenizer::count_all`]);
/// an example the chat template refuses is an error naming it.
fn count_batch(t: &ChatTokenizer, batch: &[ExampleLine]) -> Result<Vec<ModelCount>> {
    let conversations: Vec<Vec<Turn<'_>>> = batch.iter().map(|e| turns(&e.messages)).collect();
    let refs: Vec<&[Turn<'_>]> = conversations.iter().map(Vec::as_slice).collect();
    t.count_all(&refs)
        .into_iter()
        .zip(batch)
        .map(|(count, example)| {
            count.map_err(|why| {
                wording::cannot_render_example(&t.template_path, &t.name, example.meta.key(), why)
            })
        })
        .collect()
}

/// The messages of an example as turns to render.
pub fn turns(messages: &[Message]) -> Vec<Turn<'_>> {
    messages
        .iter()
        .map(|m| Turn {
            role: &m.role,
            content: &m.content,
        })
        .collect()
}
