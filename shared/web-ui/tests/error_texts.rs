//! The web interface words every code the API can answer in Russian: each field error code
//! (`domain::validation::FIELD_CODES`) has its text in view.js, each conflict code
//! (`domain::validation::ConflictCode`) in api.js.

use domain::validation::{ConflictCode, FIELD_CODES};

const VIEW: &str = include_str!("../assets/view.js");
const API: &str = include_str!("../assets/api.js");

/// The body of the object literal `const name = { ... };` in `source`.
fn object<'a>(source: &'a str, name: &str) -> &'a str {
    let start = source
        .find(&format!("const {name} = {{"))
        .unwrap_or_else(|| panic!("{name} is not in the file"));
    let rest = &source[start..];
    let end = rest.find("\n};").unwrap_or_else(|| panic!("{name} does not end"));
    &rest[..end]
}

fn has_key(object: &str, key: &str) -> bool {
    object.lines().any(|l| l.trim_start().starts_with(&format!("{key}:")))
}

#[test]
fn every_field_code_has_a_russian_text() {
    let texts = object(VIEW, "FIELD_TEXTS");
    let missing: Vec<&str> = FIELD_CODES.into_iter().filter(|c| !has_key(texts, c)).collect();
    assert!(missing.is_empty(), "field codes without a Russian text: {missing:?}");
}

#[test]
fn every_conflict_code_has_a_russian_text() {
    let texts = object(API, "CONFLICT_TEXTS");
    let missing: Vec<&str> = ConflictCode::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !has_key(texts, c))
        .collect();
    assert!(missing.is_empty(), "conflict codes without a Russian text: {missing:?}");
}
