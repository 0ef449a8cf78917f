//! Outbound routes: the route row, its dial patterns as JSON text, and its ordered trunk
//! sequence in `outbound_route_trunks` (whose foreign key keeps used trunks alive).

use super::{Db, PageRequest, Result, StorageError, decode, finish_page, text};
use contract::models::{OutboundRoute, RouteClass};
use contract::types::{CallerId, DialRule, ResourceName};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

const COLUMNS: &str = "name, priority, dial_patterns, caller_id, created_at, updated_at, class";

fn from_row(row: &AnyRow, trunks: Vec<ResourceName>) -> Result<OutboundRoute> {
    const T: &str = "outbound_routes";
    let priority: i64 = row.try_get("priority")?;
    let caller_id: Option<String> = row.try_get("caller_id")?;
    Ok(OutboundRoute {
        name: decode(T, "name", text(row, "name")?, ResourceName::parse)?,
        priority: decode(T, "priority", priority, u32::try_from)?,
        dial_patterns: decode(
            T,
            "dial_patterns",
            row.try_get::<String, _>("dial_patterns")?,
            |j| serde_json::from_str::<Vec<DialRule>>(&j),
        )?,
        trunks,
        caller_id: caller_id
            .map(|c| decode(T, "caller_id", c, CallerId::parse))
            .transpose()?,
        class: decode(T, "class", text(row, "class")?, |c| {
            RouteClass::parse(&c).ok_or("unknown class")
        })?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn patterns_json(route: &OutboundRoute) -> Result<String> {
    serde_json::to_string(&route.dial_patterns).map_err(|e| StorageError::Corrupt {
        table: "outbound_routes",
        message: format!("cannot encode dial patterns: {e}"),
    })
}

async fn write_trunks(tx: &mut Transaction<'_, Any>, route: &OutboundRoute) -> Result<()> {
    sqlx::query("DELETE FROM outbound_route_trunks WHERE route_name = $1")
        .bind(route.name.as_str())
        .execute(&mut **tx)
        .await?;
    for (position, trunk) in route.trunks.iter().enumerate() {
        sqlx::query(
            "INSERT INTO outbound_route_trunks (route_name, position, trunk_name) VALUES ($1, $2, $3)",
        )
        .bind(route.name.as_str())
        .bind(position as i64)
        .bind(trunk.as_str())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub async fn insert(db: &Db, route: &OutboundRoute) -> Result<()> {
    let mut tx = db.pool().begin().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO outbound_routes ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    )))
    .bind(route.name.as_str())
    .bind(i64::from(route.priority))
    .bind(patterns_json(route)?)
    .bind(route.caller_id.as_ref().map(CallerId::as_str))
    .bind(&route.created_at)
    .bind(&route.updated_at)
    .bind(route.class.as_str())
    .execute(&mut *tx)
    .await?;
    write_trunks(&mut tx, route).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn update(db: &Db, route: &OutboundRoute) -> Result<bool> {
    let mut tx = db.pool().begin().await?;
    let done = sqlx::query(
        "UPDATE outbound_routes SET priority = $2, dial_patterns = $3, caller_id = $4, updated_at = $5, class = $6 \
         WHERE name = $1",
    )
    .bind(route.name.as_str())
    .bind(i64::from(route.priority))
    .bind(patterns_json(route)?)
    .bind(route.caller_id.as_ref().map(CallerId::as_str))
    .bind(&route.updated_at)
    .bind(route.class.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    write_trunks(&mut tx, route).await?;
    tx.commit().await?;
    Ok(true)
}

async fn trunks_of(
    db: &Db,
    names: &[String],
) -> Result<std::collections::HashMap<String, Vec<ResourceName>>> {
    let mut map: std::collections::HashMap<String, Vec<ResourceName>> = Default::default();
    if names.is_empty() {
        return Ok(map);
    }
    // One query for the whole page; names are bound, never interpolated.
    let placeholders: Vec<String> = (1..=names.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT route_name, trunk_name FROM outbound_route_trunks WHERE route_name IN ({}) \
         ORDER BY route_name, position",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for name in names {
        query = query.bind(name);
    }
    for row in query.fetch_all(db.pool()).await? {
        let route: String = row.try_get("route_name")?;
        let trunk = decode(
            "outbound_route_trunks",
            "trunk_name",
            text(&row, "trunk_name")?,
            ResourceName::parse,
        )?;
        map.entry(route).or_default().push(trunk);
    }
    Ok(map)
}

pub async fn get(db: &Db, name: &str) -> Result<Option<OutboundRoute>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbound_routes WHERE name = $1"
    )))
    .bind(name)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut trunks = trunks_of(db, &[name.to_owned()]).await?;
    from_row(&row, trunks.remove(name).unwrap_or_default()).map(Some)
}

/// Routes in the order they are tried: by priority, then name. The cursor is
/// `<priority zero-padded>:<name>`, so pages follow that order.
pub async fn list(db: &Db, page: &PageRequest) -> Result<(Vec<OutboundRoute>, Option<String>)> {
    let (after_priority, after_name) = match page.after.as_deref().and_then(|a| a.split_once(':')) {
        Some((p, n)) => (p.parse::<i64>().unwrap_or(-1), n.to_owned()),
        None => (-1, String::new()),
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbound_routes \
         WHERE priority > $1 OR (priority = $1 AND name > $2) \
         ORDER BY priority, name LIMIT $3"
    )))
    .bind(after_priority)
    .bind(after_name)
    .bind(i64::from(page.limit) + 1)
    .fetch_all(db.pool())
    .await?;
    let names: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>("name"))
        .collect::<Result<_, _>>()?;
    let mut trunks = trunks_of(db, &names).await?;
    let items = rows
        .iter()
        .zip(&names)
        .map(|(row, name)| from_row(row, trunks.remove(name).unwrap_or_default()))
        .collect::<Result<Vec<_>>>()?;
    Ok(finish_page(items, page, |r| {
        format!("{:010}:{}", r.priority, r.name)
    }))
}

pub async fn delete(db: &Db, name: &str) -> Result<bool> {
    let done = sqlx::query("DELETE FROM outbound_routes WHERE name = $1")
        .bind(name)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether an outbound route takes `dialled`.
pub async fn takes(db: &Db, dialled: &str) -> Result<bool> {
    Ok(first_taking(db, dialled).await?.is_some())
}

/// The route a call to `dialled` leaves through: the first, in the routes' order, with a
/// pattern matching it (every route read, page by page).
pub async fn first_taking(db: &Db, dialled: &str) -> Result<Option<OutboundRoute>> {
    let mut page = first_page();
    loop {
        let (routes, next) = list(db, &page).await?;
        if let Some(route) = routes.into_iter().find(|r| takes_number(r, dialled)) {
            return Ok(Some(route));
        }
        match next {
            Some(after) => page.after = Some(after),
            None => return Ok(None),
        }
    }
}

/// Every route, in their order (for decisions about several numbers at once).
pub async fn all(db: &Db) -> Result<Vec<OutboundRoute>> {
    let mut page = first_page();
    let mut all = Vec::new();
    loop {
        let (routes, next) = list(db, &page).await?;
        all.extend(routes);
        match next {
            Some(after) => page.after = Some(after),
            None => return Ok(all),
        }
    }
}

/// Whether one of `route`'s patterns matches `dialled`.
pub fn takes_number(route: &OutboundRoute, dialled: &str) -> bool {
    route
        .dial_patterns
        .iter()
        .any(|p| p.rewrite(dialled).is_some())
}

fn first_page() -> PageRequest {
    PageRequest {
        limit: 1000,
        after: None,
    }
}
