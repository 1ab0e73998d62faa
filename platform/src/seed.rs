//! First-start content: three creators and the items they recommend, in
//! Chinese and English, on each partner store.

use crate::media::seed_media;
use crate::store::{CreatorRow, ItemRow, ReaderRow, ReportKeyRow, Store, StoreResult};
use vitrine_core::partner::Registry;

fn creator(
    id: &str,
    name: &str,
    avatar: &str,
    bio: &str,
    followers: u64,
    verified: bool,
) -> CreatorRow {
    CreatorRow {
        id: id.into(),
        name: name.into(),
        avatar_path: format!("/media/{avatar}"),
        bio: bio.into(),
        followers,
        verified,
    }
}

#[allow(clippy::too_many_arguments)]
fn item(
    id: &str,
    creator_id: &str,
    title: &str,
    image: &str,
    reason: &str,
    price: &str,
    original: Option<&str>,
    stock: Option<u64>,
    store_url: &str,
) -> ItemRow {
    ItemRow {
        id: id.into(),
        title: title.into(),
        image_path: format!("/media/{image}"),
        reason: reason.into(),
        price_amount: price.into(),
        original_amount: original.map(Into::into),
        currency: "CNY".into(),
        stock,
        store_url: store_url.into(),
        creator_id: creator_id.into(),
    }
}

pub fn creators() -> Vec<CreatorRow> {
    vec![
        creator(
            "cr_linxiaoman",
            "林小满",
            "avatar-lin.svg",
            "生活方式博主，喜欢手作器物和慢一点的早晨。",
            128_400,
            true,
        ),
        creator(
            "cr_mayachen",
            "Maya Chen",
            "avatar-maya.svg",
            "Tech reviewer. I keep what I test for at least a month before I recommend it.",
            45_200,
            true,
        ),
        creator(
            "cr_chenmo",
            "陈默",
            "avatar-chen.svg",
            "喝茶二十年，只推荐自己回购过的茶。",
            8_930,
            false,
        ),
    ]
}

pub fn items() -> Vec<ItemRow> {
    vec![
        item("itm_film_camera", "cr_linxiaoman", "复古 35mm 胶片相机 · 附赠一卷彩色胶卷", "camera.svg",
            "旅行时一直带着它，取景器很亮，傻瓜操作也能拍出颗粒感。库存不多了。", "468.00", Some("599.00"), Some(2),
            "https://item.taobao.com/item.htm?id=734512908812"),
        item("itm_keyboard_75", "cr_mayachen", "75% Hot-swap Mechanical Keyboard, Gasket Mount", "keyboard.svg",
            "The quietest tactile board I've used this year. Sold out again, but worth the wait for the restock.", "549.00", None, Some(0),
            "https://item.jd.com/100012043978.html"),
        item("itm_linen_tote", "cr_linxiaoman", "水洗亚麻托特包 大容量通勤款", "tote.svg",
            "装得下 14 寸电脑和一天的杂物，越洗越软，背了一年还很挺。", "129.00", None, Some(46),
            "https://weidian.com/item.html?itemID=4512345678"),
        item("itm_oolong_tea", "cr_chenmo", "武夷岩茶 · 肉桂 传统炭焙 250g 礼盒", "tea.svg",
            "炭焙火功足而不燥，第五泡还有桂皮香。送长辈很体面，自己喝也不心疼。", "238.00", Some("298.00"), Some(120),
            "https://detail.tmall.com/item.htm?id=589123456789"),
        item("itm_nc_headphones", "cr_mayachen", "Wireless Noise-Cancelling Headphones, 30 h Battery", "headphones.svg",
            "I flew 14 hours with these and forgot they were on. Best cancellation per yuan I've tested.", "1899.00", Some("2399.00"), Some(5),
            "https://item.jd.com/100035246702.html"),
        // The same tea as itm_oolong_tea, recommended by two more creators
        // through other forms of its link: the partner store's social proof.
        item("itm_rougui_lin", "cr_linxiaoman", "武夷岩茶 肉桂 炭焙 250g 礼盒", "tea.svg",
            "过年送了爸妈一盒，他们说比以前买的都香。我自己留了一盒，下午泡一壶，整个人都慢下来。", "238.00", Some("298.00"), Some(120),
            "https://detail.m.tmall.com/item.htm?id=589123456789&spm=a2141.7631564.0.0"),
        item("itm_rougui_maya", "cr_mayachen", "Wuyi Rock Tea, Rou Gui, Charcoal Roasted, 250 g", "tea.svg",
            "Not a tech pick, but my desk's favourite: a clean cinnamon finish, and still sweet on the sixth steep.", "238.00", None, Some(120),
            "http://item.taobao.com/item.htm?id=589123456789&ali_trackid=2:mm_0:1"),
        item("itm_ceramic_mug", "cr_linxiaoman", "手作粗陶马克杯 350ml 哑光釉 可进洗碗机", "mug.svg",
            "每天早上用它喝咖啡，杯壁厚实不烫手，哑光釉摸起来很舒服，用了半年没有一点磨损。", "89.00", Some("129.00"), Some(37),
            "https://item.taobao.com/item.htm?id=624519851234"),
    ]
}

/// The demo's reader accounts: (id, name, email). Their password is
/// [`DEMO_PASSWORD`]; only its argon2 hash is stored.
pub const READERS: [(&str, &str, &str); 3] = [
    ("rd_xiaowang", "小王", "xiaowang@vitrine.demo"),
    ("rd_alex", "Alex", "alex@vitrine.demo"),
    ("rd_meimei", "美美", "meimei@vitrine.demo"),
];

/// The demo creators' own accounts, for the studio: (account id, name,
/// email, creator id). Same password as the readers.
pub const CREATOR_ACCOUNTS: [(&str, &str, &str, &str); 3] = [
    ("rd_lin", "林小满", "lin@vitrine.demo", "cr_linxiaoman"),
    ("rd_maya", "Maya Chen", "maya@vitrine.demo", "cr_mayachen"),
    ("rd_chenmo", "陈默", "chenmo@vitrine.demo", "cr_chenmo"),
];

/// Each demo creator's report API key, printed at start-up and in the
/// README so its `curl` examples work (for the demo only, like the
/// password; a creator makes real keys in the studio).
pub const DEMO_REPORT_KEYS: [(&str, &str); 3] = [
    ("cr_linxiaoman", "vk_0c5e1a2b3d4f5a6b7c8d9e0f1a2b3c4d"),
    ("cr_mayachen", "vk_1d6f2b3c4e5a6b7c8d9e0f1a2b3c4d5e"),
    ("cr_chenmo", "vk_2e7a3c4d5f6b7c8d9e0f1a2b3c4d5e6f"),
];

/// The demo readers' password (printed in the README, for the demo only).
pub const DEMO_PASSWORD: &str = "vitrine-demo";

fn demo_account(id: &str, name: &str, email: &str) -> ReaderRow {
    ReaderRow {
        id: id.into(),
        name: name.into(),
        email: email.into(),
        password_hash: crate::accounts::hash_password(DEMO_PASSWORD),
    }
}

/// Seeds an empty store (`true`); a store with content keeps it. Either
/// way, demo items and the demo creators' studio accounts that the
/// database lacks are added, so a database made by an earlier version
/// gains what was added since.
pub fn seed_if_empty(store: &dyn Store) -> StoreResult<bool> {
    let fresh = store.is_empty()?;
    if fresh {
        seed(store)?;
    }
    // Demo items added since the database was made.
    for i in items() {
        if store.studio_item(&i.id)?.is_none() && store.creator(&i.creator_id)?.is_some() {
            let product = crate::partners::product_of(&i.store_url, &Registry::new(None));
            store.save_item(&i, product.as_deref())?;
        }
    }
    for (id, name, email, creator) in CREATOR_ACCOUNTS {
        if store.creator(creator)?.is_some() && store.reader_by_email(email)?.is_none() {
            store.insert_reader(&demo_account(id, name, email))?;
            store.link_account(id, creator)?;
        }
    }
    // Revoked in the studio, a demo key stays revoked (its hash is kept).
    for (creator, key) in DEMO_REPORT_KEYS {
        if store.creator(creator)?.is_some() {
            store.create_report_key(&ReportKeyRow {
                id: format!("rk_demo_{}", &key[3..7]),
                creator_id: creator.into(),
                kind: "api".into(),
                hash: crate::accounts::session_key(key),
                hint: key[key.len() - 4..].into(),
                label: "演示密钥 · Demo key (printed at start-up)".into(),
                created_ms: 0,
            })?;
        }
    }
    Ok(fresh)
}

fn seed(store: &dyn Store) -> StoreResult<()> {
    for (name, svg) in seed_media() {
        store.insert_media(name, "image/svg+xml", svg.as_bytes())?;
    }
    for c in creators() {
        store.insert_creator(&c)?;
    }
    for (id, name, email) in READERS {
        store.insert_reader(&demo_account(id, name, email))?;
    }
    Ok(())
}
