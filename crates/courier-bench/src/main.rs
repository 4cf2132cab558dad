//! `courier-bench`: the load generator of scripts/bench.sh (the targets in docs/performance.md).
//! Every scenario prints JSON lines; `report` renders them into docs/bench/.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "courier-bench", about = "Courier load generator")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// (a) Hold N streams on one instance and report its memory per stream.
    Streams {
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "direct")]
        label: String,
        #[arg(long)]
        server_pid: u32,
        #[arg(long, default_value_t = 19_000)]
        total: usize,
        #[arg(long, default_value_t = 4)]
        procs: usize,
        #[arg(long, default_value_t = 200)]
        per_user: usize,
    },
    /// Child of `streams`: open streams from one source address and hold them.
    #[command(hide = true)]
    Hold {
        #[arg(long)]
        url: String,
        #[arg(long)]
        tokens: String,
        #[arg(long)]
        first: usize,
        #[arg(long)]
        count: usize,
        #[arg(long)]
        per_user: usize,
        #[arg(long)]
        local: std::net::IpAddr,
    },
    /// (b) 1:1 pairs at rising rates: accepted msg/s, send→receive p50/p99.
    Pairs {
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "direct")]
        label: String,
        #[arg(long, default_value_t = 200)]
        pairs: usize,
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "500,1000,2500,5000,10000"
        )]
        rates: Vec<u32>,
        #[arg(long, default_value_t = 10)]
        secs: u64,
        #[arg(long, default_value_t = 200)]
        size: usize,
    },
    /// (c) Messages to a group with every member online: per-member p99, sustained events/s.
    Fanout {
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "direct")]
        label: String,
        #[arg(long, default_value_t = 256)]
        members: usize,
        #[arg(long, default_value_t = 30)]
        rounds: usize,
        #[arg(long, default_value_t = 400)]
        burst: usize,
        #[arg(long, default_value_t = 200)]
        size: usize,
    },
    /// (f) Telemetry: one emitter at each rate (points/s) into a group with N viewers
    /// decrypting every batch; exactly-once, latency point → decrypted, server CPU per point.
    Telemetry {
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "direct")]
        label: String,
        #[arg(long)]
        server_pid: u32,
        #[arg(long, default_value_t = 10)]
        viewers: usize,
        #[arg(long, default_value_t = 3)]
        series: usize,
        #[arg(long, value_delimiter = ',', default_value = "10000")]
        rates: Vec<u32>,
        #[arg(long, default_value_t = 60)]
        secs: u64,
    },
    /// (e) One large attachment up and down through one server (TLS): MB/s each way and the
    /// server's RSS growth.
    Attachments {
        #[arg(long)]
        url: String,
        #[arg(long, default_value = "direct")]
        label: String,
        #[arg(long)]
        server_pid: u32,
        /// Plaintext bytes; the upload is the ciphertext size of that (docs/protocol.md §11).
        #[arg(long, default_value_t = 1 << 30)]
        size: u64,
        /// Bytes per request: 0 = the whole body in the POST, else a POST and PATCHes of this.
        #[arg(long, default_value_t = 0)]
        piece: u64,
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// HTTP/1.1 only (else whatever ALPN gives: HTTP/2 with a TLS server or nginx).
        #[arg(long)]
        http1: bool,
    },
    /// Render docs/bench/attachments.md from the `attachments` JSON lines.
    ReportAttachments {
        #[arg(long)]
        raw: std::path::PathBuf,
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long, default_value = "")]
        commands: String,
    },
    /// Render docs/bench/results.md and the plots from the collected JSON lines.
    Report {
        #[arg(long)]
        raw: std::path::PathBuf,
        #[arg(long)]
        out: std::path::PathBuf,
        #[arg(long, default_value = "")]
        commands: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command {
            Command::Streams {
                url,
                label,
                server_pid,
                total,
                procs,
                per_user,
            } => {
                courier_bench::scenarios::streams(&url, &label, server_pid, total, procs, per_user)
                    .await
            }
            Command::Hold {
                url,
                tokens,
                first,
                count,
                per_user,
                local,
            } => courier_bench::scenarios::hold(&url, &tokens, first, count, per_user, local).await,
            Command::Pairs {
                url,
                label,
                pairs,
                rates,
                secs,
                size,
            } => courier_bench::scenarios::pairs(&url, &label, pairs, &rates, secs, size).await,
            Command::Fanout {
                url,
                label,
                members,
                rounds,
                burst,
                size,
            } => courier_bench::scenarios::fanout(&url, &label, members, rounds, burst, size).await,
            Command::Telemetry {
                url,
                label,
                server_pid,
                viewers,
                series,
                rates,
                secs,
            } => {
                courier_bench::telemetry::telemetry(
                    &url, &label, server_pid, viewers, series, &rates, secs,
                )
                .await
            }
            Command::Attachments {
                url,
                label,
                server_pid,
                size,
                piece,
                rounds,
                http1,
            } => {
                let opts = courier_bench::attachments::Options {
                    size,
                    piece,
                    rounds,
                    http1,
                };
                courier_bench::attachments::run(&url, &label, server_pid, opts).await
            }
            Command::ReportAttachments { raw, out, commands } => {
                courier_bench::report::write_attachments(&raw, &out, &commands)
            }
            Command::Report { raw, out, commands } => {
                courier_bench::report::write(&raw, &out, &commands)
            }
        }
    })
}
