//! The collector's writer: one thread that commits whatever batches of
//! events arrived meanwhile in a single transaction (group commit), so a
//! burst of pages costs one disk sync, not one each, and announces which
//! creators have new events. `POST /v1/events` (`events.rs`) hands it the
//! events it accepted and answers once they are committed.

use crate::store::{Arrival, Store, StoreError, StoreResult, Stored};
use std::sync::mpsc;
use std::sync::Arc;

/// Most batches committed in one transaction.
const GROUP: usize = 256;

struct Job {
    arrivals: Vec<Arrival>,
    reply: tokio::sync::oneshot::Sender<StoreResult<Vec<Stored>>>,
}

/// Who has new events, as each commit lands.
pub type Live = tokio::sync::broadcast::Sender<Arc<Vec<String>>>;

/// The writer thread's mailbox.
#[derive(Clone)]
pub struct Collector {
    jobs: mpsc::Sender<Job>,
}

impl Collector {
    /// Starts the writer thread. After each commit it tells `live` which
    /// creators have new events (the dashboards listening refresh).
    pub fn start(store: Arc<dyn Store>, live: Live) -> Collector {
        let (jobs, inbox) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("vitrine-events".into())
            .spawn(move || {
                while let Ok(first) = inbox.recv() {
                    let mut group = vec![first];
                    while group.len() < GROUP {
                        match inbox.try_recv() {
                            Ok(job) => group.push(job),
                            Err(_) => break,
                        }
                    }
                    let all: Vec<Arrival> = group
                        .iter()
                        .flat_map(|j| j.arrivals.iter().cloned())
                        .collect();
                    match store.insert_events(&all) {
                        Ok(fresh) => {
                            // Filtered events change a report too (its
                            // filtered figures): every new one is news.
                            let mut creators: Vec<String> = all
                                .iter()
                                .zip(&fresh)
                                .filter(|(_, stored)| **stored != Stored::Duplicate)
                                .filter_map(|(a, _)| a.event.creator_id.clone())
                                .collect();
                            creators.sort();
                            creators.dedup();
                            if !creators.is_empty() {
                                store.announce(&creators);
                                let _ = live.send(Arc::new(creators));
                            }
                            let mut fresh = fresh.into_iter();
                            for job in group {
                                let mine = fresh.by_ref().take(job.arrivals.len()).collect();
                                let _ = job.reply.send(Ok(mine));
                            }
                        }
                        Err(e) => {
                            for job in group {
                                let _ = job.reply.send(Err(StoreError(e.0.clone())));
                            }
                        }
                    }
                }
            })
            .expect("the writer thread starts");
        Collector { jobs }
    }

    /// Stores `arrivals`; resolves once they are committed.
    pub async fn store(&self, arrivals: Vec<Arrival>) -> StoreResult<Vec<Stored>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.jobs
            .send(Job { arrivals, reply })
            .map_err(|_| StoreError("the event writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError("the event writer stopped".into()))?
    }
}
