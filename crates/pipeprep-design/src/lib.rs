//! Pure design tools for pipeprep.
//!
//! Interviewers judge a pipeline by drawing it and doing its arithmetic. This crate holds the
//! design graph every other part shares (the analyzer builds one from prose, the bank checks the
//! reference designs with it), the component catalog and price table types that the bank loads,
//! and the tools that work on them: the arrow-notation parser ([`arrow`]), the renderers
//! ([`render`]), the linter ([`lint`]), the capacity and cost estimator ([`estimate`]) and the failure
//! simulation drawn over a design ([`sim`]).
//! It is a leaf: no I/O, no async, no terminal.

pub mod arrow;
pub mod catalog;
pub mod estimate;
pub mod graph;
pub mod lint;
mod num;
pub mod prices;
pub mod render;
pub mod sim;

pub use arrow::ArrowError;
pub use catalog::{Catalog, Component, Delivery, Latency, Layer, Limit, Managed};
pub use estimate::{Estimate, EstimateError, EstimateInput, Figure};
pub use graph::{DesignGraph, Edge, Node, NodeId};
pub use lint::{Finding, LintContext, Severity};
pub use prices::{Price, PriceTable};

/// The bank's own catalog and price table, parsed the way the bank loader parses them, so unit
/// tests check the rules against the numbers users will actually get.
#[cfg(test)]
pub(crate) mod testkit {
    use crate::{Catalog, Component, Price, PriceTable};

    #[derive(serde::Deserialize)]
    struct Components {
        component: Vec<Component>,
    }

    #[derive(serde::Deserialize)]
    struct Prices {
        price: Vec<Price>,
    }

    pub(crate) fn catalog() -> Catalog {
        let f: Components = toml::from_str(include_str!("../../../bank/components.toml"))
            .expect("bank/components.toml parses");
        Catalog::new(f.component)
    }

    pub(crate) fn prices() -> PriceTable {
        let f: Prices = toml::from_str(include_str!("../../../bank/prices.toml"))
            .expect("bank/prices.toml parses");
        PriceTable::new(f.price)
    }
}
