//! One file per action.

pub mod delete;
pub mod history;
pub mod post;
pub mod receipts;
pub mod typing;

crate::routes![
    post::post_message,
    history::history,
    delete::delete_message,
    receipts::receipt,
    typing::typing,
];
