//! Local-server protection for every route: `Host` must be an allowed name (against DNS
//! rebinding), a browser `Origin` must be allowed, and when a bearer token is configured every
//! route but `/health` requires it. The MCP transport repeats the Host/Origin checks itself.

use crate::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use subtle::ConstantTimeEq;

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

/// The single value of a header that must appear at most once, as UTF-8. `Err` when it is
/// repeated or not UTF-8 (fail closed: such a request is refused, not waved through).
fn single<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Result<Option<&'a str>, String> {
    let mut all = headers.get_all(name).iter();
    let first = all.next();
    if all.next().is_some() {
        return Err(format!("more than one {name} header"));
    }
    match first {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(Some)
            .map_err(|_| format!("{name} header is not valid text")),
    }
}

/// `Authorization: Bearer <token>` with the scheme in any case (RFC 9110 §11.1), the token
/// compared in constant time.
fn bearer_ok(headers: &HeaderMap, token: &str) -> bool {
    let Ok(Some(h)) = single(headers, &AUTHORIZATION) else {
        return false;
    };
    let Some((scheme, given)) = h.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer")
        && bool::from(given.trim().as_bytes().ct_eq(token.as_bytes()))
}

/// The middleware.
pub(crate) async fn guard(State(st): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let o = &st.options;
    let headers = req.headers();
    let host = match single(headers, &HOST) {
        Ok(Some(h)) => Some(h.to_owned()),
        Ok(None) => req.uri().authority().map(|a| a.as_str().to_owned()),
        Err(why) => {
            st.limits.forbidden_host.fetch_add(1, Ordering::Relaxed);
            return ApiError::Forbidden(why).into_response();
        }
    };
    let host = host.unwrap_or_default();
    if !host_allowed(&o.allowed_hosts, &host) {
        st.limits.forbidden_host.fetch_add(1, Ordering::Relaxed);
        let shown: String = host.chars().take(100).collect();
        return ApiError::Forbidden(format!("host {shown:?} is not allowed")).into_response();
    }
    match single(headers, &ORIGIN) {
        Ok(None) => {}
        Ok(Some(origin)) if origin_allowed(&o.allowed_origins, origin) => {}
        Ok(Some(origin)) => {
            st.limits.forbidden_origin.fetch_add(1, Ordering::Relaxed);
            let shown: String = origin.chars().take(100).collect();
            return ApiError::Forbidden(format!("origin {shown:?} is not allowed")).into_response();
        }
        Err(why) => {
            st.limits.forbidden_origin.fetch_add(1, Ordering::Relaxed);
            return ApiError::Forbidden(why).into_response();
        }
    }
    if let Some(token) = &o.bearer_token
        && req.uri().path() != "/health"
        && !bearer_ok(headers, token)
    {
        st.limits.unauthorized.fetch_add(1, Ordering::Relaxed);
        return ApiError::Unauthorized("a bearer token is required".into()).into_response();
    }
    if req.uri().path() == "/mcp" || req.uri().path().starts_with("/mcp/") {
        return crate::mcp_gate::gate(&st, req, next).await;
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
    fn bearer_scheme_is_case_insensitive_and_the_token_exact() {
        let mut h = HeaderMap::new();
        for (v, ok) in [
            ("Bearer s3cret", true),
            ("bearer s3cret", true),
            ("BEARER  s3cret ", true),
            ("Bearer s3cre", false),
            ("Bearer s3cret2", false),
            ("Basic s3cret", false),
            ("s3cret", false),
        ] {
            h.insert(AUTHORIZATION, v.parse().unwrap_or_else(|_| unreachable!()));
            assert_eq!(bearer_ok(&h, "s3cret"), ok, "{v}");
        }
        h.append(
            AUTHORIZATION,
            "Bearer s3cret".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert!(!bearer_ok(&h, "s3cret"), "two Authorization headers");
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
