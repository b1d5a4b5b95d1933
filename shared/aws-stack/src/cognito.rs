//! Creating the template's Cognito resources on a local endpoint (moto): the user pool, its app
//! clients and its domain, each kept if it exists (found by its name).

use crate::template::{UserPoolClientSpec, UserPoolSpec};
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::DisplayErrorContext;
use aws_sdk_cognitoidentityprovider::types::{
    AccountRecoverySettingType, AdminCreateUserConfigType, AttributeDataType, ExplicitAuthFlowsType,
    MessageTemplateType, OAuthFlowType, PasswordPolicyType, PreventUserExistenceErrorTypes, RecoveryOptionNameType,
    RecoveryOptionType, SchemaAttributeType, SoftwareTokenMfaConfigType, StringAttributeConstraintsType, TimeUnitsType,
    TokenValidityUnitsType, UserPoolMfaType, UserPoolPolicyType, UsernameAttributeType, UsernameConfigurationType,
    VerifiedAttributeType,
};

fn failed(what: &str, name: &str) -> impl Fn(String) -> String {
    let at = format!("{what} {name}");
    move |e| format!("{at}: {e}")
}

/// The id of the user pool named `name`, if there is one.
async fn existing_pool(client: &Client, name: &str) -> Result<Option<String>, String> {
    let mut pages = client.list_user_pools().max_results(60).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| failed("user pool", name)(DisplayErrorContext(e).to_string()))?;
        if let Some(id) = page
            .user_pools()
            .iter()
            .find(|p| p.name() == Some(name))
            .and_then(|p| p.id())
        {
            return Ok(Some(id.to_owned()));
        }
    }
    Ok(None)
}

/// Creates the user pool `spec` as `name` (keeping it if it exists); returns its id.
pub async fn create_user_pool(client: &Client, spec: &UserPoolSpec, name: &str) -> Result<String, String> {
    if let Some(id) = existing_pool(client, name).await? {
        return Ok(id);
    }
    let err = failed("user pool", name);
    let mut request = client
        .create_user_pool()
        .pool_name(name)
        .set_username_attributes((!spec.username_attributes.is_empty()).then(|| {
            spec.username_attributes
                .iter()
                .map(|a| UsernameAttributeType::from(a.as_str()))
                .collect()
        }))
        .set_auto_verified_attributes((!spec.auto_verified_attributes.is_empty()).then(|| {
            spec.auto_verified_attributes
                .iter()
                .map(|a| VerifiedAttributeType::from(a.as_str()))
                .collect()
        }))
        .set_mfa_configuration(spec.mfa_configuration.as_deref().map(UserPoolMfaType::from));
    if let Some(case_sensitive) = spec.case_sensitive {
        request = request.username_configuration(
            UsernameConfigurationType::builder()
                .case_sensitive(case_sensitive)
                .build()
                .map_err(|e| err(e.to_string()))?,
        );
    }
    if !spec.recovery_mechanisms.is_empty() {
        let mechanisms = spec
            .recovery_mechanisms
            .iter()
            .map(|(mechanism, priority)| {
                RecoveryOptionType::builder()
                    .name(RecoveryOptionNameType::from(mechanism.as_str()))
                    .priority(*priority)
                    .build()
                    .map_err(|e| err(e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        request = request.account_recovery_setting(
            AccountRecoverySettingType::builder()
                .set_recovery_mechanisms(Some(mechanisms))
                .build(),
        );
    }
    if let Some(p) = &spec.password_policy {
        let policy = PasswordPolicyType::builder()
            .set_minimum_length(p.minimum_length)
            .set_require_uppercase(p.require_uppercase)
            .set_require_lowercase(p.require_lowercase)
            .set_require_numbers(p.require_numbers)
            .set_require_symbols(p.require_symbols)
            .set_temporary_password_validity_days(p.temporary_password_validity_days)
            .build();
        request = request.policies(UserPoolPolicyType::builder().password_policy(policy).build());
    }
    if spec.admin_create_user_only.is_some() || spec.invite_email.is_some() {
        let invite = spec.invite_email.as_ref().map(|(subject, message)| {
            MessageTemplateType::builder()
                .email_subject(subject)
                .email_message(message)
                .build()
        });
        request = request.admin_create_user_config(
            AdminCreateUserConfigType::builder()
                .set_allow_admin_create_user_only(spec.admin_create_user_only)
                .set_invite_message_template(invite)
                .build(),
        );
    }
    for attribute in &spec.custom_attributes {
        let constraints = (attribute.min_length.is_some() || attribute.max_length.is_some()).then(|| {
            StringAttributeConstraintsType::builder()
                .set_min_length(attribute.min_length.clone())
                .set_max_length(attribute.max_length.clone())
                .build()
        });
        request = request.schema(
            SchemaAttributeType::builder()
                .name(&attribute.name)
                .attribute_data_type(AttributeDataType::from(attribute.data_type.as_str()))
                .mutable(attribute.mutable)
                .set_string_attribute_constraints(constraints)
                .build(),
        );
    }
    let created = request
        .send()
        .await
        .map_err(|e| err(DisplayErrorContext(e).to_string()))?;
    let id = created
        .user_pool()
        .and_then(|p| p.id())
        .ok_or_else(|| err("no id".into()))?
        .to_owned();
    if spec.enabled_mfas.iter().any(|m| m == "SOFTWARE_TOKEN_MFA") {
        client
            .set_user_pool_mfa_config()
            .user_pool_id(&id)
            .set_mfa_configuration(spec.mfa_configuration.as_deref().map(UserPoolMfaType::from))
            .software_token_mfa_configuration(SoftwareTokenMfaConfigType::builder().enabled(true).build())
            .send()
            .await
            .map_err(|e| err(DisplayErrorContext(e).to_string()))?;
    }
    Ok(id)
}

fn some_list<T>(items: &[String], each: impl Fn(&str) -> T) -> Option<Vec<T>> {
    (!items.is_empty()).then(|| items.iter().map(|i| each(i.as_str())).collect())
}

/// Creates the app client `spec` of the user pool `pool_id` as `name` (keeping it if it exists);
/// returns its id.
pub async fn create_user_pool_client(
    client: &Client,
    spec: &UserPoolClientSpec,
    pool_id: &str,
    name: &str,
) -> Result<String, String> {
    let err = failed("app client", name);
    let mut pages = client
        .list_user_pool_clients()
        .user_pool_id(pool_id)
        .max_results(60)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| err(DisplayErrorContext(e).to_string()))?;
        if let Some(id) = page
            .user_pool_clients()
            .iter()
            .find(|c| c.client_name() == Some(name))
            .and_then(|c| c.client_id())
        {
            return Ok(id.to_owned());
        }
    }
    let (id_unit, access_unit, refresh_unit) = &spec.token_validity_units;
    let units = (id_unit.is_some() || access_unit.is_some() || refresh_unit.is_some()).then(|| {
        TokenValidityUnitsType::builder()
            .set_id_token(id_unit.as_deref().map(TimeUnitsType::from))
            .set_access_token(access_unit.as_deref().map(TimeUnitsType::from))
            .set_refresh_token(refresh_unit.as_deref().map(TimeUnitsType::from))
            .build()
    });
    let created = client
        .create_user_pool_client()
        .user_pool_id(pool_id)
        .client_name(name)
        .generate_secret(spec.generate_secret)
        .set_allowed_o_auth_flows_user_pool_client(spec.allowed_oauth_flows_user_pool_client)
        .set_allowed_o_auth_flows(some_list(&spec.allowed_oauth_flows, |f| OAuthFlowType::from(f)))
        .set_allowed_o_auth_scopes(some_list(&spec.allowed_oauth_scopes, str::to_owned))
        .set_supported_identity_providers(some_list(&spec.supported_identity_providers, str::to_owned))
        .set_callback_urls(some_list(&spec.callback_urls, str::to_owned))
        .set_logout_urls(some_list(&spec.logout_urls, str::to_owned))
        .set_explicit_auth_flows(some_list(&spec.explicit_auth_flows, |f| ExplicitAuthFlowsType::from(f)))
        .set_prevent_user_existence_errors(
            spec.prevent_user_existence_errors
                .as_deref()
                .map(PreventUserExistenceErrorTypes::from),
        )
        .set_enable_token_revocation(spec.enable_token_revocation)
        .set_id_token_validity(spec.id_token_validity)
        .set_access_token_validity(spec.access_token_validity)
        .set_refresh_token_validity(spec.refresh_token_validity)
        .set_token_validity_units(units)
        .set_read_attributes(some_list(&spec.read_attributes, str::to_owned))
        .set_write_attributes(some_list(&spec.write_attributes, str::to_owned))
        .send()
        .await
        .map_err(|e| err(DisplayErrorContext(e).to_string()))?;
    created
        .user_pool_client()
        .and_then(|c| c.client_id())
        .map(str::to_owned)
        .ok_or_else(|| err("no id".into()))
}

/// Creates the prefix domain `name` of the user pool `pool_id` (keeping it if it exists).
pub async fn create_user_pool_domain(client: &Client, pool_id: &str, name: &str) -> Result<(), String> {
    let err = failed("user pool domain", name);
    let existing = client
        .describe_user_pool_domain()
        .domain(name)
        .send()
        .await
        .map_err(|e| err(DisplayErrorContext(e).to_string()))?;
    if existing.domain_description().and_then(|d| d.user_pool_id()).is_some() {
        return Ok(());
    }
    client
        .create_user_pool_domain()
        .user_pool_id(pool_id)
        .domain(name)
        .send()
        .await
        .map(drop)
        .map_err(|e| err(DisplayErrorContext(e).to_string()))
}
