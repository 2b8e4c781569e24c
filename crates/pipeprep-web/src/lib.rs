//! `pipeprep serve`: the interview in a browser, on the same engine, store and voice as the
//! terminal.
//!
//! The server is a thin front end. Each live interview runs in its own thread through the app's
//! `LiveSession` (see [`worker`]), so a turn is committed before it is shown, exactly as in the
//! terminal, and a session started here can be resumed with `pipeprep resume` and the other way
//! round. Storage is reached only through the `Store` trait, opened by a function the caller
//! gives, so any store behind that trait serves the page.
//!
//! Everything the page needs is in the binary: HTML is rendered here, the stylesheet, htmx and
//! its SSE extension are embedded (see [`assets`]), and a strict Content-Security-Policy forbids
//! anything from elsewhere.

pub mod api;
pub mod assets;
pub mod bankpage;
pub mod cohort;
pub mod error;
pub mod html;
pub mod pages;
pub mod progress;
pub mod sim;
pub mod snapshot;
pub mod team;
pub mod worker;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use pipeprep_core::Knowledge;
use pipeprep_store::Store;

pub use error::ApiError;

/// Opens a connection to the sessions store. Each session thread and each read opens its own.
pub type OpenStore = Arc<dyn Fn() -> anyhow::Result<Box<dyn Store>> + Send + Sync>;

/// What every request shares.
pub struct Shared {
    pub knowledge: Arc<Knowledge>,
    pub open_store: OpenStore,
    /// The LLM that voices the interviewer, as in the terminal; `None` for the offline voice.
    pub llm: Option<pipeprep_app::llm::Selection>,
    pub workers: worker::Workers,
    /// How taken-over interviews were rebuilt (shared by every user's server in team mode).
    pub rebuilds: Arc<worker::Rebuilds>,
    /// A turn's updates waiting for the page's event stream to pick them up, by session id.
    pub feeds: std::sync::Mutex<std::collections::HashMap<String, Pending>>,
}

impl Shared {
    pub fn new(
        knowledge: Knowledge,
        open_store: OpenStore,
        llm: Option<pipeprep_app::llm::Selection>,
    ) -> Arc<Shared> {
        Shared::with_knowledge(Arc::new(knowledge), open_store, llm, Arc::default())
    }

    /// The same, sharing a knowledge base already built (multi-user mode makes one per user).
    pub fn with_knowledge(
        knowledge: Arc<Knowledge>,
        open_store: OpenStore,
        llm: Option<pipeprep_app::llm::Selection>,
        rebuilds: Arc<worker::Rebuilds>,
    ) -> Arc<Shared> {
        Arc::new(Shared {
            knowledge,
            open_store,
            llm,
            workers: worker::Workers::default(),
            rebuilds,
            feeds: Default::default(),
        })
    }
}

/// A turn whose updates the page has not picked up yet.
pub struct Pending {
    pub rx: tokio::sync::mpsc::UnboundedReceiver<worker::Update>,
    /// The greeting of a new session: the practice page streams it in instead of showing the
    /// stored copy.
    pub greeting: bool,
}

/// Nothing but this server: no other origin for scripts, styles, images, frames or requests.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The whole application: the JSON API, the pages and the embedded assets.
pub fn router(shared: Arc<Shared>) -> Router {
    let api = Router::new()
        .route(
            "/api/sessions",
            get(api::list_sessions).post(api::create_session),
        )
        .route("/api/sessions/{id}", get(api::get_session))
        .route("/api/sessions/{id}/turns", post(api::post_turn))
        .route("/api/sessions/{id}/diagram.svg", get(api::diagram))
        .fallback(api::not_found)
        .layer(axum::extract::DefaultBodyLimit::max(
            2 * api::MAX_ANSWER_BYTES,
        ));
    Router::new()
        .route("/", get(pages::home))
        .route("/s", post(pages::start))
        .route("/s/{id}", get(pages::practice))
        .route("/s/{id}/say", post(pages::say))
        .route("/s/{id}/feed", get(pages::feed))
        .route("/s/{id}/panel", get(pages::panel))
        .route("/s/{id}/scorecard", get(pages::scorecard))
        .route("/history", get(pages::history))
        .route("/progress", get(progress::progress))
        .route("/bank", get(bankpage::bank))
        .route("/scenarios/{id}/failure/{n}", get(sim::reference_page))
        .route("/assets/{name}", get(assets::serve))
        .merge(api)
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(api::json_errors))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(shared)
}

async fn security_headers(mut res: axum::response::Response) -> axum::response::Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    res
}

/// `requirements`, `deep_dive`, ... as the store and the API spell phases.
pub fn phase_id(p: pipeprep_core::Phase) -> String {
    serde_json::to_value(p)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// A session id as the store makes them; anything else cannot name a session.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Serves until Ctrl-C or SIGTERM, then stops taking requests, lets a turn in progress finish
/// (its answer is already stored; the reply is what remains) and returns.
pub async fn serve(
    shared: Arc<Shared>,
    listener: tokio::net::TcpListener,
    ready: impl FnOnce(SocketAddr),
) -> anyhow::Result<()> {
    let app = router(Arc::clone(&shared));
    serve_until_stopped(listener, app, ready, move || shared.workers.any_busy()).await
}

/// Announces the address with `ready`, serves `app` until Ctrl-C or SIGTERM, then stops taking
/// requests, gives open streams a few seconds and waits (up to 10 s) while `busy` says a turn is
/// still being answered. Shared by the single-user and the multi-user server.
pub(crate) async fn serve_until_stopped(
    listener: tokio::net::TcpListener,
    app: Router,
    ready: impl FnOnce(SocketAddr),
    busy: impl Fn() -> bool,
) -> anyhow::Result<()> {
    let addr = listener.local_addr()?;
    // Ctrl-C and SIGTERM are caught from before the address is announced: whoever reads the
    // banner and stops the server at once gets a clean stop, not the default death by signal.
    let stop_signals = StopSignals::install();
    ready(addr);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut stop = stop_rx.clone();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await
    });
    stop_signals.recv().await;
    eprintln!("pipeprep serve: stopping");
    let _ = stop_tx.send(true);
    // Streams still open (a page left listening) must not keep the process alive for long.
    let _ = tokio::time::timeout(Duration::from_secs(3), server).await;
    // A turn being answered finishes: its answer is stored, the reply is on its way.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while busy() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// Ctrl-C and SIGTERM, caught from the moment `install` returns (a handler registered only when
/// first awaited would leave a window in which the default action kills the process).
struct StopSignals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    /// Registers the handlers now. Must run inside the runtime.
    fn install() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            StopSignals {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            StopSignals {}
        }
    }

    /// Waits for the first of them.
    async fn recv(self) {
        #[cfg(unix)]
        {
            async fn one(s: Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = one(self.interrupt) => {},
                () = one(self.terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// What `pipeprep serve` prints once it listens.
pub fn banner(addr: SocketAddr) -> String {
    let url = format!("http://{addr}/");
    if addr.ip().is_loopback() {
        format!(
            "pipeprep is serving {url}\nloopback only: other machines cannot reach it. Stop with Ctrl-C; every answer is already saved."
        )
    } else {
        format!(
            "pipeprep is serving {url}\nwarning: {} is not a loopback address, so other machines on the network can reach this server, and it has no login. Stop with Ctrl-C; every answer is already saved.",
            addr.ip()
        )
    }
}

/// Runs the server on its own runtime until Ctrl-C or SIGTERM. `open` starts the desktop's
/// browser on the URL. A port that is taken or not allowed is bad input (exit code 2).
pub fn run_blocking(shared: Arc<Shared>, addr: SocketAddr, open: bool) -> anyhow::Result<()> {
    on_listener(addr, move |listener| async move {
        serve(shared, listener, |bound| {
            println!("{}", banner(bound));
            if open {
                open_browser(bound);
            }
        })
        .await
    })
}

/// Builds the servers' runtime, binds `addr` on it (a port that is taken or not allowed is bad
/// input, exit code 2) and runs `serve` on the listener until it returns.
pub(crate) fn on_listener<F, Fut>(addr: SocketAddr, serve: F) -> anyhow::Result<()>
where
    F: FnOnce(tokio::net::TcpListener) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
            pipeprep_app::bad(format!(
                "cannot listen on {addr}: {e} — pass --addr with a free port, e.g. --addr 127.0.0.1:7879"
            ))
        })?;
        serve(listener).await
    })
}

/// Starts the desktop's browser on the server's address (`--open`); a failure is a note only.
pub(crate) fn open_browser(bound: SocketAddr) {
    let url = format!("http://{bound}/");
    if let Err(e) = std::process::Command::new("xdg-open")
        .arg(&url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        eprintln!("note: could not open a browser ({e}); open {url} yourself");
    }
}
