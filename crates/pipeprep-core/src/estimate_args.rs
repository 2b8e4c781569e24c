//! Estimator input from `--flag value` pairs, shared by `pipeprep estimate` and `/estimate`.

use pipeprep_design::estimate::{
    EstimateInput, estimate, parse_bytes, parse_count, parse_duration, range,
};
use pipeprep_design::{Catalog, PriceTable};

pub const KEYS: &[&str] = &[
    "events-per-day",
    "events-per-sec",
    "event-size",
    "peak-factor",
    "retention",
    "compression",
    "dedup-window",
    "bloom-fpr",
];

fn number(key: &str, v: &str) -> Result<f64, String> {
    v.trim()
        .parse::<f64>()
        .map_err(|_| format!("--{key} `{v}` is not a number — write it like 3 or 2.5"))
}

/// `v` (parsed from `raw`) when it is inside the accepted range of `--key`; otherwise an error
/// that quotes what was typed (not `inf` or 300 digits) and states the range.
fn ranged(key: &str, raw: &str, v: f64) -> Result<f64, String> {
    let r = range(key);
    if r.contains(v) {
        Ok(v)
    } else {
        Err(format!(
            "--{key} `{}` is out of range — use {}",
            raw.trim(),
            r.says
        ))
    }
}

/// Builds the estimator input. Later pairs override earlier ones (defaults first, user last).
pub fn build(pairs: &[(String, String)]) -> Result<EstimateInput, String> {
    let get = |k: &str| {
        pairs
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    for (k, _) in pairs {
        if !KEYS.contains(&k.as_str()) {
            return Err(format!(
                "unknown option `--{k}` — use one of --{}",
                KEYS.join(", --")
            ));
        }
    }
    let size = get("event-size")
        .ok_or("missing --event-size — give the size of one event, e.g. --event-size 1KB")?;
    let size = ranged(
        "event-size",
        size,
        parse_bytes(size).map_err(|e| e.to_string())?,
    )?;
    let mut input = match (get("events-per-day"), get("events-per-sec")) {
        (Some(d), _) => EstimateInput::per_day(
            ranged(
                "events-per-day",
                d,
                parse_count(d).map_err(|e| e.to_string())?,
            )?,
            size,
        ),
        (None, Some(s)) => EstimateInput::per_sec(
            ranged(
                "events-per-sec",
                s,
                parse_count(s).map_err(|e| e.to_string())?,
            )?,
            size,
        ),
        (None, None) => {
            return Err(
                "missing volume — give --events-per-day (e.g. 1B) or --events-per-sec (e.g. 100K)"
                    .into(),
            );
        }
    }
    .map_err(|e| e.to_string())?;
    if let Some(v) = get("peak-factor") {
        input = input
            .with_peak_factor(ranged("peak-factor", v, number("peak-factor", v)?)?)
            .map_err(|e| e.to_string())?;
    }
    if let Some(v) = get("retention") {
        input = input
            .with_retention_sec(ranged(
                "retention",
                v,
                parse_duration(v).map_err(|e| e.to_string())?,
            )?)
            .map_err(|e| e.to_string())?;
    }
    if let Some(v) = get("compression") {
        input = input
            .with_compression_ratio(ranged("compression", v, number("compression", v)?)?)
            .map_err(|e| e.to_string())?;
    }
    if let Some(v) = get("dedup-window") {
        input = input
            .with_dedup_window_sec(ranged(
                "dedup-window",
                v,
                parse_duration(v).map_err(|e| e.to_string())?,
            )?)
            .map_err(|e| e.to_string())?;
    }
    if let Some(v) = get("bloom-fpr") {
        input = input
            .with_bloom_fpr(ranged("bloom-fpr", v, number("bloom-fpr", v)?)?)
            .map_err(|e| e.to_string())?;
    }
    input.validate().map_err(|e| e.to_string())?;
    Ok(input)
}

/// Splits `--key value --key2=value2` into pairs.
pub fn split(args: &str) -> Result<Vec<(String, String)>, String> {
    let toks: Vec<&str> = args.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        let Some(k) = t.strip_prefix("--") else {
            return Err(format!(
                "unexpected `{t}` — options look like --events-per-day 1B"
            ));
        };
        if let Some((k, v)) = k.split_once('=') {
            out.push((k.to_string(), v.to_string()));
            i += 1;
        } else {
            let v = toks.get(i + 1).ok_or(format!("--{k} needs a value"))?;
            out.push((k.to_string(), (*v).to_string()));
            i += 2;
        }
    }
    Ok(out)
}

/// Runs `/estimate ARGS` with scenario defaults underneath, returning the text table.
pub fn run(
    args: &str,
    defaults: &[(String, String)],
    cat: &Catalog,
    prices: &PriceTable,
) -> Result<String, String> {
    let mut pairs = defaults.to_vec();
    pairs.extend(split(args)?);
    let input = build(&pairs)?;
    Ok(estimate(&input, cat, prices).to_text())
}
