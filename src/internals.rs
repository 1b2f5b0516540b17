//! What the binary, the integration tests, the fuzz targets and the benchmarks reach inside the
//! library, and nothing more. The modules themselves are crate-private: the library's API is what
//! `lib.rs` re-exports. These paths mirror the modules they come from (`internals::code::duration`
//! is `crate::code::duration`), so a test names a part the way the code does; each item is here
//! because something outside the crate uses it, and a new use adds its line here on purpose.

/// The command line, for `main.rs`.
#[cfg(feature = "cli")]
pub mod cli {
    pub use crate::cli::Cli;
    pub use crate::console::error_text;
    pub use crate::interrupt::install as handle_interrupts;
    pub use crate::parse_guard::quiet_guarded_panics;
}

/// One entry point per fuzz target (`fuzz/fuzz_targets/`), also replayed by `tests/fuzz_corpus.rs`.
pub mod fuzzing {
    pub use crate::fuzzing::*;
}

pub mod catalog {
    pub use crate::catalog::{json, typescript, Source, Template};
}

pub mod code {
    pub use crate::code::{duration, gate, json_string, CodeOrigin, FoundCode, TemplateCode};
}

pub mod config {
    pub use crate::config::GateConfig;
}

pub mod dataset {
    pub use crate::dataset::{example, lengths, manifest};
}

pub mod diagnostic {
    pub use crate::diagnostic::Diagnostics;
}

pub mod digest {
    pub use crate::digest::sha256_hex;
}

/// `eval --render`'s image metrics, for `examples/ssim.rs` (checked against scikit-image).
pub mod eval {
    pub use crate::eval::video;
}

pub mod export {
    pub use crate::export::{alpaca, messages_of, sharegpt, trl};
}

pub mod location {
    pub use crate::location::LineIndex;
}

pub mod prompts {
    pub use crate::prompts::brief;
}

pub mod render {
    pub use crate::render::kit;
}

pub mod rng {
    pub use crate::rng::Rng;
}

pub mod split {
    pub use crate::split::{assign, near_copy, Group, Ratios};
}

pub mod synth {
    pub use crate::synth::{scene, write_project, Options};
}

pub mod text {
    pub use crate::text::thousands;
}

pub mod tokens {
    pub use crate::tokens::{chat_template, lengths, Encoding};
}

pub mod video {
    pub use crate::video::DurationFrom;
}
