//! Signing in as oneself where no external identity provider does it (the local server; on AWS,
//! Cognito does this): an administrator invites an employee, who sets a password through a
//! one-time link and signs in with their e-mail; a session is a cookie's secret, expiring and
//! revocable; repeated wrong passwords lock sign-in for a while (`domain::identity`).
//!
//! [`Identity`] is also the local server's [`IdentityProvider`]; [`SignInAccounts`] invites
//! employees and keeps sign-in in step with the directory, whichever provider holds the accounts.
//!
//! Secrets (link and cookie) are `<tenant>.<secret>`: the store keeps only the secret's SHA-256
//! digest, so what the store holds cannot sign anyone in. Passwords are hashed with Argon2id.

use crate::audit::Audit;
use crate::connection::digest;
use crate::desk::Person;
use crate::error::{ServiceError, ServiceResult};
use crate::retry::{settled, until_settled};
use adapters::configuration::Configuration;
use adapters::ports::{Clock, IdentityError, IdentityProvider, InvitationSent};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use domain::access::Role;
use domain::audit::AuditAction;
use domain::directory::{Employee, EmployeeDraft};
use domain::identity::{
    Account, ApiToken, EmailAddress, FailedSignIns, Invitation, InvitationPurpose, SESSION_LIFETIME, Session,
    SignInName, check_new_password,
};
use domain::ids::{EmployeeId, TenantId};
use domain::validation::{Conflict, ConflictCode, Problem, ValidationErrors};
use std::sync::{Arc, OnceLock};

/// What a wrong e-mail or password is told: the same either way, so the answer does not say
/// which e-mails have accounts.
const WRONG_CREDENTIALS: &str = "the e-mail or the password is wrong";
const INVITATION_GONE: &str = "invitation (the link was used, replaced or has expired)";

/// A secret handed out once (in a link or a cookie), with the tenant it belongs to.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential {
    tenant: TenantId,
    secret: String,
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credential({}, …)", self.tenant)
    }
}

impl Credential {
    fn new(tenant: &TenantId) -> ServiceResult<Self> {
        Ok(Self {
            tenant: tenant.clone(),
            secret: crate::random_hex(32).map_err(ServiceError::Transient)?,
        })
    }

    /// Reads `<tenant>.<64 hex>`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let (tenant, secret) = s.trim().split_once('.')?;
        let tenant = TenantId::parse(tenant).ok()?;
        let well_formed = secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit());
        (well_formed && !tenant.is_reserved()).then(|| Self {
            tenant,
            secret: secret.to_owned(),
        })
    }

    /// The form handed out: `<tenant>.<secret>`.
    pub fn reveal(&self) -> String {
        format!("{}.{}", self.tenant, self.secret)
    }

    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The store key: the secret's digest.
    fn key(&self) -> String {
        digest(&self.secret)
    }
}

/// A browser signed in: the cookie's value, the CSRF proof its state-changing requests carry, who.
#[derive(Debug)]
pub struct SignedIn {
    pub session: Credential,
    pub csrf_token: String,
    pub person: Person,
    pub expires_at: DateTime<Utc>,
}

/// The caller of a request made with a session cookie.
#[derive(Clone, Debug)]
pub struct SessionCaller {
    pub person: Person,
    pub csrf_token: String,
}

/// A one-time link's secret (the page is `/#/invite/<token>`), and until when it works.
#[derive(Debug)]
pub struct InvitationLink {
    pub token: Credential,
    pub expires_at: DateTime<Utc>,
}

/// What the first administrator chooses on the welcome page.
#[derive(Clone, Debug, Default)]
pub struct NewAdministrator {
    pub name: String,
    pub email: String,
}

/// The sign-in use cases on the configuration store.
#[derive(Clone)]
pub struct Identity {
    pub config: Configuration,
    pub clock: Arc<dyn Clock>,
}

/// At most this many hashes are computed at once (each takes 19 MiB): a flood of sign-in
/// attempts waits its turn instead of exhausting memory.
const HASHING_AT_ONCE: usize = 2;

fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(HASHING_AT_ONCE))
}

fn argon2() -> Argon2<'static> {
    // Argon2id, 19 MiB, 2 passes, 1 lane: OWASP's recommended minimum.
    Argon2::default()
}

async fn hash_password(password: &str) -> ServiceResult<String> {
    let password = password.to_owned();
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| ServiceError::Transient(format!("no randomness: {e}")))?;
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|e| ServiceError::Permanent(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt).map_err(|e| ServiceError::Permanent(e.to_string()))?;
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Permanent(format!("cannot hash: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Permanent(format!("hashing stopped: {e}")))?
}

/// Whether `password` matches the stored hash; with no hash, a hash of nothing known is checked
/// so that the answer takes as long as for an account.
async fn verify_password(password: &str, hash: Option<&str>) -> bool {
    static UNUSABLE: OnceLock<Option<String>> = OnceLock::new();
    let hash = match hash {
        Some(h) => h.to_owned(),
        None => match UNUSABLE.get_or_init(|| {
            let salt = SaltString::encode_b64(b"no-such-account!").ok()?;
            argon2()
                .hash_password(b"no account has this password", &salt)
                .ok()
                .map(|h| h.to_string())
        }) {
            Some(h) => h.clone(),
            None => return false,
        },
    };
    let password = password.to_owned();
    let Ok(_permit) = hashing_permits().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

impl Identity {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn audit(&self) -> Audit {
        Audit {
            config: self.config.clone(),
            clock: Arc::clone(&self.clock),
        }
    }

    /// Signs in with an e-mail and a password: a new session, or 401 (the same for an unknown
    /// e-mail and a wrong password), or 429 while sign-in is locked after repeated failures.
    ///
    /// Each attempt is counted as a failure before the password is checked (a conditional write),
    /// and the count is cleared only after a match: so attempts made in parallel are counted
    /// too, and the lock stops them however many arrive at once.
    pub async fn sign_in(&self, email: &str, password: &str) -> ServiceResult<SignedIn> {
        let refused = || ServiceError::Unauthorized(WRONG_CREDENTIALS);
        if password.chars().count() > domain::identity::MAX_PASSWORD_CHARS {
            return Err(refused());
        }
        let Some((tenant, employee)) = self.account_of(email).await? else {
            verify_password(password, None).await;
            return Err(refused());
        };
        let now = self.now();
        let key = employee.id.as_str();
        let (hash, locks) = until_settled!("the account", {
            let Some(account) = self.config.sign_in_record::<Account>(&tenant, key).await? else {
                verify_password(password, None).await;
                return Err(refused());
            };
            if let Err(until) = account.value.failures.check(now) {
                let seconds = (until - now).num_seconds().max(1);
                return Err(ServiceError::TooManyAttempts {
                    retry_after_seconds: u64::try_from(seconds).unwrap_or(1),
                });
            }
            let failures = account.value.failures.failed(now);
            let locks = failures.check(now).is_err();
            let counted = Account {
                failures,
                ..account.value.clone()
            };
            settled(
                self.config
                    .replace_sign_in_record(&tenant, key, &counted, account.version)
                    .await
                    .map(|_| (account.value.password_hash.clone(), locks)),
            )
        });
        // Verified even without a password set (against a hash of nothing known), so the answer
        // takes as long either way; only a set password can match.
        let verified = verify_password(password, hash.as_deref()).await;
        if !(hash.is_some() && verified) {
            if locks {
                self.audit()
                    .record(&person(&tenant, &employee), AuditAction::SignInLocked, None)
                    .await;
            }
            return Err(refused());
        }
        until_settled!("the account", {
            let Some(account) = self.config.sign_in_record::<Account>(&tenant, key).await? else {
                return Err(refused());
            };
            let cleared = Account {
                failures: FailedSignIns::default(),
                ..account.value
            };
            settled(
                self.config
                    .replace_sign_in_record(&tenant, key, &cleared, account.version)
                    .await
                    .map(drop),
            )
        });
        if employee.disabled {
            return Err(ServiceError::Forbidden(
                "this employee is disabled; an administrator can enable them again",
            ));
        }
        let signed_in = self.start_session(&tenant, &employee).await?;
        self.audit()
            .record(&signed_in.person, AuditAction::SignedIn, None)
            .await;
        Ok(signed_in)
    }

    /// The tenant and employee an e-mail signs in as, when the index and the employee agree.
    async fn account_of(&self, email: &str) -> ServiceResult<Option<(TenantId, Employee)>> {
        let Ok(email) = EmailAddress::parse(email) else {
            return Ok(None);
        };
        let Some(name) = self
            .config
            .sign_in_record::<SignInName>(&TenantId::installation(), &digest(email.as_str()))
            .await?
        else {
            return Ok(None);
        };
        let SignInName { tenant, employee } = name.value;
        let employee = self.config.get::<Employee>(&tenant, employee.as_str()).await?;
        Ok(employee
            .map(|e| e.value)
            .filter(|e| e.email.as_deref() == Some(email.as_str()))
            .map(|e| (tenant, e)))
    }

    async fn start_session(&self, tenant: &TenantId, employee: &Employee) -> ServiceResult<SignedIn> {
        let session = Credential::new(tenant)?;
        let csrf_token = crate::random_hex(32).map_err(ServiceError::Transient)?;
        let expires_at = self.now() + SESSION_LIFETIME;
        let record = Session {
            employee: employee.id.clone(),
            csrf_token: csrf_token.clone(),
            expires_at,
        };
        self.config
            .insert_sign_in_record(tenant, &session.key(), &record)
            .await?;
        Ok(SignedIn {
            session,
            csrf_token,
            person: person(tenant, employee),
            expires_at,
        })
    }

    /// Who a session cookie signs in, or `None` when it is unknown, expired, signed out, or its
    /// employee is gone or disabled. The role is the employee's now.
    pub async fn session(&self, cookie: &str) -> ServiceResult<Option<SessionCaller>> {
        let Some(credential) = Credential::parse(cookie) else {
            return Ok(None);
        };
        let tenant = credential.tenant();
        let Some(session) = self.config.sign_in_record::<Session>(tenant, &credential.key()).await? else {
            return Ok(None);
        };
        if !session.value.is_valid_at(self.now()) {
            self.config
                .delete_sign_in_record::<Session>(tenant, &credential.key())
                .await?;
            return Ok(None);
        }
        let employee = self
            .config
            .get::<Employee>(tenant, session.value.employee.as_str())
            .await?
            .map(|e| e.value)
            .filter(|e| !e.disabled);
        let Some(employee) = employee else {
            return Ok(None);
        };
        let account = self
            .config
            .sign_in_record::<Account>(tenant, employee.id.as_str())
            .await?;
        if account.is_some_and(|a| !a.value.admits(&session.value)) {
            self.config
                .delete_sign_in_record::<Session>(tenant, &credential.key())
                .await?;
            return Ok(None);
        }
        Ok(Some(employee).map(|e| SessionCaller {
            person: person(tenant, &e),
            csrf_token: session.value.csrf_token,
        }))
    }

    /// Ends a session (signing out); nothing to do for one already ended.
    pub async fn sign_out(&self, cookie: &str) -> ServiceResult<()> {
        let Some(credential) = Credential::parse(cookie) else {
            return Ok(());
        };
        let caller = self.session(cookie).await?;
        let ended = self
            .config
            .delete_sign_in_record::<Session>(credential.tenant(), &credential.key())
            .await?;
        if let (true, Some(caller)) = (ended, caller) {
            self.audit().record(&caller.person, AuditAction::SignedOut, None).await;
        }
        Ok(())
    }

    /// A link to become the tenant's first administrator, while it has no administrator who can
    /// sign in; `None` once it has one.
    pub async fn first_administrator_link(&self, tenant: &TenantId) -> ServiceResult<Option<InvitationLink>> {
        if self.has_an_administrator(tenant).await? {
            return Ok(None);
        }
        self.new_invitation(tenant, InvitationPurpose::FirstAdministrator)
            .await
            .map(Some)
    }

    /// Whether an enabled administrator of the tenant can sign in (has set a password).
    async fn has_an_administrator(&self, tenant: &TenantId) -> ServiceResult<bool> {
        for employee in self.config.list_all::<Employee>(tenant).await? {
            if employee.role != Role::Admin || employee.disabled {
                continue;
            }
            let account = self
                .config
                .sign_in_record::<Account>(tenant, employee.id.as_str())
                .await?;
            if account.is_some_and(|a| a.value.password_hash.is_some()) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    async fn new_invitation(&self, tenant: &TenantId, purpose: InvitationPurpose) -> ServiceResult<InvitationLink> {
        let token = Credential::new(tenant)?;
        let invitation = Invitation::new(purpose, self.now());
        self.config
            .insert_sign_in_record(tenant, &token.key(), &invitation)
            .await?;
        Ok(InvitationLink {
            token,
            expires_at: invitation.expires_at,
        })
    }

    /// What an invitation link is for, while it works: `Some(employee)` for an invited employee,
    /// `None` for the first administrator. 404 when the link is used, replaced or expired.
    pub async fn invitation(&self, token: &str) -> ServiceResult<Option<Employee>> {
        let (credential, invitation) = self.valid_invitation(token).await?;
        match invitation.purpose {
            InvitationPurpose::FirstAdministrator => Ok(None),
            InvitationPurpose::Employee { employee } => {
                self.require_latest(credential.tenant(), &employee, &credential).await?;
                let employee = self
                    .config
                    .get::<Employee>(credential.tenant(), employee.as_str())
                    .await?
                    .ok_or(ServiceError::NotFound(INVITATION_GONE))?;
                Ok(Some(employee.value))
            }
        }
    }

    /// 404 unless `credential` is the employee's latest invitation (inviting again ends the
    /// link before; an account from before links were recorded takes any of its links).
    async fn require_latest(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
        credential: &Credential,
    ) -> ServiceResult<()> {
        let account = self.config.sign_in_record::<Account>(tenant, employee.as_str()).await?;
        match account.and_then(|a| a.value.invitation) {
            Some(latest) if latest != credential.key() => Err(ServiceError::NotFound(INVITATION_GONE)),
            _ => Ok(()),
        }
    }

    async fn valid_invitation(&self, token: &str) -> ServiceResult<(Credential, Invitation)> {
        let credential = Credential::parse(token).ok_or(ServiceError::NotFound(INVITATION_GONE))?;
        let invitation = self
            .config
            .sign_in_record::<Invitation>(credential.tenant(), &credential.key())
            .await?
            .ok_or(ServiceError::NotFound(INVITATION_GONE))?
            .value;
        if !invitation.is_valid_at(self.now()) {
            return Err(ServiceError::NotFound(INVITATION_GONE));
        }
        Ok((credential, invitation))
    }

    /// Uses an invitation link once: sets the password (and, for the first administrator, creates
    /// them from `new_admin`), then signs them in. Values are checked before the link is used up.
    pub async fn accept_invitation(
        &self,
        token: &str,
        password: &str,
        new_admin: Option<NewAdministrator>,
    ) -> ServiceResult<SignedIn> {
        let (credential, invitation) = self.valid_invitation(token).await?;
        let tenant = credential.tenant().clone();
        let mut errors = ValidationErrors::new();
        if let Err(problem) = check_new_password(password) {
            errors.add("password", problem);
        }
        let employee = match &invitation.purpose {
            // A first administrator's link left over (each start prints one while there is none)
            // is dead once there is one.
            InvitationPurpose::FirstAdministrator if self.has_an_administrator(&tenant).await? => {
                return Err(ServiceError::NotFound(INVITATION_GONE));
            }
            InvitationPurpose::FirstAdministrator => {
                let NewAdministrator { name, email } = new_admin.unwrap_or_default();
                if email.trim().is_empty() {
                    errors.add("email", Problem::Blank);
                }
                let draft = EmployeeDraft {
                    name,
                    email: Some(email),
                    user_id: None,
                    role: Role::Admin,
                    disabled: false,
                };
                match draft.validate(crate::new_id(EmployeeId::parse)?) {
                    Ok(e) => Some(e),
                    Err(e) => {
                        errors.0.extend(e.0);
                        None
                    }
                }
            }
            InvitationPurpose::Employee { employee } => {
                let found = self
                    .config
                    .get::<Employee>(&tenant, employee.as_str())
                    .await?
                    .ok_or(ServiceError::NotFound(INVITATION_GONE))?
                    .value;
                self.require_latest(&tenant, employee, &credential).await?;
                if found.disabled {
                    return Err(ServiceError::Forbidden("this employee is disabled"));
                }
                Some(found)
            }
        };
        let employee = match employee {
            Some(e) if errors.is_empty() => e,
            _ => return Err(ServiceError::Invalid(errors)),
        };
        let email = employee_email(&employee)?;
        self.claim_sign_in_name(&email, &tenant, &employee.id).await?;
        // Used up before anything else is written: a second use finds nothing.
        if !self
            .config
            .delete_sign_in_record::<Invitation>(&tenant, &credential.key())
            .await?
        {
            return Err(ServiceError::NotFound(INVITATION_GONE));
        }
        if matches!(invitation.purpose, InvitationPurpose::FirstAdministrator) {
            self.config.create(&tenant, &employee).await?;
        }
        let hash = hash_password(password).await?;
        // Sessions from before the new password end; this one starts after.
        let change = AccountChange::Password {
            hash,
            link: credential.key(),
        };
        self.keep_account(&tenant, &employee.id, &email, change).await?;
        let signed_in = self.start_session(&tenant, &employee).await?;
        self.audit()
            .record(&signed_in.person, AuditAction::InvitationAccepted, None)
            .await;
        Ok(signed_in)
    }

    /// Makes the e-mail sign in to this employee: refused (409) when it signs in to someone else
    /// who still has it; taken over when that someone is gone or has another e-mail now.
    async fn claim_sign_in_name(
        &self,
        email: &EmailAddress,
        tenant: &TenantId,
        employee: &EmployeeId,
    ) -> ServiceResult<()> {
        let installation = TenantId::installation();
        let key = digest(email.as_str());
        let mine = SignInName {
            tenant: tenant.clone(),
            employee: employee.clone(),
        };
        until_settled!("the e-mail's account", {
            let Some(existing) = self.config.sign_in_record::<SignInName>(&installation, &key).await? else {
                return settled(self.config.insert_sign_in_record(&installation, &key, &mine).await);
            };
            if existing.value == mine {
                return Ok(Some(()));
            }
            let holder = self
                .config
                .get::<Employee>(&existing.value.tenant, existing.value.employee.as_str())
                .await?;
            if holder.is_some_and(|h| h.value.email.as_deref() == Some(email.as_str())) {
                return Err(ServiceError::Conflict(Conflict::new(
                    ConflictCode::EmailTaken,
                    "another account already signs in with this e-mail",
                )));
            }
            settled(
                self.config
                    .replace_sign_in_record(&installation, &key, &mine, existing.version)
                    .await
                    .map(drop),
            )
        });
        Ok(())
    }

    /// Keeps the employee's account at `email` and applies `change` to it: a new password hash
    /// (which also ends a lock — the person proved who they are through the link — and every
    /// session started before), a new latest invitation, or the end of every session. Returns the
    /// account as it was (`None`: there was none).
    async fn keep_account(
        &self,
        tenant: &TenantId,
        employee: &EmployeeId,
        email: &EmailAddress,
        change: AccountChange,
    ) -> ServiceResult<Option<Account>> {
        let now = self.now();
        let apply = |account: &mut Account| match &change {
            AccountChange::Password { hash, link } => {
                account.password_hash = Some(hash.clone());
                account.failures = FailedSignIns::default();
                // The link used stays the latest (it is deleted): no other link works after it.
                account.invitation = Some(link.clone());
                account.sessions_from = Some(now);
            }
            AccountChange::Invited(key) => account.invitation = Some(key.clone()),
            AccountChange::SessionsEnd => account.sessions_from = Some(now),
        };
        Ok(until_settled!("the account", {
            match self.config.sign_in_record::<Account>(tenant, employee.as_str()).await? {
                None => {
                    let mut account = Account {
                        email: email.clone(),
                        password_hash: None,
                        failures: FailedSignIns::default(),
                        invitation: None,
                        sessions_from: None,
                    };
                    apply(&mut account);
                    settled(
                        self.config
                            .insert_sign_in_record(tenant, employee.as_str(), &account)
                            .await,
                    )
                    .map(|done| done.map(|()| None))
                }
                Some(existing) => {
                    let mut account = existing.value.clone();
                    account.email = email.clone();
                    apply(&mut account);
                    if account == existing.value {
                        return Ok(Some(Some(existing.value)));
                    }
                    settled(
                        self.config
                            .replace_sign_in_record(tenant, employee.as_str(), &account, existing.version)
                            .await
                            .map(drop),
                    )
                    .map(|done| done.map(|()| Some(existing.value.clone())))
                }
            }
        }))
    }
}

/// What [`Identity::keep_account`] changes besides the e-mail.
enum AccountChange {
    /// A new password set through the invitation link `link` (its key).
    Password {
        hash: String,
        link: String,
    },
    Invited(String),
    SessionsEnd,
}

/// The most API tokens a tenant keeps.
pub const MAX_API_TOKENS: usize = 100;

/// A new API token: the record, and the token itself (shown once).
#[derive(Debug)]
pub struct IssuedApiToken {
    pub record: ApiToken,
    pub token: String,
}

impl Identity {
    /// An administrator issues a token for a script, with a name and a role; the token is in the
    /// answer only.
    pub async fn issue_api_token(&self, admin: &Person, name: &str, role: Role) -> ServiceResult<IssuedApiToken> {
        admin.require_admin(ONLY_ADMINISTRATORS)?;
        if admin.user.starts_with("token:") {
            return Err(ServiceError::Forbidden(
                "API tokens are issued by people, not by scripts",
            ));
        }
        let name = domain::directory::DisplayName::parse(name).map_err(|m| {
            let mut errors = ValidationErrors::new();
            errors.add("name", m);
            ServiceError::Invalid(errors)
        })?;
        let tenant = &admin.tenant;
        let existing = self.config.sign_in_records::<ApiToken>(tenant, None, 1000).await?;
        if existing.items.len() >= MAX_API_TOKENS {
            return Err(ServiceError::Conflict(Conflict::new(
                ConflictCode::TooManyApiTokens,
                format!("at most {MAX_API_TOKENS} API tokens; revoke one first"),
            )));
        }
        let id = crate::random_hex(8).map_err(ServiceError::Transient)?;
        let secret = crate::random_hex(32).map_err(ServiceError::Transient)?;
        let issuer = crate::desk::employee_of_subject(&self.config, tenant, &admin.user).await?;
        let created_by = issuer
            .as_ref()
            .map_or_else(|| admin.user.clone(), |e| e.name.as_str().to_owned());
        let record = ApiToken {
            id: id.clone(),
            name: name.as_str().to_owned(),
            role,
            digest: digest(&secret),
            created_at: self.now(),
            created_by,
            issuer: issuer.map(|e| e.id),
        };
        self.config.insert_sign_in_record(tenant, &id, &record).await?;
        let subject = crate::audit::subject(domain::audit::AuditSubjectKind::ApiToken, id.as_str(), name.as_str());
        self.audit().record(admin, AuditAction::ApiTokenIssued, subject).await;
        Ok(IssuedApiToken {
            token: format!("{tenant}.{id}.{secret}"),
            record,
        })
    }

    /// The tenant's API tokens (without secrets), oldest first.
    pub async fn api_tokens(&self, admin: &Person) -> ServiceResult<Vec<ApiToken>> {
        admin.require_admin(ONLY_ADMINISTRATORS)?;
        let mut tokens = self
            .config
            .sign_in_records::<ApiToken>(&admin.tenant, None, 1000)
            .await?
            .items;
        tokens.sort_by_key(|t| t.created_at);
        Ok(tokens)
    }

    /// Revokes a token: the next request with it is refused.
    pub async fn revoke_api_token(&self, admin: &Person, id: &str) -> ServiceResult<()> {
        admin.require_admin(ONLY_ADMINISTRATORS)?;
        let token = self
            .config
            .sign_in_record::<ApiToken>(&admin.tenant, id)
            .await?
            .ok_or(ServiceError::NotFound("API token"))?;
        if !self.config.delete_sign_in_record::<ApiToken>(&admin.tenant, id).await? {
            return Err(ServiceError::NotFound("API token"));
        }
        let subject = crate::audit::subject(domain::audit::AuditSubjectKind::ApiToken, id, token.value.name);
        self.audit().record(admin, AuditAction::ApiTokenRevoked, subject).await;
        Ok(())
    }

    /// Who a script's token (`<tenant>.<id>.<secret>`) signs in as, or `None` for an unknown or
    /// revoked one. The subject is `token:<id>`.
    pub async fn api_token_caller(&self, token: &str) -> ServiceResult<Option<Person>> {
        let mut parts = token.trim().splitn(3, '.');
        let (Some(tenant), Some(id), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
            return Ok(None);
        };
        let Ok(tenant) = TenantId::parse(tenant) else {
            return Ok(None);
        };
        if tenant.is_reserved() || !domain::ids::is_valid_id(id) || secret.is_empty() {
            return Ok(None);
        }
        let Some(record) = self.config.sign_in_record::<ApiToken>(&tenant, id).await? else {
            return Ok(None);
        };
        let presented = digest(secret);
        let matches = bool::from(subtle::ConstantTimeEq::ct_eq(
            presented.as_bytes(),
            record.value.digest.as_bytes(),
        ));
        if !matches || !self.issuer_stands(&tenant, &record.value).await? {
            return Ok(None);
        }
        Ok(Some(Person {
            tenant,
            user: format!("token:{id}"),
            role: record.value.role,
        }))
    }

    /// Whether the employee who issued `token` may still sign in (and is still an administrator,
    /// for an administrator's token). A token issued with a configured token (no employee) stands.
    async fn issuer_stands(&self, tenant: &TenantId, token: &ApiToken) -> ServiceResult<bool> {
        let Some(issuer) = &token.issuer else {
            return Ok(true);
        };
        Ok(match self.config.get::<Employee>(tenant, issuer.as_str()).await? {
            Some(e) => !e.value.disabled && (token.role != Role::Admin || e.value.role == Role::Admin),
            None => false,
        })
    }
}

const ONLY_ADMINISTRATORS: &str = "only administrators manage API tokens";

#[async_trait::async_trait]
impl IdentityProvider for Identity {
    /// A one-time link to set the password; the link sent before stops working (a password
    /// already set stays until the new one is).
    async fn invite(&self, tenant: &TenantId, employee: &Employee) -> Result<InvitationSent, IdentityError> {
        let email =
            employee_email(employee).map_err(|_| IdentityError::Refused("the employee has no e-mail".into()))?;
        let link = async {
            self.claim_sign_in_name(&email, tenant, &employee.id).await?;
            let link = self
                .new_invitation(
                    tenant,
                    InvitationPurpose::Employee {
                        employee: employee.id.clone(),
                    },
                )
                .await?;
            let before = self
                .keep_account(tenant, &employee.id, &email, AccountChange::Invited(link.token.key()))
                .await?;
            if let Some(old) = before.and_then(|a| a.invitation) {
                self.config.delete_sign_in_record::<Invitation>(tenant, &old).await?;
            }
            Ok(link)
        }
        .await
        .map_err(|e| match e {
            ServiceError::Conflict(c) => IdentityError::Taken(c.message.into_owned()),
            other => IdentityError::Unavailable(other.to_string()),
        })?;
        Ok(InvitationSent::Link {
            token: link.token.reveal(),
            expires_at: link.expires_at,
        })
    }

    /// Every request reads the employee's role and whether they are disabled; disabling also ends
    /// their sessions for good, so enabling them again asks them to sign in.
    async fn follow(&self, tenant: &TenantId, employee: &Employee) -> Result<(), IdentityError> {
        if !employee.disabled {
            return Ok(());
        }
        let Ok(email) = employee_email(employee) else {
            return Ok(());
        };
        let account = self
            .config
            .sign_in_record::<Account>(tenant, employee.id.as_str())
            .await;
        if matches!(account, Ok(None)) {
            return Ok(());
        }
        self.keep_account(tenant, &employee.id, &email, AccountChange::SessionsEnd)
            .await
            .map(drop)
            .map_err(|e| IdentityError::Unavailable(e.to_string()))
    }
}

/// Inviting employees and keeping sign-in in step with the directory, whichever provider holds
/// the accounts.
#[derive(Clone)]
pub struct SignInAccounts {
    pub config: Configuration,
    pub provider: Arc<dyn IdentityProvider>,
}

impl SignInAccounts {
    /// An administrator invites an employee, who must have an e-mail and not be disabled: the
    /// employee and how the invitation reaches them. With
    /// an e-mailing provider the employee's `user_id` becomes the subject they will sign in as.
    pub async fn invite(&self, admin: &Person, employee: &EmployeeId) -> ServiceResult<(Employee, InvitationSent)> {
        admin.require_admin("only administrators invite employees")?;
        let tenant = &admin.tenant;
        let found = self
            .config
            .get::<Employee>(tenant, employee.as_str())
            .await?
            .ok_or(ServiceError::NotFound("employee"))?;
        if found.value.disabled {
            return Err(ServiceError::Conflict(Conflict::new(
                ConflictCode::EmployeeDisabled,
                "this employee is disabled; enable them before inviting",
            )));
        }
        employee_email(&found.value)?;
        let sent = self
            .provider
            .invite(tenant, &found.value)
            .await
            .map_err(provider_error)?;
        if let InvitationSent::Emailed { subject } = &sent {
            until_settled!("the employee", {
                let Some(current) = self.config.get::<Employee>(tenant, employee.as_str()).await? else {
                    return Err(ServiceError::NotFound("employee"));
                };
                if current.value.user_id.as_deref() == Some(subject.as_str()) {
                    return Ok(Some(()));
                }
                let linked = Employee {
                    user_id: Some(subject.clone()),
                    ..current.value
                };
                settled(self.config.replace(tenant, &linked, current.version).await.map(drop))
            });
        }
        Ok((found.value, sent))
    }

    /// After an administrator changed an employee: the provider follows their role and whether
    /// they may sign in.
    pub async fn follow(&self, tenant: &TenantId, employee: &Employee) -> ServiceResult<()> {
        self.provider.follow(tenant, employee).await.map_err(provider_error)
    }
}

fn provider_error(e: IdentityError) -> ServiceError {
    match e {
        IdentityError::Taken(m) => ServiceError::Conflict(Conflict::new(ConflictCode::EmailTaken, m)),
        IdentityError::Refused(m) => {
            let mut errors = ValidationErrors::new();
            errors.add("email", Problem::Refused(m));
            ServiceError::Invalid(errors)
        }
        IdentityError::Unavailable(m) => ServiceError::Transient(m),
    }
}

fn employee_email(employee: &Employee) -> ServiceResult<EmailAddress> {
    employee
        .email
        .as_deref()
        .and_then(|e| EmailAddress::parse(e).ok())
        .ok_or_else(|| {
            let mut errors = ValidationErrors::new();
            errors.add(
                "email",
                Problem::RequiredFor("the employee needs an e-mail to sign in; add it first"),
            );
            ServiceError::Invalid(errors)
        })
}

fn person(tenant: &TenantId, employee: &Employee) -> Person {
    Person {
        tenant: tenant.clone(),
        user: employee.id.to_string(),
        role: employee.role,
    }
}
