use axum::body::Body;
use axum::http::Request;

use crate::common::{app, parse_sse, split};

#[tokio::test]
async fn every_page_has_a_strict_csp_and_loads_nothing_from_elsewhere() {
    let app = app();
    let (id, _) = app.new_session().await;
    for uri in [
        "/".to_string(),
        format!("/s/{id}"),
        "/history".to_string(),
        "/progress".to_string(),
        "/bank?difficulty=hard".to_string(),
        "/scenarios/clickstream-analytics/failure/3".to_string(),
    ] {
        let (s, body, head) = app.get(&uri).await;
        assert_eq!(s, 200, "{uri}");
        let csp = head.headers()["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        // Every URL in the page is on this server.
        for attr in ["src=\"", "href=\""] {
            for part in body.split(attr).skip(1) {
                let url = part.split('"').next().unwrap();
                assert!(
                    url.starts_with('/') || url.starts_with('#') || url.starts_with("data:"),
                    "{uri} refers to {url}"
                );
            }
        }
        assert!(!body.contains("<script>"), "{uri}: inline script");
        assert!(!body.contains(" style=\""), "{uri}: inline style");
    }
}

#[tokio::test]
async fn the_page_weighs_less_than_200_kb_before_any_session_data() {
    let app = app();
    let (id, _) = app.new_session().await;
    let (_, page, _) = app.get(&format!("/s/{id}")).await;
    let mut total = page.len();
    for name in [
        "style.css",
        "sim.css",
        "app.js",
        "htmx.min.js",
        "htmx-ext-sse.js",
    ] {
        let (s, body, head) = app.get(&format!("/assets/{name}?v=1")).await;
        assert_eq!(s, 200, "{name}");
        assert!(
            head.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("max-age")
        );
        total += body.len();
    }
    assert!(total < 200 * 1024, "page weight {total} bytes");
    let (s, _, _) = app.get("/assets/../../etc/passwd").await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn the_practice_page_is_labelled_and_has_the_commands_and_the_phase_bar() {
    let app = app();
    let (id, greeting) = app.new_session().await;
    let (_, body, _) = app.get(&format!("/s/{id}")).await;
    assert!(body.contains("<label for=\"answer\">Your answer</label>"));
    assert!(body.contains("<textarea id=\"answer\" name=\"text\""));
    for cmd in ["/hint", "/diagram", "/next", "/end"] {
        assert!(body.contains(&format!("value=\"{cmd}\"")), "{cmd}");
    }
    for phase in [
        "Requirements",
        "Architecture",
        "Deep dive",
        "Failure scenarios",
    ] {
        assert!(body.contains(phase), "{phase}");
    }
    for budget in ["10 min", "25 min", "15 min"] {
        assert!(body.contains(budget), "{budget}");
    }
    assert!(body.contains("hints used: <strong>0</strong>"));
    assert!(body.contains("role=\"timer\""));
    // The greeting from the API is in the conversation.
    let first = greeting["turns"][0]["text"].as_str().unwrap();
    let first_words: String = first
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(body.contains(&first_words), "{first_words}");
}

#[tokio::test]
async fn a_form_turn_streams_into_the_page_and_updates_the_panel() {
    let app = app();
    let (id, _) = app.new_session().await;
    let res = app
        .send(
            Request::post(format!("/s/{id}/say"))
                .header("hx-request", "true")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(
                    "text=Kafka+-%3E+Flink+-%3E+Redis%0Aand+S3+for+raw+events",
                ))
                .unwrap(),
        )
        .await;
    let (s, frag, _) = split(res).await;
    assert_eq!(s, 200);
    assert!(
        frag.contains("Kafka -&gt; Flink -&gt; Redis<br>and S3"),
        "{frag}"
    );
    assert!(
        frag.contains(&format!("sse-connect=\"/s/{id}/feed\"")),
        "{frag}"
    );
    let (s, feed, head) = app.get(&format!("/s/{id}/feed")).await;
    assert_eq!(s, 200);
    assert!(
        head.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = parse_sse(&feed);
    assert!(
        events
            .iter()
            .any(|(n, d)| n == "say" && d.contains("class=\"turn interviewer\""))
    );
    assert!(
        events
            .iter()
            .filter(|(n, d)| n == "say" && d.contains("hx-swap-oob=\"beforeend:#m-"))
            .count()
            >= 2
    );
    let (name, end) = events.last().unwrap();
    assert_eq!(name, "end");
    assert!(end.contains("hx-swap-oob=\"true\" id=\"panel\""), "{end}");
    assert!(end.contains("id=\"node-0\""), "the design is drawn: {end}");
    // Taken once: the browser does not replay it on reconnect.
    let (s, _, _) = app.get(&format!("/s/{id}/feed")).await;
    assert_eq!(s, 204);
    // An empty answer is an error shown by the form, not a turn.
    let res = app
        .send(
            Request::post(format!("/s/{id}/say"))
                .header("hx-request", "true")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("text=+++"))
                .unwrap(),
        )
        .await;
    let (_, frag, head) = split(res).await;
    assert_eq!(head.headers()["hx-retarget"], "#say-error");
    assert!(frag.contains("empty"));
}

#[tokio::test]
async fn the_scorecard_page_has_the_radar_the_table_and_quotes_that_link_to_turns() {
    let app = app();
    let (id, _) = app.new_session().await;
    for t in [
        "What is the peak event rate and the dashboard SLA? How long do we keep raw data?",
        "Kafka -> Flink (5s window) -> Redis for the dashboard because the SLA is 5 seconds; raw events land in S3 as Parquet for hourly Spark reports.",
        "/end",
    ] {
        let (s, v) = app.turn(&id, t).await;
        assert_eq!(s, 200, "{v}");
    }
    let (s, _, head) = app.get(&format!("/s/{id}")).await;
    assert_eq!(s, 303, "a finished session opens its scorecard");
    assert_eq!(
        head.headers()["location"],
        format!("/s/{id}/scorecard").as_str()
    );
    let (s, body, _) = app.get(&format!("/s/{id}/scorecard")).await;
    assert_eq!(s, 200);
    assert!(body.contains("<svg") && body.contains("class=\"radar\""));
    for d in [
        "Requirements",
        "Architecture",
        "Tool selection",
        "Failure modes",
        "Scaling",
        "Cost",
        "Data quality",
    ] {
        assert!(body.contains(d), "{d}");
    }
    // Each quote links to a turn that exists on the page.
    let links: Vec<&str> = body
        .split("href=\"#turn-")
        .skip(1)
        .map(|p| p.split('"').next().unwrap())
        .collect();
    assert!(!links.is_empty(), "no quote links");
    for n in links {
        assert!(
            body.contains(&format!("id=\"turn-{n}\"")),
            "turn {n} is not on the page"
        );
    }
    // The history lists it as finished with a scorecard link, and filters.
    let (_, hist, _) = app.get("/history?status=finished").await;
    assert!(hist.contains(&format!("/s/{id}/scorecard")));
    let (_, hist, _) = app.get("/history?status=active").await;
    assert!(!hist.contains(&format!("/s/{id}/scorecard")));
}
