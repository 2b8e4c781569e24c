//! The failure simulation: it appears on the candidate's own design when the interviewer injects
//! a failure, with the capacity the candidate stated; and on a scenario's reference design.

use crate::common::app;

/// Moves an interview to the failure phase with a design and a stated capacity; returns the
/// interviewer's text of the injection.
async fn to_failures(app: &crate::common::App, id: &str) -> String {
    let (s, _) = app.turn(id, "How many events per second at peak?").await;
    assert_eq!(s, 200);
    let (s, _) = app
        .turn(
            id,
            "Web -> Kafka -> Flink -> Redis -> Dashboard\nThe Flink job can process 300K events/s, so it can catch up after an outage.",
        )
        .await;
    assert_eq!(s, 200);
    let mut said = String::new();
    for _ in 0..4 {
        let (s, v) = app.turn(id, "/next").await;
        assert_eq!(s, 200, "{v}");
        for t in v["turns"].as_array().unwrap() {
            said.push_str(t["text"].as_str().unwrap_or(""));
        }
        if v["phase"] == "failures" {
            return said;
        }
    }
    panic!("never reached the failure phase: {said}");
}

#[tokio::test]
async fn an_injected_failure_is_animated_on_the_candidates_own_design() {
    let app = app();
    let (id, _) = app.new_session().await;
    let (_, before, _) = app.get(&format!("/s/{id}")).await;
    assert!(
        !before.contains("sim-anim"),
        "no failure yet, no simulation"
    );
    let said = to_failures(&app, &id).await;
    let (s, panel, _) = app.get(&format!("/s/{id}")).await;
    assert_eq!(s, 200);
    assert!(
        panel.contains("Failure simulation on your design"),
        "{panel}"
    );
    assert!(panel.contains("class=\"sim-anim"), "animated");
    // Drawn on the candidate's graph: their components are in the simulation's SVG.
    let sim = &panel[panel
        .find("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"sim")
        .unwrap()..];
    for name in ["Kafka", "Flink", "Redis", "Dashboard"] {
        assert!(sim.contains(name), "{name}");
    }
    // The failure shown is the one just injected: its prompt was said, its id is on the panel.
    let k = crate::common::knowledge();
    let sc = k.scenario("clickstream-analytics").unwrap();
    let f = sc
        .failures
        .iter()
        .find(|f| said.contains(f.prompt.trim()))
        .expect("the injection is one of the scenario's failures");
    assert!(
        panel.contains(&format!("<code>{}</code>", f.id)),
        "{}",
        f.id
    );
    assert!(panel.contains(&format!("sim-{}", f.kind.id())));
    if f.kind.builds_backlog() {
        assert!(panel.contains("Catch-up time = backlog ÷ (capacity − inflow)"));
        assert!(panel.contains("300,000"), "the stated capacity is used");
    }
    // It is in the row the end of each turn swaps in, not only on a fresh page.
    assert!(
        panel.contains("<div id=\"simulation\" class=\"sim-row\"><section class=\"simulation\"")
    );
}

#[tokio::test]
async fn every_reference_failure_has_its_page_and_the_scorecard_links_them() {
    let app = app();
    let k = crate::common::knowledge();
    let sc = k.scenario("clickstream-analytics").unwrap();
    for (i, f) in sc.failures.iter().enumerate() {
        let (s, body, head) = app
            .get(&format!(
                "/scenarios/clickstream-analytics/failure/{}",
                i + 1
            ))
            .await;
        assert_eq!(s, 200, "{}", f.id);
        assert!(
            head.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("style-src 'self'")
        );
        assert!(body.contains("On the reference design") && body.contains("class=\"sim-anim"));
        assert!(body.contains(&format!("sim-{}", f.kind.id())));
        assert!(!body.contains(" style=\""), "CSP forbids inline style");
    }
    let (s, body, _) = app.get("/scenarios/clickstream-analytics/failure/2").await;
    assert_eq!(s, 200);
    // broker-loss-at-peak: 30 s at 100K/s, drained with the reference's 2x headroom.
    assert!(
        body.contains("3,000,000 events = inflow 100,000 events/s × 30 s"),
        "{body}"
    );
    assert!(body.contains("= 30 s ≈ 30 s"), "{body}");
    for bad in [
        "/scenarios/clickstream-analytics/failure/0",
        "/scenarios/clickstream-analytics/failure/99",
        "/scenarios/clickstream-analytics/failure/x",
        "/scenarios/nope/failure/1",
    ] {
        let (s, body, _) = app.get(bad).await;
        assert_eq!(s, 404, "{bad}");
        assert!(body.contains("role=\"alert\""));
    }
    // After the interview, the scorecard links to each failure on the reference design.
    let (id, _) = app.new_session().await;
    let (s, v) = app.turn(&id, "/end").await;
    assert_eq!(s, 200, "{v}");
    let (s, card, _) = app.get(&format!("/s/{id}/scorecard")).await;
    assert_eq!(s, 200);
    for i in 1..=sc.failures.len() {
        assert!(card.contains(&format!(
            "href=\"/scenarios/clickstream-analytics/failure/{i}\""
        )));
    }
}

#[tokio::test]
async fn progress_charts_each_dimension_and_starts_the_weakest() {
    let app = app();
    let (_, empty, _) = app.get("/progress").await;
    assert!(empty.contains("No finished interviews yet"));
    assert!(!empty.contains("practise-weakest"));
    for answer in [
        "Kafka -> Flink -> Redis. We monitor consumer lag and alert on it, replay from Kafka after an outage, and use a dead-letter queue for poison records.",
        "I'd ask about volume first.",
    ] {
        let (id, _) = app.new_session().await;
        let (s, _) = app.turn(&id, answer).await;
        assert_eq!(s, 200);
        let (s, v) = app.turn(&id, "/end").await;
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["finished"], true);
    }
    let (s, page, head) = app.get("/progress").await;
    assert_eq!(s, 200);
    assert!(
        head.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(page.contains("2 finished interviews"), "{page}");
    for d in pipeprep_bank::Dimension::ALL {
        let at = page
            .find(&format!("id=\"trend-{}\"", d.id()))
            .unwrap_or_else(|| panic!("no chart for {}", d.id()));
        let chart = &page[at..at + page[at..].find("</figure>").unwrap()];
        assert_eq!(
            chart.matches("<circle class=\"point\"").count(),
            2,
            "{}",
            d.id()
        );
    }
    // The button names the weakest dimension and starts an interview focused on it.
    let focus = page
        .split("name=\"focus\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("a weakest-dimension form");
    let dim = pipeprep_bank::Dimension::from_id(focus).expect("a rubric dimension");
    assert!(page.contains(&format!("Practise my weakest dimension ({})", dim.title())));
    let res = app
        .send(
            axum::http::Request::post("/s")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!("focus={focus}")))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/s/"), "{to}");
    let (s, v, _) = app.get(&format!("/api/sessions/{}", &to[3..])).await;
    assert_eq!(s, 200, "{v}");
}

#[tokio::test]
async fn the_bank_page_filters_by_query_string_and_starts_a_scenario() {
    let app = app();
    let k = crate::common::knowledge();
    let all = k.bank.scenarios.len();
    let (s, page, _) = app.get("/bank").await;
    assert_eq!(s, 200);
    assert_eq!(page.matches("<tr class=\"scenario\"").count(), all);
    let hard = k
        .bank
        .scenarios
        .iter()
        .filter(|s| s.difficulty.as_str() == "hard")
        .count();
    let (_, page, _) = app.get("/bank?difficulty=hard").await;
    assert_eq!(page.matches("<tr class=\"scenario\"").count(), hard);
    assert!(page.contains(&format!("{hard} of {all} scenarios")));
    let (_, page, _) = app.get("/bank?q=clickstream&tag=").await;
    assert!(page.contains("id=\"sc-clickstream-analytics\""));
    assert!(
        page.contains("<input type=\"hidden\" name=\"scenario\" value=\"clickstream-analytics\">")
    );
    let (_, page, _) = app.get("/bank?q=%3Cscript%3E").await;
    assert!(page.contains("No scenario matches") && !page.contains("<script>"));
    let res = app
        .send(
            axum::http::Request::post("/s")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from("scenario=late-arrivals"))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), 303);
}
