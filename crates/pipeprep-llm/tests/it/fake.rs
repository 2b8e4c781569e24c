use pipeprep_llm::{ChatBackend, ChatRequest, FakeBackend, LlmError};

#[tokio::test]
async fn plays_its_script_in_order_and_records_requests() {
    let fake = FakeBackend::new()
        .reply("Why Kafka over Kinesis?")
        .fail(LlmError::FirstTokenTimeout { after_ms: 20_000 })
        .reply("Fair enough.");
    let backend: &dyn ChatBackend = &fake;
    let ask = |q: &str| ChatRequest::new("interviewer").user(q);

    let mut deltas = Vec::new();
    let first = backend
        .complete(&ask("Kafka"), &mut |d: &str| deltas.push(d.to_string()))
        .await
        .unwrap();
    assert_eq!(first.text, "Why Kafka over Kinesis?");
    assert_eq!(deltas, ["Why ", "Kafka ", "over ", "Kinesis?"]);
    assert!(first.usage.counted);
    assert_eq!(first.provider, "fake");

    let second = backend.complete(&ask("Replay"), &mut |_| {}).await;
    assert_eq!(
        second.unwrap_err(),
        LlmError::FirstTokenTimeout { after_ms: 20_000 }
    );
    let third = backend.complete(&ask("Cost"), &mut |_| {}).await.unwrap();
    assert_eq!(third.text, "Fair enough.");
    assert_eq!(fake.remaining(), 0);

    let fourth = backend.complete(&ask("More"), &mut |_| {}).await;
    assert_eq!(fourth.unwrap_err(), LlmError::ScriptExhausted);

    let asked: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| r.messages[0].content.clone())
        .collect();
    assert_eq!(asked, ["Kafka", "Replay", "Cost", "More"]);
}
