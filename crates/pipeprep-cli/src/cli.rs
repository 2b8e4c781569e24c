//! The command line, declared with clap derive. `--help` is generated from these doc comments, so
//! they are written for the user.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// A mock-interview coach for data-pipeline architecture.
///
/// A Principal Data Engineer persona presents a business scenario, lets you extract the
/// requirements, has you design ingestion → processing → storage → serving, probes your tool
/// choices, injects failures, and ends with a scorecard that quotes what you said. Runs offline.
///
/// With no command, `pipeprep` starts an interview in the terminal (same as `pipeprep practice`).
#[derive(Debug, Parser)]
#[command(name = "pipeprep", version, propagate_version = true)]
pub struct Cli {
    /// A bank directory merged over the built-in problem bank (same ids replace built-in ones).
    /// Also settable with PIPEPREP_BANK or `bank = "..."` in the config file.
    #[arg(long, global = true, value_name = "DIR")]
    pub bank: Option<PathBuf>,

    /// The sessions database (default: $PIPEPREP_HOME/pipeprep.db, else the XDG data directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Cmd>,

    #[command(flatten)]
    pub practice: PracticeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Start an interview (the default command).
    ///
    /// In a terminal this is interactive: type your answer, then press Enter on an empty line to
    /// send it. Commands like /hint are sent at once. With --answers it runs a scripted interview
    /// and prints the transcript and the scorecard.
    Practice(PracticeArgs),
    /// Continue an unfinished interview where it stopped (phase, requirements, design, hints, time).
    Resume {
        /// Session id from `pipeprep history` (default: the latest unfinished one).
        session: Option<String>,
        /// Continue with candidate turns from FILE (or - for stdin), as `practice --answers`.
        #[arg(long, value_name = "FILE")]
        answers: Option<String>,
    },
    /// Grade a transcript against the rubric and print a scorecard.
    ///
    /// The transcript has optional front matter (`scenario: ID`) and turns that start with
    /// `Interviewer:` or `Candidate:`; see README. Without a scenario it is graded against the
    /// rubric alone. Only the first 4 MB is read; a note on stderr says what was set aside.
    Grade(GradeArgs),
    /// The problem bank: list, show and validate scenarios.
    #[command(subcommand)]
    Scenarios(ScenariosCmd),
    /// Design tools: draw a design written in arrow notation, or lint it.
    #[command(subcommand)]
    Design(DesignCmd),
    /// Capacity and cost arithmetic, showing every formula and source.
    ///
    /// Example: pipeprep estimate --events-per-day 1B --event-size 1KB --peak-factor 3 --retention 2y --compression 5
    Estimate(EstimateArgs),
    /// Show what the analyzer reads in a text (concepts, components, numbers, questions, design),
    /// as JSON. For writing and checking bank content.
    #[command(hide = true)]
    Analyze {
        /// Text file, or - for stdin.
        file: String,
    },
    /// List past interviews: date, scenario, status, level, duration, LLM tokens and cost.
    History {
        /// Delete this session (its transcript and scorecard) instead of listing.
        #[arg(long, value_name = "ID")]
        delete: Option<String>,
    },
    /// Your level per rubric dimension across finished interviews, as a chart.
    Progress,
    /// The LLM that voices the interviewer: check that it answers.
    #[command(subcommand)]
    Llm(LlmCmd),
    /// Serve the interview as a local web app: the conversation with streamed replies, your design
    /// drawn live, the scorecard and the history, on the same sessions as the terminal.
    ///
    /// Failures the interviewer injects are animated on your own design (a backlog drains at the
    /// capacity you state, with the catch-up time and its formula); the scorecard links to the
    /// same for the scenario's reference design. /progress charts each rubric dimension over
    /// your finished interviews and starts one on your weakest; /bank lists the scenarios.
    ///
    /// Listens on 127.0.0.1:7878 by default (loopback only) and prints the URL. Everything the
    /// page needs is inside the binary; it works with no network. A session started in the
    /// browser can be resumed with `pipeprep resume`, and the other way round. The JSON API the
    /// page uses is described in DESIGN.md §3. Stop with Ctrl-C.
    Serve(ServeArgs),
    /// Export a session (transcript, design, scorecard) as markdown, JSON or HTML.
    Export {
        /// Session id, or `last` for the newest.
        session: String,
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Accounts in a team's shared PostgreSQL database: add learners and instructors, form
    /// cohorts. `pipeprep serve --database-url` serves the team on the same database.
    Users(UsersArgs),
}

#[derive(Debug, Args)]
pub struct UsersArgs {
    /// The team database: postgresql://USER[:PASSWORD]@HOST:PORT/DB or key=value pairs such as
    /// `host=/run/postgresql user=pipeprep dbname=pipeprep`. Also settable with
    /// PIPEPREP_DATABASE_URL (better for a password: flags show in the process list) or
    /// `database_url = "..."` in the config file.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    #[command(subcommand)]
    pub command: UsersCmd,
}

#[derive(Debug, Subcommand)]
pub enum UsersCmd {
    /// Create an account (a learner unless --instructor). Prints a generated password once,
    /// unless --password-stdin gives one.
    Add {
        /// User name: 1 to 64 letters, digits, `.`, `_` or `-`.
        name: String,
        /// An instructor: leads cohorts and sees their progress.
        #[arg(long)]
        instructor: bool,
        /// Read the password from the first line of standard input (at least 8 characters).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create a cohort led by an instructor (unless it exists) and add learners to it.
    Cohort {
        /// Cohort name: 1 to 64 letters, digits, `.`, `_` or `-`.
        name: String,
        /// The instructor who leads it (an account made with `users add NAME --instructor`).
        #[arg(long, value_name = "NAME")]
        instructor: String,
        /// Learners to add.
        learners: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Difficulty {
    Medium,
    Hard,
}

#[derive(Debug, Args, Default)]
pub struct PracticeArgs {
    /// Scenario id (see `pipeprep scenarios list`); default: one chosen for you.
    #[arg(long, value_name = "ID")]
    pub scenario: Option<String>,
    /// Aim the interview at a rubric dimension (e.g. failure_modes), or `weakest` for the one your
    /// recent interviews scored lowest.
    #[arg(long, value_name = "DIM|weakest")]
    pub focus: Option<String>,
    /// Problem difficulty when choosing a scenario; `hard` also adds follow-up constraints.
    #[arg(long, value_enum)]
    pub difficulty: Option<Difficulty>,
    /// Seed for the interviewer's choices; the same seed and answers replay the same interview.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Candidate turns from FILE (or - for stdin), separated by lines that are exactly `---`.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<String>,
    /// Voice the interviewer with an LLM: openai:MODEL, anthropic:MODEL, ollama:MODEL or
    /// openai-compatible:MODEL@http://host:port/v1. Keys come from OPENAI_API_KEY /
    /// ANTHROPIC_API_KEY (sent only to that provider's own host) or `llm_key` in the config file;
    /// a server named by @URL gets PIPEPREP_LLM_KEY or `llm_key`. Also settable as `llm = "..."`.
    /// The engine still runs the interview and the score; replies stream in a sentence at a
    /// time through a guard, what a reply leaves out follows in the offline phrasing, and a model
    /// that stops answering or drips too slowly leaves the interview to go on offline. The
    /// second opinion on the scorecard may take `llm_timeout` seconds (config file, default 180);
    /// `llm_first_token_timeout`, `llm_idle_timeout` and `llm_min_tokens` there allow a slower model.
    #[arg(long, value_name = "SPEC")]
    pub llm: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Anything but a loopback address exposes the server to the network;
    /// only multi-user mode (--database-url) has a login.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:7878")]
    pub addr: std::net::SocketAddr,
    /// Open the page in the desktop's browser (xdg-open).
    #[arg(long)]
    pub open: bool,
    /// Voice the interviewer with an LLM, as `practice --llm` (default: `llm` in the config file).
    #[arg(long, value_name = "SPEC")]
    pub llm: Option<String>,
    /// Serve a team from this PostgreSQL database (multi-user mode): accounts, a login for every
    /// page and API, each user's interviews private to them, cohorts for instructors. Several
    /// instances may share one database. A URL such as postgresql://USER@HOST:PORT/DB or
    /// key=value pairs; also PIPEPREP_DATABASE_URL or `database_url` in the config file.
    /// Without it, serve is the single-user local app on the SQLite file.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Multi-user mode: refuse sign-ups; accounts are created with `pipeprep users add NAME`.
    #[arg(long)]
    pub no_signup: bool,
}

#[derive(Debug, Subcommand)]
pub enum LlmCmd {
    /// Check the configured LLM: reachability, provider, model and one short completion's latency.
    Check {
        /// The LLM to check (default: `llm` in the config file).
        #[arg(long, value_name = "SPEC")]
        llm: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Md,
    Json,
    Html,
}

#[derive(Debug, Args)]
pub struct GradeArgs {
    /// Transcript file, or - for stdin.
    #[arg(required_unless_present = "eval")]
    pub file: Option<String>,
    /// Grade against this scenario (overrides the transcript's front matter).
    #[arg(long, value_name = "ID")]
    pub scenario: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Md)]
    pub format: Format,
    /// Score a labelled directory (transcripts + labels.toml) and print agreement and a confusion
    /// matrix per dimension.
    #[arg(long, value_name = "DIR", conflicts_with = "file")]
    pub eval: Option<PathBuf>,
    /// With --eval: print, as JSON lines, the evidence features the level model reads for each
    /// transcript and dimension with its label (input of `calibration/fit.py`).
    #[arg(long, requires = "eval")]
    pub features: bool,
}

#[derive(Debug, Subcommand)]
pub enum ScenariosCmd {
    /// A table of every scenario: id, title, difficulty, tags.
    List,
    /// One scenario, readable. Hidden requirements and the reference solution only with --reveal.
    Show {
        id: String,
        /// Also show hidden requirements, the reference design, failures and hints.
        #[arg(long)]
        reveal: bool,
    },
    /// Check a bank directory (default: the built-in bank): schema, references, arrow lines.
    /// Prints `file:line: problem — fix` for each problem and exits 2 if there are any.
    Validate { dir: Option<PathBuf> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagramFormat {
    Ascii,
    Mermaid,
    Svg,
}

#[derive(Debug, Subcommand)]
pub enum DesignCmd {
    /// Draw a design written in arrow notation (`Kafka -> Flink (5s window) -> Redis`).
    Render {
        /// Design file, or - for stdin.
        file: String,
        #[arg(long, value_enum, default_value_t = DiagramFormat::Ascii)]
        format: DiagramFormat,
    },
    /// Check a design against the linter's rules (and a scenario's requirements).
    Lint {
        /// Design file, or - for stdin.
        file: String,
        /// Check against this scenario's volumes, SLA and budget.
        #[arg(long, value_name = "ID")]
        scenario: Option<String>,
        /// Exit 1 when any error-level finding is reported.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct EstimateArgs {
    /// Events per day, with units: 1B, 250M, 1e9, 1,000,000.
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "events_per_sec",
        allow_hyphen_values = true
    )]
    pub events_per_day: Option<String>,
    /// Average events per second instead of per day: 100K, 11574.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub events_per_sec: Option<String>,
    /// Size of one event: 500B, 1KB (1,000 bytes), 1KiB (1,024 bytes).
    #[arg(long, value_name = "SIZE", allow_hyphen_values = true)]
    pub event_size: Option<String>,
    /// Peak traffic as a multiple of the average (1 to 1000).
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub peak_factor: Option<String>,
    /// How long data is kept: 7d, 90d, 2y.
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub retention: Option<String>,
    /// Compression ratio of stored data (1 to 1000), e.g. 5 for JSON to Parquet+ZSTD.
    #[arg(long, value_name = "X", allow_hyphen_values = true)]
    pub compression: Option<String>,
    /// Window for exact deduplication state: 1h, 24h.
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub dedup_window: Option<String>,
    /// False-positive rate for a Bloom filter over the dedup window, e.g. 0.01.
    #[arg(long, value_name = "P", allow_hyphen_values = true)]
    pub bloom_fpr: Option<String>,
    #[arg(long, value_enum, default_value_t = OutFormat::Text)]
    pub format: OutFormat,
}
