//! `orderflow parse`: decode raw venue payload files into normalized events (JSON lines).
//!
//! WebSocket payloads go through the venue codec (decode-only); prices and sizes print as
//! decimal strings (`"price":"97000.1"`). REST payloads (recent trades, funding history,
//! mark/index, order book, candles, …) go through the same decoding the venue's REST tools use
//! (`resume_tool`): the tool is chosen with `--kind <tool>` or detected as the first REST tool
//! of the venue that decodes the payload into rows.

use abi_stable::std_types::RStr;
use anyhow::{Context, anyhow};
use orderflow_model::{Fixed, InstrumentId, Universe};
use orderflow_plugin_host::convert::convert;
use orderflow_plugin_host::loader::LoadedPlugin;
use orderflow_tool_sdk::InstrumentMapping;
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;

/// Outcome counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ParseSummary {
    /// Payloads read.
    pub payloads: usize,
    /// Events printed.
    pub events: usize,
    /// Payloads that could not be decoded.
    pub failures: usize,
}

/// Fields the engine keeps as 8-decimal fixed point; printed as decimal strings.
const FIXED_FIELDS: [&str; 10] = [
    "price",
    "size",
    "rate",
    "open_interest",
    "mark",
    "index",
    "last",
    "open",
    "high",
    "low",
];

/// Rewrites fixed-point mantissas (`"price": 100000`) as decimal strings (`"0.001"`).
fn decimals(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if FIXED_FIELDS.contains(&k.as_str())
                    && let Some(raw) = x.as_i64()
                {
                    *x = json!(Fixed::from_raw(raw).to_string());
                } else {
                    decimals(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(decimals),
        _ => {}
    }
}

/// Whether a REST field holds an integer count or instant (ids, times, sequence numbers) rather
/// than a price or size.
fn integer_field(key: &str) -> bool {
    key.split('_').any(|w| {
        matches!(
            w,
            "t" | "ts"
                | "ms"
                | "time"
                | "id"
                | "seq"
                | "start"
                | "expiry"
                | "interval"
                | "apply"
                | "trades"
                | "count"
        )
    })
}

/// The numbers of a REST row that are prices, sizes or rates as decimal strings (their
/// shortest exact text: `87456.5` → `"87456.5"`); ids, times and sequence numbers stay numbers.
fn rest_decimals(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                match x {
                    Value::Number(n) if !integer_field(k) => *x = json!(n.to_string()),
                    _ => rest_decimals(x),
                }
            }
        }
        Value::Array(a) => {
            for x in a.iter_mut() {
                match x {
                    Value::Number(n) => *x = json!(n.to_string()),
                    _ => rest_decimals(x),
                }
            }
        }
        _ => {}
    }
}

/// A row with content: some value that is not null, an empty list or an empty object.
fn has_content(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Array(a) => a.iter().any(has_content),
        Value::Object(o) => o.values().any(has_content),
        _ => true,
    }
}

/// Splits a file into payloads: the whole file if it is one JSON value (fixtures are
/// pretty-printed), otherwise one payload per non-empty line (recordings).
fn payloads(text: &str) -> Vec<String> {
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() {
        return vec![text.to_owned()];
    }
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

/// Decodes every payload of `files` with `plugin`'s codec for `venue` (decode-only: depth diffs
/// are printed without book sync). Events go to `out` as JSON lines; problems to `err`.
///
/// # Errors
/// When the codec cannot be created or a file cannot be read.
pub fn run(
    plugin: &LoadedPlugin,
    venue: &str,
    universe: &Universe,
    files: &[PathBuf],
    out: &mut impl Write,
    err: &mut impl Write,
) -> anyhow::Result<ParseSummary> {
    let insts: Vec<_> = universe.of_venue(venue).collect();
    let ids: Vec<InstrumentId> = insts.iter().map(|i| i.id).collect();
    let cfg = json!({
        "venue": venue,
        "instruments": insts.iter().map(|i| InstrumentMapping { symbol: i.symbol.clone(), venue_symbol: i.venue_symbol.clone() }).collect::<Vec<_>>(),
        "decode_only": true,
    });
    let mut codec = (plugin.module.new_codec())(RStr::from_str(&cfg.to_string()))
        .into_result()
        .map_err(|e| anyhow!("{venue} codec: {e}"))?;
    let mut summary = ParseSummary::default();
    for f in files {
        let text =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        for (n, p) in payloads(&text).iter().enumerate() {
            summary.payloads += 1;
            match codec.on_frame(0, RStr::from_str(p), 0).into_result() {
                Ok(o) => {
                    for ev in o.events.iter() {
                        match convert(ev, &ids) {
                            Ok(e) => {
                                let i = universe.get(e.inst);
                                let mut v = serde_json::to_value(&e)?;
                                decimals(&mut v);
                                if let Value::Object(m) = &mut v {
                                    m.remove("inst");
                                    m.insert("venue".into(), json!(venue));
                                    m.insert("symbol".into(), json!(i.map(|i| i.symbol.as_str())));
                                }
                                writeln!(out, "{v}")?;
                                summary.events += 1;
                            }
                            Err(e) => {
                                summary.failures += 1;
                                writeln!(err, "{}#{}: event rejected: {e}", f.display(), n + 1)?;
                            }
                        }
                    }
                    for note in o.notices.iter() {
                        writeln!(
                            err,
                            "{}#{}: {}: {}",
                            f.display(),
                            n + 1,
                            note.kind.name(),
                            note.detail
                        )?;
                    }
                    if o.events.is_empty() && o.notices.is_empty() {
                        writeln!(
                            err,
                            "{}#{}: no market event (acknowledgement or a stream kind this codec does not normalize)",
                            f.display(),
                            n + 1
                        )?;
                    }
                }
                Err(e) => {
                    summary.failures += 1;
                    writeln!(
                        err,
                        "{}#{}: cannot decode: {}",
                        f.display(),
                        n + 1,
                        e.message
                    )?;
                }
            }
        }
    }
    Ok(summary)
}

/// Decodes REST answer files of `venue` through the plugin's REST tools. `kind` names the tool
/// (e.g. `kraken_get_candles`); without it each REST tool of the venue is tried and the first
/// that yields rows wins. `venue_symbol` is the instrument the payload is about (it filters
/// multi-instrument answers such as ticker lists). Rows go to `out` as JSON lines.
///
/// # Errors
/// A file cannot be read, or `kind` is not a tool of the plugin.
#[allow(clippy::too_many_arguments)] // a CLI entry point: each argument is one flag
pub fn run_rest(
    plugin: &LoadedPlugin,
    venue: &str,
    kind: Option<&str>,
    symbol: &str,
    venue_symbol: &str,
    files: &[PathBuf],
    out: &mut impl Write,
    err: &mut impl Write,
) -> anyhow::Result<ParseSummary> {
    use abi_stable::std_types::RResult;
    use orderflow_tool_sdk::{ErrorKind, HostView, HttpResponse, SdkError, ToolStep};
    struct NoHost;
    impl HostView for NoHost {
        fn query(&self, _: RStr<'_>) -> RResult<abi_stable::std_types::RString, SdkError> {
            RResult::RErr(SdkError::new(
                ErrorKind::Unavailable,
                "orderflow parse has no live state",
            ))
        }
    }
    let prefix = format!("{venue}_get_");
    let candidates: Vec<String> = match kind {
        Some(k) => {
            if !plugin.tools.iter().any(|t| t.name.as_str() == k) {
                return Err(anyhow!("{k:?} is not a tool of plugin {}", plugin.name()));
            }
            vec![k.to_owned()]
        }
        None => plugin
            .tools
            .iter()
            .map(|t| t.name.to_string())
            .filter(|n| n.starts_with(&prefix))
            .collect(),
    };
    // Every plugin's REST state names the instrument under its own key; all are given.
    let state = json!({"symbol": symbol, "product": venue_symbol, "instrument": venue_symbol,
                       "contract": venue_symbol, "coin": venue_symbol, "inst_id": venue_symbol,
                       "venue_symbol": venue_symbol, "keep": 100_000})
    .to_string();
    let mut summary = ParseSummary::default();
    for f in files {
        let body =
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
        summary.payloads += 1;
        // Every candidate decodes; the one whose rows are the most complete (share of
        // top-level fields with content) wins — a tool that does not recognize the answer
        // yields nulls and empty lists.
        let mut decoded: Option<(String, Vec<Value>, f64)> = None;
        let mut last_error = String::from("no REST tool of this venue decodes it");
        for tool in &candidates {
            let step = (plugin.module.resume_tool())(
                RStr::from_str(tool),
                RStr::from_str(&state),
                HttpResponse {
                    status: 200,
                    body: body.as_str().into(),
                },
                orderflow_tool_sdk::host_view(&NoHost),
            )
            .into_result();
            match step {
                Ok(ToolStep::Done(json)) => {
                    let v: Value = serde_json::from_str(json.as_str()).unwrap_or(Value::Null);
                    let rows = v["rows"].as_array().cloned().unwrap_or_default();
                    let (filled, total) = rows
                        .iter()
                        .filter_map(Value::as_object)
                        .flat_map(|o| o.values())
                        .fold((0usize, 0usize), |(f, t), x| {
                            (f + usize::from(has_content(x)), t + 1)
                        });
                    if filled == 0 {
                        last_error = format!("{tool}: no rows");
                        continue;
                    }
                    let score = filled as f64 / total as f64;
                    if decoded.as_ref().is_none_or(|d| score > d.2) {
                        decoded = Some((tool.clone(), rows, score));
                    }
                }
                Ok(_) => last_error = format!("{tool}: not a single-step REST tool"),
                Err(e) => last_error = format!("{tool}: {}", e.message),
            }
        }
        match decoded {
            Some((tool, rows, _)) => {
                for mut row in rows {
                    rest_decimals(&mut row);
                    writeln!(
                        out,
                        "{}",
                        json!({"venue": venue, "symbol": symbol, "kind": tool, "row": row})
                    )?;
                    summary.events += 1;
                }
            }
            None => {
                summary.failures += 1;
                writeln!(
                    err,
                    "{}: cannot decode as a {venue} REST answer: {last_error}",
                    f.display()
                )?;
            }
        }
    }
    Ok(summary)
}
