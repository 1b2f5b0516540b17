//! The canonical.ts literal evaluator on arbitrary text: errors are fine, panics and hangs are not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(init: template_sft::internals::fuzzing::allow_guarded_panics(), |data: &[u8]| {
    template_sft::internals::fuzzing::ts_catalog(data);
});
