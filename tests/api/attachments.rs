//! Attachments over the real server: resumable uploads, downloads with ranges, access through
//! messages, limits, deletion and expiry, against a local object store in a temp folder.

use std::time::Duration;

use courier_protocol::crypto::attachment::{self, FileKey};
use reqwest::{header, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{chat::*, helpers::*};

impl TestApp {
    /// `POST /api/attachments` with `Upload-Length` and, if given, a first body.
    async fn start_upload(
        &self,
        s: &Session,
        length: u64,
        body: Option<Vec<u8>>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url("/api/attachments"))
            .bearer_auth(&s.access_token)
            .header("Upload-Length", length.to_string());
        if let Some(body) = body {
            req = req
                .header(header::CONTENT_TYPE, "application/octet-stream")
                .body(body);
        }
        req.send().await.unwrap()
    }

    async fn patch_upload(
        &self,
        s: &Session,
        id: &str,
        offset: u64,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.client
            .patch(self.url(&format!("/api/attachments/{id}")))
            .bearer_auth(&s.access_token)
            .header("Upload-Offset", offset.to_string())
            .header(header::CONTENT_TYPE, "application/offset+octet-stream")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn fetch(&self, s: &Session, id: &str, range: Option<&str>) -> reqwest::Response {
        let mut req = self
            .client
            .get(self.url(&format!("/api/attachments/{id}")))
            .bearer_auth(&s.access_token);
        if let Some(range) = range {
            req = req.header(header::RANGE, range);
        }
        req.send().await.unwrap()
    }

    /// Uploads `bytes` in one request; the attachment id.
    async fn upload(&self, s: &Session, bytes: &[u8]) -> String {
        let res = self
            .start_upload(s, bytes.len() as u64, Some(bytes.to_vec()))
            .await;
        let body = created(res).await;
        assert_eq!(body["complete"], true, "{body}");
        body["attachment_id"].as_str().unwrap().to_owned()
    }

    /// A conversation of `a` and `b` and a message from `a` carrying `attachments`.
    async fn post_with(
        &self,
        a: &Session,
        b: &Session,
        attachments: &[&str],
    ) -> (Uuid, Uuid, reqwest::Response) {
        let cid = id_of(&self.conversation(a, &[b.user_id], None).await);
        let message = Uuid::new_v4();
        let envelope = fake(cid, message, a.user_id, &[a.user_id, b.user_id], 48);
        let res = self
            .post_auth(
                &format!("/api/conversations/{cid}/messages"),
                &a.access_token,
                &json!({"envelope": envelope, "attachment_ids": attachments}),
            )
            .await;
        (cid, message, res)
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    (0..n).map(|_| rand::random::<u8>()).collect()
}

async fn bytes_of(res: reqwest::Response, status: StatusCode) -> Vec<u8> {
    assert_eq!(res.status(), status);
    assert_eq!(
        res.headers()[header::CONTENT_TYPE],
        "application/octet-stream"
    );
    res.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn a_small_file_is_uploaded_in_one_request_and_fetched_by_its_uploader() {
    let app = spawn_app().await;
    let (_, alice) = app.signed_in("alice").await;
    let bytes = random_bytes(1000);
    let res = app.start_upload(&alice, 1000, Some(bytes.clone())).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["size"], 1000);
    assert_eq!(body["offset"], 1000);
    assert_eq!(body["complete"], true);
    let id = body["attachment_id"].as_str().unwrap();
    assert_eq!(
        bytes_of(app.fetch(&alice, id, None).await, StatusCode::OK).await,
        bytes
    );
}

#[tokio::test]
async fn a_resumable_upload_takes_three_patches_and_refuses_a_wrong_offset() {
    let app = spawn_app().await;
    let (_, alice) = app.signed_in("alice").await;
    let bytes = random_bytes(300_000);
    let body = created(app.start_upload(&alice, 300_000, None).await).await;
    assert_eq!(body["offset"], 0);
    assert_eq!(body["complete"], false);
    let id = body["attachment_id"].as_str().unwrap().to_owned();

    let res = app
        .patch_upload(&alice, &id, 0, bytes[..100_000].to_vec())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<Value>().await.unwrap()["offset"], 100_000);

    // A client that lost track: 409 with where to resume, nothing written.
    let res = app
        .patch_upload(&alice, &id, 50_000, bytes[50_000..].to_vec())
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(res.headers()["upload-offset"], "100000");
    assert_eq!(
        assert_error(res, StatusCode::CONFLICT).await,
        "offset_mismatch"
    );

    // HEAD tells the offset.
    let res = app
        .client
        .head(app.url(&format!("/api/attachments/{id}")))
        .bearer_auth(&alice.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["upload-offset"], "100000");
    assert_eq!(res.headers()["upload-length"], "300000");

    // Incomplete: not downloadable, not even by the uploader.
    assert_error(app.fetch(&alice, &id, None).await, StatusCode::NOT_FOUND).await;

    let res = app
        .patch_upload(&alice, &id, 100_000, bytes[100_000..200_000].to_vec())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .patch_upload(&alice, &id, 200_000, bytes[200_000..].to_vec())
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let done: Value = res.json().await.unwrap();
    assert_eq!(done["complete"], true);
    assert_eq!(done["offset"], 300_000);
    assert_eq!(
        bytes_of(app.fetch(&alice, &id, None).await, StatusCode::OK).await,
        bytes
    );

    // A complete upload takes no more bytes; a body past Upload-Length is refused.
    let res = app.patch_upload(&alice, &id, 300_000, vec![1]).await;
    assert_eq!(
        assert_error(res, StatusCode::CONFLICT).await,
        "upload_complete"
    );
    let other = created(app.start_upload(&alice, 10, None).await).await;
    let other = other["attachment_id"].as_str().unwrap();
    let res = app.patch_upload(&alice, other, 0, vec![0; 11]).await;
    assert_eq!(
        assert_error(res, StatusCode::PAYLOAD_TOO_LARGE).await,
        "too_large"
    );
}

#[tokio::test]
async fn ranges_are_served_with_206_and_an_unsatisfiable_one_gets_416() {
    let app = spawn_app().await;
    let (_, alice) = app.signed_in("alice").await;
    let bytes = random_bytes(5000);
    // Two parts, so a range crosses a part boundary.
    let body = created(
        app.start_upload(&alice, 5000, Some(bytes[..2000].to_vec()))
            .await,
    )
    .await;
    let id = body["attachment_id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.patch_upload(&alice, &id, 2000, bytes[2000..].to_vec())
            .await
            .status(),
        StatusCode::OK
    );

    let res = app.fetch(&alice, &id, Some("bytes=1990-2009")).await;
    assert_eq!(res.headers()[header::CONTENT_RANGE], "bytes 1990-2009/5000");
    assert_eq!(
        bytes_of(res, StatusCode::PARTIAL_CONTENT).await,
        bytes[1990..2010]
    );
    let res = app.fetch(&alice, &id, Some("bytes=4000-")).await;
    assert_eq!(
        bytes_of(res, StatusCode::PARTIAL_CONTENT).await,
        bytes[4000..]
    );
    let res = app.fetch(&alice, &id, Some("bytes=-10")).await;
    assert_eq!(
        bytes_of(res, StatusCode::PARTIAL_CONTENT).await,
        bytes[4990..]
    );

    let res = app.fetch(&alice, &id, Some("bytes=5000-6000")).await;
    assert_eq!(res.headers()[header::CONTENT_RANGE], "bytes */5000");
    assert_eq!(
        assert_error(res, StatusCode::RANGE_NOT_SATISFIABLE).await,
        "range_not_satisfiable"
    );
}

#[tokio::test]
async fn members_fetch_an_attachment_once_a_message_references_it_and_nobody_else_can() {
    let app = spawn_app().await;
    let (_, alice) = app.signed_in("alice").await;
    let (_, bob) = app.signed_in("bob").await;
    let (_, eve) = app.signed_in("eve").await;
    let bytes = random_bytes(2048);
    let id = app.upload(&alice, &bytes).await;

    // Before any message: only the uploader. A stranger's 404 is the one of a missing id.
    let missing = assert_error(
        app.fetch(&bob, &Uuid::new_v4().to_string(), None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        assert_error(app.fetch(&bob, &id, None).await, StatusCode::NOT_FOUND).await,
        missing
    );

    let (_, _, res) = app.post_with(&alice, &bob, &[&id]).await;
    created(res).await;
    assert_eq!(
        bytes_of(app.fetch(&bob, &id, None).await, StatusCode::OK).await,
        bytes
    );
    assert_error(app.fetch(&eve, &id, None).await, StatusCode::NOT_FOUND).await;
    // HEAD (upload status) is the uploader's only.
    let res = app
        .client
        .head(app.url(&format!("/api/attachments/{id}")))
        .bearer_auth(&bob.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_message_cannot_reference_someone_elses_or_an_unfinished_attachment() {
    let app = spawn_app().await;
    let (_, alice) = app.signed_in("alice").await;
    let (_, bob) = app.signed_in("bob").await;
    let bobs = app.upload(&bob, &random_bytes(100)).await;
    let before = app.count("SELECT count(*) AS n FROM messages").await;
    let (_, _, res) = app.post_with(&alice, &bob, &[&bobs]).await;
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "invalid_attachment"
    );
    let unfinished = created(app.start_upload(&alice, 100, None).await).await;
    let unfinished = unfinished["attachment_id"].as_str().unwrap().to_owned();
    let (_, _, res) = app.post_with(&alice, &bob, &[&unfinished]).await;
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "invalid_attachment"
    );
    let missing = Uuid::new_v4().to_string();
    let (_, _, res) = app.post_with(&alice, &bob, &[&missing]).await;
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "invalid_attachment"
    );
    // Nothing of the refused posts was stored.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM messages").await,
        before
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM message_attachments")
            .await,
        0
    );
    assert_error(app.fetch(&alice, &bobs, None).await, StatusCode::NOT_FOUND).await;
}

#[tokio::test]
async fn the_same_post_again_is_still_a_no_op_with_attachments() {
    let app = spawn_app().await;
    let (_, alice) = app.signed_in("alice").await;
    let (_, bob) = app.signed_in("bob").await;
    let id = app.upload(&alice, &random_bytes(64)).await;
    let cid = id_of(&app.conversation(&alice, &[bob.user_id], None).await);
    let envelope = fake(
        cid,
        Uuid::new_v4(),
        alice.user_id,
        &[alice.user_id, bob.user_id],
        48,
    );
    let body = json!({"envelope": envelope, "attachment_ids": [id]});
    let path = format!("/api/conversations/{cid}/messages");
    let first = created(app.post_auth(&path, &alice.access_token, &body).await).await;
    let again = created(app.post_auth(&path, &alice.access_token, &body).await).await;
    assert_eq!(first, again);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM message_attachments")
            .await,
        1
    );
}

#[tokio::test]
async fn uploads_over_the_size_limit_get_413_and_over_the_quota_507() {
    let app = spawn_app_with(|s| {
        s.attachment_max_bytes = 1000;
        s.attachment_quota_bytes = 2500;
    })
    .await;
    let (_, alice) = app.signed_in("alice").await;
    // The limit is on the file: its ciphertext (38 + 1000 + 16 bytes) fits, one byte more not.
    let res = app.start_upload(&alice, 1055, None).await;
    assert_eq!(
        assert_error(res, StatusCode::PAYLOAD_TOO_LARGE).await,
        "too_large"
    );
    let res = app.start_upload(&alice, 1054, None).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<Value>().await.unwrap()["attachment_id"].as_str().unwrap().to_owned();
    let res = app.delete_auth(&format!("/api/attachments/{id}"), &alice.access_token, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = app.start_upload(&alice, 1055, Some(vec![0; 1055])).await;
    assert_eq!(
        assert_error(res, StatusCode::PAYLOAD_TOO_LARGE).await,
        "too_large"
    );
    // A body longer than its own Upload-Length: 413, and the upload is gone.
    let res = app.start_upload(&alice, 10, Some(vec![0; 20])).await;
    assert_eq!(
        assert_error(res, StatusCode::PAYLOAD_TOO_LARGE).await,
        "too_large"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM attachments").await, 0);

    app.upload(&alice, &[1; 1000]).await;
    created(app.start_upload(&alice, 1000, None).await).await; // in progress counts too
    let res = app.start_upload(&alice, 501, None).await;
    assert_eq!(
        assert_error(res, StatusCode::INSUFFICIENT_STORAGE).await,
        "quota_exceeded"
    );
    created(app.start_upload(&alice, 500, None).await).await;

    let res = app.start_upload(&alice, 0, None).await;
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "invalid_upload_length"
    );
    let res = app
        .client
        .post(app.url("/api/attachments"))
        .bearer_auth(&alice.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "invalid_upload_length"
    );
}

#[tokio::test]
async fn an_attachment_deleted_by_its_uploader_is_gone_for_everyone() {
    let app = spawn_app().await;
    let (_, alice) = app.signed_in("alice").await;
    let (_, bob) = app.signed_in("bob").await;
    let id = app.upload(&alice, &random_bytes(100)).await;
    let (_, _, res) = app.post_with(&alice, &bob, &[&id]).await;
    created(res).await;
    let res = app
        .delete_auth(&format!("/api/attachments/{id}"), &bob.access_token, None)
        .await;
    assert_error(res, StatusCode::NOT_FOUND).await;
    let res = app
        .delete_auth(&format!("/api/attachments/{id}"), &alice.access_token, None)
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_error(app.fetch(&alice, &id, None).await, StatusCode::NOT_FOUND).await;
    assert_error(app.fetch(&bob, &id, None).await, StatusCode::NOT_FOUND).await;
    assert_eq!(object_count(&app), 0);
}

#[tokio::test]
async fn deleting_the_message_deletes_its_attachment() {
    let app = spawn_app().await;
    let (_, alice) = app.signed_in("alice").await;
    let (_, bob) = app.signed_in("bob").await;
    let id = app.upload(&alice, &random_bytes(100)).await;
    let (cid, message, res) = app.post_with(&alice, &bob, &[&id]).await;
    created(res).await;
    let res = app
        .delete_auth(
            &format!("/api/conversations/{cid}/messages/{message}"),
            &alice.access_token,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_error(app.fetch(&bob, &id, None).await, StatusCode::NOT_FOUND).await;
    assert_error(app.fetch(&alice, &id, None).await, StatusCode::NOT_FOUND).await;
    assert_eq!(app.count("SELECT count(*) AS n FROM attachments").await, 0);
    assert_eq!(object_count(&app), 0);
}

#[tokio::test]
async fn unreferenced_uploads_expire_and_referenced_ones_stay() {
    let app = spawn_app().await;
    let (_, alice) = app.signed_in("alice").await;
    let (_, bob) = app.signed_in("bob").await;
    let kept = app.upload(&alice, &random_bytes(100)).await;
    let (_, _, res) = app.post_with(&alice, &bob, &[&kept]).await;
    created(res).await;
    let finished = app.upload(&alice, &random_bytes(100)).await;
    let unfinished = created(app.start_upload(&alice, 100, Some(vec![1; 10])).await).await;
    let unfinished = unfinished["attachment_id"].as_str().unwrap().to_owned();

    let store =
        courier::attachments::store::AttachmentStore::open(&app.settings.attachments_url).unwrap();
    let pool = &app.state.pool;
    let sweep = courier::attachments::sweep::expire_unreferenced;
    // Within the TTL: nothing goes.
    assert_eq!(
        sweep(pool, &store, Duration::from_secs(3600))
            .await
            .unwrap(),
        0
    );
    tokio::task::spawn_blocking({
        let url = app.db_url.clone();
        move || {
            use diesel::{Connection, RunQueryDsl};
            let mut conn = diesel::PgConnection::establish(&url).unwrap();
            diesel::sql_query("UPDATE attachments SET created_at = now() - interval '2 hours'")
                .execute(&mut conn)
                .unwrap();
        }
    })
    .await
    .unwrap();
    assert_eq!(
        sweep(pool, &store, Duration::from_secs(3600))
            .await
            .unwrap(),
        2
    );
    assert_error(
        app.fetch(&alice, &finished, None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let res = app.patch_upload(&alice, &unfinished, 10, vec![1; 90]).await;
    assert_error(res, StatusCode::NOT_FOUND).await;
    assert_eq!(app.fetch(&bob, &kept, None).await.status(), StatusCode::OK);
    assert_eq!(object_count(&app), 1);
}

#[tokio::test]
async fn a_real_encrypted_file_round_trips_byte_for_byte() {
    let app = spawn_app().await;
    let (_, alice) = app.signed_in("alice").await;
    let (_, bob) = app.signed_in("bob").await;
    let plaintext = random_bytes(3 * 65_536 + 123);
    let key = FileKey::generate().unwrap();
    let (ciphertext, summary) = attachment::encrypt(&key, &plaintext).unwrap();
    assert_eq!(summary.ciphertext_size, ciphertext.len() as u64);

    // In two pieces, as a resuming client would send it.
    let body = created(
        app.start_upload(
            &alice,
            summary.ciphertext_size,
            Some(ciphertext[..70_000].to_vec()),
        )
        .await,
    )
    .await;
    let id = body["attachment_id"].as_str().unwrap().to_owned();
    let res = app
        .patch_upload(&alice, &id, 70_000, ciphertext[70_000..].to_vec())
        .await;
    assert_eq!(res.json::<Value>().await.unwrap()["complete"], true);
    let (_, _, res) = app.post_with(&alice, &bob, &[&id]).await;
    created(res).await;

    let fetched = bytes_of(app.fetch(&bob, &id, None).await, StatusCode::OK).await;
    assert_eq!(<[u8; 32]>::from(Sha256::digest(&fetched)), summary.sha256);
    let (decrypted, _) = attachment::decrypt(&key, &fetched).unwrap();
    assert_eq!(decrypted, plaintext);
}

#[tokio::test]
async fn deleting_an_account_deletes_its_unreferenced_uploads_only() {
    let app = spawn_app().await;
    let (alice_user, alice) = app.signed_in("alice").await;
    let (_, bob) = app.signed_in("bob").await;
    let shared = app.upload(&alice, &random_bytes(100)).await;
    let (_, _, res) = app.post_with(&alice, &bob, &[&shared]).await;
    created(res).await;
    app.upload(&alice, &random_bytes(100)).await;
    let res = app
        .delete_auth(
            "/api/account",
            &alice.access_token,
            Some(&json!({"auth_key": alice_user.auth_key()})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count("SELECT count(*) AS n FROM attachments").await, 1);
    assert_eq!(
        bytes_of(app.fetch(&bob, &shared, None).await, StatusCode::OK)
            .await
            .len(),
        100
    );
    assert_eq!(object_count(&app), 1);
}

/// Objects in the app's attachment folder.
fn object_count(app: &TestApp) -> usize {
    let courier::config::AttachmentsUrl::Local(dir) = &app.settings.attachments_url else {
        panic!("tests use a local folder")
    };
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                if e.path().is_dir() {
                    walk(&e.path())
                } else {
                    1
                }
            })
            .sum()
    }
    walk(dir)
}
