//! Lenient readers for fields Avito types one way and sends another.

use serde::{Deserialize, Deserializer};

/// An optional id that may come as a string or as a number; kept as a string.
pub fn opt_string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(i64),
        Float(f64),
    }
    Ok(match Option::<Id>::deserialize(d)? {
        None => None,
        Some(Id::Text(s)) => Some(s),
        Some(Id::Number(n)) => Some(n.to_string()),
        Some(Id::Float(f)) => Some(f.to_string()),
    })
}

/// A required value that may come as a string or as a number; kept as a string.
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_string_or_number(d)?.ok_or_else(|| serde::de::Error::custom("expected a string or a number, found null"))
}
