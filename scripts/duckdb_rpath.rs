//! Build script shared by the packages whose binaries, tests or benches link DuckDB: it embeds an
//! rpath to the prebuilt `libduckdb.so` that `scripts/setup.sh` installs (`DUCKDB_LIB_DIR`, set by
//! `.cargo/config.toml`), so those executables run without `LD_LIBRARY_PATH`.

fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    if let Some(dir) = std::env::var_os("DUCKDB_LIB_DIR") {
        let dir = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.into());
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    }
}
