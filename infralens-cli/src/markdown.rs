//! Markdown for the terminal, through a CommonMark parser (`pulldown-cmark`): headings
//! emphasised, paragraphs as their author wrapped them, lists indented, code blocks with
//! line numbers, tables as aligned columns, links with their targets, HTML comments
//! dropped. With `color`, ANSI styles; without, plain text that still reads as Markdown
//! (inline code keeps its backticks).

use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use std::fmt::Write as _;
use unicode_width::UnicodeWidthChar;

/// A table being gathered: its columns' alignment, its rows of rendered cells, and how many
/// of them are the header.
struct Table {
    aligns: Vec<Alignment>,
    rows: Vec<Vec<String>>,
    head: usize,
}

/// What a line inside a block starts with.
enum Block {
    Quote,
    /// A list item: its continuation lines are indented by the marker's width.
    Item(usize),
}

struct Renderer<'a> {
    out: String,
    color: bool,
    /// Where relative link targets are (the page's directory).
    base: &'a str,
    blocks: Vec<Block>,
    /// The marker (`- `, `2. `) of a list item whose first line is not written yet.
    marker: Option<String>,
    /// Each open list's next number (`None`: bullets).
    lists: Vec<Option<u64>>,
    line_start: bool,
    blank_pending: bool,
    /// Inline text gathered instead of written (a heading, a table cell).
    capture: Option<String>,
    code: Option<String>,
    table: Option<Table>,
    /// Each open link's target and the text written inside it so far.
    links: Vec<(String, String)>,
}

/// Renders `markdown` for a terminal; relative link targets are shown under `base`.
pub(crate) fn render(markdown: &str, base: &str, color: bool) -> String {
    let mut r = Renderer {
        out: String::new(),
        color,
        base,
        blocks: Vec::new(),
        marker: None,
        lists: Vec::new(),
        line_start: true,
        blank_pending: false,
        capture: None,
        code: None,
        table: None,
        links: Vec::new(),
    };
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(markdown, options) {
        r.event(event);
    }
    if !r.line_start {
        r.out.push('\n');
    }
    r.out
}

impl Renderer<'_> {
    fn style(&mut self, on: &str) {
        if self.color {
            self.raw(on);
        }
    }

    /// The start of every line inside the open blocks (and a list item's marker).
    fn prefix(&mut self) {
        let marker = self.marker.take();
        let last_item = self
            .blocks
            .iter()
            .rposition(|b| matches!(b, Block::Item(_)));
        let mut prefix = String::new();
        for (i, block) in self.blocks.iter().enumerate() {
            match block {
                Block::Quote if self.color => prefix.push_str("\x1b[2m│\x1b[22m "),
                Block::Quote => prefix.push_str("> "),
                Block::Item(width) => match &marker {
                    Some(m) if Some(i) == last_item => prefix.push_str(m),
                    _ => prefix.push_str(&" ".repeat(*width)),
                },
            }
        }
        self.out.push_str(&prefix);
    }

    /// Text written as is (escape codes included): into the capture, or onto the page.
    fn raw(&mut self, text: &str) {
        if let Some(capture) = &mut self.capture {
            capture.push_str(text);
            return;
        }
        if self.line_start {
            self.prefix();
            self.line_start = false;
        }
        self.out.push_str(text);
    }

    /// Visible text: also counted as the text of the links it is inside.
    fn text(&mut self, text: &str) {
        for (_, inside) in &mut self.links {
            inside.push_str(text);
        }
        self.raw(text);
    }

    fn newline(&mut self) {
        if let Some(capture) = &mut self.capture {
            capture.push(' ');
            return;
        }
        if self.line_start && self.marker.is_some() {
            // An item whose first line is empty still shows its marker.
            self.prefix();
        }
        self.out.push('\n');
        self.line_start = true;
    }

    /// A new block: on a line of its own, a blank line after the block before it.
    fn block(&mut self) {
        if !self.line_start {
            self.newline();
        }
        if self.blank_pending && !self.out.is_empty() && self.marker.is_none() {
            let quotes = self
                .blocks
                .iter()
                .filter(|b| matches!(b, Block::Quote))
                .count();
            let bar = if self.color {
                "\x1b[2m│\x1b[22m"
            } else {
                ">"
            };
            let line = vec![bar; quotes].join(" ");
            self.out.push_str(&line);
            self.out.push('\n');
        }
        self.blank_pending = false;
    }

    fn end_block(&mut self) {
        if !self.line_start {
            self.newline();
        }
        self.blank_pending = true;
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => match &mut self.code {
                Some(code) => code.push_str(&text),
                None => self.text(&text),
            },
            Event::Code(code) => {
                if self.color {
                    self.raw("\x1b[36m");
                    self.text(&code);
                    self.raw("\x1b[39m");
                } else {
                    self.text(&format!("`{code}`"));
                }
            }
            Event::InlineMath(math) | Event::DisplayMath(math) => self.text(&math),
            // Comments are notes for the page's maintainers (`<!-- starter: … -->`).
            Event::Html(html) => {
                let html = html.trim_end_matches('\n');
                if !html.trim_start().starts_with("<!--") && !html.trim().is_empty() {
                    self.block();
                    for (i, line) in html.split('\n').enumerate() {
                        if i > 0 {
                            self.newline();
                        }
                        self.text(line);
                    }
                    self.end_block();
                }
            }
            Event::InlineHtml(html) => {
                if !html.starts_with("<!--") {
                    self.text(&html);
                }
            }
            Event::SoftBreak | Event::HardBreak => self.newline(),
            Event::Rule => {
                self.block();
                self.raw(&"─".repeat(40));
                self.end_block();
            }
            Event::FootnoteReference(name) => self.text(&format!("[^{name}]")),
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::FootnoteDefinition(_) => self.block(),
            Tag::HtmlBlock => {}
            Tag::Heading { .. } => {
                self.block();
                self.capture = Some(String::new());
            }
            Tag::BlockQuote(_) => {
                self.block();
                self.blocks.push(Block::Quote);
            }
            Tag::CodeBlock(_) => {
                self.block();
                self.code = Some(String::new());
            }
            Tag::List(first) => {
                if self.lists.is_empty() {
                    self.block();
                } else if !self.line_start {
                    self.newline();
                }
                self.lists.push(first);
            }
            Tag::Item => {
                if !self.line_start {
                    self.newline();
                }
                if self.blank_pending {
                    self.block();
                }
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ => "- ".to_owned(),
                };
                self.blocks.push(Block::Item(marker.chars().count()));
                self.marker = Some(marker);
            }
            Tag::Table(aligns) => {
                self.block();
                self.table = Some(Table {
                    aligns,
                    rows: Vec::new(),
                    head: 0,
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => self.capture = Some(String::new()),
            Tag::Emphasis => self.style("\x1b[3m"),
            Tag::Strong => self.style("\x1b[1m"),
            Tag::Strikethrough => self.style("\x1b[9m"),
            Tag::Link { dest_url, .. } => self.links.push((dest_url.into_string(), String::new())),
            Tag::Image { dest_url, .. } => {
                self.text("[image: ");
                self.links.push((dest_url.into_string(), String::new()));
            }
            Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_)
            | Tag::Superscript
            | Tag::Subscript => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::HtmlBlock => {}
            TagEnd::Paragraph | TagEnd::FootnoteDefinition => {
                self.end_block();
            }
            TagEnd::Heading(level) => {
                let title = self.capture.take().unwrap_or_default();
                if self.color {
                    self.raw("\x1b[1;4m");
                    self.raw(&title);
                    self.raw("\x1b[22;24m");
                } else {
                    self.raw(&title);
                    let bar = match level {
                        HeadingLevel::H1 => Some("="),
                        HeadingLevel::H2 => Some("-"),
                        _ => None,
                    };
                    if let Some(bar) = bar {
                        self.newline();
                        self.raw(&bar.repeat(width(&title)));
                    }
                }
                self.end_block();
            }
            TagEnd::BlockQuote(_) => {
                self.end_block();
                self.blocks.pop();
            }
            TagEnd::CodeBlock => {
                let code = self.code.take().unwrap_or_default();
                for (n, line) in code.trim_end_matches('\n').split('\n').enumerate() {
                    let sep = if line.is_empty() { "" } else { " " };
                    if self.color {
                        self.raw(&format!("\x1b[2m{:>4} |\x1b[22m{sep}{line}", n + 1));
                    } else {
                        self.raw(&format!("{:>4} |{sep}{line}", n + 1));
                    }
                    self.newline();
                }
                self.blank_pending = true;
            }
            TagEnd::List(_) => {
                self.lists.pop();
                if !self.line_start {
                    self.newline();
                }
                if self.lists.is_empty() {
                    self.blank_pending = true;
                }
            }
            TagEnd::Item => {
                if self.marker.is_some() {
                    self.newline();
                }
                if !self.line_start {
                    self.newline();
                }
                self.blocks.pop();
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.table(&table);
                }
                self.blank_pending = true;
            }
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.head = t.rows.len();
                }
            }
            TagEnd::TableRow => {}
            TagEnd::TableCell => {
                let cell = self.capture.take().unwrap_or_default();
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(cell.trim().to_owned());
                }
            }
            TagEnd::Emphasis => self.style("\x1b[23m"),
            TagEnd::Strong => self.style("\x1b[22m"),
            TagEnd::Strikethrough => self.style("\x1b[29m"),
            TagEnd::Link | TagEnd::Image => {
                let image = matches!(tag, TagEnd::Image);
                if let Some((target, inside)) = self.links.pop() {
                    let shown = inside.trim_matches('`');
                    let target = self.target(&target);
                    if image {
                        self.text("]");
                    }
                    if !target.is_empty() && target != shown && !target.starts_with('#') {
                        self.style("\x1b[2m");
                        self.text(&format!(" ({target})"));
                        self.style("\x1b[22m");
                    }
                }
            }
            TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition
            | TagEnd::MetadataBlock(_)
            | TagEnd::Superscript
            | TagEnd::Subscript => {}
        }
    }

    /// A link's target as the reader can follow it: relative ones under the page's directory.
    fn target(&self, url: &str) -> String {
        let absolute = url.contains("://") || url.starts_with('/') || url.starts_with("mailto:");
        if absolute || url.starts_with('#') || self.base.is_empty() {
            url.to_owned()
        } else {
            format!(
                "{}/{}",
                self.base.trim_end_matches('/'),
                url.trim_start_matches("./")
            )
        }
    }

    /// The rows as aligned columns: the header, a rule under it, the rows; no `|` drawn.
    fn table(&mut self, table: &Table) {
        let columns = table.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|i| {
                let cells = table.rows.iter().filter_map(|r| r.get(i));
                cells.map(|c| width(c)).max().unwrap_or(0)
            })
            .collect();
        for (k, row) in table.rows.iter().enumerate() {
            let mut line = String::new();
            for (i, w) in widths.iter().enumerate() {
                let cell = row.get(i).map_or("", String::as_str);
                let pad = w.saturating_sub(width(cell));
                let (left, right) = match table.aligns.get(i) {
                    Some(Alignment::Right) => (pad, 0),
                    Some(Alignment::Center) => (pad / 2, pad - pad / 2),
                    _ => (0, pad),
                };
                if i > 0 {
                    line.push_str("  ");
                }
                let _ = write!(line, "{}{cell}{}", " ".repeat(left), " ".repeat(right));
            }
            let line = line.trim_end();
            if k < table.head && self.color {
                self.raw(&format!("\x1b[1m{line}\x1b[22m"));
            } else {
                self.raw(line);
            }
            self.newline();
            if k + 1 == table.head {
                let total = widths.iter().sum::<usize>() + 2 * columns.saturating_sub(1);
                self.raw(&"─".repeat(total));
                self.newline();
            }
        }
    }
}

/// The columns `text` takes on a terminal: escape sequences take none, wide characters two.
fn width(text: &str) -> usize {
    let mut n = 0;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // `ESC [ … final byte`
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        n += c.width().unwrap_or(0);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn blocks_render_as_a_reader_expects() {
        let page = "# Lab\n\nText *here*\nwraps.\n\n- one\n- two `x`\n  more\n\n1. a\n2. b\n\n> said\n\n<!-- starter: qkv.rs -->\n\nSee [`qkv.rs`](qkv.rs) and [site](https://a.b/c) and <https://a.b>.\n\n| a | b |\n|--:|---|\n| 10 | é |\n| 2 | long cell |\n";
        let plain = render(page, "labs/02", false);
        assert_eq!(
            plain,
            "Lab\n===\n\nText here\nwraps.\n\n- one\n- two `x`\n  more\n\n1. a\n2. b\n\n> said\n\nSee `qkv.rs` (labs/02/qkv.rs) and site (https://a.b/c) and https://a.b.\n\n a  b\n─────────────\n10  é\n 2  long cell\n"
        );
        let colored = render(page, "labs/02", true);
        assert!(colored.contains("\x1b[1;4mLab\x1b[22;24m"), "{colored}");
        assert!(colored.contains("\x1b[3mhere\x1b[23m"), "{colored}");
        assert!(!colored.contains("<!--"));
    }

    #[test]
    fn code_blocks_are_numbered_and_nested_lists_indented() {
        let page =
            "- outer\n  - inner\n    text\n- back\n\n```rust\nfn f() {}\n\nlet x = 1;\n```\n";
        assert_eq!(
            render(page, "", false),
            "- outer\n  - inner\n    text\n- back\n\n   1 | fn f() {}\n   2 |\n   3 | let x = 1;\n"
        );
    }

    #[test]
    fn widths_skip_escapes_and_count_wide_characters() {
        assert_eq!(super::width("\x1b[36mab\x1b[39m"), 2);
        assert_eq!(super::width("日本"), 4);
    }
}
