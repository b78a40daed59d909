//! Partition names (`k1=v1/k2=v2`) with HMS's escaping rules (`FileUtils.escapePathName`).

use crate::error::{CatalogError, Result};

/// The name HMS gives an empty or null partition value.
pub const DEFAULT_PARTITION_NAME: &str = "__HIVE_DEFAULT_PARTITION__";

fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{0}'
            ..='\u{1F}'
                | '"'
                | '#'
                | '%'
                | '\''
                | '*'
                | '/'
                | ':'
                | '='
                | '?'
                | '\\'
                | '\u{7F}'
                | '{'
                | '['
                | ']'
                | '^'
    )
}

/// Escape a key or value for a partition path: listed characters become `%XX`.
#[must_use]
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if needs_escape(c) {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Undo [`escape`]: `%` followed by two hex digits is decoded, anything else is kept.
#[must_use]
pub fn unescape(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if bytes[i] == b'%' && i + 3 <= s.len() && s.is_char_boundary(i + 3) {
            if let Ok(code) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(char::from(code));
                i += 3;
                continue;
            }
        }
        let c = s[i..].chars().next().unwrap_or_default();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// Build `k1=v1/k2=v2` from keys and values (keys lower-cased; empty values become the default
/// partition name). The numbers of keys and values must agree.
pub fn make_part_name(keys: &[String], values: &[String]) -> Result<String> {
    if keys.len() != values.len() || keys.is_empty() {
        return Err(CatalogError::Meta(invalid_key_values(keys, values)));
    }
    let mut name = String::new();
    for (i, (k, v)) in keys.iter().zip(values).enumerate() {
        if i > 0 {
            name.push('/');
        }
        name.push_str(&escape(&k.to_lowercase()));
        name.push('=');
        if v.is_empty() {
            name.push_str(DEFAULT_PARTITION_NAME);
        } else {
            name.push_str(&escape(v));
        }
    }
    Ok(name)
}

/// A list the way Java's `StringBuilder` loops in HMS print it: `[a, b, ]` (`[]` when empty).
#[must_use]
pub fn java_list(items: &[String]) -> String {
    let mut out = String::from("[");
    for item in items {
        out.push_str(item);
        out.push_str(", ");
    }
    out.push(']');
    out
}

/// A map as Java's `AbstractMap.toString` prints it: `{k1=v1, k2=v2}`.
#[must_use]
pub fn java_map<'a>(entries: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    let body: Vec<String> = entries.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{{{}}}", body.join(", "))
}

/// HMS's message when the number of partition values does not match the keys.
#[must_use]
pub fn invalid_key_values(keys: &[String], values: &[String]) -> String {
    format!("Invalid partition key & values; keys {}, values {}", java_list(keys), java_list(values))
}

/// Values as `AbstractList.toString` prints them: `[a, b]`.
#[must_use]
pub fn values_list(values: &[String]) -> String {
    format!("[{}]", values.join(", "))
}

/// Parse a partition name leniently, as HMS's `makeSpecFromName` does: pieces that are not
/// `key=value` are skipped; keys and values are unescaped.
#[must_use]
pub fn spec_from_name(name: &str) -> Vec<(String, String)> {
    name.split('/')
        .filter_map(|piece| piece.split_once('=').filter(|(k, v)| !k.is_empty() && !v.is_empty()))
        .map(|(k, v)| (unescape(k), unescape(v)))
        .collect()
}

/// Parse `k1=v1/k2=v2` back into unescaped `(key, value)` pairs.
pub fn parse_part_name(name: &str) -> Result<Vec<(String, String)>> {
    name.split('/')
        .map(|piece| {
            let (k, v) = piece
                .split_once('=')
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .ok_or_else(|| CatalogError::Meta(format!("Invalid partition name {name}")))?;
            Ok((unescape(k), unescape(v)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_matches_hms() {
        assert_eq!(escape("a/b:c=d"), "a%2Fb%3Ac%3Dd");
        assert_eq!(escape("x y}|é"), "x y}|é");
        assert_eq!(unescape("a%2Fb%3Ac%3Dd"), "a/b:c=d");
        assert_eq!(unescape("100%"), "100%");
        assert_eq!(unescape("%zz"), "%zz");
    }

    #[test]
    fn names_round_trip() {
        let keys = vec!["DS".to_string(), "hr".to_string()];
        let name = make_part_name(&keys, &["2024-01-01".into(), "a/b".into()]).unwrap();
        assert_eq!(name, "ds=2024-01-01/hr=a%2Fb");
        assert_eq!(
            parse_part_name(&name).unwrap(),
            vec![("ds".into(), "2024-01-01".into()), ("hr".into(), "a/b".into())]
        );
        assert_eq!(make_part_name(&keys[..1], &[String::new()]).unwrap(), "ds=__HIVE_DEFAULT_PARTITION__");
        assert_eq!(
            make_part_name(&keys, &["x".into()]).unwrap_err().message(),
            "Invalid partition key & values; keys [DS, hr, ], values [x, ]"
        );
        assert_eq!(
            make_part_name(&[], &[]).unwrap_err().message(),
            "Invalid partition key & values; keys [], values []"
        );
        assert_eq!(spec_from_name("a=1/b"), vec![("a".to_string(), "1".to_string())]);
        assert!(spec_from_name("garbage").is_empty());
    }

    #[test]
    fn maps_print_as_java_does() {
        let (a, one, b, two) = ("a".to_string(), "1".to_string(), "b".to_string(), "x y".to_string());
        assert_eq!(java_map([(&a, &one), (&b, &two)]), "{a=1, b=x y}");
        assert_eq!(java_map(std::iter::empty()), "{}");
    }
}
