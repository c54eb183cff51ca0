//! Identity-policy storage, every test run against SQLite (a temp file) and PostgreSQL
//! (`TEST_DATABASE_URL`, a fresh database per test). The harness is `tests/common`.

#![allow(clippy::unwrap_used)]

use bounceguard_store::{IdentityRecord, PolicyWrite, PolicyWriteOutcome, Store};

mod common;

use common::each_backend;

// ---------------------------------------------------------------- tests

const DOC_A: &str = r#"{"Statement":[{"Sid":"a"}]}"#;
const DOC_B: &str = r#"{"Statement":[{"Sid":"b"}]}"#;

fn names(records: &[bounceguard_store::PolicyRecord]) -> Vec<&str> {
    records.iter().map(|r| r.name.as_str()).collect()
}

#[tokio::test]
async fn upsert_creates_then_replaces_and_keeps_created_time() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        let put = |doc: &'static str, now: i64| {
            let store = store.clone();
            async move {
                store
                    .put_identity_policy("shop.example", "p", doc, now, PolicyWrite::Upsert, 20)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(put(DOC_A, 1_000).await, PolicyWriteOutcome::Created);
        assert_eq!(put(DOC_B, 2_000).await, PolicyWriteOutcome::Replaced);
        let all = store.list_identity_policies("shop.example").await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].identity, "shop.example");
        assert_eq!(all[0].name, "p");
        assert_eq!(all[0].document, DOC_B);
        assert_eq!((all[0].created_ms, all[0].updated_ms), (1_000, 2_000));
        // Other identities are untouched and see nothing.
        assert!(
            store
                .list_identity_policies("other.example")
                .await
                .unwrap()
                .is_empty()
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn create_only_and_update_only_refuse_without_writing() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        let id = "a@shop.example";
        assert_eq!(
            store
                .put_identity_policy(id, "p", DOC_A, 1, PolicyWrite::UpdateOnly, 20)
                .await
                .unwrap(),
            PolicyWriteOutcome::NotFound
        );
        assert!(store.list_identity_policies(id).await.unwrap().is_empty());
        assert_eq!(
            store
                .put_identity_policy(id, "p", DOC_A, 1, PolicyWrite::CreateOnly, 20)
                .await
                .unwrap(),
            PolicyWriteOutcome::Created
        );
        assert_eq!(
            store
                .put_identity_policy(id, "p", DOC_B, 2, PolicyWrite::CreateOnly, 20)
                .await
                .unwrap(),
            PolicyWriteOutcome::AlreadyExists
        );
        assert_eq!(
            store.list_identity_policies(id).await.unwrap()[0].document,
            DOC_A
        );
        assert_eq!(
            store
                .put_identity_policy(id, "p", DOC_B, 3, PolicyWrite::UpdateOnly, 20)
                .await
                .unwrap(),
            PolicyWriteOutcome::Replaced
        );
        assert_eq!(
            store.list_identity_policies(id).await.unwrap()[0].document,
            DOC_B
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn the_limit_counts_per_identity_and_replacing_is_always_allowed() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        for i in 0..3 {
            let outcome = store
                .put_identity_policy(
                    "x.example",
                    &format!("p{i}"),
                    DOC_A,
                    1,
                    PolicyWrite::Upsert,
                    3,
                )
                .await
                .unwrap();
            assert_eq!(outcome, PolicyWriteOutcome::Created);
        }
        assert_eq!(
            store
                .put_identity_policy("x.example", "p3", DOC_A, 1, PolicyWrite::Upsert, 3)
                .await
                .unwrap(),
            PolicyWriteOutcome::LimitExceeded
        );
        assert_eq!(
            store
                .put_identity_policy("x.example", "p3", DOC_A, 1, PolicyWrite::CreateOnly, 3)
                .await
                .unwrap(),
            PolicyWriteOutcome::LimitExceeded
        );
        // At the limit an existing name can still be replaced, and another identity is free.
        assert_eq!(
            store
                .put_identity_policy("x.example", "p1", DOC_B, 2, PolicyWrite::Upsert, 3)
                .await
                .unwrap(),
            PolicyWriteOutcome::Replaced
        );
        assert_eq!(
            store
                .put_identity_policy("y.example", "p3", DOC_A, 1, PolicyWrite::Upsert, 3)
                .await
                .unwrap(),
            PolicyWriteOutcome::Created
        );
        assert_eq!(
            store
                .list_identity_policies("x.example")
                .await
                .unwrap()
                .len(),
            3
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn concurrent_creates_never_pass_the_limit() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..12 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store
                    .put_identity_policy(
                        "race.example",
                        &format!("p{i:02}"),
                        DOC_A,
                        1,
                        PolicyWrite::CreateOnly,
                        5,
                    )
                    .await
                    .unwrap()
            }));
        }
        let mut created = 0;
        for task in tasks {
            match task.await.unwrap() {
                PolicyWriteOutcome::Created => created += 1,
                PolicyWriteOutcome::LimitExceeded => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(created, 5);
        assert_eq!(
            store
                .list_identity_policies("race.example")
                .await
                .unwrap()
                .len(),
            5
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn listing_is_by_name_in_byte_order_and_get_keeps_the_asked_order() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        for name in ["b", "B", "a", "_x", "A-1"] {
            store
                .put_identity_policy("shop.example", name, DOC_A, 1, PolicyWrite::Upsert, 20)
                .await
                .unwrap();
        }
        let all = store.list_identity_policies("shop.example").await.unwrap();
        // Byte order: '-'(0x2d) < 'A'(0x41) < 'B' < '_'(0x5f) < 'a' < 'b'.
        assert_eq!(names(&all), ["A-1", "B", "_x", "a", "b"]);
        let asked: Vec<String> = ["b", "missing", "A-1", "b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = store
            .get_identity_policies("shop.example", &asked)
            .await
            .unwrap();
        assert_eq!(
            names(&got),
            ["b", "A-1"],
            "unknown names left out, repeats once"
        );
        assert!(
            store
                .get_identity_policies("shop.example", &[])
                .await
                .unwrap()
                .is_empty()
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn deleting_one_or_all_policies_of_an_identity() {
    each_backend(|url| async move {
        let store = Store::open(&url).await.unwrap();
        for (identity, name) in [
            ("a.example", "p1"),
            ("a.example", "p2"),
            ("b.example", "p1"),
        ] {
            store
                .put_identity_policy(identity, name, DOC_A, 1, PolicyWrite::Upsert, 20)
                .await
                .unwrap();
        }
        assert!(
            store
                .delete_identity_policy("a.example", "p1")
                .await
                .unwrap()
        );
        assert!(
            !store
                .delete_identity_policy("a.example", "p1")
                .await
                .unwrap()
        );
        assert_eq!(
            names(&store.list_identity_policies("a.example").await.unwrap()),
            ["p2"]
        );
        // Policies live independently of the identities table (v1 Put needs no identity).
        store
            .put_identity(&IdentityRecord {
                name: "a.example".into(),
                kind: "Domain".into(),
                verification_token: None,
                created_ms: 1,
            })
            .await
            .unwrap();
        assert!(store.delete_identity("a.example").await.unwrap());
        assert_eq!(
            store
                .list_identity_policies("a.example")
                .await
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            store.delete_identity_policies("a.example").await.unwrap(),
            1
        );
        assert!(
            store
                .list_identity_policies("a.example")
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            names(&store.list_identity_policies("b.example").await.unwrap()),
            ["p1"]
        );
        store.close().await;
    })
    .await;
}

#[tokio::test]
async fn policies_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bg.db", dir.path().display());
    let store = Store::open(&url).await.unwrap();
    store
        .put_identity_policy("shop.example", "p", DOC_A, 7, PolicyWrite::Upsert, 20)
        .await
        .unwrap();
    store.close().await;
    let store = Store::open(&url).await.unwrap();
    let all = store.list_identity_policies("shop.example").await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].document, DOC_A);
    store.close().await;
}
