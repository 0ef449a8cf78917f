use crate::models::{
    Queue, QueueAgent, QueueAgentList, QueueAgentUpdate, QueueCallerList, QueueCreate, QueueList,
    QueueStats, QueueUpdate,
};

super::crud_paths! {
    collection = "/v1/queues",
    item = "/v1/queues/{name}",
    tag = "queues",
    key = "name",
    key_doc = "The queue's name",
    create = create_queue(QueueCreate) -> Queue, "Create a call-centre queue: callers wait (hold music, position announcements) until a free agent answers, offered by the queue's strategy.",
    list = list_queues -> QueueList, "List queues.",
    get = get_queue -> Queue, "Get a queue.",
    update = update_queue(QueueUpdate), "Change a queue: absent fields are kept, `null` clears an optional field. Members who stay keep their state (logged in, paused, calls taken).",
    delete = delete_queue, "Delete a queue. Refused (409) while a destination points to it.",
}

/// The queue's members and what each is doing.
#[utoipa::path(get, path = "/v1/queues/{name}/agents", tag = "queues",
    params(("name" = String, Path, description = "The queue's name")),
    responses(
        (status = 200, body = QueueAgentList),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn list_queue_agents() {}

/// Log a dynamic member in or out, pause or unpause a member.
#[utoipa::path(patch, path = "/v1/queues/{name}/agents/{member}", tag = "queues",
    params(("name" = String, Path, description = "The queue's name"),
           ("member" = String, Path, description = "The member (extension or number)")),
    request_body = QueueAgentUpdate,
    responses(
        (status = 200, body = QueueAgent),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
        (status = 422, response = ValidationFailed),
    ))]
pub fn update_queue_agent() {}

/// The callers in the queue now, oldest first, with their position and wait.
#[utoipa::path(get, path = "/v1/queues/{name}/callers", tag = "queues",
    params(("name" = String, Path, description = "The queue's name")),
    responses(
        (status = 200, body = QueueCallerList),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn list_queue_callers() {}

/// What happened to the callers who joined since `since` (RFC 3339; default the last
/// 24 hours).
#[utoipa::path(get, path = "/v1/queues/{name}/stats", tag = "queues",
    params(("name" = String, Path, description = "The queue's name"),
           ("since" = Option<String>, Query, description = "RFC 3339 time (default: 24 hours ago)")),
    responses(
        (status = 200, body = QueueStats),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 404, response = NotFound),
    ))]
pub fn get_queue_stats() {}
