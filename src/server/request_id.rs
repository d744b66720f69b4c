//! Request ids: UUID v7 — 48 bits of Unix milliseconds, then 74 bits drawn from a per-thread generator that the OS
//! seeds once. Time-ordered (the request log's index grows at its end) and unique without a system call per
//! request (`uuid::Uuid::now_v7` asks the OS for fresh randomness on every call). They are identifiers, not
//! secrets: nothing authorises on them.

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    static STATE: Cell<u64> = Cell::new(seed());
}

fn seed() -> u64 {
    let r = uuid::Uuid::new_v4().as_u64_pair();
    r.0 ^ r.1.rotate_left(29)
}

/// SplitMix64: a bijection of its counter, so one thread never repeats itself within 2^64 ids.
fn next() -> u64 {
    STATE.with(|s| {
        let x = s.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        s.set(x);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// A new request id in its usual 36-character form.
pub fn new() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&next().to_le_bytes());
    random[8..].copy_from_slice(&next().to_le_bytes()[..2]);
    let id = uuid::Builder::from_unix_timestamp_millis(ms, &random).into_uuid();
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_lower(&mut buf).to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    #[test]
    fn ids_are_version_7_unique_and_time_ordered() {
        let ids: Vec<String> = (0..10_000).map(|_| super::new()).collect();
        let set: HashSet<&String> = ids.iter().collect();
        assert_eq!(set.len(), ids.len());
        for id in &ids {
            let u = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(u.get_version_num(), 7, "{id}");
            assert_eq!(id.len(), 36);
        }
        // The leading 48 bits are milliseconds: never decreasing within a thread.
        let ms = |id: &String| u64::from_str_radix(&id.replace('-', "")[..12], 16).unwrap();
        assert!(ids.windows(2).all(|w| ms(&w[0]) <= ms(&w[1])));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        assert!(now - ms(&ids[0]) < 60_000);
        // Another thread draws from its own generator.
        let other = std::thread::spawn(super::new).join().unwrap();
        assert!(!set.contains(&other));
    }
}
