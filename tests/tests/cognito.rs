//! Amazon Cognito as the identity provider, on moto's Cognito with the template's user pool and
//! web client (`aws-stack` creates them from `infra/template.yaml`):
//! - inviting an employee creates their account (the e-mail, the tenant and the role as
//!   attributes) and links the employee to its subject; inviting again sends again; the same
//!   e-mail in another tenant is 409; sign-in follows the employee's role and whether they are
//!   disabled, and never touches another tenant's account;
//! - an ID token the pool issues, verified against the pool's JWKS as API Gateway's JWT
//!   authorizer does, names its tenant's administrator to the admin API through the claims
//!   `custom:tenant_id` and `custom:role`; another tenant's token sees none of its ids;
//! - `avito-cc-tenant`'s use case creates a tenant's first administrator and invites them.
//!
//! Needs moto at `AWS_ENDPOINT_URL` (`tests/scripts/with-moto.sh`, as `make test` runs).

use adapters::avito::{AvitoClient, RetryPolicy};
use adapters::aws::cognito::{ROLE_ATTRIBUTE, TENANT_ATTRIBUTE};
use adapters::aws::{
    CognitoApi, CognitoIdentityProvider, DynamoConfigStore, cognito_client_from_env, dynamodb_client_from_env,
};
use adapters::configuration::Configuration;
use adapters::credentials::{AppCredentials, Vaults};
use adapters::ports::{ConfigStore, IdentityProvider, InvitationSent, SystemClock};
use adapters::secrets::TokenCipher;
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, UserStatusType};
use axum::body::Body;
use domain::access::Role;
use domain::directory::{Employee, EmployeeDraft};
use domain::ids::{EmployeeId, TenantId};
use http::{Request, StatusCode};
use http_api::Authenticator;
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription, ApiGatewayV2httpRequestContext,
};
use lambda_http::request::RequestContext;
use serde_json::{Value, json};
use services::ServiceError;
use services::connection::{ConnectionSettings, Connections};
use services::desk::Person;
use services::identity::SignInAccounts;
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;

const PASSWORD: &str = "Verno-Pravilno42";

struct Stack {
    endpoint: String,
    config: Configuration,
    store: Arc<dyn ConfigStore>,
    provider: Arc<CognitoIdentityProvider>,
    cognito: aws_sdk_cognitoidentityprovider::Client,
    pool: String,
    client_id: String,
}

async fn stack() -> Stack {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "needs moto on loopback: run `make test`"
    );
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let unique = format!("{nanos}-{}", N.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let env: HashMap<String, String> = aws_stack::create_stack_resources(&format!("cognito-{unique}"))
        .await
        .expect("the template's resources")
        .into_iter()
        .collect();
    let var = |name: &str| env.get(name).cloned().expect(name);
    let store: Arc<dyn ConfigStore> = Arc::new(DynamoConfigStore::new(
        dynamodb_client_from_env().await,
        var("TABLE_NAME"),
    ));
    let cognito = cognito_client_from_env().await;
    let pool = var("COGNITO_USER_POOL_ID");
    Stack {
        endpoint,
        config: Configuration::new(Arc::clone(&store)),
        store,
        provider: Arc::new(CognitoIdentityProvider::new(
            CognitoApi::from_env().expect("Cognito API"),
            pool.clone(),
        )),
        cognito,
        pool,
        client_id: var("COGNITO_CLIENT_ID"),
    }
}

fn tenant(id: &str) -> TenantId {
    TenantId::parse(id).expect("tenant")
}

fn admin_of(tenant: &TenantId) -> Person {
    Person {
        tenant: tenant.clone(),
        user: "test-admin".into(),
        role: Role::Admin,
    }
}

/// A user's attributes, whether it is enabled, and its status.
struct User {
    attributes: HashMap<String, String>,
    enabled: bool,
    status: Option<UserStatusType>,
}

impl Stack {
    fn accounts(&self) -> SignInAccounts {
        SignInAccounts {
            config: self.config.clone(),
            provider: self.provider.clone(),
        }
    }

    async fn employee(&self, tenant: &TenantId, name: &str, email: Option<&str>, role: Role) -> Employee {
        let id = EmployeeId::parse(format!("e{}", uuid::Uuid::new_v4().simple())).expect("id");
        let employee = EmployeeDraft {
            name: name.into(),
            email: email.map(str::to_owned),
            role,
            ..EmployeeDraft::default()
        }
        .validate(id)
        .expect("valid employee");
        self.config.create(tenant, &employee).await.expect("employee stored");
        employee
    }

    async fn stored(&self, tenant: &TenantId, id: &EmployeeId) -> Employee {
        self.config
            .get::<Employee>(tenant, id.as_str())
            .await
            .expect("read")
            .expect("employee")
            .value
    }

    async fn user(&self, username: &str) -> Option<User> {
        match self
            .cognito
            .admin_get_user()
            .user_pool_id(&self.pool)
            .username(username)
            .send()
            .await
        {
            Ok(u) => Some(User {
                attributes: u
                    .user_attributes()
                    .iter()
                    .map(|a| (a.name().to_owned(), a.value().unwrap_or_default().to_owned()))
                    .collect(),
                enabled: u.enabled(),
                status: u.user_status().cloned(),
            }),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_user_not_found_exception()) => None,
            Err(e) => panic!("AdminGetUser: {e:?}"),
        }
    }

    /// Sets a permanent password and signs in: the ID token and the access token.
    async fn sign_in(&self, email: &str) -> (String, String) {
        self.cognito
            .admin_set_user_password()
            .user_pool_id(&self.pool)
            .username(email)
            .password(PASSWORD)
            .permanent(true)
            .send()
            .await
            .expect("password set");
        // moto does not check the client's ExplicitAuthFlows; on AWS this flow would have to be
        // allowed on a client of its own (the web client signs in on the hosted page).
        let auth = self
            .cognito
            .admin_initiate_auth()
            .user_pool_id(&self.pool)
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::AdminUserPasswordAuth)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", PASSWORD)
            .send()
            .await
            .expect("signed in");
        let tokens = auth.authentication_result().expect("tokens");
        (
            tokens.id_token().expect("an ID token").to_owned(),
            tokens.access_token().expect("an access token").to_owned(),
        )
    }

    /// The claims of an ID token the authorizer lets through.
    async fn claims(&self, id_token: &str) -> HashMap<String, String> {
        self.verified(id_token)
            .await
            .expect("the ID token passes the authorizer")
    }

    /// What API Gateway's JWT authorizer does with a token: its signature checked against the
    /// pool's JWKS, its issuer (the pool), its expiry, and its audience: `aud`, or `client_id`
    /// when it has no `aud` (an access token), must be the web client. Then its claims, as
    /// strings. `None` when the authorizer would refuse it.
    async fn verified(&self, token: &str) -> Option<HashMap<String, String>> {
        use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
        let header = decode_header(token).ok().filter(|h| h.alg == Algorithm::RS256)?;
        let jwks: Value = reqwest::get(format!("{}/{}/.well-known/jwks.json", self.endpoint, self.pool))
            .await
            .expect("JWKS")
            .json()
            .await
            .expect("JWKS JSON");
        let key = jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .find(|k| k["kid"].as_str() == header.kid.as_deref())?;
        let key = DecodingKey::from_rsa_components(key["n"].as_str()?, key["e"].as_str()?).ok()?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[format!("https://cognito-idp.us-east-1.amazonaws.com/{}", self.pool)]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.validate_aud = false;
        let claims = strings(decode::<HashMap<String, Value>>(token, &key, &validation).ok()?.claims);
        let audience = claims.get("aud").or_else(|| claims.get("client_id"));
        (audience == Some(&self.client_id)).then_some(claims)
    }

    /// The admin API as the admin function runs it on AWS: callers from the authorizer's claims.
    fn router(&self) -> axum::Router {
        let app = AppCredentials {
            client_id: "app".into(),
            client_secret: "app-secret".into(),
        };
        let vaults = Vaults {
            store: Arc::clone(&self.store),
            cipher: Arc::new(
                TokenCipher::from_config(
                    "k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                    "k1",
                )
                .expect("keys"),
            ),
            avito: AvitoClient::new("http://127.0.0.1:9", RetryPolicy::default()).expect("client"),
            app: app.clone(),
            clock: Arc::new(SystemClock),
        };
        let settings = ConnectionSettings {
            public_base_url: "http://127.0.0.1:9".into(),
            oauth_url: "http://127.0.0.1:9/oauth".into(),
            app,
        };
        let auth = Authenticator::ApiGatewayJwt {
            tenant_claim: TENANT_ATTRIBUTE.into(),
            role_claim: ROLE_ATTRIBUTE.into(),
        };
        admin_api::router(admin_api::AdminState::new(
            self.config.clone(),
            Connections::new(Arc::clone(&self.store), vaults, settings),
            auth,
            self.provider.clone(),
        ))
    }
}

/// Claims as strings, as API Gateway passes them on.
fn strings(claims: HashMap<String, Value>) -> HashMap<String, String> {
    claims
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s,
                other => other.to_string(),
            };
            (k, v)
        })
        .collect()
}

/// A request as API Gateway hands it to the function once its JWT authorizer let it through.
async fn call(
    router: &axum::Router,
    claims: &HashMap<String, String>,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
    jwt.claims = claims.clone();
    let mut authorizer = ApiGatewayRequestAuthorizer::default();
    authorizer.jwt = Some(jwt);
    let mut context = ApiGatewayV2httpRequestContext::default();
    context.authorizer = Some(authorizer);
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty))
        .expect("request");
    request.extensions_mut().insert(RequestContext::ApiGatewayV2(context));
    let response = router.clone().oneshot(request).await.expect("an answer");
    let status = response.status();
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .expect("body")
        .to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn inviting_creates_the_account_in_the_tenant_and_sign_in_follows_the_employee() {
    let s = stack().await;
    let (acme, other) = (tenant("acme"), tenant("other"));
    let anna = s
        .employee(&acme, "Анна Петрова", Some("Anna@Shop.ru"), Role::Operator)
        .await;
    let (_, sent) = s.accounts().invite(&admin_of(&acme), &anna.id).await.expect("invited");
    let InvitationSent::Emailed { subject } = sent else {
        panic!("Cognito e-mails the invitation: {sent:?}")
    };
    let user = s.user("anna@shop.ru").await.expect("the account exists");
    assert_eq!(user.attributes.get("sub"), Some(&subject));
    assert_eq!(user.attributes.get("email").map(String::as_str), Some("anna@shop.ru"));
    assert_eq!(user.attributes.get("email_verified").map(String::as_str), Some("true"));
    assert_eq!(user.attributes.get(TENANT_ATTRIBUTE).map(String::as_str), Some("acme"));
    assert_eq!(
        user.attributes.get(ROLE_ATTRIBUTE).map(String::as_str),
        Some("operator")
    );
    assert_eq!(user.status, Some(UserStatusType::ForceChangePassword));
    assert_eq!(
        s.stored(&acme, &anna.id).await.user_id.as_deref(),
        Some(subject.as_str())
    );

    // Inviting again sends again (a new temporary password) to the same account.
    let (_, again) = s
        .accounts()
        .invite(&admin_of(&acme), &anna.id)
        .await
        .expect("invited again");
    assert_eq!(
        again,
        InvitationSent::Emailed {
            subject: subject.clone()
        }
    );
    assert_eq!(
        s.stored(&acme, &anna.id).await.user_id.as_deref(),
        Some(subject.as_str())
    );

    // The same e-mail in another tenant: 409, and nothing of acme's account changes.
    let twin = s
        .employee(&other, "Анна из другой компании", Some("anna@shop.ru"), Role::Admin)
        .await;
    let taken = s.accounts().invite(&admin_of(&other), &twin.id).await;
    assert!(matches!(taken, Err(ServiceError::Conflict(_))), "{taken:?}");
    assert_eq!(s.stored(&other, &twin.id).await.user_id, None);
    // Another tenant's employee with that e-mail disabled, or even claiming the subject, leaves
    // the account alone.
    let claiming = Employee {
        user_id: Some(subject.clone()),
        disabled: true,
        ..twin.clone()
    };
    s.accounts().follow(&other, &claiming).await.expect("followed");
    let user = s.user(&subject).await.expect("account");
    assert!(user.enabled, "another tenant cannot disable acme's account");
    assert_eq!(
        user.attributes.get(ROLE_ATTRIBUTE).map(String::as_str),
        Some("operator")
    );

    // A role change and disabling follow the record; enabling again too.
    let anna = s.stored(&acme, &anna.id).await;
    let promoted = Employee {
        role: Role::Admin,
        ..anna.clone()
    };
    s.accounts().follow(&acme, &promoted).await.expect("followed");
    let user = s.user(&subject).await.expect("account");
    assert_eq!(user.attributes.get(ROLE_ATTRIBUTE).map(String::as_str), Some("admin"));
    assert!(user.enabled);
    let disabled = Employee {
        disabled: true,
        ..promoted.clone()
    };
    s.accounts().follow(&acme, &disabled).await.expect("followed");
    assert!(!s.user(&subject).await.expect("account").enabled, "disabled");
    s.accounts().follow(&acme, &promoted).await.expect("followed");
    assert!(s.user(&subject).await.expect("account").enabled, "enabled again");

    // The e-mail changed in the record: the account is still found by the subject.
    let renamed = Employee {
        email: Some("anna.petrova@shop.ru".into()),
        role: Role::Operator,
        ..promoted.clone()
    };
    s.accounts().follow(&acme, &renamed).await.expect("followed");
    assert_eq!(
        s.user(&subject)
            .await
            .expect("account")
            .attributes
            .get(ROLE_ATTRIBUTE)
            .map(String::as_str),
        Some("operator")
    );

    // One never invited: nothing to follow, and no account appears.
    let boris = s.employee(&acme, "Борис", Some("boris@shop.ru"), Role::Operator).await;
    s.provider
        .follow(
            &acme,
            &Employee {
                disabled: true,
                ..boris
            },
        )
        .await
        .expect("nothing to do");
    assert!(s.user("boris@shop.ru").await.is_none());

    // Once they chose a password, inviting again makes them set a new one with an e-mailed code.
    s.cognito
        .admin_set_user_password()
        .user_pool_id(&s.pool)
        .username("anna@shop.ru")
        .password(PASSWORD)
        .permanent(true)
        .send()
        .await
        .expect("password set");
    let (_, reset) = s
        .accounts()
        .invite(&admin_of(&acme), &anna.id)
        .await
        .expect("invited again");
    assert_eq!(
        reset,
        InvitationSent::Emailed {
            subject: subject.clone()
        }
    );
    assert_eq!(
        s.user(&subject).await.expect("account").status,
        Some(UserStatusType::ResetRequired)
    );
}

#[tokio::test]
async fn a_pool_token_is_its_tenants_administrator_and_sees_nothing_of_another_tenant() {
    let s = stack().await;
    let (acme, other) = (tenant("acme"), tenant("other"));
    let anna = s
        .employee(&acme, "Анна Петрова", Some("anna@acme.ru"), Role::Admin)
        .await;
    let olga = s.employee(&other, "Ольга", Some("olga@other.ru"), Role::Admin).await;
    let boris = s.employee(&acme, "Борис", Some("boris@acme.ru"), Role::Operator).await;
    for (t, e) in [(&acme, &anna), (&other, &olga), (&acme, &boris)] {
        s.accounts().invite(&admin_of(t), &e.id).await.expect("invited");
    }
    let router = s.router();

    let (anna_token, anna_access_token) = s.sign_in("anna@acme.ru").await;
    let anna_claims = s.claims(&anna_token).await;
    assert_eq!(anna_claims.get("token_use").map(String::as_str), Some("id"));
    assert_eq!(anna_claims.get("aud"), Some(&s.client_id));
    assert_eq!(anna_claims.get(TENANT_ATTRIBUTE).map(String::as_str), Some("acme"));
    assert_eq!(
        anna_claims.get("sub").map(String::as_str),
        s.stored(&acme, &anna.id).await.user_id.as_deref(),
        "the caller is the employee the invitation linked"
    );
    // The caller is acme's administrator: reads acme's employees and changes the directory.
    let (status, body) = call(&router, &anna_claims, "GET", "/v1/employees", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ids: Vec<&str> = body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["id"].as_str())
        .collect();
    assert!(
        ids.contains(&anna.id.as_str()) && !ids.contains(&olga.id.as_str()),
        "{ids:?}"
    );
    let (status, created) = call(
        &router,
        &anna_claims,
        "POST",
        "/v1/employees",
        Some(json!({"name": "Вера", "email": "vera@acme.ru"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let vera = created["id"].as_str().expect("id");
    let (status, invited) = call(
        &router,
        &anna_claims,
        "POST",
        &format!("/v1/employees/{vera}/invitation"),
        None,
    )
    .await;
    assert_eq!(
        (status, invited["delivery"].as_str()),
        (StatusCode::OK, Some("email")),
        "{invited}"
    );
    let vera = s.user("vera@acme.ru").await.expect("Vera's account");
    assert_eq!(vera.attributes.get(TENANT_ATTRIBUTE).map(String::as_str), Some("acme"));

    // The access token passes the authorizer (its `client_id` is the web client) but names no
    // tenant and no role: the web interface must send the ID token.
    let access = s.verified(&anna_access_token).await.expect("the authorizer takes it");
    assert_eq!(access.get("token_use").map(String::as_str), Some("access"));
    assert!(
        !access.contains_key(TENANT_ATTRIBUTE) && !access.contains_key("aud"),
        "{access:?}"
    );
    let (status, body) = call(&router, &access, "GET", "/v1/employees", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    // An operator's token reads but does not change.
    let boris_claims = s.claims(&s.sign_in("boris@acme.ru").await.0).await;
    assert_eq!(boris_claims.get(ROLE_ATTRIBUTE).map(String::as_str), Some("operator"));
    let (status, _) = call(&router, &boris_claims, "GET", "/v1/employees", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &router,
        &boris_claims,
        "POST",
        "/v1/employees",
        Some(json!({"name": "Гость"})),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Another tenant's administrator: acme's ids are not found.
    let (olga_token, _) = s.sign_in("olga@other.ru").await;
    let olga_claims = s.claims(&olga_token).await;
    assert_eq!(olga_claims.get(TENANT_ATTRIBUTE).map(String::as_str), Some("other"));
    let (status, body) = call(
        &router,
        &olga_claims,
        "GET",
        &format!("/v1/employees/{}", anna.id),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = call(
        &router,
        &olga_claims,
        "PUT",
        &format!("/v1/employees/{}", anna.id),
        Some(json!({"name": "Чужая", "disabled": true})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(s.user("anna@acme.ru").await.expect("Anna's account").enabled);

    // A token whose claims were swapped for another's, or signed with another key, never reaches
    // the function: the authorizer refuses it.
    let part = |t: &str, i: usize| t.split('.').nth(i).expect("three parts").to_owned();
    let swapped = format!(
        "{}.{}.{}",
        part(&anna_token, 0),
        part(&olga_token, 1),
        part(&anna_token, 2)
    );
    assert!(s.verified(&swapped).await.is_none(), "tampered");
    let forged = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &anna_claims,
        &jsonwebtoken::EncodingKey::from_secret(b"not the pool's key"),
    )
    .expect("a forged token");
    assert!(s.verified(&forged).await.is_none(), "forged");
}

#[tokio::test]
async fn the_tenant_command_creates_the_first_administrator_and_invites_them() {
    let s = stack().await;
    let provider: Arc<dyn IdentityProvider> = s.provider.clone();
    let refused =
        aws_stack::tenant::create_first_administrator(&s.config, provider.clone(), "_installation", "a@b.ru", "A")
            .await;
    assert!(refused.expect_err("reserved").contains("reserved"));
    let first = aws_stack::tenant::create_first_administrator(
        &s.config,
        provider.clone(),
        "shop",
        " Owner@Shop.ru ",
        "Владелец",
    )
    .await
    .expect("created");
    assert!(first.created);
    let InvitationSent::Emailed { subject } = &first.invitation else {
        panic!("e-mailed: {:?}", first.invitation)
    };
    let shop = tenant("shop");
    let stored = s.stored(&shop, &first.employee).await;
    assert_eq!(
        (stored.role, stored.email.as_deref(), stored.user_id.as_deref()),
        (Role::Admin, Some("owner@shop.ru"), Some(subject.as_str()))
    );
    let user = s.user("owner@shop.ru").await.expect("account");
    assert_eq!(user.attributes.get(TENANT_ATTRIBUTE).map(String::as_str), Some("shop"));
    assert_eq!(user.attributes.get(ROLE_ATTRIBUTE).map(String::as_str), Some("admin"));
    // Again: the same employee, invited again.
    let again = aws_stack::tenant::create_first_administrator(&s.config, provider, "shop", "owner@shop.ru", "Владелец")
        .await
        .expect("again");
    assert_eq!((again.created, again.employee), (false, first.employee));
    assert_eq!(s.config.list_all::<Employee>(&shop).await.expect("list").len(), 1);
}
