//! Capacity and cost estimation that shows its arithmetic.
//!
//! Interviewers check back-of-the-envelope numbers, so every [`Figure`] carries the formula with
//! the actual numbers in it and, where a catalog limit or a price was used, its source URL.
//!
//! Units: byte figures are binary (1 KiB = 1,024 B, 1 MiB = 1,048,576 B, GiB, TiB), the way
//! the worked examples in the research notes compute them (1B events/day × 1 KiB ≈ 11.3 MiB/s).
//! The catalog's per-partition and per-shard "MB/s" limits are read as MiB/s, and S3 prices per
//! "GB" are applied per GiB, which is how AWS bills. When parsing sizes, `KB`, `MB`, … are
//! decimal (1 KB = 1,000 bytes) and `KiB`, `MiB`, … are binary (1 KiB = 1,024 bytes).

use serde::Serialize;

use crate::catalog::Catalog;
use crate::num::{GIB, KIB, MIB, binary_unit, fmt_bytes, fmt_int, fmt_num, fmt_price, fmt_usd};
use crate::prices::PriceTable;

/// Bad estimator input. Messages are lowercase, name the bad value and show a valid one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EstimateError {
    #[error(
        "`{0}` is not a count: write a number with an optional K, M, B or T suffix, as in `100K`, `2.5M`, `1e9` or `1,000,000`"
    )]
    Count(String),
    #[error(
        "`{0}` is not a size: write a number and a unit, as in `500B`, `1KB` or `1.5 MiB` (KB = 1,000 bytes, KiB = 1,024 bytes)"
    )]
    Bytes(String),
    #[error(
        "`{0}` is not a duration: write a number and a unit, as in `5s`, `30m`, `24h`, `90d`, `2y` or `7 days`"
    )]
    Duration(String),
    #[error(
        "`{0}` is not a rate: write a count per unit of time, as in `100K/s`, `1B/day` or `10,000 per minute`"
    )]
    Rate(String),
    /// A value that parsed but makes no sense (a peak below the average, a negative size).
    #[error("{0}")]
    Invalid(String),
}

/// Splits `2.5 MiB` into (`2.5`, `mib`). Accepts separators `1,000,000` (groups of three) and
/// `1_000`, and scientific notation `1e9`.
fn split_number(s: &str) -> Option<(f64, String)> {
    let s = s.trim();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() && (chars[i].is_ascii_digit() || matches!(chars[i], '.' | ',' | '_')) {
        i += 1;
    }
    // Exponent: `e9`, `e+9`, `E-3`, only when digits follow (so `1EB` is not an exponent).
    if i < chars.len() && matches!(chars[i], 'e' | 'E') {
        let mut j = i + 1;
        if j < chars.len() && matches!(chars[j], '+' | '-') {
            j += 1;
        }
        if j < chars.len() && chars[j].is_ascii_digit() {
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
            i = j;
        }
    }
    let num: String = chars[..i].iter().collect();
    let rest: String = chars[i..].iter().collect::<String>().trim().to_lowercase();
    if !num.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let mantissa_end = num.find(['e', 'E']).unwrap_or(num.len());
    let int_part = num[..mantissa_end].split('.').next().unwrap_or("");
    if int_part.contains(',') {
        let mut groups = int_part.split(',');
        let first = groups.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 || groups.any(|g| g.len() != 3) {
            return None;
        }
    }
    if num[mantissa_end..].contains(',') || num.matches('.').count() > 1 {
        return None;
    }
    let clean: String = num.chars().filter(|c| !matches!(c, ',' | '_')).collect();
    let v: f64 = clean.parse().ok()?;
    v.is_finite().then_some((v, rest))
}

/// Nouns people put after a count: `1B events`, `100K msgs`.
const NOUNS: &[&str] = &[
    "event",
    "events",
    "record",
    "records",
    "message",
    "messages",
    "msg",
    "msgs",
    "row",
    "rows",
    "request",
    "requests",
    "req",
    "reqs",
    "id",
    "ids",
    "key",
    "keys",
    "item",
    "items",
    "write",
    "writes",
    "read",
    "reads",
    "order",
    "orders",
    "payment",
    "payments",
    "transaction",
    "transactions",
    "ev",
    "evts",
    "ops",
];

/// Parses a count: `1B`, `100K`, `2.5M`, `1e9`, `1,000,000`, `3 billion`, `1B events`.
pub fn parse_count(s: &str) -> Result<f64, EstimateError> {
    let bad = || EstimateError::Count(s.trim().to_string());
    let (v, rest) = split_number(s).ok_or_else(bad)?;
    let mut words = rest.split_whitespace().peekable();
    let mult = match words.peek().copied() {
        Some("k" | "thousand") => 1e3,
        Some("m" | "mm" | "mn" | "million" | "millions") => 1e6,
        Some("b" | "bn" | "billion" | "billions") => 1e9,
        Some("t" | "tn" | "trillion" | "trillions") => 1e12,
        _ => 1.0,
    };
    if mult != 1.0 {
        words.next();
    }
    let rest: Vec<&str> = words.collect();
    if rest.len() > 1 || rest.first().is_some_and(|w| !NOUNS.contains(w)) {
        return Err(bad());
    }
    Ok(v * mult)
}

/// Parses a size in bytes. `KB`, `MB`, `GB`, `TB`, `PB` are decimal (1 KB = 1,000 bytes);
/// `KiB`, `MiB`, `GiB`, `TiB`, `PiB` are binary (1 KiB = 1,024 bytes); a bare number is bytes.
pub fn parse_bytes(s: &str) -> Result<f64, EstimateError> {
    let bad = || EstimateError::Bytes(s.trim().to_string());
    let (v, unit) = split_number(s).ok_or_else(bad)?;
    let mult = match unit.as_str() {
        "" | "b" | "byte" | "bytes" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "pb" => 1e15,
        "kib" => KIB,
        "mib" => MIB,
        "gib" => GIB,
        "tib" => GIB * KIB,
        "pib" => GIB * MIB,
        _ => return Err(bad()),
    };
    Ok(v * mult)
}

const MINUTE: f64 = 60.0;
const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;
/// Months in durations (`6mo`) are 30 days, years 365 days.
const MONTH: f64 = 30.0 * DAY;
const YEAR: f64 = 365.0 * DAY;
/// Monthly costs use a 30-day month so they multiply back to the per-day figures exactly.
const DAYS_PER_MONTH: f64 = 30.0;

/// Parses a duration into seconds: `5s`, `30m`, `24h`, `90d`, `2w`, `6mo`, `2y`, `7 days`,
/// `250ms`. A month is 30 days, a year 365.
pub fn parse_duration(s: &str) -> Result<f64, EstimateError> {
    let bad = || EstimateError::Duration(s.trim().to_string());
    let (v, unit) = split_number(s).ok_or_else(bad)?;
    let mult = match unit.as_str() {
        "ms" | "msec" | "millisecond" | "milliseconds" => 0.001,
        "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
        "m" | "min" | "mins" | "minute" | "minutes" => MINUTE,
        "h" | "hr" | "hrs" | "hour" | "hours" => HOUR,
        "d" | "day" | "days" => DAY,
        "w" | "wk" | "wks" | "week" | "weeks" => 7.0 * DAY,
        "mo" | "mon" | "month" | "months" => MONTH,
        "y" | "yr" | "yrs" | "year" | "years" => YEAR,
        _ => return Err(bad()),
    };
    Ok(v * mult)
}

/// Parses a rate into events per second: `100K/s`, `1B/day`, `10,000 per minute`,
/// `1B events/day`, `500 events per second`, `3M/5min`.
pub fn parse_rate(s: &str) -> Result<f64, EstimateError> {
    let bad = || EstimateError::Rate(s.trim().to_string());
    let lower = s.trim().to_lowercase();
    let (count, per) = lower
        .split_once('/')
        .or_else(|| lower.split_once(" per "))
        .ok_or_else(bad)?;
    let count = parse_count(count).map_err(|_| bad())?;
    let per = per.trim();
    let per = if per.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        per.to_string()
    } else {
        format!("1 {per}")
    };
    let secs = parse_duration(&per).map_err(|_| bad())?;
    if secs <= 0.0 {
        return Err(bad());
    }
    Ok(count / secs)
}

/// What to estimate. Build it with [`EstimateInput::per_sec`] or [`EstimateInput::per_day`] and
/// the `with_*` methods, which validate every value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EstimateInput {
    /// Average events per second (derived from the daily figure when given per day).
    pub events_per_sec_avg: f64,
    /// The daily volume as given, if it was given per day (keeps the formulas exact).
    pub events_per_day: Option<f64>,
    pub event_size_bytes: f64,
    /// Peak over average, at least 1.
    pub peak_factor: f64,
    /// How long data is kept; default 7 days (Kafka's shipped `log.retention.hours=168`).
    pub retention_sec: f64,
    /// Raw over stored size, at least 1 (1 = uncompressed).
    pub compression_ratio: f64,
    /// Copies of the log kept by the broker; default 3.
    pub replication_factor: u32,
    /// Window of an exact dedup (Redis) and of the Bloom filter's keys.
    pub dedup_window_sec: Option<f64>,
    /// False-positive rate of a Bloom filter, in (0, 1).
    pub bloom_fpr: Option<f64>,
    /// Overrides the catalog's Kafka `mb_per_sec_per_partition` planning figure.
    pub kafka_mb_per_partition: Option<f64>,
}

/// The accepted range of each input: wide enough for any real pipeline, narrow enough that every
/// figure stays a finite number a person can read. Each entry: the option, its bounds, whether
/// the lower bound itself is allowed, and the range as the error message states it.
pub struct Range {
    pub option: &'static str,
    pub min: f64,
    pub min_allowed: bool,
    pub max: f64,
    /// Completes "use ...".
    pub says: &'static str,
}

impl Range {
    /// True for a finite value inside the range.
    pub fn contains(&self, v: f64) -> bool {
        v.is_finite() && (v > self.min || (self.min_allowed && v == self.min)) && v <= self.max
    }
}

pub const RANGES: &[Range] = &[
    Range {
        option: "events-per-day",
        min: 0.0,
        min_allowed: false,
        max: 8.64e15,
        says: "a daily volume above 0 and at most 8.64e15 (100 billion events/s), as in `1B`",
    },
    Range {
        option: "events-per-sec",
        min: 0.0,
        min_allowed: false,
        max: 1e11,
        says: "a rate above 0 and at most 1e11 (100 billion) events/s, as in `100K`",
    },
    Range {
        option: "event-size",
        min: 0.0,
        min_allowed: false,
        max: 1e9,
        says: "a size above 0 and at most 1 GB, as in `1KB` or `500B`",
    },
    Range {
        option: "peak-factor",
        min: 1.0,
        min_allowed: true,
        max: 1000.0,
        says: "a factor from 1 to 1000: `1` for a flat load, `5` for a 5× peak",
    },
    Range {
        option: "retention",
        min: 0.0,
        min_allowed: true,
        max: 100.0 * YEAR,
        says: "a duration from 0 to 100 years, as in `90d` or `2y`",
    },
    Range {
        option: "compression",
        min: 1.0,
        min_allowed: true,
        max: 1000.0,
        says: "a ratio from 1 to 1000: `1` for uncompressed data, `5` for 5× smaller files",
    },
    Range {
        option: "dedup-window",
        min: 0.0,
        min_allowed: false,
        max: 10.0 * YEAR,
        says: "a duration above 0 and at most 10 years, as in `24h`",
    },
    Range {
        option: "bloom-fpr",
        min: 1e-12,
        min_allowed: true,
        max: 0.999_999,
        says: "a rate from 0.000000000001 to 0.999999, as in `0.01` for 1%",
    },
    Range {
        option: "kafka-mb-per-partition",
        min: 0.0,
        min_allowed: false,
        max: 10_000.0,
        says: "a throughput above 0 and at most 10000 MB/s; `10` is a conservative acks=all figure",
    },
];

/// The range of `option` (one of [`RANGES`]).
pub fn range(option: &str) -> &'static Range {
    RANGES
        .iter()
        .find(|r| r.option == option)
        .expect("every option has a range")
}

/// A value for an error message: plain when short, scientific when it would be a long string
/// of digits.
fn shown(v: f64) -> String {
    if v.is_finite() && v.abs() < 1e15 {
        format!("{v}")
    } else {
        format!("{v:e}")
    }
}

/// `what `value` is out of range: use ...`, unless `v` is inside the range of `option`.
fn check_range(option: &str, what: &str, v: f64) -> Result<(), EstimateError> {
    let r = range(option);
    check(r.contains(v), || {
        format!("{what} `{}` is out of range: use {}", shown(v), r.says)
    })
}

fn check(ok: bool, message: impl FnOnce() -> String) -> Result<(), EstimateError> {
    if ok {
        Ok(())
    } else {
        Err(EstimateError::Invalid(message()))
    }
}

impl EstimateInput {
    /// Average events per second and event size in bytes.
    pub fn per_sec(events_per_sec_avg: f64, event_size_bytes: f64) -> Result<Self, EstimateError> {
        let input = EstimateInput {
            events_per_sec_avg,
            events_per_day: None,
            event_size_bytes,
            peak_factor: 1.0,
            retention_sec: 7.0 * DAY,
            compression_ratio: 1.0,
            replication_factor: 3,
            dedup_window_sec: None,
            bloom_fpr: None,
            kafka_mb_per_partition: None,
        };
        input.validate()?;
        Ok(input)
    }

    /// Events per day and event size in bytes.
    pub fn per_day(events_per_day: f64, event_size_bytes: f64) -> Result<Self, EstimateError> {
        check_range("events-per-day", "events per day", events_per_day)?;
        let mut input = Self::per_sec(events_per_day / DAY, event_size_bytes)?;
        input.events_per_day = Some(events_per_day);
        Ok(input)
    }

    pub fn with_peak_factor(mut self, peak_factor: f64) -> Result<Self, EstimateError> {
        self.peak_factor = peak_factor;
        self.validate().map(|()| self)
    }

    pub fn with_retention_sec(mut self, retention_sec: f64) -> Result<Self, EstimateError> {
        self.retention_sec = retention_sec;
        self.validate().map(|()| self)
    }

    pub fn with_compression_ratio(mut self, ratio: f64) -> Result<Self, EstimateError> {
        self.compression_ratio = ratio;
        self.validate().map(|()| self)
    }

    pub fn with_replication_factor(mut self, rf: u32) -> Result<Self, EstimateError> {
        self.replication_factor = rf;
        self.validate().map(|()| self)
    }

    pub fn with_dedup_window_sec(mut self, window_sec: f64) -> Result<Self, EstimateError> {
        self.dedup_window_sec = Some(window_sec);
        self.validate().map(|()| self)
    }

    pub fn with_bloom_fpr(mut self, fpr: f64) -> Result<Self, EstimateError> {
        self.bloom_fpr = Some(fpr);
        self.validate().map(|()| self)
    }

    pub fn with_kafka_mb_per_partition(mut self, mb: f64) -> Result<Self, EstimateError> {
        self.kafka_mb_per_partition = Some(mb);
        self.validate().map(|()| self)
    }

    /// Checks every field; the `with_*` methods call it, call it yourself after editing fields.
    pub fn validate(&self) -> Result<(), EstimateError> {
        check_range("events-per-sec", "event rate", self.events_per_sec_avg)?;
        check_range("event-size", "event size", self.event_size_bytes)?;
        check_range("peak-factor", "peak factor", self.peak_factor)?;
        check_range("retention", "retention", self.retention_sec)?;
        check_range("compression", "compression ratio", self.compression_ratio)?;
        let rf = self.replication_factor;
        check((1..=100).contains(&rf), || {
            format!(
                "replication factor `{rf}` is out of range: use 1 to 100; `3` is the usual production setting"
            )
        })?;
        if let Some(w) = self.dedup_window_sec {
            check_range("dedup-window", "dedup window", w)?;
        }
        if let Some(f) = self.bloom_fpr {
            check_range("bloom-fpr", "bloom filter false-positive rate", f)?;
        }
        if let Some(m) = self.kafka_mb_per_partition {
            check_range(
                "kafka-mb-per-partition",
                "kafka throughput per partition",
                m,
            )?;
        }
        Ok(())
    }

    fn peak(&self) -> f64 {
        self.events_per_sec_avg * self.peak_factor
    }

    fn bytes_per_day(&self) -> f64 {
        match self.events_per_day {
            Some(d) => d * self.event_size_bytes,
            None => self.events_per_sec_avg * DAY * self.event_size_bytes,
        }
    }

    fn events_per_day(&self) -> f64 {
        self.events_per_day.unwrap_or(self.events_per_sec_avg * DAY)
    }
}

/// One number of an estimate, with how it was computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// Stable kebab-case id, for scripts and tests.
    pub id: &'static str,
    pub label: String,
    pub value: f64,
    pub unit: String,
    /// The arithmetic with the actual numbers.
    pub formula: String,
    /// URL of the catalog limit or price used, if any.
    pub source: Option<String>,
}

/// The figures of an estimate, and notes on what could not be estimated and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Estimate {
    pub figures: Vec<Figure>,
    pub notes: Vec<String>,
}

impl Estimate {
    pub fn get(&self, id: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.id == id)
    }

    /// An aligned table: figure, value, formula, source; then the notes.
    pub fn to_text(&self) -> String {
        let rows: Vec<[String; 4]> = self
            .figures
            .iter()
            .map(|f| {
                [
                    f.label.clone(),
                    format!("{} {}", fmt_num(f.value), f.unit),
                    f.formula.clone(),
                    f.source.clone().unwrap_or_default(),
                ]
            })
            .collect();
        let header = ["figure", "value", "formula", "source"].map(String::from);
        let w = |k: usize| {
            rows.iter()
                .chain([&header])
                .map(|r| r[k].chars().count())
                .max()
                .unwrap_or(0)
        };
        let (w0, w1, w2) = (w(0), w(1), w(2));
        let mut out = String::new();
        for (i, r) in [&header].into_iter().chain(rows.iter()).enumerate() {
            let line = format!("{:<w0$}  {:>w1$}  {:<w2$}  {}", r[0], r[1], r[2], r[3]);
            out.push_str(line.trim_end());
            out.push('\n');
            if i == 0 {
                out.push_str(&format!(
                    "{}  {}  {}  {}\n",
                    "-".repeat(w0),
                    "-".repeat(w1),
                    "-".repeat(w2),
                    "-".repeat(6)
                ));
            }
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        out
    }

    /// The estimate as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string())
    }
}

/// Memory of one small string key in Redis, all-in: the FAQ's 1M keys ≈ 85 MB.
const REDIS_BYTES_PER_KEY: f64 = 85.0;
const REDIS_FAQ: &str = "https://redis.io/topics/faq";
/// Per-event Lambda assumptions, stated in every formula that uses them.
pub(crate) const LAMBDA_MEMORY_GB: f64 = 0.125;
pub(crate) const LAMBDA_SECONDS: f64 = 0.05;

/// A cost line with its arithmetic.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cost {
    pub usd_month: f64,
    pub formula: String,
    pub source: String,
}

pub(crate) fn lambda_requests_month(
    events_per_day: f64,
    prices: &PriceTable,
) -> Result<Cost, &'static str> {
    const ID: &str = "lambda-requests-per-million";
    let p = prices.get(ID).ok_or(ID)?;
    let requests = events_per_day * DAYS_PER_MONTH;
    let usd = requests / 1e6 * p.usd;
    Ok(Cost {
        usd_month: usd,
        formula: format!(
            "{} events/day × {} days = {} invocations × {} per million = {}/month ({}/day)",
            fmt_int(events_per_day),
            fmt_int(DAYS_PER_MONTH),
            fmt_int(requests),
            fmt_price(p.usd),
            fmt_usd(usd),
            fmt_usd(usd / DAYS_PER_MONTH)
        ),
        source: p.source.clone(),
    })
}

pub(crate) fn lambda_compute_month(
    events_per_day: f64,
    prices: &PriceTable,
) -> Result<Cost, &'static str> {
    const ID: &str = "lambda-gb-second-x86";
    let p = prices.get(ID).ok_or(ID)?;
    let gb_s = events_per_day * DAYS_PER_MONTH * LAMBDA_MEMORY_GB * LAMBDA_SECONDS;
    let usd = gb_s * p.usd;
    Ok(Cost {
        usd_month: usd,
        formula: format!(
            "{} invocations × {} GB (128 MB) × {} s (50 ms each, assumed) = {} GB-s × {} per GB-s = {}/month ({}/day)",
            fmt_int(events_per_day * DAYS_PER_MONTH),
            fmt_num(LAMBDA_MEMORY_GB),
            fmt_num(LAMBDA_SECONDS),
            fmt_int(gb_s),
            fmt_price(p.usd),
            fmt_usd(usd),
            fmt_usd(usd / DAYS_PER_MONTH)
        ),
        source: p.source.clone(),
    })
}

pub(crate) fn dynamodb_writes_month(
    events_per_day: f64,
    event_size_bytes: Option<f64>,
    prices: &PriceTable,
) -> Result<Cost, &'static str> {
    const ID: &str = "dynamodb-on-demand-write-per-million";
    let p = prices.get(ID).ok_or(ID)?;
    // One write request unit covers an item of up to 1 KB.
    let units = event_size_bytes.map_or(1.0, |b| (b / KIB).ceil().max(1.0));
    let wru = events_per_day * DAYS_PER_MONTH * units;
    let usd = wru / 1e6 * p.usd;
    Ok(Cost {
        usd_month: usd,
        formula: format!(
            "{} writes/day × {} days × {} WRU per write (1 KB each) = {} WRU × {} per million = {}/month ({}/day)",
            fmt_int(events_per_day),
            fmt_int(DAYS_PER_MONTH),
            fmt_int(units),
            fmt_int(wru),
            fmt_price(p.usd),
            fmt_usd(usd),
            fmt_usd(usd / DAYS_PER_MONTH)
        ),
        source: p.source.clone(),
    })
}

pub(crate) fn s3_storage_month(bytes: f64, prices: &PriceTable) -> Result<Cost, &'static str> {
    const ID: &str = "s3-standard-gb-month";
    let p = prices.get(ID).ok_or(ID)?;
    let gib = bytes / GIB;
    let usd = gib * p.usd;
    Ok(Cost {
        usd_month: usd,
        formula: format!(
            "{} GiB × {} per GB-month (AWS bills storage per 2^30-byte GB) = {}/month",
            fmt_int(gib),
            fmt_price(p.usd),
            fmt_usd(usd)
        ),
        source: p.source.clone(),
    })
}

pub(crate) fn kinesis_month(shards: f64, prices: &PriceTable) -> Result<Cost, &'static str> {
    const ID: &str = "kinesis-shard-hour";
    let p = prices.get(ID).ok_or(ID)?;
    let hours = 24.0 * DAYS_PER_MONTH;
    let usd = shards * hours * p.usd;
    Ok(Cost {
        usd_month: usd,
        formula: format!(
            "{} shards × {} h × {} per shard-hour = {}/month (provisioned mode, PUT payload units extra)",
            fmt_int(shards),
            fmt_int(hours),
            fmt_price(p.usd),
            fmt_usd(usd)
        ),
        source: p.source.clone(),
    })
}

/// Kinesis shards for a peak: the larger of the records/s and the MiB/s bound.
pub(crate) struct Shards {
    pub shards: f64,
    pub formula: String,
    pub source: String,
}

pub(crate) fn kinesis_shards(
    cat_component: &crate::catalog::Component,
    peak_events: f64,
    peak_mib: Option<f64>,
) -> Option<Shards> {
    let rec = cat_component.limit("records_per_sec_per_shard");
    let mb = cat_component.limit("mb_per_sec_per_shard");
    let by_rec = rec.map(|l| peak_events / l.value);
    let by_mb = mb.zip(peak_mib).map(|(l, m)| m / l.value);
    let shards = by_rec
        .into_iter()
        .chain(by_mb)
        .fold(None, |a: Option<f64>, x| Some(a.map_or(x, |a| a.max(x))))?;
    let shards = shards.ceil().max(1.0);
    let mut parts = Vec::new();
    if let Some(l) = rec {
        parts.push(format!(
            "{} records/s ÷ {} per shard",
            fmt_int(peak_events),
            fmt_int(l.value)
        ));
    }
    if let (Some(l), Some(m)) = (mb, peak_mib) {
        parts.push(format!(
            "{} MiB/s ÷ {} MiB/s per shard",
            fmt_num(m),
            fmt_num(l.value)
        ));
    }
    let bound = match (by_rec, by_mb) {
        (Some(r), Some(m)) if r >= m => ", bound by records/s",
        (Some(_), Some(_)) => ", bound by MiB/s",
        _ => "",
    };
    let values: Vec<String> = by_rec.into_iter().chain(by_mb).map(fmt_num).collect();
    let formula = if parts.len() > 1 {
        format!(
            "max({}) = max({}) → {} shards{bound}",
            parts.join(", "),
            values.join(", "),
            fmt_int(shards)
        )
    } else {
        format!(
            "{} = {} → {} shards",
            parts.join(""),
            values.join(""),
            fmt_int(shards)
        )
    };
    let source = rec.or(mb).map(|l| l.source.clone()).unwrap_or_default();
    Some(Shards {
        shards,
        formula,
        source,
    })
}

fn figure(
    id: &'static str,
    label: &str,
    value: f64,
    unit: &str,
    formula: String,
    source: Option<String>,
) -> Figure {
    Figure {
        id,
        label: label.to_string(),
        value,
        unit: unit.to_string(),
        formula,
        source,
    }
}

fn bytes_figure(id: &'static str, label: &str, bytes: f64, formula: String) -> Figure {
    let (v, u) = binary_unit(bytes);
    figure(id, label, v, u, formula, None)
}

/// Computes every figure the input allows. Figures that need a catalog component or a price
/// that is missing are left out and explained in `notes`; no number is ever made up.
pub fn estimate(input: &EstimateInput, cat: &Catalog, prices: &PriceTable) -> Estimate {
    let mut est = Estimate::default();
    let avg = input.events_per_sec_avg;
    let peak = input.peak();
    let size = input.event_size_bytes;
    let f = &mut est.figures;

    let avg_formula = match input.events_per_day {
        Some(d) => format!("{} events/day ÷ 86,400 s/day", fmt_int(d)),
        None => "given".to_string(),
    };
    f.push(figure(
        "events-per-sec-avg",
        "events/s, average",
        avg,
        "events/s",
        avg_formula,
        None,
    ));
    f.push(figure(
        "events-per-sec-peak",
        "events/s, peak",
        peak,
        "events/s",
        format!(
            "{} events/s × {} (peak factor)",
            fmt_num(avg),
            fmt_num(input.peak_factor)
        ),
        None,
    ));
    let mib_avg = avg * size / MIB;
    let mib_peak = peak * size / MIB;
    f.push(figure(
        "mib-per-sec-avg",
        "bandwidth, average",
        mib_avg,
        "MiB/s",
        format!(
            "{} events/s × {} B ÷ 1,048,576 B/MiB",
            fmt_num(avg),
            fmt_num(size)
        ),
        None,
    ));
    f.push(figure(
        "mib-per-sec-peak",
        "bandwidth, peak",
        mib_peak,
        "MiB/s",
        format!(
            "{} events/s × {} B ÷ 1,048,576 B/MiB",
            fmt_num(peak),
            fmt_num(size)
        ),
        None,
    ));

    let per_day = input.bytes_per_day();
    let per_day_formula = match input.events_per_day {
        Some(d) => format!(
            "{} events/day × {} B = {} B",
            fmt_int(d),
            fmt_num(size),
            fmt_int(per_day)
        ),
        None => format!(
            "{} events/s × 86,400 s × {} B = {} B",
            fmt_num(avg),
            fmt_num(size),
            fmt_int(per_day)
        ),
    };
    f.push(bytes_figure(
        "storage-per-day-raw",
        "storage per day, raw",
        per_day,
        per_day_formula,
    ));
    let per_day_c = per_day / input.compression_ratio;
    f.push(bytes_figure(
        "storage-per-day-compressed",
        "storage per day, compressed",
        per_day_c,
        format!(
            "{} ÷ {} (compression ratio)",
            fmt_bytes(per_day),
            fmt_num(input.compression_ratio)
        ),
    ));
    let days = input.retention_sec / DAY;
    let total = per_day * days;
    let total_c = per_day_c * days;
    f.push(bytes_figure(
        "storage-total-raw",
        "storage over retention, raw",
        total,
        format!(
            "{}/day × {} days (retention)",
            fmt_bytes(per_day),
            fmt_num(days)
        ),
    ));
    f.push(bytes_figure(
        "storage-total-compressed",
        "storage over retention, compressed",
        total_c,
        format!(
            "{}/day × {} days (retention)",
            fmt_bytes(per_day_c),
            fmt_num(days)
        ),
    ));

    // Kafka: partitions for the peak and the replicated disk.
    let kafka_limit = cat
        .get("kafka")
        .and_then(|c| c.limit("mb_per_sec_per_partition"));
    let per_partition = input
        .kafka_mb_per_partition
        .map(|v| (v, None, "given"))
        .or_else(|| {
            kafka_limit.map(|l| (l.value, Some(l.source.clone()), "catalog planning figure"))
        });
    match per_partition {
        Some((mb, source, whence)) => {
            let exact = mib_peak / mb;
            let parts = exact.ceil().max(1.0);
            f.push(figure(
                "kafka-partitions",
                "kafka partitions at peak (throughput floor)",
                parts,
                "partitions",
                format!(
                    "{} MiB/s ÷ {} MiB/s per partition ({whence}) = {} → {}; one consumer per partition at most, so plan 2–3× for consumer parallelism: {}–{}",
                    fmt_num(mib_peak),
                    fmt_num(mb),
                    fmt_num(exact),
                    fmt_int(parts),
                    fmt_int(parts * 2.0),
                    fmt_int(parts * 3.0)
                ),
                source,
            ));
        }
        None => est.notes.push(
            "kafka partitions left out: the catalog has no `kafka` component with a `mb_per_sec_per_partition` limit; pass a per-partition figure".to_string(),
        ),
    }
    let rf = f64::from(input.replication_factor);
    f.push(bytes_figure(
        "kafka-disk",
        "kafka disk over retention, all replicas",
        total_c * rf,
        format!(
            "{} (compressed, over retention) × {} replicas",
            fmt_bytes(total_c),
            fmt_int(rf)
        ),
    ));

    match cat.get("kinesis").and_then(|c| kinesis_shards(c, peak, Some(mib_peak))) {
        Some(s) => {
            f.push(figure(
                "kinesis-shards",
                "kinesis shards at peak",
                s.shards,
                "shards",
                s.formula.clone(),
                Some(s.source.clone()),
            ));
            match kinesis_month(s.shards, prices) {
                Ok(c) => f.push(figure(
                    "kinesis-cost-month",
                    "kinesis shard cost per month",
                    c.usd_month,
                    "USD/month",
                    c.formula,
                    Some(c.source),
                )),
                Err(id) => est.notes.push(missing_price(id, "the Kinesis shard cost")),
            }
        }
        None => est.notes.push(
            "kinesis shards left out: the catalog has no `kinesis` component with `records_per_sec_per_shard` or `mb_per_sec_per_shard` limits".to_string(),
        ),
    }

    // The ids a dedup must remember: what arrives in the window, but never more than the
    // peak rate sustained for the whole window, nor more than the daily volume of the days
    // the window spans.
    let window_ids = input.dedup_window_sec.map(|w| {
        let by_peak = peak * w;
        let spanned_days = (w / DAY).ceil().max(1.0);
        let by_days = input.events_per_day() * spanned_days;
        let ids = by_peak.min(by_days);
        let formula = format!(
            "min({} events/s × {} s, {} events/day × {} day{}) = {}",
            fmt_num(peak),
            fmt_int(w),
            fmt_int(input.events_per_day()),
            fmt_int(spanned_days),
            if spanned_days == 1.0 { "" } else { "s" },
            fmt_int(ids)
        );
        (ids, formula)
    });
    if let Some((ids, formula)) = &window_ids {
        f.push(figure(
            "dedup-ids-in-window",
            "event ids in the dedup window",
            *ids,
            "ids",
            formula.clone(),
            None,
        ));
        let bytes = ids * REDIS_BYTES_PER_KEY;
        f.push(bytes_figure(
            "redis-dedup-memory",
            "redis memory for exact dedup",
            bytes,
            format!(
                "{} ids × ~{} B per key (R1: 1M small keys ≈ 85 MB in the Redis FAQ) = {} B, before replication",
                fmt_int(*ids),
                fmt_int(REDIS_BYTES_PER_KEY),
                fmt_int(bytes)
            ),
        ));
        if let Some(last) = f.last_mut() {
            last.source = Some(REDIS_FAQ.to_string());
        }
    }

    if let Some(p) = input.bloom_fpr {
        let (n, n_formula) = match &window_ids {
            Some((ids, _)) => (*ids, "ids in the dedup window"),
            None => (input.events_per_day(), "ids per day"),
        };
        let ln2 = std::f64::consts::LN_2;
        let bits_per_key = -p.ln() / (ln2 * ln2);
        let bits = n * bits_per_key;
        let k = (bits_per_key * ln2).round().max(1.0);
        f.push(figure(
            "bloom-bits-per-key",
            "bloom filter bits per key",
            bits_per_key,
            "bits",
            format!("−ln({}) ÷ (ln 2)²", fmt_num(p)),
            None,
        ));
        f.push(bytes_figure(
            "bloom-filter-size",
            "bloom filter size",
            bits / 8.0,
            format!(
                "m = −n·ln p ÷ (ln 2)² = {} keys ({n_formula}) × {} bits = {} bits ÷ 8 = {} B",
                fmt_int(n),
                fmt_num(bits_per_key),
                fmt_int(bits),
                fmt_int(bits / 8.0)
            ),
        ));
        f.push(figure(
            "bloom-hash-functions",
            "bloom filter hash functions (optimal k)",
            k,
            "hashes",
            format!(
                "k = (m/n)·ln 2 = {} × 0.693 = {} → {}",
                fmt_num(bits_per_key),
                fmt_num(bits_per_key * ln2),
                fmt_int(k)
            ),
            None,
        ));
    }

    match s3_storage_month(total_c, prices) {
        Ok(c) => f.push(figure(
            "s3-storage-cost-month",
            "s3 standard storage per month at the end of retention",
            c.usd_month,
            "USD/month",
            format!(
                "{} (compressed, over retention) = {}",
                fmt_bytes(total_c),
                c.formula
            ),
            Some(c.source),
        )),
        Err(id) => est.notes.push(missing_price(id, "the S3 storage cost")),
    }

    let per_day_events = input.events_per_day();
    for (result, id, label, what) in [
        (
            lambda_requests_month(per_day_events, prices),
            "lambda-requests-cost-month",
            "lambda requests per month, one invocation per event",
            "the Lambda request cost",
        ),
        (
            lambda_compute_month(per_day_events, prices),
            "lambda-compute-cost-month",
            "lambda compute per month, one invocation per event",
            "the Lambda compute cost",
        ),
        (
            dynamodb_writes_month(per_day_events, Some(size), prices),
            "dynamodb-write-cost-month",
            "dynamodb on-demand writes per month, one write per event",
            "the DynamoDB write cost",
        ),
    ] {
        match result {
            Ok(c) => est.figures.push(figure(
                id,
                label,
                c.usd_month,
                "USD/month",
                c.formula,
                Some(c.source),
            )),
            Err(price) => est.notes.push(missing_price(price, what)),
        }
    }
    est
}

fn missing_price(id: &str, what: &str) -> String {
    format!("{what} is left out: the price table has no price `{id}`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{catalog, prices};
    use rstest::rstest;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-12)
    }

    #[rstest]
    #[case("1B", 1e9)]
    #[case("100K", 1e5)]
    #[case("100k", 1e5)]
    #[case("2.5M", 2.5e6)]
    #[case("1e9", 1e9)]
    #[case("1,000,000", 1e6)]
    #[case("1_000", 1e3)]
    #[case("3 billion", 3e9)]
    #[case("1B events", 1e9)]
    #[case("42", 42.0)]
    fn counts(#[case] s: &str, #[case] v: f64) {
        assert_eq!(parse_count(s).unwrap(), v);
    }

    #[rstest]
    #[case("1KB", 1000.0)]
    #[case("500B", 500.0)]
    #[case("1.5 MB", 1.5e6)]
    #[case("10TB", 1e13)]
    #[case("1KiB", 1024.0)]
    #[case("1 kib", 1024.0)]
    #[case("2 GiB", 2.0 * GIB)]
    #[case("300", 300.0)]
    fn sizes(#[case] s: &str, #[case] v: f64) {
        assert_eq!(parse_bytes(s).unwrap(), v);
    }

    #[rstest]
    #[case("2y", 2.0 * 365.0 * 86_400.0)]
    #[case("90d", 90.0 * 86_400.0)]
    #[case("24h", 86_400.0)]
    #[case("30m", 1800.0)]
    #[case("5s", 5.0)]
    #[case("7 days", 7.0 * 86_400.0)]
    #[case("250ms", 0.25)]
    fn durations(#[case] s: &str, #[case] v: f64) {
        assert!(close(parse_duration(s).unwrap(), v, 1e-12));
    }

    #[rstest]
    #[case("100K/s", 1e5)]
    #[case("1B/day", 1e9 / 86_400.0)]
    #[case("1B events/day", 1e9 / 86_400.0)]
    #[case("10,000 per minute", 10_000.0 / 60.0)]
    #[case("500 events per second", 500.0)]
    #[case("3M/5min", 3e6 / 300.0)]
    fn rates(#[case] s: &str, #[case] v: f64) {
        assert!(close(parse_rate(s).unwrap(), v, 1e-12));
    }

    #[rstest]
    #[case::count(parse_count("lots"), "`lots` is not a count", "`100K`")]
    #[case::count_commas(parse_count("1,00"), "`1,00` is not a count", "`1,000,000`")]
    #[case::count_word(parse_count("5 apples"), "`5 apples` is not a count", "`2.5M`")]
    #[case::bytes(parse_bytes("1 XB"), "`1 XB` is not a size", "`1KB`")]
    #[case::duration(parse_duration("soon"), "`soon` is not a duration", "`90d`")]
    #[case::rate(parse_rate("100K"), "`100K` is not a rate", "`100K/s`")]
    #[case::inf(parse_count("inf"), "`inf` is not a count", "`1e9`")]
    fn parse_errors_name_the_value_and_an_example(
        #[case] r: Result<f64, EstimateError>,
        #[case] head: &str,
        #[case] example: &str,
    ) {
        let m = r.unwrap_err().to_string();
        assert!(m.starts_with(head), "{m}");
        assert!(m.contains(example), "{m}");
        assert!(!m.ends_with('.'));
    }

    #[rstest]
    #[case::negative_size(EstimateInput::per_sec(10.0, -1.0), "event size `-1`")]
    #[case::peak_below_one(EstimateInput::per_sec(10.0, 1.0).and_then(|i| i.with_peak_factor(0.5)), "peak factor `0.5` is out of range: use a factor from 1 to 1000")]
    #[case::compression(EstimateInput::per_sec(10.0, 1.0).and_then(|i| i.with_compression_ratio(0.8)), "compression ratio `0.8` is out of range: use a ratio from 1 to 1000")]
    #[case::fpr_one(EstimateInput::per_sec(10.0, 1.0).and_then(|i| i.with_bloom_fpr(1.0)), "false-positive rate `1`")]
    #[case::fpr_zero(EstimateInput::per_sec(10.0, 1.0).and_then(|i| i.with_bloom_fpr(0.0)), "false-positive rate `0`")]
    #[case::negative_retention(EstimateInput::per_sec(10.0, 1.0).and_then(|i| i.with_retention_sec(-5.0)), "retention `-5`")]
    #[case::zero_rate(EstimateInput::per_day(0.0, 1.0), "events per day `0`")]
    #[case::nan_rate(EstimateInput::per_sec(f64::NAN, 1.0), "event rate `NaN`")]
    fn invalid_inputs_are_rejected(
        #[case] r: Result<EstimateInput, EstimateError>,
        #[case] needle: &str,
    ) {
        let m = r.unwrap_err().to_string();
        assert!(m.contains(needle), "{m}");
    }

    fn one_billion_a_day() -> Estimate {
        let input = EstimateInput::per_day(1e9, parse_bytes("1KiB").unwrap())
            .and_then(|i| i.with_peak_factor(5.0))
            .and_then(|i| i.with_dedup_window_sec(86_400.0))
            .and_then(|i| i.with_bloom_fpr(0.01))
            .and_then(|i| i.with_retention_sec(parse_duration("2y").unwrap()))
            .and_then(|i| i.with_compression_ratio(5.0))
            .unwrap();
        estimate(&input, &catalog(), &prices())
    }

    /// The worked examples of domain-facts §1.8, figure by figure.
    #[rstest]
    #[case("events-per-sec-avg", 11_574.07, "events/s", 1e-4)]
    #[case("events-per-sec-peak", 57_870.37, "events/s", 1e-4)]
    #[case("mib-per-sec-avg", 11.30, "MiB/s", 1e-3)]
    #[case("mib-per-sec-peak", 56.51, "MiB/s", 1e-3)]
    #[case("storage-per-day-raw", 953.67, "GiB", 1e-3)] // ≈0.93 TiB/day
    #[case("kinesis-shards", 58.0, "shards", 0.0)]
    #[case("kafka-partitions", 6.0, "partitions", 0.0)]
    #[case("dedup-ids-in-window", 1e9, "ids", 0.0)]
    #[case("redis-dedup-memory", 85e9 / GIB, "GiB", 1e-9)] // 85 GB decimal
    #[case("bloom-bits-per-key", 9.585, "bits", 1e-3)]
    #[case("bloom-filter-size", 1.198e9 / GIB, "GiB", 1e-3)] // ≈1.2 GB decimal
    #[case("bloom-hash-functions", 7.0, "hashes", 0.0)]
    #[case("lambda-requests-cost-month", 200.0 * 30.0, "USD/month", 1e-9)] // $200/day
    #[case("lambda-compute-cost-month", 104.17 * 30.0, "USD/month", 1e-4)] // $104/day
    #[case("dynamodb-write-cost-month", 625.0 * 30.0, "USD/month", 1e-9)] // $625/day
    fn worked_examples(#[case] id: &str, #[case] value: f64, #[case] unit: &str, #[case] tol: f64) {
        let est = one_billion_a_day();
        let fig = est
            .get(id)
            .unwrap_or_else(|| panic!("no figure {id}: {est:#?}"));
        assert_eq!(fig.unit, unit, "{fig:?}");
        assert!(
            close(fig.value, value, tol),
            "{id}: {} vs {value}",
            fig.value
        );
    }

    #[test]
    fn formulas_show_the_actual_numbers_and_sources() {
        let est = one_billion_a_day();
        let avg = est.get("events-per-sec-avg").unwrap();
        assert_eq!(avg.formula, "1,000,000,000 events/day ÷ 86,400 s/day");
        let shards = est.get("kinesis-shards").unwrap();
        assert!(
            shards
                .formula
                .contains("57,870 records/s ÷ 1,000 per shard"),
            "{}",
            shards.formula
        );
        assert!(
            shards.formula.ends_with("bound by records/s"),
            "{}",
            shards.formula
        );
        assert!(
            shards
                .source
                .as_deref()
                .unwrap()
                .starts_with("https://docs.aws.amazon.com/")
        );
        let redis = est.get("redis-dedup-memory").unwrap();
        assert!(redis.formula.contains("R1"));
        assert!(redis.formula.contains("85,000,000,000 B"));
        assert_eq!(redis.source.as_deref(), Some("https://redis.io/topics/faq"));
        let lambda = est.get("lambda-requests-cost-month").unwrap();
        assert!(
            lambda
                .formula
                .contains("$0.20 per million = $6,000/month ($200.00/day)"),
            "{}",
            lambda.formula
        );
        let compute = est.get("lambda-compute-cost-month").unwrap();
        assert!(compute.formula.contains("50 ms"), "{}", compute.formula);
        let parts = est.get("kafka-partitions").unwrap();
        assert!(parts.formula.contains("12–18"), "{}", parts.formula);
        // 2 years of 0.93 TiB/day at 5× is ≈136 TiB: ≈$3.2k/month (domain-facts §1.8).
        let s3 = est.get("s3-storage-cost-month").unwrap();
        assert!(close(s3.value, 3_200.0, 0.01), "{}", s3.value);
        assert!(est.notes.is_empty(), "{:?}", est.notes);
    }

    #[test]
    fn bloom_at_a_tenth_of_a_percent() {
        let input = EstimateInput::per_day(1e9, 1024.0)
            .and_then(|i| i.with_bloom_fpr(0.001))
            .unwrap();
        let est = estimate(&input, &catalog(), &prices());
        let size = est.get("bloom-filter-size").unwrap();
        // ≈1.8 GB: 1e9 × 14.38 bits ÷ 8.
        assert!(
            close(size.value * GIB, 1.797e9, 1e-3),
            "{}",
            size.value * GIB
        );
        assert_eq!(est.get("bloom-hash-functions").unwrap().value, 10.0);
    }

    #[test]
    fn missing_prices_become_notes_not_numbers() {
        let input = EstimateInput::per_day(1e9, 1024.0).unwrap();
        let est = estimate(&input, &catalog(), &PriceTable::default());
        assert!(est.get("lambda-requests-cost-month").is_none());
        assert!(est.get("s3-storage-cost-month").is_none());
        assert!(
            est.notes
                .iter()
                .any(|n| n.contains("`lambda-gb-second-x86`")),
            "{:?}",
            est.notes
        );
        // Without a catalog there is no partition or shard figure either, and it says why.
        let est = estimate(&input, &Catalog::default(), &prices());
        assert!(est.get("kinesis-shards").is_none());
        assert!(
            est.notes
                .iter()
                .any(|n| n.starts_with("kinesis shards left out"))
        );
    }

    #[test]
    fn text_table_is_aligned_and_json_round_trips() {
        let est = one_billion_a_day();
        let text = est.to_text();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("figure"));
        assert!(
            text.contains("11,574 events/s  1,000,000,000 events/day ÷ 86,400 s/day"),
            "{text}"
        );
        // Values are right-aligned: every value ends in the column where the header's ends.
        let end = lines[0].find("value").unwrap() + "value".len();
        for l in &lines[2..] {
            if l.starts_with("note:") {
                continue;
            }
            let chars: Vec<char> = l.chars().collect();
            assert!(
                chars[end - 1] != ' ' && chars[end] == ' ',
                "misaligned: {l}"
            );
        }
        let json: serde_json::Value = serde_json::from_str(&est.to_json()).unwrap();
        assert_eq!(json["figures"][0]["id"], "events-per-sec-avg");
        assert!(
            json["figures"][0]["formula"]
                .as_str()
                .unwrap()
                .contains("86,400")
        );
    }
}
