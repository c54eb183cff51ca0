//! The store tests' harness: run a test body against SQLite and a fresh PostgreSQL database.

#![allow(clippy::unwrap_used, dead_code)]

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;

/// Runs `body` with a SQLite URL (a temp file in a not-yet-existing directory), then with a
/// fresh PostgreSQL database created on `TEST_DATABASE_URL` (dropped afterwards, also when the
/// body panics). Without `TEST_DATABASE_URL` the PostgreSQL half is skipped, or fails under `CI`.
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/dir/store.db", dir.path().display());
    if let Err(panic) = tokio::spawn(body(url)).await {
        std::panic::resume_unwind(panic.into_panic());
    }
    drop(dir);

    let Some(admin_url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "TEST_DATABASE_URL is unset but CI is set: the PostgreSQL half of this test must run in CI"
            );
        }
        eprintln!("skipping postgres: TEST_DATABASE_URL unset");
        return;
    };
    let name = random_database_name();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let result = tokio::spawn(body(database_url(&admin_url, &name))).await;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic.into_panic());
    }
}

fn random_database_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    format!("bg_test_{:016x}", hasher.finish())
}

/// `admin_url` with its database name replaced by `name` (query string kept).
pub fn database_url(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (admin_url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &base[..authority_end])
}

// ---------------------------------------------------------------- fixtures

/// Makes every COMMIT that inserted into `table` fail: each row inserted there adds a row
/// violating a DEFERRED foreign key (the row's `column`, declared `sql_type` in the poison
/// tables), so all statements succeed and the COMMIT fails. [`cure_commits`] takes it away.
pub async fn poison_commits(
    backend: bounceguard_store::Backend,
    url: &str,
    table: &str,
    column: &str,
    sql_type: &str,
) {
    let mut statements = vec![
        format!("CREATE TABLE poison_parent (id {sql_type} PRIMARY KEY)"),
        format!(
            "CREATE TABLE poison (x {sql_type} REFERENCES poison_parent (id) DEFERRABLE INITIALLY DEFERRED)"
        ),
    ];
    match backend {
        bounceguard_store::Backend::Sqlite => statements.push(format!(
            "CREATE TRIGGER poison_t AFTER INSERT ON {table} BEGIN INSERT INTO poison VALUES (NEW.{column}); END"
        )),
        bounceguard_store::Backend::Postgres => statements.extend([
            format!(
                "CREATE FUNCTION poison_f() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN INSERT INTO poison VALUES (NEW.{column}); RETURN NEW; END $$"
            ),
            format!(
                "CREATE TRIGGER poison_t AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION poison_f()"
            ),
        ]),
    }
    execute_outside(backend, url, &statements).await;
}

/// Undoes [`poison_commits`] on `table`: its commits succeed again.
pub async fn cure_commits(backend: bounceguard_store::Backend, url: &str, table: &str) {
    let drop = match backend {
        bounceguard_store::Backend::Sqlite => "DROP TRIGGER poison_t".to_string(),
        bounceguard_store::Backend::Postgres => format!("DROP TRIGGER poison_t ON {table}"),
    };
    execute_outside(backend, url, &[drop]).await;
}

/// Runs `statements` on a connection of its own (not the store's).
async fn execute_outside(backend: bounceguard_store::Backend, url: &str, statements: &[String]) {
    match backend {
        bounceguard_store::Backend::Sqlite => {
            run_on::<sqlx::SqliteConnection>(url, statements).await
        }
        bounceguard_store::Backend::Postgres => run_on::<sqlx::PgConnection>(url, statements).await,
    }
}

async fn run_on<C>(url: &str, statements: &[String])
where
    C: Connection,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = C::Database>,
{
    let mut conn = C::connect(url).await.unwrap();
    for statement in statements {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement.clone()))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
}
