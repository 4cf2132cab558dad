//! Telemetry (docs/protocol.md §12) through the real binaries: `courier-cli emit` into a
//! conversation, `courier-cli series` out of it, with the server restarted and the emitter
//! killed in between, and with batches the server (or a member) forged or altered.

use std::{process::Stdio, time::Duration};

use courier_protocol::crypto::{self, Header};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

use crate::harness::*;
use crate::helpers::*;

/// Points `first..first+n` of a known signal: `[t_ms, i, i / 4]`, 1 ms apart.
fn points(first: u64, n: u64) -> Vec<[f64; 3]> {
    (first..first + n).map(|i| [1_700_000_000_000.0 + i as f64, i as f64, i as f64 / 4.0]).collect()
}

fn jsonl(points: &[[f64; 3]]) -> String {
    points.iter().map(|p| format!("[{},{},{}]\n", p[0] as u64, p[1], p[2])).collect()
}

/// `series --json` as (t_ms, a, b) triples, plus the report lines.
async fn read_series(person: &Person, conversation: &str) -> (Vec<[f64; 3]>, Vec<Value>) {
    let run = person.run(&["--json", "series", conversation]).await;
    assert_eq!(run.code, 0, "series failed: {}", run.stderr);
    let (mut got, mut reports) = (Vec::new(), Vec::new());
    for v in run.json() {
        if v.get("report").is_some() {
            reports.push(v);
        } else {
            got.push([v["t_ms"].as_f64().unwrap(), v["values"]["a"].as_f64().unwrap(), v["values"]["b"].as_f64().unwrap()]);
        }
    }
    (got, reports)
}

/// A running `emit --stdin jsonl --json`: its stdin to feed and its status lines to watch.
struct Emitting {
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl Emitting {
    fn start(person: &Person, to: &str) -> Self {
        let mut child = person
            .command(
                &["--json", "emit", "--to", to, "--series", "a", "--series", "b:%", "--stdin", "jsonl", "--flush-ms", "50", "--max-points", "300", "--drain", "20s"],
                &[],
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Emitting { child, stdin, lines }
    }

    async fn feed(&mut self, text: &str) {
        self.stdin.as_mut().unwrap().write_all(text.as_bytes()).await.unwrap();
        self.stdin.as_mut().unwrap().flush().await.unwrap();
    }

    /// Reads status lines until `done(line)`; the line that satisfied it.
    async fn until(&mut self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let line = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("emit: {what} within 60 s"))
                .unwrap()
                .unwrap_or_else(|| panic!("emit ended before {what}"));
            let v: Value = serde_json::from_str(&line).unwrap();
            if done(&v) {
                return v;
            }
        }
    }

    /// Closes stdin and returns the final `done` line.
    async fn finish(mut self) -> Value {
        drop(self.stdin.take());
        let done = self.until("the done line", |v| v["event"] == "done").await;
        assert!(self.child.wait().await.unwrap().success());
        done
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_emitters_points_reach_a_reader_once_each_in_time_order() {
    let app = spawn_app().await;
    let (alice, bob) = (Person::new(&app, "alice"), Person::new(&app, "bob"));
    let (an, bn) = (unique_name("alice"), unique_name("bob"));
    tokio::join!(alice.register(&an), bob.register(&bn));

    let sent = points(0, 2_000);
    let mut emit = Emitting::start(&alice, &bn);
    // Out of order on the wire into one batch would be refused by readers: the emitter must
    // keep time order, so the file is sent as is (ascending) and read back the same.
    emit.feed(&jsonl(&sent)).await;
    emit.feed("not json\n[1]\n").await;
    let done = emit.finish().await;
    assert_eq!(done["points"], 2_000);
    assert_eq!(done["skipped"], 2, "bad lines are reported and skipped: {done}");
    assert_eq!(done["unacknowledged"], 0);
    assert!(done["batches"].as_u64().unwrap() >= 7, "at most 300 points a batch: {done}");
    assert_eq!(done["acknowledged"], done["batches"]);

    let (got, reports) = read_series(&bob, &an).await;
    assert_eq!(reports, Vec::<Value>::new());
    assert_eq!(got, sent);
    // The sender reads its own stream too.
    assert_eq!(read_series(&alice, &bn).await.0.len(), 2_000);

    let csv = bob.run(&["series", &an, "--csv", "--since", "1700000001990"]).await;
    let rows: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(rows[0], "t_ms,time,sender,stream,series,unit,value");
    assert_eq!(rows.len(), 1 + 10 * 2, "ten points of two series from --since: {}", csv.stdout);
    assert!(rows[1].starts_with("1700000001990,2023-11-14T22:13:21.990Z,"), "{}", rows[1]);
    assert!(rows[2].ends_with(",b,%,497.5"), "{}", rows[2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_restart_a_killed_emitter_and_a_lost_answer_lose_and_duplicate_nothing() {
    let mut server = Restartable::start().await;
    let (alice, bob) = (Person::new(&server.app, "alice"), Person::new(&server.app, "bob"));
    let (an, bn) = (unique_name("alice"), unique_name("bob"));
    tokio::join!(alice.register(&an), bob.register(&bn));

    let mut emit = Emitting::start(&alice, &bn);
    emit.until("started", |v| v["event"] == "started").await;
    emit.feed(&jsonl(&points(0, 600))).await;
    emit.until("600 points acknowledged", |v| v["points"] == 600 && v["unacknowledged"] == 0).await;

    // The server goes away: batches pile up in the outbox and are retried.
    server.stop().await;
    emit.feed(&jsonl(&points(600, 600))).await;
    let waiting = emit
        .until("retries with batches waiting", |v| {
            v["points"] == 1_200 && v["retries"].as_u64() > Some(0) && v["unacknowledged"].as_u64() > Some(0)
        })
        .await;
    // ... and the emitter is killed while they wait.
    emit.child.kill().await.unwrap();
    let outbox = alice.dir.join("outbox");
    assert!(waiting["unacknowledged"].as_u64().unwrap() >= 2, "{waiting}");

    server.start_again().await;
    // A lost answer: one waiting batch reaches the server, but the emitter never hears of it.
    let pending = pending_files(&outbox);
    assert!(!pending.is_empty());
    let first: Value = serde_json::from_slice(&std::fs::read(&pending[0]).unwrap()).unwrap();
    let conversation = first["envelope"]["header"].as_str().unwrap();
    let conversation: Value = serde_json::from_str(conversation).unwrap();
    let token = access_token(&alice);
    let res = server
        .app
        .post_auth(
            &format!("/api/conversations/{}/messages", conversation["conversation_id"].as_str().unwrap()),
            &token,
            &json!({"envelope": first["envelope"]}),
        )
        .await;
    assert_eq!(res.status(), 201);

    // A new run sends the outbox first (including the already stored batch, answered as a
    // repeat), then the new points, numbered after the old ones.
    let mut emit = Emitting::start(&alice, &bn);
    let started = emit.until("started", |v| v["event"] == "started").await;
    assert_eq!(started["unacknowledged"], waiting["unacknowledged"]);
    emit.feed(&jsonl(&points(1_200, 300))).await;
    let done = emit.finish().await;
    assert_eq!(done["unacknowledged"], 0, "{done}");
    assert!(pending_files(&outbox).is_empty());

    let (got, reports) = read_series(&bob, &an).await;
    assert_eq!(reports, Vec::<Value>::new(), "no gap, duplicate or refused batch");
    assert_eq!(got.len(), 1_500);
    assert_eq!(got, points(0, 1_500), "every point once, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_altered_and_malformed_batches_are_reported_and_never_printed() {
    let app = spawn_app().await;
    let bob = Person::new(&app, "bob");
    let bn = unique_name("bob");
    let (bob_id, _) = bob.register(&bn).await;

    // Mallory: a member who talks to bob through the API directly.
    let Mallory { user: mallory, id: mallory_id, session: ms, conversation: conv, bob_enc } = Mallory::with(&app, bob_id).await;
    let members = [(mallory_id, mallory.material.account.enc_public_spki().to_vec()), (bob_id, bob_enc)];
    let batch = |seq: u64, t: u64| {
        format!(r#"{{"points":[[{t},1,2]],"seq":{seq},"series":[{{"name":"a","unit":""}},{{"name":"b","unit":""}}],"stream":"s"}}"#)
    };
    let eve = TestUser::cheap("eve");
    let posts = [
        (batch(0, 1), &mallory.material.account),
        (batch(1, 2), &eve.material.account),                         // forged: someone else's key
        (batch(2, 3), &mallory.material.account),                     // altered below
        (batch(3, 4).replace("[[4,1,2]]", "[[4,1.0,2]]"), &mallory.material.account), // not canonical
        (batch(4, 5), &mallory.material.account),
        (batch(4, 6), &mallory.material.account),                     // seq 4 again
        (batch(6, 7), &mallory.material.account),                     // seq 5 missing
    ];
    let mut ids = Vec::new();
    for (plaintext, signer) in &posts {
        let header = Header::new(conv, Uuid::new_v4(), mallory_id, [bob_id], "application/vnd.courier.series+json", 1).unwrap();
        ids.push(header.message_id());
        let envelope = crypto::seal(&header, plaintext.as_bytes(), signer, &members).unwrap();
        let res = app
            .post_auth(&format!("/api/conversations/{conv}/messages"), &ms.access_token, &json!({"envelope": envelope}))
            .await;
        assert_eq!(res.status(), 201);
    }
    sql(&app, format!("UPDATE messages SET ciphertext = set_byte(ciphertext, 3, get_byte(ciphertext, 3) # 1) WHERE id = '{}'", ids[2])).await;

    let run = bob.run(&["--json", "series", &mallory.username]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines = run.json();
    let times: Vec<u64> = lines.iter().filter_map(|v| v["t_ms"].as_u64()).collect();
    assert_eq!(times, vec![1, 5, 7], "only the genuine, valid, first copies are printed");
    let refused: Vec<&str> =
        lines.iter().filter(|v| v["report"] == "refused").map(|v| v["message_id"].as_str().unwrap()).collect();
    let expected: Vec<String> = [ids[1], ids[2], ids[3]].iter().map(|id| id.to_string()).collect();
    assert_eq!(refused, expected);
    assert!(lines.iter().any(|v| v["report"] == "duplicate" && v["seq"] == 4));
    let gaps: Vec<(u64, u64)> = lines
        .iter()
        .filter(|v| v["report"] == "gap")
        .map(|v| (v["missing_from"].as_u64().unwrap(), v["missing_to"].as_u64().unwrap()))
        .collect();
    // 1, 2 and 3 were refused, so they count as missing too, with 5.
    assert_eq!(gaps, vec![(1, 3), (5, 5)]);
}

fn pending_files(outbox: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![outbox.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                stack.push(path);
            } else if name.len() == 25 && name.ends_with(".json") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The CLI user's current access token, from its saved session (valid for minutes).
fn access_token(person: &Person) -> String {
    let session: Value = serde_json::from_slice(&std::fs::read(person.dir.join("session.json")).unwrap()).unwrap();
    session["access_token"].as_str().unwrap().to_owned()
}
