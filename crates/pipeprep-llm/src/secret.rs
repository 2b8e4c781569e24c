//! API keys: where they come from, and a wrapper that never prints them.

use std::fmt;

use serde::Deserialize;

use crate::spec::Provider;

/// An API key. `Debug` and `Display` print `***`; only [`Secret::expose`] gives the value, and
/// only the request builders call it. Deliberately not `Serialize`, so it cannot end up in the
/// store or an export by accident.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The key itself, for a request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// The key for `provider`: its environment variable (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`)
/// wins over the config file, as everywhere in pipeprep (defaults < config < environment <
/// flags; keys are never flags). Blank values count as absent.
///
/// A provider's environment key goes only to that provider's own host: `openai-compatible`,
/// `ollama`, and `openai:`/`anthropic:` with an `@URL` elsewhere never read it, since a key meant
/// for api.openai.com must not reach whatever server a URL names. Their key comes from
/// `PIPEPREP_LLM_KEY` or `llm_key` in the config file, given for that server on purpose.
pub fn resolve_key(
    provider: Provider,
    base_url: &str,
    env: impl Fn(&str) -> Option<String>,
    config: Option<&str>,
) -> Option<Secret> {
    let own_host = crate::spec::default_base(provider).is_some_and(|home| {
        let host = |u: &str| {
            u.split("://")
                .nth(1)
                .unwrap_or(u)
                .split(['/', '?', '#'])
                .next()
                .unwrap_or("")
                .to_ascii_lowercase()
        };
        host(home) == host(base_url) && base_url.trim().starts_with("https://")
    });
    let from_env = if own_host {
        provider.key_var().and_then(&env)
    } else {
        env(crate::env::PIPEPREP_LLM_KEY)
    };
    [from_env.as_deref(), config]
        .into_iter()
        .flatten()
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(Secret::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env;

    /// Issue 13 item 4: `OPENAI_API_KEY` set and `openai:MODEL@http://127.0.0.1:PORT/v1` must not
    /// send the OpenAI key to that server; only a key given for it (`PIPEPREP_LLM_KEY`, config).
    #[test]
    fn a_providers_key_never_goes_to_another_host() {
        let env = |k: &str| match k {
            "OPENAI_API_KEY" => Some("sk-openai".to_string()),
            "ANTHROPIC_API_KEY" => Some("sk-ant".to_string()),
            _ => None,
        };
        let local = "http://127.0.0.1:9999/v1";
        assert_eq!(resolve_key(Provider::OpenAi, local, env, None), None);
        assert_eq!(resolve_key(Provider::Anthropic, local, env, None), None);
        assert_eq!(
            resolve_key(
                Provider::OpenAi,
                "https://api.openai.com.evil.test/v1",
                env,
                None
            ),
            None
        );
        let with_own = |k: &str| match k {
            "OPENAI_API_KEY" => Some("sk-openai".to_string()),
            "PIPEPREP_LLM_KEY" => Some("for-this-server".to_string()),
            _ => None,
        };
        let got = resolve_key(Provider::OpenAi, local, with_own, None);
        assert_eq!(got.as_ref().map(Secret::expose), Some("for-this-server"));
        let got = resolve_key(Provider::OpenAi, local, env, Some("cfg-key"));
        assert_eq!(got.as_ref().map(Secret::expose), Some("cfg-key"));
        let got = resolve_key(Provider::OpenAi, "https://api.openai.com/v1", env, None);
        assert_eq!(got.as_ref().map(Secret::expose), Some("sk-openai"));
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("sk-live-123");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{:?}", Some(s.clone())), "Some(***)");
        assert_eq!(s.expose(), "sk-live-123");
    }

    #[test]
    fn secret_reads_from_config_as_a_plain_string() {
        #[derive(Deserialize)]
        struct Cfg {
            api_key: Secret,
        }
        let cfg: Cfg = serde_json::from_str(r#"{"api_key":"sk-cfg"}"#).unwrap();
        assert_eq!(cfg.api_key.expose(), "sk-cfg");
    }

    fn env_with(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_string())
        }
    }

    #[test]
    fn environment_wins_over_config() {
        let env = env_with(&[
            (env::OPENAI_API_KEY, "sk-env"),
            (env::ANTHROPIC_API_KEY, "a-env"),
        ]);
        let key = |p, cfg| {
            resolve_key(p, crate::spec::default_base(p).unwrap_or(""), &env, cfg)
                .map(|s: Secret| s.expose().to_string())
        };
        assert_eq!(
            key(Provider::OpenAi, Some("sk-cfg")).as_deref(),
            Some("sk-env")
        );
        assert_eq!(key(Provider::Anthropic, None).as_deref(), Some("a-env"));
    }

    #[test]
    fn config_is_the_fallback_and_blank_is_absent() {
        let env = env_with(&[(env::OPENAI_API_KEY, "  ")]);
        let key = |p, cfg| {
            resolve_key(p, crate::spec::default_base(p).unwrap_or(""), &env, cfg)
                .map(|s: Secret| s.expose().to_string())
        };
        assert_eq!(
            key(Provider::OpenAi, Some(" sk-cfg ")).as_deref(),
            Some("sk-cfg")
        );
        assert_eq!(key(Provider::OpenAi, Some("")), None);
        assert_eq!(key(Provider::OpenAi, None), None);
    }

    #[test]
    fn openai_key_is_not_sent_to_compatible_servers() {
        let env = env_with(&[(env::OPENAI_API_KEY, "sk-env")]);
        assert_eq!(
            resolve_key(
                Provider::OpenAiCompatible,
                "http://127.0.0.1:8080/v1",
                &env,
                None
            ),
            None
        );
        assert_eq!(
            resolve_key(Provider::Ollama, "http://127.0.0.1:11434", &env, None),
            None
        );
        assert_eq!(
            resolve_key(
                Provider::OpenAiCompatible,
                "http://127.0.0.1:8080/v1",
                &env,
                Some("local-key")
            ),
            Some(Secret::new("local-key"))
        );
    }
}
