//! Counting the requests the backends send to their servers, for the tests and benchmarks that
//! hold a request type to a number of round trips (`tests/tests/round_trips.rs`).
//!
//! MongoDB commands are counted from the driver's command monitoring events (every command it
//! sends, `getMore` and `killCursors` included; connection handshakes and server monitoring are
//! not commands). Redis requests are counted where the backend hands them to its connection:
//! one per command sent alone and one per pipeline, which is one round trip however many
//! commands it holds. Counting is off unless a [`RoundTrips`] is configured
//! ([`crate::BackendConfig::round_trips`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use mongodb::event::EventHandler;
use mongodb::event::command::CommandEvent;

/// The running counts of one deployment's stores.
#[derive(Debug, Default)]
pub struct RoundTrips {
    /// MongoDB commands sent, by command name (`find`, `insert`...).
    mongodb: Mutex<BTreeMap<String, u64>>,
    /// Redis requests sent: a command or a pipeline each.
    redis_round_trips: AtomicU64,
    /// The Redis commands in those requests.
    redis_commands: AtomicU64,
}

/// What a [`RoundTrips`] had counted at one moment, or between two ([`Counts::since`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// MongoDB commands by name; names with no command are left out.
    pub mongodb: BTreeMap<String, u64>,
    pub redis_round_trips: u64,
    pub redis_commands: u64,
}

impl RoundTrips {
    pub fn new() -> Arc<RoundTrips> {
        Arc::new(RoundTrips::default())
    }

    /// The counts so far.
    pub fn counts(&self) -> Counts {
        Counts {
            mongodb: self.mongodb_counts().clone(),
            redis_round_trips: self.redis_round_trips.load(Ordering::SeqCst),
            redis_commands: self.redis_commands.load(Ordering::SeqCst),
        }
    }

    /// A handler for the driver's command events that counts each command as it starts.
    pub(crate) fn mongodb_handler(self: &Arc<Self>) -> EventHandler<CommandEvent> {
        let counts = Arc::clone(self);
        EventHandler::callback(move |event| {
            if let CommandEvent::Started(started) = event {
                *counts
                    .mongodb_counts()
                    .entry(started.command_name)
                    .or_default() += 1;
            }
        })
    }

    /// One Redis request holding `commands` commands was sent.
    pub(crate) fn redis_request(&self, commands: usize) {
        self.redis_round_trips.fetch_add(1, Ordering::SeqCst);
        self.redis_commands
            .fetch_add(commands as u64, Ordering::SeqCst);
    }

    /// The MongoDB counts; a panic elsewhere while they were held leaves them usable.
    fn mongodb_counts(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        self.mongodb
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Counts {
    /// What was counted after `earlier` (taken from the same [`RoundTrips`]).
    pub fn since(&self, earlier: &Counts) -> Counts {
        let mongodb = self
            .mongodb
            .iter()
            .filter_map(|(name, &now)| {
                let before = earlier.mongodb.get(name).copied().unwrap_or(0);
                let sent = now.saturating_sub(before);
                (sent > 0).then(|| (name.clone(), sent))
            })
            .collect();
        Counts {
            mongodb,
            redis_round_trips: self
                .redis_round_trips
                .saturating_sub(earlier.redis_round_trips),
            redis_commands: self.redis_commands.saturating_sub(earlier.redis_commands),
        }
    }

    /// Every MongoDB command, whatever its name.
    pub fn mongodb_commands(&self) -> u64 {
        self.mongodb.values().sum()
    }

    /// The MongoDB commands as `find 2, insert 1` (by name), or `-` for none.
    pub fn mongodb_by_name(&self) -> String {
        if self.mongodb.is_empty() {
            return "-".to_owned();
        }
        let names: Vec<String> = self
            .mongodb
            .iter()
            .map(|(name, count)| format!("{name} {count}"))
            .collect();
        names.join(", ")
    }
}
