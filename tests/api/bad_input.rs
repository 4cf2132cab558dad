//! Every endpoint answers bad input with a 4xx `{code, message}` and writes nothing.

use aws_lc_rs::encoding::AsDer;
use base64::{engine::general_purpose::STANDARD, Engine};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{helpers::*, tokens::random_key};

fn rsa2048_spki() -> String {
    let key =
        aws_lc_rs::rsa::PrivateDecryptingKey::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    STANDARD.encode(key.public_key().as_der().unwrap().as_ref())
}

/// (what, mutation of a valid register body)
fn register_mutations() -> Vec<(&'static str, Box<dyn Fn(&mut Value)>)> {
    vec![
        (
            "missing username",
            Box::new(|b: &mut Value| {
                b.as_object_mut().unwrap().remove("username");
            }),
        ),
        (
            "missing keys",
            Box::new(|b: &mut Value| {
                b.as_object_mut().unwrap().remove("keys");
            }),
        ),
        (
            "username of wrong type",
            Box::new(|b: &mut Value| b["username"] = json!(42)),
        ),
        (
            "over-long username",
            Box::new(|b: &mut Value| b["username"] = json!("x".repeat(33))),
        ),
        (
            "short username",
            Box::new(|b: &mut Value| b["username"] = json!("ab")),
        ),
        (
            "username with a space",
            Box::new(|b: &mut Value| b["username"] = json!("bad name")),
        ),
        (
            "auth key not base64",
            Box::new(|b: &mut Value| b["auth_key"] = json!("%%%not-base64%%%")),
        ),
        (
            "auth key of 31 bytes",
            Box::new(|b: &mut Value| b["auth_key"] = json!(STANDARD.encode([1u8; 31]))),
        ),
        (
            "unpadded base64",
            Box::new(|b: &mut Value| {
                b["auth_key"] = json!(STANDARD.encode([1u8; 32]).trim_end_matches('='))
            }),
        ),
        (
            "weak iterations",
            Box::new(|b: &mut Value| b["kdf"]["iterations"] = json!(100_000)),
        ),
        (
            "unknown kdf",
            Box::new(|b: &mut Value| b["kdf"]["name"] = json!("md5")),
        ),
        (
            "negative iterations",
            Box::new(|b: &mut Value| b["kdf"]["iterations"] = json!(-1)),
        ),
        (
            "salt of 8 bytes",
            Box::new(|b: &mut Value| b["salt"] = json!(STANDARD.encode([1u8; 8]))),
        ),
        (
            "2048-bit RSA key",
            Box::new(|b: &mut Value| b["keys"]["enc_public"] = json!(rsa2048_spki())),
        ),
        (
            "signing key as encryption key",
            Box::new(|b: &mut Value| b["keys"]["enc_public"] = b["keys"]["sig_public"].clone()),
        ),
        (
            "garbage signing key",
            Box::new(|b: &mut Value| b["keys"]["sig_public"] = json!(STANDARD.encode([4u8; 91]))),
        ),
        (
            "bad key signature",
            Box::new(|b: &mut Value| {
                let mut sig = STANDARD
                    .decode(b["keys"]["key_signature"].as_str().unwrap())
                    .unwrap();
                sig[10] ^= 1;
                b["keys"]["key_signature"] = json!(STANDARD.encode(sig));
            }),
        ),
        (
            "wrapped user key of wrong size",
            Box::new(|b: &mut Value| {
                b["keys"]["wrapped_user_key"] = json!(STANDARD.encode([0u8; 20]))
            }),
        ),
        (
            "wrapped private key too big",
            Box::new(|b: &mut Value| {
                b["keys"]["wrapped_enc_private"] = json!(STANDARD.encode(vec![0u8; 9000]))
            }),
        ),
        (
            "recovery auth key not base64",
            Box::new(|b: &mut Value| {
                b["recovery"] = json!({"auth_key": "???", "wrapped_user_key": random_key()})
            }),
        ),
    ]
}

#[tokio::test]
async fn register_refuses_every_malformed_field_and_writes_nothing() {
    let app = spawn_app().await;
    let user = TestUser::cheap("rita");
    let before = app.snapshot().await;
    for (what, mutate) in register_mutations() {
        let mut body = user.register_body();
        mutate(&mut body);
        let res = app.post("/api/auth/register", &body).await;
        let status = res.status();
        assert!(status.is_client_error(), "{what}: got {status}");
        assert_error(res, status).await;
    }
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused registration wrote something"
    );
    // The unmodified body still works: the refusals were about the mutations.
    let res = app.post("/api/auth/register", &user.register_body()).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_taken_username_is_a_conflict_in_any_case() {
    let app = spawn_app().await;
    let mut user = TestUser::cheap("sam");
    app.register(&mut user).await;
    let mut body = user.register_body();
    body["username"] = json!(user.username.to_uppercase());
    let before = app.snapshot().await;
    let res = app.post("/api/auth/register", &body).await;
    assert_eq!(
        assert_error(res, StatusCode::CONFLICT).await,
        "username_taken"
    );
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn malformed_json_wrong_content_type_and_oversized_bodies_are_4xx_json() {
    let app = spawn_app().await;
    let (_u, s) = app.signed_in("tess").await;
    let paths = [
        "/api/auth/prelogin",
        "/api/auth/register",
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/account/recover",
    ];
    let before = app.snapshot().await;
    for path in paths {
        let res = app
            .client
            .post(app.url(path))
            .header("content-type", "application/json")
            .body("{\"username\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(
            assert_error(res, StatusCode::BAD_REQUEST).await,
            "invalid_body",
            "{path}"
        );
        let res = app
            .client
            .post(app.url(path))
            .header("content-type", "text/plain")
            .body("hello")
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
        let huge = json!({"username": "x".repeat(100_000)});
        let res = app
            .client
            .post(app.url(path))
            .json(&huge)
            .send()
            .await
            .unwrap();
        assert_eq!(
            assert_error(res, StatusCode::PAYLOAD_TOO_LARGE).await,
            "payload_too_large",
            "{path}"
        );
        let res = app
            .client
            .post(app.url(path))
            .json(&json!([1, 2, 3]))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{path}");
    }
    for path in ["/api/account/password"] {
        let res = app
            .post_auth(path, &s.access_token, &json!({"auth_key": 5}))
            .await;
        assert_eq!(
            assert_error(res, StatusCode::BAD_REQUEST).await,
            "invalid_body",
            "{path}"
        );
    }
    let res = app
        .delete_auth("/api/account", &s.access_token, Some(&json!({})))
        .await;
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "invalid_body"
    );
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn login_prelogin_and_lookup_refuse_bad_fields() {
    let app = spawn_app().await;
    let (_u, s) = app.signed_in("uma").await;
    let res = app
        .post("/api/auth/prelogin", &json!({"username": "no"}))
        .await;
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "invalid_username"
    );
    let res = app
        .post(
            "/api/auth/login",
            &json!({"username": "someone", "auth_key": "short"}),
        )
        .await;
    assert!(assert_error(res, StatusCode::BAD_REQUEST)
        .await
        .starts_with("invalid_"));
    let res = app
        .post("/api/auth/login", &json!({"username": "someone"}))
        .await;
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "invalid_body"
    );
    let res = app.get_auth("/api/users/not-a-uuid", &s.access_token).await;
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "invalid_path"
    );
    let res = app.get_auth("/api/users", &s.access_token).await;
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "invalid_query"
    );
    let res = app
        .delete_auth("/api/sessions/xyz", &s.access_token, None)
        .await;
    assert_eq!(
        assert_error(res, StatusCode::BAD_REQUEST).await,
        "invalid_path"
    );
    let res = app
        .post(
            "/api/auth/refresh",
            &json!({"refresh_token": "x".repeat(500)}),
        )
        .await;
    assert_error(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn password_change_refuses_weak_parameters_and_changes_nothing() {
    let app = spawn_app().await;
    let (user, s) = app.signed_in("vic").await;
    let change = user
        .material
        .account
        .rewrap_for_password("new one", courier_protocol::limits::MIN_ITERATIONS)
        .unwrap();
    let mut body = serde_json::to_value(&change).unwrap();
    body["auth_key"] = json!(user.auth_key());
    body["kdf"]["iterations"] = json!(1000);
    let res = app
        .post_auth("/api/account/password", &s.access_token, &body)
        .await;
    assert_eq!(assert_error(res, StatusCode::BAD_REQUEST).await, "weak_kdf");
    let n = app
        .count("SELECT count(*) AS n FROM audit_events WHERE kind = 'password_changed'")
        .await;
    assert_eq!(n, 0);
    assert_eq!(
        app.get_auth("/api/sessions", &s.access_token)
            .await
            .status(),
        StatusCode::OK
    );
}
