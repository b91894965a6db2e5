//! The tool registry: one catalogue of plugin and built-in tools.

use crate::ToolError;
use crate::calls::ToolCalls;
use crate::live::{HostViewImpl, LiveStore};
use crate::loader::LoadedPlugin;
use crate::series::HistorySeries;
use abi_stable::std_types::RStr;
use orderflow_tool_sdk::{HttpRequest, HttpResponse, ToolStep};
use parking_lot::RwLock;
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

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

pub use orderflow_request_guard::whole_numbers_as_integers;

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
    /// A plugin's tool, and where its steps run.
    Plugin(Arc<LoadedPlugin>, Placement),
    Builtin(Arc<dyn BuiltinTool>),
}

#[derive(Debug)]
struct Entry {
    /// The plugin that provides it, or `None` for a built-in.
    plugin: Option<String>,
    info: ToolInfo,
    validator: Arc<jsonschema::Validator>,
    imp: Impl,
    calls: ToolCalls,
}

/// Where a plugin tool's steps run. A step may compute for a while (a forecast, a backtest),
/// so every tool starts on tokio's blocking pool. A tool whose last [`Placement::INLINE_AFTER`]
/// steps were each quick (live-state lookups, building a REST request) runs its steps on the
/// calling task instead: two thread hand-offs fewer per call, which were most of the server's
/// context switches under an MCP load. A step that is not quick sends the tool back to the
/// pool, so a slow step holds a runtime thread at most once in a row.
///
/// Quick means at most [`Placement::QUICK`] of the thread's CPU time, and off the CPU (blocked,
/// or waiting for a core) for at most [`Placement::MAX_OFF_CPU`]. CPU time, not wall time:
/// under load a quick step is often preempted, and judged by the wall clock every preemption
/// sent the tool back to the pool for 64 calls, adding the hand-offs exactly when the cores were
/// scarce (benches/README.md, MCP). The off-CPU bound still catches a tool that blocks.
#[derive(Debug, Default)]
struct Placement {
    quick_streak: AtomicU32,
}

/// How long one plugin step took.
#[derive(Clone, Copy, Debug)]
struct StepTime {
    /// Wall-clock time.
    wall: Duration,
    /// CPU time of the thread that ran it (the wall time where the platform has no such clock).
    cpu: Duration,
}

impl StepTime {
    /// Measures `f`.
    fn of<R>(f: impl FnOnce() -> R) -> (R, Self) {
        let (wall0, cpu0) = (Instant::now(), thread_cpu());
        let r = f();
        let wall = wall0.elapsed();
        let cpu = match (cpu0, thread_cpu()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => wall,
        };
        (r, Self { wall, cpu })
    }
}

/// The calling thread's CPU time.
fn thread_cpu() -> Option<Duration> {
    #[cfg(unix)]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Some(Duration::new(
            u64::try_from(t.tv_sec).ok()?,
            u32::try_from(t.tv_nsec).ok()?,
        ))
    }
    #[cfg(not(unix))]
    {
        None
    }
}

impl Placement {
    /// The most CPU time a quick step takes.
    const QUICK: Duration = Duration::from_micros(200);
    /// The most time a quick step spends off the CPU.
    const MAX_OFF_CPU: Duration = Duration::from_millis(5);
    /// Quick steps in a row before a tool runs inline.
    const INLINE_AFTER: u32 = 64;

    fn inline(&self) -> bool {
        self.quick_streak.load(Ordering::Relaxed) >= Self::INLINE_AFTER
    }

    fn record(&self, took: StepTime) {
        let quick =
            took.cpu <= Self::QUICK && took.wall.saturating_sub(took.cpu) <= Self::MAX_OFF_CPU;
        if quick {
            let _ = self
                .quick_streak
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    (n < Self::INLINE_AFTER).then_some(n + 1)
                });
        } else {
            self.quick_streak.store(0, Ordering::Relaxed);
        }
    }
}

/// Base URLs of one venue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VenueEndpoints {
    /// WebSocket base, e.g. `wss://fstream.binance.com`.
    pub ws_url: String,
    /// REST base, e.g. `https://fapi.binance.com`.
    pub rest_url: String,
}

/// The registry. Its tool set changes at run time when a plugin is disabled or enabled again;
/// every change bumps a generation that [`ToolRegistry::subscribe`] watchers see (the MCP server
/// turns it into `notifications/tools/list_changed`). Plugins are never unloaded (abi_stable
/// keeps a library for the life of the process), only hidden.
#[derive(Debug)]
pub struct ToolRegistry {
    tools: BTreeMap<String, Entry>,
    disabled_plugins: RwLock<BTreeSet<String>>,
    generation: watch::Sender<u64>,
    live: Arc<LiveStore>,
    endpoints: BTreeMap<String, VenueEndpoints>,
    http: reqwest::Client,
    history_series: Option<Arc<dyn HistorySeries>>,
    plugin_settings: BTreeMap<String, Value>,
    /// Calls naming no (enabled) tool; not labelled by name, which the caller chooses.
    unknown_calls: AtomicU64,
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
            disabled_plugins: RwLock::new(BTreeSet::new()),
            generation: watch::Sender::new(0),
            live,
            endpoints,
            http,
            history_series: None,
            plugin_settings: BTreeMap::new(),
            unknown_calls: AtomicU64::new(0),
        }
    }

    /// Serves `series` requests beyond memory from stored history (SDK 1.3).
    pub fn set_history_series(&mut self, history: Arc<dyn HistorySeries>) {
        self.history_series = Some(history);
    }

    /// Each plugin's `[plugins.settings.<name>]`, answered to it by the `settings` op (SDK 1.3).
    pub fn set_plugin_settings(&mut self, settings: BTreeMap<String, Value>) {
        self.plugin_settings = settings;
    }

    fn view_for(&self, plugin: &str) -> HostViewImpl {
        HostViewImpl {
            live: self.live.clone(),
            history: self.history_series.clone(),
            settings: self
                .plugin_settings
                .get(plugin)
                .cloned()
                .unwrap_or_else(|| Value::Object(serde_json::Map::new())),
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
                    plugin: Some(plugin.name().to_owned()),
                    info,
                    validator: Arc::new(validator),
                    imp: Impl::Plugin(plugin.clone(), Placement::default()),
                    calls: ToolCalls::default(),
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
                plugin: None,
                info,
                validator: Arc::new(validator),
                imp: Impl::Builtin(tool),
                calls: ToolCalls::default(),
            },
        );
        Ok(())
    }

    fn visible(&self, name: &str) -> Option<&Entry> {
        let e = self.tools.get(name)?;
        match &e.plugin {
            Some(p) if self.disabled_plugins.read().contains(p) => None,
            _ => Some(e),
        }
    }

    /// Every enabled tool, by name.
    pub fn list(&self) -> Vec<ToolInfo> {
        let off = self.disabled_plugins.read();
        self.tools
            .values()
            .filter(|e| e.plugin.as_ref().is_none_or(|p| !off.contains(p)))
            .map(|e| e.info.clone())
            .collect()
    }

    /// One enabled tool.
    pub fn get(&self, name: &str) -> Option<ToolInfo> {
        self.visible(name).map(|e| e.info.clone())
    }

    /// Number of enabled tools.
    pub fn len(&self) -> usize {
        self.list().len()
    }

    /// True when no tool is enabled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Names of the plugins that provide tools, with whether each is enabled.
    pub fn plugins(&self) -> Vec<(String, bool)> {
        let off = self.disabled_plugins.read();
        let names: BTreeSet<&String> = self
            .tools
            .values()
            .filter_map(|e| e.plugin.as_ref())
            .collect();
        names
            .into_iter()
            .map(|n| (n.clone(), !off.contains(n)))
            .collect()
    }

    /// Shows or hides every tool of `plugin`. Returns whether the tool set changed.
    ///
    /// # Errors
    /// [`ToolError::NotFound`] when no tool comes from that plugin.
    pub fn set_plugin_enabled(&self, plugin: &str, enabled: bool) -> Result<bool, ToolError> {
        if !self
            .tools
            .values()
            .any(|e| e.plugin.as_deref() == Some(plugin))
        {
            return Err(ToolError::NotFound(format!("plugin {plugin}")));
        }
        let changed = {
            let mut off = self.disabled_plugins.write();
            if enabled {
                off.remove(plugin)
            } else {
                off.insert(plugin.to_owned())
            }
        };
        if changed {
            self.generation.send_modify(|g| *g += 1);
            tracing::info!(plugin, enabled, "tool set changed");
        }
        Ok(changed)
    }

    /// A receiver that changes whenever the tool set does.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Validates `args` against the tool's schema.
    ///
    /// # Errors
    /// [`ToolError::NotFound`] or [`ToolError::InvalidArgs`] listing every violation.
    pub fn validate(&self, name: &str, args: &Value) -> Result<(), ToolError> {
        let Some(e) = self.visible(name) else {
            self.unknown_calls.fetch_add(1, Ordering::Relaxed);
            return Err(ToolError::NotFound(name.to_owned()));
        };
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
            let r = Err(ToolError::InvalidArgs(errors.join("; ")));
            e.calls.record(&r);
            r
        }
    }

    /// Calls a tool: validates, runs (performing REST requests a plugin asks for), returns JSON.
    ///
    /// # Errors
    /// [`ToolError`].
    pub async fn call(&self, name: &str, args: Value) -> Result<Value, ToolError> {
        self.validate(name, &args)?;
        self.call_validated(name, args).await
    }

    /// [`call`](Self::call) for arguments the caller has just checked with
    /// [`validate`](Self::validate) (the MCP path does, to tell a schema error from a failed
    /// run): the schema is not walked a second time.
    ///
    /// # Errors
    /// [`ToolError`].
    pub async fn call_validated(&self, name: &str, mut args: Value) -> Result<Value, ToolError> {
        // One source of truth: JSON Schema's `integer` accepts `100.0`, so the tool gets `100`.
        whole_numbers_as_integers(&mut args);
        let Some(e) = self.visible(name) else {
            self.unknown_calls.fetch_add(1, Ordering::Relaxed);
            return Err(ToolError::NotFound(name.to_owned()));
        };
        let flight = e.calls.start();
        let r = match &e.imp {
            Impl::Builtin(t) => {
                let t = t.clone();
                // Dropping this future (client gone, MCP cancellation) cancels the call's
                // scope, which interrupts a history query it is running.
                let cancel = crate::cancel::Cancel::new();
                let guard = crate::cancel::CancelOnDrop::new(cancel.clone());
                let r = tokio::task::spawn_blocking(move || {
                    crate::cancel::scope(cancel, || t.call(&args))
                })
                .await
                .map_err(|e| ToolError::Internal(format!("tool task failed: {e}")));
                guard.disarm();
                r.and_then(|r| r)
            }
            Impl::Plugin(p, placement) => self.call_plugin(p.clone(), placement, name, &args).await,
        };
        flight.finish(r)
    }

    /// Every tool's calls by outcome (`tool`, outcome, calls; outcomes never seen are left
    /// out), then the calls that named no enabled tool.
    pub fn call_counts(&self) -> (Vec<(String, &'static str, u64)>, u64) {
        let per_tool = self
            .tools
            .iter()
            .flat_map(|(name, e)| {
                e.calls
                    .nonzero()
                    .into_iter()
                    .map(move |(o, n)| (name.clone(), o, n))
            })
            .collect();
        (per_tool, self.unknown_calls.load(Ordering::Relaxed))
    }

    async fn call_plugin(
        &self,
        p: Arc<LoadedPlugin>,
        placement: &Placement,
        name: &str,
        args: &Value,
    ) -> Result<Value, ToolError> {
        let view = self.view_for(p.name());
        let args = args.to_string();
        let mut step = run_step(&p, placement, &view, name, &args, None).await?;
        for _ in 0..8 {
            match step {
                ToolStep::Done(json) => {
                    return serde_json::from_str(json.as_str()).map_err(|e| {
                        ToolError::Internal(format!("tool {name} returned invalid JSON: {e}"))
                    });
                }
                ToolStep::Fetch { request, state } => {
                    let resp = self.fetch(&request).await;
                    step = run_step(
                        &p,
                        placement,
                        &view,
                        name,
                        &args,
                        Some((state.to_string(), resp)),
                    )
                    .await?;
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

/// Runs one plugin step where its [`Placement`] says: on a blocking thread (a tool may
/// compute for a while and must not hold up the async runtime), or here when its steps have
/// been quick.
async fn run_step(
    p: &Arc<LoadedPlugin>,
    placement: &Placement,
    view: &HostViewImpl,
    name: &str,
    args: &str,
    resume: Option<(String, HttpResponse)>,
) -> Result<ToolStep, ToolError> {
    if placement.inline() {
        let (r, took) = plugin_step(p, view, name, args, resume);
        placement.record(took);
        return r;
    }
    let (p, view, name, args) = (p.clone(), view.clone(), name.to_owned(), args.to_owned());
    let (r, took) =
        tokio::task::spawn_blocking(move || plugin_step(&p, &view, &name, &args, resume))
            .await
            .map_err(|e| ToolError::Internal(format!("tool task failed: {e}")))?;
    placement.record(took);
    r
}

/// Calls the plugin once; returns its answer and how long it took.
fn plugin_step(
    p: &LoadedPlugin,
    view: &HostViewImpl,
    name: &str,
    args: &str,
    resume: Option<(String, HttpResponse)>,
) -> (Result<ToolStep, ToolError>, StepTime) {
    let (r, took) = StepTime::of(|| {
        let host = orderflow_tool_sdk::host_view(view);
        match resume {
            None => (p.module.call_tool())(RStr::from_str(name), RStr::from_str(args), host),
            Some((state, resp)) => {
                (p.module.resume_tool())(RStr::from_str(name), RStr::from_str(&state), resp, host)
            }
        }
    });
    (r.into_result().map_err(ToolError::from), took)
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

#[cfg(test)]
mod tests {
    use super::{Placement, StepTime};
    use std::time::Duration;

    fn cpu(cpu: Duration) -> StepTime {
        StepTime { wall: cpu, cpu }
    }

    #[test]
    fn a_tool_runs_inline_after_a_streak_of_quick_steps_and_leaves_on_a_slow_one() {
        let p = Placement::default();
        let quick = cpu(Placement::QUICK / 2);
        for _ in 1..Placement::INLINE_AFTER {
            p.record(quick);
        }
        assert!(!p.inline(), "one quick step short of the streak");
        p.record(quick);
        assert!(p.inline());
        // More quick steps keep it inline (the streak saturates instead of wrapping).
        for _ in 0..1000 {
            p.record(quick);
        }
        assert!(p.inline());
        // One slow step: back to the pool, and the streak starts over.
        p.record(cpu(Placement::QUICK + Duration::from_micros(1)));
        assert!(!p.inline());
        for _ in 1..Placement::INLINE_AFTER {
            p.record(cpu(Placement::QUICK));
        }
        assert!(!p.inline());
        p.record(cpu(Placement::QUICK));
        assert!(p.inline(), "exactly QUICK still counts as quick");
    }

    #[test]
    fn a_preempted_step_stays_quick_and_a_blocking_one_does_not() {
        let p = Placement::default();
        // 3 ms on the wall clock (a scheduler slice spent waiting for a core), 50 µs of CPU.
        let preempted = StepTime {
            wall: Duration::from_millis(3),
            cpu: Duration::from_micros(50),
        };
        for _ in 0..Placement::INLINE_AFTER {
            p.record(preempted);
        }
        assert!(p.inline());
        // 20 ms asleep with almost no CPU: a tool that blocks goes back to the pool.
        p.record(StepTime {
            wall: Duration::from_millis(20),
            cpu: Duration::from_micros(10),
        });
        assert!(!p.inline());
    }

    #[test]
    fn step_time_counts_the_threads_cpu_not_its_sleep() {
        let ((), t) = StepTime::of(|| std::thread::sleep(Duration::from_millis(30)));
        assert!(t.wall >= Duration::from_millis(30));
        assert!(t.cpu < Duration::from_millis(10), "{t:?}");
        let (n, t) = StepTime::of(|| {
            let started = std::time::Instant::now();
            let mut n = 0u64;
            while started.elapsed() < Duration::from_millis(20) {
                n = std::hint::black_box(n.wrapping_add(1));
            }
            n
        });
        assert!(n > 0);
        // A busy loop of 20 ms: its CPU time is most of that (unless the machine is starved,
        // which would make it smaller, never larger than the wall time).
        assert!(t.cpu <= t.wall + Duration::from_millis(1), "{t:?}");
        assert!(t.cpu >= Duration::from_millis(1), "{t:?}");
    }
}
