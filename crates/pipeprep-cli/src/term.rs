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

/// While the interviewer's reply streams in, keys the candidate types are not echoed, so they
/// never land in the middle of the reply; they stay queued and appear at the next `you>`
/// prompt as typed-ahead input. Echo comes back when this is dropped (also on a panic unwind).
/// Does nothing when standard input is not a terminal.
pub struct QuietInput {
    #[cfg(unix)]
    saved: Option<nix::sys::termios::Termios>,
}

impl QuietInput {
    pub fn new() -> Self {
        #[cfg(unix)]
        {
            use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
            let stdin = std::io::stdin();
            if !stdin.is_terminal() {
                return Self { saved: None };
            }
            let Ok(saved) = tcgetattr(&stdin) else {
                return Self { saved: None };
            };
            let mut quiet = saved.clone();
            quiet.local_flags.remove(LocalFlags::ECHO);
            // TCSANOW: what was already typed stays queued for the prompt.
            if tcsetattr(&stdin, SetArg::TCSANOW, &quiet).is_err() {
                return Self { saved: None };
            }
            Self { saved: Some(saved) }
        }
        #[cfg(not(unix))]
        Self {}
    }
}

impl Drop for QuietInput {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(saved) = self.saved.take() {
            use nix::sys::termios::{SetArg, tcsetattr};
            let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, &saved);
        }
    }
}

/// The typing indicator: while the interviewer has not said anything yet, a dim line shows
/// that a reply is coming and for how long it has been awaited ("· thinking 4 s"). It runs on
/// its own thread, because the main thread is blocked waiting for the model; [`stop`] ends it
/// and clears the line before anything else is printed.
///
/// [`stop`]: Typing::stop
pub struct Typing {
    running: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Typing {
    pub fn start(color: bool) -> Self {
        use std::io::Write;
        use std::sync::atomic::Ordering;
        let running = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flag = std::sync::Arc::clone(&running);
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let frames = ["·  ", "·· ", "···"];
            let mut i = 0usize;
            while flag.load(Ordering::Acquire) {
                let secs = started.elapsed().as_secs();
                let text = if secs >= 2 {
                    format!("{} thinking {secs} s", frames[i % frames.len()])
                } else {
                    frames[i % frames.len()].to_string()
                };
                print!("\r\x1b[2K{}", dim(&text, color));
                let _ = std::io::stdout().flush();
                i += 1;
                // Short sleeps so stopping is prompt.
                for _ in 0..5 {
                    if !flag.load(Ordering::Acquire) {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(80));
                }
            }
            print!("\r\x1b[2K");
            let _ = std::io::stdout().flush();
        });
        Self {
            running,
            thread: Some(thread),
        }
    }

    /// Stops the indicator and clears its line; returns once the line is clear.
    pub fn stop(&mut self) {
        self.running
            .store(false, std::sync::atomic::Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Typing {
    fn drop(&mut self) {
        self.stop();
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
