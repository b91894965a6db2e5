//! The tool registry: one catalogue of plugin and built-in tools.

use crate::ToolError;
use crate::live::{HostViewImpl, LiveStore};
use crate::loader::LoadedPlugin;
use abi_stable::sabi_trait::prelude::TD_Opaque;
use abi_stable::std_types::RStr;
use orderflow_tool_sdk::{HostView_TO, HttpRequest, HttpResponse, ToolStep};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// A tool implemented in the engine (analytics, history, streaming).
pub trait BuiltinTool: Send + Sync + std::fmt::Debug {
    /// Descriptor.
    fn descriptor(&self) -> ToolInfo;
    /// Runs the tool (blocking allowed: the registry calls it on a blocking thread).
    ///
    /// # Errors
    /// [`ToolError`].
    fn call(&self, args: &Value) -> Result<Value, ToolError>;
}

/// What `GET /tools` shows for a tool.
#[derive(Clone, Debug, Serialize)]
pub struct ToolInfo {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category (`binance`, `features`, `historical`, `streaming`, …).
    pub category: String,
    /// JSON Schema of the arguments.
    pub input_schema: Value,
    /// JSON Schema of the result, if fixed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
}

#[derive(Debug)]
enum Impl {
    Plugin(Arc<LoadedPlugin>),
    Builtin(Arc<dyn BuiltinTool>),
}

#[derive(Debug)]
struct Entry {
    info: ToolInfo,
    validator: Arc<jsonschema::Validator>,
    imp: Impl,
}

/// Base URLs of one venue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VenueEndpoints {
    /// WebSocket base, e.g. `wss://fstream.binance.com`.
    pub ws_url: String,
    /// REST base, e.g. `https://fapi.binance.com`.
    pub rest_url: String,
}

/// The registry.
#[derive(Debug)]
pub struct ToolRegistry {
    tools: BTreeMap<String, Entry>,
    live: Arc<LiveStore>,
    endpoints: BTreeMap<String, VenueEndpoints>,
    http: reqwest::Client,
}

fn compile(name: &str, schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::validator_for(schema).map_err(|e| format!("tool {name}: invalid input schema: {e}"))
}

impl ToolRegistry {
    /// An empty registry.
    pub fn new(live: Arc<LiveStore>, endpoints: BTreeMap<String, VenueEndpoints>) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            tools: BTreeMap::new(),
            live,
            endpoints,
            http,
        }
    }

    /// Adds every tool of a plugin, restricting `symbol` arguments to the configured symbols
    /// of its venues (`symbols`). Returns problems (e.g. a bad schema) without failing others.
    pub fn add_plugin(&mut self, plugin: Arc<LoadedPlugin>, symbols: &[String]) -> Vec<String> {
        let mut problems = Vec::new();
        for d in &plugin.tools {
            let name = d.name.to_string();
            let mut schema: Value = match serde_json::from_str(d.input_schema.as_str()) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(format!("tool {name}: input schema is not JSON: {e}"));
                    continue;
                }
            };
            if let Some(sym) = schema.pointer_mut("/properties/symbol")
                && !symbols.is_empty()
            {
                sym["enum"] = Value::from(symbols.to_vec());
            }
            let output_schema = serde_json::from_str(d.output_schema.as_str()).ok();
            let validator = match compile(&name, &schema) {
                Ok(v) => v,
                Err(e) => {
                    problems.push(e);
                    continue;
                }
            };
            let info = ToolInfo {
                name: name.clone(),
                description: d.description.to_string(),
                category: plugin.name().to_owned(),
                input_schema: schema,
                output_schema,
            };
            self.tools.insert(
                name,
                Entry {
                    info,
                    validator: Arc::new(validator),
                    imp: Impl::Plugin(plugin.clone()),
                },
            );
        }
        problems
    }

    /// Adds a built-in tool.
    ///
    /// # Errors
    /// When its schema does not compile.
    pub fn add_builtin(&mut self, tool: Arc<dyn BuiltinTool>) -> Result<(), String> {
        let info = tool.descriptor();
        let validator = compile(&info.name, &info.input_schema)?;
        self.tools.insert(
            info.name.clone(),
            Entry {
                info,
                validator: Arc::new(validator),
                imp: Impl::Builtin(tool),
            },
        );
        Ok(())
    }

    /// Every tool, by name.
    pub fn list(&self) -> Vec<ToolInfo> {
        self.tools.values().map(|e| e.info.clone()).collect()
    }

    /// One tool.
    pub fn get(&self, name: &str) -> Option<ToolInfo> {
        self.tools.get(name).map(|e| e.info.clone())
    }

    /// Number of tools.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// Validates `args` against the tool's schema.
    ///
    /// # Errors
    /// [`ToolError::NotFound`] or [`ToolError::InvalidArgs`] listing every violation.
    pub fn validate(&self, name: &str, args: &Value) -> Result<(), ToolError> {
        let e = self
            .tools
            .get(name)
            .ok_or_else(|| ToolError::NotFound(name.to_owned()))?;
        let errors: Vec<String> = e
            .validator
            .iter_errors(args)
            .map(|err| {
                let at = err.instance_path().to_string();
                if at.is_empty() {
                    err.to_string()
                } else {
                    format!("{at}: {err}")
                }
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ToolError::InvalidArgs(errors.join("; ")))
        }
    }

    /// Calls a tool: validates, runs (performing REST requests a plugin asks for), returns JSON.
    ///
    /// # Errors
    /// [`ToolError`].
    pub async fn call(&self, name: &str, args: Value) -> Result<Value, ToolError> {
        self.validate(name, &args)?;
        let e = self
            .tools
            .get(name)
            .ok_or_else(|| ToolError::NotFound(name.to_owned()))?;
        match &e.imp {
            Impl::Builtin(t) => {
                let t = t.clone();
                tokio::task::spawn_blocking(move || t.call(&args))
                    .await
                    .map_err(|e| ToolError::Internal(format!("tool task failed: {e}")))?
            }
            Impl::Plugin(p) => self.call_plugin(p, name, &args).await,
        }
    }

    fn step(
        &self,
        p: &LoadedPlugin,
        name: &str,
        args: &str,
        resume: Option<(&str, HttpResponse)>,
    ) -> Result<ToolStep, ToolError> {
        let view = HostViewImpl {
            live: self.live.clone(),
        };
        let host = HostView_TO::from_ptr(&view, TD_Opaque);
        let r = match resume {
            None => (p.module.call_tool())(RStr::from_str(name), RStr::from_str(args), host),
            Some((state, resp)) => {
                (p.module.resume_tool())(RStr::from_str(name), RStr::from_str(state), resp, host)
            }
        };
        r.into_result().map_err(ToolError::from)
    }

    async fn call_plugin(
        &self,
        p: &LoadedPlugin,
        name: &str,
        args: &Value,
    ) -> Result<Value, ToolError> {
        let args = args.to_string();
        let mut step = self.step(p, name, &args, None)?;
        for _ in 0..8 {
            match step {
                ToolStep::Done(json) => {
                    return serde_json::from_str(json.as_str()).map_err(|e| {
                        ToolError::Internal(format!("tool {name} returned invalid JSON: {e}"))
                    });
                }
                ToolStep::Fetch { request, state } => {
                    let resp = self.fetch(&request).await;
                    step = self.step(p, name, &args, Some((state.as_str(), resp)))?;
                }
            }
        }
        Err(ToolError::Internal(format!(
            "tool {name} did not finish within 8 steps"
        )))
    }

    /// Performs a plugin's REST request against the venue's configured base URL.
    pub async fn fetch(&self, req: &HttpRequest) -> HttpResponse {
        http_fetch(&self.http, &self.endpoints, req).await
    }
}

/// Performs an SDK [`HttpRequest`]; transport failures become status 0 with the reason.
pub async fn http_fetch(
    client: &reqwest::Client,
    endpoints: &BTreeMap<String, VenueEndpoints>,
    req: &HttpRequest,
) -> HttpResponse {
    let Some(ep) = endpoints.get(req.venue.as_str()) else {
        return HttpResponse {
            status: 0,
            body: format!("no REST endpoint configured for venue {}", req.venue).into(),
        };
    };
    let url = format!(
        "{}{}",
        ep.rest_url.trim_end_matches('/'),
        req.path_and_query
    );
    let builder = match req.method.as_str() {
        "POST" => client.post(&url).body(req.body.to_string()),
        _ => client.get(&url),
    };
    match builder.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            match r.text().await {
                Ok(body) => HttpResponse {
                    status,
                    body: body.into(),
                },
                Err(e) => HttpResponse {
                    status: 0,
                    body: format!("reading body: {e}").into(),
                },
            }
        }
        Err(e) => HttpResponse {
            status: 0,
            body: format!("request to {url} failed: {e}").into(),
        },
    }
}
