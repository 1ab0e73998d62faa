//! Rates beyond what a reader can do, per client and per page view.
//!
//! A client is known only by a salted hash of its address: the salt is
//! random, kept in memory, and replaced every day (as Plausible does), so
//! no address is stored and one day's hashes cannot be linked to the
//! next's. Each client has a token bucket per kind of request; past it the
//! platform answers `429` with `Retry-After`, and only that client waits.
//! Limits are per instance (each instance counts what it receives).

use crate::error::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

/// A client, as a 16-byte salted hash of its address (the day's salt).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientId(pub [u8; 16]);

/// The client of a request: its address, hashed with the day's salt.
/// (Behind a proxy every request comes from the proxy; see SECURITY.md.)
pub struct Client(pub ClientId);

impl<S: Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Client, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        Ok(Client(SALT.hash(ip)))
    }
}

/// The day's salt, replaced when the day (UTC) changes.
struct Salt(Mutex<Option<(i64, [u8; 32])>>);

static SALT: Salt = Salt(Mutex::new(None));

impl Salt {
    fn hash(&self, ip: IpAddr) -> ClientId {
        let day = crate::store::now_ms() / 86_400_000;
        let mut salt = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let bytes = match *salt {
            Some((d, bytes)) if d == day => bytes,
            _ => {
                let mut bytes = [0u8; 32];
                getrandom::fill(&mut bytes).expect("the OS random source is available");
                *salt = Some((day, bytes));
                bytes
            }
        };
        drop(salt);
        let digest = Sha256::new()
            .chain_update(bytes)
            .chain_update(ip.to_string())
            .finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        ClientId(id)
    }
}

/// A rate: a burst of `burst` requests (or events), then `per_second`.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub burst: f64,
    pub per_second: f64,
}

impl Limits {
    /// The limits for `events_per_second` events per client (the platform's
    /// `--client-events`): a burst of 30 s of them, and a post for every
    /// five events.
    pub fn for_events(events_per_second: f64) -> Limits {
        let default = Limits::default();
        let posts = (events_per_second / 5.0).max(default.posts.per_second);
        Limits {
            events: Rate {
                burst: (events_per_second * 30.0).max(default.events.burst),
                per_second: events_per_second,
            },
            posts: Rate {
                burst: (posts * 6.0).max(default.posts.burst),
                per_second: posts,
            },
            ..default
        }
    }
}

/// What the platform allows one client, by kind of request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Events posted to `/v1/events` (counted per event).
    pub events: Rate,
    /// Posts to `/v1/events` (counted per request: the SDK batches).
    pub posts: Rate,
    /// Links minted by `/v1/items/{id}/link` and followed through `/r/`.
    pub links: Rate,
    /// Sign-in attempts allowed before each further one waits longer: per
    /// account, and per client (higher: many readers share an address).
    pub signin_per_account: u32,
    pub signin_per_client: u32,
}

impl Default for Limits {
    /// A reader's page of a thousand cards sends about two thousand events
    /// as it is read (an impression and a viewable impression each); a
    /// reader clicks a few links a minute.
    fn default() -> Limits {
        Limits {
            events: Rate {
                burst: 3000.0,
                per_second: 100.0,
            },
            // The SDK sends a batch at most every few hundred milliseconds.
            posts: Rate {
                burst: 120.0,
                per_second: 20.0,
            },
            links: Rate {
                burst: 30.0,
                per_second: 0.5,
            },
            signin_per_account: 5,
            signin_per_client: 20,
        }
    }
}

/// Every limiter the platform keeps.
pub struct Limiters {
    pub events: Buckets,
    pub posts: Buckets,
    pub links: Buckets,
    pub views: ViewCounts,
    /// Sign-in attempts by account (a hash of the email) and by client.
    pub signin_accounts: Attempts,
    pub signin_clients: Attempts,
}

impl Limiters {
    pub fn new(limits: Limits) -> Limiters {
        Limiters {
            events: Buckets::new(limits.events),
            posts: Buckets::new(limits.posts),
            links: Buckets::new(limits.links),
            views: ViewCounts::new(),
            signin_accounts: Attempts::new(limits.signin_per_account),
            signin_clients: Attempts::new(limits.signin_per_client),
        }
    }
}

/// Token buckets, one per client and kind; buckets idle long enough to be
/// full again are dropped, so memory follows the clients of the last minutes.
pub struct Buckets {
    rate: Rate,
    buckets: Mutex<HashMap<ClientId, (f64, Instant)>>,
}

/// Most clients remembered before full buckets are swept out.
const SWEEP_AT: usize = 100_000;

impl Buckets {
    pub fn new(rate: Rate) -> Buckets {
        Buckets {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `cost` tokens from `client`'s bucket, or says how many seconds
    /// until it has them (`429`).
    pub fn take(&self, client: ClientId, cost: f64) -> Result<(), ApiError> {
        let now = Instant::now();
        let rate = self.rate;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= SWEEP_AT {
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate.per_second < rate.burst
            });
        }
        let (tokens, at) = buckets.entry(client).or_insert((rate.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * rate.per_second).min(rate.burst);
        *at = now;
        if *tokens >= cost {
            *tokens -= cost;
            Ok(())
        } else {
            let wait = (cost.min(rate.burst) - *tokens) / rate.per_second.max(f64::MIN_POSITIVE);
            Err(ApiError::too_many(wait.ceil().max(1.0) as u64))
        }
    }
}

/// Attempts at something a guesser repeats (signing in): `free` of them,
/// then each further one waits twice as long as the one before (1 s, 2 s,
/// 4 s … at most 15 minutes). An attempt is counted when it starts, so
/// guesses sent all at once are counted before any is checked; a quiet
/// hour forgets them.
pub struct Attempts {
    free: u32,
    entries: Mutex<HashMap<[u8; 16], Tries>>,
}

struct Tries {
    count: u32,
    last: Instant,
    blocked_until: Instant,
}

/// The longest wait between two attempts.
const LONGEST_WAIT_S: u64 = 15 * 60;
/// After this long without an attempt, the count starts again.
const FORGET_AFTER_S: u64 = 3600;

impl Attempts {
    pub fn new(free: u32) -> Attempts {
        Attempts {
            free,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Starts an attempt for `key`, or says how many seconds until one may
    /// start (`429`). A refused attempt does not lengthen the wait.
    pub fn begin(&self, key: [u8; 16]) -> Result<(), u64> {
        let now = Instant::now();
        let forget = std::time::Duration::from_secs(FORGET_AFTER_S);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= SWEEP_AT {
            entries.retain(|_, t| now.duration_since(t.last) < forget);
        }
        let tries = entries.entry(key).or_insert(Tries {
            count: 0,
            last: now,
            blocked_until: now,
        });
        if now.duration_since(tries.last) >= forget {
            tries.count = 0;
        }
        if now < tries.blocked_until {
            let wait = tries.blocked_until.duration_since(now).as_secs_f64();
            return Err(wait.ceil().max(1.0) as u64);
        }
        tries.count += 1;
        tries.last = now;
        if tries.count > self.free {
            let doublings = (tries.count - self.free - 1).min(20);
            let wait = (1u64 << doublings).min(LONGEST_WAIT_S);
            tries.blocked_until = now + std::time::Duration::from_secs(wait);
        }
        Ok(())
    }

    /// `key` proved itself (the right password): its attempts are forgotten.
    pub fn forget(&self, key: [u8; 16]) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(&key);
    }

    /// One of `key`'s attempts is not held against it (a client's sign-in
    /// that succeeded), without forgetting the others.
    pub fn undo_one(&self, key: [u8; 16]) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tries) = entries.get_mut(&key) {
            tries.count = tries.count.saturating_sub(1);
        }
    }
}

/// Events per page view, for the `view_rate` rule: counts kept for the
/// current and the previous half hour, so memory follows recent views.
pub struct ViewCounts {
    generations: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    half_hour: i64,
    current: HashMap<[u8; 16], u64>,
    previous: HashMap<[u8; 16], u64>,
}

impl ViewCounts {
    pub fn new() -> ViewCounts {
        ViewCounts {
            generations: Mutex::new(Generations::default()),
        }
    }

    /// Counts `events` more events of `view` at `now_ms`; its count so far,
    /// these included.
    pub fn count(&self, view: [u8; 16], events: u64, now_ms: i64) -> u64 {
        const HALF_HOUR_MS: i64 = 30 * 60 * 1000;
        let mut g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        let half_hour = now_ms / HALF_HOUR_MS;
        if half_hour != g.half_hour {
            let current = std::mem::take(&mut g.current);
            g.previous = if half_hour == g.half_hour + 1 {
                current
            } else {
                HashMap::new()
            };
            g.half_hour = half_hour;
        }
        let earlier = g.previous.get(&view).copied().unwrap_or(0);
        let n = g.current.entry(view).or_insert(0);
        *n += events;
        *n + earlier
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate_and_each_client_has_its_own() {
        let buckets = Buckets::new(Rate {
            burst: 10.0,
            per_second: 1.0,
        });
        let (a, b) = (ClientId([1; 16]), ClientId([2; 16]));
        assert!(buckets.take(a, 10.0).is_ok());
        let refused = buckets.take(a, 1.0).unwrap_err().into_response();
        assert_eq!(refused.status(), 429);
        assert_eq!(refused.headers()["retry-after"], "1");
        assert!(buckets.take(b, 5.0).is_ok(), "another client is not slowed");
        assert_eq!(
            buckets.take(b, 50.0).unwrap_err().into_response().headers()["retry-after"],
            "5",
            "more than the burst waits for a full bucket"
        );
    }

    #[test]
    fn attempts_are_free_then_each_waits_twice_as_long_and_success_forgets() {
        let attempts = Attempts::new(3);
        let (a, b) = ([1; 16], [2; 16]);
        for _ in 0..4 {
            assert_eq!(attempts.begin(a), Ok(()));
        }
        assert_eq!(attempts.begin(a), Err(1), "the fourth started a 1 s wait");
        assert_eq!(attempts.begin(a), Err(1), "refusals do not lengthen it");
        assert_eq!(attempts.begin(b), Ok(()), "another key is not slowed");
        // Past the wait, the next attempt starts one twice as long.
        {
            let mut entries = attempts.entries.lock().unwrap();
            let t = entries.get_mut(&a).unwrap();
            t.blocked_until = Instant::now();
        }
        assert_eq!(attempts.begin(a), Ok(()));
        assert_eq!(attempts.begin(a), Err(2));
        {
            let mut entries = attempts.entries.lock().unwrap();
            let t = entries.get_mut(&a).unwrap();
            t.count = 40;
            t.blocked_until = Instant::now();
        }
        assert_eq!(attempts.begin(a), Ok(()));
        assert_eq!(attempts.begin(a), Err(LONGEST_WAIT_S), "at most 15 minutes");
        attempts.forget(a);
        assert_eq!(attempts.begin(a), Ok(()));
    }

    #[test]
    fn addresses_are_hashed_and_the_same_address_is_the_same_client() {
        let a = SALT.hash("203.0.113.7".parse().unwrap());
        assert_eq!(a, SALT.hash("203.0.113.7".parse().unwrap()));
        assert_ne!(a, SALT.hash("203.0.113.8".parse().unwrap()));
    }

    #[test]
    fn view_counts_span_two_half_hours_and_then_forget() {
        let counts = ViewCounts::new();
        let half = 30 * 60 * 1000;
        assert_eq!(counts.count([7; 16], 1, 10 * half), 1);
        assert_eq!(counts.count([7; 16], 3, 10 * half + 5), 4);
        assert_eq!(
            counts.count([7; 16], 1, 11 * half),
            5,
            "the previous half hour still counts"
        );
        assert_eq!(counts.count([7; 16], 1, 13 * half), 1, "long gone");
    }
}
