use crate::error::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed};
use crate::models::{
    ListParams, OutboundRoute, OutboundRouteCreate, OutboundRouteList, OutboundRouteUpdate,
};

/// Create an outbound route.
#[utoipa::path(post, path = "/v1/outbound-routes", tag = "outbound-routes",
    request_body = OutboundRouteCreate,
    responses(
        (status = 201, description = "Created", body = OutboundRoute),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 409, response = Conflict),
        (status = 422, response = ValidationFailed),
    ))]
pub fn create_outbound_route() {}

/// List outbound routes.
#[utoipa::path(get, path = "/v1/outbound-routes", tag = "outbound-routes", params(ListParams),
    responses(
        (status = 200, body = OutboundRouteList),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
    ))]
pub fn list_outbound_routes() {}

/// Get an outbound route.
#[utoipa::path(get, path = "/v1/outbound-routes/{name}", tag = "outbound-routes",
    params(("name" = String, Path, description = "The route name")),
    responses(
        (status = 200, body = OutboundRoute),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_outbound_route() {}

/// Change an outbound route: absent fields are kept, `null` clears an optional field.
#[utoipa::path(patch, path = "/v1/outbound-routes/{name}", tag = "outbound-routes",
    params(("name" = String, Path, description = "The route name")),
    request_body = OutboundRouteUpdate,
    responses(
        (status = 200, body = OutboundRoute),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    ))]
pub fn update_outbound_route() {}

/// Delete an outbound route.
#[utoipa::path(delete, path = "/v1/outbound-routes/{name}", tag = "outbound-routes",
    params(("name" = String, Path, description = "The route name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 409, response = Conflict),
    ))]
pub fn delete_outbound_route() {}
