//! The problem bank: scenarios, concept lexicon, component catalog, price table, resources and
//! requirement topics, parsed and validated from TOML text.
//!
//! The bank is data so that interview content can grow without code changes and users can add
//! their own. This crate only turns strings into checked values; reading directories is the
//! caller's job, which keeps it pure. The repository's `bank/` directory is embedded at build time
//! as the default.

mod load;
mod model;

pub use load::{Bank, BankFile, Problem, Problems, load, load_layers, load_over_embedded};
pub use model::{
    Concept, Difficulty, Dimension, Expectation, Failure, FailureKind, HintLadder, LevelModel,
    Misconception, Params, Probe, RefComponent, Reference, Requirement, Resource, Scenario,
    SemanticSettings, Topic, Tradeoff, Twist, misconception_pattern,
};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The default bank files, as embedded in the binary. Paths are relative to `bank/`.
pub fn embedded_files() -> Vec<BankFile> {
    embedded::EMBEDDED
        .iter()
        .map(|(path, text)| BankFile {
            path: format!("bank/{path}"),
            rel: (*path).to_string(),
            text: (*text).to_string(),
        })
        .collect()
}

/// The embedded default bank. It is validated by the test suite and by CI, so a failure here is a
/// build defect, reported as such.
pub fn embedded() -> Result<Bank, Problems> {
    load(&embedded_files())
}
