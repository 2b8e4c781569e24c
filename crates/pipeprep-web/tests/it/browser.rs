//! A whole interview in a real browser: Debian's `chromium` driven through `chromedriver` over
//! the W3C WebDriver protocol (a few JSON requests, written here on reqwest). The page is served
//! on 127.0.0.1 and Chromium resolves no other host, and the test checks that every request the
//! pages made went to the server. Screenshots go to `target/web-e2e/`.
//!
//! `.ci/run` installs `chromium` and `chromium-driver` and sets `PIPEPREP_REQUIRE_BROWSER=1`, so
//! there a missing browser fails the test; elsewhere the test says it was skipped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

struct Driver {
    child: Child,
    http: reqwest::Client,
    base: String,
    session: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start(chromium: &Path, driver: &Path, profile: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = http.get(format!("{base}/status")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.display()),
                    "--window-size=1280,800", "--no-first-run", "--no-default-browser-check",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-default-apps", "--disable-extensions",
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                ]
            }
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {r}"))
            .to_string();
        Driver {
            child,
            http,
            base,
            session,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, &url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r: Value = req.send().await.unwrap().json().await.unwrap();
        if r["value"].is_object() && r["value"].get("error").is_some() {
            panic!("WebDriver {path}: {}", r["value"]);
        }
        r["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("no element `{css}`: {v}"))
            .to_string()
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{el}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    async fn js(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Waits until `script` (an expression) is truthy.
    async fn wait_for(&self, what: &str, script: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.js(&format!("return !!({script});")).await;
            if v == Value::Bool(true) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn window(&self, w: u32, h: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": w, "height": h})),
        )
        .await;
    }

    async fn screenshot(&self, dir: &Path, name: &str) {
        self.js("window.scrollTo(0, 0); return 1;").await;
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64_decode(v.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// A picture of one element (scrolled into view by the driver).
    async fn element_screenshot(&self, css: &str, dir: &Path, name: &str) {
        let el = self.find(css).await;
        let v = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{el}/screenshot"),
                None,
            )
            .await;
        let png = base64_decode(v.as_str().unwrap());
        assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Every URL this page requested (the document and its resources).
    async fn requests(&self) -> Vec<String> {
        let v = self
            .js("return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name));")
            .await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|u| u.as_str().unwrap().to_string())
            .collect()
    }

    async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter_map(val) {
        acc = (acc << 6) | c;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn screenshots_dir() -> PathBuf {
    // tests run in the crate directory; the workspace's target/ is two levels up.
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("web-e2e");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_interview_in_a_real_browser() {
    let chromium = find_program(&["chromium", "chromium-browser"]);
    let driver = find_program(&["chromedriver"]);
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        assert!(
            std::env::var_os("PIPEPREP_REQUIRE_BROWSER").is_none(),
            "chromium and chromedriver are required (apt-get install chromium chromium-driver)"
        );
        eprintln!(
            "skipped: chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
        );
        return;
    };
    let app = crate::common::app();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = pipeprep_web::router(Arc::clone(&app.shared));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let origin = format!("http://{addr}");
    let profile = tempfile::tempdir().unwrap();
    let shots = screenshots_dir();
    let d = Driver::start(&chromium, &driver, profile.path()).await;
    let mut seen: Vec<String> = Vec::new();

    // Home: choose a scenario and start.
    d.goto(&format!("{origin}/")).await;
    d.wait_for("the home page", "document.querySelector('form.start')")
        .await;
    let fcp = d
        .js("const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null;")
        .await;
    d.screenshot(&shots, "home").await;
    seen.extend(d.requests().await);
    d.js("document.getElementById('scenario').value = 'clickstream-analytics'; return 1;")
        .await;
    d.click("form.start button[type=submit]").await;

    // The greeting streams in.
    d.wait_for(
        "the greeting",
        "document.querySelector('#log .turn.interviewer .text') && document.querySelector('#log .turn.interviewer .text').textContent.length > 40",
    )
    .await;
    assert_eq!(
        d.js("return document.querySelectorAll('#log .turn').length;")
            .await,
        json!(1),
        "the greeting is shown once"
    );
    d.screenshot(&shots, "greeting").await;
    let practice_url = d.js("return location.pathname;").await;
    let id = practice_url
        .as_str()
        .unwrap()
        .trim_start_matches("/s/")
        .to_string();
    let fcp_practice = d
        .js("const p = performance.getEntriesByName('first-contentful-paint')[0]; return p ? p.startTime : null;")
        .await;
    seen.extend(d.requests().await);

    // Enter makes a new line; Ctrl+Enter sends.
    d.type_into(
        "#answer",
        "What peak event rate should we plan for?\u{E007}And how fresh must the dashboard be?",
    )
    .await;
    let value = d
        .js("return document.getElementById('answer').value;")
        .await;
    assert!(
        value.as_str().unwrap().contains('\n'),
        "Enter did not add a line: {value}"
    );
    assert_eq!(
        d.js("return document.querySelectorAll('#log .turn').length;")
            .await,
        json!(1),
        "Enter alone must not send"
    );
    d.type_into("#answer", "\u{E009}\u{E007}\u{E000}").await;
    d.wait_for(
        "the reply to the questions",
        "document.querySelectorAll('#log .turn.interviewer').length >= 2 && document.querySelector('#log .turn.candidate .text').innerHTML.includes('<br>')",
    )
    .await;
    d.wait_for(
        "the answer box to clear",
        "document.getElementById('answer').value === ''",
    )
    .await;
    let nodes_before = d
        .js("return document.querySelectorAll('#panel svg .node').length;")
        .await;
    assert_eq!(nodes_before, json!(0));

    // A design: the panel draws it when the reply ends.
    d.type_into(
        "#answer",
        "Web and mobile clients -> Kafka -> Flink (5s tumbling window) -> Redis -> Dashboard\nKafka -> S3 (Parquet) -> Spark (hourly) -> Snowflake\nFlink over Spark Structured Streaming because event-time windows with watermarks keep the 5 s SLA.",
    )
    .await;
    d.click("#send").await;
    d.wait_for(
        "the design in the panel",
        "document.querySelectorAll('#panel svg .node').length >= 4",
    )
    .await;
    d.wait_for(
        "the stream to close",
        "!document.body.classList.contains('answering')",
    )
    .await;
    let labels = d
        .js("return document.querySelector('#panel svg').textContent;")
        .await;
    for name in ["Kafka", "Flink", "Redis"] {
        assert!(labels.as_str().unwrap().contains(name), "{name}: {labels}");
    }
    d.screenshot(&shots, "practice").await;

    // A hint by its button: the hint count goes up.
    d.click("button[value='/hint']").await;
    d.wait_for(
        "the hint count",
        "document.querySelector('#phasebar .hints strong').textContent === '1'",
    )
    .await;

    // The failure phase: the interviewer injects a failure and the panel animates it on this
    // design. First the capacity, so a backlog drains at the candidate's number.
    d.type_into(
        "#answer",
        "The Flink job can process 300K events/s, three times the peak, so it can catch up after an outage.",
    )
    .await;
    let before = d
        .js("return document.querySelectorAll('#log .turn.interviewer').length;")
        .await;
    d.click("#send").await;
    d.wait_for(
        "the reply about capacity",
        &format!(
            "!document.body.classList.contains('answering') && document.querySelectorAll('#log .turn.interviewer').length > {before}"
        ),
    )
    .await;
    for _ in 0..4 {
        if d.js("return document.querySelector('#simulation svg.sim') !== null;")
            .await
            == json!(true)
        {
            break;
        }
        let before = d
            .js("return document.querySelectorAll('#log .turn.interviewer').length;")
            .await;
        d.click("button[value='/next']").await;
        d.wait_for(
            "the next phase",
            &format!(
                "!document.body.classList.contains('answering') && document.querySelectorAll('#log .turn.interviewer').length > {before}"
            ),
        )
        .await;
    }
    d.wait_for(
        "the failure animation on the design",
        "document.querySelector('#simulation svg.sim .sim-anim')",
    )
    .await;
    let anim = d
        .js("const els = [...document.querySelectorAll('#simulation svg.sim .sim-anim')]; return els.map(e => getComputedStyle(e).animationName).filter(n => n && n !== 'none');")
        .await;
    assert!(
        !anim.as_array().unwrap().is_empty(),
        "the simulation's elements are not animated: {anim}"
    );
    let sim_text = d
        .js("return document.querySelector('#simulation .simulation').textContent;")
        .await;
    let sim_text = sim_text.as_str().unwrap().to_string();
    for name in ["Kafka", "Flink", "Redis"] {
        assert!(
            sim_text.contains(name),
            "the simulation is not on the candidate's design: {name}"
        );
    }
    let kind = d
        .js("return document.querySelector('#simulation .simulation .badge.kind').textContent;")
        .await;
    if kind == json!("outage") || kind == json!("broker-loss") {
        assert!(
            sim_text.contains("Catch-up time = backlog ÷ (capacity − inflow)")
                && sim_text.contains("300,000"),
            "{sim_text}"
        );
    }
    // Let the animation run a few seconds into its cycle before the picture.
    tokio::time::sleep(Duration::from_millis(5500)).await;
    d.screenshot(&shots, "practice-failure").await;
    // The whole simulation in one picture (an element shot shows only what is in the window).
    d.window(1280, 1200).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    d.element_screenshot("#simulation .simulation", &shots, "failure")
        .await;
    d.window(1280, 800).await;
    std::fs::write(shots.join("failure-kind.txt"), kind.to_string()).unwrap();

    // Phone width: nothing wider than the screen.
    d.window(390, 844).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let overflow = d
        .js("return document.documentElement.scrollWidth - window.innerWidth;")
        .await;
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "horizontal overflow at phone width: {overflow}"
    );
    d.screenshot(&shots, "practice-phone").await;
    d.window(1280, 800).await;
    seen.extend(d.requests().await);

    // Finish and open the scorecard.
    d.click("button[value='/end']").await;
    d.wait_for(
        "the scorecard link",
        "document.querySelector('.finished a')",
    )
    .await;
    d.click(".finished a").await;
    d.wait_for("the scorecard", "document.querySelector('svg.radar')")
        .await;
    let quotes = d
        .js("return document.querySelectorAll('.quotes a').length;")
        .await;
    assert!(quotes.as_i64().unwrap() > 0, "no quotes on the scorecard");
    d.screenshot(&shots, "scorecard").await;
    seen.extend(d.requests().await);

    // The same simulation on the scenario's reference design, from the scorecard.
    d.click("a[href='/scenarios/clickstream-analytics/failure/3']")
        .await;
    d.wait_for(
        "the reference failure",
        "document.querySelector('svg.sim .sim-anim')",
    )
    .await;
    d.screenshot(&shots, "reference-failure").await;
    seen.extend(d.requests().await);

    // Progress: one finished interview, a chart per dimension, the weakest as a button.
    d.goto(&format!("{origin}/progress")).await;
    d.wait_for(
        "the progress page",
        "document.querySelectorAll('svg.trend').length === 8",
    )
    .await;
    assert_eq!(
        d.js("return document.querySelectorAll('svg.trend circle.point').length;")
            .await,
        json!(8),
        "one point per chart for one finished interview"
    );
    d.find("#practise-weakest").await;
    d.screenshot(&shots, "progress").await;
    seen.extend(d.requests().await);

    // The bank: filtered by the query string, each scenario with a start button.
    d.goto(&format!("{origin}/bank?difficulty=hard")).await;
    d.wait_for("the bank page", "document.querySelector('table.bank')")
        .await;
    let rows = d
        .js("return [...document.querySelectorAll('tr.scenario')].map(r => r.children[1].textContent);")
        .await;
    let rows = rows.as_array().unwrap();
    assert!(
        !rows.is_empty() && rows.iter().all(|d| d == "hard"),
        "{rows:?}"
    );
    d.screenshot(&shots, "bank").await;
    seen.extend(d.requests().await);

    // A second interview left unfinished, then resumed from the history page.
    d.goto(&format!("{origin}/")).await;
    d.click("form.start button[type=submit]").await;
    d.wait_for("a second greeting", "document.querySelectorAll('#log .turn.interviewer').length >= 1 && document.querySelector('#log .turn.interviewer .text').textContent.length > 40").await;
    d.type_into("#answer", "How many events per day do we get?")
        .await;
    d.click("#send").await;
    d.wait_for(
        "its reply",
        "document.querySelectorAll('#log .turn.interviewer').length >= 2",
    )
    .await;
    d.wait_for(
        "the stream to close",
        "!document.body.classList.contains('answering')",
    )
    .await;
    let second = d.js("return location.pathname;").await;
    d.goto(&format!("{origin}/history")).await;
    d.screenshot(&shots, "history").await;
    seen.extend(d.requests().await);
    d.click(&format!("a[href='{}']", second.as_str().unwrap()))
        .await;
    d.wait_for(
        "the resumed conversation",
        "document.querySelectorAll('#log .turn').length === 3",
    )
    .await;
    d.type_into("#answer", "What is the latency SLA for the dashboard?")
        .await;
    d.click("#send").await;
    d.wait_for(
        "a reply after resuming",
        "document.querySelectorAll('#log .turn.interviewer').length >= 3",
    )
    .await;
    seen.extend(d.requests().await);
    d.quit().await;

    // Nothing left this machine.
    assert!(seen.len() > 8, "{seen:?}");
    for url in &seen {
        assert!(
            url.starts_with(&format!("{origin}/")),
            "a request left the server: {url}"
        );
    }
    let metrics = json!({
        "first_contentful_paint_ms": {"home": fcp, "practice": fcp_practice},
        "session": id,
    });
    std::fs::write(shots.join("metrics.json"), metrics.to_string()).unwrap();
    eprintln!(
        "browser test: first contentful paint {metrics}; screenshots in {}",
        shots.display()
    );
}
