use crate::error::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed};
use crate::models::{FeatureCode, FeatureCodeList, FeatureCodeUpdate};

/// Every feature code: what phones dial, whether it works, what it does.
#[utoipa::path(get, path = "/v1/feature-codes", tag = "feature-codes",
    responses(
        (status = 200, body = FeatureCodeList),
        (status = 401, response = Unauthorized),
    ))]
pub fn list_feature_codes() {}

/// Change a feature's code or turn it off. No code may start another (409).
#[utoipa::path(patch, path = "/v1/feature-codes/{feature}", tag = "feature-codes",
    params(("feature" = String, Path, description = "The feature (`daynight_toggle`, …)")),
    request_body = FeatureCodeUpdate,
    responses(
        (status = 200, body = FeatureCode),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    ))]
pub fn update_feature_code() {}
