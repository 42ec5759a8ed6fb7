//! Line charts: one line per series across the categories, every point marked and carrying
//! its exact figure on hover; a missing value breaks the line rather than bridging the gap.

use super::Chart;
use super::frame::{self, HEIGHT, Legend, Swatch, colour, dashed};
use super::plot;
use super::svg::{Svg, Tag, num, round1};

/// Draws one line per series, points marked, with a legend when there is more than one
/// series. The value axis includes zero unless that would squash the lines into less than a
/// quarter of the height. Without categories or any present value, draws the `empty` frame.
pub fn line(c: &Chart<'_>) -> String {
    let Some((min, max)) = c.extent() else {
        return frame::empty("line", c.title, c.empty);
    };
    let (lo, hi) = domain(min, max);
    let mut svg = Svg::default();
    let mut top = frame::heading(&mut svg, c.title);
    let legend = if c.series.len() > 1 {
        Legend::layout(c.series.iter().map(|s| s.name.as_str()))
    } else {
        Legend::none()
    };
    legend.draw(&mut svg, top, Swatch::Stroke);
    top += legend.height();
    let p = plot::draw(&mut svg, c, top, lo, hi);
    let radius = (p.x.step * 0.35).clamp(1.2, 3.5);

    for s in 0..c.series.len() {
        let points: Vec<Option<(f64, f64)>> = (0..c.categories.len())
            .map(|i| {
                c.value(s, i)
                    .map(|v| (round1(p.x.center(i)), round1(p.y.at(v))))
            })
            .collect();
        let d = path(&points);
        if d.contains('L') {
            let tag = Tag::new("path")
                .attr("d", &d)
                .attr("fill", "none")
                .attr("stroke", colour(s))
                .num("stroke-width", 2.5)
                .attr("stroke-linejoin", "round")
                .attr("stroke-linecap", "round")
                .attr("class", "chart-line");
            svg.leaf(dashed(tag, s));
        }
        svg.open(
            Tag::new("g")
                .attr("fill", colour(s))
                .attr("class", "chart-points"),
        );
        for (i, point) in points.iter().enumerate() {
            let (Some((x, y)), Some(v)) = (point, c.value(s, i)) else {
                continue;
            };
            let dot = Tag::new("circle")
                .num("cx", *x)
                .num("cy", *y)
                .num("r", radius);
            svg.with_tip(dot, &c.tip(s, i, v));
        }
        svg.close("g");
    }
    frame::document("line", c.title, &c.describe(min, max), HEIGHT, &svg)
}

/// Zero is on the axis when the values keep at least a quarter of the height above (or
/// below) it; a flat line sits at its value over a zero baseline.
fn domain(min: f64, max: f64) -> (f64, f64) {
    if min == max {
        return (min.min(0.0), max.max(0.0));
    }
    let span = max - min;
    if min > 0.0 && span >= max * 0.25 {
        (0.0, max)
    } else if max < 0.0 && span >= -min * 0.25 {
        (min, 0.0)
    } else {
        (min, max)
    }
}

/// `M x y L x y …`, starting afresh after every gap.
fn path(points: &[Option<(f64, f64)>]) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for point in points {
        match point {
            Some((x, y)) => {
                if !d.is_empty() {
                    d.push(' ');
                }
                d.push(if pen_down { 'L' } else { 'M' });
                d.push_str(&num(*x));
                d.push(' ');
                d.push_str(&num(*y));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::super::Series;
    use super::super::svg::inspect::{self, Element};
    use super::super::svg::text_width;
    use super::*;

    fn count(v: f64) -> String {
        format!("{v:.0}")
    }

    fn draw(categories: &[String], series: &[Series]) -> Vec<Element> {
        let c = Chart {
            title: "客流",
            x_label: "日期",
            y_label: "人数",
            categories,
            series,
            format: &count,
            empty: "暂无数据",
        };
        inspect::assert_clean(&line(&c))
    }

    fn days(n: usize) -> Vec<String> {
        (1..=n).map(|d| format!("{d}日")).collect()
    }

    #[test]
    fn points_sit_at_their_values_on_a_zero_based_axis() {
        let all = draw(&days(3), &[Series::new("到店", vec![0.0, 50.0, 100.0])]);
        let dots = inspect::tipped(&all, "circle");
        assert_eq!(dots.len(), 3);
        let ys: Vec<f64> = dots.iter().map(|d| d.num("cy")).collect();
        let (zero, fifty, hundred) = (ys[0], ys[1], ys[2]);
        assert!(
            zero > fifty && fifty > hundred,
            "higher values are higher up"
        );
        assert!(((zero - fifty) - (fifty - hundred)).abs() <= 0.2, "{ys:?}");
        let xs: Vec<f64> = dots.iter().map(|d| d.num("cx")).collect();
        assert!(xs[0] < xs[1] && xs[1] < xs[2]);
        assert_eq!(dots[1].title.as_deref(), Some("2日 · 到店: 50"));
    }

    #[test]
    fn a_gap_breaks_the_line() {
        let all = draw(
            &days(5),
            &[Series::new("a", vec![1.0, 2.0, f64::NAN, 4.0, 5.0])],
        );
        let paths: Vec<&Element> = all.iter().filter(|e| e.name == "path").collect();
        assert_eq!(paths.len(), 1);
        let d = paths[0].attr("d");
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert_eq!(d.matches('L').count(), 2, "{d}");
        assert_eq!(inspect::tipped(&all, "circle").len(), 4);
    }

    #[test]
    fn legend_only_with_several_series_and_lines_differ() {
        let one = draw(&days(3), &[Series::new("a", vec![1.0, 2.0, 3.0])]);
        assert!(!one.iter().any(|e| e.attr("class") == "chart-legend"));
        let two = draw(
            &days(3),
            &[
                Series::new("线上", vec![1.0, 2.0, 3.0]),
                Series::new("门店", vec![3.0, 2.0, 1.0]),
            ],
        );
        assert!(two.iter().any(|e| e.attr("class") == "chart-legend"));
        assert!(two.iter().any(|e| e.name == "text" && e.text == "门店"));
        let lines: Vec<&Element> = two.iter().filter(|e| e.name == "path").collect();
        assert_eq!(lines.len(), 2);
        assert_ne!(lines[0].attr("stroke"), lines[1].attr("stroke"));
        assert_ne!(
            lines[0].attr("stroke-dasharray"),
            lines[1].attr("stroke-dasharray")
        );
        assert!(lines.iter().all(|l| l.num("stroke-width") >= 2.0));
    }

    #[test]
    fn a_year_draws_every_point_but_few_labels() {
        let n = 730;
        let categories: Vec<String> = (0..n).map(|i| format!("2025-{:03}", i)).collect();
        let all = draw(
            &categories,
            &[Series::new("a", (0..n).map(|i| (i % 30) as f64).collect())],
        );
        assert_eq!(inspect::tipped(&all, "circle").len(), n);
        let mut labels: Vec<(f64, f64)> = all
            .iter()
            .filter(|e| e.name == "text" && e.text.starts_with("2025-"))
            .map(|e| (e.num("x"), text_width(&e.text, 12.0)))
            .collect();
        assert!((4..=20).contains(&labels.len()), "{}", labels.len());
        labels.sort_by(|a, b| a.0.total_cmp(&b.0));
        for p in labels.windows(2) {
            assert!(
                p[1].0 - p[0].0 >= (p[0].1 + p[1].1) / 2.0,
                "labels overlap: {labels:?}"
            );
        }
        let right_edge = labels.last().map_or(0.0, |(x, w)| x + w / 2.0);
        assert!(right_edge <= 640.0, "inside the picture");
    }

    #[test]
    fn domain_keeps_zero_unless_it_squashes_the_data() {
        assert_eq!(domain(20.0, 100.0), (0.0, 100.0));
        assert_eq!(domain(9_000.0, 10_000.0), (9_000.0, 10_000.0));
        assert_eq!(domain(-100.0, -20.0), (-100.0, 0.0));
        assert_eq!(domain(7.0, 7.0), (0.0, 7.0));
        assert_eq!(domain(0.0, 0.0), (0.0, 0.0));
        assert_eq!(domain(-3.0, 5.0), (-3.0, 5.0));
    }
}
