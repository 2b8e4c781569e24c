//! Load on the multi-user server: two pipeprep instances (separate processes) on one PostgreSQL,
//! and N simulated candidates, each signed up and taken through a whole interview (a session,
//! scripted answers, `/end`), all at the same time. It reports turns per second, the latency of
//! a turn as the client sees it on loopback (p50, p99, max), errors, and turns lost: every
//! answer the server acknowledged is looked for in the database afterwards.
//!
//! With `--kill`, instance A is killed (SIGKILL) when about half the answers are in; its
//! candidates' next requests go to instance B, as a load balancer would send them, and carry on.
//! A request cut by the kill is not acknowledged; the candidate checks whether it was stored
//! before sending it again, as the page does when the stream breaks.
//!
//! ```text
//! cargo run --release -p pipeprep-web --example teams_load -- [--n 1000] [--answers 8]
//!     [--think-ms 3000] [--ramp-ms MS] [--kill] [--database-url URL]
//! ```
//!
//! Without `--database-url` it starts a throwaway cluster with `scripts/pg-test-cluster` and
//! removes it at the end. This is a benchmark to run by hand, not a test: its figures depend on
//! the machine and on what else runs on it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pipeprep_store::{PgStore, Store};
use serde_json::{Value, json};

/// The scripted candidate's ten answers, one per line (the same script for the replay, rebuild,
/// API and load measurements).
static ANSWERS: std::sync::LazyLock<Vec<&str>> = std::sync::LazyLock::new(|| {
    include_str!("../../pipeprep-core/examples/clickstream-answers.txt")
        .lines()
        .collect()
});

struct Opts {
    n: usize,
    answers: usize,
    think_ms: u64,
    /// Candidates start spread over this many milliseconds (default: one think time).
    ramp_ms: Option<u64>,
    kill: bool,
    database_url: Option<String>,
}

fn opts() -> Result<Opts, String> {
    let mut o = Opts {
        n: 1000,
        answers: 8,
        think_ms: 3000,
        ramp_ms: None,
        kill: false,
        database_url: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match a.as_str() {
            "--n" => o.n = value("--n")?.parse().map_err(|_| "--n takes a number")?,
            "--answers" => {
                o.answers = value("--answers")?
                    .parse()
                    .map_err(|_| "--answers takes a number")?;
            }
            "--think-ms" => {
                o.think_ms = value("--think-ms")?
                    .parse()
                    .map_err(|_| "--think-ms takes a number")?;
            }
            "--ramp-ms" => {
                o.ramp_ms = Some(
                    value("--ramp-ms")?
                        .parse()
                        .map_err(|_| "--ramp-ms takes a number")?,
                );
            }
            "--kill" => o.kill = true,
            "--database-url" => o.database_url = Some(value("--database-url")?),
            other => {
                return Err(format!(
                    "unknown argument `{other}` — use --n N, --answers N, --think-ms MS, --ramp-ms MS, --kill, --database-url URL"
                ));
            }
        }
    }
    Ok(o)
}

fn main() {
    let mut args = std::env::args().skip(1);
    // The child processes: one pipeprep instance each.
    if args.next().as_deref() == Some("--instance") {
        let url = args.next().unwrap_or_default();
        if let Err(e) = instance(&url) {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
        return;
    }
    let o = match opts() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    if let Err(e) = drive(o) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// One instance: the same server `pipeprep serve --database-url` runs, on a free loopback port.
fn instance(url: &str) -> anyhow::Result<()> {
    let pg = PgStore::open(url)?;
    let bank = pipeprep_app::load_bank(None)?;
    let knowledge = pipeprep_app::knowledge(bank)?;
    let team = pipeprep_web::team::Team::new(pg, Arc::new(knowledge), None, true);
    pipeprep_web::team::run_blocking(team, "127.0.0.1:0".parse()?, false)
}

/// A throwaway cluster from scripts/pg-test-cluster, stopped when dropped.
struct Cluster {
    dir: String,
    script: std::path::PathBuf,
}

impl Cluster {
    /// The postmaster's pid, from the first line of `postmaster.pid`.
    fn postmaster(&self) -> Option<u32> {
        std::fs::read_to_string(format!("{}/data/postmaster.pid", self.dir))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(&self.script)
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

fn start_cluster() -> Result<(Cluster, String), String> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-test-cluster");
    let out = Command::new(&script)
        .arg("start")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "scripts/pg-test-cluster start failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let var = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("export {name}=")))
            .map(|v| v.trim_matches('\'').to_string())
            .ok_or_else(|| format!("scripts/pg-test-cluster did not print {name}"))
    };
    let dir = var("PIPEPREP_TEST_PG_DIR")?;
    let url = var("PIPEPREP_TEST_DATABASE_URL")?;
    Ok((Cluster { dir, script }, url))
}

struct Server {
    child: Child,
    base: String,
    /// Kept open: the instance writes its banner's later lines after the one read here, and a
    /// closed pipe would make that write fail.
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_instance(url: &str) -> Result<Server, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg("--instance")
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start an instance: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut first = String::new();
    let mut stdout = BufReader::new(stdout);
    stdout.read_line(&mut first).map_err(|e| e.to_string())?;
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or_else(|| format!("the instance did not say where it listens: {first}"))?
        .trim_end_matches('/')
        .to_string();
    Ok(Server {
        child,
        base,
        _stdout: stdout,
    })
}

#[derive(Default)]
struct Stats {
    /// Turn latencies in microseconds (answers and `/end`, acknowledged ones).
    latencies: Mutex<Vec<u64>>,
    /// The same for `/end` alone: it grades the whole interview, so it costs more than a turn.
    end_latencies: Mutex<Vec<u64>>,
    /// With `--kill`: the first turn each of A's candidates sends after A died, which B answers
    /// by rebuilding the interview from the store (the takeover's own cost).
    moved_latencies: Mutex<Vec<u64>>,
    acked: AtomicU64,
    errors: AtomicU64,
    /// Requests cut by the kill and taken over by the other instance.
    failovers: AtomicU64,
    /// (user, session, candidate text) of every acknowledged answer.
    acked_turns: Mutex<Vec<(String, String, String)>>,
    finished: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Stats {
    fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().unwrap_or_else(|e| e.into_inner());
        if first.is_none() {
            *first = Some(what);
        }
    }
}

struct Ctx {
    bases: [String; 2],
    /// Instance A was killed: everyone goes to B.
    a_dead: AtomicBool,
    client: reqwest::Client,
    stats: Stats,
    think: Duration,
    ramp: Duration,
}

impl Ctx {
    fn base(&self, home: usize) -> &str {
        if self.a_dead.load(Ordering::Relaxed) {
            &self.bases[1]
        } else {
            &self.bases[home]
        }
    }
}

/// Posts JSON to the candidate's instance; a connection that fails because its instance is gone
/// goes to the other one.
async fn post(
    ctx: &Ctx,
    home: usize,
    path: &str,
    cookie: Option<&str>,
    body: &Value,
) -> Result<(u16, Value), reqwest::Error> {
    let mut req = ctx
        .client
        .post(format!("{}{path}", ctx.base(home)))
        .json(body);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    let res = req.send().await?;
    let status = res.status().as_u16();
    let headers_cookie = res
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_string());
    let mut v: Value = res.json().await.unwrap_or(Value::Null);
    if let Some(c) = headers_cookie {
        v["__cookie"] = Value::String(c);
    }
    Ok((status, v))
}

/// The session's candidate turns as stored, read through any live instance.
async fn stored_candidate_turns(ctx: &Ctx, cookie: &str, id: &str) -> Option<Vec<String>> {
    let res = ctx
        .client
        .get(format!("{}/api/sessions/{id}", ctx.bases[1]))
        .header("cookie", cookie)
        .send()
        .await
        .ok()?;
    let v: Value = res.json().await.ok()?;
    Some(
        v["turns"]
            .as_array()?
            .iter()
            .filter(|t| t["speaker"] == "candidate")
            .filter_map(|t| t["text"].as_str().map(str::to_string))
            .collect(),
    )
}

/// Signs candidate `i` up on its instance; returns its name and login cookie.
async fn sign_up(ctx: Arc<Ctx>, i: usize, run: String) -> Option<(String, String)> {
    let home = i % 2;
    let name = format!("load-{run}-{i}");
    let creds = json!({"username": name, "password": "load test password"});
    let cookie = match post(&ctx, home, "/api/signup", None, &creds).await {
        Ok((201, v)) => v["__cookie"].as_str().unwrap_or_default().to_string(),
        Ok((s, v)) => {
            ctx.stats.error(format!("signup: {s} {v}"));
            return None;
        }
        Err(_) => {
            // Cut by the kill: the account may or may not exist; B says which.
            ctx.stats.failovers.fetch_add(1, Ordering::Relaxed);
            let again = match post(&ctx, 1, "/api/signup", None, &creds).await {
                Ok((409, _)) => post(&ctx, 1, "/api/login", None, &creds).await,
                other => other,
            };
            match again {
                Ok((200 | 201, v)) => v["__cookie"].as_str().unwrap_or_default().to_string(),
                Ok((s, v)) => {
                    ctx.stats.error(format!("signup after failover: {s} {v}"));
                    return None;
                }
                Err(e) => {
                    ctx.stats.error(format!("signup after failover: {e}"));
                    return None;
                }
            }
        }
    };
    Some((name, cookie))
}

/// Takes a signed-up candidate through a whole interview.
async fn candidate(ctx: Arc<Ctx>, i: usize, name: String, cookie: String, answers: usize) {
    let home = i % 2;
    // Candidates start over a few seconds, not all in the same millisecond.
    tokio::time::sleep(Duration::from_millis(
        (i as u64 * 7919) % ctx.ramp.as_millis().max(1) as u64,
    ))
    .await;
    let id = match post(
        &ctx,
        home,
        "/api/sessions",
        Some(&cookie),
        &json!({"seed": i}),
    )
    .await
    {
        Ok((201, v)) => v["id"].as_str().unwrap_or_default().to_string(),
        Ok((s, v)) => return ctx.stats.error(format!("new session: {s} {v}")),
        Err(_) => {
            // Cut by the kill before it answered: start again on the other instance.
            ctx.stats.failovers.fetch_add(1, Ordering::Relaxed);
            match post(&ctx, 1, "/api/sessions", Some(&cookie), &json!({"seed": i})).await {
                Ok((201, v)) => v["id"].as_str().unwrap_or_default().to_string(),
                other => {
                    return ctx
                        .stats
                        .error(format!("new session after failover: {other:?}"));
                }
            }
        }
    };
    let mut moved = home == 1;
    for k in 0..=answers {
        tokio::time::sleep(ctx.think).await;
        let first_on_b = !moved && ctx.a_dead.load(Ordering::Relaxed);
        let text = if k == answers {
            "/end".to_string()
        } else {
            format!("{} (candidate {i}, answer {k})", ANSWERS[k % ANSWERS.len()])
        };
        let body = json!({ "text": text });
        let path = format!("/api/sessions/{id}/turns");
        let t0 = Instant::now();
        let result = match post(&ctx, home, &path, Some(&cookie), &body).await {
            Ok(r) => Ok(r),
            Err(_) => {
                ctx.stats.failovers.fetch_add(1, Ordering::Relaxed);
                // Was it stored before the instance died? Then it is acknowledged now.
                let stored = stored_candidate_turns(&ctx, &cookie, &id)
                    .await
                    .unwrap_or_default();
                if stored.last() == Some(&text) {
                    Ok((200, json!({"finished": k == answers})))
                } else {
                    post(&ctx, 1, &path, Some(&cookie), &body).await
                }
            }
        };
        let elapsed = t0.elapsed().as_micros() as u64;
        // A turn cut by the kill was sent while A lived: its retry on B is the first there.
        let first_on_b = first_on_b || (!moved && ctx.a_dead.load(Ordering::Relaxed));
        match result {
            Ok((200, v)) => {
                if first_on_b {
                    moved = true;
                    ctx.stats
                        .moved_latencies
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(elapsed);
                }
                ctx.stats.acked.fetch_add(1, Ordering::Relaxed);
                ctx.stats
                    .latencies
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(elapsed);
                if k == answers {
                    ctx.stats
                        .end_latencies
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(elapsed);
                }
                if k < answers {
                    ctx.stats
                        .acked_turns
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push((name.clone(), id.clone(), text));
                } else if v["finished"] == true {
                    ctx.stats.finished.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok((s, v)) => ctx.stats.error(format!("turn: {s} {v}")),
            Err(e) => ctx.stats.error(format!("turn after failover: {e}")),
        }
    }
}

/// CPU time (user + system) a process has used, in seconds, from `/proc/<pid>/stat`; with
/// `children`, the CPU of its waited-for children too (PostgreSQL backends that have exited).
fn cpu_seconds(pid: u32, children: bool) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| f.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    let mut ticks = field(14)? + field(15)?;
    if children {
        ticks += field(16)? + field(17)?;
    }
    Some(ticks as f64 / clock_ticks())
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// CPU seconds of a PostgreSQL cluster: the postmaster, its live backends and the ones that
/// have exited.
fn cluster_cpu(postmaster: u32) -> Option<f64> {
    let mut total = cpu_seconds(postmaster, true)?;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let ppid = stat
            .rfind(')')
            .and_then(|i| stat[i + 2..].split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(postmaster) {
            total += cpu_seconds(pid, false).unwrap_or(0.0);
        }
    }
    Some(total)
}

/// CPU seconds used so far by instance A, instance B, PostgreSQL and this driver.
#[derive(Clone, Copy, Default)]
struct Cpu {
    a: f64,
    b: f64,
    pg: Option<f64>,
    driver: f64,
}

fn sample_cpu(a: Option<u32>, b: u32, postmaster: Option<u32>, last_a: f64) -> Cpu {
    Cpu {
        // A killed instance keeps the CPU it had when it was last seen.
        a: a.and_then(|p| cpu_seconds(p, false)).unwrap_or(last_a),
        b: cpu_seconds(b, false).unwrap_or(0.0),
        pg: postmaster.and_then(cluster_cpu),
        driver: cpu_seconds(std::process::id(), false).unwrap_or(0.0),
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64 / 1000.0
}

fn drive(o: Opts) -> Result<(), String> {
    let (cluster, url) = match &o.database_url {
        Some(u) => (None, u.clone()),
        None => {
            let (c, u) = start_cluster()?;
            (Some(c), u)
        }
    };
    let a = spawn_instance(&url)?;
    let b = spawn_instance(&url)?;
    eprintln!(
        "instances: A {} (pid {}), B {} (pid {}); {} candidates, {} answers + /end each, {} ms think time{}",
        a.base,
        a.child.id(),
        b.base,
        b.child.id(),
        o.n,
        o.answers,
        o.think_ms,
        if o.kill { ", A killed mid-run" } else { "" }
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let run = format!(
        "{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(o.n)
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| e.to_string())?;
    let ctx = Arc::new(Ctx {
        bases: [a.base.clone(), b.base.clone()],
        a_dead: AtomicBool::new(false),
        client,
        stats: Stats::default(),
        think: Duration::from_millis(o.think_ms),
        ramp: Duration::from_millis(o.ramp_ms.unwrap_or(o.think_ms)),
    });
    let total_answers = (o.n * (o.answers + 1)) as u64;
    let a_pid = a.child.id();
    let b_pid = b.child.id();
    let postmaster = cluster.as_ref().and_then(Cluster::postmaster);
    let mut a = Some(a);

    // Sign-ups first, so their Argon2id hashing (tens of ms of CPU each, by design) is measured
    // apart from the steady state of interviews.
    let signup_started = Instant::now();
    let cpu0 = sample_cpu(Some(a_pid), b_pid, postmaster, 0.0);
    let signed: Vec<Option<(String, String)>> = rt.block_on(async {
        let tasks: Vec<_> = (0..o.n)
            .map(|i| tokio::spawn(sign_up(Arc::clone(&ctx), i, run.clone())))
            .collect();
        let mut out = Vec::with_capacity(o.n);
        for t in tasks {
            out.push(t.await.ok().flatten());
        }
        out
    });
    let signup_wall = signup_started.elapsed();
    let cpu1 = sample_cpu(Some(a_pid), b_pid, postmaster, cpu0.a);
    let load_before = load_average();
    eprintln!(
        "signed up {} candidates in {:.1} s; the timed phase (sessions and turns) starts",
        o.n,
        signup_wall.as_secs_f64()
    );

    let started = Instant::now();
    let last_a = Arc::new(Mutex::new(cpu1.a));
    rt.block_on(async {
        let tasks: Vec<_> = signed
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|(name, cookie)| (i, name, cookie)))
            .map(|(i, name, cookie)| {
                tokio::spawn(candidate(Arc::clone(&ctx), i, name, cookie, o.answers))
            })
            .collect();
        if o.kill {
            while ctx.stats.acked.load(Ordering::Relaxed) < total_answers / 2
                && !tasks.iter().all(|t| t.is_finished())
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if let Some(mut server) = a.take() {
                if let Some(c) = cpu_seconds(a_pid, false) {
                    *last_a.lock().unwrap_or_else(|e| e.into_inner()) = c;
                }
                let _ = server.child.kill();
                let _ = server.child.wait();
                ctx.a_dead.store(true, Ordering::Relaxed);
                eprintln!(
                    "killed instance A after {} acknowledged turns ({:.1} s in)",
                    ctx.stats.acked.load(Ordering::Relaxed),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        for t in tasks {
            let _ = t.await;
        }
    });
    let wall = started.elapsed();
    let a_alive = a.as_ref().map(|_| a_pid);
    let last_a = *last_a.lock().unwrap_or_else(|e| e.into_inner());
    let cpu2 = sample_cpu(a_alive, b_pid, postmaster, last_a);
    let load_after = load_average();

    // Turns lost: every acknowledged answer must be in the database.
    let acked_turns = std::mem::take(
        &mut *ctx
            .stats
            .acked_turns
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    let pg = PgStore::open(&url).map_err(|e| e.to_string())?;
    let mut lost = 0u64;
    let mut by_session: std::collections::HashMap<(String, String), Vec<String>> =
        Default::default();
    for (user, id, text) in acked_turns.iter().cloned() {
        by_session.entry((user, id)).or_default().push(text);
    }
    let mut stored_candidate = 0u64;
    for ((user, id), texts) in &by_session {
        let Ok(Some(u)) = pg.user(user) else {
            lost += texts.len() as u64;
            continue;
        };
        let stored: Vec<String> = match pg.for_user(&u).load(id) {
            Ok(s) => s
                .turns
                .into_iter()
                .filter(|t| t.speaker == "candidate")
                .map(|t| t.text)
                .collect(),
            Err(_) => Vec::new(),
        };
        stored_candidate += stored.len() as u64;
        lost += texts.iter().filter(|t| !stored.contains(t)).count() as u64;
    }
    let mut lat = std::mem::take(
        &mut *ctx
            .stats
            .latencies
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    lat.sort_unstable();
    let mut end_lat = std::mem::take(
        &mut *ctx
            .stats
            .end_latencies
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    end_lat.sort_unstable();
    let mut moved_lat = std::mem::take(
        &mut *ctx
            .stats
            .moved_latencies
            .lock()
            .unwrap_or_else(|e| e.into_inner()),
    );
    moved_lat.sort_unstable();
    let acked = ctx.stats.acked.load(Ordering::Relaxed);
    println!("candidates            {}", o.n);
    println!(
        "interviews finished   {}",
        ctx.stats.finished.load(Ordering::Relaxed)
    );
    println!("turns acknowledged    {acked} (answers and /end)");
    println!(
        "candidate turns in db {stored_candidate} (answers and /end, in the sessions checked)"
    );
    println!(
        "sign-ups              {} in {:.1} s (before the timed phase; server CPU {:.1} s, PostgreSQL {})",
        o.n,
        signup_wall.as_secs_f64(),
        (cpu1.a - cpu0.a) + (cpu1.b - cpu0.b),
        match (cpu0.pg, cpu1.pg) {
            (Some(x), Some(y)) => format!("{:.1} s", y - x),
            _ => "not measured".into(),
        }
    );
    println!(
        "wall time             {:.1} s (sessions and turns)",
        wall.as_secs_f64()
    );
    println!(
        "throughput            {:.1} turns/s",
        acked as f64 / wall.as_secs_f64()
    );
    println!(
        "turn latency          p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0) as f64 / 1000.0
    );
    println!(
        "  of which /end       p50 {:.1} ms, p99 {:.1} ms ({} interviews graded)",
        percentile(&end_lat, 0.50),
        percentile(&end_lat, 0.99),
        end_lat.len()
    );
    if o.kill {
        println!(
            "  first turn on B     p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} of A's interviews taken over)",
            percentile(&moved_lat, 0.50),
            percentile(&moved_lat, 0.99),
            moved_lat.last().copied().unwrap_or(0) as f64 / 1000.0,
            moved_lat.len()
        );
    }
    println!(
        "errors                {}",
        ctx.stats.errors.load(Ordering::Relaxed)
    );
    println!(
        "failovers             {} (requests cut by the kill, continued on B)",
        ctx.stats.failovers.load(Ordering::Relaxed)
    );
    println!("turns lost            {lost}");
    let per_turn = |secs: f64| secs * 1000.0 / acked.max(1) as f64;
    let server = (cpu2.a - cpu1.a) + (cpu2.b - cpu1.b);
    let pg_cpu = match (cpu1.pg, cpu2.pg) {
        (Some(x), Some(y)) => Some(y - x),
        _ => None,
    };
    let driver = cpu2.driver - cpu1.driver;
    println!(
        "CPU per turn          instances {:.2} ms, PostgreSQL {}, driver {:.2} ms (CPU time of the timed phase / turns acknowledged; sessions created are included)",
        per_turn(server),
        pg_cpu.map_or("not measured".into(), |c| format!("{:.2} ms", per_turn(c))),
        per_turn(driver)
    );
    println!("load average          {load_before} before, {load_after} after the timed phase");
    if let Some(e) = ctx
        .stats
        .first_error
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
    {
        println!("first error           {e}");
    }
    drop(b);
    drop(a);
    Ok(())
}
