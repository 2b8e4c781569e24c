//! Settings, layered: defaults < config file < environment < flags.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use etcetera::BaseStrategy;
use serde::Deserialize;

use crate::env;

/// The config file (`config.toml` in the config directory).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// A bank directory merged over the embedded default.
    pub bank: Option<PathBuf>,
    /// The LLM that voices the interviewer: `provider:MODEL[@URL]`, as `--llm` takes it.
    #[serde(default)]
    pub llm: Option<String>,
    /// A key for the LLM. The environment (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`) wins over it;
    /// it is the only key an `openai-compatible` or `ollama` server is sent. Never shown.
    #[serde(default)]
    pub llm_key: Option<pipeprep_llm::Secret>,
    /// The team database, a PostgreSQL URL or key=value string, as `--database-url` takes it.
    /// It may hold a password, so it is never shown.
    #[serde(default)]
    pub database_url: Option<pipeprep_llm::Secret>,
    /// Seconds the LLM's second opinion on the scorecard may take in all (it streams a few
    /// hundred tokens of JSON); default 180. Conversational replies have no such limit: they
    /// fail when the model goes silent or drips slower than it can hold a conversation.
    #[serde(default)]
    pub llm_timeout: Option<u64>,
    /// Seconds a conversational reply may take to start (the model reading the prompt); default
    /// 20, or 60 for a server on this machine, where a CPU reads a long prompt slowly.
    #[serde(default)]
    pub llm_first_token_timeout: Option<u64>,
    /// Seconds of silence in the middle of a reply before the voice gives up; default 15.
    #[serde(default)]
    pub llm_idle_timeout: Option<u64>,
    /// Tokens a reply must bring in every 10 s after its first; default 10, 0 waits for any pace.
    #[serde(default)]
    pub llm_min_tokens: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Dirs {
    pub config: PathBuf,
    pub data: PathBuf,
}

impl Dirs {
    /// `$PIPEPREP_HOME` for both when set, else the XDG directories.
    pub fn discover() -> Result<Dirs> {
        if let Some(home) = std::env::var_os(env::PIPEPREP_HOME).filter(|v| !v.is_empty()) {
            let home = PathBuf::from(home);
            return Ok(Dirs {
                config: home.clone(),
                data: home,
            });
        }
        let base = etcetera::choose_base_strategy()
            .context("could not find your home directory; set PIPEPREP_HOME")?;
        Ok(Dirs {
            config: base.config_dir().join("pipeprep"),
            data: base.data_dir().join("pipeprep"),
        })
    }

    pub fn config_file(&self) -> PathBuf {
        self.config.join("config.toml")
    }
}

/// Reads the config file if it exists. A malformed file is an error with its path and line.
pub fn read_config(path: &Path) -> Result<FileConfig> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => bail!("cannot read config file `{}`: {e}", path.display()),
    };
    parse_config(&text, &path.display().to_string())
}

/// Parses the text of a config file; `name` is the path shown in errors.
pub fn parse_config(text: &str, name: &str) -> Result<FileConfig> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        anyhow::anyhow!(
            "{name}:{line}: {} — fix or remove the setting (see README, Configuration)",
            e.message().trim()
        )
    })
}

/// The 1-based line of byte `offset` in `text`; counts bytes, so an offset inside a multi-byte
/// character (or past the end) cannot panic.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The bank overlay directory: flag, else environment, else config file.
pub fn bank_dir(flag: Option<&Path>, file: &FileConfig) -> Option<PathBuf> {
    flag.map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os(env::PIPEPREP_BANK)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| file.bank.clone())
}

/// The team database's URL and where it was set, for messages.
#[derive(Debug, Clone)]
pub struct DatabaseUrl {
    pub url: pipeprep_llm::Secret,
    /// `--database-url`, `PIPEPREP_DATABASE_URL` or `PATH: database_url`.
    pub source: String,
}

/// The team database: flag, else environment, else config file; `None` when none is set (the
/// single-user SQLite file is used then). The one place this setting is resolved.
pub fn database_url(
    flag: Option<&str>,
    file: &FileConfig,
    file_path: &Path,
) -> Option<DatabaseUrl> {
    if let Some(url) = flag {
        return Some(DatabaseUrl {
            url: pipeprep_llm::Secret::new(url),
            source: "--database-url".into(),
        });
    }
    if let Some(url) = std::env::var(env::PIPEPREP_DATABASE_URL)
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        return Some(DatabaseUrl {
            url: pipeprep_llm::Secret::new(url),
            source: env::PIPEPREP_DATABASE_URL.into(),
        });
    }
    file.database_url.clone().map(|url| DatabaseUrl {
        url,
        source: format!("{}: database_url", file_path.display()),
    })
}
