//! The category × value plot the line and vertical bar charts draw on: value ticks and
//! gridlines on the left, one slot per category along the bottom with labels that are
//! staggered or thinned when crowded, the zero line, and the two axis titles.

use super::Chart;
use super::axis::{Band, Linear, label_every, labelled_ticks};
use super::frame::{AXIS, GRID, HEIGHT, INK, MARGIN, WIDTH};
use super::svg::{Svg, Tag, num, text_width, truncate};

const FONT: f64 = 12.0;
/// Least space between two category labels.
const GAP: f64 = 6.0;
const LABEL_ROW: f64 = 15.0;
const AXIS_TITLE_ROOM: f64 = 20.0;

/// Where the plot ended up: its two scales.
pub(super) struct Plot {
    pub x: Band,
    pub y: Linear,
}

/// How category labels are set out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct XLabels {
    /// Label every n-th category.
    pub every: usize,
    /// One row, or two staggered rows (even categories above, odd below).
    pub rows: usize,
    /// Longer labels are shortened with an ellipsis (their full text on hover).
    pub max_width: f64,
}

impl XLabels {
    /// Every label on one row if they fit; else two staggered rows while the categories are
    /// few (shortening what still does not fit); else every n-th label on one row.
    pub(super) fn layout(categories: &[String], step: f64) -> XLabels {
        let widest = categories
            .iter()
            .map(|c| text_width(c, FONT))
            .fold(0.0, f64::max);
        let every = label_every(step, widest, GAP);
        let n = categories.len();
        if every == 1 {
            XLabels {
                every: 1,
                rows: 1,
                max_width: f64::INFINITY,
            }
        } else if (every == 2 && n <= 60) || n <= 24 {
            XLabels {
                every: 1,
                rows: 2,
                max_width: 2.0 * step - GAP,
            }
        } else {
            XLabels {
                every,
                rows: 1,
                max_width: f64::INFINITY,
            }
        }
    }
}

/// Draws axes, gridlines and labels for values `lo..=hi` below `top`; returns the plot.
pub(super) fn draw(svg: &mut Svg, c: &Chart<'_>, top: f64, lo: f64, hi: f64) -> Plot {
    let y_title = if c.y_label.is_empty() {
        0.0
    } else {
        AXIS_TITLE_ROOM
    };
    let x_title = if c.x_label.is_empty() {
        0.0
    } else {
        AXIS_TITLE_ROOM
    };
    let target = (((HEIGHT - top - 80.0) / 55.0).round() as usize).max(2);
    let (ticks, labels) = labelled_ticks(lo, hi, target, c.whole(), c.format, &|_, _| true);
    let widest = labels
        .iter()
        .map(|l| text_width(l, FONT))
        .fold(0.0, f64::max);
    let left = (MARGIN + y_title + widest + 8.0).min(WIDTH * 0.4);
    let right = WIDTH - MARGIN;
    let x = Band::new(left, right, c.categories.len());
    let layout = XLabels::layout(c.categories, x.step);
    let bottom = HEIGHT - MARGIN - x_title - layout.rows as f64 * LABEL_ROW - 4.0;
    let plot_top = top + 8.0;
    let (d0, d1) = (
        ticks.first().copied().unwrap_or(0.0),
        ticks.last().copied().unwrap_or(1.0),
    );
    let y = Linear {
        d0,
        d1,
        r0: bottom,
        r1: plot_top,
    };

    svg.open(
        Tag::new("g")
            .attr("class", "chart-grid")
            .attr("stroke", GRID)
            .num("stroke-width", 1.0),
    );
    for &t in &ticks {
        let ty = y.at(t);
        svg.leaf(
            Tag::new("line")
                .num("x1", left)
                .num("x2", right)
                .num("y1", ty)
                .num("y2", ty),
        );
    }
    svg.close("g");

    svg.open(
        Tag::new("g")
            .attr("class", "chart-axis chart-axis-y")
            .attr("fill", AXIS)
            .attr("text-anchor", "end"),
    );
    let room = left - MARGIN - y_title - 8.0;
    for (&t, label) in ticks.iter().zip(&labels) {
        let tag = Tag::new("text")
            .num("x", left - 6.0)
            .num("y", y.at(t) + 4.0);
        let shown = truncate(label, FONT, room);
        if &shown == label {
            svg.text(tag, label);
        } else {
            svg.text_with_tip(tag, &shown, label);
        }
    }
    svg.close("g");

    svg.leaf(
        Tag::new("line")
            .num("x1", left)
            .num("x2", right)
            .num("y1", bottom)
            .num("y2", bottom)
            .attr("stroke", AXIS)
            .num("stroke-width", 1.0)
            .attr("class", "chart-baseline"),
    );
    if d0 < 0.0 && d1 >= 0.0 {
        let zero = y.at(0.0);
        svg.leaf(
            Tag::new("line")
                .num("x1", left)
                .num("x2", right)
                .num("y1", zero)
                .num("y2", zero)
                .attr("stroke", INK)
                .num("stroke-width", 1.5)
                .attr("class", "chart-zero"),
        );
    }

    category_labels(svg, c.categories, &x, &layout, bottom);

    if !c.x_label.is_empty() {
        svg.text(
            Tag::new("text")
                .num("x", (left + right) / 2.0)
                .num("y", HEIGHT - MARGIN)
                .attr("text-anchor", "middle")
                .attr("fill", INK)
                .attr("class", "chart-axis-title"),
            &truncate(c.x_label, FONT, right - left),
        );
    }
    if !c.y_label.is_empty() {
        y_title_text(
            svg,
            c.y_label,
            MARGIN + 10.0,
            (plot_top + bottom) / 2.0,
            bottom - plot_top,
        );
    }
    Plot { x, y }
}

/// A vertical axis title, reading upwards.
pub(super) fn y_title_text(svg: &mut Svg, text: &str, x: f64, y: f64, length: f64) {
    svg.text(
        Tag::new("text")
            .num("x", x)
            .num("y", y)
            .attr("transform", &format!("rotate(-90 {} {})", num(x), num(y)))
            .attr("text-anchor", "middle")
            .attr("fill", INK)
            .attr("class", "chart-axis-title"),
        &truncate(text, FONT, length),
    );
}

/// Category names centred under their slots, kept inside the picture at both ends; a label
/// that would then touch its neighbour (only ever the last, pushed in from the edge) is left out.
pub(super) fn category_labels(
    svg: &mut Svg,
    categories: &[String],
    x: &Band,
    layout: &XLabels,
    top: f64,
) {
    svg.open(
        Tag::new("g")
            .attr("class", "chart-axis chart-axis-x")
            .attr("fill", AXIS)
            .attr("text-anchor", "middle"),
    );
    let mut taken = [f64::NEG_INFINITY; 2];
    for (i, name) in categories.iter().enumerate().step_by(layout.every.max(1)) {
        let shown = truncate(name, FONT, layout.max_width);
        let half = text_width(&shown, FONT) / 2.0;
        let cx = x
            .center(i)
            .clamp(MARGIN + half, (WIDTH - MARGIN - half).max(MARGIN + half));
        let row = if layout.rows == 2 { i % 2 } else { 0 };
        if cx - half < taken[row] + GAP {
            continue;
        }
        taken[row] = cx + half;
        let tag = Tag::new("text")
            .num("x", cx)
            .num("y", top + 15.0 + row as f64 * LABEL_ROW);
        if &shown == name {
            svg.text(tag, name);
        } else {
            svg.text_with_tip(tag, &shown, name);
        }
    }
    svg.close("g");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: usize, f: impl Fn(usize) -> String) -> Vec<String> {
        (0..n).map(f).collect()
    }

    #[test]
    fn few_short_labels_all_show_on_one_row() {
        let months = names(12, |i| format!("{}月", i + 1));
        let l = XLabels::layout(&months, 560.0 / 12.0);
        assert_eq!(
            l,
            XLabels {
                every: 1,
                rows: 1,
                max_width: f64::INFINITY
            }
        );
    }

    #[test]
    fn crowded_few_labels_are_staggered_not_dropped() {
        let stores = names(8, |i| format!("北京朝阳大悦城{i}号店"));
        let l = XLabels::layout(&stores, 70.0);
        assert_eq!((l.every, l.rows), (1, 2));
        assert_eq!(l.max_width, 134.0);
    }

    #[test]
    fn many_labels_are_thinned_without_overlap() {
        for n in [365, 730] {
            let days = names(n, |i| format!("2026-{:02}-{:02}", i / 28 + 1, i % 28 + 1));
            let band = Band::new(60.0, 624.0, n);
            let l = XLabels::layout(&days, band.step);
            assert_eq!(l.rows, 1);
            assert!(l.every > 1);
            let w = text_width(&days[0], FONT);
            let shown: Vec<f64> = (0..n).step_by(l.every).map(|i| band.center(i)).collect();
            assert!(shown.windows(2).all(|p| p[1] - p[0] >= w + GAP), "{n}");
            assert!(shown.len() >= 4);
        }
    }

    #[test]
    fn drawn_labels_never_touch_even_when_pushed_in_from_the_edge() {
        for n in [13, 40, 365, 730] {
            let days = names(n, |i| format!("2026-{:02}-{:02}", i / 31 + 1, i % 31 + 1));
            let band = Band::new(80.0, WIDTH - MARGIN, n);
            let layout = XLabels::layout(&days, band.step);
            let mut svg = Svg::default();
            svg.open(Tag::new("svg"));
            category_labels(&mut svg, &days, &band, &layout, 300.0);
            svg.close("svg");
            let all = super::super::svg::inspect::parse(svg.as_str());
            let mut rows: Vec<Vec<(f64, f64)>> = vec![Vec::new(), Vec::new()];
            for e in all.iter().filter(|e| e.name == "text") {
                let row = usize::from(e.num("y") > 315.0);
                rows[row].push((e.num("x"), text_width(&e.text, FONT)));
            }
            for row in &rows {
                for p in row.windows(2) {
                    assert!(
                        p[1].0 - p[0].0 >= (p[0].1 + p[1].1) / 2.0 + GAP - 0.2,
                        "{n}: {row:?}"
                    );
                }
                for (x, w) in row {
                    assert!(x - w / 2.0 >= MARGIN - 0.1 && x + w / 2.0 <= WIDTH - MARGIN + 0.1);
                }
            }
            assert!(rows[0].len() >= 4, "{n}");
        }
    }
}
