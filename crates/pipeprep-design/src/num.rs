//! Number formatting shared by the estimator, the linter and the renderers: people check
//! arithmetic by eye, so every figure gets thousands separators and a fixed, predictable
//! number of decimals.

/// `1234567.891` with 2 decimals → `1,234,567.89`. Non-finite values print as `n/a`.
pub(crate) fn fmt_fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s.as_str(), None),
    };
    let mut out = String::with_capacity(s.len() + s.len() / 3 + 1);
    // `-0.00` reads as a bug to a user; only print the sign when something non-zero is shown.
    if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    let digits = int.len();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (digits - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Decimals that keep three significant figures for small numbers and none for large ones.
pub(crate) fn auto_decimals(v: f64) -> usize {
    let a = v.abs();
    if !a.is_finite() || a == a.trunc() || a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else if a >= 0.01 {
        3
    } else {
        // Tiny unit prices like $0.0000166667 per GB-s must stay readable.
        let mut d = 3;
        let mut x = a;
        while x < 0.01 && d < 12 && x > 0.0 {
            x *= 10.0;
            d += 1;
        }
        d + 4
    }
}

/// A number with separators and [`auto_decimals`].
pub(crate) fn fmt_num(v: f64) -> String {
    let d = auto_decimals(v);
    let s = fmt_fixed(v, d);
    if d > 0 {
        // `0.05`, not `0.050`; `0.0000166667`, not `0.00001666670`.
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A whole number with separators.
pub(crate) fn fmt_int(v: f64) -> String {
    fmt_fixed(v.round(), 0)
}

/// Dollars: `$6,000` for large sums, `$104.17` below a thousand, `$0.20` for unit prices.
pub(crate) fn fmt_usd(v: f64) -> String {
    let body = if v.abs() >= 1000.0 {
        fmt_fixed(v, 0)
    } else if v.abs() >= 0.01 || v == 0.0 {
        fmt_fixed(v, 2)
    } else {
        fmt_num(v)
    };
    match body.strip_prefix('-') {
        Some(rest) => format!("-${rest}"),
        None => format!("${body}"),
    }
}

/// A unit price at full precision, never fewer than 2 decimals: `$0.023`, `$0.20`,
/// `$0.0000166667`, `$6.25`.
pub(crate) fn fmt_price(v: f64) -> String {
    let s = fmt_fixed(v, 10);
    let t = s.trim_end_matches('0');
    let decimals = t.split_once('.').map_or(0, |(_, f)| f.len());
    let body = if decimals < 2 {
        fmt_fixed(v, 2)
    } else {
        t.to_string()
    };
    match body.strip_prefix('-') {
        Some(rest) => format!("-${rest}"),
        None => format!("${body}"),
    }
}

pub(crate) const KIB: f64 = 1024.0;
pub(crate) const MIB: f64 = 1024.0 * 1024.0;
pub(crate) const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Bytes in the largest binary unit that keeps the value at or above 1: `(953.67, "GiB")`.
pub(crate) fn binary_unit(bytes: f64) -> (f64, &'static str) {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes;
    let mut i = 0;
    while v.abs() >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    (v, UNITS[i])
}

/// `953.67 GiB`.
pub(crate) fn fmt_bytes(bytes: f64) -> String {
    let (v, u) = binary_unit(bytes);
    format!("{} {u}", fmt_num(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_and_decimals() {
        assert_eq!(fmt_fixed(1_000_000_000.0, 0), "1,000,000,000");
        assert_eq!(fmt_fixed(11_574.074, 0), "11,574");
        assert_eq!(fmt_fixed(-1234.5, 1), "-1,234.5");
        assert_eq!(fmt_fixed(-0.0001, 2), "0.00");
        assert_eq!(fmt_num(11.3028), "11.3");
        assert_eq!(fmt_num(0.0000166667), "0.0000166667");
        assert_eq!(fmt_num(9.5851), "9.59");
        assert_eq!(fmt_num(0.05), "0.05");
        assert_eq!(fmt_num(12.0), "12");
        assert_eq!(fmt_num(58.0), "58");
        assert_eq!(fmt_usd(6000.0), "$6,000");
        assert_eq!(fmt_usd(104.1669), "$104.17");
        assert_eq!(fmt_usd(0.2), "$0.20");
        assert_eq!(fmt_usd(0.0000166667), "$0.0000166667");
        assert_eq!(fmt_price(0.023), "$0.023");
        assert_eq!(fmt_price(0.2), "$0.20");
        assert_eq!(fmt_price(0.625), "$0.625");
        assert_eq!(fmt_price(0.0000166667), "$0.0000166667");
        assert_eq!(fmt_price(40.0), "$40.00");
        assert_eq!(fmt_bytes(1e12 * 1.024), "954 GiB");
        assert_eq!(fmt_bytes(512.0), "512 B");
    }
}
