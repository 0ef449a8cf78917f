//! `/v1/extensions`: the SIP accounts of phones.

use super::{created, next_cursor};
use crate::AppState;
use crate::auth::{Admin, Caller, secrets};
use crate::destinations;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, page_request};
use crate::outbound;
use crate::storage::{self, StorageError, extensions::StoredExtension};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use contract::models::{
    Extension, ExtensionCreate, ExtensionList, ExtensionUpdate, ListParams, OutboundPermission,
    VoicemailInfo,
};
use contract::types::{Destination, ExtensionNumber, Patch};

const NO_ANSWER: &str = "no_answer_destination";
const BUSY: &str = "busy_destination";

fn not_found(number: &str) -> ApiError {
    ApiError::not_found(format!("extension {number} does not exist"))
}

/// Checks a destination (`field`) of extension `number`. Its own mailbox is fine when
/// voicemail is (being) enabled; ringing itself again is a loop.
async fn check_own(
    state: &AppState,
    number: &ExtensionNumber,
    voicemail_enabled: bool,
    permission: OutboundPermission,
    field: &'static str,
    destination: &Destination,
) -> ApiResult<()> {
    outbound::check_destination(&state.db, field, permission, destination).await?;
    match destination {
        Destination::Extension(n) if n == number => Err(ApiError::invalid(
            field,
            "an extension cannot send its own calls back to itself (it would ring forever)",
        )),
        Destination::Voicemail(n) if n == number => {
            if voicemail_enabled {
                Ok(())
            } else {
                Err(ApiError::invalid(
                    field,
                    format!("extension {n} does not have voicemail enabled"),
                ))
            }
        }
        other => destinations::check(&state.db, field, other).await,
    }
}

pub async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    JsonBody(body): JsonBody<ExtensionCreate>,
) -> ApiResult<Response> {
    let voicemail = body.voicemail.unwrap_or_default();
    if let Some(d) = &body.no_answer_destination {
        check_own(
            &state,
            &body.number,
            voicemail.enabled,
            body.outbound,
            NO_ANSWER,
            d,
        )
        .await?;
    }
    if let Some(d) = &body.busy_destination {
        check_own(
            &state,
            &body.number,
            voicemail.enabled,
            body.outbound,
            BUSY,
            d,
        )
        .await?;
    }
    destinations::not_a_ring_group(&state.db, &body.number, "number").await?;
    destinations::not_a_queue(&state.db, &body.number, "number", None).await?;
    if let Some(app) = &voicemail.application_id {
        destinations::check_told_application(
            &state.db,
            "voicemail.application_id",
            app,
            "voicemail events",
        )
        .await?;
    }
    check_greeting_and_operator(
        &state,
        voicemail.greeting.as_ref(),
        voicemail.operator_destination.as_ref(),
    )
    .await?;
    if let Some(g) = &voicemail.busy_greeting {
        destinations::check_announcement(&state.db, "voicemail.busy_greeting", g).await?;
    }
    check_email_options(voicemail.email_options.as_ref(), body.email.is_some())?;
    let realm = &state.config.sip_realm;
    let ha1 = engine::digest::ha1(body.number.as_str(), realm, body.password.as_str());
    let now = storage::now();
    let row = StoredExtension {
        extension: Extension {
            number: body.number,
            name: body.name,
            email: body.email,
            voicemail: VoicemailInfo {
                enabled: voicemail.enabled,
                pin_set: voicemail.pin.is_some(),
                application_id: voicemail.application_id.clone(),
                greeting: voicemail.greeting.clone(),
                busy_greeting: voicemail.busy_greeting.clone(),
                operator_destination: voicemail.operator_destination.clone(),
                email_options: voicemail.email_options.clone(),
            },
            ring_time: body.ring_time.unwrap_or_default(),
            no_answer_destination: body.no_answer_destination,
            busy_destination: body.busy_destination,
            call_waiting: body.call_waiting,
            outbound: body.outbound,
            created_at: now.clone(),
            updated_at: now,
        },
        sip_realm: realm.clone(),
        sip_ha1_md5: ha1.md5,
        sip_ha1_sha256: ha1.sha256,
        voicemail_pin_hash: voicemail.pin.map(|p| secrets::hash_pin(p.as_str())),
    };
    let number = row.extension.number.clone();
    match storage::extensions::insert(&state.db, &row).await {
        Err(StorageError::Duplicate) => {
            Err(ApiError::conflict(format!("extension {number} already exists")).at("number"))
        }
        other => other.map_err(ApiError::from),
    }?;
    tracing::info!(%number, "extension created");
    Ok(created(&format!("/v1/extensions/{number}"), row.extension))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<ExtensionList>> {
    let (data, last) = storage::extensions::list(&state.db, &page_request(&params)?).await?;
    Ok(Json(ExtensionList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(number): Path<String>,
) -> ApiResult<Json<Extension>> {
    let stored = storage::extensions::get(&state.db, &number)
        .await?
        .ok_or_else(|| not_found(&number))?;
    Ok(Json(stored.extension))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(number): Path<String>,
    JsonBody(body): JsonBody<ExtensionUpdate>,
) -> ApiResult<Json<Extension>> {
    let mut row = storage::extensions::get(&state.db, &number)
        .await?
        .ok_or_else(|| not_found(&number))?;
    let ext = &mut row.extension;
    if let Some(name) = body.name {
        ext.name = name;
    }
    if let Some(password) = body.password {
        let realm = &state.config.sip_realm;
        let ha1 = engine::digest::ha1(ext.number.as_str(), realm, password.as_str());
        row.sip_realm = realm.clone();
        row.sip_ha1_md5 = ha1.md5;
        row.sip_ha1_sha256 = ha1.sha256;
    }
    ext.email = body.email.apply(ext.email.take());
    let was_enabled = ext.voicemail.enabled;
    if let Some(vm) = body.voicemail {
        if let Some(enabled) = vm.enabled {
            ext.voicemail.enabled = enabled;
        }
        match vm.pin {
            Patch::Keep => {}
            Patch::Clear => row.voicemail_pin_hash = None,
            Patch::Set(pin) => row.voicemail_pin_hash = Some(secrets::hash_pin(pin.as_str())),
        }
        ext.voicemail.pin_set = row.voicemail_pin_hash.is_some();
        if let Patch::Set(app) = &vm.application_id {
            destinations::check_told_application(
                &state.db,
                "voicemail.application_id",
                app,
                "voicemail events",
            )
            .await?;
        }
        ext.voicemail.application_id = vm.application_id.apply(ext.voicemail.application_id.take());
        let greeting = match &vm.greeting {
            Patch::Set(g) => Some(g),
            _ => None,
        };
        let operator = match &vm.operator_destination {
            Patch::Set(d) => Some(d),
            _ => None,
        };
        check_greeting_and_operator(&state, greeting, operator).await?;
        ext.voicemail.greeting = vm.greeting.apply(ext.voicemail.greeting.take());
        if let Patch::Set(g) = &vm.busy_greeting {
            destinations::check_announcement(&state.db, "voicemail.busy_greeting", g).await?;
        }
        ext.voicemail.busy_greeting = vm.busy_greeting.apply(ext.voicemail.busy_greeting.take());
        ext.voicemail.operator_destination = vm
            .operator_destination
            .apply(ext.voicemail.operator_destination.take());
        ext.voicemail.email_options = vm.email_options.apply(ext.voicemail.email_options.take());
    }
    // Checked on the result: removing the address may leave delete-after-email with
    // nothing to delete after.
    check_email_options(ext.voicemail.email_options.as_ref(), ext.email.is_some())?;
    if let Some(ring_time) = body.ring_time {
        ext.ring_time = ring_time;
    }
    if let Some(on) = body.call_waiting {
        ext.call_waiting = on;
    }
    let outbound_changed = body.outbound.is_some_and(|o| o != ext.outbound);
    if let Some(permission) = body.outbound {
        ext.outbound = permission;
    }
    if outbound_changed {
        outbound::check_follow_me(&state.db, ext.number.as_str(), ext.outbound).await?;
    }
    let voicemail_changed = was_enabled != ext.voicemail.enabled;
    let no_answer_changed = !body.no_answer_destination.is_keep();
    ext.no_answer_destination = body
        .no_answer_destination
        .apply(ext.no_answer_destination.take());
    if (no_answer_changed || voicemail_changed || outbound_changed)
        && let Some(d) = &ext.no_answer_destination
    {
        let vm = ext.voicemail.enabled;
        check_own(&state, &ext.number, vm, ext.outbound, NO_ANSWER, d).await?;
    }
    let busy_changed = !body.busy_destination.is_keep();
    ext.busy_destination = body.busy_destination.apply(ext.busy_destination.take());
    if (busy_changed || voicemail_changed || outbound_changed)
        && let Some(d) = &ext.busy_destination
    {
        let vm = ext.voicemail.enabled;
        check_own(&state, &ext.number, vm, ext.outbound, BUSY, d).await?;
    }
    if was_enabled && !ext.voicemail.enabled {
        // Other objects may send callers to this mailbox; they must be changed first.
        let mailbox = Destination::Voicemail(ext.number.clone());
        destinations::ensure_unreferenced(
            &state.db,
            &format!("mailbox {}", ext.number),
            &[mailbox],
            &[
                format!("extensions/{}", ext.number),
                format!("follow-me/{}", ext.number),
            ],
        )
        .await?;
    }
    ext.updated_at = storage::now();
    if !storage::extensions::update(&state.db, &row).await? {
        return Err(not_found(&number));
    }
    Ok(Json(row.extension))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(number): Path<String>,
) -> ApiResult<StatusCode> {
    let parsed = ExtensionNumber::parse(&number).map_err(|_| not_found(&number))?;
    destinations::ensure_unreferenced(
        &state.db,
        &format!("extension {number}"),
        &destinations::of_extension(&parsed),
        &[
            format!("extensions/{number}"),
            format!("follow-me/{number}"),
        ],
    )
    .await?;
    if !storage::extensions::delete(&state.db, &number).await? {
        return Err(not_found(&number));
    }
    tracing::info!(%number, "extension deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// The email templates use known variables; delete-after-email has an address to use.
fn check_email_options(
    options: Option<&contract::models::VoicemailEmailOptions>,
    has_email: bool,
) -> ApiResult<()> {
    match options.map(|o| crate::email_template::check_options(o, has_email)) {
        Some(Err((field, message))) => Err(ApiError::invalid(field, message)),
        _ => Ok(()),
    }
}

/// A greeting's recording exists; the operator destination leads somewhere.
async fn check_greeting_and_operator(
    state: &AppState,
    greeting: Option<&contract::types::Announcement>,
    operator: Option<&Destination>,
) -> ApiResult<()> {
    if let Some(g) = greeting {
        destinations::check_announcement(&state.db, "voicemail.greeting", g).await?;
    }
    if let Some(d) = operator {
        destinations::check(&state.db, "voicemail.operator_destination", d).await?;
    }
    Ok(())
}
