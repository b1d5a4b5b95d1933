//! The resources created on moto are the ones `infra/template.yaml` declares: the table's keys,
//! attributes, indexes with their projections, billing mode, time to live and stream; each queue's
//! attributes and redrive policy; the schedule group; the Cognito user pool (sign-in by e-mail,
//! password policy, MFA, admin-only sign-up with the invitation, custom attributes), its web
//! client (no secret, the code flow, scopes, URLs, token validity, what it reads and writes) and
//! its domain. Fails if what gets created drifts from the
//! template. Needs moto at `AWS_ENDPOINT_URL` (`tests/scripts/with-moto.sh`, as `make test` runs).

use adapters::aws::{
    cognito_client_from_env, dynamodb_client_from_env, scheduler_client_from_env, sqs_client_from_env,
};
use aws_sdk_sqs::types::QueueAttributeName;
use aws_stack::{StackTemplate, resource_name};
use std::collections::HashMap;

/// An index as compared: name, key schema, projection type, projected non-key attributes.
type Index = (String, Vec<(String, String)>, String, Vec<String>);

fn pairs<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = items.map(|(a, b)| (a.to_owned(), b.to_owned())).collect();
    v.sort();
    v
}

fn sorted(v: &[(String, String)]) -> Vec<(String, String)> {
    let mut v = v.to_vec();
    v.sort();
    v
}

#[tokio::test]
async fn what_gets_created_on_moto_is_what_the_template_declares() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
    assert!(
        endpoint.starts_with("http://127.0.0.1"),
        "needs moto on loopback: run under tests/scripts/with-moto.sh"
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let prefix = format!("drift-{nanos}");
    let template = StackTemplate::repository().expect("infra/template.yaml");
    let env: HashMap<String, String> = template.create(&prefix).await.expect("created").into_iter().collect();
    // Idempotent: a second run keeps what exists and names the same resources.
    let again: HashMap<String, String> = template
        .create(&prefix)
        .await
        .expect("created again")
        .into_iter()
        .collect();
    assert_eq!(env, again);

    // The table.
    let spec = template.table().expect("one table");
    let table_name = resource_name(&prefix, &spec.logical_id);
    assert_eq!(env.get("TABLE_NAME"), Some(&table_name));
    let dynamodb = dynamodb_client_from_env().await;
    let described = dynamodb
        .describe_table()
        .table_name(&table_name)
        .send()
        .await
        .expect("describe table");
    let table = described.table().expect("table");
    assert_eq!(
        pairs(
            table
                .attribute_definitions()
                .iter()
                .map(|a| (a.attribute_name(), a.attribute_type().as_str()))
        ),
        sorted(&spec.attributes),
        "attribute definitions"
    );
    let keys = |k: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
        k.iter()
            .map(|e| (e.attribute_name().to_owned(), e.key_type().as_str().to_owned()))
            .collect()
    };
    assert_eq!(keys(table.key_schema()), spec.key_schema, "key schema");
    if let Some(mode) = &spec.billing_mode {
        assert_eq!(
            table
                .billing_mode_summary()
                .and_then(|b| b.billing_mode())
                .map(|b| b.as_str()),
            Some(mode.as_str()),
            "billing mode"
        );
    }
    let mut indexes: Vec<Index> = table
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            let projection = i.projection();
            (
                i.index_name().unwrap_or_default().to_owned(),
                keys(i.key_schema()),
                projection
                    .and_then(|p| p.projection_type())
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default(),
                projection.map(|p| p.non_key_attributes().to_vec()).unwrap_or_default(),
            )
        })
        .collect();
    indexes.sort();
    let mut declared: Vec<Index> = spec
        .global_secondary_indexes
        .iter()
        .map(|i| {
            (
                i.name.clone(),
                i.key_schema.clone(),
                i.projection_type.clone(),
                i.non_key_attributes.clone(),
            )
        })
        .collect();
    declared.sort();
    assert_eq!(indexes, declared, "global secondary indexes and their projections");
    if let Some((attribute, enabled)) = &spec.time_to_live {
        let ttl = dynamodb
            .describe_time_to_live()
            .table_name(&table_name)
            .send()
            .await
            .expect("describe time to live");
        let description = ttl.time_to_live_description().expect("time to live");
        assert_eq!(description.attribute_name(), Some(attribute.as_str()), "time to live");
        let status = description
            .time_to_live_status()
            .map(|s| s.as_str())
            .unwrap_or_default();
        assert_eq!(
            matches!(status, "ENABLED" | "ENABLING"),
            *enabled,
            "time to live {status}"
        );
    }
    assert_eq!(
        table
            .stream_specification()
            .filter(|s| s.stream_enabled())
            .and_then(|s| s.stream_view_type())
            .map(|v| v.as_str().to_owned()),
        spec.stream_view_type,
        "the table's stream"
    );
    assert_eq!(table.latest_stream_arn().is_some(), spec.stream_view_type.is_some());

    // The queues.
    let sqs = sqs_client_from_env().await;
    let mut arns = HashMap::new();
    let mut attributes = HashMap::new();
    for queue in &template.queues {
        let url = sqs
            .get_queue_url()
            .queue_name(resource_name(&prefix, &queue.logical_id))
            .send()
            .await
            .expect("queue exists")
            .queue_url()
            .expect("url")
            .to_owned();
        let got = sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .expect("queue attributes");
        let got: HashMap<String, String> = got
            .attributes()
            .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), v.clone())).collect())
            .unwrap_or_default();
        arns.insert(queue.logical_id.clone(), got.get("QueueArn").cloned().expect("arn"));
        attributes.insert(queue.logical_id.clone(), (url, got));
    }
    for queue in &template.queues {
        let (url, got) = &attributes[&queue.logical_id];
        for (name, value) in &queue.attributes {
            assert_eq!(got.get(name), Some(value), "{} {name}", queue.logical_id);
        }
        let redrive = got
            .get("RedrivePolicy")
            .map(|p| serde_json::from_str::<serde_json::Value>(p).expect("redrive policy is JSON"));
        match &queue.redrive {
            None => assert!(redrive.is_none(), "{} has no redrive policy", queue.logical_id),
            Some(declared) => {
                let redrive = redrive.expect("redrive policy");
                assert_eq!(
                    redrive["deadLetterTargetArn"].as_str(),
                    arns.get(&declared.dead_letter_queue).map(String::as_str),
                    "{} dead-letter queue",
                    queue.logical_id
                );
                let count = match &redrive["maxReceiveCount"] {
                    serde_json::Value::String(s) => s.parse::<u32>().ok(),
                    other => other.as_u64().and_then(|n| u32::try_from(n).ok()),
                };
                assert_eq!(
                    count,
                    Some(declared.max_receive_count),
                    "{} maxReceiveCount",
                    queue.logical_id
                );
            }
        }
        let referenced: Vec<&String> = template
            .references
            .iter()
            .filter(|(_, id)| *id == queue.logical_id)
            .map(|(variable, _)| variable)
            .collect();
        for variable in referenced {
            assert_eq!(env.get(variable), Some(url), "{variable}");
        }
    }

    // The schedule groups.
    let scheduler = scheduler_client_from_env().await;
    for group in &template.schedule_groups {
        let name = resource_name(&prefix, group);
        let got = scheduler
            .get_schedule_group()
            .name(&name)
            .send()
            .await
            .expect("schedule group exists");
        assert_eq!(got.name(), Some(name.as_str()));
    }
    assert_eq!(
        env.get("SCHEDULER_GROUP"),
        Some(&resource_name(&prefix, "AutoReplyScheduleGroup"))
    );

    cognito_resources_are_the_templates(&template, &prefix, &env).await;
}

fn strings(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

fn names<T: AsRef<str>>(v: &[T]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|x| x.as_ref().to_owned()).collect();
    v.sort();
    v
}

async fn cognito_resources_are_the_templates(template: &StackTemplate, prefix: &str, env: &HashMap<String, String>) {
    let cognito = cognito_client_from_env().await;
    let [spec] = template.user_pools.as_slice() else {
        panic!("one user pool")
    };
    let pool_id = env.get("COGNITO_USER_POOL_ID").expect("COGNITO_USER_POOL_ID");
    let described = cognito
        .describe_user_pool()
        .user_pool_id(pool_id)
        .send()
        .await
        .expect("describe user pool");
    let pool = described.user_pool().expect("user pool");
    assert_eq!(pool.name(), Some(resource_name(prefix, &spec.logical_id).as_str()));
    assert_eq!(
        names(pool.username_attributes()),
        strings(&spec.username_attributes),
        "username attributes"
    );
    assert_eq!(
        pool.username_configuration().map(|c| c.case_sensitive()),
        spec.case_sensitive,
        "case sensitivity"
    );
    assert_eq!(
        names(pool.auto_verified_attributes()),
        strings(&spec.auto_verified_attributes),
        "auto-verified attributes"
    );
    let mechanisms: Vec<(String, i32)> = pool
        .account_recovery_setting()
        .map(|r| {
            r.recovery_mechanisms()
                .iter()
                .map(|m| (m.name().as_str().to_owned(), m.priority()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(mechanisms, spec.recovery_mechanisms, "account recovery");
    let declared = spec.password_policy.clone().expect("a password policy");
    let policy = pool
        .policies()
        .and_then(|p| p.password_policy())
        .expect("password policy");
    assert_eq!(
        (
            Some(policy.minimum_length().unwrap_or_default()),
            Some(policy.require_uppercase()),
            Some(policy.require_lowercase()),
            Some(policy.require_numbers()),
            Some(policy.require_symbols()),
            Some(policy.temporary_password_validity_days()),
        ),
        (
            declared.minimum_length,
            declared.require_uppercase,
            declared.require_lowercase,
            declared.require_numbers,
            declared.require_symbols,
            declared.temporary_password_validity_days,
        ),
        "password policy"
    );
    assert_eq!(
        pool.mfa_configuration().map(|m| m.as_str().to_owned()),
        spec.mfa_configuration,
        "MFA"
    );
    let mfa = cognito
        .get_user_pool_mfa_config()
        .user_pool_id(pool_id)
        .send()
        .await
        .expect("MFA configuration");
    assert_eq!(
        mfa.software_token_mfa_configuration().map(|t| t.enabled()),
        Some(spec.enabled_mfas.iter().any(|m| m == "SOFTWARE_TOKEN_MFA")),
        "TOTP"
    );
    let admin = pool.admin_create_user_config().expect("admin create user config");
    assert_eq!(
        Some(admin.allow_admin_create_user_only()),
        spec.admin_create_user_only,
        "admin-only sign-up"
    );
    let invite = admin.invite_message_template().expect("invitation");
    assert_eq!(
        (invite.email_subject(), invite.email_message()),
        spec.invite_email
            .as_ref()
            .map(|(s, m)| (s.as_str(), m.as_str()))
            .unzip(),
        "invitation"
    );
    for attribute in &spec.custom_attributes {
        let name = format!("custom:{}", attribute.name);
        let got = pool
            .schema_attributes()
            .iter()
            .find(|a| a.name() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("{name} in the pool's schema"));
        assert_eq!(
            got.attribute_data_type().map(|t| t.as_str()),
            Some(attribute.data_type.as_str()),
            "{name}"
        );
        assert_eq!(got.mutable(), Some(attribute.mutable), "{name} mutable");
        let constraints = got.string_attribute_constraints();
        assert_eq!(
            (
                constraints.and_then(|c| c.min_length()),
                constraints.and_then(|c| c.max_length())
            ),
            (attribute.min_length.as_deref(), attribute.max_length.as_deref()),
            "{name} length"
        );
    }

    let [app] = template.user_pool_clients.as_slice() else {
        panic!("one app client")
    };
    let client_id = env.get("COGNITO_CLIENT_ID").expect("COGNITO_CLIENT_ID");
    let described = cognito
        .describe_user_pool_client()
        .user_pool_id(pool_id)
        .client_id(client_id)
        .send()
        .await
        .expect("describe app client");
    let client = described.user_pool_client().expect("app client");
    assert_eq!(client.client_secret().is_some(), app.generate_secret, "client secret");
    assert_eq!(
        client.allowed_o_auth_flows_user_pool_client(),
        app.allowed_oauth_flows_user_pool_client,
        "OAuth on"
    );
    assert_eq!(
        names(
            &client
                .allowed_o_auth_flows()
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
        ),
        strings(&app.allowed_oauth_flows),
        "OAuth flows"
    );
    assert_eq!(
        names(client.allowed_o_auth_scopes()),
        strings(&app.allowed_oauth_scopes),
        "scopes"
    );
    assert_eq!(
        names(client.supported_identity_providers()),
        strings(&app.supported_identity_providers),
        "identity providers"
    );
    assert_eq!(
        names(client.callback_urls()),
        strings(&app.callback_urls),
        "callback URLs"
    );
    assert_eq!(names(client.logout_urls()), strings(&app.logout_urls), "sign-out URLs");
    assert_eq!(
        names(
            &client
                .explicit_auth_flows()
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
        ),
        strings(&app.explicit_auth_flows),
        "auth flows"
    );
    assert_eq!(
        names(client.read_attributes()),
        strings(&app.read_attributes),
        "read attributes"
    );
    assert_eq!(
        names(client.write_attributes()),
        strings(&app.write_attributes),
        "write attributes"
    );
    assert_eq!(
        client.prevent_user_existence_errors().map(|p| p.as_str().to_owned()),
        app.prevent_user_existence_errors,
        "user existence errors"
    );
    assert_eq!(
        client.enable_token_revocation(),
        app.enable_token_revocation,
        "token revocation"
    );
    assert_eq!(
        (
            Some(client.id_token_validity().unwrap_or_default()),
            Some(client.access_token_validity().unwrap_or_default()),
            Some(client.refresh_token_validity())
        ),
        (
            app.id_token_validity,
            app.access_token_validity,
            app.refresh_token_validity
        ),
        "token validity"
    );
    let units = client.token_validity_units();
    assert_eq!(
        (
            units.and_then(|u| u.id_token()).map(|u| u.as_str().to_owned()),
            units.and_then(|u| u.access_token()).map(|u| u.as_str().to_owned()),
            units.and_then(|u| u.refresh_token()).map(|u| u.as_str().to_owned()),
        ),
        app.token_validity_units,
        "token validity units"
    );

    for domain in &template.user_pool_domains {
        let name = resource_name(prefix, &domain.logical_id);
        let got = cognito
            .describe_user_pool_domain()
            .domain(&name)
            .send()
            .await
            .expect("describe domain");
        assert_eq!(
            got.domain_description().and_then(|d| d.user_pool_id()),
            Some(pool_id.as_str()),
            "domain {name}"
        );
    }
}
