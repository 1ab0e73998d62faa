//! Rates beyond what a reader can do, per client and per page view.
//!
//! A client is known only by a salted hash of its address: the salt is
//! random, kept in memory, and replaced every day (as Plausible does), so
//! no address is stored and one day's hashes cannot be linked to the
//! next's. Each client has a token bucket per kind of request; past it the
//! platform answers `429` with `Retry-After`, and only that client waits.
//! Limits are per instance (each instance counts what it receives).

use crate::error::ApiError;
use crate::store::{Store, StoreResult, Tries, FORGET_AFTER_MS};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A client, as a 16-byte salted hash of its address (the day's salt).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientId(pub [u8; 16]);

/// The client of a request: its address (behind a trusted proxy, the one
/// it names: `serve.rs`), hashed with the day's salt.
pub struct Client(pub ClientId);

/// `ip` as a client, under `salt`.
pub fn client_id(salt: &[u8; 32], ip: IpAddr) -> ClientId {
    let digest = Sha256::new()
        .chain_update(salt)
        .chain_update(ip.to_string())
        .finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    ClientId(id)
}

/// Each day's salt (UTC), random, kept by the store for that day only
/// (`CatalogueStore::kept_secret`): every instance of the scale
/// configuration hashes a client alike, so per-client rules (repeat
/// clicks) hold whichever instance a request reaches, and a restart keeps
/// the day's clients apart as before. The day before is deleted as a new
/// day's is made, so one day's hashes cannot be linked to the next's.
#[derive(Default)]
pub struct Salts {
    today: Mutex<Option<(i64, [u8; 32])>>,
    /// While the store cannot be reached: this instance's own for the day.
    fallback: Mutex<Option<(i64, [u8; 32])>>,
}

impl Salts {
    /// Today's salt: known, or asked of `store` once a day.
    pub async fn today(&self, store: &Arc<dyn Store>) -> [u8; 32] {
        let day = crate::store::now_ms() / 86_400_000;
        if let Some((_, salt)) = (*slot(&self.today)).filter(|(d, _)| *d == day) {
            return salt;
        }
        let fresh = random_salt();
        let store = store.clone();
        let kept = tokio::task::spawn_blocking(move || {
            store.kept_secret(&format!("salt:{day:010}"), fresh, "salt:")
        })
        .await;
        match kept {
            Ok(Ok(salt)) => {
                *slot(&self.today) = Some((day, salt));
                salt
            }
            failed => {
                eprintln!("vitrine-platform: the day's salt could not be kept ({failed:?}); this instance's own is used meanwhile");
                let mut own = slot(&self.fallback);
                match *own {
                    Some((d, salt)) if d == day => salt,
                    _ => {
                        *own = Some((day, fresh));
                        fresh
                    }
                }
            }
        }
    }
}

/// A day's salt as [`Salts`] keeps it, locked.
fn slot(m: &Mutex<Option<(i64, [u8; 32])>>) -> std::sync::MutexGuard<'_, Option<(i64, [u8; 32])>> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn random_salt() -> [u8; 32] {
    crate::links::random_key().expect("the OS random source is available")
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
    pub salts: Salts,
}

impl Limiters {
    pub fn new(limits: Limits) -> Limiters {
        Limiters {
            events: Buckets::new(limits.events),
            posts: Buckets::new(limits.posts),
            links: Buckets::new(limits.links),
            views: ViewCounts::new(),
            signin_accounts: Attempts::new(limits.signin_per_account, "account"),
            signin_clients: Attempts::new(limits.signin_per_client, "client"),
            salts: Salts::default(),
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
/// hour forgets them. The counts are the store's
/// (`CatalogueStore::update_attempts`), so every instance of the scale
/// configuration counts an account's guesses wherever they land.
pub struct Attempts {
    free: u32,
    /// What the store keeps them under (`account`, `client`).
    scope: &'static str,
}

/// The longest wait between two attempts.
const LONGEST_WAIT_S: u64 = 15 * 60;

impl Attempts {
    pub fn new(free: u32, scope: &'static str) -> Attempts {
        Attempts { free, scope }
    }

    /// An attempt at `now_ms` by a key whose attempts were `tries`:
    /// allowed, or how many seconds until one may start (`429`; a refused
    /// attempt does not lengthen the wait), and what to keep.
    pub fn begin_at(&self, tries: Option<Tries>, now_ms: i64) -> (Result<(), u64>, Tries) {
        let mut t = tries
            .filter(|t| now_ms - t.last_ms < FORGET_AFTER_MS)
            .unwrap_or(Tries {
                count: 0,
                last_ms: now_ms,
                blocked_until_ms: now_ms,
            });
        if now_ms < t.blocked_until_ms {
            let wait = (t.blocked_until_ms - now_ms) as u64;
            return (Err(wait.div_ceil(1000).max(1)), t);
        }
        t.count += 1;
        t.last_ms = now_ms;
        if t.count > self.free {
            let doublings = (t.count - self.free - 1).min(20);
            let wait = (1u64 << doublings).min(LONGEST_WAIT_S);
            t.blocked_until_ms = now_ms + wait as i64 * 1000;
        }
        (Ok(()), t)
    }

    /// Starts an attempt for `key` (see [`Attempts::begin_at`]).
    pub fn begin(&self, store: &dyn Store, key: [u8; 16]) -> StoreResult<Result<(), u64>> {
        let now = crate::store::now_ms();
        let mut outcome = Ok(());
        store.update_attempts(self.scope, key, now, &mut |tries| {
            let (result, kept) = self.begin_at(tries, now);
            outcome = result;
            Some(kept)
        })?;
        Ok(outcome)
    }

    /// `key` proved itself (the right password): its attempts are forgotten.
    pub fn forget(&self, store: &dyn Store, key: [u8; 16]) -> StoreResult<()> {
        store.update_attempts(self.scope, key, crate::store::now_ms(), &mut |_| None)
    }

    /// One of `key`'s attempts is not held against it (a client's sign-in
    /// that succeeded), without forgetting the others.
    pub fn undo_one(&self, store: &dyn Store, key: [u8; 16]) -> StoreResult<()> {
        store.update_attempts(self.scope, key, crate::store::now_ms(), &mut |tries| {
            tries.map(|t| Tries {
                count: t.count.saturating_sub(1),
                ..t
            })
        })
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
    fn attempts_are_free_then_each_waits_twice_as_long_and_a_quiet_hour_forgets() {
        let attempts = Attempts::new(3, "test");
        let mut kept = None;
        let mut at = |now: i64| {
            let (result, tries) = attempts.begin_at(kept, now);
            kept = Some(tries);
            result
        };
        for _ in 0..4 {
            assert_eq!(at(1_000), Ok(()));
        }
        assert_eq!(at(1_000), Err(1), "the fourth started a 1 s wait");
        assert_eq!(at(1_500), Err(1), "refusals do not lengthen it");
        assert_eq!(at(2_000), Ok(()), "past the wait");
        assert_eq!(at(2_000), Err(2), "the next waits twice as long");
        for n in 0..30 {
            let now = 10_000_000 + n * 1_000_000;
            let _ = at(now);
        }
        assert_eq!(at(39_000_001), Err(LONGEST_WAIT_S), "at most 15 minutes");
        assert_eq!(at(39_000_000 + FORGET_AFTER_MS), Ok(()), "an hour later");
        assert_eq!(kept.map(|t| t.count), Some(1), "counting starts again");
    }

    /// The attack: guesses spread over the scale configuration's
    /// instances each met a fresh count. The counts are the store's: two
    /// instances (two `Limiters`) see one account's attempts together.
    #[test]
    fn attempts_are_counted_together_wherever_they_land() {
        let (store, dir) = crate::testing::seeded_store("attempts");
        let (one, other) = (Attempts::new(3, "account"), Attempts::new(3, "account"));
        let (a, b) = ([1; 16], [2; 16]);
        assert_eq!(one.begin(store.as_ref(), a).unwrap(), Ok(()));
        assert_eq!(other.begin(store.as_ref(), a).unwrap(), Ok(()));
        assert_eq!(one.begin(store.as_ref(), a).unwrap(), Ok(()));
        assert_eq!(other.begin(store.as_ref(), a).unwrap(), Ok(()));
        assert_eq!(
            one.begin(store.as_ref(), a).unwrap(),
            Err(1),
            "five at two instances"
        );
        assert_eq!(
            other.begin(store.as_ref(), b).unwrap(),
            Ok(()),
            "another key is not slowed"
        );
        let client = Attempts::new(3, "client");
        assert_eq!(
            client.begin(store.as_ref(), a).unwrap(),
            Ok(()),
            "another scope neither"
        );
        other.forget(store.as_ref(), a).unwrap();
        assert_eq!(
            one.begin(store.as_ref(), a).unwrap(),
            Ok(()),
            "forgotten for all"
        );
        for _ in 0..3 {
            client.begin(store.as_ref(), b).unwrap().unwrap();
        }
        client.undo_one(store.as_ref(), b).unwrap();
        assert_eq!(
            client.begin(store.as_ref(), b).unwrap(),
            Ok(()),
            "one given back"
        );
        assert_eq!(
            client.begin(store.as_ref(), b).unwrap(),
            Ok(()),
            "the fourth: a wait after it"
        );
        assert_eq!(client.begin(store.as_ref(), b).unwrap(), Err(1));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn addresses_are_hashed_with_the_days_salt_every_instance_shares() {
        let (store, dir) = crate::testing::seeded_store("salts");
        let (one, other) = (Salts::default(), Salts::default());
        let salt = one.today(&store).await;
        assert_eq!(salt, one.today(&store).await);
        assert_eq!(
            salt,
            other.today(&store).await,
            "another instance (or this one restarted) gets the same salt"
        );
        let ip = "203.0.113.7".parse().unwrap();
        let a = client_id(&salt, ip);
        assert_eq!(a, client_id(&salt, ip));
        assert_ne!(a, client_id(&salt, "203.0.113.8".parse().unwrap()));
        assert_ne!(
            a,
            client_id(&random_salt(), ip),
            "another day, another client"
        );
        assert!(!a.0.iter().all(|&b| b == 0));
        let _ = std::fs::remove_dir_all(dir);
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
