//! What the collector checks every event against: which creator each
//! published item belongs to, and which creators exist. Looked up in the store and remembered for a
//! few seconds (unknown ids too, so a flood of made-up ids costs one lookup
//! each at most every few seconds); the studio forgets an item the moment
//! it changes, so an unpublished item stops counting at once here (and
//! within [`FRESH`] on other instances).

use crate::store::{Store, StoreResult};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a lookup is believed.
pub const FRESH: Duration = Duration::from_secs(5);
/// Most ids remembered; past it the memory starts again.
const REMEMBERED: usize = 100_000;

/// Published items' creators and known creators, as recently looked up
/// (keyed by what was asked).
#[derive(Default)]
pub struct Catalogue {
    known: Mutex<HashMap<String, (Option<String>, Instant)>>,
}

/// What the collector asks of the catalogue about an event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ask {
    /// The creator of the published item with this id (none: no such item).
    CreatorOf(String),
    /// Whether a creator has this id (the answer is the id again, or none).
    Creator(String),
}

impl Ask {
    fn key(&self) -> String {
        match self {
            Ask::CreatorOf(item) => format!("item {item}"),
            Ask::Creator(creator) => format!("creator {creator}"),
        }
    }
}

impl Catalogue {
    /// The answer to `ask` if it is remembered and fresh (no store call:
    /// cheap enough for the async handler).
    pub fn remembered(&self, ask: &Ask) -> Option<Option<String>> {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known
            .get(&ask.key())
            .filter(|(_, at)| at.elapsed() < FRESH)
            .map(|(found, _)| found.clone())
    }

    /// Looks `ask` up in the store (a blocking call) and remembers it.
    pub fn look_up(&self, store: &dyn Store, ask: &Ask) -> StoreResult<Option<String>> {
        let found = match ask {
            Ask::CreatorOf(item) => store.item(item)?.map(|row| row.creator_id),
            Ask::Creator(creator) => store.creator(creator)?.map(|c| c.id),
        };
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= REMEMBERED {
            known.clear();
        }
        known.insert(ask.key(), (found.clone(), Instant::now()));
        Ok(found)
    }

    /// Forgets `item_id`: it was just saved, published or unpublished.
    pub fn forget(&self, item_id: &str) {
        self.known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&Ask::CreatorOf(item_id.to_owned()).key());
    }
}
