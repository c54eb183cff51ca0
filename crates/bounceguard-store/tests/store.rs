//! Store behaviour, every test run against SQLite (a temp file) and PostgreSQL
//! (`TEST_DATABASE_URL`, a fresh database per test).

#![allow(clippy::unwrap_used)]

use std::time::Instant;

use bounceguard_store::{
    Backend, IdentityRecord, MessageQuery, NewMessage, NewRecipient, RecipientRecord,
    StatisticsBucket, Store, StoreError,
};

mod common;

use sqlx::Connection;

use common::{cure_commits, database_url, each_backend, poison_commits};

/// 2026-01-01T10:00:00.000Z in ms: 20454 days * 86 400 000 + 10 h * 3 600 000.
const TEN_AM: i64 = 20_454 * 86_400_000 + 10 * 3_600_000;

fn recipient(address: &str, kind: &str, attempt: bool, quota: bool) -> NewRecipient {
    NewRecipient {
        address: address.to_string(),
        normalized: address.to_lowercase(),
        kind: kind.to_string(),
        decision: if attempt { "deliver" } else { "capture" }.to_string(),
        rule: format!("rule for {kind}"),
        reason: format!("reason for {address}"),
        delivery_attempt: attempt,
        quota,
    }
}

fn message(id: &str, created_ms: i64, from: &str, recipients: Vec<NewRecipient>) -> NewMessage {
    NewMessage {
        id: id.to_string(),
        created_ms,
        api: "v2".to_string(),
        operation: "SendEmail".to_string(),
        source: format!("Sender <{from}>"),
        from_address: from.to_string(),
        subject: Some(format!("subject {id}")),
        raw: format!("Subject: subject {id}\r\n\r\nbody of {id}\r\n").into_bytes(),
        principal: "AKIDEXAMPLE".to_string(),
        source_ip: Some("127.0.0.1".to_string()),
        recipients,
    }
}

fn simple(id: &str, created_ms: i64) -> NewMessage {
    message(
        id,
        created_ms,
        "sender@example.com",
        vec![recipient(&format!("to-{id}@example.net"), "to", true, true)],
    )
}

fn record_of(position: i64, r: &NewRecipient) -> RecipientRecord {
    RecipientRecord {
        position,
        address: r.address.clone(),
        normalized: r.normalized.clone(),
        kind: r.kind.clone(),
        decision: r.decision.clone(),
        rule: r.rule.clone(),
        reason: r.reason.clone(),
        delivery_attempt: r.delivery_attempt,
        quota: r.quota,
    }
}

fn ids(list: &[bounceguard_store::MessageSummary]) -> Vec<String> {
    list.iter().map(|m| m.id.clone()).collect()
}

// ---------------------------------------------------------------- tests

#[tokio::test]
async fn send_round_trips_every_field() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        let mut raw: Vec<u8> = b"From: =?UTF-8?B?w4lsaXNl?= <a@b.example>\r\n\r\n".to_vec();
        raw.extend_from_slice(&[0x00, 0xff, 0xfe, 0x80, b'\r', b'\n', 0x00]);
        let sent = NewMessage {
            id: "0100018c-abcdef01-2345-6789-abcd-ef0123456789-000000".to_string(),
            created_ms: TEN_AM + 123,
            api: "v1".to_string(),
            operation: "SendRawEmail".to_string(),
            source: "\"Élise O'Neil\" <Elise@B.example>".to_string(),
            from_address: "Elise@B.example".to_string(),
            subject: Some("Grüße – ünïcödé ✓".to_string()),
            raw: raw.clone(),
            principal: "arn:aws:iam::123456789012:user/app".to_string(),
            source_ip: Some("2001:db8::1".to_string()),
            recipients: vec![
                recipient("Zed@Example.COM", "to", true, true),
                recipient("amy@example.org", "cc", false, false),
                recipient("bcc@example.test", "bcc", false, true),
                recipient("bounce@simulator.amazonses.com", "envelope", true, false),
            ],
        };
        store.record_send(sent.clone()).await.unwrap();

        let got = store.get_message(&sent.id).await.unwrap().expect("stored");
        assert!(got.seq > 0);
        assert_eq!(got.id, sent.id);
        assert_eq!(got.created_ms, TEN_AM + 123);
        assert_eq!(got.api, "v1");
        assert_eq!(got.operation, "SendRawEmail");
        assert_eq!(got.source, sent.source);
        assert_eq!(got.from_address, "Elise@B.example");
        assert_eq!(got.subject.as_deref(), Some("Grüße – ünïcödé ✓"));
        assert_eq!(got.raw, raw, "raw bytes must come back exactly");
        assert_eq!(got.principal, sent.principal);
        assert_eq!(got.source_ip.as_deref(), Some("2001:db8::1"));
        let expected: Vec<RecipientRecord> = sent
            .recipients
            .iter()
            .enumerate()
            .map(|(i, r)| record_of(i as i64, r))
            .collect();
        assert_eq!(got.recipients, expected);

        // NULLs and an empty recipient list round-trip too.
        let mut bare = simple("bare", TEN_AM);
        bare.subject = None;
        bare.source_ip = None;
        bare.recipients.clear();
        bare.raw = Vec::new();
        store.record_send(bare).await.unwrap();
        let got = store.get_message("bare").await.unwrap().expect("stored");
        assert_eq!((got.subject, got.source_ip), (None, None));
        assert!(got.recipients.is_empty() && got.raw.is_empty());

        assert_eq!(store.get_message("missing").await.unwrap(), None);
        store.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sends_are_grouped_and_visible_once_acknowledged() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        let started = Instant::now();
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let id = format!("concurrent-{i:03}");
                    store.record_send(simple(&id, TEN_AM + i)).await.unwrap();
                    // Acknowledged means committed: visible to any reader right away.
                    let got = store.get_message(&id).await.unwrap();
                    assert_eq!(got.map(|m| m.id), Some(id));
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let elapsed = started.elapsed();
        let stats = store.writer_stats();
        println!(
            "{:?}: 200 concurrent record_send (+ read-back) in {:.1} ms, {} commits",
            store.backend(),
            elapsed.as_secs_f64() * 1000.0,
            stats.commits
        );
        assert_eq!(stats.messages, 200);
        assert!(
            store.commit_count() < 200,
            "no grouping: {} commits",
            store.commit_count()
        );
        assert_eq!(store.quota_used_since(0).await.unwrap(), 200);
        let all = store
            .list_messages(&MessageQuery {
                limit: 1000,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(all.len(), 200);

        // The pure write path, timed on its own.
        let started = Instant::now();
        let tasks: Vec<_> = (0..200)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .record_send(simple(&format!("timed-{i}"), TEN_AM))
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        println!(
            "{:?}: 200 concurrent record_send in {:.1} ms, {} commits for them",
            store.backend(),
            started.elapsed().as_secs_f64() * 1000.0,
            store.commit_count() - stats.commits
        );
        store.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_sends_survive_close_and_reopen() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        let send = |i: i64| {
            let store = store.clone();
            tokio::spawn(async move {
                let id = format!("restart-{i}");
                let result = store.record_send(simple(&id, TEN_AM + i)).await;
                (id, result)
            })
        };
        let mut tasks: Vec<_> = (0..150).map(send).collect();
        tokio::task::yield_now().await;
        // Sends racing with close(): each one must end up either acknowledged and stored, or
        // refused (Closed) and absent. Queued sends are committed before close() returns.
        let closing = {
            let store = store.clone();
            tokio::spawn(async move { store.close().await })
        };
        tasks.extend((150..200).map(send));
        closing.await.unwrap();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        assert!(matches!(
            store.record_send(simple("after-close", TEN_AM)).await,
            Err(StoreError::Closed)
        ));

        let reopened = Store::open(&url).await.unwrap();
        let mut acknowledged = 0;
        for (id, result) in &outcomes {
            let stored = reopened.get_message(id).await.unwrap();
            match result {
                Ok(()) => {
                    acknowledged += 1;
                    assert!(stored.is_some(), "acknowledged {id} lost");
                }
                Err(StoreError::Closed) => assert!(stored.is_none(), "refused {id} stored"),
                Err(other) => panic!("unexpected error for {id}: {other}"),
            }
        }
        println!(
            "{:?}: {acknowledged} of 200 sends acknowledged around close()",
            reopened.backend()
        );
        assert!(acknowledged > 0);
        assert_eq!(reopened.quota_used_since(0).await.unwrap(), acknowledged);
        assert_eq!(reopened.get_message("after-close").await.unwrap(), None);
        reopened.close().await;
    })
    .await;
}

#[tokio::test]
async fn listing_is_newest_first_with_keyset_pages() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        for i in 0..25 {
            store
                .record_send(simple(&format!("m{i:02}"), TEN_AM + i))
                .await
                .unwrap();
        }
        let mut seen = Vec::new();
        let mut before = None;
        let mut pages = 0;
        loop {
            let page = store
                .list_messages(&MessageQuery {
                    before_seq: before,
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
            if page.is_empty() {
                break;
            }
            pages += 1;
            assert!(page.len() <= 10);
            assert!(page.windows(2).all(|w| w[0].seq > w[1].seq), "newest first");
            before = page.last().map(|m| m.seq);
            seen.extend(ids(&page));
        }
        assert_eq!(pages, 3);
        let expected: Vec<String> = (0..25).rev().map(|i| format!("m{i:02}")).collect();
        assert_eq!(seen, expected, "no duplicates, no gaps");

        let first = store
            .list_messages(&MessageQuery {
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(first.len(), 1);
        let m = &first[0];
        assert_eq!((m.id.as_str(), m.created_ms), ("m24", TEN_AM + 24));
        assert_eq!(m.source, "Sender <sender@example.com>");
        assert_eq!(m.subject.as_deref(), Some("subject m24"));
        assert_eq!(m.recipients.len(), 1);
        assert_eq!(m.recipients[0].address, "to-m24@example.net");
        assert_eq!(m.recipients[0].kind, "to");

        // limit 0 means the default page size (50): all 25.
        let all = store.list_messages(&MessageQuery::default()).await.unwrap();
        assert_eq!(all.len(), 25);
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn listing_filters_by_id_sender_and_recipient() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        let alice = "Alice@Example.COM";
        store
            .record_send(message(
                "a1",
                TEN_AM,
                alice,
                vec![
                    recipient("x@example.net", "to", true, true),
                    recipient("y@example.net", "cc", true, true),
                ],
            ))
            .await
            .unwrap();
        store
            .record_send(message(
                "b1",
                TEN_AM + 1,
                "bob@example.com",
                vec![recipient("x@example.net", "to", true, true)],
            ))
            .await
            .unwrap();
        store
            .record_send(message(
                "a2",
                TEN_AM + 2,
                "alice@example.com",
                vec![recipient("z@example.net", "to", true, true)],
            ))
            .await
            .unwrap();
        store
            .record_send(message(
                "a3",
                TEN_AM + 3,
                alice,
                vec![
                    recipient("w@example.net", "to", true, true),
                    recipient("x@example.net", "bcc", false, false),
                ],
            ))
            .await
            .unwrap();

        let q = |f: fn(&mut MessageQuery)| {
            let mut query = MessageQuery::default();
            f(&mut query);
            query
        };
        let list = |query: MessageQuery| {
            let store = store.clone();
            async move { ids(&store.list_messages(&query).await.unwrap()) }
        };

        assert_eq!(list(q(|q| q.id = Some("b1".into()))).await, ["b1"]);
        assert!(
            list(q(|q| q.id = Some("B1".into()))).await.is_empty(),
            "ids are exact"
        );
        assert_eq!(
            list(q(|q| q.from = Some("aLiCe@example.com".into()))).await,
            ["a3", "a2", "a1"]
        );
        assert_eq!(
            list(q(|q| q.from = Some("BOB@EXAMPLE.COM".into()))).await,
            ["b1"]
        );
        assert!(
            list(q(|q| q.from = Some("alice@example".into())))
                .await
                .is_empty(),
            "equality, not prefix"
        );
        assert_eq!(
            list(q(|q| q.recipient = Some("x@example.net".into()))).await,
            ["a3", "b1", "a1"]
        );
        assert_eq!(
            list(q(|q| q.recipient = Some("y@example.net".into()))).await,
            ["a1"]
        );
        assert_eq!(
            list(q(|q| {
                q.from = Some("alice@example.com".into());
                q.recipient = Some("x@example.net".into());
            }))
            .await,
            ["a3", "a1"]
        );
        // Filters combine with the keyset cursor.
        let page1 = store
            .list_messages(&MessageQuery {
                from: Some(alice.into()),
                limit: 2,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(ids(&page1), ["a3", "a2"]);
        let page2 = store
            .list_messages(&MessageQuery {
                from: Some(alice.into()),
                limit: 2,
                before_seq: Some(page1[1].seq),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(ids(&page2), ["a1"]);
        // A recipient-filtered listing still shows every recipient of the message, in order.
        let a3 = &store
            .list_messages(&MessageQuery {
                recipient: Some("x@example.net".into()),
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap()[0];
        let addresses: Vec<&str> = a3.recipients.iter().map(|r| r.address.as_str()).collect();
        assert_eq!(addresses, ["w@example.net", "x@example.net"]);
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn delete_one_then_all() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        for id in ["d1", "d2", "d3"] {
            store.record_send(simple(id, TEN_AM)).await.unwrap();
        }
        let max_seq = store.get_message("d3").await.unwrap().unwrap().seq;
        assert_eq!(store.delete_messages(Some("d2")).await.unwrap(), 1);
        assert_eq!(store.get_message("d2").await.unwrap(), None);
        assert!(store.get_message("d1").await.unwrap().is_some());
        assert_eq!(
            store.quota_used_since(0).await.unwrap(),
            2,
            "recipients deleted with their message"
        );
        assert_eq!(store.delete_messages(Some("d2")).await.unwrap(), 0);
        assert_eq!(store.delete_messages(Some("nope")).await.unwrap(), 0);
        assert_eq!(store.delete_messages(None).await.unwrap(), 2);
        assert!(
            store
                .list_messages(&MessageQuery::default())
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(store.quota_used_since(0).await.unwrap(), 0);
        assert!(store.send_statistics(0).await.unwrap().is_empty());
        // Sequence numbers are never reused, so old keyset cursors stay meaningful.
        store.record_send(simple("d4", TEN_AM)).await.unwrap();
        assert!(store.get_message("d4").await.unwrap().unwrap().seq > max_seq);
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn duplicate_message_id_fails_alone() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        store.record_send(simple("dup", TEN_AM)).await.unwrap();
        let mut again = simple("dup", TEN_AM + 1);
        again.raw = b"different".to_vec();
        let mut tasks = vec![{
            let store = store.clone();
            tokio::spawn(async move { store.record_send(again).await })
        }];
        for i in 0..20 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.record_send(simple(&format!("ok-{i}"), TEN_AM)).await
            }));
        }
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        match &results[0] {
            Err(StoreError::DuplicateMessage(id)) => assert_eq!(id, "dup"),
            other => panic!("expected DuplicateMessage, got {other:?}"),
        }
        assert!(results[1..].iter().all(Result::is_ok), "{results:?}");
        for i in 0..20 {
            assert!(
                store
                    .get_message(&format!("ok-{i}"))
                    .await
                    .unwrap()
                    .is_some()
            );
        }
        let original = store.get_message("dup").await.unwrap().unwrap();
        assert_eq!(
            (original.created_ms, original.raw),
            (TEN_AM, simple("dup", TEN_AM).raw)
        );
        assert_eq!(store.quota_used_since(0).await.unwrap(), 21);
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn identities_crud_and_keyset_listing() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        let identity =
            |name: &str, kind: &str, token: Option<&str>, created_ms: i64| IdentityRecord {
                name: name.to_string(),
                kind: kind.to_string(),
                verification_token: token.map(str::to_string),
                created_ms,
            };
        let all = [
            identity("b.example", "Domain", Some("tok-b"), 1),
            identity("B.example", "Domain", Some("tok-B"), 2),
            identity("a@x.test", "EmailAddress", None, 3),
            identity("Z@x.test", "EmailAddress", None, 4),
            identity("c.example", "Domain", None, 5),
        ];
        for record in &all {
            assert!(
                store.put_identity(record).await.unwrap(),
                "{} created",
                record.name
            );
        }
        // Idempotent: a second put neither creates nor overwrites.
        assert!(
            !store
                .put_identity(&identity("b.example", "EmailAddress", None, 99))
                .await
                .unwrap()
        );
        assert_eq!(
            store.get_identity("b.example").await.unwrap(),
            Some(all[0].clone())
        );
        assert_eq!(
            store.get_identity("B.EXAMPLE").await.unwrap(),
            None,
            "names are exact"
        );

        let names =
            |list: Vec<IdentityRecord>| list.into_iter().map(|r| r.name).collect::<Vec<_>>();
        // Byte order: 'B' (0x42) < 'Z' (0x5a) < 'a' (0x61) < 'b' < 'c'.
        assert_eq!(
            names(store.list_identities(None, None, 100).await.unwrap()),
            [
                "B.example",
                "Z@x.test",
                "a@x.test",
                "b.example",
                "c.example"
            ]
        );
        assert_eq!(
            names(
                store
                    .list_identities(Some("Domain"), None, 100)
                    .await
                    .unwrap()
            ),
            ["B.example", "b.example", "c.example"]
        );
        assert_eq!(
            names(
                store
                    .list_identities(Some("EmailAddress"), None, 100)
                    .await
                    .unwrap()
            ),
            ["Z@x.test", "a@x.test"]
        );
        // Keyset pages of two.
        let page1 = names(store.list_identities(None, None, 2).await.unwrap());
        assert_eq!(page1, ["B.example", "Z@x.test"]);
        let page2 = names(
            store
                .list_identities(None, Some("Z@x.test"), 2)
                .await
                .unwrap(),
        );
        assert_eq!(page2, ["a@x.test", "b.example"]);
        let page3 = names(
            store
                .list_identities(None, Some("b.example"), 2)
                .await
                .unwrap(),
        );
        assert_eq!(page3, ["c.example"]);
        assert!(
            store
                .list_identities(None, Some("c.example"), 2)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            names(
                store
                    .list_identities(Some("Domain"), Some("B.example"), 1)
                    .await
                    .unwrap()
            ),
            ["b.example"]
        );

        assert!(store.delete_identity("B.example").await.unwrap());
        assert!(!store.delete_identity("B.example").await.unwrap());
        assert_eq!(store.get_identity("B.example").await.unwrap(), None);
        assert_eq!(
            store.get_identity("b.example").await.unwrap(),
            Some(all[0].clone())
        );
        assert_eq!(store.list_identities(None, None, 0).await.unwrap().len(), 4);
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn quota_and_statistics_use_fifteen_minute_buckets() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        let r = |attempt, quota| recipient("r@example.net", "to", attempt, quota);
        // 09:59:59.999 -> bucket 09:45; two attempts, both on quota.
        store
            .record_send(message(
                "s1",
                TEN_AM - 1,
                "f@example.com",
                vec![r(true, true), r(true, true)],
            ))
            .await
            .unwrap();
        // 10:00:00.000 -> bucket 10:00; one attempt, one capture (neither attempt nor quota).
        store
            .record_send(message(
                "s2",
                TEN_AM,
                "f@example.com",
                vec![r(true, true), r(false, false)],
            ))
            .await
            .unwrap();
        // 10:14:59.999 -> still bucket 10:00; three attempts.
        store
            .record_send(message(
                "s3",
                TEN_AM + 899_999,
                "f@example.com",
                vec![r(true, true), r(true, true), r(true, true)],
            ))
            .await
            .unwrap();
        // 10:15:00.000 -> bucket 10:15; one attempt, one on quota without an attempt.
        store
            .record_send(message(
                "s4",
                TEN_AM + 900_000,
                "f@example.com",
                vec![r(true, true), r(false, true)],
            ))
            .await
            .unwrap();
        // 10:45 -> only captures: no data point.
        store
            .record_send(message(
                "s5",
                TEN_AM + 2_700_000,
                "f@example.com",
                vec![r(false, false)],
            ))
            .await
            .unwrap();
        // 1969-12-31T23:59:59.999Z -> floor puts it in the bucket starting at -900 000.
        store
            .record_send(message("s6", -1, "f@example.com", vec![r(true, false)]))
            .await
            .unwrap();

        let bucket = |start_ms, delivery_attempts| StatisticsBucket {
            start_ms,
            delivery_attempts,
            bounces: 0,
            complaints: 0,
            rejects: 0,
        };
        assert_eq!(
            store.send_statistics(TEN_AM).await.unwrap(),
            [bucket(TEN_AM, 4), bucket(TEN_AM + 900_000, 1)]
        );
        assert_eq!(
            store.send_statistics(0).await.unwrap(),
            [
                bucket(TEN_AM - 900_000, 2),
                bucket(TEN_AM, 4),
                bucket(TEN_AM + 900_000, 1)
            ]
        );
        assert_eq!(
            store.send_statistics(-900_000).await.unwrap()[0],
            bucket(-900_000, 1)
        );
        assert!(
            store
                .send_statistics(TEN_AM + 900_001)
                .await
                .unwrap()
                .is_empty()
        );

        assert_eq!(store.quota_used_since(0).await.unwrap(), 2 + 1 + 3 + 2);
        assert_eq!(store.quota_used_since(TEN_AM).await.unwrap(), 1 + 3 + 2);
        assert_eq!(
            store.quota_used_since(TEN_AM + 899_999).await.unwrap(),
            3 + 2
        );
        assert_eq!(store.quota_used_since(TEN_AM + 900_001).await.unwrap(), 0);
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn migrations_are_idempotent() {
    each_backend(|url| async move {
        let first = Store::open(&url).await.unwrap();
        first.record_send(simple("kept", TEN_AM)).await.unwrap();
        // A second store on the same database while the first is open, then a reopen.
        let second = Store::open(&url).await.unwrap();
        assert!(second.get_message("kept").await.unwrap().is_some());
        second.close().await;
        first.close().await;
        let third = Store::open(&url).await.unwrap();
        assert!(third.get_message("kept").await.unwrap().is_some());
        third.record_send(simple("later", TEN_AM)).await.unwrap();
        assert_eq!(third.quota_used_since(0).await.unwrap(), 2);
        third.close().await;
    })
    .await;
}

#[tokio::test]
async fn close_twice_and_from_clones_is_safe() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        store.record_send(simple("c1", TEN_AM)).await.unwrap();
        let clone = store.clone();
        tokio::join!(store.close(), clone.close());
        store.close().await;
        assert!(matches!(
            store.record_send(simple("c2", TEN_AM)).await,
            Err(StoreError::Closed)
        ));
        let reopened = Store::open(&url).await.unwrap();
        assert!(reopened.get_message("c1").await.unwrap().is_some());
        reopened.close().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_commit_answers_every_waiter_and_stores_nothing() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        store.record_send(simple("before", TEN_AM)).await.unwrap();
        // Poison: every message insert adds a row that violates a DEFERRED foreign key, so the
        // statements succeed and the COMMIT fails.
        poison_commits(store.backend(), &url, "messages", "seq", "BIGINT").await;
        let commits = store.commit_count();
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(
                    async move { store.record_send(simple(&format!("p{i}"), TEN_AM)).await },
                )
            })
            .collect();
        for task in tasks {
            let result = task.await.unwrap();
            assert!(
                matches!(result, Err(StoreError::Database(_) | StoreError::Sqlite(_))),
                "{result:?}"
            );
        }
        assert_eq!(store.commit_count(), commits, "nothing committed");
        assert!(store.writer_stats().failed_batches >= 1);
        for i in 0..50 {
            assert_eq!(store.get_message(&format!("p{i}")).await.unwrap(), None);
        }
        // Once the cause is gone the same store writes again (its connection is not left
        // inside the failed transaction).
        cure_commits(store.backend(), &url, "messages").await;
        store.record_send(simple("after", TEN_AM)).await.unwrap();
        assert!(store.get_message("after").await.unwrap().is_some());
        assert_eq!(store.quota_used_since(0).await.unwrap(), 2);
        store.close().await;
    })
    .await;
}

// ---------------------------------------------------------------- SQLite only

#[tokio::test]
async fn sqlite_file_is_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/b/wal.db");
    let url = format!("sqlite://{}", path.display());
    let store = Store::open(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    store.record_send(simple("w", TEN_AM)).await.unwrap();
    assert!(path.exists(), "file and its parent directories created");
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    conn.close().await.unwrap();
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_commits_sends_still_queued() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/drain.db", dir.path().display());
    let store = Store::open(&url).await.unwrap();
    // Another connection holds the write lock, so the writer blocks on its first batch and
    // everything else stays queued.
    let mut blocker = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.record_send(simple(&format!("q{i}"), TEN_AM)).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(store.commit_count(), 0, "writer is blocked");
    let closing = {
        let store = store.clone();
        tokio::spawn(async move { store.close().await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(!closing.is_finished(), "close() waits for the queued sends");
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    blocker.close().await.unwrap();
    closing.await.unwrap();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(store.writer_stats().messages, 100);
    let reopened = Store::open(&url).await.unwrap();
    assert_eq!(reopened.quota_used_since(0).await.unwrap(), 100);
    reopened.close().await;
}

/// The send writer has a SQLite connection of its own; the store's other writes go through
/// sqlx's write connection. Both write the same file at once here: every write must succeed
/// and all of it must be there after a reopen. (That they queue in-process rather than wait out
/// SQLITE_BUSY is not visible here: the busy timeout would let both succeed too.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_and_other_writes_share_the_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/mixed.db", dir.path().display());
    let store = Store::open(&url).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..300 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store
                .record_send(simple(&format!("m{i}"), TEN_AM + i))
                .await?;
            let identity = IdentityRecord {
                name: format!("d{i}.example"),
                kind: "Domain".to_string(),
                verification_token: None,
                created_ms: i,
            };
            assert!(store.put_identity(&identity).await?, "identity {i} is new");
            Ok::<_, StoreError>(())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(store.writer_stats().messages, 300);
    assert_eq!(store.quota_used_since(0).await.unwrap(), 300);
    for i in [0, 149, 299] {
        assert!(store.get_message(&format!("m{i}")).await.unwrap().is_some());
        assert!(
            store
                .get_identity(&format!("d{i}.example"))
                .await
                .unwrap()
                .is_some()
        );
    }
    store.close().await;
    let reopened = Store::open(&url).await.unwrap();
    assert_eq!(
        reopened.quota_used_since(0).await.unwrap(),
        300,
        "all of it durable"
    );
    reopened.close().await;
}

#[tokio::test]
async fn sqlite_in_memory_works_for_tests() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    store.record_send(simple("mem", TEN_AM)).await.unwrap();
    assert_eq!(
        store.get_message("mem").await.unwrap().map(|m| m.id),
        Some("mem".to_string())
    );
    assert_eq!(
        ids(&store.list_messages(&MessageQuery::default()).await.unwrap()),
        ["mem"]
    );
    store.close().await;
}

#[tokio::test]
async fn unknown_url_scheme_is_refused_without_echoing_credentials() {
    let Err(error) = Store::open("mysql://root:hunter2@localhost/db").await else {
        panic!("mysql must be refused");
    };
    assert!(matches!(&error, StoreError::UnsupportedUrl(scheme) if scheme == "mysql"));
    assert!(!error.to_string().contains("hunter2"));
}

#[test]
fn database_url_replaces_only_the_database_name() {
    assert_eq!(
        database_url("postgres://postgres@127.0.0.1:55432/postgres", "x"),
        "postgres://postgres@127.0.0.1:55432/x"
    );
    assert_eq!(
        database_url("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(database_url("postgres://h:1", "x"), "postgres://h:1/x");
}

#[tokio::test]
async fn ping_answers_on_both_backends() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.expect("open");
        store.ping().await.expect("ping");
        store.close().await;
    })
    .await;
}
