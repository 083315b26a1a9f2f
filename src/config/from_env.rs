//! Sources from the vendors' own environment variables, for runs without a configuration file.

use crate::core::{Error, Result};

use super::validate::validate_entry;
use super::{Config, Environment, Location, ProviderConfig};

/// NCP access key variables, in the order NAVER Cloud's tools read them.
pub(crate) const NCP_ACCESS_KEY_VARS: [&str; 2] = ["NCLOUD_ACCESS_KEY", "NCLOUD_ACCESS_KEY_ID"];
/// NCP secret key variables.
pub(crate) const NCP_SECRET_KEY_VARS: [&str; 2] = ["NCLOUD_SECRET_KEY", "NCLOUD_SECRET_ACCESS_KEY"];
/// The NCP region variable.
pub(crate) const NCP_REGION_VAR: &str = "NCLOUD_REGION";
/// Huawei Cloud SDK variables.
pub(crate) const HUAWEI_AK_VAR: &str = "HUAWEICLOUD_SDK_AK";
pub(crate) const HUAWEI_SK_VAR: &str = "HUAWEICLOUD_SDK_SK";
pub(crate) const HUAWEI_REGION_VAR: &str = "HUAWEICLOUD_SDK_REGION";
pub(crate) const HUAWEI_PROJECT_VAR: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
pub(crate) const HUAWEI_TOKEN_VAR: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";

const ORIGIN: &str = "environment";

/// See [`Config::from_env`].
pub(crate) fn from_environment(env: &Environment) -> Result<Option<Config>> {
    let mut providers = Vec::new();
    if let Some((access_var, _)) = env.first_of(&NCP_ACCESS_KEY_VARS) {
        let Some((secret_var, _)) = env.first_of(&NCP_SECRET_KEY_VARS) else {
            return Err(Error::config(format!(
                "{ORIGIN}: {access_var} is set but neither {} nor {} is; set the secret key too",
                NCP_SECRET_KEY_VARS[0], NCP_SECRET_KEY_VARS[1]
            )));
        };
        let region = env
            .var(NCP_REGION_VAR)
            .map(|r| r.trim().to_ascii_lowercase())
            .unwrap_or_else(|| "kr".to_string());
        let mut entry = ProviderConfig::new(format!("ncp-{region}"), "ncp", region);
        entry.access_key_env = Some(access_var);
        entry.secret_key_env = Some(secret_var);
        providers.push(entry);
    } else if let Some((secret_var, _)) = env.first_of(&NCP_SECRET_KEY_VARS) {
        return Err(Error::config(format!(
            "{ORIGIN}: {secret_var} is set but neither {} nor {} is; set the access key too",
            NCP_ACCESS_KEY_VARS[0], NCP_ACCESS_KEY_VARS[1]
        )));
    }
    if env.var(HUAWEI_AK_VAR).is_some() {
        if env.var(HUAWEI_SK_VAR).is_none() {
            return Err(Error::config(format!(
                "{ORIGIN}: {HUAWEI_AK_VAR} is set but {HUAWEI_SK_VAR} is not; set the secret key too"
            )));
        }
        let Some(region) = env.var(HUAWEI_REGION_VAR).map(|r| r.trim().to_string()) else {
            return Err(Error::config(format!(
                "{ORIGIN}: {HUAWEI_AK_VAR} is set but {HUAWEI_REGION_VAR} is not; set it to the \
                 SWR region to list (e.g. ap-southeast-1), or write a configuration file"
            )));
        };
        let mut entry = ProviderConfig::new(format!("huawei-{region}"), "huawei", region);
        entry.access_key_env = Some(HUAWEI_AK_VAR.to_string());
        entry.secret_key_env = Some(HUAWEI_SK_VAR.to_string());
        entry.project_id = env.var(HUAWEI_PROJECT_VAR).map(|p| p.trim().to_string());
        if env.var(HUAWEI_TOKEN_VAR).is_some() {
            entry.security_token_env = Some(HUAWEI_TOKEN_VAR.to_string());
        }
        providers.push(entry);
    }
    if providers.is_empty() {
        return Ok(None);
    }
    for entry in &providers {
        let location = Location {
            origin: ORIGIN.to_string(),
            index: None,
            name: Some(entry.name.as_str()),
        };
        validate_entry(entry, &|key, message| location.error(Some(key), message))?;
    }
    Ok(Some(Config::new(providers, ORIGIN)))
}
