// A whole referral, as the office and the department do it at the same time in two browsers:
// the office's form (a missing subject named in German next to the field, what was typed kept,
// markup in the company's name and question shown as text, the chosen file to choose again, a
// double submit that makes one referral with its file), the receipt naming the file printed to
// one A4 page, the department's worklist, the file on its page, claim and answer, the
// answer arriving in the office's open inbox live, the office's feedback that closes it; a
// made-up referral and another office's are the same "not found"; and the keyboard alone.
import {
  assert,
  awaitOnWorklist,
  checkPage,
  chooseByKeyboard,
  fieldError,
  fillReferral,
  focusOn,
  keepFile,
  login,
  navigating,
  pathOf,
  pdfPageCount,
  receiptOf,
  REFERRAL_FIELDS,
  run,
  scene,
  test,
  textOf,
  worklistRows,
} from './lib.mjs';

// The question of the company: markup in its name and text, words that take it to Jana Müller
// (bo-mueller's keywords "lagerhalle", "bauvoranfrage").
const REFERRAL = {
  companyId: 'HRB-55001',
  companyName: 'Bäckerei <script>alert(1)</script> GmbH',
  employees: '14',
  contactName: 'Erika Musterfrau',
  contactEmail: 'erika@baeckerei.example',
  contactPhone: '0391 555-0101',
  topic: 'Baugenehmigung',
  subject: 'Bauvoranfrage für eine Lagerhalle',
  text: 'Wir möchten hinter der Backstube eine Lagerhalle bauen. "><img src=x onerror=alert(1)> ' +
        'Welche Unterlagen braucht die Bauvoranfrage?',
};
const ANSWER = 'Für die Bauvoranfrage reichen Lageplan und Skizze; Formular BV-1 anbei.';
// The company's document, chosen in the form's file field.
const PLAN = {
  name: 'Lageplan Backstube.pdf',
  mimeType: 'application/pdf',
  buffer: Buffer.from('%PDF-1.4\n% Lageplan der Backstube mit Lagerhalle\n%%EOF\n'),
};
const NOT_FOUND_TEXT = 'Diese Seite gibt es nicht, oder sie ist nicht für Sie bestimmt.';
// How long the answer may take to show in the office's open inbox (the inbox hub reads every
// 500 ms; notification takes the event from routing within a second or so).
const LIVE_LIMIT_MS = 10_000;

// The referral the first test made, for the not-found test.
let made;


// Checks nothing that the company typed became an element: no image, lotse-web's script only.
async function assertNoMarkup(page) {
  assert.equal(await page.locator('img').count(), 0, `an <img> on ${page.url()}`);
  assert.deepEqual(
      await page.locator('script').evaluateAll((all) => all.map((s) => s.getAttribute('src'))),
      ['/static/lotse.js'], `a script of its own on ${page.url()}`);
}

test('a whole referral: office and department at once, the answer live in the office inbox',
     async ({ page: office, newPage }) => {
       await login(office, 'bb-mitte');
       assert.equal(pathOf(office), '/anfragen/neu');
       await checkPage(office, 'neue-anfrage');

       // Without a subject: named next to the field, in German; everything typed is kept.
       const { subject, ...withoutSubject } = REFERRAL;
       await fillReferral(office, withoutSubject);
       const files = office.getByLabel('Unterlagen des Unternehmens (freiwillig)');
       assert.match(await files.getAttribute('aria-describedby'), /f-anhang-hinweis/);
       assert.match(await office.locator('#f-anhang-hinweis').textContent(), /10 MB je Datei/);
       await files.setInputFiles(PLAN);
       const send = office.getByRole('button', { name: 'Anfrage weiterleiten' });
       let response = await navigating(office, () => send.click());
       assert.equal(response.status(), 422);
       assert.equal(await fieldError(office, 'f-subject'), 'Bitte geben Sie einen Betreff an.');
       // The form came back without the file (a browser cannot be given one): it says so there.
       assert.equal(await fieldError(office, 'f-anhang'),
                    `Bitte wählen Sie die Datei noch einmal: ${PLAN.name}. Ein Formular, das ` +
                    'zurückkommt, kann keine Dateien behalten.');
       assert.equal(await office.getByLabel('Betreff').getAttribute('aria-invalid'), 'true');
       const summary = office.locator('.error-summary');
       assert.equal(await summary.getAttribute('role'), 'alert');
       assert.deepEqual(
           await summary.getByRole('link').evaluateAll((all) => all.map((a) => a.getAttribute('href'))),
           ['#f-anhang', '#f-subject']);
       for (const [key, value] of Object.entries(withoutSubject)) {
         if (key !== 'topic') {
           assert.equal(await office.getByLabel(REFERRAL_FIELDS[key], { exact: true }).inputValue(),
                        value, `${REFERRAL_FIELDS[key]} is kept as typed`);
         }
       }
       assert.match(await office.getByLabel('Thema (und wohin es geht)')
                        .evaluate((s) => s.selectedOptions[0].text),
                    /^Baugenehmigung/);
       await assertNoMarkup(office);
       await checkPage(office, 'neue-anfrage-fehler');

       // Complete with its file, and sent with a double click: one referral, the file once.
       await fillReferral(office, { subject });
       await files.setInputFiles(PLAN);
       const form = await office.locator('form[action="/anfragen/neu"]').evaluate(
           (f) => Object.fromEntries([...new FormData(f)]
                                         .filter(([, value]) => typeof value === 'string')
                                         .concat([['schritt', 'senden']])));
       let posts = 0;
       office.on('request', (r) => {
         posts += r.method() === 'POST' && new URL(r.url()).pathname === '/anfragen/neu' ? 1 : 0;
       });
       await Promise.all([office.waitForURL(/\/bestaetigung$/), send.dblclick()]);
       await office.waitForLoadState('load');
       made = await receiptOf(office);
       // The same form once more, as a browser that sends it again would: the same referral.
       const again = await office.request.post('/anfragen/neu', { form, maxRedirects: 0 });
       assert.equal(again.status(), 303);
       assert.equal(again.headers().location, made.path, 'the form sent again is the same one');
       console.log(`    double submit: ${posts} POST(s) from the double click and 1 more, ` +
                   `one referral ${made.caseNumber}`);

       // The receipt: the company's name as text, the department, the code; one A4 page.
       const sheet = office.locator('.sheet');
       assert.equal(await sheet.locator('tr', { hasText: 'Vorgangsnummer' }).locator('td')
                        .textContent(),
                    made.caseNumber);
       assert.equal(await sheet.locator('tr', { hasText: 'Unternehmen' }).locator('td')
                        .textContent(),
                    REFERRAL.companyName);
       assert.match(await sheet.textContent(), /Bauordnungsamt/);
       // Jana Müller once routing has chosen her, which may be a moment after the receipt.
       assert.match(await sheet.textContent(),
                    /Jana Müller|wird gerade an das zuständige Fachamt weitergeleitet/);
       assert.match(await sheet.locator('.code .value').textContent(), /^[A-Z0-9-]{6,}$/);
       assert.equal(await sheet.locator('tr', { hasText: 'Anlagen' }).locator('td').textContent(),
                    PLAN.name);
       await assertNoMarkup(office);
       await checkPage(office, 'empfangsbestaetigung');
       const pdf = await office.pdf({ format: 'A4' });
       const pdfPages = pdfPageCount(pdf);
       const pdfFile = keepFile('empfangsbestaetigung.pdf', pdf);
       assert.equal(pdfPages, 1, `the receipt prints on ${pdfPages} A4 pages (${pdfFile})`);

       // The office keeps its inbox open, live.
       await navigating(office, () => office.getByRole('link', { name: 'Posteingang' }).click());
       await office.getByText('Live: neue Nachrichten erscheinen sofort.').waitFor();
       await checkPage(office, 'posteingang-live');
       await office.evaluate((answer) => {
         window.lotseSamePage = true;  // gone if the page reloads
         const list = document.querySelector('ol[data-inbox-live]');
         new MutationObserver(() => {
           if (!window.lotseAnswerAt && list.textContent.includes(answer)) {
             window.lotseAnswerAt = Date.now();
           }
         }).observe(list, { childList: true, subtree: true });
       }, ANSWER);

       // The department: its worklist has the referral once; it claims and answers.
       const desk = await newPage();
       await login(desk, 'bo-mueller');
       await awaitOnWorklist(desk, made.caseNumber);
       assert.equal(await worklistRows(desk, made.caseNumber).count(), 1,
                    `${made.caseNumber} is once on the worklist`);
       await checkPage(desk, 'arbeitsliste');
       await navigating(desk, () => worklistRows(desk, made.caseNumber).getByRole('link').click());
       assert.equal(await desk.locator('.subject').textContent(), REFERRAL.subject);
       // The file, once routing has heard of it (a moment after the referral itself).
       const attachment = desk.locator('#anhaenge').getByRole('link', { name: PLAN.name });
       for (const deadline = Date.now() + 30_000; await attachment.count() === 0;) {
         assert.ok(Date.now() < deadline, `${PLAN.name} is not on the department's page in 30 s`);
         await desk.waitForTimeout(250);
         await desk.reload();
       }
       assert.equal(await desk.locator('#anhaenge li').count(), 1, 'the file is there once');
       const download = await desk.request.get(await attachment.getAttribute('href'));
       assert.equal(download.status(), 200);
       assert.ok((await download.body()).equals(PLAN.buffer), 'the department gets the same bytes');
       assert.equal((await desk.locator('.subject + .body').textContent()), REFERRAL.text);
       assert.match(await textOf(desk), /Bäckerei <script>alert\(1\)<\/script> GmbH \(HRB-55001\)/);
       await assertNoMarkup(desk);
       await checkPage(desk, 'vorgang');
       await navigating(desk, () => desk.getByRole('button', { name: 'Übernehmen' }).click());
       assert.match(await textOf(desk), /Stand in Bearbeitung \(Jana Müller\)/);
       assert.equal(await desk.getByRole('button', { name: 'Freigeben' }).count(), 1);
       await checkPage(desk, 'vorgang-uebernommen');
       await desk.getByLabel('Ergebnis').selectOption({ label: 'geklärt' });
       await desk.getByLabel('Antwort an das Unternehmen').fill(ANSWER);
       const answeredAt = Date.now();
       await navigating(desk, () => desk.getByRole('button', { name: 'Antwort senden' }).click());
       const answeredBack = Date.now();
       assert.equal(pathOf(desk), '/arbeitsliste');
       assert.equal(await worklistRows(desk, made.caseNumber).count(), 0, 'answered: off the list');

       // The answer arrives in the office's open inbox without a reload.
       const message = office.locator('li.message', { hasText: ANSWER });
       await message.waitFor({ timeout: LIVE_LIMIT_MS }).catch((error) => {
         throw new Error(`the answer was not in the office's open inbox ${LIVE_LIMIT_MS} ms after ` +
                         `"Antwort senden"\n${error.message}`);
       });
       const arrivedAt = await office.evaluate(() => window.lotseAnswerAt);
       assert.ok(await office.evaluate(() => window.lotseSamePage), 'the inbox was not reloaded');
       console.log(`    live: the answer was in the office's open inbox ${arrivedAt - answeredAt} ms ` +
                   `after "Antwort senden" (${arrivedAt - answeredBack} ms after the department's ` +
                   'page came back)');
       assert.match(await message.locator('h2').textContent(), new RegExp(made.caseNumber));
       assert.match(await office.locator('[data-live-status]').textContent(), /Neue Nachricht um/);
       await checkPage(office, 'posteingang-antwort');

       // The office opens it from the message, reads the answer and closes it with its rating.
       await navigating(office, () => message.getByRole('link').click());
       assert.equal(pathOf(office), `/anfragen/${made.id}`);
       assert.equal(await office.locator('#anhaenge').getByRole('link', { name: PLAN.name }).count(),
                    1, 'the office sees its file on the referral');
       const answer = office.locator('section.answer');
       assert.match(await answer.textContent(), /geklärt/);
       assert.equal(await answer.locator('.body').textContent(), ANSWER);
       await checkPage(office, 'anfrage-beantwortet');
       const close = office.getByRole('button', { name: 'Rückmeldung senden und abschließen' });
       response = await navigating(office, () => close.click());
       assert.equal(response.status(), 422, 'no rating: refused');
       assert.equal(await fieldError(office, 'f-rating'),
                    'Bitte wählen Sie eine Bewertung von 1 bis 5.');
       await checkPage(office, 'anfrage-rueckmeldung-fehler');
       await office.getByRole('group', { name: /Wie gut war die Antwort/ })
           .getByRole('radio', { name: '4' }).check();
       await office.getByRole('group', { name: /Anliegen des Unternehmens geklärt/ })
           .getByRole('radio', { name: 'ja' }).check();
       await office.getByLabel('Bemerkung (freiwillig)').fill('Schnell und verständlich.');
       await navigating(office, () => close.click());
       assert.equal(pathOf(office), `/anfragen/${made.id}`);
       const text = await textOf(office);
       assert.match(text, /Stand abgeschlossen/);
       assert.match(text, /Bewertung 4 von 5, geklärt/);
       assert.equal(await close.count(), 0, 'closed: no feedback form any more');
       await checkPage(office, 'anfrage-abgeschlossen');
     });

test('a made-up referral and another office\'s referral are the same "not found"',
     async ({ page: mitte, newPage }) => {
       const ref = made?.id ?? scene.hostileCase;  // the first test's, or the scene's
       await login(mitte, 'bb-mitte');
       const own = await mitte.goto(`/anfragen/${ref}`);
       assert.equal(own.status(), 200, 'its own referral opens');
       const madeUp = await mitte.goto(`/anfragen/${ref.replace(/[0-9a-f]$/i, (c) =>
         c === '7' ? '8' : '7')}`);
       assert.equal(madeUp.status(), 404);
       assert.equal(await mitte.locator('h1').textContent(), 'Nicht gefunden');
       const notFound = await textOf(mitte);
       assert.match(notFound, new RegExp(NOT_FOUND_TEXT));
       await checkPage(mitte, 'anfrage-nicht-gefunden');

       const nord = await newPage();
       await login(nord, 'bb-nord');
       for (const url of [`/anfragen/${ref}`, `/anfragen/${ref}/bestaetigung`]) {
         const foreign = await nord.goto(url);
         assert.equal(foreign.status(), 404, `bb-nord gets 404 for ${url}`);
         assert.equal(await textOf(nord), notFound, `the same page as a made-up one: ${url}`);
       }
       await checkPage(nord, 'anfrage-fremd');
     });

test('the keyboard alone sends a referral and answers it', async ({ page: office, newPage }) => {
  await login(office, 'bb-mitte');
  assert.equal(pathOf(office), '/anfragen/neu');
  const typed = {
    'f-company_id': 'HRB-55002',
    'f-company_name': 'Tischlerei Holzwurm',
    'f-contact_name': 'Max Holz',
    'f-contact_email': 'max@holzwurm.example',
  };
  for (const [id, value] of Object.entries(typed)) {
    await focusOn(office, `#${id}`);
    await office.keyboard.type(value);
  }
  await focusOn(office, '#f-consent_email');
  await office.keyboard.press('Space');
  assert.ok(await office.locator('#f-consent_email').isChecked(), 'Space ticks the consent');
  await focusOn(office, '#f-topic');
  await chooseByKeyboard(office, 'Nutzungsänderung');
  await focusOn(office, '#f-text');  // past the subject: left empty on purpose
  await office.keyboard.type('Wir wollen im Laden eine Werkstatt einrichten. Geht das?');
  await focusOn(office, 'button[value="senden"]');
  let response = await navigating(office, () => office.keyboard.press('Enter'));
  assert.equal(response.status(), 422);
  // The summary's link takes the focus to the field.
  await focusOn(office, '.error-summary a');
  await office.keyboard.press('Enter');
  assert.equal(await office.evaluate(() => document.activeElement.id), 'f-subject');
  await office.keyboard.type('Nutzungsänderung Laden zu Werkstatt');
  await focusOn(office, '#f-priority');
  await chooseByKeyboard(office, 'hoch');
  // Shift+Tab goes back: from the button to the priority, still "hoch".
  await focusOn(office, 'button[value="senden"]');
  await focusOn(office, '#f-priority', { backwards: true });
  assert.equal(await office.locator('#f-priority').inputValue(), 'high');
  await focusOn(office, 'button[value="senden"]');
  response = await navigating(office, () => office.keyboard.press('Enter'));
  assert.equal(response.status(), 200);
  const sent = await receiptOf(office);

  // Deniz Kaya (bo-kaya's keywords: "laden") answers, with the keyboard alone too.
  const desk = await newPage();
  await login(desk, 'bo-kaya');
  await awaitOnWorklist(desk, sent.caseNumber);
  await focusOn(desk, `#arbeitsliste a[href="/vorgaenge/${sent.id}"]`);
  await navigating(desk, () => desk.keyboard.press('Enter'));
  assert.equal(pathOf(desk), `/vorgaenge/${sent.id}`);
  await focusOn(desk, 'form[action$="/uebernehmen"] button');
  await navigating(desk, () => desk.keyboard.press('Enter'));
  assert.match(await textOf(desk), /in Bearbeitung \(Deniz Kaya\)/);
  await focusOn(desk, '#f-ergebnis');
  await chooseByKeyboard(desk, 'teilweise geklärt');
  await focusOn(desk, '#f-antwort');
  await desk.keyboard.type('Eine Nutzungsänderung ist nötig; bitte Antrag NÄ-2 stellen.');
  await focusOn(desk, 'form[action$="/antworten"] button');
  await navigating(desk, () => desk.keyboard.press('Space'));
  assert.equal(pathOf(desk), '/arbeitsliste');

  await office.goto(`/anfragen/${sent.id}`);
  assert.match(await office.locator('section.answer').textContent(),
               /teilweise geklärt[\s\S]*Antrag NÄ-2/);
});

await run();
