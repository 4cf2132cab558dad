//! One file per action.

pub mod create;
pub mod members;
pub mod read;

crate::routes![
    create::create,
    read::list,
    read::get,
    members::add,
    members::remove,
];
