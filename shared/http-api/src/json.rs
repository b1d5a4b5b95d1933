//! A JSON body extractor that answers 400 with the reason (syntax, unknown field, wrong type, and
//! where in the document) for anything that does not read as the expected document, whatever the
//! content type says, so that `curl -d` works; a body over the route's limit is 413. Values that
//! read but are invalid are the handler's 422.
//!
//! The document is read as JSON Schema (and so the OpenAPI document) says a body is: an object is
//! only ever read from a JSON object (serde alone would also read a struct from an array, so `[null]`
//! would pass for `{}`), and an integer may be written with a zero fraction (`924.0` is the integer
//! 924 in JSON Schema; serde alone refuses it).

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// The parsed body.
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge
            } else {
                ApiError::BadRequest(format!("cannot read the request body: {e}"))
            }
        })?;
        if bytes.is_empty() {
            return Err(ApiError::BadRequest("a JSON body is required".into()));
        }
        from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
    }
}

/// Reads a request body as the API reads every JSON body (see the module's documentation).
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    let value: Value = serde_json::from_slice(bytes).map_err(de::Error::custom)?;
    T::deserialize(Document {
        value,
        path: String::new(),
    })
}

/// Why a body does not read as the expected document, and where in it.
#[derive(Debug, PartialEq, Eq)]
pub struct BodyError {
    /// Where in the document, as the API names fields (`working_time.auto_replies[2].text`);
    /// empty for the document itself.
    path: String,
    message: String,
}

impl BodyError {
    /// The error placed at `path`, unless a deeper place was named already.
    fn at(mut self, path: &str) -> Self {
        if self.path.is_empty() {
            path.clone_into(&mut self.path);
        }
        self
    }
}

impl fmt::Display for BodyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for BodyError {}

impl de::Error for BodyError {
    fn custom<M: fmt::Display>(message: M) -> Self {
        BodyError {
            path: String::new(),
            message: message.to_string(),
        }
    }
}

/// A parsed JSON value at a place in the document, read strictly.
struct Document {
    value: Value,
    path: String,
}

/// The largest integer a JSON number with a fraction still spells exactly (2^53).
const EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => de::Unexpected::Unsigned(u),
            (_, Some(i), _) => de::Unexpected::Signed(i),
            (_, _, Some(f)) => de::Unexpected::Float(f),
            _ => de::Unexpected::Other("number"),
        },
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

/// The place of `name` under `path`.
fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn visit_object<'de, V: Visitor<'de>>(path: &str, map: Map<String, Value>, visitor: V) -> Result<V::Value, BodyError> {
    let entries = map
        .into_iter()
        .map(|(key, value)| {
            let path = child(path, &key);
            (key, Document { value, path })
        })
        .collect::<Vec<_>>();
    visitor.visit_map(Entries {
        entries: entries.into_iter(),
        next: None,
        path: path.to_owned(),
    })
}

fn visit_array<'de, V: Visitor<'de>>(path: &str, items: Vec<Value>, visitor: V) -> Result<V::Value, BodyError> {
    let items = items
        .into_iter()
        .enumerate()
        .map(|(i, value)| Document {
            value,
            path: format!("{path}[{i}]"),
        })
        .collect::<Vec<_>>();
    visitor.visit_seq(Items {
        items: items.into_iter(),
    })
}

impl Document {
    /// An integer, also when written with a zero fraction (`924.0`).
    fn integer<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        if let Value::Number(n) = &self.value
            && let (None, None, Some(f)) = (n.as_u64(), n.as_i64(), n.as_f64())
            && f.fract() == 0.0
            && f.abs() <= EXACT_INTEGER
        {
            // Exact: a whole number within 2^53 converts without rounding.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            return if f < 0.0 {
                visitor.visit_i64(f as i64)
            } else {
                visitor.visit_u64(f as u64)
            };
        }
        de::Deserializer::deserialize_any(self, visitor)
    }
}

impl<'de> de::Deserializer<'de> for Document {
    type Error = BodyError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        match self.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (_, Some(i), _) => visitor.visit_i64(i),
                (_, _, Some(f)) => visitor.visit_f64(f),
                _ => Err(de::Error::custom("a number out of range")),
            },
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => visit_array(&self.path, items, visitor),
            Value::Object(map) => visit_object(&self.path, map, visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    /// A struct only from a JSON object.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, BodyError> {
        match self.value {
            Value::Object(map) => visit_object(&self.path, map, visitor),
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, BodyError> {
        visitor.visit_newtype_struct(self)
    }

    /// Enums are unit variants written as strings.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, BodyError> {
        match self.value {
            Value::String(s) => visitor.visit_enum(IntoDeserializer::<BodyError>::into_deserializer(s)),
            other => Err(de::Error::invalid_type(unexpected(&other), &visitor)),
        }
    }

    fn deserialize_i8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.integer(visitor)
    }

    fn deserialize_i16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.integer(visitor)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.integer(visitor)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.integer(visitor)
    }

    fn deserialize_u8<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.integer(visitor)
    }

    fn deserialize_u16<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.integer(visitor)
    }

    fn deserialize_u32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.integer(visitor)
    }

    fn deserialize_u64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BodyError> {
        self.integer(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i128 u128 f32 f64 char str string bytes byte_buf unit unit_struct seq tuple
        tuple_struct map identifier ignored_any
    }
}

/// An object's members, each read strictly at its own path.
struct Entries {
    entries: std::vec::IntoIter<(String, Document)>,
    next: Option<Document>,
    /// The object's own place: a key it does not take is named there.
    path: String,
}

impl<'de> MapAccess<'de> for Entries {
    type Error = BodyError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, BodyError> {
        match self.entries.next() {
            Some((key, value)) => {
                self.next = Some(value);
                seed.deserialize(IntoDeserializer::<BodyError>::into_deserializer(key))
                    .map(Some)
                    .map_err(|e| e.at(&self.path))
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, BodyError> {
        let value = self
            .next
            .take()
            .ok_or_else(|| <BodyError as de::Error>::custom("a value without its key"))?;
        let path = value.path.clone();
        seed.deserialize(value).map_err(|e| e.at(&path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// An array's items, each read strictly at its own path.
struct Items {
    items: std::vec::IntoIter<Document>,
}

impl<'de> SeqAccess<'de> for Items {
    type Error = BodyError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, BodyError> {
        match self.items.next() {
            Some(item) => {
                let path = item.path.clone();
                seed.deserialize(item).map(Some).map_err(|e| e.at(&path))
            }
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        delay_seconds: i64,
        #[serde(default)]
        at: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[serde(default)]
        items: Vec<Inner>,
        #[serde(default)]
        inner: Option<Inner>,
        #[serde(default)]
        count: u32,
    }

    fn read(body: &str) -> Result<Outer, String> {
        from_slice::<Outer>(body.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn an_object_is_read_only_from_a_json_object_at_every_depth() {
        assert!(read("[null]").is_err());
        assert!(read("[]").is_err());
        assert!(read(r#""text""#).is_err());
        let nested = read(r#"{"inner": [5]}"#).expect_err("an array for an object");
        assert!(nested.starts_with("inner: invalid type: sequence"), "{nested}");
        let in_list = read(r#"{"items": [{"delay_seconds": 1}, [2]]}"#).expect_err("an array item");
        assert!(in_list.starts_with("items[1]: invalid type"), "{in_list}");
        assert_eq!(
            read(r#"{"items": [{"delay_seconds": 1, "at": null}], "inner": null}"#),
            Ok(Outer {
                items: vec![Inner {
                    delay_seconds: 1,
                    at: None
                }],
                inner: None,
                count: 0
            })
        );
    }

    #[test]
    fn integers_may_carry_a_zero_fraction_but_not_another() {
        let read_delay = |body: &str| read(body).map(|o| o.inner.map(|i| i.delay_seconds));
        assert_eq!(read_delay(r#"{"inner": {"delay_seconds": 924.0}}"#), Ok(Some(924)));
        assert_eq!(read_delay(r#"{"inner": {"delay_seconds": -3.0}}"#), Ok(Some(-3)));
        assert_eq!(read_delay(r#"{"inner": {"delay_seconds": 1e3}}"#), Ok(Some(1000)));
        assert!(read_delay(r#"{"inner": {"delay_seconds": 924.5}}"#).is_err());
        assert!(read_delay(r#"{"inner": {"delay_seconds": "924"}}"#).is_err());
        assert!(read(r#"{"count": -1}"#).is_err());
        assert!(read(r#"{"count": 4294967296.0}"#).is_err());
    }

    #[test]
    fn unknown_and_missing_fields_are_named_with_their_place() {
        let unknown = read(r#"{"inner": {"delay_seconds": 1, "dealy": 2}}"#).expect_err("unknown");
        assert!(unknown.starts_with("inner: unknown field `dealy`"), "{unknown}");
        let missing = read(r#"{"items": [{}]}"#).expect_err("missing");
        assert!(
            missing.starts_with("items[0]: missing field `delay_seconds`"),
            "{missing}"
        );
        let mistyped = read(r#"{"items": [{"delay_seconds": 1, "at": 5}]}"#).expect_err("mistyped");
        assert!(mistyped.starts_with("items[0].at: invalid type: integer"), "{mistyped}");
        assert!(read("{not json").is_err());
    }
}
