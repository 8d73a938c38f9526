//! Fuzz target `model_json`: see `micrograd_fuzz_checks::model_json` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| micrograd_fuzz_checks::model_json(data));
