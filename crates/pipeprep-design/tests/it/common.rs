use pipeprep_design::{Catalog, Component, Price, PriceTable};

/// The spec's reference clickstream design, with its `|` continuation under Kafka.
pub const CLICKSTREAM: &str = "\
Click Events -> Kafka -> Flink (5s window) -> Redis (Dashboard)
                  |
                S3 (Raw Data) -> Spark Hourly -> Snowflake (Reports)
";

#[derive(serde::Deserialize)]
struct Components {
    component: Vec<Component>,
}

#[derive(serde::Deserialize)]
struct Prices {
    price: Vec<Price>,
}

pub fn catalog() -> Catalog {
    let f: Components = toml::from_str(include_str!("../../../../bank/components.toml"))
        .expect("bank/components.toml parses");
    Catalog::new(f.component)
}

pub fn prices() -> PriceTable {
    let f: Prices = toml::from_str(include_str!("../../../../bank/prices.toml"))
        .expect("bank/prices.toml parses");
    PriceTable::new(f.price)
}
