// Database access for the assertions a person cannot make through the UI: substituting a key
// (as a malicious server would) and checking that no plaintext was ever stored.
import { execFileSync } from 'node:child_process';

const hex = (buf) => Buffer.from(buf).toString('hex');

export function substituteKeyInDb(databaseUrl, username, { encSpki, sigSpki, keySignature }) {
  const sql = `UPDATE users SET enc_public = '\\x${hex(encSpki)}', sig_public = '\\x${hex(sigSpki)}', key_signature = '\\x${hex(keySignature)}' WHERE username = '${username.replace(/'/g, "''")}'`;
  const out = execFileSync('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-qtAc', sql], { encoding: 'utf8' });
  return out;
}

/** Every table's data, as pg_dump prints it (bytea as hex). */
export function dumpDatabase(databaseUrl) {
  return execFileSync('pg_dump', ['--data-only', '--no-owner', databaseUrl], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
}

/** The plaintext in the forms it could hide in: UTF-8 text, hex (bytea), base64. */
export function plaintextFindings(dump, plaintexts) {
  const lower = dump.toLowerCase();
  const found = [];
  for (const p of plaintexts) {
    const bytes = Buffer.from(p, 'utf8');
    if (dump.includes(p)) found.push(`${JSON.stringify(p)} as text`);
    if (lower.includes(hex(bytes))) found.push(`${JSON.stringify(p)} as hex`);
    if (dump.includes(bytes.toString('base64').replace(/=+$/, ''))) found.push(`${JSON.stringify(p)} as base64`);
  }
  return found;
}

/** Runs one SQL statement; returns psql's unaligned output. */
export function psql(databaseUrl, sql) {
  return execFileSync('psql', [databaseUrl, '-v', 'ON_ERROR_STOP=1', '-qtAc', sql], { encoding: 'utf8' });
}

/** A member's receipt positions in a conversation, as the server stored them. */
export function receiptsOf(databaseUrl, username, conversationId) {
  const out = psql(
    databaseUrl,
    `SELECT m.delivered_up_to || ',' || m.read_up_to FROM members m JOIN users u ON u.id = m.user_id WHERE u.username = '${username.replace(/'/g, "''")}' AND m.conversation_id = '${conversationId}'`,
  ).trim();
  const [delivered, read] = out.split(',').map(Number);
  return { delivered, read };
}
