//! The `micrograd` binary: all of its logic lives in the `micrograd_cli` library.

fn main() -> std::process::ExitCode {
    micrograd_cli::main()
}
