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
        }
    }
}

/// Every limiter the platform keeps.
pub struct Limiters {
    pub events: Buckets,
    pub posts: Buckets,
    pub links: Buckets,
    pub views: ViewCounts,
}

impl Limiters {
    pub fn new(limits: Limits) -> Limiters {
        Limiters {
            events: Buckets::new(limits.events),
            posts: Buckets::new(limits.posts),
            links: Buckets::new(limits.links),
            views: ViewCounts::new(),
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
