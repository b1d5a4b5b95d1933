//! Avito's API shapes as the OpenAPI files in `../shared/reference/avito-openapi/` define them:
//! what the client sends and reads, what the sandbox serves, and the webhooks Avito pushes.
//!
//! Surprises must not break us: every field Avito may leave out is an `Option` (or defaults),
//! every enum keeps values it does not know ([`open_enum!`]), and unknown fields are ignored.
//! Types that carry a token or a secret print it as `***` in `Debug`.

pub mod auth;
mod de;
pub mod error;
pub mod jobs;
pub mod messenger;
pub mod user;

#[cfg(feature = "openapi-test")]
pub mod openapi;

/// Defines a string enum that keeps unknown values as `Other(String)` instead of failing.
#[macro_export]
macro_rules! open_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)*
            /// A value this code does not know yet.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok($name::from(s.as_ref()))
            }
        }
    };
}

/// `{"ok": true}`, Avito's answer to subscribe, unsubscribe and mark-read.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OkResponse {
    #[serde(default)]
    pub ok: bool,
}

/// Hides a secret in `Debug` output.
pub(crate) fn redacted<T>(value: &Option<T>) -> &'static str {
    if value.is_some() { "Some(***)" } else { "None" }
}
