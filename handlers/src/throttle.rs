//! Login throttling: how many failed logins a username, and a client, may have in a window.
//!
//! Password guessing is bounded twice: per username (someone guessing one account's password
//! from many addresses) and per client address (someone trying many accounts from one). Past
//! either limit, a login is refused with a 429 and the seconds until the window ends, without
//! checking the password. Only failures count, so a benchmark logging in the same users
//! thousands of times with their passwords is never slowed. Counts live in this process (one
//! instance of a function on a FaaS platform: an attacker spread over instances gets their
//! number times the limit) and in a bounded cache, so a flood of invented usernames costs a
//! fixed amount of memory and at worst forgets old counts.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

/// Failed logins a username may have per [`WINDOW`].
pub const PER_USERNAME: u32 = 10;
/// Failed logins one client address may have per [`WINDOW`] (a shared NAT holds many people).
pub const PER_CLIENT: u32 = 100;
/// The window the counts are kept for, from the first failure.
pub const WINDOW: Duration = Duration::from_secs(300);
/// Keys counted at most (usernames and addresses together).
const CAPACITY: usize = 100_000;

/// What is counted: a username, or a client address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Username(String),
    Client(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    since: Instant,
}

/// The failed-login counts of one process. Cheap to clone (shared).
#[derive(Clone)]
pub struct LoginThrottle {
    counts: Arc<Cache<Key, Count>>,
    /// Serialises read-modify-write of counts: failed logins are rare, and each costs a
    /// password hash already.
    update: Arc<Mutex<()>>,
    window: Duration,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::with_window(WINDOW)
    }
}

impl LoginThrottle {
    fn with_window(window: Duration) -> Self {
        LoginThrottle {
            counts: Arc::new(Cache::new(CAPACITY)),
            update: Arc::new(Mutex::new(())),
            window,
        }
    }

    fn keys(username: &str, client: Option<IpAddr>) -> Vec<(Key, u32)> {
        let mut keys = vec![(Key::Username(username.to_owned()), PER_USERNAME)];
        keys.extend(client.map(|ip| (Key::Client(ip), PER_CLIENT)));
        keys
    }

    /// `Err(seconds to wait)` if `username` or `client` is past its limit.
    pub fn check(&self, username: &str, client: Option<IpAddr>) -> Result<(), u64> {
        let now = Instant::now();
        let wait = Self::keys(username, client)
            .into_iter()
            .filter_map(|(key, limit)| {
                let count = self.counts.get(&key)?;
                let ends = count.since + self.window;
                (count.failures >= limit && ends > now).then(|| ends - now)
            })
            .max();
        match wait {
            // Whole seconds, rounded up: `Retry-After: 0` would invite an instant retry.
            Some(wait) => Err(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)),
            None => Ok(()),
        }
    }

    /// Counts a failed login of `username` from `client`.
    pub fn failed(&self, username: &str, client: Option<IpAddr>) {
        let now = Instant::now();
        let _update = self.update.lock().unwrap_or_else(|e| e.into_inner());
        for (key, _) in Self::keys(username, client) {
            let count = match self.counts.get(&key) {
                Some(count) if count.since + self.window > now => Count {
                    failures: count.failures.saturating_add(1),
                    ..count
                },
                _ => Count {
                    failures: 1,
                    since: now,
                },
            };
            self.counts.insert(key, count);
        }
    }

    /// Forgets the failures of `username` after a successful login (the client's stay: one
    /// good password does not excuse a hundred guesses at other accounts).
    pub fn succeeded(&self, username: &str) {
        self.counts.remove(&Key::Username(username.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)));

    #[test]
    fn a_username_is_refused_after_its_failures_until_the_window_ends() {
        let throttle = LoginThrottle::default();
        for _ in 0..PER_USERNAME {
            assert_eq!(throttle.check("alice", HOME), Ok(()));
            throttle.failed("alice", HOME);
        }
        let wait = throttle.check("alice", None).unwrap_err();
        assert!(wait > 0 && wait <= WINDOW.as_secs(), "{wait}");
        assert_eq!(
            throttle.check("bob", None),
            Ok(()),
            "other users are not affected"
        );
    }

    #[test]
    fn a_client_is_refused_after_its_failures_on_any_usernames() {
        let throttle = LoginThrottle::default();
        for n in 0..PER_CLIENT {
            throttle.failed(&format!("user{n}"), HOME);
        }
        assert!(throttle.check("someone-else", HOME).is_err());
        assert_eq!(throttle.check("someone-else", None), Ok(()));
    }

    #[test]
    fn a_success_clears_the_usernames_failures_and_the_window_expires() {
        let throttle = LoginThrottle::default();
        for _ in 0..PER_USERNAME - 1 {
            throttle.failed("alice", None);
        }
        throttle.succeeded("alice");
        throttle.failed("alice", None);
        assert_eq!(throttle.check("alice", None), Ok(()));

        let short = LoginThrottle::with_window(Duration::from_millis(30));
        for _ in 0..PER_USERNAME {
            short.failed("alice", None);
        }
        assert!(short.check("alice", None).is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(short.check("alice", None), Ok(()));
    }
}
