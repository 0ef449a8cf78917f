//! `/v1/recordings`: upload, list, download, rename and delete audio.

use super::{created, next_cursor};
use crate::AppState;
use crate::auth::{Admin, Caller, secrets};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, body_rejection, page_of};
use crate::media::store::MediaStore;
use crate::media::wav::{self, WavError};
use crate::storage::{self, StorageError, recordings::StoredRecording};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use contract::ErrorCode;
use contract::models::{
    Recording, RecordingKind, RecordingList, RecordingListParams, RecordingUpdate,
    RecordingUploadParams,
};
use contract::types::{RecordingId, ResourceName};

fn not_found(id: &str) -> ApiError {
    ApiError::not_found(format!("recording {id} does not exist"))
}

const RAW_TYPES: &[&str] = &[
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "audio/vnd.wave",
    "application/octet-stream",
];

fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn too_large(limit: u64) -> ApiError {
    ApiError::new(
        ErrorCode::PayloadTooLarge,
        format!("the upload is larger than the limit of {limit} bytes"),
    )
}

/// The name and file bytes of an upload, from either form of request.
async fn read_upload(
    state: &AppState,
    query_name: Option<String>,
    request: Request,
) -> ApiResult<(Option<String>, Bytes)> {
    let limit = state.config.max_upload_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let mime = media_type(request.headers());
    if mime == "multipart/form-data" {
        if declared.is_some_and(|n| n > limit + 64 * 1024) {
            drain(request, limit).await;
            return Err(too_large(limit));
        }
        let mut form = Multipart::from_request(request, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("malformed multipart body: {e}")))?;
        let (mut name, mut file) = (query_name, None);
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| multipart_error(&e, limit))?
        {
            match field.name() {
                Some("name") => {
                    name = Some(field.text().await.map_err(|e| multipart_error(&e, limit))?);
                }
                Some("file") => {
                    file = Some(
                        field
                            .bytes()
                            .await
                            .map_err(|e| multipart_error(&e, limit))?,
                    );
                }
                other => {
                    return Err(ApiError::invalid(
                        other.unwrap_or("form"),
                        "unknown form field: send 'name' and 'file'",
                    ));
                }
            }
        }
        let file = file.ok_or_else(|| ApiError::invalid("file", "the form has no 'file' field"))?;
        Ok((name, file))
    } else if RAW_TYPES.contains(&mime.as_str()) {
        if declared.is_some_and(|n| n > limit) {
            drain(request, limit).await;
            return Err(too_large(limit));
        }
        let body =
            Bytes::from_request(request, state)
                .await
                .map_err(|r| match body_rejection(&r) {
                    e if e.code == ErrorCode::PayloadTooLarge => too_large(limit),
                    e => e,
                })?;
        Ok((query_name, body))
    } else {
        Err(ApiError::unsupported_media_type(format!(
            "send the WAV file as multipart/form-data (fields 'name' and 'file') or as a raw \
             body with 'Content-Type: audio/wav' and ?name=; got '{}'",
            if mime.is_empty() {
                "no Content-Type"
            } else {
                &mime
            }
        )))
    }
}

/// Reads and discards a refused body (up to a few times the limit) so the client,
/// still sending, gets to read our 413 instead of a broken connection. Beyond that
/// the connection is simply closed.
async fn drain(request: Request, limit: u64) {
    use http_body_util::BodyExt;
    let cap = limit.saturating_mul(4).min(256 * 1024 * 1024);
    let mut body = request.into_body();
    let mut seen = 0u64;
    while seen <= cap {
        match body.frame().await {
            Some(Ok(frame)) => seen += frame.data_ref().map_or(0, |d| d.len() as u64),
            _ => break,
        }
    }
}

fn multipart_error(e: &axum::extract::multipart::MultipartError, limit: u64) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        too_large(limit)
    } else {
        ApiError::bad_request(format!("malformed multipart body: {}", e.body_text()))
    }
}

pub async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    Query(params): Query<RecordingUploadParams>,
    request: Request,
) -> ApiResult<Response> {
    let (name, file) = read_upload(&state, params.name, request).await?;
    let limit = state.config.max_upload_bytes;
    if file.len() as u64 > limit {
        return Err(too_large(limit));
    }
    let name = name.ok_or_else(|| {
        ApiError::invalid("name", "give the recording a name (form field or ?name=)")
    })?;
    let name = ResourceName::parse(name).map_err(|e| ApiError::invalid("name", e.to_string()))?;
    if storage::recordings::get(&state.db, name.as_str())
        .await?
        .is_some_and(|r| r.recording.name == name)
    {
        return Err(ApiError::conflict(format!("recording {name} already exists")).at("name"));
    }
    let converted = tokio::task::spawn_blocking(move || wav::convert(&file))
        .await
        .map_err(|e| ApiError::internal("WAV conversion panicked", e))?
        .map_err(|e| match e {
            WavError::NotWav | WavError::Unsupported(_) => {
                ApiError::unsupported_media_type(e.to_string()).at("file")
            }
            WavError::Corrupt(_) => ApiError::invalid("file", e.to_string()),
        })?;

    let id = RecordingId::from_random(secrets::random_bytes());
    let file_name = format!("{id}.wav");
    let row = StoredRecording {
        recording: Recording {
            audio_url: format!("/v1/recordings/{id}/audio"),
            id,
            name,
            kind: RecordingKind::Upload,
            duration_ms: converted.duration_ms(),
            size_bytes: converted.wav.len() as u64,
            sample_rate: wav::STORED_RATE,
            channels: 1,
            bits_per_sample: 16,
            source: Some(converted.source),
            created_at: storage::now(),
        },
        file_name: file_name.clone(),
    };
    // The file first, then the row: a row never points to a missing file.
    state
        .media
        .write(&file_name, converted.wav)
        .await
        .map_err(|e| {
            if MediaStore::is_full(&e) {
                tracing::error!(error = %e, "the disk is full: an upload was refused");
                ApiError::insufficient_storage("the disk is full: the recording was not stored")
            } else {
                ApiError::internal("cannot write the recording file", e)
            }
        })?;
    if let Err(e) = storage::recordings::insert(&state.db, &row).await {
        if let Err(rm) = state.media.remove(&file_name).await {
            tracing::warn!(error = %rm, file = %file_name, "cannot remove the file of a failed upload");
        }
        return Err(match e {
            StorageError::Duplicate => {
                ApiError::conflict(format!("recording {} already exists", row.recording.name))
                    .at("name")
            }
            other => other.into(),
        });
    }
    let r = &row.recording;
    tracing::info!(id = %r.id, name = %r.name, duration_ms = r.duration_ms, "recording stored");
    Ok(created(&format!("/v1/recordings/{}", r.id), row.recording))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<RecordingListParams>,
) -> ApiResult<Json<RecordingList>> {
    let page = page_of(params.limit, params.cursor.as_deref())?;
    let (data, last) = storage::recordings::list(&state.db, &page, params.kind).await?;
    Ok(Json(RecordingList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<Recording>> {
    let row = storage::recordings::get(&state.db, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    Ok(Json(row.recording))
}

pub async fn audio(
    State(state): State<AppState>,
    _: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = storage::recordings::get(&state.db, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    wav_file(
        &state,
        &row.file_name,
        &format!("{}.wav", row.recording.name),
    )
    .await
}

/// A stored audio file as a WAV download named `name`.
pub(super) async fn wav_file(state: &AppState, file: &str, name: &str) -> ApiResult<Response> {
    let bytes = tokio::fs::read(state.media.path(file))
        .await
        .map_err(|e| ApiError::internal("cannot read an audio file", e))?;
    let mut response = ([(header::CONTENT_TYPE, "audio/wav")], bytes).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<RecordingUpdate>,
) -> ApiResult<Json<Recording>> {
    let mut row = storage::recordings::get(&state.db, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    if let Some(name) = body.name.filter(|n| *n != row.recording.name) {
        refuse_if_used(&state, &row.recording, "renamed").await?;
        match storage::recordings::rename(&state.db, row.recording.id.as_str(), name.as_str()).await
        {
            Err(StorageError::Duplicate) => {
                return Err(
                    ApiError::conflict(format!("recording {name} already exists")).at("name"),
                );
            }
            Err(e) => return Err(e.into()),
            Ok(false) => return Err(not_found(&id)),
            Ok(true) => row.recording.name = name,
        }
    }
    Ok(Json(row.recording))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let row = storage::recordings::get(&state.db, &id)
        .await?
        .ok_or_else(|| not_found(&id))?;
    refuse_if_used(&state, &row.recording, "deleted").await?;
    // The row first, then the file: a row never points to a missing file.
    if !storage::recordings::delete(&state.db, row.recording.id.as_str()).await? {
        return Err(not_found(&id));
    }
    if let Err(e) = state.media.remove(&row.file_name).await {
        tracing::warn!(error = %e, file = %row.file_name, "cannot remove a deleted recording's file; it is swept at the next start");
    }
    tracing::info!(id = %row.recording.id, name = %row.recording.name, "recording deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// A 409 when IVRs or ring groups play the recording: `what` would break them.
async fn refuse_if_used(state: &AppState, recording: &Recording, what: &str) -> ApiResult<()> {
    let users = storage::references::recording_users(
        &state.db,
        recording.name.as_str(),
        recording.id.as_str(),
    )
    .await?;
    if users.is_empty() {
        Ok(())
    } else {
        Err(ApiError::conflict(format!(
            "recording {} is played by {}: it cannot be {what} until they stop using it",
            recording.name,
            users.join(", ")
        )))
    }
}
