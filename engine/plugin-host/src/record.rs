//! Raw-feed recording and reading back (tardis-style).
//!
//! What is recorded is every input the host gives a venue codec, in the order the codec saw it
//! (recorded under the codec's lock): connection opened, text frame, REST answer (with the
//! codec's tag), timer tick, connection closed — each with its local receive time in ns. Since a
//! codec is pure, feeding the same inputs again reproduces its events exactly, including book
//! syncs from the recorded REST snapshots.
//!
//! On disk: `DIR/meta.json` (per venue: plugin and the exact codec configuration) and
//! `DIR/inputs-<start ns>-<seq>.ndjson.gz`, one JSON record per line, gzip (the format
//! tardis-machine users know). Files rotate by size and age; the writer flushes a gzip sync
//! point every second, so a killed recorder leaves readable files up to the last second.

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One recorded codec input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Local receive time, Unix ns.
    pub t: u64,
    /// Venue id.
    pub v: String,
    /// The input.
    #[serde(flatten)]
    pub input: Input,
}

/// A codec input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Input {
    /// A connection opened.
    Connected {
        /// Codec connection number.
        c: u32,
    },
    /// A text frame.
    Frame {
        /// Connection.
        c: u32,
        /// Payload as received.
        p: String,
    },
    /// A REST answer.
    Http {
        /// The codec's tag.
        g: u64,
        /// HTTP status (0 = transport failure).
        s: u16,
        /// Body.
        p: String,
    },
    /// A timer tick.
    Timer,
    /// A connection closed.
    Disconnected {
        /// Connection.
        c: u32,
    },
}

/// `meta.json`: how to rebuild each venue's codec.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// Venue id → its codec.
    pub venues: BTreeMap<String, VenueMeta>,
}

/// One venue of a recording.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueMeta {
    /// Plugin name.
    pub plugin: String,
    /// The JSON passed to the plugin's `new_codec`.
    pub codec_config: String,
}

/// Recording errors.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// File system.
    #[error("recording {path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// A record that is not valid JSON (or a truncated file).
    #[error("{path} line {line}: {message}")]
    Corrupt {
        /// File.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What was wrong.
        message: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RecordError + '_ {
    move |source| RecordError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Rotation limits.
#[derive(Clone, Copy, Debug)]
pub struct Rotation {
    /// Start a new file after this many uncompressed bytes.
    pub max_bytes: u64,
    /// … or after this long.
    pub max_age: Duration,
}

impl Default for Rotation {
    fn default() -> Self {
        Self {
            max_bytes: 256 << 20,
            max_age: Duration::from_secs(3_600),
        }
    }
}

enum Msg {
    Record(Record),
    Meta(String, VenueMeta),
}

/// The writer: a channel into a thread that owns the files. Shared by every venue driver.
#[derive(Debug)]
pub struct Recorder {
    tx: Mutex<Option<mpsc::Sender<Msg>>>,
    thread: Mutex<Option<JoinHandle<Result<u64, RecordError>>>>,
    dir: PathBuf,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

struct Writer {
    dir: PathBuf,
    rotation: Rotation,
    seq: u64,
    file: Option<(
        flate2::write::GzEncoder<std::fs::File>,
        PathBuf,
        u64,
        Instant,
    )>,
    meta: Meta,
    written: u64,
}

impl Writer {
    fn open(&mut self, t: u64) -> Result<(), RecordError> {
        self.close()?;
        self.seq += 1;
        let path = self
            .dir
            .join(format!("inputs-{t:020}-{:06}.ndjson.gz", self.seq));
        let f = std::fs::File::create(&path).map_err(io(&path))?;
        self.file = Some((
            flate2::write::GzEncoder::new(f, flate2::Compression::fast()),
            path,
            0,
            Instant::now(),
        ));
        Ok(())
    }

    fn close(&mut self) -> Result<(), RecordError> {
        if let Some((enc, path, _, _)) = self.file.take() {
            enc.finish().map_err(io(&path))?;
        }
        Ok(())
    }

    fn write(&mut self, r: &Record) -> Result<(), RecordError> {
        let rotate = match &self.file {
            None => true,
            Some((_, _, bytes, opened)) => {
                *bytes >= self.rotation.max_bytes || opened.elapsed() >= self.rotation.max_age
            }
        };
        if rotate {
            self.open(r.t)?;
        }
        if let Some((enc, path, bytes, _)) = self.file.as_mut() {
            let mut line = serde_json::to_vec(r).map_err(|e| RecordError::Corrupt {
                path: path.clone(),
                line: 0,
                message: e.to_string(),
            })?;
            line.push(b'\n');
            enc.write_all(&line).map_err(io(path))?;
            *bytes += line.len() as u64;
        }
        self.written += 1;
        Ok(())
    }

    fn flush(&mut self) -> Result<(), RecordError> {
        if let Some((enc, path, _, _)) = self.file.as_mut() {
            enc.flush().map_err(io(path))?;
        }
        Ok(())
    }

    fn write_meta(&mut self, venue: String, m: VenueMeta) -> Result<(), RecordError> {
        self.meta.venues.insert(venue, m);
        let path = self.dir.join("meta.json");
        let text = serde_json::to_string_pretty(&self.meta).unwrap_or_default();
        std::fs::write(&path, text).map_err(io(&path))
    }
}

impl Recorder {
    /// Starts recording into `dir` (created if missing).
    ///
    /// # Errors
    /// The folder cannot be created.
    pub fn start(dir: &Path, rotation: Rotation) -> Result<Self, RecordError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let (tx, rx) = mpsc::channel::<Msg>();
        let mut w = Writer {
            dir: dir.to_path_buf(),
            rotation,
            seq: 0,
            file: None,
            meta: Meta::default(),
            written: 0,
        };
        let thread = std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || -> Result<u64, RecordError> {
                let mut last_flush = Instant::now();
                loop {
                    match rx.recv_timeout(Duration::from_millis(200)) {
                        Ok(Msg::Record(r)) => w.write(&r)?,
                        Ok(Msg::Meta(v, m)) => w.write_meta(v, m)?,
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        Err(mpsc::RecvTimeoutError::Disconnected) => break,
                    }
                    if last_flush.elapsed() >= Duration::from_secs(1) {
                        w.flush()?;
                        last_flush = Instant::now();
                    }
                }
                w.close()?;
                Ok(w.written)
            })
            .map_err(io(dir))?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            thread: Mutex::new(Some(thread)),
            dir: dir.to_path_buf(),
        })
    }

    /// The recording folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Declares a venue (written to `meta.json`).
    pub fn venue(&self, venue: &str, meta: VenueMeta) {
        if let Some(tx) = self.tx.lock().as_ref() {
            let _ = tx.send(Msg::Meta(venue.to_owned(), meta));
        }
    }

    /// Records one input.
    pub fn record(&self, r: Record) {
        if let Some(tx) = self.tx.lock().as_ref() {
            let _ = tx.send(Msg::Record(r));
        }
    }

    /// Closes the files; returns how many records were written. Later records are dropped.
    ///
    /// # Errors
    /// A write failed at some point (the first error stops the writer).
    pub fn finish(&self) -> Result<u64, RecordError> {
        drop(self.tx.lock().take());
        let Some(t) = self.thread.lock().take() else {
            return Ok(0);
        };
        t.join().unwrap_or_else(|_| {
            Err(RecordError::Corrupt {
                path: self.dir.clone(),
                line: 0,
                message: "recorder thread panicked".into(),
            })
        })
    }
}

/// The on-disk shape of a record, read without serde's buffering of internally tagged enums
/// (the same JSON that [`Record`] writes).
#[derive(Deserialize)]
struct Line<'a> {
    t: u64,
    #[serde(borrow)]
    v: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    k: std::borrow::Cow<'a, str>,
    #[serde(default)]
    c: Option<u32>,
    #[serde(default)]
    g: Option<u64>,
    #[serde(default)]
    s: Option<u16>,
    #[serde(default, borrow)]
    p: Option<std::borrow::Cow<'a, str>>,
}

fn parse_line(line: &str) -> Result<Record, String> {
    let Line {
        t,
        v,
        k,
        c,
        g,
        s,
        p,
    } = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let need_c = || c.ok_or_else(|| format!("{k} record without `c`"));
    let input = match k.as_ref() {
        "connected" => Input::Connected { c: need_c()? },
        "disconnected" => Input::Disconnected { c: need_c()? },
        "timer" => Input::Timer,
        "frame" => Input::Frame {
            c: need_c()?,
            p: p.ok_or("frame record without `p`")?.into_owned(),
        },
        "http" => Input::Http {
            g: g.ok_or("http record without `g`")?,
            s: s.ok_or("http record without `s`")?,
            p: p.unwrap_or_default().into_owned(),
        },
        other => return Err(format!("unknown record kind {other:?}")),
    };
    Ok(Record {
        t,
        v: v.into_owned(),
        input,
    })
}

/// Reads `meta.json` of a recording.
///
/// # Errors
/// Missing or invalid file.
pub fn read_meta(dir: &Path) -> Result<Meta, RecordError> {
    let path = dir.join("meta.json");
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text).map_err(|e| RecordError::Corrupt {
        path,
        line: 0,
        message: e.to_string(),
    })
}

/// The input files of a recording, in order.
///
/// # Errors
/// The folder cannot be listed.
pub fn input_files(dir: &Path) -> Result<Vec<PathBuf>, RecordError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("inputs-") && n.ends_with(".ndjson.gz"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Reads every record of a recording in order, calling `f` for each. A corrupt or truncated
/// file ends that file (its earlier records are delivered) and is reported in the result's
/// error list; reading goes on with the next file.
///
/// # Errors
/// The folder cannot be listed.
pub fn read_records(
    dir: &Path,
    f: impl FnMut(Record) -> bool,
) -> Result<Vec<RecordError>, RecordError> {
    read_records_counting(dir, None, f)
}

/// Total compressed size of a recording's input files (for progress).
pub fn total_bytes(dir: &Path) -> u64 {
    input_files(dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

/// Counts the compressed bytes read.
struct Counting<R> {
    inner: R,
    n: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

impl<R: std::io::Read> std::io::Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let k = self.inner.read(buf)?;
        if let Some(n) = &self.n {
            n.fetch_add(k as u64, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(k)
    }
}

/// [`read_records`] that also adds the compressed bytes consumed to `progress`.
///
/// # Errors
/// The folder cannot be listed.
pub fn read_records_counting(
    dir: &Path,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    mut f: impl FnMut(Record) -> bool,
) -> Result<Vec<RecordError>, RecordError> {
    read_entries(
        dir,
        progress,
        |_| true,
        |e| match e {
            Entry::Record(r) => f(r),
            Entry::Skipped { .. } => true,
        },
    )
}

/// One line of a recording as [`read_entries`] delivers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A record of a selected venue, parsed in full.
    Record(Record),
    /// A record of a venue not selected: only its receive time (Unix ns) was read. Its input
    /// was neither parsed nor checked (the process that owns the venue reports a corrupt one).
    Skipped {
        /// Local receive time, Unix ns.
        t: u64,
    },
}

/// Reads every line of a recording in order, parsing in full only the records of the venues
/// `select` accepts (a cluster process replays its own venues but needs every record's time).
/// Corrupt and truncated files are handled as [`read_records`] handles them.
///
/// # Errors
/// The folder cannot be listed.
pub fn read_entries(
    dir: &Path,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    select: impl Fn(&str) -> bool,
    mut f: impl FnMut(Entry) -> bool,
) -> Result<Vec<RecordError>, RecordError> {
    let mut problems = Vec::new();
    let mut buf = String::new();
    'files: for path in input_files(dir)? {
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                problems.push(io(&path)(e));
                continue;
            }
        };
        let mut reader = BufReader::new(flate2::read::MultiGzDecoder::new(Counting {
            inner: file,
            n: progress.clone(),
        }));
        let mut number = 0usize;
        loop {
            number += 1;
            buf.clear();
            match reader.read_line(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    problems.push(RecordError::Corrupt {
                        path: path.clone(),
                        line: number,
                        message: format!("truncated or unreadable: {e}"),
                    });
                    continue 'files;
                }
            }
            let line = buf.trim_end_matches(['\n', '\r']);
            let entry = match head(line) {
                Ok((t, v)) if !select(&v) => Ok(Entry::Skipped { t }),
                _ => parse_line(line).map(Entry::Record),
            };
            match entry {
                Ok(e) => {
                    if !f(e) {
                        return Ok(problems);
                    }
                }
                Err(message) => {
                    problems.push(RecordError::Corrupt {
                        path: path.clone(),
                        line: number,
                        message,
                    });
                    continue 'files;
                }
            }
        }
    }
    Ok(problems)
}

/// The time and venue of a record line, without parsing its input. The recorder writes them
/// first (`{"t":N,"v":"venue",`), which is read directly; any other layout goes through serde.
fn head(line: &str) -> Result<(u64, std::borrow::Cow<'_, str>), String> {
    let direct = line.strip_prefix(r#"{"t":"#).and_then(|rest| {
        let (t, rest) = rest.split_once(',')?;
        let t = t.parse::<u64>().ok()?;
        let (v, _) = rest.strip_prefix(r#""v":""#)?.split_once('"')?;
        (!v.contains('\\')).then_some((t, std::borrow::Cow::Borrowed(v)))
    });
    if let Some(h) = direct {
        return Ok(h);
    }
    #[derive(Deserialize)]
    struct Head<'a> {
        t: u64,
        #[serde(borrow)]
        v: std::borrow::Cow<'a, str>,
    }
    let Head { t, v } = serde_json::from_str(line).map_err(|e| e.to_string())?;
    Ok((t, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_rotate_and_survive_truncation() {
        let dir = tempfile_dir();
        let rec = Recorder::start(
            &dir,
            Rotation {
                max_bytes: 200,
                max_age: Duration::from_secs(60),
            },
        )
        .unwrap();
        rec.venue(
            "okx",
            VenueMeta {
                plugin: "okx".into(),
                codec_config: "{}".into(),
            },
        );
        let inputs: Vec<Record> = (0..20u64)
            .map(|i| Record {
                t: i,
                v: "okx".into(),
                input: match i % 4 {
                    0 => Input::Connected { c: 0 },
                    1 => Input::Frame {
                        c: 0,
                        p: format!("{{\"n\":{i},\"s\":\"line\\nbreak\"}}"),
                    },
                    2 => Input::Http {
                        g: i,
                        s: 200,
                        p: "[]".into(),
                    },
                    _ => Input::Timer,
                },
            })
            .collect();
        for r in &inputs {
            rec.record(r.clone());
        }
        assert_eq!(rec.finish().unwrap(), 20);
        let files = input_files(&dir).unwrap();
        assert!(files.len() > 2, "rotation by size: {files:?}");
        let mut back = Vec::new();
        assert!(
            read_records(&dir, |r| {
                back.push(r);
                true
            })
            .unwrap()
            .is_empty()
        );
        assert_eq!(back, inputs);
        assert_eq!(read_meta(&dir).unwrap().venues["okx"].plugin, "okx");

        // Truncate the last file: earlier files still read, the damage is reported.
        let last = files.last().unwrap();
        let bytes = std::fs::read(last).unwrap();
        std::fs::write(last, &bytes[..bytes.len() / 2]).unwrap();
        let mut n = 0;
        let problems = read_records(&dir, |_| {
            n += 1;
            true
        })
        .unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!((20 - 8..20).contains(&n), "{n}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A cluster process reads the other venues' records for their times only, the same
    /// times and order as a full read; a line of another layout is still read (through serde).
    #[test]
    fn entries_of_unselected_venues_carry_only_their_time() {
        let dir = tempfile_dir();
        let rec = Recorder::start(&dir, Rotation::default()).unwrap();
        let inputs: Vec<Record> = (0..12u64)
            .map(|i| Record {
                t: 1_000 + i,
                v: ["okx", "bybit", "binance"][(i % 3) as usize].into(),
                input: Input::Frame {
                    c: 0,
                    p: format!("{{\"n\":{i},\"q\":\"a\\\"b\"}}"),
                },
            })
            .collect();
        for r in &inputs {
            rec.record(r.clone());
        }
        rec.finish().unwrap();
        let mut got = Vec::new();
        let problems = read_entries(
            &dir,
            None,
            |v| v == "okx",
            |e| {
                got.push(e);
                true
            },
        )
        .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let want: Vec<Entry> = inputs
            .iter()
            .map(|r| {
                if r.v == "okx" {
                    Entry::Record(r.clone())
                } else {
                    Entry::Skipped { t: r.t }
                }
            })
            .collect();
        assert_eq!(got, want);
        // Fields in another order (not the recorder's): the head is read by serde.
        assert_eq!(
            head(r#"{"v":"okx","k":"timer","t":7}"#).unwrap(),
            (7, "okx".into())
        );
        assert_eq!(
            head(r#"{"t":7,"v":"o\u006bx","k":"timer"}"#).unwrap().1,
            "okx"
        );
        assert!(head(r#"{"t":"x"#).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "orderflow-record-test-{}-{}",
            std::process::id(),
            crate::now_ns()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}
