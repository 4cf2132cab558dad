//! Canonical JSON (RFC 8785) for the content formats that are checked byte for byte: a reader
//! re-serialises what it parsed and refuses the content unless it gets the same bytes back, so
//! every valid content has exactly one encoding (no whitespace, key order, duplicate keys,
//! `1.0` or `1e3` left for anyone to vary).
//!
//! Strings are escaped as serde_json (and ECMAScript `JSON.stringify`) escape them, which is
//! RFC 8785's rule; keys sort by UTF-16 code units. Numbers depend on the format:
//! [`Numbers::SafeIntegers`] (the header and attachment contents: integers up to 2^53 − 1
//! only) or [`Numbers::Ecmascript`] (telemetry values: any finite number, written as
//! ECMAScript's `Number.prototype.toString` writes its binary64 value, via `ryu-js`).

use serde_json::Value;

use crate::limits::MAX_SAFE_INTEGER;

/// Which numbers a format admits, and how they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numbers {
    /// Integers with magnitude at most 2^53 − 1, in plain decimal; anything else is refused.
    SafeIntegers,
    /// Any number, as the binary64 value JavaScript would read it, written as JavaScript
    /// writes it (so `1.0` → `1`, `1e21` → `1e+21`, an integer past 2^53 rounds).
    Ecmascript,
}

/// The canonical form of `value`, or `None` when it holds a number `numbers` refuses.
pub fn to_string(value: &Value, numbers: Numbers) -> Option<String> {
    let mut out = String::new();
    write(value, numbers, &mut out).then_some(out)
}

/// Appends the ECMAScript form of a finite `number` to `out`.
pub fn write_number(number: f64, out: &mut String) {
    out.push_str(ryu_js::Buffer::new().format_finite(number));
}

fn write(value: &Value, numbers: Numbers, out: &mut String) -> bool {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) => write_string(s, out),
        Value::Number(n) => match numbers {
            Numbers::SafeIntegers => match n.as_i64() {
                Some(i) if i.unsigned_abs() <= MAX_SAFE_INTEGER => out.push_str(&i.to_string()),
                _ => return false,
            },
            // serde_json keeps integers exact (u64/i64); JavaScript reads every number as the
            // nearest binary64, so convert the same way before writing.
            Numbers::Ecmascript => match n.as_f64() {
                Some(f) if f.is_finite() => write_number(f, out),
                _ => return false,
            },
        },
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !write(item, numbers, out) {
                    return false;
                }
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                if !write(&map[k], numbers, out) {
                    return false;
                }
            }
            out.push('}');
        }
    }
    true
}

/// A JSON string as RFC 8785 (and `JSON.stringify`) writes it.
pub fn write_string(s: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(s).expect("a str always serialises"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_javascript_writes_them() {
        let c = |text: &str| to_string(&serde_json::from_str(text).unwrap(), Numbers::Ecmascript);
        for same in [
            "0",
            "-1",
            "1.5",
            "0.1",
            "1e+21",
            "1e-7",
            "5e-324",
            "9007199254740992",
            "0.000001",
        ] {
            assert_eq!(c(same).as_deref(), Some(same), "{same}");
        }
        assert_eq!(c("1.0").as_deref(), Some("1"));
        assert_eq!(c("-0").as_deref(), Some("0"));
        assert_eq!(c("1E3").as_deref(), Some("1000"));
        assert_eq!(c("9007199254740993").as_deref(), Some("9007199254740992"));
        assert_eq!(c("100000000000000000000000").as_deref(), Some("1e+23"));
        // The closest binary64 to this long decimal is 0.1: only "0.1" is canonical.
        assert_eq!(
            c("0.1000000000000000055511151231257827").as_deref(),
            Some("0.1")
        );
    }

    #[test]
    fn safe_integer_formats_refuse_everything_else() {
        let c = |text: &str| to_string(&serde_json::from_str(text).unwrap(), Numbers::SafeIntegers);
        assert_eq!(
            c("[9007199254740991,-3]").as_deref(),
            Some("[9007199254740991,-3]")
        );
        assert_eq!(c("9007199254740992"), None);
        assert_eq!(c("1.5"), None);
        assert_eq!(
            c("{\"b\":1,\"a\":\"\\u0001/é\"}").as_deref(),
            Some("{\"a\":\"\\u0001/é\",\"b\":1}")
        );
    }
}
