//! The JSON Schemas of the values the domain validates, for the OpenAPI document (feature
//! `openapi`). Each is built from the same constants and patterns as the rule it describes, so the
//! document says exactly what the API accepts: a value the schema allows passes validation, and
//! one it refuses does not. Rules between fields are written as `oneOf` of the documents that
//! pass; a rule JSON Schema cannot state (an order, dates listed twice) is said in a description.

use crate::ids::{ID_PATTERN, MAX_ID_LEN};
use crate::validation::{MAX_EMAIL_CHARS, not_blank_pattern};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, ArrayItems, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, SchemaType,
    Type,
};
use utoipa::openapi::{RefOr, Schema};

/// A string, as `type: string` or, when `nullable`, `type: [string, null]`.
pub fn string(nullable: bool) -> ObjectBuilder {
    let builder = ObjectBuilder::new();
    if nullable {
        builder.schema_type(SchemaType::from_iter([Type::String, Type::Null]))
    } else {
        builder.schema_type(Type::String)
    }
}

/// Text of at most `max` characters that is not blank.
pub fn text(max: usize, nullable: bool) -> ObjectBuilder {
    string(nullable)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(not_blank_pattern()))
}

/// Text that is not blank, of any length.
pub fn not_blank() -> ObjectBuilder {
    string(false).min_length(Some(1)).pattern(Some(not_blank_pattern()))
}

/// An id: 1 to 64 characters of `[A-Za-z0-9_-]`.
pub fn id(nullable: bool) -> ObjectBuilder {
    string(nullable)
        .min_length(Some(1))
        .max_length(Some(MAX_ID_LEN))
        .pattern(Some(ID_PATTERN))
}

/// An e-mail address as [`crate::validation::is_email`] judges it.
pub fn email(nullable: bool) -> ObjectBuilder {
    string(nullable)
        .max_length(Some(MAX_EMAIL_CHARS))
        .pattern(Some(crate::validation::email_pattern()))
}

/// An integer from `min` to `max`.
pub fn integer(min: i64, max: i64, nullable: bool) -> ObjectBuilder {
    let builder = ObjectBuilder::new();
    let builder = if nullable {
        builder.schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
    } else {
        builder.schema_type(Type::Integer)
    };
    builder
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .minimum(Some(min))
        .maximum(Some(max))
}

/// One of `values`, strings.
pub fn one_of_strings(values: &[&str]) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
}

/// Only `value` (a boolean).
pub fn only_bool(value: bool) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([value]))
}

/// `null` only: a field that must be absent or null in this variant.
pub fn null() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::Null)
}

/// An array of `items`, at most `max` of them.
pub fn array(items: impl Into<RefOr<Schema>>, min: usize, max: usize) -> ArrayBuilder {
    ArrayBuilder::new()
        .items(ArrayItems::RefOrSchema(Box::new(items.into())))
        .min_items((min > 0).then_some(min))
        .max_items(Some(max))
}

/// An object with exactly these `properties` (others refused), `required` among them.
pub fn object<S: Into<RefOr<Schema>>>(
    properties: impl IntoIterator<Item = (&'static str, S)>,
    required: &[&str],
) -> ObjectBuilder {
    let builder = properties
        .into_iter()
        .fold(ObjectBuilder::new().schema_type(Type::Object), |b, (name, schema)| {
            b.property(name, schema)
        });
    required
        .iter()
        .fold(builder, |b, name| b.required(*name))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
}

/// Exactly one of `variants`, optionally `null` as well.
pub fn one_of(variants: impl IntoIterator<Item = RefOr<Schema>>, nullable: bool) -> RefOr<Schema> {
    let builder = variants.into_iter().fold(OneOfBuilder::new(), |b, v| b.item(v));
    let builder = if nullable { builder.item(null()) } else { builder };
    builder.into()
}
