//! Rules over registry rows: `public-registry`, `registry-disconnected`,
//! `scan-on-push-disabled`.

use reginv::Registry;
use serde_json::json;

use super::{reported, Draft, Outcome};
use crate::input::SourceRows;

/// The source's registry rows, or why registry rules cannot be evaluated.
fn registries<'r>(
    source: &str,
    rows: &'r SourceRows<'_>,
    field: &str,
    known: impl Fn(&Registry) -> bool,
) -> Result<&'r [&'r Registry], String> {
    let Some(registries) = rows.registries.as_deref() else {
        return Err(format!(
            "the inventory carries no registry rows for {source}, so `{field}` of its \
             registries is unknown"
        ));
    };
    reported(registries, |r| known(r), source, field, "registries")?;
    Ok(registries)
}

/// `public-registry`: `public` is `true`.
pub(super) fn public(source: &str, rows: &SourceRows<'_>) -> Outcome {
    let registries = registries(source, rows, "registry.public", |r| r.public.is_some())?;
    Ok(registries
        .iter()
        .filter(|r| r.public == Some(true))
        .map(|r| {
            Draft::registry(
                r,
                format!("registry {} can be pulled from anonymously", r.name),
                json!({ "public": true }),
            )
        })
        .collect())
}

/// `registry-disconnected`: `status` is known and not `running`.
pub(super) fn disconnected(source: &str, rows: &SourceRows<'_>) -> Outcome {
    let registries = registries(source, rows, "registry.status", |r| r.status.is_some())?;
    Ok(registries
        .iter()
        .filter_map(|r| Some((*r, r.status.as_deref()?)))
        .filter(|(_, status)| !status.eq_ignore_ascii_case("running"))
        .map(|(r, status)| {
            Draft::registry(
                r,
                format!(
                    "registry {} is {status}, not running: its storage may be gone",
                    r.name
                ),
                json!({ "status": status }),
            )
        })
        .collect())
}

/// `scan-on-push-disabled`: `scan_on_push` is `false`.
pub(super) fn scan_on_push(source: &str, rows: &SourceRows<'_>) -> Outcome {
    let registries = registries(source, rows, "registry.scan_on_push", |r| {
        r.scan_on_push.is_some()
    })?;
    Ok(registries
        .iter()
        .filter(|r| r.scan_on_push == Some(false))
        .map(|r| {
            Draft::registry(
                r,
                format!("registry {} does not scan images on push", r.name),
                json!({ "scan_on_push": false }),
            )
        })
        .collect())
}
