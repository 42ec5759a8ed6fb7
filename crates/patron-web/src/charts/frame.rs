//! What every chart shares around its plot: the `<svg>` root with its accessible name, the
//! visible heading, the legend, the colour palette, and the empty frame shown when there is
//! no data.

use super::svg::{Svg, Tag, escape, num, text_width, truncate};

/// Width of every chart's viewBox; heights vary by chart.
pub(super) const WIDTH: f64 = 640.0;
/// Height of the line and vertical bar charts and of the empty frame.
pub(super) const HEIGHT: f64 = 380.0;
/// Space left and right of everything.
pub(super) const MARGIN: f64 = 16.0;

/// Dark enough to read in print.
pub(super) const INK: &str = "#1a1a1a";
/// Axis lines and tick labels.
pub(super) const AXIS: &str = "#555555";
/// Gridlines: light, they guide and do not compete.
pub(super) const GRID: &str = "#dddddd";

/// Eight series colours. Neighbours differ in hue and in lightness, so series stay apart on
/// a grey printer; the ninth series reuses the first.
const PALETTE: [&str; 8] = [
    "#1f5a96", "#e8871e", "#2e8540", "#a3262a", "#9e7fd0", "#5c3d10", "#7fb8de", "#c2549b",
];
/// Line dashes, cycled with the colours, so lines differ in print without colour.
const DASHES: [&str; 4] = ["", "8 4", "2 3", "10 3 2 3"];

pub(super) fn colour(series: usize) -> &'static str {
    PALETTE[series % PALETTE.len()]
}

pub(super) fn dash(series: usize) -> &'static str {
    DASHES[series % DASHES.len()]
}

/// Adds a dash pattern to a line's tag unless the series is drawn solid.
pub(super) fn dashed(tag: Tag, series: usize) -> Tag {
    match dash(series) {
        "" => tag,
        d => tag.attr("stroke-dasharray", d),
    }
}

/// The finished `<svg>`: root with `role="img"`, `<title>` and `<desc>` named by
/// `aria-labelledby`, then the body. Ids come from a hash of the content, so several charts
/// on one page do not clash and the output stays deterministic.
pub(super) fn document(kind: &str, title: &str, desc: &str, height: f64, body: &Svg) -> String {
    let id = format!("chart-{:016x}", fnv1a(&[kind, title, desc, body.as_str()]));
    let labelled_by = if desc.is_empty() {
        format!("{id}-t")
    } else {
        format!("{id}-t {id}-d")
    };
    let mut out = String::with_capacity(body.as_str().len() + 600);
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"100%\" \
         preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-labelledby=\"{labelled_by}\" \
         class=\"chart chart-{}\" font-family=\"system-ui, 'PingFang SC', 'Microsoft YaHei', \
         'Noto Sans CJK SC', sans-serif\" font-size=\"12\">",
        num(WIDTH),
        num(height),
        escape(kind)
    ));
    out.push_str(&format!("<title id=\"{id}-t\">{}</title>", escape(title)));
    if !desc.is_empty() {
        out.push_str(&format!("<desc id=\"{id}-d\">{}</desc>", escape(desc)));
    }
    out.push_str(body.as_str());
    out.push_str("</svg>");
    out
}

fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The visible heading; returns where the content below it starts.
pub(super) fn heading(svg: &mut Svg, title: &str) -> f64 {
    let shown = truncate(title, 16.0, WIDTH - 2.0 * MARGIN);
    let tag = Tag::new("text")
        .num("x", MARGIN)
        .num("y", 24.0)
        .num("font-size", 16.0)
        .attr("font-weight", "bold")
        .attr("fill", INK)
        .attr("class", "chart-title");
    svg.text(tag, &shown);
    36.0
}

/// A frame with the caller's "no data" text in place of a plot.
pub(super) fn empty(kind: &str, title: &str, text: &str) -> String {
    let mut svg = Svg::default();
    let top = heading(&mut svg, title);
    let bottom = HEIGHT - MARGIN;
    svg.leaf(
        Tag::new("rect")
            .num("x", MARGIN)
            .num("y", top)
            .num("width", WIDTH - 2.0 * MARGIN)
            .num("height", bottom - top)
            .attr("fill", "none")
            .attr("stroke", "#bbbbbb")
            .attr("stroke-dasharray", "4 4")
            .attr("class", "chart-empty-frame"),
    );
    svg.text(
        Tag::new("text")
            .num("x", WIDTH / 2.0)
            .num("y", (top + bottom) / 2.0 + 5.0)
            .num("font-size", 14.0)
            .attr("text-anchor", "middle")
            .attr("fill", AXIS)
            .attr("class", "chart-empty"),
        &truncate(text, 14.0, WIDTH - 4.0 * MARGIN),
    );
    document(kind, title, text, HEIGHT, &svg)
}

/// How a legend entry shows its series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Swatch {
    /// A filled square, for bars.
    Block,
    /// A short stroke with its dash and a dot, for lines.
    Stroke,
}

const LEGEND_ROW: f64 = 18.0;
const LEGEND_FONT: f64 = 12.0;
const SWATCH: f64 = 12.0;

/// Series names laid out left to right, wrapping onto further rows.
pub(super) struct Legend {
    /// (x, row, shown name, full name, series index)
    items: Vec<(f64, usize, String, String, usize)>,
    rows: usize,
}

impl Legend {
    /// A legend for `names`; `None` gives an empty legend that takes no room.
    pub(super) fn layout<'n>(names: impl IntoIterator<Item = &'n str>) -> Legend {
        let max_name = (WIDTH - 2.0 * MARGIN) / 2.0;
        let mut items = Vec::new();
        let (mut x, mut row) = (MARGIN, 0);
        for (i, name) in names.into_iter().enumerate() {
            let shown = truncate(name, LEGEND_FONT, max_name);
            let width = SWATCH + 6.0 + text_width(&shown, LEGEND_FONT) + 18.0;
            if x > MARGIN && x + width > WIDTH - MARGIN {
                x = MARGIN;
                row += 1;
            }
            items.push((x, row, shown, name.to_owned(), i));
            x += width;
        }
        let rows = if items.is_empty() { 0 } else { row + 1 };
        Legend { items, rows }
    }

    pub(super) fn none() -> Legend {
        Legend {
            items: Vec::new(),
            rows: 0,
        }
    }

    /// Room the legend takes below the heading.
    pub(super) fn height(&self) -> f64 {
        if self.rows == 0 {
            0.0
        } else {
            self.rows as f64 * LEGEND_ROW + 6.0
        }
    }

    pub(super) fn draw(&self, svg: &mut Svg, top: f64, swatch: Swatch) {
        if self.items.is_empty() {
            return;
        }
        svg.open(Tag::new("g").attr("class", "chart-legend"));
        for (x, row, shown, full, i) in &self.items {
            let mid = top + *row as f64 * LEGEND_ROW + LEGEND_ROW / 2.0;
            match swatch {
                Swatch::Block => svg.leaf(
                    Tag::new("rect")
                        .num("x", *x)
                        .num("y", mid - SWATCH / 2.0)
                        .num("width", SWATCH)
                        .num("height", SWATCH)
                        .attr("fill", colour(*i)),
                ),
                Swatch::Stroke => {
                    let line = Tag::new("line")
                        .num("x1", *x - 2.0)
                        .num("y1", mid)
                        .num("x2", *x + SWATCH + 2.0)
                        .num("y2", mid)
                        .attr("stroke", colour(*i))
                        .num("stroke-width", 2.5);
                    svg.leaf(dashed(line, *i));
                    svg.leaf(
                        Tag::new("circle")
                            .num("cx", *x + SWATCH / 2.0)
                            .num("cy", mid)
                            .num("r", 3.0)
                            .attr("fill", colour(*i)),
                    );
                }
            }
            let text = Tag::new("text")
                .num("x", *x + SWATCH + 6.0)
                .num("y", mid + 4.0)
                .attr("fill", INK);
            if shown == full {
                svg.text(text, shown);
            } else {
                svg.text_with_tip(text, shown, full);
            }
        }
        svg.close("g");
    }
}

#[cfg(test)]
mod tests {
    use super::super::svg::inspect;
    use super::*;

    #[test]
    fn palette_colours_are_distinct_and_differ_in_lightness() {
        let lightness = |hex: &str| {
            let c = |i| f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            0.2126 * c(1) + 0.7152 * c(3) + 0.0722 * c(5)
        };
        for (i, this) in PALETTE.iter().enumerate() {
            let next = PALETTE[(i + 1) % PALETTE.len()];
            assert_ne!(*this, next);
            assert!((lightness(this) - lightness(next)).abs() > 0.08, "{i}");
            assert!(lightness(this) < 0.75, "{i} visible on white paper");
        }
    }

    #[test]
    fn legend_wraps_long_lists_onto_more_rows() {
        assert_eq!(Legend::none().height(), 0.0);
        let one = Legend::layout(["线上"]);
        assert_eq!(one.rows, 1);
        let names: Vec<String> = (0..12).map(|i| format!("门店名称很长的第{i}家")).collect();
        let many = Legend::layout(names.iter().map(String::as_str));
        assert!(many.rows > 1);
        for (x, _, shown, _, _) in &many.items {
            assert!(x + SWATCH + 6.0 + text_width(shown, LEGEND_FONT) <= WIDTH - MARGIN);
        }
    }

    #[test]
    fn empty_frame_is_well_formed_and_labelled() {
        let out = empty("line", "销售 & 退款", "暂无数据");
        let all = inspect::assert_clean(&out);
        let root = &all[0];
        assert_eq!(root.attr("viewBox"), "0 0 640 380");
        let ids: Vec<&str> = root.attr("aria-labelledby").split(' ').collect();
        assert_eq!(ids.len(), 2);
        assert_eq!(all[1].attr("id"), ids[0]);
        assert_eq!(all[1].text, "销售 & 退款");
        assert_eq!(all[2].name, "desc");
        assert!(all.iter().any(|e| e.name == "text" && e.text == "暂无数据"));
        assert_ne!(
            empty("line", "a", "b"),
            empty("bars", "a", "b"),
            "ids differ by chart"
        );
    }
}
