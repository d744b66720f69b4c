//! Unit tests of the SQLite store: group commit with one bad request, and rows written behind.

use std::sync::Arc;
use std::time::Duration;

use super::store::{SqliteStore, BEHIND_BATCH, BEHIND_DELAY};
use crate::store::model::{LogEntry, LogQuery, Store, Writes};

fn writes(request_id: &str) -> Writes {
    Writes {
        entry: LogEntry {
            request_id: request_id.to_string(),
            application: "a".into(),
            environment: "live".into(),
            endpoint: "e".into(),
            datetime_ms: 1,
            status_code: 200,
            ..Default::default()
        },
        short_links: Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_request_does_not_spoil_its_batch() {
    let store = Arc::new(SqliteStore::temporary().unwrap());
    store
        .begin("a", "live")
        .commit(writes("dup"))
        .await
        .unwrap();
    let mut handles = Vec::new();
    for i in 0..40 {
        let store = store.clone();
        let id = if i == 17 {
            "dup".to_string()
        } else {
            format!("r{i}")
        };
        handles.push(tokio::spawn(async move {
            store.begin("a", "live").commit(writes(&id)).await
        }));
    }
    let mut failed = 0;
    for h in handles {
        if h.await.unwrap().is_err() {
            failed += 1;
        }
    }
    assert_eq!(failed, 1);
    let all = store
        .entries(LogQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 40);
}

async fn count(store: &SqliteStore) -> usize {
    store
        .entries(LogQuery {
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_behind_are_read_back_and_survive_close() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("endpoints.db");
    let store = SqliteStore::open(&path).unwrap();
    store
        .begin("a", "live")
        .commit(writes("dup"))
        .await
        .unwrap();
    // Queued, not yet written; reading the log writes them first. The duplicate fails alone.
    for i in 0..10 {
        let id = if i == 3 {
            "dup".into()
        } else {
            format!("b{i}")
        };
        store
            .begin("a", "live")
            .commit_behind(writes(&id))
            .await
            .unwrap();
    }
    assert_eq!(count(&store).await, 10);
    // More than one batch, then close: every row is in the file for the next process.
    for i in 0..(BEHIND_BATCH + 100) {
        store
            .begin("a", "live")
            .commit_behind(writes(&format!("c{i}")))
            .await
            .unwrap();
    }
    store.close().await.unwrap();
    drop(store);
    let reader = SqliteStore::open_reader(&path).unwrap();
    assert_eq!(count(&reader).await, 10 + BEHIND_BATCH + 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_behind_are_handed_over_without_a_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("endpoints.db");
    let store = SqliteStore::open(&path).unwrap();
    store
        .begin("a", "live")
        .commit_behind(writes("one"))
        .await
        .unwrap();
    // Another process (the `log` command) sees the row once the delay has passed.
    let reader = SqliteStore::open_reader(&path).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while count(&reader).await == 0 {
        assert!(std::time::Instant::now() < deadline, "row never written");
        tokio::time::sleep(BEHIND_DELAY).await;
    }
    assert_eq!(count(&reader).await, 1);
}

/// The newest 100 entries, with their details.
async fn newest_100(store: &SqliteStore) -> Vec<LogEntry> {
    store
        .entries(LogQuery {
            limit: 100,
            details: true,
            ..Default::default()
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_written_behind_in_groups_keep_every_value() {
    // 63 rows: every group size of the multi-row insert (32 + 16 + 8 + 4 + 2 + 1), each row with its own values,
    // captures and a number.
    let store = SqliteStore::temporary().unwrap();
    for i in 0..63i64 {
        let mut w = writes(&format!("g{i:02}"));
        w.entry.datetime_ms = 1_000 + i;
        w.entry.status_code = 200 + i as u16;
        w.entry.user_agent = format!("agent {i}");
        w.entry.exception_message = (i % 2 == 0).then(|| format!("failure {i}"));
        w.entry.request_body = (i % 3 == 0).then(|| vec![i as u8; 3]);
        w.entry.captures = vec![("k".into(), format!("v{i}"))];
        store.begin("a", "live").commit_behind(w).await.unwrap();
    }
    let all = newest_100(&store).await;
    assert_eq!(all.len(), 63);
    for e in &all {
        let i = e.datetime_ms - 1_000;
        assert_eq!(e.request_id, format!("g{i:02}"));
        assert_eq!(e.status_code, 200 + i as u16);
        assert_eq!(e.user_agent, format!("agent {i}"));
        assert_eq!(
            e.exception_message,
            (i % 2 == 0).then(|| format!("failure {i}"))
        );
        assert_eq!(e.request_body, (i % 3 == 0).then(|| vec![i as u8; 3]));
        assert_eq!(e.captures, vec![("k".to_string(), format!("v{i}"))]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_and_other_rows_keep_their_order_and_their_nulls() {
    // 70 rows in the same millisecond: plain ones (no optional column set, written with the short insert), then a
    // run of rows with a failure text, then plain ones again. Newest first means the reverse order of writing.
    let store = SqliteStore::temporary().unwrap();
    for i in 0..70i64 {
        let mut w = writes(&format!("p{i:02}"));
        w.entry.datetime_ms = 5_000;
        w.entry.status_code = 200;
        w.entry.user_agent = format!("agent {i}");
        if (40..45).contains(&i) {
            w.entry.status_code = 500;
            w.entry.exception_message = Some(format!("failure {i}"));
            w.entry.request_content_type = Some("text/plain".into());
        }
        w.entry.captures.clear();
        store.begin("a", "live").commit_behind(w).await.unwrap();
    }
    let all = newest_100(&store).await;
    let ids: Vec<&str> = all.iter().map(|e| e.request_id.as_str()).collect();
    let expected: Vec<String> = (0..70).rev().map(|i| format!("p{i:02}")).collect();
    assert_eq!(ids, expected);
    for e in &all {
        let i: i64 = e.request_id[1..].parse().unwrap();
        assert_eq!(e.user_agent, format!("agent {i}"));
        assert_eq!(
            (e.application.as_str(), e.environment.as_str()),
            ("a", "live")
        );
        if (40..45).contains(&i) {
            assert_eq!(e.exception_message, Some(format!("failure {i}")));
            assert_eq!(e.request_content_type.as_deref(), Some("text/plain"));
        } else {
            assert_eq!(e.status_code, 200);
            assert!(e.exception_message.is_none() && e.request_content_type.is_none());
            assert!(e.request_body.is_none() && e.numbers.iter().all(Option::is_none));
        }
    }
}
