//! `/v1/feature-codes`: what phones dial to work PBX features, and changing the codes.

use crate::AppState;
use crate::auth::{Admin, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::storage;
use axum::Json;
use axum::extract::{Path, State};
use contract::models::{Feature, FeatureCode, FeatureCodeList, FeatureCodeUpdate};

pub async fn list(State(state): State<AppState>, _: Caller) -> ApiResult<Json<FeatureCodeList>> {
    Ok(Json(FeatureCodeList {
        data: storage::feature_codes::all(&state.db).await?,
    }))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(feature): Path<String>,
    JsonBody(body): JsonBody<FeatureCodeUpdate>,
) -> ApiResult<Json<FeatureCode>> {
    let feature = Feature::parse(&feature)
        .ok_or_else(|| ApiError::not_found(format!("no feature named {feature}")))?;
    let all = storage::feature_codes::all(&state.db).await?;
    let mut code = all
        .iter()
        .find(|c| c.feature == feature)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("no feature named {}", feature.as_str())))?;
    if let Some(new) = body.code {
        // A code that starts another (or is started by it) would hide one of them.
        if let Some(other) = all.iter().find(|c| {
            c.feature != feature
                && (c.code.as_str().starts_with(new.as_str())
                    || new.as_str().starts_with(c.code.as_str()))
        }) {
            return Err(ApiError::conflict(format!(
                "{new} clashes with {} ({}): no code may start another",
                other.code,
                other.feature.as_str()
            ))
            .at("code"));
        }
        code.code = new;
    }
    if let Some(enabled) = body.enabled {
        code.enabled = enabled;
    }
    storage::feature_codes::save(&state.db, &code).await?;
    tracing::info!(feature = feature.as_str(), code = %code.code, enabled = code.enabled, "feature code changed");
    Ok(Json(code))
}
