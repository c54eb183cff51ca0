//! The dashboard's queries (issue 8) on SQLite and PostgreSQL (`TEST_DATABASE_URL`): the
//! filtered keyset listing, the newest seq, the outcome time series and the decision counts.

#![allow(clippy::unwrap_used)]

use bounceguard_store::{
    MessageFilter, NewEvent, NewMessage, NewRecipient, NewSendOutcome, OutcomeBucket, OutcomeClass,
    Store,
};

mod common;

use common::each_backend;

fn message(n: i64, decisions: &[&str], created_ms: i64) -> NewMessage {
    NewMessage {
        id: format!("msg-{n:05}"),
        created_ms,
        api: "v2".into(),
        operation: "SendEmail".into(),
        source: "Sender <Sender@Shop.example>".into(),
        from_address: if n % 2 == 0 {
            "Sender@Shop.example".into()
        } else {
            "other@shop.example".into()
        },
        subject: Some(format!("subject {n}")),
        raw: b"Subject: x\r\n\r\nbody".to_vec(),
        principal: "p".into(),
        source_ip: None,
        recipients: decisions
            .iter()
            .enumerate()
            .map(|(i, d)| NewRecipient {
                address: format!("r{n}-{i}@x.test"),
                normalized: format!("r{n}-{i}@x.test"),
                kind: "to".into(),
                decision: (*d).into(),
                rule: "route:1".into(),
                reason: "test".into(),
                delivery_attempt: false,
                quota: false,
            })
            .collect(),
    }
}

#[tokio::test]
async fn filtered_keyset_pages_cover_every_match_once_newest_first() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.latest_message_seq().await.unwrap(), 0);
        for n in 0..25 {
            // Every fifth message has one held recipient among captured ones.
            let decisions: &[&str] = if n % 5 == 0 {
                &["capture", "hold"]
            } else {
                &["capture"]
            };
            store
                .record_send(message(n, decisions, 1_000 + n))
                .await
                .unwrap();
        }
        let latest = store.latest_message_seq().await.unwrap();
        assert!(latest >= 25);

        let mut filter = MessageFilter {
            decision: Some("hold".into()),
            limit: 2,
            ..MessageFilter::default()
        };
        let mut ids = Vec::new();
        loop {
            let page = store.list_messages_filtered(&filter).await.unwrap();
            if page.is_empty() {
                break;
            }
            filter.before_seq = page.last().map(|m| m.seq);
            ids.extend(page.into_iter().map(|m| m.id));
        }
        assert_eq!(
            ids,
            [
                "msg-00020",
                "msg-00015",
                "msg-00010",
                "msg-00005",
                "msg-00000"
            ]
        );

        // Sender, ignoring case, combined with the decision: even n only.
        let page = store
            .list_messages_filtered(&MessageFilter {
                from: Some("sender@shop.EXAMPLE".into()),
                decision: Some("hold".into()),
                limit: 10,
                ..MessageFilter::default()
            })
            .await
            .unwrap();
        let ids: Vec<&str> = page.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["msg-00020", "msg-00010", "msg-00000"]);
        // Each message comes with all its recipients, not just the matching one.
        assert_eq!(page[0].recipients.len(), 2);

        // Newer than a cursor: oldest first.
        let newer = store
            .list_messages_filtered(&MessageFilter {
                after_seq: Some(latest - 3),
                limit: 10,
                ..MessageFilter::default()
            })
            .await
            .unwrap();
        let ids: Vec<&str> = newer.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["msg-00022", "msg-00023", "msg-00024"]);

        // Recipient and MessageId.
        let one = store
            .list_messages_filtered(&MessageFilter {
                recipient: Some("r7-0@x.test".into()),
                ..MessageFilter::default()
            })
            .await
            .unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].id, "msg-00007");

        // Decision counts per recipient since a time: n >= 10 → 15 messages, 3 with a hold.
        let counts = store.decision_counts_since(1_010).await.unwrap();
        assert_eq!(
            counts,
            vec![("capture".to_string(), 15), ("hold".to_string(), 3)]
        );
    })
    .await;
}

fn eligible(id: &str, sent_ms: i64) -> NewSendOutcome {
    NewSendOutcome {
        message_id: id.into(),
        recipient: format!("{id}@x.test"),
        class: OutcomeClass::Eligible,
        sent_ms,
    }
}

#[tokio::test]
async fn outcome_series_buckets_eligible_sends_with_their_bounces_and_complaints() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        // Bucket 0–999: a, b, c; bucket 2000–2999: d; -1 falls in bucket -1000 (floor).
        let mut outcomes = vec![
            eligible("a", 0),
            eligible("b", 500),
            eligible("c", 999),
            eligible("d", 2_500),
            eligible("e", -1),
        ];
        // Not eligible: never in the series.
        outcomes.push(NewSendOutcome {
            class: OutcomeClass::Captured,
            ..eligible("f", 10)
        });
        store.record_send_outcomes(&outcomes).await.unwrap();
        let bounce = NewEvent {
            event_type: "Bounce".into(),
            message_id: "b".into(),
            recipient: "b@x.test".into(),
            bounce_type: Some("Permanent".into()),
            bounce_subtype: Some("General".into()),
            feedback_id: Some("fb".into()),
            at_ms: 600,
            raw_json: "{}".into(),
        };
        let complaint = NewEvent {
            event_type: "Complaint".into(),
            message_id: "d".into(),
            recipient: "d@x.test".into(),
            bounce_type: None,
            bounce_subtype: None,
            feedback_id: Some("fb2".into()),
            at_ms: 2_600,
            raw_json: "{}".into(),
        };
        store
            .apply_events_once(None, None, &[bounce, complaint], 3_000)
            .await
            .unwrap();

        let series = store.outcome_series(-1_000, 1_000).await.unwrap();
        assert_eq!(
            series,
            vec![
                OutcomeBucket {
                    start_ms: -1_000,
                    sends: 1,
                    hard_bounces: 0,
                    complaints: 0
                },
                OutcomeBucket {
                    start_ms: 0,
                    sends: 3,
                    hard_bounces: 1,
                    complaints: 0
                },
                OutcomeBucket {
                    start_ms: 2_000,
                    sends: 1,
                    hard_bounces: 0,
                    complaints: 1
                },
            ]
        );
        // `since` cuts by send time.
        let later = store.outcome_series(1, 1_000).await.unwrap();
        assert_eq!(later.iter().map(|b| b.sends).sum::<u64>(), 3);
    })
    .await;
}
