//! Conversations and their members, messages (post, history) and receipts.

use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use super::{not_found, Api};
use crate::error::Result;
use courier_protocol::crypto::Envelope;
use courier_protocol::wire::*;

impl Api {
    pub async fn conversations(&self, token: &str) -> Result<Vec<Conversation>> {
        let list: ConversationList = self
            .json(self.request(Method::GET, "/api/conversations", Some(token)))
            .await?;
        Ok(list.conversations)
    }

    pub async fn conversation(&self, token: &str, id: Uuid) -> Result<Conversation> {
        self.json(self.request(
            Method::GET,
            &format!("/api/conversations/{id}"),
            Some(token),
        ))
        .await
        .map_err(|e| not_found(e, format!("conversation {id}")))
    }

    /// A direct conversation (one other member, no title; the existing one if any) or a group.
    pub async fn create_conversation(
        &self,
        token: &str,
        members: &[Uuid],
        title: Option<&str>,
    ) -> Result<Conversation> {
        let mut body = json!({"member_ids": members});
        if let Some(t) = title {
            body["title"] = json!(t);
            body["kind"] = json!("group");
        }
        self.json(
            self.request(Method::POST, "/api/conversations", Some(token))
                .json(&body),
        )
        .await
    }

    pub async fn add_member(
        &self,
        token: &str,
        conversation: Uuid,
        user: Uuid,
    ) -> Result<Conversation> {
        let req = self
            .request(
                Method::POST,
                &format!("/api/conversations/{conversation}/members"),
                Some(token),
            )
            .json(&json!({"user_id": user}));
        self.json(req).await
    }

    pub async fn remove_member(&self, token: &str, conversation: Uuid, user: Uuid) -> Result<()> {
        let path = format!("/api/conversations/{conversation}/members/{user}");
        self.empty(self.request(Method::DELETE, &path, Some(token)))
            .await
    }

    /// Posts an envelope; `attachment_ids` (complete uploads of ours, at most 10) are what
    /// lets the recipients fetch the attachments the content describes (§8.4).
    pub async fn post_message(
        &self,
        token: &str,
        conversation: Uuid,
        envelope: &Envelope,
        attachment_ids: &[Uuid],
    ) -> Result<Posted> {
        let mut body = json!({"envelope": envelope});
        if !attachment_ids.is_empty() {
            body["attachment_ids"] = json!(attachment_ids);
        }
        let req = self
            .request(
                Method::POST,
                &format!("/api/conversations/{conversation}/messages"),
                Some(token),
            )
            .json(&body);
        self.json(req).await
    }

    pub async fn history(
        &self,
        token: &str,
        conversation: Uuid,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<MessageItem>> {
        let range = HistoryRange {
            before,
            since: None,
            until: None,
            limit,
        };
        self.history_range(token, conversation, &range).await
    }

    /// A history page by server time (`since`/`until`, ms) and/or position (`before`).
    pub async fn history_range(
        &self,
        token: &str,
        conversation: Uuid,
        range: &HistoryRange,
    ) -> Result<Vec<MessageItem>> {
        let mut query = vec![("limit", range.limit.to_string())];
        for (name, value) in [
            ("before", range.before),
            ("since", range.since),
            ("until", range.until),
        ] {
            if let Some(v) = value {
                query.push((name, v.to_string()));
            }
        }
        let req = self
            .request(
                Method::GET,
                &format!("/api/conversations/{conversation}/messages"),
                Some(token),
            )
            .query(&query);
        let page: History = self.json(req).await?;
        Ok(page.messages)
    }

    pub async fn receipt(
        &self,
        token: &str,
        conversation: Uuid,
        status: &str,
        up_to: Uuid,
    ) -> Result<()> {
        let req = self
            .request(
                Method::POST,
                &format!("/api/conversations/{conversation}/receipts"),
                Some(token),
            )
            .json(&json!({"status": status, "up_to": up_to}));
        self.empty(req).await
    }
}

/// The query of [`Api::history_range`] (docs/protocol.md §8.3).
#[derive(Debug, Clone, Copy)]
pub struct HistoryRange {
    /// Only positions below this.
    pub before: Option<i64>,
    /// Server time, ms since the epoch: stored at or after.
    pub since: Option<i64>,
    /// Server time, ms since the epoch: stored before.
    pub until: Option<i64>,
    /// 1–200.
    pub limit: u32,
}
