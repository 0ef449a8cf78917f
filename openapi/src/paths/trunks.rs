use crate::models::{Trunk, TrunkCreate, TrunkList, TrunkUpdate};

super::crud_paths! {
    collection = "/v1/trunks",
    item = "/v1/trunks/{name}",
    tag = "trunks",
    key = "name",
    key_doc = "The trunk name",
    create = create_trunk(TrunkCreate) -> Trunk, "Create a trunk.",
    list = list_trunks -> TrunkList, "List trunks.",
    get = get_trunk -> Trunk, "Get a trunk.",
    update = update_trunk(TrunkUpdate), "Change a trunk: absent fields are kept, `null` clears an optional field.",
    delete = delete_trunk, "Delete a trunk. Deleting a trunk that an outbound route uses is refused (409).",
}
