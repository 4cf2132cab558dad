//! Nothing lost, nothing twice, nothing out of order: resume under fire, several instances,
//! and a failing bus.

use std::{collections::HashMap, time::Duration};

use uuid::Uuid;

use crate::{chat::*, helpers::*, sse};

const WAIT: Duration = Duration::from_secs(20);

/// Collected deliveries of one reader: (seq, sender, sent_at order key, message id).
#[derive(Default)]
struct Inbox {
    seqs: Vec<i64>,
    messages: Vec<(Uuid, Uuid)>, // (sender, message_id) in delivery order
}

impl Inbox {
    fn take(&mut self, ev: &sse::SseEvent) {
        let Some(id) = ev.id else { return };
        if self.seqs.last().is_some_and(|last| id <= *last) {
            return; // client-side dedupe by id, as the design allows
        }
        self.seqs.push(id);
        if ev.event == "message" {
            let d = &ev.data;
            self.messages.push((
                d["sender_id"].as_str().unwrap().parse().unwrap(),
                d["message_id"].as_str().unwrap().parse().unwrap(),
            ));
        }
    }

    fn assert_gapless(&self) {
        for (i, seq) in self.seqs.iter().enumerate() {
            assert_eq!(*seq, i as i64 + 1, "sequence numbers must have no gap");
        }
    }
}

/// Five senders, each in a direct conversation with the reader, send `per_sender` messages
/// concurrently; returns each sender's ids in send order.
async fn five_senders(
    app: &TestApp,
    reader: &Session,
    per_sender: usize,
) -> (Vec<tokio::task::JoinHandle<Vec<Uuid>>>, Vec<Uuid>) {
    let mut tasks = Vec::new();
    let mut senders = Vec::new();
    for i in 0..5 {
        let (_u, s) = app.signed_in(&format!("s{i}")).await;
        let cid = id_of(&app.conversation(&s, &[reader.user_id], None).await);
        senders.push(s.user_id);
        let (client, url, token, reader_id) = (
            app.client.clone(),
            app.url(&format!("/api/conversations/{cid}/messages")),
            s.access_token.clone(),
            reader.user_id,
        );
        tasks.push(tokio::spawn(async move {
            let mut sent = Vec::new();
            for _ in 0..per_sender {
                let id = Uuid::new_v4();
                let envelope = fake(cid, id, s.user_id, &[s.user_id, reader_id], 48);
                let res = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"envelope": envelope}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), reqwest::StatusCode::CREATED);
                sent.push(id);
            }
            sent
        }));
    }
    (tasks, senders)
}

fn assert_everything_once_in_order(inbox: &Inbox, sent: &HashMap<Uuid, Vec<Uuid>>) {
    inbox.assert_gapless();
    let total: usize = sent.values().map(Vec::len).sum();
    assert_eq!(inbox.messages.len(), total, "every message exactly once");
    for (sender, ids) in sent {
        let got: Vec<Uuid> = inbox
            .messages
            .iter()
            .filter(|(s, _)| s == sender)
            .map(|(_, m)| *m)
            .collect();
        assert_eq!(&got, ids, "each sender's messages arrive in the order sent");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resume_under_fire_loses_nothing_and_duplicates_nothing() {
    let app = spawn_app_with(|s| s.db_pool_size = 16).await;
    let (_r, reader) = app.signed_in("reader").await;
    let (tasks, senders) = five_senders(&app, &reader, 400).await;

    let mut inbox = Inbox::default();
    let mut last: Option<i64> = None;
    let mut done = false;
    let mut reconnects = 0;
    while !done {
        let mut stream = sse::open(&app.client, &app.address, &reader.access_token, last)
            .await
            .unwrap();
        // Read a random number of events, then drop the connection mid-stream.
        let budget = 50 + rand::random::<usize>() % 300;
        for _ in 0..budget {
            match stream.next(Duration::from_secs(3)).await {
                Some(ev) => inbox.take(&ev),
                None => {
                    done = tasks.iter().all(|t| t.is_finished());
                    break;
                }
            }
        }
        last = inbox.seqs.last().copied();
        stream.close();
        reconnects += 1;
    }
    let mut sent = HashMap::new();
    for (task, sender) in tasks.into_iter().zip(senders) {
        sent.insert(sender, task.await.unwrap());
    }
    // A final resume drains whatever is left.
    let mut stream = sse::open(&app.client, &app.address, &reader.access_token, last)
        .await
        .unwrap();
    while let Some(ev) = stream.next(Duration::from_secs(2)).await {
        inbox.take(&ev);
    }
    assert!(
        reconnects > 3,
        "the reader really dropped its stream ({reconnects} connections)"
    );
    assert_everything_once_in_order(&inbox, &sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stream_on_one_instance_gets_what_is_sent_through_another_and_moves_between_them() {
    let a = spawn_app().await;
    let mut settings_b = a.settings.clone();
    settings_b.instance_id = "test-b".into();
    let b = spawn_on(settings_b).await;
    let (_x, sender) = a.signed_in("sender").await;
    let (_y, reader) = a.signed_in("reader").await;
    let cid = id_of(&a.conversation(&sender, &[reader.user_id], None).await);
    let members = [sender.user_id, reader.user_id];

    let mut on_b = sse::open(&b.client, &b.address, &reader.access_token, None)
        .await
        .unwrap();
    on_b.expect("ready", WAIT).await;
    let first = Uuid::new_v4();
    created(
        a.post_envelope(
            &sender,
            cid,
            &fake(cid, first, sender.user_id, &members, 32),
        )
        .await,
    )
    .await;
    let ev = on_b.expect("message", WAIT).await;
    assert_eq!(ev.data["message_id"], first.to_string());
    // B loaded the message itself (the bus names it, it does not carry it): what crossed is
    // exactly what a replay gives, the reader's own wrapped key included.
    let mut replay = sse::open(&a.client, &a.address, &reader.access_token, None)
        .await
        .unwrap();
    let replayed = replay.expect("message", WAIT).await;
    assert_eq!((replayed.id, &replayed.data), (ev.id, &ev.data));
    assert!(ev.data["wrapped_key"].is_string());
    replay.close();
    let resume_at = on_b.last_id;
    on_b.close();

    // Messages sent while the reader moves from B to A.
    let mut expected = vec![first];
    for _ in 0..5 {
        let id = Uuid::new_v4();
        created(
            b.post_envelope(&sender, cid, &fake(cid, id, sender.user_id, &members, 32))
                .await,
        )
        .await;
        expected.push(id);
    }
    let mut on_a = sse::open(&a.client, &a.address, &reader.access_token, resume_at)
        .await
        .unwrap();
    let mut got = vec![first];
    while got.len() < expected.len() {
        let ev = on_a.expect("message", WAIT).await;
        got.push(ev.data["message_id"].as_str().unwrap().parse().unwrap());
    }
    let live = Uuid::new_v4();
    created(
        b.post_envelope(&sender, cid, &fake(cid, live, sender.user_id, &members, 32))
            .await,
    )
    .await;
    expected.push(live);
    got.push(
        on_a.expect("message", WAIT).await.data["message_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap(),
    );
    assert_eq!(got, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lost_notifications_and_a_killed_listener_lose_nothing() {
    let a = spawn_app().await;
    let mut settings_b = a.settings.clone();
    settings_b.instance_id = format!("test-b-{}", &Uuid::new_v4().simple().to_string()[..8]);
    let b = spawn_on(settings_b.clone()).await;
    let (_r, reader) = a.signed_in("reader").await;
    let mut stream = sse::open(&b.client, &b.address, &reader.access_token, None)
        .await
        .unwrap();
    stream.expect("ready", WAIT).await;

    // A publishes nothing at all: B's streams still get everything (from the log, on the sweep).
    a.state.bus.set_drop_publish(true);
    let (tasks, senders) = five_senders(&a, &reader, 40).await;

    // Midway, B's LISTEN connection is killed.
    let kill = format!(
        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'courier-bus-listen-{}'",
        settings_b.instance_id
    );
    let mut inbox = Inbox::default();
    let mut killed = 0;
    while inbox.messages.len() < 200 {
        let ev = stream.next(WAIT).await.expect("events keep coming");
        inbox.take(&ev);
        if inbox.messages.len() == 60 && killed == 0 {
            killed = a.count(&kill).await;
            a.state.bus.set_drop_publish(false);
        }
    }
    assert_eq!(killed, 1, "the listener connection was found and killed");
    let mut sent = HashMap::new();
    for (task, sender) in tasks.into_iter().zip(senders) {
        sent.insert(sender, task.await.unwrap());
    }
    assert_everything_once_in_order(&inbox, &sent);
}
