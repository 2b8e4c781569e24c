//! Every environment variable pipeprep reads, declared once.

/// Overrides every directory pipeprep uses (config, data); for tests and portable installs.
pub const PIPEPREP_HOME: &str = "PIPEPREP_HOME";
/// A bank directory merged over the embedded default bank.
pub const PIPEPREP_BANK: &str = "PIPEPREP_BANK";
/// Any value turns colour off (https://no-color.org).
pub const NO_COLOR: &str = "NO_COLOR";
/// The team database (PostgreSQL URL or key=value string), as `--database-url` takes it.
pub const PIPEPREP_DATABASE_URL: &str = "PIPEPREP_DATABASE_URL";
/// A file to append one JSON line to per LLM-voiced turn and second opinion (what was asked,
/// received, caught and shown, with timings): the record `scripts/llm-eval` reads.
pub const PIPEPREP_VOICE_LOG: &str = "PIPEPREP_VOICE_LOG";
