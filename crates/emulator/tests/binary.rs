//! The `reginv-emulator` binary: `--json` prints one line a harness can use.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use reginv_core::http::{HeaderMap, Method, SignableRequest, Url};
use reginv_core::AccessKeyPair;
use reginv_ncp::signing::{now_millis, NcpSigner};

/// Kills the child when the test ends, whatever happens.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with `args` and `--json`; the child and its JSON line.
async fn spawn(args: &[&str]) -> (Child, serde_json::Value) {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_reginv-emulator"))
            .args(["--listen", "127.0.0.1:0", "--json"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    (child, serde_json::from_str(line.trim()).unwrap())
}

/// A signed NCR `GET`: the status, the `Retry-After` header and the body.
async fn ncp_get(base: &str, creds: &AccessKeyPair, path: &str) -> (u16, Option<String>, String) {
    let url = Url::parse(&format!("{base}{path}")).unwrap();
    let mut req = SignableRequest::new(Method::GET, url, HeaderMap::new(), Vec::new());
    NcpSigner::new(creds.clone())
        .sign_at(&mut req, now_millis())
        .unwrap();
    let mut builder = reqwest::Client::new().get(req.url.as_str());
    for (k, val) in req.headers.iter() {
        builder = builder.header(k.as_str(), val.as_bytes());
    }
    let r = builder.send().await.unwrap();
    let retry_after = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let status = r.status().as_u16();
    (status, retry_after, r.text().await.unwrap())
}

#[tokio::test]
async fn json_line_describes_a_working_server() {
    let (_child, v) = spawn(&["--seed", "7", "--repos", "40", "--tags", "3"]).await;
    let base = v["base_url"].as_str().unwrap().to_string();
    assert!(base.starts_with("http://127.0.0.1:"));
    assert_eq!(v["ncp"]["endpoint"], base.as_str());
    assert_eq!(v["swr"]["endpoint"], base.as_str());
    assert!(v["swr"]["token"].is_string() && v["swr"]["secret_key"].is_string());
    assert_eq!(v["fixture"]["ncp_repositories"], 40);
    assert_eq!(v["fixture"]["swr_repositories"], 40);

    let creds = AccessKeyPair::new(
        v["ncp"]["access_key"].as_str().unwrap(),
        v["ncp"]["secret_key"].as_str().unwrap(),
    );
    let mut total = 0;
    for prefix in ["/ncr/api/v2", "/ncr/sgn-api/v2", "/ncr/jpn-api/v2"] {
        let path = format!("{prefix}/repositories?page=1&pagesize=100");
        let (status, _, body) = ncp_get(&base, &creds, &path).await;
        assert_eq!(status, 200);
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        total += body["count"].as_u64().unwrap();
    }
    assert_eq!(total, 6, "2 registries in each of 3 regions");
}

#[test]
fn bad_arguments_fail_cleanly() {
    let out = Command::new(env!("CARGO_BIN_EXE_reginv-emulator"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--fault-rate",
            "0.5",
            "--drop-rate",
            "0.9",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("fault rates"));
    let out = Command::new(env!("CARGO_BIN_EXE_reginv-emulator"))
        .args(["--fixture", "/nonexistent/fixture.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("fixture"));
}

#[tokio::test]
async fn rate_limit_burst_and_retry_after_flags() {
    let (_child, v) = spawn(&["--rate-limit", "1", "--burst", "2", "--retry-after", "4"]).await;
    let base = v["base_url"].as_str().unwrap();
    let creds = AccessKeyPair::new(
        v["ncp"]["access_key"].as_str().unwrap(),
        v["ncp"]["secret_key"].as_str().unwrap(),
    );
    let path = "/ncr/api/v2/repositories";
    assert_eq!(ncp_get(base, &creds, path).await.0, 200);
    assert_eq!(ncp_get(base, &creds, path).await.0, 200);
    let mut sent = 2;
    loop {
        let (status, retry_after, _) = ncp_get(base, &creds, path).await;
        sent += 1;
        if status == 429 {
            assert_eq!(retry_after.as_deref(), Some("4"));
            break;
        }
        assert!(sent < 50, "never throttled");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_reginv-emulator"))
        .args(["--burst", "3"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "--burst needs --rate-limit");
}

#[tokio::test]
async fn oci_token_auth_flags() {
    let (_child, v) = spawn(&["--oci-auth", "token", "--oci-username", "bot"]).await;
    let oci = &v["oci"];
    assert_eq!(oci["auth"], "token");
    assert_eq!(oci["username"], "bot");
    let endpoint = oci["endpoint"].as_str().unwrap();
    let client = reqwest::Client::new();
    let r = client.get(format!("{endpoint}/v2/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let challenge = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with("Bearer realm=\"http://127.0.0.1:"),
        "{challenge}"
    );
    let r = client
        .get(format!("{endpoint}/oci/token?service=reginv-emulator"))
        .basic_auth("bot", Some(oci["password"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let token: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    let r = client
        .get(format!("{endpoint}/v2/"))
        .bearer_auth(token["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
