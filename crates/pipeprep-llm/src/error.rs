//! What can go wrong talking to a model, worded for the person at the keyboard.
//!
//! No message ever holds a key: keys live only in request headers, and every text that comes
//! back from a server is scrubbed of the key before it is kept (see `backend::scrub`).

/// A reply stream that could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    #[error("the reply stream was cut before its end marker `{marker}` ({reason}) — try again")]
    Cut {
        marker: &'static str,
        reason: String,
    },
    #[error(
        "the server sent invalid JSON in the reply stream ({error}: `{snippet}`) — check that the URL points at a {wire} server"
    )]
    InvalidJson {
        wire: &'static str,
        snippet: String,
        error: String,
    },
    #[error("the model stopped with an error mid-reply: {message} — try again")]
    Provider { message: String },
    #[error(
        "the server sent a line longer than {limit} bytes — check that the URL points at an LLM server"
    )]
    LineTooLong { limit: usize },
}

/// Everything a completion can fail with. Messages are lowercase and say what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    #[error("no API key for {provider} — set {var} or put the key in the config file")]
    MissingKey {
        provider: &'static str,
        var: &'static str,
    },
    #[error("the API key was rejected — check {hint}")]
    Auth { hint: &'static str },
    #[error("{provider} has no model `{model}` ({message}) — {hint}")]
    UnknownModel {
        provider: &'static str,
        model: String,
        message: String,
        /// What to do: check the name, or pull the model.
        hint: String,
    },
    #[error("nothing answers at {url} (HTTP 404) — check the base URL")]
    NotFound { url: String },
    #[error("cannot connect to {url} ({reason}) after {attempts} tries — is the server running?")]
    Connect {
        url: String,
        reason: String,
        attempts: u32,
    },
    #[error(
        "connecting to {url} timed out after {after_ms} ms ({attempts} tries) — check the host and your network"
    )]
    ConnectTimeout {
        url: String,
        after_ms: u64,
        attempts: u32,
    },
    #[error(
        "no reply within {after_ms} ms — the model may still be loading, reading a long prompt or be overloaded; try again, or allow it longer with `llm_first_token_timeout = SECONDS` in the config file"
    )]
    FirstTokenTimeout { after_ms: u64 },
    #[error("the reply did not finish within its budget of {after_ms} ms")]
    RequestTimeout { after_ms: u64 },
    #[error(
        "the model went silent for {after_ms} ms in the middle of a reply — try again, or allow longer pauses with `llm_idle_timeout = SECONDS` in the config file"
    )]
    IdleTimeout { after_ms: u64 },
    #[error(
        "the model produced only {tokens} tokens in {window_s} s (at least {min_tokens} are needed to hold a conversation) — use a smaller model or a faster machine, or lower `llm_min_tokens` in the config file (0 waits for any pace)"
    )]
    TooSlow {
        tokens: u32,
        window_s: u64,
        min_tokens: u32,
    },
    #[error(
        "{provider} is rate limiting us (HTTP 429, {attempts} tries) — wait a minute and try again"
    )]
    RateLimited {
        provider: &'static str,
        retry_after_s: Option<u64>,
        attempts: u32,
    },
    #[error(
        "{provider} failed with HTTP {status} after {attempts} tries ({message}) — try again later"
    )]
    Server {
        provider: &'static str,
        status: u16,
        message: String,
        attempts: u32,
    },
    #[error(
        "{provider} refused the request with HTTP {status} ({message}) — check the model name and settings"
    )]
    Rejected {
        provider: &'static str,
        status: u16,
        message: String,
    },
    #[error("unexpected reply from {url}: {detail} — check that the URL points at a {wire} server")]
    InvalidResponse {
        url: String,
        wire: &'static str,
        detail: String,
    },
    #[error(transparent)]
    Stream(#[from] StreamError),
    #[error("`{model}` answered with no text — try again or pick another model")]
    EmptyReply { model: String },
    #[error("the request could not be sent ({message})")]
    Http { message: String },
    #[error("the scripted fake backend has no reply left — add one to the test script")]
    ScriptExhausted,
}

impl LlmError {
    /// True for failures worth trying again later (rate limits, server trouble, the network),
    /// false for those the user must fix first (key, model name, URL).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            LlmError::Connect { .. }
                | LlmError::ConnectTimeout { .. }
                | LlmError::FirstTokenTimeout { .. }
                | LlmError::RequestTimeout { .. }
                | LlmError::IdleTimeout { .. }
                | LlmError::TooSlow { .. }
                | LlmError::RateLimited { .. }
                | LlmError::Server { .. }
                | LlmError::Stream(_)
                | LlmError::EmptyReply { .. }
        )
    }
}
