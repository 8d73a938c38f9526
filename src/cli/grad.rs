//! `micrograd grad` (not written yet).

use clap::Args;

use super::CliError;

/// Arguments of `micrograd grad`.
#[derive(Debug, Args)]
pub struct GradArgs {}

/// Runs `micrograd grad`.
pub fn run(_args: &GradArgs) -> Result<(), CliError> {
    Err(CliError::failure("`grad` is not implemented yet"))
}
