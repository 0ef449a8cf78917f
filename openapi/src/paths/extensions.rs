use crate::models::{Extension, ExtensionCreate, ExtensionList, ExtensionUpdate};

super::crud_paths! {
    collection = "/v1/extensions",
    item = "/v1/extensions/{number}",
    tag = "extensions",
    key = "number",
    key_doc = "The extension number",
    create = create_extension(ExtensionCreate) -> Extension, "Create an extension.",
    list = list_extensions -> ExtensionList, "List extensions.",
    get = get_extension -> Extension, "Get an extension.",
    update = update_extension(ExtensionUpdate), "Change an extension: absent fields are kept, `null` clears an optional field.",
    delete = delete_extension, "Delete an extension. Deleting an extension that a destination still points to is refused (409).",
}
