//! Who points at what: destinations are stored as text in several tables, so before an
//! object is deleted we look for destinations that name it and refuse with their list.
//! Ring groups and follow-me lists name extensions by number: those count too.

use super::{Db, Result};
use sqlx::Row;

/// Every `(table, column, key expression)` that stores a destination. New resources
/// that store destinations add themselves here, and deletes keep refusing dangling
/// pointers.
const DESTINATION_COLUMNS: &[(&str, &str, &str)] = &[
    ("extensions", "no_answer_destination", "number"),
    ("extensions", "busy_destination", "number"),
    ("extensions", "voicemail_operator_destination", "number"),
    ("numbers", "destination", "number"),
    ("follow_me", "no_answer_destination", "extension"),
    ("ring_groups", "no_answer_destination", "number"),
    ("ivrs", "timeout_destination", "name"),
    ("ivrs", "invalid_destination", "name"),
    ("ivr_options", "destination", "ivr_name"),
    ("daynight", "day_destination", "switch_index"),
    ("daynight", "night_destination", "switch_index"),
    ("time_conditions", "match_destination", "id"),
    ("time_conditions", "no_match_destination", "id"),
    ("queues", "timeout_destination", "name"),
    ("queues", "full_destination", "name"),
    ("queues", "empty_destination", "name"),
    ("queues", "exit_destination", "name"),
];

/// How each table's referrers are named in messages (`ring-groups/301`).
fn path_of(table: &str) -> &str {
    match table {
        "follow_me" | "follow_me_numbers" => "follow-me",
        "ring_groups" | "ring_group_members" => "ring-groups",
        "ivr_options" => "ivrs",
        "queue_members" => "queues",
        "time_conditions" => "time-conditions",
        other => other,
    }
}

async fn matching(
    db: &Db,
    table: &str,
    column: &str,
    key: &str,
    value: &str,
) -> Result<Vec<String>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT {key} AS k FROM {table} WHERE {column} = $1 ORDER BY k LIMIT 20"
    )))
    .bind(value)
    .fetch_all(db.pool())
    .await?;
    let mut found = Vec::new();
    for row in rows {
        let k: String = row.try_get("k")?;
        found.push(format!("{}/{k}", path_of(table)));
    }
    Ok(found)
}

/// Resources (`numbers/+3223…`, `extensions/102`) whose destination is one of `targets`.
pub async fn referrers(db: &Db, targets: &[String]) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for (table, column, key) in DESTINATION_COLUMNS {
        for target in targets {
            for r in matching(db, table, column, key, target).await? {
                if !found.contains(&r) {
                    found.push(r);
                }
            }
        }
    }
    Ok(found)
}

/// Ring groups, follow-me lists and queues that ring `number`.
pub async fn member_of(db: &Db, number: &str) -> Result<Vec<String>> {
    let mut found = matching(db, "ring_group_members", "member", "group_number", number).await?;
    found.extend(matching(db, "follow_me_numbers", "number", "extension", number).await?);
    found.extend(matching(db, "queue_members", "member", "queue", number).await?);
    Ok(found)
}

/// IVRs and ring groups that play recording `name` (by name or by `id`).
pub async fn recording_users(db: &Db, name: &str, id: &str) -> Result<Vec<String>> {
    let named = |value: Option<String>, json: bool| {
        value.is_some_and(|v| {
            let recording = if json {
                serde_json::from_str::<contract::types::Announcement>(&v)
                    .ok()
                    .and_then(|a| a.recording)
                    .map(|r| r.into_inner())
            } else {
                Some(v)
            };
            recording.is_some_and(|r| r == name || r == id)
        })
    };
    let mut found = Vec::new();
    let ivrs = sqlx::query(
        "SELECT name, announcement, timeout_announcement, invalid_announcement FROM ivrs",
    )
    .fetch_all(db.pool())
    .await?;
    for row in ivrs {
        let uses = [
            "announcement",
            "timeout_announcement",
            "invalid_announcement",
        ]
        .iter()
        .map(|c| row.try_get::<Option<String>, _>(*c))
        .collect::<std::result::Result<Vec<_>, _>>()?
        .into_iter()
        .any(|v| named(v, true));
        if uses {
            found.push(format!("ivrs/{}", row.try_get::<String, _>("name")?));
        }
    }
    let groups = sqlx::query("SELECT number, announcement, music FROM ring_groups")
        .fetch_all(db.pool())
        .await?;
    for row in groups {
        if named(row.try_get("announcement")?, true) || named(row.try_get("music")?, false) {
            found.push(format!(
                "ring-groups/{}",
                row.try_get::<String, _>("number")?
            ));
        }
    }
    let queues = sqlx::query("SELECT name, settings FROM queues")
        .fetch_all(db.pool())
        .await?;
    for row in queues {
        let settings = super::json::<contract::models::QueueCreate>(&row, "queues", "settings")?;
        if named(settings.music.map(|m| m.to_string()), false) {
            found.push(format!("queues/{}", row.try_get::<String, _>("name")?));
        }
    }
    let greetings = sqlx::query(
        "SELECT number, voicemail_greeting, voicemail_busy_greeting FROM extensions \
         WHERE voicemail_greeting IS NOT NULL OR voicemail_busy_greeting IS NOT NULL",
    )
    .fetch_all(db.pool())
    .await?;
    for row in greetings {
        if named(row.try_get("voicemail_greeting")?, true)
            || named(row.try_get("voicemail_busy_greeting")?, true)
        {
            found.push(format!(
                "extensions/{} (voicemail greeting)",
                row.try_get::<String, _>("number")?
            ));
        }
    }
    // A voicemail message's audio goes with the message (deleted through it).
    let messages =
        sqlx::query("SELECT mailbox, id FROM voicemail_messages WHERE recording_id = $1")
            .bind(id)
            .fetch_all(db.pool())
            .await?;
    for row in messages {
        found.push(format!(
            "voicemail/{}/messages/{}",
            row.try_get::<String, _>("mailbox")?,
            row.try_get::<String, _>("id")?
        ));
    }
    Ok(found)
}
