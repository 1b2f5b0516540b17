//! A [`ChatTokenizer`] in a build without the `model-tokenizers` feature: loading one is an error
//! that names the feature, so no value exists and its methods cannot be reached.
//!
//! Takes a [`TokenizerSpec`]; gives the error.

use std::convert::Infallible;

use super::{ChatTokenizer, ModelCount, PieceCounts, TokenizerSpec, Turn};
use crate::error::{wording, Result};

/// No value: a build without the feature never loads a tokenizer.
pub(super) struct Engine(Infallible);

impl ChatTokenizer {
    /// An error naming the `model-tokenizers` feature.
    pub fn load(spec: &TokenizerSpec) -> Result<ChatTokenizer> {
        Err(wording::model_tokenizers_not_built(&spec.display_name()))
    }

    /// Unreachable: no tokenizer is ever loaded.
    pub fn render(&self, _: &[Turn<'_>], _: bool) -> Result<String, String> {
        match self.engine.0 {}
    }

    /// Unreachable: no tokenizer is ever loaded.
    pub fn count(&self, _: &[&[Turn<'_>]]) -> Result<Vec<ModelCount>, String> {
        match self.engine.0 {}
    }

    /// Unreachable: no tokenizer is ever loaded.
    pub fn count_with(
        &self,
        _: &[&[Turn<'_>]],
        _: &mut PieceCounts<'_>,
    ) -> Result<Vec<ModelCount>, String> {
        match self.engine.0 {}
    }

    /// Unreachable: no tokenizer is ever loaded.
    pub fn encode_len(&self, _: &str) -> Result<usize, String> {
        match self.engine.0 {}
    }

    /// Unreachable: no tokenizer is ever loaded.
    pub fn counts_by_piece(&self) -> bool {
        match self.engine.0 {}
    }
}
