//! Sparklines: a small trend line without axes, for a table cell or beside a headline figure.
//! The label is the accessible name and the hover text, so the figures belong in it.

use super::frame::colour;
use super::svg::{Svg, Tag, escape, num, round1};

const WIDTH: f64 = 120.0;
const HEIGHT: f64 = 30.0;
const PAD: f64 = 3.0;

/// Draws `values` as a small line scaled to their own min..max (flat in the middle when they
/// are all equal); NaN breaks the line and the last present value gets a dot. `label` becomes
/// the `aria-label` and `<title>`, e.g. "近30天销售额 ¥12,345.00, 上升 8 %". The root has class
/// `sparkline` and `width="100%"`, so size it with a stylesheet rule (e.g. a width in em).
/// With no present value it draws a faint flat baseline.
pub fn sparkline(values: &[f64], label: &str) -> String {
    let present: Vec<(usize, f64)> = values
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .collect();
    let mut svg = Svg::default();
    let (min, max) = present
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &(_, v)| {
            (lo.min(v), hi.max(v))
        });
    let step = if values.len() > 1 {
        (WIDTH - 2.0 * PAD) / (values.len() - 1) as f64
    } else {
        0.0
    };
    let x = |i: usize| {
        if values.len() > 1 {
            PAD + i as f64 * step
        } else {
            WIDTH / 2.0
        }
    };
    let y = |v: f64| {
        let span = max - min;
        if span > 0.0 && span.is_finite() {
            round1(HEIGHT - PAD - (v - min) / span * (HEIGHT - 2.0 * PAD))
        } else {
            HEIGHT / 2.0
        }
    };

    if present.is_empty() {
        svg.leaf(
            Tag::new("line")
                .num("x1", PAD)
                .num("x2", WIDTH - PAD)
                .num("y1", HEIGHT / 2.0)
                .num("y2", HEIGHT / 2.0)
                .attr("stroke", "#bbbbbb")
                .num("stroke-width", 1.0)
                .attr("stroke-dasharray", "3 3"),
        );
    } else {
        let mut d = String::new();
        let mut previous: Option<usize> = None;
        for &(i, v) in &present {
            let joined = previous.is_some_and(|p| p + 1 == i);
            if !d.is_empty() {
                d.push(' ');
            }
            d.push(if joined { 'L' } else { 'M' });
            d.push_str(&format!("{} {}", num(x(i)), num(y(v))));
            previous = Some(i);
        }
        if d.contains('L') {
            svg.leaf(
                Tag::new("path")
                    .attr("d", &d)
                    .attr("fill", "none")
                    .attr("stroke", colour(0))
                    .num("stroke-width", 1.8)
                    .attr("stroke-linejoin", "round")
                    .attr("stroke-linecap", "round"),
            );
        }
        if let Some(&(i, v)) = present.last() {
            svg.leaf(
                Tag::new("circle")
                    .num("cx", x(i))
                    .num("cy", y(v))
                    .num("r", 2.2)
                    .attr("fill", colour(0)),
            );
        }
    }

    let label = escape(label);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"100%\" \
         preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"{label}\" \
         class=\"sparkline\"><title>{label}</title>{}</svg>",
        num(WIDTH),
        num(HEIGHT),
        svg.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::super::svg::inspect;
    use super::*;

    #[test]
    fn rises_left_to_right_within_the_box() {
        let all = inspect::assert_clean(&sparkline(&[1.0, 2.0, 3.0, 10.0], "销售额"));
        assert_eq!(all[0].attr("aria-label"), "销售额");
        assert_eq!(all[0].title.as_deref(), Some("销售额"));
        let d = all
            .iter()
            .find(|e| e.name == "path")
            .unwrap()
            .attr("d")
            .to_owned();
        let nums: Vec<f64> = d
            .split(['M', 'L', ' '])
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap())
            .collect();
        let ys: Vec<f64> = nums.iter().skip(1).step_by(2).copied().collect();
        assert_eq!(ys.first(), Some(&(HEIGHT - PAD)), "minimum at the bottom");
        assert_eq!(ys.last(), Some(&PAD), "maximum at the top");
        assert!(ys.windows(2).all(|w| w[1] < w[0]));
        let dot = all.iter().find(|e| e.name == "circle").unwrap();
        assert_eq!(dot.num("cx"), WIDTH - PAD);
    }

    #[test]
    fn escapes_the_label() {
        let out = sparkline(&[1.0], r#"<b>&"x'"#);
        assert!(out.contains("aria-label=\"&lt;b&gt;&amp;&quot;x&apos;\""));
        inspect::assert_clean(&out);
    }

    #[test]
    fn degenerate_inputs_stay_finite() {
        for values in [
            vec![],
            vec![f64::NAN; 4],
            vec![5.0],
            vec![0.0; 6],
            vec![1e12, f64::INFINITY, -1e12],
            vec![f64::MAX, -f64::MAX],
        ] {
            let out = sparkline(&values, "趋势");
            let all = inspect::assert_clean(&out);
            assert_eq!(out, sparkline(&values, "趋势"));
            for e in &all {
                for key in ["cy", "y1", "y2"] {
                    if let Some(v) = e.attrs.get(key) {
                        let v: f64 = v.parse().unwrap();
                        assert!((0.0..=HEIGHT).contains(&v), "{key}={v}");
                    }
                }
            }
        }
    }

    #[test]
    fn gaps_break_the_line() {
        let all = inspect::parse(&sparkline(&[1.0, 2.0, f64::NAN, 3.0, 4.0], "x"));
        let d = all
            .iter()
            .find(|e| e.name == "path")
            .unwrap()
            .attr("d")
            .to_owned();
        assert_eq!(d.matches('M').count(), 2);
    }
}
