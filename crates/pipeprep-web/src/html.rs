//! Small helpers for the server-rendered HTML: escaping and the page frame.

use std::fmt::Write as _;

/// Text as HTML: `&`, `<`, `>`, quotes escaped; control characters (not newlines or tabs) dropped.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The interviewer's light markdown as HTML: paragraphs, `**bold**`, `` `code` `` and `- ` lists.
/// Everything else is text.
pub fn md(text: &str) -> String {
    let mut out = String::new();
    for para in text.split("\n\n") {
        let lines: Vec<&str> = para.lines().collect();
        if lines.is_empty() {
            continue;
        }
        let is_list = lines.iter().all(|l| {
            let t = l.trim_start();
            t.starts_with("- ") || t.starts_with("* ")
        });
        if is_list {
            out.push_str("<ul>");
            for l in lines {
                let t = l.trim_start();
                let _ = write!(out, "<li>{}</li>", inline(&t[2..]));
            }
            out.push_str("</ul>");
        } else {
            let body: Vec<String> = lines.iter().map(|l| inline(l)).collect();
            let _ = write!(out, "<p>{}</p>", body.join("<br>"));
        }
    }
    out
}

/// `**bold**` and `` `code` `` within a line; the rest escaped.
pub fn inline(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while !rest.is_empty() {
        let bold = rest.find("**");
        let code = rest.find('`');
        match (bold, code) {
            (Some(b), c) if c.is_none_or(|c| b < c) => {
                if let Some(end) = rest[b + 2..].find("**") {
                    out.push_str(&esc(&rest[..b]));
                    let _ = write!(out, "<strong>{}</strong>", esc(&rest[b + 2..b + 2 + end]));
                    rest = &rest[b + 2 + end + 2..];
                } else {
                    out.push_str(&esc(rest));
                    break;
                }
            }
            (_, Some(c)) => {
                if let Some(end) = rest[c + 1..].find('`') {
                    out.push_str(&esc(&rest[..c]));
                    let _ = write!(out, "<code>{}</code>", esc(&rest[c + 1..c + 1 + end]));
                    rest = &rest[c + 1 + end + 1..];
                } else {
                    out.push_str(&esc(rest));
                    break;
                }
            }
            _ => {
                out.push_str(&esc(rest));
                break;
            }
        }
    }
    out
}

/// A whole page: the head with the embedded assets, the top navigation and `body`.
pub fn page(title: &str, body: &str) -> String {
    let v = crate::assets::VERSION;
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"htmx-config\" content='{{\"includeIndicatorStyles\":false,\"allowEval\":false,\"allowScriptTags\":false,\"selfRequestsOnly\":true}}'>\
<title>{} · pipeprep</title>\
<link rel=\"icon\" href=\"data:,\">\
<link rel=\"stylesheet\" href=\"/assets/style.css?v={v}\">\
<link rel=\"stylesheet\" href=\"/assets/sim.css?v={v}\">\
<script src=\"/assets/htmx.min.js?v={v}\" defer></script>\
<script src=\"/assets/htmx-ext-sse.js?v={v}\" defer></script>\
<script src=\"/assets/app.js?v={v}\" defer></script>\
</head><body>\
<a class=\"skip\" href=\"#main\">Skip to content</a>\
<header class=\"top\"><a class=\"brand\" href=\"/\">pipeprep</a>\
<nav aria-label=\"Main\"><a href=\"/\">New interview</a><a href=\"/history\">History</a><a href=\"/progress\">Progress</a><a href=\"/bank\">Bank</a></nav></header>\
<main id=\"main\">{body}</main></body></html>\n",
        esc(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_shown_not_run() {
        assert_eq!(
            esc("<script>a&b</script>"),
            "&lt;script&gt;a&amp;b&lt;/script&gt;"
        );
        let h = md("Use **Kafka** for `<ingest>`\n\n- one\n- two");
        assert_eq!(
            h,
            "<p>Use <strong>Kafka</strong> for <code>&lt;ingest&gt;</code></p><ul><li>one</li><li>two</li></ul>"
        );
        assert_eq!(inline("a ** b"), "a ** b");
    }
}
