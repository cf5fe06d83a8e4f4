use clap::Parser;
use tracing_subscriber::EnvFilter;

// The system allocator. mimalloc was tried for the public GET: no throughput the runs could tell
// from their noise, and twice the memory (63 MB idle after a sign-in where glibc keeps 25, 96 MB
// over an export download where glibc peaks at 38); its options that fix that are set only from
// the environment or from unsafe code.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let filter = EnvFilter::try_from_env("FANFARE_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();

    let cli = fanfare_server::cli::Cli::parse();
    match fanfare_server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
