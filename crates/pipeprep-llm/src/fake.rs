//! A scripted backend for engine and front-end tests: canned replies and failures in order, no
//! network, no clock.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::backend::{BoxFuture, ChatBackend};
use crate::error::LlmError;
use crate::types::{ChatRequest, Completion, Usage};

/// One scripted outcome.
#[derive(Debug, Clone, PartialEq)]
pub enum FakeReply {
    /// Streamed word by word to `on_delta`, then returned.
    Text(String),
    Error(LlmError),
}

/// Answers each request with the next scripted [`FakeReply`] and records the requests, so a test
/// can assert both what the engine asked and what it did with the answer. An exhausted script
/// fails with [`LlmError::ScriptExhausted`].
#[derive(Debug, Default)]
pub struct FakeBackend {
    replies: Mutex<VecDeque<FakeReply>>,
    requests: Mutex<Vec<ChatRequest>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock has already failed; keep the data readable.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl FakeBackend {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a text reply to the script (builder style).
    pub fn reply(self, text: impl Into<String>) -> Self {
        self.push(FakeReply::Text(text.into()));
        self
    }

    /// Adds a failure to the script (builder style).
    pub fn fail(self, error: LlmError) -> Self {
        self.push(FakeReply::Error(error));
        self
    }

    /// Adds an outcome to the script of a shared backend.
    pub fn push(&self, reply: FakeReply) {
        lock(&self.replies).push_back(reply);
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<ChatRequest> {
        lock(&self.requests).clone()
    }

    /// Scripted outcomes not used yet.
    pub fn remaining(&self) -> usize {
        lock(&self.replies).len()
    }

    /// Answers like a real backend would, without waiting: deltas first, then the completion.
    pub fn answer(
        &self,
        req: &ChatRequest,
        on_delta: &mut (dyn FnMut(&str) + Send),
    ) -> Result<Completion, LlmError> {
        lock(&self.requests).push(req.clone());
        let next = lock(&self.replies).pop_front();
        match next {
            None => Err(LlmError::ScriptExhausted),
            Some(FakeReply::Error(e)) => Err(e),
            Some(FakeReply::Text(text)) => {
                for piece in text.split_inclusive(' ') {
                    on_delta(piece);
                }
                Ok(Completion {
                    usage: Usage::resolve(req, &text, None, None),
                    text,
                    provider: "fake".into(),
                    model: "scripted".into(),
                    first_token_ms: 0,
                    total_ms: 0,
                    truncated: false,
                })
            }
        }
    }
}

impl ChatBackend for FakeBackend {
    fn label(&self) -> String {
        "fake:scripted".into()
    }

    fn complete<'a>(
        &'a self,
        req: &'a ChatRequest,
        on_delta: &'a mut (dyn FnMut(&str) + Send),
    ) -> BoxFuture<'a, Result<Completion, LlmError>> {
        let result = self.answer(req, on_delta);
        Box::pin(std::future::ready(result))
    }
}
