//! Attachments on a shared S3-compatible store (moto's server, started here) with three
//! instances behind nginx: any instance serves what another stored, a delete through one is a
//! 404 on all, the expiry runs against S3, nothing half-written is left in the bucket, and
//! nginx streams large bodies both ways.

use std::time::Duration;

use bytes::Bytes;
use rand::RngCore;
use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::harness::{eventually, fresh_shared_database, Cluster, S3};
use crate::people::{self, Person};

const MIB: usize = 1 << 20;
/// Where the instances keep attachments in the bucket.
const PREFIX: &str = "courier/attachments";

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Three instances storing attachments in `s3`, unreferenced uploads expiring after a minute
/// (the shortest TTL allowed; the expiry then runs every 10 s).
async fn cluster_on(s3: &S3) -> Cluster {
    let mut settings = s3.settings(PREFIX);
    for (k, v) in [
        ("ATTACHMENT_UNREFERENCED_TTL_SECS", "60"),
        ("ATTACHMENT_MAX_BYTES", &(256 * MIB).to_string()),
        ("ATTACHMENT_QUOTA_BYTES", &(1024 * MIB).to_string()),
    ] {
        settings.push((k.into(), v.into()));
    }
    Cluster::start_with(3, fresh_shared_database(), None, &settings).await
}

fn parts_of(id: &str) -> String {
    format!("{PREFIX}/parts/{id}")
}

/// An upload's state as `HEAD` reports it through `base`: (status, Upload-Offset).
async fn head(base: &str, who: &Person, id: &str) -> (StatusCode, Option<u64>) {
    let res = crate::client().head(format!("{base}/api/attachments/{id}")).bearer_auth(&who.token).send().await.unwrap();
    let offset = res.headers().get("Upload-Offset").map(|v| v.to_str().unwrap().parse().unwrap());
    (res.status(), offset)
}

async fn patch(base: &str, who: &Person, id: &str, offset: usize, body: impl Into<reqwest::Body>) -> reqwest::Response {
    crate::client()
        .patch(format!("{base}/api/attachments/{id}"))
        .bearer_auth(&who.token)
        .header("Upload-Offset", offset.to_string())
        .header(header::CONTENT_TYPE, "application/offset+octet-stream")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// `POST /api/attachments` through `base`, with a first body if given; the answer's JSON.
async fn start(base: &str, who: &Person, length: usize, body: Option<Vec<u8>>) -> Value {
    let mut req = crate::client()
        .post(format!("{base}/api/attachments"))
        .bearer_auth(&who.token)
        .header("Upload-Length", length.to_string());
    if let Some(body) = body {
        req = req.header(header::CONTENT_TYPE, "application/octet-stream").body(body);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED, "start upload");
    res.json().await.unwrap()
}

async fn fetch(base: &str, who: &Person, id: &str, range: Option<&str>) -> reqwest::Response {
    let mut req = crate::client().get(format!("{base}/api/attachments/{id}")).bearer_auth(&who.token);
    if let Some(range) = range {
        req = req.header(header::RANGE, range);
    }
    req.send().await.unwrap()
}

async fn json_of(res: reqwest::Response, status: StatusCode) -> Value {
    let got = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(got, status, "{text}");
    serde_json::from_str(&text).unwrap()
}

/// Runs `sql` on the cluster's database.
async fn execute(url: &str, sql: &str) {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    tokio::task::spawn_blocking(move || {
        let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&url).unwrap();
        diesel::RunQueryDsl::execute(diesel::sql_query(sql), &mut conn).unwrap();
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_in_pieces_through_one_instance_is_served_and_deleted_by_the_others_on_s3() {
    let Some(s3) = S3::start().await else { return };
    let cluster = cluster_on(&s3).await;
    let [one, two, three] = [0, 1, 2].map(|i| cluster.instances[i].url());
    let alice = people::person(&cluster.url, "alice").await;
    let bob = people::person(&cluster.url, "bob").await;

    // Three pieces, the first over the store's 5 MiB multipart chunk: a part object of two
    // S3 parts, then two of one.
    let data = random_bytes(13 * MIB + 4321);
    let cuts = [0, 6 * MIB + 1, 11 * MIB - 7, data.len()];
    let started = start(&one, &alice, data.len(), None).await;
    assert_eq!(started["offset"], 0);
    let id = started["attachment_id"].as_str().unwrap().to_owned();

    let res = patch(&one, &alice, &id, 0, data[cuts[0]..cuts[1]].to_vec()).await;
    let state = json_of(res, StatusCode::OK).await;
    assert_eq!((state["offset"].as_u64(), state["complete"].as_bool()), (Some(cuts[1] as u64), Some(false)));
    assert_eq!(head(&three, &alice, &id).await, (StatusCode::OK, Some(cuts[1] as u64)), "a third instance sees the offset");
    assert_eq!(fetch(&two, &alice, &id, None).await.status(), StatusCode::NOT_FOUND, "nothing half-written is served");
    let res = patch(&one, &alice, &id, 0, data[cuts[1]..cuts[2]].to_vec()).await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "a stale offset");
    assert_eq!(res.headers()["Upload-Offset"], cuts[1].to_string().as_str());
    for w in [1, 2] {
        let res = patch(&one, &alice, &id, cuts[w], data[cuts[w]..cuts[w + 1]].to_vec()).await;
        let state = json_of(res, StatusCode::OK).await;
        assert_eq!(state["offset"].as_u64(), Some(cuts[w + 1] as u64));
        assert_eq!(state["complete"], w == 2);
    }
    assert_eq!(head(&three, &alice, &id).await, (StatusCode::OK, Some(data.len() as u64)));

    // The bytes are in the bucket (one object per committed body), and no multipart upload
    // is left open.
    assert_eq!(s3.keys(&parts_of(&id)).await.len(), 3, "one object per PATCH");
    assert!(s3.uploads_in_progress().await.is_empty(), "no multipart upload left open");

    // Another instance serves the whole, and ranges across the pieces.
    let res = fetch(&two, &alice, &id, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_LENGTH], data.len().to_string().as_str());
    assert!(res.bytes().await.unwrap() == data, "the bytes as uploaded");
    let (a, b) = (cuts[1] - 100, cuts[2] + 100);
    let res = fetch(&three, &alice, &id, Some(&format!("bytes={a}-{b}"))).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.headers()[header::CONTENT_RANGE], format!("bytes {a}-{b}/{}", data.len()).as_str());
    assert!(res.bytes().await.unwrap() == data[a..=b], "a range spanning three part objects");
    let res = fetch(&two, &alice, &id, Some("bytes=-1000")).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert!(res.bytes().await.unwrap() == data[data.len() - 1000..]);
    let res = fetch(&three, &alice, &id, Some(&format!("bytes={}-", data.len()))).await;
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(res.headers()[header::CONTENT_RANGE], format!("bytes */{}", data.len()).as_str());

    // A message to bob makes it his to fetch, from any instance.
    let res = crate::client()
        .post(format!("{one}/api/conversations"))
        .bearer_auth(&alice.token)
        .json(&json!({"member_ids": [bob.id]}))
        .send()
        .await
        .unwrap();
    let conversation: Uuid = json_of(res, StatusCode::CREATED).await["id"].as_str().unwrap().parse().unwrap();
    let mut members = vec![alice.id, bob.id];
    members.sort();
    let mut post = people::fake(conversation, Uuid::new_v4(), alice.id, &members);
    post["attachment_ids"] = json!([id]);
    let res = crate::client()
        .post(format!("{one}/api/conversations/{conversation}/messages"))
        .bearer_auth(&alice.token)
        .json(&post)
        .send()
        .await
        .unwrap();
    json_of(res, StatusCode::CREATED).await;
    let res = fetch(&three, &bob, &id, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(sha256(&res.bytes().await.unwrap()), sha256(&data), "bob gets the same bytes");

    // Deleted through one instance: gone on the others, for both, and from the bucket.
    let res = crate::client().delete(format!("{one}/api/attachments/{id}")).bearer_auth(&alice.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    for base in [&two, &three] {
        for who in [&alice, &bob] {
            assert_eq!(fetch(base, who, &id, None).await.status(), StatusCode::NOT_FOUND, "deleted, fetched via {base}");
        }
    }
    assert_eq!(head(&three, &alice, &id).await.0, StatusCode::NOT_FOUND);
    assert!(s3.keys(&parts_of(&id)).await.is_empty(), "the delete removed the objects from S3");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unreferenced_uploads_expire_from_s3_and_a_dropped_body_leaves_nothing_there() {
    let Some(s3) = S3::start().await else { return };
    let cluster = cluster_on(&s3).await;
    let [one, two, three] = [0, 1, 2].map(|i| cluster.instances[i].url());
    let alice = people::person(&cluster.url, "alice").await;

    // A body that drops half-way (past the first 5 MiB multipart chunk, so S3 holds a part of
    // it): nothing of it counts, and its multipart upload is aborted, not left in the bucket.
    let unfinished = start(&two, &alice, 20 * MIB, Some(random_bytes(MIB))).await;
    let unfinished = unfinished["attachment_id"].as_str().unwrap().to_owned();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let request = tokio::spawn({
        let (two, alice_token, unfinished) = (two.clone(), alice.token.clone(), unfinished.clone());
        async move {
            crate::client()
                .patch(format!("{two}/api/attachments/{unfinished}"))
                .bearer_auth(alice_token)
                .header("Upload-Offset", MIB.to_string())
                .header(header::CONTENT_TYPE, "application/offset+octet-stream")
                .body(reqwest::Body::wrap_stream(body))
                .send()
                .await
        }
    });
    for _ in 0..7 {
        tx.send(Ok(Bytes::from(random_bytes(MIB)))).await.unwrap();
    }
    eventually("the instance streams the body into an S3 multipart upload", Duration::from_secs(30), || {
        let s3 = &s3;
        async move { !s3.uploads_in_progress().await.is_empty() }
    })
    .await;
    tx.send(Err(std::io::Error::other("the connection drops"))).await.unwrap();
    drop(tx);
    assert!(request.await.unwrap().is_err(), "the client saw its request fail");
    eventually("the dropped body's multipart upload is aborted", Duration::from_secs(30), || {
        let s3 = &s3;
        async move { s3.uploads_in_progress().await.is_empty() }
    })
    .await;
    assert_eq!(head(&three, &alice, &unfinished).await, (StatusCode::OK, Some(MIB as u64)), "the dropped body did not count");
    assert_eq!(s3.keys(&parts_of(&unfinished)).await.len(), 1, "only the first body's object");

    // Unreferenced uploads, finished or not, go after the TTL: rows and objects.
    let finished = start(&one, &alice, 6 * MIB, Some(random_bytes(6 * MIB))).await;
    assert_eq!(finished["complete"], true);
    let finished = finished["attachment_id"].as_str().unwrap().to_owned();
    assert_eq!(s3.keys(&parts_of(&finished)).await.len(), 1);
    execute(&cluster.database_url, "UPDATE attachments SET created_at = now() - interval '2 minutes'").await;
    eventually("the expiry deletes both uploads, rows and S3 objects", Duration::from_secs(60), || {
        let (s3, alice, one, ids) = (&s3, &alice, &one, [&finished, &unfinished]);
        async move {
            for id in ids {
                if head(one, alice, id).await.0 != StatusCode::NOT_FOUND || !s3.keys(&parts_of(id)).await.is_empty() {
                    return false;
                }
            }
            true
        }
    })
    .await;
    assert!(s3.keys(PREFIX).await.is_empty(), "nothing left in the bucket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_body_over_100_mib_streams_through_nginx_both_ways() {
    let Some(s3) = S3::start().await else { return };
    let cluster = cluster_on(&s3).await;
    let alice = people::person(&cluster.url, "alice").await;
    let data = Bytes::from(random_bytes(101 * MIB + 3));

    // One POST of every byte, through nginx (TLS, HTTP/2): it reaches an instance, and S3,
    // while the client is still sending (nginx does not spool the body first).
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let request = tokio::spawn({
        let (url, token, length) = (cluster.url.clone(), alice.token.clone(), data.len());
        async move {
            let res = crate::client()
                .post(format!("{url}/api/attachments"))
                .bearer_auth(token)
                .header("Upload-Length", length.to_string())
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .timeout(Duration::from_secs(300))
                .body(reqwest::Body::wrap_stream(body))
                .send()
                .await
                .unwrap();
            json_of(res, StatusCode::CREATED).await
        }
    });
    let mut chunks = data.chunks(MIB).map(|c| data.slice_ref(c));
    for chunk in chunks.by_ref().take(8) {
        tx.send(Ok(chunk)).await.unwrap();
    }
    eventually("the first bytes reach S3 before the body ends", Duration::from_secs(30), || {
        let s3 = &s3;
        async move { !s3.uploads_in_progress().await.is_empty() }
    })
    .await;
    for chunk in chunks {
        tx.send(Ok(chunk)).await.unwrap();
    }
    drop(tx);
    let state = request.await.unwrap();
    assert_eq!(state["complete"], true, "{state}");
    let id = state["attachment_id"].as_str().unwrap();

    let res = crate::client()
        .get(format!("{}/api/attachments/{id}", cluster.url))
        .bearer_auth(&alice.token)
        .timeout(Duration::from_secs(300))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_LENGTH], data.len().to_string().as_str());
    assert_eq!(sha256(&res.bytes().await.unwrap()), sha256(&data), "the same bytes back through nginx");
}
