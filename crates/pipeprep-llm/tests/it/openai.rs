use std::time::Duration;

use pipeprep_llm::{
    Backend, BackendOptions, ChatBackend, ChatRequest, LlmError, LlmSpec, Secret, StreamError,
};
use serde_json::json;

use crate::server::{MockServer, Reply};
use crate::suite::{Flavor, all_bad_days, fast, request, run};

const KEY: &str = "sk-test-0123456789";

fn flavor() -> Flavor {
    Flavor {
        spec: "openai:gpt-4o-mini",
        base_path: "/v1",
        endpoint: "/v1/chat/completions",
        key: Some(KEY),
        auth: Some(("authorization", "Bearer sk-test-0123456789")),
        stream: include_str!("../fixtures/openai_stream.sse"),
        text: "Start with the producers — how many events per second at peak?",
        usage: (42, 13),
        reply: Reply::sse,
        garbage: concat!(
            "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Start\"},\"finish_reason\":null}]}\n\n",
            "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\n\n",
            "data: [DONE]\n\n",
        ),
        error_401: r#"{"error":{"message":"Incorrect API key provided: sk-test-***6789. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}"#,
        error_404_model: r#"{"error":{"message":"The model `gpt-4o-mini` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#,
        error_429: r#"{"error":{"message":"Rate limit reached for gpt-4o-mini in organization org-abc on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
        error_500: r#"{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}"#,
        stream_content_type: "text/event-stream",
    }
}

all_bad_days!();

fn compatible(server: &MockServer, key: Option<&str>, options: BackendOptions) -> Backend {
    let spec: LlmSpec = LlmSpec::parse_with_env(
        &format!("openai-compatible:qwen3-8b@{}", server.url("/v1")),
        |_| None,
    )
    .unwrap();
    Backend::new(spec, key.map(Secret::new), options).unwrap()
}

#[tokio::test]
async fn compatible_server_without_key_gets_no_auth_and_think_is_stripped() {
    let server = MockServer::start(vec![Reply::sse(include_str!(
        "../fixtures/openai_think.sse"
    ))])
    .await;
    let (result, deltas) = run(&compatible(&server, None, fast())).await;
    let c = result.unwrap();
    assert_eq!(c.text, "Why Flink over Spark Structured Streaming?");
    assert!(deltas.iter().all(|d| !d.contains("think")), "{deltas:?}");
    assert_eq!(
        (c.usage.prompt_tokens, c.usage.completion_tokens),
        (118, 31)
    );
    assert_eq!(c.provider, "openai-compatible");
    let r = &server.requests()[0];
    assert_eq!(r.header("authorization"), None);
    let body = r.json();
    assert_eq!(body["max_tokens"], 512);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
}

#[tokio::test]
async fn compatible_server_with_a_configured_key_gets_it() {
    let server = MockServer::start(vec![Reply::sse(include_str!(
        "../fixtures/openai_think.sse"
    ))])
    .await;
    let (result, _) = run(&compatible(&server, Some("local-key"), fast())).await;
    result.unwrap();
    assert_eq!(
        server.requests()[0].header("authorization"),
        Some("Bearer local-key")
    );
}

#[tokio::test]
async fn reasoning_deltas_are_hidden_and_missing_usage_is_counted() {
    let server = MockServer::start(vec![Reply::sse(include_str!(
        "../fixtures/openai_reasoning.sse"
    ))])
    .await;
    let (result, deltas) = run(&compatible(&server, None, fast())).await;
    let c = result.unwrap();
    assert_eq!(c.text, "What happens when a producer retries?");
    assert_eq!(deltas.concat(), c.text);
    assert!(c.usage.counted, "no usage block, so it was estimated");
    assert_eq!(
        c.usage.completion_tokens, 10,
        "37 characters / 4, rounded up"
    );
    assert!(c.usage.prompt_tokens > 0);
}

#[tokio::test]
async fn a_reply_with_no_text_is_an_error() {
    let server = MockServer::start(vec![Reply::sse(
        "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hmm\"}}]}\n\ndata: [DONE]\n\n",
    )])
    .await;
    let (result, _) = run(&compatible(&server, None, fast())).await;
    assert_eq!(
        result.unwrap_err(),
        LlmError::EmptyReply {
            model: "qwen3-8b".into()
        }
    );
}

#[tokio::test]
async fn slow_reasoning_is_not_a_first_token_timeout() {
    // Reasoning arrives at once, visible text only after the first-token timeout has passed.
    let mut reply = Reply::sse(concat!(
        "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"thinking\"}}]}\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"Done.\"}}]}\n\n",
        "data: [DONE]\n\n",
    ));
    if let crate::server::Body::Chunked { gap, .. } = &mut reply.body {
        *gap = Duration::from_millis(300);
    }
    let server = MockServer::start(vec![reply]).await;
    let options = BackendOptions {
        first_token_timeout: Duration::from_millis(200),
        ..fast()
    };
    let (result, _) = run(&compatible(&server, None, options)).await;
    let c = result.unwrap();
    assert_eq!(c.text, "Done.");
    assert!(c.first_token_ms >= 250, "{}", c.first_token_ms);
}

fn paced(gap_ms: u64, pieces: &[&str]) -> Reply {
    let mut stream = String::new();
    for p in pieces {
        stream.push_str(&format!(
            "data: {{\"choices\":[{{\"delta\":{{\"content\":\"{p}\"}}}}]}}\n\n"
        ));
    }
    stream.push_str("data: [DONE]\n\n");
    let mut reply = Reply::sse(&stream);
    if let crate::server::Body::Chunked { gap, .. } = &mut reply.body {
        *gap = Duration::from_millis(gap_ms);
    }
    reply
}

#[tokio::test]
async fn a_long_reply_that_keeps_coming_has_no_whole_request_limit() {
    // Eight pieces 100 ms apart: longer than the idle timeout in all, never silent that long.
    let server = MockServer::start(vec![paced(
        100,
        &["a ", "b ", "c ", "d ", "e ", "f ", "g ", "h."],
    )])
    .await;
    let options = BackendOptions {
        idle_timeout: Duration::from_millis(300),
        ..fast()
    };
    let (result, _) = run(&compatible(&server, None, options)).await;
    assert_eq!(result.unwrap().text, "a b c d e f g h.");
}

#[tokio::test]
async fn a_reply_that_goes_silent_fails_on_the_idle_timeout() {
    let server = MockServer::start(vec![paced(500, &["Slow", " reply"])]).await;
    let options = BackendOptions {
        idle_timeout: Duration::from_millis(200),
        ..fast()
    };
    let (result, deltas) = run(&compatible(&server, None, options)).await;
    assert_eq!(result.unwrap_err(), LlmError::IdleTimeout { after_ms: 200 });
    assert_eq!(deltas.concat(), "Slow", "what came in time was shown");
}

#[tokio::test]
async fn a_reply_dripping_below_the_minimum_rate_is_abandoned() {
    // One token every 150 ms never trips the idle timeout, but brings only a few tokens per
    // 600 ms window where 10 are needed.
    let pieces = ["a"; 20];
    let server = MockServer::start(vec![paced(150, &pieces)]).await;
    let options = BackendOptions {
        idle_timeout: Duration::from_secs(2),
        min_tokens: 10,
        rate_window: Duration::from_millis(600),
        ..fast()
    };
    let started = std::time::Instant::now();
    let (result, _) = run(&compatible(&server, None, options)).await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, LlmError::TooSlow { tokens, min_tokens: 10, .. } if tokens < 10),
        "{err:?}"
    );
    assert!(err.to_string().contains("tokens in"), "{err}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "abandoned early"
    );
}

#[tokio::test]
async fn a_request_budget_bounds_the_whole_reply() {
    let server = MockServer::start(vec![paced(400, &["Slow", " reply", " indeed"])]).await;
    let mut req = request();
    req.budget = Some(Duration::from_millis(600));
    let b = compatible(&server, None, fast());
    let mut deltas = Vec::new();
    let result = b
        .complete(&req, &mut |d: &str| deltas.push(d.to_string()))
        .await;
    assert_eq!(
        result.unwrap_err(),
        LlmError::RequestTimeout { after_ms: 600 }
    );
    assert!(!deltas.is_empty());
}

#[tokio::test]
async fn a_reply_stopped_at_the_token_limit_says_so() {
    let server = MockServer::start(vec![Reply::sse(concat!(
        "data: {\"choices\":[{\"delta\":{\"content\":\"Tell me about the\"},\"finish_reason\":null}]}\n\n",
        "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\n",
        "data: [DONE]\n\n",
    ))])
    .await;
    let (result, _) = run(&compatible(&server, None, fast())).await;
    assert!(result.unwrap().truncated);
    let server = MockServer::start(vec![Reply::sse(concat!(
        "data: {\"choices\":[{\"delta\":{\"content\":\"Done.\"},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    ))])
    .await;
    let (result, _) = run(&compatible(&server, None, fast())).await;
    assert!(!result.unwrap().truncated);
}

#[tokio::test]
async fn an_error_chunk_mid_stream_is_reported() {
    let server = MockServer::start(vec![Reply::sse(concat!(
        "data: {\"choices\":[{\"delta\":{\"content\":\"Partial\"}}]}\n\n",
        "data: {\"error\":{\"object\":\"error\",\"message\":\"CUDA out of memory\",\"type\":\"InternalServerError\",\"code\":500}}\n\n",
    ))])
    .await;
    let (result, _) = run(&compatible(&server, None, fast())).await;
    let err = result.unwrap_err();
    assert_eq!(
        err,
        LlmError::Stream(StreamError::Provider {
            message: "CUDA out of memory".into()
        })
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_json_body_instead_of_a_stream_is_explained() {
    let server = MockServer::start(vec![Reply::json(
        200,
        r#"{"id":"x","object":"chat.completion","choices":[{"message":{"role":"assistant","content":"hi"}}]}"#,
    )])
    .await;
    let (result, _) = run(&compatible(&server, None, fast())).await;
    let err = result.unwrap_err();
    assert!(matches!(err, LlmError::InvalidResponse { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("check that the URL points at a OpenAI-compatible server"),
        "{err}"
    );
}

#[tokio::test]
async fn a_wrong_base_url_is_not_called_an_unknown_model() {
    let server = MockServer::start(vec![Reply::text(404, "404 page not found")]).await;
    let (result, _) = run(&compatible(&server, None, fast())).await;
    let err = result.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "nothing answers at {} (HTTP 404) — check the base URL",
            server.url("/v1/chat/completions")
        )
    );
}

#[tokio::test]
async fn model_not_found_with_400_is_an_unknown_model() {
    let server = MockServer::start(vec![Reply::json(
        400,
        r#"{"object":"error","message":"The model `qwen3-8b` does not exist.","type":"NotFoundError","param":null,"code":404}"#,
    )])
    .await;
    let (result, _) = run(&compatible(&server, None, fast())).await;
    assert!(matches!(result.unwrap_err(), LlmError::UnknownModel { .. }));
}

#[tokio::test]
async fn a_key_echoed_in_an_error_never_reaches_the_message() {
    let server = MockServer::start(vec![Reply::json(
        400,
        r#"{"error":{"message":"Invalid request from key sk-test-0123456789: temperature too high","type":"invalid_request_error"}}"#,
    )])
    .await;
    let b = crate::suite::backend(&flavor(), &server, fast());
    let (result, _) = run(&b).await;
    let err = result.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(shown.contains("Invalid request from key ***"), "{shown}");
}

#[tokio::test]
async fn check_reports_a_working_setup() {
    let server = MockServer::start(vec![Reply::sse(include_str!(
        "../fixtures/openai_stream.sse"
    ))])
    .await;
    let b = crate::suite::backend(&flavor(), &server, fast());
    let report = b.check().await.unwrap();
    assert!(report.reachable);
    assert_eq!(
        (report.provider.as_str(), report.model.as_str()),
        ("openai", "gpt-4o-mini")
    );
    let body = server.requests()[0].json();
    assert_eq!(body["max_completion_tokens"], 16, "a tiny completion");
}

#[tokio::test]
async fn check_reports_a_broken_setup() {
    let server = MockServer::start(vec![Reply::json(401, flavor().error_401)]).await;
    let b = crate::suite::backend(&flavor(), &server, fast());
    let err = b.check().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the API key was rejected — check OPENAI_API_KEY"
    );
}

#[tokio::test]
async fn works_as_a_trait_object() {
    let server = MockServer::start(vec![Reply::sse(include_str!(
        "../fixtures/openai_stream.sse"
    ))])
    .await;
    let b: Box<dyn ChatBackend> = Box::new(crate::suite::backend(&flavor(), &server, fast()));
    assert_eq!(b.label(), "openai:gpt-4o-mini");
    let mut seen = String::new();
    let c = b
        .complete(&ChatRequest::new("s").user("u"), &mut |d: &str| {
            seen.push_str(d)
        })
        .await
        .unwrap();
    assert_eq!(seen, c.text);
}
