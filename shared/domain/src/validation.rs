//! Field-level validation errors, collected across a whole document so that one answer names every
//! field that needs fixing (the admin UI shows each next to its field).

use serde::Serialize;

/// One failing field: a path into the submitted document (`closing_message.text`,
/// `working_time.auto_replies[2].delay_seconds`) and a sentence a person can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every failing field of one document, in the order they were found. Never empty when returned
/// as an error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{} field(s) failed validation", .0.len())]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// A single failing field.
    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// Adds another document's errors with their paths placed under `prefix`.
    pub fn extend_under(&mut self, prefix: &str, other: ValidationErrors) {
        for e in other.0 {
            let field = if e.field.is_empty() {
                prefix.to_owned()
            } else {
                format!("{prefix}.{}", e.field)
            };
            self.0.push(FieldError {
                field,
                message: e.message,
            });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names of the failing fields, for tests and logs.
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|e| e.field.as_str()).collect()
    }

    /// `Ok(value)` when nothing failed, else the collected errors.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.is_empty() { Ok(value) } else { Err(self) }
    }
}

/// Why a document was not accepted: a value is invalid in itself (every failing field named), or
/// every value is valid but the document conflicts with what it applies to (a channel's kind, a
/// card that is a client): the API answers 422 and 409.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// Values invalid in themselves, every failing field named.
    Invalid(ValidationErrors),
    /// Every value valid, but not for what they apply to: why.
    Conflict(&'static str),
}

impl From<ValidationErrors> for Rejection {
    fn from(errors: ValidationErrors) -> Self {
        Rejection::Invalid(errors)
    }
}

/// Length in characters (Unicode scalar values), which is how Avito and people count text;
/// Cyrillic letters are two bytes each in UTF-8, so byte length would be wrong.
pub fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// The characters `char::is_whitespace` calls white space (Unicode's `White_Space`), as inclusive
/// ranges: what "blank" and "without spaces" mean in every rule here and in the documented
/// patterns ([`not_blank_pattern`], [`no_white_space_pattern`]).
pub const WHITE_SPACE: [(char, char); 10] = [
    ('\u{9}', '\u{d}'),
    (' ', ' '),
    ('\u{85}', '\u{85}'),
    ('\u{a0}', '\u{a0}'),
    ('\u{1680}', '\u{1680}'),
    ('\u{2000}', '\u{200a}'),
    ('\u{2028}', '\u{2029}'),
    ('\u{202f}', '\u{202f}'),
    ('\u{205f}', '\u{205f}'),
    ('\u{3000}', '\u{3000}'),
];

/// The characters `char::is_control` calls control characters (Unicode's `Cc`), as inclusive ranges.
pub const CONTROL: [(char, char); 2] = [('\u{0}', '\u{1f}'), ('\u{7f}', '\u{9f}')];

/// Whether `s` is empty or white space only.
pub fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// The inside of a regular-expression character class naming `ranges` (`\uXXXX` escapes, which
/// ECMA-262, Python and Rust's regex read alike).
fn class(ranges: &[(char, char)]) -> String {
    let escape = |c: char| format!("\\u{:04x}", u32::from(c));
    ranges
        .iter()
        .map(|&(from, to)| {
            if from == to {
                escape(from)
            } else {
                format!("{}-{}", escape(from), escape(to))
            }
        })
        .collect()
}

/// The inside of a character class naming white space, to build patterns with.
pub fn white_space_class() -> String {
    class(&WHITE_SPACE)
}

/// A pattern (JSON Schema: it matches anywhere) that text which is not blank matches: it holds a
/// character other than white space.
pub fn not_blank_pattern() -> String {
    format!("[^{}]", white_space_class())
}

/// A pattern for text without control characters.
pub fn no_control_pattern() -> String {
    format!("^[^{}]*$", class(&CONTROL))
}

/// The longest e-mail address accepted, in characters.
pub const MAX_EMAIL_CHARS: usize = 254;

/// Whether `e` looks like an e-mail address: something, one `@`, a host with a dot not at its
/// start, no white space, at most [`MAX_EMAIL_CHARS`] characters. Deliverability is not judged.
/// The one e-mail rule: employees', client cards', and signing in ([`crate::identity::EmailAddress`]).
pub fn is_email(e: &str) -> bool {
    e.split_once('@').is_some_and(|(user, host)| {
        !user.is_empty() && !host.contains('@') && host.contains('.') && !host.starts_with('.')
    }) && !e.contains(char::is_whitespace)
        && char_len(e) <= MAX_EMAIL_CHARS
}

/// What [`is_email`] accepts, as a regular expression without anchors.
fn email_expression() -> String {
    let ws = white_space_class();
    format!("[^@{ws}]+@[^@.{ws}][^@{ws}]*\\.[^@{ws}]*")
}

/// The pattern [`is_email`] accepts (with `maxLength` [`MAX_EMAIL_CHARS`]).
pub fn email_pattern() -> String {
    format!("^{}$", email_expression())
}

/// The pattern of an e-mail address that may also be empty (none).
pub fn optional_email_pattern() -> String {
    format!("^({})?$", email_expression())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_ranges(c: char, ranges: &[(char, char)]) -> bool {
        ranges.iter().any(|&(from, to)| (from..=to).contains(&c))
    }

    #[test]
    fn the_documented_classes_are_exactly_rusts_white_space_and_control_characters() {
        for c in (0..=0x10_ffff).filter_map(char::from_u32) {
            assert_eq!(in_ranges(c, &WHITE_SPACE), c.is_whitespace(), "{:?}", c);
            assert_eq!(in_ranges(c, &CONTROL), c.is_control(), "{:?}", c);
        }
        assert_eq!(
            not_blank_pattern(),
            r"[^\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028-\u2029\u202f\u205f\u3000]"
        );
        assert_eq!(no_control_pattern(), r"^[^\u0000-\u001f\u007f-\u009f]*$");
    }

    #[test]
    fn e_mail_addresses() {
        for ok in ["a@b.c", "ivan@mail.ru", "иван@почта.рф", "a@b."] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "@b.c",
            "a@b",
            "a@.b",
            "a b@c.d",
            " a@b.c",
            &format!("a@b.{}", "c".repeat(251)),
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
