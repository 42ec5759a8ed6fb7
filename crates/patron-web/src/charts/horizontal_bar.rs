//! Horizontal bars for ranked lists (top products, store ranking): one row per category in
//! the caller's order, long names on the left, each bar's figure written at its end. The
//! chart grows taller with the number of rows instead of squeezing them.

use super::Chart;
use super::axis::{Linear, labelled_ticks};
use super::frame::{self, AXIS, GRID, INK, Legend, MARGIN, Swatch, WIDTH, colour};
use super::plot::y_title_text;
use super::svg::{Svg, Tag, round1, text_width, truncate};

const FONT: f64 = 12.0;
const VALUE_FONT: f64 = 11.0;
const ROW_GAP: f64 = 10.0;

/// Draws one row per category, top to bottom in the given order (rank them before calling),
/// with one bar per series and its formatted value at the bar's end. As in the other charts,
/// `x_label` names the categories (written up the left side) and `y_label` the values
/// (written under the value axis). Without categories or any present value, draws the
/// `empty` frame.
pub fn horizontal_bars(c: &Chart<'_>) -> String {
    let Some((min, max)) = c.extent() else {
        return frame::empty("horizontal-bars", c.title, c.empty);
    };
    let (lo, hi) = (min.min(0.0), max.max(0.0));
    let n = c.categories.len();
    let ns = c.series.len().max(1);
    let thickness = if ns == 1 { 16.0 } else { 12.0 };
    let row = ns as f64 * thickness + ROW_GAP;

    let mut svg = Svg::default();
    let mut top = frame::heading(&mut svg, c.title);
    let legend = if c.series.len() > 1 {
        Legend::layout(c.series.iter().map(|s| s.name.as_str()))
    } else {
        Legend::none()
    };
    legend.draw(&mut svg, top, Swatch::Block);
    top += legend.height() + 4.0;

    let title_room = if c.x_label.is_empty() { 0.0 } else { 20.0 };
    let widest_name = c
        .categories
        .iter()
        .map(|s| text_width(s, FONT))
        .fold(0.0, f64::max);
    let name_room = widest_name.min(WIDTH * 0.35);
    let left = MARGIN + title_room + name_room + 8.0;
    let widest_value = c
        .present()
        .map(|v| text_width(&(c.format)(v), VALUE_FONT))
        .fold(0.0, f64::max);
    let right = WIDTH - MARGIN - (widest_value + 6.0).min(WIDTH * 0.25);
    let bottom = top + n as f64 * row;

    let fits = |ticks: &[f64], labels: &[String]| {
        let spacing = (right - left) / (ticks.len().max(2) - 1) as f64;
        labels.iter().all(|l| text_width(l, FONT) + 10.0 <= spacing)
    };
    let target = (((right - left) / 90.0).round() as usize).max(2);
    let (ticks, labels) = labelled_ticks(lo, hi, target, c.whole(), c.format, &fits);
    let (d0, d1) = (
        ticks.first().copied().unwrap_or(0.0),
        ticks.last().copied().unwrap_or(1.0),
    );
    let x = Linear {
        d0,
        d1,
        r0: left,
        r1: right,
    };

    svg.open(
        Tag::new("g")
            .attr("class", "chart-grid")
            .attr("stroke", GRID)
            .num("stroke-width", 1.0),
    );
    for &t in &ticks {
        let tx = x.at(t);
        svg.leaf(
            Tag::new("line")
                .num("x1", tx)
                .num("x2", tx)
                .num("y1", top)
                .num("y2", bottom),
        );
    }
    svg.close("g");
    svg.open(
        Tag::new("g")
            .attr("class", "chart-axis chart-axis-x")
            .attr("fill", AXIS)
            .attr("text-anchor", "middle"),
    );
    for (&t, label) in ticks.iter().zip(&labels) {
        svg.text(
            Tag::new("text").num("x", x.at(t)).num("y", bottom + 16.0),
            label,
        );
    }
    svg.close("g");

    let zero = round1(x.at(0.0));
    svg.leaf(
        Tag::new("line")
            .num("x1", zero)
            .num("x2", zero)
            .num("y1", top)
            .num("y2", bottom)
            .attr("stroke", if d0 < 0.0 { INK } else { AXIS })
            .num("stroke-width", if d0 < 0.0 { 1.5 } else { 1.0 })
            .attr(
                "class",
                if d0 < 0.0 {
                    "chart-zero"
                } else {
                    "chart-baseline"
                },
            ),
    );

    svg.open(
        Tag::new("g")
            .attr("class", "chart-axis chart-axis-y")
            .attr("fill", INK)
            .attr("text-anchor", "end"),
    );
    for (i, name) in c.categories.iter().enumerate() {
        let tag = Tag::new("text")
            .num("x", left - 8.0)
            .num("y", top + (i as f64 + 0.5) * row + 4.0);
        let shown = truncate(name, FONT, name_room);
        if &shown == name {
            svg.text(tag, name);
        } else {
            svg.text_with_tip(tag, &shown, name);
        }
    }
    svg.close("g");

    for s in 0..c.series.len() {
        svg.open(
            Tag::new("g")
                .attr("fill", colour(s))
                .attr("class", "chart-bars"),
        );
        for i in 0..n {
            let Some(v) = c.value(s, i) else { continue };
            let end = round1(x.at(v));
            let y = top + i as f64 * row + ROW_GAP / 2.0 + s as f64 * thickness;
            let height = if ns == 1 { thickness } else { thickness - 2.0 };
            let rect = Tag::new("rect")
                .num("x", zero.min(end))
                .num("y", round1(y))
                .num("width", (end - zero).abs())
                .num("height", height);
            svg.with_tip(rect, &c.tip(s, i, v));
        }
        svg.close("g");
    }

    svg.open(
        Tag::new("g")
            .attr("class", "chart-values")
            .attr("fill", INK)
            .num("font-size", VALUE_FONT),
    );
    for s in 0..c.series.len() {
        for i in 0..n {
            let Some(v) = c.value(s, i) else { continue };
            // Negative bars grow leftwards into the plot, so their figure goes right of zero.
            let at = if v < 0.0 { zero } else { round1(x.at(v)) };
            let y = top + i as f64 * row + ROW_GAP / 2.0 + (s as f64 + 0.5) * thickness + 4.0;
            svg.text(
                Tag::new("text").num("x", at + 4.0).num("y", round1(y)),
                &(c.format)(v),
            );
        }
    }
    svg.close("g");

    let mut height = bottom + 22.0;
    if !c.x_label.is_empty() {
        y_title_text(
            &mut svg,
            c.x_label,
            MARGIN + 10.0,
            (top + bottom) / 2.0,
            bottom - top,
        );
    }
    if !c.y_label.is_empty() {
        height += 18.0;
        svg.text(
            Tag::new("text")
                .num("x", (left + right) / 2.0)
                .num("y", height - 4.0)
                .attr("text-anchor", "middle")
                .attr("fill", INK)
                .attr("class", "chart-axis-title"),
            &truncate(c.y_label, FONT, right - left),
        );
    }
    height += MARGIN / 2.0;
    frame::document(
        "horizontal-bars",
        c.title,
        &c.describe(min, max),
        height,
        &svg,
    )
}

#[cfg(test)]
mod tests {
    use super::super::Series;
    use super::super::svg::inspect::{self, Element};
    use super::*;

    fn yuan(v: f64) -> String {
        format!("¥{:.2}", v / 100.0)
    }

    fn draw(categories: &[String], series: &[Series]) -> (String, Vec<Element>) {
        let c = Chart {
            title: "门店排名",
            x_label: "门店",
            y_label: "销售额",
            categories,
            series,
            format: &yuan,
            empty: "暂无数据",
        };
        let svg = horizontal_bars(&c);
        let all = inspect::assert_clean(&svg);
        (svg, all)
    }

    #[test]
    fn rows_keep_the_given_order_and_lengths_are_proportional() {
        let stores: Vec<String> = ["北京朝阳大悦城旗舰店", "上海", "广州天河"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let (_, all) = draw(
            &stores,
            &[Series::new("", vec![100_000.0, 50_000.0, 25_000.0])],
        );
        let bars = inspect::tipped(&all, "rect");
        assert_eq!(bars.len(), 3);
        assert!(bars[0].num("y") < bars[1].num("y") && bars[1].num("y") < bars[2].num("y"));
        let w: Vec<f64> = bars.iter().map(|b| b.num("width")).collect();
        assert!(
            (w[0] / 2.0 - w[1]).abs() <= 0.1 && (w[1] / 2.0 - w[2]).abs() <= 0.1,
            "{w:?}"
        );
        assert!(
            bars.iter()
                .all(|b| (b.num("x") - bars[0].num("x")).abs() < 0.01),
            "all from zero"
        );
        assert_eq!(
            bars[0].title.as_deref(),
            Some("北京朝阳大悦城旗舰店: ¥1000.00")
        );
        assert!(
            all.iter()
                .any(|e| e.name == "text" && e.text == "北京朝阳大悦城旗舰店")
        );
        assert!(
            all.iter().any(|e| e.name == "text" && e.text == "¥250.00"),
            "value at bar end"
        );
    }

    #[test]
    fn long_names_are_shortened_with_the_full_name_on_hover() {
        let long = "上海市浦东新区陆家嘴环路一千号国金中心商场地下一层店铺";
        let (_, all) = draw(&[long.to_owned()], &[Series::new("", vec![1.0])]);
        let label = all
            .iter()
            .find(|e| e.name == "text" && e.title.as_deref() == Some(long))
            .unwrap();
        assert!(label.text.ends_with('…'));
        assert!(text_width(&label.text, FONT) <= WIDTH * 0.35);
    }

    #[test]
    fn height_grows_with_rows_and_ticks_do_not_crowd() {
        let names: Vec<String> = (0..40).map(|i| format!("商品{i}")).collect();
        let values: Vec<f64> = (0..40).map(|i| 1e12 - i as f64 * 1e10).collect();
        let (_, all) = draw(&names, &[Series::new("", values)]);
        let vb: Vec<f64> = all[0]
            .attr("viewBox")
            .split(' ')
            .map(|v| v.parse().unwrap())
            .collect();
        assert!(vb[3] > 40.0 * 16.0);
        let euro: Vec<&Element> = all
            .iter()
            .filter(|e| e.name == "text" && e.text.starts_with('¥'))
            .collect();
        let axis_y = euro.iter().map(|e| e.num("y")).fold(0.0, f64::max);
        let mut ticks: Vec<(f64, f64)> = euro
            .iter()
            .filter(|e| e.num("y") == axis_y)
            .map(|e| (e.num("x"), text_width(&e.text, FONT)))
            .collect();
        ticks.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(ticks.len() >= 2);
        assert!(
            ticks
                .windows(2)
                .all(|p| p[1].0 - p[0].0 >= (p[0].1 + p[1].1) / 2.0)
        );
    }

    #[test]
    fn negative_rows_extend_left_of_zero() {
        let names: Vec<String> = vec!["a".into(), "b".into()];
        let (svg, all) = draw(&names, &[Series::new("", vec![300.0, -100.0])]);
        let bars = inspect::tipped(&all, "rect");
        let zero = all
            .iter()
            .find(|e| e.attr("class") == "chart-zero")
            .unwrap()
            .num("x1");
        assert!((bars[0].num("x") - zero).abs() < 0.01);
        assert!((bars[1].num("x") + bars[1].num("width") - zero).abs() < 0.01);
        assert!((bars[0].num("width") - 3.0 * bars[1].num("width")).abs() <= 0.2);
        assert!(!svg.contains("NaN"));
    }
}
