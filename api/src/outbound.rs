//! An extension's `outbound` permission against the route a number leaves through.
//!
//! Toll fraud is calls to expensive destinations made on an extension's behalf, so the
//! permission covers every way an extension can send a call out: the calls its phones
//! place (the `number:` app), its follow-me's outside numbers, and the `number:`
//! destinations its unanswered and busy calls go to. Checked twice: when the setting
//! is saved (a 422 that names it) and when a call uses it, because routes and
//! permissions change after the setting was saved.

use crate::error::{ApiError, ApiResult};
use crate::storage::{self, Db};
use contract::models::{OutboundPermission, OutboundRoute};
use contract::types::{Destination, DialString};

/// Every outbound route, read once for all the numbers one decision checks.
#[derive(Debug)]
pub struct Routes(Vec<OutboundRoute>);

impl Routes {
    pub async fn read(db: &Db) -> storage::Result<Self> {
        Ok(Self(storage::outbound_routes::all(db).await?))
    }

    /// The route `dialled` would leave through when `permission` may not use it
    /// (None: no route takes it, or the permission allows its class).
    pub fn refusing(
        &self,
        permission: OutboundPermission,
        dialled: &str,
    ) -> Option<&OutboundRoute> {
        self.0
            .iter()
            .find(|r| storage::outbound_routes::takes_number(r, dialled))
            .filter(|route| !permission.allows(route.class))
    }

    /// Whether a call on extension `extension`'s behalf may go out to `dialled`; logs
    /// the refusal (a call dropped from a list, or declined) for whoever investigates.
    pub fn allow(
        &self,
        extension: &str,
        permission: OutboundPermission,
        dialled: &str,
        what: &str,
    ) -> bool {
        let Some(route) = self.refusing(permission, dialled) else {
            return true;
        };
        tracing::warn!(
            %extension,
            %dialled,
            route = %route.name,
            class = route.class.as_str(),
            outbound = permission.as_str(),
            "{what} refused: the extension may not use this route"
        );
        false
    }
}

/// The 422 for a setting (`field`) that would send an extension's calls out through a
/// route its permission does not allow.
fn refused(
    field: &str,
    dialled: &str,
    permission: OutboundPermission,
    route: &OutboundRoute,
) -> ApiError {
    ApiError::invalid(
        field,
        format!(
            "{dialled} leaves through route {} ({}), which the extension's outbound \
             permission ({}) does not allow",
            route.name,
            route.class.as_str(),
            permission.as_str()
        ),
    )
}

/// The first of a follow-me's `numbers` the permission does not allow, with its index
/// and route (extensions among them are internal calls: always allowed).
async fn first_refused(
    db: &Db,
    permission: OutboundPermission,
    numbers: &[DialString],
) -> storage::Result<Option<(usize, OutboundRoute)>> {
    let routes = Routes::read(db).await?;
    for (i, n) in numbers.iter().enumerate() {
        if let Some(route) = routes.refusing(permission, n.as_str())
            && !storage::extensions::exists(db, n.as_str()).await?
        {
            return Ok(Some((i, route.clone())));
        }
    }
    Ok(None)
}

/// A 422 naming `field[i]` for the first of a follow-me's `numbers` the permission
/// does not allow.
pub async fn check_numbers(
    db: &Db,
    field: &str,
    permission: OutboundPermission,
    numbers: &[DialString],
) -> ApiResult<()> {
    match first_refused(db, permission, numbers).await? {
        Some((i, route)) => Err(refused(
            &format!("{field}[{i}]"),
            numbers[i].as_str(),
            permission,
            &route,
        )),
        None => Ok(()),
    }
}

/// A 422 naming `field` when `destination` is a number the permission does not allow.
pub async fn check_destination(
    db: &Db,
    field: &str,
    permission: OutboundPermission,
    destination: &Destination,
) -> ApiResult<()> {
    if let Destination::Number(n) = destination
        && let Some(route) = Routes::read(db).await?.refusing(permission, n.as_str())
    {
        return Err(refused(field, n.as_str(), permission, route));
    }
    Ok(())
}

/// A 422 naming `outbound` when narrowing extension `number`'s permission to
/// `permission` would leave its follow-me calling a number it no longer allows.
pub async fn check_follow_me(
    db: &Db,
    number: &str,
    permission: OutboundPermission,
) -> ApiResult<()> {
    let Some(fm) = storage::follow_me::get(db, number).await? else {
        return Ok(());
    };
    match first_refused(db, permission, &fm.numbers).await? {
        Some((i, route)) => {
            let e = refused("outbound", fm.numbers[i].as_str(), permission, &route);
            Err(ApiError::invalid(
                "outbound",
                format!(
                    "follow-me numbers[{i}]: {}; change the follow-me first",
                    e.message
                ),
            ))
        }
        None => Ok(()),
    }
}
