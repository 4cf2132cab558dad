use courier_protocol::crypto::{self, KeyBundle, PasswordKeys, UnlockedAccount};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

fn b64d(s: &Value) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s.as_str().unwrap())
        .unwrap()
}

#[tokio::test]
async fn what_login_returns_unwraps_with_keys_derived_from_the_password() {
    let app = spawn_app().await;
    let mut user = TestUser::real("alice");
    let id = app.register(&mut user).await;

    // A fresh client knows only the name and the password.
    let pre: Value = app
        .post(
            "/api/auth/prelogin",
            &json!({"username": user.username.to_uppercase()}),
        )
        .await
        .json()
        .await
        .unwrap();
    let salt = b64d(&pre["salt"]);
    let iterations = pre["kdf"]["iterations"].as_u64().unwrap() as u32;
    assert_eq!(pre["kdf"]["name"], "pbkdf2-sha256");
    let keys = PasswordKeys::derive(PASSWORD, &salt, iterations).unwrap();

    let res = app
        .post(
            "/api/auth/login",
            &json!({"username": user.username, "auth_key": keys.auth_key_b64()}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let login: Value = res.json().await.unwrap();
    assert_eq!(login["user"]["id"], id.to_string());
    assert!(login["expires_in"].as_u64().unwrap() <= 900);
    let login_keys: KeyBundle = serde_json::from_value(login["keys"].clone()).unwrap();
    let unlocked = UnlockedAccount::unlock(&user.username, &keys, &login_keys).unwrap();
    assert_eq!(
        unlocked.enc_public_spki(),
        user.material.account.enc_public_spki()
    );
    assert_eq!(
        unlocked.sig_public_spki(),
        user.material.account.sig_public_spki()
    );

    // A wrong password derives keys that neither log in nor unwrap.
    let wrong = PasswordKeys::derive("not the password", &salt, iterations).unwrap();
    assert!(UnlockedAccount::unlock(&user.username, &wrong, &login_keys).is_err());
}

#[tokio::test]
async fn refresh_rotates_and_reuse_of_an_old_token_revokes_the_session() {
    // No grace window here: the retired token's first reuse already counts as theft
    // (tests/attacks/tokens.rs covers the window).
    let app = spawn_app_with(|s| s.refresh_grace = std::time::Duration::ZERO).await;
    let (_user, s) = app.signed_in("bob").await;

    let res = app
        .post(
            "/api/auth/refresh",
            &json!({"refresh_token": s.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let pair: Value = res.json().await.unwrap();
    let new_refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let new_access = pair["access_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, s.refresh_token);
    assert_eq!(
        app.get_auth("/api/sessions", &new_access).await.status(),
        StatusCode::OK
    );

    // The retired token comes back: the whole session dies.
    let res = app
        .post(
            "/api/auth/refresh",
            &json!({"refresh_token": s.refresh_token}),
        )
        .await;
    assert_eq!(
        assert_error(res, StatusCode::UNAUTHORIZED).await,
        "unauthenticated"
    );
    let res = app
        .post("/api/auth/refresh", &json!({"refresh_token": new_refresh}))
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get_auth("/api/sessions", &new_access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_events WHERE kind = 'refresh_reuse'")
            .await,
        1
    );
}

#[tokio::test]
async fn browsers_get_the_refresh_token_as_a_host_only_httponly_cookie() {
    let app = spawn_app().await;
    let mut user = TestUser::cheap("carol");
    app.register(&mut user).await;
    let res = app
        .post(
            "/api/auth/login",
            &json!({"username": user.username, "auth_key": user.auth_key(), "use_cookie": true}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in [
        "__Host-courier_refresh=",
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Path=/",
    ] {
        assert!(cookie.contains(part), "{part} missing from {cookie}");
    }
    let body: Value = res.json().await.unwrap();
    assert!(
        body.get("refresh_token").is_none(),
        "the refresh token must not also be in the body"
    );

    let token = cookie.split(';').next().unwrap().to_owned();
    let res = app
        .client
        .post(app.url("/api/auth/refresh"))
        .header("cookie", &token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .starts_with("__Host-courier_refresh="));
    let pair: Value = res.json().await.unwrap();
    assert!(pair["access_token"].is_string() && pair.get("refresh_token").is_none());
}

#[tokio::test]
async fn logout_ends_the_session_and_its_refresh_token() {
    let app = spawn_app().await;
    let (user, s) = app.signed_in("dave").await;
    let other = app.login(&user).await;
    let res = app
        .post_auth("/api/auth/logout", &s.access_token, &json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_auth("/api/sessions", &s.access_token)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .post(
            "/api/auth/refresh",
            &json!({"refresh_token": s.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // The user's other device is untouched.
    assert_eq!(
        app.get_auth("/api/sessions", &other.access_token)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn sessions_are_listed_and_revoked_only_by_their_owner() {
    let app = spawn_app().await;
    let (user, first) = app.signed_in("erin").await;
    let second = app.login(&user).await;
    let (_mallory, m) = app.signed_in("mallory").await;

    let list: Value = app
        .get_auth("/api/sessions", &first.access_token)
        .await
        .json()
        .await
        .unwrap();
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let current: Vec<_> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], first.session_id.to_string());

    let path = format!("/api/sessions/{}", second.session_id);
    let res = app.delete_auth(&path, &m.access_token, None).await;
    assert_eq!(assert_error(res, StatusCode::NOT_FOUND).await, "not_found");
    assert_eq!(
        app.get_auth("/api/sessions", &second.access_token)
            .await
            .status(),
        StatusCode::OK
    );

    let res = app.delete_auth(&path, &first.access_token, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_auth("/api/sessions", &second.access_token)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn users_are_found_by_exact_name_or_id_with_keys_and_fingerprint() {
    let app = spawn_app().await;
    let mut target = TestUser::real("frank");
    let id = app.register(&mut target).await;
    let (_me, s) = app.signed_in("grace").await;

    let by_name: Value = app
        .get_auth(
            &format!("/api/users?username={}", target.username.to_uppercase()),
            &s.access_token,
        )
        .await
        .json()
        .await
        .unwrap();
    let by_id: Value = app
        .get_auth(&format!("/api/users/{id}"), &s.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_name, by_id);
    assert_eq!(by_name["id"], id.to_string());
    let expected = crypto::fingerprint(
        id,
        target.material.account.enc_public_spki(),
        target.material.account.sig_public_spki(),
    );
    assert_eq!(by_name["fingerprint"], expected);
    assert_eq!(
        b64d(&by_name["enc_public"]),
        target.material.account.enc_public_spki()
    );
    assert!(
        by_name.get("wrapped_user_key").is_none(),
        "lookups never expose wrapped keys"
    );

    let prefix = &target.username[..5];
    let res = app
        .get_auth(&format!("/api/users?username={prefix}"), &s.access_token)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "no prefix search");
    let res = app
        .client
        .get(app.url(&format!("/api/users/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "lookups need a signed-in user"
    );
}
