//! `POST /api/conversations/{id}/members` (any member adds to a group) and
//! `DELETE /api/conversations/{id}/members/{user_id}` (leave; or, for the group's creator,
//! remove). Direct conversations keep their two members.

use actix_web::{delete, post, web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use crate::conversations::{
    changes::{announce_change, Change},
    models::ConversationKind,
};
use crate::{
    auth::AuthUser,
    conversations::{models, MAX_MEMBERS},
    db::{
        self,
        schema::{members, users},
    },
    error::AppError,
    events::Delivery,
    state::AppState,
};
use courier_protocol::ids::{ConversationId, UserId};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddMember {
    #[schema(value_type = String, format = Uuid)]
    pub user_id: Uuid,
}

#[utoipa::path(tag = "conversations", security(("bearer" = [])), request_body = AddMember,
    params(("id" = String, Path, format = Uuid)), responses(
    (status = 200, body = models::ConversationView), (status = 400, body = crate::error::ErrorBody),
    (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)))]
#[post("/api/conversations/{id}/members")]
pub async fn add(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<Uuid>,
    body: web::Json<AddMember>,
) -> Result<HttpResponse, AppError> {
    let (id, new) = (ConversationId(path.into_inner()), UserId(body.user_id));
    let me = user.user_id;
    let (view, deliveries) = db::transaction(&state.pool, move |conn| {
        let row = models::find_for_member(conn, id, me, true)?.ok_or(AppError::NotFound)?;
        if row.kind != ConversationKind::Group {
            return Err(AppError::bad(
                "direct_fixed",
                "a direct conversation keeps its two members",
            ));
        }
        let exists: bool =
            diesel::select(diesel::dsl::exists(users::table.find(new))).get_result(conn)?;
        if !exists {
            return Err(AppError::bad("unknown_user", "user_id names no user"));
        }
        let current = models::member_ids(conn, id)?;
        if current.contains(&new) {
            return Err(AppError::conflict(
                "already_member",
                "that user is already a member",
            ));
        }
        if current.len() >= MAX_MEMBERS {
            return Err(AppError::bad(
                "too_many_members",
                format!("a group has at most {MAX_MEMBERS} members"),
            ));
        }
        diesel::insert_into(members::table)
            .values((
                members::conversation_id.eq(id),
                members::user_id.eq(new),
                members::added_by.eq(Some(me)),
            ))
            .execute(conn)?;
        models::forget_former(conn, id, new)?;
        let change = Change {
            kind: "member_added",
            subject: Some(new),
            by: me,
        };
        let deliveries = announce_change(conn, &row, change, None)?;
        Ok((models::view(conn, row, Some(me))?, deliveries))
    })
    .await?;
    state.fanout.deliver(deliveries);
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(tag = "conversations", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid), ("user_id" = String, Path, format = Uuid)), responses(
    (status = 204), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
#[delete("/api/conversations/{id}/members/{user_id}")]
pub async fn remove(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, AppError> {
    let (id, target) = (ConversationId(path.0), UserId(path.1));
    let me = user.user_id;
    let deliveries = db::transaction(&state.pool, move |conn| {
        let row = models::find_for_member(conn, id, me, true)?.ok_or(AppError::NotFound)?;
        if row.kind != ConversationKind::Group {
            return Err(AppError::bad(
                "direct_fixed",
                "a direct conversation keeps its two members",
            ));
        }
        if target != me && row.created_by != Some(me) {
            return Err(AppError::Forbidden(
                "only the group's creator removes others; anyone may leave",
            ));
        }
        remove_member(conn, &row, target, me)
    })
    .await?;
    state.fanout.deliver(deliveries);
    Ok(HttpResponse::NoContent().finish())
}

/// Removes `target` (the conversation row already locked) on `by`'s request: the remaining
/// members get the new view, the removed user an event naming only the conversation; the name
/// stays on record for the old messages.
pub fn remove_member(
    conn: &mut PgConnection,
    row: &models::ConversationRow,
    target: UserId,
    by: UserId,
) -> Result<Vec<Delivery>, AppError> {
    models::record_former(conn, &[row.id], target)?;
    let removed = diesel::delete(members::table.find((row.id, target))).execute(conn)?;
    if removed == 0 {
        return Err(AppError::NotFound);
    }
    let change = Change {
        kind: "member_removed",
        subject: Some(target),
        by,
    };
    announce_change(conn, row, change, Some(target))
}
