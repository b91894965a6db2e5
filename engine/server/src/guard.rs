//! Local-server protection for every route: `Host` must be an allowed name (against DNS
//! rebinding), a browser `Origin` must be allowed, and when a bearer token is configured every
//! route but `/health` requires it. The MCP transport repeats the Host/Origin checks itself.

use crate::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `host[:port]` without the port; IPv6 brackets removed.
fn host_name(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.split(':').next().unwrap_or(authority)
}

pub(crate) fn host_allowed(allowed: &[String], authority: &str) -> bool {
    let name = host_name(authority);
    allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(authority) || a.eq_ignore_ascii_case(name))
}

/// Origin patterns: `scheme://host:port`, `scheme://host:*`, or `null`.
pub(crate) fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    allowed.iter().any(|pat| {
        if pat == origin {
            return true;
        }
        match pat.strip_suffix(":*") {
            Some(prefix) => {
                origin == prefix
                    || origin
                        .strip_prefix(prefix)
                        .and_then(|rest| rest.strip_prefix(':'))
                        .is_some_and(|port| port.chars().all(|c| c.is_ascii_digit()))
            }
            None => false,
        }
    })
}

/// The middleware.
pub(crate) async fn guard(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let o = &st.options;
    let headers = req.headers();
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    if !host_allowed(&o.allowed_hosts, host) {
        return ApiError::Forbidden(format!("host {host:?} is not allowed")).into_response();
    }
    if let Some(origin) = headers.get(ORIGIN).and_then(|h| h.to_str().ok())
        && !origin_allowed(&o.allowed_origins, origin)
    {
        return ApiError::Forbidden(format!("origin {origin:?} is not allowed")).into_response();
    }
    if let Some(token) = &o.bearer_token
        && req.uri().path() != "/health"
    {
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "));
        if given != Some(token.as_str()) {
            return ApiError::Unauthorized("a bearer token is required".into()).into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let a = vec!["localhost".to_owned(), "127.0.0.1".into(), "::1".into()];
        assert!(host_allowed(&a, "127.0.0.1:8000"));
        assert!(host_allowed(&a, "localhost"));
        assert!(host_allowed(&a, "[::1]:80"));
        assert!(!host_allowed(&a, "evil.example:8000"));
        assert!(!host_allowed(&a, ""));
    }

    #[test]
    fn origins() {
        let a = vec![
            "http://localhost:*".to_owned(),
            "https://app.example:443".into(),
        ];
        assert!(origin_allowed(&a, "http://localhost:5173"));
        assert!(origin_allowed(&a, "http://localhost"));
        assert!(origin_allowed(&a, "https://app.example:443"));
        assert!(!origin_allowed(&a, "http://localhost.evil:80"));
        assert!(!origin_allowed(&a, "http://evil.example"));
        assert!(!origin_allowed(&a, "null"));
    }
}
