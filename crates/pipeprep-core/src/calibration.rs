//! Agreement between the scorer and human labels: exact and within-one per dimension, and a
//! confusion matrix (rows: label, columns: scorer).

use std::fmt::Write as _;

use pipeprep_bank::Dimension;

use crate::knowledge::Knowledge;
use crate::scorer::{Level, score};
use crate::transcript::Transcript;

pub struct Labelled {
    pub name: String,
    pub transcript: Transcript,
    pub labels: [Level; 7],
}

#[derive(Debug, Clone, Default)]
pub struct DimReport {
    pub n: usize,
    pub exact: usize,
    pub within_one: usize,
    /// [label][scored]
    pub confusion: [[usize; 3]; 3],
}

impl DimReport {
    pub fn exact_rate(&self) -> f64 {
        if self.n == 0 {
            1.0
        } else {
            self.exact as f64 / self.n as f64
        }
    }

    pub fn within_one_rate(&self) -> f64 {
        if self.n == 0 {
            1.0
        } else {
            self.within_one as f64 / self.n as f64
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub dims: Vec<(Dimension, DimReport)>,
    /// (file, dimension, label, scored) for every disagreement.
    pub misses: Vec<(String, Dimension, Level, Level)>,
}

fn idx(l: Level) -> usize {
    match l {
        Level::Novice => 0,
        Level::Intermediate => 1,
        Level::Expert => 2,
    }
}

pub fn evaluate(k: &Knowledge, set: &[Labelled]) -> Report {
    let mut dims: Vec<(Dimension, DimReport)> = Dimension::ALL
        .iter()
        .map(|d| (*d, DimReport::default()))
        .collect();
    let mut misses = Vec::new();
    for item in set {
        let card = score(k, &item.transcript, None);
        for (i, ds) in card.dimensions.iter().enumerate() {
            let want = item.labels[i];
            let r = &mut dims[i].1;
            r.n += 1;
            r.confusion[idx(want)][idx(ds.level)] += 1;
            if want == ds.level {
                r.exact += 1;
            } else {
                misses.push((item.name.clone(), ds.id, want, ds.level));
            }
            if (idx(want) as i32 - idx(ds.level) as i32).abs() <= 1 {
                r.within_one += 1;
            }
        }
    }
    Report { dims, misses }
}

impl Report {
    pub fn overall_exact(&self) -> f64 {
        let (e, n) = self
            .dims
            .iter()
            .fold((0, 0), |(e, n), (_, r)| (e + r.exact, n + r.n));
        if n == 0 { 1.0 } else { e as f64 / n as f64 }
    }

    pub fn to_text(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{:<24} {:>4} {:>8} {:>11}",
            "dimension", "n", "exact", "within-one"
        );
        for (d, r) in &self.dims {
            let _ = writeln!(
                o,
                "{:<24} {:>4} {:>7.1}% {:>10.1}%",
                d.id(),
                r.n,
                r.exact_rate() * 100.0,
                r.within_one_rate() * 100.0
            );
        }
        let _ = writeln!(o, "overall exact: {:.1}%", self.overall_exact() * 100.0);
        for (d, r) in &self.dims {
            let _ = writeln!(o, "\n{} (rows: label, columns: scorer)", d.id());
            let _ = writeln!(
                o,
                "{:<14}{:>8}{:>14}{:>8}",
                "", "novice", "intermediate", "expert"
            );
            for (i, name) in ["novice", "intermediate", "expert"].iter().enumerate() {
                let row = r.confusion[i];
                let _ = writeln!(o, "{:<14}{:>8}{:>14}{:>8}", name, row[0], row[1], row[2]);
            }
        }
        if !self.misses.is_empty() {
            let _ = writeln!(o, "\ndisagreements (file, dimension: label -> scorer)");
            for (f, d, want, got) in &self.misses {
                let _ = writeln!(
                    o,
                    "  {f}  {}: {} -> {}",
                    d.id(),
                    want.as_str(),
                    got.as_str()
                );
            }
        }
        o
    }
}
