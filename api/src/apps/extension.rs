//! `/apps/extension/{number}`: a call to an extension. Its phones ring for its ring
//! time; busy (every device busy, or the call declined) goes to its busy destination,
//! nobody answering to its no-answer destination. With follow-me on, the extension
//! rings alone for the initial ring time, then the follow-me list rings, then the
//! follow-me's no-answer destination. With call waiting off, an extension already on a
//! call is busy at once. With the follow-me's `confirm`, whoever answers at an
//! outside number must press 1 to take the call (a mobile's voicemail never does).
//! Outside numbers and `number:` destinations the extension's `outbound` permission
//! does not allow are left out (see [`crate::outbound`]).
//!
//! `…/after?stage=` receives each `dial`'s outcome (`initial`: the follow-me's first
//! ring; `ring`: the extension's; `followme`: the list's).

use super::{AppResult, Apps, Call, Document, go, missing, unanswered};
use crate::extract::Query;
use crate::outbound;
use crate::storage;
use axum::extract::{Path, State};
use contract::models::FollowMe;
use contract::types::Destination;
use serde::Deserialize;
use serde_json::{Value, json};

/// What the documents of an extension depend on.
#[derive(Debug, Clone)]
pub struct Extension {
    pub number: String,
    pub ring_time: u32,
    pub no_answer: Option<Destination>,
    pub busy: Option<Destination>,
    /// Call waiting off and on a call now: busy.
    pub busy_now: bool,
    /// Its follow-me, when enabled.
    pub follow_me: Option<FollowMe>,
    /// The follow-me's numbers that are not extensions (confirmed when it says so).
    pub outside: std::collections::HashSet<String>,
}

/// The document of a new call to the extension.
pub fn ring(ext: &Extension) -> Value {
    if ext.busy_now {
        return after(ext, Stage::Ring, "busy");
    }
    if let Some(fm) = &ext.follow_me {
        if fm.initial_ring_time > 0 {
            return dial_extension(ext, fm.initial_ring_time, Some(Stage::Initial));
        }
        return follow_me_list(ext, fm);
    }
    if ext.no_answer.is_none() && ext.busy.is_none() {
        // Nothing to go on to: the caller is connected straight through and hears the
        // phones' own answer (ringing, busy, unavailable).
        return dial_extension(ext, ext.ring_time, None);
    }
    dial_extension(ext, ext.ring_time, Some(Stage::Ring))
}

/// Where a dial of the extension's stands when its outcome arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// The follow-me's first ring of the extension alone.
    Initial,
    /// The extension's own ring (follow-me off).
    Ring,
    /// The follow-me list.
    Followme,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Self::Initial => "initial",
            Self::Ring => "ring",
            Self::Followme => "followme",
        }
    }
}

/// What follows a dial of `stage` that ended with `status`.
pub fn after(ext: &Extension, stage: Stage, status: &str) -> Value {
    if matches!(status, "completed" | "canceled") {
        return json!([{"verb": "hangup"}]);
    }
    match (stage, &ext.follow_me) {
        (Stage::Initial, Some(fm)) => follow_me_list(ext, fm),
        (Stage::Followme | Stage::Initial, fm) => {
            let destination = fm
                .as_ref()
                .and_then(|f| f.no_answer_destination.as_ref())
                .or(ext.no_answer.as_ref());
            destination.map_or_else(|| unanswered(status), go)
        }
        (Stage::Ring, _) => {
            let destination = if status == "busy" {
                ext.busy.as_ref()
            } else {
                ext.no_answer.as_ref()
            };
            match destination {
                // A mailbox reached because the extension was busy: its busy greeting.
                Some(Destination::Voicemail(mailbox)) if status == "busy" => json!([
                    {"verb": "redirect", "url": format!("/apps/voicemail/{mailbox}?busy=true")}
                ]),
                Some(d) => go(d),
                None => unanswered(status),
            }
        }
    }
}

/// Rings the extension's devices for `seconds`; with `stage`, the caller stays
/// unanswered and the outcome goes to `after`.
fn dial_extension(ext: &Extension, seconds: u32, stage: Option<Stage>) -> Value {
    let mut dial = json!({
        "verb": "dial",
        "targets": [{"type": "extension", "number": ext.number}],
        "timeout": seconds,
    });
    if let Some(stage) = stage {
        dial["answer_on_bridge"] = json!(true);
        dial["action"] = json!(after_url(ext, stage));
    }
    json!([dial])
}

fn follow_me_list(ext: &Extension, fm: &FollowMe) -> Value {
    let targets: Vec<Value> = fm
        .numbers
        .iter()
        .map(|n| {
            let mut target = json!({"type": "number", "number": n.as_str()});
            if fm.confirm && ext.outside.contains(n.as_str()) {
                target["confirm"] = json!({
                    "prompt": {"say": format!(
                        "You have a call for extension {}. Press 1 to accept it, any other \
                         key to refuse it.",
                        super::spelled(&ext.number)
                    )},
                    "key": "1",
                    "timeout": CONFIRM_SECONDS,
                });
            }
            target
        })
        .collect();
    json!([{
        "verb": "dial",
        "targets": targets,
        "strategy": fm.strategy.as_str(),
        "timeout": fm.ring_time.seconds(),
        "answer_on_bridge": true,
        "action": after_url(ext, Stage::Followme),
    }])
}

/// Seconds whoever answers at an outside number has to accept (FreePBX's default is
/// to wait as long as the list rings; a short answer keeps the caller's wait short).
const CONFIRM_SECONDS: u32 = 10;

fn after_url(ext: &Extension, stage: Stage) -> String {
    format!(
        "/apps/extension/{}/after?stage={}",
        ext.number,
        stage.as_str()
    )
}

/// The extension as its documents need it; `ringing`: a new call (whether the
/// extension is on a call matters only then).
async fn load(apps: &Apps, number: &str, ringing: bool) -> crate::error::ApiResult<Extension> {
    let stored = storage::extensions::get(&apps.db, number)
        .await?
        .ok_or_else(|| missing(&format!("extension {number}")))?;
    let e = stored.extension;
    let busy_now = ringing && !e.call_waiting && in_call(&apps.db, number).await?;
    let follow_me = storage::follow_me::get(&apps.db, number)
        .await?
        .filter(|f| f.enabled && !f.numbers.is_empty());
    let is_number = |d: &Option<Destination>| matches!(d, Some(Destination::Number(_)));
    // The routes are read only when something may go out on the extension's behalf.
    let routes = if follow_me.is_some()
        || is_number(&e.no_answer_destination)
        || is_number(&e.busy_destination)
    {
        Some(outbound::Routes::read(&apps.db).await?)
    } else {
        None
    };
    let permitted = |d: Option<Destination>| match (&d, &routes) {
        (Some(Destination::Number(n)), Some(routes))
            if !routes.allow(number, e.outbound, n.as_str(), "destination") =>
        {
            None
        }
        _ => d,
    };
    let mut outside = std::collections::HashSet::new();
    let follow_me = match (follow_me, &routes) {
        (Some(mut fm), Some(routes)) => {
            let mut kept = Vec::with_capacity(fm.numbers.len());
            for n in std::mem::take(&mut fm.numbers) {
                if storage::extensions::exists(&apps.db, n.as_str()).await? {
                    kept.push(n);
                } else if routes.allow(number, e.outbound, n.as_str(), "follow-me number") {
                    outside.insert(n.to_string());
                    kept.push(n);
                }
            }
            fm.numbers = kept;
            fm.no_answer_destination = permitted(fm.no_answer_destination.take());
            Some(fm).filter(|f| !f.numbers.is_empty())
        }
        _ => None,
    };
    Ok(Extension {
        number: e.number.to_string(),
        ring_time: e.ring_time.seconds(),
        no_answer: permitted(e.no_answer_destination),
        busy: permitted(e.busy_destination),
        busy_now,
        follow_me,
        outside,
    })
}

/// Whether `number` is on a call now (as the call records say).
pub async fn in_call(db: &storage::Db, number: &str) -> crate::error::ApiResult<bool> {
    let history = storage::calls::ring_history(db, &[number.to_owned()], &storage::now()).await?;
    Ok(history.first().is_some_and(|h| h.in_call))
}

pub async fn serve_ring(
    State(apps): State<Apps>,
    Path(number): Path<String>,
    Call(_): Call,
) -> AppResult {
    let ext = load(&apps, &number, true).await?;
    Ok(Document(ring(&ext)))
}

#[derive(Debug, Deserialize)]
pub struct AfterQuery {
    stage: Stage,
}

pub async fn serve_after(
    State(apps): State<Apps>,
    Path(number): Path<String>,
    Query(q): Query<AfterQuery>,
    Call(call): Call,
) -> AppResult {
    let ext = load(&apps, &number, false).await?;
    let status = call.dial_call_status.unwrap_or_else(|| "failed".to_owned());
    Ok(Document(after(&ext, q.stage, &status)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use contract::models::FollowMeStrategy;
    use contract::types::{DialString, RingTime};

    fn ext() -> Extension {
        Extension {
            number: "58102".into(),
            ring_time: 15,
            no_answer: None,
            busy: None,
            busy_now: false,
            follow_me: None,
            outside: Default::default(),
        }
    }

    fn verbs(doc: &Value) -> Vec<contract::verbs::Verb> {
        contract::verbs::parse_document(doc.to_string().as_bytes()).expect("a valid document")
    }

    #[test]
    fn without_destinations_the_extension_is_dialled_straight_through() {
        let doc = ring(&ext());
        assert_eq!(doc[0]["verb"], "dial");
        assert_eq!(doc[0]["timeout"], 15);
        assert!(doc[0].get("action").is_none(), "{doc}");
        verbs(&doc);
    }

    #[test]
    fn busy_and_no_answer_go_to_their_destinations() {
        let mut e = ext();
        e.busy = Some(Destination::parse("daynight:0").unwrap());
        e.no_answer = Some(Destination::parse("voicemail:58102").unwrap());
        let doc = ring(&e);
        assert_eq!(doc[0]["answer_on_bridge"], true);
        assert_eq!(doc[0]["action"], "/apps/extension/58102/after?stage=ring");
        verbs(&doc);
        assert_eq!(
            after(&e, Stage::Ring, "busy")[0]["destination"],
            "daynight:0"
        );
        assert_eq!(
            after(&e, Stage::Ring, "no-answer")[0]["destination"],
            "voicemail:58102"
        );
        assert_eq!(after(&e, Stage::Ring, "completed")[0]["verb"], "hangup");
        e.busy = Some(Destination::parse("voicemail:58102").unwrap());
        let busy_mailbox = after(&e, Stage::Ring, "busy");
        assert_eq!(
            busy_mailbox[0]["url"], "/apps/voicemail/58102?busy=true",
            "a mailbox reached because the extension was busy plays its busy greeting"
        );
        verbs(&busy_mailbox);
        e.busy = None;
        assert_eq!(after(&e, Stage::Ring, "busy")[0]["reason"], "busy");
        verbs(&after(&e, Stage::Ring, "busy"));
    }

    #[test]
    fn call_waiting_off_and_on_a_call_is_busy_at_once() {
        let mut e = ext();
        e.busy_now = true;
        e.busy = Some(Destination::parse("hangup").unwrap());
        assert_eq!(ring(&e)[0]["destination"], "hangup");
    }

    #[test]
    fn follow_me_rings_alone_then_the_list_then_its_destination() {
        let mut e = ext();
        e.no_answer = Some(Destination::parse("voicemail:58102").unwrap());
        e.follow_me = Some(FollowMe {
            enabled: true,
            numbers: vec![DialString::parse("57444").unwrap()],
            initial_ring_time: 7,
            strategy: FollowMeStrategy::Hunt,
            ring_time: RingTime::try_from(25).unwrap(),
            confirm: false,
            no_answer_destination: Some(Destination::parse("daynight:0").unwrap()),
        });
        let first = ring(&e);
        assert_eq!(first[0]["timeout"], 7);
        assert_eq!(
            first[0]["action"],
            "/apps/extension/58102/after?stage=initial"
        );
        let list = after(&e, Stage::Initial, "no-answer");
        assert_eq!(list[0]["targets"][0]["number"], "57444");
        assert_eq!(list[0]["strategy"], "hunt");
        assert_eq!(list[0]["timeout"], 25);
        verbs(&list);
        // Busy during the first ring still tries the list.
        assert_eq!(after(&e, Stage::Initial, "busy")[0]["verb"], "dial");
        assert_eq!(
            after(&e, Stage::Followme, "no-answer")[0]["destination"],
            "daynight:0"
        );
        // Without its own destination, the follow-me falls back to the extension's.
        e.follow_me.as_mut().unwrap().no_answer_destination = None;
        assert_eq!(
            after(&e, Stage::Followme, "busy")[0]["destination"],
            "voicemail:58102"
        );
    }

    #[test]
    fn follow_me_confirmation_asks_outside_numbers_only() {
        let mut e = ext();
        e.follow_me = Some(FollowMe {
            enabled: true,
            numbers: vec![
                DialString::parse("57444").unwrap(),
                DialString::parse("0612345678").unwrap(),
            ],
            initial_ring_time: 0,
            strategy: FollowMeStrategy::Ringall,
            ring_time: RingTime::try_from(20).unwrap(),
            confirm: true,
            no_answer_destination: None,
        });
        e.outside.insert("0612345678".into());
        let doc = ring(&e);
        let targets = &doc[0]["targets"];
        assert!(targets[0].get("confirm").is_none(), "{doc}");
        assert_eq!(targets[1]["confirm"]["key"], "1");
        assert!(
            targets[1]["confirm"]["prompt"]["say"]
                .as_str()
                .unwrap()
                .contains("extension 5 8 1 0 2"),
            "{doc}"
        );
        verbs(&doc);
        // Without `confirm`, nobody is asked.
        e.follow_me.as_mut().unwrap().confirm = false;
        assert!(ring(&e)[0]["targets"][1].get("confirm").is_none());
    }
}
