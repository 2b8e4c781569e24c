//! Integration tests of pipeprep-design, in one binary so the suite links once.

mod common;
mod props;
mod snapshots;
