//! Writing SVG text: escaping whatever the caller hands us, coordinates with at most one
//! decimal, a rough measure of how wide a caption will be, and a small element builder so every
//! chart writes its markup the same way.

/// Escapes text for XML content and attribute values. Characters XML 1.0 forbids (control
/// characters) are dropped and line breaks become spaces, since every caption is one line.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Rounds to one decimal, the precision every coordinate is written with. Geometry rounds
/// before it subtracts, so shapes that should touch (stacked segments) touch exactly.
pub(super) fn round1(v: f64) -> f64 {
    let r = (v * 10.0).round() / 10.0;
    if r.is_finite() { r } else { 0.0 }
}

/// Writes a number with at most one decimal and never `NaN`, `inf` or `-0`.
pub(super) fn num(v: f64) -> String {
    let r = round1(v);
    if r == 0.0 {
        "0".to_owned()
    } else if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// Estimated width of `s` at `size` in user units. No font metrics on the server, so this errs
/// wide: Chinese and other full-width characters take one em, Latin letters and digits about
/// three fifths.
pub(super) fn text_width(s: &str, size: f64) -> f64 {
    let ems: f64 = s
        .chars()
        .map(|c| {
            if is_wide(c) {
                1.0
            } else if matches!(c, 'm' | 'w' | 'M' | 'W' | '@' | '%') {
                0.9
            } else if c.is_ascii_uppercase() {
                0.7
            } else {
                0.58
            }
        })
        .sum();
    ems * size
}

fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF
        | 0x20000..=0x3FFFD)
}

/// Shortens `s` with an ellipsis so it fits in `max` units; the full text belongs in a
/// `<title>` next to it.
pub(super) fn truncate(s: &str, size: f64, max: f64) -> String {
    if text_width(s, size) <= max {
        return s.to_owned();
    }
    let room = max - text_width("…", size);
    let mut out = String::new();
    let mut used = 0.0;
    for ch in s.chars() {
        let w = text_width(ch.encode_utf8(&mut [0; 4]), size);
        if used + w > room {
            break;
        }
        used += w;
        out.push(ch);
    }
    out.push('…');
    out
}

/// One element's name and attributes, built up before it is written.
pub(super) struct Tag {
    name: &'static str,
    attrs: String,
}

impl Tag {
    pub(super) fn new(name: &'static str) -> Self {
        Tag {
            name,
            attrs: String::new(),
        }
    }

    /// A numeric attribute, written with at most one decimal.
    pub(super) fn num(mut self, key: &'static str, v: f64) -> Self {
        self.push(key, &num(v));
        self
    }

    /// A text attribute; the value is escaped.
    pub(super) fn attr(mut self, key: &'static str, value: &str) -> Self {
        let escaped = escape(value);
        self.push(key, &escaped);
        self
    }

    fn push(&mut self, key: &str, value: &str) {
        self.attrs.push(' ');
        self.attrs.push_str(key);
        self.attrs.push_str("=\"");
        self.attrs.push_str(value);
        self.attrs.push('"');
    }
}

/// The markup of a chart's body, element by element.
#[derive(Default)]
pub(super) struct Svg {
    out: String,
}

impl Svg {
    /// `<name …/>`
    pub(super) fn leaf(&mut self, t: Tag) {
        self.start(&t);
        self.out.push_str("/>");
    }

    /// `<name …>`, to be closed with [`Svg::close`].
    pub(super) fn open(&mut self, t: Tag) {
        self.start(&t);
        self.out.push('>');
    }

    pub(super) fn close(&mut self, name: &'static str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name …>text</name>`
    pub(super) fn text(&mut self, t: Tag, text: &str) {
        let name = t.name;
        self.open(t);
        self.out.push_str(&escape(text));
        self.close(name);
    }

    /// `<name …>text<title>tip</title></name>`: a caption whose full wording shows on hover.
    pub(super) fn text_with_tip(&mut self, t: Tag, text: &str, tip: &str) {
        let name = t.name;
        self.open(t);
        self.out.push_str(&escape(text));
        self.title(tip);
        self.close(name);
    }

    /// `<name …><title>tip</title></name>`: a shape that shows its exact figure on hover.
    pub(super) fn with_tip(&mut self, t: Tag, tip: &str) {
        let name = t.name;
        self.open(t);
        self.title(tip);
        self.close(name);
    }

    fn title(&mut self, tip: &str) {
        self.out.push_str("<title>");
        self.out.push_str(&escape(tip));
        self.out.push_str("</title>");
    }

    fn start(&mut self, t: &Tag) {
        self.out.push('<');
        self.out.push_str(t.name);
        self.out.push_str(&t.attrs);
    }

    pub(super) fn as_str(&self) -> &str {
        &self.out
    }
}

#[cfg(test)]
pub(super) mod inspect {
    //! Reads a rendered chart back with quick-xml: proves it is well-formed and lets tests
    //! measure the shapes.
    use quick_xml::XmlVersion;
    use quick_xml::escape::resolve_predefined_entity;
    use quick_xml::events::Event;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone)]
    pub struct Element {
        pub name: String,
        pub attrs: BTreeMap<String, String>,
        /// Text directly inside (not inside a child `<title>`).
        pub text: String,
        /// The text of a `<title>` child, if any.
        pub title: Option<String>,
    }

    impl Element {
        pub fn num(&self, key: &str) -> f64 {
            let v = self
                .attrs
                .get(key)
                .unwrap_or_else(|| panic!("{} has no {key}", self.name));
            v.parse()
                .unwrap_or_else(|_| panic!("{key}={v} is not a number"))
        }

        pub fn attr(&self, key: &str) -> &str {
            self.attrs.get(key).map_or("", String::as_str)
        }
    }

    /// Parses to the end, panicking on any well-formedness error: bad syntax, mismatched or
    /// unclosed tags, duplicate attributes, unknown entities, more than one root.
    pub fn parse(svg: &str) -> Vec<Element> {
        let mut reader = quick_xml::Reader::from_str(svg);
        let mut all: Vec<Element> = Vec::new();
        let mut stack: Vec<usize> = Vec::new();
        let mut roots = 0;
        loop {
            let event = reader
                .read_event()
                .unwrap_or_else(|e| panic!("not well-formed: {e}\n{svg}"));
            match event {
                Event::Start(ref s) | Event::Empty(ref s) => {
                    if stack.is_empty() {
                        roots += 1;
                    }
                    let mut attrs = BTreeMap::new();
                    for a in s.attributes() {
                        let a = a.unwrap_or_else(|e| panic!("bad attribute: {e}"));
                        let value = a.normalized_value(XmlVersion::Implicit1_0).unwrap();
                        let key = a.key.as_ref().to_owned();
                        assert!(
                            attrs.insert(key, value.into_owned()).is_none(),
                            "duplicate attribute"
                        );
                    }
                    all.push(Element {
                        name: s.name().as_ref().to_owned(),
                        attrs,
                        text: String::new(),
                        title: None,
                    });
                    if matches!(event, Event::Start(_)) {
                        stack.push(all.len() - 1);
                    }
                }
                Event::End(e) => {
                    let i = stack.pop().expect("end tag without start");
                    assert_eq!(all[i].name, e.name().as_ref());
                    if let (true, Some(&parent)) = (all[i].name == "title", stack.last()) {
                        all[parent].title = Some(all[i].text.clone());
                    }
                }
                Event::Text(t) => {
                    let text = t.xml10_content();
                    match stack.last() {
                        Some(&i) => all[i].text.push_str(&text),
                        None => assert!(text.trim().is_empty(), "text outside the root"),
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = if r.is_char_ref() {
                        r.resolve_char_ref().unwrap().expect("char ref").to_string()
                    } else {
                        let name = r.xml10_content();
                        resolve_predefined_entity(&name)
                            .expect("unknown entity")
                            .to_owned()
                    };
                    let i = *stack.last().expect("entity outside the root");
                    all[i].text.push_str(&resolved);
                }
                Event::Eof => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(stack.is_empty(), "unclosed elements");
        assert_eq!(roots, 1, "exactly one root element");
        all
    }

    /// The house rules every chart must keep, checked on the raw text and the parsed tree.
    pub fn assert_clean(svg: &str) -> Vec<Element> {
        let all = parse(svg);
        assert!(
            !svg.contains("NaN") && !svg.contains("inf"),
            "NaN or inf in\n{svg}"
        );
        let root = &all[0];
        assert_eq!(root.name, "svg");
        assert_eq!(root.attr("xmlns"), "http://www.w3.org/2000/svg");
        assert_eq!(root.attr("width"), "100%");
        assert!(!root.attrs.contains_key("height"), "no fixed height");
        assert_eq!(root.attr("role"), "img");
        for e in &all {
            assert!(
                !["style", "script", "image", "use", "foreignObject", "a"]
                    .contains(&e.name.as_str())
            );
            for (k, v) in &e.attrs {
                assert!(
                    k != "style" && !k.starts_with("on") && !k.contains("href"),
                    "{k}"
                );
                assert!(!v.contains("url(") && !v.contains("javascript"), "{k}={v}");
                if !matches!(
                    k.as_str(),
                    "font-family" | "class" | "id" | "aria-label" | "aria-labelledby"
                ) {
                    for token in v.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
                        if let Some((_, decimals)) = token.split_once('.') {
                            assert!(decimals.len() <= 1, "{k}={v} has more than one decimal");
                        }
                    }
                }
            }
        }
        all
    }

    /// Shapes carrying a hover title, in document order.
    pub fn tipped<'a>(all: &'a [Element], name: &str) -> Vec<&'a Element> {
        all.iter()
            .filter(|e| e.name == name && e.title.is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_keeps_chinese() {
        assert_eq!(
            escape(r#"<a href="x">&'本店'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;本店&apos;"
        );
        assert_eq!(escape("a\u{0}b\nc"), "ab c");
    }

    #[test]
    fn numbers_have_at_most_one_decimal_and_no_negative_zero() {
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(12.96), "13");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(f64::INFINITY), "0");
        assert_eq!(num(-3.25), "-3.3");
    }

    #[test]
    fn chinese_is_wider_than_latin_and_truncation_fits() {
        assert!(text_width("门店", 12.0) > text_width("ab", 12.0));
        assert_eq!(text_width("门店", 10.0), 20.0);
        let t = truncate("北京朝阳大悦城旗舰店", 12.0, 50.0);
        assert!(t.ends_with('…'));
        assert!(text_width(&t, 12.0) <= 50.0);
        assert_eq!(truncate("短", 12.0, 50.0), "短");
    }

    #[test]
    fn builder_escapes_attributes_and_text() {
        let mut s = Svg::default();
        s.text(Tag::new("text").attr("class", "a\"b").num("x", 1.26), "<&>");
        assert_eq!(
            s.as_str(),
            r#"<text class="a&quot;b" x="1.3">&lt;&amp;&gt;</text>"#
        );
        let mut doc = String::from("<svg>");
        doc.push_str(s.as_str());
        doc.push_str("</svg>");
        let all = inspect::parse(&doc);
        assert_eq!(all[1].text, "<&>");
        assert_eq!(all[1].attr("class"), "a\"b");
    }
}
