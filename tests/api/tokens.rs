use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
    Engine,
};
use jsonwebtoken::{encode, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{chat::*, helpers::*};

pub fn random_key() -> String {
    STANDARD.encode(rand::random::<[u8; 32]>())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test]
async fn forged_expired_or_malformed_access_tokens_are_all_401() {
    let app = spawn_app().await;
    let (_user, s) = app.signed_in("nina").await;
    let secret = app.settings.jwt_secret.expose().to_owned();
    let (sub, sid) = (s.user_id.to_string(), s.session_id.to_string());
    let good = json!({"iss": "courier", "aud": "courier-api", "sub": sub, "sid": sid, "iat": now(), "exp": now() + 600});
    // Sanity: a token we sign the same way is accepted, so the rejections below mean something.
    assert_eq!(
        app.get_auth("/api/sessions", &sign(&good, &secret))
            .await
            .status(),
        StatusCode::OK
    );

    let mut cases: Vec<(&str, String)> = Vec::new();
    let header_none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(good.to_string());
    cases.push(("alg none", format!("{header_none}.{payload}.")));
    cases.push((
        "wrong key",
        sign(&good, "another-secret-that-is-long-enough-000000000"),
    ));
    let mut expired = good.clone();
    expired["exp"] = json!(now() - 120);
    cases.push(("expired", sign(&expired, &secret)));
    let mut string_exp = good.clone();
    string_exp["exp"] = json!((now() + 600).to_string());
    cases.push(("exp as a string", sign(&string_exp, &secret)));
    let mut no_aud = good.clone();
    no_aud.as_object_mut().unwrap().remove("aud");
    cases.push(("missing aud", sign(&no_aud, &secret)));
    let mut no_iss = good.clone();
    no_iss.as_object_mut().unwrap().remove("iss");
    cases.push(("missing iss", sign(&no_iss, &secret)));
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("someone-else");
    cases.push(("wrong aud", sign(&wrong_aud, &secret)));
    cases.push(("a refresh token", s.refresh_token.clone()));
    let mut parts: Vec<String> = s.access_token.split('.').map(str::to_owned).collect();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(&parts[1]).unwrap()).unwrap();
    claims["exp"] = json!(now() + 100_000);
    parts[1] = URL_SAFE_NO_PAD.encode(claims.to_string());
    cases.push(("tampered payload", parts.join(".")));
    let hs512 = encode(
        &Header::new(jsonwebtoken::Algorithm::HS512),
        &good,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    cases.push(("another algorithm", hs512));
    cases.push(("garbage", "not.a.jwt".into()));

    for (what, token) in cases {
        let res = app.get_auth("/api/sessions", &token).await;
        assert_eq!(
            assert_error(res, StatusCode::UNAUTHORIZED).await,
            "unauthenticated",
            "{what}"
        );
    }
    let res = app
        .client
        .get(app.url("/api/sessions"))
        .send()
        .await
        .unwrap();
    assert_error(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_token_for_a_revoked_session_is_refused_even_before_it_expires() {
    let app = spawn_app().await;
    let (_user, s) = app.signed_in("oscar").await;
    app.post_auth("/api/auth/logout", &s.access_token, &json!({}))
        .await;
    let res = app.get_auth("/api/sessions", &s.access_token).await;
    assert_error(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn a_revoked_session_cannot_post_and_nothing_is_stored() {
    // Posting checks the session inside its one statement (not in the extractor): same rule.
    let app = spawn_app().await;
    let (_a, s) = app.signed_in("olga").await;
    let (_b, other) = app.signed_in("oleg").await;
    let cid = id_of(&app.conversation(&s, &[other.user_id], None).await);
    app.post_auth("/api/auth/logout", &s.access_token, &json!({}))
        .await;
    let envelope = fake(
        cid,
        uuid::Uuid::new_v4(),
        s.user_id,
        &[s.user_id, other.user_id],
        32,
    );
    let res = app.post_envelope(&s, cid, &envelope).await;
    assert_eq!(
        assert_error(res, StatusCode::UNAUTHORIZED).await,
        "unauthenticated"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM messages").await, 0);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events WHERE kind = 'message'")
            .await,
        0
    );
}
