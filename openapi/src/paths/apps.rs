//! The built-in PBX apps: webhooks like a user's application, answering a call's
//! `WebhookRequest` with a `VerbDocument`. The engine calls them (signed with the apps'
//! secret); an admin API key may call them too, to read what they answer. GET takes the
//! request's fields as query parameters.

use crate::error::{BadRequest, Forbidden, NotFound, Unauthorized, ValidationFailed};
use crate::models::BuiltinApps;
use crate::verbs::VerbDocument;
use crate::webhook::WebhookRequest;

macro_rules! app_path {
    ($name:ident, $path:literal, $doc:literal $(, ($param:literal, $param_doc:literal))*) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "apps",
            params($(($param = String, Path, description = $param_doc)),*),
            request_body = WebhookRequest,
            responses(
                (status = 200, body = VerbDocument),
                (status = 400, response = BadRequest),
                (status = 401, response = Unauthorized),
                (status = 403, response = Forbidden),
                (status = 404, response = NotFound),
                (status = 422, response = ValidationFailed),
            ))]
        pub fn $name() {}
    };
}

app_path!(
    extension_app,
    "/apps/extension/{number}",
    "A call to an extension: its phones ring, then its busy or no-answer destination; with follow-me on, the extension alone, then the list.",
    ("number", "The extension number")
);
app_path!(
    extension_after_app,
    "/apps/extension/{number}/after",
    "The outcome of an extension's `dial` (`dial_call_status`; query `stage`: `initial`, `ring` or `followme`).",
    ("number", "The extension number")
);
app_path!(
    ring_group_app,
    "/apps/ringgroup/{number}",
    "A call to a ring group: its announcement, then its members ring by its strategy.",
    ("number", "The ring group's number")
);
app_path!(
    ring_group_after_app,
    "/apps/ringgroup/{number}/after",
    "The outcome of a ring group's `dial`: nobody answering goes to its no-answer destination.",
    ("number", "The ring group's number")
);
app_path!(
    ivr_app,
    "/apps/ivr/{name}",
    "An IVR's menu: the announcement while keys are collected (query `timeouts`, `invalid`: the counts so far).",
    ("name", "The IVR's name")
);
app_path!(
    ivr_choice_app,
    "/apps/ivr/{name}/choice",
    "The keys pressed (`digits`) in an IVR: an option's destination, the menu again, or the invalid handling.",
    ("name", "The IVR's name")
);
app_path!(
    ivr_silence_app,
    "/apps/ivr/{name}/silence",
    "No key pressed in an IVR: the menu again, or the timeout destination.",
    ("name", "The IVR's name")
);
app_path!(
    daynight_app,
    "/apps/daynight/{index}",
    "A day/night switch: its day or night destination, as its mode says.",
    ("index", "The switch's index, 0 to 9")
);
app_path!(
    time_condition_app,
    "/apps/timecondition/{id}",
    "A time condition: its match or no-match destination, as its override or schedule says now.",
    ("id", "The time condition's id")
);
app_path!(
    follow_me_feature_app,
    "/apps/feature/followme",
    "`*21`: turns the caller's (`from`) follow-me on or off and says so."
);
app_path!(
    daynight_feature_app,
    "/apps/feature/daynight/{index}",
    "`*28<index>`: asks the switch's PIN when it has one, else switches it and says the new mode.",
    ("index", "The switch's index, 0 to 9")
);
app_path!(
    daynight_pin_feature_app,
    "/apps/feature/daynight/{index}/pin",
    "The PIN entered (`digits`) for `*28<index>`.",
    ("index", "The switch's index, 0 to 9")
);
app_path!(
    time_condition_feature_app,
    "/apps/feature/timecondition/{id}",
    "`*27<id>`: overrides the time condition until its next scheduled change, or removes the override.",
    ("id", "The time condition's id")
);
app_path!(
    number_app,
    "/apps/number/{number}",
    "`number:` destinations: dials the number through the outbound routes.",
    ("number", "The number dialled")
);
app_path!(
    hangup_app,
    "/apps/hangup",
    "`hangup` destinations: ends the call."
);
app_path!(
    voicemail_app,
    "/apps/voicemail/{mailbox}",
    "`voicemail:` destinations: the mailbox's greeting (0 during it reaches its operator destination, when set), a beep, and the message recorded.",
    ("mailbox", "The mailbox (extension number)")
);
app_path!(
    voicemail_saved_app,
    "/apps/voicemail/{mailbox}/saved",
    "After a voicemail message was recorded: saves it in the mailbox (with its email and its `voicemail` event) and thanks the caller.",
    ("mailbox", "The mailbox (extension number)")
);
app_path!(
    voicemail_listen_app,
    "/apps/feature/voicemail",
    "`*97`: the caller's own voicemail — its PIN asked when set, then each new message with its menu."
);
app_path!(
    voicemail_listen_pin_app,
    "/apps/feature/voicemail/pin",
    "The PIN entered after `*97` (`digits`)."
);
app_path!(
    voicemail_listen_key_app,
    "/apps/feature/voicemail/key",
    "A key after a message played by `*97` or `*98` (query `id`: the message; `mailbox` for `*98`): 1 again, 7 delete, 9, # or none keep it and play the next new one."
);
app_path!(
    voicemail_other_app,
    "/apps/feature/voicemail/other",
    "`*98`: asks for a mailbox number."
);
app_path!(
    voicemail_other_mailbox_app,
    "/apps/feature/voicemail/other/mailbox",
    "`*98`, the mailbox number entered (`digits`): asks for its PIN."
);
app_path!(
    voicemail_other_pin_app,
    "/apps/feature/voicemail/other/pin",
    "`*98`, the PIN entered (`digits`; query `mailbox`): the mailbox's new messages, as `*97`, when it is that mailbox's PIN."
);
app_path!(
    voicemail_key_app,
    "/apps/voicemail/{mailbox}/key",
    "A key pressed during a mailbox's greeting: 0 leads to its operator destination, anything else on to the beep and the message.",
    ("mailbox", "The mailbox (extension number)")
);

/// The built-in apps: their URLs, and the secret their requests (and those to `url:`
/// destinations) are signed with. Admin role.
#[utoipa::path(get, path = "/v1/apps", tag = "apps",
    responses(
        (status = 200, body = BuiltinApps),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
    ))]
pub fn list_builtin_apps() {}
app_path!(
    queue_app,
    "/apps/queue/{name}",
    "`queue:` destinations and a queue's number: the caller waits in the queue (`enqueue`) with its music.",
    ("name", "The queue's name")
);
app_path!(
    queue_hold_app,
    "/apps/queue/{name}/hold",
    "What a queue's callers hear while they wait (the `enqueue`'s `wait_url`): its music, or ringing.",
    ("name", "The queue's name")
);
app_path!(
    queue_after_app,
    "/apps/queue/{name}/after",
    "Where a caller goes out of a queue (`reason`): max wait → timeout destination, full, empty, exit key; hung up without one.",
    ("name", "The queue's name")
);
app_path!(
    queue_agent_feature_app,
    "/apps/feature/queue-agent",
    "`*45`: the calling extension logs in to (or out of) every queue where it is a dynamic member."
);
app_path!(
    voicemail_menu_app,
    "/apps/feature/voicemail/menu",
    "`*97`/`*98` after the new messages: 2 saved messages, 3 record the greeting, 4 change the PIN (query `mailbox` when `*98` opened it)."
);
app_path!(
    voicemail_saved_key_app,
    "/apps/feature/voicemail/saved",
    "A key after a saved message (query `id`): 1 again, 7 delete, 9 or none the next one."
);
app_path!(
    voicemail_greeting_app,
    "/apps/feature/voicemail/greeting",
    "The greeting recorded from the phone (`recording_sid`) becomes the mailbox's greeting."
);
app_path!(
    voicemail_new_pin_app,
    "/apps/feature/voicemail/new-pin",
    "The new PIN entered (`digits`, 4 to 8) replaces the mailbox's."
);
