//! Tests of configuration parsing, validation, environment sources and provider building.
// The tests configure both built-in backends.
#![cfg(all(feature = "ncp", feature = "huawei"))]

use super::*;
use crate::core::BackendConfig;
use crate::core::ErrorKind;
use crate::ProviderFactories;

/// `key`'s string in `entry`.
fn text(entry: &ProviderConfig, key: &str) -> Option<String> {
    entry.string(key).unwrap()
}

const SECRET: &str = "s3cr3t-VALUE-that-must-not-leak";

fn parse(text: &str) -> Result<Config> {
    Config::from_toml_str(text, "reginv.toml")
}

fn parse_err(text: &str) -> String {
    let err = parse(text).expect_err("expected an error");
    assert_eq!(err.kind(), ErrorKind::InvalidConfig, "{err}");
    let text = err.to_string();
    assert!(!text.contains(SECRET), "secret leaked: {text}");
    text
}

const VALID: &str = r#"
[[providers]]
name = "ncp-kr"
kind = "ncp"
region = "kr"
endpoint = "http://127.0.0.1:18080"
access_key = "AKID"
secret_key = "s3cr3t-VALUE-that-must-not-leak"

[[providers]]
name = "swr-ap"
kind = "huawei"
region = "ap-southeast-1"
access_key_env = "MY_AK"
secret_key_env = "MY_SK"
project_id = "0123456789abcdef0123456789abcdef"
page_size = 500
max_rps = 20
allow_insecure_http = false
"#;

#[test]
fn the_documented_example_parses() {
    let config = parse(VALID).unwrap();
    assert_eq!(config.origin, "reginv.toml");
    assert_eq!(config.providers.len(), 2);
    let ncp = &config.providers[0];
    assert_eq!(
        (
            ncp.name(),
            ncp.kind(),
            text(ncp, "region").unwrap().as_str()
        ),
        ("ncp-kr", "ncp", "kr")
    );
    assert_eq!(
        text(ncp, "endpoint").as_deref(),
        Some("http://127.0.0.1:18080")
    );
    assert_eq!(text(ncp, "access_key").as_deref(), Some("AKID"));
    let secret = ncp.secret("secret_key").unwrap();
    assert_eq!(secret.as_ref().map(|s| s.expose()), Some(SECRET));
    let swr = config.provider("swr-ap").unwrap();
    assert_eq!(text(swr, "access_key_env").as_deref(), Some("MY_AK"));
    assert_eq!(swr.integer("page_size").unwrap(), Some(500));
    assert_eq!(swr.number("max_rps").unwrap(), Some(20.0));
    assert_eq!(swr.boolean("allow_insecure_http").unwrap(), Some(false));
    assert!(config.validate().is_ok());
}

#[test]
fn an_empty_file_has_no_providers() {
    assert!(parse("").unwrap().providers.is_empty());
}

#[test]
fn secrets_never_appear_in_debug() {
    let config = parse(VALID).unwrap();
    for text in [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{:?}", config.providers[0]),
    ] {
        assert!(!text.contains(SECRET), "secret leaked: {text}");
        assert!(text.contains("AKID"));
        assert!(text.contains("***"));
    }
    let env = Environment::from_vars([("MY_SK", SECRET)]);
    assert!(!format!("{env:?}").contains(SECRET));
    assert!(format!("{env:?}").contains("MY_SK"));
}

#[test]
fn an_unknown_key_names_file_line_entry_and_key() {
    let text = VALID.replace("page_size = 500", "page_size = 500\nsecrt_key = \"x\"");
    let msg = parse_err(&text);
    assert!(msg.contains("reginv.toml:18:1"), "{msg}");
    assert!(msg.contains("providers[1] (\"swr-ap\")"), "{msg}");
    assert!(msg.contains("key `secrt_key`"), "{msg}");
    assert!(msg.contains("unknown key"), "{msg}");
    assert!(
        msg.contains("secret_key_env"),
        "lists the known keys: {msg}"
    );
}

#[test]
fn a_wrong_type_names_the_key_and_never_echoes_the_value() {
    let text = VALID.replace(
        "secret_key = \"s3cr3t-VALUE-that-must-not-leak\"",
        "secret_key = [\"s3cr3t-VALUE-that-must-not-leak\"]",
    );
    let msg = parse_err(&text);
    assert!(msg.contains("reginv.toml:8:"), "{msg}");
    assert!(msg.contains("providers[0] (\"ncp-kr\")"), "{msg}");
    assert!(
        msg.contains("key `secret_key`: must be a string, not array"),
        "{msg}"
    );
    let msg = parse_err(&VALID.replace("page_size = 500", "page_size = \"big\""));
    assert!(msg.contains("key `page_size`: must be an integer"), "{msg}");
    let msg = parse_err(&VALID.replace("allow_insecure_http = false", "allow_insecure_http = 1"));
    assert!(
        msg.contains("key `allow_insecure_http`: must be true or false"),
        "{msg}"
    );
}

#[test]
fn missing_required_keys() {
    let msg = parse_err("[[providers]]\nname = \"a\"\nkind = \"ncp\"\n");
    assert!(msg.contains("providers[0] (\"a\")"), "{msg}");
    assert!(msg.contains("key `region`: is required"), "{msg}");
    let msg = parse_err("[[providers]]\nkind = \"ncp\"\nregion = \"kr\"\n");
    assert!(
        msg.contains("providers[0]: key `name`: is required"),
        "{msg}"
    );
}

fn entry(extra: &str) -> String {
    format!("[[providers]]\nname = \"x\"\nkind = \"ncp\"\nregion = \"kr\"\n{extra}\n")
}

#[test]
fn bad_values_name_their_key() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "kind",
            "[[providers]]\nname = \"x\"\nkind = \"aws\"\nregion = \"kr\"\n",
            "unknown kind \"aws\"",
        ),
        (
            "region",
            "[[providers]]\nname = \"x\"\nkind = \"ncp\"\nregion = \"mars\"\n",
            "unknown NCP region",
        ),
        (
            "region",
            "[[providers]]\nname = \"x\"\nkind = \"huawei\"\nregion = \"AP South\"\n",
            "not a Huawei Cloud region",
        ),
        (
            "name",
            "[[providers]]\nname = \" \"\nkind = \"ncp\"\nregion = \"kr\"\n",
            "must not be empty",
        ),
        (
            "page_size",
            &entry("page_size = 0"),
            "between 1 and 1000, got 0",
        ),
        (
            "page_size",
            &entry("page_size = 1001"),
            "between 1 and 1000, got 1001",
        ),
        ("page_size", &entry("page_size = -5"), "got -5"),
        ("max_rps", &entry("max_rps = 0"), "above 0"),
        ("max_rps", &entry("max_rps = -1.5"), "above 0"),
        (
            "endpoint",
            &entry("endpoint = \"ftp://example.com\""),
            "https://",
        ),
        ("endpoint", &entry("endpoint = \"not a url\""), "not a URL"),
        (
            "secret_key_env",
            &entry("access_key = \"A\"\nsecret_key = \"B\"\nsecret_key_env = \"SK\""),
            "not both",
        ),
        (
            "access_key_env",
            &entry("access_key = \"A\"\naccess_key_env = \"AK\"\nsecret_key = \"B\""),
            "not both",
        ),
        (
            "access_key",
            &entry("access_key = \"A\""),
            "without secret_key",
        ),
        (
            "secret_key_env",
            &entry("secret_key_env = \"SK\""),
            "without access_key",
        ),
        ("project_id", &entry("project_id = \"p\""), "huawei\" only"),
        ("token_env", &entry("token_env = \"T\""), "huawei\" only"),
        (
            "access_key",
            &entry("access_key = \"\"\nsecret_key = \"B\""),
            "must not be empty",
        ),
    ];
    for (key, text, expected) in cases {
        let msg = parse_err(text);
        assert!(msg.contains(&format!("key `{key}`: ")), "{key}: {msg}");
        assert!(msg.contains(expected), "{key}: {msg}");
        assert!(
            msg.starts_with("invalid configuration: reginv.toml:"),
            "{msg}"
        );
        assert!(msg.contains("providers[0]"), "{msg}");
    }
}

#[test]
fn huawei_only_keys_are_checked_together() {
    let huawei = |extra: &str| {
        format!("[[providers]]\nname = \"h\"\nkind = \"huawei\"\nregion = \"ap-southeast-1\"\n{extra}\n")
    };
    let msg = parse_err(&huawei(
        "token_env = \"T\"\naccess_key = \"A\"\nsecret_key = \"B\"",
    ));
    assert!(msg.contains("key `token_env`"), "{msg}");
    let msg = parse_err(&huawei("security_token_env = \"T\""));
    assert!(msg.contains("key `security_token_env`"), "{msg}");
    assert!(parse(&huawei("token_env = \"T\"")).is_ok());
    assert!(parse(&huawei(
        "security_token_env = \"T\"\naccess_key_env = \"A\"\nsecret_key_env = \"B\""
    ))
    .is_ok());
}

#[test]
fn duplicate_names_point_at_the_second_entry() {
    let text = format!("{}{}", entry(""), entry(""));
    let msg = parse_err(&text);
    assert!(msg.contains("reginv.toml:7:"), "{msg}");
    assert!(msg.contains("providers[1]"), "{msg}");
    assert!(msg.contains("already used by providers[0]"), "{msg}");
}

#[test]
fn syntax_and_shape_errors_have_positions() {
    let msg = parse_err("[[providers]]\nname = \"x\nkind = 1\n");
    assert!(msg.contains("reginv.toml:2:"), "{msg}");
    let msg = parse_err("provider = 1\n");
    assert!(
        msg.contains("reginv.toml:1:1: unknown top-level key `provider`"),
        "{msg}"
    );
    let msg = parse_err("providers = 3\n");
    assert!(msg.contains("reginv.toml:1:13"), "{msg}");
    assert!(msg.contains("[[providers]]"), "{msg}");
}

#[test]
fn load_names_a_missing_file() {
    let err = Config::load(Path::new("/nonexistent/reginv.toml")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(
        err.to_string().contains("/nonexistent/reginv.toml"),
        "{err}"
    );
}

#[test]
fn from_env_is_none_without_vendor_variables() {
    let env = Environment::from_vars([("HOME", "/home/x"), ("NCLOUD_REGION", "sgn")]);
    assert!(Config::from_environment(&env).unwrap().is_none());
}

#[test]
fn from_env_builds_one_source_per_vendor() {
    let env = Environment::from_vars([
        ("NCLOUD_ACCESS_KEY_ID", "AK1"),
        ("NCLOUD_SECRET_KEY", SECRET),
        ("NCLOUD_REGION", "SGN"),
        ("HUAWEICLOUD_SDK_AK", "AK2"),
        ("HUAWEICLOUD_SDK_SK", SECRET),
        ("HUAWEICLOUD_SDK_REGION", "cn-north-4"),
        ("HUAWEICLOUD_SDK_PROJECT_ID", "p1"),
    ]);
    let config = Config::from_environment(&env).unwrap().unwrap();
    assert_eq!(config.origin, "environment");
    let names: Vec<&str> = config.providers.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["ncp-sgn", "huawei-cn-north-4"]);
    let ncp = &config.providers[0];
    assert_eq!(text(ncp, "region").unwrap(), "sgn");
    assert_eq!(
        text(ncp, "access_key_env").as_deref(),
        Some("NCLOUD_ACCESS_KEY_ID")
    );
    assert_eq!(
        text(ncp, "secret_key_env").as_deref(),
        Some("NCLOUD_SECRET_KEY")
    );
    let keys = ncp.access_keys(&env).unwrap().unwrap();
    assert_eq!(keys.access_key, "AK1");
    assert_eq!(keys.secret_key.expose(), SECRET);
    let swr = &config.providers[1];
    assert_eq!(text(swr, "project_id").as_deref(), Some("p1"));
    assert_eq!(text(swr, "security_token_env"), None);
    assert!(!format!("{config:?}").contains(SECRET));

    let ncp_only = Environment::from_vars([
        ("NCLOUD_ACCESS_KEY", "A"),
        ("NCLOUD_SECRET_ACCESS_KEY", "B"),
    ]);
    let config = Config::from_environment(&ncp_only).unwrap().unwrap();
    assert_eq!(config.providers.len(), 1);
    assert_eq!(config.providers[0].name(), "ncp-kr", "NCP defaults to kr");
}

#[test]
fn from_env_says_which_variable_is_missing() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("NCLOUD_ACCESS_KEY", "A")], "NCLOUD_SECRET_KEY"),
        (&[("NCLOUD_SECRET_KEY", "A")], "NCLOUD_ACCESS_KEY"),
        (&[("HUAWEICLOUD_SDK_AK", "A")], "HUAWEICLOUD_SDK_SK"),
        (
            &[("HUAWEICLOUD_SDK_AK", "A"), ("HUAWEICLOUD_SDK_SK", "B")],
            "HUAWEICLOUD_SDK_REGION",
        ),
        (
            &[
                ("NCLOUD_ACCESS_KEY", "A"),
                ("NCLOUD_SECRET_KEY", "B"),
                ("NCLOUD_REGION", "mars"),
            ],
            "mars",
        ),
    ];
    for (vars, expected) in cases {
        let env = Environment::from_vars(vars.iter().copied());
        let err = Config::from_environment(&env).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidConfig);
        assert!(err.to_string().contains(expected), "{err}");
    }
}

#[test]
fn key_variables_are_read_from_the_environment_given() {
    let config = parse(VALID).unwrap();
    let swr = &config.providers[1];
    let env = Environment::from_vars([("MY_AK", "AK"), ("MY_SK", SECRET)]);
    let keys = swr.access_keys(&env).unwrap().unwrap();
    assert_eq!(
        (keys.access_key.as_str(), keys.secret_key.expose()),
        ("AK", SECRET)
    );
    let err = swr
        .access_keys(&Environment::from_vars([("MY_AK", "AK")]))
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("provider \"swr-ap\": key `secret_key_env`"),
        "{msg}"
    );
    assert!(msg.contains("MY_SK, which is not set"), "{msg}");
    // Explicit keys need no environment; no keys at all leave it to the vendor.
    assert!(config.providers[0]
        .access_keys(&Environment::from_vars([("X", "Y")]))
        .unwrap()
        .is_some());
    let bare = ProviderConfig::new("n", "ncp").with("region", "kr");
    assert!(bare
        .access_keys(&Environment::from_vars([("X", "Y")]))
        .unwrap()
        .is_none());
}

#[cfg(feature = "ncp")]
#[test]
fn builds_ncp_providers_with_the_entry_settings() {
    let config = parse(VALID).unwrap();
    let ncp = reginv_ncp::NcpConfig::from_entry(
        &config.providers[0],
        &Environment::from_vars([("X", "Y")]),
    )
    .unwrap();
    assert_eq!(ncp.name, "ncp-kr");
    assert_eq!(ncp.region, reginv_ncp::NcpRegion::Kr);
    assert_eq!(ncp.endpoint.as_deref(), Some("http://127.0.0.1:18080"));
    assert_eq!(
        ncp.credentials.as_ref().map(|k| k.access_key.as_str()),
        Some("AKID")
    );
    let provider = ProviderFactories::builtin()
        .build_entry(&config.providers[0], &Environment::from_vars([("X", "Y")]))
        .unwrap();
    assert_eq!(provider.source().name, "ncp-kr");
    assert_eq!(provider.source().provider, crate::core::ProviderKind::NCP);
    assert!(
        reginv_ncp::NcpConfig::from_entry(&config.providers[1], &Environment::process()).is_err(),
        "kind huawei"
    );
}

#[cfg(feature = "huawei")]
#[test]
fn builds_huawei_credentials_from_the_entry() {
    use reginv_huawei::{HuaweiConfig, HuaweiCredentials};
    let env = Environment::from_vars([("MY_AK", "AK"), ("MY_SK", SECRET), ("TOK", "token-1")]);
    let config = parse(VALID).unwrap();
    let swr = HuaweiConfig::from_entry(&config.providers[1], &env).unwrap();
    assert_eq!(swr.page_size, 500);
    assert_eq!(
        swr.project_id.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert_eq!(swr.http.max_requests_per_second, Some(20.0));
    assert!(
        matches!(swr.credentials, Some(HuaweiCredentials::AkSk(ref k)) if k.access_key == "AK")
    );

    let mut temporary = config.providers[1].clone();
    temporary.set("security_token_env", "TOK");
    let swr = HuaweiConfig::from_entry(&temporary, &env).unwrap();
    assert!(matches!(
        swr.credentials,
        Some(HuaweiCredentials::Temporary { .. })
    ));

    let mut token = ProviderConfig::new("t", "huawei").with("region", "ap-southeast-1");
    token.set("token_env", "TOK");
    let swr = HuaweiConfig::from_entry(&token, &env).unwrap();
    assert!(matches!(swr.credentials, Some(HuaweiCredentials::Token(_))));
    token.set("token_env", "UNSET");
    let err = HuaweiConfig::from_entry(&token, &env).unwrap_err();
    assert!(
        err.to_string()
            .contains("key `token_env`: names the environment variable UNSET"),
        "{err}"
    );
}

#[test]
fn build_errors_name_origin_and_entry() {
    let config = parse(VALID).unwrap();
    let err = match config.build_providers(&Environment::from_vars([("MY_AK", "AK")])) {
        Ok(_) => panic!("expected an error"),
        Err(err) => err,
    };
    let msg = err.to_string();
    assert!(
        msg.contains("reginv.toml: providers[1] (\"swr-ap\"): key `secret_key_env`"),
        "{msg}"
    );
}

#[test]
fn validate_checks_configs_built_in_code() {
    let config = Config::new(
        vec![
            ProviderConfig::new("a", "ncp").with("region", "kr"),
            ProviderConfig::new("a", "ncp").with("region", "jpn"),
        ],
        "code",
    );
    let msg = config.validate().unwrap_err().to_string();
    assert!(msg.contains("code: providers[1]: key `name`"), "{msg}");
}

#[test]
fn the_store_table_gives_the_store_url() {
    let config = parse("[store]\nurl = \"sqlite:inv.db\"\n").unwrap();
    assert_eq!(config.store_url.as_deref(), Some("sqlite:inv.db"));
    assert_eq!(parse("").unwrap().store_url, None);
    assert!(parse_err("[store]\nuri = \"x\"\n").contains("unknown key `uri`"));
    assert!(parse_err("[store]\nurl = 3\n").contains("url must be a string"));
    assert!(parse_err("store = 1\n").contains("`store` must be a table"));
}

#[test]
fn an_audit_table_is_left_to_the_audit() {
    let text = format!(
        "{VALID}\n[audit]\nstale_days = 30\n\n[[audit.suppress]]\nrule = \"stale-image\"\n\
         target = \"*\"\nreason = \"r\"\nuntil = 2027-01-01\n"
    );
    assert_eq!(
        parse(&text).unwrap().providers.len(),
        parse(VALID).unwrap().providers.len()
    );
    // Only array tables of [audit], no [audit] header.
    let text = format!(
        "{VALID}\n[[audit.suppress]]\nrule = \"stale-image\"\ntarget = \"*\"\nreason = \"r\"\n"
    );
    assert_eq!(
        parse(&text).unwrap().providers.len(),
        parse(VALID).unwrap().providers.len()
    );
    let msg = parse_err(&format!("{VALID}\n[audits]\nx = 1\n"));
    assert!(msg.contains("unknown top-level key `audits`"), "{msg}");
}
