//! # orderflow-request-guard — what the server checks before a request reaches a handler
//!
//! Pure functions over header values and body bytes, so they are unit-tested and fuzzed
//! (`fuzz/fuzz_targets/http_guard.rs`) without a server: the axum middleware
//! (`orderflow-server`'s `guard` and `mcp_gate`) only maps their answers to HTTP responses and
//! counters.
//!
//! - [`host_allowed`], [`origin_allowed`]: DNS-rebinding and browser-origin protection.
//! - [`bearer_ok`]: `Authorization: Bearer <token>`, scheme in any case, token compared in
//!   constant time.
//! - [`inspect_json_body`]: a JSON body is UTF-8, nested at most `max_depth` deep, parses, and
//!   every JSON-RPC `initialize` in it carries a `clientInfo` of at most
//!   `max_client_info_bytes`. Each refusal is a [`BodyRefusal`] that knows its JSON-RPC code.

use serde_json::Value;
use subtle::ConstantTimeEq;

/// `host[:port]` without the port; IPv6 brackets removed.
fn host_name(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// True when the `Host` authority (with or without port) is one of `allowed` (`*`: any).
pub fn host_allowed(allowed: &[String], authority: &str) -> bool {
    let name = host_name(authority);
    allowed
        .iter()
        .any(|a| a == "*" || a.eq_ignore_ascii_case(authority) || a.eq_ignore_ascii_case(name))
}

/// Origin patterns: `scheme://host:port`, `scheme://host:*`, or `null`.
pub fn origin_allowed(allowed: &[String], origin: &str) -> bool {
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

/// The one `Authorization` value (a repeated header is refused by the caller) against `token`:
/// `Bearer <token>` with the scheme in any case (RFC 9110 §11.1), compared in constant time.
pub fn bearer_ok(authorization: &str, token: &str) -> bool {
    let Some((scheme, given)) = authorization.trim().split_once(' ') else {
        return false;
    };
    scheme.eq_ignore_ascii_case("bearer")
        && bool::from(given.trim().as_bytes().ct_eq(token.as_bytes()))
}

/// True for `application/json` with any parameters, in any case.
pub fn is_json_content_type(value: &str) -> bool {
    value
        .split(';')
        .next()
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("application/json"))
}

/// Deepest nesting of arrays/objects in a JSON text (strings skipped), without parsing it.
pub fn json_depth(bytes: &[u8]) -> usize {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for &b in bytes {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Limits a JSON body is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BodyLimits {
    /// Deepest nesting of arrays and objects.
    pub max_depth: usize,
    /// Largest serialized `params.clientInfo` of an `initialize`.
    pub max_client_info_bytes: usize,
}

/// Why a JSON body is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BodyRefusal {
    /// Not UTF-8.
    #[error("Parse error: the body is not valid UTF-8")]
    NotUtf8,
    /// Nested deeper than allowed.
    #[error("JSON nested {depth} deep; at most {max} levels are accepted (server.max_json_depth)")]
    TooDeep {
        /// Its depth.
        depth: usize,
        /// The limit.
        max: usize,
    },
    /// Not JSON.
    #[error("Parse error: {0}")]
    Parse(String),
    /// An `initialize` with a `clientInfo` over the limit.
    #[error("clientInfo is {bytes} bytes; at most {max} are accepted")]
    ClientInfoTooLarge {
        /// The request's id.
        id: Value,
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
}

impl BodyRefusal {
    /// The JSON-RPC error code of this refusal.
    pub fn rpc_code(&self) -> i64 {
        match self {
            Self::NotUtf8 | Self::Parse(_) => -32700,
            Self::TooDeep { .. } => -32600,
            Self::ClientInfoTooLarge { .. } => -32602,
        }
    }

    /// The request id to answer with (null when the body could not be read).
    pub fn id(&self) -> Value {
        match self {
            Self::ClientInfoTooLarge { id, .. } => id.clone(),
            _ => Value::Null,
        }
    }
}

/// A body that passed: the parsed message and the ids of the `initialize` requests in it (one
/// MCP session each, which the caller checks against its session cap).
#[derive(Debug, Clone, PartialEq)]
pub struct Inspected {
    /// The parsed JSON.
    pub message: Value,
    /// Ids of the `initialize` requests it carries (single or batch).
    pub initialize_ids: Vec<Value>,
}

fn initializes(v: &Value) -> Vec<&Value> {
    let one = |m: &'_ Value| m.get("method").and_then(Value::as_str) == Some("initialize");
    match v {
        Value::Array(a) => a.iter().filter(|m| one(m)).collect(),
        m if one(m) => vec![m],
        _ => Vec::new(),
    }
}

/// Checks a JSON body in order: UTF-8, nesting depth (before parsing), JSON, the `clientInfo`
/// of every JSON-RPC `initialize`.
///
/// # Errors
/// The first [`BodyRefusal`] that applies.
pub fn inspect_json_body(bytes: &[u8], limits: BodyLimits) -> Result<Inspected, BodyRefusal> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(BodyRefusal::NotUtf8);
    }
    let depth = json_depth(bytes);
    if depth > limits.max_depth {
        return Err(BodyRefusal::TooDeep {
            depth,
            max: limits.max_depth,
        });
    }
    let message: Value =
        serde_json::from_slice(bytes).map_err(|e| BodyRefusal::Parse(e.to_string()))?;
    let mut initialize_ids = Vec::new();
    for init in initializes(&message) {
        let id = init.get("id").cloned().unwrap_or(Value::Null);
        let bytes = init
            .pointer("/params/clientInfo")
            .map_or(0, |v| v.to_string().len());
        if bytes > limits.max_client_info_bytes {
            return Err(BodyRefusal::ClientInfoTooLarge {
                id,
                bytes,
                max: limits.max_client_info_bytes,
            });
        }
        initialize_ids.push(id);
    }
    Ok(Inspected {
        message,
        initialize_ids,
    })
}

/// Rewrites every whole-number float (`100.0`) as an integer, recursively: JSON Schema's
/// `integer` type accepts such numbers, so a tool reading integers must see them as integers.
pub fn whole_numbers_as_integers(v: &mut Value) {
    match v {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // |f| < 2^53: exact as an integer.
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *v = Value::from(i);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(m) => m.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: BodyLimits = BodyLimits {
        max_depth: 4,
        max_client_info_bytes: 40,
    };

    #[test]
    fn depth_ignores_brackets_inside_strings() {
        assert_eq!(json_depth(br#"{"a":[1,{"b":"[[[["}]}"#), 3);
        assert_eq!(json_depth(br#""\"[""#), 0);
        assert_eq!(json_depth(b"[[[[]]]]"), 4);
    }

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
        for (v, ok) in [
            ("Bearer s3cret", true),
            ("bearer s3cret", true),
            ("BEARER  s3cret ", true),
            ("Bearer s3cre", false),
            ("Bearer s3cret2", false),
            ("Basic s3cret", false),
            ("s3cret", false),
        ] {
            assert_eq!(bearer_ok(v, "s3cret"), ok, "{v}");
        }
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

    #[test]
    fn bodies_are_refused_in_order_with_their_codes() {
        assert_eq!(
            inspect_json_body(b"\xff{}", LIMITS).map_err(|e| e.rpc_code()),
            Err(-32700)
        );
        let deep = inspect_json_body(b"[[[[[1]]]]]", LIMITS);
        assert_eq!(deep, Err(BodyRefusal::TooDeep { depth: 5, max: 4 }));
        assert_eq!(deep.map_err(|e| e.rpc_code()), Err(-32600));
        assert!(matches!(
            inspect_json_body(b"{\"a\":", LIMITS),
            Err(BodyRefusal::Parse(_))
        ));
        let big = br#"{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"clientInfo":{"name":"a very long client name indeed"}}}"#;
        let refused = inspect_json_body(big, LIMITS);
        assert!(
            matches!(&refused, Err(BodyRefusal::ClientInfoTooLarge { id, .. }) if *id == serde_json::json!(7))
        );
        let batch = br#"[{"id":1,"method":"initialize","params":{"clientInfo":{"name":"x"}}},{"id":2,"method":"ping"}]"#;
        let ok = inspect_json_body(batch, LIMITS);
        assert_eq!(ok.map(|i| i.initialize_ids), Ok(vec![serde_json::json!(1)]));
    }
}
