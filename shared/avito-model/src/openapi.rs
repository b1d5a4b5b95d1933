//! Test support: Avito's OpenAPI files (kept in `openapi/` beside this crate) and what the tests
//! derive from them: example documents built from a schema's own examples, and a JSON Schema a
//! response can be validated against.

use serde_json::{Map, Value, json};
use std::path::PathBuf;

/// One of Avito's OpenAPI files: `messenger`, `job`, `authorization` or `user`.
pub fn spec(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("openapi")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

/// The operation at `path` (compared without the invisible marks Avito uses to list one path
/// several times) and `method`.
pub fn operation<'a>(spec: &'a Value, path: &str, method: &str) -> &'a Value {
    let paths = spec["paths"].as_object().expect("the spec has paths");
    let found = paths
        .iter()
        .find(|(p, _)| {
            p.chars()
                .filter(|c| !matches!(c, '\u{200e}' | '\u{200f}'))
                .collect::<String>()
                == path
        })
        .unwrap_or_else(|| panic!("no path {path}"));
    &found.1[method]
}

/// The JSON schema of the operation's 200 answer (or its request body with `status = "request"`).
pub fn schema<'a>(spec: &'a Value, path: &str, method: &str, status: &str) -> &'a Value {
    let op = operation(spec, path, method);
    let content = if status == "request" {
        &op["requestBody"]["content"]
    } else {
        &op["responses"][status]["content"]
    };
    let media = content
        .as_object()
        .and_then(|c| c.values().next())
        .unwrap_or_else(|| panic!("{method} {path} {status}: no content"));
    &media["schema"]
}

fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r.trim_start_matches('#');
            resolve(
                spec,
                spec.pointer(pointer).unwrap_or_else(|| panic!("dangling $ref {r}")),
            )
        }
        None => schema,
    }
}

/// An example document for `schema`: the schema's own examples where it has them, a plain value
/// of the right type where not. `all_fields` false keeps only required properties, to show that
/// everything else is optional to us.
pub fn example(spec: &Value, schema: &Value, all_fields: bool) -> Value {
    let schema = resolve(spec, schema);
    if let Some(ex) = schema.get("example").filter(|ex| all_fields || !ex.is_null()) {
        return ex.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.iter().find(|v| !v.is_null()))
    {
        return first.clone();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") | None if schema.get("properties").is_some() => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let mut out = Map::new();
            for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
                if all_fields || required.contains(&name.as_str()) {
                    out.insert(name.clone(), example(spec, prop, all_fields));
                }
            }
            Value::Object(out)
        }
        Some("array") => json!([example(spec, &schema["items"], all_fields)]),
        Some("string") => json!("x"),
        Some("integer") => json!(1),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        _ => json!({}),
    }
}

/// `schema` as a self-contained JSON Schema: `$ref`s inlined and OpenAPI's `nullable` turned into
/// a `null` type, so a validator can check a document against it.
pub fn json_schema(spec: &Value, schema: &Value) -> Value {
    fn convert(spec: &Value, schema: &Value, depth: usize) -> Value {
        assert!(depth < 40, "schema nests too deep (recursive?)");
        let schema = resolve(spec, schema);
        let Some(obj) = schema.as_object() else {
            return schema.clone();
        };
        let mut out = Map::new();
        for (k, v) in obj {
            match k.as_str() {
                "properties" => {
                    let props = v
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(n, p)| (n.clone(), convert(spec, p, depth + 1)));
                    out.insert(k.clone(), Value::Object(props.collect()));
                }
                "items" | "additionalProperties" if v.is_object() => {
                    out.insert(k.clone(), convert(spec, v, depth + 1));
                }
                // Formats like "date-time (RFC3339)" are prose, and examples are not constraints.
                "nullable" | "example" | "examples" | "format" | "readOnly" | "writeOnly" | "description" => {}
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        if obj.get("nullable").and_then(Value::as_bool) == Some(true) {
            if let Some(Value::String(t)) = out.get("type").cloned() {
                out.insert("type".into(), json!([t, "null"]));
            }
            if let Some(Value::Array(values)) = out.get_mut("enum")
                && !values.contains(&Value::Null)
            {
                values.push(Value::Null);
            }
        }
        Value::Object(out)
    }
    convert(spec, schema, 0)
}
