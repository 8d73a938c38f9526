//! Fuzz target `expr`: see `micrograd_fuzz_checks::expr` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| micrograd_fuzz_checks::expr(data));
