//! Heat maps (hour × weekday, cohort × month after joining): a grid of cells shaded from
//! light to dark by value, each writing its figure when it fits, with a small key from the
//! smallest to the largest value.

use super::axis::Band;
use super::frame::{self, INK, MARGIN, WIDTH};
use super::plot::{XLabels, category_labels, y_title_text};
use super::svg::{Svg, Tag, round1, text_width, truncate};
use super::{Format, tip};

/// A grid of values: `cells[r][c]` belongs to `rows[r]` and `columns[c]`.
#[derive(Clone, Copy)]
pub struct HeatMap<'a> {
    /// Shown as the SVG's `<title>` (its accessible name) and as a visible heading.
    pub title: &'a str,
    /// Title of the column axis, written under the grid.
    pub x_label: &'a str,
    /// Title of the row axis, written up the left side.
    pub y_label: &'a str,
    /// Column names, left to right; crowded names are staggered or thinned like x labels.
    pub columns: &'a [String],
    /// Row names, top to bottom; long ones are shortened with the full name on hover.
    pub rows: &'a [String],
    /// Rows × columns. `None` (or a non-finite value) leaves the cell blank; short rows are
    /// blank at the end and cells beyond `rows`/`columns` are ignored.
    pub cells: &'a [Vec<Option<f64>>],
    /// Writes each cell's figure and the key's two ends.
    pub format: Format<'a>,
    /// Text shown in an empty frame when there is nothing to draw ("暂无数据").
    pub empty: &'a str,
}

const FONT: f64 = 12.0;
const CELL_FONT: f64 = 11.0;
const CELL_HEIGHT: f64 = 26.0;
const KEY_HEIGHT: f64 = 26.0;
const KEY_STEPS: usize = 9;

/// Sequential blues, light to dark; the lightest is skipped so the smallest value still
/// differs from a blank cell.
const RAMP: [(u8, u8, u8); 9] = [
    (0xf7, 0xfb, 0xff),
    (0xde, 0xeb, 0xf7),
    (0xc6, 0xdb, 0xef),
    (0x9e, 0xca, 0xe1),
    (0x6b, 0xae, 0xd6),
    (0x42, 0x92, 0xc6),
    (0x21, 0x71, 0xb5),
    (0x08, 0x51, 0x9c),
    (0x08, 0x30, 0x6b),
];
const RAMP_START: f64 = 0.1;

impl HeatMap<'_> {
    fn value(&self, r: usize, c: usize) -> Option<f64> {
        if r >= self.rows.len() || c >= self.columns.len() {
            return None;
        }
        let v = (*self.cells.get(r)?.get(c)?)?;
        v.is_finite().then_some(v.clamp(-1e300, 1e300))
    }

    fn extent(&self) -> Option<(f64, f64)> {
        let mut out: Option<(f64, f64)> = None;
        for r in 0..self.rows.len() {
            for c in 0..self.columns.len() {
                if let Some(v) = self.value(r, c) {
                    out = Some(out.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))));
                }
            }
        }
        out
    }
}

/// Draws the grid with cells shaded light (smallest) to dark (largest present value); each
/// cell writes its formatted value when it fits, in white on dark cells, and shows
/// "row · column: value" on hover. `None` cells stay blank. With no rows, no columns or no
/// present value, draws the `empty` frame.
pub fn heat_map(h: &HeatMap<'_>) -> String {
    let Some((min, max)) = h.extent() else {
        return frame::empty("heat-map", h.title, h.empty);
    };
    let mut svg = Svg::default();
    let top = frame::heading(&mut svg, h.title);
    key(&mut svg, h, top, min, max);
    let top = top + KEY_HEIGHT;

    let title_room = if h.y_label.is_empty() { 0.0 } else { 20.0 };
    let widest_row = h
        .rows
        .iter()
        .map(|r| text_width(r, FONT))
        .fold(0.0, f64::max);
    let row_room = widest_row.min(WIDTH * 0.3);
    let left = MARGIN + title_room + row_room + 8.0;
    let right = WIDTH - MARGIN;
    let columns = Band::new(left, right, h.columns.len());
    let bottom = top + h.rows.len() as f64 * CELL_HEIGHT;

    svg.open(
        Tag::new("g")
            .attr("class", "chart-axis chart-axis-y")
            .attr("fill", INK)
            .attr("text-anchor", "end"),
    );
    for (r, name) in h.rows.iter().enumerate() {
        let tag = Tag::new("text")
            .num("x", left - 8.0)
            .num("y", top + (r as f64 + 0.5) * CELL_HEIGHT + 4.0);
        let shown = truncate(name, FONT, row_room);
        if &shown == name {
            svg.text(tag, name);
        } else {
            svg.text_with_tip(tag, &shown, name);
        }
    }
    svg.close("g");
    let layout = XLabels::layout(h.columns, columns.step);
    category_labels(&mut svg, h.columns, &columns, &layout, bottom);

    svg.open(
        Tag::new("g")
            .attr("class", "chart-cells")
            .attr("stroke", "#ffffff")
            .num("stroke-width", 1.0),
    );
    for r in 0..h.rows.len() {
        let (y0, y1) = (
            round1(top + r as f64 * CELL_HEIGHT),
            round1(top + (r + 1) as f64 * CELL_HEIGHT),
        );
        for c in 0..h.columns.len() {
            let Some(v) = h.value(r, c) else { continue };
            let (x0, x1) = (round1(columns.slot(c)), round1(columns.slot(c + 1)));
            let fill = shade(position(v, min, max));
            let rect = Tag::new("rect")
                .num("x", x0)
                .num("y", y0)
                .num("width", x1 - x0)
                .num("height", y1 - y0)
                .attr("fill", &hex(fill));
            let figure = (h.format)(v);
            svg.with_tip(rect, &tip(&h.rows[r], &h.columns[c], &figure));
            if text_width(&figure, CELL_FONT) <= x1 - x0 - 4.0 {
                svg.text(
                    Tag::new("text")
                        .num("x", (x0 + x1) / 2.0)
                        .num("y", (y0 + y1) / 2.0 + 4.0)
                        .attr("fill", text_on(fill))
                        .attr("stroke", "none")
                        .num("font-size", CELL_FONT)
                        .attr("text-anchor", "middle"),
                    &figure,
                );
            }
        }
    }
    svg.close("g");

    let mut height = bottom + layout.rows as f64 * 15.0 + 8.0;
    if !h.x_label.is_empty() {
        height += 18.0;
        svg.text(
            Tag::new("text")
                .num("x", (left + right) / 2.0)
                .num("y", height - 4.0)
                .attr("text-anchor", "middle")
                .attr("fill", INK)
                .attr("class", "chart-axis-title"),
            &truncate(h.x_label, FONT, right - left),
        );
    }
    if !h.y_label.is_empty() {
        y_title_text(
            &mut svg,
            h.y_label,
            MARGIN + 10.0,
            (top + bottom) / 2.0,
            bottom - top,
        );
    }
    height += MARGIN / 2.0;
    let desc = format!(
        "{} / {}: {} – {}",
        h.y_label,
        h.x_label,
        (h.format)(min),
        (h.format)(max)
    );
    frame::document("heat-map", h.title, &desc, height, &svg)
}

/// The key: smallest value, the ramp in steps, largest value.
fn key(svg: &mut Svg, h: &HeatMap<'_>, top: f64, min: f64, max: f64) {
    let (low, high) = ((h.format)(min), (h.format)(max));
    let y = top + 4.0;
    let mut x = MARGIN;
    svg.open(
        Tag::new("g")
            .attr("class", "chart-legend")
            .attr("fill", INK),
    );
    svg.text(Tag::new("text").num("x", x).num("y", y + 10.0), &low);
    x += text_width(&low, FONT) + 6.0;
    for i in 0..KEY_STEPS {
        let t = i as f64 / (KEY_STEPS - 1) as f64;
        svg.leaf(
            Tag::new("rect")
                .num("x", x)
                .num("y", y)
                .num("width", 16.0)
                .num("height", 12.0)
                .attr("fill", &hex(shade(t))),
        );
        x += 16.0;
    }
    svg.text(Tag::new("text").num("x", x + 6.0).num("y", y + 10.0), &high);
    svg.close("g");
}

/// Where `v` falls between `min` and `max`, 0 to 1; the middle when they are equal.
fn position(v: f64, min: f64, max: f64) -> f64 {
    let span = max - min;
    if span > 0.0 && span.is_finite() {
        ((v - min) / span).clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// Colour at `t` (0 = light, 1 = dark) along the ramp.
fn shade(t: f64) -> (u8, u8, u8) {
    let t = RAMP_START + (1.0 - RAMP_START) * t.clamp(0.0, 1.0);
    let pos = t * (RAMP.len() - 1) as f64;
    let i = (pos.floor() as usize).min(RAMP.len() - 2);
    let f = pos - i as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + (f64::from(b) - f64::from(a)) * f).round() as u8;
    let (a, b) = (RAMP[i], RAMP[i + 1]);
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// WCAG relative luminance.
fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// White or dark text, whichever contrasts more with the cell.
fn text_on(fill: (u8, u8, u8)) -> &'static str {
    let l = luminance(fill);
    let ink = luminance((0x1a, 0x1a, 0x1a));
    let against_white = 1.05 / (l + 0.05);
    let against_ink = (l + 0.05) / (ink + 0.05);
    if against_white > against_ink {
        "#ffffff"
    } else {
        INK
    }
}

#[cfg(test)]
mod tests {
    use super::super::svg::inspect::{self, Element};
    use super::*;

    fn pct(v: f64) -> String {
        format!("{:.1} %", v * 100.0)
    }

    fn names(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    fn draw(rows: &[String], columns: &[String], cells: &[Vec<Option<f64>>]) -> Vec<Element> {
        let h = HeatMap {
            title: "留存",
            x_label: "入会后月数",
            y_label: "入会月份",
            columns,
            rows,
            cells,
            format: &pct,
            empty: "暂无数据",
        };
        let svg = heat_map(&h);
        assert_eq!(svg, heat_map(&h));
        inspect::assert_clean(&svg)
    }

    fn cell<'a>(all: &'a [Element], tip: &str) -> &'a Element {
        all.iter()
            .find(|e| e.name == "rect" && e.title.as_deref() == Some(tip))
            .unwrap()
    }

    #[test]
    fn darker_for_larger_values_and_text_contrasts() {
        let rows = names("2026-0", 2);
        let columns = names("M", 3);
        let cells = vec![vec![Some(1.0), Some(0.5), Some(0.1)], vec![Some(0.8), None]];
        let all = draw(&rows, &columns, &cells);
        let cells: Vec<&Element> = inspect::tipped(&all, "rect");
        assert_eq!(cells.len(), 4, "None and missing cells are blank");
        let lum = |e: &Element| {
            let h = e.attr("fill");
            let c = |i| u8::from_str_radix(&h[i..i + 2], 16).unwrap();
            luminance((c(1), c(3), c(5)))
        };
        let (high, mid, low) = (
            cell(&all, "2026-00 · M0: 100.0 %"),
            cell(&all, "2026-00 · M1: 50.0 %"),
            cell(&all, "2026-00 · M2: 10.0 %"),
        );
        assert!(lum(high) < lum(mid) && lum(mid) < lum(low));
        let in_cell = |e: &&Element| e.name == "text" && e.attr("font-size") == "11";
        let label = |text: &str| {
            all.iter()
                .filter(in_cell)
                .find(|e| e.text == text)
                .unwrap()
                .attr("fill")
                .to_owned()
        };
        assert_eq!(label("100.0 %"), "#ffffff");
        assert_eq!(label("10.0 %"), INK);
        assert!(
            all.iter().any(|e| e.name == "text" && e.text == "2026-01"),
            "row labels"
        );
        assert!(
            all.iter().any(|e| e.name == "text" && e.text == "M2"),
            "column labels"
        );
    }

    #[test]
    fn cells_tile_the_grid_exactly() {
        let rows = names("周", 7);
        let columns = names("", 24);
        let cells: Vec<Vec<Option<f64>>> = (0..7)
            .map(|r| (0..24).map(|c| Some((r * 24 + c) as f64)).collect())
            .collect();
        let all = draw(&rows, &columns, &cells);
        let first_row: Vec<&Element> = inspect::tipped(&all, "rect").into_iter().take(24).collect();
        for pair in first_row.windows(2) {
            assert!((pair[0].num("x") + pair[0].num("width") - pair[1].num("x")).abs() < 0.01);
        }
        let last = first_row[23];
        assert!((last.num("x") + last.num("width") - (WIDTH - MARGIN)).abs() < 0.01);
    }

    #[test]
    fn figures_only_where_they_fit() {
        let rows = names("r", 1);
        let columns = names("", 24);
        let cells = vec![vec![Some(123_456.789); 24]];
        let all = draw(&rows, &columns, &cells);
        let figures = all
            .iter()
            .filter(|e| e.name == "text" && e.text == "12345678.9 %")
            .count();
        assert_eq!(
            figures, 2,
            "only the key's two ends: the figure does not fit a cell"
        );
        assert_eq!(
            inspect::tipped(&all, "rect").len(),
            24,
            "but every cell is drawn"
        );
    }

    #[test]
    fn equal_values_and_empty_grids_do_not_break() {
        let rows = names("r", 2);
        let columns = names("c", 2);
        let all = draw(
            &rows,
            &columns,
            &[vec![Some(0.0), Some(0.0)], vec![Some(0.0), Some(0.0)]],
        );
        assert_eq!(inspect::tipped(&all, "rect").len(), 4);
        for (r, c, cells) in [
            (
                rows.as_slice(),
                columns.as_slice(),
                vec![vec![None, Some(f64::NAN)]],
            ),
            (&[][..], columns.as_slice(), vec![]),
            (rows.as_slice(), &[][..], vec![vec![Some(1.0)]]),
        ] {
            let all = draw(r, c, &cells);
            assert!(all.iter().any(|e| e.text == "暂无数据"));
        }
    }

    #[test]
    fn ramp_runs_light_to_dark_and_blank_stays_distinct() {
        let steps: Vec<f64> = (0..=10)
            .map(|i| luminance(shade(f64::from(i) / 10.0)))
            .collect();
        assert!(steps.windows(2).all(|w| w[1] < w[0]));
        assert!(steps[0] < luminance((0xff, 0xff, 0xff)) - 0.05);
        assert_eq!(position(5.0, 5.0, 5.0), 0.5);
        assert_eq!(position(10.0, 0.0, 20.0), 0.5);
    }
}
