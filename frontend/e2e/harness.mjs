// Minimal sequential test harness for the browser end-to-end run: named steps, polling waits,
// a summary line "N passed, M failed" (the plain form CI reads), non-zero exit on failure.
import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const ARTIFACTS = new URL('./artifacts/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

const results = [];
let aborted = null;
let failureHook = null;

/** Called with the step number after a failure (e.g. to screenshot every page). */
export function onFailure(fn) {
  failureHook = fn;
}

export async function step(name, fn, { critical = false } = {}) {
  if (aborted) {
    results.push({ name, status: 'skipped' });
    console.log(`  - skipped  ${name}`);
    return;
  }
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, status: 'passed' });
    console.log(`  ✓ ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, status: 'failed', error: e });
    console.log(`  ✗ ${name}\n      ${String(e?.stack ?? e).split('\n').slice(0, 6).join('\n      ')}`);
    await failureHook?.(results.length).catch(() => {});
    if (critical) aborted = name;
  }
}

export function summary() {
  const count = (s) => results.filter((r) => r.status === s).length;
  const skipped = count('skipped');
  const failed = count('failed') + (skipped ? 0 : 0);
  console.log(`\n${count('passed')} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed === 0 && skipped === 0;
}

export async function waitUntil(fn, { timeout = 20_000, interval = 200, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${message}${last ? `: ${last.message}` : ''}`);
}

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

export function ensureChromium() {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (existsSync(path)) return path;
  console.log('chromium missing: installing it from apt');
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
  if (!existsSync(path)) throw new Error(`no Chromium at ${path}`);
  return path;
}

export async function launch() {
  return chromium.launch({
    executablePath: ensureChromium(),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--ignore-certificate-errors', '--disable-dev-shm-usage'],
  });
}

/** With COPY_SCREENSHOTS=1, copies these artifacts to docs/screenshots/ (the README's figures). */
export function copyScreenshots(files) {
  if (process.env.COPY_SCREENSHOTS !== '1') return;
  const docs = new URL('../../docs/screenshots/', import.meta.url).pathname;
  mkdirSync(docs, { recursive: true });
  for (const f of files) {
    try {
      copyFileSync(`${ARTIFACTS}${f}`, docs + f);
    } catch {
      /* missing screenshot: its step failed */
    }
  }
}
