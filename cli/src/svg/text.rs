//! Text in the picture: its estimated width, XML escaping, and shortening.

/// The styles of text the picture uses, each with its font size and weight.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Style {
    /// A node's kind and id, small and grey (`map · n0`).
    Tag,
    /// A node's name, bold.
    Title,
    /// An input's or output's name and type.
    Port,
    /// A setting, a default or a constant.
    Detail,
    /// An edge's label.
    Edge,
    /// The workflow's name above the picture.
    Heading,
}

impl Style {
    /// The font size in pixels.
    pub(super) fn size(self) -> f64 {
        match self {
            Style::Tag | Style::Edge => 10.0,
            Style::Detail => 11.0,
            Style::Port => 12.0,
            Style::Title => 13.0,
            Style::Heading => 15.0,
        }
    }

    /// Whether the text is bold.
    pub(super) fn bold(self) -> bool {
        matches!(self, Style::Title | Style::Heading)
    }

    /// The height a line of this style takes.
    pub(super) fn line_height(self) -> f64 {
        (self.size() * 1.35).round()
    }

    /// The estimated width of `text` in this style.
    pub(super) fn width(self, text: &str) -> f64 {
        let em: f64 = text.chars().map(char_em).sum();
        em * self.size() * if self.bold() { 1.08 } else { 1.0 }
    }
}

/// The width of a character in ems, as in Helvetica or Arial (the sans-serif fonts the picture
/// asks for first), by class of character: close enough to size boxes to their text.
fn char_em(c: char) -> f64 {
    match c {
        'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' | 'I' => 0.26,
        ' ' | 'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '{' | '}' | '-' | '/' | '\\' | '"' | '·' => 0.34,
        'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.86,
        'A'..='Z' | '&' => 0.68,
        '<' | '>' | '=' | '+' | '~' | '→' | '…' => 0.6,
        c if c.is_ascii() => 0.56,
        // Wide scripts (CJK and the like) take a full em, other letters about as much as a capital.
        c if u32::from(c) >= 0x2E80 => 1.0,
        _ => 0.68,
    }
}

/// `s` escaped for XML text and attribute values.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all (control characters) are left out.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// `s` cut to at most `max` characters, ending with `…` when it was cut.
pub(super) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `items` joined with `, ` into lines no wider than `max` pixels in `style` (an item wider
/// than that gets a line of its own).
pub(super) fn wrap(items: &[String], style: Style, max: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for item in items {
        match lines.last_mut() {
            Some(line) if style.width(line) + style.width(", ") + style.width(item) <= max => {
                line.push_str(", ");
                line.push_str(item);
            }
            _ => lines.push(item.clone()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_grow_with_the_text_and_bold_is_wider() {
        let narrow = Style::Detail.width("illicit");
        let wide = Style::Detail.width("MWMWMWM");
        assert!(narrow < wide / 2.0, "{narrow} {wide}");
        assert!(Style::Title.width("abc") > Style::Detail.width("abc"));
        // About half an em per character for ordinary lowercase text.
        let w = Style::Title.width("detect_anomalies");
        assert!((100.0..140.0).contains(&w), "{w}");
    }

    #[test]
    fn escapes_markup_and_drops_control_characters() {
        assert_eq!(esc("a<&\"'>b\u{1}"), "a&lt;&amp;&quot;&apos;&gt;b");
    }

    #[test]
    fn shortens_and_wraps() {
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
        let items: Vec<String> = ["concurrency = 4", "min_success_ratio = 0.75", "x = 1"].map(String::from).into();
        assert_eq!(wrap(&items, Style::Detail, 120.0), ["concurrency = 4", "min_success_ratio = 0.75", "x = 1"]);
        assert_eq!(wrap(&items, Style::Detail, 1000.0), ["concurrency = 4, min_success_ratio = 0.75, x = 1"]);
    }
}
