//! Model tokenizers with real tokenizer files (Qwen3, Llama 3.1, Gemma 3, DeepSeek V3 from npm):
//! rendered chat templates, counts by piece equal to whole-text counts, lengths in stats and meta,
//! trainer warnings, and the trainer configs of the exports.

mod support;

use support::tokenizers::{tokenizer, NAMES};
use template_sft::tokens::chat_template::{ChatTokenizer, TokenizerSpec, Turn};

fn load(name: &str) -> ChatTokenizer {
    ChatTokenizer::load(&TokenizerSpec::parse(&tokenizer(name).to_string_lossy()))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn conversation<'a>(system: &'a str, user: &'a str, code: &'a str) -> [Turn<'a>; 3] {
    [
        Turn {
            role: "system",
            content: system,
        },
        Turn {
            role: "user",
            content: user,
        },
        Turn {
            role: "assistant",
            content: code,
        },
    ]
}

#[test]
fn counts_by_piece_equal_counts_of_the_whole_rendering() {
    let code = std::fs::read_to_string(
        support::repo_root().join("examples/starter/templates/typewriter-terminal.tsx"),
    )
    .unwrap();
    // Special-token text inside a message becomes the special token, as in transformers.
    let tricky = format!("{code}\n// <|im_end|> <|eot_id|> <end_of_turn> ▁ spaces   \n");
    let briefs = [
        "Make a 6-second square typewriter.",
        "  Landscape, 180 frames.\n\n",
    ];
    for name in NAMES {
        let t = load(name);
        assert!(t.counts_by_piece(), "{name} should count by piece");
        for code in [code.as_str(), tricky.as_str()] {
            let conversations: Vec<[Turn<'_>; 3]> = briefs
                .iter()
                .map(|b| conversation("You write Remotion scenes.", b, code))
                .collect();
            let refs: Vec<&[Turn<'_>]> = conversations.iter().map(|c| &c[..]).collect();
            let counts = t.count(&refs).unwrap();
            for (c, turns) in counts.iter().zip(&conversations) {
                let whole = t.encode_len(&t.render(turns, false).unwrap()).unwrap();
                let prompt = t.encode_len(&t.render(&turns[..2], true).unwrap()).unwrap();
                assert_eq!(c.tokens, whole, "{name}");
                assert_eq!(c.assistant_tokens, whole - prompt, "{name}");
                assert!(
                    c.assistant_tokens > 100 && c.assistant_tokens < c.tokens,
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn chat_templates_render_as_transformers_does() {
    let turns = conversation("S", "U", "A");
    let qwen3 = load("qwen3").render(&turns, false).unwrap();
    assert_eq!(
        qwen3,
        "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nA<|im_end|>\n"
    );
    let llama = load("llama3_1").render(&turns[..2], true).unwrap();
    assert_eq!(
        llama,
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"
    );
    let gemma = load("gemma3").render(&turns, false).unwrap();
    assert_eq!(
        gemma,
        "<bos><start_of_turn>user\nS\n\nU<end_of_turn>\n<start_of_turn>model\nA<end_of_turn>\n"
    );
    // A template's own raise_exception reaches the caller as an error with its message.
    let err = load("gemma3")
        .render(&[turns[0], turns[2], turns[1]], false)
        .unwrap_err();
    assert!(err.contains("alternate"), "{err}");
}
