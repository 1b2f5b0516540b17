//! The `validate` line checker on arbitrary bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: template_sft::internals::fuzzing::allow_guarded_panics(), |data: &[u8]| {
    template_sft::internals::fuzzing::validate_line(data);
});
