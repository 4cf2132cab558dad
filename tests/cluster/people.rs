//! The people of a cluster test: five senders and some readers in one group. Readers hold
//! streams through nginx and resume from their last id whenever a stream ends, as a client
//! does; senders retry a failed send with the same message id (sends are idempotent).

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, OnceLock,
    },
    time::Duration,
};

use base64::{engine::general_purpose::STANDARD, Engine};
use courier_protocol::crypto::{AccountKeys, PasswordKeys, RegistrationMaterial};
use courier_protocol::limits::{MIN_ITERATIONS};
use serde_json::{json, Value};
use uuid::Uuid;

use crate::harness::{eventually, Cluster, Postgres, Redis};
use crate::sse;

const SENDERS: usize = 5;

pub enum Disruption<'a> {
    None,
    /// `kill -9` of this instance.
    Kill(usize),
    /// SIGTERM (graceful drain) of this instance.
    Drain(usize),
    /// Redis stopped, then started again once every instance noticed.
    Redis(&'a mut Redis),
    /// PostgreSQL stopped, then started again once a sender was answered 503.
    Postgres(&'a Postgres),
}

pub struct Person {
    pub id: Uuid,
    pub token: String,
}

/// What one reader got, deduplicated by event id as a client does.
#[derive(Default)]
struct Inbox {
    last: i64,
    gaps: Vec<(i64, i64)>,
    messages: HashSet<Uuid>,
    duplicates: Vec<Uuid>,
    ready: bool,
}

pub struct Crowd {
    senders: Vec<Person>,
    readers: Vec<(Person, Arc<Mutex<Inbox>>, tokio::task::JoinHandle<()>)>,
    conversation: Uuid,
    members: Vec<Uuid>,
}

fn shared() -> &'static (PasswordKeys, AccountKeys) {
    static SHARED: OnceLock<(PasswordKeys, AccountKeys)> = OnceLock::new();
    SHARED.get_or_init(|| {
        (PasswordKeys::derive("correct horse battery staple", &[7u8; 16], MIN_ITERATIONS).unwrap(), AccountKeys::generate().unwrap())
    })
}

pub async fn person(base: &str, prefix: &str) -> Person {
    let (password, keys) = shared();
    let username = format!("{prefix}_{}", &Uuid::new_v4().simple().to_string()[..12]);
    let material =
        RegistrationMaterial::from_parts(&username, &[7u8; 16], MIN_ITERATIONS, password.clone(), keys.clone(), None).unwrap();
    let c = crate::client();
    let res = c.post(format!("{base}/api/auth/register")).json(&material.request).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 201, "register: {}", res.text().await.unwrap());
    let login: Value = c
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": username, "auth_key": material.password_keys.auth_key_b64()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Person { id: login["user"]["id"].as_str().unwrap().parse().unwrap(), token: login["access_token"].as_str().unwrap().into() }
}

/// Keeps one stream of `token` open through nginx for ever, resuming after its last id.
async fn read_forever(base: String, token: String, inbox: Arc<Mutex<Inbox>>) {
    let client = crate::client();
    loop {
        let last = inbox.lock().unwrap().last;
        let Ok(mut stream) = sse::open(&client, &base, &token, Some(last)).await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        while let Some(ev) = stream.next(Duration::from_secs(3600)).await {
            let mut inbox = inbox.lock().unwrap();
            if ev.event == "ready" {
                inbox.ready = true;
            }
            let Some(id) = ev.id else { continue };
            if id <= inbox.last {
                continue; // the client-side dedupe by id the design allows
            }
            if id != inbox.last + 1 {
                let last = inbox.last;
                inbox.gaps.push((last, id));
            }
            inbox.last = id;
            if ev.event == "message" {
                let mid: Uuid = ev.data["message_id"].as_str().unwrap().parse().unwrap();
                if !inbox.messages.insert(mid) {
                    inbox.duplicates.push(mid);
                }
            }
        }
        stream.close();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A well-formed envelope of random bytes: the server cannot tell.
pub fn fake(conversation: Uuid, message_id: Uuid, sender: Uuid, members: &[Uuid]) -> Value {
    let header = json!({
        "content_type": "text/plain", "conversation_id": conversation, "message_id": message_id,
        "recipients": members, "sender_id": sender, "sent_at": chrono::Utc::now().timestamp_millis(), "v": 2,
    });
    let random = |n: usize| STANDARD.encode((0..n).map(|_| rand::random::<u8>()).collect::<Vec<_>>());
    json!({"envelope": {
        "header": serde_json::to_string(&header).unwrap(), "commitment": random(32), "iv": random(12), "ciphertext": random(64), "signature": random(64),
        "keys": members.iter().map(|u| json!({"user_id": u, "wrapped_key": random(384)})).collect::<Vec<_>>(),
    }})
}

impl Crowd {
    /// Five senders and `readers` readers in one group; every reader's stream is open.
    pub async fn gather(cluster: &Cluster, readers: usize) -> Crowd {
        let mut senders = Vec::new();
        for i in 0..SENDERS {
            senders.push(person(&cluster.url, &format!("s{i}")).await);
        }
        let mut people = Vec::new();
        for i in 0..readers {
            people.push(person(&cluster.url, &format!("r{i}")).await);
        }
        let mut members: Vec<Uuid> = senders.iter().chain(&people).map(|p| p.id).collect();
        members.sort();
        let others: Vec<Uuid> = members.iter().copied().filter(|m| *m != senders[0].id).collect();
        let res = crate::client()
            .post(format!("{}/api/conversations", cluster.url))
            .bearer_auth(&senders[0].token)
            .json(&json!({"member_ids": others, "title": "cluster", "kind": "group"}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "create group: {}", res.status());
        let conversation = res.json::<Value>().await.unwrap()["id"].as_str().unwrap().parse().unwrap();
        let readers = people
            .into_iter()
            .map(|p| {
                let inbox = Arc::new(Mutex::new(Inbox::default()));
                let task = tokio::spawn(read_forever(cluster.url.clone(), p.token.clone(), inbox.clone()));
                (p, inbox, task)
            })
            .collect();
        let crowd = Crowd { senders, readers, conversation, members };
        eventually("every reader's stream is open", Duration::from_secs(30), || {
            let ready = crowd.readers.iter().all(|(_, inbox, _)| inbox.lock().unwrap().ready);
            async move { ready }
        })
        .await;
        crowd
    }

    /// Waits (briefly) until every instance holds a stream; returns the streams per instance.
    pub async fn wait_spread(&self, cluster: &Cluster) -> Vec<i64> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let spread = cluster.streams_per_instance().await;
            if spread.iter().all(|n| *n > 0) || tokio::time::Instant::now() > deadline {
                return spread;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Each sender sends `per_sender` messages while `disruption` happens a third of the way
    /// in; then every reader must have every message once, with gapless ids. Returns how many
    /// sends were answered 503 (and retried).
    pub async fn send_and_check(&self, cluster: &Cluster, per_sender: usize, disruption: Disruption<'_>) -> usize {
        let sent = Arc::new(AtomicUsize::new(0));
        let unavailable = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for s in &self.senders {
            let (base, token, me, cid, members) = (cluster.url.clone(), s.token.clone(), s.id, self.conversation, self.members.clone());
            let (sent, unavailable) = (sent.clone(), unavailable.clone());
            tasks.push(tokio::spawn(async move {
                let client = crate::client();
                let url = format!("{base}/api/conversations/{cid}/messages");
                let mut ids = Vec::new();
                for _ in 0..per_sender {
                    let id = Uuid::new_v4();
                    let body = fake(cid, id, me, &members);
                    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
                    loop {
                        match client.post(&url).bearer_auth(&token).json(&body).send().await {
                            Ok(r) if r.status().is_success() => break,
                            Ok(r) if r.status().as_u16() == 503 => {
                                unavailable.fetch_add(1, Ordering::Relaxed);
                            }
                            _ => {}
                        }
                        assert!(tokio::time::Instant::now() < deadline, "a send never succeeded");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    ids.push(id);
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                ids
            }));
        }
        let third = SENDERS * per_sender / 3;
        eventually("a third of the messages sent", Duration::from_secs(60), || {
            let n = sent.load(Ordering::Relaxed);
            async move { n >= third }
        })
        .await;
        self.disrupt(cluster, disruption, &unavailable).await;

        let mut all = HashSet::new();
        for t in tasks {
            all.extend(t.await.expect("a sender failed"));
        }
        let expected = all.len();
        eventually("every reader has every message", Duration::from_secs(60), || {
            let done = self.readers.iter().all(|(_, inbox, _)| inbox.lock().unwrap().messages.len() >= expected);
            async move { done }
        })
        .await;
        for (p, inbox, task) in &self.readers {
            task.abort();
            let inbox = inbox.lock().unwrap();
            assert!(inbox.gaps.is_empty(), "reader {} saw id gaps {:?}", p.id, inbox.gaps);
            assert!(inbox.duplicates.is_empty(), "reader {} got messages twice: {:?}", p.id, inbox.duplicates);
            assert_eq!(inbox.messages, all, "reader {} got exactly the messages sent", p.id);
        }
        unavailable.load(Ordering::Relaxed)
    }

    async fn disrupt(&self, cluster: &Cluster, disruption: Disruption<'_>, unavailable: &AtomicUsize) {
        match disruption {
            Disruption::None => {}
            Disruption::Kill(i) => cluster.instances[i].proc.signal("KILL"),
            Disruption::Drain(i) => cluster.instances[i].proc.signal("TERM"),
            Disruption::Redis(redis) => {
                redis.stop();
                let client = reqwest::Client::new();
                eventually("every instance sees the bus down", Duration::from_secs(20), || {
                    let (client, urls) = (client.clone(), cluster.instances.iter().map(|i| i.url()).collect::<Vec<_>>());
                    async move {
                        for url in urls {
                            if client.get(format!("{url}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                                return false;
                            }
                        }
                        true
                    }
                })
                .await;
                redis.restart();
            }
            Disruption::Postgres(pg) => {
                pg.down();
                eventually("a send answered 503 while PostgreSQL is down", Duration::from_secs(30), || {
                    let n = unavailable.load(Ordering::Relaxed);
                    async move { n > 0 }
                })
                .await;
                pg.up();
            }
        }
    }
}

/// One bigint from the database.
pub async fn count(url: &str, sql: &str) -> i64 {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    tokio::task::spawn_blocking(move || {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&url).unwrap();
        diesel::RunQueryDsl::get_result::<N>(diesel::sql_query(sql), &mut conn).unwrap().n
    })
    .await
    .unwrap()
}
