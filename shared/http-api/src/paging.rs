//! Cursor paging for list endpoints: `?limit=` (1–200, default 50) and `?cursor=` (the
//! `next_cursor` of the previous page). Cursors are opaque to clients; pages are in id order, so
//! a page never repeats or skips an item that existed throughout.

use crate::error::ApiError;
use adapters::ports::{Page, TimeCursor};
use serde::{Deserialize, Serialize};

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

/// The paging query parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The limit and the position to continue after.
    pub fn parse(&self) -> Result<(u32, Option<String>), ApiError> {
        let limit = match &self.limit {
            None => DEFAULT_PAGE_SIZE,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=MAX_PAGE_SIZE).contains(l))
                .ok_or_else(|| ApiError::BadRequest(format!("limit must be a number from 1 to {MAX_PAGE_SIZE}")))?,
        };
        let after = match &self.cursor {
            None => None,
            Some(c) if domain::ids::is_valid_id(c) => Some(c.clone()),
            Some(_) => return Err(ApiError::BadRequest("cursor is not one this API returned".into())),
        };
        Ok((limit, after))
    }

    /// The limit and the position to continue after, for a list ordered by time (its cursors
    /// are [`TimeCursor`]s as they travel in a URL); 400 for a cursor this API did not return.
    pub fn time_paging(&self) -> Result<(u32, Option<TimeCursor>), ApiError> {
        let (limit, _) = PageQuery {
            limit: self.limit.clone(),
            cursor: None,
        }
        .parse()?;
        let after = match self.cursor.as_deref() {
            None => None,
            Some(c) => Some(
                TimeCursor::parse(c)
                    .ok_or_else(|| ApiError::BadRequest("cursor is not one this API returned".into()))?,
            ),
        };
        Ok((limit, after))
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
