use reqwest::StatusCode;
use serde_json::json;

use crate::{helpers::*, tokens::random_key};

#[tokio::test]
async fn failed_logins_beyond_the_limit_get_429_but_other_accounts_and_addresses_do_not() {
    let app = spawn_app().await; // 5 failures per account in the test settings
    let mut victim = TestUser::cheap("wendy");
    app.register(&mut victim).await;
    let mut bystander = TestUser::cheap("xena");
    app.register(&mut bystander).await;

    for _ in 0..5 {
        let res = app
            .post(
                "/api/auth/login",
                &json!({"username": victim.username, "auth_key": random_key()}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app
        .post(
            "/api/auth/login",
            &json!({"username": victim.username, "auth_key": random_key()}),
        )
        .await;
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= 900);
    assert_eq!(
        assert_error(res, StatusCode::TOO_MANY_REQUESTS).await,
        "too_many_requests"
    );
    // Even the right key waits: the limit is not an oracle for the right one.
    let res = app
        .post(
            "/api/auth/login",
            &json!({"username": victim.username, "auth_key": victim.auth_key()}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);

    // Another account from another address is unaffected.
    let elsewhere = client_from(Some("127.0.0.2".parse().unwrap()));
    let res = elsewhere
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": bystander.username, "auth_key": bystander.auth_key()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn one_address_failing_across_many_accounts_is_limited_too() {
    let app = spawn_app_with(|s| s.login_failures_per_ip = 4).await;
    for _ in 0..4 {
        let res = app
            .post(
                "/api/auth/login",
                &json!({"username": unique_name("spray"), "auth_key": random_key()}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = app
        .post(
            "/api/auth/login",
            &json!({"username": unique_name("spray"), "auth_key": random_key()}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let n = app.count("SELECT count(*) AS n FROM login_failures").await;
    assert_eq!(n, 4, "throttled attempts do not even reach bcrypt");
}

#[tokio::test]
async fn a_login_flood_gets_429s_while_health_checks_keep_answering() {
    // One bcrypt at a time, four waiting: the rest are turned away at once.
    let app = spawn_app_with(|s| {
        s.bcrypt_cost = 10;
        s.bcrypt_concurrency = 1;
        s.bcrypt_queue = 4;
        s.login_failures_per_account = 1000;
        s.login_failures_per_ip = 1000;
    })
    .await;
    let mut user = TestUser::cheap("yuri");
    app.register(&mut user).await;
    let flood: Vec<_> = (0..40)
        .map(|_| {
            let (client, url, body) = (
                app.client.clone(),
                app.url("/api/auth/login"),
                json!({"username": user.username, "auth_key": user.auth_key()}),
            );
            tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap().status() })
        })
        .collect();
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let mut ok = 0;
    let mut limited = 0;
    for f in flood {
        match f.await.unwrap() {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(ok >= 1, "some logins go through");
    assert!(
        limited >= 1,
        "excess logins are refused with 429, not queued forever"
    );
}
