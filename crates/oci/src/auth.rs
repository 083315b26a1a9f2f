//! Authentication: challenges (`WWW-Authenticate`), HTTP Basic, and the token flow.
//!
//! Nothing is sent with credentials until the registry asks: requests go out anonymously (or
//! with what the registry asked for last), and a `401` carries the challenge that says how to
//! authenticate.
//!
//! - `Basic realm=…`: the registry's own Basic authentication; the credentials go to the
//!   registry's origin only (never to another host, whatever a `Link` or redirect says: `Link`
//!   targets on another origin are refused, and redirects to another host drop `Authorization`).
//! - `Bearer realm=…,service=…,scope=…`: the token flow of the Docker/OCI token spec. The token
//!   is asked from the realm the registry announced (`GET realm?service=…&scope=…`, with the
//!   credentials as Basic when there are any, anonymously otherwise), and sent as
//!   `Authorization: Bearer …` to the registry. Tokens are cached per scope until 90 % of their
//!   `expires_in` (default 60 s) has passed.
//!
//! The realm rule: a realm on the registry's own origin follows the registry's transport rules
//! (https, or http to loopback or with the explicit opt-in). A realm on *another* origin gets the
//! registry's credentials only because the registry itself announced it (as docker does), and
//! only over https (or to a loopback address): the `allow_insecure_http` opt-in covers the
//! registry, not a third host.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use reginv_core::http::{HeaderValue, Url};
use reginv_core::{Error, ErrorKind, HttpClient, HttpRequest, Result, SecretString};
use tokio::time::Instant;

use crate::errors::printable;
use crate::wire::TokenResponse;

/// A user name and password (or registry token) for a registry. `Debug` never prints the
/// password.
#[derive(Clone, PartialEq, Eq)]
pub struct OciCredentials {
    /// The user name.
    pub username: String,
    /// The password or access token.
    pub password: SecretString,
}

impl OciCredentials {
    /// Credentials of `username` and `password`.
    pub fn new(username: impl Into<String>, password: impl Into<SecretString>) -> Self {
        OciCredentials {
            username: username.into(),
            password: password.into(),
        }
    }

    /// The `Authorization: Basic …` value (marked sensitive, so it never prints).
    pub(crate) fn basic_header(&self) -> Result<HeaderValue> {
        let raw = format!("{}:{}", self.username, self.password.expose());
        let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
        sensitive(&format!("Basic {encoded}"))
    }
}

impl fmt::Debug for OciCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OciCredentials")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

fn sensitive(value: &str) -> Result<HeaderValue> {
    let mut header = HeaderValue::from_str(value)
        .map_err(|_| Error::config("the credentials contain characters a header cannot carry"))?;
    header.set_sensitive(true);
    Ok(header)
}

/// One authentication challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// HTTP Basic.
    Basic,
    /// The token flow.
    Bearer {
        realm: String,
        service: Option<String>,
    },
}

/// The challenges of `WWW-Authenticate` header values (unknown schemes are ignored).
pub(crate) fn parse_challenges<'a>(values: impl Iterator<Item = &'a str>) -> Vec<Challenge> {
    values.filter_map(parse_challenge).collect()
}

fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let params = parse_params(rest);
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
    };
    if scheme.eq_ignore_ascii_case("basic") {
        Some(Challenge::Basic)
    } else if scheme.eq_ignore_ascii_case("bearer") {
        Some(Challenge::Bearer {
            realm: get("realm")?,
            service: get("service"),
        })
    } else {
        None
    }
}

/// `key="quoted, value",key2=token` pairs; quoted values may hold commas and `\"`.
fn parse_params(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ','))
            .collect::<String>()
            .trim()
            .to_string();
        if key.is_empty() {
            break;
        }
        if chars.next() != Some('=') {
            continue;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ','))
                .collect::<String>()
                .trim()
                .to_string();
        }
        out.push((key, value));
    }
    out
}

/// How requests to the registry are authenticated now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthMode {
    /// No `Authorization` header.
    Anonymous,
    /// `Authorization: Basic` with the credentials.
    Basic,
    /// `Authorization: Bearer` with a token from `realm`.
    Bearer { realm: Url, service: Option<String> },
}

struct CachedToken {
    value: HeaderValue,
    valid_until: Instant,
}

/// Authenticates the requests of one provider: the mode the registry asked for, the tokens.
pub(crate) struct Authenticator {
    credentials: Option<OciCredentials>,
    registry: Url,
    allow_insecure_http: bool,
    mode: std::sync::Mutex<AuthMode>,
    tokens: std::sync::Mutex<HashMap<String, CachedToken>>,
    fetching: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("credentials", &self.credentials)
            .field("mode", &self.mode())
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    pub(crate) fn new(
        credentials: Option<OciCredentials>,
        registry: Url,
        allow_insecure_http: bool,
    ) -> Self {
        Authenticator {
            credentials,
            registry,
            allow_insecure_http,
            mode: std::sync::Mutex::new(AuthMode::Anonymous),
            tokens: std::sync::Mutex::new(HashMap::new()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    pub(crate) fn mode(&self) -> AuthMode {
        self.mode.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Takes up what a `401` to a request sent in mode `sent` asked for. `Ok(true)`: the
    /// request is worth one more try (the mode changed, here or meanwhile in another request,
    /// or a refused token was dropped); `Ok(false)`: nothing changed (the credentials were
    /// refused).
    pub(crate) fn challenged(
        &self,
        challenges: &[Challenge],
        scope: &str,
        sent: &AuthMode,
    ) -> Result<bool> {
        let bearer = challenges.iter().find_map(|c| match c {
            Challenge::Bearer { realm, service } => Some((realm, service)),
            Challenge::Basic => None,
        });
        let new = match bearer {
            Some((realm, service)) => AuthMode::Bearer {
                realm: self.check_realm(realm)?,
                service: service.clone(),
            },
            None if challenges.contains(&Challenge::Basic) => {
                if self.credentials.is_none() {
                    return Err(Error::new(
                        ErrorKind::Authentication,
                        "the registry asks for a user name and password (HTTP Basic) and none \
                         is configured (username/password, their _env keys, or docker_config)",
                    ));
                }
                AuthMode::Basic
            }
            None => return Ok(false),
        };
        let mut mode = self.mode.lock().unwrap_or_else(|p| p.into_inner());
        if *mode != *sent {
            return Ok(true);
        }
        if let AuthMode::Bearer { .. } = new {
            // A token that was refused (expired early, or too narrow) is asked for again.
            let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
            if tokens.remove(scope).is_some() && *mode == new {
                return Ok(true);
            }
        }
        if *mode == new {
            return Ok(false);
        }
        *mode = new;
        Ok(true)
    }

    /// The realm URL, if credentials (or anonymous token requests) may go there.
    fn check_realm(&self, realm: &str) -> Result<Url> {
        let url = Url::parse(realm).map_err(|_| {
            Error::protocol(format!(
                "the registry announced a token realm that is not a URL: {:?}",
                printable(realm)
            ))
        })?;
        let same_origin = url.origin() == self.registry.origin();
        let loopback = matches!(url.host(), Some(url::Host::Ipv4(ip)) if ip.is_loopback())
            || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
            || url.host_str() == Some("localhost");
        let ok = match url.scheme() {
            "https" => true,
            "http" => loopback || (same_origin && self.allow_insecure_http),
            _ => false,
        };
        if !ok {
            return Err(Error::config(format!(
                "the registry announced the token realm {}, which is not https: refusing to \
                 send credentials there",
                printable(url.origin().ascii_serialization().as_str())
            )));
        }
        Ok(url)
    }

    /// The `Authorization` header for a request of `scope` to the registry in `mode`, if any.
    pub(crate) async fn header(
        &self,
        client: &HttpClient,
        mode: &AuthMode,
        scope: &str,
    ) -> Result<Option<HeaderValue>> {
        match mode.clone() {
            AuthMode::Anonymous => Ok(None),
            AuthMode::Basic => match &self.credentials {
                Some(c) => c.basic_header().map(Some),
                None => Ok(None),
            },
            AuthMode::Bearer { realm, service } => {
                if let Some(token) = self.cached(scope) {
                    return Ok(Some(token));
                }
                let _one_at_a_time = self.fetching.lock().await;
                if let Some(token) = self.cached(scope) {
                    return Ok(Some(token));
                }
                let (value, lifetime) = self
                    .fetch_token(client, &realm, service.as_deref(), scope)
                    .await?;
                self.tokens
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(
                        scope.to_string(),
                        CachedToken {
                            value: value.clone(),
                            valid_until: Instant::now() + lifetime.mul_f64(0.9),
                        },
                    );
                Ok(Some(value))
            }
        }
    }

    fn cached(&self, scope: &str) -> Option<HeaderValue> {
        let tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        tokens
            .get(scope)
            .filter(|t| t.valid_until > Instant::now())
            .map(|t| t.value.clone())
    }

    async fn fetch_token(
        &self,
        client: &HttpClient,
        realm: &Url,
        service: Option<&str>,
        scope: &str,
    ) -> Result<(HeaderValue, Duration)> {
        let mut url = realm.clone();
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            query.append_pair("scope", scope);
        }
        let mut request = HttpRequest::get(url, "token").with_target(scope.to_string());
        if let Some(credentials) = &self.credentials {
            request.headers.insert(
                reginv_core::http::HeaderName::from_static("authorization"),
                credentials.basic_header()?,
            );
        }
        let response = client.send(request).await?;
        let parsed: TokenResponse = serde_json::from_slice(&response.body).map_err(|e| {
            Error::decode(format!(
                "the token server's answer is not the JSON expected: {e}"
            ))
        })?;
        let token = parsed
            .token
            .or(parsed.access_token)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::decode("the token server's answer carries no token"))?;
        let lifetime = Duration::from_secs(parsed.expires_in.unwrap_or(60).max(1));
        Ok((sensitive(&format!("Bearer {token}"))?, lifetime))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bearer_with_commas_in_quotes_and_basic() {
        let found = parse_challenges(
            [
                r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push""#,
                r#"Basic realm="Registry Realm""#,
                "Negotiate",
            ]
            .into_iter(),
        );
        assert_eq!(
            found,
            vec![
                Challenge::Bearer {
                    realm: "https://auth.docker.io/token".into(),
                    service: Some("registry.docker.io".into())
                },
                Challenge::Basic
            ]
        );
        assert!(parse_challenges(["Bearer service=x"].into_iter()).is_empty());
        assert_eq!(
            parse_params(r#"a=b, c="d\"e" "#),
            vec![("a".into(), "b".into()), ("c".into(), "d\"e".into())]
        );
    }

    #[test]
    fn credentials_never_print_their_password() {
        let c = OciCredentials::new("alice", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
        let header = c.basic_header().unwrap();
        assert!(header.is_sensitive());
        assert!(!format!("{header:?}").contains("hunter2"));
    }

    fn authenticator(credentials: Option<OciCredentials>) -> Authenticator {
        Authenticator::new(
            credentials,
            Url::parse("https://registry.example").unwrap(),
            false,
        )
    }

    #[test]
    fn a_foreign_realm_must_be_https() {
        let a = authenticator(None);
        assert!(a.check_realm("https://auth.example/token").is_ok());
        assert!(a.check_realm("http://127.0.0.1:9/token").is_ok());
        let err = a.check_realm("http://auth.example/token").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        let insecure = Authenticator::new(None, Url::parse("http://reg.lan").unwrap(), true);
        assert!(insecure.check_realm("http://reg.lan/token").is_ok());
        assert!(insecure.check_realm("http://auth.lan/token").is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn tokens_are_reused_until_their_expiry() {
        let a = authenticator(None);
        let lifetime = Duration::from_secs(300);
        a.tokens.lock().unwrap().insert(
            "repository:a:pull".into(),
            CachedToken {
                value: sensitive("Bearer t").unwrap(),
                valid_until: Instant::now() + lifetime.mul_f64(0.9),
            },
        );
        assert!(a.cached("repository:a:pull").is_some());
        assert!(a.cached("repository:b:pull").is_none(), "per scope");
        tokio::time::advance(Duration::from_secs(269)).await;
        assert!(a.cached("repository:a:pull").is_some());
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(a.cached("repository:a:pull").is_none(), "expired");
    }

    #[test]
    fn a_refused_token_is_asked_for_again() {
        let a = authenticator(None);
        let bearer = Challenge::Bearer {
            realm: "https://auth.example/token".into(),
            service: None,
        };
        assert!(a
            .challenged(std::slice::from_ref(&bearer), "s", &AuthMode::Anonymous)
            .unwrap());
        let sent = a.mode();
        assert!(
            !a.challenged(std::slice::from_ref(&bearer), "s", &sent)
                .unwrap(),
            "no token to drop"
        );
        a.tokens.lock().unwrap().insert(
            "s".into(),
            CachedToken {
                value: sensitive("Bearer t").unwrap(),
                valid_until: Instant::now() + Duration::from_secs(60),
            },
        );
        assert!(
            a.challenged(&[bearer], "s", &sent).unwrap(),
            "dropped, worth one more try"
        );
        assert!(a.cached("s").is_none());
    }

    #[test]
    fn basic_needs_credentials_and_is_not_retried_twice() {
        let anonymous = AuthMode::Anonymous;
        let err = authenticator(None)
            .challenged(&[Challenge::Basic], "s", &anonymous)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Authentication);
        let a = authenticator(Some(OciCredentials::new("u", "p")));
        assert!(a.challenged(&[Challenge::Basic], "s", &anonymous).unwrap());
        assert_eq!(a.mode(), AuthMode::Basic);
        // A request sent anonymously before the change: worth a try in the new mode.
        assert!(a.challenged(&[Challenge::Basic], "s", &anonymous).unwrap());
        // Sent with the credentials and refused: final.
        assert!(!a
            .challenged(&[Challenge::Basic], "s", &AuthMode::Basic)
            .unwrap());
        assert!(!a.challenged(&[], "s", &AuthMode::Basic).unwrap());
    }
}
