//! Avito's error body: `{"error": {"code": 400, "message": "...", "fields": {...}}}`.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<serde_json::Value>,
}

impl ErrorBody {
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        ErrorBody {
            error: Some(ErrorDetail {
                code: Some(code.into()),
                message: Some(message.into()),
                fields: None,
            }),
        }
    }
}
