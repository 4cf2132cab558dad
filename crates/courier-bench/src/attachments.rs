//! (e) Attachments: upload and download of one large attachment through one server, timed each
//! way, with the server's memory sampled all along. The bytes are random (the server never
//! decrypts, so it cannot tell them from a real file's ciphertext) and of the ciphertext size
//! §11 gives for the plaintext size asked for.
//!
//! The client does as little as it can so that the server is what is measured: the body is one
//! random block sent again and again (slices of it, no copying), and the download is compared
//! with that block as it arrives, never held.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use anyhow::{bail, ensure, Context};
use futures_util::StreamExt;
use reqwest::header;
use serde_json::{json, Value};

use courier_protocol::crypto::attachment::ciphertext_size;

/// The repeated block of the body: a prime number of bytes, so a block boundary falls at a
/// different place in each chunk and in each part on the server.
const BLOCK: usize = (4 << 20) + 7;
/// Bytes per chunk of the request body as the client hands it to the HTTP stack.
const SEND_CHUNK: usize = 256 << 10;

/// What one run measures.
pub struct Options {
    pub size: u64,
    /// Bytes per request: 0 = every byte in the `POST`, else a `POST` then `PATCH`es this long.
    pub piece: u64,
    pub rounds: usize,
    pub http1: bool,
}

/// `VmRSS` and `VmHWM` of a process, KiB.
fn memory_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .with_context(|| format!("no {name}"))?;
        Ok(line.split_whitespace().nth(1).context("value")?.parse()?)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// CPU seconds (user + system, all threads) a process has used so far.
fn cpu_secs(pid: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').context("stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    // USER_HZ is 100 on every Linux this runs on.
    Ok(ticks / 100.0)
}

/// CPU seconds the server (`pid`) and this client used during a phase.
struct Cpu {
    server: f64,
    client: f64,
}

impl Cpu {
    fn now(pid: u32) -> anyhow::Result<Self> {
        Ok(Cpu {
            server: cpu_secs(&pid.to_string())?,
            client: cpu_secs("self")?,
        })
    }
    fn since(&self, pid: u32) -> anyhow::Result<Self> {
        let now = Cpu::now(pid)?;
        Ok(Cpu {
            server: now.server - self.server,
            client: now.client - self.client,
        })
    }
}

/// Resets the process's `VmHWM` to its current RSS (`clear_refs` 5), so the next reading of
/// it is the peak of what follows; `false` where that is not allowed (then only sampling).
fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// Samples the server's RSS every 5 ms while a phase runs; the peak seen.
struct Sampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Sampler {
    fn start(pid: u32) -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn({
            let (peak, stop) = (peak.clone(), stop.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok((rss, _)) = memory_kib(pid) {
                        peak.fetch_max(rss, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });
        Sampler { peak, stop, task }
    }

    /// The peak RSS of the phase, KiB: the larger of the samples and `VmHWM` (exact when
    /// [`reset_peak`] worked before the phase).
    async fn finish(self, pid: u32, hwm_valid: bool) -> anyhow::Result<u64> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        let (rss, hwm) = memory_kib(pid)?;
        let sampled = self.peak.load(Ordering::Relaxed).max(rss);
        Ok(if hwm_valid { sampled.max(hwm) } else { sampled })
    }
}

fn block() -> bytes::Bytes {
    let mut b = vec![0u8; BLOCK];
    // A cheap generator: the bytes only need to look random to a compressor, not to anyone.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ std::process::id() as u64;
    for chunk in b.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
    }
    b.into()
}

/// The bytes `[from, from + len)` of the endless repetition of `block`, as a body stream.
fn body(block: bytes::Bytes, from: u64, len: u64) -> reqwest::Body {
    let chunks = futures_util::stream::unfold((from, from + len), move |(at, end)| {
        let block = block.clone();
        async move {
            if at >= end {
                return None;
            }
            let offset = (at % BLOCK as u64) as usize;
            let n = (SEND_CHUNK as u64)
                .min(end - at)
                .min((BLOCK - offset) as u64) as usize;
            Some((
                Ok::<_, std::io::Error>(block.slice(offset..offset + n)),
                (at + n as u64, end),
            ))
        }
    });
    reqwest::Body::wrap_stream(chunks)
}

async fn expect_json(res: reqwest::Response, status: u16) -> anyhow::Result<Value> {
    let got = res.status().as_u16();
    let text = res.text().await?;
    ensure!(got == status, "expected {status}, got {got}: {text}");
    Ok(serde_json::from_str(&text)?)
}

/// Uploads `total` bytes as `opts` says; the attachment id.
async fn upload(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    block: &bytes::Bytes,
    total: u64,
    piece: u64,
) -> anyhow::Result<String> {
    let first = if piece == 0 { total } else { piece.min(total) };
    let res = c
        .post(format!("{base}/api/attachments"))
        .bearer_auth(token)
        .header("Upload-Length", total.to_string())
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .body(body(block.clone(), 0, first))
        .send()
        .await?;
    let state = expect_json(res, 201).await?;
    let id = state["attachment_id"]
        .as_str()
        .context("attachment_id")?
        .to_owned();
    let mut offset = state["offset"].as_u64().context("offset")?;
    while offset < total {
        let n = piece.min(total - offset);
        let res = c
            .patch(format!("{base}/api/attachments/{id}"))
            .bearer_auth(token)
            .header("Upload-Offset", offset.to_string())
            .header(header::CONTENT_TYPE, "application/offset+octet-stream")
            .body(body(block.clone(), offset, n))
            .send()
            .await?;
        offset = expect_json(res, 200).await?["offset"]
            .as_u64()
            .context("offset")?;
    }
    Ok(id)
}

/// Downloads the attachment and checks every byte against the block as it arrives.
async fn download(
    c: &reqwest::Client,
    base: &str,
    token: &str,
    id: &str,
    block: &bytes::Bytes,
    total: u64,
) -> anyhow::Result<()> {
    let res = c
        .get(format!("{base}/api/attachments/{id}"))
        .bearer_auth(token)
        .send()
        .await?;
    ensure!(res.status().as_u16() == 200, "download: {}", res.status());
    let mut stream = res.bytes_stream();
    let mut at: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let mut chunk = &chunk?[..];
        while !chunk.is_empty() {
            let offset = (at % BLOCK as u64) as usize;
            let n = chunk.len().min(BLOCK - offset);
            if chunk[..n] != block[offset..offset + n] {
                bail!("downloaded bytes differ from the upload near offset {at}");
            }
            chunk = &chunk[n..];
            at += n as u64;
        }
    }
    ensure!(at == total, "downloaded {at} of {total} bytes");
    Ok(())
}

fn mb_per_sec(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / secs / 1e6
}

pub async fn run(base: &str, label: &str, pid: u32, opts: Options) -> anyhow::Result<()> {
    let total = ciphertext_size(opts.size).context("size")?;
    let mut builder = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .timeout(Duration::from_secs(1800));
    if opts.http1 {
        builder = builder.http1_only();
    }
    let c = builder.build()?;
    let me = crate::user(&c, base, "att").await?;
    let block = block();
    // Warm up (TLS session, first allocations) with a small round trip, then take the baseline.
    let id = upload(&c, base, &me.token, &block, 1 << 20, 0).await?;
    download(&c, base, &me.token, &id, &block, 1 << 20).await?;
    c.delete(format!("{base}/api/attachments/{id}"))
        .bearer_auth(&me.token)
        .send()
        .await?
        .error_for_status()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (baseline, _) = memory_kib(pid)?;
    for round in 1..=opts.rounds {
        let (up_before, _) = memory_kib(pid)?;
        let hwm = reset_peak(pid);
        let sampler = Sampler::start(pid);
        let (started, cpu) = (Instant::now(), Cpu::now(pid)?);
        let id = upload(&c, base, &me.token, &block, total, opts.piece).await?;
        let (up_secs, up_cpu) = (started.elapsed().as_secs_f64(), cpu.since(pid)?);
        let up_peak = sampler.finish(pid, hwm).await?;

        let (down_before, _) = memory_kib(pid)?;
        let hwm = reset_peak(pid);
        let sampler = Sampler::start(pid);
        let (started, cpu) = (Instant::now(), Cpu::now(pid)?);
        download(&c, base, &me.token, &id, &block, total).await?;
        let (down_secs, down_cpu) = (started.elapsed().as_secs_f64(), cpu.since(pid)?);
        let down_peak = sampler.finish(pid, hwm).await?;
        c.delete(format!("{base}/api/attachments/{id}"))
            .bearer_auth(&me.token)
            .send()
            .await?
            .error_for_status()?;
        println!(
            "{}",
            json!({
                "scenario": "attachments", "label": label, "round": round,
                "http": if opts.http1 { "1.1" } else { "negotiated" },
                "plaintext_bytes": opts.size, "ciphertext_bytes": total, "piece_bytes": opts.piece,
                "upload_secs": up_secs, "upload_mb_s": mb_per_sec(total, up_secs),
                "download_secs": down_secs, "download_mb_s": mb_per_sec(total, down_secs),
                "rss_baseline_kib": baseline,
                "upload_rss_before_kib": up_before, "upload_rss_peak_kib": up_peak,
                "download_rss_before_kib": down_before, "download_rss_peak_kib": down_peak,
                "peak_growth_kib": up_peak.max(down_peak).saturating_sub(baseline),
                "peak_exact": hwm,
                // CPU seconds used per second of transfer (1.0 = one core busy all along),
                // by the server and by this client (the sampler included).
                "upload_server_cpu": up_cpu.server / up_secs, "upload_client_cpu": up_cpu.client / up_secs,
                "download_server_cpu": down_cpu.server / down_secs, "download_client_cpu": down_cpu.client / down_secs,
            })
        );
    }
    Ok(())
}
