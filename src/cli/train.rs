//! `micrograd train` (not written yet).

use clap::Args;

use super::CliError;

/// Arguments of `micrograd train`.
#[derive(Debug, Args)]
pub struct TrainArgs {}

/// Runs `micrograd train`.
pub fn run(_args: &TrainArgs) -> Result<(), CliError> {
    Err(CliError::failure("`train` is not implemented yet"))
}
