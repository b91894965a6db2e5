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

/// Reads `meta.json` of a recording; of a cluster's recording (`DIR/process-I/`, one per process,
/// see [`parts`]) the venues of every process.
///
/// # Errors
/// Missing or invalid file; one venue recorded by two processes with different codecs.
pub fn read_meta(dir: &Path) -> Result<Meta, RecordError> {
    let mut merged = Meta::default();
    for part in parts(dir)? {
        let path = part.join("meta.json");
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let meta: Meta = serde_json::from_str(&text).map_err(|e| RecordError::Corrupt {
            path: path.clone(),
            line: 0,
            message: e.to_string(),
        })?;
        for (venue, vm) in meta.venues {
            match merged.venues.get(&venue) {
                Some(seen) if *seen != vm => {
                    return Err(RecordError::Corrupt {
                        path,
                        line: 0,
                        message: format!(
                            "venue {venue} was recorded by two processes with different codecs"
                        ),
                    });
                }
                _ => {
                    merged.venues.insert(venue, vm);
                }
            }
        }
    }
    Ok(merged)
}

/// The folders of a recording: `dir` itself when it holds `meta.json` or input files, else its
/// `process-I` subfolders that hold `meta.json` (a cluster's `--record DIR`: each process
/// records its own venues), in process order; `dir` itself when it has none either (its
/// missing `meta.json` is then reported by [`read_meta`]).
///
/// # Errors
/// The folder cannot be listed.
pub fn parts(dir: &Path) -> Result<Vec<PathBuf>, RecordError> {
    if dir.join("meta.json").exists() || !input_files(dir)?.is_empty() {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut found: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let i = e
                .file_name()
                .to_str()?
                .strip_prefix("process-")?
                .parse()
                .ok()?;
            let p = e.path();
            p.join("meta.json").exists().then_some((i, p))
        })
        .collect();
    if found.is_empty() {
        return Ok(vec![dir.to_path_buf()]);
    }
    found.sort();
    Ok(found.into_iter().map(|(_, p)| p).collect())
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

/// Total compressed size of a recording's input files (for progress), every part included.
pub fn total_bytes(dir: &Path) -> u64 {
    parts(dir)
        .unwrap_or_default()
        .iter()
        .flat_map(|p| input_files(p).unwrap_or_default())
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

impl Entry {
    /// Local receive time, Unix ns.
    pub fn t(&self) -> u64 {
        match self {
            Entry::Record(r) => r.t,
            Entry::Skipped { t } => *t,
        }
    }
}

/// Reads every line of a recording in order, parsing in full only the records of the venues
/// `select` accepts (a cluster process replays its own venues but needs every record's time).
/// Corrupt and truncated files are handled as [`read_records`] handles them. A cluster's
/// recording ([`parts`]) is read as one: its parts merged by receive time (ties in process
/// order), each part in its own recorded order.
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
    let mut readers = parts(dir)?
        .iter()
        .map(|p| {
            Ok(PartReader {
                files: input_files(p)?.into_iter(),
                open: None,
                buf: String::new(),
                progress: progress.clone(),
            })
        })
        .collect::<Result<Vec<_>, RecordError>>()?;
    let mut heads: Vec<Option<Entry>> = readers
        .iter_mut()
        .map(|r| r.next(&select, &mut problems))
        .collect();
    loop {
        let next = heads
            .iter()
            .enumerate()
            .filter_map(|(k, h)| h.as_ref().map(|e| (e.t(), k)))
            .min();
        let Some((_, k)) = next else {
            return Ok(problems);
        };
        let Some(entry) = heads[k].take() else {
            return Ok(problems);
        };
        heads[k] = readers[k].next(&select, &mut problems);
        if !f(entry) {
            return Ok(problems);
        }
    }
}

/// One folder of a recording, read line by line across its files.
struct PartReader {
    files: std::vec::IntoIter<PathBuf>,
    /// The file being read: path, reader, number of the last line read.
    open: Option<(PathBuf, Box<dyn BufRead>, usize)>,
    /// One line (reused).
    buf: String,
    progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
}

impl PartReader {
    /// The next entry; `None` at the end of the last file. An unreadable file is skipped and a
    /// corrupt or truncated one ends at the damage, each recorded in `problems`.
    fn next(
        &mut self,
        select: &impl Fn(&str) -> bool,
        problems: &mut Vec<RecordError>,
    ) -> Option<Entry> {
        loop {
            let Some((path, reader, number)) = self.open.as_mut() else {
                let path = self.files.next()?;
                match std::fs::File::open(&path) {
                    Ok(file) => {
                        let reader = BufReader::new(flate2::read::MultiGzDecoder::new(Counting {
                            inner: file,
                            n: self.progress.clone(),
                        }));
                        self.open = Some((path, Box::new(reader), 0));
                    }
                    Err(e) => problems.push(io(&path)(e)),
                }
                continue;
            };
            *number += 1;
            self.buf.clear();
            let entry = match reader.read_line(&mut self.buf) {
                Ok(0) => {
                    self.open = None;
                    continue;
                }
                Ok(_) => {
                    let line = self.buf.trim_end_matches(['\n', '\r']);
                    match head(line) {
                        Ok((t, v)) if !select(&v) => Ok(Entry::Skipped { t }),
                        _ => parse_line(line).map(Entry::Record),
                    }
                }
                Err(e) => Err(format!("truncated or unreadable: {e}")),
            };
            match entry {
                Ok(e) => return Some(e),
                Err(message) => {
                    problems.push(RecordError::Corrupt {
                        path: path.clone(),
                        line: *number,
                        message,
                    });
                    self.open = None;
                }
            }
        }
    }
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

    /// A cluster's recording (`DIR/process-I`, each process its own venues) reads as one:
    /// venues merged, records merged by receive time, ties in process order.
    #[test]
    fn a_cluster_recording_reads_as_one() {
        let dir = tempfile_dir();
        let meta = |plugin: &str| VenueMeta {
            plugin: plugin.into(),
            codec_config: "{}".into(),
        };
        let frame = |t: u64, v: &str| Record {
            t,
            v: v.into(),
            input: Input::Frame {
                c: 0,
                p: format!("{t}"),
            },
        };
        for (i, venue, times) in [(0, "okx", [1, 4, 4, 9]), (1, "bybit", [2, 3, 4, 10])] {
            let rec =
                Recorder::start(&dir.join(format!("process-{i}")), Rotation::default()).unwrap();
            rec.venue(venue, meta(venue));
            for t in times {
                rec.record(frame(t, venue));
            }
            rec.finish().unwrap();
        }
        assert_eq!(
            read_meta(&dir).unwrap().venues.keys().collect::<Vec<_>>(),
            ["bybit", "okx"]
        );
        let mut got = Vec::new();
        let problems = read_records(&dir, |r| {
            got.push((r.t, r.v));
            true
        })
        .unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        let want: Vec<(u64, String)> = [
            (1, "okx"),
            (2, "bybit"),
            (3, "bybit"),
            (4, "okx"),
            (4, "okx"),
            (4, "bybit"),
            (9, "okx"),
            (10, "bybit"),
        ]
        .iter()
        .map(|(t, v)| (*t, (*v).to_owned()))
        .collect();
        assert_eq!(got, want);
        assert!(total_bytes(&dir) > 0);
        // One venue recorded by two processes with different codecs is refused.
        let rec = Recorder::start(&dir.join("process-2"), Rotation::default()).unwrap();
        rec.venue("okx", meta("another"));
        rec.finish().unwrap();
        assert!(read_meta(&dir).is_err());
        // A folder with neither has no recording to replay.
        let empty = dir.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        assert!(read_meta(&empty).is_err());
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
