// The browser tests' runner and helpers: Debian's chromium driven by playwright-core, axe-core
// on every checked page, and the Lotse set that tests/browser/browser_test.cc started.
//
// A flow file (tests/browser/<name>.test.mjs) registers its tests and runs them:
//
//   import { test, run, login, checkPage } from './lib.mjs';
//   test('an office sees its inbox', async ({ page }) => {
//     await login(page, 'bb-mitte');
//     await page.goto('/posteingang');
//     await checkPage(page, 'posteingang-buergerbuero');
//   });
//   await run();
//
// Each test gets a fresh browser context (no cookies) and its page, whose relative URLs go to
// the web terminal; `newPage()` opens another one beside it (a second person at another desk,
// with its own cookies), closed with the test. A test fails on a thrown error, on any dialog
// (alert, confirm, prompt) in any of its pages, on an uncaught script error, and on anything the
// Content-Security-Policy refused. The environment:
//
//   LOTSE_WEB_URL      the web terminal, "http://127.0.0.1:7116"
//   LOTSE_PASSWORDS    <data-dir>/web/initial-passwords (login, password, what it acts for)
//   LOTSE_SCREENSHOTS  where checkPage writes <name>.png (default: a new temp directory)
//   LOTSE_CHROMIUM     the browser (default /usr/bin/chromium); nothing is ever downloaded
//   LOTSE_BROWSER_TIMEOUT_S  the whole run's limit (default 240)
//   LOTSE_SCENE_*      what the set holds besides the sample city's accounts (`scene` below)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import AxeBuilder from '@axe-core/playwright';
import { chromium } from 'playwright-core';

export { assert };

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
// Debian's chromium, as root on a machine without outside network: no sandbox, no GPU, no
// calls home.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Generous: the machine is small and shared. Conditions are waited for, never slept on.
const ACTION_TIMEOUT_MS = 30_000;
const NAVIGATION_TIMEOUT_MS = 60_000;
const LAUNCH_TIMEOUT_MS = 120_000;

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`${name} is not set: run the browser tests through ctest -L browser ` +
                  '(tests/browser/README.md), which starts a Lotse set and sets it.');
    process.exit(2);
  }
  return value;
}

export const env = {
  url: required('LOTSE_WEB_URL').replace(/\/$/, ''),
  passwords: required('LOTSE_PASSWORDS'),
  screenshots: process.env.LOTSE_SCREENSHOTS ||
               mkdtempSync(path.join(os.tmpdir(), 'lotse-screenshots-')),
  chromium: process.env.LOTSE_CHROMIUM || '/usr/bin/chromium',
  timeoutS: Number(process.env.LOTSE_BROWSER_TIMEOUT_S || 240),
};

// What browser_test.cc put into the set before the run, the same for every flow file
// (tests/browser/README.md, "The scene").
export const scene = {
  // A referral from bb-mitte to bauordnung whose subject and company name are markup.
  hostileCase: required('LOTSE_SCENE_HOSTILE_CASE'),
  hostileSubject: required('LOTSE_SCENE_HOSTILE_SUBJECT'),
  hostileCompany: required('LOTSE_SCENE_HOSTILE_COMPANY'),
  // An account with two roles: office bb-mitte and department bauordnung as bo-kaya.
  twoRoleLogin: required('LOTSE_SCENE_TWO_ROLE_LOGIN'),
};

// The password of `login` from the initial-passwords file; the last line of a login counts.
export function passwordOf(login) {
  let password;
  for (const line of readFileSync(env.passwords, 'utf8').split('\n')) {
    const [name, secret] = line.split('\t');
    if (name === login && secret) {
      password = secret;
    }
  }
  if (password === undefined) {
    throw new Error(`${env.passwords} has no line for the login "${login}"`);
  }
  return password;
}

// Runs `action` (a click, a key press) that sends the page somewhere, and waits until the new
// page has loaded. Returns the response of the page that came (200, 401, 404 …; after a redirect
// the last one), or null for a jump within the page.
export async function navigating(page, action) {
  let response = null;
  const onResponse = (r) => {
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) {
      response = r;
    }
  };
  page.on('response', onResponse);
  try {
    await Promise.all([
      page.waitForEvent('framenavigated', {
        predicate: (frame) => frame === page.mainFrame(),
        timeout: NAVIGATION_TIMEOUT_MS,
      }),
      action(),
    ]);
    await page.waitForLoadState('load');
  } finally {
    page.off('response', onResponse);
  }
  return response;
}

// Logs `login` in through the form with its password from the initial-passwords file and waits
// for the page it is sent to. Throws with the page's error if the login is refused.
export async function login(page, who) {
  await page.goto('/anmelden');
  await page.getByLabel('Benutzername').fill(who);
  await page.getByLabel('Passwort').fill(passwordOf(who));
  const response =
      await navigating(page, () => page.getByRole('button', { name: 'Anmelden' }).click());
  if (new URL(page.url()).pathname === '/anmelden') {
    const said = (await page.locator('main').textContent()).replace(/\s+/g, ' ').trim();
    throw new Error(`the login of "${who}" was refused (${response?.status()}): ${said}`);
  }
}

// The logged-in line of the page's head ("Angemeldet: Jana Müller für Bauordnungsamt (als …)").
export async function viewerLine(page) {
  return (await page.locator('header .viewer').textContent()).replace(/\s+/g, ' ').trim();
}

// Presses Tab until the focused element matches `selector` (at most `limit` times) and returns
// the element's text; fails naming every stop on the way.
export async function tabTo(page, selector, limit = 25) {
  const stops = [];
  for (let i = 0; i < limit; ++i) {
    await page.keyboard.press('Tab');
    const stop = await page.evaluate((s) => {
      const e = document.activeElement;
      if (!e || e === document.body) {
        return { matches: false, name: '(nothing)' };
      }
      const name = `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} "${
        (e.textContent || e.getAttribute('name') || '').trim().slice(0, 40)}"`;
      return { matches: e.matches(s), name, text: (e.textContent || '').trim() };
    }, selector);
    stops.push(stop.name);
    if (stop.matches) {
      return stop.text;
    }
  }
  throw new Error(`Tab did not reach ${selector} in ${limit} steps; focus went to: ${
    stops.join(' → ')}`);
}

// The focused element shows a visible focus indicator (WCAG 2.4.7), which axe does not check.
export async function assertFocusVisible(page) {
  const outline = await page.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  });
  assert.ok(outline.style !== 'none' && outline.width > 0,
            `the focused element has no visible outline (${JSON.stringify(outline)})`);
}

// The text a person reads in `locator` (default: the page's main part), white space made single.
export async function textOf(pageOrLocator) {
  const locator = 'goto' in pageOrLocator ? pageOrLocator.locator('main') : pageOrLocator;
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

// The path of the page now ("/anfragen/neu").
export function pathOf(page) {
  return new URL(page.url()).pathname;
}

// Presses Tab (or Shift+Tab with `backwards`) until the focused element matches `selector`, then
// checks its focus is visible: the keyboard flows' step to the next control.
export async function focusOn(page, selector, { limit = 40, backwards = false } = {}) {
  if (backwards) {
    for (let i = 0; i < limit; ++i) {
      await page.keyboard.press('Shift+Tab');
      if (await page.evaluate((s) => document.activeElement?.matches(s), selector)) {
        await assertFocusVisible(page);
        return;
      }
    }
    throw new Error(`Shift+Tab did not reach ${selector} in ${limit} steps`);
  }
  await tabTo(page, selector, limit);
  await assertFocusVisible(page);
}

// Chooses the option of the focused <select> whose text starts with `text` by the keyboard
// alone (arrow keys, as a person does with a closed list), and checks the choice.
export async function chooseByKeyboard(page, text) {
  const options = await page.evaluate(() => {
    const select = document.activeElement;
    if (!(select instanceof HTMLSelectElement)) return null;
    return { texts: [...select.options].map((o) => o.text), at: select.selectedIndex };
  });
  assert.ok(options, 'chooseByKeyboard: the focus is not on a <select>');
  const want = options.texts.findIndex((t) => t.startsWith(text));
  assert.ok(want >= 0, `no option starts with "${text}": ${options.texts.join(' | ')}`);
  const key = want > options.at ? 'ArrowDown' : 'ArrowUp';
  for (let i = 0; i < Math.abs(want - options.at); ++i) {
    await page.keyboard.press(key);
  }
  const chosen = await page.evaluate(() => document.activeElement.selectedOptions[0]?.text);
  assert.ok(chosen?.startsWith(text), `the keyboard chose "${chosen}", not "${text}…"`);
}

// The form error shown next to the control `fieldId` (the element "<id>-fehler" that the
// control's aria-describedby names, or its radio group's), "" if none.
export async function fieldError(page, fieldId) {
  const error = page.locator(`#${fieldId}-fehler`);
  if (await error.count() === 0) {
    return '';
  }
  const described = await page.locator(`#${fieldId}`).evaluate((e) => [
    e.getAttribute('aria-describedby'),
    e.type === 'radio' || e.type === 'checkbox' ?
        e.closest('fieldset')?.getAttribute('aria-describedby') :
        null,
  ].join(' '));
  assert.ok(described.split(' ').includes(`${fieldId}-fehler`),
            `#${fieldId} is not described by its error`);
  return (await error.textContent()).trim();
}

// The pages of a PDF: its page objects (/Type /Page, not /Pages), checked against poppler's
// pdfinfo where it is installed.
export function pdfPageCount(bytes) {
  const text = Buffer.from(bytes).toString('latin1');
  const count = (text.match(/\/Type\s*\/Page(?![a-zA-Z])/g) || []).length;
  let info;
  try {
    info = execFileSync('pdfinfo', ['-'], { input: bytes, encoding: 'utf8' });
  } catch {
    return count;  // no pdfinfo: the count alone
  }
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1]);
  assert.equal(count, pages, `the PDF's page objects (${count}) and pdfinfo (${pages}) disagree`);
  return pages;
}

// Writes `bytes` to <LOTSE_SCREENSHOTS>/<name> beside the screenshots and returns its path.
export function keepFile(name, bytes) {
  const file = path.join(env.screenshots, name);
  writeFileSync(file, bytes);
  return file;
}

// --- the office's and the department's steps, shared by the flows ---

// The new-referral form's fields by their labels (the keys of `submitReferral`'s `fields`).
export const REFERRAL_FIELDS = {
  companyId: 'Unternehmensnummer',
  companyName: 'Name des Unternehmens',
  employees: 'Beschäftigte',
  contactName: 'Name',
  contactEmail: 'E-Mail',
  contactPhone: 'Telefon',
  subject: 'Betreff',
  text: 'Frage des Unternehmens',
};

// Fills the new-referral form on the page (/anfragen/neu) with `fields` (keys of
// REFERRAL_FIELDS, `topic`: the start of a topic's text, `priority`: its word).
export async function fillReferral(page, fields) {
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'topic') {
      const select = page.getByLabel('Thema (und wohin es geht)');
      const label = await select.locator('option').evaluateAll(
          (all, start) => all.map((o) => o.text).find((t) => t.startsWith(start)), value);
      assert.ok(label, `no topic starts with "${value}"`);
      await select.selectOption({ label });
    } else if (key === 'priority') {
      await page.getByLabel('Dringlichkeit').selectOption({ label: value });
    } else {
      assert.ok(REFERRAL_FIELDS[key], `fillReferral: no field "${key}"`);
      await page.getByLabel(REFERRAL_FIELDS[key], { exact: true }).fill(value);
    }
  }
}

// From a receipt's URL and title: the referral's id and case number.
export async function receiptOf(page) {
  const match = /^\/anfragen\/([A-Za-z0-9-]+)\/bestaetigung$/.exec(pathOf(page));
  assert.ok(match, `not a receipt: ${page.url()}`);
  const title = await page.locator('main > h1').textContent();
  const caseNumber = /^Empfangsbestätigung (\S+)$/.exec(title)?.[1];
  assert.ok(caseNumber, `no case number in the receipt's title "${title}"`);
  return { id: match[1], caseNumber, path: match[0] };
}

// As the office logged in on `page`: a new referral with `fields` (fillReferral), sent; returns
// the receipt's { id, caseNumber, path }.
export async function submitReferral(page, fields) {
  await page.goto('/anfragen/neu');
  await fillReferral(page, fields);
  const response = await navigating(
      page, () => page.getByRole('button', { name: 'Anfrage weiterleiten' }).click());
  if (response?.status() !== 200) {
    throw new Error(`the new referral was refused (${response?.status()}): ${await textOf(page)}`);
  }
  return receiptOf(page);
}

// The rows of the worklist on the page (/arbeitsliste) whose case-number link is `caseNumber`.
export function worklistRows(page, caseNumber) {
  return page.locator('#arbeitsliste tbody tr').filter({
    has: page.getByRole('link', { name: caseNumber, exact: true }),
  });
}

// As a department's person on `page`: shows the worklist (`whole`: the department's) until
// `caseNumber` is on it (routing puts it there a moment after intake took it; the page's own
// refresh is slower), polling the page; returns the link to it.
export async function awaitOnWorklist(page, caseNumber, { whole = false } = {}) {
  await page.goto(whole ? '/arbeitsliste?alle=1' : '/arbeitsliste');
  const link = page.locator('#arbeitsliste').getByRole('link', { name: caseNumber, exact: true });
  for (const deadline = Date.now() + 30_000; await link.count() === 0;) {
    assert.ok(Date.now() < deadline, `${caseNumber} did not reach the worklist in 30 s`);
    await page.waitForTimeout(250);  // the poll's pace, then the condition again
    await page.reload();
  }
  return link;
}

// awaitOnWorklist, then opens the referral.
export async function openFromWorklist(page, caseNumber, options = {}) {
  const link = await awaitOnWorklist(page, caseNumber, options);
  await navigating(page, () => link.click());
  assert.match(pathOf(page), /^\/vorgaenge\//);
}

// --- checked pages: axe and a screenshot ---

let pagesChecked = 0;
let violationsFound = 0;
const checkedNames = new Set();

function describeViolations(name, url, violations) {
  const lines = [`axe: ${violations.length} violation(s) on "${name}" (${url}):`];
  for (const v of violations) {
    lines.push(`  ${v.id} [${v.impact}] ${v.help}`);
    lines.push(`    ${v.helpUrl}`);
    for (const node of v.nodes) {
      lines.push(`    at ${node.target.join(' ')}`);
      lines.push(`       ${node.html.slice(0, 200)}`);
      for (const summary of (node.failureSummary || '').split('\n')) {
        lines.push(`       ${summary}`);
      }
    }
  }
  return lines.join('\n');
}

// Writes a full-page screenshot <LOTSE_SCREENSHOTS>/<name>.png and runs axe (WCAG 2.0/2.1 A and
// AA) on the page as it is now; throws listing every violation. `name` is unique per flow file.
export async function checkPage(page, name) {
  assert.match(name, /^[a-z0-9-]+$/, `checkPage: "${name}" is not a-z, 0-9 and '-'`);
  assert.ok(!checkedNames.has(name), `checkPage: the name "${name}" is used twice`);
  checkedNames.add(name);
  await page.waitForLoadState('load');
  await page.screenshot({ path: path.join(env.screenshots, `${name}.png`), fullPage: true });
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  pagesChecked += 1;
  if (results.violations.length > 0) {
    violationsFound += results.violations.length;
    throw new Error(describeViolations(name, page.url(), results.violations));
  }
}

// --- the runner ---

const tests = [];

// Registers a test; run() runs them in order.
export function test(name, fn) {
  tests.push({ name, fn });
}

// Fails the test on a dialog, an uncaught script error or a Content-Security-Policy refusal.
function guard(page, problems) {
  page.on('dialog', async (dialog) => {
    problems.push(`a dialog (${dialog.type()}) opened on ${page.url()}: "${dialog.message()}"`);
    await dialog.dismiss().catch(() => {});
  });
  page.on('pageerror', (error) => problems.push(`script error on ${page.url()}: ${error}`));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) {
      problems.push(`the Content-Security-Policy refused something on ${page.url()}: ${
        message.text()}`);
    }
  });
}

function slug(text) {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

function indent(text) {
  return String(text).split('\n').map((l) => `    ${l}`).join('\n');
}

// Runs every registered test in one chromium, each in a fresh context; prints "ok"/"not ok" per
// test and the axe summary; the exit status is 1 if anything failed.
export async function run() {
  const started = Date.now();
  mkdirSync(env.screenshots, { recursive: true });
  // playwright puts chromium's fresh --user-data-dir into os.tmpdir(): a directory of our own
  // there, removed at the end whatever happens.
  const work = mkdtempSync(path.join(os.tmpdir(), 'lotse-chromium-'));
  process.env.TMPDIR = work;
  let browser;
  let stopped = '';  // why the run was cut short
  const cleanUp = async () => {
    await browser?.close().catch(() => {});
    rmSync(work, { recursive: true, force: true });
  };
  const stop = async (why) => {
    stopped = why;
    console.log(`not ok - ${why}`);
    await cleanUp();
    process.exit(1);
  };
  const watchdog = setTimeout(
      () => stop(`the run took longer than ${env.timeoutS} s (LOTSE_BROWSER_TIMEOUT_S)`),
      env.timeoutS * 1000);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => stop(`stopped by ${signal}`));
  }

  let passed = 0;
  let failed = 0;
  try {
    browser = await chromium.launch({
      executablePath: env.chromium,
      args: CHROMIUM_ARGS,
      timeout: LAUNCH_TIMEOUT_MS,
    });
  } catch (error) {
    failed += 1;
    console.log(`not ok - the browser (${env.chromium}) did not start\n${indent(error?.stack)}`);
  }
  for (const t of browser ? tests : []) {
    if (stopped) {
      break;
    }
    const problems = [];
    const contexts = [];
    const pages = [];
    // A fresh context (its own cookies) and its page, guarded like the test's own.
    const newPage = async () => {
      const context = await browser.newContext({
        baseURL: env.url,
        locale: 'de-DE',
        timezoneId: 'Europe/Berlin',  // the sample city's, as its offices' browsers have it
        viewport: { width: 1280, height: 800 },
      });
      context.setDefaultTimeout(ACTION_TIMEOUT_MS);
      context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
      context.on('page', (p) => guard(p, problems));
      contexts.push(context);
      const page = await context.newPage();
      pages.push(page);
      return page;
    };
    const page = await newPage();
    const context = contexts[0];
    const t0 = Date.now();
    try {
      await t.fn({ page, context, newPage });
      if (problems.length > 0) {
        throw new Error(problems.splice(0).join('\n'));
      }
      passed += 1;
      console.log(`ok - ${t.name} (${Date.now() - t0} ms)`);
    } catch (error) {
      failed += 1;
      console.log(`not ok - ${t.name}\n${indent(error?.stack || error)}`);
      if (problems.length > 0) {  // besides the error that ended the test
        console.log(indent(problems.join('\n')));
      }
      for (const [i, p] of pages.entries()) {  // each page the test had open
        const shot =
            path.join(env.screenshots, `failed-${slug(t.name)}${i === 0 ? '' : `-${i + 1}`}.png`);
        await p.screenshot({ path: shot, fullPage: true }).then(
            () => console.log(`    the page then: ${shot} (${p.url()})`), () => {});
      }
    } finally {
      for (const c of contexts) {
        await c.close().catch(() => {});
      }
    }
  }
  clearTimeout(watchdog);
  await cleanUp();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${passed} of ${tests.length} tests passed in ${seconds} s; ` +
              `screenshots in ${env.screenshots}`);
  console.log(`axe: ${pagesChecked} pages checked, ${violationsFound} violations`);
  process.exitCode = failed > 0 || passed < tests.length ? 1 : 0;
}
