//! The `micrograd` command line, as a library: the binary (`src/main.rs`) only calls
//! [`main`]; each subcommand lives in its own module with its arguments and a `run`
//! function, where tests reach it. The autograd engine, the networks and the data live in
//! the `micrograd` library crate; this crate adds the flags, the words and the files.

#![warn(missing_docs)]

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// `outln!("...", args)`: writes a line to standard output through [`write_stdout`], giving a
/// `Result<(), CliError>` instead of panicking as `println!` does when stdout is closed or full.
macro_rules! outln {
    () => {
        $crate::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `errln!("...", args)`: a line to standard error. A failed write (stderr closed or full)
/// is ignored: the message had nowhere to go, and `eprintln!` would panic instead.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `out!("...", args)`: as [`outln!`] without the newline.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::write_stdout(format_args!($($arg)*))
    };
}

pub mod bench;
pub mod demo;
pub mod grad;
pub mod perf;
pub mod predict;
pub mod serve;
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
    /// Serve the explorer: a local page to step through backpropagation and watch a network
    /// learn.
    Serve(serve::ServeArgs),
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

    /// The reader of standard output went away (a closed pipe, as in `micrograd train | head
    /// -1`): the command stops early and [`main`] exits quietly with status 0, as `head`
    /// asked for no more. The message is empty and nothing is printed.
    pub fn broken_pipe() -> Self {
        CliError {
            code: 0,
            message: String::new(),
        }
    }

    /// Whether this is [`CliError::broken_pipe`].
    pub fn is_broken_pipe(&self) -> bool {
        self.code == 0
    }

    /// A failed write to standard output: [`CliError::broken_pipe`] for a closed pipe, else a
    /// failure (exit status 1) saying `cannot write to stdout: ...` (e.g. a full disk).
    pub fn from_stdout(e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CliError::broken_pipe()
        } else {
            CliError::failure(format!("cannot write to stdout: {e}"))
        }
    }
}

/// Writes to standard output (locked for the one write); a failed write is an error value
/// (see [`CliError::from_stdout`]), never a panic. The subcommands print through the
/// `outln!`/`out!` macros, which call this, and end with [`flush_stdout`].
///
/// Control characters (of a label, a column name, a file name) are escaped
/// ([`micrograd::text`]): nothing printed drives the terminal.
pub fn write_stdout(args: std::fmt::Arguments<'_>) -> Result<(), CliError> {
    write_escaped(&mut std::io::stdout().lock(), args).map_err(|e| CliError::from_stdout(&e))
}

/// Writes to standard error, ignoring a failure (see `errln!`); control characters are
/// escaped, as by [`write_stdout`].
pub fn write_stderr(args: std::fmt::Arguments<'_>) {
    let _ = write_escaped(&mut std::io::stderr().lock(), args);
}

/// Writes `args` to `out` with control characters escaped ([`micrograd::text::escape`]).
fn write_escaped(out: &mut impl Write, args: std::fmt::Arguments<'_>) -> std::io::Result<()> {
    match args.as_str() {
        Some(s) => out.write_all(micrograd::text::escape(s).as_bytes()),
        None => out.write_all(micrograd::text::escape(&args.to_string()).as_bytes()),
    }
}

/// Flushes standard output, so a failed write of buffered text is reported (see
/// [`write_stdout`]) rather than lost at exit.
pub fn flush_stdout() -> Result<(), CliError> {
    std::io::stdout()
        .lock()
        .flush()
        .map_err(|e| CliError::from_stdout(&e))
}

/// Reports an error of clap's parsing (exit status 2; help and version as clap prints them).
/// clap's styled text echoes a bad argument raw, control characters and all, on a terminal;
/// it is printed here as plain text instead, escaped like every other message.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    errln!("{}", e.render().to_string().trim_end());
    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// Parses the process arguments, runs the subcommand, and returns the exit status: 0 on
/// success and when standard output was closed by its reader (see
/// [`CliError::broken_pipe`]), 2 for bad usage or input, 1 for a failure while running
/// (including a failed write to standard output, e.g. a full disk).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    let result = match &cli.command {
        Command::Grad(a) => grad::run(a),
        Command::Demo(a) => demo::run(a),
        Command::Train(a) => train::run(a),
        Command::Predict(a) => predict::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Serve(a) => serve::run(a),
    }
    .and_then(|()| flush_stdout());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            errln!("error: {}", e.message);
            ExitCode::from(e.code)
        }
    }
}
