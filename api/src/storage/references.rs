//! Who points at what: destinations are stored as text in several tables, so before an
//! object is deleted we look for destinations that name it and refuse with their list.

use super::{Db, Result};
use sqlx::Row;

/// Every `(table, column, key column)` that stores a destination. New resources that
/// store destinations add themselves here, and deletes keep refusing dangling pointers.
const DESTINATION_COLUMNS: &[(&str, &str, &str)] = &[
    ("extensions", "no_answer_destination", "number"),
    ("numbers", "destination", "number"),
];

/// Resources (`numbers/+3223…`, `extensions/102`) whose destination is one of `targets`.
pub async fn referrers(db: &Db, targets: &[String]) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for (table, column, key) in DESTINATION_COLUMNS {
        for target in targets {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {key} AS k FROM {table} WHERE {column} = $1 ORDER BY {key} LIMIT 20"
            )))
            .bind(target)
            .fetch_all(db.pool())
            .await?;
            for row in rows {
                let k: String = row.try_get("k")?;
                found.push(format!("{table}/{k}"));
            }
        }
    }
    Ok(found)
}
