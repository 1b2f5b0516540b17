//! Token counts the way OpenAI bills chat fine-tuning examples, and per-model limits.
//!
//! Takes a model name (and optionally an explicit limit); gives its encoding (bundled in the binary,
//! nothing downloaded), its per-example limit, exact token counts of texts, the billed total of a
//! chat example, summary statistics and the trained-token estimate OpenAI's cookbook uses. Open-weight
//! models are counted by [`chat_template`] (their own tokenizer and chat template), and
//! [`lengths`] turns those counts into trainer length settings.
//!
//! A chat example costs 3 tokens of reply priming plus, per message, 3 tokens of framing, the role
//! (one token for system, user and assistant) and the content. Contents are encoded separately, so
//! an example's total is a sum of independently counted parts: each template's code is counted once
//! and reused by all of its examples.

pub mod chat_template;
pub mod count_cache;
pub mod lengths;
pub mod piece_cache;

use std::cell::RefCell;
use std::sync::LazyLock;

use regex_automata::meta::{Cache, Regex};
use regex_automata::{Anchored, Input};
use serde::{Deserialize, Serialize};

/// The byte-pair encodings OpenAI's chat models use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Encoding {
    /// `o200k_base` (gpt-4o, gpt-4.1).
    #[default]
    #[serde(rename = "o200k_base")]
    O200k,
    /// `cl100k_base` (gpt-3.5-turbo).
    #[serde(rename = "cl100k_base")]
    Cl100k,
}

impl Encoding {
    /// The encoding's name.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::O200k => "o200k_base",
            Encoding::Cl100k => "cl100k_base",
        }
    }

    /// Exact token count of `text` (special-token text counts as ordinary text). The same count as
    /// `bpe_openai::Tokenizer::count`, with the pre-tokenizer's regex cache per thread: the library's
    /// shared cache pool made two threads only 1.5x as fast as one.
    pub fn count(self, text: &str) -> usize {
        let bpe = &self.tokenizer().bpe;
        let pre = self.pretokenizer();
        let count_with = |counter: &RefCell<Counter>| {
            let mut counter = counter.borrow_mut();
            let Counter { regex, pieces } = &mut *counter;
            let mut total = 0;
            let mut last = 0;
            // bpe-openai's `Splits`: anchored matches one after another; a match of a look-ahead
            // pattern gives back its last character.
            while let Some(m) = pre
                .regex
                .search_with(regex, &Input::new(&text[last..]).anchored(Anchored::Yes))
            {
                let start = last;
                let mut end = last + m.range().end;
                if pre.lookahead[m.pattern().as_usize()] {
                    if let Some(c) = text[start..end].chars().next_back() {
                        end -= c.len_utf8();
                    }
                }
                if end == start {
                    break;
                }
                total += pieces.count(bpe, &text.as_bytes()[start..end]);
                last = end;
            }
            total
        };
        match self {
            Encoding::O200k => O200K_COUNTER.with(count_with),
            Encoding::Cl100k => CL100K_COUNTER.with(count_with),
        }
    }

    fn pretokenizer(self) -> &'static Pretokenizer {
        match self {
            Encoding::O200k => &O200K_PRE,
            Encoding::Cl100k => &CL100K_PRE,
        }
    }

    fn tokenizer(self) -> &'static bpe_openai::Tokenizer {
        match self {
            Encoding::O200k => bpe_openai::o200k_base(),
            Encoding::Cl100k => bpe_openai::cl100k_base(),
        }
    }

    /// Build the encoder's tables now (about 0.1 s), e.g. on a background thread while inputs load.
    pub fn warm_up(self) {
        self.tokenizer();
        self.pretokenizer();
    }
}

/// The pre-tokenizer of an encoding: bpe-openai 0.3.2's patterns (copied from its source, because its
/// `Pretokenizer` is private) and which of them look one character ahead.
pub struct Pretokenizer {
    regex: Regex,
    lookahead: [bool; 3],
}

impl Pretokenizer {
    fn new(main: &str) -> Pretokenizer {
        let regex = Regex::new_many(&[main, "\\s+\\s", "\\s+"])
            // The patterns are constants, tested on every run of the test suite.
            .unwrap_or_else(|e| panic!("tokenizer pattern does not compile: {e}"));
        Pretokenizer {
            regex,
            lookahead: [false, true, false],
        }
    }
}

static O200K_PRE: LazyLock<Pretokenizer> = LazyLock::new(|| {
    Pretokenizer::new(
        &[
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
            "\\p{N}{1,3}",
            " ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*",
            "\\s*[\\r\\n]+",
            "\\s+$",
        ]
        .join("|"),
    )
});

static CL100K_PRE: LazyLock<Pretokenizer> = LazyLock::new(|| {
    Pretokenizer::new("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+$")
});

/// A thread's counting state: the pre-tokenizer's regex cache, and the counts of the pieces it
/// has met.
struct Counter {
    regex: Cache,
    pieces: Pieces,
}

/// Token counts of short pieces already counted on this thread. Code repeats its words (keywords,
/// names, indentation) within a scene and across a catalog, and counting a piece with bpe-openai
/// builds a backtracking encoder each time (two allocations): the hottest symbol of a build.
/// Bounded: pieces of at most [`Pieces::LONGEST`] bytes, and emptied at [`Pieces::MOST`] entries.
/// Hashed with foldhash, seeded at random per map: SipHash cost 4.5% of a cold build, and a seed
/// the catalog cannot know keeps crafted pieces from colliding on purpose.
#[derive(Default)]
struct Pieces(std::collections::HashMap<Box<[u8]>, u32, foldhash::fast::RandomState>);

impl Pieces {
    const LONGEST: usize = 32;
    const MOST: usize = 1 << 16;

    fn count(
        &mut self,
        bpe: &bpe_openai::byte_pair_encoding::BytePairEncoding,
        piece: &[u8],
    ) -> usize {
        if piece.len() > Self::LONGEST {
            return bpe.count(piece);
        }
        if let Some(&n) = self.0.get(piece) {
            return n as usize;
        }
        let n = bpe.count(piece);
        if self.0.len() >= Self::MOST {
            self.0.clear();
        }
        self.0.insert(piece.into(), n as u32);
        n
    }
}

thread_local! {
    static O200K_COUNTER: RefCell<Counter> = RefCell::new(Counter {
        regex: O200K_PRE.regex.create_cache(),
        pieces: Pieces::default(),
    });
    static CL100K_COUNTER: RefCell<Counter> = RefCell::new(Counter {
        regex: CL100K_PRE.regex.create_cache(),
        pieces: Pieces::default(),
    });
}

/// Fine-tunable models and their per-example token limits (OpenAI's published figures).
const MODELS: &[(&str, Encoding, usize)] = &[
    ("gpt-4o-mini-2024-07-18", Encoding::O200k, 65_536),
    ("gpt-4o-2024-08-06", Encoding::O200k, 65_536),
    ("gpt-4.1", Encoding::O200k, 65_536),
    ("gpt-4.1-2025-04-14", Encoding::O200k, 65_536),
    ("gpt-4.1-mini", Encoding::O200k, 65_536),
    ("gpt-4.1-mini-2025-04-14", Encoding::O200k, 65_536),
    ("gpt-4.1-nano", Encoding::O200k, 32_768),
    ("gpt-4.1-nano-2025-04-14", Encoding::O200k, 32_768),
    ("gpt-3.5-turbo-0125", Encoding::Cl100k, 16_385),
    ("gpt-3.5-turbo-1106", Encoding::Cl100k, 16_385),
];

/// Names OpenAI also accepts for a model above: the alias has its snapshot's encoding and limit.
const ALIASES: &[(&str, &str)] = &[
    ("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
    ("gpt-4o", "gpt-4o-2024-08-06"),
    ("gpt-3.5-turbo", "gpt-3.5-turbo-0125"),
];

/// Per-message framing (3) plus the role token (1).
pub const PER_MESSAGE: usize = 4;
/// Every reply is primed with `<|start|>assistant<|message|>`.
pub const REPLY_PRIMING: usize = 3;

/// The model, its encoding and the per-example limit in force.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Budget {
    /// The model budgeted for.
    pub model: String,
    /// Its encoding.
    pub encoding: Encoding,
    /// Its per-example token limit.
    pub limit: usize,
}

impl Budget {
    /// The budget for `model`; `max_tokens` overrides its limit. Unknown models need `max_tokens`
    /// and are counted with o200k_base (the encoding of every current OpenAI chat model).
    pub fn new(model: &str, max_tokens: Option<usize>) -> Result<Budget, String> {
        if max_tokens == Some(0) {
            return Err("tokens.max_tokens must be at least 1".into());
        }
        let snapshot = ALIASES
            .iter()
            .find(|(alias, _)| *alias == model)
            .map_or(model, |&(_, snapshot)| snapshot);
        let known = MODELS.iter().find(|(name, _, _)| *name == snapshot);
        let (encoding, limit) = match (known, max_tokens) {
            (Some(&(_, encoding, limit)), max) => (encoding, max.unwrap_or(limit)),
            (None, Some(max)) if model.starts_with("gpt-3.5") => (Encoding::Cl100k, max),
            (None, Some(max)) => (Encoding::O200k, max),
            (None, None) => {
                let names: Vec<&str> = MODELS.iter().map(|m| m.0).collect();
                return Err(format!(
                    "unknown model {model:?}: use one of {} (or gpt-4o-mini, gpt-4o, gpt-3.5-turbo) or set tokens.max_tokens; for an open-weight model (Qwen, Llama, Gemma, DeepSeek), keep an OpenAI model as the budget and give its tokenizer with --tokenizer PATH/tokenizer.json (tokens.tokenizer): lengths are then counted as that model sees them",
                    names.join(", ")
                ));
            }
        };
        Ok(Budget {
            model: model.to_string(),
            encoding,
            limit,
        })
    }
}

/// The billed size of a chat example whose message contents count `contents` tokens each.
pub fn chat_total(contents: &[usize]) -> usize {
    REPLY_PRIMING + contents.iter().map(|c| PER_MESSAGE + c).sum::<usize>()
}

/// Distribution of example sizes.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TokenStats {
    pub examples: usize,
    pub total_tokens: u64,
    pub assistant_tokens: u64,
    pub min: usize,
    pub p10: usize,
    pub median: usize,
    pub p90: usize,
    pub max: usize,
}

impl TokenStats {
    /// From (total, assistant) token counts of each example.
    pub fn new(examples: &[(usize, usize)]) -> TokenStats {
        if examples.is_empty() {
            return TokenStats::default();
        }
        let mut totals: Vec<usize> = examples.iter().map(|e| e.0).collect();
        totals.sort_unstable();
        let pct = |p: usize| nearest_rank(&totals, p);
        TokenStats {
            examples: examples.len(),
            total_tokens: examples.iter().map(|e| e.0 as u64).sum(),
            assistant_tokens: examples.iter().map(|e| e.1 as u64).sum(),
            min: totals[0],
            p10: pct(10),
            median: pct(50),
            p90: pct(90),
            max: totals[totals.len() - 1],
        }
    }
}

/// The nearest-rank `p`-th percentile of sorted, non-empty `values`.
pub fn nearest_rank<T: Copy>(sorted: &[T], p: usize) -> T {
    sorted[((p * sorted.len()).div_ceil(100)).clamp(1, sorted.len()) - 1]
}

/// What a fine-tune on the training split would bill by default.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TrainedEstimate {
    pub epochs: usize,
    /// Tokens in the training file, each example capped at the limit.
    pub billing_tokens_per_epoch: u64,
    pub trained_tokens: u64,
}

/// OpenAI's cookbook heuristic: 3 epochs, raised so examples × epochs reaches 100 (at most 25
/// epochs), lowered so it stays at most 25,000 (at least 1).
pub fn estimate_trained(train_totals: &[usize], limit: usize) -> TrainedEstimate {
    let n = train_totals.len();
    let mut epochs = 3;
    if n > 0 && n * 3 < 100 {
        epochs = (100 / n).min(25);
    } else if n * 3 > 25_000 {
        epochs = (25_000 / n).max(1);
    }
    let billing: u64 = train_totals.iter().map(|&t| t.min(limit) as u64).sum();
    TrainedEstimate {
        epochs,
        billing_tokens_per_epoch: billing,
        trained_tokens: billing * epochs as u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_pick_encodings_and_limits() {
        let b = Budget::new("gpt-4o-mini-2024-07-18", None).unwrap();
        // The alias is its snapshot's budget, under the name given.
        let alias = Budget::new("gpt-4o-mini", None).unwrap();
        assert_eq!((alias.encoding, alias.limit), (b.encoding, b.limit));
        assert_eq!(alias.model, "gpt-4o-mini");
        assert_eq!(
            Budget::new("gpt-3.5-turbo", None).unwrap().encoding,
            Encoding::Cl100k
        );
        assert_eq!((b.encoding, b.limit), (Encoding::O200k, 65_536));
        let b = Budget::new("gpt-4.1-nano", None).unwrap();
        assert_eq!(b.limit, 32_768);
        let b = Budget::new("gpt-3.5-turbo-0125", Some(1000)).unwrap();
        assert_eq!((b.encoding, b.limit), (Encoding::Cl100k, 1000));
        let err = Budget::new("llama-3", None).unwrap_err();
        assert!(
            err.starts_with("unknown model \"llama-3\": use one of gpt-4o-mini-2024-07-18, "),
            "{err}"
        );
        assert_eq!(
            Budget::new("llama-3", Some(8192)).unwrap().encoding,
            Encoding::O200k
        );
    }

    #[test]
    fn remembered_piece_counts_are_the_library_s_counts() {
        let text = "const a = useCurrentFrame();\nconst b = useCurrentFrame();\n    \t  x  \u{1F600}\u{1F600} "
            .repeat(40)
            + &"y".repeat(100);
        for encoding in [Encoding::O200k, Encoding::Cl100k] {
            let library = encoding.tokenizer().count(&text);
            // Cold, then with every short piece remembered.
            assert_eq!(encoding.count(&text), library);
            assert_eq!(encoding.count(&text), library);
        }
    }

    #[test]
    fn published_counts() {
        // From OpenAI's tiktoken cookbook: "tiktoken is great!" is 6 cl100k_base tokens.
        assert_eq!(Encoding::Cl100k.count("tiktoken is great!"), 6);
        assert_eq!(Encoding::O200k.count(""), 0);
    }

    #[test]
    fn a_chat_example_adds_framing_per_message_and_reply_priming() {
        assert_eq!(chat_total(&[10, 20, 30]), 3 + 3 * 4 + 60);
    }

    #[test]
    fn the_epoch_heuristic_matches_the_cookbook() {
        assert_eq!(estimate_trained(&[100; 10], 65_536).epochs, 10);
        assert_eq!(estimate_trained(&[100; 3], 65_536).epochs, 25);
        assert_eq!(estimate_trained(&[100; 40], 65_536).epochs, 3);
        assert_eq!(estimate_trained(&[100; 10_000], 65_536).epochs, 2);
        assert_eq!(estimate_trained(&[100; 30_000], 65_536).epochs, 1);
        let e = estimate_trained(&[10, 70_000], 65_536);
        assert_eq!(e.billing_tokens_per_epoch, 10 + 65_536);
        assert_eq!(e.trained_tokens, (10 + 65_536) * 25);
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let examples: Vec<(usize, usize)> = (1..=10).map(|t| (t, 1)).collect();
        let s = TokenStats::new(&examples);
        assert_eq!((s.min, s.p10, s.median, s.p90, s.max), (1, 1, 5, 9, 10));
        assert_eq!(s.total_tokens, 55);
    }
}
