//! The `micrograd` command line. The binary (`src/main.rs`) only calls [`main`]; each
//! subcommand lives in its own module with its arguments and a `run` function.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod bench;
pub mod demo;
pub mod grad;
pub mod predict;
pub mod train;

/// A tiny autograd engine and neural-net library, after Karpathy's micrograd.
#[derive(Debug, Parser)]
#[command(name = "micrograd", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate a small program and print its value and gradients.
    Grad(grad::GradArgs),
    /// Run the lecture: a neuron by hand, then a small MLP trained on four examples.
    Demo(demo::DemoArgs),
    /// Train an MLP (by default micrograd's moons demo).
    Train(train::TrainArgs),
    /// Predict with a saved model.
    Predict(predict::PredictArgs),
    /// Run a performance workload.
    Bench(bench::BenchArgs),
}

/// A failure to report: a message for stderr and the process exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// Exit status: 2 for bad usage or input, 1 for a failure while running.
    pub code: u8,
    /// What went wrong, and where.
    pub message: String,
}

impl CliError {
    /// Bad usage or bad input (exit status 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: 2,
            message: message.into(),
        }
    }

    /// A failure while running (exit status 1).
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Parses the process arguments, runs the subcommand, and returns the exit status.
pub fn main() -> ExitCode {
    let cli = Cli::parse(); // clap prints usage errors itself and exits with status 2
    let result = match &cli.command {
        Command::Grad(a) => grad::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Train(a) => train::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Bench(a) => bench::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
