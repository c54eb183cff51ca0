//! Event and send-outcome storage (issue 6), every test run against SQLite (a temp file) and
//! PostgreSQL (`TEST_DATABASE_URL`, a fresh database per test). The harness is `tests/common`.

#![allow(clippy::unwrap_used)]

use bounceguard_store::{NewEvent, NewSendOutcome, OutcomeClass, Store, WindowCountsRow};

mod common;

use common::each_backend;

fn outcome(message_id: &str, recipient: &str, class: OutcomeClass, sent_ms: i64) -> NewSendOutcome {
    NewSendOutcome {
        message_id: message_id.to_string(),
        recipient: recipient.to_string(),
        class,
        sent_ms,
    }
}

fn eligible(message_id: &str, recipient: &str, sent_ms: i64) -> NewSendOutcome {
    outcome(message_id, recipient, OutcomeClass::Eligible, sent_ms)
}

fn event(event_type: &str, message_id: &str, recipient: &str) -> NewEvent {
    NewEvent {
        event_type: event_type.to_string(),
        message_id: message_id.to_string(),
        recipient: recipient.to_string(),
        bounce_type: None,
        bounce_subtype: None,
        feedback_id: None,
        at_ms: 5_000,
        raw_json: format!(r#"{{"eventType":"{event_type}"}}"#),
    }
}

fn bounce(message_id: &str, recipient: &str, bounce_type: &str, subtype: &str) -> NewEvent {
    NewEvent {
        bounce_type: Some(bounce_type.to_string()),
        bounce_subtype: Some(subtype.to_string()),
        feedback_id: Some(format!("fb-{message_id}-{recipient}")),
        ..event("Bounce", message_id, recipient)
    }
}

/// (recipient, hard_bounce, complaint, delivered) of the eligible outcomes, by seq.
async fn flags(store: &Store) -> Vec<(String, bool, bool, bool)> {
    store
        .recent_outcomes(1_000)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.recipient, o.hard_bounce, o.complaint, o.delivered))
        .collect()
}

#[tokio::test]
async fn the_same_sns_message_applied_three_times_is_applied_once() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        store
            .record_send_outcomes(&[eligible("m1", "ann@example.org", 1_000)])
            .await
            .unwrap();
        let events = [bounce("m1", "ann@example.org", "Permanent", "General")];

        // Sequential redelivery.
        let mut applied = Vec::new();
        for _ in 0..3 {
            applied.push(
                store
                    .apply_events_once(
                        Some("sns-1"),
                        Some("arn:aws:sns:eu-west-1:1:t"),
                        &events,
                        2_000,
                    )
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(applied, [true, false, false]);
        let stored = store.events_for_message("m1").await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].sns_message_id.as_deref(), Some("sns-1"));
        assert_eq!(stored[0].event_type, "Bounce");
        assert_eq!(stored[0].bounce_type.as_deref(), Some("Permanent"));
        assert_eq!(stored[0].bounce_subtype.as_deref(), Some("General"));
        assert_eq!(
            stored[0].feedback_id.as_deref(),
            Some("fb-m1-ann@example.org")
        );
        assert_eq!(stored[0].at_ms, 5_000);
        assert_eq!(stored[0].raw_json, r#"{"eventType":"Bounce"}"#);

        // Concurrent redelivery (likely in one group-commit batch): still exactly one applies.
        let concurrent = [complaint_event("m1", "ann@example.org")];
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let store = store.clone();
            let concurrent = concurrent.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .apply_events_once(Some("sns-2"), None, &concurrent, 3_000)
                    .await
                    .unwrap()
            }));
        }
        let mut applied = 0;
        for task in tasks {
            applied += usize::from(task.await.unwrap());
        }
        assert_eq!(applied, 1);
        assert_eq!(store.events_for_message("m1").await.unwrap().len(), 2);
        assert_eq!(
            store.outcome_counts_since(0).await.unwrap(),
            WindowCountsRow {
                sends: 1,
                hard_bounces: 1,
                complaints: 1
            }
        );

        // Durable: a reopened store still knows the SNS ids (SQLite file / same PG database).
        store.close().await;
        let store = Store::open(&url).await.unwrap();
        assert!(
            !store
                .apply_events_once(Some("sns-1"), None, &events, 4_000)
                .await
                .unwrap()
        );
        assert_eq!(store.events_for_message("m1").await.unwrap().len(), 2);

        // Without an SNS id (POST /api/v1/events) nothing dedups: both apply.
        let delivery = [event("Delivery", "m1", "ann@example.org")];
        assert!(
            store
                .apply_events_once(None, None, &delivery, 5_000)
                .await
                .unwrap()
        );
        assert!(
            store
                .apply_events_once(None, None, &delivery, 5_000)
                .await
                .unwrap()
        );
        assert_eq!(store.events_for_message("m1").await.unwrap().len(), 4);
        store.close().await;
    })
    .await;
}

fn complaint_event(message_id: &str, recipient: &str) -> NewEvent {
    NewEvent {
        feedback_id: Some("cfb".to_string()),
        ..event("Complaint", message_id, recipient)
    }
}

#[tokio::test]
async fn bounces_complaints_and_deliveries_mark_their_own_outcome() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        let inserted = store
            .record_send_outcomes(&[
                eligible("m1", "a@example.org", 1_000),
                eligible("m1", "b@example.org", 1_000),
                eligible("m2", "a@example.org", 1_001),
                eligible("m2", "c@example.org", 1_001),
            ])
            .await
            .unwrap();
        assert_eq!(inserted, 4);
        // One SNS message with several events (an SES bounce naming two recipients, plus an
        // event for a send we never recorded: stored, marks nothing).
        assert!(
            store
                .apply_events_once(
                    Some("sns-b"),
                    None,
                    &[
                        bounce("m1", "a@example.org", "Permanent", "NoEmail"),
                        bounce("m1", "b@example.org", "Permanent", "Suppressed"),
                        bounce("m9", "z@example.org", "Permanent", "General"),
                    ],
                    2_000,
                )
                .await
                .unwrap()
        );
        assert!(
            store
                .apply_events_once(
                    Some("sns-c"),
                    None,
                    &[complaint_event("m2", "c@example.org")],
                    2_000
                )
                .await
                .unwrap()
        );
        assert!(
            store
                .apply_events_once(
                    Some("sns-d"),
                    None,
                    &[event("Delivery", "m2", "a@example.org")],
                    2_000
                )
                .await
                .unwrap()
        );
        // m1/a and m2/a are different sends: only m1's was bounced, only m2's delivered.
        assert_eq!(
            flags(&store).await,
            vec![
                ("a@example.org".to_string(), true, false, false),
                ("b@example.org".to_string(), true, false, false),
                ("a@example.org".to_string(), false, false, true),
                ("c@example.org".to_string(), false, true, false),
            ]
        );
        assert_eq!(store.events_for_message("m9").await.unwrap().len(), 1);
        assert_eq!(
            store.outcome_counts_since(0).await.unwrap(),
            WindowCountsRow {
                sends: 4,
                hard_bounces: 2,
                complaints: 1
            }
        );

        // Recording the same outcomes again changes nothing, not even the flags.
        assert_eq!(
            store
                .record_send_outcomes(&[eligible("m1", "a@example.org", 9_999)])
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            flags(&store).await[0],
            ("a@example.org".to_string(), true, false, false)
        );
        assert_eq!(
            store.recent_outcomes(1_000).await.unwrap()[0].sent_ms,
            1_000
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn transient_undetermined_and_account_list_bounces_do_not_mark() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        store
            .record_send_outcomes(&[
                eligible("m1", "t@example.org", 1_000),
                eligible("m1", "u@example.org", 1_000),
                eligible("m1", "s@example.org", 1_000),
            ])
            .await
            .unwrap();
        let events = [
            bounce("m1", "t@example.org", "Transient", "MailboxFull"),
            bounce("m1", "t@example.org", "Transient", "General"),
            bounce("m1", "u@example.org", "Undetermined", "Undetermined"),
            bounce(
                "m1",
                "s@example.org",
                "Permanent",
                "OnAccountSuppressionList",
            ),
            event("Send", "m1", "t@example.org"),
            event("DeliveryDelay", "m1", "u@example.org"),
            event("Reject", "m1", "s@example.org"),
        ];
        assert!(
            store
                .apply_events_once(Some("sns-1"), None, &events, 2_000)
                .await
                .unwrap()
        );
        assert_eq!(store.events_for_message("m1").await.unwrap().len(), 7);
        assert!(
            flags(&store)
                .await
                .iter()
                .all(|(_, hb, c, d)| !hb && !c && !d)
        );
        assert_eq!(
            store.outcome_counts_since(0).await.unwrap(),
            WindowCountsRow {
                sends: 3,
                hard_bounces: 0,
                complaints: 0
            }
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn recent_outcomes_are_the_newest_eligible_in_seq_order() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        // e1 e2 [simulator] e3 [suppressed] [denied] e4 [captured] [verified] e5
        let mut rows = Vec::new();
        let excluded = [
            OutcomeClass::Simulator,
            OutcomeClass::AccountSuppressed,
            OutcomeClass::Denied,
            OutcomeClass::Captured,
            OutcomeClass::VerifiedDestination,
        ];
        rows.push(eligible("m", "e1@x.org", 1));
        rows.push(eligible("m", "e2@x.org", 2));
        rows.push(outcome("m", "x1@x.org", excluded[0], 3));
        rows.push(eligible("m", "e3@x.org", 4));
        rows.push(outcome("m", "x2@x.org", excluded[1], 5));
        rows.push(outcome("m", "x3@x.org", excluded[2], 6));
        store.record_send_outcomes(&rows).await.unwrap();
        // A second call: seqs keep increasing across calls.
        store
            .record_send_outcomes(&[
                eligible("n", "e4@x.org", 7),
                outcome("n", "x4@x.org", excluded[3], 8),
                outcome("n", "x5@x.org", excluded[4], 9),
                eligible("n", "e5@x.org", 10),
            ])
            .await
            .unwrap();

        let recipients = |outcomes: Vec<bounceguard_store::StoredOutcome>| {
            outcomes
                .into_iter()
                .map(|o| o.recipient)
                .collect::<Vec<_>>()
        };
        let all = store.recent_outcomes(100).await.unwrap();
        assert!(all.windows(2).all(|w| w[0].seq < w[1].seq));
        assert!(all.iter().all(|o| o.class == OutcomeClass::Eligible));
        assert_eq!(
            recipients(all),
            ["e1@x.org", "e2@x.org", "e3@x.org", "e4@x.org", "e5@x.org"]
        );
        assert_eq!(
            recipients(store.recent_outcomes(3).await.unwrap()),
            ["e3@x.org", "e4@x.org", "e5@x.org"]
        );
        assert!(store.recent_outcomes(0).await.unwrap().is_empty());

        // Excluded sends marked by events still stay out of the counts.
        store
            .apply_events_once(
                Some("sns-x"),
                None,
                &[
                    bounce("m", "x1@x.org", "Permanent", "General"),
                    complaint_event("m", "x2@x.org"),
                ],
                20,
            )
            .await
            .unwrap();
        assert_eq!(
            store.outcome_counts_since(0).await.unwrap(),
            WindowCountsRow {
                sends: 5,
                hard_bounces: 0,
                complaints: 0
            }
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn counts_since_take_sends_at_or_after_the_bound() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        assert_eq!(
            store.outcome_counts_since(0).await.unwrap(),
            WindowCountsRow::default()
        );
        const DAY: i64 = 86_400_000;
        let now = 30 * DAY;
        // 8 days ago, 2 days ago, exactly 24 h ago, 1 h ago.
        store
            .record_send_outcomes(&[
                eligible("m", "old@x.org", now - 8 * DAY),
                eligible("m", "week@x.org", now - 2 * DAY),
                eligible("m", "edge@x.org", now - DAY),
                eligible("m", "new@x.org", now - 3_600_000),
                outcome("m", "sim@x.org", OutcomeClass::Simulator, now - 1),
            ])
            .await
            .unwrap();
        store
            .apply_events_once(
                Some("s"),
                None,
                &[
                    bounce("m", "old@x.org", "Permanent", "General"),
                    bounce("m", "week@x.org", "Permanent", "General"),
                    complaint_event("m", "edge@x.org"),
                    bounce("m", "new@x.org", "Transient", "General"),
                ],
                now,
            )
            .await
            .unwrap();
        assert_eq!(
            store.outcome_counts_since(now - DAY).await.unwrap(),
            WindowCountsRow {
                sends: 2,
                hard_bounces: 0,
                complaints: 1
            }
        );
        assert_eq!(
            store.outcome_counts_since(now - 7 * DAY).await.unwrap(),
            WindowCountsRow {
                sends: 3,
                hard_bounces: 1,
                complaints: 1
            }
        );
        assert_eq!(
            store.outcome_counts_since(now).await.unwrap(),
            WindowCountsRow::default()
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn delivered_before_sees_delivery_events_and_delivered_outcomes() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        store
            .record_send_outcomes(&[
                eligible("m1", "kept@x.org", 1),
                eligible("m1", "bounced@x.org", 1),
            ])
            .await
            .unwrap();
        store
            .apply_events_once(
                Some("s1"),
                None,
                &[
                    event("Delivery", "m1", "kept@x.org"),
                    bounce("m1", "bounced@x.org", "Permanent", "General"),
                    // A delivery for a send this store never recorded still counts as history.
                    event("Delivery", "old", "history@x.org"),
                ],
                2,
            )
            .await
            .unwrap();
        assert!(store.delivered_before("kept@x.org").await.unwrap());
        assert!(store.delivered_before("history@x.org").await.unwrap());
        assert!(!store.delivered_before("bounced@x.org").await.unwrap());
        assert!(!store.delivered_before("never@x.org").await.unwrap());
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn two_handles_on_one_database_see_the_same_numbers() {
    each_backend(|url| async move {
        let first = Store::open(&url).await.unwrap();
        let second = Store::open(&url).await.unwrap();
        first
            .record_send_outcomes(&[eligible("m1", "a@x.org", 10), eligible("m1", "b@x.org", 10)])
            .await
            .unwrap();
        second
            .record_send_outcomes(&[eligible("m2", "c@x.org", 11), eligible("m2", "d@x.org", 11)])
            .await
            .unwrap();
        // The same SNS message delivered to both instances concurrently: applied once overall.
        let events = [bounce("m1", "a@x.org", "Permanent", "General")];
        let (one, two) = tokio::join!(
            first.apply_events_once(Some("sns-1"), None, &events, 20),
            second.apply_events_once(Some("sns-1"), None, &events, 20),
        );
        assert_eq!(u8::from(one.unwrap()) + u8::from(two.unwrap()), 1);
        assert!(
            second
                .apply_events_once(Some("sns-2"), None, &[complaint_event("m2", "d@x.org")], 21)
                .await
                .unwrap()
        );
        assert!(
            !first
                .apply_events_once(Some("sns-2"), None, &[], 22)
                .await
                .unwrap()
        );

        let expected = WindowCountsRow {
            sends: 4,
            hard_bounces: 1,
            complaints: 1,
        };
        assert_eq!(first.outcome_counts_since(0).await.unwrap(), expected);
        assert_eq!(second.outcome_counts_since(0).await.unwrap(), expected);
        let window = first.recent_outcomes(3).await.unwrap();
        assert_eq!(window, second.recent_outcomes(3).await.unwrap());
        assert_eq!(
            window
                .iter()
                .map(|o| (o.recipient.as_str(), o.hard_bounce, o.complaint))
                .collect::<Vec<_>>(),
            [
                ("b@x.org", false, false),
                ("c@x.org", false, false),
                ("d@x.org", false, true)
            ]
        );
        assert_eq!(first.events_for_message("m1").await.unwrap().len(), 1);
        first.close().await;
        second.close().await;
    })
    .await;
}
