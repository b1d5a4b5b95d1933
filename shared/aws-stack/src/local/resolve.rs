//! Resolving the template's values as CloudFormation would for this local stack: parameters,
//! pseudo parameters, `!Ref`, `!GetAtt`, `!Sub` (both forms), `!Join`, and Secrets Manager dynamic
//! references (`{{resolve:secretsmanager:<name>:SecretString:<key>}}`, from the secrets given to
//! the local stack). Then the addresses of what AWS hosts and this machine plays instead (the HTTP
//! API's and the WebSocket API's `execute-api` hosts, Cognito's hosted sign-in domain) are
//! rewritten to the local ones; nothing else changes.

use crate::template::intrinsic;
use serde_yaml_ng::Value;
use std::collections::HashMap;

/// What `!Ref`, `!GetAtt` and the dynamic references give in this stack.
#[derive(Clone, Debug, Default)]
pub struct Resolver {
    /// Parameters and pseudo parameters (`AWS::Region`, ...).
    pub parameters: HashMap<String, String>,
    /// Logical id → what `!Ref` gives.
    pub refs: HashMap<String, String>,
    /// `Id.Attribute` → what `!GetAtt` gives.
    pub attributes: HashMap<String, String>,
    /// Secret name → its JSON.
    pub secrets: HashMap<String, serde_json::Value>,
    /// (address on AWS, address here), applied to every resolved value.
    pub rewrites: Vec<(String, String)>,
}

impl Resolver {
    /// The value of a template expression, as a string.
    pub fn resolve(&self, value: &Value) -> Result<String, String> {
        let resolved = self.evaluate(value)?;
        let resolved = self.dynamic_references(&resolved)?;
        Ok(self
            .rewrites
            .iter()
            .fold(resolved, |s, (aws, here)| s.replace(aws.as_str(), here)))
    }

    fn evaluate(&self, value: &Value) -> Result<String, String> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => match intrinsic(value) {
                Some(("Ref", Value::String(name))) => self.reference(name),
                Some(("GetAtt", Value::String(path))) => self.attribute(path),
                Some(("GetAtt", Value::Sequence(parts))) => {
                    let parts: Vec<&str> = parts.iter().filter_map(Value::as_str).collect();
                    self.attribute(&parts.join("."))
                }
                Some(("Sub", Value::String(text))) => self.substitute(text, &HashMap::new()),
                Some(("Sub", Value::Sequence(args))) => {
                    let text = args.first().and_then(Value::as_str).ok_or("!Sub [text, variables]")?;
                    let mut locals = HashMap::new();
                    if let Some(map) = args.get(1).and_then(Value::as_mapping) {
                        for (k, v) in map {
                            let k = k.as_str().ok_or("a !Sub variable name is not a string")?;
                            locals.insert(k.to_owned(), self.evaluate(v)?);
                        }
                    }
                    self.substitute(text, &locals)
                }
                Some(("Join", Value::Sequence(args))) => {
                    let separator = args.first().and_then(Value::as_str).unwrap_or("");
                    let items = args
                        .get(1)
                        .and_then(Value::as_sequence)
                        .ok_or("!Join [separator, list]")?;
                    let items = items.iter().map(|v| self.evaluate(v)).collect::<Result<Vec<_>, _>>()?;
                    Ok(items.join(separator))
                }
                Some((name, _)) => Err(format!("!{name} is not resolved locally")),
                None => Err("a value that is not a string".into()),
            },
        }
    }

    fn reference(&self, name: &str) -> Result<String, String> {
        self.parameters
            .get(name)
            .or_else(|| self.refs.get(name))
            .cloned()
            .ok_or_else(|| format!("!Ref {name}: nothing of that name"))
    }

    fn attribute(&self, path: &str) -> Result<String, String> {
        self.attributes
            .get(path)
            .cloned()
            .ok_or_else(|| format!("!GetAtt {path}: not known locally"))
    }

    fn substitute(&self, text: &str, locals: &HashMap<String, String>) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after.find('}').ok_or_else(|| format!("!Sub {text}: an unclosed ${{"))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(value) = locals.get(name) {
                out.push_str(value);
            } else if name.contains('.') && !name.starts_with("AWS::") {
                out.push_str(&self.attribute(name)?);
            } else {
                out.push_str(&self.reference(name)?);
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// `{{resolve:secretsmanager:<name>:SecretString:<key>}}` replaced by the secret's value.
    fn dynamic_references(&self, text: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{resolve:") {
            out.push_str(&rest[..start]);
            let after = &rest[start + "{{resolve:".len()..];
            let end = after.find("}}").ok_or("an unclosed {{resolve:")?;
            let parts: Vec<&str> = after[..end].split(':').collect();
            let value = match parts.as_slice() {
                ["secretsmanager", name, "SecretString", key, ..] => {
                    let secret = self
                        .secrets
                        .get(*name)
                        .ok_or_else(|| format!("the secret {name} is not given to the local stack"))?;
                    match secret.get(*key) {
                        Some(serde_json::Value::String(s)) => s.clone(),
                        Some(other) => other.to_string(),
                        None => return Err(format!("the secret {name} has no key {key}")),
                    }
                }
                ["secretsmanager", name] | ["secretsmanager", name, "SecretString"] => self
                    .secrets
                    .get(*name)
                    .map(|s| s.to_string())
                    .ok_or_else(|| format!("the secret {name} is not given to the local stack"))?,
                _ => return Err(format!("{{{{resolve:{}}}}} is not resolved locally", &after[..end])),
            };
            out.push_str(&value);
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(s: &str) -> Value {
        serde_yaml_ng::from_str(s).expect("yaml")
    }

    #[test]
    fn resolves_what_the_template_uses() {
        let mut r = Resolver::default();
        r.parameters.insert("AWS::Region".into(), "us-east-1".into());
        r.parameters.insert("SecretName".into(), "avito-cc".into());
        r.refs.insert("Table".into(), "p-table".into());
        r.refs.insert("LiveApi".into(), "liveapi".into());
        r.attributes.insert("Role.Arn".into(), "arn:aws:iam::1:role/r".into());
        r.secrets
            .insert("avito-cc".into(), serde_json::json!({"avito_client_id": "sandbox-app"}));
        r.rewrites.push((
            "wss://liveapi.execute-api.us-east-1.amazonaws.com".into(),
            "ws://127.0.0.1:9/_live".into(),
        ));
        assert_eq!(r.resolve(&yaml("!Ref Table")).as_deref(), Ok("p-table"));
        assert_eq!(
            r.resolve(&yaml("!GetAtt Role.Arn")).as_deref(),
            Ok("arn:aws:iam::1:role/r")
        );
        assert_eq!(
            r.resolve(&yaml(
                r#"!Sub "{{resolve:secretsmanager:${SecretName}:SecretString:avito_client_id}}""#
            ))
            .as_deref(),
            Ok("sandbox-app")
        );
        assert_eq!(
            r.resolve(&yaml(
                "!Sub wss://${LiveApi}.execute-api.${AWS::Region}.amazonaws.com/live"
            ))
            .as_deref(),
            Ok("ws://127.0.0.1:9/_live/live")
        );
        assert_eq!(r.resolve(&yaml("!Sub ${!Literal}")).as_deref(), Ok("${Literal}"));
        assert!(r.resolve(&yaml("!Ref Missing")).is_err());
        assert!(
            r.resolve(&yaml(r#""{{resolve:secretsmanager:other:SecretString:k}}""#))
                .is_err()
        );
    }
}
