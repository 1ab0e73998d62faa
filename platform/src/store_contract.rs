//! The catalogue's contract: one script of what the platform asks of a
//! [`CatalogueStore`], and what each answer must be, run against every
//! implementation: the embedded SQLite store always, PostgreSQL wherever
//! `VITRINE_TEST_POSTGRES` names a server (`cargo xtask test` starts one
//! and sets it; CI runs both).

use crate::links::new_click_id;
use crate::store::{
    CatalogueStore, ClickRow, CreatorRow, ItemRow, ReaderRow, ReportKeyRow, Stored,
};
use vitrine_core::traffic::Invalid;

fn creator(id: &str, followers: u64) -> CreatorRow {
    CreatorRow {
        id: id.into(),
        name: format!("Creator {id}"),
        avatar_path: "/media/a.svg".into(),
        bio: "bio".into(),
        followers,
        verified: true,
    }
}

fn item(id: &str, creator_id: &str, title: &str) -> ItemRow {
    ItemRow {
        id: id.into(),
        title: title.into(),
        image_path: "/media/i.svg".into(),
        reason: "because".into(),
        price_amount: "89.00".into(),
        original_amount: Some("129.00".into()),
        currency: "CNY".into(),
        stock: Some(3),
        store_url: "https://item.taobao.com/item.htm?id=1".into(),
        creator_id: creator_id.into(),
    }
}

/// Everything the handlers rely on, in the order a platform's life asks it.
pub(crate) fn holds(store: &dyn CatalogueStore) {
    assert!(store.is_empty().unwrap(), "a new store is empty");
    store.insert_creator(&creator("cr_a", 100)).unwrap();
    store.insert_creator(&creator("cr_b", 0)).unwrap();
    assert!(!store.is_empty().unwrap());
    assert_eq!(store.creator("cr_a").unwrap().unwrap().followers, 100);
    assert_eq!(store.creator("cr_nobody").unwrap(), None);

    // Items: added newest first, replaced in place, published or not.
    store
        .save_item(&item("itm_1", "cr_a", "One"), Some("taobao:1"))
        .unwrap();
    store
        .save_item(&item("itm_2", "cr_a", "Two"), None)
        .unwrap();
    store
        .save_item(&item("itm_3", "cr_b", "Three"), Some("taobao:1"))
        .unwrap();
    store
        .save_item(&item("itm_1", "cr_a", "One, edited"), Some("taobao:1"))
        .unwrap();
    let (page, total) = store.items(0, 2).unwrap();
    assert_eq!(total, 3);
    let ids: Vec<&str> = page.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["itm_3", "itm_2"], "newest first, one page");
    let (rest, _) = store.items(2, 2).unwrap();
    assert_eq!(
        rest[0].title, "One, edited",
        "replaced in place, keeping its place"
    );
    assert_eq!(rest[0].stock, Some(3));
    assert_eq!(rest[0].original_amount.as_deref(), Some("129.00"));
    let studio: Vec<String> = store
        .studio_items("cr_a")
        .unwrap()
        .into_iter()
        .map(|s| s.item.id)
        .collect();
    assert_eq!(studio, ["itm_2", "itm_1"]);
    assert!(store.set_published("itm_2", false).unwrap());
    assert!(!store.set_published("itm_none", false).unwrap());
    assert_eq!(
        store.item("itm_2").unwrap(),
        None,
        "unpublished is not served"
    );
    let hidden = store.studio_item("itm_2").unwrap().unwrap();
    assert!(!hidden.published, "but the studio sees it");
    assert_eq!(store.items(0, 10).unwrap().1, 2);
    let mut by_product: Vec<(String, String)> = store
        .recommendations("taobao:1")
        .unwrap()
        .into_iter()
        .map(|(i, c, at)| {
            assert!(at > 0);
            (i.id, c.id)
        })
        .collect();
    by_product.sort();
    assert_eq!(
        by_product,
        [
            ("itm_1".to_owned(), "cr_a".to_owned()),
            ("itm_3".to_owned(), "cr_b".to_owned())
        ]
    );
    let without: Vec<String> = store
        .items_without_product()
        .unwrap()
        .into_iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(without, ["itm_2"]);
    store.set_product_key("itm_2", "taobao:2").unwrap();
    assert!(store.items_without_product().unwrap().is_empty());

    // Media: by name, replaced by the same name.
    store
        .insert_media("up-1.png", "image/png", b"\x89PNG one")
        .unwrap();
    store
        .insert_media("up-1.png", "image/png", b"\x89PNG two")
        .unwrap();
    assert_eq!(
        store.media("up-1.png").unwrap().unwrap().bytes,
        b"\x89PNG two"
    );
    assert!(store.media("nothing.png").unwrap().is_none());

    // Readers, sessions, follows, creator accounts.
    let reader = ReaderRow {
        id: "rd_1".into(),
        name: "Reader".into(),
        email: "r@example.com".into(),
        password_hash: "$argon2id$x".into(),
    };
    store.insert_reader(&reader).unwrap();
    assert!(
        store.insert_reader(&reader).is_err(),
        "one account per email"
    );
    assert_eq!(
        store.reader_by_email("r@example.com").unwrap(),
        Some(reader.clone())
    );
    store.create_session("key1", "rd_1", 2_000).unwrap();
    assert_eq!(
        store.session_reader("key1", 1_000).unwrap(),
        Some(reader.clone())
    );
    assert_eq!(
        store.session_reader("key1", 2_000).unwrap(),
        None,
        "expired"
    );
    assert!(store.end_session("key1").unwrap());
    assert!(!store.end_session("key1").unwrap());
    assert!(store.follow("rd_1", "cr_a").unwrap());
    assert!(
        !store.follow("rd_1", "cr_a").unwrap(),
        "following twice is one follow"
    );
    assert!(store.is_following("rd_1", "cr_a").unwrap());
    assert_eq!(store.creator("cr_a").unwrap().unwrap().followers, 101);
    assert!(store.unfollow("rd_1", "cr_a").unwrap());
    assert!(!store.is_following("rd_1", "cr_a").unwrap());
    assert_eq!(store.account_creator("rd_1").unwrap(), None);
    store.link_account("rd_1", "cr_b").unwrap();
    store.link_account("rd_1", "cr_a").unwrap();
    assert_eq!(store.account_creator("rd_1").unwrap().unwrap().id, "cr_a");

    // Clicks: once per click id; a client's repeat on an item filtered.
    let click = |id: &str, item: &str| ClickRow {
        click_id: id.into(),
        item_id: item.into(),
        creator_id: "cr_a".into(),
        placement_id: "blog".into(),
        source: "redirect",
    };
    let (first, second) = (new_click_id(), new_click_id());
    assert_eq!(
        store
            .record_click(&click(&first, "itm_1"), [1; 16])
            .unwrap(),
        Some(Stored::New(None))
    );
    assert_eq!(
        store
            .record_click(&click(&first, "itm_1"), [1; 16])
            .unwrap(),
        None,
        "the same click id"
    );
    assert_eq!(
        store
            .record_click(&click(&second, "itm_1"), [1; 16])
            .unwrap(),
        Some(Stored::New(Some(Invalid::RepeatClick)))
    );
    assert_eq!(
        store
            .record_click(&click(&new_click_id(), "itm_1"), [2; 16])
            .unwrap(),
        Some(Stored::New(None))
    );
    assert_eq!(store.click_count("itm_1").unwrap(), 2);

    // Report keys: by hash, once, revoked for good.
    let key = ReportKeyRow {
        id: "rk_1".into(),
        creator_id: "cr_a".into(),
        kind: "api".into(),
        hash: "ab".repeat(32),
        hint: "abcd".into(),
        label: "script".into(),
        created_ms: 5,
    };
    assert!(store.create_report_key(&key).unwrap());
    assert!(
        !store.create_report_key(&key).unwrap(),
        "a hash is stored once"
    );
    assert_eq!(store.report_key(&key.hash).unwrap(), Some(key.clone()));
    assert_eq!(
        store.report_keys("cr_a").unwrap(),
        std::slice::from_ref(&key)
    );
    assert!(
        !store.revoke_report_key("cr_b", "rk_1", 9).unwrap(),
        "only its creator revokes it"
    );
    assert!(store.revoke_report_key("cr_a", "rk_1", 9).unwrap());
    assert_eq!(store.report_key(&key.hash).unwrap(), None);
    assert!(store.report_keys("cr_a").unwrap().is_empty());
    assert!(
        !store.create_report_key(&key).unwrap(),
        "a revoked key never comes back"
    );

    // Kept secrets: the first asker's, for everyone; a new day's salt
    // forgets the last.
    let signing = store.kept_secret("signing", [7; 32], "").unwrap();
    assert_eq!(signing, [7; 32]);
    assert_eq!(store.kept_secret("signing", [8; 32], "").unwrap(), [7; 32]);
    assert_eq!(
        store.kept_secret("salt:01", [1; 32], "salt:").unwrap(),
        [1; 32]
    );
    assert_eq!(
        store.kept_secret("salt:01", [9; 32], "salt:").unwrap(),
        [1; 32]
    );
    assert_eq!(
        store.kept_secret("salt:02", [2; 32], "salt:").unwrap(),
        [2; 32]
    );
    assert_eq!(
        store.kept_secret("salt:01", [3; 32], "salt:").unwrap(),
        [3; 32],
        "yesterday's salt is gone once today's is made"
    );
    assert_eq!(
        store.kept_secret("salt:02", [4; 32], "salt:").unwrap(),
        [2; 32],
        "a late clock's day takes today's away from no one"
    );
    assert_eq!(
        store.kept_secret("signing", [8; 32], "").unwrap(),
        [7; 32],
        "other secrets stay"
    );
}

#[test]
fn the_embedded_store_keeps_the_catalogues_contract() {
    let dir = std::env::temp_dir().join(format!("vitrine-contract-{}", new_click_id()));
    let store = crate::store::SqliteStore::open(&dir).unwrap();
    holds(&store);
    let _ = std::fs::remove_dir_all(dir);
}

/// A fresh database on the server `VITRINE_TEST_POSTGRES` names.
fn fresh_postgres() -> Option<String> {
    let url = crate::testing::fresh_postgres();
    if url.is_none() {
        eprintln!("VITRINE_TEST_POSTGRES is not set: the PostgreSQL half is not run here (cargo xtask test starts a server and runs it)");
    }
    url
}

#[test]
fn the_postgres_catalogue_keeps_the_same_contract() {
    let Some(url) = fresh_postgres() else {
        return;
    };
    let store = crate::postgres::PgCatalogue::open(&url).unwrap();
    holds(&store);
}

/// Two instances starting at once migrate once (the advisory lock), and
/// a third finds nothing left to do.
#[test]
fn instances_starting_together_migrate_once() {
    let Some(url) = fresh_postgres() else {
        return;
    };
    let starts: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || crate::postgres::PgCatalogue::open(&url).map(|_| ()))
        })
        .collect();
    for start in starts {
        start.join().unwrap().expect("both instances start");
    }
    let store = crate::postgres::PgCatalogue::open(&url).unwrap();
    assert!(store.is_empty().unwrap());
}

// ---- The events' contract ----------------------------------------------

use crate::store::{Arrival, EventStore, GroupBy, ReportFilter};
use vitrine_core::event::Event;

/// An event as the collector hands it over: `kind` by item `itm_1` of
/// `cr_a`, in page view `view`, at `ts`; clicks with click id `click`.
fn arrival(
    id: u32,
    kind: &str,
    view: u8,
    ts: i64,
    click: u32,
    invalid: Option<Invalid>,
) -> Arrival {
    let mut e = serde_json::json!({
        "id": format!("{id:032x}"), "type": kind, "item": "itm_1", "creator": "cr_a",
        "placement": if view % 2 == 0 { "blog.example" } else { "shop.example" },
        "page": "https://blog.example/post", "ts": ts, "sdk": "0.1.0",
        "view": format!("{view:02x}").repeat(16),
    });
    if kind == "click" {
        e["click"] = serde_json::json!(format!("{click:032x}"));
    }
    Arrival {
        event: Event::from_node(&e).expect("a valid event"),
        invalid,
    }
}

/// What a store made of a scripted day of traffic: each batch's answers,
/// and the report's counts (buckets, groups by placement, filtered).
type Outcome = (
    Vec<Vec<Stored>>,
    Vec<(i64, String, u64)>,
    Vec<(String, String, u64)>,
    Vec<(String, u8, u64)>,
);

/// The script: impressions, a viewable impression and clicks, one of them
/// repeated within 30 minutes and one after; a bot's impression; a
/// viewable impression with no impression; duplicates across batches.
pub(crate) fn script(store: &dyn EventStore) -> Outcome {
    let minute = 60_000;
    let t0 = (crate::store::now_ms() / minute - 120) * minute;
    let batches = [
        vec![
            arrival(3, "click", 2, t0 + 3_000, 1, None),
            arrival(1, "impression", 2, t0, 0, None),
            arrival(2, "viewable_impression", 2, t0 + 1_000, 0, None),
            arrival(4, "viewable_impression", 4, t0 + 2_000, 0, None),
            arrival(5, "impression", 3, t0 + 2_500, 0, Some(Invalid::Bot)),
            arrival(6, "follow_confirmed", 2, t0 + 4_000, 0, None),
            arrival(6, "follow_confirmed", 2, t0 + 4_000, 0, None),
        ],
        vec![
            arrival(1, "impression", 2, t0, 0, None),
            arrival(3, "click", 2, t0 + 3_000, 1, None),
            arrival(7, "click", 2, t0 + minute, 2, None),
            arrival(8, "click", 2, t0 + 31 * minute, 3, None),
            arrival(9, "impression", 6, t0 + 40 * minute, 0, None),
            arrival(10, "click", 8, t0 + 41 * minute, 4, None),
        ],
    ];
    let answers: Vec<Vec<Stored>> = batches
        .iter()
        .map(|b| store.insert_events(b).unwrap())
        .collect();
    let creator = ReportFilter::Creator("cr_a".into());
    let (from, to) = (t0 - minute, t0 + 3_600_000);
    let mut buckets: Vec<(i64, String, u64)> = store
        .report("cr_a", &creator, from, to, 600_000)
        .unwrap()
        .into_iter()
        .map(|b| (b.start_ms, b.kind, b.count))
        .collect();
    buckets.sort();
    let mut groups = store
        .report_groups("cr_a", &creator, GroupBy::Placement, from, to)
        .unwrap();
    groups.sort();
    let mut filtered: Vec<(String, u8, u64)> = store
        .report_filtered("cr_a", &ReportFilter::Item("itm_1".into()), from, to)
        .unwrap()
        .into_iter()
        .map(|(k, r, n)| (k, r.code(), n))
        .collect();
    filtered.sort();
    (answers, buckets, groups, filtered)
}

/// What every events store must make of [`script`].
fn expected_outcome(outcome: &Outcome) {
    let (answers, buckets, groups, filtered) = outcome;
    let new = |i: Option<Invalid>| Stored::New(i);
    assert_eq!(
        answers[0],
        [
            new(None),
            new(None),
            new(None),
            new(Some(Invalid::NoImpression)),
            new(Some(Invalid::Bot)),
            new(None),
            Stored::Duplicate
        ],
        "a click after its impression in one batch counts; a viewable impression without one does not"
    );
    assert_eq!(
        answers[1],
        [
            Stored::Duplicate,
            Stored::Duplicate,
            new(Some(Invalid::RepeatClick)),
            new(None),
            new(None),
            new(Some(Invalid::NoImpression))
        ],
        "re-sent events are duplicates; a repeat click within 30 minutes is filtered, one after counts"
    );
    let total = |kind: &str| -> u64 {
        buckets
            .iter()
            .filter(|(_, k, _)| k == kind)
            .map(|(.., n)| n)
            .sum()
    };
    assert_eq!(
        (
            total("impression"),
            total("viewable_impression"),
            total("click"),
            total("follow_confirmed")
        ),
        (2, 1, 2, 1)
    );
    let by = |key: &str, kind: &str| {
        groups
            .iter()
            .find(|(g, k, _)| g == key && k == kind)
            .map_or(0, |(.., n)| *n)
    };
    assert_eq!(
        (
            by("blog.example", "impression"),
            by("blog.example", "click")
        ),
        (2, 2)
    );
    let reasons: Vec<(&str, u8, u64)> = filtered
        .iter()
        .map(|(k, r, n)| (k.as_str(), *r, *n))
        .collect();
    assert_eq!(
        reasons,
        [
            ("click", Invalid::NoImpression.code(), 1),
            ("click", Invalid::RepeatClick.code(), 1),
            ("impression", Invalid::Bot.code(), 1),
            ("viewable_impression", Invalid::NoImpression.code(), 1),
        ]
    );
}

#[test]
fn the_embedded_store_keeps_the_events_contract() {
    let dir = std::env::temp_dir().join(format!("vitrine-contract-{}", new_click_id()));
    let store = crate::store::SqliteStore::open(&dir).unwrap();
    expected_outcome(&script(&store));
    let _ = std::fs::remove_dir_all(dir);
}

/// ClickHouse at `VITRINE_TEST_CLICKHOUSE`, in a database of this test's.
fn fresh_clickhouse() -> Option<crate::clickhouse::ChEvents> {
    let Ok(server) = std::env::var("VITRINE_TEST_CLICKHOUSE") else {
        eprintln!("VITRINE_TEST_CLICKHOUSE is not set: the ClickHouse half is not run here (cargo xtask test starts a server and runs it)");
        return None;
    };
    let url = format!(
        "{}/?database=vt_{}",
        server.trim_end_matches('/'),
        &new_click_id()[..16]
    );
    Some(crate::clickhouse::ChEvents::open(&url).expect("the test ClickHouse answers"))
}

/// The same traffic, the same report, whichever engine keeps the events.
#[test]
fn clickhouse_keeps_the_events_contract_and_agrees_with_the_embedded_store() {
    let Some(clickhouse) = fresh_clickhouse() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("vitrine-contract-{}", new_click_id()));
    let embedded = crate::store::SqliteStore::open(&dir).unwrap();
    let outcome = script(&clickhouse);
    expected_outcome(&outcome);
    let (_, buckets, groups, filtered) = outcome;
    let (_, e_buckets, e_groups, e_filtered) = script(&embedded);
    assert_eq!(
        (buckets, groups, filtered),
        (e_buckets, e_groups, e_filtered),
        "the two reports agree exactly"
    );
    let _ = std::fs::remove_dir_all(dir);
}
