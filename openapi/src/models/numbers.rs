//! Inbound numbers: a called number and where its calls go.

use super::common::page;
use crate::types::{ApplicationId, Destination, DisplayName, Patch, PhoneNumber};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Body of `POST /v1/numbers`: give either `destination` or `application_id`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"number": "+3223456789", "name": "Main line", "destination": "ivr:VoicemailCenter"}))]
pub struct NumberCreate {
    /// The called number as it arrives on a trunk.
    pub number: PhoneNumber,
    #[serde(default)]
    pub name: Option<DisplayName>,
    /// Where calls to the number go.
    #[serde(default)]
    pub destination: Option<Destination>,
    /// Shorthand for `destination: "app:<id>"`.
    #[serde(default)]
    pub application_id: Option<ApplicationId>,
    /// Reachable by callers nobody identified (no extension, no trunk): a SIP URI on
    /// the public internet. Default false: only extensions and identified trunks reach
    /// the number.
    #[serde(default)]
    pub public: bool,
}

/// Body of `PATCH /v1/numbers/{number}`: setting `destination` or `application_id`
/// replaces the routing.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"destination": "daynight:1"}))]
pub struct NumberUpdate {
    #[serde(default)]
    #[schema(value_type = Option<DisplayName>)]
    pub name: Patch<DisplayName>,
    #[serde(default)]
    pub destination: Option<Destination>,
    #[serde(default)]
    pub application_id: Option<ApplicationId>,
    #[serde(default)]
    pub public: Option<bool>,
}

/// An inbound number as returned.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Number {
    pub number: PhoneNumber,
    pub name: Option<DisplayName>,
    pub destination: Destination,
    /// Set when the destination is an application.
    pub application_id: Option<ApplicationId>,
    /// Reachable by unidentified callers.
    pub public: bool,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-26T14:00:00.000Z")]
    pub updated_at: String,
}

page!(NumberList, Number, "inbound numbers");
