//! Tool arguments against the tool's own schema: arguments are generated from the JSON Schema a
//! tool advertises (bounds, one past them, whole-number floats, enum members and strangers),
//! validated the way the host does (`jsonschema`, then whole numbers as integers), and every
//! accepted set is passed to the plugin. A tool that refuses as `InvalidArgs` what its schema
//! accepts is a finding (one source of truth for arguments), as is any panic.

use orderflow_tool_sdk::std_types::{RResult, RStr, RString};
use orderflow_tool_sdk::{
    ErrorKind, HostView, HttpResponse, Plugin, SdkError, ToolStep, host_view,
};
use serde_json::{Map, Value, json};
use std::cell::RefCell;
use std::collections::HashMap;

/// Reads the fuzz input a byte at a time (zeros once it runs out).
struct Bytes<'a> {
    data: &'a [u8],
    at: usize,
}

impl Bytes<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        b
    }
    fn pick<'v, T>(&mut self, items: &'v [T]) -> Option<&'v T> {
        if items.is_empty() {
            return None;
        }
        let i = usize::from(self.byte()) % items.len();
        items.get(i)
    }
    fn rest(&self) -> &[u8] {
        self.data.get(self.at..).unwrap_or_default()
    }
}

fn bound(schema: &Value, key: &str) -> Option<f64> {
    schema.get(key).and_then(Value::as_f64)
}

fn number(schema: &Value, r: &mut Bytes<'_>, integer: bool) -> Value {
    let mut candidates = vec![0.0, 1.0, -1.0, 1e9, -1e18];
    for key in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] {
        if let Some(b) = bound(schema, key) {
            candidates.extend([b, b - 1.0, b + 1.0, b - 0.5, b + 0.5]);
        }
    }
    if let Some(d) = schema.get("default").and_then(Value::as_f64) {
        candidates.push(d);
    }
    candidates.push(f64::from(r.byte()) * 7.0 - 300.0);
    let x = r.pick(&candidates).copied().unwrap_or(0.0);
    let x = if integer { x.trunc() } else { x };
    if integer && r.byte() % 4 != 0 && x.abs() < 9.0e15 {
        // Mostly JSON integers; sometimes the same value as a whole float (`5.0`).
        #[allow(clippy::cast_possible_truncation)]
        return json!(x as i64);
    }
    json!(x)
}

fn string(schema: &Value, r: &mut Bytes<'_>) -> Value {
    let n = usize::from(r.byte() % 24);
    let raw: String = r.rest().iter().take(n).map(|&b| char::from(b)).collect();
    r.at += n;
    let mut candidates: Vec<String> = vec![
        String::new(),
        raw,
        "BTCUSDT".into(),
        "btcusdt".into(),
        "BTC-USDT".into(),
        "ETHUSDT".into(),
        "1h".into(),
        "1m".into(),
        "2026-01-01T00:00:00Z".into(),
        "x".repeat(5000),
    ];
    if let Some(d) = schema.get("default").and_then(Value::as_str) {
        candidates.push(d.to_owned());
    }
    json!(r.pick(&candidates).cloned().unwrap_or_default())
}

/// A value shaped by `schema`, mostly inside it and sometimes just outside.
fn generate(schema: &Value, r: &mut Bytes<'_>, depth: usize) -> Value {
    if depth > 6 {
        return Value::Null;
    }
    if let Some(c) = schema.get("const") {
        return c.clone();
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && r.byte() % 8 != 0
    {
        return r.pick(e).cloned().unwrap_or(Value::Null);
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array)
            && let Some(alt) = r.pick(alts)
        {
            return generate(alt, r, depth + 1);
        }
    }
    let ty = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => r
            .pick(ts)
            .and_then(Value::as_str)
            .unwrap_or("null")
            .to_owned(),
        _ => ["string", "integer", "number", "boolean", "object"][usize::from(r.byte()) % 5]
            .to_owned(),
    };
    match ty.as_str() {
        "integer" => number(schema, r, true),
        "number" => number(schema, r, false),
        "string" => string(schema, r),
        "boolean" => json!(r.byte() % 2 == 0),
        "null" => Value::Null,
        "array" => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            (0..r.byte() % 4)
                .map(|_| generate(&items, r, depth + 1))
                .collect()
        }
        _ => object(schema, r, depth),
    }
}

fn object(schema: &Value, r: &mut Bytes<'_>, depth: usize) -> Value {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = Map::new();
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, sub) in props {
            if required.contains(&k.as_str()) || r.byte() % 3 != 0 {
                out.insert(k.clone(), generate(sub, r, depth + 1));
            }
        }
    }
    if r.byte() % 16 == 0 {
        out.insert("unexpected".into(), json!(1));
    }
    Value::Object(out)
}

/// A host with no live state: every query is `Unavailable`, as before any data arrived.
struct EmptyHost;

impl HostView for EmptyHost {
    fn query(&self, _request: RStr<'_>) -> RResult<RString, SdkError> {
        RResult::RErr(SdkError::new(
            ErrorKind::Unavailable,
            "no live state in the fuzz host",
        ))
    }
}

thread_local! {
    static VALIDATORS: RefCell<HashMap<String, Option<jsonschema::Validator>>> =
        RefCell::new(HashMap::new());
}

/// Picks one of `P`'s tools with the first byte, generates its arguments from the rest, and
/// calls it when the host's validation would let the call through (REST steps are answered with
/// the remaining input).
///
/// # Panics
/// When a tool refuses, as invalid arguments, arguments its schema accepts.
pub fn call_one<P: Plugin>(data: &[u8]) {
    let tools = P::tools();
    let mut r = Bytes { data, at: 0 };
    let Some(tool) = r.pick(&tools) else {
        return;
    };
    let name = tool.name.as_str();
    let Ok(schema) = serde_json::from_str::<Value>(tool.input_schema.as_str()) else {
        panic!("tool {name}: input schema is not JSON");
    };
    let mut args = object(&schema, &mut r, 0);
    let valid = VALIDATORS.with(|v| {
        let mut v = v.borrow_mut();
        let validator = v
            .entry(name.to_owned())
            .or_insert_with(|| jsonschema::validator_for(&schema).ok());
        match validator {
            Some(val) => val.is_valid(&args),
            None => panic!("tool {name}: input schema does not compile"),
        }
    });
    if !valid {
        return; // the host answers 400 itself; the tool never sees these
    }
    orderflow_request_guard::whole_numbers_as_integers(&mut args);
    let view = EmptyHost;
    let host = host_view(&view);
    let text = args.to_string();
    let mut step = P::call_tool(name, &text, &host);
    let body = String::from_utf8_lossy(r.rest()).into_owned();
    for _ in 0..4 {
        match step {
            Err(e) if e.kind == ErrorKind::InvalidArgs => panic!(
                "tool {name}: its schema accepts {text} but the tool refuses it: {}",
                e.message
            ),
            Ok(ToolStep::Fetch { state, .. }) => {
                let resp = HttpResponse {
                    status: 200,
                    body: body.as_str().into(),
                };
                step = P::resume_tool(name, state.as_str(), &resp, &host);
                // Errors after a REST answer are about the answer, not the arguments.
                if let Err(e) = &step
                    && e.kind == ErrorKind::InvalidArgs
                {
                    return;
                }
            }
            Ok(ToolStep::Done(_)) | Err(_) => return,
        }
    }
}
