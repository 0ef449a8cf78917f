//! Every `/v1` resource as a method of [`Client`], typed by the contract, and the
//! operations that are not plain collections: recordings uploaded and downloaded, a
//! mailbox's messages and their audio, follow-me, day/night toggles, time-condition
//! overrides, queue agents and statistics, feature codes, signing-secret rotation.
//!
//! The contract's `…Update` bodies are read-only types (they tell an absent field from
//! a `null` one), so updates take any serializable value, typically `json!`.

use crate::Result;
use crate::client::{Body, Client, decode};
use crate::resource::{NoCreate, Resource, escape};
use contract::models as m;
use reqwest::Method;
use serde::Serialize;

/// A resource without a create body of its own (read and deleted only).
type ReadOnly<T> = Resource<T, NoCreate>;

impl Client {
    fn resource<T: serde::de::DeserializeOwned, C, R>(
        &self,
        path: impl Into<String>,
    ) -> Resource<T, C, R> {
        Resource::new(self, path.into())
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T> {
        self.request(method, path, body, &[]).await
    }

    /// `/v1/extensions`.
    pub fn extensions(&self) -> Resource<m::Extension, m::ExtensionCreate> {
        self.resource("/v1/extensions")
    }

    /// `/v1/applications` (creating one answers with its signing secret, once).
    pub fn applications(
        &self,
    ) -> Resource<m::Application, m::ApplicationCreate, m::ApplicationWithSecret> {
        self.resource("/v1/applications")
    }

    /// `POST /v1/applications/{id}/signing-secret`: a new signing secret for an
    /// application (the old one stops working at once).
    pub async fn rotate_signing_secret(&self, id: &str) -> Result<m::ApplicationWithSecret> {
        let path = format!("/v1/applications/{}/signing-secret", escape(id));
        self.call(Method::POST, &path, None::<&()>).await
    }

    /// `/v1/numbers`.
    pub fn numbers(&self) -> Resource<m::Number, m::NumberCreate> {
        self.resource("/v1/numbers")
    }

    /// `/v1/trunks` (`get` carries the trunk's live `status`).
    pub fn trunks(&self) -> Resource<m::Trunk, m::TrunkCreate> {
        self.resource("/v1/trunks")
    }

    /// `/v1/outbound-routes`.
    pub fn outbound_routes(&self) -> Resource<m::OutboundRoute, m::OutboundRouteCreate> {
        self.resource("/v1/outbound-routes")
    }

    /// `/v1/ring-groups`.
    pub fn ring_groups(&self) -> Resource<m::RingGroup, m::RingGroupCreate> {
        self.resource("/v1/ring-groups")
    }

    /// `/v1/ivrs`.
    pub fn ivrs(&self) -> Resource<m::Ivr, m::IvrCreate> {
        self.resource("/v1/ivrs")
    }

    /// `/v1/queues`; [`Client::queue`] for a queue's agents, callers and statistics.
    pub fn queues(&self) -> Resource<m::Queue, m::QueueCreate> {
        self.resource("/v1/queues")
    }

    /// One queue's live side: its agents, waiting callers and statistics.
    pub fn queue(&self, name: &str) -> Queue {
        Queue {
            client: self.clone(),
            path: format!("/v1/queues/{}", escape(name)),
        }
    }

    /// `/v1/daynight`; [`Client::toggle_daynight`] flips one.
    pub fn daynight(&self) -> Resource<m::DayNight, m::DayNightCreate> {
        self.resource("/v1/daynight")
    }

    /// `POST /v1/daynight/{index}/toggle`: day becomes night and night day.
    pub async fn toggle_daynight(&self, index: u32) -> Result<m::DayNight> {
        let path = format!("/v1/daynight/{index}/toggle");
        self.call(Method::POST, &path, None::<&()>).await
    }

    /// `/v1/time-conditions`; [`Client::override_time_condition`] forces a state.
    pub fn time_conditions(&self) -> Resource<m::TimeCondition, m::TimeConditionCreate> {
        self.resource("/v1/time-conditions")
    }

    /// `POST /v1/time-conditions/{id}/override`: force `match` or `no_match` (`state:
    /// None` gives the schedule back).
    pub async fn override_time_condition(
        &self,
        id: &str,
        request: &m::OverrideRequest,
    ) -> Result<m::TimeCondition> {
        let path = format!("/v1/time-conditions/{}/override", escape(id));
        self.call(Method::POST, &path, Some(request)).await
    }

    /// `GET /v1/feature-codes`: every feature and the code that reaches it.
    pub async fn feature_codes(&self) -> Result<Vec<m::FeatureCode>> {
        let list: m::FeatureCodeList = self
            .call(Method::GET, "/v1/feature-codes", None::<&()>)
            .await?;
        Ok(list.data)
    }

    /// `PATCH /v1/feature-codes/{feature}` (`json!({"code": "*281"})`).
    pub async fn update_feature_code(
        &self,
        feature: m::Feature,
        body: &(impl Serialize + ?Sized),
    ) -> Result<m::FeatureCode> {
        let name = serde_json::to_value(feature)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let path = format!("/v1/feature-codes/{name}");
        self.call(Method::PATCH, &path, Some(body)).await
    }

    /// `/v1/extensions/{number}/follow-me`: `get`, `set` (PUT), `update` (PATCH),
    /// `delete`.
    pub fn follow_me(&self, extension: &str) -> FollowMe {
        FollowMe {
            client: self.clone(),
            path: format!("/v1/extensions/{}/follow-me", escape(extension)),
        }
    }

    /// `/v1/recordings`; [`Client::upload_recording`] adds one,
    /// [`Client::recording_audio`] downloads one.
    pub fn recordings(&self) -> ReadOnly<m::Recording> {
        self.resource("/v1/recordings")
    }

    /// `POST /v1/recordings?name=`: a WAV file (any rate, mono or stereo, PCM or
    /// G.711), converted by the server for calls.
    pub async fn upload_recording(&self, name: &str, wav: Vec<u8>) -> Result<m::Recording> {
        let query = [("name", name.to_owned())];
        let response = self
            .send(Method::POST, "/v1/recordings", Body::<()>::Wav(wav), &query)
            .await?;
        decode(response).await
    }

    /// `GET /v1/recordings/{id}/audio`: the recording's WAV (by id or name).
    pub async fn recording_audio(&self, id: &str) -> Result<Vec<u8>> {
        self.download(&format!("/v1/recordings/{}/audio", escape(id)))
            .await
    }

    /// A mailbox's messages: `/v1/voicemail/{mailbox}/messages` and their audio.
    pub fn voicemail(&self, mailbox: &str) -> Mailbox {
        let path = format!("/v1/voicemail/{}/messages", escape(mailbox));
        Mailbox {
            messages: self.resource(path),
        }
    }

    /// `/v1/registrations`: the devices registered now (`delete` unbinds one).
    pub fn registrations(&self) -> ReadOnly<m::Registration> {
        self.resource("/v1/registrations")
    }

    /// `/v1/api-keys` (creating one answers with its secret, once).
    pub fn api_keys(&self) -> Resource<m::ApiKey, m::ApiKeyCreate, m::ApiKeyCreated> {
        self.resource("/v1/api-keys")
    }

    /// `GET /v1/apps`: the built-in PBX apps, their base URL and signing secrets.
    pub async fn apps(&self) -> Result<m::BuiltinApps> {
        self.call(Method::GET, "/v1/apps", None::<&()>).await
    }

    /// `/v1/calls`: place calls (`create`), read them (`list_where` filters by
    /// `status`, `from`, `to`, `started_from`, `started_before`), steer live ones
    /// (`post`).
    pub fn calls(&self) -> Resource<m::Call, m::CallCreate> {
        self.resource("/v1/calls")
    }
}

/// One queue's live side ([`Client::queue`]).
#[derive(Debug, Clone)]
pub struct Queue {
    client: Client,
    path: String,
}

impl Queue {
    /// `GET …/agents`: each member, logged in or not, and busy or not.
    pub async fn agents(&self) -> Result<Vec<m::QueueAgent>> {
        let path = format!("{}/agents", self.path);
        let list: m::QueueAgentList = self.client.call(Method::GET, &path, None::<&()>).await?;
        Ok(list.data)
    }

    /// `PATCH …/agents/{member}`: pause a member or take it back (`json!({"paused": true, "pause_reason": "lunch"})`).
    pub async fn update_agent(
        &self,
        member: &str,
        body: &(impl Serialize + ?Sized),
    ) -> Result<m::QueueAgent> {
        let path = format!("{}/agents/{}", self.path, escape(member));
        self.client.call(Method::PATCH, &path, Some(body)).await
    }

    /// `GET …/callers`: who waits, first in line first.
    pub async fn callers(&self) -> Result<Vec<m::QueueCaller>> {
        let path = format!("{}/callers", self.path);
        let list: m::QueueCallerList = self.client.call(Method::GET, &path, None::<&()>).await?;
        Ok(list.data)
    }

    /// `GET …/stats`: what happened to callers who joined since `since` (RFC 3339;
    /// the server's default without it).
    pub async fn stats(&self, since: Option<&str>) -> Result<m::QueueStats> {
        let path = format!("{}/stats", self.path);
        let query: Vec<(&str, String)> =
            since.map(|s| ("since", s.to_owned())).into_iter().collect();
        self.client
            .request(Method::GET, &path, None::<&()>, &query)
            .await
    }
}

/// A mailbox's messages ([`Client::voicemail`]).
#[derive(Debug)]
pub struct Mailbox {
    /// `get`, `update` (`json!({"folder": "saved"})`), `delete`, `list`,
    /// `list_where(…, vec![("folder", "new".into())])`.
    pub messages: ReadOnly<m::VoicemailMessage>,
}

impl Mailbox {
    /// `GET …/messages/{id}/audio`: the message's WAV.
    pub async fn audio(&self, id: &str) -> Result<Vec<u8>> {
        let path = format!("{}/audio", self.messages.item(id));
        self.messages.client().download(&path).await
    }
}

/// An extension's follow-me ([`Client::follow_me`]).
#[derive(Debug, Clone)]
pub struct FollowMe {
    client: Client,
    path: String,
}

impl FollowMe {
    /// `GET`: the extension's follow-me settings.
    pub async fn get(&self) -> Result<m::FollowMe> {
        self.client.call(Method::GET, &self.path, None::<&()>).await
    }

    /// `PUT`: replaces them.
    pub async fn set(&self, follow_me: &m::FollowMe) -> Result<m::FollowMe> {
        self.client
            .call(Method::PUT, &self.path, Some(follow_me))
            .await
    }

    /// `PATCH`: changes some (`json!({"enabled": false})`).
    pub async fn update(&self, body: &(impl Serialize + ?Sized)) -> Result<m::FollowMe> {
        self.client
            .call(Method::PATCH, &self.path, Some(body))
            .await
    }

    /// `DELETE`: back to ringing the extension alone.
    pub async fn delete(&self) -> Result<()> {
        self.client
            .call::<serde_json::Value>(Method::DELETE, &self.path, None::<&()>)
            .await
            .map(drop)
    }
}
