//! `/apps/timecondition/{id}`: a time condition sends the call to its match or its
//! no-match destination, as its override (while in force) or its schedule says at the
//! apps' clock's time.

use super::schedule::{self, Schedule};
use super::{AppResult, Apps, Call, Document, go, missing};
use crate::error::ApiError;
use crate::storage::{self, time_conditions::StoredCondition};
use axum::extract::{Path, State};
use contract::models::ConditionState;

/// The schedule of a stored condition (a stored zone the zone database no longer
/// knows is an error, not a silent no-match).
pub fn schedule_of(c: &StoredCondition) -> Result<Schedule, ApiError> {
    Schedule::new(c.time_zone.as_str(), &c.ranges, &c.exceptions)
        .map_err(|e| ApiError::internal("time condition", format!("{}: {e}", c.id)))
}

/// The condition's state at `now`.
pub fn state_at(c: &StoredCondition, now: jiff::Timestamp) -> Result<ConditionState, ApiError> {
    Ok(schedule::state(
        &schedule_of(c)?,
        c.r#override.as_ref(),
        now,
    ))
}

pub async fn serve(State(apps): State<Apps>, Path(id): Path<String>, Call(_): Call) -> AppResult {
    let c = storage::time_conditions::get(&apps.db, &id)
        .await?
        .ok_or_else(|| missing(&format!("time condition {id}")))?;
    let destination = match state_at(&c, apps.clock.now())? {
        ConditionState::Match => &c.match_destination,
        ConditionState::NoMatch => &c.no_match_destination,
    };
    Ok(Document(go(destination)))
}
