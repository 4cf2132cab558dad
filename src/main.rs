//! `courier`: serve (default), apply migrations, or write a development certificate.

use clap::{Parser, Subcommand};
use courier::{config::Settings, db, startup, telemetry, tls};

/// jemalloc, not glibc's malloc: glibc keeps memory freed by many threads in its arenas, so a
/// burst (a flood of large messages, thousands of streams cut off) left the RSS up for good;
/// jemalloc hands freed pages back to the system within about a second.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read at its start: a background thread returns dirty pages after ~1 s
/// and skips the lazy `MADV_FREE` stage, whose pages would still count as resident.
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8; 60] =
    b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

#[derive(Parser)]
#[command(
    name = "courier",
    version,
    about = "Courier end-to-end-encrypted messaging server"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTPS server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Write a self-signed localhost certificate (unless one exists).
    GenCert {
        #[arg(long, default_value = "certs/localhost.crt")]
        cert: std::path::PathBuf,
        #[arg(long, default_value = "certs/localhost.key.pem")]
        key: std::path::PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    telemetry::init(std::io::stdout);
    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Serve) {
        Command::GenCert { cert, key } => {
            if tls::ensure_dev_certificate(&cert, &key)? {
                println!("wrote {} and {}", cert.display(), key.display());
            } else {
                println!("{} and {} already exist", cert.display(), key.display());
            }
            Ok(())
        }
        Command::Migrate => {
            let settings = load()?;
            let pool = db::pool(settings.database_url.expose(), 1);
            let mut conn = pool.get()?;
            let applied = db::migrate(&mut conn)?;
            println!("applied {applied} migration(s)");
            Ok(())
        }
        Command::Serve => {
            let settings = load()?;
            actix_web::rt::System::new().block_on(async move {
                let app = startup::build(settings).await?;
                app.run_until_signalled().await?;
                Ok(())
            })
        }
    }
}

fn load() -> anyhow::Result<Settings> {
    Settings::from_env().map_err(|e| {
        eprintln!("courier: {e}");
        anyhow::anyhow!(e)
    })
}
