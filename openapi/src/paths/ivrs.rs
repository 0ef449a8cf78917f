use crate::models::{Ivr, IvrCreate, IvrList, IvrUpdate};

super::crud_paths! {
    collection = "/v1/ivrs",
    item = "/v1/ivrs/{name}",
    tag = "ivrs",
    key = "name",
    key_doc = "The IVR's name",
    create = create_ivr(IvrCreate) -> Ivr, "Create an IVR menu (its app answers at `/apps/ivr/{name}`).",
    list = list_ivrs -> IvrList, "List IVRs.",
    get = get_ivr -> Ivr, "Get an IVR.",
    update = update_ivr(IvrUpdate), "Change an IVR: absent fields are kept, `null` clears an optional field, `options` replaces them all.",
    delete = delete_ivr, "Delete an IVR. Refused (409) while a destination points to it.",
}
