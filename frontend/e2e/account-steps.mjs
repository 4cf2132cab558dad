// Account life cycle through the UI: wrong password, password change, recovery with the
// recovery key, revoking another session, a group chat, and deleting the account.
import { assert, step, waitUntil } from './harness.mjs';
import { expectMessage, newUserPage, openConversation, register, send, shot } from './app.mjs';

async function signIn(page, username, password) {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signOut(page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
}

export async function accountSteps({ browser, base, run, problems, alice, bob, A, B, sent, text, group = true }) {
  const carol = { username: `carol_${run}`, password: `carol first ${run}`, next: `carol second ${run}`, third: `carol third ${run}` };
  let C;
  let C2;
  let recoveryKey;

  await step('a third person registers, signs out, and a wrong password is refused clearly', async () => {
    C = await newUserPage(browser, base, 'carol', problems);
    recoveryKey = await register(C.page, carol.username, carol.password);
    await signOut(C.page);
    await signIn(C.page, carol.username, 'not the password');
    await C.page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor({ timeout: 30_000 });
    await shot(C.page, '08-wrong-password.png');
    await C.page.getByLabel('Password').fill(carol.password);
    await C.page.getByRole('button', { name: 'Sign in' }).click();
    await C.page.getByTestId('me').waitFor({ timeout: 30_000 });
  });

  if (group) await step('a group chat: carol creates it, alice and bob read it live', async () => {
    await C.page.getByRole('button', { name: 'New group' }).click();
    const dialog = C.page.getByRole('dialog');
    await dialog.getByLabel('Group name').fill(`Weekend ${run}`);
    for (const u of [alice.username, bob.username]) {
      await dialog.getByLabel('Add members').fill(u);
      await dialog.getByLabel('Add members').press('Enter');
    }
    await dialog.getByRole('button', { name: 'Create group' }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    await waitUntil(async () => (await C.page.getByTestId('chat-title').textContent()) === `Weekend ${run}`, { message: 'group open' });
    sent.push(text('Group hello from carol'));
    await send(C.page, sent.at(-1));
    await openConversation(B.page, `Weekend ${run}`);
    await expectMessage(B.page, sent.at(-1));
    const item = A.page.locator(`[data-testid="conversation"][data-title="Weekend ${run}"]`);
    await waitUntil(async () => (await item.getByTestId('unread-badge').textContent()) === '1', { message: 'unread count 1 on the group' });
    await openConversation(A.page, `Weekend ${run}`);
    await expectMessage(A.page, sent.at(-1));
  });

  await step('carol changes her password; the new one unlocks, the old one no longer does', async () => {
    await C.page.getByRole('button', { name: 'Settings' }).click();
    const dialog = C.page.getByRole('dialog');
    await dialog.getByLabel('Current password').fill(carol.password);
    await dialog.getByLabel('New password', { exact: true }).fill(carol.next);
    await dialog.getByLabel('Confirm new password').fill(carol.next);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByText('Password changed.').waitFor({ timeout: 60_000 });
    await dialog.getByRole('button', { name: 'Sign out' }).click();
    await signIn(C.page, carol.username, carol.password);
    await C.page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor({ timeout: 30_000 });
    await C.page.getByLabel('Password').fill(carol.next);
    await C.page.getByRole('button', { name: 'Sign in' }).click();
    await C.page.getByTestId('me').waitFor({ timeout: 30_000 });
  });

  await step('revoking another session signs that browser out with a clear message', async () => {
    C2 = await newUserPage(browser, base, 'carol-2', problems);
    await signIn(C2.page, carol.username, carol.next);
    await C2.page.getByTestId('me').waitFor({ timeout: 30_000 });
    await C.page.getByRole('button', { name: 'Settings' }).click();
    await C.page.getByRole('tab', { name: 'Sessions' }).click();
    const revoke = C.page.getByRole('button', { name: /^Revoke session/ });
    await revoke.first().waitFor({ timeout: 20_000 });
    await revoke.first().click();
    await C2.page.getByText('Your session has ended').waitFor({ timeout: 60_000 });
    await shot(C2.page, '09-session-ended.png');
    await C.page.getByRole('button', { name: 'Close' }).click();
    await C2.context.close();
  });

  await step('recovery with the recovery key sets a new password and keeps the history', async () => {
    await signOut(C.page);
    await C.page.getByRole('button', { name: /Use your recovery key/ }).click();
    await C.page.getByLabel('Username').fill(carol.username);
    await C.page.getByLabel('Recovery key').fill(recoveryKey);
    await C.page.getByLabel('New password', { exact: true }).fill(carol.third);
    await C.page.getByLabel('Confirm new password').fill(carol.third);
    await C.page.getByRole('button', { name: 'Set new password' }).click();
    await C.page.getByText('Your password was reset.').waitFor({ timeout: 60_000 });
    await signIn(C.page, carol.username, carol.third);
    await C.page.getByTestId('me').waitFor({ timeout: 30_000 });
    if (group) {
      await openConversation(C.page, `Weekend ${run}`);
      await expectMessage(C.page, sent.at(-1));
    }
  });

  await step('carol deletes her account', async () => {
    await C.page.getByRole('button', { name: 'Settings' }).click();
    await C.page.getByRole('tab', { name: 'Delete account' }).click();
    await C.page.getByRole('dialog').getByLabel('Password').fill(carol.third);
    await C.page.getByRole('button', { name: 'Delete my account' }).click();
    await C.page.getByText('Your account was deleted.').waitFor({ timeout: 60_000 });
    await signIn(C.page, carol.username, carol.third);
    await C.page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor({ timeout: 30_000 });
    assert(true, 'deleted');
    await C.context.close();
  });
}
