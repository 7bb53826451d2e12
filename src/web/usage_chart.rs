//! Uses per day as a server-rendered SVG bar chart: no JavaScript, scales
//! to its box (readable at 390 px), one bar per day with uses and a red cap
//! for refusals, each with a `<title>` a screen reader and a hover read.
//! A leaf: it imports no screen.

use std::fmt::Write as _;

use time::Date;

/// One day of the chart.
pub struct Bar {
    pub date: Date,
    pub uses: i64,
    pub refused: i64,
}

const HEIGHT: f64 = 120.0;
const SLOT: f64 = 10.0;

/// The chart's SVG markup (escaped, ready to embed).
pub fn svg(bars: &[Bar], label: &str) -> String {
    let max = bars.iter().map(|b| b.uses + b.refused).max().unwrap_or(0).max(1) as f64;
    let width = SLOT * bars.len().max(1) as f64;
    let total: i64 = bars.iter().map(|b| b.uses).sum();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="usage-chart" viewBox="0 0 {width} {h}" preserveAspectRatio="none" role="img" aria-label="{label}: {total} uses in {n} days" xmlns="http://www.w3.org/2000/svg">"#,
        h = HEIGHT + 2.0,
        label = askama::filters::escape(label, askama::filters::Html).map(|e| e.to_string()).unwrap_or_default(),
        n = bars.len(),
    );
    let _ = write!(out, r#"<line class="axis" x1="0" y1="{HEIGHT}" x2="{width}" y2="{HEIGHT}"/>"#);
    for (i, b) in bars.iter().enumerate() {
        let x = i as f64 * SLOT + 1.0;
        let used = b.uses as f64 / max * HEIGHT;
        let refused = b.refused as f64 / max * HEIGHT;
        let title = format!("{}: {} uses, {} refused", b.date, b.uses, b.refused);
        if b.uses > 0 {
            let _ = write!(
                out,
                r#"<rect class="bar" data-date="{d}" x="{x}" y="{y:.2}" width="8" height="{used:.2}"><title>{title}</title></rect>"#,
                d = b.date,
                y = HEIGHT - used,
            );
        }
        if b.refused > 0 {
            let _ = write!(
                out,
                r#"<rect class="bar-refused" data-date="{d}" x="{x}" y="{y:.2}" width="8" height="{refused:.2}"><title>{title}</title></rect>"#,
                d = b.date,
                y = HEIGHT - used - refused,
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn one_bar_per_day_with_uses() {
        let bars = vec![
            Bar { date: date!(2026 - 11 - 28), uses: 0, refused: 0 },
            Bar { date: date!(2026 - 11 - 29), uses: 5, refused: 1 },
            Bar { date: date!(2026 - 11 - 30), uses: 10, refused: 0 },
        ];
        let svg = svg(&bars, "Uses <per> day");
        assert_eq!(svg.matches(r#"class="bar""#).count(), 2);
        assert_eq!(svg.matches(r#"class="bar-refused""#).count(), 1);
        assert!(svg.contains("2026-11-30: 10 uses, 0 refused"));
        assert!(svg.contains("Uses &#60;per&#62; day") || svg.contains("Uses &lt;per&gt; day"));
    }
}
