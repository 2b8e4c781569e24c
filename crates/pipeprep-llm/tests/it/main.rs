//! Every adapter against a local HTTP server on 127.0.0.1 that speaks its provider's wire format
//! with recorded shapes, through the bad days: 429 with Retry-After, 5xx, a stream cut in the
//! middle, garbage JSON, a wrong key, an unknown model, a refused or hanging connection and a
//! model that never starts. No test needs the network or a key.

mod anthropic;
mod fake;
mod ollama;
mod openai;
mod server;
mod suite;
