//! Human-readable renderings for the table: sizes, counts, times and flags.

use chrono::{DateTime, Utc};

/// A size in binary units with one decimal (`512 B`, `1.5 KiB`, `2.0 GiB`); `-` when unknown.
pub fn size(bytes: Option<u64>) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let Some(bytes) = bytes else {
        return "-".to_string();
    };
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// A count, or `-` when unknown.
pub fn count(n: Option<u64>) -> String {
    n.map_or_else(|| "-".to_string(), |n| n.to_string())
}

/// A UTC time to the minute (`2024-05-01 12:30`), or `-` when unknown.
pub fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_string(),
        |t| t.format("%Y-%m-%d %H:%M").to_string(),
    )
}

/// `yes` / `no`, or `-` when unknown.
pub fn flag(b: Option<bool>) -> String {
    match b {
        Some(true) => "yes".to_string(),
        Some(false) => "no".to_string(),
        None => "-".to_string(),
    }
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(size(None), "-");
        assert_eq!(size(Some(0)), "0 B");
        assert_eq!(size(Some(1023)), "1023 B");
        assert_eq!(size(Some(1536)), "1.5 KiB");
        assert_eq!(size(Some(5 * 1024 * 1024 * 1024)), "5.0 GiB");
        assert_eq!(size(Some(u64::MAX)), "16.0 EiB");
    }

    #[test]
    fn times_flags_and_truncation() {
        let t = Utc.with_ymd_and_hms(2024, 5, 1, 12, 30, 59).unwrap();
        assert_eq!(time(Some(t)), "2024-05-01 12:30");
        assert_eq!(time(None), "-");
        assert_eq!(flag(Some(true)), "yes");
        assert_eq!(flag(None), "-");
        assert_eq!(count(Some(7)), "7");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }
}
