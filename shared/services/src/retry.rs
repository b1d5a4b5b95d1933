//! Read, change, write conditionally, and again on a lost race, a bounded number of times: the
//! one way the use cases change a stored record that others may change at the same moment.

use crate::error::{ServiceError, ServiceResult};
use adapters::ports::StoreError;

/// How many times a write that lost a race is tried again before giving up with
/// [`ServiceError::Transient`] (a queued event then goes back to the queue; a request answers 503).
pub const WRITE_ATTEMPTS: usize = 8;

/// Counts the attempts of a read-change-write, up to [`WRITE_ATTEMPTS`].
pub struct Attempts {
    what: &'static str,
    made: usize,
}

impl Attempts {
    /// Attempts at changing `what` (named in the error when they run out).
    pub fn new(what: &'static str) -> Self {
        Attempts { what, made: 0 }
    }

    /// Counts one more attempt; [`ServiceError::Transient`] when [`WRITE_ATTEMPTS`] were made.
    pub fn count(&mut self) -> ServiceResult<()> {
        self.made += 1;
        if self.made > WRITE_ATTEMPTS {
            return Err(ServiceError::Transient(format!(
                "{} kept changing; try again",
                self.what
            )));
        }
        Ok(())
    }
}

/// Runs the block (read, decide, write conditionally) until it settles: `Ok(Some(result))` is the
/// result, `Ok(None)` a lost race to try again from a fresh read, at most [`WRITE_ATTEMPTS`]
/// times. The block is an `async` block of the calling function (it may borrow and change its
/// variables; `return` leaves the block); the macro's value is the result, and an error or the
/// attempts running out return from the calling function.
macro_rules! until_settled {
    ($what:expr, $attempt:block) => {{
        let mut attempts = $crate::retry::Attempts::new($what);
        loop {
            attempts.count()?;
            let step: $crate::error::ServiceResult<Option<_>> = async $attempt.await;
            if let Some(done) = step? {
                break done;
            }
        }
    }};
}
pub(crate) use until_settled;

/// A conditional write's result as a step of [`until_settled`]: [`StoreError::Conflict`] (it lost
/// the race) is `None`, to try again.
pub fn settled<T>(written: Result<T, StoreError>) -> ServiceResult<Option<T>> {
    match written {
        Ok(v) => Ok(Some(v)),
        Err(StoreError::Conflict) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn settles_after(losses: usize) -> ServiceResult<(usize, usize)> {
        let mut tries = 0;
        let value = until_settled!("the record", {
            tries += 1;
            if tries <= losses {
                return settled::<usize>(Err(StoreError::Conflict));
            }
            settled(Ok(tries * 10))
        });
        Ok((value, tries))
    }

    #[test]
    fn a_lost_race_is_tried_again_and_the_tries_are_bounded() {
        let rt = |f| futures_executor(f);
        assert_eq!(rt(settles_after(0)).expect("settles"), (10, 1));
        assert_eq!(rt(settles_after(7)).expect("settles"), (80, 8));
        let gave_up = rt(settles_after(8)).expect_err("gives up");
        assert!(matches!(gave_up, ServiceError::Transient(m) if m == "the record kept changing; try again"));
    }

    /// Runs a future that never waits on anything outside.
    fn futures_executor<T>(f: impl std::future::Future<Output = T>) -> T {
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        loop {
            if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
                return v;
            }
        }
    }
}
