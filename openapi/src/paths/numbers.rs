use crate::models::{Number, NumberCreate, NumberList, NumberUpdate};

super::crud_paths! {
    collection = "/v1/numbers",
    item = "/v1/numbers/{number}",
    tag = "numbers",
    key = "number",
    key_doc = "The inbound number, with its leading + URL-encoded as %2B",
    create = create_number(NumberCreate) -> Number, "Create an inbound number.",
    list = list_numbers -> NumberList, "List inbound numbers.",
    get = get_number -> Number, "Get an inbound number.",
    update = update_number(NumberUpdate), "Change an inbound number: absent fields are kept, `null` clears an optional field.",
    delete = delete_number, "Delete an inbound number.",
}
