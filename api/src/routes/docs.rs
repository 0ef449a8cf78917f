//! `/openapi.json` and the docs page at `/docs` (Swagger UI, bundled in the binary).

use axum::http::header;
use axum::response::IntoResponse;
use std::sync::OnceLock;
use utoipa_swagger_ui::SwaggerUi;

fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(contract::ApiDoc::json)
}

pub async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}

/// The docs page, reading the document from `/openapi.json` (served above, byte for byte
/// the committed `openapi/openapi.json`).
pub fn swagger_ui() -> SwaggerUi {
    SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::new(["/openapi.json"]))
}
