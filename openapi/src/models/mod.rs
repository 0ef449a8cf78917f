//! Request and response bodies of the REST API, one module per resource.
//!
//! Conventions: `…Create` is a `POST` body, `…Update` a `PATCH` body (absent fields are
//! kept, `null` clears an optional field), the bare name is what the API returns. Request
//! bodies reject unknown fields, so a typo is an error rather than a silently ignored
//! setting. Secrets (passwords, PINs) are write-only.

pub mod api_keys;
pub mod applications;
pub mod apps;
pub mod calls;
pub mod common;
pub mod daynight;
pub mod extensions;
pub mod feature_codes;
pub mod follow_me;
pub mod ivrs;
pub mod numbers;
pub mod outbound_routes;
pub mod queues;
pub mod recordings;
pub mod registrations;
pub mod ring_groups;
pub mod time_conditions;
pub mod trunks;
pub mod voicemail;

pub use api_keys::*;
pub use applications::*;
pub use apps::*;
pub use calls::*;
pub use common::*;
pub use daynight::*;
pub use extensions::*;
pub use feature_codes::*;
pub use follow_me::*;
pub use ivrs::*;
pub use numbers::*;
pub use outbound_routes::*;
pub use queues::*;
pub use recordings::*;
pub use registrations::*;
pub use ring_groups::*;
pub use time_conditions::*;
pub use trunks::*;
pub use voicemail::*;
