//! Numbers with units: "1B events/day", "100K/s", "5 s", "10 TB", "$50K/month".

use regex::Regex;
use serde::Serialize;
use std::sync::OnceLock;

/// What a quantity measures, with its value normalised: counts as plain numbers, rates per second,
/// sizes in bytes, durations in seconds, money in US dollars (per month for money rates).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantityKind {
    Count,
    /// Things per second.
    Rate,
    Bytes,
    /// Bytes per second.
    ByteRate,
    Seconds,
    Usd,
    UsdPerMonth,
    Percent,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quantity {
    pub kind: QuantityKind,
    pub value: f64,
    /// The text as written.
    pub text: String,
}

fn re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?ix)
            (?P<dollar>\$)?\s*
            (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)
            \s*
            (?P<mult>k|m|b|bn|mm|thousand|million|billion|trillion)?\b
            \s*
            (?P<unit>%|percent|kib|mib|gib|tib|kb|mb|gb|tb|pb|bytes?|ms|milliseconds?|millis|seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|d|weeks?|months?|years?|yrs?|y)?
            (?P<evt>\s*(?:events?|records?|messages?|msgs?|rows?|requests?|reqs?|orders?|payments?|clicks?|logs?|lines?|writes?|reads?|ops|queries|transactions?|txns?|devices?|drivers?|users?))?
            \s*
            (?P<per>(?:/|per\s+|an?\s+|each\s+)(?:s\b|sec\b|second|ms\b|min\b|minute|h\b|hr\b|hour|d\b|day|month|mo\b|year|yr\b))?
            ",
        )
        .expect("valid number regex")
    })
}

fn per_seconds(per: &str) -> Option<f64> {
    let p = per.to_lowercase();
    let p = p
        .trim_start_matches('/')
        .trim_start_matches("per")
        .trim_start_matches("each")
        .trim();
    let p = p.trim_start_matches("an ").trim_start_matches("a ").trim();
    Some(match p {
        x if x.starts_with("ms") => 0.001,
        x if x.starts_with("s") => 1.0,
        x if x.starts_with("min") => 60.0,
        x if x.starts_with('h') => 3600.0,
        x if x.starts_with('d') => 86_400.0,
        x if x.starts_with("mo") => 2_592_000.0,
        x if x.starts_with('y') => 31_536_000.0,
        _ => return None,
    })
}

fn multiplier(m: &str) -> f64 {
    match m.to_lowercase().as_str() {
        "k" | "thousand" => 1e3,
        "m" | "mm" | "million" => 1e6,
        "b" | "bn" | "billion" => 1e9,
        "trillion" => 1e12,
        _ => 1.0,
    }
}

/// Every quantity in the text, in order.
pub fn quantities(text: &str) -> Vec<Quantity> {
    let mut out = Vec::new();
    for c in re().captures_iter(text) {
        let whole = c.get(0).map_or("", |m| m.as_str()).trim();
        let Some(num) = c.name("num") else { continue };
        let Ok(mut v) = num.as_str().replace(',', "").parse::<f64>() else {
            continue;
        };
        let mult = c.name("mult").map(|m| m.as_str()).unwrap_or("");
        let unit = c
            .name("unit")
            .map(|m| m.as_str().to_lowercase())
            .unwrap_or_default();
        let per = c.name("per").map(|m| m.as_str());
        let dollar = c.name("dollar").is_some();
        // "m" right after a number is ambiguous: minutes or million. "5m" with no other unit and a
        // per is million only when followed by a thing ("5M events"); otherwise leave as count.
        v *= multiplier(mult);
        let bytes_unit = match unit.as_str() {
            "kb" => Some(1e3),
            "mb" => Some(1e6),
            "gb" => Some(1e9),
            "tb" => Some(1e12),
            "pb" => Some(1e15),
            "kib" => Some(1024.0),
            "mib" => Some(1_048_576.0),
            "gib" => Some(1_073_741_824.0),
            "tib" => Some(1_099_511_627_776.0),
            "byte" | "bytes" => Some(1.0),
            _ => None,
        };
        let time_unit = match unit.as_str() {
            "ms" | "millisecond" | "milliseconds" | "millis" => Some(0.001),
            "s" | "sec" | "secs" | "second" | "seconds" => Some(1.0),
            "min" | "mins" | "minute" | "minutes" => Some(60.0),
            "h" | "hr" | "hrs" | "hour" | "hours" => Some(3600.0),
            "d" | "day" | "days" => Some(86_400.0),
            "week" | "weeks" => Some(604_800.0),
            "month" | "months" => Some(2_592_000.0),
            "y" | "yr" | "yrs" | "year" | "years" => Some(31_536_000.0),
            _ => None,
        };
        let per_s = per.and_then(per_seconds);
        let (kind, value) = if dollar {
            match per_s {
                Some(p) => (QuantityKind::UsdPerMonth, v / p * 2_592_000.0),
                None => (QuantityKind::Usd, v),
            }
        } else if unit == "%" || unit == "percent" {
            (QuantityKind::Percent, v)
        } else if let Some(b) = bytes_unit {
            match per_s {
                Some(p) => (QuantityKind::ByteRate, v * b / p),
                None => (QuantityKind::Bytes, v * b),
            }
        } else if let Some(t) = time_unit {
            if per_s.is_some() {
                // "5 s per day" is odd; keep the duration.
                (QuantityKind::Seconds, v * t)
            } else {
                (QuantityKind::Seconds, v * t)
            }
        } else if let Some(p) = per_s {
            (QuantityKind::Rate, v / p)
        } else if mult.is_empty() && c.name("evt").is_none() {
            // A bare small number ("3 brokers", "step 2") is not an interesting quantity.
            continue;
        } else {
            (QuantityKind::Count, v)
        };
        out.push(Quantity {
            kind,
            value,
            text: whole.to_string(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Quantity {
        let q = quantities(s);
        assert_eq!(q.len(), 1, "{s}: {q:?}");
        q.into_iter().next().unwrap()
    }

    #[test]
    fn rates_and_counts() {
        let q = one("1B events/day");
        assert_eq!(q.kind, QuantityKind::Rate);
        assert!((q.value - 11_574.07).abs() < 0.1);
        let q = one("100K/s");
        assert_eq!(q.kind, QuantityKind::Rate);
        assert_eq!(q.value, 100_000.0);
        let q = one("about 1K per second");
        assert_eq!(q.value, 1000.0);
        let q = one("10,000 payments per minute");
        assert!((q.value - 166.67).abs() < 0.01);
        let q = one("1 billion events a day");
        assert!((q.value - 11_574.07).abs() < 0.1);
    }

    #[test]
    fn sizes_durations_money() {
        assert_eq!(one("10 TB").value, 1e13);
        assert_eq!(one("10 TB").kind, QuantityKind::Bytes);
        assert_eq!(one("5 s").kind, QuantityKind::Seconds);
        assert_eq!(one("under 100 ms").value, 0.1);
        let q = one("$50K/month");
        assert_eq!(q.kind, QuantityKind::UsdPerMonth);
        assert!((q.value - 50_000.0).abs() < 1e-6);
        assert_eq!(one("$3,000").value, 3000.0);
        assert_eq!(one("2 years").value, 63_072_000.0);
    }

    #[test]
    fn bare_small_numbers_are_ignored() {
        assert!(quantities("use 3 brokers in step 2").is_empty());
    }
}

/// A unit conversion the candidate got wrong by more than 2x ("1B a day is about 1K per second").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WrongConversion {
    /// The sentence, verbatim.
    pub sentence: String,
    /// The rate converted from, as written ("1B a day").
    pub from: String,
    /// The correct value per second.
    pub per_sec: f64,
    /// The claimed rate, as written ("1K per second").
    pub claimed: String,
}

fn time_unit(text: &str) -> Option<&'static str> {
    let t = text.to_lowercase();
    if t.contains("day") || t.ends_with("/d") {
        Some("day")
    } else if t.contains("hour") || t.ends_with("/h") || t.ends_with("/hr") {
        Some("hour")
    } else if t.contains("min") {
        Some("minute")
    } else if t.contains("sec") || t.ends_with("/s") {
        Some("second")
    } else {
        None
    }
}

/// Conversions from a per-day (per-hour, per-minute) rate to the per-second rate written right
/// after it in the same sentence, that are off by more than 2x. A multiplication in between
/// ("1M orders/day, ~10 events each -> 10M/day ≈ 116/s") is a different rate and not compared.
pub fn wrong_conversions(sentences: &[String]) -> Vec<WrongConversion> {
    let mut out = Vec::new();
    for s in sentences {
        let mut rates: Vec<(usize, Quantity)> = Vec::new();
        let mut from = 0;
        for q in quantities(s)
            .into_iter()
            .filter(|q| q.kind == QuantityKind::Rate)
        {
            if let Some(pos) = s[from..].find(&q.text) {
                rates.push((from + pos, q.clone()));
                from += pos + q.text.len();
            }
        }
        for w in rates.windows(2) {
            let (a_at, a) = &w[0];
            let (b_at, b) = &w[1];
            let (Some(ua), Some(ub)) = (time_unit(&a.text), time_unit(&b.text)) else {
                continue;
            };
            if ua == "second" || ub != "second" {
                continue;
            }
            let between = s[a_at + a.text.len()..*b_at].to_lowercase();
            let converts = [
                "is about",
                "is roughly",
                "is around",
                "that's",
                "thats",
                "which is",
                "≈",
                "~",
                "means",
                "=",
                "works out",
                "comes to",
                "is like",
                "is only",
                "or about",
                "or roughly",
                "so about",
                "so roughly",
            ]
            .iter()
            .any(|p| between.contains(p));
            let (x, y) = (a.value, b.value);
            if converts && between.len() < 40 && x > 0.0 && y > 0.0 && (x / y > 2.0 || y / x > 2.0)
            {
                out.push(WrongConversion {
                    sentence: s.clone(),
                    from: a.text.clone(),
                    per_sec: x,
                    claimed: b.text.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod conversion_tests {
    use super::*;

    fn check(s: &str) -> usize {
        wrong_conversions(&[s.to_string()]).len()
    }

    #[test]
    fn wrong_conversions_are_caught_and_right_ones_pass() {
        assert_eq!(
            check("1B a day is about 1K per second, so one consumer is enough."),
            1
        );
        assert_eq!(check("1B events/day ≈ 11.6K/s on average."), 0);
        assert_eq!(
            check(
                "1M/day, say ~10 transitions each -> 10M events/day ≈ 116/s avg, ~350/s at peak."
            ),
            0
        );
        assert_eq!(check("Orders ~12/s avg, ~35/s peak."), 0);
        assert_eq!(
            check("10,000 payments per minute is about 1,000 per second."),
            1
        );
    }
}
