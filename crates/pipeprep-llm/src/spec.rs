//! Which model to talk to: `--llm openai:MODEL`, `anthropic:MODEL`, `ollama:MODEL` or
//! `openai-compatible:MODEL@http://host:port/v1`, and where it lives.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::env;

const OPENAI_BASE: &str = "https://api.openai.com/v1";
const ANTHROPIC_BASE: &str = "https://api.anthropic.com/v1";
const OLLAMA_BASE: &str = "http://127.0.0.1:11434";
const OLLAMA_PORT: u16 = 11434;

/// A provider, which also fixes the wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    /// api.openai.com, chat completions.
    #[serde(rename = "openai")]
    OpenAi,
    /// api.anthropic.com, Messages.
    Anthropic,
    /// Ollama's native `/api/chat`.
    Ollama,
    /// Any server speaking OpenAI chat completions: Ollama's `/v1`, vLLM, llama.cpp, LM Studio.
    #[serde(rename = "openai-compatible")]
    OpenAiCompatible,
}

impl Provider {
    pub const ALL: [Provider; 4] = [
        Provider::OpenAi,
        Provider::Anthropic,
        Provider::Ollama,
        Provider::OpenAiCompatible,
    ];

    /// The name used in `--llm` and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Provider::OpenAi => "openai",
            Provider::Anthropic => "anthropic",
            Provider::Ollama => "ollama",
            Provider::OpenAiCompatible => "openai-compatible",
        }
    }

    /// The environment variable holding this provider's key, if it reads one.
    pub fn key_var(self) -> Option<&'static str> {
        match self {
            Provider::OpenAi => Some(env::OPENAI_API_KEY),
            Provider::Anthropic => Some(env::ANTHROPIC_API_KEY),
            Provider::Ollama | Provider::OpenAiCompatible => None,
        }
    }

    /// Hosted providers refuse every request without a key, so asking is pointless.
    pub fn needs_key(self) -> bool {
        matches!(self, Provider::OpenAi | Provider::Anthropic)
    }

    /// Where to tell the user to put the key.
    pub fn key_hint(self) -> &'static str {
        match self {
            Provider::OpenAi => env::OPENAI_API_KEY,
            Provider::Anthropic => env::ANTHROPIC_API_KEY,
            Provider::Ollama | Provider::OpenAiCompatible => "the api key in the config file",
        }
    }
}

/// The provider's own API base, where its environment key may go.
pub fn default_base(p: Provider) -> Option<&'static str> {
    match p {
        Provider::OpenAi => Some(OPENAI_BASE),
        Provider::Anthropic => Some(ANTHROPIC_BASE),
        Provider::Ollama | Provider::OpenAiCompatible => None,
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Provider {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, SpecError> {
        let wanted = s.trim().to_ascii_lowercase();
        Provider::ALL
            .into_iter()
            .find(|p| p.name() == wanted)
            .ok_or_else(|| SpecError::UnknownProvider(s.trim().to_string()))
    }
}

/// Why an `--llm` value or `OLLAMA_HOST` was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("no LLM given — write provider:MODEL, for example `ollama:llama3.2`")]
    Empty,
    #[error(
        "`{0}` names no provider — write provider:MODEL, for example `openai:{0}` or `ollama:{0}`"
    )]
    NoProvider(String),
    #[error("unknown provider `{0}` — use openai, anthropic, ollama or openai-compatible")]
    UnknownProvider(String),
    #[error("no model in `{0}` — write provider:MODEL, for example `openai:gpt-4o-mini`")]
    MissingModel(String),
    #[error(
        "openai-compatible needs the server's URL — write `openai-compatible:MODEL@http://host:port/v1`"
    )]
    MissingUrl,
    #[error("bad URL `{url}`: {reason} — write it like `http://127.0.0.1:8080/v1`")]
    BadUrl { url: String, reason: String },
    #[error(
        "bad OLLAMA_HOST `{value}`: {reason} — set it to host:port or a URL like `http://127.0.0.1:11434`"
    )]
    BadOllamaHost { value: String, reason: String },
}

/// A parsed `--llm` choice: provider, model and base URL.
///
/// `base_url` has no trailing slash. For OpenAI-style servers it ends where the API root is
/// (`…/v1`); for Ollama it is the server root (`http://127.0.0.1:11434`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmSpec {
    pub provider: Provider,
    pub model: String,
    pub base_url: String,
}

impl LlmSpec {
    /// Parses `provider:MODEL[@URL]`, reading `OLLAMA_HOST` through `env` (tests pass a closure;
    /// [`FromStr`] passes the real environment). A trailing `@http…` overrides the base URL of
    /// any provider and is required for `openai-compatible`.
    pub fn parse_with_env(
        s: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, SpecError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(SpecError::Empty);
        }
        let Some((provider, rest)) = s.split_once(':') else {
            return match s.parse::<Provider>() {
                Ok(_) => Err(SpecError::MissingModel(s.to_string())),
                Err(_) => Err(SpecError::NoProvider(s.to_string())),
            };
        };
        let provider: Provider = provider.parse()?;
        let (model, url) = split_url(provider, rest)?;
        let model = model.trim();
        if model.is_empty() {
            return Err(SpecError::MissingModel(s.to_string()));
        }
        let base_url = match url {
            Some(url) => normalize_base(provider, url)?,
            None => match provider {
                Provider::OpenAi => OPENAI_BASE.to_string(),
                Provider::Anthropic => ANTHROPIC_BASE.to_string(),
                Provider::Ollama => ollama_base(env(env::OLLAMA_HOST).as_deref())?,
                Provider::OpenAiCompatible => return Err(SpecError::MissingUrl),
            },
        };
        Ok(Self {
            provider,
            model: model.to_string(),
            base_url,
        })
    }

    /// The same choice pointed somewhere else (tests point at 127.0.0.1; config files may too).
    pub fn with_base_url(mut self, url: &str) -> Result<Self, SpecError> {
        self.base_url = normalize_base(self.provider, url)?;
        Ok(self)
    }

    /// True when the server is on this machine, so no proxy should stand in between.
    pub fn is_loopback(&self) -> bool {
        let Ok(url) = reqwest::Url::parse(&self.base_url) else {
            return false;
        };
        let Some(host) = url.host_str() else {
            return false;
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || bare
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    fn default_base(&self) -> Option<&'static str> {
        match self.provider {
            Provider::OpenAi => Some(OPENAI_BASE),
            Provider::Anthropic => Some(ANTHROPIC_BASE),
            Provider::Ollama => Some(OLLAMA_BASE),
            Provider::OpenAiCompatible => None,
        }
    }
}

impl FromStr for LlmSpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<Self, SpecError> {
        Self::parse_with_env(s, |k| std::env::var(k).ok())
    }
}

/// Writes the form `--llm` accepts; parsing it again gives the same spec.
impl fmt::Display for LlmSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.provider, self.model)?;
        if self.default_base() != Some(self.base_url.as_str()) {
            write!(f, "@{}", self.base_url)?;
        }
        Ok(())
    }
}

fn starts_with_scheme(s: &str) -> bool {
    let lower = s.trim_start().to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// Splits `MODEL@URL`. Model names may contain `:` (`qwen3:8b`) and, rarely, `@`, so only a
/// last `@` followed by a scheme counts as a URL — except for openai-compatible, where the URL
/// is required and a schemeless one deserves an error rather than a strange model name.
fn split_url(provider: Provider, rest: &str) -> Result<(&str, Option<&str>), SpecError> {
    match rest.rsplit_once('@') {
        Some((model, url)) if starts_with_scheme(url) => Ok((model, Some(url))),
        Some((_, url)) if provider == Provider::OpenAiCompatible => Err(SpecError::BadUrl {
            url: url.to_string(),
            reason: "it must start with http:// or https://".into(),
        }),
        _ => Ok((rest, None)),
    }
}

fn normalize_base(provider: Provider, raw: &str) -> Result<String, SpecError> {
    let raw = raw.trim();
    let bad = |reason: &str| SpecError::BadUrl {
        url: raw.to_string(),
        reason: reason.to_string(),
    };
    if !starts_with_scheme(raw) {
        return Err(bad("it must start with http:// or https://"));
    }
    let url = reqwest::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a base URL takes no `?` or `#` part"));
    }
    let mut base = url.as_str().trim_end_matches('/').to_string();
    // People paste the endpoint instead of the root; accept it rather than send to …/x/x.
    let endpoint = match provider {
        Provider::Ollama => "/api/chat",
        Provider::Anthropic => "/messages",
        Provider::OpenAi | Provider::OpenAiCompatible => "/chat/completions",
    };
    if let Some(stripped) = base.strip_suffix(endpoint) {
        base = stripped.to_string();
    }
    Ok(base)
}

/// `OLLAMA_HOST` as Ollama's own client reads it: empty means the default, `host`, `host:port`
/// and full URLs are accepted, and a plain-HTTP address without a port gets 11434.
fn ollama_base(value: Option<&str>) -> Result<String, SpecError> {
    let value = value.map(str::trim).unwrap_or_default();
    if value.is_empty() {
        return Ok(OLLAMA_BASE.to_string());
    }
    let bad = |reason: String| SpecError::BadOllamaHost {
        value: value.to_string(),
        reason,
    };
    let with_scheme = if value.contains("://") {
        value.to_string()
    } else {
        format!("http://{value}")
    };
    let mut url = reqwest::Url::parse(&with_scheme).map_err(|e| bad(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("the scheme must be http or https".into()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("it has no host".into()));
    }
    if url.scheme() == "http" && url.port().is_none() {
        url.set_port(Some(OLLAMA_PORT))
            .map_err(|()| bad("cannot set the port".into()))?;
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse(s: &str) -> Result<LlmSpec, SpecError> {
        LlmSpec::parse_with_env(s, no_env)
    }

    #[test]
    fn the_four_forms() {
        let s = parse("openai:gpt-4o-mini").unwrap();
        assert_eq!(
            (s.provider, s.model.as_str(), s.base_url.as_str()),
            (Provider::OpenAi, "gpt-4o-mini", "https://api.openai.com/v1")
        );
        let s = parse("anthropic:claude-sonnet-4-5").unwrap();
        assert_eq!(
            (s.provider, s.model.as_str(), s.base_url.as_str()),
            (
                Provider::Anthropic,
                "claude-sonnet-4-5",
                "https://api.anthropic.com/v1"
            )
        );
        let s = parse("ollama:qwen3:8b").unwrap();
        assert_eq!(
            (s.provider, s.model.as_str(), s.base_url.as_str()),
            (Provider::Ollama, "qwen3:8b", "http://127.0.0.1:11434")
        );
        let s = parse("openai-compatible:llama-3.1-8b@http://gpu-box:8000/v1/").unwrap();
        assert_eq!(
            (s.provider, s.model.as_str(), s.base_url.as_str()),
            (
                Provider::OpenAiCompatible,
                "llama-3.1-8b",
                "http://gpu-box:8000/v1"
            )
        );
    }

    #[test]
    fn provider_names_ignore_case_and_space() {
        let s = parse("  OpenAI:gpt-4o ").unwrap();
        assert_eq!(s.provider, Provider::OpenAi);
        assert_eq!(s.model, "gpt-4o");
    }

    #[test]
    fn clear_errors() {
        let msg = |s: &str| parse(s).unwrap_err().to_string();
        assert_eq!(
            msg("gemini:pro"),
            "unknown provider `gemini` — use openai, anthropic, ollama or openai-compatible"
        );
        assert_eq!(
            msg("openai:"),
            "no model in `openai:` — write provider:MODEL, for example `openai:gpt-4o-mini`"
        );
        assert_eq!(
            msg("anthropic"),
            "no model in `anthropic` — write provider:MODEL, for example `openai:gpt-4o-mini`"
        );
        assert_eq!(
            msg("gpt-4o"),
            "`gpt-4o` names no provider — write provider:MODEL, for example `openai:gpt-4o` or `ollama:gpt-4o`"
        );
        assert_eq!(
            msg("openai-compatible:llama"),
            "openai-compatible needs the server's URL — write `openai-compatible:MODEL@http://host:port/v1`"
        );
        assert_eq!(
            msg("openai-compatible:llama@localhost:8000/v1"),
            "bad URL `localhost:8000/v1`: it must start with http:// or https:// — write it like `http://127.0.0.1:8080/v1`"
        );
        assert!(msg("openai-compatible:m@http://").starts_with("bad URL `http://`"));
        assert!(msg("openai-compatible:@http://h/v1").starts_with("no model in"));
        assert_eq!(msg(""), SpecError::Empty.to_string());
    }

    #[test]
    fn any_provider_takes_a_url_override() {
        let s = parse("ollama:llama3.2@http://gpu-box:11434").unwrap();
        assert_eq!(s.base_url, "http://gpu-box:11434");
        let s = parse("anthropic:claude@http://127.0.0.1:9/v1/messages").unwrap();
        assert_eq!(
            s.base_url, "http://127.0.0.1:9/v1",
            "pasted endpoint is trimmed"
        );
        // A model name with `@` but no URL stays a model name.
        let s = parse("ollama:team@v2").unwrap();
        assert_eq!(s.model, "team@v2");
    }

    #[test]
    fn ollama_host_forms() {
        let with = |v: &str| {
            let v = v.to_string();
            LlmSpec::parse_with_env("ollama:m", move |k| {
                (k == env::OLLAMA_HOST).then(|| v.clone())
            })
        };
        assert_eq!(
            with("gpu-box:9999").unwrap().base_url,
            "http://gpu-box:9999"
        );
        assert_eq!(with("gpu-box").unwrap().base_url, "http://gpu-box:11434");
        assert_eq!(with("0.0.0.0").unwrap().base_url, "http://0.0.0.0:11434");
        assert_eq!(
            with("https://ollama.example.com/").unwrap().base_url,
            "https://ollama.example.com"
        );
        assert_eq!(
            with("http://[::1]:1234").unwrap().base_url,
            "http://[::1]:1234"
        );
        assert_eq!(with("  ").unwrap().base_url, "http://127.0.0.1:11434");
        let err = with("ftp://box").unwrap_err().to_string();
        assert!(err.starts_with("bad OLLAMA_HOST `ftp://box`"), "{err}");
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "openai:gpt-4o-mini",
            "anthropic:claude-sonnet-4-5",
            "ollama:qwen3:8b",
            "ollama:qwen3:8b@http://gpu-box:11434",
            "openai-compatible:m@http://127.0.0.1:8080/v1",
        ] {
            let spec = parse(s).unwrap();
            assert_eq!(spec.to_string(), s);
            assert_eq!(parse(&spec.to_string()).unwrap(), spec);
        }
    }

    #[test]
    fn loopback_detection() {
        let lb = |s: &str| parse(s).unwrap().is_loopback();
        assert!(lb("ollama:m"));
        assert!(lb("openai-compatible:m@http://localhost:1234/v1"));
        assert!(lb("openai-compatible:m@http://[::1]:1234/v1"));
        assert!(!lb("openai:m"));
        assert!(!lb("openai-compatible:m@http://10.0.0.5:8000/v1"));
    }

    #[test]
    fn with_base_url_validates() {
        let s = parse("openai:m").unwrap();
        assert_eq!(
            s.clone()
                .with_base_url("http://127.0.0.1:4000/v1/")
                .unwrap()
                .base_url,
            "http://127.0.0.1:4000/v1"
        );
        assert!(s.with_base_url("127.0.0.1:4000").is_err());
    }
}
