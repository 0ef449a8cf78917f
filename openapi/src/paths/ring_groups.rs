use crate::models::{RingGroup, RingGroupCreate, RingGroupList, RingGroupUpdate};

super::crud_paths! {
    collection = "/v1/ring-groups",
    item = "/v1/ring-groups/{number}",
    tag = "ring-groups",
    key = "number",
    key_doc = "The ring group's number",
    create = create_ring_group(RingGroupCreate) -> RingGroup, "Create a ring group: a number phones dial (not an extension's) that rings its members by its strategy.",
    list = list_ring_groups -> RingGroupList, "List ring groups.",
    get = get_ring_group -> RingGroup, "Get a ring group.",
    update = update_ring_group(RingGroupUpdate), "Change a ring group: absent fields are kept, `null` clears an optional field.",
    delete = delete_ring_group, "Delete a ring group. Refused (409) while a destination points to it.",
}
