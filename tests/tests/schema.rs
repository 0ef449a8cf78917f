//! The SQLite and PostgreSQL migrations produce the same schema: tables, columns, types
//! (normalised), nullability, primary keys, unique constraints, indexes and foreign keys.

#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

use sqlx::{Connection, Row};
use std::collections::{BTreeMap, BTreeSet};
use switchboard_tests::{Backend, TestApp};

#[derive(Debug, Default, PartialEq, Eq)]
struct Table {
    /// column -> (normalised type, not null)
    columns: BTreeMap<String, (String, bool)>,
    primary_key: Vec<String>,
    /// (columns, unique)
    indexes: BTreeSet<(Vec<String>, bool)>,
    /// (column, referenced table, referenced column, on delete)
    foreign_keys: BTreeSet<(String, String, String, String)>,
}

fn normalise_type(t: &str) -> String {
    let t = t.to_ascii_lowercase();
    match t.as_str() {
        "integer" | "bigint" | "smallint" | "int" | "int4" | "int8" => "integer".into(),
        "text" | "character varying" => "text".into(),
        "boolean" | "bool" => "boolean".into(),
        "blob" | "bytea" => "blob".into(),
        other => other.into(),
    }
}

fn normalise_action(a: &str) -> String {
    a.to_ascii_uppercase().replace('_', " ")
}

async fn sqlite_schema(url: &str) -> BTreeMap<String, Table> {
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get("name"))
    .collect();
    let mut schema = BTreeMap::new();
    for t in tables {
        let mut table = Table::default();
        let mut pk: Vec<(i64, String)> = Vec::new();
        for r in sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA table_info({t})")))
            .fetch_all(&mut conn)
            .await
            .unwrap()
        {
            let name: String = r.get("name");
            let notnull: i64 = r.get("notnull");
            let pk_pos: i64 = r.get("pk");
            let ty: String = r.get("type");
            table.columns.insert(
                name.clone(),
                (normalise_type(&ty), notnull == 1 || pk_pos > 0),
            );
            if pk_pos > 0 {
                pk.push((pk_pos, name));
            }
        }
        pk.sort();
        table.primary_key = pk.into_iter().map(|(_, n)| n).collect();
        for idx in sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA index_list({t})")))
            .fetch_all(&mut conn)
            .await
            .unwrap()
        {
            let origin: String = idx.get("origin");
            if origin == "pk" {
                continue;
            }
            let name: String = idx.get("name");
            let unique: i64 = idx.get("unique");
            let mut cols: Vec<(i64, String)> =
                sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA index_info({name})")))
                    .fetch_all(&mut conn)
                    .await
                    .unwrap()
                    .iter()
                    .map(|c| (c.get("seqno"), c.get("name")))
                    .collect();
            cols.sort();
            table
                .indexes
                .insert((cols.into_iter().map(|(_, n)| n).collect(), unique == 1));
        }
        for fk in sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA foreign_key_list({t})")))
            .fetch_all(&mut conn)
            .await
            .unwrap()
        {
            table.foreign_keys.insert((
                fk.get("from"),
                fk.get("table"),
                fk.get("to"),
                normalise_action(&fk.get::<String, _>("on_delete")),
            ));
        }
        schema.insert(t, table);
    }
    schema
}

async fn postgres_schema(url: &str) -> BTreeMap<String, Table> {
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let mut schema: BTreeMap<String, Table> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS ty, is_nullable::text AS nullable \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    {
        let nullable: String = r.get("nullable");
        schema
            .entry(r.get("t"))
            .or_default()
            .columns
            .insert(r.get("c"), (normalise_type(&r.get::<String, _>("ty")), nullable == "NO"));
    }
    // Indexes (primary keys apart), with their columns in order.
    for r in sqlx::query(
        "SELECT t.relname::text AS t, i.indisprimary AS pk, i.indisunique AS uq, \
                array_agg(a.attname::text ORDER BY k.ord) AS cols \
         FROM pg_index i \
         JOIN pg_class t ON t.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public' \
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) \
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
         WHERE t.relname <> '_sqlx_migrations' \
         GROUP BY t.relname, i.indexrelid, i.indisprimary, i.indisunique",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    {
        let table = schema.entry(r.get("t")).or_default();
        let cols: Vec<String> = r.get("cols");
        if r.get::<bool, _>("pk") {
            table.primary_key = cols;
        } else {
            table.indexes.insert((cols, r.get("uq")));
        }
    }
    for r in sqlx::query(
        "SELECT kcu.table_name::text AS t, kcu.column_name::text AS c, ccu.table_name::text AS rt, \
                ccu.column_name::text AS rc, rc.delete_rule::text AS del \
         FROM information_schema.referential_constraints rc \
         JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name \
         JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = rc.constraint_name \
         WHERE kcu.table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap()
    {
        schema.entry(r.get("t")).or_default().foreign_keys.insert((
            r.get("c"),
            r.get("rt"),
            r.get("rc"),
            normalise_action(&r.get::<String, _>("del")),
        ));
    }
    schema
}

#[tokio::test]
async fn sqlite_and_postgres_schemas_are_equivalent() {
    let sqlite = TestApp::spawn(Backend::Sqlite).await;
    let postgres = TestApp::spawn(Backend::Postgres).await;
    let a = sqlite_schema(&sqlite.db.url).await;
    let b = postgres_schema(&postgres.db.url).await;
    assert!(a.len() >= 9, "tables: {:?}", a.keys());
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "same tables"
    );
    for (name, table) in &a {
        assert_eq!(
            Some(table),
            b.get(name),
            "table {name} differs (left SQLite, right PostgreSQL)"
        );
    }
    // The comparison sees what matters: the trunk foreign key is there on both sides.
    assert!(a["outbound_route_trunks"].foreign_keys.contains(&(
        "trunk_name".into(),
        "trunks".into(),
        "name".into(),
        "RESTRICT".into()
    )));
}
