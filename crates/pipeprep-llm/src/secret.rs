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
/// `openai-compatible` and `ollama` read no environment variable: a key meant for api.openai.com
/// must not be sent to whatever server a URL names, so theirs can only come from the config file.
pub fn resolve_key(
    provider: Provider,
    env: impl Fn(&str) -> Option<String>,
    config: Option<&str>,
) -> Option<Secret> {
    let from_env = provider.key_var().and_then(env);
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
        let key = |p, cfg| resolve_key(p, &env, cfg).map(|s: Secret| s.expose().to_string());
        assert_eq!(
            key(Provider::OpenAi, Some("sk-cfg")).as_deref(),
            Some("sk-env")
        );
        assert_eq!(key(Provider::Anthropic, None).as_deref(), Some("a-env"));
    }

    #[test]
    fn config_is_the_fallback_and_blank_is_absent() {
        let env = env_with(&[(env::OPENAI_API_KEY, "  ")]);
        let key = |p, cfg| resolve_key(p, &env, cfg).map(|s: Secret| s.expose().to_string());
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
        assert_eq!(resolve_key(Provider::OpenAiCompatible, &env, None), None);
        assert_eq!(resolve_key(Provider::Ollama, &env, None), None);
        assert_eq!(
            resolve_key(Provider::OpenAiCompatible, &env, Some("local-key")),
            Some(Secret::new("local-key"))
        );
    }
}
