//! One file per action: uploads (start, append, status), download, delete.

pub mod delete;
pub mod download;
pub mod upload;

crate::routes![
    upload::start_upload,
    upload::append_upload,
    upload::upload_status,
    download::download_attachment,
    delete::delete_attachment,
];
