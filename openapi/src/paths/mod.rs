//! OpenAPI declarations of the REST endpoints, one module per resource.
//!
//! These functions have no body on purpose: they exist to carry `#[utoipa::path]`
//! attributes, so the contract (paths, parameters, bodies, responses) is written once,
//! here, beside the models. The `api` crate implements every path declared here, and its
//! tests call each one to prove it.

pub mod api_keys;
pub mod applications;
pub mod extensions;
pub mod health;
pub mod numbers;
pub mod outbound_routes;
pub mod recordings;
pub mod trunks;
