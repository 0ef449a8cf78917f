use crate::models::{DayNight, DayNightCreate, DayNightList, DayNightUpdate};

super::crud_paths! {
    collection = "/v1/daynight",
    item = "/v1/daynight/{index}",
    tag = "daynight",
    key = "index",
    key_doc = "The switch's index, 0 to 9",
    create = create_daynight(DayNightCreate) -> DayNight, "Create a day/night switch (`*28<index>` toggles it from a phone).",
    list = list_daynight -> DayNightList, "List day/night switches.",
    get = get_daynight -> DayNight, "Get a day/night switch and its mode.",
    update = update_daynight(DayNightUpdate), "Change a day/night switch (its `mode` too): absent fields are kept, `null` clears the PIN.",
    delete = delete_daynight, "Delete a day/night switch. Refused (409) while a destination points to it.",
}

/// Switch to the other mode at once; calls reaching the switch from now on go to that
/// mode's destination.
#[utoipa::path(post, path = "/v1/daynight/{index}/toggle", tag = "daynight",
    params(("index" = String, Path, description = "The switch's index, 0 to 9")),
    responses(
        (status = 200, body = DayNight),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 404, response = NotFound),
    ))]
pub fn toggle_daynight() {}
