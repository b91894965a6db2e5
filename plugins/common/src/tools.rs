//! The tool framework venue plugins declare their tools with.
//!
//! A plugin lists [`ToolSpec`]s — name, description, the venue served, where the answer comes
//! from ([`Source`]) and the JSON Schema of the arguments beyond `symbol` — in a [`ToolSet`].
//! The set produces the descriptors (input schema with `symbol` required and no extra keys,
//! a default output schema per source) and starts calls: live-state tools become a host-view
//! query, derived tools run [`crate::derived`], and a REST tool comes back to the plugin as
//! [`Started::Rest`] with its checked arguments, for the plugin to name the endpoint.
//!
//! Integer arguments are read with [`ToolSpec::uint`], which takes the default and the bounds
//! from the spec's own schema, so the schema a client sees and the check the tool applies cannot
//! drift apart.

use crate::args::symbol_arg;
use orderflow_tool_sdk::std_types::RStr;
use orderflow_tool_sdk::{ErrorKind, HostViewRef, SdkError, ToolDescriptor, ToolStep};
use serde_json::{Value, json};

/// Where a tool's answer comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The host's live state of this kind (`ticker`, `book`, `trades`, `funding`,
    /// `open_interest`, `mark_price`, `liquidations`).
    Live(&'static str),
    /// Computed from live state by [`crate::derived::call`] (the tool's name without the venue
    /// prefix selects the computation, e.g. `get_book_ticker`).
    Derived,
    /// A REST endpoint of the venue, requested through the host.
    Rest,
}

/// One tool.
#[derive(Clone, Debug)]
pub struct ToolSpec {
    /// Tool name, e.g. `okx_get_candles`.
    pub name: &'static str,
    /// What it returns and when to use it.
    pub description: &'static str,
    /// Venue id it serves, e.g. `okx`.
    pub venue: &'static str,
    /// Where the answer comes from.
    pub source: Source,
    /// JSON Schema properties of the arguments beyond `symbol` (an object, may be empty).
    pub args: Value,
    /// JSON Schema of the result; `None` = the default for the source.
    pub output: Option<Value>,
}

impl ToolSpec {
    /// A spec with no extra arguments and the default output schema.
    pub fn new(
        name: &'static str,
        venue: &'static str,
        source: Source,
        description: &'static str,
    ) -> Self {
        Self {
            name,
            description,
            venue,
            source,
            args: json!({}),
            output: None,
        }
    }

    /// Adds argument properties (merged into the schema's `properties`).
    #[must_use]
    pub fn args(mut self, props: Value) -> Self {
        if let (Value::Object(mine), Value::Object(more)) = (&mut self.args, props) {
            mine.extend(more);
        }
        self
    }

    /// Sets the output schema.
    #[must_use]
    pub fn output(mut self, schema: Value) -> Self {
        self.output = Some(schema);
        self
    }

    /// The name without the venue prefix (`okx_get_candles` → `get_candles`).
    pub fn suffix(&self) -> &'static str {
        let name: &'static str = self.name;
        name.strip_prefix(self.venue)
            .and_then(|s| s.strip_prefix('_'))
            .unwrap_or(name)
    }

    /// The integer argument `key`, with its default, minimum, maximum and `enum` taken from this
    /// spec's schema.
    ///
    /// # Errors
    /// Present but not an integer the schema allows (a whole-number float such as `20.0` is an
    /// integer, as in JSON Schema); or the spec declares no such integer argument.
    pub fn uint(&self, args: &Value, key: &str) -> Result<u64, SdkError> {
        let schema = self.args.get(key).ok_or_else(|| {
            SdkError::new(
                ErrorKind::Internal,
                format!("tool {} reads undeclared argument `{key}`", self.name),
            )
        })?;
        let bound = |k: &str| schema.get(k).and_then(Value::as_u64);
        let min = bound("minimum").unwrap_or(0);
        let max = bound("maximum").unwrap_or(u64::MAX);
        let allowed: Option<Vec<u64>> = schema
            .get("enum")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_u64).collect());
        let n = match args.get(key) {
            None | Some(Value::Null) => {
                return bound("default")
                    .ok_or_else(|| SdkError::invalid_args(format!("`{key}` is required")));
            }
            Some(x) => whole_number(x),
        };
        let ok =
            n.filter(|n| (min..=max).contains(n) && allowed.as_ref().is_none_or(|a| a.contains(n)));
        ok.ok_or_else(|| {
            SdkError::invalid_args(match &allowed {
                Some(a) => format!("`{key}` must be one of {a:?}"),
                None => format!("`{key}` must be an integer in {min}..={max}"),
            })
        })
    }

    /// The string argument `key`, its schema default when absent, checked against the schema's
    /// `enum` when it has one.
    ///
    /// # Errors
    /// Not a string, or not one of the allowed values.
    pub fn string<'a>(&'a self, args: &'a Value, key: &str) -> Result<&'a str, SdkError> {
        let schema = self.args.get(key);
        let value = match args.get(key) {
            None | Some(Value::Null) => schema
                .and_then(|s| s.get("default"))
                .and_then(Value::as_str)
                .ok_or_else(|| SdkError::invalid_args(format!("`{key}` is required")))?,
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err(SdkError::invalid_args(format!("`{key}` must be a string"))),
        };
        let allowed = schema.and_then(|s| s.get("enum")).and_then(Value::as_array);
        match allowed {
            Some(a) if !a.iter().any(|x| x.as_str() == Some(value)) => Err(SdkError::invalid_args(
                format!("`{key}` {value:?} is not supported"),
            )),
            _ => Ok(value),
        }
    }

    fn descriptor(&self) -> ToolDescriptor {
        let mut props = json!({"symbol": {"type": "string", "description": "orderflow symbol, e.g. BTCUSDT", "pattern": "^[A-Z0-9]{2,20}$"}});
        if let (Some(p), Value::Object(extra)) = (props.as_object_mut(), self.args.clone()) {
            p.extend(extra);
        }
        let output = self.output.clone().unwrap_or_else(|| match self.source {
            Source::Live(_) => json!({"type": "object", "required": ["venue", "symbol", "kind", "age_ms", "data"],
                "properties": {"venue": {"type": "string"}, "symbol": {"type": "string"}, "kind": {"type": "string"},
                               "age_ms": {"type": "number", "description": "age of the newest datum in ms (stale if large)"},
                               "ts_recv": {"type": "integer"},
                               "data": {"anyOf": [{"type": "object"}, {"type": "array"}], "description": "the datum (an object) or the most recent items (an array)"}}}),
            Source::Derived => json!({"type": "object", "required": ["venue", "symbol"],
                "properties": {"venue": {"type": "string"}, "symbol": {"type": "string"}}}),
            Source::Rest => json!({"type": "object", "required": ["venue", "symbol", "rows"],
                "properties": {"venue": {"type": "string"}, "symbol": {"type": "string"}, "rows": {"type": "array"}}}),
        });
        ToolDescriptor {
            name: self.name.into(),
            description: self.description.into(),
            input_schema: json!({"type": "object", "properties": props, "required": ["symbol"], "additionalProperties": false}).to_string().into(),
            output_schema: output.to_string().into(),
        }
    }
}

/// A JSON number that is a non-negative whole number (`20` or `20.0`), as JSON Schema's
/// `integer` type accepts it.
fn whole_number(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| {
        v.as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
            .map(|f| f as u64)
    })
}

/// How a call started by [`ToolSet::start`] continues.
#[derive(Debug)]
pub enum Started<'s> {
    /// Answered (live-state and derived tools).
    Done(ToolStep),
    /// A REST tool: the plugin builds the request from the spec and the checked arguments.
    Rest {
        /// The tool.
        spec: &'s ToolSpec,
        /// The arguments (a JSON object).
        args: Value,
        /// The `symbol` argument, checked.
        symbol: String,
    },
}

/// A plugin's tools.
#[derive(Clone, Debug, Default)]
pub struct ToolSet {
    specs: Vec<ToolSpec>,
}

impl ToolSet {
    /// A set of specs.
    pub fn new(specs: Vec<ToolSpec>) -> Self {
        Self { specs }
    }

    /// The (venue, stream) pairs the live-state tools read: each must be a declared stream of
    /// its venue ([`check_capabilities`]).
    pub fn live_streams(&self) -> Vec<(&'static str, &'static str)> {
        self.specs
            .iter()
            .filter_map(|s| match s.source {
                Source::Live(kind) => Some((s.venue, kind)),
                _ => None,
            })
            .collect()
    }

    /// Descriptors for the host.
    pub fn descriptors(&self) -> Vec<ToolDescriptor> {
        self.specs.iter().map(ToolSpec::descriptor).collect()
    }

    /// The spec named `name`.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`].
    pub fn get(&self, name: &str) -> Result<&ToolSpec, SdkError> {
        self.specs
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| SdkError::new(ErrorKind::NotFound, format!("unknown tool {name:?}")))
    }

    /// Starts a call: checks the arguments, answers live-state and derived tools, hands REST
    /// tools back.
    ///
    /// # Errors
    /// Unknown tool, arguments that are not a JSON object or fail a check, the host's error.
    pub fn start(
        &self,
        name: &str,
        args: &str,
        host: &HostViewRef<'_>,
    ) -> Result<Started<'_>, SdkError> {
        let spec = self.get(name)?;
        let v: Value = serde_json::from_str(args)
            .map_err(|e| SdkError::invalid_args(format!("arguments are not JSON: {e}")))?;
        if !v.is_object() {
            return Err(SdkError::invalid_args("arguments must be a JSON object"));
        }
        let symbol = symbol_arg(&v)?;
        match spec.source {
            Source::Live(kind) => {
                let limit = match kind {
                    "book" => spec.uint(&v, "depth")?,
                    "trades" | "liquidations" => spec.uint(&v, "limit")?,
                    _ => 1,
                };
                let q = json!({"op": "live", "venue": spec.venue, "symbol": symbol, "kind": kind, "limit": limit});
                let ans = host.query(RStr::from_str(&q.to_string())).into_result()?;
                Ok(Started::Done(ToolStep::Done(ans)))
            }
            Source::Derived => {
                let out = crate::derived::call(spec.suffix(), spec.venue, &symbol, &v, host)?;
                Ok(Started::Done(ToolStep::Done(out.to_string().into())))
            }
            Source::Rest => Ok(Started::Rest {
                spec,
                args: v,
                symbol,
            }),
        }
    }
}

/// `{"depth": …}`: levels per side, 1..=`max`, default 20.
pub fn depth_arg(max: u64) -> Value {
    json!({"depth": {"type": "integer", "minimum": 1, "maximum": max, "default": 20, "description": "levels per side"}})
}

/// `{"limit": …}`: most recent items, 1..=`max`, default `default`.
pub fn limit_arg(default: u64, max: u64) -> Value {
    json!({"limit": {"type": "integer", "minimum": 1, "maximum": max, "default": default, "description": "most recent first, at most this many"}})
}

/// Checks that every live-state tool of `set` reads a stream its venue declares in `caps`
/// (a tool a venue cannot serve must not be registered).
///
/// # Errors
/// The first tool stream a venue does not declare.
pub fn check_capabilities(
    set: &ToolSet,
    caps: &[orderflow_tool_sdk::VenueCapabilities],
) -> Result<(), String> {
    for (venue, kind) in set.live_streams() {
        let declared = caps
            .iter()
            .find(|c| c.venue == venue)
            .is_some_and(|c| c.streams.iter().any(|s| s == kind));
        if !declared {
            return Err(format!(
                "a {venue} tool reads {kind}, which {venue} does not declare"
            ));
        }
    }
    for c in caps {
        if let Some(s) = c
            .streams
            .iter()
            .find(|s| !orderflow_tool_sdk::STREAMS.contains(&s.as_str()))
        {
            return Err(format!("{}: unknown stream {s:?}", c.venue));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ToolSpec {
        ToolSpec::new("x_get_book", "x", Source::Rest, "d")
            .args(depth_arg(50))
            .args(
                json!({"limit": {"type": "integer", "enum": [5, 10, 20], "default": 10},
                         "bar": {"type": "string", "enum": ["1m", "1H"], "default": "1m"}}),
            )
    }

    #[test]
    fn argument_checks_follow_the_schema() {
        let s = spec();
        assert_eq!(s.suffix(), "get_book");
        // 1. Default, in range, whole-number float (JSON Schema integers), out of range.
        assert_eq!(s.uint(&json!({}), "depth").unwrap(), 20);
        assert_eq!(s.uint(&json!({"depth": 50}), "depth").unwrap(), 50);
        assert_eq!(s.uint(&json!({"depth": 30.0}), "depth").unwrap(), 30);
        assert!(s.uint(&json!({"depth": 51}), "depth").is_err());
        assert!(s.uint(&json!({"depth": 0}), "depth").is_err());
        assert!(s.uint(&json!({"depth": 2.5}), "depth").is_err());
        assert!(s.uint(&json!({"depth": "5"}), "depth").is_err());
        // 2. Enumerations.
        assert_eq!(s.uint(&json!({"limit": 20}), "limit").unwrap(), 20);
        assert!(s.uint(&json!({"limit": 15}), "limit").is_err());
        assert_eq!(s.string(&json!({}), "bar").unwrap(), "1m");
        assert!(s.string(&json!({"bar": "2m"}), "bar").is_err());
        // 3. A tool reading an argument it does not declare is a bug, reported.
        assert_eq!(
            s.uint(&json!({}), "nope").unwrap_err().kind,
            ErrorKind::Internal
        );
    }

    #[test]
    fn descriptors_require_symbol_and_refuse_extra_keys() {
        let set = ToolSet::new(vec![spec()]);
        let d = &set.descriptors()[0];
        let schema: Value = serde_json::from_str(d.input_schema.as_str()).unwrap();
        assert_eq!(schema["required"], json!(["symbol"]));
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["properties"]["depth"]["maximum"], 50);
        assert!(set.get("nope").is_err());
    }
}
