//! Sending a request and living through bad days: timeouts, rate limits, server errors,
//! streams cut in the middle, rejected keys and unknown models.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue, RETRY_AFTER};
use tokio::time::{Instant, timeout_at};

use crate::error::{LlmError, StreamError};
use crate::secret::Secret;
use crate::spec::{LlmSpec, Provider};
use crate::stream::{StreamEvent, StreamParser, Wire};
use crate::types::{ChatRequest, Completion, HttpRequest, Message, Usage};
use crate::{anthropic, ollama, openai};

/// The most of an error body kept for the message.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// A boxed, sendable future, so [`ChatBackend`] works as `dyn ChatBackend`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Anything that can answer a [`ChatRequest`]: a real [`Backend`] or the scripted
/// [`FakeBackend`](crate::FakeBackend). Text is passed to `on_delta` as it arrives.
pub trait ChatBackend: Send + Sync {
    /// `provider:model`, for status lines and the scorecard's "voiced by".
    fn label(&self) -> String;

    fn complete<'a>(
        &'a self,
        req: &'a ChatRequest,
        on_delta: &'a mut (dyn FnMut(&str) + Send),
    ) -> BoxFuture<'a, Result<Completion, LlmError>>;
}

/// Timeouts and retry policy. The defaults suit a person waiting at a prompt; tests shrink them.
///
/// A conversational reply has no whole-request limit: a long answer that keeps coming is fine,
/// a silent or dripping one is not. Once the first token has arrived, the reply fails when the
/// stream goes quiet for `idle_timeout`, or when it brings fewer than `min_tokens` tokens in any
/// `rate_window` (a model that slow stalls every turn for a minute). A request may carry its own
/// whole budget ([`ChatRequest::budget`]), as the second opinion does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendOptions {
    /// TCP and TLS connection set-up.
    pub connect_timeout: Duration,
    /// From sending the request to the first sign of the model working (text or reasoning).
    pub first_token_timeout: Duration,
    /// The longest silence between two pieces of a reply that has started.
    pub idle_timeout: Duration,
    /// The fewest tokens (text or reasoning, about four characters each, at least one per
    /// piece) the model must produce in every `rate_window` after the first; 0 turns it off.
    pub min_tokens: u32,
    pub rate_window: Duration,
    /// Attempts in all, counting the first, for 429, 5xx and connection failures.
    pub max_attempts: u32,
    /// The first backoff; it doubles after each failed attempt.
    pub backoff_base: Duration,
    /// The longest a `Retry-After` is honoured; longer requests wait this long.
    pub max_retry_after: Duration,
}

impl Default for BackendOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            first_token_timeout: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(15),
            min_tokens: Self::MIN_TOKENS,
            rate_window: Self::RATE_WINDOW,
            max_attempts: 3,
            backoff_base: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl BackendOptions {
    /// How long a model on this machine may take to start answering: on a CPU, reading a
    /// prompt of a thousand tokens or loading the model into memory can take tens of seconds.
    pub const LOCAL_FIRST_TOKEN_TIMEOUT: Duration = Duration::from_secs(60);
    /// The slowest pace worth waiting for: 10 tokens in 10 s (about 40 characters, half a
    /// sentence) — below it a four-sentence message takes over a minute.
    pub const MIN_TOKENS: u32 = 10;
    pub const RATE_WINDOW: Duration = Duration::from_secs(10);

    /// The defaults, with a longer first-token wait for a server on a loopback address.
    pub fn for_spec(spec: &LlmSpec) -> Self {
        let mut o = Self::default();
        if spec.is_loopback() {
            o.first_token_timeout = Self::LOCAL_FIRST_TOKEN_TIMEOUT;
        }
        o
    }
}

/// How fast a started reply is coming: the idle timeout and the minimum rate.
struct Pace {
    idle: Duration,
    min_tokens: u32,
    window: Duration,
    /// When the last piece arrived; `None` before the first.
    last: Option<Instant>,
    /// The current rate window: when it started and the tokens counted in it.
    window_start: Option<Instant>,
    in_window: u32,
}

impl Pace {
    fn new(o: &BackendOptions) -> Self {
        Self {
            idle: o.idle_timeout,
            min_tokens: o.min_tokens,
            window: o.rate_window,
            last: None,
            window_start: None,
            in_window: 0,
        }
    }

    /// Counts a piece of the reply (text or reasoning).
    fn tokens(&mut self, n: u32) {
        let now = Instant::now();
        self.last = Some(now);
        match self.window_start {
            // The first piece starts the first window; it does not count in it.
            None => self.window_start = Some(now),
            Some(_) => self.in_window = self.in_window.saturating_add(n),
        }
    }

    /// When the next piece must have arrived, once the reply has started.
    fn deadline(&self) -> Option<Instant> {
        let last = self.last?;
        let idle = last + self.idle;
        Some(match (self.min_tokens, self.window_start) {
            (0, _) | (_, None) => idle,
            (_, Some(w)) => idle.min(w + self.window),
        })
    }

    /// After a piece or at a deadline: a finished window must have held enough tokens.
    fn check(&mut self, now: Instant) -> Option<LlmError> {
        let start = self.window_start?;
        if self.min_tokens == 0 || now < start + self.window {
            return None;
        }
        if self.in_window < self.min_tokens {
            return Some(LlmError::TooSlow {
                tokens: self.in_window,
                window_s: self.window.as_secs(),
                min_tokens: self.min_tokens,
            });
        }
        self.window_start = Some(now);
        self.in_window = 0;
        None
    }

    /// Why a started reply timed out: too slow, or silent too long. `None` before it started.
    fn failure(&mut self, now: Instant) -> Option<LlmError> {
        self.last?;
        Some(self.check(now).unwrap_or(LlmError::IdleTimeout {
            after_ms: millis(self.idle),
        }))
    }
}

/// What `pipeprep llm check` prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    pub reachable: bool,
    pub provider: String,
    pub model: String,
    /// The whole round trip of one tiny completion.
    pub latency_ms: u64,
}

/// A configured model behind one of the three wire formats.
#[derive(Debug)]
pub struct Backend {
    spec: LlmSpec,
    key: Option<Secret>,
    options: BackendOptions,
    client: reqwest::Client,
}

/// How one attempt failed.
enum Failure {
    /// Worth another attempt, after `wait` if the server named one.
    Retry {
        error: LlmError,
        wait: Option<Duration>,
    },
    Fatal(LlmError),
}

impl From<LlmError> for Failure {
    fn from(e: LlmError) -> Self {
        Failure::Fatal(e)
    }
}

impl Backend {
    /// A backend for `spec`. Hosted providers (openai, anthropic) need a key; local ones don't.
    pub fn new(
        spec: LlmSpec,
        key: Option<Secret>,
        options: BackendOptions,
    ) -> Result<Self, LlmError> {
        if key.is_none() && spec.provider.needs_key() {
            return Err(LlmError::MissingKey {
                provider: spec.provider.name(),
                var: spec.provider.key_hint(),
            });
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("pipeprep/", env!("CARGO_PKG_VERSION")));
        // HTTP(S)_PROXY is for the internet; a proxy in front of a local model only breaks it.
        if spec.is_loopback() {
            builder = builder.no_proxy();
        }
        let client = builder.build().map_err(|e| LlmError::Http {
            message: root_cause(&e),
        })?;
        Ok(Self {
            spec,
            key,
            options,
            client,
        })
    }

    pub fn spec(&self) -> &LlmSpec {
        &self.spec
    }

    pub fn options(&self) -> &BackendOptions {
        &self.options
    }

    /// The exact request [`complete`](Self::complete) would send.
    pub fn build_request(&self, req: &ChatRequest) -> HttpRequest {
        let key = self.key.as_ref();
        match self.spec.provider {
            Provider::OpenAi | Provider::OpenAiCompatible => openai::build(&self.spec, key, req),
            Provider::Anthropic => anthropic::build(&self.spec, key, req),
            Provider::Ollama => ollama::build(&self.spec, key, req),
        }
    }

    /// Asks the model, passing visible text to `on_delta` as it streams in.
    ///
    /// Retries 429 (honouring `Retry-After` up to a cap), 5xx and connection failures up to
    /// `max_attempts` in all, with exponential backoff — but only before any text has reached
    /// `on_delta`, so a reply is never shown twice. A rejected key, an unknown model or a cut
    /// stream is returned at once.
    pub async fn complete(
        &self,
        req: &ChatRequest,
        on_delta: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Completion, LlmError> {
        self.run(req, on_delta, false).await
    }

    /// One tiny completion, to tell the user whether the configuration works.
    pub async fn check(&self) -> Result<CheckReport, LlmError> {
        let started = Instant::now();
        let req = ChatRequest {
            system: "You are a health check. Reply with the single word: ok".into(),
            messages: vec![Message::user("ping")],
            temperature: 0.0,
            max_tokens: 16,
            json: false,
            budget: None,
        };
        // A reasoning model may spend all 16 tokens thinking; it still answered.
        self.run(&req, &mut |_| {}, true).await?;
        Ok(CheckReport {
            reachable: true,
            provider: self.spec.provider.name().to_string(),
            model: self.spec.model.clone(),
            latency_ms: millis(started.elapsed()),
        })
    }

    async fn run(
        &self,
        req: &ChatRequest,
        on_delta: &mut (dyn FnMut(&str) + Send),
        allow_empty: bool,
    ) -> Result<Completion, LlmError> {
        let started = Instant::now();
        let http = self.build_request(req);
        let mut attempt = 1;
        loop {
            match self.attempt(&http, req, on_delta, started, attempt).await {
                Ok(c) if c.text.is_empty() && !allow_empty => {
                    return Err(LlmError::EmptyReply {
                        model: self.spec.model.clone(),
                    });
                }
                Ok(c) => return Ok(c),
                Err(Failure::Fatal(e)) => return Err(e),
                Err(Failure::Retry { error, wait }) => {
                    if attempt >= self.options.max_attempts.max(1) {
                        return Err(error);
                    }
                    let backoff = self
                        .options
                        .backoff_base
                        .saturating_mul(2u32.saturating_pow(attempt - 1));
                    tokio::time::sleep(wait.unwrap_or(backoff)).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt(
        &self,
        http: &HttpRequest,
        req: &ChatRequest,
        on_delta: &mut (dyn FnMut(&str) + Send),
        started: Instant,
        attempt: u32,
    ) -> Result<Completion, Failure> {
        let sent = Instant::now();
        let first_deadline = sent + self.options.first_token_timeout;
        // A request's own budget counts from the call, retries included.
        let budget_deadline = req.budget.map(|b| started + b);
        let capped = |d: Instant| budget_deadline.map_or(d, |b| d.min(b));
        let waiting_deadline = capped(first_deadline);
        let over_budget = |now: Instant| budget_deadline.is_some_and(|b| now >= b);
        let budget_error = || LlmError::RequestTimeout {
            after_ms: req.budget.map_or(0, millis),
        };

        let mut response = match timeout_at(waiting_deadline, self.send(http)?).await {
            Err(_) if over_budget(Instant::now()) => return Err(budget_error().into()),
            Err(_) => return Err(self.first_token_timeout().into()),
            Ok(Err(e)) => return Err(self.send_failure(&e, attempt)),
            Ok(Ok(r)) => r,
        };

        let status = response.status().as_u16();
        if !response.status().is_success() {
            let retry_after = retry_after(response.headers());
            let body = read_body(&mut response, waiting_deadline).await;
            return Err(self.status_failure(status, retry_after, &body, &http.url, attempt));
        }
        let wire = Wire::of(self.spec.provider);
        if wire != Wire::Ollama && is_json(response.headers()) {
            let body = read_body(&mut response, waiting_deadline).await;
            return Err(LlmError::InvalidResponse {
                url: http.url.clone(),
                wire: wire.describe(),
                detail: format!(
                    "a JSON body instead of an event stream ({})",
                    self.scrub(body_message(&body))
                ),
            }
            .into());
        }

        let mut parser = StreamParser::new(wire);
        let mut text = String::new();
        let mut first_token: Option<Instant> = None;
        let mut pace = Pace::new(&self.options);
        let mut handle = |events: Vec<StreamEvent>, pace: &mut Pace| {
            for event in events {
                match event {
                    StreamEvent::Text(t) => {
                        first_token.get_or_insert_with(Instant::now);
                        pace.tokens(Usage::estimate_tokens(t.chars().count()).max(1));
                        text.push_str(&t);
                        on_delta(&t);
                    }
                    StreamEvent::Reasoning => pace.tokens(1),
                }
            }
        };
        loop {
            let deadline = capped(pace.deadline().unwrap_or(waiting_deadline));
            let chunk = match timeout_at(deadline, response.chunk()).await {
                Err(_) => {
                    let now = Instant::now();
                    if over_budget(now) {
                        return Err(budget_error().into());
                    }
                    return Err(pace
                        .failure(now)
                        .unwrap_or_else(|| self.first_token_timeout())
                        .into());
                }
                Ok(Err(e)) => {
                    return Err(LlmError::Stream(StreamError::Cut {
                        marker: wire.end_marker(),
                        reason: root_cause(&e),
                    })
                    .into());
                }
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => chunk,
            };
            let events = parser.feed(&chunk).map_err(|e| self.stream_failure(e))?;
            handle(events, &mut pace);
            if let Some(e) = pace.check(Instant::now()) {
                return Err(e.into());
            }
            if parser.is_done() {
                break;
            }
        }
        let (events, end) = parser.finish().map_err(|e| self.stream_failure(e))?;
        let truncated = end.truncated;
        handle(events, &mut pace);

        let now = Instant::now();
        Ok(Completion {
            usage: Usage::resolve(req, &text, end.prompt_tokens, end.completion_tokens),
            text,
            provider: self.spec.provider.name().to_string(),
            model: self.spec.model.clone(),
            first_token_ms: millis(first_token.unwrap_or(now) - started),
            total_ms: millis(now - started),
            truncated,
        })
    }

    fn first_token_timeout(&self) -> LlmError {
        LlmError::FirstTokenTimeout {
            after_ms: millis(self.options.first_token_timeout),
        }
    }

    fn send(
        &self,
        http: &HttpRequest,
    ) -> Result<impl Future<Output = reqwest::Result<reqwest::Response>>, Failure> {
        let body = serde_json::to_vec(&http.body).map_err(|e| LlmError::Http {
            message: e.to_string(),
        })?;
        let mut builder = self.client.post(&http.url).body(body);
        for (name, value) in &http.headers {
            let secret = HttpRequest::is_secret_header(name);
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| LlmError::Http {
                message: e.to_string(),
            })?;
            let mut value = HeaderValue::from_str(value).map_err(|_| {
                if secret {
                    LlmError::Http {
                        message: "the API key holds characters a header cannot carry — copy it again without spaces or line breaks".into(),
                    }
                } else {
                    LlmError::Http {
                        message: format!("header `{name}` holds characters a header cannot carry"),
                    }
                }
            })?;
            value.set_sensitive(secret);
            builder = builder.header(name, value);
        }
        Ok(builder.send())
    }

    fn send_failure(&self, e: &reqwest::Error, attempt: u32) -> Failure {
        let url = self.spec.base_url.clone();
        if e.is_connect() && e.is_timeout() {
            Failure::Retry {
                error: LlmError::ConnectTimeout {
                    url,
                    after_ms: millis(self.options.connect_timeout),
                    attempts: attempt,
                },
                wait: None,
            }
        } else if e.is_connect() {
            Failure::Retry {
                error: LlmError::Connect {
                    url,
                    reason: root_cause(e),
                    attempts: attempt,
                },
                wait: None,
            }
        } else {
            Failure::Fatal(LlmError::Http {
                message: root_cause(e),
            })
        }
    }

    fn status_failure(
        &self,
        status: u16,
        retry_after: Option<Duration>,
        body: &str,
        url: &str,
        attempt: u32,
    ) -> Failure {
        let provider = self.spec.provider.name();
        let message = self.scrub(body_message(body));
        let lower = body.to_lowercase();
        let about_model = lower.contains("model");
        let model_missing = about_model
            && [
                "not found",
                "not_found",
                "does not exist",
                "unknown model",
                "no such model",
            ]
            .iter()
            .any(|p| lower.contains(p));
        let unknown_model = || LlmError::UnknownModel {
            provider,
            model: self.spec.model.clone(),
            message: message.clone(),
            hint: match self.spec.provider {
                Provider::Ollama => format!("run `ollama pull {}` first", self.spec.model),
                _ => "check the model name".into(),
            },
        };
        match status {
            401 | 403 => Failure::Fatal(LlmError::Auth {
                hint: self.spec.provider.key_hint(),
            }),
            404 if about_model => Failure::Fatal(unknown_model()),
            404 => Failure::Fatal(LlmError::NotFound { url: url.into() }),
            400 | 422 if model_missing => Failure::Fatal(unknown_model()),
            429 => Failure::Retry {
                error: LlmError::RateLimited {
                    provider,
                    retry_after_s: retry_after.map(|d| d.as_secs()),
                    attempts: attempt,
                },
                wait: retry_after.map(|d| d.min(self.options.max_retry_after)),
            },
            408 | 500..=599 => Failure::Retry {
                error: LlmError::Server {
                    provider,
                    status,
                    message,
                    attempts: attempt,
                },
                wait: None,
            },
            _ => Failure::Fatal(LlmError::Rejected {
                provider,
                status,
                message,
            }),
        }
    }

    fn stream_failure(&self, e: StreamError) -> Failure {
        let e = match e {
            StreamError::Provider { message } => StreamError::Provider {
                message: self.scrub(message),
            },
            StreamError::InvalidJson {
                wire,
                snippet,
                error,
            } => StreamError::InvalidJson {
                wire,
                snippet: self.scrub(snippet),
                error,
            },
            other => other,
        };
        Failure::Fatal(LlmError::Stream(e))
    }

    /// Servers sometimes echo the key in an error ("Incorrect API key provided: sk-…").
    fn scrub(&self, text: String) -> String {
        match &self.key {
            Some(key) if !key.expose().is_empty() => text.replace(key.expose(), "***"),
            _ => text,
        }
    }
}

impl ChatBackend for Backend {
    fn label(&self) -> String {
        format!("{}:{}", self.spec.provider, self.spec.model)
    }

    fn complete<'a>(
        &'a self,
        req: &'a ChatRequest,
        on_delta: &'a mut (dyn FnMut(&str) + Send),
    ) -> BoxFuture<'a, Result<Completion, LlmError>> {
        Box::pin(Backend::complete(self, req, on_delta))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `Retry-After` in seconds (fractions allowed). The HTTP-date form is rare from APIs and is
/// treated as absent, which falls back to backoff.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let secs: f64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

fn is_json(headers: &reqwest::header::HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"))
}

/// The start of an error body; whatever arrives before the deadline, the size limit or an error.
async fn read_body(response: &mut reqwest::Response, deadline: Instant) -> String {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_LIMIT {
        match timeout_at(deadline, response.chunk()).await {
            Ok(Ok(Some(chunk))) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

/// The message inside a provider's error body (`error.message`, `error`, `message`), else the
/// body's start.
fn body_message(body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            let candidates = [
                v.pointer("/error/message"),
                v.get("error"),
                v.get("message"),
            ];
            candidates
                .into_iter()
                .flatten()
                .find_map(|c| c.as_str().map(str::to_string))
        });
    let text = from_json.unwrap_or_else(|| body.trim().to_string());
    let text = if text.is_empty() {
        "empty body".to_string()
    } else {
        text
    };
    text.chars().take(300).collect()
}

/// The innermost cause, which is the readable one ("Connection refused (os error 111)").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_of_every_provider_give_their_message() {
        assert_eq!(
            body_message(
                r#"{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}"#
            ),
            "Incorrect API key provided."
        );
        assert_eq!(
            body_message(
                r#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-9"}}"#
            ),
            "model: claude-9"
        );
        assert_eq!(
            body_message(r#"{"error":"model \"llama9\" not found, try pulling it first"}"#),
            "model \"llama9\" not found, try pulling it first"
        );
        assert_eq!(body_message("404 page not found\n"), "404 page not found");
        assert_eq!(body_message(""), "empty body");
    }

    #[test]
    fn a_missing_key_for_a_hosted_provider_is_caught_before_any_request() {
        let spec = LlmSpec::parse_with_env("anthropic:claude", |_| None).unwrap();
        let err = Backend::new(spec, None, BackendOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no API key for anthropic — set ANTHROPIC_API_KEY or put the key in the config file"
        );
    }

    #[test]
    fn a_local_model_gets_longer_to_start_answering_than_a_hosted_one() {
        let local = LlmSpec::parse_with_env("ollama:llama3.2", |_| None).unwrap();
        let hosted = LlmSpec::parse_with_env("openai:gpt-4o-mini", |_| None).unwrap();
        assert_eq!(
            BackendOptions::for_spec(&local).first_token_timeout,
            Duration::from_secs(60)
        );
        assert_eq!(BackendOptions::for_spec(&hosted), BackendOptions::default());
        assert_eq!(
            BackendOptions::default().first_token_timeout,
            Duration::from_secs(20)
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let spec = LlmSpec::parse_with_env("openai:gpt-4o-mini", |_| None).unwrap();
        let backend = Backend::new(
            spec,
            Some(Secret::new("sk-very-secret")),
            BackendOptions::default(),
        )
        .unwrap();
        let shown = format!("{backend:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        let req = backend.build_request(&ChatRequest::new("s").user("u"));
        assert!(!format!("{req:?}").contains("sk-very-secret"));
    }

    #[test]
    fn scrub_removes_an_echoed_key() {
        let spec = LlmSpec::parse_with_env("openai:m", |_| None).unwrap();
        let backend =
            Backend::new(spec, Some(Secret::new("sk-abc")), BackendOptions::default()).unwrap();
        assert_eq!(
            backend.scrub("Incorrect API key provided: sk-abc.".into()),
            "Incorrect API key provided: ***."
        );
    }
}
