//! `micrograd bench` (not written yet).

use clap::Args;

use super::CliError;

/// Arguments of `micrograd bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {}

/// Runs `micrograd bench`.
pub fn run(_args: &BenchArgs) -> Result<(), CliError> {
    Err(CliError::failure("`bench` is not implemented yet"))
}
