use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::{helpers::*, tokens::random_key};

#[tokio::test]
async fn prelogin_of_an_unknown_name_is_stable_case_insensitive_and_shaped_like_a_real_one() {
    let app = spawn_app().await;
    let mut real = TestUser::cheap("paula");
    app.register(&mut real).await;
    let ghost = unique_name("ghost");

    let a: Value = app
        .post("/api/auth/prelogin", &json!({"username": ghost}))
        .await
        .json()
        .await
        .unwrap();
    let b: Value = app
        .post("/api/auth/prelogin", &json!({"username": ghost}))
        .await
        .json()
        .await
        .unwrap();
    let c: Value = app
        .post(
            "/api/auth/prelogin",
            &json!({"username": ghost.to_uppercase()}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
    let r: Value = app
        .post("/api/auth/prelogin", &json!({"username": real.username}))
        .await
        .json()
        .await
        .unwrap();
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&a), keys(&r));
    assert_eq!(a["kdf"], r["kdf"]);
    assert_eq!(
        a["salt"].as_str().unwrap().len(),
        r["salt"].as_str().unwrap().len()
    );
    assert_ne!(a["salt"], r["salt"]);
    let other: Value = app
        .post(
            "/api/auth/prelogin",
            &json!({"username": unique_name("ghost")}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(
        a["salt"], other["salt"],
        "fake salts differ per name, like real ones"
    );
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_key_get_the_same_answer() {
    let app = spawn_app().await;
    let mut real = TestUser::cheap("quinn");
    app.register(&mut real).await;
    let wrong = app
        .post(
            "/api/auth/login",
            &json!({"username": real.username, "auth_key": random_key()}),
        )
        .await;
    let unknown = app
        .post(
            "/api/auth/login",
            &json!({"username": unique_name("nobody"), "auth_key": random_key()}),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status(), unknown.status());
    let (w, u): (Value, Value) = (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(w, u);
}
