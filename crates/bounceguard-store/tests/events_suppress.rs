//! An event and the suppression entries it causes, committed in ONE transaction
//! (`Store::apply_events_and_suppress_once`, issue 6): every test run against SQLite (a temp
//! file) and PostgreSQL (`TEST_DATABASE_URL`, a fresh database per test).

#![allow(clippy::unwrap_used)]

use bounceguard_store::{
    ChangeOp, ListenEvent, NewEvent, Store, StoreError, SuppressedReason, SuppressionWrite,
};

mod common;

use common::{cure_commits, each_backend, poison_commits};

fn bounce(message_id: &str, recipient: &str) -> NewEvent {
    NewEvent {
        event_type: "Bounce".to_string(),
        message_id: message_id.to_string(),
        recipient: recipient.to_string(),
        bounce_type: Some("Permanent".to_string()),
        bounce_subtype: Some("General".to_string()),
        feedback_id: Some(format!("fb-{message_id}")),
        at_ms: 5_000,
        raw_json: r#"{"eventType":"Bounce"}"#.to_string(),
    }
}

fn entry(address: &str, hash: u64, reason: SuppressedReason, message_id: &str) -> SuppressionWrite {
    SuppressionWrite {
        address: address.to_string(),
        hash,
        reason,
        source: format!("event:fb-{message_id}"),
        message_id: Some(message_id.to_string()),
        feedback_id: Some(format!("fb-{message_id}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_and_its_suppression_entries_are_applied_once_together() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        // Already on the list for the same reason: unchanged, no change row.
        store
            .put_suppressed(
                &entry("old@x.org", 7, SuppressedReason::Bounce, "m0"),
                1_000,
            )
            .await
            .unwrap();
        let before = store.latest_suppression_change_seq().await.unwrap();
        let mut listener = store.listen_suppression_changes().await.unwrap();

        let events = vec![bounce("m1", "new@x.org"), bounce("m1", "old@x.org")];
        let writes = vec![
            entry("new@x.org", 11, SuppressedReason::Bounce, "m1"),
            entry("old@x.org", 7, SuppressedReason::Bounce, "m1"),
        ];
        let applied = store
            .apply_events_and_suppress_once(
                Some("sns-1"),
                Some("arn:aws:sns:us-east-1:1:t"),
                events.clone(),
                writes.clone(),
                2_000,
            )
            .await
            .unwrap();
        assert!(applied);

        assert_eq!(store.events_for_message("m1").await.unwrap().len(), 2);
        let new = store.get_suppressed("new@x.org").await.unwrap().unwrap();
        assert_eq!(new.reason, SuppressedReason::Bounce);
        assert_eq!(new.hash, 11);
        assert_eq!(new.last_update_ms, 2_000);
        assert_eq!(new.source, "event:fb-m1");
        assert_eq!(new.message_id.as_deref(), Some("m1"));
        assert_eq!(new.feedback_id.as_deref(), Some("fb-m1"));
        // The entry that was there already keeps its own source and time.
        let old = store.get_suppressed("old@x.org").await.unwrap().unwrap();
        assert_eq!(
            (old.source.as_str(), old.last_update_ms),
            ("event:fb-m0", 1_000)
        );

        // One change row: the new address only.
        let changes = store.suppression_changes_since(before, 100).await.unwrap();
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0].address, "new@x.org");
        assert_eq!(changes[0].hash, 11);
        assert_eq!(changes[0].op, ChangeOp::Put);
        assert_eq!(changes[0].reason, Some(SuppressedReason::Bounce));
        assert_eq!(changes[0].at_ms, 2_000);
        // PostgreSQL followers are notified with the latest change seq, as for any put.
        if let Some(listener) = listener.as_mut() {
            let seen = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
                .await
                .expect("a notification")
                .unwrap();
            assert_eq!(seen, ListenEvent::Notified(Some(changes[0].seq)));
        }

        // A redelivery changes nothing: no event, no change row.
        let again = store
            .apply_events_and_suppress_once(Some("sns-1"), None, events, writes, 3_000)
            .await
            .unwrap();
        assert!(!again);
        assert_eq!(store.events_for_message("m1").await.unwrap().len(), 2);
        assert_eq!(
            store.latest_suppression_change_seq().await.unwrap(),
            changes[0].seq
        );
        assert_eq!(store.count_suppressed().await.unwrap(), 2);
        // The listener holds a pool connection: let it go before closing the pool.
        drop(listener);
        store.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounce_whose_commit_fails_leaves_neither_the_event_nor_the_suppression_entry() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        // Poison: every suppression entry inserted adds a row violating a DEFERRED foreign
        // key, so all statements succeed (the event's included) and the COMMIT fails.
        poison_commits(
            store.backend(),
            &url,
            "suppressed_destinations",
            "address",
            "TEXT",
        )
        .await;
        let apply = |store: Store| async move {
            store
                .apply_events_and_suppress_once(
                    Some("sns-1"),
                    None,
                    vec![bounce("m1", "gone@x.org")],
                    vec![entry("gone@x.org", 5, SuppressedReason::Bounce, "m1")],
                    2_000,
                )
                .await
        };
        let failed = apply(store.clone()).await;
        assert!(matches!(failed, Err(StoreError::Database(_))), "{failed:?}");
        assert_eq!(store.events_for_message("m1").await.unwrap(), Vec::new());
        assert_eq!(store.get_suppressed("gone@x.org").await.unwrap(), None);
        assert_eq!(store.latest_suppression_change_seq().await.unwrap(), 0);

        // The SNS id was not consumed either: SNS's retry, once the cause is gone, applies
        // the event and the entry.
        cure_commits(store.backend(), &url, "suppressed_destinations").await;
        assert!(apply(store.clone()).await.unwrap());
        assert_eq!(store.events_for_message("m1").await.unwrap().len(), 1);
        assert_eq!(
            store
                .get_suppressed("gone@x.org")
                .await
                .unwrap()
                .map(|r| r.reason),
            Some(SuppressedReason::Bounce)
        );
        store.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_notifications_share_commits_and_each_gets_its_entry() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        let tasks: Vec<_> = (0..200u64)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let address = format!("u{i:03}@x.org");
                    let message = format!("m{i}");
                    store
                        .apply_events_and_suppress_once(
                            Some(&format!("sns-{i}")),
                            None,
                            vec![bounce(&message, &address)],
                            vec![entry(&address, i, SuppressedReason::Bounce, &message)],
                            10_000 + i as i64,
                        )
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().unwrap());
        }
        assert_eq!(store.count_suppressed().await.unwrap(), 200);
        let changes = store.suppression_changes_since(0, 1_000).await.unwrap();
        assert_eq!(changes.len(), 200);
        // Seqs strictly increase and each address is logged once.
        assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
        let mut addresses: Vec<&str> = changes.iter().map(|c| c.address.as_str()).collect();
        addresses.sort_unstable();
        addresses.dedup();
        assert_eq!(addresses.len(), 200);
        let e = store.get_suppressed("u123@x.org").await.unwrap().unwrap();
        assert_eq!(
            (e.hash, e.last_update_ms, e.message_id.as_deref()),
            (123, 10_123, Some("m123"))
        );
        store.close().await;
    })
    .await;
}
