//! The `patron` binary: command line, configuration, logging, launch.

mod cli;
mod launch;
mod reports;
mod transfer;

use clap::Parser;

// The process's last word when it cannot run a command: on standard error, where an operator or
// a script looks, whether or not logging was set up.
#[allow(clippy::print_stderr)]
fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("patron: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("patron: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
