use crate::models::{
    OverrideRequest, TimeCondition, TimeConditionCreate, TimeConditionList, TimeConditionUpdate,
};

super::crud_paths! {
    collection = "/v1/time-conditions",
    item = "/v1/time-conditions/{id}",
    tag = "time-conditions",
    key = "id",
    key_doc = "The time condition's id",
    create = create_time_condition(TimeConditionCreate) -> TimeCondition, "Create a time condition.",
    list = list_time_conditions -> TimeConditionList, "List time conditions, each with its state now.",
    get = get_time_condition -> TimeCondition, "Get a time condition and its state now.",
    update = update_time_condition(TimeConditionUpdate), "Change a time condition: absent fields are kept; `ranges` and `exceptions` replace the lists.",
    delete = delete_time_condition, "Delete a time condition. Refused (409) while a destination points to it.",
}

/// Force a state until the schedule next changes by itself (or for good with
/// `permanent`), or remove the override with `state: null`. `*27<id>` from a phone
/// does the same as a toggle.
#[utoipa::path(post, path = "/v1/time-conditions/{id}/override", tag = "time-conditions",
    params(("id" = String, Path, description = "The time condition's id")),
    request_body = OverrideRequest,
    responses(
        (status = 200, body = TimeCondition),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    ))]
pub fn override_time_condition() {}
