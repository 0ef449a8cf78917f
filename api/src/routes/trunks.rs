//! `/v1/trunks`: SIP links to providers and other servers.

use super::{created, next_cursor};
use crate::AppState;
use crate::auth::{Admin, Caller};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Query, page_request};
use crate::storage::{self, StorageError, trunks::StoredTrunk};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use contract::models::{ListParams, Transport, Trunk, TrunkCreate, TrunkList, TrunkUpdate};

/// Seconds asked for a registration to a trunk's peer, unless the trunk says otherwise.
const DEFAULT_REGISTER_EXPIRY: u32 = 300;

/// Seconds a silent trunk is waited for before the route's next one, unless the trunk
/// says otherwise.
const DEFAULT_SILENCE_TIMEOUT: u32 = 5;

fn not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("trunk {name} does not exist"))
}

/// Rules that involve several fields.
fn validate(row: &StoredTrunk) -> ApiResult<()> {
    let t = &row.trunk;
    if t.port == 0 {
        return Err(ApiError::invalid("port", "must be 1 to 65535"));
    }
    if t.transport == Transport::Tls {
        return Err(ApiError::invalid(
            "transport",
            "TLS trunks are not available yet: use udp or tcp",
        ));
    }
    if row.password.is_some() && t.username.is_none() {
        return Err(ApiError::invalid("username", "a password needs a username"));
    }
    if t.register && (t.username.is_none() || row.password.is_none()) {
        return Err(ApiError::invalid(
            "register",
            "registering to the peer needs a username and a password",
        ));
    }
    match (&t.inbound_username, &row.inbound_password) {
        (Some(_), None) => Err(ApiError::invalid(
            "inbound_password",
            "inbound_username needs an inbound_password",
        )),
        (None, Some(_)) => Err(ApiError::invalid(
            "inbound_username",
            "inbound_password needs an inbound_username",
        )),
        _ => Ok(()),
    }?;
    if !(1..=60).contains(&t.silence_timeout) {
        return Err(ApiError::invalid(
            "silence_timeout",
            "must be 1 to 60 seconds",
        ));
    }
    if !(60..=86_400).contains(&t.register_expiry) {
        return Err(ApiError::invalid(
            "register_expiry",
            "must be 60 to 86400 seconds",
        ));
    }
    if let Some(i) = t.options_interval
        && !(1..=3600).contains(&i)
    {
        return Err(ApiError::invalid(
            "options_interval",
            "must be 1 to 3600 seconds",
        ));
    }
    if let Some(m) = t.max_channels
        && !(1..=100_000).contains(&m)
    {
        return Err(ApiError::invalid("max_channels", "must be 1 to 100000"));
    }
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    Admin(_): Admin,
    JsonBody(body): JsonBody<TrunkCreate>,
) -> ApiResult<Response> {
    let now = storage::now();
    let mut row = StoredTrunk {
        trunk: Trunk {
            name: body.name,
            host: body.host,
            port: body.port.unwrap_or(body.transport.default_port()),
            transport: body.transport,
            username: body.username,
            password_set: false,
            register: body.register,
            register_expiry: body.register_expiry.unwrap_or(DEFAULT_REGISTER_EXPIRY),
            options_interval: body.options_interval,
            inbound_username: body.inbound_username,
            inbound_password_set: false,
            inbound_auth: body.inbound_auth,
            inbound_reach: body.inbound_reach,
            inbound_number: body.inbound_number,
            inbound_strip_prefix: body.inbound_strip_prefix,
            status: Default::default(),
            max_channels: body.max_channels,
            caller_id: body.caller_id,
            caller_id_rule: body.caller_id_rule,
            from_user: body.from_user,
            from_host: body.from_host,
            asserted_identity: body.asserted_identity,
            diversion: body.diversion.unwrap_or(true),
            silence_timeout: body.silence_timeout.unwrap_or(DEFAULT_SILENCE_TIMEOUT),
            application_id: body.application_id,
            enabled: body.enabled.unwrap_or(true),
            created_at: now.clone(),
            updated_at: now,
        },
        password: body.password,
        inbound_password: body.inbound_password,
    };
    row.sync_flags();
    validate(&row)?;
    if let Some(app) = &row.trunk.application_id {
        crate::destinations::check_told_application(
            &state.db,
            "application_id",
            app,
            "trunk events",
        )
        .await?;
    }
    let name = row.trunk.name.clone();
    match storage::trunks::insert(&state.db, &row).await {
        Err(StorageError::Duplicate) => {
            Err(ApiError::conflict(format!("trunk {name} already exists")).at("name"))
        }
        other => other.map_err(ApiError::from),
    }?;
    tracing::info!(%name, host = %row.trunk.host, "trunk created");
    state.engine.trunks_changed();
    Ok(created(&format!("/v1/trunks/{name}"), row.trunk))
}

pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<TrunkList>> {
    let (mut data, last) = storage::trunks::list(&state.db, &page_request(&params)?).await?;
    for trunk in &mut data {
        trunk.status = state.engine.trunk_status(trunk.name.as_str());
    }
    Ok(Json(TrunkList {
        data,
        next_cursor: next_cursor(last.as_deref()),
    }))
}

pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    Path(name): Path<String>,
) -> ApiResult<Json<Trunk>> {
    let row = storage::trunks::get(&state.db, &name)
        .await?
        .ok_or_else(|| not_found(&name))?;
    let mut trunk = row.trunk;
    trunk.status = state.engine.trunk_status(trunk.name.as_str());
    Ok(Json(trunk))
}

pub async fn update(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(name): Path<String>,
    JsonBody(body): JsonBody<TrunkUpdate>,
) -> ApiResult<Json<Trunk>> {
    let mut row = storage::trunks::get(&state.db, &name)
        .await?
        .ok_or_else(|| not_found(&name))?;
    let t = &mut row.trunk;
    if let Some(host) = body.host {
        t.host = host;
    }
    if let Some(transport) = body.transport {
        t.transport = transport;
    }
    // Clearing the port goes back to the transport's default.
    t.port = body
        .port
        .apply(Some(t.port))
        .unwrap_or(t.transport.default_port());
    t.username = body.username.apply(t.username.take());
    if let Some(register) = body.register {
        t.register = register;
    }
    t.register_expiry = body
        .register_expiry
        .apply(Some(t.register_expiry))
        .unwrap_or(DEFAULT_REGISTER_EXPIRY);
    t.options_interval = body.options_interval.apply(t.options_interval.take());
    t.inbound_username = body.inbound_username.apply(t.inbound_username.take());
    if let Some(auth) = body.inbound_auth {
        t.inbound_auth = auth;
    }
    if let Some(reach) = body.inbound_reach {
        t.inbound_reach = reach;
    }
    if let Some(number) = body.inbound_number {
        t.inbound_number = number;
    }
    t.inbound_strip_prefix = body
        .inbound_strip_prefix
        .apply(t.inbound_strip_prefix.take());
    t.max_channels = body.max_channels.apply(t.max_channels.take());
    t.caller_id = body.caller_id.apply(t.caller_id.take());
    if let Some(rule) = body.caller_id_rule {
        t.caller_id_rule = rule;
    }
    t.from_user = body.from_user.apply(t.from_user.take());
    t.from_host = body.from_host.apply(t.from_host.take());
    if let Some(pai) = body.asserted_identity {
        t.asserted_identity = pai;
    }
    if let Some(diversion) = body.diversion {
        t.diversion = diversion;
    }
    t.application_id = body.application_id.apply(t.application_id.take());
    t.silence_timeout = body
        .silence_timeout
        .apply(Some(t.silence_timeout))
        .unwrap_or(DEFAULT_SILENCE_TIMEOUT);
    if let Some(enabled) = body.enabled {
        t.enabled = enabled;
    }
    t.updated_at = storage::now();
    row.password = body.password.apply(row.password.take());
    row.inbound_password = body.inbound_password.apply(row.inbound_password.take());
    row.sync_flags();
    validate(&row)?;
    if let Some(app) = &row.trunk.application_id {
        crate::destinations::check_told_application(
            &state.db,
            "application_id",
            app,
            "trunk events",
        )
        .await?;
    }
    if !storage::trunks::update(&state.db, &row).await? {
        return Err(not_found(&name));
    }
    state.engine.trunks_changed();
    let mut trunk = row.trunk;
    trunk.status = state.engine.trunk_status(trunk.name.as_str());
    Ok(Json(trunk))
}

pub async fn delete(
    State(state): State<AppState>,
    Admin(_): Admin,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    let in_use = |routes: Vec<String>| {
        ApiError::conflict(format!(
            "trunk {name} is used by outbound route(s) {}; remove it from them first",
            routes.join(", ")
        ))
    };
    let routes = storage::trunks::used_by_routes(&state.db, &name).await?;
    if !routes.is_empty() {
        return Err(in_use(routes));
    }
    match storage::trunks::delete(&state.db, &name).await {
        Ok(true) => {}
        Ok(false) => return Err(not_found(&name)),
        // A route took the trunk between our check and the delete.
        Err(StorageError::ForeignKey) => {
            return Err(in_use(
                storage::trunks::used_by_routes(&state.db, &name).await?,
            ));
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(%name, "trunk deleted");
    state.engine.trunks_changed();
    Ok(StatusCode::NO_CONTENT)
}
