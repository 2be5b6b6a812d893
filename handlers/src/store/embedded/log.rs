//! The embedded store's only file: an append-only log of every change, one JSON line each.
//!
//! Changes are made in memory first, then handed to [`Log::submit`]; one writer thread appends
//! whatever has queued up with one `write` (group commit) and answers each caller once its line
//! is in the file. When the file is flushed to the disk is the [`Sync`] policy: after every
//! batch, before it is answered, or every interval by a thread of its own (what MongoDB's
//! journal does by default, 100 ms). On open,
//! the log is replayed into memory; a torn last line (a crash mid-write) is cut off.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::model::{MediaFile, Post, UrlDoc, User};
use crate::store::{StoreError, StoreResult};

/// When appended lines are flushed to the disk (`fdatasync`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// Before any write of a batch is answered: nothing answered is ever lost.
    EveryWrite,
    /// At most this long after a write: a power loss or kernel crash can lose the last
    /// interval of answered writes (a crash of this process loses nothing: lines are in the
    /// OS's page cache before a write is answered).
    Interval(Duration),
}

impl Default for Sync {
    /// MongoDB's default journal commit interval.
    fn default() -> Self {
        Sync::Interval(Duration::from_millis(100))
    }
}

/// `always`, or an interval: `100ms`, `1s`.
impl std::str::FromStr for Sync {
    type Err = String;

    fn from_str(text: &str) -> Result<Sync, String> {
        if text == "always" {
            return Ok(Sync::EveryWrite);
        }
        let (number, unit) = match text.strip_suffix("ms") {
            Some(ms) => (ms, Duration::from_millis(1)),
            None => (
                text.strip_suffix('s').unwrap_or("x"),
                Duration::from_secs(1),
            ),
        };
        match number.parse::<u32>() {
            Ok(n) if n > 0 => Ok(Sync::Interval(unit * n)),
            _ => Err(format!(
                "`{text}`: expected `always` or an interval such as `100ms` or `1s`"
            )),
        }
    }
}

/// Which timeline a [`Record::Timeline`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimelineKind {
    User,
    Home,
}

/// One change, as written in the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Record {
    User {
        user: User,
    },
    /// A user's password replaced (a seed-format hash upgraded at login).
    Password {
        user_id: String,
        password: String,
        salt: String,
    },
    Node {
        user_id: String,
    },
    Follow {
        user_id: String,
        followee_id: String,
        timestamp: u64,
    },
    Unfollow {
        user_id: String,
        followee_id: String,
    },
    Post {
        post: Post,
    },
    Timeline {
        kind: TimelineKind,
        owners: Vec<String>,
        post_id: String,
        timestamp: u64,
    },
    Urls {
        urls: Vec<UrlDoc>,
    },
    Media {
        media_id: String,
        media_type: String,
        content_type: String,
        /// Base64 (standard alphabet).
        bytes: String,
    },
}

impl Record {
    pub fn media(media: &MediaFile) -> Record {
        use base64::Engine;
        Record::Media {
            media_id: media.media_id.clone(),
            media_type: media.media_type.clone(),
            content_type: media.content_type.clone(),
            bytes: base64::engine::general_purpose::STANDARD.encode(&media.bytes),
        }
    }
}

struct Line {
    bytes: Vec<u8>,
    written: oneshot::Sender<StoreResult<()>>,
}

/// The log file and its writer thread.
pub struct Log {
    lines: Option<mpsc::Sender<Line>>,
    writer: Option<JoinHandle<()>>,
}

/// A submitted change: resolves once its line is in the file (and on the disk, if the policy
/// says so).
pub struct Pending(Result<oneshot::Receiver<StoreResult<()>>, StoreError>);

impl Pending {
    pub async fn written(self) -> StoreResult<()> {
        self.0?
            .await
            .map_err(|_| internal("the log writer stopped".into()))?
    }
}

/// Most lines one `write` takes.
const MAX_BATCH: usize = 1024;

impl Log {
    /// Opens (or creates) the log at `path`, feeding every record in it to `replay`, oldest
    /// first. Fails if another process has it open.
    pub fn open(path: &Path, sync: Sync, mut replay: impl FnMut(Record)) -> StoreResult<Log> {
        let mut options = OpenOptions::new();
        options.create(true).read(true).append(true);
        // The log holds password hashes and salts: readable by its owner only, from the
        // first byte (a chmod after creating it would leave a window).
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .map_err(|e| internal(format!("cannot open {}: {e}", path.display())))?;
        file.try_lock().map_err(|_| {
            internal(format!(
                "{} is in use by another process (one server per data directory)",
                path.display()
            ))
        })?;
        let good = read_records(&file, path, &mut replay)?;
        let length = file.seek(SeekFrom::End(0)).map_err(io(path))?;
        if good < length {
            tracing::warn!(
                path = %path.display(),
                cut = length - good,
                "the log ends with a partly written change (a crash mid-write); cutting it off"
            );
            file.set_len(good).map_err(io(path))?;
        }
        let (lines, queue) = mpsc::channel();
        let writer = std::thread::Builder::new()
            // Linux keeps 15 bytes of a thread's name: these three differ within them.
            .name("embedded-log".into())
            .spawn(move || write_lines(file, good, &queue, sync))
            .map_err(|e| internal(format!("cannot start the log writer: {e}")))?;
        Ok(Log {
            lines: Some(lines),
            writer: Some(writer),
        })
    }

    /// Queues `record` for the file. Changes that must replay in the order they were made
    /// (follow, unfollow) are submitted while holding the lock that made them.
    pub fn submit(&self, record: &Record) -> Pending {
        let mut bytes = serde_json::to_vec(record).expect("records serialise");
        bytes.push(b'\n');
        let (written, answer) = oneshot::channel();
        let sent = self
            .lines
            .as_ref()
            .and_then(|lines| lines.send(Line { bytes, written }).ok());
        Pending(match sent {
            Some(()) => Ok(answer),
            None => Err(internal("the log writer stopped".into())),
        })
    }
}

impl Drop for Log {
    /// Lets the writer finish the queue and flush to the disk before the process goes on.
    fn drop(&mut self) {
        self.lines.take();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

/// Replays every complete, well-formed line; returns the length of that prefix. Only a last
/// line without its newline is tolerated (a torn write: the writer ends every record with one,
/// so a crash mid-append leaves exactly that). Any line that ends in a newline and does not
/// parse is corruption, the last one too: it may be a record of a newer version, and cutting
/// it off would lose it silently.
/// `path` only names the log in errors. Takes any reader (not just the file) so that the fuzz
/// target `log_replay` can replay bytes held in memory.
pub(super) fn read_records(
    log: impl Read + Send,
    path: &Path,
    replay: &mut impl FnMut(Record),
) -> StoreResult<u64> {
    // Decoding the JSON is most of a replay's time: a thread of its own reads and decodes
    // while this one applies the records, in order, a batch at a time.
    let (batches, decoded) = mpsc::sync_channel::<Vec<Record>>(8);
    std::thread::scope(|scope| {
        let decoder = std::thread::Builder::new()
            .name("embedded-replay".into())
            .spawn_scoped(scope, move || decode_records(log, path, &batches))
            .map_err(|e| internal(format!("cannot start the log replay: {e}")))?;
        for batch in decoded {
            batch.into_iter().for_each(&mut *replay);
        }
        decoder
            .join()
            .unwrap_or_else(|_| Err(internal("the log replay stopped".into())))
    })
}

/// Records in a batch handed from the decoding thread to the applying one.
const REPLAY_BATCH: usize = 1024;

/// [`read_records`]' decoding half: sends the records in batches, returns what
/// `read_records` does.
fn decode_records(
    log: impl Read,
    path: &Path,
    batches: &mpsc::SyncSender<Vec<Record>>,
) -> StoreResult<u64> {
    let mut reader = BufReader::with_capacity(1 << 20, log);
    let mut line = Vec::new();
    let mut good = 0u64;
    let mut batch = Vec::with_capacity(REPLAY_BATCH);
    let outcome = loop {
        line.clear();
        let read = match reader.read_until(b'\n', &mut line) {
            Ok(read) => read,
            Err(e) => break Err(io(path)(e)),
        };
        // `read_until` stops short of a newline only at the end of the log.
        if read == 0 || !line.ends_with(b"\n") {
            break Ok(good);
        }
        match serde_json::from_slice::<Record>(&line) {
            Ok(record) => {
                batch.push(record);
                good += read as u64;
            }
            Err(_) => {
                break Err(internal(format!(
                    "{} is corrupt at byte {good}: not a change record",
                    path.display()
                )));
            }
        }
        if batch.len() == REPLAY_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(REPLAY_BATCH));
            if batches.send(full).is_err() {
                break Ok(good);
            }
        }
    };
    if !batch.is_empty() {
        let _ = batches.send(batch);
    }
    outcome
}

fn write_lines(mut file: File, mut length: u64, queue: &mpsc::Receiver<Line>, sync: Sync) {
    // With an interval policy another thread flushes, so that appending (and answering) never
    // waits for a flush: an fdatasync can take tens of milliseconds, and every write queued
    // behind it would wait as long.
    let flusher = match sync {
        Sync::EveryWrite => None,
        Sync::Interval(every) => file.try_clone().ok().map(|f| Flusher::start(f, every)),
    };
    let mut batch: Vec<Line> = Vec::new();
    let mut buffer: Vec<u8> = Vec::new();
    while let Ok(first) = queue.recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(line) => batch.push(line),
                Err(_) => break,
            }
        }
        buffer.clear();
        for line in &batch {
            buffer.extend_from_slice(&line.bytes);
        }
        let started = std::time::Instant::now();
        let mut outcome = file.write_all(&buffer).map_err(|e| e.to_string());
        crate::metrics::metrics().log_write(started.elapsed());
        match &outcome {
            Ok(()) => {
                length += buffer.len() as u64;
                match &flusher {
                    Some(flusher) => flusher.dirty.store(true, Ordering::Release),
                    None => outcome = timed_sync(&file).map_err(|e| e.to_string()),
                }
            }
            // Cut a partial write off, so that later lines do not follow a torn one.
            Err(_) => drop(file.set_len(length)),
        }
        if let Err(e) = &outcome {
            tracing::error!(error = %e, "the embedded store cannot write its log");
        }
        for line in batch.drain(..) {
            let answer = outcome
                .clone()
                .map_err(|e| StoreError::Unavailable(format!("cannot write the log: {e}")));
            let _ = line.written.send(answer);
        }
    }
    drop(flusher);
    if let Err(e) = file.sync_data() {
        tracing::error!(error = %e, "the embedded store cannot flush its log");
    }
}

/// `fdatasync`, its time recorded ([`crate::metrics`]).
fn timed_sync(file: &File) -> std::io::Result<()> {
    let started = std::time::Instant::now();
    let synced = file.sync_data();
    crate::metrics::metrics().log_flush(started.elapsed());
    synced
}

/// Flushes the log every interval, when something was written since the last flush.
struct Flusher {
    dirty: Arc<AtomicBool>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    fn start(file: File, every: Duration) -> Flusher {
        let dirty = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = mpsc::channel::<()>();
        let flag = dirty.clone();
        let thread = std::thread::Builder::new()
            .name("embedded-fsync".into())
            .spawn(move || {
                // Wakes every interval until the writer drops `stop`.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    if flag.swap(false, Ordering::AcqRel)
                        && let Err(e) = timed_sync(&file)
                    {
                        tracing::error!(error = %e, "the embedded store cannot flush its log");
                    }
                }
            })
            .ok();
        Flusher {
            dirty,
            stop: Some(stop),
            thread,
        }
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn internal(message: String) -> StoreError {
    StoreError::Internal(message)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| internal(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(user_id: &str) -> Record {
        Record::Node {
            user_id: user_id.into(),
        }
    }

    fn replayed(path: &Path) -> StoreResult<Vec<String>> {
        let mut ids = Vec::new();
        let log = Log::open(path, Sync::EveryWrite, |record| {
            if let Record::Node { user_id } = record {
                ids.push(user_id);
            }
        })?;
        drop(log);
        Ok(ids)
    }

    #[tokio::test]
    async fn records_come_back_in_the_order_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let log = Log::open(&path, Sync::default(), |_| {}).unwrap();
        let pending: Vec<Pending> = ["a", "b", "c"].map(|id| log.submit(&node(id))).into();
        for p in pending {
            p.written().await.unwrap();
        }
        drop(log);
        assert_eq!(replayed(&path).unwrap(), ["a", "b", "c"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_new_log_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        drop(Log::open(&path, Sync::default(), |_| {}).unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    #[test]
    fn a_torn_last_line_is_cut_off_and_writing_goes_on_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(
            &path,
            "{\"op\":\"node\",\"user_id\":\"a\"}\n{\"op\":\"node\",\"us",
        )
        .unwrap();
        assert_eq!(replayed(&path).unwrap(), ["a"]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"op\":\"node\",\"user_id\":\"a\"}\n");
    }

    #[test]
    fn a_bad_line_in_the_middle_is_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        std::fs::write(&path, "garbage\n{\"op\":\"node\",\"user_id\":\"a\"}\n").unwrap();
        let error = replayed(&path).unwrap_err().to_string();
        assert!(error.contains("corrupt at byte 0"), "{error}");
    }

    #[test]
    fn a_whole_last_line_that_is_no_record_is_corruption_not_a_torn_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let log = "{\"op\":\"node\",\"user_id\":\"a\"}\n{\"op\":\"from-a-newer-version\"}\n";
        std::fs::write(&path, log).unwrap();
        let error = replayed(&path).unwrap_err().to_string();
        assert!(error.contains("corrupt at byte 28"), "{error}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            log,
            "nothing was cut"
        );
    }

    #[test]
    fn sync_policies_parse() {
        assert_eq!("always".parse(), Ok(Sync::EveryWrite));
        let ms = |n| Ok(Sync::Interval(Duration::from_millis(n)));
        assert_eq!("100ms".parse(), ms(100));
        assert_eq!("2s".parse(), ms(2000));
        for bad in ["", "0ms", "often", "5", "-1s"] {
            assert!(bad.parse::<Sync>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_second_process_cannot_open_the_same_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let _first = Log::open(&path, Sync::default(), |_| {}).unwrap();
        let error = Log::open(&path, Sync::default(), |_| {}).err().unwrap();
        assert!(error.to_string().contains("in use"), "{error}");
    }
}
