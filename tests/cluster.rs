//! Several real instances behind real nginx, on each bus: streams spread over the instances get
//! everything; an instance killed (-9) or drained (SIGTERM), Redis restarted or PostgreSQL
//! restarted while five senders send loses nothing and duplicates nothing (after the client's
//! dedupe by id). Attachments on a shared S3-compatible store (`cluster/attachments.rs`). Needs
//! nginx and redis-server (apt), PostgreSQL and moto's S3 server (PyPI; scripts/test.sh
//! installs them all).

#[path = "cluster/attachments.rs"]
mod attachments;
#[path = "cluster/harness.rs"]
mod harness;
#[path = "cluster/people.rs"]
mod people;
#[allow(dead_code)]
#[path = "api/sse.rs"]
mod sse;

use std::time::Duration;

use harness::{fresh_shared_database, Cluster, Postgres, Redis};
use people::{Crowd, Disruption};

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().danger_accept_invalid_certs(true).timeout(Duration::from_secs(30)).build().unwrap()
}

/// Three instances on a fresh shared database, with Redis or LISTEN/NOTIFY.
async fn three(redis: Option<&Redis>) -> Cluster {
    Cluster::start(3, fresh_shared_database(), redis.map(Redis::url)).await
}

async fn streams_spread_over_instances_receive_everything(redis: Option<&Redis>) {
    let cluster = three(redis).await;
    let metrics = client().get(format!("{}/metrics", cluster.url)).send().await.unwrap();
    assert_eq!(metrics.status(), 404, "nginx does not expose /metrics");
    for inst in &cluster.instances {
        let direct = reqwest::get(format!("{}/metrics", inst.url())).await.unwrap();
        assert_eq!(direct.status(), 404, "{}: /metrics is on METRICS_ADDR, not the app port", inst.id);
    }
    let crowd = Crowd::gather(&cluster, 9).await;
    let spread = crowd.wait_spread(&cluster).await;
    assert!(spread.iter().all(|n| *n > 0), "streams not spread over every instance: {spread:?}");
    crowd.send_and_check(&cluster, 30, Disruption::None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streams_spread_over_instances_receive_everything_on_postgres() {
    streams_spread_over_instances_receive_everything(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn streams_spread_over_instances_receive_everything_on_redis() {
    let redis = Redis::start();
    streams_spread_over_instances_receive_everything(Some(&redis)).await;
}

async fn a_killed_instance_loses_nothing(redis: Option<&Redis>) {
    let mut cluster = three(redis).await;
    let crowd = Crowd::gather(&cluster, 6).await;
    let spread = crowd.wait_spread(&cluster).await;
    assert!(spread[0] > 0, "the instance to stop holds streams: {spread:?}");
    crowd.send_and_check(&cluster, 40, Disruption::Kill(0)).await;
    assert!(cluster.instances[0].proc.exited_within(Duration::from_secs(5)).await.is_some());
    // Brought back, it serves again (its presence rows were reaped or replaced).
    cluster.restart(0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_instance_loses_nothing_on_postgres() {
    a_killed_instance_loses_nothing(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_instance_loses_nothing_on_redis() {
    let redis = Redis::start();
    a_killed_instance_loses_nothing(Some(&redis)).await;
}

async fn a_draining_instance_loses_nothing_and_exits_in_time(redis: Option<&Redis>) {
    let mut cluster = three(redis).await;
    let crowd = Crowd::gather(&cluster, 6).await;
    let spread = crowd.wait_spread(&cluster).await;
    assert!(spread[0] > 0, "the instance to stop holds streams: {spread:?}");
    crowd.send_and_check(&cluster, 40, Disruption::Drain(0)).await;
    let status = cluster.instances[0].proc.exited_within(Duration::from_secs(15)).await;
    assert!(status.is_some_and(|s| s.success()), "a drained instance exits cleanly in time: {status:?}");
    // It forgot its presence: no row of it is left for the reaper.
    let rows = people::count(&cluster.database_url, "SELECT count(*) AS n FROM instances WHERE id = 'node1'").await;
    assert_eq!(rows, 0, "the drained instance removed its presence rows");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_draining_instance_loses_nothing_and_exits_in_time_on_postgres() {
    a_draining_instance_loses_nothing_and_exits_in_time(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_draining_instance_loses_nothing_and_exits_in_time_on_redis() {
    let redis = Redis::start();
    a_draining_instance_loses_nothing_and_exits_in_time(Some(&redis)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_redis_restart_mid_run_loses_nothing() {
    let mut redis = Redis::start();
    let cluster = three(Some(&redis)).await;
    let crowd = Crowd::gather(&cluster, 6).await;
    crowd.wait_spread(&cluster).await;
    crowd.send_and_check(&cluster, 40, Disruption::Redis(&mut redis)).await;
}

async fn a_postgres_restart_answers_503_then_recovers(with_redis: bool) {
    let pg = Postgres::start();
    let redis = with_redis.then(Redis::start);
    let cluster = Cluster::start(3, pg.url(), redis.as_ref().map(Redis::url)).await;
    let crowd = Crowd::gather(&cluster, 6).await;
    crowd.wait_spread(&cluster).await;
    let unavailable = crowd.send_and_check(&cluster, 30, Disruption::Postgres(&pg)).await;
    assert!(unavailable > 0, "requests while PostgreSQL was down were answered 503");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_answers_503_then_recovers_on_postgres_bus() {
    a_postgres_restart_answers_503_then_recovers(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_restart_answers_503_then_recovers_on_redis_bus() {
    a_postgres_restart_answers_503_then_recovers(true).await;
}
