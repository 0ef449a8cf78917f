//! `/apps/ringgroup/{number}`: a call to a ring group. Its announcement plays (the
//! caller is answered for it), then its members ring by its strategy for its ring time
//! with the caller's name prefixed on their phones, the caller hearing the group's
//! music or the members' ringing; nobody answering sends the call to the group's
//! no-answer destination. Members with call waiting off who are on a call are left
//! out. `…/after` receives the dial's outcome.

use super::{AppResult, Apps, Call, CallFields, Document, announce, go, missing, unanswered};
use crate::storage;
use axum::extract::{Path, State};
use contract::models::RingGroup;
use contract::types::DisplayName;
use serde_json::{Value, json};

/// The document of a new call to `group`, ringing `members` (the group's members that
/// can take a call now) for a caller known by `fields`.
pub fn ring(group: &RingGroup, members: &[String], fields: &CallFields) -> Value {
    let mut verbs = Vec::new();
    if let Some(a) = &group.announcement {
        verbs.push(announce(a));
    }
    let targets: Vec<Value> = members
        .iter()
        .map(|m| json!({"type": "number", "number": m}))
        .collect();
    if targets.is_empty() {
        verbs.extend(
            after(group, "no-answer")
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        return Value::Array(verbs);
    }
    let mut dial = json!({
        "verb": "dial",
        "targets": targets,
        "strategy": group.strategy.as_str(),
        "timeout": group.ring_time.seconds(),
        "action": format!("/apps/ringgroup/{}/after", group.number),
    });
    if let Some(name) = shown_name(group, fields) {
        dial["caller_name"] = json!(name);
    }
    match &group.music {
        Some(music) => dial["ringback"] = json!({"recording": music.as_str()}),
        // Nothing played yet: the caller hears the members' own ringing, unanswered.
        None if group.announcement.is_none() => dial["answer_on_bridge"] = json!(true),
        None => {}
    }
    verbs.push(dial);
    Value::Array(verbs)
}

/// The caller's name as the members' phones show it: the group's prefix first.
fn shown_name(group: &RingGroup, fields: &CallFields) -> Option<String> {
    let prefix = group.caller_name_prefix.as_deref()?;
    let caller = fields
        .caller_name
        .as_deref()
        .or(fields.from.as_deref())
        .unwrap_or("");
    let full: String = format!("{prefix}{caller}").chars().take(64).collect();
    DisplayName::parse(full.trim())
        .ok()
        .map(DisplayName::into_inner)
}

/// What follows the members' ringing that ended with `status`.
pub fn after(group: &RingGroup, status: &str) -> Value {
    if matches!(status, "completed" | "canceled") {
        return json!([{"verb": "hangup"}]);
    }
    group
        .no_answer_destination
        .as_ref()
        .map_or_else(|| unanswered("no-answer"), go)
}

async fn load(apps: &Apps, number: &str) -> crate::error::ApiResult<RingGroup> {
    storage::ring_groups::get(&apps.db, number)
        .await?
        .ok_or_else(|| missing(&format!("ring group {number}")))
}

/// The members that can take a call: all but extensions with call waiting off that are
/// on a call.
async fn available(apps: &Apps, group: &RingGroup) -> crate::error::ApiResult<Vec<String>> {
    let mut members = Vec::with_capacity(group.members.len());
    for m in &group.members {
        let waiting_off = storage::extensions::get(&apps.db, m.as_str())
            .await?
            .is_some_and(|e| !e.extension.call_waiting);
        if waiting_off && super::extension::in_call(&apps.db, m.as_str()).await? {
            continue;
        }
        members.push(m.to_string());
    }
    Ok(members)
}

pub async fn serve_ring(
    State(apps): State<Apps>,
    Path(number): Path<String>,
    Call(call): Call,
) -> AppResult {
    let group = load(&apps, &number).await?;
    let members = available(&apps, &group).await?;
    Ok(Document(ring(&group, &members, &call)))
}

pub async fn serve_after(
    State(apps): State<Apps>,
    Path(number): Path<String>,
    Call(call): Call,
) -> AppResult {
    let group = load(&apps, &number).await?;
    let status = call.dial_call_status.unwrap_or_else(|| "failed".to_owned());
    Ok(Document(after(&group, &status)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::types::{Announcement, DialString, ExtensionNumber, ResourceName, RingTime};
    use contract::verbs::DialStrategy;

    fn group() -> RingGroup {
        RingGroup {
            number: ExtensionNumber::parse("301").unwrap(),
            name: DisplayName::parse("Info").unwrap(),
            members: vec![DialString::parse("58102").unwrap()],
            strategy: DialStrategy::Rrmemory,
            ring_time: RingTime::try_from(12).unwrap(),
            announcement: None,
            caller_name_prefix: Some("Info: ".into()),
            music: None,
            no_answer_destination: None,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn caller() -> CallFields {
        CallFields {
            from: Some("58101".into()),
            caller_name: Some("Djaouad".into()),
            ..CallFields::default()
        }
    }

    fn valid(doc: &Value) {
        contract::verbs::parse_document(doc.to_string().as_bytes()).expect("a valid document");
    }

    #[test]
    fn members_ring_by_the_strategy_with_the_prefixed_name() {
        let doc = ring(&group(), &["58102".into(), "58103".into()], &caller());
        let dial = &doc[0];
        assert_eq!(dial["strategy"], "rrmemory");
        assert_eq!(dial["timeout"], 12);
        assert_eq!(dial["caller_name"], "Info: Djaouad");
        assert_eq!(dial["targets"][1]["number"], "58103");
        assert_eq!(dial["answer_on_bridge"], true);
        valid(&doc);
    }

    #[test]
    fn an_announcement_and_music_answer_the_caller() {
        let mut g = group();
        g.announcement = Some(Announcement::say("Please hold."));
        g.music = Some(ResourceName::parse("hold-music").unwrap());
        let doc = ring(&g, &["58102".into()], &caller());
        assert_eq!(doc[0]["verb"], "say");
        assert_eq!(doc[1]["ringback"]["recording"], "hold-music");
        assert!(doc[1].get("answer_on_bridge").is_none());
        valid(&doc);
    }

    #[test]
    fn nobody_to_ring_or_answering_goes_to_the_no_answer_destination() {
        let mut g = group();
        assert_eq!(ring(&g, &[], &caller())[0]["reason"], "unavailable");
        g.no_answer_destination =
            Some(contract::types::Destination::parse("voicemail:58102").unwrap());
        assert_eq!(
            ring(&g, &[], &caller())[0]["destination"],
            "voicemail:58102"
        );
        assert_eq!(after(&g, "busy")[0]["destination"], "voicemail:58102");
        assert_eq!(after(&g, "completed")[0]["verb"], "hangup");
    }
}
