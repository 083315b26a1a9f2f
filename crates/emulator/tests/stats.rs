//! Statistics by route and status.

mod common;

use common::*;
use reginv_emulator::Emulator;

#[tokio::test]
async fn requests_are_counted_by_route_template_and_status() {
    let emu = Emulator::builder().start().await.unwrap();
    for _ in 0..3 {
        assert_eq!(ncp_get(&emu, "/ncr/api/v2/repositories").await.status, 200);
    }
    assert_eq!(
        ncp_get(&emu, "/ncr/sgn-api/v2/repositories").await.status,
        200
    );
    assert_eq!(
        ncp_get(&emu, "/ncr/api/v2/repositories/nope").await.status,
        404
    );
    assert_eq!(
        ncp_get(
            &emu,
            "/ncr/api/v2/repositories/acme-prod/payments%2Fapi/tags"
        )
        .await
        .status,
        200
    );
    assert_eq!(
        ncp_get(
            &emu,
            "/ncr/api/v2/repositories/acme-prod/tools%2Fci-runner/tags"
        )
        .await
        .status,
        200
    );
    assert_eq!(
        ncp_post(
            &emu,
            "/ncr/api/v2/repositories/fresh-reg",
            r#"{"bucket":"fresh"}"#
        )
        .await
        .status,
        201
    );
    let unsigned = client()
        .get(format!("{}/ncr/api/v2/repositories", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    assert_eq!(
        swr_get(&emu, "/v2/manage/repos?limit=2&offset=0")
            .await
            .status,
        200
    );
    assert_eq!(
        swr_get(&emu, "/v2/manage/repos?limit=2&offset=1")
            .await
            .status,
        400
    );
    assert_eq!(
        swr_get(&emu, "/v2/manage/namespaces/acme/repos/team$app/tags")
            .await
            .status,
        200
    );
    assert_eq!(swr_get(&emu, "/v2/manage/namespaces").await.status, 200);
    let other = client()
        .get(format!("{}/elsewhere", emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 404);

    let s = emu.stats();
    assert_eq!(s.requests, 14);
    assert_eq!(s.count("GET /ncr/api/v2/repositories", 200), 3);
    assert_eq!(s.count("GET /ncr/api/v2/repositories", 401), 1);
    assert_eq!(s.route_total("GET /ncr/api/v2/repositories"), 4);
    assert_eq!(s.count("GET /ncr/sgn-api/v2/repositories", 200), 1);
    assert_eq!(s.count("GET /ncr/api/v2/repositories/{registry}", 404), 1);
    assert_eq!(
        s.count("GET /ncr/api/v2/repositories/{registry}/{image}/tags", 200),
        2
    );
    assert_eq!(s.count("POST /ncr/api/v2/repositories/{registry}", 201), 1);
    assert_eq!(s.count("GET /v2/manage/repos", 200), 1);
    assert_eq!(s.count("GET /v2/manage/repos", 400), 1);
    assert_eq!(
        s.count(
            "GET /v2/manage/namespaces/{namespace}/repos/{repository}/tags",
            200
        ),
        1
    );
    assert_eq!(s.count("GET /v2/manage/namespaces", 200), 1);
    assert_eq!(s.count("GET (unmatched)", 404), 1);
    let sum: u64 = s.by_route.values().flat_map(|m| m.values()).sum();
    assert_eq!(sum, s.requests);
    assert_eq!(s.auth_failures, 1);
    assert_eq!(s.faults_injected, 0);
    assert_eq!(s.in_flight, 0);
    assert!(s.peak_in_flight >= 1);
    emu.reset_stats();
    assert_eq!(emu.stats().requests, 0);
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let emu = Emulator::builder().start().await.unwrap();
    let base = emu.base_url();
    assert_eq!(ncp_get(&emu, "/ncr/api/v2/repositories").await.status, 200);
    emu.shutdown().await;
    assert!(client()
        .get(format!("{base}/ncr/api/v2/repositories"))
        .send()
        .await
        .is_err());
}
