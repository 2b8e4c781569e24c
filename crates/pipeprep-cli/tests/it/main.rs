//! End-to-end tests of the `pipeprep` binary, in one test binary so the suite links once.
//!
//! Every test runs the real executable with `PIPEPREP_HOME` pointing at a fresh temporary
//! directory, so no user configuration or bank overlay leaks in, and asserts what a user would
//! notice: exit codes, the first line of an error, the shape of the output.

mod cli;
mod common;
mod design;
mod durability;
mod estimate;
mod grade;
mod llm;
mod practice;
mod replay;
mod scenarios;
mod serve;
mod sessions;
mod terminal;
mod users;
