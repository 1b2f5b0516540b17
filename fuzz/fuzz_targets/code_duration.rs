//! The static duration evaluator on arbitrary modules.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: template_sft::internals::fuzzing::allow_guarded_panics(), |data: &[u8]| {
    template_sft::internals::fuzzing::code_duration(data);
});
