//! Call-centre queues: callers wait (hearing music and their position) until an agent
//! — a member of the queue who is logged in, not paused and free — answers, offered by
//! the queue's strategy.

use super::common::page;
use crate::types::{Destination, DialString, ExtensionNumber, IvrKey, ResourceName, RingTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who a waiting caller is offered to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QueueStrategy {
    /// Every free agent at once; the first to answer takes the caller.
    #[default]
    Ringall,
    /// The free agent whose last queue call ended longest ago.
    Leastrecent,
    /// The free agent who took the fewest queue calls.
    Fewestcalls,
    /// A free agent at random.
    Random,
    /// Round robin with memory: the free agent after the one offered a call last.
    Rrmemory,
    /// Always in member order: the first free agent of the list.
    Linear,
}

impl QueueStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ringall => "ringall",
            Self::Leastrecent => "leastrecent",
            Self::Fewestcalls => "fewestcalls",
            Self::Random => "random",
            Self::Rrmemory => "rrmemory",
            Self::Linear => "linear",
        }
    }
}

fn default_true() -> bool {
    true
}

/// A member of a queue: an extension, or an outside number (dialled through the
/// outbound routes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueMember {
    pub member: DialString,
    /// 0 (default) to 100: a member is offered callers only while no free member with
    /// a lower penalty is logged in.
    #[serde(default)]
    pub penalty: u32,
    /// A dynamic member (an agent) takes calls only while logged in (`*45` from the
    /// phone, or `PATCH …/agents/{member}`); a static one always.
    #[serde(default)]
    pub dynamic: bool,
}

/// Body of `POST /v1/queues`; also what `PATCH` changes (absent fields kept, `null`
/// clears an optional one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "name": "support",
    "number": "400",
    "strategy": "leastrecent",
    "members": [{"member": "201"}, {"member": "202", "dynamic": true}],
    "music": "hold-music",
    "announce_position_every": 30,
    "max_wait": 300,
    "timeout_destination": "voicemail:201"
}))]
pub struct QueueCreate {
    pub name: ResourceName,
    /// A number phones dial to join the queue (not an extension's or ring group's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<ExtensionNumber>,
    #[serde(default)]
    pub strategy: QueueStrategy,
    /// 0 to 64 members, no repeats.
    #[serde(default)]
    pub members: Vec<QueueMember>,
    /// Seconds an agent's phone rings before the caller is offered again. Default 15.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_ring_time: Option<RingTime>,
    /// Seconds before a caller nobody answered is offered again (0 to 60, default 5).
    #[serde(default = "default_retry")]
    pub retry_delay: u32,
    /// Seconds an agent is left alone after a queue call (0 to 600, default 0).
    #[serde(default)]
    pub wrap_up_time: u32,
    /// Offer callers to agents already on another call (default false: skipped).
    #[serde(default)]
    pub ring_in_use: bool,
    /// A recording played (looped) to waiting callers; without it they hear ringing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub music: Option<ResourceName>,
    /// Every so many seconds (5 to 3600), a waiting caller hears its position. Off by
    /// default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announce_position_every: Option<u32>,
    /// The position announcements also give the estimated wait (default false).
    #[serde(default)]
    pub announce_hold_time: bool,
    /// Seconds (10 to 86400) a caller may wait before going to `timeout_destination`
    /// (hung up without one). Default: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_wait: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_destination: Option<Destination>,
    /// Callers waiting at most (1 to 10000); one more goes to `full_destination` (busy
    /// without one). Default: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_callers: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_destination: Option<Destination>,
    /// Callers may join while no member is logged in and unpaused (default true).
    #[serde(default = "default_true")]
    pub join_empty: bool,
    /// Waiting callers leave when no member is logged in and unpaused any more
    /// (default false).
    #[serde(default)]
    pub leave_when_empty: bool,
    /// Where callers refused or sent away because the queue is empty go (hung up
    /// without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_destination: Option<Destination>,
    /// A key a waiting caller presses to leave for `exit_destination` (both or none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_key: Option<IvrKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_destination: Option<Destination>,
    /// `/stats` counts callers answered within this many seconds (1 to 3600, default 20).
    #[serde(default = "default_service_level")]
    pub service_level: u32,
}

fn default_retry() -> u32 {
    5
}

fn default_service_level() -> u32 {
    20
}

/// A queue as returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Queue {
    #[serde(flatten)]
    pub settings: QueueCreate,
    #[schema(format = DateTime, example = "2026-11-30T14:00:00.000Z")]
    pub created_at: String,
    #[schema(format = DateTime, example = "2026-11-30T14:00:00.000Z")]
    pub updated_at: String,
}

page!(QueueList, Queue, "queues");

/// What an agent is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// A dynamic member who is not logged in.
    LoggedOut,
    Paused,
    /// Free: may be offered a caller.
    Idle,
    /// Offered a caller: its phone rings.
    Ringing,
    /// Talking with a caller of the queue.
    Busy,
    /// After a queue call, until `wrap_up_time` has passed.
    WrapUp,
}

/// A member of a queue and what it is doing (`GET /v1/queues/{name}/agents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QueueAgent {
    pub member: String,
    pub penalty: u32,
    pub dynamic: bool,
    pub logged_in: bool,
    pub paused: bool,
    pub pause_reason: Option<String>,
    pub state: AgentState,
    /// The caller's call sid, while ringing or busy.
    pub caller_sid: Option<String>,
    pub calls_taken: u64,
    /// When its last queue call ended (RFC 3339).
    pub last_call_at: Option<String>,
}

/// `GET /v1/queues/{name}/agents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QueueAgentList {
    pub data: Vec<QueueAgent>,
}

/// Body of `PATCH /v1/queues/{name}/agents/{member}`: log a dynamic member in or out,
/// pause or unpause a member (with a reason).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"paused": true, "pause_reason": "lunch"}))]
pub struct QueueAgentUpdate {
    #[serde(default)]
    pub logged_in: Option<bool>,
    #[serde(default)]
    pub paused: Option<bool>,
    /// Kept while paused (1 to 64 characters); cleared on unpause.
    #[serde(default)]
    pub pause_reason: Option<String>,
}

/// A caller in a queue now (`GET /v1/queues/{name}/callers`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QueueCaller {
    pub call_sid: String,
    /// 1: the next to be offered.
    pub position: u32,
    pub caller_number: String,
    pub caller_name: Option<String>,
    /// `waiting`, `offered` (agents ringing) or `answered`.
    pub state: String,
    /// The agent ringing or talking with it.
    pub agent: Option<String>,
    #[schema(format = DateTime)]
    pub joined_at: String,
    /// Seconds since it joined.
    pub wait: u64,
}

/// `GET /v1/queues/{name}/callers`, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct QueueCallerList {
    pub data: Vec<QueueCaller>,
}

/// `GET /v1/queues/{name}/stats`: what happened to the callers who joined since `since`
/// (default: the last 24 hours).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QueueStats {
    #[schema(format = DateTime)]
    pub since: String,
    /// Callers who joined (or were refused), answered or not, waiting now included.
    pub offered: u64,
    pub answered: u64,
    /// Callers who hung up while waiting.
    pub abandoned: u64,
    /// Callers sent on: max wait reached, queue full or empty, exit key, `leave`.
    pub redirected: u64,
    /// Waiting now.
    pub waiting: u64,
    /// Seconds answered callers waited, on average.
    pub average_wait: f64,
    /// The longest wait (seconds) of a caller answered or abandoned.
    pub longest_wait: u64,
    /// Share (0 to 1) of the answered callers answered within `service_level` seconds.
    pub service_level: f64,
    pub service_level_seconds: u32,
}

/// Body of `PATCH /v1/queues/{name}`: any field of `QueueCreate` but `name`; absent
/// fields are kept, `null` clears an optional one.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct QueueUpdate(pub serde_json::Map<String, serde_json::Value>);

impl utoipa::PartialSchema for QueueUpdate {
    // `example`, as the derived schemas write it (and the document's tests read it).
    #[allow(deprecated)]
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Object)
            .description(Some(
                "Any field of `QueueCreate` but `name`: absent fields are kept, `null` clears \
                 an optional one; unknown fields are refused.",
            ))
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(true),
            ))
            .example(Some(
                serde_json::json!({"strategy": "rrmemory", "max_wait": null}),
            ))
            .into()
    }
}

impl ToSchema for QueueUpdate {}
