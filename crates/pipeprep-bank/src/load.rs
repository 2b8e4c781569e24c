//! Parsing, merging and cross-checking bank files. Every problem names the file and line and says
//! how to fix it, because the people who hit these errors are writing their own scenarios.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use pipeprep_design::catalog::{Component, LIMIT_METRICS};
use pipeprep_design::prices::{PRICE_UNITS, Price};
use pipeprep_design::{Catalog, PriceTable};
use regex::Regex;
use serde::Deserialize;

use crate::model::{
    Concept, Dimension, LevelModel, Misconception, Resource, Scenario, SemanticSettings, Topic,
};

/// One bank file: where it came from, its path relative to the bank root, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankFile {
    /// The path shown in error messages.
    pub path: String,
    /// The path relative to the bank root, with `/` separators: `scenarios/x.toml`.
    pub rel: String,
    pub text: String,
}

/// A problem found in a bank file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub message: String,
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {} — {}",
            self.file, self.line, self.message, self.fix
        )
    }
}

/// All problems found, in file and line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// The loaded, cross-checked bank.
#[derive(Debug, Clone, Default)]
pub struct Bank {
    pub scenarios: Vec<Scenario>,
    pub concepts: Vec<Concept>,
    pub catalog: Catalog,
    pub prices: PriceTable,
    pub resources: Vec<Resource>,
    pub topics: Vec<Topic>,
    pub misconceptions: Vec<Misconception>,
    /// The fitted level model per dimension (empty when no `levels.toml` is loaded).
    pub levels: Vec<LevelModel>,
    /// How near a sentence must be to a concept's example to show it (from `levels.toml`).
    pub semantic: Option<SemanticSettings>,
}

impl Bank {
    pub fn scenario(&self, id: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.id == id)
    }

    pub fn concept(&self, id: &str) -> Option<&Concept> {
        self.concepts.iter().find(|c| c.id == id)
    }

    pub fn topic(&self, id: &str) -> Option<&Topic> {
        self.topics.iter().find(|t| t.id == id)
    }

    /// Scenario ids closest to `id`, best first, for "did you mean" messages.
    pub fn closest_scenario_ids(&self, id: &str) -> Vec<&str> {
        let mut scored: Vec<(f64, &str)> = self
            .scenarios
            .iter()
            .map(|s| {
                let mut score = strsim::jaro_winkler(id, &s.id);
                if s.id.contains(id) || id.contains(s.id.as_str()) {
                    score += 0.5;
                }
                (score, s.id.as_str())
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        scored.into_iter().take(3).map(|(_, id)| id).collect()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicsFile {
    #[serde(default)]
    topic: Vec<Topic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LevelsFile {
    /// Provenance written by the fitting script; read by people, not by the program.
    #[serde(default, rename = "fitted")]
    _fitted: Option<toml::Value>,
    #[serde(default)]
    semantic: Option<SemanticSettings>,
    #[serde(default)]
    dimension: Vec<LevelModel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MisconceptionsFile {
    #[serde(default)]
    misconception: Vec<Misconception>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConceptsFile {
    #[serde(default)]
    concept: Vec<Concept>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentsFile {
    #[serde(default)]
    component: Vec<Component>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PricesFile {
    #[serde(default)]
    price: Vec<Price>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourcesFile {
    #[serde(default)]
    resource: Vec<Resource>,
}

/// Entries of one kind with the file each came from (an index into the file list).
struct Entries<T> {
    items: Vec<(T, usize)>,
}

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Self { items: Vec::new() }
    }
}

struct Collector<'a> {
    files: Vec<&'a BankFile>,
    problems: Vec<Problem>,
    /// Files before this index are the embedded bank, which the test suite and `scenarios
    /// validate` check in full; only the compile-level regex checks are skipped for them.
    trusted: usize,
    /// Files that did not parse, by their path relative to the bank root.
    unparsed: Vec<String>,
}

impl Collector<'_> {
    /// Whether the costly checks (compiling patterns, matching claims) run for this file.
    fn deep(&self, file: usize) -> bool {
        file >= self.trusted
    }
}

/// Counts bytes, so an offset inside a multi-byte character cannot panic.
fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

impl Collector<'_> {
    fn push(
        &mut self,
        file: usize,
        line: usize,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.problems.push(Problem {
            file: self.files[file].path.clone(),
            line,
            message: message.into(),
            fix: fix.into(),
        });
    }

    /// Line of the first occurrence of `needle` in a file, or 1.
    fn line_of(&self, file: usize, needle: &str) -> usize {
        self.files[file]
            .text
            .find(needle)
            .map_or(1, |at| line_at(&self.files[file].text, at))
    }

    /// Line of a quoted value (`"kafka"`), the usual way a reference appears.
    fn line_of_value(&self, file: usize, value: &str) -> usize {
        self.line_of(file, &format!("\"{value}\""))
    }

    /// Line of the `id = "..."` entry line for an id.
    /// A plain scan, not a regex: an id of any length or content cannot fail to compile.
    fn line_of_id(&self, file: usize, id: &str) -> usize {
        let quoted = format!("\"{id}\"");
        let is_entry = |line: &str| {
            line.trim_start()
                .strip_prefix("id")
                .map(str::trim_start)
                .and_then(|r| r.strip_prefix('='))
                .is_some_and(|r| r.trim_start().starts_with(&quoted))
        };
        self.files[file]
            .text
            .lines()
            .position(is_entry)
            .map_or_else(|| self.line_of_value(file, id), |i| i + 1)
    }

    fn parse<T: for<'de> Deserialize<'de>>(&mut self, file: usize) -> Option<T> {
        let text = &self.files[file].text;
        match toml::from_str::<T>(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let line = e.span().map_or(1, |s| line_at(text, s.start));
                let msg = e.message().trim().replace('\n', " ");
                let fix = if msg.contains("unknown field") {
                    "remove the key or correct its spelling (the schema is in bank/README.md)"
                } else if msg.contains("missing field") {
                    "add the field (the schema is in bank/README.md)"
                } else if msg.contains("unknown variant") {
                    "use one of the values the message lists"
                } else {
                    "fix the TOML at that line (the schema is in bank/README.md)"
                };
                self.push(file, line, format!("invalid bank file: {msg}"), fix);
                self.unparsed.push(self.files[file].rel.clone());
                None
            }
        }
    }
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

#[derive(Default)]
struct Layer {
    topics: Entries<Topic>,
    concepts: Entries<Concept>,
    components: Entries<Component>,
    prices: Entries<Price>,
    resources: Entries<Resource>,
    scenarios: Entries<Scenario>,
    misconceptions: Entries<Misconception>,
    levels: Entries<LevelModel>,
    semantic: Option<SemanticSettings>,
}

fn parse_layer(c: &mut Collector<'_>, range: std::ops::Range<usize>) -> Layer {
    let mut layer = Layer::default();
    for i in range {
        let rel = c.files[i].rel.clone();
        if rel == "topics.toml" {
            if let Some(f) = c.parse::<TopicsFile>(i) {
                layer
                    .topics
                    .items
                    .extend(f.topic.into_iter().map(|t| (t, i)));
            }
        } else if rel == "components.toml" {
            if let Some(f) = c.parse::<ComponentsFile>(i) {
                layer
                    .components
                    .items
                    .extend(f.component.into_iter().map(|t| (t, i)));
            }
        } else if rel == "prices.toml" {
            if let Some(f) = c.parse::<PricesFile>(i) {
                layer
                    .prices
                    .items
                    .extend(f.price.into_iter().map(|t| (t, i)));
            }
        } else if rel == "resources.toml" {
            if let Some(f) = c.parse::<ResourcesFile>(i) {
                layer
                    .resources
                    .items
                    .extend(f.resource.into_iter().map(|t| (t, i)));
            }
        } else if rel == "levels.toml" {
            if let Some(f) = c.parse::<LevelsFile>(i) {
                if let Some(sem) = f.semantic {
                    layer.semantic = Some(sem);
                }
                for m in f.dimension {
                    if m.features.len() != m.weights.len() || m.thresholds[0] > m.thresholds[1] {
                        let line = c.line_of_value(i, m.id.id());
                        c.push(
                            i,
                            line,
                            format!(
                                "level model `{}` needs one weight per feature and ascending thresholds",
                                m.id.id()
                            ),
                            "re-fit it with `python3 calibration/fit.py`",
                        );
                    } else {
                        layer.levels.items.push((m, i));
                    }
                }
            }
        } else if rel == "misconceptions.toml" {
            if let Some(f) = c.parse::<MisconceptionsFile>(i) {
                layer
                    .misconceptions
                    .items
                    .extend(f.misconception.into_iter().map(|t| (t, i)));
            }
        } else if rel.starts_with("concepts/") {
            if let Some(f) = c.parse::<ConceptsFile>(i) {
                layer
                    .concepts
                    .items
                    .extend(f.concept.into_iter().map(|t| (t, i)));
            }
        } else if let Some(name) = rel.strip_prefix("scenarios/") {
            if let Some(s) = c.parse::<Scenario>(i) {
                let stem = name.trim_end_matches(".toml");
                if stem != s.id {
                    let line = c.line_of_id(i, &s.id);
                    c.push(
                        i,
                        line,
                        format!(
                            "scenario id `{}` does not match the file name `{name}`",
                            s.id
                        ),
                        format!("rename the file to `{}.toml` or set id = \"{stem}\"", s.id),
                    );
                }
                layer.scenarios.items.push((s, i));
            }
        } else {
            c.push(
                i,
                1,
                format!("`{rel}` is not a bank file this version knows"),
                "put scenarios in scenarios/ and concepts in concepts/, or rename it (see bank/README.md)",
            );
        }
    }
    layer
}

/// Merges `over` into `base` by id: the same id in `over` replaces the base entry. Duplicate ids
/// within one layer are reported.
fn merge<T>(
    c: &mut Collector<'_>,
    base: &mut Entries<T>,
    over: Entries<T>,
    id: impl Fn(&T) -> &str,
    kind: &str,
) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (item, file) in over.items {
        let key = id(&item).to_string();
        if let Some(&first) = seen.get(&key) {
            let line = c.line_of_id(file, &key);
            let first_path = c.files[first].path.clone();
            c.push(
                file,
                line,
                format!("duplicate {kind} id `{key}` (also in {first_path})"),
                "give one of them another id",
            );
            continue;
        }
        seen.insert(key.clone(), file);
        if let Some(slot) = base.items.iter_mut().find(|(b, _)| id(b) == key) {
            *slot = (item, file);
        } else {
            base.items.push((item, file));
        }
    }
}

/// Loads one bank (for example the repository's `bank/` directory).
pub fn load(files: &[BankFile]) -> Result<Bank, Problems> {
    load_layers(&[files.to_vec()])
}

/// Loads several bank layers, later layers overriding earlier ones entry by entry (same id).
/// Every check runs on every layer.
pub fn load_layers(layers: &[Vec<BankFile>]) -> Result<Bank, Problems> {
    load_checked(layers, 0)
}

/// The embedded bank with the user's own layer over it, as every command starts: the embedded
/// files are not compiled pattern by pattern again (their tests did that, and it cost most of the
/// start-up), the user's layer is checked in full.
pub fn load_over_embedded(user: Option<Vec<BankFile>>) -> Result<Bank, Problems> {
    let embedded = crate::embedded_files();
    let trusted = embedded.len();
    let mut layers = vec![embedded];
    layers.extend(user);
    load_checked(&layers, trusted)
}

fn load_checked(layers: &[Vec<BankFile>], trusted: usize) -> Result<Bank, Problems> {
    let all: Vec<&BankFile> = layers.iter().flatten().collect();
    let mut c = Collector {
        files: all,
        problems: Vec::new(),
        trusted,
        unparsed: Vec::new(),
    };
    let mut merged = Layer::default();
    let mut start = 0;
    for layer_files in layers {
        let end = start + layer_files.len();
        let layer = parse_layer(&mut c, start..end);
        merge(&mut c, &mut merged.topics, layer.topics, |t| &t.id, "topic");
        merge(
            &mut c,
            &mut merged.concepts,
            layer.concepts,
            |t| &t.id,
            "concept",
        );
        merge(
            &mut c,
            &mut merged.components,
            layer.components,
            |t| &t.id,
            "component",
        );
        merge(&mut c, &mut merged.prices, layer.prices, |t| &t.id, "price");
        merge(
            &mut c,
            &mut merged.resources,
            layer.resources,
            |t| &t.id,
            "resource",
        );
        merge(
            &mut c,
            &mut merged.scenarios,
            layer.scenarios,
            |t| &t.id,
            "scenario",
        );
        if layer.semantic.is_some() {
            merged.semantic = layer.semantic;
        }
        merge(
            &mut c,
            &mut merged.levels,
            layer.levels,
            |t| t.id.id(),
            "level model",
        );
        merge(
            &mut c,
            &mut merged.misconceptions,
            layer.misconceptions,
            |t| &t.id,
            "misconception",
        );
        start = end;
    }
    // A catalog file (components, concepts, topics, …) that does not parse leaves its entries
    // out of the bank, so every reference to them would be reported too (a typo in
    // components.toml made each scenario's components "unknown"). Its parse error comes alone;
    // the rest is checked once it is fixed. Nothing refers to a scenario, so a broken scenario
    // file does not stop the other files' checks.
    if c.unparsed.iter().all(|rel| rel.starts_with("scenarios/")) {
        check(&mut c, &merged);
    }
    if c.problems.is_empty() {
        Ok(Bank {
            scenarios: merged.scenarios.items.into_iter().map(|(s, _)| s).collect(),
            concepts: merged.concepts.items.into_iter().map(|(s, _)| s).collect(),
            catalog: Catalog::new(
                merged
                    .components
                    .items
                    .into_iter()
                    .map(|(s, _)| s)
                    .collect(),
            ),
            prices: PriceTable::new(merged.prices.items.into_iter().map(|(s, _)| s).collect()),
            resources: merged.resources.items.into_iter().map(|(s, _)| s).collect(),
            topics: merged.topics.items.into_iter().map(|(s, _)| s).collect(),
            levels: merged.levels.items.into_iter().map(|(s, _)| s).collect(),
            semantic: merged.semantic,
            misconceptions: merged
                .misconceptions
                .items
                .into_iter()
                .map(|(s, _)| s)
                .collect(),
        })
    } else {
        let mut problems = c.problems;
        problems.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
        problems.dedup();
        Err(Problems(problems))
    }
}

fn check(c: &mut Collector<'_>, m: &Layer) {
    let concept_ids: BTreeSet<&str> = m
        .concepts
        .items
        .iter()
        .map(|(x, _)| x.id.as_str())
        .collect();
    let component_ids: BTreeSet<&str> = m
        .components
        .items
        .iter()
        .map(|(x, _)| x.id.as_str())
        .collect();
    let topic_ids: BTreeSet<&str> = m.topics.items.iter().map(|(x, _)| x.id.as_str()).collect();

    for (t, f) in &m.topics.items {
        kebab(c, *f, &t.id, "topic");
        if t.keywords.is_empty() {
            let line = c.line_of_id(*f, &t.id);
            c.push(
                *f,
                line,
                format!("topic `{}` has no keywords", t.id),
                "add the words that make a question about it",
            );
        }
    }

    let mut term_owner: BTreeMap<String, String> = BTreeMap::new();
    for (k, f) in &m.concepts.items {
        kebab(c, *f, &k.id, "concept");
        if k.dimensions.is_empty() {
            let line = c.line_of_id(*f, &k.id);
            c.push(
                *f,
                line,
                format!("concept `{}` has no dimensions", k.id),
                "list 1 to 3 rubric dimension ids",
            );
        }
        if k.terms.is_empty() && k.patterns.is_empty() {
            let line = c.line_of_id(*f, &k.id);
            c.push(
                *f,
                line,
                format!("concept `{}` has no terms", k.id),
                "add the phrases a candidate would use",
            );
        }
        for term in &k.terms {
            let key = term.trim().to_lowercase();
            if let Some(owner) = term_owner.get(&key) {
                if owner != &k.id {
                    let line = c.line_of_value(*f, term);
                    c.push(
                        *f,
                        line,
                        format!(
                            "term `{term}` of concept `{}` is already a term of `{owner}`",
                            k.id
                        ),
                        "keep each term in one concept",
                    );
                }
            } else {
                term_owner.insert(key, k.id.clone());
            }
        }
        for p in &k.patterns {
            // The syntax check first (cheap, and its message points into the pattern); then a
            // compile, which is what finds a pattern too large for the regex size limit (the
            // analyzer would fail on it later with no file or line).
            let pattern = format!("(?i){p}");
            if c.deep(*f)
                && regex_syntax::Parser::new().parse(&pattern).is_ok()
                && let Err(regex::Error::CompiledTooBig(limit)) = Regex::new(&pattern)
            {
                let line = c.line_of(*f, p);
                c.push(
                    *f,
                    line,
                    format!(
                        "pattern of concept `{}` is too large once compiled (over the regex size limit of {} MB)",
                        k.id,
                        limit / (1024 * 1024)
                    ),
                    "make it smaller: fewer or shorter counted repetitions such as `{1000}`, or split it into several patterns",
                );
            }
            if let Err(e) = regex_syntax::Parser::new().parse(&pattern) {
                let line = c.line_of(*f, p);
                let first = regex_problem(&e);
                c.push(
                    *f,
                    line,
                    format!(
                        "pattern of concept `{}` is not a valid regex: {first}",
                        k.id
                    ),
                    "fix the regular expression (Rust regex syntax)",
                );
            }
        }
    }

    for (k, f) in &m.misconceptions.items {
        check_misconception(c, k, *f);
    }

    let mut alias_owner: BTreeMap<String, String> = BTreeMap::new();
    for (k, f) in &m.components.items {
        kebab(c, *f, &k.id, "component");
        for alt in &k.alternatives {
            if !component_ids.contains(alt.as_str()) {
                let line = c.line_of_value(*f, alt);
                c.push(
                    *f,
                    line,
                    format!("component `{}` lists unknown alternative `{alt}`", k.id),
                    "use a component id from components.toml",
                );
            }
        }
        for a in k.aliases.iter().chain(std::iter::once(&k.id)) {
            let key = pipeprep_design::catalog::normalize_name(a);
            match alias_owner.get(&key) {
                Some(owner) if owner != &k.id => {
                    let line = c.line_of_value(*f, a);
                    c.push(
                        *f,
                        line,
                        format!(
                            "alias `{a}` of component `{}` is already used by `{owner}`",
                            k.id
                        ),
                        "keep each alias on one component",
                    );
                }
                Some(_) => {}
                None => {
                    alias_owner.insert(key, k.id.clone());
                }
            }
        }
        for l in &k.limits {
            if !LIMIT_METRICS.contains(&l.metric.as_str()) {
                let line = c.line_of_value(*f, &l.metric);
                c.push(
                    *f,
                    line,
                    format!("unknown limit metric `{}`", l.metric),
                    format!("use one of: {}", LIMIT_METRICS.join(", ")),
                );
            }
            if !l.source.starts_with("http") {
                let line = c.line_of_value(*f, &l.metric);
                c.push(
                    *f,
                    line,
                    format!("limit `{}` of `{}` has no source URL", l.metric, k.id),
                    "add source = \"https://...\" where the number was found",
                );
            }
        }
    }

    let date = Regex::new(r"^\d{4}-\d{2}-\d{2}$").expect("valid regex");
    for (p, f) in &m.prices.items {
        kebab(c, *f, &p.id, "price");
        if !PRICE_UNITS.contains(&p.unit.as_str()) {
            let line = c.line_of_value(*f, &p.unit);
            c.push(
                *f,
                line,
                format!("price `{}` has unknown unit `{}`", p.id, p.unit),
                format!("use one of: {}", PRICE_UNITS.join(", ")),
            );
        }
        if !p.source.starts_with("http") {
            let line = c.line_of_id(*f, &p.id);
            c.push(
                *f,
                line,
                format!("price `{}` has no source URL", p.id),
                "add source = \"https://...\"",
            );
        }
        if !date.is_match(&p.as_of) {
            let line = c.line_of_id(*f, &p.id);
            c.push(
                *f,
                line,
                format!("price `{}` has as_of `{}`", p.id, p.as_of),
                "write the date as YYYY-MM-DD",
            );
        }
        if p.usd < 0.0 || !p.usd.is_finite() {
            let line = c.line_of_id(*f, &p.id);
            c.push(
                *f,
                line,
                format!("price `{}` is negative or not a number", p.id),
                "write the list price in US dollars",
            );
        }
    }

    for (r, f) in &m.resources.items {
        kebab(c, *f, &r.id, "resource");
        if !r.url.starts_with("http") {
            let line = c.line_of_id(*f, &r.id);
            c.push(
                *f,
                line,
                format!("resource `{}` has no URL", r.id),
                "add url = \"https://...\"",
            );
        }
        for k in &r.concepts {
            if !concept_ids.contains(k.as_str()) {
                let line = c.line_of_value(*f, k);
                c.push(
                    *f,
                    line,
                    format!("unknown concept `{k}` in resource `{}`", r.id),
                    "use a concept id from concepts/*.toml or add the concept",
                );
            }
        }
    }

    if m.scenarios.items.is_empty() && !c.files.is_empty() {
        c.push(
            0,
            1,
            "the bank has no scenarios",
            "add at least one file under scenarios/",
        );
    }
    for (s, f) in &m.scenarios.items {
        check_scenario(c, *f, s, &concept_ids, &component_ids, &topic_ids);
    }
}

fn kebab(c: &mut Collector<'_>, file: usize, id: &str, kind: &str) {
    if !is_kebab(id) {
        let line = c.line_of_id(file, id);
        c.push(
            file,
            line,
            format!("{kind} id `{id}` is not lowercase kebab-case"),
            "use lowercase letters, digits and single hyphens, like `late-data`",
        );
    }
}

/// The last line of a regex error: the part that says what is wrong.
fn regex_problem(e: &impl std::fmt::Display) -> String {
    e.to_string()
        .lines()
        .last()
        .unwrap_or("invalid")
        .trim()
        .to_string()
}

/// A misconception must be recognisable: valid patterns that match every claim it lists and none
/// of its correct statements, so a bad pattern is caught here rather than as false corrections.
fn check_misconception(c: &mut Collector<'_>, k: &Misconception, f: usize) {
    kebab(c, f, &k.id, "misconception");
    if k.cap != "novice" && k.cap != "intermediate" {
        let line = c.line_of_value(f, &k.cap);
        c.push(
            f,
            line,
            format!("misconception `{}` has cap `{}`", k.id, k.cap),
            "use cap = \"novice\" or cap = \"intermediate\"",
        );
    }
    if k.patterns.is_empty() || k.claims.is_empty() {
        let line = c.line_of_id(f, &k.id);
        c.push(
            f,
            line,
            format!("misconception `{}` needs patterns and claims", k.id),
            "add at least one pattern and one claim it matches",
        );
        return;
    }
    if !c.deep(f) {
        return;
    }
    let mut compiled = Vec::new();
    for p in &k.patterns {
        match regex::bytes::RegexBuilder::new(&crate::model::misconception_pattern(p))
            .size_limit(1 << 20)
            .build()
        {
            Ok(re) => compiled.push(re),
            Err(e) => {
                let line = c.line_of(f, p);
                let first = regex_problem(&e);
                c.push(
                    f,
                    line,
                    format!(
                        "pattern of misconception `{}` is not a valid regex: {first}",
                        k.id
                    ),
                    "fix the regular expression (Rust regex syntax, no look-around)",
                );
            }
        }
    }
    if compiled.len() != k.patterns.len() {
        return;
    }
    let hit = |t: &str| {
        compiled
            .iter()
            .any(|re| re.is_match(t.to_lowercase().as_bytes()))
    };
    for claim in k.claims.iter().filter(|t| !hit(t)) {
        let line = c.line_of_value(f, claim);
        c.push(
            f,
            line,
            format!(
                "claim of misconception `{}` matches none of its patterns",
                k.id
            ),
            "widen a pattern or reword the claim",
        );
    }
    for ok in k.not_claims.iter().filter(|t| hit(t)) {
        let line = c.line_of_value(f, ok);
        c.push(
            f,
            line,
            format!(
                "correct statement listed for misconception `{}` matches its patterns",
                k.id
            ),
            "narrow the pattern so it does not match correct statements",
        );
    }
}

fn check_scenario(
    c: &mut Collector<'_>,
    f: usize,
    s: &Scenario,
    concepts: &BTreeSet<&str>,
    components: &BTreeSet<&str>,
    topics: &BTreeSet<&str>,
) {
    if !is_kebab(&s.id) {
        let line = c.line_of_id(f, &s.id);
        c.push(
            f,
            line,
            format!("scenario id `{}` is not lowercase kebab-case", s.id),
            "use lowercase letters, digits and single hyphens",
        );
    }
    if s.prompt.trim().is_empty() {
        let line = c.line_of(f, "prompt");
        c.push(
            f,
            line,
            "the scenario prompt is empty",
            "write the business scenario the interviewer presents",
        );
    }
    let mut reported: BTreeSet<String> = BTreeSet::new();
    for k in s.referenced_concepts() {
        if !concepts.contains(k) && reported.insert(k.to_string()) {
            let line = c.line_of_value(f, k);
            c.push(
                f,
                line,
                format!("unknown concept `{k}`"),
                "use a concept id from concepts/*.toml or add the concept there",
            );
        }
    }
    let mut check_component = |c: &mut Collector<'_>, id: &str, what: &str| {
        if !components.contains(id) && reported.insert(id.to_string()) {
            let line = c.line_of_value(f, id);
            c.push(
                f,
                line,
                format!("unknown component `{id}` in {what}"),
                "use a component id from components.toml",
            );
        }
    };
    for rc in &s.reference.components {
        check_component(c, &rc.component, "reference.component");
        for a in &rc.alternatives {
            check_component(c, a, "reference.component alternatives");
        }
    }
    for p in &s.probes {
        if !components.contains(p.key.as_str()) && !is_kebab(&p.key) {
            let line = c.line_of_value(f, &p.key);
            c.push(
                f,
                line,
                format!(
                    "probe key `{}` is neither a component id nor a kebab-case decision id",
                    p.key
                ),
                "use a component id or a decision id like `dedup-strategy`",
            );
        }
    }
    for r in &s.requirements {
        for t in r.all_topics() {
            if !topics.contains(t) && reported.insert(format!("topic:{t}")) {
                let line = c.line_of_value(f, t);
                c.push(
                    f,
                    line,
                    format!("unknown requirement topic `{t}`"),
                    "use a topic id from topics.toml",
                );
            }
        }
    }
    if !s.requirements.iter().any(|r| r.essential) {
        let line = c.line_of(f, "[[requirement]]");
        c.push(
            f,
            line,
            "no requirement is marked essential",
            "set essential = true on the requirements a strong candidate must ask about",
        );
    }
    for t in &s.twists {
        if !["scale", "sla", "budget", "requirement"].contains(&t.kind.as_str()) {
            let line = c.line_of_value(f, &t.kind);
            c.push(
                f,
                line,
                format!("unknown twist kind `{}`", t.kind),
                "use scale, sla, budget or requirement",
            );
        }
    }
    if s.failures.len() < 3 {
        let line = c.line_of(f, "[[failure]]");
        c.push(
            f,
            line,
            format!(
                "{} failure {}; at least 3 are needed",
                s.failures.len(),
                if s.failures.len() == 1 {
                    "injection"
                } else {
                    "injections"
                }
            ),
            "add [[failure]] entries with prompt, detection, recovery and prevention",
        );
    }
    for fl in &s.failures {
        match fl.outage_min {
            Some(_) if !fl.kind.builds_backlog() => {
                let line = c.line_of_id(f, &fl.id);
                c.push(
                    f,
                    line,
                    format!(
                        "failure `{}` has outage_min but its kind `{}` builds no backlog",
                        fl.id,
                        fl.kind.id()
                    ),
                    "remove outage_min, or use kind broker-loss or outage",
                );
            }
            Some(m) if !(m.is_finite() && m > 0.0) => {
                let line = c.line_of_id(f, &fl.id);
                c.push(
                    f,
                    line,
                    format!("failure `{}` has outage_min {m}", fl.id),
                    "give the minutes the part was down as a positive number, e.g. outage_min = 120.0",
                );
            }
            _ => {}
        }
    }
    for h in &s.hints {
        if h.levels.len() != 4 {
            let line = c.line_of_value(f, &h.area);
            c.push(
                f,
                line,
                format!(
                    "hint ladder `{}` has {} {}; exactly 4 are needed",
                    h.area,
                    h.levels.len(),
                    if h.levels.len() == 1 {
                        "level"
                    } else {
                        "levels"
                    }
                ),
                "write nudge, direction, partial answer and full walkthrough",
            );
        }
    }
    if s.hints.is_empty() {
        let line = c.line_of(f, "id");
        c.push(
            f,
            line,
            "the scenario has no hint ladders",
            "add at least one [[hints]] with 4 levels",
        );
    }
    for d in Dimension::ALL {
        match s.expectations.get(&d) {
            None => {
                let line = c.line_of(f, "[expectations");
                c.push(
                    f,
                    line,
                    format!("no expectations for dimension `{d}`"),
                    format!("add [expectations.{d}] with intermediate and expert concept ids"),
                );
            }
            Some(e) if e.intermediate.is_empty() || e.expert.is_empty() => {
                let line = c.line_of(f, &format!("[expectations.{d}]"));
                c.push(
                    f,
                    line,
                    format!("expectations for `{d}` need both intermediate and expert concepts"),
                    "list at least one concept id in each",
                );
            }
            Some(_) => {}
        }
    }
    match pipeprep_design::arrow::parse(&s.reference.architecture) {
        Ok(g) if g.edges().is_empty() => {
            let line = c.line_of(f, "architecture");
            c.push(
                f,
                line,
                "the reference architecture has no arrows",
                "write it as chains like `Kafka -> Flink -> Redis`",
            );
        }
        Ok(_) => {}
        Err(e) => {
            let first = c.line_of(f, "architecture");
            let text = &c.files[f].text;
            // The architecture string starts on the line after `architecture = """`.
            let starts_next = text
                .lines()
                .nth(first - 1)
                .is_some_and(|l| l.trim_end().ends_with("\"\"\""));
            let line = first + e.line - usize::from(!starts_next);
            c.push(
                f,
                line,
                format!("reference architecture: {}", e.message),
                "see docs/arrow-notation.md for the syntax",
            );
        }
    }
    let p = &s.params;
    for (name, v) in [
        ("events_per_day", p.events_per_day),
        ("peak_events_per_sec", p.peak_events_per_sec),
        ("event_size_bytes", p.event_size_bytes),
        ("latency_sla_sec", p.latency_sla_sec),
        ("retention_days", p.retention_days),
        ("budget_usd_month", p.budget_usd_month),
    ] {
        if v.is_some_and(|v| !v.is_finite() || v < 0.0) {
            let line = c.line_of(f, name);
            c.push(
                f,
                line,
                format!("params.{name} must be a non-negative number"),
                "fix the value",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_ids() {
        assert!(is_kebab("late-data"));
        assert!(is_kebab("p99"));
        assert!(!is_kebab("Late-data"));
        assert!(!is_kebab("late--data"));
        assert!(!is_kebab("late_data"));
        assert!(!is_kebab(""));
    }

    /// A typo in components.toml is one problem, not one per scenario that names a component.
    #[test]
    fn a_file_that_does_not_parse_is_reported_alone() {
        let mut files = crate::embedded_files();
        let comp = files
            .iter_mut()
            .find(|f| f.rel == "components.toml")
            .expect("the bank has a catalog");
        comp.text = comp
            .text
            .replacen("layer = \"ingestion\"", "layer = \"nowhere\"", 1);
        let line = comp.text[..comp.text.find("\"nowhere\"").expect("edited")]
            .lines()
            .count();
        let problems = load(&files).expect_err("the catalog is invalid").0;
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert_eq!(problems[0].file, comp_path(&files));
        assert_eq!(problems[0].line, line);
        assert!(
            problems[0].message.contains("invalid bank file"),
            "{problems:#?}"
        );
    }

    fn comp_path(files: &[BankFile]) -> String {
        files
            .iter()
            .find(|f| f.rel == "components.toml")
            .map(|f| f.path.clone())
            .unwrap_or_default()
    }

    #[test]
    fn line_numbers_are_one_based() {
        assert_eq!(line_at("a\nb\nc", 0), 1);
        assert_eq!(line_at("a\nb\nc", 2), 2);
        assert_eq!(line_at("a\nb\nc", 4), 3);
    }
}
