//! Who a conversation is with, as operators record it (R-OP2, R-OP3): client cards made into
//! clients and edited, deals and organizations a conversation is linked to, and the topic and
//! comments of a conversation. Each draft validates on its own and names every failing field.

use crate::conversation::{CardKind, ClientCard};
use crate::ids::{DealId, OrganizationId};
use crate::validation::{Conflict, ConflictCode, Problem, Rejection, ValidationErrors, char_len, is_blank, is_email};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The longest topic of a conversation.
pub const MAX_TOPIC_CHARS: usize = 200;
/// The longest internal comment.
pub const MAX_COMMENT_CHARS: usize = 4000;
/// At most this many phones, and as many e-mails, on a card.
pub const MAX_CONTACTS: usize = 10;
/// A deal's title, an organization's and a client card's name: at most this many characters.
pub const MAX_RECORD_NAME_CHARS: usize = 200;
/// A phone number has this many digits.
pub const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 5..=20;

/// A deal (сделка).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deal {
    pub id: DealId,
    pub title: String,
    pub created_at: DateTime<Utc>,
}

/// An organization (организация).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organization {
    pub id: OrganizationId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// Text of 1 to `max` characters as given, not blank; kept trimmed.
fn required_text(field: &str, value: &str, max: usize, errors: &mut ValidationErrors) -> String {
    if is_blank(value) || char_len(value) > max {
        errors.add(
            field,
            Problem::Length {
                min: 1,
                max: max as u64,
            },
        );
    }
    value.trim().to_owned()
}

/// What creating a deal takes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DealDraft {
    /// 1 to 200 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::record_name))]
    pub title: String,
}

impl DealDraft {
    pub fn validate(self, id: DealId, now: DateTime<Utc>) -> Result<Deal, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let title = required_text("title", &self.title, MAX_RECORD_NAME_CHARS, &mut errors);
        errors.into_result(Deal {
            id,
            title,
            created_at: now,
        })
    }
}

/// What creating an organization takes.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganizationDraft {
    /// 1 to 200 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::record_name))]
    pub name: String,
}

impl OrganizationDraft {
    pub fn validate(self, id: OrganizationId, now: DateTime<Utc>) -> Result<Organization, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let name = required_text("name", &self.name, MAX_RECORD_NAME_CHARS, &mut errors);
        errors.into_result(Organization {
            id,
            name,
            created_at: now,
        })
    }
}

/// An operator's edit of a client card. Saving a guest card with `kind: "client"` makes it a
/// client (R-OP3): the card keeps its id, so its history stays attached. A client never becomes a
/// guest again.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientCardDraft {
    /// `guest` or `client`; unchanged when absent or `null`. A client never becomes a guest
    /// again (409 when that is the only thing wrong).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::card_kind))]
    pub kind: Option<String>,
    /// 1 to 200 characters, not blank.
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::record_name))]
    pub name: String,
    /// At most 10 phone numbers: 5 to 20 digits, with `+`, `-`, `(`, `)` and spaces between.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::phones))]
    pub phones: Vec<String>,
    /// At most 10 e-mail addresses.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(schema_with = schemas::emails))]
    pub emails: Vec<String>,
}

/// The characters a phone number may have besides its digits.
const PHONE_PUNCTUATION: &str = "+-() ";

fn is_phone(p: &str) -> bool {
    let digits = p.chars().filter(char::is_ascii_digit).count();
    PHONE_DIGITS.contains(&digits) && p.chars().all(|c| c.is_ascii_digit() || PHONE_PUNCTUATION.contains(c))
}

/// Why a client cannot become a guest.
pub const STAYS_CLIENT: &str = "a client stays a client: the card cannot become a guest again";

impl ClientCardDraft {
    /// The card after this edit. Making a client a guest again is a conflict with the card when
    /// every value is valid, and among the invalid fields otherwise.
    pub fn apply_to(self, card: &ClientCard) -> Result<ClientCard, Rejection> {
        let mut errors = ValidationErrors::new();
        let mut stays_client = false;
        let kind = match (self.kind.as_deref(), card.kind) {
            (None, kind) => kind,
            (Some("client"), _) => CardKind::Client,
            (Some("guest"), CardKind::Guest) => CardKind::Guest,
            (Some("guest"), CardKind::Client) => {
                stays_client = true;
                errors.add("kind", Problem::StaysClient);
                CardKind::Client
            }
            (Some(_), kind) => {
                errors.add("kind", Problem::OneOf(&["guest", "client"]));
                kind
            }
        };
        let name = required_text("name", &self.name, MAX_RECORD_NAME_CHARS, &mut errors);
        let mut contacts = |field: &str, values: Vec<String>, valid: fn(&str) -> bool, what: Problem| {
            if values.len() > MAX_CONTACTS {
                errors.add(
                    field,
                    Problem::TooMany {
                        max: MAX_CONTACTS as u64,
                    },
                );
            }
            let mut kept: Vec<String> = Vec::new();
            for (i, v) in values.into_iter().enumerate() {
                if !valid(&v) {
                    errors.add(format!("{field}[{i}]"), what.clone());
                    continue;
                }
                let v = v.trim().to_owned();
                if !kept.contains(&v) {
                    kept.push(v);
                }
            }
            kept
        };
        let phones = contacts("phones", self.phones, is_phone, Problem::InvalidPhone);
        let emails = contacts("emails", self.emails, is_email, Problem::InvalidEmail);
        if stays_client && errors.0.len() == 1 {
            return Err(Rejection::Conflict(Conflict::new(
                ConflictCode::StaysClient,
                STAYS_CLIENT,
            )));
        }
        Ok(errors.into_result(ClientCard {
            kind,
            name: Some(name),
            phones,
            emails,
            ..card.clone()
        })?)
    }
}

/// A conversation's topic as saved: at most 200 characters as given; trimmed, `None` when blank.
pub fn topic(value: &str) -> Result<Option<String>, ValidationErrors> {
    let trimmed = value.trim();
    if char_len(value) > MAX_TOPIC_CHARS {
        return Err(ValidationErrors::single(
            "topic",
            Problem::TooLong {
                max: MAX_TOPIC_CHARS as u64,
            },
        ));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

/// An internal comment's text as saved.
pub fn comment(value: &str) -> Result<String, ValidationErrors> {
    let mut errors = ValidationErrors::new();
    let text = required_text("text", value, MAX_COMMENT_CHARS, &mut errors);
    errors.into_result(text)
}

/// The schemas of the drafts' fields (see [`crate::schema`]).
#[cfg(feature = "openapi")]
pub(crate) mod schemas {
    use super::*;
    use crate::schema::{array, string, text};
    use utoipa::openapi::{RefOr, Schema};

    pub fn record_name() -> RefOr<Schema> {
        text(MAX_RECORD_NAME_CHARS, false).into()
    }

    pub fn card_kind() -> RefOr<Schema> {
        string(true).enum_values(Some(["guest", "client"])).into()
    }

    pub fn phones() -> RefOr<Schema> {
        let other = "[-+() ]*";
        let phone = string(false).pattern(Some(format!(
            "^{other}([0-9]{other}){{{},{}}}$",
            PHONE_DIGITS.start(),
            PHONE_DIGITS.end()
        )));
        array(phone, 0, MAX_CONTACTS).into()
    }

    pub fn emails() -> RefOr<Schema> {
        array(crate::schema::email(false), 0, MAX_CONTACTS).into()
    }

    /// A topic: at most 200 characters; blank (or empty) removes it, `null` leaves it.
    pub fn topic() -> RefOr<Schema> {
        string(true).max_length(Some(MAX_TOPIC_CHARS)).into()
    }

    /// A comment: 1 to 4000 characters, not blank.
    pub fn comment() -> RefOr<Schema> {
        text(MAX_COMMENT_CHARS, false).into()
    }
}

#[cfg(feature = "openapi")]
pub use schemas::{comment as comment_schema, topic as topic_schema};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ClientCardId;

    fn guest() -> ClientCard {
        ClientCard {
            id: ClientCardId::parse("g1").expect("id"),
            kind: CardKind::Guest,
            name: Some("Иван".into()),
            avito_user_ids: vec![5001],
            phones: Vec::new(),
            emails: Vec::new(),
            created_at: "2026-11-25T10:00:00Z".parse().expect("instant"),
        }
    }

    fn draft(kind: Option<&str>, name: &str, phones: &[&str], emails: &[&str]) -> ClientCardDraft {
        ClientCardDraft {
            kind: kind.map(str::to_owned),
            name: name.into(),
            phones: phones.iter().map(|p| (*p).to_owned()).collect(),
            emails: emails.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    #[test]
    fn a_guest_becomes_a_client_with_the_same_id_and_avito_users() {
        let card = draft(
            Some("client"),
            " Иван Петров ",
            &["+7 900 123-45-67"],
            &["ivan@mail.ru"],
        )
        .apply_to(&guest())
        .expect("valid");
        assert_eq!(card.kind, CardKind::Client);
        assert_eq!((card.id.as_str(), card.avito_user_ids.clone()), ("g1", vec![5001]));
        assert_eq!(card.name.as_deref(), Some("Иван Петров"));
        assert_eq!(card.phones, vec!["+7 900 123-45-67"]);
    }

    #[test]
    fn every_bad_field_is_named_and_a_client_stays_a_client() {
        let client = draft(Some("client"), "Иван", &[], &[])
            .apply_to(&guest())
            .expect("valid");
        let fields = |e: Rejection| match e {
            Rejection::Invalid(errors) => errors.fields().into_iter().map(str::to_owned).collect(),
            Rejection::Conflict(conflict) => vec![conflict.code.as_str().to_owned()],
        };
        let errors = draft(Some("guest"), " ", &["12", "+7 900 123 45 67"], &["nope"])
            .apply_to(&client)
            .expect_err("invalid");
        assert_eq!(fields(errors), vec!["kind", "name", "phones[0]", "emails[0]"]);
        let errors = draft(Some("vip"), "Иван", &[], &[])
            .apply_to(&guest())
            .expect_err("invalid");
        assert_eq!(fields(errors), vec!["kind"]);
        // Nothing else wrong: a conflict with the card rather than an invalid value.
        assert_eq!(
            draft(Some("guest"), "Иван", &[], &[]).apply_to(&client),
            Err(Rejection::Conflict(Conflict::new(
                ConflictCode::StaysClient,
                STAYS_CLIENT
            )))
        );
    }

    #[test]
    fn topics_are_trimmed_and_limited_and_comments_need_text() {
        assert_eq!(topic("  Доставка  "), Ok(Some("Доставка".into())));
        assert_eq!(topic("   "), Ok(None));
        assert!(topic(&"я".repeat(MAX_TOPIC_CHARS + 1)).is_err());
        assert_eq!(
            topic(&"я".repeat(MAX_TOPIC_CHARS)).map(|t| t.map(|t| t.chars().count())),
            Ok(Some(200))
        );
        assert_eq!(comment(" перезвонить "), Ok("перезвонить".into()));
        assert!(comment("  ").is_err());
    }
}

/// Finding a client card by name or phone (R-OP3: linking a conversation to another card): the
/// terms a card is found by, and whether a card answers a query. A name is found by the start of
/// any of its words (case and «ё» aside); a phone by its digits, with or without the country code.
pub mod search {
    use crate::conversation::ClientCard;

    /// The shortest query searched for.
    pub const MIN_QUERY_CHARS: usize = 2;

    fn word(s: &str) -> String {
        s.to_lowercase().replace('ё', "е")
    }

    fn digits(s: &str) -> String {
        s.chars().filter(char::is_ascii_digit).collect()
    }

    /// What a card is indexed under: each word of its name, and each phone's digits (also
    /// without a leading country code: its last ten).
    pub fn terms(card: &ClientCard) -> Vec<String> {
        let mut terms: Vec<String> = card
            .name
            .iter()
            .flat_map(|n| n.split_whitespace())
            .map(word)
            .filter(|w| !w.is_empty())
            .collect();
        for phone in &card.phones {
            let d = digits(phone);
            if d.len() > 10 {
                terms.push(d[d.len() - 10..].to_owned());
            }
            if !d.is_empty() {
                terms.push(d);
            }
        }
        terms.sort();
        terms.dedup();
        terms
    }

    /// A phone query's digits, also with a leading trunk «8» read as «+7» (people in Russia dial
    /// 8 900 … for +7 900 …); `None` when the query is not a phone number.
    fn phone_forms(query: &str) -> Option<Vec<String>> {
        let q = query.trim();
        let d = digits(q);
        if d.is_empty() || !q.chars().all(|c| c.is_ascii_digit() || "+-() ".contains(c)) {
            return None;
        }
        let mut forms = vec![d.clone()];
        if let Some(rest) = d.strip_prefix('8')
            && d.len() >= 4
        {
            forms.push(format!("7{rest}"));
        }
        Some(forms)
    }

    /// The terms to look up (their starts) for a query, or none when it is too short to search:
    /// a phone's digits, or the first word (counted as typed, before case is folded), at least
    /// [`MIN_QUERY_CHARS`] of them ([`query_pattern`] says the same).
    pub fn lookup_terms(query: &str) -> Vec<String> {
        let long_enough = |t: &str| t.chars().count() >= MIN_QUERY_CHARS;
        match phone_forms(query) {
            Some(forms) => forms.into_iter().filter(|f| long_enough(f)).collect(),
            None => query
                .split_whitespace()
                .next()
                .filter(|w| long_enough(w))
                .map(word)
                .into_iter()
                .collect(),
        }
    }

    /// What a searchable query is, as a pattern (the OpenAPI document's): after the spaces around
    /// it, only phone characters with at least [`MIN_QUERY_CHARS`] digits; or else a first word of
    /// at least [`MIN_QUERY_CHARS`] characters.
    pub fn query_pattern() -> String {
        let ws = crate::validation::white_space_class();
        let n = MIN_QUERY_CHARS;
        let other = "[-+() ]";
        let phone = format!("[{ws}]*[-+() 0-9]*[0-9][-+() 0-9]*[{ws}]*$");
        format!("^(?:[{ws}]*{other}*([0-9]{other}*){{{n}}}[-+() 0-9]*[{ws}]*$|(?!{phone})[{ws}]*[^{ws}]{{{n}}})")
    }

    /// Whether `card` answers `query`: every word starts a word of its name, or the digits are in
    /// one of its phones.
    pub fn matches(card: &ClientCard, query: &str) -> bool {
        if let Some(forms) = phone_forms(query) {
            return card
                .phones
                .iter()
                .any(|p| forms.iter().any(|f| digits(p).contains(f.as_str())));
        }
        let name: Vec<String> = card.name.iter().flat_map(|n| n.split_whitespace()).map(word).collect();
        let words: Vec<String> = query.split_whitespace().map(word).collect();
        !words.is_empty() && words.iter().all(|w| name.iter().any(|n| n.starts_with(w.as_str())))
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::conversation::CardKind;

        fn card(name: &str, phones: &[&str]) -> ClientCard {
            ClientCard {
                id: crate::ids::ClientCardId::parse("c1").expect("id"),
                kind: CardKind::Client,
                name: Some(name.into()),
                avito_user_ids: vec![],
                phones: phones.iter().map(|p| (*p).to_owned()).collect(),
                emails: vec![],
                created_at: chrono::DateTime::from_timestamp(0, 0).expect("instant"),
            }
        }

        #[test]
        fn a_card_is_found_by_the_start_of_any_name_word_or_by_phone_digits() {
            let c = card("Пётр Ёлкин", &["+7 (900) 123-45-67"]);
            assert_eq!(terms(&c), ["79001234567", "9001234567", "елкин", "петр"]);
            for q in ["пет", "Ёлк", "петр елкин", "900 123", "+7900123", "8 900 123-45"] {
                assert!(matches(&c, q), "{q}");
            }
            assert!(!matches(&c, "иван"));
            assert!(!matches(&c, "петр иван"));
            assert_eq!(lookup_terms("Пётр Ёлкин"), ["петр"]);
            assert_eq!(lookup_terms("+7 900"), ["7900"]);
            assert_eq!(lookup_terms("8 (900)"), ["8900", "7900"]);
            assert!(lookup_terms("п").is_empty());
        }
    }
}
