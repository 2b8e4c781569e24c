use pipeprep_llm::{LlmError, StreamError};

use crate::server::{MockServer, Reply};
use crate::suite::{Flavor, all_bad_days, backend, fast, run};

fn flavor() -> Flavor {
    Flavor {
        spec: "anthropic:claude-sonnet-4-5",
        base_path: "/v1",
        endpoint: "/v1/messages",
        key: Some("sk-ant-test-123"),
        auth: Some(("x-api-key", "sk-ant-test-123")),
        stream: include_str!("../fixtures/anthropic_stream.sse"),
        text: "Good — you sized Kafka at 12 partitions. What drives that number?",
        usage: (472, 19),
        reply: Reply::sse,
        garbage: concat!(
            "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n",
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\n\n",
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
        ),
        error_401: r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#,
        error_404_model: r#"{"type":"error","error":{"type":"not_found_error","message":"model: claude-sonnet-4-5"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fz"}"#,
        error_429: r#"{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit for your organization of 50 requests per minute."}}"#,
        error_500: r#"{"type":"error","error":{"type":"api_error","message":"Internal server error"}}"#,
        stream_content_type: "text/event-stream",
    }
}

all_bad_days!();

#[tokio::test]
async fn sends_the_version_header_and_a_top_level_system_prompt() {
    let f = flavor();
    let server = MockServer::start(vec![Reply::sse(f.stream)]).await;
    run(&backend(&f, &server, fast())).await.0.unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        r.header("authorization"),
        None,
        "the key goes in x-api-key only"
    );
    let body = r.json();
    assert_eq!(
        body["system"],
        "You interview data engineers. Ask one question at a time."
    );
    assert_eq!(body["max_tokens"], 512);
    assert_eq!(body["messages"][0]["role"], "user");
}

#[tokio::test]
async fn overloaded_529_is_retried() {
    let f = flavor();
    let server = MockServer::start(vec![
        Reply::json(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ),
        Reply::sse(f.stream),
    ])
    .await;
    let (result, _) = run(&backend(&f, &server, fast())).await;
    assert_eq!(result.unwrap().text, f.text);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn an_error_event_mid_stream_is_reported() {
    let f = flavor();
    let stream = f.stream;
    let cut = stream.find("event: content_block_stop").unwrap();
    let with_error = format!(
        "{}event: error\ndata: {{\"type\":\"error\",\"error\":{{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}}}\n\n",
        &stream[..cut]
    );
    let server = MockServer::start(vec![Reply::sse(&with_error)]).await;
    let (result, deltas) = run(&backend(&f, &server, fast())).await;
    let err = result.unwrap_err();
    assert_eq!(
        err,
        LlmError::Stream(StreamError::Provider {
            message: "Overloaded".into()
        })
    );
    assert_eq!(
        deltas.concat(),
        f.text,
        "the text before the error was shown"
    );
}

#[tokio::test]
async fn wrong_key_names_the_anthropic_variable() {
    let f = flavor();
    let server = MockServer::start(vec![Reply::json(401, f.error_401)]).await;
    let err = run(&backend(&f, &server, fast())).await.0.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the API key was rejected — check ANTHROPIC_API_KEY"
    );
}
