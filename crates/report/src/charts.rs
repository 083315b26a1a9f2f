//! Horizontal bar charts laid out here, drawn by the template as inline SVG (no script, no
//! library, nothing fetched; they print and read without JavaScript).

use serde::Serialize;

use crate::figures::Figures;
use crate::format::{bytes, count};

/// Width of the label column, in SVG units.
const LABEL_WIDTH: u32 = 280;
/// Width of the longest bar.
const BAR_WIDTH: u32 = 240;
/// Height of one row.
const ROW_HEIGHT: u32 = 26;
/// Labels longer than this are cut (the whole label is in the bar's tooltip).
const LABEL_CHARS: usize = 36;

/// One chart: a title and its bars, already laid out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BarChart {
    /// The element id (for `aria-labelledby`).
    pub id: String,
    /// What the chart shows.
    pub title: String,
    /// A line under the chart (what is left out, how buckets are made).
    pub note: Option<String>,
    /// The SVG's width.
    pub width: u32,
    /// The SVG's height.
    pub height: u32,
    /// The x where bars start.
    pub bar_x: u32,
    /// The bars, top to bottom.
    pub bars: Vec<Bar>,
}

/// One bar.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Bar {
    /// The whole label.
    pub label: String,
    /// The label as drawn (cut to fit).
    pub short_label: String,
    /// The value.
    pub value: u64,
    /// The value as drawn (`1.2 GiB`, `1,234`).
    pub display: String,
    /// Top of the row.
    pub y: u32,
    /// Length of the bar (0 for a zero value, at least 1 otherwise).
    pub length: u32,
}

impl BarChart {
    /// A chart of `(label, value)` rows; `show` formats a value.
    pub fn new(
        id: &str,
        title: &str,
        note: Option<String>,
        rows: impl IntoIterator<Item = (String, u64)>,
        show: fn(u64) -> String,
    ) -> Self {
        let rows: Vec<(String, u64)> = rows.into_iter().collect();
        let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0);
        let bars = rows
            .into_iter()
            .enumerate()
            .map(|(i, (label, value))| {
                let length = if max == 0 || value == 0 {
                    0
                } else {
                    ((value as u128 * BAR_WIDTH as u128 / max as u128) as u32).max(1)
                };
                let short_label = if label.chars().count() > LABEL_CHARS {
                    let cut: String = label.chars().take(LABEL_CHARS - 1).collect();
                    format!("{cut}…")
                } else {
                    label.clone()
                };
                Bar {
                    short_label,
                    display: show(value),
                    label,
                    value,
                    y: i as u32 * ROW_HEIGHT,
                    length,
                }
            })
            .collect::<Vec<_>>();
        BarChart {
            id: id.to_string(),
            title: title.to_string(),
            note,
            width: LABEL_WIDTH + BAR_WIDTH + 90,
            height: (bars.len() as u32 * ROW_HEIGHT).max(ROW_HEIGHT),
            bar_x: LABEL_WIDTH,
            bars,
        }
    }
}

/// The page's four charts.
pub fn charts(figures: &Figures) -> Vec<BarChart> {
    let pull_note = "A source reports pulls when any of its tags carries a pull time; there, a \
                     tag without one was never pulled."
        .to_string();
    vec![
        BarChart::new(
            "chart-size",
            "Size by registry",
            Some(format!(
                "The {} largest registries; the rest grouped.",
                crate::figures::LARGEST_REGISTRIES
            )),
            figures
                .size_by_registry
                .iter()
                .map(|r| (r.label.clone(), r.size_bytes)),
            bytes,
        ),
        BarChart::new(
            "chart-push",
            "Tags by age of last push",
            Some("Age at the time of the inventory.".into()),
            figures
                .tags_by_push_age
                .iter()
                .map(|b| (b.label.clone(), b.count)),
            count,
        ),
        BarChart::new(
            "chart-pull",
            "Tags by last pull",
            Some(pull_note),
            figures
                .tags_by_last_pull
                .iter()
                .map(|b| (b.label.clone(), b.count)),
            count,
        ),
        BarChart::new(
            "chart-sources",
            "Repositories per source",
            None,
            figures
                .by_source
                .iter()
                .map(|s| (s.name.clone(), s.repositories)),
            count,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value() {
        let chart = BarChart::new(
            "c",
            "t",
            None,
            [
                ("a".to_string(), 10),
                ("b".into(), 5),
                ("c".into(), 0),
                ("d".into(), 1),
            ],
            count,
        );
        let lengths: Vec<u32> = chart.bars.iter().map(|b| b.length).collect();
        assert_eq!(lengths, [BAR_WIDTH, BAR_WIDTH / 2, 0, BAR_WIDTH / 10]);
        assert_eq!(chart.bars[1].y, ROW_HEIGHT);
        assert_eq!(chart.height, 4 * ROW_HEIGHT);
    }

    #[test]
    fn long_labels_are_cut_but_kept_whole_for_the_tooltip() {
        let long = "x".repeat(100);
        let chart = BarChart::new("c", "t", None, [(long.clone(), 1)], count);
        assert_eq!(chart.bars[0].label, long);
        assert_eq!(chart.bars[0].short_label.chars().count(), LABEL_CHARS);
        let empty = BarChart::new("c", "t", None, Vec::new(), count);
        assert_eq!(empty.height, ROW_HEIGHT);
    }
}
