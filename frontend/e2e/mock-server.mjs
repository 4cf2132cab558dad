// A small in-memory stand-in for the Courier server (docs/api.md), for developing the browser
// app before/without the Rust server: `node e2e/mock-server.mjs` then open http://localhost:8787.
// It serves dist/ under the production CSP. Not a security reference: tokens are random
// strings, auth keys are compared directly, the refresh cookie has no __Host- prefix (plain HTTP).
import { createServer } from 'node:http';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join, extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const PORT = Number(process.env.MOCK_PORT ?? 8787);
const TOKEN_TTL = Number(process.env.MOCK_TOKEN_TTL ?? 900);
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

const users = new Map(); // id -> user
const sessions = new Map(); // id -> {userId, refresh, revoked, created_at, last_used_at, ua}
const tokens = new Map(); // access -> {sessionId, exp}
const convs = new Map(); // id -> {id, kind, title, members:[{user_id, delivered, read}], created_at, last_activity_at, last_position}
const messages = new Map(); // convId -> [msg]
const logs = new Map(); // userId -> [{seq, type, data}]
const streams = new Map(); // userId -> Set<res>
const online = new Map(); // userId -> count

const b64 = (b) => Buffer.from(b).toString('base64');
const now = () => new Date().toISOString();
const byName = (n) => [...users.values()].find((u) => u.username === n);

function fingerprint(id, enc, sig) {
  const d = createHash('sha256').update(Buffer.concat([Buffer.from(id), Buffer.from([0]), Buffer.from(enc, 'base64'), Buffer.from(sig, 'base64')])).digest();
  const g = [];
  for (let i = 0; i < 6; i++) g.push(String(Number(d.readUIntBE(5 * i, 5) % 100000)).padStart(5, '0'));
  return g.join(' ');
}
const publicUser = (u) => ({ id: u.id, username: u.username, enc_public: u.keys.enc_public, sig_public: u.keys.sig_public, key_signature: u.keys.key_signature, fingerprint: fingerprint(u.id, u.keys.enc_public, u.keys.sig_public) });

function convView(c, uid) {
  const me = c.members.find((m) => m.user_id === uid);
  const msgs = messages.get(c.id) ?? [];
  const unread = msgs.filter((m) => m.position > (me?.read ?? 0) && m.sender_id !== uid && !m.deleted).length;
  return { id: c.id, kind: c.kind, title: c.title, members: c.members.map((m) => ({ user_id: m.user_id, username: users.get(m.user_id)?.username })), created_at: c.created_at, last_activity_at: c.last_activity_at, last_position: c.last_position, read_up_to: me?.read ?? 0, unread_count: unread };
}

function emit(uid, type, data, persistent = true) {
  let frame;
  if (persistent) {
    const log = logs.get(uid) ?? [];
    logs.set(uid, log);
    const seq = log.length + 1;
    log.push({ seq, type, data });
    frame = `id: ${seq}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  } else frame = `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
  for (const res of streams.get(uid) ?? []) res.write(frame);
}
const msgFor = (m, uid) => (m.deleted ? { conversation_id: m.conversation_id, message_id: m.message_id, position: m.position, sender_id: m.sender_id, server_ts: m.server_ts, deleted: true } : { conversation_id: m.conversation_id, message_id: m.message_id, position: m.position, sender_id: m.sender_id, header: m.header, iv: m.iv, ciphertext: m.ciphertext, signature: m.signature, wrapped_key: m.keys[uid], server_ts: m.server_ts });
const peersOf = (uid) => new Set([...convs.values()].filter((c) => c.members.some((m) => m.user_id === uid)).flatMap((c) => c.members.map((m) => m.user_id)).filter((id) => id !== uid));

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}
const err = (res, status, code, message) => send(res, status, { code, message });

function newSession(uid, ua) {
  const id = randomUUID();
  const s = { id, userId: uid, refresh: randomBytes(24).toString('hex'), revoked: false, created_at: now(), last_used_at: now(), ua };
  sessions.set(id, s);
  return s;
}
function grant(s) {
  const access = randomBytes(24).toString('hex');
  tokens.set(access, { sessionId: s.id, exp: Date.now() + TOKEN_TTL * 1000 });
  return { access_token: access, expires_in: TOKEN_TTL };
}
const cookie = (s) => `courier_refresh=${s ? s.refresh : ''}; HttpOnly; SameSite=Strict; Path=/${s ? '' : '; Max-Age=0'}`;

function auth(req) {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  const t = m && tokens.get(m[1]);
  if (!t || t.exp < Date.now()) return null;
  const s = sessions.get(t.sessionId);
  if (!s || s.revoked) return null;
  return { uid: s.userId, session: s };
}

function revoke(s) {
  s.revoked = true;
  for (const res of streams.get(s.userId) ?? []) if (res.sessionId === s.id) res.end();
}

async function body(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const t = Buffer.concat(chunks).toString();
  return t ? JSON.parse(t) : {};
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  const p = url.pathname;
  const method = req.method;
  if (!p.startsWith('/api/') && !p.startsWith('/__mock/')) return serveStatic(p, res);
  const b = method === 'GET' ? {} : await body(req).catch(() => ({}));
  if (p === '/__mock/substitute-key') {
    // What a malicious server (or a DB thief with write access) would do: swap a user's keys.
    const u = byName(b.username);
    Object.assign(u.keys, { enc_public: b.enc_public, sig_public: b.sig_public, key_signature: b.key_signature });
    return send(res, 204);
  }
  if (p === '/__mock/dump') return send(res, 200, { users: [...users.values()], messages: [...messages.values()], logs: [...logs.values()] });
  // ---- unauthenticated
  if (p === '/api/auth/prelogin') {
    const u = byName(b.username);
    const salt = u ? u.salt : b64(createHash('sha256').update('fake' + b.username).digest().subarray(0, 16));
    return send(res, 200, { kdf: { name: 'pbkdf2-sha256', iterations: u?.kdf.iterations ?? 600000 }, salt });
  }
  if (p === '/api/auth/register') {
    if (byName(b.username)) return err(res, 409, 'conflict', 'username taken');
    const id = randomUUID();
    users.set(id, { id, username: b.username, auth_key: b.auth_key, kdf: b.kdf, salt: b.salt, keys: b.keys, recovery: b.recovery });
    return send(res, 201, { user_id: id });
  }
  if (p === '/api/auth/login') {
    const u = byName(b.username);
    if (!u || u.auth_key !== b.auth_key) return err(res, 401, 'invalid_credentials', 'wrong username or password');
    const s = newSession(u.id, req.headers['user-agent']);
    return send(res, 200, { ...grant(s), session_id: s.id, user: { id: u.id, username: u.username }, keys: u.keys }, { 'Set-Cookie': cookie(s) });
  }
  if (p === '/api/auth/refresh') {
    const c = /courier_refresh=([0-9a-f]+)/.exec(req.headers.cookie ?? '')?.[1];
    const s = [...sessions.values()].find((x) => x.refresh === c && !x.revoked);
    if (!s) return err(res, 401, 'unauthenticated', 'no session');
    s.refresh = randomBytes(24).toString('hex');
    s.last_used_at = now();
    return send(res, 200, grant(s), { 'Set-Cookie': cookie(s) });
  }
  if (p === '/api/account/recover') {
    const u = byName(b.username);
    if (!u || u.recovery?.auth_key !== b.recovery_auth_key) return err(res, 401, 'invalid_credentials', 'no');
    if (!b.new_auth_key) return send(res, 200, { wrapped_user_key: u.recovery.wrapped_user_key });
    Object.assign(u, { auth_key: b.new_auth_key, kdf: b.kdf, salt: b.salt, keys: { ...u.keys, wrapped_user_key: b.wrapped_user_key } });
    for (const s of sessions.values()) if (s.userId === u.id) revoke(s);
    return send(res, 204);
  }
  // ---- authenticated
  const a = auth(req);
  if (!a) return err(res, 401, 'unauthenticated', 'token missing, expired or revoked');
  const me = users.get(a.uid);
  if (p === '/api/events') return stream(req, res, a);
  if (p === '/api/auth/logout') {
    revoke(a.session);
    return send(res, 204, undefined, { 'Set-Cookie': cookie(null) });
  }
  if (p === '/api/sessions') return send(res, 200, { sessions: [...sessions.values()].filter((s) => s.userId === a.uid && !s.revoked).map((s) => ({ id: s.id, created_at: s.created_at, last_used_at: s.last_used_at, user_agent: s.ua, current: s.id === a.session.id })) });
  let m;
  if ((m = /^\/api\/sessions\/(.+)$/.exec(p)) && method === 'DELETE') {
    const s = sessions.get(m[1]);
    if (!s || s.userId !== a.uid) return err(res, 404, 'not_found', 'no such session');
    revoke(s);
    return send(res, 204);
  }
  if (p === '/api/account/password') {
    if (b.auth_key !== me.auth_key) return err(res, 401, 'invalid_credentials', 'wrong password');
    Object.assign(me, { auth_key: b.new_auth_key, kdf: b.kdf, salt: b.salt, keys: { ...me.keys, wrapped_user_key: b.wrapped_user_key } });
    for (const s of sessions.values()) if (s.userId === a.uid && s.id !== a.session.id) revoke(s);
    return send(res, 204);
  }
  if (p === '/api/account' && method === 'DELETE') {
    if (b.auth_key !== me.auth_key) return err(res, 401, 'invalid_credentials', 'wrong password');
    users.delete(a.uid);
    for (const s of sessions.values()) if (s.userId === a.uid) revoke(s);
    return send(res, 204);
  }
  if (p === '/api/users') {
    const u = byName(url.searchParams.get('username'));
    return u ? send(res, 200, publicUser(u)) : err(res, 404, 'not_found', 'no such user');
  }
  if ((m = /^\/api\/users\/(.+)$/.exec(p))) {
    const u = users.get(m[1]);
    return u ? send(res, 200, publicUser(u)) : err(res, 404, 'not_found', 'no such user');
  }
  if (p === '/api/presence') return send(res, 200, { online: [...peersOf(a.uid)].filter((id) => online.get(id)) });
  if (p === '/api/conversations' && method === 'GET') {
    const list = [...convs.values()].filter((c) => c.members.some((x) => x.user_id === a.uid)).sort((x, y) => y.last_activity_at.localeCompare(x.last_activity_at));
    return send(res, 200, { conversations: list.map((c) => convView(c, a.uid)) });
  }
  if (p === '/api/conversations' && method === 'POST') {
    const ids = [...new Set([a.uid, ...b.member_ids])];
    if (ids.length === 2 && !b.title) {
      const existing = [...convs.values()].find((c) => c.kind === 'direct' && ids.every((id) => c.members.some((x) => x.user_id === id)));
      if (existing) return send(res, 200, convView(existing, a.uid));
    }
    const c = { id: randomUUID(), kind: ids.length === 2 ? 'direct' : 'group', title: b.title ?? null, members: ids.map((user_id) => ({ user_id, delivered: 0, read: 0 })), created_at: now(), last_activity_at: now(), last_position: 0 };
    convs.set(c.id, c);
    messages.set(c.id, []);
    for (const id of ids) emit(id, 'conversation', { change: 'created', conversation: convView(c, id) });
    return send(res, 201, convView(c, a.uid));
  }
  if (!(m = /^\/api\/conversations\/([^/]+)(\/.*)?$/.exec(p))) return err(res, 404, 'not_found', 'no route');
  const c = convs.get(m[1]);
  if (!c || !c.members.some((x) => x.user_id === a.uid)) return err(res, 404, 'not_found', 'no such conversation');
  const rest = m[2] ?? '';
  if (!rest) return send(res, 200, convView(c, a.uid));
  if (rest === '/messages' && method === 'POST') {
    const env = b.envelope;
    const h = JSON.parse(env.header);
    const list = messages.get(c.id);
    const dup = list.find((x) => x.message_id === h.message_id);
    if (dup) return send(res, 201, { message_id: dup.message_id, position: dup.position, server_ts: dup.server_ts });
    const ids = c.members.map((x) => x.user_id).sort();
    if (h.conversation_id !== c.id || h.sender_id !== a.uid || JSON.stringify(h.recipients) !== JSON.stringify(ids) || env.keys.length !== ids.length) return err(res, 400, 'invalid_envelope', 'envelope does not match');
    c.last_position += 1;
    const msg = { conversation_id: c.id, message_id: h.message_id, position: c.last_position, sender_id: a.uid, header: env.header, iv: env.iv, ciphertext: env.ciphertext, signature: env.signature, keys: Object.fromEntries(env.keys.map((k) => [k.user_id, k.wrapped_key])), server_ts: Date.now() };
    list.push(msg);
    c.last_activity_at = now();
    for (const x of c.members) emit(x.user_id, 'message', msgFor(msg, x.user_id));
    return send(res, 201, { message_id: msg.message_id, position: msg.position, server_ts: msg.server_ts });
  }
  if (rest === '/messages' && method === 'GET') {
    let list = messages.get(c.id);
    const before = Number(url.searchParams.get('before') ?? Infinity);
    const limit = Math.min(200, Number(url.searchParams.get('limit') ?? 50));
    list = list.filter((x) => x.position < before).slice(-limit);
    return send(res, 200, { messages: list.map((x) => msgFor(x, a.uid)) });
  }
  if ((m = /^\/messages\/(.+)$/.exec(rest)) && method === 'DELETE') {
    const msg = messages.get(c.id).find((x) => x.message_id === m[1]);
    if (!msg || msg.sender_id !== a.uid) return err(res, 404, 'not_found', 'no such message');
    Object.assign(msg, { deleted: true, ciphertext: null });
    for (const x of c.members) emit(x.user_id, 'message_deleted', { conversation_id: c.id, message_id: msg.message_id });
    return send(res, 204);
  }
  if (rest === '/receipts') {
    const msg = messages.get(c.id).find((x) => x.message_id === b.up_to);
    if (!msg) return err(res, 400, 'invalid', 'unknown message');
    const mem = c.members.find((x) => x.user_id === a.uid);
    const field = b.status === 'read' ? 'read' : 'delivered';
    if (mem[field] >= msg.position) return send(res, 204);
    mem[field] = msg.position;
    for (const x of c.members) emit(x.user_id, 'receipt', { conversation_id: c.id, user_id: a.uid, status: b.status, up_to: msg.message_id, position: msg.position });
    return send(res, 204);
  }
  if (rest === '/typing') {
    for (const x of c.members) if (x.user_id !== a.uid) emit(x.user_id, 'typing', { conversation_id: c.id, user_id: a.uid }, false);
    return send(res, 204);
  }
  if (rest === '/members' && method === 'POST') {
    if (!c.members.some((x) => x.user_id === b.user_id)) c.members.push({ user_id: b.user_id, delivered: 0, read: 0 });
    for (const x of c.members) emit(x.user_id, 'conversation', { change: 'member_added', user_id: b.user_id, conversation: convView(c, x.user_id) });
    return send(res, 200, convView(c, a.uid));
  }
  if ((m = /^\/members\/(.+)$/.exec(rest)) && method === 'DELETE') {
    const before = c.members.map((x) => x.user_id);
    c.members = c.members.filter((x) => x.user_id !== m[1]);
    for (const id of before) emit(id, 'conversation', { change: 'member_removed', user_id: m[1], conversation: id === m[1] ? { id: c.id } : convView(c, id) });
    return send(res, 204);
  }
  return err(res, 404, 'not_found', 'no route');
}

function stream(req, res, a) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
  res.sessionId = a.session.id;
  res.write('retry: 2000\n\n');
  const last = Number(req.headers['last-event-id'] ?? new URL(req.url, 'http://x').searchParams.get('last_event_id') ?? NaN);
  const log = logs.get(a.uid) ?? [];
  if (Number.isFinite(last)) for (const e of log.filter((e) => e.seq > last)) res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`);
  res.write(`event: ready\ndata: ${JSON.stringify({ last_seq: log.length })}\n\n`);
  const set = streams.get(a.uid) ?? new Set();
  streams.set(a.uid, set);
  set.add(res);
  online.set(a.uid, (online.get(a.uid) ?? 0) + 1);
  if (online.get(a.uid) === 1) for (const peer of peersOf(a.uid)) emit(peer, 'presence', { user_id: a.uid, online: true }, false);
  const ping = setInterval(() => res.write(': ping\n\n'), 15000);
  const t = tokens.get(/^Bearer (.+)$/.exec(req.headers.authorization)[1]);
  const expiry = setTimeout(() => res.end(), Math.max(0, t.exp - Date.now()));
  res.on('close', () => {
    clearInterval(ping);
    clearTimeout(expiry);
    set.delete(res);
    online.set(a.uid, online.get(a.uid) - 1);
    if (online.get(a.uid) === 0) for (const peer of peersOf(a.uid)) emit(peer, 'presence', { user_id: a.uid, online: false }, false);
  });
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
function serveStatic(p, res) {
  let file = join(DIST, p === '/' ? 'index.html' : p);
  if (!file.startsWith(DIST) || !existsSync(file) || p.endsWith('/')) file = join(DIST, 'index.html');
  res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff' });
  res.end(readFileSync(file));
}

createServer((req, res) => handle(req, res).catch((e) => { console.error(e); err(res, 500, 'internal', 'internal error'); })).listen(PORT, '127.0.0.1', () => console.log(`mock courier on http://localhost:${PORT}`));
