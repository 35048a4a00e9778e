// Lighthouse (accessibility and best practices) on the web pages of a running `kobalt serve`:
//   node tests/lighthouse.mjs http://127.0.0.1:PORT [report.html]
// Pages, in Dutch and English: the start page, the first question (the start form submitted), the result
// page (a request POSTed to /result, audience patient) and the clinician form. The question and result pages
// are reached only by submitting a form, as a person would (no health data in a URL), so they are measured
// as navigations triggered by that submission (Lighthouse's user-flow API). Prints both scores per page and,
// for a score below MIN, the audits that failed; exits 1 if any score is below MIN or it fails.
// Needs lighthouse and puppeteer-core installed by npm in target/e2e (as test.sh does; LIGHTHOUSE_MODULES names
// another such folder) and Chromium (CHROMIUM, else /usr/bin/chromium): it downloads no browser.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const MIN = 0.95;
const CATEGORIES = ['accessibility', 'best-practices'];
const [base, reportPath] = process.argv.slice(2);
if (!base) {
  console.error('usage: node tests/lighthouse.mjs SERVER_URL [REPORT.html]');
  process.exit(2);
}

// The packages live in target/e2e/node_modules, outside this file's folders: resolve them from there.
const modules = process.env.LIGHTHOUSE_MODULES ?? 'target/e2e';
const require = createRequire(pathToFileURL(join(resolve(modules), 'package.json')));
const puppeteer = require('puppeteer-core'); // Lighthouse only needs its Page
const { startFlow } = await import(pathToFileURL(require.resolve('lighthouse')));

// The result page's answers: the README's example request (a vegan with tingling and a low B12).
const request = readFileSync(new URL('../examples/vegan-tingling.json', import.meta.url), 'utf8');

// Submits a form built in the current page, as if a person had sent it (a POST to a URL of the server).
async function post(page, action, fields) {
  await page.evaluate(
    (action, fields) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = action;
      for (const [name, value] of Object.entries(fields)) {
        const input = document.createElement('input');
        input.type = 'hidden';
        input.name = name;
        input.value = value;
        form.append(input);
      }
      document.body.append(form);
      form.submit();
    },
    action,
    fields,
  );
}

// A submitted form must land on the page it is meant for, not on an error page (which would score too).
function expectOk(response, path) {
  const url = new URL(response.url());
  if (response.status() !== 200 || url.pathname !== path) {
    throw new Error(`expected 200 from ${path}, got ${response.status()} from ${url.pathname}`);
  }
}

// A fresh, empty profile; no network beyond the server (flags that work on a machine without internet).
const profile = mkdtempSync(join(tmpdir(), 'kobalt-lighthouse-'));
const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  userDataDir: profile,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

let failed = false;
const titles = []; // each page's <title>, to show which page was measured
try {
  const page = await browser.newPage();
  const flow = await startFlow(page, {
    name: 'Kobalt',
    config: { extends: 'lighthouse:default', settings: { onlyCategories: CATEGORIES } },
  });
  for (const lang of ['nl', 'en']) {
    await flow.navigate(`${base}/?lang=${lang}`, { name: `start (${lang})` });
    titles.push(await page.title());
    // The start page's own button: POST /interview gives the first question.
    await flow.navigate(
      async () => {
        const [response] = await Promise.all([
          page.waitForNavigation(),
          page.click('button[name="action"][value="start"]'),
        ]);
        expectOk(response, '/interview');
      },
      { name: `question (${lang})` },
    );
    titles.push(await page.title());
    await flow.navigate(
      async () => {
        const [response] = await Promise.all([
          page.waitForNavigation(),
          post(page, `${base}/result`, { state: request, lang, audience: 'patient' }),
        ]);
        expectOk(response, '/result');
      },
      { name: `result (${lang})` },
    );
    titles.push(await page.title());
    await flow.navigate(`${base}/clinician?lang=${lang}`, { name: `clinician (${lang})` });
    titles.push(await page.title());
  }

  const result = await flow.createFlowResult();
  for (const [i, { name, lhr }] of result.steps.entries()) {
    // A page that did not load (an error page, a crash) has no scores: that fails too.
    if (lhr.runtimeError) {
      failed = true;
      console.log(`${name}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
      continue;
    }
    const scores = CATEGORIES.map((id) => `${id} ${lhr.categories[id].score}`).join(', ');
    console.log(`${name}, ${lhr.finalDisplayedUrl} "${titles[i]}": ${scores}`);
    for (const id of CATEGORIES) {
      const category = lhr.categories[id];
      if (category.score !== null && category.score >= MIN) continue;
      failed = true;
      for (const ref of category.auditRefs) {
        const audit = lhr.audits[ref.id];
        if (ref.weight > 0 && audit.score !== null && audit.score < 1) {
          console.log(`  ${id} below ${MIN}: ${audit.id}: ${audit.title}`);
        }
      }
    }
  }
  if (reportPath) {
    writeFileSync(reportPath, await flow.generateReport());
    console.log(`report: ${reportPath}`);
  }
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
if (failed) {
  console.error(`lighthouse: a score is below ${MIN} (see above)`);
  process.exit(1);
}
console.log('ok');
