//! Multi-user mode (`pipeprep serve --database-url`): accounts, login sessions, and every
//! interview scoped to the user who owns it, on a PostgreSQL database that several instances
//! share.
//!
//! How scoping works: a request is authenticated here from its session cookie, then handed to a
//! router built for that user alone — the same router as the single-user server, over a
//! [`Shared`] whose store is `PgStore::for_user(user)` and whose live workers and pending feeds
//! belong to that user only. So no handler of the single-user server needs to know about users,
//! another user's session id reads as "not found" in every query, and user B's requests can never
//! reach a worker of user A: B's router does not hold A's workers at all.
//!
//! What an instance keeps in memory is only a cache: the per-user routers and the live interview
//! engines. A login lives in the database (only the token's hash), failed logins are counted in
//! the database, and a worker whose next event the store refuses (another instance moved the
//! interview on) rebuilds the interview from the stored events and answers again, so any
//! instance can serve any request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Form, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use pipeprep_core::Knowledge;
use pipeprep_store::{PgStore, Role, Store, StoreError, User};
use serde::Deserialize;
use serde_json::json;
use tower::ServiceExt;

use crate::html::{esc, page};
use crate::{OpenStore, Shared};

/// The cookie that carries the login token.
pub const COOKIE: &str = "pipeprep_session";
/// How long a login lasts.
pub const LOGIN_TTL: Duration = Duration::from_secs(14 * 24 * 3600);
/// The window in which failed logins are counted.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failed logins for one user name within the window before more attempts are refused.
pub const MAX_FAILURES_PER_USER: u32 = 10;
/// Failed logins from one client address within the window before more attempts are refused.
pub const MAX_FAILURES_PER_ADDR: u32 = 50;

/// The multi-user server: the team database and a cache of each logged-in user's router.
pub struct Team {
    pub pg: PgStore,
    pub knowledge: Arc<Knowledge>,
    pub llm: Option<pipeprep_app::llm::Selection>,
    /// False with `--no-signup`: accounts come from `pipeprep users add` only.
    pub signup_open: bool,
    users: Mutex<HashMap<i64, (Arc<Shared>, Router)>>,
    /// How this instance rebuilt the interviews it took over from the store.
    pub rebuilds: Arc<crate::worker::Rebuilds>,
    /// Password hashing (Argon2id, 19 MiB and tens of milliseconds each) a few at a time, so a
    /// burst of logins cannot take all the memory and cores.
    hashing: tokio::sync::Semaphore,
}

/// Logins and sign-ups hashing a password at the same time, per instance.
const HASHING_AT_ONCE: usize = 4;

impl Team {
    pub fn new(
        pg: PgStore,
        knowledge: Arc<Knowledge>,
        llm: Option<pipeprep_app::llm::Selection>,
        signup_open: bool,
    ) -> Arc<Team> {
        Arc::new(Team {
            pg,
            knowledge,
            llm,
            signup_open,
            users: Mutex::default(),
            rebuilds: Arc::default(),
            hashing: tokio::sync::Semaphore::new(HASHING_AT_ONCE),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (Arc<Shared>, Router)>> {
        self.users.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The router of one user: the single-user server over that user's sessions only.
    fn router_for(&self, user: &User) -> Router {
        let mut users = self.lock();
        if let Some((_, r)) = users.get(&user.id) {
            return r.clone();
        }
        let scoped = self.pg.for_user(user);
        let open_store: OpenStore =
            Arc::new(move || Ok(Box::new(scoped.clone()) as Box<dyn Store>));
        let shared = Shared::with_knowledge(
            Arc::clone(&self.knowledge),
            open_store,
            self.llm.clone(),
            Arc::clone(&self.rebuilds),
        );
        let router = crate::router(Arc::clone(&shared));
        users.insert(user.id, (shared, router.clone()));
        router
    }

    /// True while some user's worker is answering a turn.
    pub fn any_busy(&self) -> bool {
        self.lock().values().any(|(s, _)| s.workers.any_busy())
    }
}

/// The multi-user application: accounts, the cohort view, and everything else of the
/// single-user server behind a login.
pub fn router(team: Arc<Team>) -> Router {
    Router::new()
        .route("/api/signup", post(api_signup))
        .route("/api/login", post(api_login))
        .route("/api/logout", post(api_logout))
        .route("/api/me", get(api_me))
        .route("/api/cohort", get(crate::cohort::api_cohort))
        .route("/api/progress", get(crate::cohort::api_progress))
        .route(
            "/cohort",
            get(crate::cohort::page).layer(axum::middleware::map_response(account_links)),
        )
        .route("/login", get(login_page).post(login_form))
        .route("/signup", get(signup_page).post(signup_form))
        .route("/logout", get(logout_page).post(logout_form))
        .route("/assets/{name}", get(crate::assets::serve))
        .fallback(scoped)
        .layer(axum::middleware::from_fn(same_origin_only))
        .layer(axum::middleware::from_fn(crate::api::json_errors))
        .layer(axum::middleware::map_response(crate::security_headers))
        .with_state(team)
}

/// The end of the pages' main navigation (see [`crate::html::page`]).
const NAV_END: &str = "</nav></header>";
/// What multi-user pages add to it: the cohort view and a way out.
const ACCOUNT_LINKS: &str = "<a href=\"/cohort\">Cohort</a><a href=\"/logout\">Log out</a>";
/// The largest page the links are added to; every page pipeprep renders is far smaller.
const MAX_PAGE: usize = 8 * 1024 * 1024;

/// Adds the cohort and logout links to the navigation of a logged-in user's HTML pages. The
/// pages are the single-user server's, which has neither; streams and other content pass
/// untouched.
async fn account_links(res: Response) -> Response {
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_PAGE).await {
        Ok(b) => b,
        Err(e) => return internal(format!("reading a page: {e}")),
    };
    let page = String::from_utf8_lossy(&bytes);
    if !page.contains(NAV_END) {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let page = page.replacen(NAV_END, &format!("{ACCOUNT_LINKS}{NAV_END}"), 1);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(page))
}

/// `{"error": "…"}` with a status.
pub fn json_error(status: StatusCode, msg: impl Into<String>) -> Response {
    (status, axum::Json(json!({ "error": msg.into() }))).into_response()
}

fn internal(detail: impl std::fmt::Display) -> Response {
    crate::ApiError::internal(detail).into_response()
}

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(store_error(e)),
        Err(e) => Err(internal(format!("store task: {e}"))),
    }
}

/// A store error as an answer: what the user can fix keeps its message, the rest is internal.
fn store_error(e: StoreError) -> Response {
    match e {
        StoreError::Invalid(m) => json_error(StatusCode::BAD_REQUEST, m),
        StoreError::UserExists(_) => json_error(StatusCode::CONFLICT, e.to_string()),
        other => internal(other),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The login token from the request's cookies, if it has one of the right shape.
pub fn token_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The logged-in user, if the request carries a live login.
pub async fn current_user(team: &Team, headers: &HeaderMap) -> Result<Option<User>, Response> {
    let Some(token) = token_of(headers) else {
        return Ok(None);
    };
    team.pg
        .user_for_token_async(token, now_ms())
        .await
        .map_err(store_error)
}

/// Whether the request reached us over TLS (directly or through a proxy that says so).
fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').next().unwrap_or("").trim() == "https")
}

fn set_cookie(headers: &HeaderMap, token: &str, max_age: u64) -> HeaderValue {
    let secure = if over_tls(headers) { "; Secure" } else { "" };
    let v = format!("{COOKIE}={token}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// Everything but the account routes needs a login; then the user's own router answers.
async fn scoped(State(team): State<Arc<Team>>, req: Request) -> Response {
    let path = req.uri().path();
    let api = path == "/api" || path.starts_with("/api/");
    let user = match current_user(&team, req.headers()).await {
        Ok(Some(u)) => u,
        Ok(None) if api => {
            return json_error(
                StatusCode::UNAUTHORIZED,
                "log in first — POST /api/login with {\"username\", \"password\"}",
            );
        }
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(r) => return r,
    };
    let router = team.router_for(&user);
    match router.oneshot(req).await {
        Ok(r) => account_links(r).await,
        Err(never) => match never {},
    }
}

/// Refuses a state-changing request that another site made the browser send: its `Origin` is
/// not this server, or the browser says `Sec-Fetch-Site: cross-site`. Requests with neither
/// header (curl, scripts) pass: a browser always sends one of them on a cross-site POST.
async fn same_origin_only(req: Request, next: axum::middleware::Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if let Err(why) = check_origin(req.headers()) {
        return json_error(StatusCode::FORBIDDEN, why);
    }
    next.run(req).await
}

/// `Ok` when the request may change state; the message says why not.
pub fn check_origin(headers: &HeaderMap) -> Result<(), String> {
    let refused = || {
        "this request came from another site, so it was refused — use pipeprep's own pages, or send it without an Origin header from a script".to_string()
    };
    if headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"))
    {
        return Err(refused());
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().map_err(|_| refused())?;
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(refused)?;
    // `scheme://host[:port]`: the part after the scheme must be the Host we were asked for.
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .ok_or_else(refused)?;
    if authority.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err(refused())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    username: String,
    password: String,
}

fn credentials(body: &[u8]) -> Result<Credentials, crate::ApiError> {
    serde_json::from_slice(body).map_err(|_| {
        crate::ApiError::BadRequest("send JSON {\"username\": \"…\", \"password\": \"…\"}".into())
    })
}

/// Why an account request did not log anyone in.
enum Refusal {
    /// An answer as it is (a 400, 409, 500 …).
    Answer(Response),
    Wrong,
    TooMany {
        retry_after_s: u64,
    },
    SignupClosed,
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::Answer(r) => r.status(),
            Refusal::Wrong => StatusCode::UNAUTHORIZED,
            Refusal::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            Refusal::SignupClosed => StatusCode::FORBIDDEN,
        }
    }

    fn message(&self) -> String {
        match self {
            Refusal::Answer(_) => String::new(),
            Refusal::Wrong => "wrong user name or password".into(),
            Refusal::TooMany { retry_after_s } => match retry_after_s.div_ceil(60) {
                0 | 1 => "too many failed logins — wait a minute and try again".into(),
                m => format!("too many failed logins — wait {m} minutes and try again"),
            },
            Refusal::SignupClosed => "signup is closed on this server — ask the admin to create your account with `pipeprep users add NAME`".into(),
        }
    }

    fn into_json(self) -> Response {
        match self {
            Refusal::Answer(r) => r,
            Refusal::TooMany { retry_after_s } => {
                let msg = self.message();
                let mut r = json_error(StatusCode::TOO_MANY_REQUESTS, msg);
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
                r
            }
            other => json_error(other.status(), other.message()),
        }
    }
}

fn client_addr(req_ext: Option<&ConnectInfo<SocketAddr>>) -> Option<String> {
    req_ext.map(|c| c.0.ip().to_string())
}

/// Checks a login, counting failures per user name and per client address in the database
/// (so every instance sees them) and refusing attempts over the limit.
async fn login(
    team: &Team,
    username: String,
    password: String,
    addr: Option<String>,
) -> Result<(User, String), Refusal> {
    let Ok(_permit) = team.hashing.acquire().await else {
        return Err(Refusal::Answer(internal("the hashing semaphore is closed")));
    };
    let pg = team.pg.clone();
    let out = tokio::task::spawn_blocking(
        move || -> Result<Result<(User, String), Refusal>, StoreError> {
            let now = now_ms();
            let user_key = format!("user:{}", username.to_lowercase());
            let addr_key = addr.map(|a| format!("addr:{a}"));
            // A key over its limit waits until its window closes; with both over, the later.
            let mut wait = Duration::ZERO;
            let (failures, left) = pg.login_window(&user_key, now, FAILURE_WINDOW)?;
            if failures >= MAX_FAILURES_PER_USER {
                wait = wait.max(left);
            }
            if let Some(k) = &addr_key {
                let (failures, left) = pg.login_window(k, now, FAILURE_WINDOW)?;
                if failures >= MAX_FAILURES_PER_ADDR {
                    wait = wait.max(left);
                }
            }
            if !wait.is_zero() {
                return Ok(Err(Refusal::TooMany {
                    // Whole seconds, rounded up, so a client that waits that long gets in.
                    retry_after_s: wait.as_millis().div_ceil(1000).max(1) as u64,
                }));
            }
            match pg.check_login(&username, &password)? {
                Some(user) => {
                    pg.clear_login_failures(&user_key)?;
                    let token = pg.issue_token(&user, now, LOGIN_TTL)?;
                    Ok(Ok((user, token)))
                }
                None => {
                    pg.note_login_failure(&user_key, now, FAILURE_WINDOW)?;
                    if let Some(k) = &addr_key {
                        pg.note_login_failure(k, now, FAILURE_WINDOW)?;
                    }
                    Ok(Err(Refusal::Wrong))
                }
            }
        },
    )
    .await;
    match out {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => Err(Refusal::Answer(store_error(e))),
        Err(e) => Err(Refusal::Answer(internal(format!("login task: {e}")))),
    }
}

/// Creates a learner's account and logs it in.
async fn signup(
    team: &Team,
    username: String,
    password: String,
) -> Result<(User, String), Refusal> {
    if !team.signup_open {
        return Err(Refusal::SignupClosed);
    }
    let Ok(_permit) = team.hashing.acquire().await else {
        return Err(Refusal::Answer(internal("the hashing semaphore is closed")));
    };
    let pg = team.pg.clone();
    let out = blocking(move || {
        let now = now_ms();
        let user = pg.create_user(&username, &password, Role::Learner, now)?;
        let token = pg.issue_token(&user, now, LOGIN_TTL)?;
        Ok((user, token))
    })
    .await;
    out.map_err(Refusal::Answer)
}

fn logged_in(status: StatusCode, headers: &HeaderMap, user: &User, token: &str) -> Response {
    let mut r = (
        status,
        axum::Json(json!({ "username": user.username, "role": user.role.as_str() })),
    )
        .into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(headers, token, LOGIN_TTL.as_secs()),
    );
    r
}

/// `POST /api/signup` `{"username", "password"}` → 201 and the login cookie.
async fn api_signup(State(team): State<Arc<Team>>, headers: HeaderMap, body: Bytes) -> Response {
    let c = match credentials(&body) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    match signup(&team, c.username, c.password).await {
        Ok((user, token)) => logged_in(StatusCode::CREATED, &headers, &user, &token),
        Err(r) => r.into_json(),
    }
}

/// `POST /api/login` `{"username", "password"}` → 200 and the login cookie.
async fn api_login(
    State(team): State<Arc<Team>>,
    conn: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let c = match credentials(&body) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let addr = client_addr(conn.as_ref().map(|c| &c.0));
    match login(&team, c.username, c.password, addr).await {
        Ok((user, token)) => logged_in(StatusCode::OK, &headers, &user, &token),
        Err(r) => r.into_json(),
    }
}

/// Revokes the login the request carries and clears the cookie.
async fn logout(team: &Team, headers: &HeaderMap) -> Result<HeaderValue, Response> {
    if let Some(token) = token_of(headers) {
        let pg = team.pg.clone();
        blocking(move || pg.revoke_token(&token)).await?;
    }
    Ok(set_cookie(headers, "", 0))
}

/// `POST /api/logout` → 200; the token no longer logs anyone in, on any instance.
async fn api_logout(State(team): State<Arc<Team>>, headers: HeaderMap) -> Response {
    match logout(&team, &headers).await {
        Ok(cookie) => {
            let mut r = axum::Json(json!({ "logged_out": true })).into_response();
            r.headers_mut().insert(header::SET_COOKIE, cookie);
            r
        }
        Err(r) => r,
    }
}

/// `GET /api/me` → `{"username", "role"}` of the logged-in user, or 401.
async fn api_me(State(team): State<Arc<Team>>, headers: HeaderMap) -> Response {
    match current_user(&team, &headers).await {
        Ok(Some(u)) => {
            axum::Json(json!({ "username": u.username, "role": u.role.as_str() })).into_response()
        }
        Ok(None) => json_error(StatusCode::UNAUTHORIZED, "not logged in"),
        Err(r) => r,
    }
}

// ----- the pages -----

#[derive(Deserialize)]
struct CredentialsForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

fn account_page(signup: bool, signup_open: bool, name: &str, error: Option<&str>) -> String {
    let (title, action, button, other) = if signup {
        (
            "Sign up",
            "/signup",
            "Create account",
            "<p>Have an account? <a href=\"/login\">Log in</a></p>".to_string(),
        )
    } else {
        (
            "Log in",
            "/login",
            "Log in",
            if signup_open {
                "<p>New here? <a href=\"/signup\">Create an account</a></p>".to_string()
            } else {
                "<p>Accounts on this server are created by its admin.</p>".to_string()
            },
        )
    };
    let alert = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", esc(e)))
        .unwrap_or_default();
    let password_hint = if signup {
        "<small>At least 8 characters.</small>"
    } else {
        ""
    };
    let body = format!(
        "<section class=\"card\"><h1>{title}</h1>{alert}\
<form method=\"post\" action=\"{action}\">\
<p><label for=\"username\">User name</label><br><input id=\"username\" name=\"username\" autocomplete=\"username\" required maxlength=\"64\" value=\"{}\"></p>\
<p><label for=\"password\">Password</label><br><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"{}\" required> {password_hint}</p>\
<p><button type=\"submit\">{button}</button></p></form>{other}</section>",
        esc(name),
        if signup {
            "new-password"
        } else {
            "current-password"
        },
    );
    page(title, &body)
}

async fn login_page(State(team): State<Arc<Team>>) -> Response {
    Html(account_page(false, team.signup_open, "", None)).into_response()
}

async fn signup_page(State(team): State<Arc<Team>>) -> Response {
    if !team.signup_open {
        return (
            StatusCode::FORBIDDEN,
            Html(account_page(
                false,
                false,
                "",
                Some(&Refusal::SignupClosed.message()),
            )),
        )
            .into_response();
    }
    Html(account_page(true, true, "", None)).into_response()
}

/// The page answer to a refused login or signup: the form again, with the reason.
fn refused_page(team: &Team, signup: bool, name: &str, r: Refusal) -> Response {
    let status = r.status();
    let msg = match &r {
        Refusal::Answer(_) if status.is_server_error() => crate::error::INTERNAL.to_string(),
        Refusal::Answer(_) => String::new(),
        other => other.message(),
    };
    let msg = if msg.is_empty() {
        // A 400 or 409 from the store: its JSON message is the reason.
        match r {
            Refusal::Answer(resp) => return answer_as_page(team, signup, name, resp),
            _ => String::new(),
        }
    } else {
        msg
    };
    let mut out = (
        status,
        Html(account_page(signup, team.signup_open, name, Some(&msg))),
    )
        .into_response();
    if let Refusal::TooMany { retry_after_s } = r {
        out.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
    }
    out
}

/// Shows a JSON error answer's message on the form.
fn answer_as_page(team: &Team, signup: bool, name: &str, resp: Response) -> Response {
    let status = resp.status();
    let msg = match status {
        StatusCode::CONFLICT => format!("the user name `{name}` is taken — choose another"),
        StatusCode::BAD_REQUEST => match pipeprep_store::check_username(name) {
            Err(e) => e.to_string(),
            Ok(()) => "the password is not allowed — use 8 to 1024 bytes, at least 8 characters"
                .to_string(),
        },
        _ => crate::error::INTERNAL.to_string(),
    };
    (
        status,
        Html(account_page(signup, team.signup_open, name, Some(&msg))),
    )
        .into_response()
}

fn redirect_with_cookie(headers: &HeaderMap, token: &str) -> Response {
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(headers, token, LOGIN_TTL.as_secs()),
    );
    r
}

async fn login_form(
    State(team): State<Arc<Team>>,
    conn: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    Form(f): Form<CredentialsForm>,
) -> Response {
    let addr = client_addr(conn.as_ref().map(|c| &c.0));
    let name = f.username.clone();
    match login(&team, f.username, f.password, addr).await {
        Ok((_, token)) => redirect_with_cookie(&headers, &token),
        Err(r) => refused_page(&team, false, &name, r),
    }
}

async fn signup_form(
    State(team): State<Arc<Team>>,
    headers: HeaderMap,
    Form(f): Form<CredentialsForm>,
) -> Response {
    let name = f.username.clone();
    match signup(&team, f.username, f.password).await {
        Ok((_, token)) => redirect_with_cookie(&headers, &token),
        Err(r) => refused_page(&team, true, &name, r),
    }
}

/// `GET /logout`: a button, since logging out changes state and so is a POST.
async fn logout_page() -> Response {
    Html(page(
        "Log out",
        "<section class=\"card\"><h1>Log out</h1><form method=\"post\" action=\"/logout\"><p><button type=\"submit\">Log out</button></p></form><p><a href=\"/\">Back to the interviews</a> · <a href=\"/cohort\">Progress</a></p></section>",
    ))
    .into_response()
}

async fn logout_form(State(team): State<Arc<Team>>, headers: HeaderMap) -> Response {
    match logout(&team, &headers).await {
        Ok(cookie) => {
            let mut r = Redirect::to("/login").into_response();
            r.headers_mut().insert(header::SET_COOKIE, cookie);
            r
        }
        Err(r) => r,
    }
}

// ----- running it -----

/// What `pipeprep serve --database-url` prints once it listens.
pub fn banner(addr: SocketAddr, database: &str, signup_open: bool) -> String {
    format!(
        "pipeprep is serving http://{addr}/ in multi-user mode\ndatabase: {database}\nsignup: {}. Stop with Ctrl-C; every answer is already saved.",
        if signup_open {
            "open (anyone who reaches this server can create an account; --no-signup closes it)"
        } else {
            "closed (create accounts with `pipeprep users add NAME`)"
        }
    )
}

/// Serves the multi-user app until Ctrl-C or SIGTERM, then lets turns in progress finish.
pub async fn serve(
    team: Arc<Team>,
    listener: tokio::net::TcpListener,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let app = router(Arc::clone(&team));
    crate::serve_until_stopped(listener, app, ready, move || team.any_busy()).await
}

/// Runs the multi-user server on its own runtime until Ctrl-C or SIGTERM. `open` starts the
/// desktop's browser on the URL (its login page), as in single-user mode.
pub fn run_blocking(team: Arc<Team>, addr: SocketAddr, open: bool) -> anyhow::Result<()> {
    crate::on_listener(addr, move |listener| async move {
        let database = team.pg.shown().to_string();
        let signup_open = team.signup_open;
        serve(team, listener, |bound| {
            println!("{}", banner(bound, &database, signup_open));
            if open {
                crate::open_browser(bound);
            }
        })
        .await
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn same_origin_and_header_less_requests_pass_cross_site_ones_do_not() {
        assert!(check_origin(&headers(&[("host", "127.0.0.1:7878")])).is_ok());
        assert!(
            check_origin(&headers(&[
                ("host", "127.0.0.1:7878"),
                ("origin", "http://127.0.0.1:7878")
            ]))
            .is_ok()
        );
        assert!(
            check_origin(&headers(&[
                ("host", "127.0.0.1:7878"),
                ("origin", "http://evil.example")
            ]))
            .is_err()
        );
        assert!(
            check_origin(&headers(&[
                ("host", "127.0.0.1:7878"),
                ("origin", "http://127.0.0.1:7878.evil.example")
            ]))
            .is_err()
        );
        assert!(check_origin(&headers(&[("host", "a"), ("origin", "null")])).is_err());
        assert!(check_origin(&headers(&[("sec-fetch-site", "cross-site")])).is_err());
        assert!(check_origin(&headers(&[("sec-fetch-site", "same-origin")])).is_ok());
    }

    #[test]
    fn only_a_well_formed_token_is_read_from_the_cookies() {
        let t = "ab".repeat(32);
        let h = headers(&[("cookie", &format!("x=1; {COOKIE}={t}; y=2"))]);
        assert_eq!(token_of(&h), Some(t));
        let h = headers(&[("cookie", &format!("{COOKIE}=../etc"))]);
        assert_eq!(token_of(&h), None);
        assert_eq!(token_of(&HeaderMap::new()), None);
    }

    #[test]
    fn the_cookie_is_http_only_and_secure_only_behind_tls() {
        let plain = set_cookie(&HeaderMap::new(), "t", 10);
        let plain = plain.to_str().unwrap();
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax"));
        assert!(plain.contains("Path=/") && !plain.contains("Secure"));
        let tls = set_cookie(&headers(&[("x-forwarded-proto", "https")]), "t", 10);
        assert!(tls.to_str().unwrap().ends_with("; Secure"));
    }
}
