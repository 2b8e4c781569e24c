//! The provider-neutral request, reply and usage types.

use std::fmt;
use std::ops::{Add, AddAssign};

use serde::{Deserialize, Serialize};

/// Who said a turn. The system prompt is a separate field of [`ChatRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

impl Role {
    /// The name every supported wire format uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One turn of the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// What to ask the model, independent of the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The system prompt; left out of the request when empty.
    pub system: String,
    pub messages: Vec<Message>,
    pub temperature: f32,
    /// The most tokens the reply may use (Anthropic requires it; the others honour it).
    pub max_tokens: u32,
    /// Ask for a single JSON object as the reply (for the second opinion).
    pub json: bool,
    /// The most the whole reply may take, from sending to its end (the second opinion's
    /// `llm_timeout`); `None` for a conversational reply, which is bounded by the idle timeout
    /// and the minimum rate instead.
    pub budget: Option<std::time::Duration>,
}

impl ChatRequest {
    /// A request with the given system prompt, no turns, temperature 0.7, 512 tokens, text.
    pub fn new(system: impl Into<String>) -> Self {
        Self {
            system: system.into(),
            messages: Vec::new(),
            temperature: 0.7,
            max_tokens: 512,
            json: false,
            budget: None,
        }
    }

    /// Appends a user turn.
    pub fn user(mut self, content: impl Into<String>) -> Self {
        self.messages.push(Message::user(content));
        self
    }

    /// Appends an assistant turn.
    pub fn assistant(mut self, content: impl Into<String>) -> Self {
        self.messages.push(Message::assistant(content));
        self
    }

    /// Characters in everything the model reads, for estimating prompt tokens.
    pub(crate) fn prompt_chars(&self) -> usize {
        self.system.chars().count()
            + self
                .messages
                .iter()
                .map(|m| m.content.chars().count())
                .sum::<usize>()
    }
}

/// Tokens one completion (or, summed, one session) used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    /// True when at least one number was estimated (about four characters per token) because
    /// the provider did not report it.
    pub counted: bool,
}

impl Usage {
    pub fn total(&self) -> u32 {
        self.prompt_tokens.saturating_add(self.completion_tokens)
    }

    /// The usual rough estimate: a token is about four characters of English.
    pub fn estimate_tokens(chars: usize) -> u32 {
        u32::try_from(chars.div_ceil(4)).unwrap_or(u32::MAX)
    }

    /// The provider's numbers where it gave them, estimates where it did not.
    pub(crate) fn resolve(
        req: &ChatRequest,
        text: &str,
        prompt: Option<u32>,
        completion: Option<u32>,
    ) -> Self {
        Self {
            prompt_tokens: prompt.unwrap_or_else(|| Self::estimate_tokens(req.prompt_chars())),
            completion_tokens: completion
                .unwrap_or_else(|| Self::estimate_tokens(text.chars().count())),
            counted: prompt.is_none() || completion.is_none(),
        }
    }
}

impl Add for Usage {
    type Output = Usage;

    fn add(self, rhs: Usage) -> Usage {
        Usage {
            prompt_tokens: self.prompt_tokens.saturating_add(rhs.prompt_tokens),
            completion_tokens: self.completion_tokens.saturating_add(rhs.completion_tokens),
            counted: self.counted || rhs.counted,
        }
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, rhs: Usage) {
        *self = *self + rhs;
    }
}

/// A finished reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The visible reply, with any `<think>…</think>` reasoning removed.
    pub text: String,
    pub usage: Usage,
    /// `openai`, `anthropic`, `ollama`, `openai-compatible` or `fake`.
    pub provider: String,
    pub model: String,
    /// From the call to the first visible text, retries included.
    pub first_token_ms: u64,
    /// From the call to the end of the stream, retries included.
    pub total_ms: u64,
    /// The provider stopped the reply at the token limit (`max_tokens`): its last sentence is
    /// probably unfinished.
    pub truncated: bool,
}

/// A request ready to send, built without any I/O so tests can assert on it exactly.
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    /// Always a POST.
    pub url: String,
    /// Header names in lowercase.
    pub headers: Vec<(String, String)>,
    pub body: serde_json::Value,
}

impl HttpRequest {
    /// The `authorization: Bearer KEY` header, when there is a key (OpenAI-style servers and an
    /// Ollama behind an authenticating proxy).
    pub fn bearer(key: Option<&crate::Secret>) -> Vec<(String, String)> {
        key.map(|k| {
            (
                "authorization".to_string(),
                format!("Bearer {}", k.expose()),
            )
        })
        .into_iter()
        .collect()
    }

    /// A JSON POST that expects `accept` back, with the provider's extra headers (auth, version).
    pub fn json_post(
        url: String,
        accept: &str,
        extra: Vec<(String, String)>,
        body: serde_json::Value,
    ) -> Self {
        let mut headers = vec![
            ("content-type".to_string(), "application/json".to_string()),
            ("accept".to_string(), accept.to_string()),
        ];
        headers.extend(extra);
        HttpRequest { url, headers, body }
    }

    /// The value of a header, by lowercase name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Headers that carry a key; their values never appear in `Debug` or logs.
    pub fn is_secret_header(name: &str) -> bool {
        name.eq_ignore_ascii_case("authorization") || name.eq_ignore_ascii_case("x-api-key")
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let v = if Self::is_secret_header(n) {
                    "***"
                } else {
                    v.as_str()
                };
                (n.as_str(), v)
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

/// A temperature as JSON without f32 noise (`0.7`, not `0.699999988079071`).
pub(crate) fn temperature_json(t: f32) -> serde_json::Value {
    let clean: f64 = t.to_string().parse().unwrap_or(f64::from(t));
    serde_json::Number::from_f64(clean)
        .map(serde_json::Value::Number)
        .unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_uses_provider_numbers_and_estimates_the_rest() {
        let req = ChatRequest::new("abcd").user("efgh");
        let both = Usage::resolve(&req, "12345", Some(10), Some(3));
        assert_eq!(
            both,
            Usage {
                prompt_tokens: 10,
                completion_tokens: 3,
                counted: false
            }
        );
        let none = Usage::resolve(&req, "12345", None, None);
        assert_eq!(
            none,
            Usage {
                prompt_tokens: 2,
                completion_tokens: 2,
                counted: true
            }
        );
        let mut session = both;
        session += none;
        assert_eq!(session.total(), 17);
        assert!(
            session.counted,
            "a session with one estimate is an estimate"
        );
    }

    #[test]
    fn estimate_counts_characters_not_bytes() {
        assert_eq!(Usage::estimate_tokens("héllo wörld".chars().count()), 3);
        assert_eq!(Usage::estimate_tokens(0), 0);
    }

    #[test]
    fn debug_hides_key_headers() {
        let req = HttpRequest {
            url: "http://x".into(),
            headers: vec![
                ("authorization".into(), "Bearer sk-secret".into()),
                ("x-api-key".into(), "sk-ant-secret".into()),
                ("content-type".into(), "application/json".into()),
            ],
            body: serde_json::json!({}),
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains("application/json"));
    }

    #[test]
    fn temperature_is_written_as_typed() {
        assert_eq!(temperature_json(0.7).to_string(), "0.7");
        assert_eq!(temperature_json(0.0).to_string(), "0.0");
        assert_eq!(temperature_json(1.25).to_string(), "1.25");
    }
}
