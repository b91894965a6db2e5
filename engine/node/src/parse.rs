//! `orderflow parse`: decode raw venue payload files into normalized events (JSON lines).

use abi_stable::std_types::RStr;
use anyhow::{Context, anyhow};
use orderflow_model::{InstrumentId, Universe};
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
