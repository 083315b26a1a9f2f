//! Credentials that never print their secret.
//!
//! [`SecretString`] holds a secret and prints `***` from both `Debug` and `Display`; the only way
//! to read it is [`SecretString::expose`], which signers call. [`AccessKeyPair`] is the
//! access-key/secret-key pair both NCP and Huawei use.

use std::fmt;

/// A secret string. `Debug` and `Display` print `***`; [`expose`](SecretString::expose) reads it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        SecretString(secret.into())
    }

    /// The secret itself: for signing, never for printing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(***)")
    }
}

impl fmt::Display for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        SecretString(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        SecretString(s.to_string())
    }
}

/// An access key id and its secret key.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeyPair {
    /// The access key id (an identifier, not a secret).
    pub access_key: String,
    /// The secret key.
    pub secret_key: SecretString,
}

impl AccessKeyPair {
    /// Creates a pair.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<SecretString>) -> Self {
        AccessKeyPair {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
        }
    }
}

impl fmt::Debug for AccessKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessKeyPair")
            .field("access_key", &self.access_key)
            .field("secret_key", &"***")
            .finish()
    }
}

impl fmt::Display for AccessKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} / ***", self.access_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Error, ErrorKind};

    const SECRET: &str = "s3cr3t-VALUE-that-must-not-leak";

    #[test]
    fn secret_never_appears_in_debug_display_or_errors() {
        let pair = AccessKeyPair::new("AKID", SECRET);
        let texts = [
            format!("{pair:?}"),
            format!("{pair:#?}"),
            format!("{pair}"),
            format!("{:?}", pair.secret_key),
            format!("{}", pair.secret_key),
            format!("{:?}", Some(&pair)),
        ];
        for text in &texts {
            assert!(!text.contains(SECRET), "secret leaked in {text}");
        }
        assert!(texts[0].contains("AKID"));
        assert!(texts[0].contains("***"));
        // An error built with the credentials' printable forms cannot carry the secret.
        let err = Error::new(
            ErrorKind::Authentication,
            format!("signature rejected for {pair}"),
        );
        assert!(!err.to_string().contains(SECRET));
        assert!(!format!("{err:?}").contains(SECRET));
        assert_eq!(pair.secret_key.expose(), SECRET);
    }
}
