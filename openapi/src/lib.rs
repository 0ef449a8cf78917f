//! Switchboard's public wire contract, shared by the API server, the engine and the SDK.
//!
//! Everything a client can see on the wire is defined here once: the JSON error body,
//! the request and response bodies of the REST API, the domain values they carry, and
//! the OpenAPI document that `/openapi.json` serves (committed as `openapi/openapi.json`).
//!
//! # Layout
//! - [`error`]: the one error body every endpoint returns, and its codes.
//! - [`types`]: domain newtypes that validate on construction (extension numbers,
//!   destinations, dial patterns, URLs, …). Deserializing one runs its validation, so a
//!   request body that parses is a request body that is valid.
//! - [`models`]: the REST resources' bodies, one module per resource.
//! - [`paths`]: the OpenAPI declarations of the endpoints, one module per resource.
//! - [`verbs`]: verb documents (what a webhook answers), one module per verb, and the
//!   parser that names the verb and field at fault.
//! - [`webhook`]: what Switchboard sends to applications (webhook requests, status
//!   callbacks); [`signature`]: the `Switchboard-Signature` header.
//! - [`doc`]: [`ApiDoc`], the assembled OpenAPI document; `tagged.rs` writes its
//!   internally tagged variants (verbs, prompts) so JSON Schema validators accept them.

pub mod doc;
pub mod error;
pub mod models;
pub mod paths;
pub mod signature;
mod tagged;
pub mod types;
pub mod verbs;
pub mod webhook;

pub use doc::ApiDoc;
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
