//! Attachments through the CLI (`send --file`, `download`, `history`) and through the client
//! library it uses (resumed uploads and downloads), against the real server and its local
//! object store.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
};

use courier::config::AttachmentsUrl;
use courier_client::attachments::{self, Step, Target, Transfer};
use courier_client::{account, messaging, Api, ClientError, Content, Me, Pins, Store, Tls};
use courier_protocol::crypto::{self, Header};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use uuid::Uuid;

use crate::harness::*;
use crate::helpers::*;

/// `n` bytes that do not repeat in any way a bug could hide behind.
fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A fresh empty folder.
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("courier-att-{name}-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// The first bytes of a PNG of `width` × `height` (enough for its size to be read).
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13];
    out.extend_from_slice(b"IHDR");
    out.extend_from_slice(&width.to_be_bytes());
    out.extend_from_slice(&height.to_be_bytes());
    out.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&noise(200, 9));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn files_sent_with_the_cli_arrive_byte_identical_with_their_caption_and_history_lists_them() {
    let app = spawn_app().await;
    let (alice, bob) = (Person::new(&app, "alice"), Person::new(&app, "bob"));
    let (an, bn) = (unique_name("alice"), unique_name("bob"));
    tokio::join!(alice.register(&an), bob.register(&bn));
    let outbox = folder("outbox");
    let (small, big) = (noise(1000, 1), noise(5 * 65_536 + 1234, 2));
    std::fs::write(outbox.join("notes.txt"), &small).unwrap();
    std::fs::write(outbox.join("big.bin"), &big).unwrap();
    let path = |name: &str| outbox.join(name).to_string_lossy().into_owned();

    // Pieces of 64 KiB: the big file goes up in a POST and five PATCHes.
    let sent = alice
        .ok(&[
            "send", &bn, "two files, one caption", "--file", &path("notes.txt"), "--file", &path("big.bin"),
            "--piece-size", "65536",
        ])
        .await;
    let message_id = sent["message_id"].as_str().unwrap().to_owned();
    assert_eq!(sent["attachments"].as_array().unwrap().len(), 2, "{sent}");
    let big_id: Uuid = sent["attachments"][1]["attachment_id"].as_str().unwrap().parse().unwrap();
    let parts = app.count(&format!("SELECT count(*) AS n FROM attachment_parts WHERE attachment_id = '{big_id}'")).await;
    assert_eq!(parts, 6, "the big file went up in 64 KiB pieces");

    let history = bob.history(&an).await;
    assert_eq!(history.len(), 1);
    let m = &history[0];
    assert_eq!(m["status"], "verified", "{m}");
    assert_eq!(m["content_type"], "application/vnd.courier.attachment+json");
    assert_eq!(m["text"], "two files, one caption");
    let listed: Vec<(&str, u64, &str, u64)> = m["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (a["name"].as_str().unwrap(), a["size"].as_u64().unwrap(), a["media_type"].as_str().unwrap(), a["index"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        listed,
        [("notes.txt", 1000, "text/plain", 1), ("big.bin", big.len() as u64, "application/octet-stream", 2)]
    );
    assert!(m["attachments"][0].get("key").is_none() && m["attachments"][0].get("sha256").is_none(), "no key in output: {m}");

    let text = bob.run(&["history", &an]).await;
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert!(text.stdout.contains("two files, one caption"), "{}", text.stdout);
    assert!(text.stdout.contains("[1] notes.txt (1000 B, text/plain)"), "{}", text.stdout);
    assert!(text.stdout.contains("[2] big.bin (321.2 KiB, application/octet-stream)"), "{}", text.stdout);
    assert!(text.stdout.contains(&format!("courier-cli download {message_id} --index 2")), "{}", text.stdout);

    // Everything into a folder, twice: the second time under new names, nothing replaced.
    let inbox = folder("inbox");
    let inbox_s = inbox.to_string_lossy().into_owned();
    for round in 0..2 {
        let run = bob.run(&["--json", "download", &message_id, "--out", &inbox_s]).await;
        assert_eq!(run.code, 0, "round {round}: {}", run.stderr);
        let saved = run.json();
        assert_eq!(saved.len(), 2);
        assert!(saved.iter().all(|s| s["verified"] == true));
    }
    assert_eq!(entries(&inbox), ["big (1).bin", "big.bin", "notes (1).txt", "notes.txt"]);
    for name in ["notes.txt", "notes (1).txt"] {
        assert_eq!(std::fs::read(inbox.join(name)).unwrap(), small, "{name}");
    }
    for name in ["big.bin", "big (1).bin"] {
        assert_eq!(std::fs::read(inbox.join(name)).unwrap(), big, "{name}");
    }

    // One of them to a file name of our choosing; that name is not replaced either.
    let chosen = inbox.join("chosen.bin").to_string_lossy().into_owned();
    bob.ok(&["download", &message_id, "--index", "2", "--out", &chosen]).await;
    assert_eq!(std::fs::read(&chosen).unwrap(), big);
    let again = bob.run(&["download", &message_id, "--index", "1", "--out", &chosen]).await;
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("not replaced"), "{}", again.stderr);
    assert_eq!(std::fs::read(&chosen).unwrap(), big);
    let several = bob.run(&["download", &message_id, "--out", &inbox.join("x.bin").to_string_lossy()]).await;
    assert_eq!(several.code, 2, "two attachments cannot go to one file: {}", several.stderr);

    // An image without a caption: its size is in the descriptor; `listen` shows it too.
    std::fs::write(outbox.join("pic.png"), png_header(640, 480)).unwrap();
    let pic = alice.ok(&["send", &bn, "--file", &path("pic.png")]).await;
    let live = bob.listen(&["--from", "0", "--count", "2"]).rest().await;
    assert_eq!(live.len(), 2);
    let shown = &live[1];
    assert_eq!(shown["message_id"], pic["message_id"]);
    assert_eq!(shown["text"], "");
    let a = &shown["attachments"][0];
    assert_eq!((a["media_type"].as_str(), a["width"].as_u64(), a["height"].as_u64()), (Some("image/png"), Some(640), Some(480)));
    let text = bob.run(&["history", &an]).await;
    let pic_id = pic["message_id"].as_str().unwrap();
    assert!(text.stdout.contains("(1 attachment)"), "{}", text.stdout);
    assert!(text.stdout.contains("pic.png (233 B, image/png, 640×480)"), "{}", text.stdout);
    let command = format!("courier-cli download {pic_id}");
    assert!(text.stdout.lines().any(|l| l.ends_with(&command)), "one attachment needs no --index: {}", text.stdout);

    // The text grammar still works beside it.
    alice.ok(&["send", &bn, "plain text still works"]).await;
    assert_eq!(bob.history(&an).await[2]["text"], "plain text still works");
    let _ = std::fs::remove_dir_all(&outbox);
    let _ = std::fs::remove_dir_all(&inbox);
}

/// The message objects of `who`'s `history`, opened with the library (for its descriptors).
async fn descriptors(app: &TestApp, who: &Person, message: Uuid) -> Vec<crypto::attachment::AttachmentDescriptor> {
    let store = Store::locate(Some(who.dir.clone())).unwrap();
    let session = courier_client::Session::resume(Api::new(&app.address, &Tls::Insecure).unwrap(), store.clone()).unwrap();
    let unlocked = account::unlock(&store, who.password.clone()).await.unwrap();
    let me = Me { id: session.user_id, account: unlocked.account };
    let mut pins = Pins::load(&store, session.user_id).unwrap();
    let conversations = session.call(|api, t| async move { api.conversations(&t).await }).await.unwrap();
    for c in conversations {
        let items = session.call(|api, t| async move { api.history(&t, c.id, None, 200).await }).await.unwrap();
        if let Some(item) = items.iter().find(|i| i.message_id == message) {
            return match messaging::open(&session, &mut pins, &me, item).await.content {
                Content::Verified { attachments, .. } => attachments.into_iter().map(|a| a.descriptor).collect(),
                other => panic!("{other:?}"),
            };
        }
    }
    panic!("message {message} not found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_members_can_fetch_and_a_deleted_attachment_is_unavailable() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (Person::new(&app, "alice"), Person::new(&app, "bob"), Person::new(&app, "carol"));
    let (an, bn, cn) = (unique_name("alice"), unique_name("bob"), unique_name("carol"));
    tokio::join!(alice.register(&an), bob.register(&bn), carol.register(&cn));
    let outbox = folder("outbox");
    std::fs::write(outbox.join("secret.txt"), b"for bob only").unwrap();
    let sent = alice.ok(&["send", &bn, "--file", &outbox.join("secret.txt").to_string_lossy()]).await;
    let message_id = sent["message_id"].as_str().unwrap().to_owned();
    let inbox = folder("inbox");
    let inbox_s = inbox.to_string_lossy().into_owned();

    // Carol does not even see the message.
    let run = carol.run(&["download", &message_id, "--out", &inbox_s]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("not found"), "{}", run.stderr);
    // Given its descriptor (key and all), she still gets only the server's 404.
    let descriptor = descriptors(&app, &bob, message_id.parse().unwrap()).await.remove(0);
    let store = Store::locate(Some(carol.dir.clone())).unwrap();
    let carols = courier_client::Session::resume(Api::new(&app.address, &Tls::Insecure).unwrap(), store).unwrap();
    let refused = attachments::download(&carols, &descriptor, &Target::Directory(inbox.clone()), &Transfer::default(), None)
        .await
        .unwrap_err();
    assert!(matches!(refused, ClientError::AttachmentUnavailable), "{refused:?}");
    assert_eq!(refused.to_string(), "attachment unavailable (deleted, expired or not shared with you)");
    assert!(entries(&inbox).is_empty(), "nothing left behind: {:?}", entries(&inbox));

    // Bob can, until the attachment is gone (deleted, or expired: the same 404).
    bob.ok(&["download", &message_id, "--out", &inbox_s]).await;
    assert_eq!(std::fs::read(inbox.join("secret.txt")).unwrap(), b"for bob only");
    sql(&app, format!("DELETE FROM attachments WHERE id = '{}'", descriptor.attachment_id)).await;
    let gone = bob.run(&["download", &message_id, "--out", &inbox_s]).await;
    assert_eq!(gone.code, 1, "{}", gone.stderr);
    assert!(gone.stderr.contains("attachment unavailable (deleted, expired or not shared with you)"), "{}", gone.stderr);
    assert_eq!(entries(&inbox), ["secret.txt"]);
    let _ = std::fs::remove_dir_all(&outbox);
    let _ = std::fs::remove_dir_all(&inbox);
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tampered_ciphertext_is_refused_and_nothing_is_saved() {
    let app = spawn_app().await;
    let (alice, bob) = (Person::new(&app, "alice"), Person::new(&app, "bob"));
    let (an, bn) = (unique_name("alice"), unique_name("bob"));
    tokio::join!(alice.register(&an), bob.register(&bn));
    let outbox = folder("outbox");
    std::fs::write(outbox.join("contract.pdf"), noise(200_000, 3)).unwrap();
    let sent = alice.ok(&["send", &bn, "sign here", "--file", &outbox.join("contract.pdf").to_string_lossy()]).await;
    let message_id = sent["message_id"].as_str().unwrap().to_owned();
    let id = sent["attachments"][0]["attachment_id"].as_str().unwrap().to_owned();

    // Whoever holds the object store flips one bit in the middle of the stored ciphertext.
    let AttachmentsUrl::Local(store) = &app.settings.attachments_url else { panic!("the tests use a local store") };
    let object = files_under(store)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(&id))
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("the attachment's bytes are in the store");
    let mut bytes = std::fs::read(&object).unwrap();
    assert!(bytes.len() > 100_000, "{} bytes", bytes.len());
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&object, &bytes).unwrap();

    let inbox = folder("inbox");
    let out = inbox.join("contract.pdf");
    let run = bob.run(&["download", &message_id, "--out", &out.to_string_lossy()]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("could not be verified"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was saved"), "{}", run.stderr);
    assert!(!out.exists(), "no file at --out");
    assert!(entries(&inbox).is_empty(), "no temporary file left either: {:?}", entries(&inbox));
    let json = bob.run(&["--json", "download", &message_id, "--out", &inbox.to_string_lossy()]).await;
    assert_eq!(json.json().pop().unwrap()["error"], "attachment_unverified", "{}", json.stdout);
    assert!(entries(&inbox).is_empty());
    let _ = std::fs::remove_dir_all(&outbox);
    let _ = std::fs::remove_dir_all(&inbox);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_attachment_message_that_breaks_the_content_rules_is_flagged_never_shown_in_part() {
    let app = spawn_app().await;
    let bob = Person::new(&app, "bob");
    let bn = unique_name("bob");
    let (bob_id, _) = bob.register(&bn).await;
    // Mallory: a member who talks to bob through the API directly.
    let Mallory { user: mallory, id: mallory_id, session: ms, conversation: conv, bob_enc } = Mallory::with(&app, bob_id).await;
    let members = [(mallory_id, mallory.material.account.enc_public_spki().to_vec()), (bob_id, bob_enc)];
    // A real descriptor's worth of content, but with whitespace: not canonical JSON (§11.4).
    let content = format!(
        "{{\"attachments\": [{{\"attachment_id\":\"{}\",\"ciphertext_size\":54,\"key\":\"{}\",\"media_type\":\"text/plain\",\"name\":\"a.txt\",\"sha256\":\"{}\",\"size\":0}}],\"text\":\"pay mallory\"}}",
        Uuid::new_v4(),
        crypto::b64::encode([1u8; 32]),
        crypto::b64::encode([2u8; 32])
    );
    let header = Header::new(conv, Uuid::new_v4(), mallory_id, [bob_id], "application/vnd.courier.attachment+json", 1).unwrap();
    let envelope = crypto::seal(&header, content.as_bytes(), &mallory.material.account, &members).unwrap();
    let res = app.post_auth(&format!("/api/conversations/{conv}/messages"), &ms.access_token, &json!({"envelope": envelope})).await;
    assert_eq!(res.status(), 201);

    let seen = bob.history(&mallory.username).await;
    assert_eq!(seen[0]["status"], "unreadable", "{}", seen[0]);
    assert!(seen[0].get("text").is_none() && seen[0].get("attachments").is_none(), "{}", seen[0]);
    let text = bob.run(&["history", &mallory.username]).await;
    assert!(text.stdout.contains("!! attachment message could not be read"), "{}", text.stdout);
    assert!(!text.stdout.contains("pay mallory") && !text.stdout.contains("a.txt"), "{}", text.stdout);
    let run = bob.run(&["download", &header.message_id().to_string()]).await;
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("attachment message could not be read"), "{}", run.stderr);
}

/// A TCP relay in front of the server that cuts the connection once, after `limit` bytes have
/// passed in one direction (TLS goes through untouched: it sees only bytes), and counts bytes.
struct Relay {
    address: String,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
}

#[derive(Clone, Copy)]
enum Cut {
    /// After this many bytes from client to server.
    Upstream(u64),
    /// After this many bytes from server to client.
    Downstream(u64),
}

async fn relay(server: &str, cut: Cut) -> Relay {
    let target: SocketAddr = server.trim_start_matches("https://").parse().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("https://{}", listener.local_addr().unwrap());
    let (up, down) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let done = Arc::new(AtomicBool::new(false));
    let (u, d) = (up.clone(), down.clone());
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(target).await.unwrap();
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            let (limit_up, limit_down) = match cut {
                Cut::Upstream(n) => (Some(n), None),
                Cut::Downstream(n) => (None, Some(n)),
            };
            let one = pump(cr, sw, u.clone(), limit_up, done.clone());
            let other = pump(sr, cw, d.clone(), limit_down, done.clone());
            // Either direction ending (or cutting) drops both: the connection is gone.
            tokio::spawn(async move {
                tokio::select! { _ = one => {}, _ = other => {} }
            });
        }
    });
    Relay { address, up, down }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    count: Arc<AtomicU64>,
    limit: Option<u64>,
    done: Arc<AtomicBool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let total = count.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
        if limit.is_some_and(|l| total > l) && !done.swap(true, Ordering::SeqCst) {
            return; // the cut: this connection ends here, mid-body
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// A fresh user made through the API (cheap keys: these tests are about transfers).
async fn api_user(app: &TestApp) -> TestUser {
    let mut user = TestUser::cheap("resume");
    app.register(&mut user).await;
    user
}

/// A library session of `user` whose requests go to `server` (the relay, or the server).
async fn session_for(app: &TestApp, user: &TestUser, server: &str) -> courier_client::Session {
    let login = app.login(user).await.login;
    let answer: courier_protocol::wire::LoginAnswer = serde_json::from_value(login).unwrap();
    courier_client::Session::from_login(Api::new(server, &Tls::Insecure).unwrap(), &answer, None).unwrap()
}

const PIECE: usize = 256 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_interrupted_upload_goes_on_from_the_servers_offset_instead_of_starting_over() {
    let app = spawn_app().await;
    // The connection is cut half-way through the second piece (the first went with the POST).
    let relay = relay(&app.address, Cut::Upstream(PIECE as u64 * 3 / 2)).await;
    let session = session_for(&app, &api_user(&app).await, &relay.address).await;
    let dir = folder("upload");
    let plain = noise(4 * PIECE + 777, 4);
    std::fs::write(dir.join("video.mp4"), &plain).unwrap();
    let transfer = Transfer::default().with_piece_size(PIECE).with_backoff(std::time::Duration::from_millis(10));

    let uploaded = attachments::upload_file(&session, &dir.join("video.mp4"), &transfer, None).await.unwrap();
    let total = uploaded.descriptor.ciphertext_size;
    let p = PIECE as u64;
    let steps: Vec<&Step> = uploaded.steps.iter().filter(|s| !matches!(s, Step::Retry { .. })).collect();
    assert_eq!(
        steps,
        [
            &Step::Post { length: p },
            &Step::Patch { offset: p, length: p },
            &Step::Head { offset: p },
            &Step::Patch { offset: p, length: p },
            &Step::Patch { offset: 2 * p, length: p },
            &Step::Patch { offset: 3 * p, length: p },
            &Step::Patch { offset: 4 * p, length: total - 4 * p },
        ],
        "one POST, and after the drop the rest from the offset HEAD gave: {:?}",
        uploaded.steps
    );
    assert_eq!(uploaded.steps.iter().filter(|s| matches!(s, Step::Retry { .. })).count(), 1);
    // On the wire: the file once, plus the half piece the cut lost (and TLS), not twice.
    let sent = relay.up.load(Ordering::SeqCst);
    assert!(sent < total + p, "{sent} bytes went up for {total}");
    assert_eq!(
        app.count(&format!("SELECT count(*) AS n FROM attachments WHERE id = '{}' AND completed_at IS NOT NULL", uploaded.descriptor.attachment_id)).await,
        1
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM attachments").await, 1, "no second upload was started");

    // And what the server holds is exactly what the descriptor names.
    let out = dir.join("back");
    let got = attachments::download(&session, &uploaded.descriptor, &Target::File(out.clone()), &transfer, None).await.unwrap();
    assert_eq!(got.steps, [Step::Get { from: 0 }]);
    assert_eq!(std::fs::read(&out).unwrap(), plain);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_interrupted_download_goes_on_with_a_range_and_still_verifies_every_byte() {
    let app = spawn_app().await;
    let user = api_user(&app).await;
    let direct = session_for(&app, &user, &app.address).await;
    let dir = folder("download");
    let plain = noise(16 * 65_536 + 99, 5);
    std::fs::write(dir.join("photo.jpg"), &plain).unwrap();
    let transfer = Transfer::default().with_backoff(std::time::Duration::from_millis(10));
    let uploaded = attachments::upload_file(&direct, &dir.join("photo.jpg"), &transfer, None).await.unwrap();
    let total = uploaded.descriptor.ciphertext_size;

    // The uploader downloads it through a relay that drops the connection after 400 KB.
    let relay = relay(&app.address, Cut::Downstream(400_000)).await;
    let owner = session_for(&app, &user, &relay.address).await;
    let target = Target::File(dir.join("photo (copy).jpg"));
    let got = attachments::download(&owner, &uploaded.descriptor, &target, &transfer, None).await.unwrap();
    let resumed_from = match got.steps.as_slice() {
        [Step::Get { from: 0 }, Step::Retry { .. }, Step::Get { from }] => *from,
        other => panic!("expected one resumed GET: {other:?}"),
    };
    assert!(resumed_from > 300_000 && resumed_from < 400_000, "resumed from {resumed_from}");
    assert_eq!(std::fs::read(&got.path).unwrap(), plain);
    let fetched = relay.down.load(Ordering::SeqCst);
    assert!(fetched < total + resumed_from / 2, "{fetched} bytes came down for {total}: not fetched twice");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_file_over_the_servers_limit_is_refused_by_name_and_nothing_is_sent() {
    let app = spawn_app_with(|s| s.attachment_max_bytes = 10_000).await;
    let (alice, bob) = (Person::new(&app, "alice"), Person::new(&app, "bob"));
    let (an, bn) = (unique_name("alice"), unique_name("bob"));
    tokio::join!(alice.register(&an), bob.register(&bn));
    let outbox = folder("outbox");
    std::fs::write(outbox.join("fits.txt"), noise(5_000, 6)).unwrap();
    std::fs::write(outbox.join("huge.iso"), noise(20_000, 7)).unwrap();
    let (fits, huge) = (outbox.join("fits.txt"), outbox.join("huge.iso"));
    let run = alice.run(&["send", &bn, "--file", &fits.to_string_lossy(), "--file", &huge.to_string_lossy()]).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("huge.iso: too large for this server"), "{}", run.stderr);
    assert_eq!(app.count("SELECT count(*) AS n FROM messages").await, 0, "no message");
    assert_eq!(app.count("SELECT count(*) AS n FROM attachments").await, 0, "the file that went up first was deleted again");
    let eleven: Vec<String> = (0..11).flat_map(|_| ["--file".to_owned(), fits.to_string_lossy().into_owned()]).collect();
    let mut args = vec!["send".to_owned(), bn.clone()];
    args.extend(eleven);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = alice.run(&args).await;
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("at most 10 files"), "{}", run.stderr);
    let _ = std::fs::remove_dir_all(&outbox);
}
