// The company's own feedback page, /rueckmeldung, without a login: a wrong code is named next to
// the field in German; the code from the receipt of a referral is refused while it is unanswered
// (the code stays valid), accepted once after the department's answer ("Vielen Dank"), and
// refused the second time.
import {
  assert,
  checkPage,
  fieldError,
  login,
  navigating,
  openFromWorklist,
  pathOf,
  run,
  submitReferral,
  test,
  textOf,
} from './lib.mjs';

// Sends the feedback form on `page` (/rueckmeldung) with `code` and a rating; returns the
// response's status.
async function sendFeedback(page, code, { rating = '5', resolved = 'ja', comment = '' } = {}) {
  await page.getByLabel('Rückmeldecode').fill(code);
  await page.getByRole('group', { name: /Wie zufrieden sind Sie/ })
      .getByRole('radio', { name: rating, exact: true }).check();
  await page.getByRole('group', { name: /Ist Ihr Anliegen geklärt/ })
      .getByRole('radio', { name: resolved, exact: true }).check();
  await page.getByLabel(/Was möchten Sie uns noch sagen/).fill(comment);
  const response =
      await navigating(page, () => page.getByRole('button', { name: 'Rückmeldung senden' }).click());
  return response.status();
}

test('the company rates the answer once with the code from its receipt',
     async ({ page: office, newPage }) => {
       // The office takes a question; the receipt carries the company's code.
       await login(office, 'bb-mitte');
       const sent = await submitReferral(office, {
         companyId: 'HRB-55003',
         companyName: 'Imbiss Sonnenschein',
         topic: 'Gewerbeanmeldung',
         subject: 'Ummeldung nach Umzug',
         text: 'Wir ziehen in die Bahnhofstraße 3. Müssen wir das Gewerbe ummelden?',
       });
       const code = (await office.locator('.sheet .code .value').textContent()).trim();
       assert.match(code, /^[A-Z0-9]{4}(-[A-Z0-9]{4})+$/, `the code on the receipt: ${code}`);

       // The company, on a browser of its own, without a login.
       const company = await newPage();
       await company.goto('/rueckmeldung');
       assert.equal(await company.locator('header nav').count(), 0, 'no menu: nobody logged in');
       assert.equal(await company.locator('h1').textContent(), 'Rückmeldung zu Ihrer Anfrage');
       await checkPage(company, 'rueckmeldung');

       // A wrong code: said next to the field, in German; what was chosen is kept.
       const wrong = code.replace(/[A-Z]/, (c) => (c === 'Q' ? 'R' : 'Q'));
       assert.equal(await sendFeedback(company, wrong, { rating: '2', comment: 'Zu langsam.' }), 422);
       assert.equal(pathOf(company), '/rueckmeldung');
       assert.match(await fieldError(company, 'f-code'), /^Diesen Code kennen wir nicht/);
       assert.equal(await company.getByLabel('Rückmeldecode').getAttribute('aria-invalid'), 'true');
       assert.equal(await company.getByLabel('Rückmeldecode').inputValue(), wrong);
       assert.ok(await company.getByRole('radio', { name: '2', exact: true }).isChecked());
       assert.equal(await company.getByLabel(/Was möchten Sie uns noch sagen/).inputValue(),
                    'Zu langsam.');
       await checkPage(company, 'rueckmeldung-falscher-code');

       // The right code before the answer: not yet.
       assert.equal(await sendFeedback(company, code), 422);
       assert.match(await fieldError(company, 'f-code'),
                    /^Ihre Anfrage ist noch nicht beantwortet\. Der Code bleibt gültig/);
       await checkPage(company, 'rueckmeldung-noch-offen');

       // Michael Schulz of the Ordnungsamt answers.
       const desk = await newPage();
       await login(desk, 'og-schulz');
       await openFromWorklist(desk, sent.caseNumber);
       await desk.getByLabel('Ergebnis').selectOption({ label: 'geklärt' });
       await desk.getByLabel('Antwort an das Unternehmen')
           .fill('Ja: bitte die Ummeldung online oder im Bürgerbüro, Gebühr 20 Euro.');
       await navigating(desk, () => desk.getByRole('button', { name: 'Antwort senden' }).click());
       assert.equal(pathOf(desk), '/arbeitsliste');

       // Now the code counts, once; typed in small letters as people do.
       assert.equal(await sendFeedback(company, code.toLowerCase(),
                                       { rating: '4', comment: 'Danke für die schnelle Hilfe!' }),
                    200);
       const done = company.getByRole('status');
       assert.match(await done.textContent(), /^Vielen Dank! Ihre Rückmeldung ist angekommen\./);
       assert.equal(await company.getByLabel('Rückmeldecode').count(), 0, 'no form any more');
       await checkPage(company, 'rueckmeldung-danke');

       await company.goto('/rueckmeldung');
       assert.equal(await sendFeedback(company, code), 422);
       assert.match(await fieldError(company, 'f-code'), /oder er wurde schon verwendet/);
       await checkPage(company, 'rueckmeldung-schon-gegeben');

       // The company's rating is its own: the referral waits for the office's, which closes it.
       await office.goto(`/anfragen/${sent.id}`);
       assert.match(await textOf(office), /Stand beantwortet/);
     });

await run();
