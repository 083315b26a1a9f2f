//! The PostgreSQL backend: tokio-postgres, TLS over rustls (`sslmode=require` encrypts,
//! `verify-full` also checks the certificate chain against the web PKI roots, or the
//! `sslrootcert` file, and the host name).

use std::collections::HashMap;
use std::sync::Arc;

use bytes::BytesMut;
use chrono::{DateTime, Utc};
use tokio::sync::Mutex;
use tokio_postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use tokio_postgres::{Client, Statement};

use super::Stmt;
use crate::error::{Result, StoreError};
use crate::url::{PostgresUrl, SslMode};
use crate::value::{Kind, Value};

/// An open PostgreSQL store: one connection, with its prepared statements.
#[derive(Debug)]
pub(crate) struct Postgres {
    conn: Mutex<Conn>,
}

#[derive(Debug)]
struct Conn {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Int(v) => v.to_sql(ty, out),
            Value::Text(v) => v.to_sql(ty, out),
            Value::Bool(v) => v.to_sql(ty, out),
            Value::Time(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

impl Postgres {
    /// Connects.
    pub(crate) async fn connect(url: &PostgresUrl) -> Result<Postgres> {
        let open_error = |message: String| StoreError::Open {
            store: url.to_string(),
            message,
        };
        let config = url.config();
        let client = match url.ssl_mode {
            SslMode::Disable => {
                let (client, connection) = config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(|e| open_error(pg_message(&e)))?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::warn!("PostgreSQL connection closed: {}", pg_message(&e));
                    }
                });
                client
            }
            _ => {
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(
                    tls_config(url).map_err(open_error)?,
                );
                let (client, connection) = config
                    .connect(tls)
                    .await
                    .map_err(|e| open_error(pg_message(&e)))?;
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::warn!("PostgreSQL connection closed: {}", pg_message(&e));
                    }
                });
                client
            }
        };
        Ok(Postgres {
            conn: Mutex::new(Conn {
                client,
                statements: HashMap::new(),
            }),
        })
    }

    pub(crate) async fn batch(&self, sql: &str) -> Result<()> {
        let conn = self.conn.lock().await;
        Ok(conn.client.batch_execute(sql).await?)
    }

    pub(crate) async fn execute(&self, sql: &'static str, params: &[Value]) -> Result<u64> {
        let mut conn = self.conn.lock().await;
        let stmt = conn.prepare(sql).await?;
        Ok(conn.client.execute(&stmt, &refs(params)).await?)
    }

    pub(crate) async fn query(
        &self,
        sql: &'static str,
        params: &[Value],
        kinds: &[Kind],
    ) -> Result<Vec<Vec<Value>>> {
        let mut conn = self.conn.lock().await;
        let stmt = conn.prepare(sql).await?;
        let rows = conn.client.query(&stmt, &refs(params)).await?;
        rows.iter()
            .map(|row| {
                kinds
                    .iter()
                    .enumerate()
                    .map(|(i, kind)| read(row, i, *kind))
                    .collect()
            })
            .collect()
    }

    pub(crate) async fn transaction(&self, stmts: &[Stmt]) -> Result<()> {
        let mut conn = self.conn.lock().await;
        for stmt in stmts {
            conn.prepare(stmt.sql).await?;
        }
        let Conn { client, statements } = &mut *conn;
        let tx = client.transaction().await?;
        for stmt in stmts {
            if let Some(prepared) = statements.get(stmt.sql) {
                tx.execute(prepared, &refs(&stmt.params)).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Conn {
    async fn prepare(&mut self, sql: &'static str) -> Result<Statement> {
        if let Some(stmt) = self.statements.get(sql) {
            return Ok(stmt.clone());
        }
        let stmt = self.client.prepare(sql).await?;
        self.statements.insert(sql, stmt.clone());
        Ok(stmt)
    }
}

fn refs(params: &[Value]) -> Vec<&(dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

fn read(row: &tokio_postgres::Row, i: usize, kind: Kind) -> Result<Value> {
    let value = match kind {
        Kind::Int => row.try_get::<_, Option<i64>>(i).map(Value::Int),
        Kind::Text => row.try_get::<_, Option<String>>(i).map(Value::Text),
        Kind::Bool => row.try_get::<_, Option<bool>>(i).map(Value::Bool),
        Kind::Time => row.try_get::<_, Option<DateTime<Utc>>>(i).map(Value::Time),
    };
    value.map_err(|e| StoreError::Data {
        table: "(query)",
        message: e.to_string(),
    })
}

/// The message of a connection error, with the server's words when it sent some.
fn pg_message(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => db.message().to_string(),
        None => match std::error::Error::source(err) {
            Some(source) => format!("{err}: {source}"),
            None => err.to_string(),
        },
    }
}

/// The rustls configuration for the URL's `sslmode`.
fn tls_config(url: &PostgresUrl) -> std::result::Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    if url.ssl_mode != SslMode::VerifyFull {
        // `prefer` and `require` encrypt without checking who answers, as libpq does without
        // a root certificate; `verify-full` is the mode that authenticates the server.
        return Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth());
    }
    let mut roots = rustls::RootCertStore::empty();
    match &url.root_cert {
        Some(path) => {
            use rustls::pki_types::pem::PemObject;
            let bad = |e: &dyn std::fmt::Display| format!("sslrootcert {}: {e}", path.display());
            let certs =
                rustls::pki_types::CertificateDer::pem_file_iter(path).map_err(|e| bad(&e))?;
            for cert in certs {
                roots.add(cert.map_err(|e| bad(&e))?).map_err(|e| bad(&e))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(builder.with_root_certificates(roots).with_no_client_auth())
}

/// Accepts any server certificate (but still checks the handshake signatures): encryption
/// without authentication, libpq's `sslmode=require`.
#[derive(Debug)]
struct NoVerification(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
