//! The interview core: the interview state machine, the evidence ledger and the scorer.
//!
//! Everything here is pure: time and randomness come in as inputs, effects go out as data, so
//! every interview can be replayed and every score reproduced byte for byte. The shell that
//! performs the effects (terminal, store, LLM) lives in `pipeprep-app`.

pub mod calibration;
pub mod dialogue;
pub mod estimate_args;
pub mod interview;
pub mod knowledge;
pub mod render;
pub mod scorer;
pub mod transcript;
mod voice;

/// The sentences of a message as the no-repeat rule compares them (lowercased, spaces folded).
pub fn voice_sentences(text: &str) -> Vec<String> {
    voice::sentence_keys(text)
}

pub use interview::{Act, Command, Effect, Event, Interview, InterviewConfig, Phase};
pub use knowledge::Knowledge;
pub use scorer::{Level, Scorecard, score};
pub use transcript::{Speaker, Transcript, TranscriptError, Turn};
/// What an act must convey, whoever words it (the LLM voice checks its replies against it).
pub use voice::{Essential, essentials, number_values};
