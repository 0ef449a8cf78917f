//! Call records: one per call leg.

use super::common::page;
use crate::types::{ApplicationId, CallerId, DialString, HttpUrl, InvalidValue, string_newtype};
use crate::verbs::{SipUri, Verb};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

string_newtype!(
    /// Whom a call placed through the API rings: an extension (every registered
    /// device), a number through the dial plan (outbound routes and their trunks), or a
    /// SIP URI (`sip:…`).
    CallTo,
    |s| {
        if s.starts_with("sip:") || s.starts_with("sips:") {
            SipUri::parse(s).map(|_| ())
        } else {
            DialString::parse(s).map(|_| ()).map_err(|_| {
                InvalidValue::new(
                    "must be an extension or a number (digits, '*', '#', an optional leading '+') or a SIP URI (sip:user@host)",
                )
            })
        }
    },
    example = "101",
    pattern = None,
);

impl CallTo {
    /// The SIP URI, when it is one.
    pub fn sip_uri(&self) -> Option<&str> {
        let s = self.as_str();
        (s.starts_with("sip:") || s.starts_with("sips:")).then_some(s)
    }
}

/// Where a call stands (Twilio's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatus {
    Queued,
    Ringing,
    InProgress,
    Completed,
    Busy,
    NoAnswer,
    Failed,
    Canceled,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Ringing => "ringing",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Busy => "busy",
            Self::NoAnswer => "no-answer",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Ringing,
            Self::InProgress,
            Self::Completed,
            Self::Busy,
            Self::NoAnswer,
            Self::Failed,
            Self::Canceled,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// How a call ended. (Named `CallHangup` in the document: `Hangup` is the verb.)
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[schema(as = CallHangup)]
pub struct Hangup {
    /// `caller`, `callee` or `system` (a timeout, a media failure, a shutdown).
    pub by: String,
    /// The SIP status that ended it: 200 for a normal hangup, 486 busy, 487 canceled, …
    pub sip_code: Option<u16>,
    pub reason: Option<String>,
}

/// A call leg.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[schema(example = json!({
    "sid": "CA0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "parent_call_sid": null,
    "direction": "inbound",
    "from": "58101",
    "caller_name": "Djaouad",
    "to": "58102",
    "status": "completed",
    "start_time": "2026-11-26T14:00:00.000Z",
    "answer_time": "2026-11-26T14:00:04.120Z",
    "end_time": "2026-11-26T14:02:10.500Z",
    "duration": 126,
    "hangup": {"by": "callee", "sip_code": 200, "reason": "BYE"},
    "sip_call_id": "a84b4c76e66710@192.168.212.20"
}))]
pub struct Call {
    pub sid: String,
    /// The call this leg was placed for (the caller's leg), if any.
    pub parent_call_sid: Option<String>,
    /// `inbound` (reached us) or `outbound` (placed by us).
    pub direction: String,
    pub from: String,
    pub caller_name: Option<String>,
    pub to: String,
    pub status: CallStatus,
    #[schema(format = DateTime)]
    pub start_time: String,
    #[schema(format = DateTime)]
    pub answer_time: Option<String>,
    #[schema(format = DateTime)]
    pub end_time: Option<String>,
    /// Seconds from answer to end.
    pub duration: Option<u64>,
    pub hangup: Option<Hangup>,
    pub sip_call_id: String,
    /// The trunk the call came in on (inbound) or went out through (outbound).
    pub trunk: Option<String>,
}

/// Body of `POST /v1/calls`: ring an extension, a number or a SIP URI and, once it
/// answers, run a verb document.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "from": "5000",
    "to": "58101",
    "application_id": "AP0f1e2d3c4b5a69788796a5b4c3d2e1f0",
    "verbs": [{"verb": "say", "text": "Your order has shipped."}, {"verb": "hangup"}]
}))]
pub struct CallCreate {
    /// The caller ID the called phone shows.
    pub from: CallerId,
    /// Whom to call: an extension (every registered device rings), a number through
    /// the outbound routes, or a SIP URI.
    pub to: CallTo,
    /// The application whose signing secret signs this call's webhooks, and whose
    /// `voice_url` and `status_callback` apply unless given here. Without it, give `url`
    /// or `verbs`: the call's requests are then signed with the secret of `url:`
    /// destinations (`GET /v1/apps`, `url_destinations_signing_secret`).
    #[serde(default)]
    pub application_id: Option<ApplicationId>,
    /// The document to run once answered (instead of the application's `voice_url`).
    #[serde(default)]
    pub url: Option<HttpUrl>,
    /// Inline verbs to run once answered (instead of fetching a document).
    #[serde(default)]
    #[schema(value_type = Option<Vec<Verb>>)]
    pub verbs: Option<serde_json::Value>,
    /// Receives this call's events (instead of the application's).
    #[serde(default)]
    pub status_callback: Option<HttpUrl>,
    /// Seconds to ring, 1 to 600. Default 30.
    #[serde(default)]
    pub timeout: Option<u32>,
}

/// The only status a live call can be set to: `completed` hangs it up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallUpdateStatus {
    Completed,
}

/// Body of `POST /v1/calls/{sid}`: steer a live call. Exactly one of `url` (its document
/// replaces what the call is doing), `verbs` (the same, inline) or `status: completed`
/// (hang up).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://app.example.com/voice/after-hours"}))]
pub struct CallUpdate {
    #[serde(default)]
    pub url: Option<HttpUrl>,
    /// A verb document (checked like a webhook's answer, errors name the verb and field).
    #[serde(default)]
    #[schema(value_type = Option<Vec<Verb>>)]
    pub verbs: Option<serde_json::Value>,
    #[serde(default)]
    pub status: Option<CallUpdateStatus>,
}

/// Query parameters of `GET /v1/calls`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallListParams {
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub status: Option<CallStatus>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Calls that started at or after this time (RFC 3339, or a date `YYYY-MM-DD` for
    /// its midnight UTC).
    pub started_from: Option<String>,
    /// Calls that started before this time (same forms).
    pub started_before: Option<String>,
}

page!(CallList, Call, "calls, newest first");
