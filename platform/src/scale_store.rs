//! The scale configuration's store (docs/scale.md): the catalogue in
//! PostgreSQL, the events in ClickHouse, behind the one `Store` every
//! handler uses. Clicks cross the line: a click is recorded once by click
//! id in PostgreSQL (what the redirect asks, whichever instance it reaches)
//! and, for the reports, in ClickHouse's `clicks` too.

#![cfg_attr(not(test), allow(dead_code))]

use crate::clickhouse::ChEvents;
use crate::postgres::PgCatalogue;
use crate::store::now_ms;
use crate::store::{
    Arrival, BucketCount, CatalogueStore, ClickRow, CreatorRow, EventStore, GroupBy, ItemRow,
    Media, ReaderRow, ReportFilter, ReportKeyRow, StoreResult, Stored, StudioItem,
};
use vitrine_core::event::EventType;
use vitrine_core::traffic::Invalid;

/// PostgreSQL for the catalogue, ClickHouse for the events.
pub struct ScaleStore {
    pub catalogue: PgCatalogue,
    pub events: ChEvents,
    /// This instance, as its live notifications name it.
    pub instance: String,
}

impl ScaleStore {
    /// Both engines, each migrated or made ready.
    pub fn open(postgres: &str, clickhouse: &str) -> StoreResult<ScaleStore> {
        Ok(ScaleStore {
            catalogue: PgCatalogue::open(postgres)?,
            events: ChEvents::open(clickhouse)?,
            instance: crate::links::new_click_id(),
        })
    }
}

impl CatalogueStore for ScaleStore {
    fn record_click(&self, click: &ClickRow, client: [u8; 16]) -> StoreResult<Option<Stored>> {
        let at_ms = now_ms();
        let recorded = self.catalogue.record_click_at(click, client, at_ms)?;
        if let Some(Stored::New(invalid)) = recorded {
            self.events.record_click(click, at_ms, invalid)?;
        }
        Ok(recorded)
    }

    fn item(&self, id: &str) -> StoreResult<Option<ItemRow>> {
        self.catalogue.item(id)
    }

    fn items(&self, offset: u64, limit: u64) -> StoreResult<(Vec<ItemRow>, u64)> {
        self.catalogue.items(offset, limit)
    }

    fn creator(&self, id: &str) -> StoreResult<Option<CreatorRow>> {
        self.catalogue.creator(id)
    }

    fn media(&self, name: &str) -> StoreResult<Option<Media>> {
        self.catalogue.media(name)
    }

    fn insert_creator(&self, creator: &CreatorRow) -> StoreResult<()> {
        self.catalogue.insert_creator(creator)
    }

    fn insert_media(&self, name: &str, content_type: &str, bytes: &[u8]) -> StoreResult<()> {
        self.catalogue.insert_media(name, content_type, bytes)
    }

    fn is_empty(&self) -> StoreResult<bool> {
        self.catalogue.is_empty()
    }

    fn insert_reader(&self, reader: &ReaderRow) -> StoreResult<()> {
        self.catalogue.insert_reader(reader)
    }

    fn reader_by_email(&self, email: &str) -> StoreResult<Option<ReaderRow>> {
        self.catalogue.reader_by_email(email)
    }

    fn create_session(&self, key: &str, reader_id: &str, expires_at_ms: i64) -> StoreResult<()> {
        self.catalogue.create_session(key, reader_id, expires_at_ms)
    }

    fn session_reader(&self, key: &str, now_ms: i64) -> StoreResult<Option<ReaderRow>> {
        self.catalogue.session_reader(key, now_ms)
    }

    fn follow(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool> {
        self.catalogue.follow(reader_id, creator_id)
    }

    fn unfollow(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool> {
        self.catalogue.unfollow(reader_id, creator_id)
    }

    fn is_following(&self, reader_id: &str, creator_id: &str) -> StoreResult<bool> {
        self.catalogue.is_following(reader_id, creator_id)
    }

    fn end_session(&self, key: &str) -> StoreResult<bool> {
        self.catalogue.end_session(key)
    }

    fn link_account(&self, reader_id: &str, creator_id: &str) -> StoreResult<()> {
        self.catalogue.link_account(reader_id, creator_id)
    }

    fn account_creator(&self, reader_id: &str) -> StoreResult<Option<CreatorRow>> {
        self.catalogue.account_creator(reader_id)
    }

    fn create_report_key(&self, key: &ReportKeyRow) -> StoreResult<bool> {
        self.catalogue.create_report_key(key)
    }

    fn report_keys(&self, creator_id: &str) -> StoreResult<Vec<ReportKeyRow>> {
        self.catalogue.report_keys(creator_id)
    }

    fn report_key(&self, hash: &str) -> StoreResult<Option<ReportKeyRow>> {
        self.catalogue.report_key(hash)
    }

    fn kept_secret(&self, name: &str, fresh: [u8; 32], forget: &str) -> StoreResult<[u8; 32]> {
        self.catalogue.kept_secret(name, fresh, forget)
    }

    fn update_attempts(
        &self,
        scope: &str,
        key: [u8; 16],
        now_ms: i64,
        change: &mut crate::store::TriesChange<'_>,
    ) -> StoreResult<()> {
        self.catalogue.update_attempts(scope, key, now_ms, change)
    }

    fn revoke_report_key(&self, creator_id: &str, id: &str, now_ms: i64) -> StoreResult<bool> {
        self.catalogue.revoke_report_key(creator_id, id, now_ms)
    }

    fn studio_items(&self, creator_id: &str) -> StoreResult<Vec<StudioItem>> {
        self.catalogue.studio_items(creator_id)
    }

    fn studio_item(&self, id: &str) -> StoreResult<Option<StudioItem>> {
        self.catalogue.studio_item(id)
    }

    fn save_item(&self, item: &ItemRow, product_key: Option<&str>) -> StoreResult<()> {
        self.catalogue.save_item(item, product_key)
    }

    fn recommendations(&self, product_key: &str) -> StoreResult<Vec<(ItemRow, CreatorRow, i64)>> {
        self.catalogue.recommendations(product_key)
    }

    fn items_without_product(&self) -> StoreResult<Vec<ItemRow>> {
        self.catalogue.items_without_product()
    }

    fn set_product_key(&self, item_id: &str, product_key: &str) -> StoreResult<()> {
        self.catalogue.set_product_key(item_id, product_key)
    }

    fn set_published(&self, id: &str, published: bool) -> StoreResult<bool> {
        self.catalogue.set_published(id, published)
    }

    fn click_count(&self, item_id: &str) -> StoreResult<u64> {
        self.catalogue.click_count(item_id)
    }
}

impl EventStore for ScaleStore {
    fn insert_events(&self, arrivals: &[Arrival]) -> StoreResult<Vec<Stored>> {
        let stored = self.events.insert_events(arrivals)?;
        // A beacon's click is also the catalogue's, by click id: a redirect
        // of the same click then finds it recorded, on any instance.
        for (arrival, outcome) in arrivals.iter().zip(&stored) {
            let e = &arrival.event;
            if let (Stored::New(invalid), EventType::Click, Some(c), Some(item), Some(creator)) =
                (outcome, e.kind, &e.click_id, &e.item_id, &e.creator_id)
            {
                let click = ClickRow {
                    click_id: c.clone(),
                    item_id: item.clone(),
                    creator_id: creator.clone(),
                    placement_id: e.placement_id.clone(),
                    source: "beacon",
                };
                self.catalogue
                    .record_beacon_click(&click, e.ts as i64, *invalid)?;
            }
        }
        Ok(stored)
    }

    /// The other instances' dashboards hear of it through PostgreSQL (this
    /// one's, from the collector, at once). Counted and acknowledged
    /// already: a lost notification costs a second's freshness, never an
    /// event.
    fn announce(&self, creators: &[String]) {
        if let Err(e) = self.catalogue.notify_live(&self.instance, creators) {
            eprintln!("vitrine-platform: {e}");
        }
    }

    fn report(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        from_ms: i64,
        to_ms: i64,
        bucket_ms: i64,
    ) -> StoreResult<Vec<BucketCount>> {
        self.events
            .report(creator_id, filter, from_ms, to_ms, bucket_ms)
    }

    fn report_groups(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        by: GroupBy,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<(String, String, u64)>> {
        self.events
            .report_groups(creator_id, filter, by, from_ms, to_ms)
    }

    fn report_filtered(
        &self,
        creator_id: &str,
        filter: &ReportFilter,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<Vec<(String, Invalid, u64)>> {
        self.events
            .report_filtered(creator_id, filter, from_ms, to_ms)
    }

    fn event_count(&self, item_id: &str, kind: EventType) -> StoreResult<u64> {
        self.events.event_count(item_id, kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::AppState;
    use crate::links::Secret;
    use crate::testing::{event, fresh_clickhouse, fresh_postgres, post_events, repo_www};
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use vitrine_core::partner::Registry;

    /// Two instances on one PostgreSQL and one ClickHouse: an event one of
    /// them takes reaches a dashboard stream of the other within a second.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_event_one_instance_takes_moves_the_others_dashboards_within_a_second() {
        let (Some(postgres), Some(clickhouse)) = (fresh_postgres(), fresh_clickhouse()) else {
            eprintln!("VITRINE_TEST_POSTGRES / VITRINE_TEST_CLICKHOUSE are not set: not run here (cargo xtask test runs it)");
            return;
        };
        let open = || {
            let (pg, ch) = (postgres.clone(), clickhouse.clone());
            tokio::task::spawn_blocking(move || {
                let store = ScaleStore::open(&pg, &ch).unwrap();
                crate::seed::seed_if_empty(&store).unwrap();
                store
            })
        };
        let first = open().await.unwrap();
        let second = open().await.unwrap();
        let second_name = second.instance.clone();
        let state = |store: ScaleStore| {
            AppState::new(Arc::new(store), Secret::fixed(1), Registry::new(None))
                .with_public_url("http://127.0.0.1:9999")
        };
        let (first, second) = (state(first), state(second));
        let mut heard = second.live.subscribe();
        tokio::spawn(crate::postgres::listen(
            postgres.clone(),
            second_name,
            second.live.clone(),
        ));
        // The listener says "everyone" once it listens.
        let ready = tokio::time::timeout(Duration::from_secs(10), heard.recv()).await;
        assert_eq!(ready.unwrap().unwrap().as_slice(), ["*"]);
        let www = repo_www();
        let app = crate::routes::router(first, &www, &www, true);
        let posted = Instant::now();
        let (status, answer) = post_events(
            &app,
            "text/plain",
            &serde_json::json!([event(1, "impression")]).to_string(),
        )
        .await;
        assert_eq!(status.as_u16(), 202, "{answer}");
        let news = tokio::time::timeout(Duration::from_secs(1), heard.recv())
            .await
            .expect("the other instance heard within a second")
            .unwrap();
        assert_eq!(news.as_slice(), ["cr_chenmo"]);
        eprintln!(
            "event → the other instance's live stream: {:?}",
            posted.elapsed()
        );
    }
}
