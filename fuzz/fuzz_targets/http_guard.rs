//! The request checks of the HTTP/MCP server (`orderflow-request-guard`): Host, Origin and
//! bearer rules and the JSON body inspection, on arbitrary header values and bodies. Besides
//! "no panic", each answer is checked against its meaning: an accepted body parses and is
//! nested within the limit, a body refused as too deep is deeper, an accepted token is the
//! configured one, an accepted Host names an allowed host.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orderflow_request_guard::{
    BodyLimits, BodyRefusal, bearer_ok, host_allowed, inspect_json_body, is_json_content_type,
    json_depth, origin_allowed, whole_numbers_as_integers,
};

const LIMITS: BodyLimits = BodyLimits {
    max_depth: 16,
    max_client_info_bytes: 256,
};

fuzz_target!(|data: &[u8]| {
    // Input: host \0 origin \0 authorization \0 content-type \0 body.
    let mut parts = data.splitn(5, |&b| b == 0);
    let mut text = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (host, origin, auth, ctype) = (text(), text(), text(), text());
    let body = data.splitn(5, |&b| b == 0).nth(4).unwrap_or_default();

    let hosts = vec!["localhost".to_owned(), "127.0.0.1".into(), "::1".into()];
    if host_allowed(&hosts, &host) {
        let name = host.strip_prefix('[').map_or_else(
            || host.split(':').next().unwrap_or(""),
            |r| r.split(']').next().unwrap_or(""),
        );
        assert!(
            hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name) || h.eq_ignore_ascii_case(&host)),
            "host {host:?} accepted"
        );
    }
    let origins = vec![
        "http://localhost:*".to_owned(),
        "https://app.example:443".into(),
    ];
    if origin_allowed(&origins, &origin) {
        assert!(
            origin == "https://app.example:443" || origin.starts_with("http://localhost"),
            "origin {origin:?} accepted"
        );
    }
    if bearer_ok(&auth, "s3cret") {
        let (scheme, token) = auth.trim().split_once(' ').unwrap_or_default();
        assert!(
            scheme.eq_ignore_ascii_case("bearer") && token.trim() == "s3cret",
            "{auth:?}"
        );
    }
    let _ = is_json_content_type(&ctype);

    match inspect_json_body(body, LIMITS) {
        Ok(mut inspected) => {
            assert!(json_depth(body) <= LIMITS.max_depth);
            assert!(serde_json::from_slice::<serde_json::Value>(body).is_ok());
            whole_numbers_as_integers(&mut inspected.message);
        }
        Err(BodyRefusal::TooDeep { depth, max }) => {
            assert!(depth > max && depth == json_depth(body));
        }
        Err(BodyRefusal::NotUtf8) => assert!(std::str::from_utf8(body).is_err()),
        Err(BodyRefusal::Parse(_)) => {
            assert!(serde_json::from_slice::<serde_json::Value>(body).is_err());
        }
        Err(BodyRefusal::ClientInfoTooLarge { bytes, max, .. }) => assert!(bytes > max),
    }
});
