//! `micrograd serve [--port N] [--open]`: the explorer, a local page to step through
//! backpropagation and watch a network learn (the `micrograd-explorer` crate). It listens on
//! 127.0.0.1 only, prints the URL, and stops on Ctrl-C.

use clap::Args;

use crate::CliError;

/// Arguments of `micrograd serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port on 127.0.0.1 (0: a free port chosen by the system).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,
    /// Open the page in the desktop's browser.
    #[arg(long)]
    pub open: bool,
    /// Instead of serving: measure frames per second and server CPU per frame while the
    /// demo network trains, and print them (one JSON object with --json).
    #[arg(long)]
    pub bench: bool,
    /// With --bench: seconds to measure.
    #[arg(long, value_name = "S", default_value_t = 5.0, requires = "bench")]
    pub seconds: f64,
    /// With --bench: print one JSON object.
    #[arg(long, requires = "bench")]
    pub json: bool,
}

/// Runs `micrograd serve`.
pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    if args.bench {
        if !(args.seconds.is_finite() && (0.5..=600.0).contains(&args.seconds)) {
            return Err(CliError::usage(format!(
                "--seconds {}: between 0.5 and 600",
                args.seconds
            )));
        }
        let report = micrograd_explorer::bench::run(args.seconds).map_err(CliError::failure)?;
        if args.json {
            outln!("{}", report.to_json())?;
        } else {
            out!("{report}")?;
        }
        return Ok(());
    }
    micrograd_explorer::run(&micrograd_explorer::ServeOptions {
        port: args.port,
        open: args.open,
    })
    .map_err(CliError::failure)
}
