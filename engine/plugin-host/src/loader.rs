//! Loading plugin libraries.

use crate::PluginError;
use abi_stable::library::{LibraryError, RootModule, lib_header_from_path};
use abi_stable::std_types::RStr;
use orderflow_tool_sdk::{
    ErrorKind, PluginManifest, PluginModRef, PluginQuery, SDK_VERSION, ToolDescriptor,
    VenueCapabilities, VenueDefaults, heap::HeapUsage,
};
use std::path::{Path, PathBuf};

/// A loaded plugin (never unloaded).
#[derive(Clone)]
pub struct LoadedPlugin {
    /// Where it was loaded from (`<in-process>` for linked modules).
    pub path: PathBuf,
    /// Root module.
    pub module: PluginModRef,
    /// Identity.
    pub manifest: PluginManifest,
    /// Tools.
    pub tools: Vec<ToolDescriptor>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("path", &self.path)
            .field("manifest", &self.manifest)
            .field("tools", &self.tools.len())
            .finish()
    }
}

impl LoadedPlugin {
    /// Wraps a module that is linked into this process (tests, single-binary builds).
    pub fn from_module(module: PluginModRef) -> Self {
        let manifest = (module.manifest())();
        let tools = (module.tools())().into_vec();
        Self {
            path: PathBuf::from("<in-process>"),
            module,
            manifest,
            tools,
        }
    }

    /// Plugin name.
    pub fn name(&self) -> &str {
        self.manifest.name.as_str()
    }

    /// The plugin's default settings for its venues (SDK ≥ 1.1). `None` for a plugin built on
    /// SDK 1.0, which does not know the query; an error or undecodable answer is logged and
    /// `None`.
    pub fn venue_defaults(&self) -> Option<Vec<VenueDefaults>> {
        let name = PluginQuery::VenueDefaults.name();
        let answer = match (self.module.query())(RStr::from_str(name)).into_result() {
            Ok(a) => a,
            Err(e) if e.kind == ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(plugin = self.name(), error = %e, "venue defaults query failed");
                return None;
            }
        };
        serde_json::from_str(answer.as_str())
            .inspect_err(|e| {
                tracing::warn!(plugin = self.name(), error = %e, "undecodable venue defaults ignored");
            })
            .ok()
    }

    /// The plugin's own heap (SDK ≥ 1.4, and only when its allocator counts it: see
    /// `orderflow_tool_sdk::heap`); `None` otherwise.
    pub fn heap(&self) -> Option<HeapUsage> {
        let name = PluginQuery::Heap.name();
        let answer = (self.module.query())(RStr::from_str(name))
            .into_result()
            .ok()?;
        serde_json::from_str(answer.as_str()).ok()
    }

    /// What the plugin's venues offer (SDK ≥ 1.2); empty for an older plugin, which does not
    /// know the query, or when the answer is undecodable (logged).
    pub fn capabilities(&self) -> Vec<VenueCapabilities> {
        let name = PluginQuery::Capabilities.name();
        match (self.module.query())(RStr::from_str(name)).into_result() {
            Ok(a) => serde_json::from_str(a.as_str())
                .inspect_err(|e| {
                    tracing::warn!(plugin = self.name(), error = %e, "undecodable capabilities ignored");
                })
                .unwrap_or_default(),
            Err(e) if e.kind == ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                tracing::warn!(plugin = self.name(), error = %e, "capabilities query failed");
                Vec::new()
            }
        }
    }

    /// True when the plugin serves `venue`.
    pub fn serves(&self, venue: &str) -> bool {
        self.manifest.venues.iter().any(|v| v.id.as_str() == venue)
    }
}

/// Loads one plugin library.
///
/// # Errors
/// [`PluginError::Open`], [`PluginError::AbiMismatch`] (naming both versions) or
/// [`PluginError::Incompatible`].
pub fn load(path: &Path) -> Result<LoadedPlugin, PluginError> {
    let header = lib_header_from_path(path).map_err(|e| classify(path, e))?;
    let module = header
        .init_root_module::<PluginModRef>()
        .map_err(|e| classify(path, e))?;
    let loaded = LoadedPlugin {
        path: path.to_path_buf(),
        ..LoadedPlugin::from_module(module)
    };
    tracing::info!(
        plugin = loaded.name(),
        version = loaded.manifest.version.as_str(),
        sdk = loaded.manifest.sdk_version.as_str(),
        profile = loaded.manifest.profile.as_str(),
        tools = loaded.tools.len(),
        path = %path.display(),
        "plugin loaded"
    );
    Ok(loaded)
}

fn classify(path: &Path, e: LibraryError) -> PluginError {
    match e {
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => PluginError::AbiMismatch {
            path: path.to_path_buf(),
            expected: expected_version.to_string(),
            found: actual_version.to_string(),
        },
        LibraryError::OpenError { .. } | LibraryError::GetSymbolError { .. } => PluginError::Open {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
        other => PluginError::Incompatible {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    }
}

/// Loads every `*.so` in `dir` whose name starts with `liborderflow_plugin_` (or, with
/// `names`, only those plugin names). Returns the loaded plugins and the failures.
///
/// # Errors
/// [`PluginError::Dir`] when the folder cannot be read.
pub fn load_dir(
    dir: &Path,
    names: Option<&[String]>,
) -> Result<(Vec<LoadedPlugin>, Vec<PluginError>), PluginError> {
    let rd = std::fs::read_dir(dir).map_err(|source| PluginError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let f = p.file_name().and_then(|f| f.to_str()).unwrap_or("");
            let ok =
                f.starts_with("liborderflow_plugin_") && f.ends_with(std::env::consts::DLL_SUFFIX);
            ok && names.is_none_or(|ns| {
                ns.iter().any(|n| {
                    f == format!("liborderflow_plugin_{n}{}", std::env::consts::DLL_SUFFIX)
                })
            })
        })
        .collect();
    paths.sort();
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for p in paths {
        match load(&p) {
            Ok(l) => ok.push(l),
            Err(e) => {
                tracing::error!(error = %e, "plugin refused");
                failed.push(e);
            }
        }
    }
    Ok((ok, failed))
}

/// The ABI version this host speaks.
pub fn host_abi_version() -> String {
    format!(
        "{} ({})",
        SDK_VERSION,
        <PluginModRef as RootModule>::VERSION_STRINGS
    )
}
