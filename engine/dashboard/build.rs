//! Embeds the dashboard: the project's own files under `web/` and ECharts' minified bundle from
//! the npm package that `scripts/setup.sh` installs (pinned) into `.deps/web` — located through
//! `ORDERFLOW_WEB_MODULES` (set in `.cargo/config.toml`). Each asset is gzip-compressed here once,
//! so the server sends the compressed bytes as they are.
//!
//! A missing or wrong ECharts stops the build with the command that fixes it.

#![allow(clippy::expect_used, clippy::panic)]

use flate2::Compression;
use flate2::write::GzEncoder;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The ECharts release the dashboard is written against (also pinned in scripts/setup.sh).
const ECHARTS_VERSION: &str = "5.6.0";

fn gzip_into(out: &Path, name: &str, bytes: &[u8]) {
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    enc.write_all(bytes)
        .and_then(|()| enc.finish())
        .and_then(|gz| std::fs::write(out.join(format!("{name}.gz")), gz))
        .unwrap_or_else(|e| panic!("compressing {name}: {e}"));
}

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    // Read at run time, not baked in with `env!`: a build script compiled in one checkout and
    // reused from a shared target dir by another must read the other's files.
    let manifest_dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let web = manifest_dir.join("web");
    println!("cargo:rerun-if-changed={}", web.display());
    for name in ["index.html", "app.js", "app.css"] {
        let path = web.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        gzip_into(&out, name, &bytes);
    }
    println!("cargo:rerun-if-env-changed=ORDERFLOW_WEB_MODULES");
    let modules = std::env::var("ORDERFLOW_WEB_MODULES").unwrap_or_else(|_| {
        panic!("ORDERFLOW_WEB_MODULES is not set (.cargo/config.toml sets it to .deps/web/node_modules)")
    });
    let pkg = Path::new(&modules).join("echarts");
    let manifest = pkg.join("package.json");
    println!("cargo:rerun-if-changed={}", manifest.display());
    let version = std::fs::read(&manifest)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["version"].as_str().map(str::to_owned));
    match version.as_deref() {
        Some(ECHARTS_VERSION) => {}
        Some(other) => panic!(
            "{} is echarts {other}; the dashboard needs {ECHARTS_VERSION}: run ./scripts/setup.sh",
            pkg.display()
        ),
        None => panic!(
            "echarts {ECHARTS_VERSION} is not installed in {}: run ./scripts/setup.sh (it installs the pinned npm packages into .deps/web)",
            pkg.display()
        ),
    }
    let bundle = pkg.join("dist/echarts.min.js");
    println!("cargo:rerun-if-changed={}", bundle.display());
    let bytes = std::fs::read(&bundle).unwrap_or_else(|e| panic!("{}: {e}", bundle.display()));
    gzip_into(&out, "echarts.min.js", &bytes);
    println!("cargo:rustc-env=ORDERFLOW_ECHARTS_VERSION={ECHARTS_VERSION}");
}
