//! The `bounceguard` command.

fn main() -> std::process::ExitCode {
    bounceguard::cli::main()
}
