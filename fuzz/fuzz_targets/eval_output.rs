//! `eval`'s predictions line parser and per-example checks on arbitrary model output.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: template_sft::internals::fuzzing::allow_guarded_panics(), |data: &[u8]| {
    template_sft::internals::fuzzing::eval_output(data);
});
