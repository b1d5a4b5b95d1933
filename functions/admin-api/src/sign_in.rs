//! How the web interface signs people in, asked before anyone is signed in (`GET /v1/sign-in`, no
//! token): on the local server with the product's own accounts (`/v1/session`), on AWS on Amazon
//! Cognito's hosted sign-in page, with the OAuth 2.0 authorization code flow and PKCE (the web
//! client has no secret). Nothing in the answer is a secret: the client id and the pool's
//! addresses are what every browser sends to Cognito anyway.

use crate::state::AdminState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;

/// The OAuth scopes the web client asks for (the template's `AllowedOAuthScopes`).
pub const SCOPES: &str = "openid email profile";

/// How to sign in here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "provider", rename_all = "snake_case")]
pub enum SignInView {
    /// The product's own accounts: e-mail and password through `POST /v1/session` (the local
    /// server).
    Local,
    /// Amazon Cognito's hosted sign-in page. Send the ID token (not the access token: only the ID
    /// token carries the tenant and role claims and the client id as its audience) as
    /// `Authorization: Bearer <id token>`.
    Cognito(Box<CognitoSignIn>),
}

/// Where and how to sign in with Cognito.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CognitoSignIn {
    /// The AWS region of the user pool.
    pub region: String,
    pub user_pool_id: String,
    /// The web client's id (`client_id` of every request to Cognito; the ID token's `aud`).
    pub client_id: String,
    /// The hosted sign-in domain, `https://<prefix>.auth.<region>.amazoncognito.com`.
    pub domain_url: String,
    /// Send the browser here with `response_type=code`, `client_id`, `redirect_uri`, `scope`,
    /// `state`, `code_challenge` and `code_challenge_method=S256`.
    pub authorize_url: String,
    /// `POST` (form-encoded) `grant_type=authorization_code` with `code`, `client_id`,
    /// `redirect_uri` and `code_verifier`; later `grant_type=refresh_token` with `refresh_token`
    /// and `client_id` for new tokens.
    pub token_url: String,
    /// Send the browser here with `client_id` and `logout_uri` to sign out of the hosted page.
    pub logout_url: String,
    /// Where Cognito sends the browser back (with `code` and `state`), and the `logout_uri`.
    pub redirect_uri: String,
    /// The scopes to ask for, space-separated.
    pub scope: String,
}

impl CognitoSignIn {
    /// From the admin function's environment: `COGNITO_USER_POOL_ID`, `COGNITO_CLIENT_ID`,
    /// `COGNITO_DOMAIN_URL`, `COGNITO_REGION` (else `AWS_REGION`) and `PUBLIC_BASE_URL`. Errors
    /// name the missing variable.
    pub fn from_vars(vars: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let var = |name: &str| {
            vars(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| format!("{name} is not set"))
        };
        let domain_url = var("COGNITO_DOMAIN_URL")?.trim_end_matches('/').to_owned();
        // Plain HTTP only on this machine (the hosted page `make watch` plays).
        let loopback = ["http://127.0.0.1:", "http://localhost:"]
            .iter()
            .any(|p| domain_url.starts_with(p));
        if !domain_url.starts_with("https://") && !loopback {
            return Err("COGNITO_DOMAIN_URL must start with https:// (http:// only on 127.0.0.1 or localhost)".into());
        }
        let region = var("COGNITO_REGION").or_else(|_| var("AWS_REGION"))?;
        let base = var("PUBLIC_BASE_URL")?;
        Ok(Self {
            region,
            user_pool_id: var("COGNITO_USER_POOL_ID")?,
            client_id: var("COGNITO_CLIENT_ID")?,
            authorize_url: format!("{domain_url}/oauth2/authorize"),
            token_url: format!("{domain_url}/oauth2/token"),
            logout_url: format!("{domain_url}/logout"),
            redirect_uri: format!("{}/", base.trim_end_matches('/')),
            scope: SCOPES.to_owned(),
            domain_url,
        })
    }
}

/// How to sign in (no token needed).
#[utoipa::path(get, path = "/v1/sign-in", tag = "sign-in",
    responses((status = 200, description = "How the web interface signs people in here", body = SignInView)))]
pub async fn sign_in(State(s): State<AdminState>) -> Json<SignInView> {
    Json(s.sign_in.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cognito_sign_in_comes_from_the_environment() {
        let env = |name: &str| {
            Some(
                match name {
                    "COGNITO_USER_POOL_ID" => "eu-central-1_Abc",
                    "COGNITO_CLIENT_ID" => "client123",
                    "COGNITO_DOMAIN_URL" => "https://cc.auth.eu-central-1.amazoncognito.com/",
                    "AWS_REGION" => "eu-central-1",
                    "PUBLIC_BASE_URL" => "https://cc.example.ru/",
                    _ => return None,
                }
                .to_owned(),
            )
        };
        let s = CognitoSignIn::from_vars(&env).expect("configured");
        assert_eq!(s.region, "eu-central-1");
        assert_eq!(
            s.authorize_url,
            "https://cc.auth.eu-central-1.amazoncognito.com/oauth2/authorize"
        );
        assert_eq!(
            s.token_url,
            "https://cc.auth.eu-central-1.amazoncognito.com/oauth2/token"
        );
        assert_eq!(s.redirect_uri, "https://cc.example.ru/");
        let view = serde_json::to_value(SignInView::Cognito(Box::new(s))).expect("JSON");
        assert_eq!(view["provider"], "cognito");
        assert_eq!(view["client_id"], "client123");
        assert_eq!(
            serde_json::to_value(SignInView::Local).expect("JSON"),
            serde_json::json!({"provider": "local"})
        );
        let missing = |name: &str| if name == "COGNITO_CLIENT_ID" { None } else { env(name) };
        assert_eq!(
            CognitoSignIn::from_vars(&missing).err().as_deref(),
            Some("COGNITO_CLIENT_ID is not set")
        );
    }
}
