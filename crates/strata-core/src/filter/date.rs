//! Calendar dates as filters write them (`yyyy-MM-dd`), shared with the store's pushdown.

/// Whether `b[j..]` starts with `-dd-dd` (the rest of a `yyyy-MM-dd`).
pub(super) fn date_tail(b: &[u8], j: usize) -> bool {
    let Some(t) = b.get(j..j + 6) else {
        return false;
    };
    t[0] == b'-'
        && t[1].is_ascii_digit()
        && t[2].is_ascii_digit()
        && t[3] == b'-'
        && t[4].is_ascii_digit()
        && t[5].is_ascii_digit()
}

/// A date `y-M-d` (year of 1 to 4 digits, month and day of 1 or 2), validated as a calendar
/// date; as lenient as HMS's `SimpleDateFormat("yyyy-MM-dd")` for a whole string.
/// Returns `(year, month, day)`. The store's date pushdown uses it too, so both agree.
pub fn parse_date(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let num = |p: &str, max_len: usize| -> Option<u32> {
        if p.is_empty() || p.len() > max_len || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        p.parse().ok()
    };
    let (y, m, d) = (num(y, 4)?, num(m, 2)?, num(d, 2)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&d).then_some((y, m, d))
}

/// A date in exactly the form `yyyy-MM-dd`.
pub(super) fn parse_date_strict(s: &str) -> Option<(u32, u32, u32)> {
    (s.len() == 10 && date_tail(s.as_bytes(), 4)).then(|| parse_date(s)).flatten()
}
