//! The interactive REPL, driven through a real terminal: a detached tmux session on its own
//! server socket. CI installs tmux; without it this test fails and says so.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::{BIN, Sandbox};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A tmux server of our own (`tmux -L SOCKET`), killed when dropped.
struct Tmux {
    socket: String,
    session: String,
    /// The socket file, once the server is up, so the guard can remove it too.
    socket_path: Option<std::path::PathBuf>,
}

impl Tmux {
    fn new() -> Tmux {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let id = format!("pipeprep-it-{}-{n}", std::process::id());
        Tmux {
            socket: id.clone(),
            session: id,
            socket_path: None,
        }
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg("/dev/null")
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run tmux {args:?}: {e}"))
    }

    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.tmux(args);
        assert!(
            out.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The whole pane, scrollback included, with wrapped lines joined.
    fn capture(&self) -> String {
        self.ok(&["capture-pane", "-p", "-J", "-S", "-", "-t", &self.session])
    }

    /// Types `text` literally, then presses Enter.
    fn type_line(&self, text: &str) {
        self.ok(&["send-keys", "-t", &self.session, "-l", text]);
        self.enter();
    }

    fn enter(&self) {
        self.ok(&["send-keys", "-t", &self.session, "Enter"]);
    }

    /// Polls the pane until `done` holds, or fails after `secs` with the pane's content.
    #[track_caller]
    fn wait_for(&self, what: &str, secs: u64, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let pane = self.capture();
            if done(&pane) {
                return pane;
            }
            if Instant::now() > deadline {
                panic!("timed out after {secs} s waiting for {what}; the pane shows:\n{pane}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn pane_dead(&self) -> bool {
        self.ok(&["display-message", "-p", "-t", &self.session, "#{pane_dead}"])
            .trim()
            == "1"
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        // Ends only the server this test started, on its own socket, and removes the socket.
        let _ = self.tmux(&["kill-server"]);
        if let Some(p) = &self.socket_path {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Single-quotes a string for the shell tmux runs the command with.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

#[test]
fn interactive_interview_in_a_real_terminal() {
    let version = Command::new("tmux").arg("-V").output();
    match version {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "tmux is required for the terminal test (`tmux -V` failed); install it, e.g. `apt-get install tmux` — CI does"
        ),
    }

    let sb = Sandbox::new();
    let mut tmux = Tmux::new();
    let home = sb.home().to_str().expect("UTF-8 temp path");
    let command = format!(
        "env -u PIPEPREP_BANK -u NO_COLOR PIPEPREP_HOME={} {} practice --scenario clickstream-analytics --seed 5",
        sh_quote(home),
        sh_quote(BIN)
    );
    tmux.ok(&[
        "new-session",
        "-d",
        "-s",
        &tmux.session,
        "-x",
        "200",
        "-y",
        "50",
        &command,
    ]);
    let socket = tmux.ok(&["display-message", "-p", "#{socket_path}"]);
    tmux.socket_path = Some(socket.trim().into());
    // Keep the pane after the program exits so its last output can be read.
    tmux.ok(&[
        "set-option",
        "-w",
        "-t",
        &tmux.session,
        "remain-on-exit",
        "on",
    ]);

    // The greeting and the scenario come at once, then the prompt.
    let pane = tmux.wait_for("the greeting and the prompt", 15, |p| {
        p.contains("Interviewer:") && p.contains("you>")
    });
    assert!(
        pane.contains("online store"),
        "the scenario is presented with the greeting:\n{pane}"
    );

    // A question; Enter starts a new line, Enter on the empty line sends it.
    let q1 = "What is the peak traffic?";
    tmux.type_line(q1);
    tmux.enter();
    let pane = tmux.wait_for("the revealed peak (100K)", 15, |p| {
        p.find(q1).is_some_and(|i| p[i..].contains("100K"))
    });
    let replies = count(&pane, "Interviewer:");
    assert!(replies >= 2, "{pane}");

    // A second question gets a new reply.
    let q2 = "How long do we keep the data?";
    tmux.type_line(q2);
    tmux.enter();
    tmux.wait_for("a reply to the second question", 15, |p| {
        p.find(q2).is_some_and(|i| p[i..].contains("Interviewer:"))
            && count(p, "Interviewer:") > replies
    });

    // /quit is sent at once; the session is saved and the program says how to resume it.
    tmux.type_line("/quit");
    let pane = tmux.wait_for(
        "the saved-session message and the end of the session",
        15,
        |p| p.contains("pipeprep resume") && tmux.pane_dead(),
    );
    assert!(pane.contains("Everything you answered is saved"), "{pane}");
    // Both answers are in the store: export shows them.
    let export = sb.run(&["export", "last", "--format", "md"]).stdout;
    assert!(export.contains(&format!("Candidate: {q1}")), "{export}");
    assert!(export.contains(&format!("Candidate: {q2}")), "{export}");
}
