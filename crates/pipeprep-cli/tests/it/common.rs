//! Running the binary in a sandbox, and small helpers shared by the test modules.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_pipeprep");

/// The seven rubric dimensions, in rubric order: (id, title as printed on the scorecard).
pub const DIMENSIONS: [(&str, &str); 7] = [
    ("requirements_extraction", "Requirements extraction"),
    ("architecture_design", "Architecture design"),
    ("tool_selection", "Tool selection"),
    ("failure_modes", "Failure modes"),
    ("scaling_strategy", "Scaling strategy"),
    ("cost_awareness", "Cost awareness"),
    ("data_quality", "Data quality"),
];

/// The spec's clickstream design in arrow notation (two lines, the second branching off Kafka).
pub const CLICKSTREAM_DESIGN: &str = "\
Click Events -> Kafka -> Flink (5s window) -> Redis (Dashboard)
Kafka -> S3 (Raw Data) -> Spark Hourly -> Snowflake (Reports)
";

/// Ten candidate answers for a scripted clickstream interview, separated by `---` lines:
/// clarifying questions, an arrow design, tool choice, scaling, failures, quality and cost.
pub const CLICKSTREAM_ANSWERS: &str = "\
What is the peak traffic in events per second, and how big is each event?
---
What latency does the dashboard need, and how fresh must the hourly reports be?
---
How long do we need to keep the raw data, and what is the budget?
---
Click Events -> Kafka -> Flink (5s window) -> Redis (Dashboard)
Kafka -> S3 (Raw Data) -> Spark Hourly -> Snowflake (Reports)
---
I picked Flink over Spark Structured Streaming because we need second-level event-time windows \
with watermarks; Spark micro-batches would also work but add latency. Kafka over Kinesis because \
the team already runs it.
---
To scale 10x I would add Kafka partitions keyed by user id, scale Flink parallelism horizontally, \
and watch for hot partitions and backpressure; salting hot keys helps with skew.
---
If a broker dies, replication factor 3 keeps the data; Flink restarts from its checkpoint and \
replays from Kafka offsets. Duplicates are removed with idempotent writes keyed on event_id.
We alert on consumer lag.
---
For data quality I validate the schema with a schema registry, quarantine bad records to a dead \
letter queue, and monitor freshness and completeness with row count checks.
---
For cost: Parquet with ZSTD on S3, lifecycle rules to Glacier after 90 days, spot instances for \
the hourly Spark jobs, and right-sizing the Flink cluster.
---
I would also test the pipeline with integration tests and a replay of production traffic, and \
write on-call runbooks.
";

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A file from the built-in problem bank, read at run time.
pub fn bank_file(rel: &str) -> String {
    let p = repo_root().join("bank").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("cannot read {}: {e}", p.display()))
}

/// The ids of the built-in scenarios, from the file names in bank/scenarios.
pub fn bank_scenario_ids() -> Vec<String> {
    let dir = repo_root().join("bank/scenarios");
    let mut ids: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    ids.sort();
    ids
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    pub stdout_bytes: Vec<u8>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from_output(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            stdout_bytes: out.stdout,
        }
    }

    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "expected exit code {code}, got {}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Panics unless stderr is exactly one non-empty line; returns it.
    #[track_caller]
    pub fn one_line_error(&self) -> &str {
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert_eq!(
            lines.len(),
            1,
            "expected a one-line error, got:\n{}",
            self.stderr
        );
        lines[0]
    }
}

/// A fresh `PIPEPREP_HOME` plus a scratch directory for input files.
pub struct Sandbox {
    home: TempDir,
    work: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            home: tempfile::tempdir().expect("temp home"),
            work: tempfile::tempdir().expect("temp work dir"),
        }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// A `pipeprep` command isolated from the user's settings: its own home, no bank overlay,
    /// a fixed help width, and no stdin unless a test asks for one.
    pub fn cmd<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("PIPEPREP_HOME", self.home.path())
            .env_remove("PIPEPREP_BANK")
            .env_remove("PIPEPREP_DATABASE_URL")
            .env_remove("NO_COLOR")
            .env("COLUMNS", "100")
            .current_dir(self.work.path())
            .stdin(Stdio::null());
        c
    }

    /// Runs `pipeprep ARGS` with no stdin and extra environment variables.
    pub fn run_env<S: AsRef<std::ffi::OsStr>>(&self, args: &[S], env: &[(&str, &str)]) -> Run {
        let mut c = self.cmd(args);
        for (k, v) in env {
            c.env(k, v);
        }
        Run::from_output(c.output().expect("run pipeprep"))
    }

    /// Runs `pipeprep ARGS` with no stdin.
    pub fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Run {
        let out = self.cmd(args).output().expect("run pipeprep");
        Run::from_output(out)
    }

    /// Runs `pipeprep ARGS` with `input` on stdin.
    pub fn run_stdin<S: AsRef<std::ffi::OsStr>>(&self, args: &[S], input: &[u8]) -> Run {
        run_with_stdin(self.cmd(args), input)
    }

    /// Writes a file into the scratch directory and returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.work.path().join(name);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).expect("create dir");
        }
        std::fs::write(&p, contents).expect("write file");
        p
    }

    /// A directory inside the scratch directory.
    pub fn dir(&self, name: &str) -> PathBuf {
        let p = self.work.path().join(name);
        std::fs::create_dir_all(&p).expect("create dir");
        p
    }
}

/// Runs a command with `input` on stdin and collects what it printed.
pub fn run_with_stdin(mut command: Command, input: &[u8]) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn pipeprep");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    // Write from a thread so a large input cannot deadlock against a full stdout pipe.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("wait for pipeprep");
    writer.join().expect("stdin writer");
    Run::from_output(out)
}

/// Runs the scripted clickstream interview and returns the transcript it printed.
pub fn clickstream_transcript(sb: &Sandbox) -> String {
    let answers = sb.write("answers.txt", CLICKSTREAM_ANSWERS);
    let run = sb.run(&[
        "practice",
        "--scenario",
        "clickstream-analytics",
        "--seed",
        "3",
        "--answers",
        s(&answers),
    ]);
    run.expect_code(0);
    run.stdout
}

/// A path as the `&str` argument a user would type (temporary paths are UTF-8).
#[track_caller]
pub fn s(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// The 1-based line of the first line of `text` that contains `needle`.
#[track_caller]
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not found in the generated text"))
        + 1
}
