// A key account manager's consultation: a company of Anna Schneider's (kam-schneider, HRB-20417
// in the sample city's [[key_accounts]]) asks at the office; the referral goes to her whatever
// the topic; she asks the Umweltamt and the Ordnungsamt ("Andere Ämter beteiligen"); Petra
// Wagner (um-wagner) finds it on her worklist as a consultation and contributes; Anna Schneider
// reads the contribution and answers, with the Ordnungsamt's contribution still open.
import {
  assert,
  awaitOnWorklist,
  checkPage,
  fieldError,
  fillReferral,
  login,
  navigating,
  openFromWorklist,
  pathOf,
  receiptOf,
  run,
  test,
  textOf,
  worklistRows,
} from './lib.mjs';

// From common/config/default_config.toml: kam-schneider's companies are HRB-20417, HRB-31158.
const KAM = { login: 'kam-schneider', name: 'Anna Schneider' };
const COMPANY = { companyId: 'HRB-20417', companyName: 'Gießerei Rhein & Söhne KG' };
const QUESTION = 'Welche Auflagen gelten für den Lärm der neuen Schmelzanlage, und braucht der ' +
                 'Nachtbetrieb eine Erlaubnis?';
const CONTRIBUTION = 'Lärm: TA Lärm, nachts 45 dB(A) am nächsten Wohnhaus; Gutachten nötig.';
const ANSWER = 'Für die Schmelzanlage gilt die TA Lärm (nachts 45 dB(A)); bitte ein ' +
               'Lärmgutachten beilegen. Zum Nachtbetrieb meldet sich das Ordnungsamt.';


test('a key account manager consults two departments, one contributes, she answers',
     async ({ page: office, newPage }) => {
       // The office: the company's number shows its key account manager before sending.
       await login(office, 'bb-mitte');
       await fillReferral(office, { companyId: COMPANY.companyId });
       await navigating(office,
                        () => office.getByRole('button', { name: 'Frühere Anfragen zeigen' }).click());
       const earlier = office.locator('section.earlier');
       assert.match(await textOf(earlier),
                    new RegExp(`Key Account Manager: ${KAM.name} – die Anfrage geht zuerst dorthin`));
       assert.equal(await office.getByLabel('Unternehmensnummer').inputValue(), COMPANY.companyId);
       await checkPage(office, 'neue-anfrage-key-account');
       await fillReferral(office, {
         companyName: COMPANY.companyName,
         topic: 'Immissions- und Emissionsschutz',
         subject: 'Schmelzanlage: Lärm und Nachtbetrieb',
         text: QUESTION,
         priority: 'hoch',
       });
       await navigating(office, () => office.getByRole('button', { name: 'Anfrage weiterleiten' })
                                           .click());
       const sent = await receiptOf(office);

       // The key account manager: it is on her worklist, however the topic would route it.
       const kam = await newPage();
       await login(kam, KAM.login);
       assert.equal(pathOf(kam), '/arbeitsliste');
       await awaitOnWorklist(kam, sent.caseNumber);
       await checkPage(kam, 'kam-arbeitsliste');
       await navigating(kam, () => worklistRows(kam, sent.caseNumber).getByRole('link').click());
       assert.match(await textOf(kam), /Dringlichkeit hoch/);
       await navigating(kam, () => kam.getByRole('button', { name: 'Übernehmen' }).click());
       assert.match(await textOf(kam), new RegExp(`in Bearbeitung \\(${KAM.name}\\)`));
       assert.equal(await kam.getByLabel('Auch wenn Beteiligungen noch offen sind').count(), 0,
                    'nothing open to answer despite');
       await checkPage(kam, 'kam-vorgang');

       // "Andere Ämter beteiligen": first without a department, then with two.
       await kam.getByText('Andere Ämter beteiligen').click();
       const consult = kam.locator('form[action$="/beteiligen"]');
       const question = 'Bitte prüfen: Lärmauflagen (Umweltamt) und Nachtbetrieb (Ordnungsamt).';
       await consult.getByLabel('Frage an die beteiligten Ämter').fill(question);
       let response =
           await navigating(kam, () => consult.getByRole('button', { name: 'Beteiligen' }).click());
       assert.equal(response.status(), 422);
       assert.equal(await kam.locator('#f-mit-fehler').textContent(),
                    'Bitte wählen Sie mindestens ein Amt.');
       assert.equal(await consult.getByLabel('Frage an die beteiligten Ämter').inputValue(), question,
                    'the question is kept');
       assert.equal(await kam.locator('details', { has: consult }).getAttribute('open'), '',
                    'the refused form is unfolded');
       assert.equal(await kam.locator('.error-summary a[href="#f-mit"]').count(), 1);
       await checkPage(kam, 'kam-beteiligen-fehler');
       await consult.getByLabel('Umweltamt').check();
       await consult.getByLabel('Ordnungsamt – Gewerbeangelegenheiten').check();
       await navigating(kam, () => consult.getByRole('button', { name: 'Beteiligen' }).click());
       assert.equal(pathOf(kam), `/vorgaenge/${sent.id}`);
       for (const department of ['Umweltamt', 'Ordnungsamt – Gewerbeangelegenheiten']) {
         const section = kam.locator('section', {
           has: kam.getByRole('heading', { name: `Beteiligung: ${department}` }),
         });
         assert.match(await textOf(section), /Beitrag offen, fällig/, department);
       }
       await checkPage(kam, 'kam-beteiligt');

       // Petra Wagner of the Umweltamt: a consultation on her own worklist.
       const umwelt = await newPage();
       await login(umwelt, 'um-wagner');
       await awaitOnWorklist(umwelt, sent.caseNumber);
       const row = worklistRows(umwelt, sent.caseNumber);
       assert.equal(await row.locator('.tag', { hasText: 'Beteiligung' }).count(), 1);
       await checkPage(umwelt, 'beteiligung-arbeitsliste');
       await navigating(umwelt, () => row.getByRole('link').click());
       assert.match(await textOf(umwelt), new RegExp(question.replace(/[()]/g, '\\$&')));
       assert.equal(await umwelt.getByRole('button', { name: 'Antwort senden' }).count(), 0,
                    'the consulted department does not answer');
       await checkPage(umwelt, 'beteiligung-vorgang');
       await umwelt.getByLabel('Ihr Beitrag').fill(CONTRIBUTION);
       await navigating(umwelt,
                        () => umwelt.getByRole('button', { name: 'Beitrag senden' }).click());
       assert.equal(pathOf(umwelt), `/vorgaenge/${sent.id}`);
       assert.match(await textOf(umwelt), new RegExp(`Beitrag: ${CONTRIBUTION.slice(0, 20)}`));
       assert.equal(await umwelt.getByLabel('Ihr Beitrag').count(), 0, 'contributed once');
       await umwelt.goto('/arbeitsliste');
       assert.equal(await worklistRows(umwelt, sent.caseNumber).count(), 0, 'off her worklist');

       // Anna Schneider reads the contribution; the Ordnungsamt's is still open.
       await kam.reload();
       const umweltSection = kam.locator('section', {
         has: kam.getByRole('heading', { name: 'Beteiligung: Umweltamt' }),
       });
       assert.match(await textOf(umweltSection), new RegExp(`Beitrag: ${CONTRIBUTION.slice(0, 20)}`));
       await kam.goto('/posteingang');
       assert.ok(await kam.locator('li.message', { hasText: CONTRIBUTION }).count() > 0,
                 'the contribution is in her inbox');
       await checkPage(kam, 'kam-posteingang');
       await navigating(kam, () => kam.locator('li.message', { hasText: CONTRIBUTION })
                                       .getByRole('link').click());
       assert.equal(pathOf(kam), `/vorgaenge/${sent.id}`);

       // Her answer waits for the open contribution, until she says to answer without it.
       await kam.getByLabel('Ergebnis').selectOption({ label: 'teilweise geklärt' });
       await kam.getByLabel('Antwort an das Unternehmen').fill(ANSWER);
       response = await navigating(kam, () => kam.getByRole('button', { name: 'Antwort senden' })
                                                 .click());
       assert.equal(response.status(), 422);
       assert.match(await fieldError(kam, 'f-antwort'), /^Eine Beteiligung ist noch offen\./);
       assert.equal(await kam.getByLabel('Antwort an das Unternehmen').inputValue(), ANSWER);
       await checkPage(kam, 'kam-antwort-offen');
       await kam.getByLabel('Auch wenn Beteiligungen noch offen sind').check();
       await navigating(kam, () => kam.getByRole('button', { name: 'Antwort senden' }).click());
       assert.equal(pathOf(kam), '/arbeitsliste');
       assert.equal(await worklistRows(kam, sent.caseNumber).count(), 0);

       // The office reads her answer.
       await office.goto(`/anfragen/${sent.id}`);
       const answer = office.locator('section.answer');
       assert.match(await textOf(answer), /teilweise geklärt/);
       assert.equal(await answer.locator('.body').textContent(), ANSWER);
       await checkPage(office, 'anfrage-kam-beantwortet');
     });

await run();
