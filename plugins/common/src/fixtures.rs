//! Reading a plugin's `test_data/` from tests and benches of any crate.

use std::path::PathBuf;

/// Reads `test_data/<name>` of the plugin whose manifest directory was `compiled_dir` when it
/// was built. That path comes first (a bench in another crate runs with that crate's
/// `CARGO_MANIFEST_DIR`); the run-time `CARGO_MANIFEST_DIR` is the fallback, for an artefact
/// built from another checkout of the same sources (a target dir shared between clones).
///
/// # Errors
/// The file exists under neither directory.
pub fn read_test_data(compiled_dir: &str, name: &str) -> std::io::Result<String> {
    let mut dirs = vec![PathBuf::from(compiled_dir)];
    if let Some(run) = std::env::var_os("CARGO_MANIFEST_DIR") {
        dirs.push(PathBuf::from(run));
    }
    let mut last = None;
    for d in dirs {
        match std::fs::read_to_string(d.join("test_data").join(name)) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no directory to read from")))
}
