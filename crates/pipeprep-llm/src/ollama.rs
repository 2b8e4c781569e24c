//! Ollama's native chat (`POST {base}/api/chat`, one JSON object per line). Kept beside the
//! OpenAI-compatible route because it reports token counts without `stream_options` and
//! accepts `options` such as `num_predict` that `/v1` ignores on older servers.

use serde_json::{Value, json};

use crate::error::StreamError;
use crate::secret::Secret;
use crate::spec::LlmSpec;
use crate::stream::{Sink, StreamParser, Wire, as_u32, error_message, parse_json};
use crate::types::{ChatRequest, HttpRequest, temperature_json};

/// The streaming request for `req`. Ollama needs no key; one from the config file (for an
/// Ollama behind an authenticating proxy) is sent as a bearer token.
pub fn build(spec: &LlmSpec, key: Option<&Secret>, req: &ChatRequest) -> HttpRequest {
    let mut messages = Vec::with_capacity(req.messages.len() + 1);
    if !req.system.is_empty() {
        messages.push(json!({"role": "system", "content": req.system}));
    }
    messages.extend(
        req.messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.content})),
    );
    let mut body = json!({
        "model": spec.model,
        "messages": messages,
        "stream": true,
        "options": {
            "temperature": temperature_json(req.temperature),
            "num_predict": req.max_tokens,
        },
    });
    if req.json {
        body["format"] = json!("json");
    }
    HttpRequest::json_post(
        format!("{}/api/chat", spec.base_url),
        "application/x-ndjson",
        HttpRequest::bearer(key),
        body,
    )
}

/// A parser for this wire format.
pub fn parser() -> StreamParser {
    StreamParser::new(Wire::Ollama)
}

/// One line of the reply.
pub(crate) fn on_line(line: &str, sink: &mut Sink) -> Result<(), StreamError> {
    let v = parse_json(Wire::Ollama, line.trim())?;
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(StreamError::Provider {
            message: error_message(err),
        });
    }
    if let Some(message) = v.get("message") {
        if message
            .get("thinking")
            .and_then(Value::as_str)
            .is_some_and(|t| !t.is_empty())
        {
            sink.reasoning();
        }
        if let Some(text) = message.get("content").and_then(Value::as_str) {
            sink.text(text);
        }
    }
    if v.get("done").and_then(Value::as_bool) == Some(true) {
        sink.truncated = v.get("done_reason").and_then(Value::as_str) == Some("length");
        sink.prompt_tokens = as_u32(v.get("prompt_eval_count"));
        sink.completion_tokens = as_u32(v.get("eval_count"));
        sink.done = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::StreamEnd;
    use crate::stream::testing::split_everywhere;

    const STREAM: &str = include_str!("../tests/fixtures/ollama_stream.ndjson");

    #[test]
    fn builds_the_chat_request() {
        let spec = LlmSpec::parse_with_env("ollama:llama3.2", |_| None).unwrap();
        let mut req = ChatRequest::new("Be brief.").user("Why Parquet?");
        req.json = true;
        req.temperature = 0.2;
        req.max_tokens = 64;
        let r = build(&spec, None, &req);
        assert_eq!(r.url, "http://127.0.0.1:11434/api/chat");
        assert_eq!(r.header("authorization"), None);
        assert_eq!(
            r.body,
            json!({
                "model": "llama3.2",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Why Parquet?"},
                ],
                "stream": true,
                "options": {"temperature": 0.2, "num_predict": 64},
                "format": "json",
            })
        );
    }

    #[test]
    fn parses_a_recorded_stream_split_anywhere() {
        let (text, end) = split_everywhere(Wire::Ollama, STREAM).unwrap();
        assert_eq!(text, "How would you replay a day of events?");
        assert_eq!(
            end,
            StreamEnd {
                prompt_tokens: Some(26),
                completion_tokens: Some(17),
                truncated: false
            }
        );
    }

    #[test]
    fn a_last_line_without_newline_still_counts() {
        let trimmed = STREAM.trim_end();
        let (text, _) = split_everywhere(Wire::Ollama, trimmed).unwrap();
        assert_eq!(text, "How would you replay a day of events?");
    }

    #[test]
    fn a_stream_without_done_is_cut() {
        let cut = &STREAM[..STREAM.rfind("{\"model\"").unwrap()];
        let err = split_everywhere(Wire::Ollama, cut).unwrap_err();
        assert!(
            matches!(
                err,
                StreamError::Cut {
                    marker: "done: true",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn thinking_and_inline_think_are_hidden() {
        let s = concat!(
            "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"Hmm.\"},\"done\":false}\n",
            "{\"message\":{\"role\":\"assistant\",\"content\":\"<think>x</think>Fine.\"},\"done\":false}\n",
            "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n",
        );
        let (text, end) = split_everywhere(Wire::Ollama, s).unwrap();
        assert_eq!(text, "Fine.");
        assert_eq!(end, StreamEnd::default(), "no counts reported");
    }

    #[test]
    fn an_error_line_and_garbage_are_errors() {
        let e = "{\"error\":\"model requires more system memory (5.6 GiB) than is available (2.1 GiB)\"}\n";
        let err = split_everywhere(Wire::Ollama, e).unwrap_err();
        assert!(matches!(err, StreamError::Provider { .. }), "{err:?}");
        let g = "{\"message\":{\"content\":\"Hi\"},\"done\":false}\nnot json at all\n";
        let err = split_everywhere(Wire::Ollama, g).unwrap_err();
        assert!(
            matches!(err, StreamError::InvalidJson { wire: "Ollama", .. }),
            "{err:?}"
        );
    }
}
