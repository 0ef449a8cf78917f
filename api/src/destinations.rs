//! Checking that a destination points to something that exists, and finding what points
//! to an object before it is deleted.

use crate::error::{ApiError, ApiResult};
use crate::storage::{self, Db};
use contract::types::Destination;

/// A 422 naming `field` unless `destination`'s target exists (and, for a mailbox, has
/// voicemail enabled).
pub async fn check(db: &Db, field: &str, destination: &Destination) -> ApiResult<()> {
    let missing = |what: String| Err(ApiError::invalid(field, what));
    match destination {
        Destination::Hangup | Destination::Url(_) | Destination::Number(_) => Ok(()),
        Destination::Extension(n) => {
            if storage::extensions::exists(db, n.as_str()).await? {
                Ok(())
            } else {
                missing(format!("extension {n} does not exist"))
            }
        }
        Destination::Voicemail(n) => {
            match storage::extensions::has_voicemail(db, n.as_str()).await? {
                Some(true) => Ok(()),
                Some(false) => missing(format!("extension {n} does not have voicemail enabled")),
                None => missing(format!("mailbox {n} does not exist (no such extension)")),
            }
        }
        Destination::App(id) => {
            if storage::applications::exists(db, id.as_str()).await? {
                Ok(())
            } else {
                missing(format!("application {id} does not exist"))
            }
        }
        Destination::RingGroup(n) => exists(
            storage::ring_groups::exists(db, n.as_str()).await?,
            field,
            destination,
        ),
        Destination::Ivr(name) => exists(
            storage::ivrs::exists(db, name.as_str()).await?,
            field,
            destination,
        ),
        Destination::DayNight(i) => exists(
            storage::daynight::get(db, *i).await?.is_some(),
            field,
            destination,
        ),
        Destination::TimeCondition(id) => exists(
            storage::time_conditions::get(db, id.as_str())
                .await?
                .is_some(),
            field,
            destination,
        ),
        Destination::Queue(name) => exists(
            storage::queues::exists(db, name.as_str()).await?,
            field,
            destination,
        ),
    }
}

fn exists(found: bool, field: &str, destination: &Destination) -> ApiResult<()> {
    if found {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!(
                "{} {} does not exist",
                destination.kind().noun(),
                destination.target()
            ),
        ))
    }
}

/// A 409 naming `field` when `number` is a ring group's: phones dial extensions and
/// ring groups the same way.
pub async fn not_a_ring_group(
    db: &Db,
    number: &contract::types::ExtensionNumber,
    field: &str,
) -> ApiResult<()> {
    if storage::ring_groups::exists(db, number.as_str()).await? {
        return Err(
            ApiError::conflict(format!("{number} is the number of ring group {number}")).at(field),
        );
    }
    Ok(())
}

/// A 409 naming `field` when `number` is a queue's (other than `except`).
pub async fn not_a_queue(
    db: &Db,
    number: &contract::types::ExtensionNumber,
    field: &str,
    except: Option<&str>,
) -> ApiResult<()> {
    match storage::queues::by_number(db, number.as_str()).await? {
        Some(queue) if Some(queue.as_str()) != except => {
            Err(ApiError::conflict(format!("{number} is the number of queue {queue}")).at(field))
        }
        _ => Ok(()),
    }
}

/// A 409 naming `field` when `number` is an extension's.
pub async fn not_an_extension(
    db: &Db,
    number: &contract::types::ExtensionNumber,
    field: &str,
) -> ApiResult<()> {
    if storage::extensions::exists(db, number.as_str()).await? {
        return Err(
            ApiError::conflict(format!("{number} is the number of extension {number}")).at(field),
        );
    }
    Ok(())
}

/// Refuses to delete an object that destinations still point to: a 409 listing them.
/// `except` is the object itself and what goes with it (`extensions/101` may point to
/// its own mailbox, its own `follow-me/101` may list it).
pub async fn ensure_unreferenced(
    db: &Db,
    what: &str,
    targets: &[Destination],
    except: &[String],
) -> ApiResult<()> {
    let strings: Vec<String> = targets.iter().map(ToString::to_string).collect();
    let mut referrers = storage::references::referrers(db, &strings).await?;
    for target in targets {
        if let Destination::Extension(n) = target {
            referrers.extend(storage::references::member_of(db, n.as_str()).await?);
        }
    }
    referrers.retain(|r| !except.contains(r));
    if referrers.is_empty() {
        Ok(())
    } else {
        Err(ApiError::conflict(format!(
            "{what} is still used by {}; change those first",
            referrers.join(", ")
        )))
    }
}

/// The destinations that name extension `number` (as a phone and as a mailbox).
pub fn of_extension(number: &contract::types::ExtensionNumber) -> Vec<Destination> {
    vec![
        Destination::Extension(number.clone()),
        Destination::Voicemail(number.clone()),
    ]
}

/// A number a ring group or a follow-me rings: an extension, or a number an outbound
/// route takes.
pub async fn check_member(
    db: &Db,
    field: &str,
    number: &contract::types::DialString,
) -> ApiResult<()> {
    if storage::extensions::exists(db, number.as_str()).await? {
        return Ok(());
    }
    if storage::outbound_routes::takes(db, number.as_str()).await? {
        return Ok(());
    }
    Err(ApiError::invalid(
        field,
        format!("{number} is neither an extension nor a number an outbound route takes"),
    ))
}

/// A list of numbers to ring: `min` to `max` of them, no repeats, each one ringable.
pub async fn check_members(
    db: &Db,
    field: &str,
    numbers: &[contract::types::DialString],
    max: usize,
) -> ApiResult<()> {
    if numbers.is_empty() || numbers.len() > max {
        return Err(ApiError::invalid(field, format!("give 1 to {max} numbers")));
    }
    for (i, n) in numbers.iter().enumerate() {
        let at = format!("{field}[{i}]");
        if numbers[..i].contains(n) {
            return Err(ApiError::invalid(at, format!("{n} is listed twice")));
        }
        check_member(db, &at, n).await?;
    }
    Ok(())
}

/// A recording named in a PBX setting must exist.
pub async fn check_recording(
    db: &Db,
    field: &str,
    name: &contract::types::ResourceName,
) -> ApiResult<()> {
    if storage::recordings::get(db, name.as_str()).await?.is_some() {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!("recording {name} does not exist"),
        ))
    }
}

/// An announcement's recording must exist.
pub async fn check_announcement(
    db: &Db,
    field: &str,
    announcement: &contract::types::Announcement,
) -> ApiResult<()> {
    match &announcement.recording {
        Some(name) => check_recording(db, &format!("{field}.recording"), name).await,
        None => Ok(()),
    }
}

/// The application named at `field` to be told of `events` (voicemail messages, a
/// trunk's changes) exists and has a status callback to receive them.
pub async fn check_told_application(
    db: &Db,
    field: &str,
    id: &contract::types::ApplicationId,
    events: &str,
) -> ApiResult<()> {
    match storage::applications::get(db, id.as_str()).await? {
        None => Err(ApiError::invalid(
            field,
            format!("application {id} does not exist"),
        )),
        Some(app) if app.status_callback.is_none() => Err(ApiError::invalid(
            field,
            format!("application {id} has no status_callback to receive {events}"),
        )),
        Some(_) => Ok(()),
    }
}
