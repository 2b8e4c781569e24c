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
    /// The candidate's voice (`paraphrase`, `terse`, …), for agreement per style.
    pub style: Option<String>,
}

impl Labelled {
    /// The holistic label: the median of the seven (label conventions: usually the majority).
    pub fn overall(&self) -> Level {
        let mut v = self.labels;
        v.sort();
        v[3]
    }
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
    /// The scorecard's overall level against the median label.
    pub overall: DimReport,
    /// style -> (cells, exact cells).
    pub styles: std::collections::BTreeMap<String, (usize, usize)>,
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
    let mut overall = DimReport::default();
    let mut styles: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for item in set {
        let card = score(k, &item.transcript, None);
        let want = item.overall();
        overall.n += 1;
        overall.confusion[idx(want)][idx(card.overall.level)] += 1;
        overall.exact += usize::from(want == card.overall.level);
        overall.within_one +=
            usize::from((idx(want) as i32 - idx(card.overall.level) as i32).abs() <= 1);
        let style = styles
            .entry(item.style.clone().unwrap_or_else(|| "unlabelled".into()))
            .or_default();
        for (i, ds) in card.dimensions.iter().enumerate() {
            style.0 += 1;
            style.1 += usize::from(item.labels[i] == ds.level);
        }
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
    Report {
        dims,
        overall,
        styles,
        misses,
    }
}

impl Report {
    pub fn overall_exact(&self) -> f64 {
        let (e, n) = self
            .dims
            .iter()
            .fold((0, 0), |(e, n), (_, r)| (e + r.exact, n + r.n));
        if n == 0 { 1.0 } else { e as f64 / n as f64 }
    }

    /// Quadratic weighted kappa over every cell (all dimensions pooled).
    pub fn qwk(&self) -> f64 {
        let mut m = [[0.0f64; 3]; 3];
        for (_, r) in &self.dims {
            for (i, row) in r.confusion.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    m[i][j] += *v as f64;
                }
            }
        }
        let n: f64 = m.iter().flatten().sum();
        if n == 0.0 {
            return 1.0;
        }
        let rows: Vec<f64> = (0..3).map(|i| m[i].iter().sum()).collect();
        let cols: Vec<f64> = (0..3).map(|j| (0..3).map(|i| m[i][j]).sum()).collect();
        let (mut obs, mut exp) = (0.0, 0.0);
        for i in 0..3 {
            for j in 0..3 {
                let w = ((i as f64 - j as f64) / 2.0).powi(2);
                obs += w * m[i][j];
                exp += w * rows[i] * cols[j] / n;
            }
        }
        if exp == 0.0 { 1.0 } else { 1.0 - obs / exp }
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
        let _ = writeln!(
            o,
            "all cells: exact {:.1}%, quadratic weighted kappa {:.3}",
            self.overall_exact() * 100.0,
            self.qwk()
        );
        let _ = writeln!(
            o,
            "overall level (label: median of the seven): exact {:.1}%, within-one {:.1}% (n {})",
            self.overall.exact_rate() * 100.0,
            self.overall.within_one_rate() * 100.0,
            self.overall.n
        );
        for (style, (n, e)) in &self.styles {
            let _ = writeln!(
                o,
                "style {style:<16} exact {:>5.1}% over {n} cells",
                100.0 * *e as f64 / (*n).max(1) as f64
            );
        }
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
