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
        let trimmed = line.trim_start();
        if let Some(h) = trimmed
            .strip_prefix("## ")
            .or_else(|| trimmed.strip_prefix("# "))
        {
            out.push_str(&bold(h, color));
            out.push('\n');
            continue;
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
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_bold_and_code_only_with_colour() {
        assert_eq!(markdown("a **b** `c`", false), "a b `c`\n");
        assert!(markdown("a **b**", true).contains("\x1b[1mb"));
    }
}
