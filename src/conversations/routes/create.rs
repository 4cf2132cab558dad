//! `POST /api/conversations`: a direct conversation (one other member; one per pair, so asking
//! again answers the existing one) or a group (up to 256 members, the caller included).

use actix_web::{post, web, HttpResponse};
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use crate::conversations::{
    changes::{announce_change, Change},
    models::ConversationKind,
};
use crate::{
    auth::AuthUser,
    conversations::{
        models::{self, direct_key, ConversationView, NewConversation},
        MAX_MEMBERS,
    },
    db::{
        self,
        schema::{conversations, members, users},
    },
    error::AppError,
    state::AppState,
};
use courier_protocol::ids::{ConversationId, UserId};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateConversation {
    /// The other members (the caller is added).
    pub member_ids: Vec<Uuid>,
    /// Groups only, at most 100 characters.
    pub title: Option<String>,
    /// `direct` (the default with one other member) or `group`.
    // A string read by hand, so an unknown kind is `invalid_kind`.
    #[schema(value_type = Option<ConversationKind>)]
    pub kind: Option<String>,
}

/// A checked request: other members deduplicated and without the caller.
struct NewConversationPlan {
    others: Vec<UserId>,
    direct: bool,
    title: Option<String>,
}

fn plan(req: CreateConversation, caller: UserId) -> Result<NewConversationPlan, AppError> {
    let mut others: Vec<UserId> = req
        .member_ids
        .into_iter()
        .map(UserId)
        .filter(|u| *u != caller)
        .collect();
    others.sort();
    others.dedup();
    if others.is_empty() {
        return Err(AppError::bad(
            "invalid_members",
            "name at least one other member",
        ));
    }
    if others.len() + 1 > MAX_MEMBERS {
        return Err(AppError::bad(
            "too_many_members",
            format!("a group has at most {MAX_MEMBERS} members"),
        ));
    }
    let direct = match req.kind.as_deref() {
        None => others.len() == 1 && req.title.is_none(),
        Some("direct") if others.len() == 1 => true,
        Some("direct") => {
            return Err(AppError::bad(
                "invalid_members",
                "a direct conversation has exactly two members",
            ))
        }
        Some("group") => false,
        Some(_) => return Err(AppError::bad("invalid_kind", "kind is `direct` or `group`")),
    };
    let title = req
        .title
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    if direct && title.is_some() {
        return Err(AppError::bad(
            "invalid_title",
            "direct conversations have no title",
        ));
    }
    if title
        .as_ref()
        .is_some_and(|t| t.chars().count() > 100 || t.chars().any(char::is_control))
    {
        return Err(AppError::bad(
            "invalid_title",
            "a title is at most 100 printable characters",
        ));
    }
    Ok(NewConversationPlan {
        others,
        direct,
        title,
    })
}

#[utoipa::path(tag = "conversations", security(("bearer" = [])), request_body = CreateConversation, responses(
    (status = 201, body = ConversationView), (status = 200, description = "the existing direct conversation", body = ConversationView),
    (status = 400, body = crate::error::ErrorBody)))]
#[post("/api/conversations")]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<CreateConversation>,
) -> Result<HttpResponse, AppError> {
    let me = user.user_id;
    let plan = plan(body.into_inner(), me)?;
    let (view, created, deliveries) = db::transaction(&state.pool, move |conn| {
        let ids: Vec<Uuid> = plan.others.iter().map(|u| u.0).collect();
        let found: i64 = users::table
            .filter(users::id.eq_any(&ids))
            .count()
            .get_result(conn)?;
        if found != ids.len() as i64 {
            return Err(AppError::bad("unknown_user", "a member id names no user"));
        }
        let key = plan.direct.then(|| direct_key(me, plan.others[0]));
        if let Some(key) = &key {
            let existing: Option<Uuid> = conversations::table
                .filter(conversations::direct_key.eq(key))
                .select(conversations::id)
                .first(conn)
                .optional()?;
            if let Some(id) = existing {
                let row = models::find_for_member(conn, ConversationId(id), me, false)?
                    .ok_or(AppError::NotFound)?;
                return Ok((models::view(conn, row, Some(me))?, false, vec![]));
            }
        }
        let id = ConversationId::new();
        let inserted = diesel::insert_into(conversations::table)
            .values(NewConversation {
                id,
                kind: if plan.direct {
                    ConversationKind::Direct
                } else {
                    ConversationKind::Group
                },
                title: plan.title,
                direct_key: key,
                created_by: Some(me),
            })
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            // The pair's direct conversation was created concurrently: the client retries.
            return Err(AppError::conflict(
                "conflict",
                "created concurrently; retry",
            ));
        }
        let rows: Vec<_> = std::iter::once(me)
            .chain(plan.others)
            .map(|u| {
                (
                    members::conversation_id.eq(id),
                    members::user_id.eq(u),
                    members::added_by.eq((u != me).then_some(me)),
                )
            })
            .collect();
        diesel::insert_into(members::table)
            .values(&rows)
            .execute(conn)?;
        let row = models::find_for_member(conn, id, me, true)?.ok_or(AppError::NotFound)?;
        let change = Change {
            kind: "created",
            subject: None,
            by: me,
        };
        let deliveries = announce_change(conn, &row, change, None)?;
        Ok((models::view(conn, row, Some(me))?, true, deliveries))
    })
    .await?;
    state.fanout.deliver(deliveries);
    Ok(if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    }
    .json(view))
}
