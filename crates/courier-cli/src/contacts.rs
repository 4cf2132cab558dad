//! Contact commands: `lookup` (keys, fingerprint, pin state) and `verify` (compare safety
//! numbers, mark verified, accept a changed key).

use serde_json::json;

use super::context::Ctx;
use courier_client::{ClientError, Pin, Result, Trust};
use courier_protocol::crypto::safety_number;

/// Five-digit groups, six per line, so two people can read them out to each other.
fn groups(number: &str) -> String {
    let g: Vec<&str> = number.split(' ').collect();
    g.chunks(6)
        .map(|c| c.join(" "))
        .collect::<Vec<_>>()
        .join("\n    ")
}

pub async fn lookup(ctx: &Ctx, username: &str) -> Result<()> {
    let session = ctx.session()?;
    let user = session
        .call(|api, t| async move { api.user_by_name(&t, username).await })
        .await?;
    let mut pins = ctx.pins(&session)?;
    let fresh = Pin::from_user(&user)?;
    let state = match pins.check(&user) {
        Ok(Trust::FirstUse) => "pinned now (first use)",
        Ok(Trust::Pinned) => "pinned, not verified",
        Ok(Trust::Verified) => "verified",
        Err(ClientError::KeyChanged { .. }) => {
            "CHANGED since pinned: run `verify` after comparing safety numbers"
        }
        Err(e) => return Err(e),
    };
    ctx.emit(
        json!({"id": user.id, "username": user.username, "fingerprint": fresh.fingerprint, "server_fingerprint": user.fingerprint,
               "enc_public": user.enc_public, "sig_public": user.sig_public, "key_state": state}),
        || format!("{} ({})\nfingerprint: {}\nkey:         {state}", user.username, user.id, fresh.fingerprint),
    );
    if fresh.fingerprint != user.fingerprint {
        eprintln!("note: the server's fingerprint field differs from the one computed here; only the local one counts");
    }
    Ok(())
}

pub async fn verify(ctx: &Ctx, username: &str, yes: bool) -> Result<()> {
    let session = ctx.session()?;
    let user = session
        .call(|api, t| async move { api.user_by_name(&t, username).await })
        .await?;
    let mut pins = ctx.pins(&session)?;
    let theirs = Pin::from_user(&user)?;
    let mine = pins
        .get(session.user_id)
        .cloned()
        .ok_or_else(|| ClientError::Usage("own keys not pinned: log in again".into()))?;
    let number = safety_number(
        session.user_id,
        &mine.fingerprint,
        user.id,
        &theirs.fingerprint,
    );
    let previous = pins.get(user.id).cloned();
    let changed = previous
        .as_ref()
        .is_some_and(|p| p.enc_public != theirs.enc_public || p.sig_public != theirs.sig_public);
    if !ctx.json {
        if changed {
            println!(
                "The keys of {} CHANGED since you pinned them.",
                user.username
            );
        }
        println!(
            "Safety number with {}:\n    {}",
            user.username,
            groups(&number)
        );
        println!(
            "Compare it with what {} sees (in person or over another channel).",
            user.username
        );
    }
    if !yes && !ctx.confirm("Do the numbers match?") {
        return Err(ClientError::Usage(
            "not verified (pass --yes once the numbers were compared)".into(),
        ));
    }
    pins.accept(&user)?;
    ctx.emit(
        json!({"username": user.username, "id": user.id, "safety_number": number, "verified": true, "key_changed": changed}),
        || format!("{} is now verified.", user.username),
    );
    Ok(())
}
