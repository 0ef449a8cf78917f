//! Feature codes dialled from phones, as apps: `*21` turns the caller's follow-me on
//! or off, `*27<id>` overrides time condition `<id>` (or removes its override),
//! `*28<index>` switches day/night `<index>` (after its PIN, when it has one). Each
//! says what it did and hangs up.

use super::schedule;
use super::{AppResult, Apps, Call, Document, missing, spelled, tell};
use crate::auth::secrets;
use crate::extract::Path;
use crate::storage;
use axum::extract::State;
use contract::models::{ConditionState, DayNightMode, Feature, FeatureCode};
use serde_json::json;

/// The app a dialled `*…` string reaches (relative to `/apps/`), if a feature code in
/// force starts it: `*280` is `feature/daynight/0`.
pub fn path_of(codes: &[FeatureCode], dialled: &str) -> Option<String> {
    codes.iter().filter(|c| c.enabled).find_map(|c| {
        let rest = dialled.strip_prefix(c.code.as_str())?;
        match c.feature {
            Feature::FollowmeToggle if rest.is_empty() => Some("feature/followme".to_owned()),
            Feature::VoicemailListen if rest.is_empty() => Some("feature/voicemail".to_owned()),
            Feature::VoicemailOther if rest.is_empty() => {
                Some("feature/voicemail/other".to_owned())
            }
            Feature::QueueAgentToggle if rest.is_empty() => Some("feature/queue-agent".to_owned()),
            Feature::DaynightToggle
                if rest.len() == 1 && rest.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some(format!("feature/daynight/{rest}"))
            }
            Feature::TimeconditionToggle
                if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Some(format!("feature/timecondition/{rest}"))
            }
            _ => None,
        }
    })
}

pub async fn serve_follow_me(State(apps): State<Apps>, Call(call): Call) -> AppResult {
    let Some(extension) = call.from.filter(|f| !f.is_empty()) else {
        return Ok(Document(tell(
            "Follow me can only be changed from an extension.",
        )));
    };
    match storage::follow_me::toggle(&apps.db, &extension, &storage::now()).await? {
        Some(on) => {
            tracing::info!(%extension, enabled = on, "follow-me toggled from the phone");
            let state = if on { "on" } else { "off" };
            Ok(Document(tell(&format!("Follow me is now {state}."))))
        }
        None => Ok(Document(tell(
            "Follow me is not set up for your extension.",
        ))),
    }
}

/// `*28<index>`: the PIN asked first when the switch has one.
pub async fn serve_daynight(
    State(apps): State<Apps>,
    Path(index): Path<u8>,
    Call(_): Call,
) -> AppResult {
    let switch = storage::daynight::get(&apps.db, index)
        .await?
        .ok_or_else(|| missing(&format!("day/night switch {index}")))?;
    if switch.pin_hash.is_some() {
        return Ok(Document(json!([
            {"verb": "gather", "timeout": 10, "finish_on_key": "#",
             "action": format!("/apps/feature/daynight/{index}/pin"),
             "prompts": [{"verb": "say", "text": "Please enter the PIN, then press hash."}]},
            {"verb": "say", "text": "No PIN entered. Goodbye."},
            {"verb": "hangup"},
        ])));
    }
    toggle_daynight(&apps, index).await
}

pub async fn serve_daynight_pin(
    State(apps): State<Apps>,
    Path(index): Path<u8>,
    Call(call): Call,
) -> AppResult {
    let switch = storage::daynight::get(&apps.db, index)
        .await?
        .ok_or_else(|| missing(&format!("day/night switch {index}")))?;
    let pin = call.digits.unwrap_or_default();
    let right = switch
        .pin_hash
        .as_deref()
        .is_none_or(|hash| secrets::verify_pin(&pin, hash));
    if !right {
        tracing::warn!(index, from = ?call.from, "wrong day/night PIN");
        return Ok(Document(tell("That PIN is not correct. Goodbye.")));
    }
    toggle_daynight(&apps, index).await
}

async fn toggle_daynight(apps: &Apps, index: u8) -> AppResult {
    let switch = storage::daynight::toggle(&apps.db, index, &storage::now())
        .await?
        .ok_or_else(|| missing(&format!("day/night switch {index}")))?;
    let mode = match switch.switch.mode {
        DayNightMode::Day => "day",
        DayNightMode::Night => "night",
    };
    tracing::info!(index, mode, "day/night toggled from a phone");
    Ok(Document(tell(&format!(
        "Day night {} is now in {mode} mode.",
        spelled(&index.to_string())
    ))))
}

pub async fn serve_time_condition(
    State(apps): State<Apps>,
    Path(id): Path<String>,
    Call(_): Call,
) -> AppResult {
    let mut c = storage::time_conditions::get(&apps.db, &id)
        .await?
        .ok_or_else(|| missing(&format!("time condition {id}")))?;
    let now = apps.clock.now();
    let schedule = super::time_condition::schedule_of(&c)?;
    c.r#override = schedule::toggled(&schedule, c.r#override.as_ref(), now);
    c.updated_at = storage::now();
    storage::time_conditions::update(&apps.db, &c).await?;
    let state = schedule::state(&schedule, c.r#override.as_ref(), now);
    tracing::info!(%id, state = state.as_str(), overridden = c.r#override.is_some(), "time condition toggled from a phone");
    let what = match (&c.r#override, state) {
        (None, _) => "follows its schedule again",
        (Some(_), ConditionState::Match) => "is now forced to match",
        (Some(_), ConditionState::NoMatch) => "is now forced not to match",
    };
    Ok(Document(tell(&format!(
        "Time condition {} {what}.",
        spelled(&id)
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::types::FeatureCodeString;

    fn codes() -> Vec<FeatureCode> {
        Feature::ALL
            .into_iter()
            .map(|f| FeatureCode {
                feature: f,
                code: FeatureCodeString::parse(f.default_code()).unwrap(),
                enabled: true,
                takes_target: f.takes_target(),
                description: String::new(),
            })
            .collect()
    }

    #[test]
    fn dialled_codes_reach_their_apps() {
        let c = codes();
        assert_eq!(path_of(&c, "*280").as_deref(), Some("feature/daynight/0"));
        assert_eq!(path_of(&c, "*21").as_deref(), Some("feature/followme"));
        assert_eq!(
            path_of(&c, "*272").as_deref(),
            Some("feature/timecondition/2")
        );
        assert_eq!(path_of(&c, "*28"), None, "no index");
        assert_eq!(path_of(&c, "*2812"), None, "one digit only");
        assert_eq!(path_of(&c, "*211"), None);
        assert_eq!(path_of(&c, "*99"), None);
        assert_eq!(path_of(&c, "*97").as_deref(), Some("feature/voicemail"));
        assert_eq!(
            path_of(&c, "*98").as_deref(),
            Some("feature/voicemail/other")
        );
    }

    #[test]
    fn changed_and_disabled_codes_are_followed() {
        let mut c = codes();
        c[2].code = FeatureCodeString::parse("*48").unwrap();
        c[0].enabled = false;
        assert_eq!(path_of(&c, "*481").as_deref(), Some("feature/daynight/1"));
        assert_eq!(path_of(&c, "*281"), None);
        assert_eq!(path_of(&c, "*21"), None);
    }
}
