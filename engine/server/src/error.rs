//! One error type for every handler: status + stable code + message, no internal detail.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use orderflow_plugin_host::ToolError;
use serde_json::json;

/// An API error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// Unknown resource.
    #[error("{0}")]
    NotFound(String),
    /// Bad request (body, arguments, refused SQL).
    #[error("{0}")]
    BadRequest(String),
    /// Host, Origin or client not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// A bearer token is required.
    #[error("{0}")]
    Unauthorized(String),
    /// The engine part behind this endpoint is not built yet.
    #[error("{0}")]
    NotImplemented(String),
    /// A tool failed.
    #[error(transparent)]
    Tool(#[from] ToolError),
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::NotImplemented(_) => (StatusCode::NOT_IMPLEMENTED, "not_implemented"),
            Self::Tool(t) => (
                match t {
                    ToolError::NotFound(_) => StatusCode::NOT_FOUND,
                    ToolError::InvalidArgs(_) => StatusCode::BAD_REQUEST,
                    ToolError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
                    ToolError::Upstream(_) => StatusCode::BAD_GATEWAY,
                    ToolError::Busy(_) => StatusCode::TOO_MANY_REQUESTS,
                    ToolError::LimitExceeded(_) => StatusCode::UNPROCESSABLE_ENTITY,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                },
                t.code(),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        (
            status,
            Json(json!({"error": {"code": code, "message": self.to_string()}})),
        )
            .into_response()
    }
}
