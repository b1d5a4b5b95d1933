//! Signing in as oneself (R-X2): the rules of the product's own accounts, used where no external
//! identity provider does it (the local server). What a password must be, how repeated failures
//! slow sign-in down, how long a session and an invitation live, and the records behind them.
//! Hashing, randomness and storage are elsewhere; every instant is passed in.

use crate::ids::{EmployeeId, TenantId};
use crate::validation::Problem;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A new password has at least this many characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// And at most this many (hashing is deliberately slow; unbounded input would be a lever).
pub const MAX_PASSWORD_CHARS: usize = 128;
/// Failed sign-ins in a row allowed before sign-in is locked for a while.
pub const FREE_FAILURES: u32 = 5;
/// The first lock; each further failure doubles it, up to [`MAX_LOCK`].
pub const FIRST_LOCK: Duration = Duration::minutes(1);
/// The longest lock.
pub const MAX_LOCK: Duration = Duration::minutes(15);
/// A session lasts one working shift; then the person signs in again.
pub const SESSION_LIFETIME: Duration = Duration::hours(12);
/// An invitation link works this long, once.
pub const INVITATION_LIFETIME: Duration = Duration::hours(72);

/// An e-mail address as people sign in with it: trimmed, lower-case, plausible.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Accepts, around spaces, what [`crate::validation::is_email`] does (`local@domain.tld`, at
    /// most 254 characters); kept lower-case.
    pub fn parse(s: &str) -> Result<Self, Problem> {
        let e = s.trim();
        if crate::validation::is_email(e) {
            Ok(Self(e.to_lowercase()))
        } else {
            Err(Problem::InvalidEmail)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = Problem;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> String {
        e.0
    }
}

/// Checks a password someone chooses; the reason when it is refused.
pub fn check_new_password(password: &str) -> Result<(), Problem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(Problem::TooShort {
            min: MIN_PASSWORD_CHARS as u64,
        });
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(Problem::TooLong {
            max: MAX_PASSWORD_CHARS as u64,
        });
    }
    if password.trim().is_empty() {
        return Err(Problem::Blank);
    }
    Ok(())
}

/// Failed sign-ins of one account in a row, and until when sign-in is locked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedSignIns {
    pub in_a_row: u32,
    #[serde(default)]
    pub locked_until: Option<DateTime<Utc>>,
}

impl FailedSignIns {
    /// `Err(until)` while sign-in is locked at `now`: even the right password is refused then.
    pub fn check(&self, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        match self.locked_until {
            Some(until) if until > now => Err(until),
            _ => Ok(()),
        }
    }

    /// After one more wrong password at `now`: from the [`FREE_FAILURES`]th in a row on, locked
    /// for [`FIRST_LOCK`], doubling with each further failure up to [`MAX_LOCK`].
    pub fn failed(&self, now: DateTime<Utc>) -> Self {
        let in_a_row = self.in_a_row.saturating_add(1);
        let locked_until = (in_a_row >= FREE_FAILURES).then(|| {
            let doublings = (in_a_row - FREE_FAILURES).min(10);
            let lock = FIRST_LOCK * 2_i32.pow(doublings);
            now + lock.min(MAX_LOCK)
        });
        Self { in_a_row, locked_until }
    }
}

/// A person's own account (beside the employee record, which the API shows): the password's hash
/// (a PHC string), the failures counting towards a lock, the one invitation link that still works
/// and since when sessions count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub email: EmailAddress,
    #[serde(default)]
    pub password_hash: Option<String>,
    #[serde(default)]
    pub failures: FailedSignIns,
    /// The key of the employee's latest invitation: inviting again replaces (and ends) the one
    /// before.
    #[serde(default)]
    pub invitation: Option<String>,
    /// Sessions started before this have ended (a new password was set, or the employee was
    /// disabled: enabling them again does not bring old sessions back).
    #[serde(default)]
    pub sessions_from: Option<DateTime<Utc>>,
}

impl Account {
    /// Whether `session` still counts for this account.
    pub fn admits(&self, session: &Session) -> bool {
        self.sessions_from.is_none_or(|from| session.started_at() >= from)
    }
}

/// Which account an e-mail signs in to (e-mails are unique across the installation, as in a
/// Cognito user pool).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInName {
    pub tenant: TenantId,
    pub employee: EmployeeId,
}

/// What an invitation link lets its holder do, once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InvitationPurpose {
    /// Set the password of this employee, who was invited.
    Employee { employee: EmployeeId },
    /// Become the tenant's first administrator: name, e-mail and password are chosen on the page.
    FirstAdministrator,
}

/// A pending invitation (stored under the digest of its link's secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub purpose: InvitationPurpose,
    pub expires_at: DateTime<Utc>,
}

impl Invitation {
    pub fn new(purpose: InvitationPurpose, now: DateTime<Utc>) -> Self {
        Self {
            purpose,
            expires_at: now + INVITATION_LIFETIME,
        }
    }

    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// A signed-in browser (stored under the digest of its cookie's secret). The role and whether the
/// employee may still sign in are read from the employee at every request, so a change of role or
/// a disabled employee takes effect at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub employee: EmployeeId,
    /// The proof a state-changing request carries in a header (the cookie alone is not enough).
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// When it started (every session lasts [`SESSION_LIFETIME`]).
    pub fn started_at(&self) -> DateTime<Utc> {
        self.expires_at - SESSION_LIFETIME
    }
}

/// A token a script signs in with (`Authorization: Bearer <tenant>.<id>.<secret>`), issued by an
/// administrator in the interface and shown once; only the secret's digest is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    /// What it is for, as the administrator named it.
    pub name: String,
    /// What the script may do.
    pub role: crate::access::Role,
    /// The SHA-256 digest (hex) of the secret.
    pub digest: String,
    pub created_at: DateTime<Utc>,
    /// Who issued it (their name then).
    pub created_by: String,
    /// The employee who issued it: the token works only while they may still sign in (and, for an
    /// administrator's token, are still an administrator). None when a configured token did.
    #[serde(default)]
    pub issuer: Option<crate::ids::EmployeeId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).expect("valid instant")
    }

    #[test]
    fn five_failures_lock_then_each_doubles_up_to_fifteen_minutes() {
        let mut f = FailedSignIns::default();
        for _ in 0..4 {
            f = f.failed(at(0));
            assert_eq!(f.check(at(0)), Ok(()));
        }
        f = f.failed(at(0));
        assert_eq!(f.check(at(0)), Err(at(1)));
        assert_eq!(f.check(at(1)), Ok(()));
        f = f.failed(at(1));
        assert_eq!(f.locked_until, Some(at(3)));
        for _ in 0..10 {
            f = f.failed(at(10));
        }
        assert_eq!(f.locked_until, Some(at(25)));
    }

    #[test]
    fn passwords_need_ten_to_128_characters_not_only_spaces() {
        assert!(check_new_password("короткий").is_err());
        assert!(check_new_password("          ").is_err());
        assert!(check_new_password(&"я".repeat(129)).is_err());
        assert!(check_new_password("пароль-оператора").is_ok());
    }

    #[test]
    fn e_mails_are_compared_lower_case_and_trimmed() {
        assert_eq!(
            EmailAddress::parse(" Olga@Example.RU ").map(String::from),
            Ok("olga@example.ru".into())
        );
        for bad in ["", "olga", "olga@", "@example.ru", "ol ga@example.ru", "a@b@example.ru"] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sessions_and_invitations_expire() {
        let inv = Invitation::new(InvitationPurpose::FirstAdministrator, at(0));
        assert!(inv.is_valid_at(at(60 * 71)));
        assert!(!inv.is_valid_at(at(60 * 72)));
    }
}
