//! One file per action.

pub mod delete;
pub mod history;
pub mod post;
pub mod receipts;
pub mod typing;
