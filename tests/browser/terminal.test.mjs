// The web terminal's frame in a real browser: the login (with a wrong password and with the
// keyboard alone), an office and a department's staff member and their inboxes, a referral whose
// text is markup shown as text, the role choice, the not-found page and the logout; axe on each.
import {
  assert,
  assertFocusVisible,
  checkPage,
  login,
  navigating,
  passwordOf,
  run,
  scene,
  tabTo,
  test,
  viewerLine,
} from './lib.mjs';

const OFFICE = 'Bürgerbüro Mitte (Rathaus)';
const pathOf = (page) => new URL(page.url()).pathname;

test('the login page is where a visitor without a session lands', async ({ page }) => {
  const response = await page.goto('/');
  assert.equal(pathOf(page), '/anmelden');
  assert.equal(response.status(), 200);
  assert.equal(await page.locator('h1').textContent(), 'Anmelden');
  assert.equal(await page.locator('header nav').count(), 0, 'no menu before the login');
  await checkPage(page, 'anmelden');
});

test('a wrong password is named next to the field and the login is kept', async ({ page }) => {
  await page.goto('/anmelden');
  await page.getByLabel('Benutzername').fill('bb-mitte');
  await page.getByLabel('Passwort').fill('falsch-falsch-falsch');
  const submit = page.getByRole('button', { name: 'Anmelden' });
  const response = await navigating(page, () => submit.click());
  assert.equal(response.status(), 401);
  assert.equal(pathOf(page), '/anmelden');
  const error = page.getByRole('alert');
  assert.match(await error.textContent(), /Benutzername oder Passwort ist falsch/);
  assert.equal(await error.getAttribute('id'), 'login-fehler');
  assert.equal(await page.getByLabel('Benutzername').inputValue(), 'bb-mitte');
  assert.equal(await page.getByLabel('Passwort').inputValue(), '');
  for (const field of ['Benutzername', 'Passwort']) {
    assert.equal(await page.getByLabel(field).getAttribute('aria-describedby'), 'login-fehler',
                 `${field} is described by the error`);
  }
  assert.equal((await page.context().cookies()).length, 0, 'no session cookie');
  await checkPage(page, 'anmelden-fehler');
});

test('an office logs in and reads its inbox', async ({ page }) => {
  await login(page, 'bb-mitte');
  assert.equal(pathOf(page), '/anfragen/neu', "the office's first page");
  assert.match(await viewerLine(page), new RegExp(`für ${OFFICE.replace(/[()]/g, '\\$&')}`));
  await navigating(page, () => page.getByRole('link', { name: 'Posteingang' }).click());
  assert.equal(pathOf(page), '/posteingang');
  assert.equal(await page.locator('h1').textContent(), 'Posteingang');
  assert.equal(await page.locator('.inbox-name').textContent(), `Posteingang ${OFFICE}`);
  const message = page.locator('li.message', { hasText: scene.hostileCase });
  assert.ok(await message.count() > 0, `the office is told about ${scene.hostileCase}`);
  await checkPage(page, 'posteingang-buergerbuero');
});

test("a department's inbox shows markup in a referral as text and runs none of it", async ({
  page,
}) => {
  await login(page, 'bo-mueller');
  assert.equal(pathOf(page), '/arbeitsliste', "a department's first page");
  assert.match(await viewerLine(page), /Jana Müller für Bauordnungsamt \(als Jana Müller\)/);
  await page.goto('/posteingang');
  const message = page.locator('li.message', { hasText: scene.hostileCase });
  assert.equal(await message.count(), 1, `one message on ${scene.hostileCase}`);
  const title = await message.locator('h2').textContent();
  assert.ok(title.includes(scene.hostileSubject), `the subject as typed: ${title}`);
  assert.ok(title.includes(scene.hostileCompany), `the company as typed: ${title}`);
  // Nothing of it became an element: no image, and lotse-web's own script is the only one.
  assert.equal(await page.locator('img').count(), 0);
  const scripts = page.locator('script');
  assert.deepEqual(await scripts.evaluateAll((all) => all.map((s) => s.getAttribute('src'))),
                   ['/static/lotse.js']);
  await checkPage(page, 'posteingang-fachamt');

  const markRead = page.getByRole('button', { name: 'Alle als gelesen markieren' });
  await navigating(page, () => markRead.click());
  assert.equal(pathOf(page), '/posteingang');
  assert.equal(await page.locator('.empty').textContent(), 'Keine ungelesenen Nachrichten.');
  await checkPage(page, 'posteingang-leer');
});

test('admin is told it has no inbox of its own', async ({ page }) => {
  await login(page, 'admin');
  await page.goto('/posteingang');
  assert.match(await page.locator('main').textContent(),
               /Verwaltung hat keinen eigenen Posteingang/);
  await checkPage(page, 'posteingang-verwaltung');
});

test('a person with two roles chooses whom to act for, and changes it', async ({ page }) => {
  await login(page, scene.twoRoleLogin);
  assert.equal(pathOf(page), '/rolle');
  assert.equal(await page.locator('h1').textContent(), 'Rolle wählen');
  const desk = page.getByLabel('Bauordnungsamt (als Deniz Kaya)');
  const office = page.getByLabel(OFFICE);
  assert.ok(await office.isChecked(), 'the first role is chosen until another is');
  await checkPage(page, 'rolle');

  await desk.check();
  await navigating(page, () => page.getByRole('button', { name: 'Weiter' }).click());
  assert.equal(pathOf(page), '/arbeitsliste');
  assert.match(await viewerLine(page), /für Bauordnungsamt \(als Deniz Kaya\)/);

  await navigating(page, () => page.getByRole('link', { name: 'Rolle wechseln' }).click());
  assert.ok(await desk.isChecked(), 'the role acted in now is the chosen one');
  await office.check();
  await navigating(page, () => page.getByRole('button', { name: 'Weiter' }).click());
  assert.equal(pathOf(page), '/anfragen/neu');
  await navigating(page, () => page.getByRole('link', { name: 'Posteingang' }).click());
  assert.equal(await page.locator('.inbox-name').textContent(), `Posteingang ${OFFICE}`);
});

test('a page that does not exist says so and leads back', async ({ page }) => {
  let response = await page.goto('/gibt-es-nicht');
  assert.equal(response.status(), 404);
  assert.equal(await page.locator('h1').textContent(), 'Nicht gefunden');
  await checkPage(page, 'nicht-gefunden');
  await navigating(page, () => page.getByRole('link', { name: 'Zur Startseite' }).click());
  assert.equal(pathOf(page), '/anmelden');

  await login(page, 'bo-mueller');
  response = await page.goto('/gibt-es-nicht');
  assert.equal(response.status(), 404);
  assert.match(await viewerLine(page), /Jana Müller/, 'logged in, the menu stays');
  await checkPage(page, 'nicht-gefunden-angemeldet');
});

test('logging out ends the session', async ({ page }) => {
  await login(page, 'bb-mitte');
  await navigating(page, () => page.getByRole('button', { name: 'Abmelden' }).click());
  assert.equal(pathOf(page), '/anmelden');
  assert.equal((await page.context().cookies()).length, 0, 'the cookie is gone');
  await page.goto('/posteingang');
  assert.equal(pathOf(page), '/anmelden', 'the inbox asks for a login again');
});

test('the keyboard alone logs in, reaches the inbox and logs out', async ({ page }) => {
  await page.goto('/anmelden');
  assert.equal(await tabTo(page, 'a.skip', 1), 'Zum Inhalt springen', 'the first stop: skip');
  await assertFocusVisible(page);
  await tabTo(page, '#login');
  await assertFocusVisible(page);
  await page.keyboard.type('bb-mitte');
  await tabTo(page, '#password', 1);
  await page.keyboard.type(passwordOf('bb-mitte'));
  await navigating(page, () => page.keyboard.press('Enter'));
  assert.equal(pathOf(page), '/anfragen/neu');

  assert.equal(await tabTo(page, 'a[href="/posteingang"]'), 'Posteingang');
  await assertFocusVisible(page);
  await navigating(page, () => page.keyboard.press('Enter'));
  assert.equal(pathOf(page), '/posteingang');
  assert.equal(await page.locator('.inbox-name').textContent(), `Posteingang ${OFFICE}`);

  assert.equal(await tabTo(page, 'form.logout button'), 'Abmelden');
  await assertFocusVisible(page);
  await navigating(page, () => page.keyboard.press('Enter'));
  assert.equal(pathOf(page), '/anmelden');
});

await run();
