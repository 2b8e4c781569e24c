//! Anthropic Messages (`POST {base}/messages`, SSE with named events).

use serde_json::{Value, json};

use crate::error::StreamError;
use crate::secret::Secret;
use crate::spec::LlmSpec;
use crate::stream::{Sink, StreamParser, Wire, as_u32, error_message, parse_json};
use crate::types::{ChatRequest, HttpRequest, temperature_json};

/// The API version this module speaks.
pub const API_VERSION: &str = "2023-06-01";

/// Anthropic has no JSON mode; this is appended to the system prompt instead.
const JSON_INSTRUCTION: &str = "Reply with one JSON object and nothing else.";

/// The streaming request for `req`: system prompt at the top level, `max_tokens` always set,
/// temperature clamped to Anthropic's 0–1.
pub fn build(spec: &LlmSpec, key: Option<&Secret>, req: &ChatRequest) -> HttpRequest {
    let messages: Vec<Value> = req
        .messages
        .iter()
        .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
        .collect();
    let mut body = json!({
        "model": spec.model,
        "max_tokens": req.max_tokens,
        "messages": messages,
        "temperature": temperature_json(req.temperature.clamp(0.0, 1.0)),
        "stream": true,
    });
    let system = match (req.system.is_empty(), req.json) {
        (true, false) => None,
        (true, true) => Some(JSON_INSTRUCTION.to_string()),
        (false, false) => Some(req.system.clone()),
        (false, true) => Some(format!("{}\n\n{JSON_INSTRUCTION}", req.system)),
    };
    if let Some(system) = system {
        body["system"] = json!(system);
    }
    let mut extra = vec![("anthropic-version".to_string(), API_VERSION.to_string())];
    if let Some(key) = key {
        extra.push(("x-api-key".to_string(), key.expose().to_string()));
    }
    HttpRequest::json_post(
        format!("{}/messages", spec.base_url),
        "text/event-stream",
        extra,
        body,
    )
}

/// A parser for this wire format.
pub fn parser() -> StreamParser {
    StreamParser::new(Wire::Anthropic)
}

/// One SSE event. The `type` inside the data is authoritative; the `event:` line is a fallback.
pub(crate) fn on_event(name: &str, data: &str, sink: &mut Sink) -> Result<(), StreamError> {
    let v = parse_json(Wire::Anthropic, data)?;
    let kind = v.get("type").and_then(Value::as_str).unwrap_or(name);
    match kind {
        "message_start" => {
            if let Some(usage) = v.pointer("/message/usage") {
                read_usage(usage, sink);
            }
        }
        "content_block_start" => {
            let block = v.get("content_block");
            match block.and_then(|b| b.get("type")).and_then(Value::as_str) {
                Some("thinking" | "redacted_thinking") => sink.reasoning(),
                Some("text") => {
                    if let Some(t) = block.and_then(|b| b.get("text")).and_then(Value::as_str) {
                        sink.text(t);
                    }
                }
                _ => {}
            }
        }
        "content_block_delta" => {
            let delta = v.get("delta");
            match delta.and_then(|d| d.get("type")).and_then(Value::as_str) {
                Some("text_delta") => {
                    if let Some(t) = delta.and_then(|d| d.get("text")).and_then(Value::as_str) {
                        sink.text(t);
                    }
                }
                Some("thinking_delta" | "signature_delta") => sink.reasoning(),
                _ => {} // tool input and anything newer: not ours
            }
        }
        "message_delta" => {
            if v.pointer("/delta/stop_reason").and_then(Value::as_str) == Some("max_tokens") {
                sink.truncated = true;
            }
            if let Some(usage) = v.get("usage") {
                read_usage(usage, sink);
            }
        }
        "message_stop" => sink.done = true,
        "error" => {
            return Err(StreamError::Provider {
                message: v
                    .get("error")
                    .map(error_message)
                    .unwrap_or_else(|| "unknown error".into()),
            });
        }
        _ => {} // ping, content_block_stop, and events added later
    }
    Ok(())
}

/// Input tokens include the cached ones, which are reported separately; output tokens in
/// `message_delta` are cumulative, so the last one wins.
fn read_usage(usage: &Value, sink: &mut Sink) {
    if let Some(input) = as_u32(usage.get("input_tokens")) {
        let cached = ["cache_creation_input_tokens", "cache_read_input_tokens"]
            .iter()
            .filter_map(|k| as_u32(usage.get(*k)))
            .fold(0u32, u32::saturating_add);
        sink.prompt_tokens = Some(input.saturating_add(cached));
    }
    if let Some(output) = as_u32(usage.get("output_tokens")) {
        sink.completion_tokens = Some(output);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::StreamEnd;
    use crate::stream::testing::split_everywhere;

    const STREAM: &str = include_str!("../tests/fixtures/anthropic_stream.sse");

    fn spec() -> LlmSpec {
        LlmSpec::parse_with_env("anthropic:claude-sonnet-4-5", |_| None).unwrap()
    }

    #[test]
    fn builds_the_messages_request() {
        let req = ChatRequest::new("You interview data engineers.")
            .user("Kafka, 12 partitions.")
            .assistant("Why 12?")
            .user("Peak 60K/s.");
        let r = build(&spec(), Some(&Secret::new("sk-ant-test")), &req);
        assert_eq!(r.url, "https://api.anthropic.com/v1/messages");
        assert_eq!(r.header("x-api-key"), Some("sk-ant-test"));
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(r.header("authorization"), None);
        assert_eq!(
            r.body,
            json!({
                "model": "claude-sonnet-4-5",
                "max_tokens": 512,
                "system": "You interview data engineers.",
                "messages": [
                    {"role": "user", "content": "Kafka, 12 partitions."},
                    {"role": "assistant", "content": "Why 12?"},
                    {"role": "user", "content": "Peak 60K/s."},
                ],
                "temperature": 0.7,
                "stream": true,
            })
        );
    }

    #[test]
    fn json_mode_goes_into_the_system_prompt_and_temperature_is_clamped() {
        let mut req = ChatRequest::new("").user("grade this");
        req.json = true;
        req.temperature = 1.6;
        let r = build(&spec(), None, &req);
        assert_eq!(r.body["system"], JSON_INSTRUCTION);
        assert_eq!(r.body["temperature"], json!(1.0));
        assert_eq!(r.header("x-api-key"), None);
    }

    #[test]
    fn parses_a_recorded_stream_split_anywhere() {
        let (text, end) = split_everywhere(Wire::Anthropic, STREAM).unwrap();
        assert_eq!(
            text,
            "Good — you sized Kafka at 12 partitions. What drives that number?"
        );
        assert_eq!(
            end,
            StreamEnd {
                prompt_tokens: Some(472),
                completion_tokens: Some(19),
                truncated: false
            }
        );
    }

    #[test]
    fn thinking_is_reasoning_not_text() {
        let s = concat!(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":10,\"cache_read_input_tokens\":5,\"output_tokens\":1}}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"They skipped dedup.\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQB\"}}\n\n",
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\"How do you dedup?\"}}\n\n",
            "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":40}}\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        );
        let (text, end) = split_everywhere(Wire::Anthropic, s).unwrap();
        assert_eq!(text, "How do you dedup?");
        assert_eq!(
            end,
            StreamEnd {
                prompt_tokens: Some(15),
                completion_tokens: Some(40),
                truncated: false
            }
        );
    }

    #[test]
    fn a_stream_without_message_stop_is_cut() {
        let cut = &STREAM[..STREAM.find("event: message_delta").unwrap()];
        let err = split_everywhere(Wire::Anthropic, cut).unwrap_err();
        assert!(
            matches!(
                err,
                StreamError::Cut {
                    marker: "message_stop",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn an_error_event_is_reported() {
        let s = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        assert_eq!(
            split_everywhere(Wire::Anthropic, s).unwrap_err(),
            StreamError::Provider {
                message: "Overloaded".into()
            }
        );
    }

    #[test]
    fn garbage_json_is_an_error() {
        let s = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_del\n\n";
        let err = split_everywhere(Wire::Anthropic, s).unwrap_err();
        assert!(
            matches!(
                err,
                StreamError::InvalidJson {
                    wire: "Anthropic",
                    ..
                }
            ),
            "{err:?}"
        );
    }
}
