//! Fuzz target `engine`: see `micrograd_fuzz_checks::engine` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| micrograd_fuzz_checks::engine(data));
