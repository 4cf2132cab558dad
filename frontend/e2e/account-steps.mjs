// Account life cycle through the UI: wrong password, password change, recovery with the
// recovery key, revoking another session, a group chat, and deleting the account.
import { assert, step, waitUntil } from './harness.mjs';
import { countMessages, expectMessage, message, newUserPage, openConversation, register, send, shot, signIn } from './app.mjs';

async function signOut(page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 20_000 });
}

export async function accountSteps({ browser, base, run, problems, alice, bob, A, B, sent, text, group = true }) {
  const carol = {
    username: `carol_${run}`, password: `carol first ${run}`, next: `carol second ${run}`, second: `carol second again ${run}`,
    third: `carol third ${run}`, fourth: `carol fourth ${run}`,
  };
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
    const notice = await A.page.getByTestId('membership-notice').textContent();
    assert(notice === `You were added to ${carol.username}’s group.`, `alice, there from the start, is told whose group it is (${notice})`);
  });

  if (group) await step('leaving a group asks first; after leaving, the app says so', async () => {
    await B.page.getByRole('button', { name: 'Group members and safety numbers' }).click();
    const dialog = B.page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Leave group…' }).click();
    const confirm = dialog.getByTestId('leave-confirmation');
    await confirm.waitFor();
    assert(/stop receiving its messages/.test(await confirm.textContent()), 'the confirmation says what leaving does');
    await confirm.getByRole('button', { name: 'Stay in the group' }).click();
    await confirm.waitFor({ state: 'detached' });
    assert((await B.page.locator(`[data-testid="conversation"][data-title="Weekend ${run}"]`).count()) === 1, 'still a member after "Stay"');
    await dialog.getByRole('button', { name: 'Leave group…' }).click();
    await dialog.getByTestId('leave-confirmation').getByRole('button', { name: 'Leave', exact: true }).click();
    await dialog.waitFor({ state: 'detached', timeout: 30_000 });
    await B.page.getByRole('status').filter({ hasText: `You left “Weekend ${run}”.` }).waitFor({ timeout: 20_000 });
    await B.page.locator(`[data-testid="conversation"][data-title="Weekend ${run}"]`).waitFor({ state: 'detached', timeout: 20_000 });
  });

  if (group) await step('added back, bob is told why what was sent meanwhile is not there', async () => {
    const away = text('Sent while bob was away');
    sent.push(away);
    await send(C.page, away);
    await expectMessage(A.page, away);
    await C.page.getByRole('button', { name: 'Group members and safety numbers' }).click();
    const dialog = C.page.getByRole('dialog');
    await dialog.getByLabel('Add a member').fill(bob.username);
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await dialog.getByText(bob.username, { exact: true }).waitFor({ timeout: 30_000 });
    await dialog.getByRole('button', { name: 'Close' }).click();
    sent.push(text('Welcome back bob, from carol'));
    await send(C.page, sent.at(-1));
    await openConversation(B.page, `Weekend ${run}`);
    await expectMessage(B.page, sent.at(-1));
    await B.page
      .getByTestId('membership-notice')
      .filter({ hasText: 'Messages sent while you were not a member are not available to you' })
      .waitFor({ timeout: 20_000 });
    assert((await countMessages(B.page, away)) === 0, 'bob cannot read what was sent while he was away');
    await shot(B.page, '10-added-back.png');
  });

  await step('carol changes her password twice in the same dialog; only the newest one works', async () => {
    await C.page.getByRole('button', { name: 'Settings' }).click();
    const dialog = C.page.getByRole('dialog');
    for (const [from, to] of [[carol.password, carol.next], [carol.next, carol.second]]) {
      await dialog.getByLabel('Current password').fill(from);
      await dialog.getByLabel('New password', { exact: true }).fill(to);
      await dialog.getByLabel('Confirm new password').fill(to);
      const submit = dialog.getByRole('button', { name: 'Change password' });
      await submit.click();
      // Before the fix, the second change was refused here: the dialog kept the old salt and wrapped key.
      await waitUntil(async () => (await submit.getAttribute('aria-busy')) === null && (await dialog.getByRole('status').filter({ hasText: 'Password changed.' }).count()) === 1, {
        timeout: 60_000,
        message: `password changed to ${to}`,
      });
    }
    await dialog.getByRole('button', { name: 'Sign out' }).click();
    for (const old of [carol.password, carol.next]) {
      await signIn(C.page, carol.username, old);
      await C.page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor({ timeout: 30_000 });
      await C.page.reload();
    }
    await signIn(C.page, carol.username, carol.second);
    await C.page.getByTestId('me').waitFor({ timeout: 30_000 });
  });

  await step('revoking another session signs that browser out with a clear message', async () => {
    C2 = await newUserPage(browser, base, 'carol-2', problems);
    await signIn(C2.page, carol.username, carol.second);
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

  await step('carol changes her password and deletes her account in the same dialog; what she sent stays with the others', async () => {
    await C.page.getByRole('button', { name: 'Settings' }).click();
    const dialog = C.page.getByRole('dialog');
    await dialog.getByLabel('Current password').fill(carol.third);
    await dialog.getByLabel('New password', { exact: true }).fill(carol.fourth);
    await dialog.getByLabel('Confirm new password').fill(carol.fourth);
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.getByText('Password changed.').waitFor({ timeout: 60_000 });
    await dialog.getByRole('tab', { name: 'Delete account' }).click();
    const copy = await dialog.getByTestId('delete-account-messages').textContent();
    assert(/Messages you already sent are not removed/.test(copy), `the deletion text is true about messages (${copy})`);
    await dialog.getByLabel('Password').fill(carol.fourth);
    await dialog.getByRole('button', { name: 'Delete my account' }).click();
    await C.page.getByText('Your account was deleted.').waitFor({ timeout: 60_000 });
    await signIn(C.page, carol.username, carol.fourth);
    await C.page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor({ timeout: 30_000 });
    await C.context.close();
    if (group) {
      // Bob still has what carol sent, also after a reload.
      await B.page.reload();
      await B.page.getByRole('heading', { name: 'Unlock Courier' }).waitFor({ timeout: 30_000 });
      await B.page.getByLabel('Password').fill(bob.password);
      await B.page.getByRole('button', { name: 'Unlock' }).click();
      await B.page.getByTestId('me').waitFor({ timeout: 60_000 });
      await openConversation(B.page, `Weekend ${run}`);
      await expectMessage(B.page, sent.at(-1), 30_000);
      assert((await message(B.page, sent.at(-1)).first().getAttribute('data-kind')) === 'text', 'still readable');
    }
  });
}
