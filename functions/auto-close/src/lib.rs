//! The auto-close sweep as the scheduled function runs it (every few minutes on AWS): closes every
//! conversation due now, a page at a time, until none is left or the invocation's time runs short
//! (the next run goes on from there). See [`services::closing::Closing::sweep`].

use services::ServiceResult;
use services::closing::{Closing, Swept};
use std::time::{Duration, SystemTime};

/// What must remain of an invocation to start another page: a page of 100 closes, each with its
/// closing message, fits well within it.
pub const PAGE_RESERVE: Duration = Duration::from_secs(20);

/// Sweeps what is due at `now` while at least [`PAGE_RESERVE`] remains before `deadline`.
pub async fn handle(
    closing: &Closing,
    now: chrono::DateTime<chrono::Utc>,
    deadline: SystemTime,
) -> ServiceResult<Swept> {
    let swept = closing
        .sweep(now, || {
            deadline.duration_since(SystemTime::now()).unwrap_or_default() >= PAGE_RESERVE
        })
        .await?;
    tracing::info!(
        closed = swept.closed,
        rescheduled = swept.rescheduled,
        failed = swept.failed,
        "auto-close sweep"
    );
    Ok(swept)
}
