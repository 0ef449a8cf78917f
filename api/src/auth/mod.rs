//! Who is calling: API keys (HTTP Basic `key_id:secret`) and the short-lived JWTs they
//! exchange for (`Authorization: Bearer`).
//!
//! Keys are looked up through a small cache so a busy API does not query the database on
//! every request. A revocation made on this node takes effect at once (the cache entry is
//! dropped); one made on another node sharing the database within [`KEY_CACHE_TTL`].
//! Tokens carry their key id and are refused as soon as that key is revoked. While the
//! database cannot be reached, a key checked in the last [`KEY_CACHE_STALE`] is still
//! known (no key can be revoked meanwhile): metrics and the engine's live-call routes keep
//! answering through a database restart, and the rest say 503, not 401.
//!
//! Guessing is limited per source address (the failure guard the SIP side uses too): a
//! wrong key or secret, a malformed or forged credential counts; no credentials, an
//! expired token or a revoked key's token do not (an honest client meets those). Past
//! the limit the address gets 429 with `Retry-After` until its block ends, whatever it
//! sends — a right guess included, or the block would tell a guesser when it won.

pub mod secrets;

use crate::error::ApiError;
use crate::storage::{self, Db, StorageError};
use axum::extract::FromRequestParts;
use axum::http::{HeaderValue, header, request::Parts};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use contract::models::{Role, TokenResponse};
use contract::types::ApiKeyId;
use engine::guard::{AuthGuard, GuardConfig, Verdict};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long a key looked up in the database is trusted without looking again.
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(5);
const KEY_CACHE_MAX: usize = 10_000;
/// How old a cached key may be and still be used while the database is unavailable: long
/// enough for a database restart or fail-over, short enough that a key revoked on
/// another node just before the outage is not honoured for long.
pub const KEY_CACHE_STALE: Duration = Duration::from_secs(15 * 60);
const ISSUER: &str = "switchboard";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: ApiKeyId,
    pub role: Role,
}

/// An authenticated caller with the admin role; anything else is a 403.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

#[derive(Debug, Clone)]
struct KeyInfo {
    role: Role,
    secret_hash: String,
    revoked: bool,
}

#[derive(Debug)]
struct CacheEntry {
    key: Option<KeyInfo>,
    fetched: Instant,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    iss: String,
    iat: u64,
    exp: u64,
}

/// Checks credentials and issues tokens.
pub struct Authenticator {
    db: Db,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    token_ttl: Duration,
    cache: RwLock<HashMap<String, CacheEntry>>,
    guard: Mutex<AuthGuard>,
}

/// A refused credential, and whether it counts as a guess against its source.
struct Refused {
    error: ApiError,
    guess: bool,
}

impl Refused {
    fn guess(message: &str) -> Self {
        Self {
            error: ApiError::unauthorized(message),
            guess: true,
        }
    }

    fn honest(error: ApiError) -> Self {
        Self {
            error,
            guess: false,
        }
    }
}

impl From<ApiError> for Refused {
    /// A failure that is not the client's (the database): never counted.
    fn from(error: ApiError) -> Self {
        Self::honest(error)
    }
}

/// Addresses followed at most by the guard before it forgets quiet ones.
const GUARD_PRUNE_AT: usize = 10_000;

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("token_ttl", &self.token_ttl)
            .finish_non_exhaustive()
    }
}

const MISSING: &str =
    "missing credentials: send 'Authorization: Bearer <token>' or HTTP Basic key_id:secret";
const WRONG: &str = "invalid API key or secret";

impl Authenticator {
    /// Loads (or creates, on the first start) the token signing key.
    pub async fn new(
        db: Db,
        token_ttl: Duration,
        guard: GuardConfig,
    ) -> Result<Self, StorageError> {
        let secret = storage::settings::get_or_insert(&db, "jwt_signing_key", || {
            hex::encode(secrets::random_bytes::<32>())
        })
        .await?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        Ok(Self {
            db,
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            validation,
            token_ttl,
            cache: RwLock::new(HashMap::new()),
            guard: Mutex::new(AuthGuard::new(guard)),
        })
    }

    /// Checks an `Authorization` header from `source` (None: unknown, not limited).
    pub async fn authenticate(
        &self,
        authorization: Option<&HeaderValue>,
        source: Option<IpAddr>,
    ) -> Result<Caller, ApiError> {
        self.guarded(source, self.check_header(authorization)).await
    }

    /// Exchanges a key and its secret, sent from `source`, for a token.
    pub async fn issue_token(
        &self,
        key_id: &str,
        secret: &str,
        source: Option<IpAddr>,
    ) -> Result<TokenResponse, ApiError> {
        let caller = self
            .guarded(source, self.check_secret(key_id, secret))
            .await?;
        self.token_for(&caller)
    }

    /// Runs `check` unless `source` is blocked; counts its refusal if it was a guess.
    async fn guarded(
        &self,
        source: Option<IpAddr>,
        check: impl Future<Output = Result<Caller, Refused>>,
    ) -> Result<Caller, ApiError> {
        let Some(source) = source else {
            return check.await.map_err(|r| r.error);
        };
        let now = Instant::now();
        if let Some(left) = self
            .guard
            .lock()
            .ok()
            .and_then(|g| g.blocked_for(source, now))
        {
            return Err(blocked(left));
        }
        let refused = match check.await {
            Ok(caller) => return Ok(caller),
            Err(refused) => refused,
        };
        if refused.guess
            && let Ok(mut guard) = self.guard.lock()
        {
            if guard.tracked() > GUARD_PRUNE_AT {
                guard.prune(now);
            }
            if guard.failure(source, now) == Verdict::Blocked {
                tracing::warn!(%source, "too many failed API authentications: source blocked");
                let left = guard.blocked_for(source, now).unwrap_or_default();
                return Err(blocked(left));
            }
        }
        Err(refused.error)
    }

    async fn check_header(&self, authorization: Option<&HeaderValue>) -> Result<Caller, Refused> {
        let value = authorization
            .ok_or_else(|| Refused::honest(ApiError::unauthorized(MISSING)))?
            .to_str()
            .map_err(|_| Refused::guess("malformed Authorization header"))?;
        let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
        let credentials = credentials.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            self.check_token(credentials).await
        } else if scheme.eq_ignore_ascii_case("basic") {
            let decoded = STANDARD
                .decode(credentials)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| Refused::guess("malformed HTTP Basic credentials"))?;
            let (key_id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| Refused::guess("HTTP Basic credentials must be key_id:secret"))?;
            self.check_secret(key_id, secret).await
        } else {
            Err(Refused::honest(ApiError::unauthorized(format!(
                "unsupported authorization scheme '{scheme}': use Bearer or Basic"
            ))))
        }
    }

    fn token_for(&self, caller: &Caller) -> Result<TokenResponse, ApiError> {
        let now = unix_now();
        let ttl = self.token_ttl.as_secs();
        let claims = Claims {
            sub: caller.key_id.to_string(),
            role: caller.role,
            iss: ISSUER.to_owned(),
            iat: now,
            exp: now + ttl,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::internal("cannot sign a token", e))?;
        let expires_at = time::OffsetDateTime::from_unix_timestamp(claims.exp as i64)
            .map(storage::format_timestamp)
            .unwrap_or_default();
        Ok(TokenResponse {
            access_token: token,
            token_type: "Bearer".to_owned(),
            expires_in: ttl,
            expires_at,
        })
    }

    /// Drops a key from the cache (after it was revoked here).
    pub fn forget(&self, key_id: &str) {
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(key_id);
        }
    }

    async fn check_secret(&self, key_id: &str, secret: &str) -> Result<Caller, Refused> {
        let key_id = ApiKeyId::parse(key_id).map_err(|_| Refused::guess(WRONG))?;
        // Unknown key, wrong secret and revoked key get the same answer: nothing tells an
        // attacker which key ids exist.
        let key = self
            .key(&key_id)
            .await?
            .ok_or_else(|| Refused::guess(WRONG))?;
        if !secrets::hashes_equal(&secrets::hash_api_secret(secret), &key.secret_hash)
            || key.revoked
        {
            return Err(Refused::guess(WRONG));
        }
        Ok(Caller {
            key_id,
            role: key.role,
        })
    }

    async fn check_token(&self, token: &str) -> Result<Caller, Refused> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    Refused::honest(ApiError::unauthorized(
                        "the token has expired; get a new one at /v1/auth/token",
                    ))
                }
                _ => Refused::guess("invalid token"),
            })?;
        let key_id =
            ApiKeyId::parse(&data.claims.sub).map_err(|_| Refused::guess("invalid token"))?;
        match self.key(&key_id).await? {
            Some(key) if !key.revoked => Ok(Caller {
                key_id,
                role: key.role,
            }),
            _ => Err(Refused::honest(ApiError::unauthorized(
                "the API key of this token was revoked",
            ))),
        }
    }

    /// The cached lookup of `key_id`, if it was made less than `max_age` ago.
    fn cached(&self, key_id: &ApiKeyId, max_age: Duration) -> Option<Option<KeyInfo>> {
        let cache = self.cache.read().ok()?;
        let entry = cache.get(key_id.as_str())?;
        (entry.fetched.elapsed() < max_age).then(|| entry.key.clone())
    }

    async fn key(&self, key_id: &ApiKeyId) -> Result<Option<KeyInfo>, ApiError> {
        if let Some(key) = self.cached(key_id, KEY_CACHE_TTL) {
            return Ok(key);
        }
        let stored = match storage::api_keys::get(&self.db, key_id).await {
            Err(StorageError::Unavailable(e)) => {
                return match self.cached(key_id, KEY_CACHE_STALE) {
                    Some(key) => {
                        tracing::debug!(%key_id, "database unavailable: the cached key is used");
                        Ok(key)
                    }
                    None => Err(StorageError::Unavailable(e).into()),
                };
            }
            other => other?,
        };
        let key = stored.map(|stored| KeyInfo {
            role: stored.key.role,
            secret_hash: stored.secret_hash,
            revoked: stored.key.revoked_at.is_some(),
        });
        if let Ok(mut cache) = self.cache.write() {
            if cache.len() >= KEY_CACHE_MAX {
                // Bounded against floods of made-up key ids; refilling is cheap.
                cache.clear();
            }
            cache.insert(
                key_id.to_string(),
                CacheEntry {
                    key: key.clone(),
                    fetched: Instant::now(),
                },
            );
        }
        Ok(key)
    }
}

fn blocked(left: Duration) -> ApiError {
    ApiError::rate_limited(
        format!(
            "too many failed authentications from this address: blocked for {} s more",
            left.as_secs().max(1)
        ),
        left.as_secs(),
    )
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl FromRequestParts<crate::AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::AppState,
    ) -> Result<Self, ApiError> {
        let source = crate::extract::client_ip(parts);
        let caller = state
            .auth
            .authenticate(parts.headers.get(header::AUTHORIZATION), source)
            .await?;
        // A calls key reaches the calls and nothing else, whatever the route asks for
        // (the path as requested: a nested router sees it without its prefix).
        if caller.role == Role::Calls {
            let path = parts
                .extensions
                .get::<axum::extract::OriginalUri>()
                .map_or(parts.uri.path(), |u| u.0.path());
            if path != "/v1/calls" && !path.starts_with("/v1/calls/") {
                return Err(ApiError::forbidden(
                    "this API key has the calls role: it may only place, steer and read calls (/v1/calls)",
                ));
            }
        }
        Ok(caller)
    }
}

impl Caller {
    /// This caller if its role is one of `allowed`; a 403 saying what it `cannot` do
    /// otherwise.
    async fn with_role(
        parts: &mut Parts,
        state: &crate::AppState,
        allowed: &[Role],
        cannot: &str,
    ) -> Result<Self, ApiError> {
        let caller = Self::from_request_parts(parts, state).await?;
        if allowed.contains(&caller.role) {
            return Ok(caller);
        }
        Err(ApiError::forbidden(format!(
            "this API key is {}: it cannot {cannot}",
            caller.role.as_str()
        )))
    }
}

/// An authenticated caller that may place and steer calls: the admin and calls roles; a
/// read_only key gets 403.
#[derive(Debug, Clone)]
pub struct Dialer(pub Caller);

impl FromRequestParts<crate::AppState> for Dialer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::AppState,
    ) -> Result<Self, ApiError> {
        let allowed = [Role::Admin, Role::Calls];
        Caller::with_role(parts, state, &allowed, "place or steer calls")
            .await
            .map(Dialer)
    }
}

impl FromRequestParts<crate::AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::AppState,
    ) -> Result<Self, ApiError> {
        let cannot = "change anything or manage API keys";
        Caller::with_role(parts, state, &[Role::Admin], cannot)
            .await
            .map(Admin)
    }
}
