//! Charts drawn as SVG on the server for the console's report pages. Each function takes plain
//! numbers and captions already in the viewer's language and returns one `<svg>` element as a
//! string to embed inline: presentation attributes and classes only, no style, script or link,
//! so it passes the strict CSP. Same input, same string.
//!
//! Numbers are `f64` in whatever unit the caller likes (money in fen, rates as 0.125 or 12.5,
//! counts); the caller's [`Format`] writes them for people, on axes and in hover titles. Ticks
//! are nice in that unit, and since 100 fen = ¥1 nice fen are nice yuan. NaN or infinite values
//! mean "missing": no point, no bar. The `<svg>` has `width="100%"` and a `viewBox`, no
//! height, so it scales with its container; give it a class-based `max-width` in the
//! stylesheet if a wide screen makes it too large. Root classes: `chart chart-<kind>`.

mod axis;
mod bar;
mod frame;
mod heat_map;
mod horizontal_bar;
mod line;
mod plot;
mod sparkline;
mod svg;

pub use bar::{bars, stacked_bars};
pub use heat_map::{HeatMap, heat_map};
pub use horizontal_bar::horizontal_bars;
pub use line::line;
pub use sparkline::sparkline;

/// How numbers on an axis and in labels are written: the caller formats (money in fen as
/// ¥1,234.50, rates as 12.5 %, counts).
pub type Format<'a> = &'a dyn Fn(f64) -> String;

/// One named row of figures, one value per category in order; NaN marks a missing value.
/// Values past the last category are ignored; categories past the last value are missing.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Shown in the legend and in each point's hover title.
    pub name: String,
    pub values: Vec<f64>,
}

impl Series {
    /// A series from its name and values.
    pub fn new(name: impl Into<String>, values: Vec<f64>) -> Self {
        Series {
            name: name.into(),
            values,
        }
    }
}

/// What the line and bar charts draw: categories along one axis, one or more series of values.
#[derive(Clone, Copy)]
pub struct Chart<'a> {
    /// Shown as the SVG's `<title>` (its accessible name) and as a visible heading.
    pub title: &'a str,
    /// Title of the category axis (days, months, stores...), in the viewer's language.
    pub x_label: &'a str,
    /// Title of the value axis, in the viewer's language.
    pub y_label: &'a str,
    /// The x positions, in order; every one is drawn, labels are thinned when crowded.
    pub categories: &'a [String],
    pub series: &'a [Series],
    /// Writes tick labels and hover figures.
    pub format: Format<'a>,
    /// Text shown in an empty frame when there is nothing to draw ("暂无数据").
    pub empty: &'a str,
}

impl Chart<'_> {
    /// Value of series `s` at category `i`, if present and finite. Absurd magnitudes are
    /// capped so sums of them stay finite.
    fn value(&self, s: usize, i: usize) -> Option<f64> {
        let v = *self.series.get(s)?.values.get(i)?;
        (i < self.categories.len() && v.is_finite()).then_some(v.clamp(-LIMIT, LIMIT))
    }

    /// Every present value, series by series.
    fn present(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.series.len())
            .flat_map(move |s| (0..self.categories.len()).filter_map(move |i| self.value(s, i)))
    }

    /// Smallest and largest present value; `None` means there is nothing to draw.
    fn extent(&self) -> Option<(f64, f64)> {
        self.present().fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
        })
    }

    /// Counts get whole-number ticks only.
    fn whole(&self) -> bool {
        self.present().all(|v| v.fract() == 0.0)
    }

    /// The `<desc>`: axis titles, series names and the range, all in the caller's words.
    fn describe(&self, lo: f64, hi: f64) -> String {
        let names: Vec<&str> = self.series.iter().map(|s| s.name.as_str()).collect();
        format!(
            "{} / {}: {}; {} – {}",
            self.y_label,
            self.x_label,
            names.join(", "),
            (self.format)(lo),
            (self.format)(hi)
        )
    }

    /// Hover text for one figure: "category · series: value" (no series part when unnamed).
    fn tip(&self, s: usize, i: usize, v: f64) -> String {
        let category = self.categories.get(i).map_or("", String::as_str);
        let name = self.series.get(s).map_or("", |s| s.name.as_str());
        tip(category, name, &(self.format)(v))
    }
}

/// Larger magnitudes than this are drawn as this; no shop has 10^300 fen.
const LIMIT: f64 = 1e300;

/// "category · series: value", or "category: value" when the series has no name.
fn tip(category: &str, series: &str, value: &str) -> String {
    if series.is_empty() {
        format!("{category}: {value}")
    } else {
        format!("{category} · {series}: {value}")
    }
}

#[cfg(test)]
mod tests {
    use super::svg::inspect;
    use super::*;

    fn yuan(v: f64) -> String {
        format!("¥{:.2}", v / 100.0)
    }

    fn cats(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("第{i}天")).collect()
    }

    type Draw = fn(&Chart<'_>) -> String;
    const ALL: [(&str, Draw); 4] = [
        ("line", line),
        ("bars", bars),
        ("stacked", stacked_bars),
        ("horizontal", horizontal_bars),
    ];

    #[test]
    fn every_chart_survives_awkward_data() {
        let cases: Vec<(usize, Vec<Series>)> = vec![
            (0, vec![]),
            (3, vec![]),
            (0, vec![Series::new("a", vec![1.0])]),
            (1, vec![Series::new("a", vec![42.0])]),
            (4, vec![Series::new("a", vec![0.0; 4])]),
            (4, vec![Series::new("a", vec![-5.0, -1.0, -300.0, -2.5])]),
            (3, vec![Series::new("a", vec![1e12, 3e11, 9.99e11])]),
            (
                3,
                vec![
                    Series::new("a", vec![f64::NAN; 3]),
                    Series::new("b", vec![]),
                ],
            ),
            (
                3,
                vec![Series::new(
                    "a",
                    vec![f64::INFINITY, 1.0, f64::NEG_INFINITY],
                )],
            ),
            (2, vec![Series::new("a", vec![f64::MAX, -f64::MAX])]),
            (
                5,
                vec![
                    Series::new("a", vec![1.0, 2.0]),
                    Series::new("b", vec![3.0; 9]),
                ],
            ),
            (
                730,
                vec![Series::new(
                    "a",
                    (0..730).map(|i| (i % 17) as f64 * 1e3).collect(),
                )],
            ),
        ];
        for (n, series) in &cases {
            let categories = cats(*n);
            let c = Chart {
                title: "t",
                x_label: "x",
                y_label: "y",
                categories: &categories,
                series,
                format: &yuan,
                empty: "暂无数据",
            };
            for (kind, draw) in ALL {
                let out = draw(&c);
                inspect::assert_clean(&out);
                assert_eq!(out, draw(&c), "{kind} is deterministic");
            }
        }
    }

    #[test]
    fn empty_data_draws_a_frame_with_the_empty_text() {
        let categories = cats(3);
        let series = [Series::new("a", vec![f64::NAN; 3])];
        let c = Chart {
            title: "月度销售",
            x_label: "月份",
            y_label: "金额",
            categories: &categories,
            series: &series,
            format: &yuan,
            empty: "暂无数据",
        };
        for (kind, draw) in ALL {
            let all = inspect::assert_clean(&draw(&c));
            assert!(
                all.iter().any(|e| e.name == "text" && e.text == "暂无数据"),
                "{kind}"
            );
            assert!(
                all.iter().any(|e| e.attr("class") == "chart-empty-frame"),
                "{kind}"
            );
            assert!(
                all.iter()
                    .all(|e| e.title.as_deref().is_none_or(|t| !t.contains(':'))),
                "{kind}"
            );
        }
    }

    #[test]
    fn caller_text_is_escaped_everywhere() {
        let nasty = r#"<script>&"门店'</script>"#;
        let categories = vec![nasty.to_owned(), "b".to_owned()];
        let series = [
            Series::new(nasty, vec![1.0, 2.0]),
            Series::new("s2", vec![3.0, -1.0]),
        ];
        let fmt = |v: f64| format!("<{v}&>");
        let c = Chart {
            title: nasty,
            x_label: nasty,
            y_label: nasty,
            categories: &categories,
            series: &series,
            format: &fmt,
            empty: nasty,
        };
        for (kind, draw) in ALL {
            let out = draw(&c);
            assert!(!out.contains("<script"), "{kind}");
            let all = inspect::assert_clean(&out);
            assert_eq!(all[1].name, "title");
            assert_eq!(all[1].text, nasty, "{kind}");
            let tip = format!("{nasty} · {nasty}: <1&>");
            assert!(
                all.iter().any(|e| e.title.as_deref() == Some(tip.as_str())),
                "{kind}"
            );
        }
    }

    #[test]
    fn hover_tip_names_category_series_and_value() {
        assert_eq!(tip("3月", "线上", "¥1.00"), "3月 · 线上: ¥1.00");
        assert_eq!(tip("3月", "", "¥1.00"), "3月: ¥1.00");
    }

    #[test]
    fn missing_and_out_of_range_values_are_absent() {
        let categories = cats(2);
        let series = [Series::new("a", vec![1.0, f64::NAN, 7.0])];
        let c = Chart {
            title: "t",
            x_label: "",
            y_label: "",
            categories: &categories,
            series: &series,
            format: &yuan,
            empty: "",
        };
        assert_eq!(c.extent(), Some((1.0, 1.0)));
        assert_eq!(c.value(0, 2), None);
        assert_eq!(c.value(1, 0), None);
        assert!(c.whole());
    }
}
