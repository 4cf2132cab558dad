//! `courier-cli` against the real server: the binary is run as a user would run it, with its
//! own config folder per person, over TLS (`--insecure`: the test certificate is self-signed).

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;
#[path = "cli/harness.rs"]
mod harness;
#[path = "cli/series.rs"]
mod series;
#[path = "cli/attachments.rs"]
mod attachments;

use std::{os::unix::fs::PermissionsExt, process::Stdio, time::Duration};

use courier_protocol::crypto::{self, Header};
use harness::*;
use helpers::*;
use serde_json::json;
use uuid::Uuid;
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_cli_users_chat_both_ways_and_listen_resumes_without_loss_or_duplicates() {
    let app = spawn_app().await;
    let (alice, bob) = (Person::new(&app, "alice"), Person::new(&app, "bob"));
    let (an, bn) = (unique_name("alice"), unique_name("bob"));
    let ((alice_id, _), (bob_id, _)) = tokio::join!(alice.register(&an), bob.register(&bn));

    let (mut at_alice, mut at_bob) = (alice.listen(&[]), bob.listen(&[]));
    tokio::join!(at_alice.ready(), at_bob.ready());
    let sent = alice.ok(&["send", &bn, "Hello Bob, from the CLI"]).await;
    let got = at_bob.message().await;
    assert_eq!((got["status"].as_str(), got["text"].as_str()), (Some("verified"), Some("Hello Bob, from the CLI")));
    assert_eq!(got["sender_id"], json!(alice_id));
    assert_eq!(got["message_id"], sent["message_id"]);
    assert_eq!(at_alice.message().await["text"], "Hello Bob, from the CLI", "the sender's own devices get it too");

    let reply = bob
        .command(&["--json", "send", &an], &[])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reply = reply;
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = reply.stdin.take().unwrap();
        stdin.write_all("Hi Alice! (from stdin) ünïcødé\n".as_bytes()).await.unwrap();
    }
    assert!(reply.wait().await.unwrap().success());
    let got = at_alice.message().await;
    assert_eq!(
        (got["status"].as_str(), got["text"].as_str()),
        (Some("verified"), Some("Hi Alice! (from stdin) ünïcødé"))
    );
    assert_eq!(got["sender_id"], json!(bob_id));
    assert_eq!(at_bob.message().await["text"], "Hi Alice! (from stdin) ünïcødé");

    // Bob's listener dies; messages keep coming; a new run picks up exactly the missed ones.
    bob.cursor_reaches(at_bob.last_id).await;
    at_bob.child.kill().await.unwrap();
    let missed: Vec<String> = (1..=3).map(|i| format!("missed while offline {i}")).collect();
    for m in &missed {
        alice.ok(&["send", &bn, m]).await;
    }
    let again = bob.listen(&["--count", "3"]).rest().await;
    assert_eq!(texts(&again), missed, "resumed with exactly the missed messages, in order");
    alice.ok(&["send", &bn, "one more"]).await;
    let last = bob.listen(&["--count", "1"]).rest().await;
    assert_eq!(texts(&last), ["one more"], "and again from where the last run stopped");

    // History agrees: every message once, all verified.
    let history = bob.history(&an).await;
    let mut expected = vec!["Hello Bob, from the CLI".to_owned(), "Hi Alice! (from stdin) ünïcødé".to_owned()];
    expected.extend(missed);
    expected.push("one more".into());
    assert_eq!(texts(&history), expected);
    assert!(history.iter().all(|m| m["status"] == "verified"));
    at_alice.child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn listen_outlives_short_access_tokens_while_other_commands_share_the_session() {
    // Tokens live 4 s: the listener must renew and reconnect several times, and `send` runs
    // from the same config folder meanwhile; one refresh token spent twice would revoke it all.
    let app = spawn_app_with(|s| s.access_token_ttl = Duration::from_secs(4)).await;
    let (alice, bob) = (Person::new(&app, "alice"), Person::new(&app, "bob"));
    let (an, bn) = (unique_name("alice"), unique_name("bob"));
    tokio::join!(alice.register(&an), bob.register(&bn));
    alice.ok(&["send", &bn, "first"]).await;
    let listening = bob.listen(&["--count", "6"]);
    let mut expected = vec!["first".to_owned()];
    for i in 1..=5 {
        tokio::time::sleep(Duration::from_millis(1800)).await;
        let (who, text) = if i % 2 == 0 { (&bob, &an) } else { (&alice, &bn) };
        let msg = format!("message {i}");
        who.ok(&["send", text, &msg]).await;
        expected.push(msg);
    }
    let got = listening.rest().await;
    assert_eq!(texts(&got), expected, "every message once, in order, across token renewals");
    assert!(got.iter().all(|m| m["status"] == "verified"));
    bob.ok(&["whoami"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cli_refuses_forged_replayed_and_altered_messages() {
    let app = spawn_app().await;
    let (alice, bob) = (Person::new(&app, "alice"), Person::new(&app, "bob"));
    let (an, bn) = (unique_name("alice"), unique_name("bob"));
    let ((_alice_id, _), (bob_id, _)) = tokio::join!(alice.register(&an), bob.register(&bn));

    // Mallory: a member who talks to bob through the API directly.
    let Mallory { user: mallory, id: mallory_id, session: ms, conversation: conv, bob_enc } = Mallory::with(&app, bob_id).await;
    let members = [(mallory_id, mallory.material.account.enc_public_spki().to_vec()), (bob_id, bob_enc)];
    let post = |text: &str, signer: &courier_protocol::crypto::UnlockedAccount| {
        let header = Header::new(conv, Uuid::new_v4(), mallory_id, [bob_id], "text/plain", 1).unwrap();
        (header.message_id(), crypto::seal(&header, text.as_bytes(), signer, &members).unwrap())
    };
    let eve = TestUser::cheap("eve"); // other keys than mallory's
    let envelopes = [
        post("genuine", &mallory.material.account),
        post("signed by someone else", &eve.material.account),
        post("ciphertext flipped", &mallory.material.account),
        post("signature flipped", &mallory.material.account),
    ];
    for (_, env) in &envelopes {
        let res = app
            .post_auth(&format!("/api/conversations/{conv}/messages"), &ms.access_token, &json!({"envelope": env}))
            .await;
        assert_eq!(res.status(), 201);
    }
    // The server (or whoever holds its database) alters stored bytes.
    let (ct, sig) = (envelopes[2].0, envelopes[3].0);
    sql(
        &app,
        format!(
            "UPDATE messages SET ciphertext = set_byte(ciphertext, 3, get_byte(ciphertext, 3) # 1) WHERE id = '{ct}'"
        ),
    )
    .await;
    sql(
        &app,
        format!(
            "UPDATE messages SET signature = set_byte(signature, 10, get_byte(signature, 10) # 128) WHERE id = '{sig}'"
        ),
    )
    .await;

    let seen = bob.history(&mallory.username).await;
    let status: Vec<(&str, &str)> =
        seen.iter().map(|m| (m["status"].as_str().unwrap(), m["reason"].as_str().unwrap_or(""))).collect();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0]["text"], "genuine");
    assert_eq!(status[0].0, "verified");
    for (i, m) in seen.iter().enumerate().skip(1) {
        assert_eq!(m["status"], "unverified", "message {i} must not verify: {m}");
        assert!(m.get("text").is_none(), "no text for an unverified message");
        assert!(m["reason"].as_str().unwrap().contains("signature"), "{m}");
    }

    // A genuine message from alice, replayed by the server into another conversation.
    alice.ok(&["send", &bn, "meant for the direct chat"]).await;
    let group = alice.ok(&["conversations", "new", &bn, "--title", "replay target"]).await;
    let original: Uuid = bob.history(&an).await[0]["message_id"].as_str().unwrap().parse().unwrap();
    sql(
        &app,
        format!(
            "UPDATE messages SET conversation_id = '{}', position = 1000 WHERE id = '{original}'",
            group["id"].as_str().unwrap()
        ),
    )
    .await;
    let replayed = bob.history("replay target").await;
    assert_eq!(replayed.len(), 1);
    assert_eq!(replayed[0]["status"], "unverified");
    assert!(replayed[0]["reason"].as_str().unwrap().contains("another conversation"), "{}", replayed[0]);

    // The server substitutes bob's keys (here: mallory's, valid and self-signed).
    let mk = &mallory.material.request.keys;
    let hex = |b64: &str| {
        format!(
            "'\\x{}'",
            crypto::b64::decode("k", b64).unwrap().iter().map(|b| format!("{b:02x}")).collect::<String>()
        )
    };
    sql(
        &app,
        format!(
            "UPDATE users SET enc_public = {}, sig_public = {}, key_signature = {} WHERE id = '{bob_id}'",
            hex(&mk.enc_public),
            hex(&mk.sig_public),
            hex(&mk.key_signature)
        ),
    )
    .await;
    let refused = alice.run(&["send", &bn, "must not go to a substituted key"]).await;
    assert_eq!(refused.code, 5, "changed key → exit 5; stderr: {}", refused.stderr);
    assert!(refused.stderr.contains("CHANGED"), "{}", refused.stderr);
    let lookup = alice.ok(&["lookup", &bn]).await;
    assert!(lookup["key_state"].as_str().unwrap().starts_with("CHANGED"));
    assert_eq!(alice.run(&["send", &bn, "still refused"]).await.code, 5, "refused until verified");
    let verified = alice.ok(&["verify", &bn, "--yes"]).await;
    assert_eq!(verified["key_changed"], true);
    alice.ok(&["send", &bn, "sent after verify"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_short_simulation_loses_and_duplicates_nothing() {
    let app = spawn_app().await;
    let sim = Person::new(&app, "sim");
    let report = sim.ok(&["simulate", "--clients", "4", "--rate", "20", "--duration", "2s", "--grace", "10s"]).await;
    assert_eq!(report["sent"], 40, "{report}");
    assert_eq!(report["send_errors"], 0, "{report}");
    assert_eq!(report["delivered"], 40, "{report}");
    assert_eq!(report["lost"], 0, "{report}");
    assert_eq!(report["duplicated"], 0, "{report}");
    assert_eq!(report["unverified"], 0, "{report}");
    assert!(report["latency"]["p99_ms"].as_f64().unwrap() > 0.0, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn errors_are_clear_and_secrets_stay_off_disk() {
    let app = spawn_app().await;
    let alice = Person::new(&app, "alice");
    let an = unique_name("alice");
    alice.register(&an).await;

    let mode = std::fs::metadata(alice.dir.join("session.json")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the refresh token file is private");
    for entry in std::fs::read_dir(&alice.dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        assert!(!text.contains(&alice.password), "the password is never stored");
    }

    let wrong = alice.run_env(&["login", &an], &[("COURIER_PASSWORD", "not the password")]).await;
    assert_eq!((wrong.code, wrong.stderr.contains("wrong username or password")), (3, true), "{}", wrong.stderr);

    let mut away = Person::new(&app, "away");
    away.server = "https://127.0.0.1:1".into();
    let unreachable = away.run(&["login", &an]).await;
    assert_eq!(unreachable.code, 6, "{}", unreachable.stderr);
    assert!(unreachable.stderr.contains("cannot reach the server"), "{}", unreachable.stderr);

    // A second device revokes the first one's session.
    let other = Person {
        dir: alice.dir.with_extension("second"),
        server: alice.server.clone(),
        password: alice.password.clone(),
    };
    other.ok(&["login", &an]).await;
    let first = alice.ok(&["whoami"]).await["session_id"].as_str().unwrap().to_owned();
    let sessions = other.ok(&["sessions"]).await;
    assert_eq!(sessions["sessions"].as_array().unwrap().len(), 2);
    other.ok(&["sessions", "revoke", &first]).await;
    let revoked = alice.run(&["whoami"]).await;
    assert_eq!(revoked.code, 4, "{}", revoked.stderr);
    assert!(revoked.stderr.contains("session revoked"), "{}", revoked.stderr);

    other.ok(&["logout"]).await;
    let out = other.run(&["whoami"]).await;
    assert_eq!(out.code, 4, "{}", out.stderr);
    assert!(out.stderr.contains("not logged in"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn password_change_and_recovery_keep_the_history_readable() {
    let app = spawn_app().await;
    let (alice, mut bob) = (Person::new(&app, "alice"), Person::new(&app, "bob"));
    let (an, bn) = (unique_name("alice"), unique_name("bob"));
    let ((_, _), (_, registered)) = tokio::join!(alice.register(&an), bob.register(&bn));
    let recovery = registered["recovery_key"].as_str().unwrap().to_owned();
    alice.ok(&["send", &bn, "before any change"]).await;

    let second = format!("{} v2", bob.password);
    let wrong = bob.run_env(&["password"], &[("COURIER_PASSWORD", "not it"), ("COURIER_NEW_PASSWORD", &second)]).await;
    assert_eq!(wrong.code, 3, "a wrong current password is refused locally: {}", wrong.stderr);
    assert!(wrong.stderr.contains("wrong password"), "{}", wrong.stderr);
    let changed = bob.run_env(&["--json", "password"], &[("COURIER_NEW_PASSWORD", &second)]).await;
    assert_eq!(changed.code, 0, "{}", changed.stderr);
    assert_eq!(bob.run(&["login", &bn]).await.code, 3, "the old password no longer works");
    bob.password = second;
    assert_eq!(bob.history(&an).await[0]["text"], "before any change");

    let third = "a brand new password after recovery".to_owned();
    let recovered = bob
        .run_env(&["--json", "recover", &bn], &[("COURIER_RECOVERY_KEY", &recovery), ("COURIER_NEW_PASSWORD", &third)])
        .await;
    assert_eq!(recovered.code, 0, "{}", recovered.stderr);
    assert_eq!(bob.run(&["whoami"]).await.code, 4, "recovery ends every session");
    bob.password = third;
    bob.ok(&["login", &bn]).await;
    assert_eq!(bob.history(&an).await[0]["text"], "before any change", "history survives recovery");

    bob.ok(&["delete-account", "--yes"]).await;
    assert_eq!(bob.run(&["login", &bn]).await.code, 3, "a deleted account cannot log in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_group_titled_like_a_contact_does_not_catch_what_was_meant_for_them() {
    let app = spawn_app().await;
    let (alice, bob, eve) = (Person::new(&app, "alice"), Person::new(&app, "bob"), Person::new(&app, "eve"));
    let (an, bn, en) = (unique_name("alice"), unique_name("bob"), unique_name("eve"));
    tokio::join!(alice.register(&an), bob.register(&bn), eve.register(&en));
    // Eve makes a group with alice and titles it with bob's name.
    let trap = eve.ok(&["conversations", "new", &an, "--title", &bn]).await;
    let sent = alice.ok(&["send", &bn, "for bob only"]).await;
    assert_ne!(sent["conversation_id"], trap["id"], "the message went to eve's group");
    assert_eq!(texts(&bob.history(&an).await), ["for bob only"]);
    assert!(eve.history(trap["id"].as_str().unwrap()).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_throttled_login_tells_the_user_how_many_seconds_to_wait() {
    let app = spawn_app_with(|s| s.login_failures_per_account = 1).await;
    let mut user = TestUser::cheap("wait");
    app.register(&mut user).await;
    let cli = Person::new(&app, "wait");
    let wrong = [("COURIER_PASSWORD", "not the password")];
    let first = cli.run_env(&["login", &user.username], &wrong).await;
    assert_eq!(first.code, 3, "{}", first.stderr);
    let throttled = cli.run_env(&["login", &user.username], &wrong).await;
    assert_eq!(throttled.code, 1, "{}", throttled.stderr);
    let said = seconds_to_wait(&throttled.stderr);
    assert!(said.is_some_and(|s| (1..=900).contains(&s)), "{}", throttled.stderr);
}

/// The N of "try again in N s", if the text says it.
fn seconds_to_wait(text: &str) -> Option<u64> {
    let rest = &text[text.find("too many attempts: try again in ")? + "too many attempts: try again in ".len()..];
    let (n, tail) = rest.split_once(' ')?;
    tail.starts_with('s').then_some(())?;
    n.parse().ok()
}

/// `'\x…'`: a bytea literal.
fn bytea(bytes: &[u8]) -> String {
    format!("'\\x{}'", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cli_acknowledges_only_verified_messages_and_marks_legacy_and_empty_ones() {
    let app = spawn_app().await;
    let bob = Person::new(&app, "bob");
    let bn = unique_name("bob");
    let (bob_id, _) = bob.register(&bn).await;
    // Mallory: a member who talks to bob through the API directly.
    let Mallory { user: mallory, id: mallory_id, session: ms, conversation: conv, bob_enc } = Mallory::with(&app, bob_id).await;
    let members = [(mallory_id, mallory.material.account.enc_public_spki().to_vec()), (bob_id, bob_enc.clone())];
    let account = &mallory.material.account;
    let seal = |header: &Header, text: &str| crypto::seal_with(header, text.as_bytes(), account, &members, &[3; 32], &[4; 12]).unwrap();
    let post = |envelope: crypto::Envelope| {
        let app = &app;
        let token = ms.access_token.clone();
        async move {
            let res = app.post_auth(&format!("/api/conversations/{conv}/messages"), &token, &json!({"envelope": envelope})).await;
            assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        }
    };
    // Rewrites a stored message into `envelope` (as a pre-v2 server, or the database, holds it).
    let rewrite = |id: Uuid, envelope: crypto::Envelope| {
        let app = &app;
        async move {
            let commitment = envelope.commitment.as_deref().map(bytea).unwrap_or_else(|| "NULL".into());
            sql(app, format!(
                "UPDATE messages SET header = '{}', commitment = {commitment}, iv = {}, ciphertext = {}, signature = {} WHERE id = '{id}'",
                envelope.header, bytea(&envelope.iv), bytea(&envelope.ciphertext), bytea(&envelope.signature)
            ))
            .await;
            let key = &envelope.keys.iter().find(|k| k.user_id == bob_id).unwrap().wrapped_key;
            sql(app, format!("UPDATE message_keys SET wrapped_key = {} WHERE message_id = '{id}' AND user_id = '{bob_id}'", bytea(key)))
                .await;
        }
    };
    let header = || Header::new(conv, Uuid::new_v4(), mallory_id, [bob_id], "text/plain", 1).unwrap();

    // 1: a legacy v1 message from before v2; 2: an empty one (stored before the server refused
    // them); 3: a genuine v2 message; 4: one whose content key for bob is not the committed one.
    let (legacy, empty) = (header(), header());
    post(seal(&legacy, "placeholder")).await;
    rewrite(legacy.message_id(), seal(&legacy.clone().into_legacy_v1(), "from before v2")).await;
    post(seal(&empty, "placeholder")).await;
    rewrite(empty.message_id(), seal(&empty, "")).await;
    post(seal(&header(), "genuine")).await;
    let attack = header();
    let mut forked = seal(&attack, "pay mallory");
    let bobs = forked.keys.iter_mut().find(|k| k.user_id == bob_id).unwrap();
    bobs.wrapped_key = courier_protocol::crypto::primitives::rsa_oaep_encrypt(&bob_enc, &attack.hash(), &[8; 32]).unwrap();
    post(forked).await;

    // Listening receives all four and acknowledges only up to the last verified one.
    let got = bob.listen(&["--count", "4"]).rest().await;
    let shown: Vec<(&str, bool, bool)> = got
        .iter()
        .map(|m| (m["status"].as_str().unwrap(), m["legacy_v1"] == true, m["empty"] == true))
        .collect();
    assert_eq!(
        shown,
        [("verified", true, false), ("verified", false, true), ("verified", false, false), ("unverified", false, false)]
    );
    assert_eq!(got[0]["text"], "from before v2");
    assert_eq!(got[0]["envelope_version"], 1);
    assert_eq!(got[2]["envelope_version"], 2);
    assert!(got[3]["reason"].as_str().unwrap().contains("commitment"), "{}", got[3]);
    assert!(got[3].get("text").is_none());
    let delivered = app
        .count(&format!("SELECT delivered_up_to AS n FROM members WHERE conversation_id = '{conv}' AND user_id = '{bob_id}'"))
        .await;
    assert_eq!(delivered, got[2]["position"].as_i64().unwrap(), "no receipt for the message that failed verification");
    bob.ok(&["receipts", &mallory.username]).await;
    let read = app
        .count(&format!("SELECT read_up_to AS n FROM members WHERE conversation_id = '{conv}' AND user_id = '{bob_id}'"))
        .await;
    assert_eq!(read, got[2]["position"].as_i64().unwrap(), "`receipts` names the newest verified message");

    // The human output marks them too.
    let run = bob.run(&["history", &mallory.username]).await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(lines[0].ends_with("[legacy v1 — not key-committing] from before v2"), "{}", run.stdout);
    assert!(lines[1].contains("EMPTY message"), "{}", run.stdout);
    assert!(lines[3].contains("COULD NOT VERIFY"), "{}", run.stdout);

    // And the CLI never sends an empty or whitespace-only message.
    for text in ["", "  \n\t "] {
        let run = bob.run(&["send", &mallory.username, text]).await;
        assert_ne!(run.code, 0, "{text:?} was sent");
        assert!(run.stderr.contains("not only whitespace"), "{}", run.stderr);
    }
    assert_eq!(app.count(&format!("SELECT count(*) AS n FROM messages WHERE conversation_id = '{conv}'")).await, 4);
}
