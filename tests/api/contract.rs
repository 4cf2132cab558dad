//! The API contract: the served OpenAPI document is the committed `docs/openapi.json` (what the
//! browser's types are generated from, `cd frontend && npm run gen:api`), and it is well formed
//! where generators care. `UPDATE_GENERATED=1 cargo test --test api contract` rewrites the file.

use std::{collections::BTreeMap, path::Path};

use serde_json::Value;

use crate::helpers::*;

/// The committed form: pretty JSON and a final newline.
fn rendered() -> String {
    serde_json::to_string_pretty(&courier::http::docs::document()).expect("the document serialises")
        + "\n"
}

#[tokio::test]
async fn the_committed_openapi_document_is_the_served_one() {
    let app = spawn_app().await;
    let served: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rendered = rendered();
    assert_eq!(
        served,
        serde_json::from_str::<Value>(&rendered).unwrap(),
        "the served document is `http::docs::document()`"
    );
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(&file, &rendered).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == rendered,
        "docs/openapi.json is not the served document: run \
         `UPDATE_GENERATED=1 cargo test --test api contract`, then `cd frontend && npm run gen:api`"
    );
}

#[test]
fn every_operation_has_its_own_id() {
    let doc = serde_json::to_value(courier::http::docs::document()).unwrap();
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(id) = op["operationId"].as_str() else {
                continue;
            };
            let here = format!("{method} {path}");
            if let Some(before) = seen.insert(id.to_owned(), here.clone()) {
                panic!("operation id `{id}` used by {before} and {here}");
            }
        }
    }
    assert!(seen.len() > 20, "operations found: {}", seen.len());
}

#[test]
fn enum_and_uuid_fields_say_so_in_the_document() {
    let doc = serde_json::to_value(courier::http::docs::document()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let enum_of = |name: &str| -> Vec<String> {
        serde_json::from_value(schemas[name]["enum"].clone())
            .unwrap_or_else(|_| panic!("{name} is an enum schema"))
    };
    assert_eq!(enum_of("ConversationKind"), ["direct", "group"]);
    assert_eq!(enum_of("ReceiptStatus"), ["delivered", "read"]);
    let text = |v: &Value| v.to_string();
    assert!(text(&schemas["ConversationView"]["properties"]["kind"]).contains("ConversationKind"));
    assert!(text(&schemas["CreateConversation"]["properties"]["kind"]).contains("ConversationKind"));
    assert!(text(&schemas["ReceiptRequest"]["properties"]["status"]).contains("ReceiptStatus"));
    assert_eq!(
        schemas["CreateConversation"]["properties"]["member_ids"]["items"]["format"],
        "uuid"
    );
    assert_eq!(
        schemas["PresenceList"]["properties"]["online"]["items"]["format"],
        "uuid"
    );
    let item = &schemas["History"]["properties"]["messages"]["items"];
    assert!(text(item).contains("MessageItem"), "history items: {item}");
    let required = text(&schemas["MessageItem"]["required"]);
    for field in [
        "conversation_id",
        "message_id",
        "position",
        "sender_id",
        "server_ts",
    ] {
        assert!(required.contains(field), "MessageItem requires {field}");
    }
}
