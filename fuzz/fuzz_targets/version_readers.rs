//! The readers of a version (stats and meta lines into `report`'s terminal and HTML output).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    template_sft::internals::fuzzing::version_readers(data);
});
