//! `listen`: the live event stream, verified, decrypted and printed.
//!
//! Policy: keys are unlocked once at start and live only in this process's memory. Output is
//! at-least-once across crashes: a line is printed (and flushed) before its id is saved, so a
//! kill between the two replays that one event on the next run; JSON lines carry `id` and
//! `message_id` for scripts that must de-duplicate. Receiving a message that verified posts a
//! cumulative `delivered` receipt so the sender sees it arrive (unless `--no-receipts`); one
//! that failed verification is never acknowledged (the sender would see "delivered" for
//! something the reader could not read, or that someone else forged).

use std::collections::HashMap;

use serde_json::{json, Value};
use uuid::Uuid;

use super::chat::print_message;
use super::context::Ctx;
use courier_protocol::wire::{Conversation, MessageItem};

use super::display;
use courier_client::{
    listen::{Listener, Note},
    messaging, ClientError, Result, Session,
};

/// Names of conversations and users, for printing; refreshed from the server when unknown.
struct Names {
    conversations: HashMap<Uuid, String>,
    users: HashMap<Uuid, String>,
    me: Uuid,
}

impl Names {
    fn learn(&mut self, c: &Conversation) {
        self.conversations
            .insert(c.id, display::conversation_label(&c, self.me));
        for m in &c.members {
            self.users.insert(m.id, m.username.clone());
        }
    }

    async fn reload(&mut self, session: &Session) {
        if let Ok(all) = session
            .call(|api, t| async move { api.conversations(&t).await })
            .await
        {
            all.iter().for_each(|c| self.learn(c));
        }
    }

    fn conversation(&self, id: Uuid) -> String {
        self.conversations
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    fn user(&self, id: Uuid) -> String {
        self.users
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

fn uuid(v: &Value, key: &str) -> Uuid {
    v[key]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default()
}

pub async fn listen(
    ctx: &Ctx,
    count: Option<u64>,
    from: Option<i64>,
    receipts: bool,
) -> Result<()> {
    let session = ctx.session()?;
    let me = ctx.me(&session).await?;
    let mut pins = ctx.pins(&session)?;
    let mut names = Names {
        conversations: HashMap::new(),
        users: HashMap::new(),
        me: session.user_id,
    };
    names.reload(&session).await;
    let start = match from {
        Some(n) => n,
        None => ctx.store.cursor(session.user_id)?,
    };
    let mut received = 0u64;
    if count == Some(0) {
        return Ok(());
    }
    let session = &session;
    let mut listener = Listener::new(session, start, Some(&ctx.store));
    loop {
        let note = listener.next().await.map_err(|e| match e {
            ClientError::Api { code, .. } if code == "invalid_last_event_id" => ClientError::Usage(format!(
                "the saved position (event {start}) is beyond this account's event log on the server; \
                 was the account or the server's database recreated? Run `listen --from 0`"
            )),
            other => other,
        })?;
        let ev = match note {
            Note::Connected { after } => {
                eprintln!("-- connected, resuming after event {after} --");
                continue;
            }
            Note::Disconnected { reason, retry_in } => {
                eprintln!("-- disconnected ({reason}); reconnecting in {retry_in:?} --");
                continue;
            }
            Note::Event(ev) => ev,
        };
        let data: Value = serde_json::from_str(&ev.data).unwrap_or(Value::Null);
        match ev.event.as_str() {
            "message" => {
                let item: MessageItem = match serde_json::from_value(data.clone()) {
                    Ok(i) => i,
                    Err(e) => {
                        eprintln!("!! malformed message event {:?}: {e}", ev.id);
                        continue;
                    }
                };
                if !names.conversations.contains_key(&item.conversation_id) {
                    names.reload(session).await;
                }
                let shown = messaging::open(session, &mut pins, &me, &item).await;
                let label = names.conversation(item.conversation_id);
                if ctx.json {
                    ctx.emit(
                        json!({"event": "message", "id": ev.id, "conversation": label, "message": shown}),
                        String::new,
                    );
                } else {
                    print_message(ctx, &label, &shown);
                }
                // Printed: handled. Save the position before the receipt round trip.
                listener.commit()?;
                if receipts && item.sender_id != session.user_id && shown.content.is_verified() {
                    let (c, m) = (item.conversation_id, item.message_id);
                    if let Err(e) = session
                        .call(|api, t| async move { api.receipt(&t, c, "delivered", m).await })
                        .await
                    {
                        eprintln!("-- could not post a delivered receipt: {e} --");
                    }
                }
                received += 1;
                if count.is_some_and(|n| received >= n) {
                    return listener.commit();
                }
            }
            "ready" => {
                if !ctx.json {
                    eprintln!("-- live --");
                }
                ctx.json.then(|| {
                    ctx.emit(
                        json!({"event": "ready", "last_seq": data["last_seq"]}),
                        String::new,
                    )
                });
            }
            kind => {
                if kind == "conversation" {
                    if let Ok(c) =
                        serde_json::from_value::<Conversation>(data["conversation"].clone())
                    {
                        names.learn(&c);
                    }
                }
                let conv = uuid(&data, "conversation_id");
                ctx.emit(json!({"event": kind, "id": ev.id, "data": data}), || {
                    describe(kind, &data, conv, &names)
                });
            }
        }
    }
}

/// A human line for the events that are not messages.
fn describe(kind: &str, data: &Value, conv: Uuid, names: &Names) -> String {
    let user = names.user(uuid(data, "user_id"));
    match kind {
        "receipt" => format!(
            "[{}] {user}: {} up to #{}",
            names.conversation(conv),
            data["status"].as_str().unwrap_or("?"),
            data["position"]
        ),
        "message_deleted" => {
            format!(
                "[{}] message {} deleted",
                names.conversation(conv),
                data["message_id"].as_str().unwrap_or("?")
            )
        }
        "typing" => format!("[{}] {user} is typing…", names.conversation(conv)),
        "presence" => {
            format!(
                "{user} is {}",
                if data["online"].as_bool() == Some(true) {
                    "online"
                } else {
                    "offline"
                }
            )
        }
        "conversation" => {
            let id = uuid(&data["conversation"], "id");
            let change = data["change"]
                .as_str()
                .unwrap_or("changed")
                .replace('_', " ");
            let who = if data["user_id"].is_string() {
                format!(": {user}")
            } else {
                String::new()
            };
            format!("[{}] conversation {change}{who}", names.conversation(id))
        }
        other => format!("({other} event) {data}"),
    }
}
