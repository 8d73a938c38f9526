//! `micrograd demo` (not written yet).

use clap::Args;

use super::CliError;

/// Arguments of `micrograd demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {}

/// Runs `micrograd demo`.
pub fn run(_args: &DemoArgs) -> Result<(), CliError> {
    Err(CliError::failure("`demo` is not implemented yet"))
}
