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
// the web terminal. A test fails on a thrown error, on any dialog (alert, confirm, prompt), on an
// uncaught script error, and on anything the Content-Security-Policy refused. The environment:
//
//   LOTSE_WEB_URL      the web terminal, "http://127.0.0.1:7116"
//   LOTSE_PASSWORDS    <data-dir>/web/initial-passwords (login, password, what it acts for)
//   LOTSE_SCREENSHOTS  where checkPage writes <name>.png (default: a new temp directory)
//   LOTSE_CHROMIUM     the browser (default /usr/bin/chromium); nothing is ever downloaded
//   LOTSE_BROWSER_TIMEOUT_S  the whole run's limit (default 240)
//   LOTSE_SCENE_*      what the set holds besides the sample city's accounts (`scene` below)

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
    const context = await browser.newContext({
      baseURL: env.url,
      locale: 'de-DE',
      viewport: { width: 1280, height: 800 },
    });
    context.setDefaultTimeout(ACTION_TIMEOUT_MS);
    context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
    const problems = [];
    context.on('page', (p) => guard(p, problems));
    const page = await context.newPage();
    const t0 = Date.now();
    try {
      await t.fn({ page, context });
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
      const shot = path.join(env.screenshots, `failed-${slug(t.name)}.png`);
      await page.screenshot({ path: shot, fullPage: true }).then(
          () => console.log(`    the page then: ${shot} (${page.url()})`), () => {});
    } finally {
      await context.close().catch(() => {});
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
