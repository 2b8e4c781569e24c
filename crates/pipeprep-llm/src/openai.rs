//! OpenAI chat completions (`POST {base}/chat/completions`, SSE), which is also what Ollama's
//! `/v1`, vLLM, llama.cpp server and LM Studio speak. Parsed leniently from `serde_json::Value`
//! because "compatible" servers differ in the details: reasoning fields, `"usage": null` on every
//! chunk, usage in the finish chunk or in a chunk of its own, or no usage at all.

use serde_json::{Value, json};

use crate::error::StreamError;
use crate::secret::Secret;
use crate::spec::{LlmSpec, Provider};
use crate::stream::{Sink, StreamParser, Wire, as_u32, error_message, parse_json};
use crate::types::{ChatRequest, HttpRequest, temperature_json};

/// The streaming request for `req`. The `Authorization` header is sent only with a key, so local
/// servers get none.
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
        "temperature": temperature_json(req.temperature),
        "stream": true,
        "stream_options": {"include_usage": true},
    });
    // api.openai.com rejects `max_tokens` for its reasoning models; compatible servers mostly
    // know only `max_tokens`.
    let max_field = if spec.provider == Provider::OpenAi {
        "max_completion_tokens"
    } else {
        "max_tokens"
    };
    body[max_field] = json!(req.max_tokens);
    if req.json {
        body["response_format"] = json!({"type": "json_object"});
    }
    HttpRequest::json_post(
        format!("{}/chat/completions", spec.base_url),
        "text/event-stream",
        HttpRequest::bearer(key),
        body,
    )
}

/// A parser for this wire format.
pub fn parser() -> StreamParser {
    StreamParser::new(Wire::OpenAi)
}

/// One SSE event's data.
pub(crate) fn on_event(data: &str, sink: &mut Sink) -> Result<(), StreamError> {
    let data = data.trim();
    if data == "[DONE]" {
        sink.done = true;
        return Ok(());
    }
    let v = parse_json(Wire::OpenAi, data)?;
    // vLLM, LiteLLM and others report failures mid-stream as a chunk with an `error` object.
    if let Some(err) = v.get("error").filter(|e| !e.is_null()) {
        return Err(StreamError::Provider {
            message: error_message(err),
        });
    }
    if v.pointer("/choices/0/finish_reason")
        .and_then(Value::as_str)
        == Some("length")
    {
        sink.truncated = true;
    }
    if let Some(delta) = v.pointer("/choices/0/delta") {
        let reasoning = ["reasoning_content", "reasoning"].iter().any(|k| {
            delta
                .get(*k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        });
        if reasoning {
            sink.reasoning();
        }
        if let Some(text) = delta.get("content").and_then(Value::as_str) {
            sink.text(text);
        }
    }
    if let Some(usage) = v.get("usage").filter(|u| u.is_object()) {
        if let Some(n) = as_u32(usage.get("prompt_tokens")) {
            sink.prompt_tokens = Some(n);
        }
        if let Some(n) = as_u32(usage.get("completion_tokens")) {
            sink.completion_tokens = Some(n);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::StreamEnd;
    use crate::stream::testing::split_everywhere;

    const STREAM: &str = include_str!("../tests/fixtures/openai_stream.sse");
    const REASONING: &str = include_str!("../tests/fixtures/openai_reasoning.sse");
    const THINK: &str = include_str!("../tests/fixtures/openai_think.sse");

    fn spec(s: &str) -> LlmSpec {
        LlmSpec::parse_with_env(s, |_| None).unwrap()
    }

    fn request() -> ChatRequest {
        ChatRequest {
            system: "You are a data-pipeline interviewer.".into(),
            messages: vec![
                crate::Message::user("I'd use Kafka."),
                crate::Message::assistant("Why Kafka?"),
                crate::Message::user("Replay."),
            ],
            temperature: 0.3,
            max_tokens: 200,
            json: false,
            budget: None,
        }
    }

    #[test]
    fn builds_the_openai_request() {
        let key = Secret::new("sk-test");
        let r = build(&spec("openai:gpt-4o-mini"), Some(&key), &request());
        assert_eq!(r.url, "https://api.openai.com/v1/chat/completions");
        assert_eq!(
            r.headers,
            [
                ("content-type".to_string(), "application/json".to_string()),
                ("accept".to_string(), "text/event-stream".to_string()),
                ("authorization".to_string(), "Bearer sk-test".to_string()),
            ]
        );
        assert_eq!(
            r.body,
            json!({
                "model": "gpt-4o-mini",
                "messages": [
                    {"role": "system", "content": "You are a data-pipeline interviewer."},
                    {"role": "user", "content": "I'd use Kafka."},
                    {"role": "assistant", "content": "Why Kafka?"},
                    {"role": "user", "content": "Replay."},
                ],
                "temperature": 0.3,
                "max_completion_tokens": 200,
                "stream": true,
                "stream_options": {"include_usage": true},
            })
        );
    }

    #[test]
    fn compatible_servers_get_no_auth_without_a_key_and_max_tokens() {
        let mut req = request();
        req.system.clear();
        req.json = true;
        let r = build(
            &spec("openai-compatible:qwen3@http://127.0.0.1:8080/v1"),
            None,
            &req,
        );
        assert_eq!(r.url, "http://127.0.0.1:8080/v1/chat/completions");
        assert_eq!(r.header("authorization"), None);
        assert_eq!(r.body["max_tokens"], json!(200));
        assert_eq!(r.body.get("max_completion_tokens"), None);
        assert_eq!(r.body["response_format"], json!({"type": "json_object"}));
        assert_eq!(
            r.body["messages"][0]["role"], "user",
            "empty system prompt left out"
        );
    }

    #[test]
    fn parses_a_recorded_stream_split_anywhere() {
        let (text, end) = split_everywhere(Wire::OpenAi, STREAM).unwrap();
        assert_eq!(
            text,
            "Start with the producers — how many events per second at peak?"
        );
        assert_eq!(
            end,
            StreamEnd {
                prompt_tokens: Some(42),
                completion_tokens: Some(13),
                truncated: false
            }
        );
    }

    #[test]
    fn reasoning_fields_are_not_text_and_missing_usage_is_none() {
        let (text, end) = split_everywhere(Wire::OpenAi, REASONING).unwrap();
        assert_eq!(text, "What happens when a producer retries?");
        assert_eq!(end, StreamEnd::default());
        let mut p = parser();
        let first_reasoning = REASONING.find("reasoning_content").unwrap();
        let line_end = REASONING[first_reasoning..].find("\n\n").unwrap() + first_reasoning + 2;
        let events = p.feed(&REASONING.as_bytes()[..line_end]).unwrap();
        assert_eq!(events, [crate::stream::StreamEvent::Reasoning]);
    }

    #[test]
    fn inline_think_is_stripped_and_usage_read_from_the_finish_chunk() {
        let (text, end) = split_everywhere(Wire::OpenAi, THINK).unwrap();
        assert_eq!(text, "Why Flink over Spark Structured Streaming?");
        assert_eq!(
            end,
            StreamEnd {
                prompt_tokens: Some(118),
                completion_tokens: Some(31),
                truncated: false
            }
        );
    }

    #[test]
    fn a_stream_without_done_is_cut() {
        let cut = &STREAM[..STREAM.find("data: [DONE]").unwrap()];
        let err = split_everywhere(Wire::OpenAi, cut).unwrap_err();
        assert!(
            matches!(
                err,
                StreamError::Cut {
                    marker: "[DONE]",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn garbage_json_is_an_error_not_a_panic() {
        let bad = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: {\"choices\":[{\"delta\n\n";
        let err = split_everywhere(Wire::OpenAi, bad).unwrap_err();
        assert!(matches!(err, StreamError::InvalidJson { .. }), "{err:?}");
        assert!(
            err.to_string().contains("OpenAI-compatible server"),
            "{err}"
        );
    }

    #[test]
    fn an_error_chunk_is_reported() {
        let s = "data: {\"error\":{\"object\":\"error\",\"message\":\"CUDA out of memory\",\"type\":\"InternalServerError\",\"code\":500}}\n\n";
        let err = split_everywhere(Wire::OpenAi, s).unwrap_err();
        assert_eq!(
            err,
            StreamError::Provider {
                message: "CUDA out of memory".into()
            }
        );
    }

    #[test]
    fn comments_and_data_without_space_are_understood() {
        let s = ": keep-alive\n\ndata:{\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\r\n\r\ndata:[DONE]";
        let (text, _) = split_everywhere(Wire::OpenAi, s).unwrap();
        assert_eq!(text, "ok");
    }
}
