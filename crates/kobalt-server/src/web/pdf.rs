//! The GP summary as an A4 PDF (`pdf-writer`). It uses the PDF standard
//! fonts Helvetica and Helvetica-Bold with WinAnsiEncoding: every PDF reader
//! has them, nothing is embedded, no font file is needed on the server, and
//! they cover Dutch and English (ë, é, µ, en and em dashes). Characters
//! outside WinAnsi (→, ≥, ≤) are written as ASCII (->, >=, <=).

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::summary::Summary;

/// A4 in points.
const WIDTH: f32 = 595.28;
const HEIGHT: f32 = 841.89;
const MARGIN: f32 = 48.0;
const BODY: f32 = 9.5;
const HEADING: f32 = 11.5;
const TITLE: f32 = 17.0;
/// The indent of a list item, after its bullet.
const BULLET: f32 = 9.0;

/// Helvetica's advance widths (1/1000 em) for ASCII 32..=126.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0..9
    278, 278, 584, 584, 584, 556, 1015, // :..@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, // A..Z
    278, 278, 278, 469, 556, 333, // [..`
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
    278, 556, 500, 722, 500, 500, 500, // a..z
    334, 260, 334, 584, // {..~
];

/// `text` in WinAnsiEncoding (Windows-1252).
fn win_ansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match c {
            ' '..='~' => out.push(c as u8),
            '\u{a0}'..='\u{ff}' => out.push(c as u32 as u8),
            'μ' => out.push(0xb5),
            '€' => out.push(0x80),
            '‚' => out.push(0x82),
            '„' => out.push(0x84),
            '…' => out.push(0x85),
            '‘' => out.push(0x91),
            '’' => out.push(0x92),
            '“' => out.push(0x93),
            '”' => out.push(0x94),
            '•' => out.push(0x95),
            '–' | '−' => out.push(0x96),
            '—' => out.push(0x97),
            '™' => out.push(0x99),
            '→' => out.extend_from_slice(b"->"),
            '≥' => out.extend_from_slice(b">="),
            '≤' => out.extend_from_slice(b"<="),
            '\u{2009}' | '\u{202f}' | '\n' | '\t' => out.push(b' '),
            _ => out.push(b'?'),
        }
    }
    out
}

/// The width of WinAnsi `bytes` at `size`; bold a little wider.
fn width(bytes: &[u8], size: f32, bold: bool) -> f32 {
    let units: u32 = bytes
        .iter()
        .map(|&b| match b {
            32..=126 => u32::from(HELVETICA[usize::from(b - 32)]),
            0x95 => 350,
            0x96 => 556,
            0x97 => 1000,
            0xb5 => 556,
            _ => 600,
        })
        .sum();
    let factor = if bold { 1.08 } else { 1.0 };
    units as f32 * size / 1000.0 * factor
}

/// Lines of `bytes` no wider than `max`, broken at spaces (a longer word is
/// cut).
fn wrap(bytes: &[u8], size: f32, bold: bool, first_max: f32, max: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in bytes.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let limit = if lines.is_empty() { first_max } else { max };
        let mut candidate = line.clone();
        if !candidate.is_empty() {
            candidate.push(b' ');
        }
        candidate.extend_from_slice(word);
        if width(&candidate, size, bold) <= limit || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::take(&mut line));
            line = word.to_vec();
        }
    }
    lines.push(line);
    lines
}

/// Pages of text being laid out.
struct Writer {
    pages: Vec<Content>,
    y: f32,
}

impl Writer {
    fn new() -> Self {
        let mut w = Writer {
            pages: Vec::new(),
            y: 0.0,
        };
        w.new_page();
        w
    }

    fn new_page(&mut self) {
        self.pages.push(Content::new());
        self.y = HEIGHT - MARGIN;
    }

    fn page(&mut self) -> &mut Content {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    /// Room for `height` more on this page, else a new page.
    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN + 20.0 {
            self.new_page();
        }
    }

    fn show(&mut self, x: f32, text: &[u8], size: f32, bold: bool) {
        let y = self.y;
        let font = if bold { b"F2" } else { b"F1" };
        let c = self.page();
        c.begin_text();
        c.set_font(Name(font), size);
        c.next_line(x, y);
        c.show(Str(text));
        c.end_text();
    }

    /// A paragraph: `label` in bold (may be empty), then `text`, wrapped.
    fn paragraph(&mut self, label: &str, text: &str, size: f32, indent: f32) {
        let lead = size * 1.3;
        let x = MARGIN + indent;
        let max = WIDTH - MARGIN - x;
        let mut label = win_ansi(label);
        match label.last() {
            None => {}
            Some(b'?' | b':' | b'.') => label.push(b' '),
            Some(_) => label.extend_from_slice(b": "),
        }
        let label_width = width(&label, size, true);
        let text = win_ansi(text);
        // The label on the first line; if it is too long, alone on its own lines.
        let (mut first_x, mut first_max) = (x + label_width, max - label_width);
        if label_width > max * 0.75 {
            for line in wrap(&label, size, true, max, max) {
                self.room(lead);
                self.y -= lead;
                self.show(x, &line, size, true);
            }
            label.clear();
            first_x = x;
            first_max = max;
        }
        let lines = wrap(&text, size, false, first_max, max);
        for (i, line) in lines.iter().enumerate() {
            self.room(lead);
            self.y -= lead;
            if i == 0 {
                if !label.is_empty() {
                    self.show(x, &label, size, true);
                }
                self.show(first_x, line, size, false);
            } else {
                self.show(x, line, size, false);
            }
        }
    }

    /// A bullet on the next line, for the paragraph that follows.
    fn bullet(&mut self) {
        let lead = BODY * 1.3;
        self.room(lead);
        let y = self.y;
        self.y -= lead;
        self.show(MARGIN + 1.0, &[0x95], BODY, false);
        self.y = y;
    }

    fn heading(&mut self, text: &str, size: f32) {
        // Keep a heading with at least two lines of what follows.
        self.room(size * 1.6 + BODY * 2.6);
        self.y -= size * 0.6;
        for line in wrap(
            &win_ansi(text),
            size,
            true,
            WIDTH - 2.0 * MARGIN,
            WIDTH - 2.0 * MARGIN,
        ) {
            self.y -= size * 1.25;
            self.show(MARGIN, &line, size, true);
        }
        self.y -= 2.0;
        let y = self.y;
        let c = self.page();
        c.set_line_width(0.5);
        c.move_to(MARGIN, y);
        c.line_to(WIDTH - MARGIN, y);
        c.stroke();
    }
}

/// The summary as PDF bytes; `page_word` is "page" in the reader's language.
pub(crate) fn render(s: &Summary, page_word: &str) -> Vec<u8> {
    let mut w = Writer::new();
    w.y -= TITLE;
    w.show(
        MARGIN,
        &win_ansi(&format!("Kobalt · {}", s.title)),
        TITLE,
        true,
    );
    w.y -= 6.0;
    for (label, value) in &s.meta {
        w.paragraph(label, value, BODY, 0.0);
    }
    for section in &s.sections {
        w.heading(&section.heading, HEADING);
        w.y -= 2.0;
        for it in &section.items {
            w.bullet();
            w.paragraph(&it.label, &it.text, BODY, BULLET);
        }
    }
    w.y -= 6.0;
    w.paragraph("", &s.footer, BODY - 1.5, 0.0);

    // Footer on every page: title, version, page n of m.
    let count = w.pages.len();
    let version = s
        .meta
        .get(1)
        .map(|(l, v)| format!("{l} {v}"))
        .unwrap_or_default();
    for (i, c) in w.pages.iter_mut().enumerate() {
        let text = win_ansi(&format!(
            "Kobalt · {} · {version} · {page_word} {}/{count}",
            s.title,
            i + 1
        ));
        c.begin_text();
        c.set_font(Name(b"F1"), 7.5);
        c.next_line(MARGIN, MARGIN - 16.0);
        c.show(Str(&text));
        c.end_text();
    }

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let mut next = 6;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let ids: Vec<(Ref, Ref)> = (0..count).map(|_| (alloc(), alloc())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(ids.iter().map(|(page, _)| *page))
        .count(i32::try_from(count).unwrap_or(i32::MAX));
    for (content, (page_id, content_id)) in w.pages.into_iter().zip(&ids) {
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree);
        page.contents(*content_id);
        page.resources()
            .fonts()
            .pair(Name(b"F1"), regular)
            .pair(Name(b"F2"), bold);
        page.finish();
        pdf.stream(*content_id, &content.finish());
    }
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info)
        .title(TextStr(&format!("Kobalt · {}", s.title)))
        .producer(TextStr("Kobalt"));
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_keeps_dutch_letters_and_micro() {
        assert_eq!(
            win_ansi("ë µ – →"),
            vec![0xeb, b' ', 0xb5, b' ', 0x96, b' ', b'-', b'>']
        );
    }

    #[test]
    fn wrap_keeps_lines_within_width() {
        let text = win_ansi(&"woord ".repeat(100));
        for line in wrap(&text, 10.0, false, 200.0, 200.0) {
            assert!(width(&line, 10.0, false) <= 200.0);
        }
    }
}
