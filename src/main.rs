//! `courier`: serve (default), apply migrations, or write a development certificate.

use clap::{Parser, Subcommand};
use courier::{config::Settings, db, startup, telemetry, tls};

#[derive(Parser)]
#[command(name = "courier", version, about = "Courier end-to-end-encrypted messaging server")]
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
