//! `/v1/queues`: call-centre queues, their agents, waiting callers and statistics.

use super::{created, next_cursor};
use crate::AppState;
use crate::auth::{Admin, Caller};
use crate::destinations;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, page_request};
use crate::storage::{self, StorageError};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use contract::models::{
    ListParams, Queue, QueueAgent, QueueAgentList, QueueAgentUpdate, QueueCallerList, QueueCreate,
    QueueList, QueueStats, QueueUpdate,
};
use contract::types::{Destination, ResourceName};
use std::collections::HashMap;

const MAX_MEMBERS: usize = 64;

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("queue {name} does not exist"))
}

/// A number in `range`, or a 422 naming `field`.
fn within(field: &str, value: Option<u32>, range: std::ops::RangeInclusive<u32>) -> ApiResult<()> {
    match value {
        Some(v) if !range.contains(&v) => Err(ApiError::invalid(
            field,
            format!("must be {} to {}", range.start(), range.end()),
        )),
        _ => Ok(()),
    }
}

/// Both or neither of a key and its destination.
fn paired<A, B>(a: Option<&A>, b: Option<&B>, a_name: &str, b_name: &str) -> ApiResult<()> {
    match (a, b) {
        (Some(_), None) => Err(ApiError::invalid(
            b_name,
            format!("is required with {a_name}"),
        )),
        (None, Some(_)) => Err(ApiError::invalid(
            a_name,
            format!("is required with {b_name}"),
        )),
        _ => Ok(()),
    }
}

/// Every setting must be in range and everything named must exist.
async fn check(state: &AppState, q: &QueueCreate) -> ApiResult<()> {
    let db = &state.db;
    if let Some(number) = &q.number {
        destinations::not_an_extension(db, number, "number").await?;
        destinations::not_a_ring_group(db, number, "number").await?;
        destinations::not_a_queue(db, number, "number", Some(q.name.as_str())).await?;
    }
    if q.members.len() > MAX_MEMBERS {
        return Err(ApiError::invalid(
            "members",
            format!("at most {MAX_MEMBERS} members"),
        ));
    }
    for (i, m) in q.members.iter().enumerate() {
        let at = format!("members[{i}].member");
        if q.members[..i].iter().any(|o| o.member == m.member) {
            return Err(ApiError::invalid(
                at,
                format!("{} is listed twice", m.member),
            ));
        }
        destinations::check_member(db, &at, &m.member).await?;
        within(&format!("members[{i}].penalty"), Some(m.penalty), 0..=100)?;
    }
    within("retry_delay", Some(q.retry_delay), 0..=60)?;
    within("wrap_up_time", Some(q.wrap_up_time), 0..=600)?;
    within(
        "announce_position_every",
        q.announce_position_every,
        5..=3600,
    )?;
    within("max_wait", q.max_wait, 10..=86_400)?;
    within("max_callers", q.max_callers, 1..=10_000)?;
    within("service_level", Some(q.service_level), 1..=3600)?;
    if let Some(key) = &q.exit_key
        && key.as_str().len() != 1
    {
        return Err(ApiError::invalid(
            "exit_key",
            "must be one key among 0-9, * and #",
        ));
    }
    paired(
        q.exit_key.as_ref(),
        q.exit_destination.as_ref(),
        "exit_key",
        "exit_destination",
    )?;
    if let Some(m) = &q.music {
        destinations::check_recording(db, "music", m).await?;
    }
    for (field, d) in [
        ("timeout_destination", &q.timeout_destination),
        ("full_destination", &q.full_destination),
        ("empty_destination", &q.empty_destination),
        ("exit_destination", &q.exit_destination),
    ] {
        match d {
            Some(Destination::Queue(n)) if *n == q.name => {
                return Err(ApiError::invalid(
                    field,
                    "a queue cannot send its callers back to itself",
                ));
            }
            Some(d) => destinations::check(db, field, d).await?,
            None => {}
        }
    }
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    JsonBody(body): JsonBody<QueueCreate>,
) -> ApiResult<Response> {
    check(&state, &body).await?;
    let now = storage::now();
    let queue = Queue {
        settings: body,
        created_at: now.clone(),
        updated_at: now,
    };
    match storage::queues::insert(&state.db, &queue).await {
        Err(StorageError::Duplicate) => Err(ApiError::conflict(format!(
            "queue {} already exists (or its number is taken)",
            queue.settings.name
        ))
        .at("name")),
        other => other.map_err(ApiError::from),
    }?;
    tracing::info!(queue = %queue.settings.name, "queue created");
    Ok(created(
        &format!("/v1/queues/{}", queue.settings.name),
        queue,
    ))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<QueueList>> {
    let (data, last) = storage::queues::list(&state.db, &page_request(&params)?).await?;
    Ok(Json(QueueList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

async fn load(state: &AppState, name: &str) -> ApiResult<Queue> {
    storage::queues::get(&state.db, name)
        .await?
        .ok_or_else(|| not_found(name))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Queue>> {
    Ok(Json(load(&state, &name).await?))
}

/// The settings with the patch's fields over them; unknown fields, a changed name and
/// invalid values are refused like in a create.
fn merge(queue: &Queue, patch: QueueUpdate) -> ApiResult<QueueCreate> {
    let mut current = serde_json::to_value(&queue.settings)
        .map_err(|e| ApiError::internal("cannot encode a queue", e))?;
    let Some(object) = current.as_object_mut() else {
        return Err(ApiError::internal("a queue", "not a JSON object"));
    };
    for (field, value) in patch.0 {
        if field == "name" {
            return Err(ApiError::invalid("name", "a queue cannot be renamed"));
        }
        if value.is_null() {
            object.remove(&field);
        } else {
            object.insert(field, value);
        }
    }
    serde_json::from_value(current).map_err(|e| ApiError::bad_request(e.to_string()))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<QueueUpdate>,
) -> ApiResult<Json<Queue>> {
    let mut queue = load(&state, &name).await?;
    queue.settings = merge(&queue, body)?;
    check(&state, &queue.settings).await?;
    queue.updated_at = storage::now();
    match storage::queues::update(&state.db, &queue).await {
        Ok(true) => {}
        Ok(false) => return Err(not_found(&name)),
        Err(StorageError::Duplicate) => {
            return Err(ApiError::conflict("that number is taken").at("number"));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Json(queue))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let parsed = ResourceName::parse(&name).map_err(|_| not_found(&name))?;
    destinations::ensure_unreferenced(
        &state.db,
        &format!("queue {name}"),
        &[Destination::Queue(parsed)],
        &[],
    )
    .await?;
    if !storage::queues::delete(&state.db, &name).await? {
        return Err(not_found(&name));
    }
    tracing::info!(queue = %name, "queue deleted");
    Ok(StatusCode::NO_CONTENT)
}

pub async fn agents(
    State(state): State<AppState>,
    _: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<QueueAgentList>> {
    load(&state, &name).await?;
    Ok(Json(QueueAgentList {
        data: storage::queues::agents(&state.db, &name).await?,
    }))
}

pub async fn update_agent(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path((name, member)): Path<(String, String)>,
    JsonBody(body): JsonBody<QueueAgentUpdate>,
) -> ApiResult<Json<QueueAgent>> {
    load(&state, &name).await?;
    let agent = storage::queues::agent(&state.db, &name, &member)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{member} is not a member of queue {name}")))?;
    if body.logged_in == Some(false) && !agent.dynamic {
        return Err(ApiError::invalid(
            "logged_in",
            "a static member is always logged in (make it dynamic first)",
        ));
    }
    if let Some(reason) = &body.pause_reason {
        let n = reason.chars().count();
        if n == 0 || n > 64 || reason.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "pause_reason",
                "must be 1 to 64 characters without control characters",
            ));
        }
        if body.paused != Some(true) && !agent.paused {
            return Err(ApiError::invalid(
                "pause_reason",
                "only with \"paused\": true",
            ));
        }
    }
    storage::queues::set_agent(
        &state.db,
        &name,
        &member,
        body.logged_in,
        body.paused,
        body.pause_reason.as_deref(),
    )
    .await?;
    tracing::info!(queue = %name, %member, logged_in = ?body.logged_in, paused = ?body.paused, "queue agent changed");
    let agent = storage::queues::agent(&state.db, &name, &member)
        .await?
        .ok_or_else(|| not_found(&name))?;
    Ok(Json(agent))
}

pub async fn callers(
    State(state): State<AppState>,
    _: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<QueueCallerList>> {
    load(&state, &name).await?;
    Ok(Json(QueueCallerList {
        data: storage::queues::callers(&state.db, &name).await?,
    }))
}

pub async fn stats(
    State(state): State<AppState>,
    _: Caller,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<QueueStats>> {
    let queue = load(&state, &name).await?;
    let since_ms = match params.get("since") {
        Some(since) => {
            let t =
                time::OffsetDateTime::parse(since, &time::format_description::well_known::Rfc3339)
                    .map_err(|e| {
                        ApiError::bad_request(format!("since: not an RFC 3339 time: {e}"))
                    })?;
            i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
        }
        None => storage::queues::now_ms() - 86_400_000,
    };
    Ok(Json(
        storage::queues::stats(&state.db, &name, since_ms, queue.settings.service_level).await?,
    ))
}
