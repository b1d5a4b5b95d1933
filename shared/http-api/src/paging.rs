//! Cursor paging for list endpoints: `?limit=` (1–200, default 50) and `?cursor=` (the
//! `next_cursor` of the previous page). Lists in id order ([`PageQuery`]) take an id as their
//! cursor; lists ordered by time ([`TimePageQuery`]) a [`TimeCursor`]. Pages never repeat or skip
//! an item that existed throughout.

use crate::error::ApiError;
use adapters::ports::{Page, TimeCursor};
use serde::{Deserialize, Serialize};
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{RefOr, Required, Schema};

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

/// The paging query parameters of a list in id order.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page: an id.
    pub cursor: Option<String>,
}

/// The paging query parameters of a list ordered by time.
#[derive(Debug, Default, Deserialize)]
pub struct TimePageQuery {
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page, as it came.
    pub cursor: Option<String>,
}

/// `limit` as given: digits only, 1 to [`MAX_PAGE_SIZE`]; the default when absent.
fn limit(given: Option<&str>) -> Result<u32, ApiError> {
    match given {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(l) => l
            .bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| l.parse::<u32>().ok())
            .flatten()
            .filter(|l| (1..=MAX_PAGE_SIZE).contains(l))
            .ok_or_else(|| ApiError::BadRequest(format!("limit must be a number from 1 to {MAX_PAGE_SIZE}"))),
    }
}

fn bad_cursor() -> ApiError {
    ApiError::BadRequest("cursor is not one this API returned".into())
}

impl PageQuery {
    /// The limit and the position to continue after.
    pub fn parse(&self) -> Result<(u32, Option<String>), ApiError> {
        let limit = limit(self.limit.as_deref())?;
        let after = match &self.cursor {
            None => None,
            Some(c) if domain::ids::is_valid_id(c) => Some(c.clone()),
            Some(_) => return Err(bad_cursor()),
        };
        Ok((limit, after))
    }
}

impl TimePageQuery {
    /// The limit and the position to continue after; 400 for a cursor this API did not return.
    pub fn parse(&self) -> Result<(u32, Option<TimeCursor>), ApiError> {
        let limit = limit(self.limit.as_deref())?;
        let after = match self.cursor.as_deref() {
            None => None,
            Some(c) => Some(TimeCursor::parse(c).ok_or_else(bad_cursor)?),
        };
        Ok((limit, after))
    }
}

fn parameter(name: &str, description: &str, schema: impl Into<RefOr<Schema>>) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn limit_parameter() -> Parameter {
    parameter(
        "limit",
        "Items per page, 1 to 200 (default 50).",
        domain::schema::integer(1, MAX_PAGE_SIZE.into(), false),
    )
}

impl utoipa::IntoParams for PageQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            limit_parameter(),
            parameter(
                "cursor",
                "The `next_cursor` of the previous page.",
                domain::schema::id(false),
            ),
        ]
    }
}

impl utoipa::IntoParams for TimePageQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![
            limit_parameter(),
            parameter(
                "cursor",
                "The `next_cursor` of the previous page, unchanged (`<15 digits>.<id>`).",
                domain::schema::string(false).pattern(Some(TimeCursor::PATTERN)),
            ),
        ]
    }
}

/// One page of a listing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PageView<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> PageView<T> {
    pub fn from_page<U>(page: Page<U>, view: impl Fn(U) -> T) -> Self {
        PageView {
            items: page.items.into_iter().map(view).collect(),
            next_cursor: page.next,
        }
    }

    /// One page of a list ordered by time, its cursor written for a URL.
    pub fn from_time_page(page: Page<T, TimeCursor>) -> Self {
        PageView {
            items: page.items,
            next_cursor: page.next.map(|c| c.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_is_digits_from_1_to_200() {
        assert_eq!(limit(None).ok(), Some(DEFAULT_PAGE_SIZE));
        assert_eq!(limit(Some("200")).ok(), Some(200));
        assert_eq!(limit(Some("007")).ok(), Some(7));
        for bad in ["", "0", "201", "+5", " 5", "5.0", "ten", "99999999999"] {
            assert!(limit(Some(bad)).is_err(), "{bad:?}");
        }
    }
}
