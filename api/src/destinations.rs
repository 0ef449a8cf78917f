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
        // These resources arrive with the PBX features; until then nothing can exist.
        Destination::RingGroup(_)
        | Destination::Queue(_)
        | Destination::Ivr(_)
        | Destination::DayNight(_)
        | Destination::TimeCondition(_) => {
            let kind = destination.kind();
            missing(format!(
                "{} {} does not exist",
                kind.noun(),
                destination.target()
            ))
        }
    }
}

/// Refuses to delete an object that destinations still point to: a 409 listing them.
/// `except` is the object itself (`extensions/101` may point to its own mailbox).
pub async fn ensure_unreferenced(
    db: &Db,
    what: &str,
    targets: &[Destination],
    except: Option<&str>,
) -> ApiResult<()> {
    let strings: Vec<String> = targets.iter().map(ToString::to_string).collect();
    let mut referrers = storage::references::referrers(db, &strings).await?;
    referrers.retain(|r| Some(r.as_str()) != except);
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
