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
}
