//! Scale-out on timely's own cluster mode (docs/cluster.md).
//!
//! * Processes: `--processes N --process I --hostfile F` (timely's hostfile: one `host:port`
//!   per line, process 0 first); `--local-cluster N` spawns processes 1‥N−1 of the same command
//!   on loopback and runs process 0 itself.
//! * Ownership: the venues, sorted by name, are dealt round-robin: venue k belongs to process
//!   `k mod N`. A process connects to (or, replaying, decodes) only its venues; the dataflow
//!   exchanges their updates to the worker that owns each instrument's key, anywhere in the
//!   cluster, and gathers every feature and book at every process (`orderflow_dataflow`).
//! * Storage: one database per process, `DATA/process-I/orderflow.duckdb`, holding the rows of
//!   its venues (process 0 also the per-symbol cross-venue rows); [`open_query`] reads a
//!   cluster's folders as one database (a view per table over all of them).

use anyhow::{Context, bail};
use orderflow_dataflow::ClusterConfig;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

/// The folder of one cluster process's database inside the data folder.
pub fn process_dir(data: &Path, process: usize) -> PathBuf {
    data.join(format!("process-{process}"))
}

/// The database a process writes: `DATA/orderflow.duckdb` alone, `DATA/process-I/…` in a
/// cluster.
pub fn db_path(data: &Path, cluster: Option<&ClusterConfig>) -> PathBuf {
    match cluster {
        Some(c) => process_dir(data, c.process).join("orderflow.duckdb"),
        None => data.join("orderflow.duckdb"),
    }
}

/// Reads a hostfile: one `host:port` per line (blank lines and `#` comments skipped).
///
/// # Errors
/// An unreadable file, a line that is not `host:port`, or fewer addresses than `processes`.
pub fn read_hostfile(path: &Path, processes: usize) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading hostfile {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let ok = line
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
        if !ok {
            bail!(
                "hostfile {} line {}: {line:?} is not host:port",
                path.display(),
                n + 1
            );
        }
        out.push(line.to_owned());
    }
    if out.len() < processes {
        bail!(
            "hostfile {} lists {} addresses for {processes} processes",
            path.display(),
            out.len()
        );
    }
    out.truncate(processes);
    Ok(out)
}

/// The cluster of `--processes N --process I --hostfile F` (`None` when N is absent or 1).
///
/// # Errors
/// Flags given partly, an index out of range, or a bad hostfile.
pub fn from_flags(
    processes: Option<usize>,
    process: Option<usize>,
    hostfile: Option<&Path>,
) -> anyhow::Result<Option<ClusterConfig>> {
    let Some(n) = processes else {
        if process.is_some() || hostfile.is_some() {
            bail!("--process and --hostfile need --processes");
        }
        return Ok(None);
    };
    let (Some(i), Some(f)) = (process, hostfile) else {
        bail!("--processes needs --process and --hostfile");
    };
    if n == 0 || i >= n {
        bail!("--process {i} is not in 0..{n}");
    }
    if n == 1 {
        return Ok(None);
    }
    Ok(Some(ClusterConfig {
        process: i,
        addresses: read_hostfile(f, n)?,
    }))
}

/// Whether `venue` belongs to this process: of `all` venues sorted by name, the k-th belongs
/// to process `k mod N`. Every venue belongs to the single process outside a cluster.
pub fn owns(cluster: Option<&ClusterConfig>, all: &[String], venue: &str) -> bool {
    let Some(c) = cluster else {
        return true;
    };
    let mut sorted: Vec<&String> = all.iter().collect();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .position(|v| v.as_str() == venue)
        .is_some_and(|k| k % c.processes() == c.process)
}

/// A local cluster's other processes, stopped (killed) when dropped unless waited for.
#[derive(Debug)]
pub struct LocalCluster {
    /// This process's place in it (process 0).
    pub config: ClusterConfig,
    children: Vec<Child>,
    _hostfile: tempfile::TempDir,
}

impl LocalCluster {
    /// Waits for every other process; an error names each one that failed.
    ///
    /// # Errors
    /// A process that could not be waited for or exited unsuccessfully.
    pub fn wait(mut self) -> anyhow::Result<()> {
        let mut failed = Vec::new();
        for (k, c) in self.children.iter_mut().enumerate() {
            let status = c
                .wait()
                .with_context(|| format!("waiting for process {}", k + 1))?;
            if !status.success() {
                failed.push(format!("process {} exited with {status}", k + 1));
            }
        }
        self.children.clear();
        if !failed.is_empty() {
            bail!("local cluster: {}", failed.join("; "));
        }
        Ok(())
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Free loopback ports for `n` processes (bound, read, released: another program could take
/// one in between, and the cluster then fails to start with a clear error).
fn free_ports(n: usize) -> anyhow::Result<Vec<u16>> {
    let listeners = (0..n)
        .map(|_| std::net::TcpListener::bind(("127.0.0.1", 0)))
        .collect::<Result<Vec<_>, _>>()
        .context("finding free loopback ports for the local cluster")?;
    listeners
        .iter()
        .map(|l| Ok(l.local_addr()?.port()))
        .collect()
}

/// The command line without `--local-cluster N` / `--local-cluster=N`.
pub fn without_local_cluster(args: &[std::ffi::OsString]) -> Vec<std::ffi::OsString> {
    let mut out = Vec::new();
    let mut skip = false;
    for a in args {
        if skip {
            skip = false;
            continue;
        }
        match a.to_str() {
            Some("--local-cluster") => skip = true,
            Some(s) if s.starts_with("--local-cluster=") => {}
            _ => out.push(a.clone()),
        }
    }
    out
}

/// Spawns processes 1‥n−1 of this program with `args` (the command line after the program
/// name, without `--local-cluster`) plus their cluster flags, on loopback ports written to a
/// temporary hostfile; this process is process 0.
///
/// # Errors
/// `n < 2`, no free ports, the hostfile or a process that cannot be started.
pub fn spawn_local(n: usize, args: &[std::ffi::OsString]) -> anyhow::Result<LocalCluster> {
    if n < 2 {
        bail!("--local-cluster needs at least 2 processes");
    }
    let ports = free_ports(n)?;
    let addresses: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let dir = tempfile::tempdir().context("temporary folder for the hostfile")?;
    let hostfile = dir.path().join("hostfile");
    std::fs::write(&hostfile, addresses.join("\n") + "\n")
        .with_context(|| format!("writing {}", hostfile.display()))?;
    let exe = std::env::current_exe().context("locating this program")?;
    let mut children = Vec::new();
    for i in 1..n {
        let child = Command::new(&exe)
            .args(args)
            .arg("--processes")
            .arg(n.to_string())
            .arg("--process")
            .arg(i.to_string())
            .arg("--hostfile")
            .arg(&hostfile)
            .spawn()
            .with_context(|| format!("starting process {i} of the local cluster"))?;
        children.push(child);
    }
    Ok(LocalCluster {
        config: ClusterConfig {
            process: 0,
            addresses,
        },
        children,
        _hostfile: dir,
    })
}

/// Opens a stopped database for reading: `DATA/orderflow.duckdb`, or a cluster's
/// `DATA/process-*/orderflow.duckdb` as one database — each attached read-only, and a view per
/// table (`UNION ALL BY NAME` over the processes that have it) in the connection's own catalog;
/// external access is then switched off, as for a single database.
///
/// # Errors
/// No database in the folder, or one that cannot be opened or attached.
pub fn open_query(data: &Path) -> anyhow::Result<duckdb::Connection> {
    let single = data.join("orderflow.duckdb");
    let mut parts: Vec<(usize, PathBuf)> = Vec::new();
    if let Ok(rd) = std::fs::read_dir(data) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(i) = name.strip_prefix("process-").and_then(|s| s.parse().ok()) {
                let db = e.path().join("orderflow.duckdb");
                if db.exists() {
                    parts.push((i, db));
                }
            }
        }
    }
    if parts.is_empty() || single.exists() {
        return Ok(orderflow_sink_duckdb::open_read_only(&single)?);
    }
    parts.sort();
    let conn = duckdb::Connection::open_in_memory()?;
    let mut tables: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (i, db) in &parts {
        let path = db.to_string_lossy().replace('\'', "''");
        conn.execute_batch(&format!("ATTACH '{path}' AS p{i} (READ_ONLY)"))
            .with_context(|| format!("attaching {}", db.display()))?;
        let mut st = conn.prepare(
            "SELECT table_name FROM information_schema.tables \
             WHERE table_catalog = ? AND table_schema = 'main' AND table_type = 'BASE TABLE'",
        )?;
        let names = st
            .query_map([format!("p{i}")], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        for t in names {
            tables.entry(t).or_default().push(format!("p{i}"));
        }
    }
    for (t, dbs) in &tables {
        let union = dbs
            .iter()
            .map(|d| format!("SELECT * FROM {d}.main.\"{t}\""))
            .collect::<Vec<_>>()
            .join(" UNION ALL BY NAME ");
        conn.execute_batch(&format!("CREATE VIEW \"{t}\" AS {union}"))?;
    }
    conn.execute_batch(
        "SET enable_external_access = false; SET autoinstall_known_extensions = false; \
         SET autoload_known_extensions = false; SET lock_configuration = true;",
    )?;
    Ok(conn)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn venues_are_dealt_round_robin_by_name() {
        let all: Vec<String> = ["okx", "binance", "bybit", "deribit", "binance_spot"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let c = |i| ClusterConfig {
            process: i,
            addresses: vec!["a:1".into(), "b:2".into()],
        };
        // Sorted: binance, binance_spot, bybit, deribit, okx.
        let mine = |i| {
            all.iter()
                .filter(|v| owns(Some(&c(i)), &all, v))
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(mine(0), ["okx", "binance", "bybit"]);
        assert_eq!(mine(1), ["deribit", "binance_spot"]);
        assert!(owns(None, &all, "okx"));
        assert!(!owns(Some(&c(0)), &all, "kraken"));
    }

    #[test]
    fn hostfiles_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("h");
        std::fs::write(&f, "# cluster\n10.0.0.1:2101\n\n10.0.0.2:2101\n").unwrap();
        assert_eq!(
            read_hostfile(&f, 2).unwrap(),
            ["10.0.0.1:2101", "10.0.0.2:2101"]
        );
        assert!(
            read_hostfile(&f, 3)
                .unwrap_err()
                .to_string()
                .contains("2 addresses")
        );
        std::fs::write(&f, "10.0.0.1\n").unwrap();
        assert!(
            read_hostfile(&f, 1)
                .unwrap_err()
                .to_string()
                .contains("host:port")
        );
        assert!(from_flags(Some(2), Some(2), Some(&f)).is_err());
        assert!(from_flags(Some(2), None, None).is_err());
        assert!(from_flags(None, Some(0), None).is_err());
        assert_eq!(from_flags(None, None, None).unwrap(), None);
    }

    #[test]
    fn local_cluster_flag_is_removed_from_the_command_line() {
        let args: Vec<std::ffi::OsString> =
            ["replay", "rec", "--local-cluster", "2", "--workers=2"]
                .iter()
                .map(Into::into)
                .collect();
        assert_eq!(
            without_local_cluster(&args),
            ["replay", "rec", "--workers=2"].map(std::ffi::OsString::from)
        );
        let args: Vec<std::ffi::OsString> = ["replay", "--local-cluster=3", "rec"]
            .iter()
            .map(Into::into)
            .collect();
        assert_eq!(
            without_local_cluster(&args),
            ["replay", "rec"].map(std::ffi::OsString::from)
        );
    }
}
