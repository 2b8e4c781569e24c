//! Choosing the LLM (flag over config file), building its backend with the key from the
//! environment or the config file, and the one place an async runtime is created: a
//! current-thread tokio runtime that the synchronous shell blocks on.

use anyhow::Result;
use pipeprep_llm::{Backend, BackendOptions, CheckReport, LlmError, LlmSpec, Secret};

use crate::bad;
use crate::config::FileConfig;

/// A chosen model and the key to reach it.
#[derive(Debug, Clone)]
pub struct Selection {
    pub spec: LlmSpec,
    pub key: Option<Secret>,
    /// The second opinion's whole budget (`llm_timeout` in the config file).
    pub opinion_budget: std::time::Duration,
    /// How long a reply may take to start (`llm_first_token_timeout` in the config file), when
    /// set; else the backend's default for the kind of server.
    pub first_token_timeout: Option<std::time::Duration>,
    /// The longest pause in a reply (`llm_idle_timeout`), when set.
    pub idle_timeout: Option<std::time::Duration>,
    /// Tokens needed in every 10 s of a reply (`llm_min_tokens`), when set.
    pub min_tokens: Option<u32>,
}

/// The LLM to use: `--llm` when given, else `llm = "..."` in the config file, else none.
/// A spec that does not parse is bad input (exit code 2). Keys come from the real environment
/// first, then `llm_key` in the config file.
pub fn select(flag: Option<&str>, file: &FileConfig) -> Result<Option<Selection>> {
    let (text, whence) = match (flag, file.llm.as_deref()) {
        (Some(f), _) => (f, "--llm"),
        (None, Some(c)) => (c, "llm in the config file"),
        (None, None) => return Ok(None),
    };
    let spec = LlmSpec::parse_with_env(text, |k| std::env::var(k).ok())
        .map_err(|e| bad(format!("{whence} `{}`: {e}", text.trim())))?;
    let key = pipeprep_llm::resolve_key(
        spec.provider,
        &spec.base_url,
        |k| std::env::var(k).ok(),
        file.llm_key.as_ref().map(Secret::expose),
    );
    let secs = match file.llm_timeout {
        Some(0) => {
            return Err(bad(
                "llm_timeout in the config file is 0 — give the second opinion's budget in seconds, e.g. `llm_timeout = 180`",
            ));
        }
        Some(s) => s,
        None => crate::voice::DEFAULT_LLM_TIMEOUT_S,
    };
    let first_token_timeout = match file.llm_first_token_timeout {
        Some(0) => {
            return Err(bad(
                "llm_first_token_timeout in the config file is 0 — give the seconds a reply may take to start, e.g. `llm_first_token_timeout = 120`",
            ));
        }
        Some(s) => Some(std::time::Duration::from_secs(s)),
        None => None,
    };
    let idle_timeout = match file.llm_idle_timeout {
        Some(0) => {
            return Err(bad(
                "llm_idle_timeout in the config file is 0 — give the seconds a reply may pause, e.g. `llm_idle_timeout = 30`",
            ));
        }
        Some(s) => Some(std::time::Duration::from_secs(s)),
        None => None,
    };
    Ok(Some(Selection {
        spec,
        key,
        opinion_budget: std::time::Duration::from_secs(secs),
        first_token_timeout,
        idle_timeout,
        min_tokens: file.llm_min_tokens,
    }))
}

/// A backend for the selection, with the default timeouts and retries (a longer first-token
/// wait for a model on this machine) and the first-token wait of the config file, if any.
pub fn backend(sel: &Selection) -> Result<Backend, LlmError> {
    let mut options = BackendOptions::for_spec(&sel.spec);
    if let Some(t) = sel.first_token_timeout {
        options.first_token_timeout = t;
    }
    if let Some(t) = sel.idle_timeout {
        options.idle_timeout = t;
    }
    if let Some(n) = sel.min_tokens {
        options.min_tokens = n;
    }
    backend_with(sel, options)
}

pub fn backend_with(sel: &Selection, options: BackendOptions) -> Result<Backend, LlmError> {
    Backend::new(sel.spec.clone(), sel.key.clone(), options)
}

/// The interviewer's voice for the selection. A missing key for a hosted provider is bad input.
pub fn voice(sel: &Selection) -> Result<crate::voice::LlmVoice> {
    let backend = backend(sel).map_err(|e| bad(format!("--llm `{}`: {e}", sel.spec)))?;
    let mut voice = crate::voice::LlmVoice::new(
        Box::new(backend),
        sel.spec.to_string(),
        sel.spec.model.clone(),
    )?;
    voice.set_local(sel.spec.is_loopback());
    voice.set_opinion_budget(sel.opinion_budget);
    Ok(voice)
}

/// The runtime the shell blocks on for each LLM call.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

/// `pipeprep llm check`: one tiny completion.
pub fn check(sel: &Selection) -> Result<Result<CheckReport, LlmError>> {
    let rt = runtime()?;
    let backend = match backend(sel) {
        Ok(b) => b,
        Err(e) => return Ok(Err(e)),
    };
    Ok(rt.block_on(backend.check()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_wins_over_config_and_bad_specs_are_bad_input() {
        let file = FileConfig {
            llm: Some("openai-compatible:cfg@http://127.0.0.1:9/v1".into()),
            llm_key: Some(Secret::new("k-cfg")),
            ..FileConfig::default()
        };
        let s = select(None, &file).unwrap().unwrap();
        assert_eq!(s.spec.model, "cfg");
        assert_eq!(s.key.as_ref().map(Secret::expose), Some("k-cfg"));
        let s = select(Some("openai-compatible:flag@http://127.0.0.1:9/v1"), &file)
            .unwrap()
            .unwrap();
        assert_eq!(s.spec.model, "flag");
        let e = select(Some("nonsense"), &file).unwrap_err();
        assert!(e.downcast_ref::<crate::BadInput>().is_some(), "{e}");
        assert!(select(None, &FileConfig::default()).unwrap().is_none());
    }

    #[test]
    fn the_first_token_wait_comes_from_the_config_file_and_zero_is_bad_input() {
        let local = "llm = \"openai-compatible:m@http://127.0.0.1:9/v1\"\n";
        let file: FileConfig = toml::from_str(local).unwrap();
        let sel = select(None, &file).unwrap().unwrap();
        assert_eq!(
            backend(&sel).unwrap().options().first_token_timeout,
            BackendOptions::LOCAL_FIRST_TOKEN_TIMEOUT
        );
        let file: FileConfig =
            toml::from_str(&format!("{local}llm_first_token_timeout = 240\n")).unwrap();
        let sel = select(None, &file).unwrap().unwrap();
        assert_eq!(
            backend(&sel).unwrap().options().first_token_timeout,
            std::time::Duration::from_secs(240)
        );
        let file: FileConfig = toml::from_str(&format!(
            "{local}llm_idle_timeout = 45\nllm_min_tokens = 0\n"
        ))
        .unwrap();
        let o = backend(&select(None, &file).unwrap().unwrap())
            .unwrap()
            .options()
            .clone();
        assert_eq!(o.idle_timeout, std::time::Duration::from_secs(45));
        assert_eq!(o.min_tokens, 0);
        let file: FileConfig =
            toml::from_str(&format!("{local}llm_first_token_timeout = 0\n")).unwrap();
        let e = select(None, &file).unwrap_err();
        assert!(e.downcast_ref::<crate::BadInput>().is_some(), "{e}");
        assert!(e.to_string().contains("llm_first_token_timeout"), "{e}");
    }

    #[test]
    fn config_key_never_shows_in_debug() {
        let file: FileConfig =
            toml::from_str("llm = \"ollama:llama3.2\"\nllm_key = \"sk-very-secret\"\n").unwrap();
        let shown = format!("{file:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
    }
}
