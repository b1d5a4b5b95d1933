//! Signing in with the product's own accounts (R-X2, the local server): the first administrator's
//! link, inviting an employee, one-time links, sessions that end when the employee is disabled,
//! and sign-in locked after repeated wrong passwords.

use adapters::configuration::Configuration;
use adapters::embedded::SqliteConfigStore;
use adapters::ports::InvitationSent;
use adapters::ports::ManualClock;
use chrono::{DateTime, TimeDelta};
use domain::access::Role;
use domain::directory::{Employee, EmployeeDraft};
use domain::ids::{EmployeeId, TenantId};
use services::ServiceError;
use services::desk::Person;
use services::identity::{Identity, NewAdministrator, SignInAccounts, SignedIn};
use std::sync::Arc;

const PASSWORD: &str = "пароль-администратора";

struct Env {
    identity: Identity,
    clock: Arc<ManualClock>,
    tenant: TenantId,
    _dir: tempfile::TempDir,
}

fn env() -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteConfigStore::open(&dir.path().join("config.sqlite3")).expect("store");
    let clock = Arc::new(ManualClock::new(
        DateTime::from_timestamp(1_800_000_000, 0).expect("instant"),
    ));
    Env {
        identity: Identity {
            config: Configuration::new(Arc::new(store)),
            clock: clock.clone(),
        },
        clock,
        tenant: TenantId::parse("acme").expect("tenant"),
        _dir: dir,
    }
}

impl Env {
    async fn first_admin(&self) -> SignedIn {
        let link = self
            .identity
            .first_administrator_link(&self.tenant)
            .await
            .expect("read")
            .expect("a new tenant gets a link");
        self.identity
            .accept_invitation(
                &link.token.reveal(),
                PASSWORD,
                Some(NewAdministrator {
                    name: "Анна Петрова".into(),
                    email: "Anna@Shop.ru".into(),
                }),
            )
            .await
            .expect("accepted")
    }

    async fn employee(&self, name: &str, email: &str) -> Employee {
        let employee = EmployeeDraft {
            name: name.into(),
            email: Some(email.into()),
            ..Default::default()
        }
        .validate(services::new_id(EmployeeId::parse).expect("id"))
        .expect("valid");
        self.identity
            .config
            .create(&self.tenant, &employee)
            .await
            .expect("stored");
        employee
    }

    /// An administrator's invitation of `employee`: the one-time link's token.
    async fn invite(&self, by: &Person, employee: &EmployeeId) -> Result<String, ServiceError> {
        let accounts = SignInAccounts {
            config: self.identity.config.clone(),
            provider: Arc::new(self.identity.clone()),
        };
        match accounts.invite(by, employee).await? {
            (_, InvitationSent::Link { token, .. }) => Ok(token),
            (_, other) => panic!("the local accounts hand over a link, not {other:?}"),
        }
    }

    async fn caller(&self, signed_in: &SignedIn) -> Option<Person> {
        self.identity
            .session(&signed_in.session.reveal())
            .await
            .expect("read")
            .map(|c| c.person)
    }
}

#[tokio::test]
async fn the_first_administrator_sets_up_through_a_one_time_link_and_then_there_is_no_more_link() {
    let e = env();
    let admin = e.first_admin().await;
    assert_eq!(admin.person.role, Role::Admin);
    assert_eq!(e.caller(&admin).await.map(|p| p.role), Some(Role::Admin));
    assert!(
        e.identity
            .first_administrator_link(&e.tenant)
            .await
            .expect("read")
            .is_none(),
        "an administrator exists: no second welcome link"
    );
    // Signing in with the e-mail in another case works; the session names the same person.
    let again = e.identity.sign_in("anna@shop.RU", PASSWORD).await.expect("signed in");
    assert_eq!(again.person, admin.person);
}

#[tokio::test]
async fn an_invitation_link_works_once_and_checks_the_password_before_it_is_used_up() {
    let e = env();
    let admin = e.first_admin().await;
    let olga = e.employee("Ольга", "olga@shop.ru").await;
    let token = e.invite(&admin.person, &olga.id).await.expect("invited");
    let short = e.identity.accept_invitation(&token, "короткий", None).await;
    assert!(matches!(short, Err(ServiceError::Invalid(_))), "{short:?}");
    let signed_in = e
        .identity
        .accept_invitation(&token, "пароль-ольги-123", None)
        .await
        .expect("the link still works after a refused password");
    assert_eq!(signed_in.person.role, Role::Operator);
    assert_eq!(signed_in.person.user, olga.id.to_string());
    let twice = e.identity.accept_invitation(&token, "другой-пароль-456", None).await;
    assert!(matches!(twice, Err(ServiceError::NotFound(_))), "{twice:?}");
    e.identity
        .sign_in("olga@shop.ru", "пароль-ольги-123")
        .await
        .expect("the first password stands");
}

#[tokio::test]
async fn an_operator_cannot_invite_and_an_employee_without_e_mail_cannot_be_invited() {
    let e = env();
    let admin = e.first_admin().await;
    let olga = e.employee("Ольга", "olga@shop.ru").await;
    let link = e.invite(&admin.person, &olga.id).await.expect("invited");
    let operator = e
        .identity
        .accept_invitation(&link, "пароль-ольги-123", None)
        .await
        .expect("accepted");
    let refused = e.invite(&operator.person, &olga.id).await;
    assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "{refused:?}");
    let nameless = EmployeeDraft {
        name: "Борис".into(),
        ..Default::default()
    }
    .validate(EmployeeId::parse("boris").expect("id"))
    .expect("valid");
    e.identity.config.create(&e.tenant, &nameless).await.expect("stored");
    let refused = e.invite(&admin.person, &nameless.id).await;
    assert!(matches!(refused, Err(ServiceError::Invalid(_))), "{refused:?}");
}

#[tokio::test]
async fn a_disabled_employee_is_signed_out_at_the_next_request_and_cannot_sign_in() {
    let e = env();
    let admin = e.first_admin().await;
    let olga = e.employee("Ольга", "olga@shop.ru").await;
    let link = e.invite(&admin.person, &olga.id).await.expect("invited");
    let session = e
        .identity
        .accept_invitation(&link, "пароль-ольги-123", None)
        .await
        .expect("accepted");
    assert!(e.caller(&session).await.is_some());
    let stored = e
        .identity
        .config
        .get::<Employee>(&e.tenant, olga.id.as_str())
        .await
        .expect("read")
        .expect("there");
    let disabled = Employee {
        disabled: true,
        ..stored.value
    };
    e.identity
        .config
        .replace(&e.tenant, &disabled, stored.version)
        .await
        .expect("written");
    assert_eq!(e.caller(&session).await, None, "the session stops at once");
    let again = e.identity.sign_in("olga@shop.ru", "пароль-ольги-123").await;
    assert!(matches!(again, Err(ServiceError::Forbidden(_))), "{again:?}");
}

#[tokio::test]
async fn five_wrong_passwords_lock_sign_in_even_for_the_right_one_until_the_lock_passes() {
    let e = env();
    e.first_admin().await;
    for _ in 0..5 {
        let wrong = e.identity.sign_in("anna@shop.ru", "неверный-пароль").await;
        assert!(matches!(wrong, Err(ServiceError::Unauthorized(_))), "{wrong:?}");
    }
    let locked = e.identity.sign_in("anna@shop.ru", PASSWORD).await;
    assert!(
        matches!(
            locked,
            Err(ServiceError::TooManyAttempts {
                retry_after_seconds: 60
            })
        ),
        "{locked:?}"
    );
    e.clock.advance(TimeDelta::seconds(61));
    e.identity
        .sign_in("anna@shop.ru", PASSWORD)
        .await
        .expect("after the lock the right password works");
    // An unknown e-mail is answered as a wrong password.
    let unknown = e.identity.sign_in("nobody@shop.ru", PASSWORD).await;
    assert!(matches!(unknown, Err(ServiceError::Unauthorized(_))), "{unknown:?}");
}

#[tokio::test]
async fn sessions_expire_after_a_shift_and_signing_out_ends_them() {
    let e = env();
    let admin = e.first_admin().await;
    let other = e.identity.sign_in("anna@shop.ru", PASSWORD).await.expect("signed in");
    e.identity.sign_out(&other.session.reveal()).await.expect("signed out");
    assert_eq!(e.caller(&other).await, None);
    assert!(e.caller(&admin).await.is_some(), "the other session goes on");
    e.clock.advance(TimeDelta::hours(12));
    assert_eq!(e.caller(&admin).await, None);
}

#[tokio::test]
async fn an_e_mail_signs_in_to_one_account_across_tenants() {
    let e = env();
    e.first_admin().await;
    let other = TenantId::parse("other").expect("tenant");
    let link = e
        .identity
        .first_administrator_link(&other)
        .await
        .expect("read")
        .expect("a new tenant gets a link");
    let taken = e
        .identity
        .accept_invitation(
            &link.token.reveal(),
            PASSWORD,
            Some(NewAdministrator {
                name: "Самозванец".into(),
                email: "anna@shop.ru".into(),
            }),
        )
        .await;
    assert!(matches!(taken, Err(ServiceError::Conflict(_))), "{taken:?}");
    let signed_in = e
        .identity
        .sign_in("anna@shop.ru", PASSWORD)
        .await
        .expect("Anna's account");
    assert_eq!(signed_in.person.tenant, e.tenant);
    // The refused link was not used up.
    e.identity
        .accept_invitation(
            &link.token.reveal(),
            PASSWORD,
            Some(NewAdministrator {
                name: "Иван".into(),
                email: "ivan@other.ru".into(),
            }),
        )
        .await
        .expect("the link still works");
}

#[tokio::test]
async fn an_api_token_works_as_issued_until_revoked_and_only_administrators_issue_them() {
    let e = env();
    let admin = e.first_admin().await;
    let issued = e
        .identity
        .issue_api_token(&admin.person, "Выгрузка в CRM", Role::Operator)
        .await
        .expect("issued");
    let caller = e.identity.api_token_caller(&issued.token).await.expect("read");
    assert_eq!(
        caller.map(|p| (p.tenant, p.role)),
        Some((e.tenant.clone(), Role::Operator))
    );
    // Only the digest is kept: the stored record does not hold the token.
    assert!(!format!("{:?}", e.identity.api_tokens(&admin.person).await.expect("listed")).contains(&issued.token));
    let forged = format!("{}x", issued.token);
    assert!(e.identity.api_token_caller(&forged).await.expect("read").is_none());
    let operator = Person {
        role: Role::Operator,
        ..admin.person.clone()
    };
    let refused = e.identity.issue_api_token(&operator, "Моё", Role::Admin).await;
    assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "{refused:?}");
    e.identity
        .revoke_api_token(&admin.person, &issued.record.id)
        .await
        .expect("revoked");
    assert!(
        e.identity
            .api_token_caller(&issued.token)
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test]
async fn guesses_made_at_once_are_all_counted_and_a_leftover_first_administrator_link_is_dead() {
    let e = env();
    let leftover = e
        .identity
        .first_administrator_link(&e.tenant)
        .await
        .expect("read")
        .expect("a link");
    e.first_admin().await;
    let late = e
        .identity
        .accept_invitation(
            &leftover.token.reveal(),
            PASSWORD,
            Some(NewAdministrator {
                name: "Захватчик".into(),
                email: "x@evil.ru".into(),
            }),
        )
        .await;
    assert!(matches!(late, Err(ServiceError::NotFound(_))), "{late:?}");
    // Twenty wrong guesses at once: every one counts, so the right password is refused after.
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..20 {
        let identity = e.identity.clone();
        guesses.spawn(async move { identity.sign_in("anna@shop.ru", &format!("неверный-пароль-{i}")).await });
    }
    while let Some(answer) = guesses.join_next().await {
        assert!(answer.expect("ran").is_err());
    }
    let locked = e.identity.sign_in("anna@shop.ru", PASSWORD).await;
    assert!(
        matches!(locked, Err(ServiceError::TooManyAttempts { .. })),
        "{locked:?}"
    );
}

#[tokio::test]
async fn an_api_token_stops_with_its_issuer_and_scripts_cannot_issue_tokens() {
    let e = env();
    let admin = e.first_admin().await;
    let issued = e
        .identity
        .issue_api_token(&admin.person, "Отчёты", Role::Admin)
        .await
        .expect("issued");
    let script = e
        .identity
        .api_token_caller(&issued.token)
        .await
        .expect("read")
        .expect("the token works");
    let refused = e.identity.issue_api_token(&script, "Ещё один", Role::Admin).await;
    assert!(matches!(refused, Err(ServiceError::Forbidden(_))), "{refused:?}");
    // The issuer made an operator: their administrator's token stops.
    let stored = e
        .identity
        .config
        .get::<Employee>(&e.tenant, &admin.person.user)
        .await
        .expect("read")
        .expect("there");
    let demoted = Employee {
        role: Role::Operator,
        ..stored.value
    };
    e.identity
        .config
        .replace(&e.tenant, &demoted, stored.version)
        .await
        .expect("written");
    assert!(
        e.identity
            .api_token_caller(&issued.token)
            .await
            .expect("read")
            .is_none()
    );
}

/// Inviting again ends the link sent before; setting a password through the new one ends every
/// session started before it (a lost laptop stays signed out); disabling ends sessions for good,
/// so enabling the employee again does not bring an old session back.
#[tokio::test]
async fn a_new_link_ends_the_old_one_a_new_password_ends_old_sessions_and_re_enabling_brings_none_back() {
    use adapters::ports::IdentityProvider;
    let e = env();
    let admin = e.first_admin().await;
    let olga = e.employee("Ольга", "olga@shop.ru").await;
    let first = e.invite(&admin.person, &olga.id).await.expect("invited");
    let second = e.invite(&admin.person, &olga.id).await.expect("invited again");
    for gone in [
        e.identity.invitation(&first).await.map(drop),
        e.identity
            .accept_invitation(&first, "пароль-ольги-123", None)
            .await
            .map(drop),
    ] {
        assert!(matches!(gone, Err(ServiceError::NotFound(_))), "{gone:?}");
    }
    let laptop = e
        .identity
        .accept_invitation(&second, "пароль-ольги-123", None)
        .await
        .expect("the new link works");
    assert!(e.caller(&laptop).await.is_some());

    // The laptop is lost: an administrator sends a new link and Olga sets a new password.
    e.clock.advance(TimeDelta::minutes(5));
    let third = e.invite(&admin.person, &olga.id).await.expect("invited");
    assert!(e.caller(&laptop).await.is_some(), "a link alone signs nobody out");
    let phone = e
        .identity
        .accept_invitation(&third, "новый-пароль-ольги", None)
        .await
        .expect("accepted");
    assert_eq!(
        e.caller(&laptop).await,
        None,
        "the session from before the new password ended"
    );
    assert!(e.caller(&phone).await.is_some());

    // Disabled (as the administrators' screen does: write, then tell the provider), then enabled.
    e.clock.advance(TimeDelta::minutes(5));
    let set = |disabled: bool| {
        let e = &e;
        let id = olga.id.clone();
        async move {
            let stored = e
                .identity
                .config
                .get::<Employee>(&e.tenant, id.as_str())
                .await
                .expect("read")
                .expect("there");
            let next = Employee {
                disabled,
                ..stored.value
            };
            e.identity
                .config
                .replace(&e.tenant, &next, stored.version)
                .await
                .expect("written");
            e.identity.follow(&e.tenant, &next).await.expect("followed");
        }
    };
    set(true).await;
    set(false).await;
    assert_eq!(
        e.caller(&phone).await,
        None,
        "enabling again brings no old session back"
    );
    e.identity
        .sign_in("olga@shop.ru", "новый-пароль-ольги")
        .await
        .expect("signing in again works");
}
