//! `courier-cli`: the end-to-end-encrypted Courier client for terminals and scripts.
//! Everything lives in `courier::cli` (commands) and `courier::client` (the API client);
//! this file only parses the command line, runs it and maps errors to exit codes.

use clap::Parser;
use courier::cli::{run, Cli};

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let json = cli.json;
    if let Err(e) = run(cli).await {
        if json {
            println!("{}", serde_json::json!({"error": e.kind(), "message": e.to_string()}));
        }
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
