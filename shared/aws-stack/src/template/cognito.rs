//! The template's Cognito resources: user pools (sign-in settings, password policy, MFA, the
//! invitation, custom attributes), their app clients (OAuth flows, scopes, URLs, token validity,
//! which attributes the client reads and writes) and their domains.

use super::{intrinsic, list, only_known, string};
use serde_yaml_ng::Value;

/// Values of the template's parameters where a local resource needs one (moto serves no hosted
/// sign-in page, so the URLs only have to be well-formed): the local server's address.
pub const LOCAL_PARAMETERS: [(&str, &str); 1] = [("PublicBaseUrl", "http://127.0.0.1:8080")];

/// `LambdaConfig` too: moto runs no trigger; the hosted page `aws_local` plays runs the
/// post-authentication one.
const POOL_NOT_APPLIED: [&str; 6] = [
    "LambdaConfig",
    "UserPoolName",
    "DeletionProtection",
    "UserPoolTags",
    "EmailConfiguration",
    "UserPoolTier",
];
const CLIENT_NOT_APPLIED: [&str; 1] = ["ClientName"];

/// A user pool as the template declares it.
#[derive(Clone, Debug, PartialEq)]
pub struct UserPoolSpec {
    pub logical_id: String,
    /// `email` and/or `phone_number`: what people sign in with instead of a username.
    pub username_attributes: Vec<String>,
    pub case_sensitive: Option<bool>,
    pub auto_verified_attributes: Vec<String>,
    /// (mechanism, priority).
    pub recovery_mechanisms: Vec<(String, i32)>,
    pub password_policy: Option<PasswordPolicySpec>,
    /// `OFF`, `ON` or `OPTIONAL`.
    pub mfa_configuration: Option<String>,
    /// e.g. `SOFTWARE_TOKEN_MFA`.
    pub enabled_mfas: Vec<String>,
    pub admin_create_user_only: Option<bool>,
    /// The invitation e-mail's subject and message, parameters substituted.
    pub invite_email: Option<(String, String)>,
    pub custom_attributes: Vec<AttributeSpec>,
}

/// A user pool's password policy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PasswordPolicySpec {
    pub minimum_length: Option<i32>,
    pub require_uppercase: Option<bool>,
    pub require_lowercase: Option<bool>,
    pub require_numbers: Option<bool>,
    pub require_symbols: Option<bool>,
    pub temporary_password_validity_days: Option<i32>,
}

/// A custom attribute of a user pool's schema (`custom:<name>` on users and in tokens).
#[derive(Clone, Debug, PartialEq)]
pub struct AttributeSpec {
    pub name: String,
    /// `String`, `Number`, `DateTime` or `Boolean`.
    pub data_type: String,
    pub mutable: bool,
    pub min_length: Option<String>,
    pub max_length: Option<String>,
}

/// A user pool's app client as the template declares it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserPoolClientSpec {
    pub logical_id: String,
    /// The logical id of its user pool.
    pub user_pool: String,
    pub generate_secret: bool,
    pub allowed_oauth_flows_user_pool_client: Option<bool>,
    pub allowed_oauth_flows: Vec<String>,
    pub allowed_oauth_scopes: Vec<String>,
    pub supported_identity_providers: Vec<String>,
    /// Parameters substituted ([`LOCAL_PARAMETERS`]).
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    pub explicit_auth_flows: Vec<String>,
    pub prevent_user_existence_errors: Option<String>,
    pub enable_token_revocation: Option<bool>,
    pub id_token_validity: Option<i32>,
    pub access_token_validity: Option<i32>,
    pub refresh_token_validity: Option<i32>,
    /// Units of the three validities: (id token, access token, refresh token).
    pub token_validity_units: (Option<String>, Option<String>, Option<String>),
    pub read_attributes: Vec<String>,
    pub write_attributes: Vec<String>,
}

/// A user pool's (prefix) domain.
#[derive(Clone, Debug, PartialEq)]
pub struct UserPoolDomainSpec {
    pub logical_id: String,
    /// The logical id of its user pool.
    pub user_pool: String,
}

/// A literal, or `!Sub` of a string whose `${...}` are all [`LOCAL_PARAMETERS`].
fn text(value: &Value, what: &str) -> Result<String, String> {
    match intrinsic(value) {
        None => string(value, what),
        Some(("Sub", Value::String(template))) => {
            let mut out = String::new();
            let mut rest = template.as_str();
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 2..];
                let end = after.find('}').ok_or_else(|| format!("{what}: unclosed ${{"))?;
                let name = &after[..end];
                let value = LOCAL_PARAMETERS
                    .iter()
                    .find(|(p, _)| *p == name)
                    .map(|(_, v)| *v)
                    .ok_or_else(|| format!("{what}: ${{{name}}} has no local value"))?;
                out.push_str(value);
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            Ok(out)
        }
        Some((name, _)) => Err(format!("{what}: {name} is not supported locally")),
    }
}

fn texts(value: &Value, name: &str) -> Result<Vec<String>, String> {
    list(value, name)?.iter().map(|v| text(v, name)).collect()
}

fn flag(value: &Value, name: &str) -> Result<Option<bool>, String> {
    value
        .get(name)
        .map(|v| match string(v, name)?.as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(format!("{name} is not true or false")),
        })
        .transpose()
}

fn number(value: &Value, name: &str) -> Result<Option<i32>, String> {
    value
        .get(name)
        .map(|v| {
            string(v, name)?
                .parse()
                .map_err(|_| format!("{name} is not an integer"))
        })
        .transpose()
}

fn optional_text(value: &Value, name: &str) -> Result<Option<String>, String> {
    value.get(name).map(|v| text(v, name)).transpose()
}

/// The logical id a `!Ref` names.
fn reference(value: Option<&Value>, name: &str) -> Result<String, String> {
    match value.and_then(intrinsic) {
        Some(("Ref", Value::String(id))) => Ok(id.clone()),
        _ => Err(format!("{name} is not !Ref of a user pool")),
    }
}

pub(super) fn user_pool(id: &str, p: &Value) -> Result<UserPoolSpec, String> {
    only_known(
        p,
        &[
            "UsernameAttributes",
            "UsernameConfiguration",
            "AutoVerifiedAttributes",
            "AccountRecoverySetting",
            "Policies",
            "MfaConfiguration",
            "EnabledMfas",
            "AdminCreateUserConfig",
            "Schema",
        ],
        &POOL_NOT_APPLIED,
    )?;
    let case_sensitive = match p.get("UsernameConfiguration") {
        None => None,
        Some(c) => {
            only_known(c, &["CaseSensitive"], &[]).map_err(|e| format!("UsernameConfiguration: {e}"))?;
            flag(c, "CaseSensitive")?
        }
    };
    let recovery_mechanisms = match p.get("AccountRecoverySetting") {
        None => Vec::new(),
        Some(r) => {
            only_known(r, &["RecoveryMechanisms"], &[]).map_err(|e| format!("AccountRecoverySetting: {e}"))?;
            list(r, "RecoveryMechanisms")?
                .iter()
                .map(|m| {
                    only_known(m, &["Name", "Priority"], &[])?;
                    let name = text(m.get("Name").ok_or("a recovery mechanism has no Name")?, "Name")?;
                    Ok((
                        name,
                        number(m, "Priority")?.ok_or("a recovery mechanism has no Priority")?,
                    ))
                })
                .collect::<Result<_, String>>()?
        }
    };
    let password_policy = match p.get("Policies") {
        None => None,
        Some(policies) => {
            only_known(policies, &["PasswordPolicy"], &[]).map_err(|e| format!("Policies: {e}"))?;
            match policies.get("PasswordPolicy") {
                None => None,
                Some(pp) => {
                    only_known(
                        pp,
                        &[
                            "MinimumLength",
                            "RequireUppercase",
                            "RequireLowercase",
                            "RequireNumbers",
                            "RequireSymbols",
                            "TemporaryPasswordValidityDays",
                        ],
                        &[],
                    )
                    .map_err(|e| format!("PasswordPolicy: {e}"))?;
                    Some(PasswordPolicySpec {
                        minimum_length: number(pp, "MinimumLength")?,
                        require_uppercase: flag(pp, "RequireUppercase")?,
                        require_lowercase: flag(pp, "RequireLowercase")?,
                        require_numbers: flag(pp, "RequireNumbers")?,
                        require_symbols: flag(pp, "RequireSymbols")?,
                        temporary_password_validity_days: number(pp, "TemporaryPasswordValidityDays")?,
                    })
                }
            }
        }
    };
    let (admin_create_user_only, invite_email) = match p.get("AdminCreateUserConfig") {
        None => (None, None),
        Some(c) => {
            only_known(c, &["AllowAdminCreateUserOnly", "InviteMessageTemplate"], &[])
                .map_err(|e| format!("AdminCreateUserConfig: {e}"))?;
            let invite = match c.get("InviteMessageTemplate") {
                None => None,
                Some(t) => {
                    only_known(t, &["EmailSubject", "EmailMessage"], &[])
                        .map_err(|e| format!("InviteMessageTemplate: {e}"))?;
                    let part =
                        |name: &str| optional_text(t, name)?.ok_or_else(|| format!("InviteMessageTemplate: no {name}"));
                    Some((part("EmailSubject")?, part("EmailMessage")?))
                }
            };
            (flag(c, "AllowAdminCreateUserOnly")?, invite)
        }
    };
    let custom_attributes = list(p, "Schema")?
        .iter()
        .map(|a| {
            only_known(
                a,
                &["Name", "AttributeDataType", "Mutable", "StringAttributeConstraints"],
                &[],
            )
            .map_err(|e| format!("Schema: {e}"))?;
            let name = optional_text(a, "Name")?.ok_or("a Schema attribute has no Name")?;
            let constraints = a.get("StringAttributeConstraints");
            if let Some(c) = constraints {
                only_known(c, &["MinLength", "MaxLength"], &[]).map_err(|e| format!("{name}: {e}"))?;
            }
            Ok(AttributeSpec {
                data_type: optional_text(a, "AttributeDataType")?
                    .ok_or_else(|| format!("{name}: no AttributeDataType"))?,
                mutable: flag(a, "Mutable")?.unwrap_or(true),
                min_length: constraints
                    .map(|c| optional_text(c, "MinLength"))
                    .transpose()?
                    .flatten(),
                max_length: constraints
                    .map(|c| optional_text(c, "MaxLength"))
                    .transpose()?
                    .flatten(),
                name,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(UserPoolSpec {
        logical_id: id.to_owned(),
        username_attributes: texts(p, "UsernameAttributes")?,
        case_sensitive,
        auto_verified_attributes: texts(p, "AutoVerifiedAttributes")?,
        recovery_mechanisms,
        password_policy,
        mfa_configuration: optional_text(p, "MfaConfiguration")?,
        enabled_mfas: texts(p, "EnabledMfas")?,
        admin_create_user_only,
        invite_email,
        custom_attributes,
    })
}

pub(super) fn user_pool_client(id: &str, p: &Value) -> Result<UserPoolClientSpec, String> {
    only_known(
        p,
        &[
            "UserPoolId",
            "GenerateSecret",
            "AllowedOAuthFlowsUserPoolClient",
            "AllowedOAuthFlows",
            "AllowedOAuthScopes",
            "SupportedIdentityProviders",
            "CallbackURLs",
            "LogoutURLs",
            "ExplicitAuthFlows",
            "PreventUserExistenceErrors",
            "EnableTokenRevocation",
            "IdTokenValidity",
            "AccessTokenValidity",
            "RefreshTokenValidity",
            "TokenValidityUnits",
            "ReadAttributes",
            "WriteAttributes",
        ],
        &CLIENT_NOT_APPLIED,
    )?;
    let units = match p.get("TokenValidityUnits") {
        None => (None, None, None),
        Some(u) => {
            only_known(u, &["IdToken", "AccessToken", "RefreshToken"], &[])
                .map_err(|e| format!("TokenValidityUnits: {e}"))?;
            (
                optional_text(u, "IdToken")?,
                optional_text(u, "AccessToken")?,
                optional_text(u, "RefreshToken")?,
            )
        }
    };
    Ok(UserPoolClientSpec {
        logical_id: id.to_owned(),
        user_pool: reference(p.get("UserPoolId"), "UserPoolId")?,
        generate_secret: flag(p, "GenerateSecret")?.unwrap_or(false),
        allowed_oauth_flows_user_pool_client: flag(p, "AllowedOAuthFlowsUserPoolClient")?,
        allowed_oauth_flows: texts(p, "AllowedOAuthFlows")?,
        allowed_oauth_scopes: texts(p, "AllowedOAuthScopes")?,
        supported_identity_providers: texts(p, "SupportedIdentityProviders")?,
        callback_urls: texts(p, "CallbackURLs")?,
        logout_urls: texts(p, "LogoutURLs")?,
        explicit_auth_flows: texts(p, "ExplicitAuthFlows")?,
        prevent_user_existence_errors: optional_text(p, "PreventUserExistenceErrors")?,
        enable_token_revocation: flag(p, "EnableTokenRevocation")?,
        id_token_validity: number(p, "IdTokenValidity")?,
        access_token_validity: number(p, "AccessTokenValidity")?,
        refresh_token_validity: number(p, "RefreshTokenValidity")?,
        token_validity_units: units,
        read_attributes: texts(p, "ReadAttributes")?,
        write_attributes: texts(p, "WriteAttributes")?,
    })
}

pub(super) fn user_pool_domain(id: &str, p: &Value) -> Result<UserPoolDomainSpec, String> {
    // The domain is named after the prefix locally, like every resource.
    only_known(p, &["UserPoolId"], &["Domain"])?;
    Ok(UserPoolDomainSpec {
        logical_id: id.to_owned(),
        user_pool: reference(p.get("UserPoolId"), "UserPoolId")?,
    })
}

#[cfg(test)]
mod tests {
    use super::super::StackTemplate;

    #[test]
    fn the_repository_template_declares_the_user_pool_its_web_client_and_domain() {
        let t = StackTemplate::repository().expect("infra/template.yaml parses");
        let [pool] = t.user_pools.as_slice() else {
            panic!("one user pool: {:?}", t.user_pools)
        };
        assert_eq!(pool.username_attributes, ["email"]);
        assert_eq!(pool.case_sensitive, Some(false));
        assert_eq!(pool.admin_create_user_only, Some(true));
        assert_eq!(pool.mfa_configuration.as_deref(), Some("OPTIONAL"));
        assert_eq!(pool.enabled_mfas, ["SOFTWARE_TOKEN_MFA"]);
        let policy = pool.password_policy.clone().expect("a password policy");
        assert!(policy.minimum_length.is_some_and(|n| n >= 10));
        assert_eq!(
            (
                policy.require_uppercase,
                policy.require_lowercase,
                policy.require_numbers
            ),
            (Some(true), Some(true), Some(true))
        );
        let (subject, message) = pool.invite_email.clone().expect("an invitation");
        assert!(subject.contains("Приглашение"), "{subject}");
        assert!(
            message.contains("{username}") && message.contains("{####}") && message.contains("http://127.0.0.1:8080/"),
            "{message}"
        );
        let custom: Vec<(&str, &str, bool)> = pool
            .custom_attributes
            .iter()
            .map(|a| (a.name.as_str(), a.data_type.as_str(), a.mutable))
            .collect();
        assert_eq!(custom, [("tenant_id", "String", true), ("role", "String", true)]);

        let [client] = t.user_pool_clients.as_slice() else {
            panic!("one app client: {:?}", t.user_pool_clients)
        };
        assert_eq!(client.user_pool, pool.logical_id);
        assert!(!client.generate_secret, "a browser keeps no secret");
        assert_eq!(client.allowed_oauth_flows, ["code"]);
        assert_eq!(client.allowed_oauth_scopes, ["openid", "email", "profile"]);
        assert_eq!(client.callback_urls, ["http://127.0.0.1:8080/"]);
        assert!(client.read_attributes.iter().any(|a| a == "custom:tenant_id"));
        assert!(client.read_attributes.iter().any(|a| a == "custom:role"));
        assert!(
            !client
                .write_attributes
                .iter()
                .any(|a| a.starts_with("custom:") || a == "email"),
            "people cannot change their tenant, role or e-mail: {:?}",
            client.write_attributes
        );
        assert!(
            client
                .explicit_auth_flows
                .iter()
                .any(|f| f == "ALLOW_REFRESH_TOKEN_AUTH")
        );
        assert_eq!(t.user_pool_domains.len(), 1);
        assert_eq!(t.user_pool_domains[0].user_pool, pool.logical_id);
    }

    #[test]
    fn an_unknown_cognito_property_fails() {
        let text = "Resources:\n  P:\n    Type: AWS::Cognito::UserPool\n    Properties:\n      SmsConfiguration: {}\n";
        let e = StackTemplate::parse(text).expect_err("SmsConfiguration is not supported");
        assert!(e.contains("SmsConfiguration"), "{e}");
        let text = "Resources:\n  P:\n    Type: AWS::Cognito::UserPool\n  C:\n    Type: AWS::Cognito::UserPoolClient\n    Properties:\n      UserPoolId: !Ref P\n      CallbackURLs: [!Sub \"${Elsewhere}/\"]\n";
        let e = StackTemplate::parse(text).expect_err("no local value");
        assert!(e.contains("Elsewhere"), "{e}");
    }
}
