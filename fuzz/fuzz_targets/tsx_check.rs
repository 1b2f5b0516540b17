//! The quality gate (TSX parse and rules) on arbitrary code, as `build` runs it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: template_sft::internals::fuzzing::allow_guarded_panics(), |data: &[u8]| {
    template_sft::internals::fuzzing::tsx_check(data);
});
