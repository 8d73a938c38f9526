//! The `micrograd` binary: all of its logic lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    micrograd::cli::main()
}
