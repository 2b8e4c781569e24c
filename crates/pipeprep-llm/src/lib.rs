//! The LLM port of pipeprep: everything that talks to a language model over the network.
//!
//! The interview is run by the pure, deterministic engine in `pipeprep-core`; an LLM only gives
//! it a voice and a second opinion. This crate exists so that the network, TLS, timeouts and
//! retries stay out of the pure crates: they never depend on it, and nothing here depends on the
//! rest of pipeprep.
//!
//! One module per wire format, each split into a pure request builder and a pure stream parser
//! (both unit-tested without I/O), and one [`Backend`] that sends, streams and retries:
//!
//! - [`openai`]: OpenAI chat completions with SSE, which also covers Ollama's `/v1`, vLLM,
//!   llama.cpp server and LM Studio (`openai-compatible:MODEL@URL`);
//! - [`anthropic`]: Anthropic Messages with SSE;
//! - [`ollama`]: Ollama's native `/api/chat` with newline-delimited JSON.
//!
//! [`FakeBackend`] is a scripted stand-in for engine tests. Wiring the voice into the interview
//! (prompts, the offline fallback, `pipeprep llm check`) is a later step in `pipeprep-app` and
//! the CLI; this crate only offers the pieces.

pub mod anthropic;
mod backend;
pub mod env;
mod error;
mod fake;
pub mod guard;
pub mod ollama;
pub mod openai;
mod secret;
mod spec;
pub mod stream;
mod types;

pub use backend::{Backend, BackendOptions, BoxFuture, ChatBackend, CheckReport};
pub use error::{LlmError, StreamError};
pub use fake::{FakeBackend, FakeReply};
pub use secret::{Secret, resolve_key};
pub use spec::{LlmSpec, Provider, SpecError};
pub use types::{ChatRequest, Completion, HttpRequest, Message, Role, Usage};
