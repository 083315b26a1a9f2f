//! The page: the template filled with the figures, charts, sections and embedded data.

use base64::Engine as _;
use minijinja::{context, Environment};
use reginv::{Failure, InventoryReport};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::charts::charts;
use crate::data::TableData;
use crate::embed::script_json;
use crate::figures::Figures;
use crate::format;
use crate::sections::{Audit, AuditFinding, Change, Changes, Section};
use crate::RenderError;

const TEMPLATE: &str = include_str!("../assets/report.html");
const STYLE: &str = include_str!("../assets/report.css");
const SCRIPT: &str = include_str!("../assets/report.js");

/// At most this many failures, findings or changes are listed in the page (all are counted).
pub const LIST_LIMIT: usize = 1000;

/// What a page is made of.
#[derive(Clone, Debug)]
pub struct Page<'a> {
    /// The inventory.
    pub report: &'a InventoryReport,
    /// The page's title.
    pub title: String,
    /// Where the inventory comes from, in words (`a live inventory`, `report.json`, …).
    pub origin: String,
    /// The audit of the inventory.
    pub audit: Section<Audit>,
    /// The changes since the previous snapshot.
    pub changes: Section<Changes>,
}

impl<'a> Page<'a> {
    /// A page of `report` titled `title`, with neither audit nor changes (each says why not
    /// until the caller fills it).
    pub fn new(report: &'a InventoryReport, title: impl Into<String>) -> Self {
        Page {
            report,
            title: title.into(),
            origin: "a live inventory".into(),
            audit: Section::not_available("no audit was run for this page"),
            changes: Section::not_available(
                "no snapshot store was given (reginv report --store URL)",
            ),
        }
    }
}

/// The `Content-Security-Policy` of the page: nothing may be loaded from anywhere; only the
/// page's own script and style (by hash) run; images only as `data:` (none are used).
pub fn content_security_policy() -> String {
    format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; img-src data:; base-uri 'none'; \
         form-action 'none'",
        sha256(SCRIPT),
        sha256(STYLE)
    )
}

fn sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[derive(Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum AuditView<'a> {
    Available {
        total: usize,
        suppressed: usize,
        counts: crate::sections::AuditCounts,
        evaluated: &'a [String],
        not_evaluated: &'a [crate::sections::NotEvaluated],
        findings: Vec<&'a AuditFinding>,
        hidden: usize,
    },
    NotAvailable {
        reason: &'a str,
    },
}

#[derive(Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum ChangesView<'a> {
    Available {
        previous: &'a str,
        current: &'a str,
        total: usize,
        counts: Vec<(String, u64)>,
        list: Vec<&'a Change>,
        hidden: usize,
        not_compared: &'a [String],
    },
    NotAvailable {
        reason: &'a str,
    },
}

fn audit_view(section: &Section<Audit>) -> AuditView<'_> {
    match section {
        Section::Available(audit) => {
            let mut findings = audit.sorted_findings();
            let hidden = findings.len().saturating_sub(LIST_LIMIT);
            findings.truncate(LIST_LIMIT);
            AuditView::Available {
                total: audit.active(),
                suppressed: audit.findings.len() - audit.active(),
                counts: audit.counts(),
                evaluated: &audit.evaluated,
                not_evaluated: &audit.not_evaluated,
                findings,
                hidden,
            }
        }
        Section::NotAvailable { reason } => AuditView::NotAvailable { reason },
    }
}

fn changes_view(section: &Section<Changes>) -> ChangesView<'_> {
    match section {
        Section::Available(changes) => {
            let mut list = changes.sorted();
            let hidden = list.len().saturating_sub(LIST_LIMIT);
            list.truncate(LIST_LIMIT);
            ChangesView::Available {
                previous: &changes.previous,
                current: &changes.current,
                total: changes.changes.len(),
                counts: changes.counts(),
                list,
                hidden,
                not_compared: &changes.not_compared,
            }
        }
        Section::NotAvailable { reason } => ChangesView::NotAvailable { reason },
    }
}

fn environment() -> Result<Environment<'static>, RenderError> {
    let mut env = Environment::new();
    env.add_filter("count", format::count);
    env.add_filter("bytes", format::bytes);
    // Named `.html`: every `{{ value }}` is HTML-escaped; only the page's own style, script
    // and the escaped JSON are marked `|safe`.
    env.add_template("report.html", TEMPLATE)?;
    Ok(env)
}

/// Renders `page` as one self-contained HTML document.
pub fn render(page: &Page<'_>) -> Result<String, RenderError> {
    let report = page.report;
    let figures = Figures::of(report);
    let failed_sources: Vec<&str> = {
        let mut names: Vec<&str> = report.errors.iter().map(|e| e.source.as_str()).collect();
        names.dedup();
        names
    };
    let failures: Vec<&Failure> = report.errors.iter().take(LIST_LIMIT).collect();
    let env = environment()?;
    let template = env.get_template("report.html")?;
    let html = template.render(context! {
        title => &page.title,
        origin => &page.origin,
        version => env!("CARGO_PKG_VERSION"),
        generated_at => report.generated_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        csp => content_security_policy(),
        totals => &figures.totals,
        by_source => &figures.by_source,
        by_provider => &figures.by_provider,
        charts => charts(&figures),
        failed_sources => failed_sources,
        failures => failures,
        failures_hidden => report.errors.len().saturating_sub(LIST_LIMIT),
        audit => audit_view(&page.audit),
        changes => changes_view(&page.changes),
        data_json => script_json(&TableData::of(report))?,
        style => STYLE,
        script => SCRIPT,
    })?;
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::tests::sample;
    use crate::sections::NotEvaluated;

    const HOSTILE: &str = "x</script><script>alert(1)</script><!-- \u{2028} </SCRIPT >";

    fn hostile_report() -> InventoryReport {
        let mut report = sample();
        report.repositories[0].description = Some(HOSTILE.into());
        report.repositories[1].name = "<img src=x onerror=alert(1)>".into();
        report.errors[0].message = "<b>bad</b>".into();
        report
    }

    /// The text between `<script type="application/json" id="reginv-data">` and the next
    /// `</script>`.
    fn data_block(html: &str) -> &str {
        let open = "<script type=\"application/json\" id=\"reginv-data\">";
        let start = html.find(open).expect("data block") + open.len();
        let len = html[start..].find("</script>").expect("end of data block");
        &html[start..start + len]
    }

    #[test]
    fn user_data_cannot_close_the_script_or_inject_markup() {
        let report = hostile_report();
        let html = render(&Page::new(&report, "T")).unwrap();
        // Exactly two script elements: the data and the page's own script.
        assert_eq!(html.matches("<script").count(), 2, "{html}");
        assert_eq!(html.to_ascii_lowercase().matches("</script").count(), 2);
        assert!(!html.contains("<!-- "));
        assert!(!html.contains('\u{2028}'));
        assert!(!html.contains("<img"));
        assert!(!html.contains("<b>bad"));
        assert!(html.contains("&lt;b&gt;bad&lt;&#x2f;b&gt;") || html.contains("&lt;b&gt;bad"));
        let data: serde_json::Value = serde_json::from_str(data_block(&html)).unwrap();
        assert_eq!(data["rows"][0][3], HOSTILE);
        assert_eq!(data["rows"][1][2], "<img src=x onerror=alert(1)>");
    }

    #[test]
    fn the_title_is_escaped() {
        let report = sample();
        let html = render(&Page::new(&report, "<script>alert(1)</script> & co")).unwrap();
        // The sample is partial: its title says so first, for tabs and printed headers.
        assert!(html.contains(
            "<title>[incomplete] &lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; co</title>"
        ));
    }

    #[test]
    fn the_policy_admits_only_the_pages_own_script_and_style() {
        let report = sample();
        let html = render(&Page::new(&report, "T")).unwrap();
        let csp = content_security_policy();
        assert!(csp.starts_with("default-src 'none'"));
        // The attribute as the browser reads it (minijinja escapes ' and /).
        let unescaped = html.replace("&#x27;", "'").replace("&#x2f;", "/");
        assert!(unescaped.contains(&format!("content=\"{csp}\"")));
        assert!(html.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(html.contains(&format!("<style>{STYLE}</style>")));
        assert!(csp.contains(&sha256(SCRIPT)) && csp.contains(&sha256(STYLE)));
        // Nothing is loaded: no src or href points anywhere but into the page.
        for attr in ["src=\"", "href=\""] {
            for (i, _) in html.match_indices(attr) {
                let value = &html[i + attr.len()..];
                assert!(
                    value.starts_with('#'),
                    "{attr}{}",
                    &value[..40.min(value.len())]
                );
            }
        }
        assert!(!html.contains("http://") && !html.contains("https://"));
    }

    #[test]
    fn a_partial_report_says_so_at_the_top_and_lists_its_failures() {
        let report = sample();
        let html = render(&Page::new(&report, "T")).unwrap();
        let banner = html.find("id=\"incomplete\"").expect("banner");
        assert!(banner < html.find("id=\"figures\"").unwrap());
        assert!(html.contains("id=\"failure-list\""));
        assert!(html.contains("signature mismatch"));
        assert!(
            html.contains("<body data-complete=\"false\">"),
            "{}",
            &html[html.find("<body").unwrap()..][..60]
        );
        let mut complete = sample();
        complete.errors.clear();
        complete.complete = true;
        let html = render(&Page::new(&complete, "T")).unwrap();
        assert!(!html.contains("id=\"incomplete\""));
        assert!(html.contains("id=\"no-failures\""));
    }

    #[test]
    fn headline_figures_carry_the_totals() {
        let report = sample();
        let html = render(&Page::new(&report, "T")).unwrap();
        let totals = Figures::of(&report).totals;
        for (name, value) in [
            ("sources", totals.sources),
            ("registries", totals.registries),
            ("repositories", totals.repositories),
            ("tags", totals.tags),
            ("size_bytes", totals.size_bytes),
            ("errors", totals.errors),
        ] {
            let needle = format!("data-figure=\"{name}\" data-value=\"{value}\"");
            assert!(html.contains(&needle), "{needle}");
        }
    }

    #[test]
    fn sections_render_their_data_or_say_why_not() {
        let report = sample();
        let mut page = Page::new(&report, "T");
        let html = render(&page).unwrap();
        assert!(html.contains("id=\"audit-unavailable\""));
        assert!(html.contains("id=\"changes-unavailable\""));
        page.audit = Section::Available(Audit {
            findings: vec![AuditFinding {
                rule: "public-repository".into(),
                severity: "high".into(),
                target: "ncp-kr / prod/team/api".into(),
                message: "<public>".into(),
                suppressed: false,
            }],
            evaluated: vec!["public-repository".into()],
            not_evaluated: vec![NotEvaluated {
                rule: "scan-on-push".into(),
                reason: "no provider reported it".into(),
            }],
        });
        page.changes = Section::Available(Changes {
            previous: "run 1".into(),
            current: "run 2".into(),
            changes: vec![
                Change {
                    kind: "tag_added".into(),
                    retag: false,
                    target: "a".into(),
                    detail: String::new(),
                },
                Change {
                    kind: "tag_moved".into(),
                    retag: true,
                    target: "b".into(),
                    detail: "sha256:1 → sha256:2".into(),
                },
            ],
            not_compared: vec!["ncp-jpn: <failed> in run 2".into()],
        });
        let html = render(&page).unwrap();
        assert!(html.contains("data-figure=\"findings\" data-value=\"1\""));
        assert!(html.contains("<code>scan-on-push</code>: no provider reported it"));
        assert!(html.contains("&lt;public&gt;"));
        assert!(html.contains("data-figure=\"changes\" data-value=\"2\""));
        let list = &html[html.find("id=\"change-list\"").unwrap()..];
        assert!(list.find("tag_moved").unwrap() < list.find("tag_added").unwrap());
        assert!(html.contains("<li>ncp-jpn: &lt;failed&gt; in run 2</li>"));
    }
}
