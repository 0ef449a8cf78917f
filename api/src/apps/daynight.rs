//! `/apps/daynight/{index}`: a day/night switch sends the call to its day or its night
//! destination, as its mode (kept in the database) says.

use super::{AppResult, Apps, Call, Document, go, missing};
use crate::storage;
use axum::extract::{Path, State};
use contract::models::{DayNight, DayNightMode};
use serde_json::Value;

/// Where the switch sends calls now.
pub fn route(switch: &DayNight) -> Value {
    match switch.mode {
        DayNightMode::Day => go(&switch.day_destination),
        DayNightMode::Night => go(&switch.night_destination),
    }
}

pub async fn serve(
    State(apps): State<Apps>,
    Path(index): Path<String>,
    Call(_): Call,
) -> AppResult {
    let what = format!("day/night switch {index}");
    let index: u8 = index.parse().map_err(|_| missing(&what))?;
    let switch = storage::daynight::get(&apps.db, index)
        .await?
        .ok_or_else(|| missing(&what))?;
    Ok(Document(route(&switch.switch)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::types::{Destination, DisplayName};

    #[test]
    fn the_mode_picks_the_destination() {
        let mut s = DayNight {
            index: 0,
            name: DisplayName::parse("Pierre").unwrap(),
            mode: DayNightMode::Day,
            day_destination: Destination::parse("ivr:VoicemailCenter").unwrap(),
            night_destination: Destination::parse("voicemail:57443").unwrap(),
            pin_set: false,
            created_at: String::new(),
            updated_at: String::new(),
        };
        assert_eq!(route(&s)[0]["destination"], "ivr:VoicemailCenter");
        s.mode = DayNightMode::Night;
        assert_eq!(route(&s)[0]["destination"], "voicemail:57443");
    }
}
