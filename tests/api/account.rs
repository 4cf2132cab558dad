use courier_protocol::crypto::{self, LoginKeys, PasswordKeys, UnlockedAccount, UserKey};
use courier_protocol::limits::{MIN_ITERATIONS};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::*;

const NEW_PASSWORD: &str = "a much better passphrase";

async fn prelogin_keys(app: &TestApp, username: &str, password: &str) -> PasswordKeys {
    use base64::Engine;
    let pre: Value = app
        .post("/api/auth/prelogin", &json!({"username": username}))
        .await
        .json()
        .await
        .unwrap();
    let salt = base64::engine::general_purpose::STANDARD
        .decode(pre["salt"].as_str().unwrap())
        .unwrap();
    PasswordKeys::derive(
        password,
        &salt,
        pre["kdf"]["iterations"].as_u64().unwrap() as u32,
    )
    .unwrap()
}

async fn login_with(app: &TestApp, username: &str, keys: &PasswordKeys) -> reqwest::Response {
    app.post(
        "/api/auth/login",
        &json!({"username": username, "auth_key": keys.auth_key_b64()}),
    )
    .await
}

#[tokio::test]
async fn a_password_change_rewraps_the_user_key_and_ends_the_other_sessions() {
    let app = spawn_app().await;
    let mut user = TestUser::real("henry");
    app.register(&mut user).await;
    let this = app.login(&user).await;
    let other = app.login(&user).await;

    let change = user
        .material
        .account
        .rewrap_for_password(NEW_PASSWORD, MIN_ITERATIONS)
        .unwrap();
    let mut body = serde_json::to_value(&change).unwrap();
    body["auth_key"] = json!(user.auth_key());
    let res = app
        .post_auth("/api/account/password", &this.access_token, &body)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NO_CONTENT,
        "{}",
        res.text().await.unwrap()
    );

    assert_eq!(
        app.get_auth("/api/sessions", &this.access_token)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get_auth("/api/sessions", &other.access_token)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .post(
            "/api/auth/refresh",
            &json!({"refresh_token": other.refresh_token}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let old = login_with(&app, &user.username, &user.material.password_keys).await;
    assert_eq!(
        old.status(),
        StatusCode::UNAUTHORIZED,
        "the old password no longer works"
    );
    let keys = prelogin_keys(&app, &user.username, NEW_PASSWORD).await;
    let res = login_with(&app, &user.username, &keys).await;
    assert_eq!(res.status(), StatusCode::OK);
    let login: Value = res.json().await.unwrap();
    let login_keys: LoginKeys = serde_json::from_value(login["keys"].clone()).unwrap();
    let unlocked = UnlockedAccount::unlock(&user.username, &keys, &login_keys).unwrap();
    assert_eq!(
        unlocked.enc_public_spki(),
        user.material.account.enc_public_spki(),
        "same keys, new wrap"
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_events WHERE kind = 'password_changed'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_wrong_current_key_changes_nothing() {
    let app = spawn_app().await;
    let (user, s) = app.signed_in("ivy").await;
    let change = user
        .material
        .account
        .rewrap_for_password(NEW_PASSWORD, MIN_ITERATIONS)
        .unwrap();
    let mut body = serde_json::to_value(&change).unwrap();
    body["auth_key"] = json!(PasswordKeys::derive("wrong", &[1u8; 16], MIN_ITERATIONS)
        .unwrap()
        .auth_key_b64());
    let res = app
        .post_auth("/api/account/password", &s.access_token, &body)
        .await;
    assert_error(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        login_with(&app, &user.username, &user.material.password_keys)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_recovery_key_resets_the_password_and_keeps_the_keys() {
    let app = spawn_app().await;
    let mut user = TestUser::real("judy");
    app.register(&mut user).await;
    let s = app.login(&user).await;
    let recovery = user.material.recovery_key.as_ref().unwrap();
    let recovery_auth = crypto::recovery_auth_key_b64(recovery);

    // Step 1: prove the recovery key, get the user key wrapped under it.
    let res = app
        .post(
            "/api/account/recover",
            &json!({"username": user.username, "recovery_auth_key": recovery_auth}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let challenge: Value = res.json().await.unwrap();
    use base64::Engine;
    let wrapped = base64::engine::general_purpose::STANDARD
        .decode(challenge["wrapped_user_key"].as_str().unwrap())
        .unwrap();
    let user_key = UserKey::unwrap_with_recovery(&user.username, recovery, &wrapped).unwrap();

    // Step 2: a new password for the same user key.
    let change =
        crypto::PasswordChange::new(&user.username, &user_key, NEW_PASSWORD, MIN_ITERATIONS)
            .unwrap();
    let mut body = serde_json::to_value(&change).unwrap();
    body["username"] = json!(user.username);
    body["recovery_auth_key"] = json!(recovery_auth);
    let res = app.post("/api/account/recover", &body).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    assert_eq!(
        app.get_auth("/api/sessions", &s.access_token)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let keys = prelogin_keys(&app, &user.username, NEW_PASSWORD).await;
    let login: Value = login_with(&app, &user.username, &keys)
        .await
        .json()
        .await
        .unwrap();
    let login_keys: LoginKeys = serde_json::from_value(login["keys"].clone()).unwrap();
    let unlocked = UnlockedAccount::unlock(&user.username, &keys, &login_keys).unwrap();
    assert_eq!(
        unlocked.sig_public_spki(),
        user.material.account.sig_public_spki()
    );

    // A wrong recovery key is refused like a wrong password.
    let res = app
        .post(
            "/api/account/recover",
            &json!({"username": user.username, "recovery_auth_key": user.auth_key()}),
        )
        .await;
    assert_error(res, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn deleting_the_account_needs_the_auth_key_and_removes_it() {
    let app = spawn_app().await;
    let (user, s) = app.signed_in("kim").await;
    let (_other, o) = app.signed_in("lee").await;
    let id = s.user_id;

    let res = app
        .delete_auth(
            "/api/account",
            &s.access_token,
            Some(&json!({"auth_key": o.login["user"]["id"]})),
        )
        .await;
    assert_eq!(res.status().as_u16() / 100, 4, "garbage auth key refused");
    let res = app
        .delete_auth("/api/account", &s.access_token, Some(&json!({"auth_key": PasswordKeys::derive("x", &[2u8; 16], MIN_ITERATIONS).unwrap().auth_key_b64()})))
        .await;
    assert_error(res, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = '{id}'"
        ))
        .await,
        1
    );

    let res = app
        .delete_auth(
            "/api/account",
            &s.access_token,
            Some(&json!({"auth_key": user.auth_key()})),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = '{id}'"
        ))
        .await,
        0
    );
    assert_eq!(
        app.get_auth("/api/sessions", &s.access_token)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get_auth(&format!("/api/users/{id}"), &o.access_token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        login_with(&app, &user.username, &user.material.password_keys)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_events WHERE kind = 'account_deleted'")
            .await,
        1
    );
}

#[tokio::test]
async fn security_events_land_in_the_audit_table_with_request_ids() {
    let app = spawn_app().await;
    let (user, _s) = app.signed_in("mia").await;
    let _ = app
        .post(
            "/api/auth/login",
            &json!({"username": user.username, "auth_key": crate::tokens::random_key()}),
        )
        .await;
    for kind in ["register", "login_ok", "login_failed"] {
        let n = app
            .count(&format!("SELECT count(*) AS n FROM audit_events WHERE kind = '{kind}' AND request_id <> '' AND ip <> ''"))
            .await;
        assert_eq!(n, 1, "{kind}");
    }
}
