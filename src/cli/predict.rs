//! `micrograd predict` (not written yet).

use clap::Args;

use super::CliError;

/// Arguments of `micrograd predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {}

/// Runs `micrograd predict`.
pub fn run(_args: &PredictArgs) -> Result<(), CliError> {
    Err(CliError::failure("`predict` is not implemented yet"))
}
