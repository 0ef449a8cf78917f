//! The OpenAPI document of the REST API.

use crate::error::{
    BadRequest, Conflict, ErrorBody, ErrorCode, ErrorDetail, Forbidden, InsufficientStorage,
    NotFound, PayloadTooLarge, RateLimited, ServiceUnavailable, Unauthorized, UnsupportedMediaType,
    ValidationFailed,
};
use crate::paths;
use crate::tagged::InlineTaggedVariants;
use crate::types::{
    Announcement, ApiKeyId, ApplicationId, CalendarDate, CallerId, Destination, DialPattern,
    DialPrefix, DialRule, DialString, DisplayName, Email, ExtensionNumber, FeatureCodeString, Host,
    HttpUrl, IvrChoice, IvrKey, PhoneNumber, Prepend, RecordingId, ResourceName, RingTime,
    SipPassword, SipUsername, TimeOfDay, TimeZoneName, VoicemailPin, Weekday,
};
use crate::verbs::{
    Confirm, Dial, DialStrategy, DialTarget, Enqueue, Gather, GatherInput, Hangup, Leave, Pause,
    Play, Prompt, Record, Redirect, Reject, RejectReason, Ringback, Say, SipUri, Verb,
    VerbDocument, VerbError, WebhookUrl,
};
use crate::webhook::{
    CallError, CallEvent, QueueEvent, SipInfo, StatusCallback, TrunkEvent, VoicemailEvent,
    WebhookRequest,
};
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The OpenAPI document: every endpoint, schema, auth scheme and error response.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Switchboard",
        description = "Self-hosted programmable voice: provision extensions, trunks, routes, \
recordings, applications and numbers, and drive calls.\n\n\
**Authentication.** Send an API key as HTTP Basic credentials (`key_id:secret`), or exchange \
it at `POST /v1/auth/token` for a short-lived bearer token and send \
`Authorization: Bearer <token>`.\n\n\
**Errors.** Every error has the body `{\"error\": {\"code\", \"message\", \"field\"}}`; \
`field` names the request field at fault.\n\n\
**Webhooks.** When a call reaches an application, Switchboard POSTs a `WebhookRequest` \
(signed: header `Switchboard-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t + \".\" + body)>`) \
to its `voice_url` and executes the `VerbDocument` it answers. Call events go to \
`status_callback` as `StatusCallback` bodies. Their schemas are below.\n\n\
**Lists.** List endpoints return `{\"data\": [...], \"next_cursor\": ...}`; pass \
`next_cursor` back as `cursor` for the next page.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        paths::health::health,
        paths::health::metrics,
        paths::api_keys::create_token,
        paths::api_keys::create_api_key,
        paths::api_keys::list_api_keys,
        paths::api_keys::get_api_key,
        paths::api_keys::revoke_api_key,
        paths::extensions::create_extension,
        paths::extensions::list_extensions,
        paths::extensions::get_extension,
        paths::extensions::update_extension,
        paths::extensions::delete_extension,
        paths::recordings::create_recording,
        paths::recordings::list_recordings,
        paths::recordings::get_recording,
        paths::recordings::get_recording_audio,
        paths::recordings::update_recording,
        paths::recordings::delete_recording,
        paths::applications::create_application,
        paths::applications::list_applications,
        paths::applications::get_application,
        paths::applications::update_application,
        paths::applications::delete_application,
        paths::applications::rotate_application_secret,
        paths::numbers::create_number,
        paths::numbers::list_numbers,
        paths::numbers::get_number,
        paths::numbers::update_number,
        paths::numbers::delete_number,
        paths::trunks::create_trunk,
        paths::trunks::list_trunks,
        paths::trunks::get_trunk,
        paths::trunks::update_trunk,
        paths::trunks::delete_trunk,
        paths::outbound_routes::create_outbound_route,
        paths::outbound_routes::list_outbound_routes,
        paths::outbound_routes::get_outbound_route,
        paths::outbound_routes::update_outbound_route,
        paths::outbound_routes::delete_outbound_route,
        paths::registrations::list_registrations,
        paths::registrations::delete_registration,
        paths::calls::list_calls,
        paths::calls::get_call,
        paths::calls::update_call,
        paths::calls::create_call,
        paths::follow_me::get_follow_me,
        paths::follow_me::put_follow_me,
        paths::follow_me::update_follow_me,
        paths::follow_me::delete_follow_me,
        paths::ring_groups::create_ring_group,
        paths::ring_groups::list_ring_groups,
        paths::ring_groups::get_ring_group,
        paths::ring_groups::update_ring_group,
        paths::ring_groups::delete_ring_group,
        paths::queues::create_queue,
        paths::queues::list_queues,
        paths::queues::get_queue,
        paths::queues::update_queue,
        paths::queues::delete_queue,
        paths::queues::list_queue_agents,
        paths::queues::update_queue_agent,
        paths::queues::list_queue_callers,
        paths::queues::get_queue_stats,
        paths::voicemail::list_voicemail_messages,
        paths::voicemail::get_voicemail_message,
        paths::voicemail::get_voicemail_message_audio,
        paths::voicemail::update_voicemail_message,
        paths::voicemail::delete_voicemail_message,
        paths::ivrs::create_ivr,
        paths::ivrs::list_ivrs,
        paths::ivrs::get_ivr,
        paths::ivrs::update_ivr,
        paths::ivrs::delete_ivr,
        paths::daynight::create_daynight,
        paths::daynight::list_daynight,
        paths::daynight::get_daynight,
        paths::daynight::update_daynight,
        paths::daynight::delete_daynight,
        paths::daynight::toggle_daynight,
        paths::time_conditions::create_time_condition,
        paths::time_conditions::list_time_conditions,
        paths::time_conditions::get_time_condition,
        paths::time_conditions::update_time_condition,
        paths::time_conditions::delete_time_condition,
        paths::time_conditions::override_time_condition,
        paths::feature_codes::list_feature_codes,
        paths::feature_codes::update_feature_code,
        paths::apps::list_builtin_apps,
        paths::apps::extension_app,
        paths::apps::extension_after_app,
        paths::apps::ring_group_app,
        paths::apps::ring_group_after_app,
        paths::apps::ivr_app,
        paths::apps::ivr_choice_app,
        paths::apps::ivr_silence_app,
        paths::apps::daynight_app,
        paths::apps::time_condition_app,
        paths::apps::follow_me_feature_app,
        paths::apps::daynight_feature_app,
        paths::apps::daynight_pin_feature_app,
        paths::apps::time_condition_feature_app,
        paths::apps::number_app,
        paths::apps::hangup_app,
        paths::apps::queue_app,
        paths::apps::queue_hold_app,
        paths::apps::queue_after_app,
        paths::apps::queue_agent_feature_app,
        paths::apps::voicemail_app,
        paths::apps::voicemail_saved_app,
        paths::apps::voicemail_key_app,
        paths::apps::voicemail_listen_app,
        paths::apps::voicemail_listen_pin_app,
        paths::apps::voicemail_listen_key_app,
        paths::apps::voicemail_other_app,
        paths::apps::voicemail_other_mailbox_app,
        paths::apps::voicemail_other_pin_app,
        paths::apps::voicemail_menu_app,
        paths::apps::voicemail_saved_key_app,
        paths::apps::voicemail_greeting_app,
        paths::apps::voicemail_new_pin_app,
    ),
    components(
        schemas(
            ErrorBody, ErrorCode, ErrorDetail,
            ApiKeyId, ApplicationId, CallerId, Destination, DialPattern, DialPrefix, DialRule,
            DialString, DisplayName, Email, ExtensionNumber, Host, HttpUrl, PhoneNumber, Prepend,
            RecordingId, ResourceName, RingTime, SipPassword, SipUsername, VoicemailPin,
            VerbDocument, Verb, VerbError, Play, Say, Pause, Gather, GatherInput, Prompt, Dial,
            DialTarget, DialStrategy, Confirm, Ringback, SipUri, Enqueue, Leave, Record, Redirect, Hangup, Reject,
            RejectReason, WebhookUrl,
            WebhookRequest, SipInfo, StatusCallback, CallEvent, CallError, VoicemailEvent, QueueEvent, TrunkEvent,
            Announcement, CalendarDate, FeatureCodeString, IvrChoice, IvrKey, TimeOfDay,
            TimeZoneName, Weekday,
        ),
        responses(
            BadRequest, Unauthorized, Forbidden, NotFound, Conflict, ValidationFailed,
            PayloadTooLarge, UnsupportedMediaType, RateLimited, ServiceUnavailable,
            InsufficientStorage,
        ),
    ),
    modifiers(&Security, &InlineTaggedVariants, &JsonBodies, &Guarded, &Stored, &DocumentForms),
    security(("bearer" = []), ("basic" = [])),
    tags(
        (name = "system", description = "Health and metrics"),
        (name = "auth", description = "Tokens"),
        (name = "api-keys", description = "API keys (admin role)"),
        (name = "extensions", description = "SIP accounts of phones and their PBX settings"),
        (name = "recordings", description = "Uploaded prompts, call recordings, voicemail audio"),
        (name = "voicemail", description = "Messages left in extensions' mailboxes"),
        (name = "applications", description = "Webhooks that drive calls"),
        (name = "numbers", description = "Inbound numbers and where their calls go"),
        (name = "trunks", description = "SIP links to providers and other servers"),
        (name = "outbound-routes", description = "Which dialled numbers leave through which trunks"),
        (name = "registrations", description = "Phones registered to extensions"),
        (name = "calls", description = "Call records and live calls"),
        (name = "ring-groups", description = "Numbers that ring several phones by a strategy"),
        (name = "queues", description = "Call-centre queues: waiting callers, agents, strategies, statistics"),
        (name = "ivrs", description = "Menus whose keys lead to destinations"),
        (name = "daynight", description = "Day/night switches (`*28<index>`)"),
        (name = "time-conditions", description = "Schedules in a time zone, with holidays and overrides (`*27<id>`)"),
        (name = "feature-codes", description = "What phones dial to work PBX features"),
        (name = "apps", description = "The built-in PBX apps: webhooks answering verb documents, as a user's application would"),
    ),
)]
pub struct ApiDoc;

/// Adds the two auth schemes: a bearer JWT and HTTP Basic with `key_id:secret`.
#[derive(Debug)]
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        bearer.description = Some("A token from `POST /v1/auth/token`.".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let mut basic = Http::new(HttpAuthScheme::Basic);
        basic.description = Some("An API key: user `key_id`, password `secret`.".into());
        components.add_security_scheme("basic", SecurityScheme::Http(basic));
    }
}

/// Every `/v1` operation that takes a JSON body answers 415 to a request without one
/// (no body, or another content type): axum's JSON extractor refuses it before the
/// handler runs. Said once here rather than on each of the operations.
#[derive(Debug)]
struct JsonBodies;

impl Modify for JsonBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::RefOr;
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            for operation in [&mut item.post, &mut item.put, &mut item.patch]
                .into_iter()
                .flatten()
            {
                let json = operation.request_body.as_ref().is_some_and(|b| match b {
                    RefOr::T(body) => body.content.contains_key("application/json"),
                    RefOr::Ref(_) => false,
                });
                if json {
                    document(operation, "415", "UnsupportedMediaType");
                }
            }
        }
    }
}

/// Every operation that checks credentials (it documents a 401) answers 429 to an
/// address blocked after too many failed authentications. Said once here.
#[derive(Debug)]
struct Guarded;

impl Modify for Guarded {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            for (_, operation) in operations(item) {
                if operation.responses.responses.contains_key("401") {
                    document(operation, "429", "RateLimited");
                }
            }
        }
    }
}

/// Every `/v1` operation answers 503 while the database cannot be reached, and every one
/// that writes (POST, PUT, PATCH, DELETE) answers 507 when the disk holding the database
/// or the audio files is full. Said once here.
#[derive(Debug)]
struct Stored;

impl Modify for Stored {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/v1/") {
                continue;
            }
            for (writes, operation) in operations(item) {
                document(operation, "503", "ServiceUnavailable");
                if writes {
                    document(operation, "507", "InsufficientStorage");
                }
            }
        }
    }
}

/// The operations of `item`, each with whether its method writes.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (bool, &mut Operation)> {
    [
        (false, &mut item.get),
        (true, &mut item.post),
        (true, &mut item.put),
        (true, &mut item.patch),
        (true, &mut item.delete),
    ]
    .into_iter()
    .filter_map(|(writes, operation)| Some((writes, operation.as_mut()?)))
}

/// Documents `status` as the shared response `response`, unless the operation already
/// documents that status its own way.
fn document(operation: &mut Operation, status: &str, response: &str) {
    use utoipa::openapi::{Ref, RefOr};
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(response)));
}

/// A verb document is a bare array of verbs or `{"verbs": [...]}`: the parser takes both
/// (`verbs::parse_document`), the built-in apps answer the array, but the derived schema
/// knows only the object. Written here as `oneOf` the two.
#[derive(Debug)]
struct DocumentForms;

impl Modify for DocumentForms {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ArrayBuilder, OneOfBuilder, Schema};
        use utoipa::openapi::{Ref, RefOr};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get("VerbDocument") else {
            return;
        };
        let mut object = object.clone();
        let description = object.description.take();
        let example = object.example.take();
        let array = ArrayBuilder::new()
            .items(Ref::from_schema_name("Verb"))
            .max_items(Some(crate::verbs::MAX_VERBS))
            .build();
        let document = OneOfBuilder::new()
            .item(Schema::Array(array))
            .item(Schema::Object(object))
            .description(description.map(|d| {
                d.replace(
                    "A verb document in its object form: `{\"verbs\": [...]}`. The bare array is accepted too.",
                    "A verb document: an array of verbs, or an object with a `verbs` array.",
                )
            }))
            .examples(example)
            .build();
        components
            .schemas
            .insert("VerbDocument".to_owned(), RefOr::T(Schema::OneOf(document)));
    }
}

impl ApiDoc {
    /// The document as pretty JSON, exactly as `GET /openapi.json` serves it and as it is
    /// committed in `openapi/openapi.json`.
    pub fn json() -> String {
        let mut doc = Self::openapi();
        doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
        let mut json = doc.to_pretty_json().unwrap_or_else(|e| {
            // Serializing a document built from static types cannot fail; keep the
            // error visible rather than panicking if it ever does.
            format!("{{\"error\": \"cannot serialize the OpenAPI document: {e}\"}}")
        });
        json.push('\n');
        json
    }
}

#[cfg(test)]
mod tests {
    use super::ApiDoc;

    #[test]
    fn a_verb_document_is_an_array_or_an_object_and_a_call_hangup_is_not_the_verb() {
        let json: serde_json::Value = serde_json::from_str(&ApiDoc::json()).unwrap();
        let schemas = &json["components"]["schemas"];
        let forms = schemas["VerbDocument"]["oneOf"].as_array().unwrap();
        assert_eq!(forms[0]["type"], "array", "{forms:?}");
        assert_eq!(forms[1]["required"][0], "verbs", "{forms:?}");
        let hangup = &schemas["Call"]["properties"]["hangup"]["oneOf"][0]["$ref"];
        assert_eq!(hangup, "#/components/schemas/CallHangup");
        assert!(schemas["CallHangup"]["properties"]["sip_code"].is_object());
        assert_eq!(schemas["Hangup"]["description"], "Ends the call.");
    }

    #[test]
    fn document_serializes_with_every_resource() {
        let json: serde_json::Value = serde_json::from_str(&ApiDoc::json()).unwrap();
        let paths = json["paths"].as_object().unwrap();
        for p in [
            "/health",
            "/v1/auth/token",
            "/v1/api-keys/{key_id}",
            "/v1/extensions/{number}",
            "/v1/recordings/{id}/audio",
            "/v1/applications/{id}/signing-secret",
            "/v1/numbers/{number}",
            "/v1/trunks/{name}",
            "/v1/outbound-routes/{name}",
        ] {
            assert!(paths.contains_key(p), "missing {p}");
        }
        let schemes = &json["components"]["securitySchemes"];
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        assert_eq!(schemes["basic"]["scheme"], "basic");
        for schema in [
            "VerbDocument",
            "Verb",
            "Gather",
            "DialTarget",
            "WebhookRequest",
            "StatusCallback",
        ] {
            assert!(
                json["components"]["schemas"].get(schema).is_some(),
                "missing {schema}"
            );
        }
        assert_eq!(
            json["components"]["schemas"]["ExtensionNumber"]["pattern"],
            "^[0-9]{2,15}$"
        );
    }
}
