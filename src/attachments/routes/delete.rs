//! `DELETE /api/attachments/{id}`: by the uploader. The row goes (and with it every message's
//! reference: members then get 404), then the objects.

use actix_web::{delete, web, HttpResponse};
use uuid::Uuid;

use crate::{
    attachments::{models, store::AttachmentStore},
    auth::AuthUser,
    db,
    error::AppError,
    state::AppState,
};
use courier_protocol::ids::AttachmentId;

#[utoipa::path(tag = "attachments", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)), responses(
    (status = 204), (status = 400, description = "the id is not a UUID", body = crate::error::ErrorBody),
    (status = 401, body = crate::error::ErrorBody),
    (status = 404, description = "no attachment of yours with this id", body = crate::error::ErrorBody)))]
#[delete("/api/attachments/{id}")]
pub async fn delete_attachment(
    state: web::Data<AppState>,
    store: web::Data<AttachmentStore>,
    user: AuthUser,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, AppError> {
    let id = AttachmentId(path.into_inner());
    let owner = user.user_id;
    let deleted = db::run(&state.pool, move |conn| {
        Ok(models::delete_owned(conn, id, owner)?)
    })
    .await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    store.remove(&[id]).await;
    Ok(HttpResponse::NoContent().finish())
}
