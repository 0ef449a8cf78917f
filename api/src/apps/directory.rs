//! Which application answers for a dialled number or a destination: a built-in app at
//! its URL (signed with the apps' secret), or a user's application.

use super::Link;
use crate::storage::{self, Db, StorageError};
use contract::models::applications::WebhookMethod;
use contract::types::Destination;
use engine::store::{AppWebhooks, InboundReach, Origin, WebhookPolicy};
use std::time::Duration;

/// The application id the built-in apps go by in logs.
pub const BUILTIN: &str = "builtin";

/// The built-in app at `path` (relative to `/apps/`).
pub fn builtin(link: &Link, path: &str) -> AppWebhooks {
    AppWebhooks {
        application_id: BUILTIN.to_owned(),
        voice_url: link.url(path),
        method: WebhookMethod::Post,
        fallback_url: None,
        status_callback: None,
        secret: link.secret.clone(),
        policy: WebhookPolicy::default(),
    }
}

/// A URL that answers without being an application (a `url:` destination, a call placed
/// with only its document): signed with the secret of URL destinations, never the
/// apps' own.
pub fn url_app(link: &Link, voice_url: url::Url) -> AppWebhooks {
    let mut app = builtin(link, "");
    app.application_id = storage::settings::URL_APPLICATION.to_owned();
    app.secret = link.url_secret.clone();
    app.voice_url = voice_url;
    app
}

/// Where a number dialled by `origin` leads. From a phone: an extension, a ring group,
/// a queue, a feature code, an inbound number's destination, then the outbound routes.
/// From a trunk: its inbound numbers, and when it reaches `internal`, what a phone
/// reaches but the feature codes (they act for the caller's own extension). From
/// nobody identified: the inbound numbers marked public.
pub async fn route(
    db: &Db,
    link: &Link,
    dialled: &str,
    origin: Origin<'_>,
) -> Result<Option<AppWebhooks>, StorageError> {
    let internal = match origin {
        Origin::Extension => true,
        Origin::Trunk { reach, .. } => reach == InboundReach::Internal,
        Origin::Anonymous => false,
    };
    if !internal {
        return match storage::numbers::get(db, dialled).await? {
            Some(number) if number.public || origin != Origin::Anonymous => {
                destination(db, link, &number.destination).await
            }
            _ => Ok(None),
        };
    }
    if storage::extensions::exists(db, dialled).await? {
        return Ok(Some(builtin(link, &format!("extension/{dialled}"))));
    }
    if storage::ring_groups::exists(db, dialled).await? {
        return Ok(Some(builtin(link, &format!("ringgroup/{dialled}"))));
    }
    if let Some(queue) = storage::queues::by_number(db, dialled).await? {
        return Ok(Some(builtin(link, &format!("queue/{queue}"))));
    }
    if dialled.starts_with('*') {
        if origin != Origin::Extension {
            return Ok(None);
        }
        let codes = storage::feature_codes::all(db).await?;
        return Ok(super::features::path_of(&codes, dialled).map(|p| builtin(link, &p)));
    }
    if let Some(number) = storage::numbers::get(db, dialled).await? {
        return destination(db, link, &number.destination).await;
    }
    if storage::outbound_routes::takes(db, dialled).await? {
        return Ok(Some(builtin(link, &format!("number/{dialled}"))));
    }
    Ok(None)
}

/// The application answering for `destination` (None: its target does not exist).
pub async fn destination(
    db: &Db,
    link: &Link,
    destination: &Destination,
) -> Result<Option<AppWebhooks>, StorageError> {
    let target = destination.target();
    let exists = match destination {
        Destination::App(id) => return application(db, id.as_str()).await,
        Destination::Url(url) => {
            let url = url::Url::parse(url.as_str()).map_err(|e| StorageError::Corrupt {
                table: "destinations",
                message: format!("{url}: {e}"),
            })?;
            return Ok(Some(url_app(link, url)));
        }
        Destination::Hangup => true,
        Destination::Number(_) => true,
        Destination::Extension(n) => storage::extensions::exists(db, n.as_str()).await?,
        Destination::Voicemail(n) => {
            storage::extensions::has_voicemail(db, n.as_str()).await? == Some(true)
        }
        Destination::RingGroup(n) => storage::ring_groups::exists(db, n.as_str()).await?,
        Destination::Ivr(name) => storage::ivrs::exists(db, name.as_str()).await?,
        Destination::DayNight(i) => storage::daynight::get(db, *i).await?.is_some(),
        Destination::TimeCondition(id) => storage::time_conditions::get(db, id.as_str())
            .await?
            .is_some(),
        Destination::Queue(name) => storage::queues::exists(db, name.as_str()).await?,
    };
    if !exists {
        return Ok(None);
    }
    let prefix = destination.kind().prefix();
    let path = match destination {
        Destination::Hangup => "hangup".to_owned(),
        _ => format!("{prefix}/{target}"),
    };
    Ok(Some(builtin(link, &path)))
}

/// How to reach application `id` (its URLs, secret, timeouts and retries).
pub async fn application(db: &Db, id: &str) -> Result<Option<AppWebhooks>, StorageError> {
    let Some(app) = storage::applications::get(db, id).await? else {
        return Ok(None);
    };
    let Some(secret) = storage::applications::signing_secret(db, id).await? else {
        return Ok(None);
    };
    let parse = |u: &str| {
        url::Url::parse(u).map_err(|e| StorageError::Corrupt {
            table: "applications",
            message: format!("{u}: {e}"),
        })
    };
    Ok(Some(AppWebhooks {
        application_id: app.id.to_string(),
        voice_url: parse(app.voice_url.as_str())?,
        method: app.voice_method,
        fallback_url: app
            .fallback_url
            .as_ref()
            .map(|u| parse(u.as_str()))
            .transpose()?,
        status_callback: app
            .status_callback
            .as_ref()
            .map(|u| parse(u.as_str()))
            .transpose()?,
        secret,
        policy: WebhookPolicy {
            connect_timeout: Duration::from_millis(u64::from(app.webhook.connect_timeout_ms)),
            read_timeout: Duration::from_millis(u64::from(app.webhook.read_timeout_ms)),
            retries: app.webhook.retries,
            retry_on: app.webhook.retry_on,
        },
    }))
}
