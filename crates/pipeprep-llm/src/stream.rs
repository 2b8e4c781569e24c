//! Pure, incremental decoding of reply streams: bytes in, text deltas out.
//!
//! Network reads split a stream anywhere — inside a line, a UTF-8 character, a `<think>` tag or
//! a `\r\n` — so the parser keeps every partial piece until it is whole. The tests feed recorded
//! streams split at every byte position and expect the same result as one whole read.
//!
//! SSE is parsed by hand (a few dozen lines) rather than with a crate, so the same line splitter
//! serves SSE and Ollama's newline-delimited JSON, and the split tests cover all of it.

use serde_json::Value;

use crate::error::StreamError;
use crate::spec::Provider;
use crate::{anthropic, ollama, openai};

/// The longest line accepted; a server that sends more without a newline is not an LLM server.
pub const MAX_LINE: usize = 1 << 20;

/// A wire format: how a reply stream is framed and what ends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// SSE `data: {json}` chunks ending with `data: [DONE]`.
    OpenAi,
    /// SSE with `event:` names, ending with `message_stop`.
    Anthropic,
    /// One JSON object per line, ending with `"done": true`.
    Ollama,
}

impl Wire {
    pub fn of(provider: Provider) -> Wire {
        match provider {
            Provider::OpenAi | Provider::OpenAiCompatible => Wire::OpenAi,
            Provider::Anthropic => Wire::Anthropic,
            Provider::Ollama => Wire::Ollama,
        }
    }

    /// For messages: "check that the URL points at a … server".
    pub fn describe(self) -> &'static str {
        match self {
            Wire::OpenAi => "OpenAI-compatible",
            Wire::Anthropic => "Anthropic",
            Wire::Ollama => "Ollama",
        }
    }

    /// What marks a complete stream.
    pub fn end_marker(self) -> &'static str {
        match self {
            Wire::OpenAi => "[DONE]",
            Wire::Anthropic => "message_stop",
            Wire::Ollama => "done: true",
        }
    }
}

/// Something the model produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// Visible reply text, in order.
    Text(String),
    /// Reasoning the model does before answering (`reasoning_content`, `thinking`, `<think>`):
    /// not shown, but proof the model is working, so it counts against the first-token timeout.
    Reasoning,
}

/// Token counts the provider reported, if it did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamEnd {
    pub prompt_tokens: Option<u32>,
    pub completion_tokens: Option<u32>,
    /// The model stopped because it reached the token limit, so its last sentence is likely
    /// unfinished.
    pub truncated: bool,
}

/// An incremental parser for one reply stream.
#[derive(Debug)]
pub struct StreamParser {
    wire: Wire,
    lines: Lines,
    event_name: String,
    event_data: Option<String>,
    sink: Sink,
}

impl StreamParser {
    pub fn new(wire: Wire) -> Self {
        Self {
            wire,
            lines: Lines::default(),
            event_name: String::new(),
            event_data: None,
            sink: Sink::default(),
        }
    }

    /// Feeds the next bytes read; returns what they completed. Bytes after the end marker are
    /// ignored.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<StreamEvent>, StreamError> {
        for line in self.lines.push(bytes)? {
            self.line(&line)?;
        }
        Ok(std::mem::take(&mut self.sink.events))
    }

    /// True once the end marker has been seen.
    pub fn is_done(&self) -> bool {
        self.sink.done
    }

    /// Call when the connection has closed. Returns the last text held back and the usage, or
    /// [`StreamError::Cut`] when the end marker never came.
    pub fn finish(mut self) -> Result<(Vec<StreamEvent>, StreamEnd), StreamError> {
        if let Some(rest) = self.lines.finish() {
            self.line(&rest)?;
        }
        // The SSE spec drops an event not followed by a blank line; servers that close right
        // after `data: [DONE]` deserve better.
        self.dispatch()?;
        if !self.sink.done {
            return Err(StreamError::Cut {
                marker: self.wire.end_marker(),
                reason: "the server closed the connection".into(),
            });
        }
        let tail = self.sink.think.finish();
        if !tail.is_empty() {
            self.sink.events.push(StreamEvent::Text(tail));
        }
        let end = StreamEnd {
            prompt_tokens: self.sink.prompt_tokens,
            completion_tokens: self.sink.completion_tokens,
            truncated: self.sink.truncated,
        };
        Ok((self.sink.events, end))
    }

    fn line(&mut self, line: &str) -> Result<(), StreamError> {
        if self.sink.done {
            return Ok(());
        }
        if self.wire == Wire::Ollama {
            if !line.trim().is_empty() {
                ollama::on_line(line, &mut self.sink)?;
            }
            return Ok(());
        }
        if line.is_empty() {
            return self.dispatch();
        }
        if line.starts_with(':') {
            return Ok(()); // an SSE comment, used as a keep-alive
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event_name = value.to_string(),
            "data" => match &mut self.event_data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.event_data = Some(value.to_string()),
            },
            _ => {} // `id:`, `retry:` and unknown fields mean nothing here
        }
        Ok(())
    }

    fn dispatch(&mut self) -> Result<(), StreamError> {
        let name = std::mem::take(&mut self.event_name);
        let Some(data) = self.event_data.take() else {
            return Ok(());
        };
        if self.sink.done {
            return Ok(());
        }
        match self.wire {
            Wire::OpenAi => openai::on_event(&data, &mut self.sink),
            Wire::Anthropic => anthropic::on_event(&name, &data, &mut self.sink),
            Wire::Ollama => Ok(()),
        }
    }
}

/// Where the wire modules put what they decode.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    events: Vec<StreamEvent>,
    think: ThinkFilter,
    pub(crate) prompt_tokens: Option<u32>,
    pub(crate) completion_tokens: Option<u32>,
    pub(crate) done: bool,
    /// The provider said the reply ended at the token limit.
    pub(crate) truncated: bool,
}

impl Sink {
    pub(crate) fn text(&mut self, raw: &str) {
        let (visible, hidden) = self.think.push(raw);
        if hidden {
            self.reasoning();
        }
        if !visible.is_empty() {
            self.events.push(StreamEvent::Text(visible));
        }
    }

    pub(crate) fn reasoning(&mut self) {
        if self.events.last() != Some(&StreamEvent::Reasoning) {
            self.events.push(StreamEvent::Reasoning);
        }
    }
}

/// Parses one JSON record, or explains what was wrong with it.
pub(crate) fn parse_json(wire: Wire, text: &str) -> Result<Value, StreamError> {
    serde_json::from_str(text).map_err(|e| StreamError::InvalidJson {
        wire: wire.describe(),
        snippet: text.chars().take(80).collect(),
        error: e.to_string(),
    })
}

pub(crate) fn as_u32(v: Option<&Value>) -> Option<u32> {
    v.and_then(Value::as_u64)
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

/// The human part of a provider's error object, whatever its shape.
pub(crate) fn error_message(err: &Value) -> String {
    let text = match err {
        Value::String(s) => s.clone(),
        Value::Object(o) => o
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| err.to_string()),
        other => other.to_string(),
    };
    text.chars().take(300).collect()
}

/// Splits bytes into lines at `\n`, `\r\n` or `\r`, keeping partial lines (and partial UTF-8)
/// until they are complete.
#[derive(Debug, Default)]
struct Lines {
    buf: Vec<u8>,
    /// The last byte was `\r`, so a `\n` right after it ends nothing.
    after_cr: bool,
}

impl Lines {
    fn push(&mut self, bytes: &[u8]) -> Result<Vec<String>, StreamError> {
        let mut out = Vec::new();
        for &b in bytes {
            let after_cr = std::mem::replace(&mut self.after_cr, false);
            match b {
                b'\n' if after_cr => {}
                b'\n' => out.push(self.take()),
                b'\r' => {
                    out.push(self.take());
                    self.after_cr = true;
                }
                _ => {
                    if self.buf.len() >= MAX_LINE {
                        return Err(StreamError::LineTooLong { limit: MAX_LINE });
                    }
                    self.buf.push(b);
                }
            }
        }
        Ok(out)
    }

    fn take(&mut self) -> String {
        let line = String::from_utf8_lossy(&self.buf).into_owned();
        self.buf.clear();
        line
    }

    fn finish(&mut self) -> Option<String> {
        (!self.buf.is_empty()).then(|| self.take())
    }
}

const THINK_OPEN: &str = "<think>";
const THINK_CLOSE: &str = "</think>";

/// Removes inline `<think>…</think>` reasoning (qwen3, deepseek-r1 through OpenAI-compatible
/// servers) and the blank lines models put before the answer, even when a tag arrives split
/// across deltas.
#[derive(Debug, Default)]
struct ThinkFilter {
    inside: bool,
    /// A tail that may be the start of a tag, held until the next delta decides.
    pending: String,
    /// Visible text has begun, so whitespace is no longer leading.
    started: bool,
}

impl ThinkFilter {
    /// Returns the visible text and whether anything was hidden.
    fn push(&mut self, delta: &str) -> (String, bool) {
        let buf = std::mem::take(&mut self.pending) + delta;
        let mut rest = buf.as_str();
        let mut out = String::new();
        let mut hidden = false;
        loop {
            let tag = if self.inside { THINK_CLOSE } else { THINK_OPEN };
            if let Some(i) = rest.find(tag) {
                if !self.inside {
                    out.push_str(&rest[..i]);
                }
                hidden = true;
                self.inside = !self.inside;
                rest = &rest[i + tag.len()..];
                continue;
            }
            let keep = partial_tag_suffix(rest, tag);
            let (now, later) = rest.split_at(rest.len() - keep);
            if self.inside {
                hidden |= !now.is_empty();
            } else {
                out.push_str(now);
            }
            self.pending = later.to_string();
            break;
        }
        (self.strip_leading(out), hidden)
    }

    /// The text held back at the end of the stream; an unclosed `<think>` is all reasoning.
    fn finish(&mut self) -> String {
        let pending = std::mem::take(&mut self.pending);
        if self.inside {
            String::new()
        } else {
            self.strip_leading(pending)
        }
    }

    fn strip_leading(&mut self, text: String) -> String {
        if self.started {
            return text;
        }
        let trimmed = text.trim_start();
        self.started = !trimmed.is_empty();
        trimmed.to_string()
    }
}

/// The length of the longest end of `s` that is a proper start of `tag` (ASCII).
fn partial_tag_suffix(s: &str, tag: &str) -> usize {
    (1..tag.len())
        .rev()
        .find(|&k| s.ends_with(&tag[..k]))
        .unwrap_or(0)
}

/// Helpers the wire modules' tests share: feed a recorded stream whole, byte by byte and split
/// at every position, and demand the same text and usage each time.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    /// Text and usage from feeding `parts` in order, or the first error.
    pub(crate) fn run(wire: Wire, parts: &[&[u8]]) -> Result<(String, StreamEnd), StreamError> {
        let mut p = StreamParser::new(wire);
        let mut text = String::new();
        let mut collect = |events: Vec<StreamEvent>| {
            for e in events {
                if let StreamEvent::Text(t) = e {
                    text.push_str(&t);
                }
            }
        };
        for part in parts {
            collect(p.feed(part)?);
        }
        let (events, end) = p.finish()?;
        collect(events);
        Ok((text, end))
    }

    /// Asserts that every way of splitting `stream` gives the same outcome as one read, and
    /// returns that outcome.
    pub(crate) fn split_everywhere(
        wire: Wire,
        stream: &str,
    ) -> Result<(String, StreamEnd), StreamError> {
        let bytes = stream.as_bytes();
        let whole = run(wire, &[bytes]);
        for i in 0..=bytes.len() {
            let (a, b) = bytes.split_at(i);
            assert_eq!(run(wire, &[a, b]), whole, "split at byte {i}");
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(run(wire, &singles), whole, "byte by byte");
        let threes: Vec<&[u8]> = bytes.chunks(3).collect();
        assert_eq!(run(wire, &threes), whole, "three bytes at a time");
        whole
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(parts: &[&[u8]]) -> Vec<String> {
        let mut l = Lines::default();
        let mut out = Vec::new();
        for p in parts {
            out.extend(l.push(p).unwrap());
        }
        out.extend(l.finish());
        out
    }

    #[test]
    fn lines_split_on_every_line_ending_even_across_reads() {
        assert_eq!(lines(&[b"a\r\nb\rc\nd"]), ["a", "b", "c", "d"]);
        assert_eq!(
            lines(&[b"a\r", b"\nb"]),
            ["a", "b"],
            "CRLF split across reads"
        );
        assert_eq!(lines(&[b"a\r", b"\r\nb"]), ["a", "", "b"]);
        let e_acute = "é".as_bytes();
        assert_eq!(
            lines(&[b"caf", &e_acute[..1], &e_acute[1..], b"\n"]),
            ["café"]
        );
    }

    #[test]
    fn an_endless_line_is_refused() {
        let mut l = Lines::default();
        let big = vec![b'x'; MAX_LINE + 1];
        assert_eq!(
            l.push(&big),
            Err(StreamError::LineTooLong { limit: MAX_LINE })
        );
    }

    fn think(parts: &[&str]) -> (String, bool) {
        let mut f = ThinkFilter::default();
        let mut out = String::new();
        let mut hidden = false;
        for p in parts {
            let (v, h) = f.push(p);
            out.push_str(&v);
            hidden |= h;
        }
        out.push_str(&f.finish());
        (out, hidden)
    }

    #[test]
    fn think_blocks_are_removed_wherever_the_tags_split() {
        let full =
            "<think>\nthe user wants Kafka\n</think>\n\nUse Kafka <b>with</b> 12 partitions.";
        let expected = "Use Kafka <b>with</b> 12 partitions.";
        assert_eq!(think(&[full]), (expected.to_string(), true));
        let chars: Vec<String> = full.chars().map(String::from).collect();
        let parts: Vec<&str> = chars.iter().map(String::as_str).collect();
        assert_eq!(think(&parts), (expected.to_string(), true), "char by char");
        for i in 0..full.len() {
            if full.is_char_boundary(i) {
                let (a, b) = full.split_at(i);
                assert_eq!(think(&[a, b]).0, expected, "split at {i}");
            }
        }
    }

    #[test]
    fn text_without_think_passes_through_including_a_lone_angle_bracket() {
        assert_eq!(
            think(&["a < b", " and <thin", "g>"]),
            ("a < b and <thing>".into(), false)
        );
        assert_eq!(think(&["ends with <"]), ("ends with <".into(), false));
        assert_eq!(think(&["<think>only reasoning"]), (String::new(), true));
    }
}
