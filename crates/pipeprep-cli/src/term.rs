//! Terminal output: colour only when a terminal is attached and NO_COLOR is unset, and a small
//! markdown renderer for the interviewer's messages and the scorecard.

use std::io::IsTerminal;

pub fn color_enabled() -> bool {
    std::io::stdout().is_terminal()
        && std::env::var_os(pipeprep_app::env::NO_COLOR).is_none_or(|v| v.is_empty())
}

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

pub fn dim(s: &str, color: bool) -> String {
    if color {
        format!("{DIM}{s}{RESET}")
    } else {
        s.to_string()
    }
}

pub fn bold(s: &str, color: bool) -> String {
    if color {
        format!("{BOLD}{s}{RESET}")
    } else {
        s.to_string()
    }
}

/// Renders `**bold**`, `` `code` `` and `#` headings for a terminal; without colour it strips the
/// markers that would only be noise and keeps the text.
pub fn markdown(text: &str, color: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        render_line(line, true, color, &mut out);
        out.push('\n');
    }
    out
}

/// Renders a message that arrives in pieces (whole sentences or lines): inline markup within
/// each piece, headings where a piece starts a line. Keeps whether the next piece starts one.
#[derive(Debug)]
pub struct MarkdownStream {
    color: bool,
    at_line_start: bool,
}

impl MarkdownStream {
    pub fn new(color: bool) -> Self {
        Self {
            color,
            at_line_start: true,
        }
    }

    pub fn piece(&mut self, piece: &str) -> String {
        let mut out = String::with_capacity(piece.len());
        for segment in piece.split_inclusive('\n') {
            let (line, newline) = match segment.strip_suffix('\n') {
                Some(l) => (l, true),
                None => (segment, false),
            };
            render_line(line, self.at_line_start, self.color, &mut out);
            if newline {
                out.push('\n');
            }
            self.at_line_start = newline || (self.at_line_start && line.is_empty());
        }
        out
    }

    /// True when the last piece ended a line.
    pub fn at_line_start(&self) -> bool {
        self.at_line_start
    }
}

/// One line (or the part of one that has arrived), without its line break.
fn render_line(line: &str, starts_line: bool, color: bool, out: &mut String) {
    {
        let trimmed = line.trim_start();
        if let Some(h) = trimmed
            .strip_prefix("## ")
            .or_else(|| trimmed.strip_prefix("# "))
            .filter(|_| starts_line)
        {
            out.push_str(&bold(h, color));
            return;
        }
        let mut rest = line;
        while !rest.is_empty() {
            let next_bold = rest.find("**");
            let next_code = rest.find('`');
            match (next_bold, next_code) {
                (Some(b), c) if c.is_none_or(|c| b < c) => {
                    out.push_str(&rest[..b]);
                    let after = &rest[b + 2..];
                    if let Some(end) = after.find("**") {
                        out.push_str(&bold(&after[..end], color));
                        rest = &after[end + 2..];
                    } else {
                        out.push_str(&rest[b..]);
                        rest = "";
                    }
                }
                (_, Some(c)) => {
                    out.push_str(&rest[..c]);
                    let after = &rest[c + 1..];
                    if let Some(end) = after.find('`') {
                        if color {
                            out.push_str(&format!("{CYAN}{}{RESET}", &after[..end]));
                        } else {
                            out.push('`');
                            out.push_str(&after[..end]);
                            out.push('`');
                        }
                        rest = &after[end + 1..];
                    } else {
                        out.push_str(&rest[c..]);
                        rest = "";
                    }
                }
                _ => {
                    out.push_str(rest);
                    rest = "";
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_bold_and_code_only_with_colour() {
        assert_eq!(markdown("a **b** `c`", false), "a b `c`\n");
        assert!(markdown("a **b**", true).contains("\x1b[1mb"));
    }

    #[test]
    fn a_streamed_message_renders_like_the_whole() {
        let whole = "## Plan\nFirst, **size** it. Then pick `Kafka`.\n- one\n";
        let mut s = MarkdownStream::new(true);
        let pieces = [
            "## Plan\n",
            "First, **size** it.",
            " Then pick `Kafka`.\n",
            "- one\n",
        ];
        let streamed: String = pieces.iter().map(|p| s.piece(p)).collect();
        assert_eq!(streamed, markdown(whole, true));
        assert!(s.at_line_start());
        // A `#` in the middle of a line is not a heading.
        let mut s = MarkdownStream::new(false);
        assert_eq!(s.piece("Use tag"), "Use tag");
        assert_eq!(s.piece("# not a heading"), "# not a heading");
    }
}
