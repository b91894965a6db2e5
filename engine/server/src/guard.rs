//! Local-server protection for every route: `Host` must be an allowed name (against DNS
//! rebinding), a browser `Origin` must be allowed, and when a bearer token is configured every
//! route but `/health` and the dashboard's static files (`/`, `/assets/…`: no data; the page
//! sends the token with its data requests) requires it. The MCP transport repeats the Host/Origin checks itself.

use crate::{ApiError, AppState};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN};
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use orderflow_request_guard::{host_allowed, origin_allowed};
use std::sync::Arc;
use std::sync::atomic::Ordering;

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

/// The single `Authorization` header as a bearer token equal to `token`
/// ([`orderflow_request_guard::bearer_ok`]).
fn bearer_ok(headers: &HeaderMap, token: &str) -> bool {
    matches!(single(headers, &AUTHORIZATION), Ok(Some(h)) if orderflow_request_guard::bearer_ok(h, token))
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
        && !orderflow_dashboard::is_public_path(req.uri().path())
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
    fn one_authorization_header_with_the_token() {
        // The scheme and token rules are orderflow_request_guard's (tested there); here: the
        // header must be there once.
        let mut h = HeaderMap::new();
        assert!(!bearer_ok(&h, "s3cret"), "no header");
        h.insert(
            AUTHORIZATION,
            "bearer s3cret".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert!(bearer_ok(&h, "s3cret"));
        h.append(
            AUTHORIZATION,
            "Bearer s3cret".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert!(!bearer_ok(&h, "s3cret"), "two Authorization headers");
    }
}
