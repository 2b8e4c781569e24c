//! The dated price table. Every price carries its source and the day it was read, because prices
//! change and a user must be able to check the figure the estimator used.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub id: String,
    pub item: String,
    pub unit: String,
    pub usd: f64,
    pub source: String,
    pub as_of: String,
    #[serde(default)]
    pub note: String,
}

/// Units a price may be given in.
pub const PRICE_UNITS: &[&str] = &[
    "gb-month",
    "tb-month",
    "per-million-requests",
    "per-1000-requests",
    "gb-second",
    "hour",
    "credit",
    "tib-scanned",
    "tib-throughput",
    "shard-hour",
    "per-million-units",
    "per-million-tokens",
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    prices: Vec<Price>,
}

impl PriceTable {
    pub fn new(prices: Vec<Price>) -> Self {
        Self { prices }
    }

    pub fn prices(&self) -> &[Price] {
        &self.prices
    }

    pub fn get(&self, id: &str) -> Option<&Price> {
        self.prices.iter().find(|p| p.id == id)
    }

    /// The input and output prices per million tokens of an LLM, from the entries
    /// `llm-MODEL-input-per-million` and `llm-MODEL-output-per-million`. A dated snapshot or
    /// `-latest` alias of a listed model (`claude-sonnet-4-20250514`, `gpt-4o-mini-2024-07-18`,
    /// `claude-3-5-haiku-latest`) has the listed model's price; any other variant has none.
    /// Ids are kebab-case, so in the model name every character other than a lowercase letter
    /// or a digit reads as `-` (`gpt-4.1` is `llm-gpt-4-1-…`).
    pub fn llm(&self, model: &str) -> Option<(&Price, &Price)> {
        let model: String = model
            .to_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let lookup = |m: &str| {
            Some((
                self.get(&format!("llm-{m}-input-per-million"))?,
                self.get(&format!("llm-{m}-output-per-million"))?,
            ))
        };
        lookup(&model).or_else(|| lookup(without_snapshot(&model)?))
    }

    /// The list price in dollars of `prompt_tokens` in and `completion_tokens` out, when the
    /// table has the model (see [`llm`](Self::llm)).
    pub fn llm_usd(&self, model: &str, prompt_tokens: u64, completion_tokens: u64) -> Option<f64> {
        let (i, o) = self.llm(model)?;
        Some(prompt_tokens as f64 / 1e6 * i.usd + completion_tokens as f64 / 1e6 * o.usd)
    }
}

/// `model` without a trailing `-YYYYMMDD`, `-YYYY-MM-DD` or `-latest`, if it has one.
fn without_snapshot(model: &str) -> Option<&str> {
    if let Some(base) = model.strip_suffix("-latest") {
        return Some(base);
    }
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (base, last) = model.rsplit_once('-')?;
    if last.len() == 8 && digits(last) {
        return Some(base);
    }
    // -YYYY-MM-DD: three numeric parts of 4, 2 and 2 digits.
    let (rest, day) = (base, last);
    let (rest, month) = rest.rsplit_once('-')?;
    let (base, year) = rest.rsplit_once('-')?;
    (year.len() == 4 && month.len() == 2 && day.len() == 2)
        .then_some(())
        .filter(|()| digits(year) && digits(month) && digits(day))
        .map(|()| base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(id: &str, usd: f64) -> Price {
        Price {
            id: id.into(),
            item: id.into(),
            unit: "per-million-tokens".into(),
            usd,
            source: "https://example.invalid/pricing".into(),
            as_of: "2026-11-25".into(),
            note: String::new(),
        }
    }

    #[test]
    fn llm_prices_cover_dated_snapshots_but_not_other_variants() {
        let t = PriceTable::new(vec![
            price("llm-claude-sonnet-4-input-per-million", 3.0),
            price("llm-claude-sonnet-4-output-per-million", 15.0),
            price("llm-gpt-4o-mini-input-per-million", 0.15),
            price("llm-gpt-4o-mini-output-per-million", 0.6),
        ]);
        let usd = |m: &str| t.llm(m).map(|(i, o)| (i.usd, o.usd));
        assert_eq!(usd("claude-sonnet-4"), Some((3.0, 15.0)));
        // 12,000 tokens in and 2,000 out: 0.036 + 0.030 dollars.
        let cost = t.llm_usd("claude-sonnet-4", 12_000, 2_000).unwrap();
        assert!((cost - 0.066).abs() < 1e-12, "{cost}");
        assert_eq!(usd("claude-sonnet-4-20250514"), Some((3.0, 15.0)));
        assert_eq!(usd("claude-sonnet-4-latest"), Some((3.0, 15.0)));
        assert_eq!(usd("gpt-4o-mini-2024-07-18"), Some((0.15, 0.6)));
        // Sonnet 4.5 is another model, not a snapshot of Sonnet 4.
        assert_eq!(usd("claude-sonnet-4-5"), None);
        assert_eq!(usd("claude-sonnet-4-5-20250929"), None);
        assert_eq!(usd("gpt-4o"), None);
        assert_eq!(usd("llama3.1:8b"), None);
        let t = PriceTable::new(vec![
            price("llm-gpt-4-1-input-per-million", 2.0),
            price("llm-gpt-4-1-output-per-million", 8.0),
        ]);
        assert_eq!(t.llm("GPT-4.1").map(|(i, _)| i.usd), Some(2.0));
    }
}
