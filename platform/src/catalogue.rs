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
/// (keyed `item ID` and `creator ID`).
#[derive(Default)]
pub struct Catalogue {
    known: Mutex<HashMap<String, (Option<String>, Instant)>>,
}

impl Catalogue {
    /// The creator of the published item `item_id`, or `None` when no
    /// published item has that id.
    pub fn creator_of(&self, store: &dyn Store, item_id: &str) -> StoreResult<Option<String>> {
        self.remembered(format!("item {item_id}"), || {
            Ok(store.item(item_id)?.map(|row| row.creator_id))
        })
    }

    /// Whether a creator has the id `creator_id`.
    pub fn is_creator(&self, store: &dyn Store, creator_id: &str) -> StoreResult<bool> {
        self.remembered(format!("creator {creator_id}"), || {
            Ok(store.creator(creator_id)?.map(|c| c.id))
        })
        .map(|found| found.is_some())
    }

    fn remembered(
        &self,
        key: String,
        look_up: impl FnOnce() -> StoreResult<Option<String>>,
    ) -> StoreResult<Option<String>> {
        let now = Instant::now();
        {
            let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((found, at)) = known.get(&key) {
                if now.duration_since(*at) < FRESH {
                    return Ok(found.clone());
                }
            }
        }
        let found = look_up()?;
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= REMEMBERED {
            known.clear();
        }
        known.insert(key, (found.clone(), now));
        Ok(found)
    }

    /// Forgets `item_id`: it was just saved, published or unpublished.
    pub fn forget(&self, item_id: &str) {
        self.known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&format!("item {item_id}"));
    }
}
