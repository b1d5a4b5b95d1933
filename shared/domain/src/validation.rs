//! Field-level validation errors, collected across a whole document so that one answer names every
//! field that needs fixing (the admin UI shows each next to its field).

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

use crate::attachment::AttachmentError;
use crate::ids::InvalidId;

/// What is wrong with one value. Each problem has a stable machine [`Problem::code`] (snake_case,
/// for programs and the web UI, which words it in Russian), the numbers a person needs to fix it
/// ([`Problem::min`], [`Problem::max`], [`Problem::allowed`]) and an English sentence (its
/// `Display`, for scripts and logs). Several problems may share a code when they mean the same
/// to a person (every `required` one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// `required`: the value is missing.
    Required,
    /// `required`: the value is missing, and why it is needed here.
    RequiredFor(&'static str),
    /// `blank`: the text is empty or white space only.
    Blank,
    /// `too_short`: fewer than `min` characters.
    TooShort { min: u64 },
    /// `too_long`: more than `max` characters.
    TooLong { max: u64 },
    /// `length_out_of_range`: text must be `min` to `max` characters and not blank.
    Length { min: u64, max: u64 },
    /// `invalid_text`: more than `max` characters, or control characters.
    NotPrintable { max: u64 },
    /// `too_many`: a list longer than `max` entries.
    TooMany { max: u64 },
    /// `too_few`: a list shorter than `min` entries.
    TooFew { min: u64 },
    /// `out_of_range`: a number outside `min..=max`.
    OutOfRange { min: u64, max: u64 },
    /// `not_an_id`: not of an id's form.
    NotAnId(InvalidId),
    /// `not_found`: an id the tenant has no such thing with (what it names).
    NotFound(&'static str),
    /// `not_allowed`: not one of the values listed.
    OneOf(&'static [&'static str]),
    /// `invalid_email`: not an e-mail address.
    InvalidEmail,
    /// `invalid_phone`: not a phone number.
    InvalidPhone,
    /// `invalid_time`: not a time `HH:MM`; `end` when the value ends an interval (00:01 to 24:00).
    InvalidTime { end: bool },
    /// `invalid_date`: not a date `YYYY-MM-DD`.
    InvalidDate,
    /// `invalid_time_zone`: not an IANA time zone name.
    InvalidTimeZone,
    /// `invalid_url`: not an absolute http(s) URL.
    InvalidUrl,
    /// `private_address`: a URL of our own or a private network.
    PrivateAddress,
    /// `duplicate`: the same value listed twice.
    Duplicate,
    /// `not_in_order`: a delay shorter than the previous one in the list.
    NotInOrder,
    /// `overlaps`: an interval overlapping another of the same day.
    Overlaps,
    /// `empty_interval`: an interval whose start and end are the same.
    EmptyInterval,
    /// `also_a_holiday`: an extra working date that is also a holiday.
    AlsoAHoliday,
    /// `mutually_exclusive`: two choices of which only one may be made.
    MutuallyExclusive,
    /// `not_applicable`: a value this document does not take here (why).
    NotApplicable(Cow<'static, str>),
    /// `stays_client`: a client card cannot become a guest again.
    StaysClient,
    /// `invalid_secret`: a signing secret not of `min` to `max` characters without spaces.
    InvalidSecret { min: u64, max: u64 },
    /// `reserved_prefix`: text beginning with a prefix reserved for our own use.
    ReservedPrefix(&'static str),
    /// `empty_file`, `file_too_large`, `not_an_image`: a file Avito will not send.
    Attachment(AttachmentError),
    /// `confirmation_required`: an action that must be confirmed (what it does).
    ConfirmationRequired(&'static str),
    /// `credentials_rejected`: Avito did not accept the credentials.
    CredentialsRejected,
    /// `refused`: the identity provider refused the value (its reason).
    Refused(String),
}

/// Every code a [`Problem`] can have, for documentation and the web UI's translations.
pub const FIELD_CODES: [&str; 35] = [
    "required",
    "blank",
    "too_short",
    "too_long",
    "length_out_of_range",
    "invalid_text",
    "too_many",
    "too_few",
    "out_of_range",
    "not_an_id",
    "not_found",
    "not_allowed",
    "invalid_email",
    "invalid_phone",
    "invalid_time",
    "invalid_date",
    "invalid_time_zone",
    "invalid_url",
    "private_address",
    "duplicate",
    "not_in_order",
    "overlaps",
    "empty_interval",
    "also_a_holiday",
    "mutually_exclusive",
    "not_applicable",
    "stays_client",
    "invalid_secret",
    "reserved_prefix",
    "empty_file",
    "file_too_large",
    "not_an_image",
    "confirmation_required",
    "credentials_rejected",
    "refused",
];

impl Problem {
    /// The stable machine code (one of [`FIELD_CODES`]).
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Required | Problem::RequiredFor(_) => "required",
            Problem::Blank => "blank",
            Problem::TooShort { .. } => "too_short",
            Problem::TooLong { .. } => "too_long",
            Problem::Length { .. } => "length_out_of_range",
            Problem::NotPrintable { .. } => "invalid_text",
            Problem::TooMany { .. } => "too_many",
            Problem::TooFew { .. } => "too_few",
            Problem::OutOfRange { .. } => "out_of_range",
            Problem::NotAnId(_) => "not_an_id",
            Problem::NotFound(_) => "not_found",
            Problem::OneOf(_) => "not_allowed",
            Problem::InvalidEmail => "invalid_email",
            Problem::InvalidPhone => "invalid_phone",
            Problem::InvalidTime { .. } => "invalid_time",
            Problem::InvalidDate => "invalid_date",
            Problem::InvalidTimeZone => "invalid_time_zone",
            Problem::InvalidUrl => "invalid_url",
            Problem::PrivateAddress => "private_address",
            Problem::Duplicate => "duplicate",
            Problem::NotInOrder => "not_in_order",
            Problem::Overlaps => "overlaps",
            Problem::EmptyInterval => "empty_interval",
            Problem::AlsoAHoliday => "also_a_holiday",
            Problem::MutuallyExclusive => "mutually_exclusive",
            Problem::NotApplicable(_) => "not_applicable",
            Problem::StaysClient => "stays_client",
            Problem::InvalidSecret { .. } => "invalid_secret",
            Problem::ReservedPrefix(_) => "reserved_prefix",
            Problem::Attachment(AttachmentError::Empty) => "empty_file",
            Problem::Attachment(AttachmentError::TooLarge) => "file_too_large",
            Problem::Attachment(AttachmentError::NotAnImage(_)) => "not_an_image",
            Problem::ConfirmationRequired(_) => "confirmation_required",
            Problem::CredentialsRejected => "credentials_rejected",
            Problem::Refused(_) => "refused",
        }
    }

    /// The least value, length or count accepted, when there is one.
    pub fn min(&self) -> Option<u64> {
        match self {
            Problem::TooShort { min }
            | Problem::TooFew { min }
            | Problem::Length { min, .. }
            | Problem::OutOfRange { min, .. }
            | Problem::InvalidSecret { min, .. } => Some(*min),
            _ => None,
        }
    }

    /// The greatest value, length or count accepted, when there is one.
    pub fn max(&self) -> Option<u64> {
        match self {
            Problem::TooLong { max }
            | Problem::NotPrintable { max }
            | Problem::TooMany { max }
            | Problem::Length { max, .. }
            | Problem::OutOfRange { max, .. }
            | Problem::InvalidSecret { max, .. } => Some(*max),
            _ => None,
        }
    }

    /// The values accepted, when they are few.
    pub fn allowed(&self) -> Option<&'static [&'static str]> {
        match self {
            Problem::OneOf(values) => Some(values),
            _ => None,
        }
    }
}

/// The English sentence, for scripts and logs.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Required => f.write_str("is required"),
            Problem::RequiredFor(why) => write!(f, "is required: {why}"),
            Problem::Blank => f.write_str("must not be empty"),
            Problem::TooShort { min } => write!(f, "must be at least {min} characters"),
            Problem::TooLong { max } => write!(f, "must be at most {max} characters"),
            Problem::Length { min, max } => write!(f, "must be {min} to {max} characters"),
            Problem::NotPrintable { max } => write!(f, "must be at most {max} printable characters"),
            Problem::TooMany { max } => write!(f, "at most {max} entries"),
            Problem::TooFew { min } => write!(f, "needs at least {min} entries"),
            Problem::OutOfRange { min, max } => write!(f, "must be from {min} to {max}"),
            Problem::NotAnId(e) => write!(f, "is not a valid id: {e}"),
            Problem::NotFound(what) => write!(f, "no such {what} in your tenant"),
            Problem::OneOf(values) => write!(f, "must be one of: {}", values.join(", ")),
            Problem::InvalidEmail => f.write_str("must be an e-mail address such as operator@example.ru"),
            Problem::InvalidPhone => f.write_str("is not a phone number"),
            Problem::InvalidTime { end: false } => f.write_str("must be a time HH:MM from 00:00 to 23:59"),
            Problem::InvalidTime { end: true } => f.write_str("must be a time HH:MM from 00:01 to 24:00"),
            Problem::InvalidDate => f.write_str("must be a date YYYY-MM-DD"),
            Problem::InvalidTimeZone => f.write_str("must be an IANA time zone name such as Europe/Moscow"),
            Problem::InvalidUrl => f.write_str("must be an absolute http:// or https:// URL"),
            Problem::PrivateAddress => f.write_str(
                "must be a public address: private, loopback, link-local and metadata addresses are refused",
            ),
            Problem::Duplicate => f.write_str("is listed twice"),
            Problem::NotInOrder => {
                f.write_str("must not be shorter than the previous auto-reply's delay: they are sent in list order")
            }
            Problem::Overlaps => f.write_str("overlaps another interval of the same day"),
            Problem::EmptyInterval => f.write_str(
                "start and end must differ (00:00–24:00 is the whole day; an end before the start runs overnight)",
            ),
            Problem::AlsoAHoliday => f.write_str("this date is also a holiday; choose one"),
            Problem::MutuallyExclusive => f.write_str("choose one of these, not both"),
            Problem::NotApplicable(why) => f.write_str(why),
            Problem::StaysClient => f.write_str("a client stays a client"),
            Problem::InvalidSecret { min, max } => write!(f, "must be {min} to {max} characters without spaces"),
            Problem::ReservedPrefix(prefix) => write!(f, "must not begin with \"{prefix}\""),
            Problem::Attachment(e) => write!(f, "{e}"),
            Problem::ConfirmationRequired(what) => write!(f, "{what}; confirm it"),
            Problem::CredentialsRejected => f.write_str("Avito did not accept this client_id and client_secret"),
            Problem::Refused(why) => f.write_str(why),
        }
    }
}

/// One failing field: a path into the submitted document (`closing_message.text`,
/// `working_time.auto_replies[2].delay_seconds`), a stable machine code, the numbers a person
/// needs, and an English sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The path of the failing value in the document.
    pub field: String,
    /// What is wrong, as a stable snake_case code: `required`, `blank`, `too_short`, `too_long`,
    /// `length_out_of_range`, `invalid_text`, `too_many`, `too_few`, `out_of_range`, `not_an_id`,
    /// `not_found`, `not_allowed`, `invalid_email`, `invalid_phone`, `invalid_time`,
    /// `invalid_date`, `invalid_time_zone`, `invalid_url`, `private_address`, `duplicate`,
    /// `not_in_order`, `overlaps`, `empty_interval`, `also_a_holiday`, `mutually_exclusive`,
    /// `not_applicable`, `stays_client`, `invalid_secret`, `reserved_prefix`, `empty_file`,
    /// `file_too_large`, `not_an_image`, `confirmation_required`, `credentials_rejected`,
    /// `refused`.
    #[cfg_attr(feature = "openapi", schema(example = "too_long"))]
    pub code: &'static str,
    /// An English sentence, for scripts and logs.
    pub message: String,
    /// The least value, length or count accepted (with `too_short`, `too_few`,
    /// `length_out_of_range`, `out_of_range`, `invalid_secret`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, nullable = false))]
    pub min: Option<u64>,
    /// The greatest value, length or count accepted (with `too_long`, `invalid_text`,
    /// `too_many`, `length_out_of_range`, `out_of_range`, `invalid_secret`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(minimum = 0, nullable = false))]
    pub max: Option<u64>,
    /// The values accepted (with `not_allowed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(nullable = false))]
    pub allowed: Option<Vec<String>>,
}

impl FieldError {
    /// The error of `field` with `problem`.
    pub fn new(field: impl Into<String>, problem: &Problem) -> Self {
        Self {
            field: field.into(),
            code: problem.code(),
            message: problem.to_string(),
            min: problem.min(),
            max: problem.max(),
            allowed: problem.allowed().map(|a| a.iter().map(|v| (*v).to_owned()).collect()),
        }
    }
}

/// Every failing field of one document, in the order they were found. Never empty when returned
/// as an error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{} field(s) failed validation", .0.len())]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// No failing field yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A single failing field.
    pub fn single(field: impl Into<String>, problem: Problem) -> Self {
        let mut errors = Self::new();
        errors.add(field, problem);
        errors
    }

    /// Records that `field` has `problem`.
    pub fn add(&mut self, field: impl Into<String>, problem: Problem) {
        self.0.push(FieldError::new(field, &problem));
    }

    /// Adds another document's errors with their paths placed under `prefix`.
    pub fn extend_under(&mut self, prefix: &str, other: ValidationErrors) {
        for mut e in other.0 {
            e.field = if e.field.is_empty() {
                prefix.to_owned()
            } else {
                format!("{prefix}.{}", e.field)
            };
            self.0.push(e);
        }
    }

    /// Whether no field failed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The names of the failing fields, for tests and logs.
    pub fn fields(&self) -> Vec<&str> {
        self.0.iter().map(|e| e.field.as_str()).collect()
    }

    /// The codes of the failing fields, in order, for tests and logs.
    pub fn codes(&self) -> Vec<&'static str> {
        self.0.iter().map(|e| e.code).collect()
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
    Conflict(Conflict),
}

impl From<ValidationErrors> for Rejection {
    fn from(errors: ValidationErrors) -> Self {
        Rejection::Invalid(errors)
    }
}

impl From<Conflict> for Rejection {
    fn from(conflict: Conflict) -> Self {
        Rejection::Conflict(conflict)
    }
}

pub use crate::conflict::{Conflict, ConflictCode};

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

    /// One problem of each kind, with the code and numbers it must carry.
    fn every_problem() -> Vec<(Problem, &'static str, Option<u64>, Option<u64>)> {
        vec![
            (Problem::Required, "required", None, None),
            (Problem::RequiredFor("when on"), "required", None, None),
            (Problem::Blank, "blank", None, None),
            (Problem::TooShort { min: 10 }, "too_short", Some(10), None),
            (Problem::TooLong { max: 200 }, "too_long", None, Some(200)),
            (
                Problem::Length { min: 1, max: 500 },
                "length_out_of_range",
                Some(1),
                Some(500),
            ),
            (Problem::NotPrintable { max: 128 }, "invalid_text", None, Some(128)),
            (Problem::TooMany { max: 20 }, "too_many", None, Some(20)),
            (Problem::TooFew { min: 1 }, "too_few", Some(1), None),
            (
                Problem::OutOfRange { min: 1, max: 1000 },
                "out_of_range",
                Some(1),
                Some(1000),
            ),
            (Problem::NotAnId(InvalidId::Empty), "not_an_id", None, None),
            (Problem::NotFound("group"), "not_found", None, None),
            (Problem::OneOf(&["queue", "auto_assign"]), "not_allowed", None, None),
            (Problem::InvalidEmail, "invalid_email", None, None),
            (Problem::InvalidPhone, "invalid_phone", None, None),
            (Problem::InvalidTime { end: false }, "invalid_time", None, None),
            (Problem::InvalidTime { end: true }, "invalid_time", None, None),
            (Problem::InvalidDate, "invalid_date", None, None),
            (Problem::InvalidTimeZone, "invalid_time_zone", None, None),
            (Problem::InvalidUrl, "invalid_url", None, None),
            (Problem::PrivateAddress, "private_address", None, None),
            (Problem::Duplicate, "duplicate", None, None),
            (Problem::NotInOrder, "not_in_order", None, None),
            (Problem::Overlaps, "overlaps", None, None),
            (Problem::EmptyInterval, "empty_interval", None, None),
            (Problem::AlsoAHoliday, "also_a_holiday", None, None),
            (Problem::MutuallyExclusive, "mutually_exclusive", None, None),
            (
                Problem::NotApplicable("leave it out".into()),
                "not_applicable",
                None,
                None,
            ),
            (Problem::StaysClient, "stays_client", None, None),
            (
                Problem::InvalidSecret { min: 16, max: 256 },
                "invalid_secret",
                Some(16),
                Some(256),
            ),
            (Problem::ReservedPrefix("sealed:"), "reserved_prefix", None, None),
            (Problem::Attachment(AttachmentError::Empty), "empty_file", None, None),
            (
                Problem::Attachment(AttachmentError::TooLarge),
                "file_too_large",
                None,
                None,
            ),
            (
                Problem::Attachment(AttachmentError::NotAnImage("a PDF")),
                "not_an_image",
                None,
                None,
            ),
            (
                Problem::ConfirmationRequired("it stops the channel"),
                "confirmation_required",
                None,
                None,
            ),
            (Problem::CredentialsRejected, "credentials_rejected", None, None),
            (Problem::Refused("no".into()), "refused", None, None),
        ]
    }

    #[test]
    fn each_problem_has_its_code_numbers_and_an_english_sentence() {
        let mut seen = std::collections::BTreeSet::new();
        for (problem, code, min, max) in every_problem() {
            assert_eq!(problem.code(), code, "{problem:?}");
            assert_eq!((problem.min(), problem.max()), (min, max), "{problem:?}");
            assert!(FIELD_CODES.contains(&code), "{code} is not listed");
            assert!(!problem.to_string().is_empty(), "{problem:?}");
            seen.insert(code);
        }
        // Every listed code is some problem's.
        assert_eq!(seen.len(), FIELD_CODES.len());
        assert_eq!(
            Problem::OneOf(&["guest", "client"]).allowed(),
            Some(&["guest", "client"][..])
        );
    }

    #[test]
    fn a_field_error_carries_the_code_numbers_and_message() {
        let mut errors = ValidationErrors::single("text", Problem::TooLong { max: 1000 });
        let mut inner = ValidationErrors::new();
        inner.add("value", Problem::OutOfRange { min: 1, max: 365 });
        errors.extend_under("auto_close_after", inner);
        assert_eq!(errors.codes(), ["too_long", "out_of_range"]);
        assert_eq!(
            serde_json::to_value(&errors).expect("serializes"),
            serde_json::json!([
                {"field": "text", "code": "too_long", "message": "must be at most 1000 characters", "max": 1000},
                {"field": "auto_close_after.value", "code": "out_of_range", "message": "must be from 1 to 365", "min": 1, "max": 365},
            ])
        );
        let one_of = FieldError::new("mode", &Problem::OneOf(&["queue", "auto_assign"]));
        assert_eq!(one_of.allowed, Some(vec!["queue".to_owned(), "auto_assign".to_owned()]));
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
