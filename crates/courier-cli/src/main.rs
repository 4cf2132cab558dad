//! `courier-cli`: the end-to-end-encrypted Courier client for terminals and scripts, over
//! [`courier_client`]. This file is the grammar and maps errors to exit codes; each
//! group of commands lives in its own file; [`context`] holds what they share (server, TLS,
//! config folder, password prompts, output).
//!
//! Secrets for scripts come from the environment, never from arguments (which `ps` shows):
//! `COURIER_PASSWORD`, `COURIER_NEW_PASSWORD`, `COURIER_RECOVERY_KEY`. Without them the CLI
//! prompts on the terminal without echo.

pub mod account;
pub mod chat;
pub mod contacts;
pub mod context;
pub mod display;
pub mod emit;
pub mod files;
pub mod listen;
pub mod series;
pub mod simulate;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use uuid::Uuid;

use context::Ctx;
use courier_client::Result;

#[derive(Parser, Debug)]
#[command(name = "courier-cli", version, about = "End-to-end-encrypted Courier client", long_about = None)]
pub struct Cli {
    /// Server base URL, e.g. https://chat.example.org (default: the one you logged in to).
    #[arg(long, global = true, env = "COURIER_SERVER")]
    pub server: Option<String>,
    /// Trust this CA certificate (PEM) in addition to the system roots, e.g. a self-signed
    /// server's `certs/cert.pem`.
    #[arg(long, global = true, env = "COURIER_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// DANGEROUS: accept ANY TLS certificate (local test servers only). Messages stay end-to-end
    /// encrypted, but tokens and metadata can be intercepted.
    #[arg(long, global = true, env = "COURIER_INSECURE")]
    pub insecure: bool,
    /// Folder for the session, pinned keys and stream cursor (default ~/.config/courier).
    #[arg(long, global = true, env = "COURIER_CONFIG_DIR", value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// Machine-readable output: one JSON object per line.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create an account (new keys, recovery key shown once) and log in.
    Register { username: String },
    /// Log in; keeps the refresh token and the wrapped keys in the config folder.
    Login { username: String },
    /// Show who is logged in, and the own key fingerprint.
    Whoami,
    /// Show a user's id, keys' fingerprint and pin state.
    Lookup { username: String },
    /// Compare safety numbers with a contact and mark their key verified (accepting a change).
    Verify {
        username: String,
        /// Do not ask: the numbers were compared already.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// List conversations, or create / change one.
    #[command(alias = "conv")]
    Conversations {
        #[command(subcommand)]
        action: Option<ConvAction>,
    },
    /// Send a text message (from the argument, or from stdin when it is absent or `-`), or
    /// files with `--file` (end-to-end encrypted; the text, if any, is their caption).
    Send {
        /// A conversation id, or a username (the direct conversation with them, made if needed).
        to: String,
        text: Option<String>,
        /// Attach this file; repeat for several (at most 10). TEXT becomes the caption.
        #[arg(long = "file", value_name = "PATH")]
        files: Vec<PathBuf>,
        /// Upload piece size in bytes (for tests of resumable uploads).
        #[arg(long, hide = true)]
        piece_size: Option<usize>,
    },
    /// Download a message's attachments: decrypted and verified before they are saved.
    Download {
        /// The message, as `history` and `listen` show it.
        message_id: Uuid,
        /// A folder (default: the current one), or a new file's name when one attachment is
        /// fetched. Existing files are never replaced: `name (1).ext` … instead.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Only attachment N (numbered from 1, as `history` shows them).
        #[arg(long, value_name = "N")]
        index: Option<usize>,
        /// The conversation holding the message (default: search every conversation).
        #[arg(long, value_name = "CONVERSATION")]
        conversation: Option<String>,
    },
    /// Show a conversation's messages, verified and decrypted.
    History {
        conversation: String,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        /// Only messages before this position.
        #[arg(long)]
        before: Option<i64>,
    },
    /// Stream events live (verify, decrypt, print), resuming where the last run stopped.
    Listen {
        /// Exit after this many messages (for scripts and tests).
        #[arg(long)]
        count: Option<u64>,
        /// Start from this event id instead of the saved one (0 = replay everything).
        #[arg(long)]
        from: Option<i64>,
        /// Do not post `delivered` receipts for received messages.
        #[arg(long)]
        no_receipts: bool,
    },
    /// Mark a conversation read (or delivered) up to its newest verified message from someone
    /// else, or a given one.
    Receipts {
        conversation: String,
        #[arg(long, default_value = "read", value_parser = ["read", "delivered"])]
        status: String,
        #[arg(long)]
        up_to: Option<Uuid>,
    },
    /// Change the password (every other session is logged out).
    Password,
    /// Set a new password with the recovery key (history is kept; every session ends).
    Recover { username: String },
    /// List sessions, or revoke one.
    Sessions {
        #[command(subcommand)]
        action: Option<SessionAction>,
    },
    /// Log out (revokes this session on the server and forgets it here).
    Logout,
    /// Delete the account for good (asks for the password).
    DeleteAccount {
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Load test: N users in direct pairs, real encrypted traffic, delivery and latency report.
    Simulate(simulate::SimulateArgs),
    /// Send readings into a conversation as encrypted series batches (simulated, this
    /// machine's load, or CSV / JSON lines on stdin), with an outbox that loses nothing.
    Emit(emit::EmitArgs),
    /// Print a conversation's series points in time order, verified; report gaps and
    /// refused batches.
    Series(series::SeriesArgs),
}

#[derive(Subcommand, Debug)]
pub enum ConvAction {
    /// List (the default).
    List,
    /// Create: one other user = direct conversation, more (or --title) = group.
    New {
        #[arg(required = true)]
        usernames: Vec<String>,
        #[arg(long)]
        title: Option<String>,
    },
    /// Add a member to a group.
    Add {
        conversation: String,
        username: String,
    },
    /// Leave a conversation.
    Leave { conversation: String },
}

#[derive(Subcommand, Debug)]
pub enum SessionAction {
    List,
    /// Revoke a session by id.
    Revoke {
        id: Uuid,
    },
}

/// Runs one command line; the error's exit code is the process's.
pub async fn run(cli: Cli) -> Result<()> {
    let ctx = Ctx::new(&cli)?;
    match cli.command {
        Command::Register { username } => account::register(&ctx, &username).await,
        Command::Login { username } => account::login(&ctx, &username).await,
        Command::Whoami => account::whoami(&ctx).await,
        Command::Lookup { username } => contacts::lookup(&ctx, &username).await,
        Command::Verify { username, yes } => contacts::verify(&ctx, &username, yes).await,
        Command::Conversations { action } => {
            chat::conversations(&ctx, action.unwrap_or(ConvAction::List)).await
        }
        Command::Send {
            to,
            text,
            files,
            piece_size,
        } => {
            if files.is_empty() {
                chat::send(&ctx, &to, text).await
            } else {
                files::send(&ctx, &to, text, &files, piece_size).await
            }
        }
        Command::Download {
            message_id,
            out,
            index,
            conversation,
        } => files::download(&ctx, message_id, out, index, conversation.as_deref()).await,
        Command::History {
            conversation,
            limit,
            before,
        } => chat::history(&ctx, &conversation, limit, before).await,
        Command::Listen {
            count,
            from,
            no_receipts,
        } => listen::listen(&ctx, count, from, !no_receipts).await,
        Command::Receipts {
            conversation,
            status,
            up_to,
        } => chat::receipts(&ctx, &conversation, &status, up_to).await,
        Command::Password => account::password(&ctx).await,
        Command::Recover { username } => account::recover(&ctx, &username).await,
        Command::Sessions { action } => {
            account::sessions(&ctx, action.unwrap_or(SessionAction::List)).await
        }
        Command::Logout => account::logout(&ctx).await,
        Command::DeleteAccount { yes } => account::delete_account(&ctx, yes).await,
        Command::Simulate(args) => simulate::run(&ctx, args).await,
        Command::Emit(args) => emit::run(&ctx, args).await,
        Command::Series(args) => series::run(&ctx, args).await,
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let json = cli.json;
    if let Err(e) = run(cli).await {
        if json {
            println!(
                "{}",
                serde_json::json!({"error": e.kind(), "message": e.to_string()})
            );
        }
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
