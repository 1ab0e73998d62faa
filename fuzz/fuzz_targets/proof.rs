//! Any JSON as a social-proof answer: validation never panics; and the
//! platform's ranking of what it accepts (`Proof::from_recommendations`,
//! what `/v1/proof` answers) keeps one recommendation per creator, in rank
//! order, counts them all in `total`, and is its own fixed point (ranking
//! its own answer changes nothing).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine_core::proof::{rank, Proof};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(read) = Proof::from_node(&value) else {
        return;
    };
    let ranked = Proof::from_recommendations(read.recommendations.clone());
    for pair in ranked.recommendations.windows(2) {
        assert_ne!(
            rank(&pair[0], &pair[1]),
            std::cmp::Ordering::Greater,
            "in rank order"
        );
    }
    let mut creators: Vec<&str> = ranked
        .recommendations
        .iter()
        .map(|r| r.creator.id.as_str())
        .collect();
    creators.sort_unstable();
    let n = creators.len();
    creators.dedup();
    assert_eq!(creators.len(), n, "one recommendation per creator");
    let mut every: Vec<&str> = read
        .recommendations
        .iter()
        .map(|r| r.creator.id.as_str())
        .collect();
    every.sort_unstable();
    every.dedup();
    assert_eq!(
        ranked.total,
        every.len() as u64,
        "total counts every creator"
    );
    let again = Proof::from_recommendations(ranked.recommendations.clone());
    assert_eq!(
        again.recommendations, ranked.recommendations,
        "a fixed point"
    );
});
