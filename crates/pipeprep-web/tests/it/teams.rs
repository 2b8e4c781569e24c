//! Multi-user mode against a real PostgreSQL: accounts, the login wall, isolation between users
//! on every endpoint, the cross-site refusal, cohorts, and two instances on one database.
//!
//! The database is the cluster PIPEPREP_TEST_DATABASE_URL names (`scripts/pg-test-cluster`,
//! started by `.ci/run`). Without it these tests print `SKIPPED: …` and pass; under
//! PIPEPREP_REQUIRE_PG (set by `.ci/run`) a missing cluster fails them. Every test uses user
//! names of its own, so they share the database and run in parallel.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use pipeprep_store::{PgStore, Role};
use pipeprep_web::team::{self, Team};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, HeaderMap, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::{Value, json};

use crate::common::knowledge;

/// The test cluster's URL, or `None` after saying why the test is skipped.
fn database_url() -> Option<String> {
    match std::env::var("PIPEPREP_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("PIPEPREP_REQUIRE_PG").is_none(),
                "PIPEPREP_REQUIRE_PG is set but PIPEPREP_TEST_DATABASE_URL is not: start a cluster with scripts/pg-test-cluster"
            );
            println!(
                "SKIPPED: PIPEPREP_TEST_DATABASE_URL is not set — `eval \"$(scripts/pg-test-cluster start)\"` (or `bash .ci/run`) runs the multi-user tests"
            );
            None
        }
    }
}

/// A user name no other test (or earlier run on the same cluster) uses.
fn unique(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000_000;
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// One pipeprep instance: its own store pool, caches and workers, on a real port.
pub struct Instance {
    pub base: String,
    pub addr: SocketAddr,
    pub team: Arc<Team>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn instance(url: &str, signup_open: bool) -> Instance {
    instance_with(url, signup_open, knowledge()).await
}

/// An instance with its own knowledge (another bank).
pub async fn instance_with(url: &str, signup_open: bool, k: pipeprep_core::Knowledge) -> Instance {
    let pg = {
        let url = url.to_string();
        tokio::task::spawn_blocking(move || PgStore::open(&url))
            .await
            .unwrap()
            .expect("the test cluster opens")
    };
    let team = Team::new(pg, Arc::new(k), None, signup_open);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = team::router(Arc::clone(&team));
    let task = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
    });
    Instance {
        base: format!("http://{addr}"),
        addr,
        team,
        task,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A logged-in user: the cookie to send.
#[derive(Clone)]
pub struct Login {
    pub name: String,
    pub cookie: String,
}

fn cookie_of(headers: &HeaderMap) -> String {
    let set = headers
        .get(SET_COOKIE)
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap();
    set.split(';').next().unwrap().to_string()
}

pub async fn signup(base: &str, name: &str) -> Login {
    let res = client()
        .post(format!("{base}/api/signup"))
        .json(&json!({"username": name, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    Login {
        name: name.to_string(),
        cookie: cookie_of(res.headers()),
    }
}

async fn get(base: &str, path: &str, who: Option<&Login>) -> (StatusCode, HeaderMap, String) {
    send(client().get(format!("{base}{path}")), who).await
}

async fn post(
    base: &str,
    path: &str,
    who: Option<&Login>,
    body: Value,
) -> (StatusCode, HeaderMap, String) {
    send(client().post(format!("{base}{path}")).json(&body), who).await
}

async fn post_form(
    base: &str,
    path: &str,
    who: Option<&Login>,
    form: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    let req = client()
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(form));
    send(req, who).await
}

/// Sends a request as `who` (their session cookie) or as a stranger.
async fn send(
    mut req: reqwest::RequestBuilder,
    who: Option<&Login>,
) -> (StatusCode, HeaderMap, String) {
    if let Some(w) = who {
        req = req.header(COOKIE, &w.cookie);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    (status, headers, res.text().await.unwrap())
}

/// `application/x-www-form-urlencoded`, as a browser sends a form.
fn form_body(pairs: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn error_of(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v["error"].as_str().unwrap_or_default().to_string()
}

async fn new_session(base: &str, who: &Login) -> String {
    let (status, _, body) = post(
        base,
        "/api/sessions",
        Some(who),
        json!({"scenario": "clickstream-analytics", "seed": 7}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v["id"].as_str().unwrap().to_string()
}

async fn turn(base: &str, who: &Login, id: &str, text: &str) -> (StatusCode, Value) {
    let (status, _, body) = post(
        base,
        &format!("/api/sessions/{id}/turns"),
        Some(who),
        json!({ "text": text }),
    )
    .await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_login_and_logout_answer_as_documented() {
    let Some(url) = database_url() else { return };
    let a = instance(&url, true).await;
    let name = unique("ana");

    // Signup: 201, a login cookie that scripts cannot read and other sites do not get.
    let res = client()
        .post(format!("{}/api/signup", a.base))
        .json(&json!({"username": name, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let set = res.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(set.starts_with("pipeprep_session="), "{set}");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: no Secure: {set}");
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["username"], name.as_str());
    assert_eq!(v["role"], "learner");

    // Behind a TLS proxy the cookie is Secure.
    let res = client()
        .post(format!("{}/api/login", a.base))
        .header("x-forwarded-proto", "https")
        .json(&json!({"username": name, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );

    // The same name again: 409; a bad name or a short password: 400, each saying why.
    let (s, _, body) = post(
        &a.base,
        "/api/signup",
        None,
        json!({"username": name, "password": "another password"}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
    assert!(error_of(&body).contains("taken"), "{body}");
    let (s, _, body) = post(
        &a.base,
        "/api/signup",
        None,
        json!({"username": "no spaces please", "password": "long enough pw"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(error_of(&body).contains("letters, digits"), "{body}");
    let (s, _, body) = post(
        &a.base,
        "/api/signup",
        None,
        json!({"username": unique("bo"), "password": "short"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(error_of(&body).contains("at least 8"), "{body}");
    let (s, _, body) = post(&a.base, "/api/signup", None, json!({"user": "x"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");

    // Wrong password: 401. Right one: 200 and a cookie that works.
    let (s, _, body) = post(
        &a.base,
        "/api/login",
        None,
        json!({"username": name, "password": "wrong password"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    let (s, h, _) = post(
        &a.base,
        "/api/login",
        None,
        json!({"username": name, "password": "correct horse battery"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let me = Login {
        name: name.clone(),
        cookie: cookie_of(&h),
    };
    let (s, _, body) = get(&a.base, "/api/me", Some(&me)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains(&name));
    let (s, _, body) = get(&a.base, "/api/sessions", Some(&me)).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "[]"));

    // Logout revokes the token: the same cookie no longer opens anything.
    let (s, h, _) = post(&a.base, "/api/logout", Some(&me), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(h[SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    let (s, _, body) = get(&a.base, "/api/sessions", Some(&me)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{body}");
    assert!(error_of(&body).contains("log in"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_wrong_passwords_are_refused_with_retry_after_on_every_instance() {
    let Some(url) = database_url() else { return };
    let a = instance(&url, true).await;
    let b = instance(&url, true).await;
    let name = unique("target");
    signup(&a.base, &name).await;
    let wrong = json!({"username": name, "password": "guess guess guess"});
    for i in 0..team::MAX_FAILURES_PER_USER {
        // Half the guesses on each instance: the count is in the database.
        let base = if i % 2 == 0 { &a.base } else { &b.base };
        let (s, _, body) = post(base, "/api/login", None, wrong.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}: {body}");
    }
    // Now even the right password waits.
    let (s, h, body) = post(
        &b.base,
        "/api/login",
        None,
        json!({"username": name, "password": "correct horse battery"}),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    assert!(error_of(&body).contains("too many failed logins"), "{body}");

    // Retry-After is what is left of the window, not its whole length: failures counted in a
    // window that opened ten minutes ago leave about five minutes.
    let late = unique("late");
    signup(&a.base, &late).await;
    let pg = a.team.pg.clone();
    let key = format!("user:{late}");
    tokio::task::spawn_blocking(move || {
        let ten_minutes_ago = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
            - 10 * 60 * 1000;
        for _ in 0..team::MAX_FAILURES_PER_USER {
            pg.note_login_failure(&key, ten_minutes_ago, team::FAILURE_WINDOW)
                .unwrap();
        }
    })
    .await
    .unwrap();
    let (s, h, body) = post(
        &b.base,
        "/api/login",
        None,
        json!({"username": late, "password": "correct horse battery"}),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((240..=300).contains(&retry), "{retry}");
    assert!(error_of(&body).contains("wait 5 minutes"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_signup_points_to_the_admin_command() {
    let Some(url) = database_url() else { return };
    let a = instance(&url, false).await;
    let (s, _, body) = post(
        &a.base,
        "/api/signup",
        None,
        json!({"username": unique("x"), "password": "long enough pw"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(error_of(&body).contains("pipeprep users add"), "{body}");
    let (s, _, body) = get(&a.base, "/signup", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("pipeprep users add"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_send_a_stranger_to_the_login_form_which_logs_in() {
    let Some(url) = database_url() else { return };
    let a = instance(&url, true).await;
    for path in ["/", "/history", "/s/abc", "/cohort"] {
        let (s, h, _) = get(&a.base, path, None).await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{path}");
        assert_eq!(h[LOCATION], "/login", "{path}");
    }
    let (s, h, body) = get(&a.base, "/login", None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        body.contains("<form method=\"post\" action=\"/login\">"),
        "{body}"
    );
    assert!(!body.contains("<script>"), "no inline script");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );

    // Sign up through the form, land on the home page logged in.
    let name = unique("form");
    let (s, h, _) = post_form(
        &a.base,
        "/signup",
        None,
        &[("username", &name), ("password", "correct horse battery")],
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[LOCATION], "/");
    let me = Login {
        name: name.clone(),
        cookie: cookie_of(&h),
    };
    let (s, _, body) = get(&a.base, "/", Some(&me)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("<form"), "the home page: {body}");
    // Logged in, every page leads to the cohort view and out.
    for path in ["/", "/history", "/cohort"] {
        let (s, _, body) = get(&a.base, path, Some(&me)).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(
            body.contains("<a href=\"/cohort\">Cohort</a><a href=\"/logout\">Log out</a></nav>"),
            "{path}: {body}"
        );
    }

    // A wrong password on the form: 401 and the form again with the reason, name kept.
    let (s, _, body) = post_form(
        &a.base,
        "/login",
        None,
        &[("username", &name), ("password", "not the password")],
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body.contains("wrong user name or password"), "{body}");
    assert!(body.contains(&format!("value=\"{name}\"")), "{body}");

    // Logging out through the form sends back to the login page; the cookie is dead.
    let (s, h, _) = post_form(&a.base, "/logout", Some(&me), &[]).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(h[LOCATION], "/login");
    let (s, _, _) = get(&a.base, "/", Some(&me)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

/// Every route that names a session, tried by a user who does not own it: nothing of the
/// owner's comes back, and the owner's interview is untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_session_is_not_found_on_every_endpoint() {
    let Some(url) = database_url() else { return };
    let a = instance(&url, true).await;
    let owner = signup(&a.base, &unique("owner")).await;
    let other = signup(&a.base, &unique("other")).await;
    let id = new_session(&a.base, &owner).await;
    let (s, r) = turn(
        &a.base,
        &owner,
        &id,
        "What peak volume should we plan for? Secret marker zebra-42.",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{r}");

    let reads = [
        format!("/api/sessions/{id}"),
        format!("/api/sessions/{id}/diagram.svg"),
        format!("/s/{id}"),
        format!("/s/{id}/panel"),
        format!("/s/{id}/scorecard"),
    ];
    for path in &reads {
        let (s, _, body) = get(&a.base, path, Some(&other)).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {body}");
        assert!(!body.contains("zebra-42"), "{path} leaked: {body}");
        // And without any login: 401 for the API, the login page for pages.
        let (s, _, _) = get(&a.base, path, None).await;
        let expected = if path.starts_with("/api/") {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::SEE_OTHER
        };
        assert_eq!(s, expected, "{path} without a login");
    }
    // The live feed: 404 for anyone else, as every other route; the owner, with nothing
    // waiting, gets an empty 204.
    let (s, _, body) = get(&a.base, &format!("/s/{id}/feed"), Some(&other)).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert!(!body.contains("zebra-42"), "the feed leaked: {body}");
    let (s, _, body) = get(&a.base, &format!("/s/{id}/feed"), Some(&owner)).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");
    assert!(body.is_empty());

    // Writes: a turn through the API and through the page's form.
    let (s, r) = turn(&a.base, &other, &id, "I take over this interview").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{r}");
    let (s, _, body) = post_form(
        &a.base,
        &format!("/s/{id}/say"),
        Some(&other),
        &[("text", "I take over this interview")],
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, _, _) = post(
        &a.base,
        &format!("/api/sessions/{id}/turns"),
        None,
        json!({"text": "anonymous"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Lists: the other user's are empty; the owner's has the session.
    let (s, _, body) = get(&a.base, "/api/sessions", Some(&other)).await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "[]"));
    let (s, _, body) = get(&a.base, "/history", Some(&other)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!body.contains(&id), "history leaked: {body}");
    let (_, _, body) = get(&a.base, "/api/progress", Some(&other)).await;
    assert!(!body.contains(&id), "progress leaked: {body}");
    let (s, _, body) = get(&a.base, "/api/cohort", Some(&other)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");

    // The owner's interview is as the owner left it: 3 turns, none from the other user.
    let (s, _, body) = get(&a.base, &format!("/api/sessions/{id}"), Some(&owner)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(body.contains("zebra-42"));
    assert!(!body.contains("take over"), "{body}");
    let (_, _, list) = get(&a.base, "/api/sessions", Some(&owner)).await;
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["turns"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changes_from_another_site_are_refused() {
    let Some(url) = database_url() else { return };
    let a = instance(&url, true).await;
    let me = signup(&a.base, &unique("csrf")).await;
    let body = json!({"scenario": "clickstream-analytics", "seed": 7});
    let send = |origin: Option<&'static str>, fetch_site: Option<&'static str>| {
        let mut req = client()
            .post(format!("{}/api/sessions", a.base))
            .header(COOKIE, &me.cookie)
            .json(&body);
        if let Some(o) = origin {
            req = req.header(ORIGIN, o);
        }
        if let Some(f) = fetch_site {
            req = req.header("sec-fetch-site", f);
        }
        req.send()
    };
    let res = send(Some("http://evil.example"), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(error_of(&res.text().await.unwrap()).contains("another site"));
    let res = send(None, Some("cross-site")).await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Nothing was created by the refused requests.
    let (_, _, list) = get(&a.base, "/api/sessions", Some(&me)).await;
    assert_eq!(list, "[]");
    // The login form itself cannot be posted from elsewhere.
    let res = client()
        .post(format!("{}/login", a.base))
        .header(ORIGIN, "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("username", me.name.as_str()),
            ("password", "correct horse battery"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // This server's own origin, and a script with no Origin at all, pass.
    let own: &'static str = Box::leak(format!("http://{}", a.addr).into_boxed_str());
    let res = send(Some(own), Some("same-origin")).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = send(None, None).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // Reads are never refused for their origin.
    let res = client()
        .get(format!("{}/api/sessions", a.base))
        .header(COOKIE, &me.cookie)
        .header(ORIGIN, "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

/// A session started on one instance continues on another against the same database, and the
/// first instance, whose worker still holds the interview, carries on from what the second
/// stored instead of overwriting it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interview_moves_between_two_instances_on_one_database() {
    let Some(url) = database_url() else { return };
    let a = instance(&url, true).await;
    let b = instance(&url, true).await;
    let me = signup(&a.base, &unique("mover")).await;
    let id = new_session(&a.base, &me).await;

    let (s, r) = turn(&a.base, &me, &id, "What peak volume should we plan for?").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    // The same cookie on B: B has no worker, rebuilds the interview from the stored events.
    let (s, r) = turn(&b.base, &me, &id, "How fresh must the dashboard be?").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["turns"][0]["text"], "How fresh must the dashboard be?");
    // From the engine state A stored with its last turn, not by replaying.
    assert_eq!(
        (b.team.rebuilds.restored(), b.team.rebuilds.replayed()),
        (1, 0)
    );
    // Back on A, whose worker is now behind: it must catch up, not reuse its old state.
    let (s, r) = turn(&a.base, &me, &id, "How long must we keep the raw events?").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (a.team.rebuilds.restored(), a.team.rebuilds.replayed()),
        (1, 0)
    );

    // Read on A: every turn from both instances, in order, none twice.
    let (s, _, body) = get(&a.base, &format!("/api/sessions/{id}"), Some(&me)).await;
    assert_eq!(s, StatusCode::OK);
    let export: Value = serde_json::from_str(&body).unwrap();
    let candidate: Vec<&str> = export["turns"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["speaker"] == "candidate")
        .map(|t| t["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        candidate,
        [
            "What peak volume should we plan for?",
            "How fresh must the dashboard be?",
            "How long must we keep the raw events?"
        ],
        "{body}"
    );
    let (_, _, list) = get(&b.base, "/api/sessions", Some(&me)).await;
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list[0]["turns"], 7, "greeting + 3 questions + 3 replies");

    // The interview's events are numbered without a gap or a duplicate.
    let stored = {
        let pg = a.team.pg.clone();
        let user = pg.user(&me.name).unwrap().unwrap();
        let id = id.clone();
        tokio::task::spawn_blocking(move || {
            use pipeprep_store::Store;
            pg.for_user(&user).load(&id).unwrap()
        })
        .await
        .unwrap()
    };
    let seqs: Vec<u64> = stored.events.iter().map(|e| e.0).collect();
    assert_eq!(seqs, [0, 1, 2, 3]);

    // B takes a design; the diagram A's worker draws shows it, not A's older copy.
    let (s, r) = turn(&b.base, &me, &id, "Kafka -> Flink (5s window) -> Redis").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, _, svg) = get(
        &a.base,
        &format!("/api/sessions/{id}/diagram.svg"),
        Some(&me),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(svg.contains("Flink"), "A's diagram is stale: {svg}");

    // A logout on B ends the login on A too.
    let (s, _, _) = post(&b.base, "/api/logout", Some(&me), json!({})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = get(&a.base, "/api/sessions", Some(&me)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// When the instance serving an interview dies, the next request goes to another one, which
/// rebuilds the interview from the store; the reply it gives is the one the dead instance
/// would have given. Two sessions with the same scenario and seed get the same answers on A;
/// the control's next answer is answered by A, then A is stopped and B answers the other's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interview_taken_over_after_its_instance_dies_replies_as_that_instance_would() {
    let Some(url) = database_url() else { return };
    let a = instance(&url, true).await;
    let b = instance(&url, true).await;
    let me = signup(&a.base, &unique("takeover")).await;
    let taken_over = new_session(&a.base, &me).await;
    let control = new_session(&a.base, &me).await;
    for text in [
        "What peak event rate should we plan for, and how fresh must the dashboard be?",
        "How long do we keep raw events, and what is the budget per month?",
        "Kafka -> Flink (5s tumbling window) -> Redis for the dashboard; Kafka -> S3 as Parquet -> Spark hourly -> Snowflake for reports.",
        "I chose Flink over Spark Structured Streaming because event-time windows with watermarks keep the 5 s SLA.",
    ] {
        let (s1, r1) = turn(&a.base, &me, &taken_over, text).await;
        let (s2, r2) = turn(&a.base, &me, &control, text).await;
        assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK), "{r1} {r2}");
        // Otherwise the comparison below would prove nothing.
        assert_eq!(r1, r2, "the two sessions differ before any takeover");
    }
    let next =
        "At 10x I'd add Kafka partitions keyed by user id and watch consumer lag for backpressure.";
    let (s, on_a) = turn(&a.base, &me, &control, next).await;
    assert_eq!(s, StatusCode::OK, "{on_a}");
    let a_base = a.base.clone();
    drop(a);
    assert!(
        client()
            .get(format!("{a_base}/api/me"))
            .send()
            .await
            .is_err(),
        "instance A still answers"
    );

    let (s, on_b) = turn(&b.base, &me, &taken_over, next).await;
    assert_eq!(s, StatusCode::OK, "{on_b}");
    assert_eq!(on_b, on_a, "B's reply after the takeover is not A's");
    // The rebuilt state carries on alike too: both interviews end with the same scorecard.
    let mut cards = Vec::new();
    for id in [&taken_over, &control] {
        let (s, r) = turn(&b.base, &me, id, "/end").await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["finished"], true, "{r}");
        let (s, _, body) = get(&b.base, &format!("/api/sessions/{id}"), Some(&me)).await;
        assert_eq!(s, StatusCode::OK);
        let export: Value = serde_json::from_str(&body).unwrap();
        cards.push(export["scorecard"].clone());
    }
    assert!(!cards[0].is_null(), "no scorecard in the export");
    assert_eq!(cards[0], cards[1]);
}

/// The instance that takes an interview over restores it from the engine state stored with its
/// last turn, without replaying its events, and replies as the dead instance would have. An
/// instance whose bank differs (here in a scenario this interview does not use) has another
/// fingerprint: it ignores that state and replays, with the same reply and the same scorecard.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_over_interview_is_restored_from_its_snapshot_and_replies_alike() {
    let Some(url) = database_url() else { return };
    let a = instance(&url, true).await;
    let b = instance(&url, true).await;
    let other_bank = {
        let mut bank = pipeprep_app::load_bank(None).unwrap();
        let s = bank
            .scenarios
            .iter_mut()
            .find(|s| s.id == "dedup-at-scale")
            .unwrap();
        s.prompt.push_str(" (edited)");
        pipeprep_app::knowledge(bank).unwrap()
    };
    let c = instance_with(&url, true, other_bank).await;
    let me = signup(&a.base, &unique("restore")).await;
    let to_b = new_session(&a.base, &me).await;
    let to_c = new_session(&a.base, &me).await;
    let control = new_session(&a.base, &me).await;
    for text in [
        "What peak event rate should we plan for, and how fresh must the dashboard be?",
        "/hint",
        "Kafka -> Flink (5s tumbling window) -> Redis for the dashboard; Kafka -> S3 as Parquet -> Spark hourly -> Snowflake for reports.",
    ] {
        let mut replies = Vec::new();
        for id in [&to_b, &to_c, &control] {
            let (s, r) = turn(&a.base, &me, id, text).await;
            assert_eq!(s, StatusCode::OK, "{r}");
            replies.push(r);
        }
        assert!(
            replies[0] == replies[1] && replies[1] == replies[2],
            "the sessions differ before any takeover: {replies:?}"
        );
    }
    let next = "I chose Flink over Spark Structured Streaming because event-time windows with watermarks keep the 5 s SLA.";
    let (s, on_a) = turn(&a.base, &me, &control, next).await;
    assert_eq!(s, StatusCode::OK, "{on_a}");
    drop(a);

    let (s, on_b) = turn(&b.base, &me, &to_b, next).await;
    assert_eq!(s, StatusCode::OK, "{on_b}");
    assert_eq!(on_b, on_a, "B's reply from the snapshot is not A's");
    assert_eq!(
        (b.team.rebuilds.restored(), b.team.rebuilds.replayed()),
        (1, 0),
        "B did not restore from the snapshot"
    );
    let (s, on_c) = turn(&c.base, &me, &to_c, next).await;
    assert_eq!(s, StatusCode::OK, "{on_c}");
    assert_eq!(on_c, on_a, "C's replayed reply is not A's");
    assert_eq!(
        (c.team.rebuilds.restored(), c.team.rebuilds.replayed()),
        (0, 1),
        "C used a snapshot made with another bank"
    );

    // Both carry on alike to the same scorecard.
    let mut cards = Vec::new();
    for (inst, id) in [(&b, &to_b), (&c, &to_c)] {
        let (s, r) = turn(&inst.base, &me, id, "/end").await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["finished"], true, "{r}");
        let (_, _, body) = get(&inst.base, &format!("/api/sessions/{id}"), Some(&me)).await;
        let export: Value = serde_json::from_str(&body).unwrap();
        cards.push(export["scorecard"].clone());
    }
    assert!(!cards[0].is_null(), "no scorecard in the export");
    assert_eq!(cards[0], cards[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instructor_sees_the_cohort_and_a_learner_only_themself() {
    let Some(url) = database_url() else { return };
    let a = instance(&url, true).await;
    let learner = signup(&a.base, &unique("learner")).await;
    let bystander = signup(&a.base, &unique("bystander")).await;
    let teacher_name = unique("teacher");
    let cohort = unique("c");
    {
        let pg = a.team.pg.clone();
        let (t, c, l) = (teacher_name.clone(), cohort.clone(), learner.name.clone());
        tokio::task::spawn_blocking(move || {
            let teacher = pg
                .create_user(&t, "correct horse battery", Role::Instructor, 1)
                .unwrap();
            pg.create_cohort(&teacher, &c, 1).unwrap();
            pg.add_to_cohort(&teacher, &c, &l).unwrap();
        })
        .await
        .unwrap();
    }
    let (s, h, _) = post(
        &a.base,
        "/api/login",
        None,
        json!({"username": teacher_name, "password": "correct horse battery"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let teacher = Login {
        name: teacher_name,
        cookie: cookie_of(&h),
    };

    // The learner finishes one interview; the bystander (not in the cohort) one too.
    for who in [&learner, &bystander] {
        let id = new_session(&a.base, who).await;
        let (s, r) = turn(
            &a.base,
            who,
            &id,
            "What peak volume do we expect, and what latency does the dashboard need?",
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        let (s, r) = turn(&a.base, who, &id, "/end").await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["finished"], true, "{r}");
    }

    let (s, _, body) = get(&a.base, "/api/cohort", Some(&teacher)).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let c = &v["cohorts"][0];
    assert_eq!(c["name"], cohort.as_str());
    let learners = c["learners"].as_array().unwrap();
    assert_eq!(learners.len(), 1, "only the cohort's learner: {body}");
    assert_eq!(learners[0]["username"], learner.name.as_str());
    assert_eq!(learners[0]["sessions_finished"], 1);
    let dims = learners[0]["dimensions"].as_object().unwrap();
    assert_eq!(dims.len(), 7);
    assert_eq!(dims["failure_modes"].as_array().unwrap().len(), 1);
    assert_eq!(c["weakest"].as_array().unwrap().len(), 7, "{body}");
    assert!(!body.contains(&bystander.name));

    let (s, _, body) = get(
        &a.base,
        &format!("/api/cohort?name={}", unique("none")),
        Some(&teacher),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");

    // The page: a table with one chart per dimension, made here.
    let (s, _, page) = get(&a.base, "/cohort", Some(&teacher)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains(&learner.name));
    assert!(page.contains("Weakest dimensions"));
    assert_eq!(page.matches("<svg class=\"spark\"").count(), 7, "{page}");
    assert!(!page.contains(&bystander.name));

    // The learner: 403 on the cohort, their own record on /api/progress and /cohort.
    let (s, _, body) = get(&a.base, "/api/cohort", Some(&learner)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, _, body) = get(&a.base, "/api/progress", Some(&learner)).await;
    assert_eq!(s, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["username"], learner.name.as_str());
    assert_eq!(v["sessions_finished"], 1);
    let (s, _, page) = get(&a.base, "/cohort", Some(&learner)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Your progress") && page.contains(&learner.name));
    assert!(!page.contains(&bystander.name));
}
