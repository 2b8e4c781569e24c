//! The bad-day suite every provider must pass, written once and instantiated per provider by
//! `bad_day_suite!` with that provider's recorded stream and error bodies.

use std::time::{Duration, Instant};

use pipeprep_llm::{
    Backend, BackendOptions, ChatRequest, Completion, LlmError, LlmSpec, Secret, StreamError,
};

use crate::server::{Blackhole, MockServer, Reply, refused_addr};

/// What differs between providers.
pub struct Flavor {
    /// The `--llm` value, without a URL.
    pub spec: &'static str,
    /// Appended to the server's root to form the base URL (`/v1` or nothing).
    pub base_path: &'static str,
    /// The path the request must go to.
    pub endpoint: &'static str,
    pub key: Option<&'static str>,
    /// Where the key must show up: header name and expected value.
    pub auth: Option<(&'static str, &'static str)>,
    pub stream: &'static str,
    pub text: &'static str,
    pub usage: (u32, u32),
    pub reply: fn(&str) -> Reply,
    /// A stream whose second record is not JSON.
    pub garbage: &'static str,
    pub error_401: &'static str,
    pub error_404_model: &'static str,
    pub error_429: &'static str,
    pub error_500: &'static str,
    pub stream_content_type: &'static str,
}

/// Small timeouts and backoffs so the whole suite runs in seconds.
pub fn fast() -> BackendOptions {
    BackendOptions {
        connect_timeout: Duration::from_millis(300),
        first_token_timeout: Duration::from_millis(400),
        idle_timeout: Duration::from_secs(3),
        min_tokens: 0,
        rate_window: Duration::from_secs(10),
        max_attempts: 3,
        backoff_base: Duration::from_millis(10),
        max_retry_after: Duration::from_secs(2),
    }
}

pub fn request() -> ChatRequest {
    ChatRequest::new("You interview data engineers. Ask one question at a time.")
        .user("I'd put Kafka in front and land Parquet in S3.")
}

pub fn backend_at(f: &Flavor, base: &str, options: BackendOptions) -> Backend {
    let spec = LlmSpec::parse_with_env(f.spec, |_| None)
        .unwrap()
        .with_base_url(base)
        .unwrap();
    Backend::new(spec, f.key.map(Secret::new), options).unwrap()
}

pub fn backend(f: &Flavor, server: &MockServer, options: BackendOptions) -> Backend {
    backend_at(f, &server.url(f.base_path), options)
}

/// Runs one completion, returning it and every delta the caller saw.
pub async fn run(backend: &Backend) -> (Result<Completion, LlmError>, Vec<String>) {
    let mut deltas = Vec::new();
    let result = backend
        .complete(&request(), &mut |d: &str| deltas.push(d.to_string()))
        .await;
    (result, deltas)
}

pub async fn streams_a_completion(f: &Flavor) {
    let server = MockServer::start(vec![(f.reply)(f.stream)]).await;
    let b = backend(f, &server, fast());
    let (result, deltas) = run(&b).await;
    let c = result.unwrap();
    assert_eq!(c.text, f.text);
    assert!(deltas.len() > 3, "text arrives in pieces: {deltas:?}");
    assert_eq!(deltas.concat(), f.text);
    assert_eq!(
        (
            c.usage.prompt_tokens,
            c.usage.completion_tokens,
            c.usage.counted
        ),
        (f.usage.0, f.usage.1, false),
        "usage comes from the provider"
    );
    let spec = LlmSpec::parse_with_env(f.spec, |_| None).unwrap();
    assert_eq!(c.provider, spec.provider.name());
    assert_eq!(c.model, spec.model);
    assert!(c.first_token_ms <= c.total_ms);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, f.endpoint);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let body = r.json();
    assert_eq!(body["model"], spec.model.as_str());
    assert_eq!(body["stream"], true);
    let sent = serde_json::to_string(&body).unwrap();
    assert!(sent.contains("land Parquet in S3"), "{sent}");
    match f.auth {
        Some((name, value)) => assert_eq!(r.header(name), Some(value)),
        None => {
            assert_eq!(r.header("authorization"), None);
            assert_eq!(r.header("x-api-key"), None);
        }
    }
}

pub async fn honours_retry_after(f: &Flavor) {
    let server = MockServer::start(vec![
        Reply::json(429, f.error_429).header("retry-after", "1"),
        (f.reply)(f.stream),
    ])
    .await;
    let b = backend(f, &server, fast());
    let started = Instant::now();
    let (result, _) = run(&b).await;
    assert_eq!(result.unwrap().text, f.text);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let waited = reqs[1].at - reqs[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "waited only {waited:?}"
    );
    assert!(started.elapsed() < Duration::from_millis(2500));
}

pub async fn caps_a_long_retry_after(f: &Flavor) {
    let server = MockServer::start(vec![
        Reply::json(429, f.error_429).header("retry-after", "30"),
        (f.reply)(f.stream),
    ])
    .await;
    let options = BackendOptions {
        max_retry_after: Duration::from_millis(50),
        ..fast()
    };
    let b = backend(f, &server, options);
    let started = Instant::now();
    let (result, _) = run(&b).await;
    assert_eq!(result.unwrap().text, f.text);
    assert_eq!(server.requests().len(), 2);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the cap was ignored"
    );
}

pub async fn rate_limited_every_time(f: &Flavor) {
    let server = MockServer::start(vec![
        Reply::json(429, f.error_429),
        Reply::json(429, f.error_429),
        Reply::json(429, f.error_429),
    ])
    .await;
    let (result, _) = run(&backend(f, &server, fast())).await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, LlmError::RateLimited { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("wait a minute"), "{err}");
    assert_eq!(server.requests().len(), 3);
}

pub async fn recovers_from_two_server_errors(f: &Flavor) {
    let server = MockServer::start(vec![
        Reply::json(500, f.error_500),
        Reply::json(503, f.error_500),
        (f.reply)(f.stream),
    ])
    .await;
    let (result, deltas) = run(&backend(f, &server, fast())).await;
    assert_eq!(result.unwrap().text, f.text);
    assert_eq!(deltas.concat(), f.text, "no text shown twice");
    assert_eq!(server.requests().len(), 3);
}

pub async fn gives_up_after_three_server_errors(f: &Flavor) {
    let server = MockServer::start(vec![
        Reply::json(500, f.error_500),
        Reply::json(500, f.error_500),
        Reply::json(500, f.error_500),
        (f.reply)(f.stream),
    ])
    .await;
    let started = Instant::now();
    let (result, _) = run(&backend(f, &server, fast())).await;
    let err = result.unwrap_err();
    match &err {
        LlmError::Server {
            status, attempts, ..
        } => assert_eq!((*status, *attempts), (500, 3)),
        other => panic!("expected a server error, got {other:?}"),
    }
    assert!(err.to_string().contains("try again later"), "{err}");
    assert_eq!(server.requests().len(), 3, "exactly three tries");
    // Backoff 10 ms then 20 ms: it waited, but not for long.
    assert!(started.elapsed() >= Duration::from_millis(30));
}

pub async fn stream_cut_midway(f: &Flavor) {
    let server = MockServer::start(vec![(f.reply)(f.stream).cut_halfway()]).await;
    let (result, deltas) = run(&backend(f, &server, fast())).await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, LlmError::Stream(StreamError::Cut { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("cut"), "{err}");
    assert!(!deltas.is_empty(), "the first half was shown as it came");
    assert!(f.text.starts_with(&deltas.concat()));
    assert_eq!(server.requests().len(), 1, "no retry once text was shown");
}

pub async fn stream_cut_without_framing(f: &Flavor) {
    let server = MockServer::start(vec![(f.reply)(f.stream).cut_halfway_unframed()]).await;
    let (result, _) = run(&backend(f, &server, fast())).await;
    let err = result.unwrap_err();
    assert!(
        matches!(&err, LlmError::Stream(StreamError::Cut { reason, .. }) if reason.contains("closed")),
        "{err:?}"
    );
}

pub async fn garbage_json(f: &Flavor) {
    let server = MockServer::start(vec![(f.reply)(f.garbage)]).await;
    let (result, _) = run(&backend(f, &server, fast())).await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, LlmError::Stream(StreamError::InvalidJson { .. })),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 1);
}

pub async fn wrong_key(f: &Flavor) {
    let server = MockServer::start(vec![Reply::json(401, f.error_401)]).await;
    let (result, _) = run(&backend(f, &server, fast())).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::Auth { .. }), "{err:?}");
    let shown = err.to_string();
    assert!(
        shown.starts_with("the API key was rejected — check "),
        "{shown}"
    );
    if let Some(key) = f.key {
        assert!(!shown.contains(key));
        assert!(!format!("{err:?}").contains(key));
    }
    assert_eq!(server.requests().len(), 1, "a wrong key is not retried");
}

pub async fn unknown_model(f: &Flavor) {
    let server = MockServer::start(vec![Reply::json(404, f.error_404_model)]).await;
    let (result, _) = run(&backend(f, &server, fast())).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::UnknownModel { .. }), "{err:?}");
    let model = LlmSpec::parse_with_env(f.spec, |_| None).unwrap().model;
    assert!(
        err.to_string().contains(&format!("no model `{model}`")),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
}

pub async fn connection_refused(f: &Flavor) {
    let addr = refused_addr().await;
    let b = backend_at(f, &format!("http://{addr}{}", f.base_path), fast());
    let started = Instant::now();
    let (result, _) = run(&b).await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, LlmError::Connect { attempts: 3, .. }),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("cannot connect to http://{addr}")),
        "{shown}"
    );
    assert!(shown.contains("is the server running?"), "{shown}");
    assert!(started.elapsed() < Duration::from_secs(1));
}

pub async fn connect_timeout(f: &Flavor) {
    let Some(hole) = Blackhole::new().await else {
        // Linux drops SYNs to a full accept queue; other kernels may refuse or accept instead.
        if cfg!(target_os = "linux") {
            panic!("could not make a listener that leaves connections hanging");
        }
        eprintln!("skipped: this kernel does not leave connections hanging");
        return;
    };
    let options = BackendOptions {
        connect_timeout: Duration::from_millis(150),
        ..fast()
    };
    let b = backend_at(f, &format!("http://{}{}", hole.addr, f.base_path), options);
    let started = Instant::now();
    let (result, _) = run(&b).await;
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            LlmError::ConnectTimeout {
                after_ms: 150,
                attempts: 3,
                ..
            }
        ),
        "{err:?}"
    );
    let elapsed = started.elapsed();
    // Three tries of 150 ms plus 10 + 20 ms of backoff.
    assert!(elapsed >= Duration::from_millis(450), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2500), "{elapsed:?}");
}

pub async fn first_token_timeout(f: &Flavor) {
    let server = MockServer::start(vec![Reply::stall(f.stream_content_type)]).await;
    let started = Instant::now();
    let (result, _) = run(&backend(f, &server, fast())).await;
    let err = result.unwrap_err();
    assert_eq!(err, LlmError::FirstTokenTimeout { after_ms: 400 });
    assert!(
        err.to_string()
            .contains("`llm_first_token_timeout = SECONDS`"),
        "{err}"
    );
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1500), "{elapsed:?}");
    assert_eq!(server.requests().len(), 1);
}

/// One `#[tokio::test]` per bad day, calling the shared function with this module's `flavor()`.
macro_rules! bad_day_suite {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                crate::suite::$name(&flavor()).await;
            }
        )*
    };
}
pub(crate) use bad_day_suite;

/// Instantiates the whole suite.
macro_rules! all_bad_days {
    () => {
        crate::suite::bad_day_suite!(
            streams_a_completion,
            honours_retry_after,
            caps_a_long_retry_after,
            rate_limited_every_time,
            recovers_from_two_server_errors,
            gives_up_after_three_server_errors,
            stream_cut_midway,
            stream_cut_without_framing,
            garbage_json,
            wrong_key,
            unknown_model,
            connection_refused,
            connect_timeout,
            first_token_timeout,
        );
    };
}
pub(crate) use all_bad_days;
