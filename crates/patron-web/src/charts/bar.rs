//! Vertical bar charts, grouped (series side by side in each category) or stacked (series on
//! top of each other). Bars grow from zero, so refunds and other negative values hang below
//! the zero line.

use super::Chart;
use super::frame::{self, HEIGHT, Legend, Swatch, colour};
use super::plot::{self, Plot};
use super::svg::{Svg, Tag, round1};

/// Share of a category's slot the bars fill; the rest separates neighbouring categories.
const FILL: f64 = 0.8;

/// Draws grouped vertical bars, one per series in each category, from zero; negative values
/// go below a drawn zero line. Legend when there is more than one series. Without categories
/// or any present value, draws the `empty` frame.
pub fn bars(c: &Chart<'_>) -> String {
    let Some((min, max)) = c.extent() else {
        return frame::empty("bars", c.title, c.empty);
    };
    let (mut svg, p) = start(c, min.min(0.0), max.max(0.0), c.series.len() > 1);
    let zero = round1(p.y.at(0.0));
    let n = c.series.len().max(1) as f64;
    let group = p.x.step * FILL;
    let slot = group / n;
    let width = round1(if n > 1.0 { slot * 0.9 } else { slot }).max(0.1);
    for s in 0..c.series.len() {
        svg.open(
            Tag::new("g")
                .attr("fill", colour(s))
                .attr("class", "chart-bars"),
        );
        for i in 0..c.categories.len() {
            let Some(v) = c.value(s, i) else { continue };
            let x = p.x.slot(i) + (p.x.step - group) / 2.0 + s as f64 * slot;
            let top = round1(p.y.at(v));
            svg.with_tip(
                bar(x, top.min(zero), width, (top - zero).abs()),
                &c.tip(s, i, v),
            );
        }
        svg.close("g");
    }
    frame::document("bars", c.title, &c.describe(min, max), HEIGHT, &svg)
}

/// Draws stacked vertical bars, first series at the bottom, with a legend. Positive values
/// stack up from zero and negative values down from it, so each stack's top is the sum of
/// its positive values. Without categories or any present value, draws the `empty` frame.
pub fn stacked_bars(c: &Chart<'_>) -> String {
    let Some((min, max)) = c.extent() else {
        return frame::empty("stacked-bars", c.title, c.empty);
    };
    let n = c.categories.len();
    let (mut lo, mut hi) = (0.0_f64, 0.0_f64);
    for i in 0..n {
        let (down, up) =
            (0..c.series.len())
                .filter_map(|s| c.value(s, i))
                .fold((0.0, 0.0), |(down, up), v| {
                    if v < 0.0 {
                        (down + v, up)
                    } else {
                        (down, up + v)
                    }
                });
        lo = lo.min(down);
        hi = hi.max(up);
    }
    let (mut svg, p) = start(c, lo, hi, true);
    let width = round1(p.x.step * FILL).max(0.1);
    let (mut ups, mut downs) = (vec![0.0_f64; n], vec![0.0_f64; n]);
    for s in 0..c.series.len() {
        svg.open(
            Tag::new("g")
                .attr("fill", colour(s))
                .attr("class", "chart-bars"),
        );
        for i in 0..n {
            let Some(v) = c.value(s, i) else { continue };
            let total = if v < 0.0 { &mut downs[i] } else { &mut ups[i] };
            let from = round1(p.y.at(*total));
            *total += v;
            let to = round1(p.y.at(*total));
            let x = p.x.slot(i) + p.x.step * (1.0 - FILL) / 2.0;
            svg.with_tip(
                bar(x, from.min(to), width, (from - to).abs()),
                &c.tip(s, i, v),
            );
        }
        svg.close("g");
    }
    frame::document("stacked-bars", c.title, &c.describe(min, max), HEIGHT, &svg)
}

/// Heading, legend and plot for a bar chart over `lo..=hi`.
fn start(c: &Chart<'_>, lo: f64, hi: f64, with_legend: bool) -> (Svg, Plot) {
    let mut svg = Svg::default();
    let mut top = frame::heading(&mut svg, c.title);
    let legend = if with_legend {
        Legend::layout(c.series.iter().map(|s| s.name.as_str()))
    } else {
        Legend::none()
    };
    legend.draw(&mut svg, top, Swatch::Block);
    top += legend.height();
    let p = plot::draw(&mut svg, c, top, lo, hi);
    (svg, p)
}

fn bar(x: f64, y: f64, width: f64, height: f64) -> Tag {
    Tag::new("rect")
        .num("x", round1(x))
        .num("y", y)
        .num("width", width)
        .num("height", height)
}

#[cfg(test)]
mod tests {
    use super::super::Series;
    use super::super::svg::inspect::{self, Element};
    use super::*;

    fn count(v: f64) -> String {
        format!("{v:.0}")
    }

    fn chart<'a>(categories: &'a [String], series: &'a [Series]) -> Chart<'a> {
        Chart {
            title: "销售额",
            x_label: "门店",
            y_label: "金额",
            categories,
            series,
            format: &count,
            empty: "暂无数据",
        }
    }

    fn cats(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    fn rects(svg: &str) -> Vec<Element> {
        inspect::tipped(&inspect::assert_clean(svg), "rect")
            .into_iter()
            .cloned()
            .collect()
    }

    fn zero_line(svg: &str) -> Option<f64> {
        let all = inspect::parse(svg);
        all.iter()
            .find(|e| e.attr("class") == "chart-zero")
            .map(|e| e.num("y1"))
    }

    #[test]
    fn a_bar_for_50_is_half_the_bar_for_100() {
        let categories = cats(&["甲", "乙"]);
        let series = [Series::new("", vec![50.0, 100.0])];
        let r = rects(&bars(&chart(&categories, &series)));
        assert_eq!(r.len(), 2);
        let (half, full) = (r[0].num("height"), r[1].num("height"));
        assert!(full > 100.0);
        assert!((full / 2.0 - half).abs() <= 0.1, "{half} vs {full}");
        let bottom = |e: &Element| e.num("y") + e.num("height");
        assert!(
            (bottom(&r[0]) - bottom(&r[1])).abs() < 0.01,
            "both stand on zero"
        );
        assert_eq!(r[0].title.as_deref(), Some("甲: 50"));
    }

    #[test]
    fn refunds_hang_below_a_zero_line() {
        let categories = cats(&["一月", "二月"]);
        let series = [Series::new("净额", vec![200.0, -100.0])];
        let svg = bars(&chart(&categories, &series));
        let r = rects(&svg);
        let zero = zero_line(&svg).expect("zero line drawn");
        assert!((r[0].num("y") + r[0].num("height") - zero).abs() < 0.01);
        assert!((r[1].num("y") - zero).abs() < 0.01);
        assert!((r[0].num("height") - 2.0 * r[1].num("height")).abs() <= 0.1);
    }

    #[test]
    fn all_negative_bars_hang_from_zero_at_the_top() {
        let categories = cats(&["a", "b"]);
        let series = [Series::new("退款", vec![-50.0, -100.0])];
        let svg = bars(&chart(&categories, &series));
        let r = rects(&svg);
        let zero = zero_line(&svg).expect("zero line drawn");
        assert!(r.iter().all(|e| (e.num("y") - zero).abs() < 0.01));
        assert!((r[1].num("height") - 2.0 * r[0].num("height")).abs() <= 0.1);
    }

    #[test]
    fn grouped_bars_sit_side_by_side_in_their_category() {
        let categories = cats(&["a", "b"]);
        let series = [
            Series::new("x", vec![1.0, 2.0]),
            Series::new("y", vec![3.0, f64::NAN]),
        ];
        let r = rects(&bars(&chart(&categories, &series)));
        assert_eq!(r.len(), 3, "the missing value has no bar");
        let (ax, ay, bx) = (&r[0], &r[2], &r[1]);
        assert!(
            ax.num("x") + ax.num("width") <= ay.num("x"),
            "no overlap within a group"
        );
        assert!(
            ay.num("x") + ay.num("width") < bx.num("x"),
            "groups in category order"
        );
    }

    #[test]
    fn stacked_top_equals_the_sum() {
        let categories = cats(&["甲", "乙"]);
        let series = [
            Series::new("现金", vec![30.0, 100.0]),
            Series::new("微信", vec![20.0, 0.0]),
            Series::new("支付宝", vec![50.0, 0.0]),
        ];
        let svg = stacked_bars(&chart(&categories, &series));
        let all = inspect::assert_clean(&svg);
        assert!(all.iter().any(|e| e.attr("class") == "chart-legend"));
        let r = rects(&svg);
        let first: Vec<&Element> = r
            .iter()
            .filter(|e| e.title.as_deref().unwrap_or("").starts_with("甲"))
            .collect();
        assert_eq!(first.len(), 3);
        for pair in first.windows(2) {
            assert!(
                (pair[1].num("y") + pair[1].num("height") - pair[0].num("y")).abs() < 0.01,
                "segments touch"
            );
        }
        let hundred = r
            .iter()
            .find(|e| e.title.as_deref() == Some("乙 · 现金: 100"))
            .unwrap();
        assert!(
            (first[2].num("y") - hundred.num("y")).abs() < 0.01,
            "30+20+50 reaches 100"
        );
        assert_eq!(first[1].title.as_deref(), Some("甲 · 微信: 20"));
    }

    #[test]
    fn stacked_negatives_go_down_from_zero() {
        let categories = cats(&["a"]);
        let series = [
            Series::new("销售", vec![80.0]),
            Series::new("退款", vec![-20.0]),
        ];
        let svg = stacked_bars(&chart(&categories, &series));
        let r = rects(&svg);
        let zero = zero_line(&svg).expect("zero line drawn");
        assert!((r[0].num("y") + r[0].num("height") - zero).abs() < 0.01);
        assert!((r[1].num("y") - zero).abs() < 0.01);
        assert!((r[0].num("height") - 4.0 * r[1].num("height")).abs() <= 0.2);
    }

    #[test]
    fn huge_and_flat_values_stay_finite() {
        let categories = cats(&["a", "b", "c"]);
        for values in [
            vec![1e12, 5e11, 0.0],
            vec![0.0, 0.0, 0.0],
            vec![7.0, 7.0, 7.0],
        ] {
            let series = [Series::new("s", values)];
            let c = chart(&categories, &series);
            for svg in [bars(&c), stacked_bars(&c)] {
                let r = rects(&svg);
                assert_eq!(r.len(), 3);
                assert!(
                    r.iter()
                        .all(|e| e.num("height") >= 0.0 && e.num("y") >= 0.0)
                );
            }
        }
    }
}
