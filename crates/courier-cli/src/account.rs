//! Account commands: register, login, whoami, password, recover, sessions, logout,
//! delete-account.

use serde_json::json;

use super::context::Ctx;
use super::SessionAction;
use courier_client::{account, ClientError, Result};
use courier_protocol::crypto::fingerprint;

pub async fn register(ctx: &Ctx, username: &str) -> Result<()> {
    let api = ctx.api()?;
    let password = ctx.new_password_or_env()?;
    let (user_id, material) = account::register(&api, username, password).await?;
    let name = material.request.username.clone();
    let recovery = material
        .recovery_key
        .as_ref()
        .map(|k| k.display())
        .unwrap_or_default();
    // The auth key is already derived: log in without a second PBKDF2.
    let (session, acct) = account::login_with_keys(
        &api,
        &ctx.store,
        &name,
        &material.password_keys,
        &material.request.salt,
        material.request.kdf.iterations,
    )
    .await?;
    let fp = fingerprint(user_id, acct.enc_public_spki(), acct.sig_public_spki());
    ctx.emit(
        json!({"user_id": user_id, "username": name, "session_id": session.session_id, "recovery_key": recovery, "fingerprint": fp}),
        || {
            format!(
                "Registered {name} ({user_id}) and logged in.\n\n\
                 RECOVERY KEY (shown only this once; keep it offline, it can reset your password):\n\n    {recovery}\n\n\
                 Your key fingerprint: {fp}"
            )
        },
    );
    Ok(())
}

pub async fn login(ctx: &Ctx, username: &str) -> Result<()> {
    let api = ctx.api()?;
    let password = ctx.password(username)?;
    let (session, acct) = account::login(&api, &ctx.store, username, password).await?;
    let fp = fingerprint(
        session.user_id,
        acct.enc_public_spki(),
        acct.sig_public_spki(),
    );
    ctx.emit(
        json!({"user_id": session.user_id, "username": session.username, "session_id": session.session_id, "server": api.base()}),
        || format!("Logged in as {} on {} (session {}).\nYour key fingerprint: {fp}", session.username, api.base(), session.session_id),
    );
    Ok(())
}

pub async fn whoami(ctx: &Ctx) -> Result<()> {
    let session = ctx.session()?;
    let me = session
        .call(|api, t| async move { api.user_by_id(&t, session.user_id).await })
        .await?;
    let pins = ctx.pins(&session)?;
    let pinned = pins
        .get(session.user_id)
        .map(|p| p.fingerprint.clone())
        .unwrap_or_default();
    if !pinned.is_empty()
        && pins
            .get(session.user_id)
            .is_some_and(|p| p.enc_public != me.enc_public || p.sig_public != me.sig_public)
    {
        eprintln!("WARNING: the server now publishes keys for you that are not the ones you logged in with");
    }
    ctx.emit(
        json!({"user_id": me.id, "username": me.username, "session_id": session.session_id, "server": session.api().base(), "fingerprint": pinned}),
        || format!("{} ({})\nserver:      {}\nsession:     {}\nfingerprint: {pinned}", me.username, me.id, session.api().base(), session.session_id),
    );
    Ok(())
}

pub async fn password(ctx: &Ctx) -> Result<()> {
    let session = ctx.session()?;
    let current = account::unlock(&ctx.store, ctx.password(&session.username)?).await?;
    let new = ctx.new_password()?;
    account::change_password(&session, &ctx.store, current, new).await?;
    ctx.emit(json!({"changed": true}), || {
        "Password changed. Every other session was logged out.".into()
    });
    Ok(())
}

pub async fn recover(ctx: &Ctx, username: &str) -> Result<()> {
    let api = ctx.api()?;
    let key = ctx.recovery_key()?;
    let new = ctx.new_password()?;
    account::recover(&api, username, &key, new).await?;
    // Every session is revoked by the server, ours included.
    if ctx
        .store
        .session()?
        .is_some_and(|s| s.username == username.to_ascii_lowercase())
    {
        ctx.store.clear_session()?;
    }
    ctx.emit(json!({"recovered": true}), || {
        format!("Password reset for {username}; every session was logged out. Log in with the new password.")
    });
    Ok(())
}

pub async fn sessions(ctx: &Ctx, action: SessionAction) -> Result<()> {
    let session = ctx.session()?;
    match action {
        SessionAction::List => {
            let list = session
                .call(|api, t| async move { api.sessions(&t).await })
                .await?;
            if ctx.json {
                ctx.emit(json!({"sessions": list.sessions}), String::new);
            } else {
                for s in &list.sessions {
                    let mark = if s.current { "*" } else { " " };
                    println!(
                        "{mark} {}  created {}  last used {}  {}",
                        s.id,
                        s.created_at,
                        s.last_used_at.as_deref().unwrap_or("-"),
                        s.user_agent.as_deref().unwrap_or("")
                    );
                }
            }
        }
        SessionAction::Revoke { id } => {
            session
                .call(|api, t| async move { api.revoke_session(&t, id).await })
                .await?;
            if id == session.session_id {
                session.forget()?;
            }
            ctx.emit(json!({"revoked": id}), || format!("Session {id} revoked."));
        }
    }
    Ok(())
}

pub async fn logout(ctx: &Ctx) -> Result<()> {
    let session = ctx.session()?;
    // A session that is already revoked counts as logged out.
    match session
        .call(|api, t| async move { api.logout(&t).await })
        .await
    {
        Ok(()) | Err(ClientError::SessionRevoked(_)) => {}
        Err(e) => return Err(e),
    }
    session.forget()?;
    ctx.emit(json!({"logged_out": true}), || "Logged out.".into());
    Ok(())
}

pub async fn delete_account(ctx: &Ctx, yes: bool) -> Result<()> {
    let session = ctx.session()?;
    if !yes
        && !ctx.confirm(&format!(
            "Delete the account {} for good?",
            session.username
        ))
    {
        return Err(ClientError::Usage("not confirmed (pass --yes)".into()));
    }
    let unlocked = account::unlock(&ctx.store, ctx.password(&session.username)?).await?;
    let auth_key = unlocked.password_keys.auth_key_b64();
    let auth_key = &auth_key;
    session
        .call(|api, t| async move { api.delete_account(&t, auth_key).await })
        .await?;
    ctx.store.clear_all()?;
    ctx.emit(json!({"deleted": true}), || {
        format!("Account {} deleted.", session.username)
    });
    Ok(())
}
