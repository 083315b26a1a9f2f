//! Injected faults and rate limits, over raw HTTP.

mod common;

use std::time::Duration;

use common::*;
use reginv_emulator::{Emulator, Faults};
use reginv_huawei::signing::HuaweiSigner;

const NCP_PATH: &str = "/ncr/api/v2/repositories?page=1&pagesize=10";
const SWR_PATH: &str = "/v2/manage/repos?limit=10&offset=0";

async fn with(faults: Faults) -> Emulator {
    Emulator::builder().faults(faults).start().await.unwrap()
}

/// The status of a request, or 0 when the connection was dropped.
async fn status_of(result: Result<Resp, reqwest::Error>) -> u16 {
    match result {
        Ok(r) => r.status,
        Err(_) => 0,
    }
}

#[tokio::test]
async fn throttling_in_each_vendors_shape_until_the_cap() {
    let emu = with(Faults {
        throttle_rate: 1.0,
        retry_after_secs: 1,
        max_consecutive_faults: 3,
        ..Faults::none()
    })
    .await;
    for _ in 0..3 {
        let r = ncp_get(&emu, NCP_PATH).await;
        assert_eq!(r.status, 429);
        assert_eq!(r.header("retry-after").as_deref(), Some("1"));
        assert_eq!(r.json()["error"]["errorCode"], "420");
    }
    assert_eq!(
        ncp_get(&emu, NCP_PATH).await.status,
        200,
        "the 4th attempt is served"
    );
    assert_eq!(
        ncp_get(&emu, NCP_PATH).await.status,
        429,
        "then faults start again"
    );
    for _ in 0..3 {
        let r = swr_get(&emu, SWR_PATH).await;
        assert_eq!(r.status, 429);
        assert_eq!(r.header("retry-after").as_deref(), Some("1"));
        let v = r.json();
        assert_eq!(v["error_code"], "APIGW.0308");
        assert!(v["request_id"].is_string());
    }
    assert_eq!(swr_get(&emu, SWR_PATH).await.status, 200);
    let stats = emu.stats();
    assert_eq!(stats.throttled, 7);
    assert_eq!(stats.faults_injected, 7);
    assert_eq!(stats.status_total(429), 7);
}

#[tokio::test]
async fn server_errors_in_each_vendors_shape() {
    let emu = with(Faults {
        seed: 5,
        server_error_rate: 1.0,
        max_consecutive_faults: 1000,
        ..Faults::none()
    })
    .await;
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..12 {
        let r = ncp_get(&emu, &format!("/ncr/api/v2/repositories?page={}", i + 1)).await;
        assert!([500, 502, 503].contains(&r.status), "{}", r.status);
        seen.insert(r.status);
        let code = r.json()["error"]["errorCode"].as_str().unwrap().to_string();
        assert!(["500", "900"].contains(&code.as_str()), "{code}");
        let r = swr_get(&emu, SWR_PATH).await;
        assert!([500, 502, 503].contains(&r.status));
        let code = r.json()[0]["errorCode"].as_str().unwrap().to_string();
        assert!(
            code.starts_with(&format!("SVCSTG.SWR.{}", r.status)),
            "{code}"
        );
    }
    assert!(seen.len() >= 2, "a mix of 500/502/503: {seen:?}");
    assert_eq!(emu.stats().server_errors, 24);
}

#[tokio::test]
async fn dropped_connections_are_connection_errors() {
    let emu = with(Faults {
        drop_rate: 1.0,
        max_consecutive_faults: 2,
        ..Faults::none()
    })
    .await;
    for _ in 0..2 {
        let err = try_ncp_get(&emu, NCP_PATH)
            .await
            .expect_err("no response expected");
        assert!(!err.is_status() && !err.is_decode(), "{err:?}");
    }
    assert_eq!(try_ncp_get(&emu, NCP_PATH).await.unwrap().status, 200);
    for _ in 0..2 {
        assert!(try_swr_get(&emu, SWR_PATH).await.is_err());
    }
    assert_eq!(try_swr_get(&emu, SWR_PATH).await.unwrap().status, 200);
    let stats = emu.stats();
    assert_eq!(stats.dropped, 4);
    assert_eq!(stats.count("GET /ncr/api/v2/repositories", 0), 2);
    assert_eq!(stats.count("GET /v2/manage/repos", 0), 2);
    assert_eq!(
        stats.in_flight, 0,
        "dropped requests are no longer in flight"
    );
}

#[tokio::test]
async fn truncated_bodies_are_complete_but_invalid_json() {
    let emu = with(Faults {
        truncate_rate: 1.0,
        max_consecutive_faults: 1,
        ..Faults::none()
    })
    .await;
    for path in [
        NCP_PATH,
        "/ncr/api/v2/repositories/acme-prod/payments%2Fapi/tags",
    ] {
        let r = ncp_get(&emu, path).await;
        assert_eq!(r.status, 200);
        let length: usize = r.header("content-length").unwrap().parse().unwrap();
        assert_eq!(length, r.body.len(), "Content-Length matches the cut body");
        assert!(!r.body.is_empty());
        assert!(
            serde_json::from_str::<serde_json::Value>(&r.body).is_err(),
            "{}",
            r.body
        );
        // The next identical request is served whole (cap of 1).
        let whole = ncp_get(&emu, path).await;
        assert!(whole.body.starts_with(&r.body) && whole.body.len() > r.body.len());
        whole.json();
    }
    let r = swr_get(&emu, SWR_PATH).await;
    assert!(serde_json::from_str::<serde_json::Value>(&r.body).is_err());
    // Errors are not truncated: a 404 stays whole.
    let r = ncp_get(&emu, "/ncr/api/v2/repositories/nope").await;
    assert_eq!(r.status, 404);
    r.json();
    assert_eq!(emu.stats().truncated, 3);
}

/// The statuses a fixed sequence of requests gets (0 = dropped).
async fn sequence(faults: Faults) -> Vec<u16> {
    let emu = with(faults).await;
    let mut out = Vec::new();
    for i in 0..40 {
        let page = i % 4 + 1;
        out.push(
            status_of(
                try_ncp_get(
                    &emu,
                    &format!("/ncr/api/v2/repositories?page={page}&pagesize=1"),
                )
                .await,
            )
            .await,
        );
        out.push(status_of(try_swr_get(&emu, SWR_PATH).await).await);
    }
    out
}

#[tokio::test]
async fn faults_are_deterministic_for_a_seed() {
    let faults = |seed| Faults {
        seed,
        max_consecutive_faults: 2,
        ..Faults::none().with_fault_rate(0.6)
    };
    let a = sequence(faults(99)).await;
    let b = sequence(faults(99)).await;
    let c = sequence(faults(100)).await;
    assert_eq!(a, b, "same seed, same faults");
    assert_ne!(a, c, "another seed, other faults");
    for status in [0, 200, 429] {
        assert!(a.contains(&status), "{status} in {a:?}");
    }
    assert!(a.iter().any(|s| *s >= 500));
}

#[tokio::test]
async fn a_retrying_client_always_gets_through() {
    let emu = with(Faults {
        seed: 4,
        max_consecutive_faults: 3,
        ..Faults::none().with_fault_rate(0.9)
    })
    .await;
    let mut retried = 0;
    for page in 1..=25 {
        let path = format!("/ncr/api/v2/repositories?page={page}&pagesize=1");
        let mut attempts = 0;
        loop {
            attempts += 1;
            assert!(attempts <= 4, "{path}: more than 3 faults in a row");
            match try_ncp_get(&emu, &path).await {
                Ok(r)
                    if r.status == 200
                        && serde_json::from_str::<serde_json::Value>(&r.body).is_ok() =>
                {
                    break
                }
                _ => retried += 1,
            }
        }
    }
    assert!(retried > 20, "faults were injected: {retried}");
    assert_eq!(emu.stats().faults_injected, retried);
}

#[tokio::test]
async fn rate_limit_per_credential_answers_429() {
    let emu = with(Faults {
        rate_limit_per_second: Some(3),
        retry_after_secs: 1,
        ..Faults::none()
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let r = ncp_get(&emu, NCP_PATH).await;
        if r.status == 429 {
            assert_eq!(r.json()["error"]["errorCode"], "420");
            assert_eq!(r.header("retry-after").as_deref(), Some("1"));
        }
        statuses.push(r.status);
    }
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(limited >= 1, "{statuses:?}");
    assert_eq!(
        statuses[..3],
        [200, 200, 200],
        "the first requests of a window pass"
    );
    let mut swr_limited = 0;
    for _ in 0..12 {
        let r = swr_get(&emu, SWR_PATH).await;
        if r.status == 429 {
            assert_eq!(r.json()["error_code"], "APIGW.0308");
            swr_limited += 1;
        }
    }
    assert!(swr_limited >= 1);
    let stats = emu.stats();
    assert_eq!(stats.rate_limited as usize, limited + swr_limited);
    assert_eq!(
        stats.faults_injected, 0,
        "the rate limit is not a random fault"
    );
}

#[tokio::test]
async fn total_skew_changes_announced_totals_only() {
    let emu = with(Faults {
        total_skew: 5,
        ..Faults::none()
    })
    .await;
    let v = ncp_get(&emu, NCP_PATH).await.json();
    assert_eq!(v["count"], 2 + 5);
    assert_eq!(v["results"].as_array().unwrap().len(), 2);
    let r = swr_get(&emu, SWR_PATH).await;
    assert_eq!(r.content_range().unwrap(), "0-5/11");
    assert_eq!(r.json()[0]["total_range"], 11);
    assert_eq!(r.json().as_array().unwrap().len(), 6);
    let r = swr_get(
        &emu,
        "/v2/manage/namespaces/acme/repos/team$app/tags?limit=2&offset=0",
    )
    .await;
    assert_eq!(r.content_range().unwrap(), "0-1/8");
    emu.set_faults(Faults {
        total_skew: -100,
        ..Faults::none()
    });
    assert_eq!(ncp_get(&emu, NCP_PATH).await.json()["count"], 0);
    assert_eq!(
        swr_get(&emu, SWR_PATH).await.content_range().unwrap(),
        "0-5/0"
    );
}

#[tokio::test]
async fn faults_change_at_runtime_and_latency_applies() {
    let emu = with(Faults::none()).await;
    assert_eq!(ncp_get(&emu, NCP_PATH).await.status, 200);
    emu.set_faults(Faults {
        throttle_rate: 1.0,
        ..Faults::none()
    });
    assert_eq!(emu.faults().throttle_rate, 1.0);
    assert_eq!(ncp_get(&emu, NCP_PATH).await.status, 429);
    // With latency, concurrent requests overlap: the peak in flight shows it.
    emu.set_faults(Faults {
        latency: Duration::from_millis(300),
        latency_jitter: Duration::from_millis(20),
        ..Faults::none()
    });
    emu.reset_stats();
    let mut tasks = tokio::task::JoinSet::new();
    let base = emu.base_url();
    let creds = emu.swr_credentials();
    for i in 0..6 {
        let base = base.clone();
        let creds = creds.clone();
        tasks.spawn(async move {
            let url = reginv_core::http::Url::parse(&format!(
                "{base}/v2/manage/repos?limit=1&offset={i}"
            ))
            .unwrap();
            let mut req = reginv_core::SignableRequest::new(
                reginv_core::http::Method::GET,
                url,
                Default::default(),
                Vec::new(),
            );
            HuaweiSigner::aksk(creds)
                .sign_at(&mut req, chrono::Utc::now())
                .unwrap();
            send(req).await.unwrap().status
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    let stats = emu.stats();
    assert!(stats.peak_in_flight >= 2, "{stats:?}");
    assert_eq!(stats.requests, 6);
    assert_eq!(stats.in_flight, 0);
}

/// The gateway-like limit from the builder: a burst of 2 per credential, then 1 a second, in
/// each vendor's 429 shape with the configured `Retry-After`. Only the burst is asserted exactly
/// (a bucket never holds more); the refill is checked by the unit test with a controlled clock.
#[tokio::test]
async fn builder_rate_limit_is_a_token_bucket_per_credential() {
    let emu = Emulator::builder()
        .faults(Faults {
            retry_after_secs: 1,
            ..Faults::none()
        })
        .rate_limit(1)
        .rate_limit_burst(2)
        .retry_after_secs(9)
        .start()
        .await
        .unwrap();
    assert_eq!(emu.faults().rate_limit_per_second, Some(1));
    assert_eq!(emu.faults().rate_limit_burst, Some(2));
    assert_eq!(emu.faults().retry_after_secs, 9);
    let mut ncp = Vec::new();
    for _ in 0..2 {
        ncp.push(ncp_get(&emu, NCP_PATH).await.status);
    }
    assert_eq!(ncp, [200, 200], "a full bucket of 2");
    // Requests far faster than one a second soon find the bucket empty.
    let limited = loop {
        let r = ncp_get(&emu, NCP_PATH).await;
        if r.status == 429 {
            break r;
        }
        assert_eq!(r.status, 200);
        assert!(emu.stats().requests < 50, "never throttled");
    };
    assert_eq!(limited.json()["error"]["errorCode"], "420");
    assert_eq!(limited.header("retry-after").as_deref(), Some("9"));

    // The SWR token is another credential, with its own full bucket.
    let token = HuaweiSigner::token(emu.swr_token());
    for _ in 0..2 {
        let r = send(swr_request(&emu, &token, SWR_PATH, chrono::Utc::now()))
            .await
            .unwrap();
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let limited = loop {
        let r = send(swr_request(&emu, &token, SWR_PATH, chrono::Utc::now()))
            .await
            .unwrap();
        if r.status == 429 {
            break r;
        }
        assert!(emu.stats().requests < 100, "never throttled");
    };
    assert_eq!(limited.json()["error_code"], "APIGW.0308");
    assert_eq!(limited.header("retry-after").as_deref(), Some("9"));
    assert!(limited.header("x-request-id").is_some());
    let stats = emu.stats();
    assert!(stats.rate_limited >= 2);
    assert_eq!(stats.status_total(429), stats.rate_limited);
    assert_eq!(stats.faults_injected, 0);

    // set_faults without a limit lifts it.
    emu.set_faults(Faults::none());
    assert_eq!(ncp_get(&emu, NCP_PATH).await.status, 200);
}
