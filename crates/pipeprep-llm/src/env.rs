//! Every environment variable this crate reads, declared once. The crate itself only reads them
//! through a lookup closure passed in by the caller, so tests never touch the real environment.

/// The OpenAI API key (`openai:MODEL`). Not sent to `openai-compatible` servers, which take
/// their key from the config file, so a real OpenAI key never leaks to a third-party host.
pub const OPENAI_API_KEY: &str = "OPENAI_API_KEY";
/// The Anthropic API key (`anthropic:MODEL`).
pub const ANTHROPIC_API_KEY: &str = "ANTHROPIC_API_KEY";
/// Where Ollama listens: `host:port` or a URL; the default is `http://127.0.0.1:11434`.
pub const OLLAMA_HOST: &str = "OLLAMA_HOST";

/// A key for the server an `@URL` names (any provider), given on purpose for it; provider keys
/// above never go to another host.
pub const PIPEPREP_LLM_KEY: &str = "PIPEPREP_LLM_KEY";
