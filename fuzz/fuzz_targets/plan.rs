//! Any values written into a render plan: no value forges a record or a
//! field. Each record reads back with exactly the fields written, each the
//! value written with its separators made harmless.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vitrine::plan::{Plan, RS, US};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The input, cut into values at NUL: a header, then records of values.
    let mut values = text.split('\0');
    let state = values.next().unwrap_or_default();
    let mut plan = Plan::new(state);
    let mut written: Vec<Vec<String>> = Vec::new();
    let rest: Vec<&str> = values.collect();
    for record in rest.chunks(3) {
        plan.write("t", record);
        let mut fields = vec!["t".to_owned()];
        fields.extend(record.iter().map(|v| v.replace([RS, US], "\u{fffd}")));
        written.push(fields);
    }
    let finished = plan.finish();
    let mut records = finished.split(RS);
    let header = records.next().unwrap();
    assert_eq!(header, state.replace([RS, US], "\u{fffd}"));
    let read: Vec<Vec<String>> = records
        .map(|r| r.split(US).map(str::to_owned).collect())
        .collect();
    assert_eq!(read, written);
});
