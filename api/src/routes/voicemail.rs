//! `/v1/voicemail/{mailbox}/messages`: the messages left in an extension's mailbox —
//! listed oldest first (by folder), read, downloaded as WAV, moved between `new` and
//! `saved`, deleted with their audio.

use super::next_cursor;
use crate::AppState;
use crate::auth::{Admin, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, page_of};
use crate::storage::{self, voicemail::StoredMessage};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use contract::models::{
    VoicemailListParams, VoicemailMessage, VoicemailMessageList, VoicemailMessageUpdate,
};

fn no_mailbox(mailbox: &str) -> ApiError {
    ApiError::not_found(format!("mailbox {mailbox} does not exist"))
}

fn not_found(mailbox: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("message {id} is not in mailbox {mailbox}"))
}

/// The mailbox exists: an extension with voicemail enabled.
async fn mailbox_exists(state: &AppState, mailbox: &str) -> ApiResult<()> {
    match storage::extensions::has_voicemail(&state.db, mailbox).await? {
        Some(true) => Ok(()),
        _ => Err(no_mailbox(mailbox)),
    }
}

async fn load(state: &AppState, mailbox: &str, id: &str) -> ApiResult<StoredMessage> {
    mailbox_exists(state, mailbox).await?;
    storage::voicemail::get_message(&state.db, mailbox, id)
        .await?
        .ok_or_else(|| not_found(mailbox, id))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Path(mailbox): Path<String>,
    Query(params): Query<VoicemailListParams>,
) -> ApiResult<Json<VoicemailMessageList>> {
    mailbox_exists(&state, &mailbox).await?;
    let page = page_of(params.limit, params.cursor.as_deref())?;
    let (data, last) =
        storage::voicemail::list_messages(&state.db, &mailbox, params.folder, &page).await?;
    Ok(Json(VoicemailMessageList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path((mailbox, id)): Path<(String, String)>,
) -> ApiResult<Json<VoicemailMessage>> {
    Ok(Json(load(&state, &mailbox, &id).await?.message))
}

pub async fn audio(
    State(state): State<AppState>,
    _: Caller,
    Path((mailbox, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let stored = load(&state, &mailbox, &id).await?;
    let file = stored
        .audio_file
        .ok_or_else(|| ApiError::not_found(format!("the audio of message {id} was deleted")))?;
    super::recordings::wav_file(&state, &file, &format!("voicemail-{mailbox}-{id}.wav")).await
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path((mailbox, id)): Path<(String, String)>,
    JsonBody(body): JsonBody<VoicemailMessageUpdate>,
) -> ApiResult<Json<VoicemailMessage>> {
    let mut stored = load(&state, &mailbox, &id).await?;
    if !storage::voicemail::set_folder(&state.db, &mailbox, &id, body.folder).await? {
        return Err(not_found(&mailbox, &id));
    }
    stored.message.folder = body.folder;
    Ok(Json(stored.message))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path((mailbox, id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let stored = load(&state, &mailbox, &id).await?;
    if !storage::voicemail::delete_with_audio(&state.db, &state.media, &stored).await? {
        return Err(not_found(&mailbox, &id));
    }
    Ok(StatusCode::NO_CONTENT)
}
