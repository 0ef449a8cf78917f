use crate::models::{OutboundRoute, OutboundRouteCreate, OutboundRouteList, OutboundRouteUpdate};

super::crud_paths! {
    collection = "/v1/outbound-routes",
    item = "/v1/outbound-routes/{name}",
    tag = "outbound-routes",
    key = "name",
    key_doc = "The route name",
    create = create_outbound_route(OutboundRouteCreate) -> OutboundRoute, "Create an outbound route.",
    list = list_outbound_routes -> OutboundRouteList, "List outbound routes.",
    get = get_outbound_route -> OutboundRoute, "Get an outbound route.",
    update = update_outbound_route(OutboundRouteUpdate), "Change an outbound route: absent fields are kept, `null` clears an optional field.",
    delete = delete_outbound_route, "Delete an outbound route.",
}
