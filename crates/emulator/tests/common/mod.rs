//! Raw HTTP helpers for the emulator's tests: requests signed by hand with the backends'
//! signing modules, sent with reqwest to 127.0.0.1.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use reginv_core::http::{HeaderMap, Method, SignableRequest, Url};
use reginv_core::AccessKeyPair;
use reginv_emulator::Emulator;
use reginv_huawei::signing::HuaweiSigner;
use reginv_ncp::signing::{now_millis, NcpSigner};
use serde_json::Value;

/// A response read completely.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    }

    pub fn content_range(&self) -> Option<String> {
        self.header("content-range")
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Sends a prepared request; a transport error is returned, not a panic.
pub async fn send(request: SignableRequest) -> Result<Resp, reqwest::Error> {
    let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes()).unwrap();
    let mut builder = client().request(method, request.url.as_str());
    for (name, value) in request.headers.iter() {
        builder = builder.header(name.as_str(), value.as_bytes());
    }
    if !request.body.is_empty() {
        builder = builder.body(request.body.clone());
    }
    let response = builder.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await?;
    Ok(Resp {
        status,
        headers,
        body,
    })
}

pub fn url(emulator: &Emulator, path_and_query: &str) -> Url {
    Url::parse(&format!("{}{}", emulator.base_url(), path_and_query)).unwrap()
}

pub fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).unwrap()
}

/// An NCR request signed with `credentials` at `timestamp_ms`.
pub fn ncp_request(
    emulator: &Emulator,
    credentials: AccessKeyPair,
    m: &str,
    path_and_query: &str,
    timestamp_ms: u64,
    body: &str,
) -> SignableRequest {
    let mut headers = HeaderMap::new();
    if !body.is_empty() {
        headers.insert("content-type", "application/json".parse().unwrap());
    }
    let mut req = SignableRequest::new(
        method(m),
        url(emulator, path_and_query),
        headers,
        body.as_bytes().to_vec(),
    );
    NcpSigner::new(credentials)
        .sign_at(&mut req, timestamp_ms)
        .unwrap();
    req
}

/// `GET` an NCR path, correctly signed now.
pub async fn ncp_get(emulator: &Emulator, path_and_query: &str) -> Resp {
    try_ncp_get(emulator, path_and_query).await.unwrap()
}

pub async fn try_ncp_get(
    emulator: &Emulator,
    path_and_query: &str,
) -> Result<Resp, reqwest::Error> {
    send(ncp_request(
        emulator,
        emulator.ncp_credentials(),
        "GET",
        path_and_query,
        now_millis(),
        "",
    ))
    .await
}

/// `POST` to an NCR path, correctly signed now.
pub async fn ncp_post(emulator: &Emulator, path_and_query: &str, body: &str) -> Resp {
    send(ncp_request(
        emulator,
        emulator.ncp_credentials(),
        "POST",
        path_and_query,
        now_millis(),
        body,
    ))
    .await
    .unwrap()
}

/// An SWR request authenticated by `signer` at `date`.
pub fn swr_request(
    emulator: &Emulator,
    signer: &HuaweiSigner,
    path_and_query: &str,
    date: DateTime<Utc>,
) -> SignableRequest {
    let mut req = SignableRequest::new(
        Method::GET,
        url(emulator, path_and_query),
        HeaderMap::new(),
        Vec::new(),
    );
    signer.sign_at(&mut req, date).unwrap();
    req
}

/// `GET` an SWR path, signed with AK/SK now.
pub async fn swr_get(emulator: &Emulator, path_and_query: &str) -> Resp {
    try_swr_get(emulator, path_and_query).await.unwrap()
}

pub async fn try_swr_get(
    emulator: &Emulator,
    path_and_query: &str,
) -> Result<Resp, reqwest::Error> {
    let signer = HuaweiSigner::aksk(emulator.swr_credentials());
    send(swr_request(emulator, &signer, path_and_query, Utc::now())).await
}
