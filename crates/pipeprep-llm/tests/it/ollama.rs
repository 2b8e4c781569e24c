use pipeprep_llm::{Backend, LlmError, LlmSpec, StreamError};

use crate::server::{MockServer, Reply};
use crate::suite::{Flavor, all_bad_days, backend, fast, run};

fn flavor() -> Flavor {
    Flavor {
        spec: "ollama:llama3.2",
        base_path: "",
        endpoint: "/api/chat",
        key: None,
        auth: None,
        stream: include_str!("../fixtures/ollama_stream.ndjson"),
        text: "How would you replay a day of events?",
        usage: (26, 17),
        reply: Reply::ndjson,
        garbage: concat!(
            "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"How\"},\"done\":false}\n",
            "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\" would\"\n",
            "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n",
        ),
        error_401: r#"{"error":"unauthorized"}"#,
        error_404_model: r#"{"error":"model \"llama3.2\" not found, try pulling it first"}"#,
        error_429: r#"{"error":"server busy, please try again.  maximum pending requests exceeded"}"#,
        error_500: r#"{"error":"llama runner process has terminated: signal: killed"}"#,
        stream_content_type: "application/x-ndjson",
    }
}

all_bad_days!();

#[tokio::test]
async fn ollama_host_points_at_the_server() {
    let f = flavor();
    let server = MockServer::start(vec![Reply::ndjson(f.stream)]).await;
    let host = server.addr.to_string(); // host:port, as people set it
    let spec = LlmSpec::parse_with_env("ollama:llama3.2", |k| {
        (k == "OLLAMA_HOST").then(|| host.clone())
    })
    .unwrap();
    let b = Backend::new(spec, None, fast()).unwrap();
    let c = run(&b).await.0.unwrap();
    assert_eq!(c.text, f.text);
    let body = server.requests()[0].json();
    assert_eq!(body["options"]["num_predict"], 512);
    assert_eq!(body["messages"][0]["role"], "system");
}

#[tokio::test]
async fn unknown_model_says_to_pull_it() {
    let f = flavor();
    let server = MockServer::start(vec![Reply::json(404, f.error_404_model)]).await;
    let err = run(&backend(&f, &server, fast())).await.0.unwrap_err();
    assert_eq!(
        err.to_string(),
        "ollama has no model `llama3.2` (model \"llama3.2\" not found, try pulling it first) — run `ollama pull llama3.2` first"
    );
}

#[tokio::test]
async fn a_wrong_path_is_a_base_url_problem() {
    let server = MockServer::start(vec![Reply::text(404, "404 page not found")]).await;
    let err = run(&backend(&flavor(), &server, fast()))
        .await
        .0
        .unwrap_err();
    assert!(matches!(err, LlmError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn an_error_line_mid_stream_is_reported() {
    let server = MockServer::start(vec![Reply::ndjson(concat!(
        "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"How\"},\"done\":false}\n",
        "{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n",
    ))])
    .await;
    let err = run(&backend(&flavor(), &server, fast()))
        .await
        .0
        .unwrap_err();
    assert!(
        matches!(&err, LlmError::Stream(StreamError::Provider { message }) if message.contains("unexpected EOF")),
        "{err:?}"
    );
}
