// Drives the real Elsa Studio 3.8.2 bundle, served by ProcessServer, in Debian's headless Chromium.
//
//   node designer.mjs <scenario> '<json arguments>'
//
// Prints "RESULT <json>" and exits 0, or prints "FAILED <message>" and exits 1. Every stage leaves a
// screenshot in arguments.shots (NN-stage.png); a failure adds NN-failure.png and the browser log.
// Waits are on selectors and responses, never on fixed sleeps.
//
//   node designer.mjs --session
//
// One browser for many scenarios (a test class shares it): reads one {"scenario", "args"} JSON per
// line on stdin, runs each in a fresh browser context and answers RESULT/FAILED, then "END".
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const [scenarioName, argumentText] = process.argv.slice(2);
let args = JSON.parse(argumentText || '{}');
let base = (args.baseUrl || '').replace(/\/$/, '');
let timeout = args.timeoutMs || 120000;

let log = [];
let offline = [];
let page;
let shotNumber = 0;

let started = Date.now();
let timings = {};

async function shot(name) {
  timings[name] = Date.now() - started;
  shotNumber++;
  const file = path.join(args.shots, `${String(shotNumber).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

// The Blazor error bar is how the Studio reports a broken contract; any appearance fails the run.
async function assertNoStudioError(stage) {
  const visible = await page.locator('#blazor-error-ui').isVisible().catch(() => false);
  if (visible) {
    throw new Error(`the Studio showed "An unhandled error has occurred" during ${stage}`);
  }
}

async function signInWithStoredKey() {
  await page.goto(`${base}/designer/index.html`);
  await page.evaluate((key) => sessionStorage.setItem('processserver.apiKey', key), args.apiKey);
}

// The canvas pans by dragging its background; brings a node into the middle of the visible pane.
async function bringIntoView(node) {
  const pane = await page.locator('.graph-container').boundingBox();
  for (let attempt = 0; attempt < 6; attempt++) {
    const box = await node.boundingBox();
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    if (cx > pane.x + 80 && cx < pane.x + pane.width - 220 && cy > pane.y + 60 && cy < pane.y + pane.height - 60) {
      return;
    }

    const dx = pane.x + pane.width / 2 - 60 - cx;
    const dy = pane.y + pane.height / 2 - cy;
    const sx = pane.x + 12;
    const sy = pane.y + 12;
    await page.mouse.move(sx, sy);
    await page.mouse.down();
    await page.mouse.move(sx + dx / 2, sy + dy / 2, { steps: 4 });
    await page.mouse.move(sx + dx, sy + dy, { steps: 4 });
    await page.mouse.up();
  }
}

// A MudBlazor input (text field, select) by its label, inside the activity's property panel.
function field(label) {
  return page.locator('.mud-input-control', { has: page.locator('label', { hasText: label }) }).first();
}

function node(activityId) {
  return page.locator(`elsa-activity-wrapper#activity-${activityId}`);
}

function saveResponse(publish) {
  return page.waitForResponse(async (response) => {
    if (!response.url().endsWith('/elsa/api/workflow-definitions') || response.request().method() !== 'POST') {
      return false;
    }

    const body = JSON.parse(response.request().postData() || '{}');
    return (body.publish === true) === publish;
  }, { timeout });
}

async function snackbar(text) {
  await page.locator('.mud-snackbar', { hasText: text }).first().waitFor({ timeout });
}

async function openEditorFromList(definitionId) {
  await page.goto(`${base}/designer/procedures.html`);
  const row = page.locator('tr', { hasText: definitionId }).first();
  await row.waitFor({ timeout });
  await shot('procedure-list');
  await row.locator('td').nth(2).click();
  await page.waitForURL(`**/editor.html?definitionId=${encodeURIComponent(definitionId)}`, { timeout });
}

async function toolbox() {
  const categories = {};
  const panels = page.locator('.mud-expand-panel');
  await panels.first().waitFor({ timeout });
  const count = await panels.count();
  for (let i = 0; i < count; i++) {
    const panel = panels.nth(i);
    const name = (await panel.locator('.mud-expand-panel-header').innerText()).trim();
    if (!(await panel.locator('.mud-expand-panel-content').isVisible())) {
      await panel.locator('.mud-expand-panel-header').click();
    }

    const items = panel.locator('div[draggable=true]');
    await items.first().waitFor({ timeout });
    categories[name] = (await items.allInnerTexts()).map((t) => t.trim().replace(/\s+/g, ' '));
  }

  return categories;
}

async function propertyLabels() {
  return (await page.locator('.mud-tabs-panels label, .mud-tabs-panels .mud-checkbox').allInnerTexts())
    .map((t) => t.trim()).filter((t) => t.length > 0);
}

async function fill(label, value) {
  const input = field(label).locator('input, textarea').first();
  await input.scrollIntoViewIfNeeded();
  await input.fill(value);
  await input.press('Tab');
}

async function choose(label, optionText) {
  const control = field(label);
  await control.scrollIntoViewIfNeeded();
  await control.locator('.mud-select, .mud-input').first().click();
  const option = page.locator('.mud-popover-open [role=option]', { hasText: optionText }).first();
  await option.waitFor({ timeout });
  await option.click();
  await page.locator('.mud-popover-open [role=option]').first().waitFor({ state: 'detached', timeout });
}

async function openEditor(definitionId, activityId) {
  await page.goto(`${base}/designer/editor.html?definitionId=${encodeURIComponent(definitionId)}`);
  await node(activityId).waitFor({ timeout });
  await assertNoStudioError('loading the editor');
}

async function selectActivity(activityId) {
  // A selected node is covered by its selection box; it stays selected.
  if (await page.locator(`.x6-widget-selection-box[data-cell-id="${activityId}"]`).count() > 0) {
    return;
  }

  await bringIntoView(node(activityId));
  await node(activityId).click();
}

function publishButton() {
  return page.locator('button.mud-icon-button:has(path[d^="M19.35 10.04"])');
}

// The editor's menu next to Publish: Save As, Unpublish, Export, Import.
async function editorMenu(item) {
  await publishButton().locator('xpath=following::button[1]').click();
  await page.locator('.mud-popover-open .mud-menu-item', { hasText: item }).click();
}

// Clicks Publish and returns the answer's status and the snackbar the Studio shows for it.
async function publish() {
  const published = saveResponse(true);
  await publishButton().click();
  const response = await published;
  const text = response.status() === 200 ? 'Workflow published' : null;
  const bar = text ? page.locator('.mud-snackbar', { hasText: text }).first() : page.locator('.mud-snackbar.mud-alert-filled-error, .mud-snackbar').last();
  await bar.waitFor({ timeout });
  const messages = (await page.locator('.mud-snackbar').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
  return { status: response.status(), body: await response.text(), messages };
}

async function dismissSnackbars() {
  for (const close of await page.locator('.mud-snackbar button').all()) {
    await close.click().catch(() => {});
  }

  await page.locator('.mud-snackbar').first().waitFor({ state: 'detached', timeout }).catch(() => {});
}

async function toastText(title) {
  const toastLocator = page.locator('.ps-toast', { hasText: title }).last();
  await toastLocator.waitFor({ timeout });
  return (await toastLocator.innerText()).replace(/\s+/g, ' ').replace(/^× /, '').trim();
}

async function errorBarVisible() {
  return page.locator('#blazor-error-ui').isVisible();
}

// Runs `attempt(wait, left)` again until it returns true, for at most `timeout` in all, each try
// allowed 10 s more than the one before (`wait`; `left` is what remains of the whole). On a loaded
// machine a first click or fill in the Studio can be lost (it redraws behind it), and waiting the
// whole timeout on it would fail the scenario. A try that throws or returns false counts as not
// done; `failure` says what never happened.
async function again(attempt, failure) {
  const deadline = Date.now() + timeout;
  const left = () => Math.max(1, deadline - Date.now());
  for (let n = 1; ; n++) {
    let problem = 'not done';
    try {
      if (await attempt(Math.min(10000 * n, left()), left)) {
        return;
      }
    } catch (error) {
      problem = error.message.split('\n')[0];
    }

    if (Date.now() >= deadline) {
      throw new Error(`${failure} within ${timeout} ms (${n} attempts): ${problem}`);
    }

    log.push(`${failure}, attempt ${n}: ${problem}`);
  }
}

// A row's ⋮ menu in a Studio list, then the item, then the confirmation dialog's button.
// `answers` picks the action's own request: after a refused act the Studio reloads its list with a
// POST (`POST /workflow-instances` is the instance list's query), and that 200 must not be taken
// for the next act's answer.
async function rowAction(rowText, item, confirm, answers) {
  const row = page.locator('tr', { hasText: rowText }).first();
  await row.waitFor({ timeout });
  const menuItem = page.locator('.mud-popover-open .mud-menu-item', { hasText: item });
  // On a loaded machine the list can be drawn before the Studio has wired the row's menu, and that
  // first click is lost: click again until the menu is open.
  await again(async (wait) => {
    await row.locator('button').last().click();
    await menuItem.waitFor({ timeout: wait });
    return true;
  }, `the ⋮ menu of the row '${rowText}' did not offer '${item}'`);

  const answer = page.waitForResponse((r) => r.url().includes('/elsa/api/') && answers(r.request()), { timeout });
  // Handled here so that a failed click below is reported, not the wait it leaves behind.
  answer.catch(() => {});
  await menuItem.click();
  // The confirmation can be lost the same way: clicked while the dialog was still opening, the
  // button did nothing and the dialog stayed open (seen once in CI: no request within two minutes).
  // The dialog closes as soon as its button acts, so it is clicked again only while it stays open.
  await clickUntilClosed(page.locator('.mud-dialog button', { hasText: confirm }), `the dialog's '${confirm}' button did not act`);
  return (await answer).status();
}

// A dialog's button, clicked again while it stays open: a click made while the dialog is still
// opening does nothing on a loaded machine. The dialog closes as soon as its button acts, so a
// button that worked is never clicked twice.
async function clickUntilClosed(button, failure) {
  await again(async (wait) => {
    if (!(await button.isVisible())) {
      return true;
    }

    await button.click({ timeout: wait });
    await button.waitFor({ state: 'detached', timeout: Math.min(wait, 3000) }).catch(() => {});
    return !(await button.isVisible());
  }, failure);
}

const scenarios = {
  // Sign in with the form, open the land procedure from the list, look at the toolbox and a step,
  // change the step's time limit, save and publish.
  async 'edit-time-limit'() {
    await page.goto(`${base}/designer/`);
    await page.locator('#api-key').waitFor({ timeout });
    await shot('sign-in');
    const refusals = {};
    for (const [name, key, expected] of [['clerk', args.clerkKey, 'Administrator'], ['invalid', 'not-a-key', 'not valid']]) {
      await page.fill('#api-key', key);
      await page.click('#sign-in-button');
      await page.locator('#sign-in-status', { hasText: expected }).waitFor({ timeout });
      refusals[name] = (await page.locator('#sign-in-status').innerText()).trim();
    }

    await page.fill('#api-key', args.apiKey);
    await page.click('#sign-in-button');
    await page.waitForURL('**/procedures.html**', { timeout });

    await openEditorFromList(args.definitionId);
    const step = node(args.stepId);
    await step.waitFor({ timeout });
    await assertNoStudioError('loading the editor');
    const categories = await toolbox();
    await shot('editor-toolbox');

    await bringIntoView(step);
    await step.click();
    await field('Time limit (working days)').waitFor({ timeout });
    const fields = await propertyLabels();
    const limitInput = field('Time limit (working days)').locator('input');
    const previousLimit = await limitInput.inputValue();
    const handlingUnit = (await field('Handling unit').innerText()).trim();
    await shot('step-selected');

    const autoSaved = saveResponse(false);
    await fill('Time limit (working days)', args.newLimit);
    await autoSaved;
    const saved = saveResponse(false);
    await page.locator('.elsa-toolbar-icon button').click();
    if ((await saved).status() !== 200) {
      throw new Error(`saving answered ${(await saved).status()}`);
    }

    await snackbar('Workflow saved');
    await shot('saved');

    const published = saveResponse(true);
    await page.locator('button.mud-icon-button:has(path[d^="M19.35 10.04"])').click();
    const publishResponse = await published;
    if (publishResponse.status() !== 200) {
      throw new Error(`publishing answered ${publishResponse.status()}: ${await publishResponse.text()}`);
    }

    await snackbar('Workflow published');
    await assertNoStudioError('publishing');
    await shot('published');
    const answer = await publishResponse.json();
    return {
      refusals,
      categories,
      fields,
      previousLimit,
      handlingUnit,
      publishedVersion: answer.workflowDefinition.version,
      publishedLimit: answer.workflowDefinition.root.activities.find((a) => a.id === args.stepId).timeLimitDays.expression.value,
    };
  },

  // Two tabs on one procedure: A changes a step's limit and saves; B, still on the older copy, changes
  // the same step and is refused (409) with the server's message and a Reload banner.
  async 'two-tabs'() {
    await signInWithStoredKey();
    const tabA = page;
    const tabB = await page.context().newPage();
    await tabB.goto(`${base}/designer/index.html`);
    await tabB.evaluate((key) => sessionStorage.setItem('processserver.apiKey', key), args.apiKey);
    for (const tab of [tabA, tabB]) {
      await tab.goto(`${base}/designer/editor.html?definitionId=${encodeURIComponent(args.definitionId)}`);
      await tab.locator(`elsa-activity-wrapper#activity-${args.stepId}`).waitFor({ timeout });
    }

    const statuses = [];
    for (const [tab, limit] of [[tabA, '7'], [tabB, '9']]) {
      page = tab;
      await bringIntoView(node(args.stepId));
      await node(args.stepId).click();
      await field('Time limit (working days)').waitFor({ timeout });
      const saved = saveResponse(false);
      await fill('Time limit (working days)', limit);
      statuses.push((await saved).status());
    }

    page = tabB;
    const banner = page.locator('#ps-stale');
    await banner.waitFor({ timeout });
    await assertNoStudioError('the refused save');
    const canvasLabels = await page.evaluate(() => [...document.querySelectorAll('elsa-activity-wrapper')].map((w) => w.innerText.replace(/\s+/g, ' ').trim()));
    await shot('second-tab-refused');
    const bannerText = (await banner.innerText()).trim();
    page = tabA;
    await shot('editor');
    return { statuses, banner: bannerText, canvasLabels };
  },

  // Refusals the Studio itself does not explain: Run (no trial dossiers) shows the server's message;
  // the error bar is readable.
  async 'refusals'() {
    await signInWithStoredKey();
    await page.goto(`${base}/designer/editor.html?definitionId=${encodeURIComponent(args.definitionId)}`);
    await node(args.stepId).waitFor({ timeout });
    const run = page.waitForResponse((r) => r.url().endsWith('/execute'), { timeout });
    await page.locator('button.mud-icon-button:has(path[d^="M8 5v14l11-7z"])').first().click();
    const runStatus = (await run).status();
    const toastLocator = page.locator('.ps-toast', { hasText: 'Run was refused' });
    await toastLocator.waitFor({ timeout });
    await shot('run-refused');
    const toastText = (await toastLocator.innerText()).replace(/\s+/g, ' ').trim();
    const errorBar = await page.evaluate(() => {
      const bar = document.getElementById('blazor-error-ui');
      const style = getComputedStyle(bar);
      return { background: style.backgroundColor, color: style.color };
    });
    return { runStatus, toast: toastText, errorBar };
  },

  // A step's Allowed outcomes gets a second "Done" chip: the auto-save is refused and the Studio shows
  // the server's message; the canvas keeps drawing the step.
  async 'duplicate-outcome'() {
    await signInWithStoredKey();
    await openEditor(args.definitionId, args.stepId);
    await selectActivity(args.stepId);
    const outcomes = field('Allowed outcomes');
    await outcomes.waitFor({ timeout });
    await outcomes.scrollIntoViewIfNeeded();
    const saved = saveResponse(false);
    const input = outcomes.locator('input').first();
    await input.fill(args.outcome);
    await input.press('Enter');
    const status = (await saved).status();
    const bar = page.locator('.mud-snackbar', { hasText: 'twice' }).first();
    await bar.waitFor({ timeout });
    await shot('duplicate-refused');
    await assertNoStudioError('the refused save');
    return {
      status,
      message: (await bar.innerText()).replace(/\s+/g, ' ').trim(),
      chips: await outcomes.locator('.mud-chip').allInnerTexts(),
      nodes: await page.locator('elsa-activity-wrapper').count(),
    };
  },

  // The decision's condition typed in the editor: a malformed one is refused at publish with its
  // position; the compound one is published.
  async 'condition'() {
    await signInWithStoredKey();
    await openEditor(args.definitionId, args.decisionId);
    const results = [];
    for (const condition of [args.malformed, args.valid]) {
      await dismissSnackbars();
      await selectActivity(args.decisionId);
      await field('Condition').waitFor({ timeout });
      const saved = saveResponse(false);
      await fill('Condition', condition);
      const draft = await saved;
      const outcome = await publish();
      await shot(`published-${results.length}`);
      results.push({ condition, draftStatus: draft.status(), ...outcome });
    }

    await assertNoStudioError('publishing');
    return { results };
  },

  // Export from the editor's menu (a JSON file download), then Import of that file from the same menu.
  async 'export-import'() {
    await signInWithStoredKey();
    await openEditor(args.definitionId, args.activityId);
    const download = page.waitForEvent('download', { timeout });
    await editorMenu('Export');
    // Seen once in CI: the click landed while the dialog was opening, and no download came.
    await clickUntilClosed(page.locator('.mud-dialog').getByRole('button', { name: 'Export' }), "the Export dialog's button did not act");
    const file = await download;
    const saved = path.join(args.shots, file.suggestedFilename());
    await file.saveAs(saved);
    const exported = fs.readFileSync(saved, 'utf8');
    await shot('exported');

    const chooser = page.waitForEvent('filechooser', { timeout });
    // The Studio navigates to the imported draft as soon as the answer arrives, after which the
    // browser no longer holds the answer's body; so the request goes through the test, which keeps
    // a copy of the server's answer and hands it on unchanged.
    let answered;
    let timer;
    const imported = new Promise((resolve, reject) => {
      answered = resolve;
      timer = setTimeout(() => reject(new Error(`no import request within ${timeout} ms`)), timeout);
    });
    await page.route((url) => url.pathname.endsWith('/workflow-definitions/import'), async (route) => {
      if (route.request().method() !== 'POST') {
        await route.continue();
        return;
      }

      const response = await route.fetch();
      const body = await response.text();
      answered({ status: response.status(), body });
      await route.fulfill({ response, body });
    });
    await editorMenu('Import');
    await (await chooser).setFiles(saved);
    const answer = await imported.finally(() => clearTimeout(timer));
    const importStatus = answer.status;
    const importBody = answer.body;
    await node(args.activityId).waitFor({ timeout });
    await shot('imported');
    await assertNoStudioError('importing');
    return { fileName: file.suggestedFilename(), exported, importStatus, importBody, url: page.url() };
  },

  // Save As from the editor's menu, then an edit: the page follows to the copy and the edit lands there.
  async 'save-as'() {
    await signInWithStoredKey();
    await openEditor(args.definitionId, args.stepId);
    await editorMenu('Save As');
    const dialog = page.locator('.mud-dialog');
    const name = dialog.locator('.mud-input-control', { has: page.locator('label', { hasText: 'Name' }) }).locator('input').first();
    await name.waitFor({ timeout });
    await name.fill(args.newName);
    await shot('save-as-dialog');
    const copied = page.waitForResponse((r) => r.url().endsWith('/elsa/api/workflow-definitions') && r.request().method() === 'POST', { timeout });
    await dialog.getByRole('button', { name: /ok/i }).click();
    const copy = await copied;
    const copyStatus = copy.status();
    await page.waitForURL((url) => url.searchParams.get('definitionId') && url.searchParams.get('definitionId') !== args.definitionId, { timeout });
    const copyId = new URL(page.url()).searchParams.get('definitionId');
    await node(args.stepId).waitFor({ timeout });
    await page.locator('.ps-title', { hasText: copyId }).waitFor({ timeout });
    await shot('copy-open');

    await selectActivity(args.stepId);
    await field('Title').waitFor({ timeout });
    const saved = saveResponse(false);
    await fill('Title', args.newTitle);
    const edit = await saved;
    const editBody = JSON.parse(edit.request().postData() || '{}');
    await shot('copy-edited');
    await assertNoStudioError('editing the copy');
    return { copyStatus, copyId, url: page.url(), editStatus: edit.status(), editedDefinitionId: editBody.model?.definitionId };
  },

  // Publish in the editor: optionally clear fields first (as an administrator would), then read
  // what the Studio shows.
  async 'publish'() {
    await signInWithStoredKey();
    await openEditor(args.definitionId, args.activityId);
    for (const clear of args.clear || []) {
      await selectActivity(clear.activityId);
      await field(clear.label).waitFor({ timeout });
      const saved = saveResponse(false);
      await fill(clear.label, '');
      await saved;
    }

    const outcome = await publish();
    await shot('publish-answered');
    await assertNoStudioError('publishing');
    return outcome;
  },

  // Refusals the Studio does not explain itself: delete a procedure, cancel and delete a dossier, the
  // Test tab. Each shows the server's message in a toast, and the page keeps working (no error bar).
  async 'refusals-explained'() {
    await signInWithStoredKey();
    const shown = {};
    await page.goto(`${base}/designer/procedures.html`);
    const deleteStatus = await rowAction(args.procedure, 'Delete', 'Delete', (request) => request.method() === 'DELETE');
    shown.deleteProcedure = { status: deleteStatus, toast: await toastText('Delete was refused'), errorBar: await errorBarVisible() };
    await shot('delete-procedure-refused');

    await page.goto(`${base}/designer/dossiers.html`);
    const cancelStatus = await rowAction(args.receiptCode, 'Cancel', 'Yes', (request) => request.url().includes('/elsa/api/cancel/'));
    shown.cancelDossier = { status: cancelStatus, toast: await toastText('Cancel was refused'), errorBar: await errorBarVisible() };
    await shot('cancel-dossier-refused');
    const deleteDossierStatus = await rowAction(args.receiptCode, 'Delete', 'Delete', (request) => request.method() === 'DELETE');
    shown.deleteDossier = { status: deleteDossierStatus, toast: await toastText('Delete was refused'), errorBar: await errorBarVisible() };
    await shot('delete-dossier-refused');
    shown.dossierStillListed = await page.locator('tr', { hasText: args.receiptCode }).count();

    await openEditor(args.definitionId, args.stepId);
    await selectActivity(args.stepId);
    await page.locator('.mud-tab', { hasText: 'Test' }).click();
    const tested = page.waitForResponse((r) => r.url().includes('/elsa/api/tests/'), { timeout });
    await page.locator('.mud-tabs-panels button', { hasText: 'Start' }).click();
    const testStatus = (await tested).status();
    shown.test = { status: testStatus, toast: await toastText('Test was refused'), errorBar: await errorBarVisible() };
    await shot('test-refused');
    return shown;
  },

  // Open a procedure in the editor and list what the canvas draws.
  async 'open-editor'() {
    await signInWithStoredKey();
    await page.goto(`${base}/designer/editor.html?definitionId=${encodeURIComponent(args.definitionId)}`);
    await node(args.waitFor).waitFor({ timeout });
    await page.waitForFunction((n) => document.querySelectorAll('elsa-activity-wrapper').length >= n, args.expectedCount, { timeout });
    await assertNoStudioError('loading the editor');
    await bringIntoView(node(args.waitFor));
    await shot('editor');
    const activities = await page.evaluate(() => [...document.querySelectorAll('elsa-activity-wrapper')]
      .map((w) => ({ id: w.getAttribute('activity-id'), text: w.innerText.replace(/\s+/g, ' ').trim() })));
    return { activities };
  },

  // Open the dossier list, pick the dossier, and read the path the viewer draws.
  async 'view-dossier'() {
    await signInWithStoredKey();
    await page.goto(`${base}/designer/dossiers.html`);
    const row = page.locator('tr', { hasText: args.receiptCode }).first();
    await row.waitFor({ timeout });
    await shot('dossier-list');
    await row.locator('td').nth(2).click();
    await page.waitForURL('**/viewer.html?instanceId=**', { timeout });

    const wrappers = page.locator('elsa-activity-wrapper');
    await wrappers.first().waitFor({ timeout });
    // The execution counts on the nodes arrive last (activity-executions/report).
    await page.waitForFunction((ids) => ids.every((id) => /\d/.test(document.querySelector(`elsa-activity-wrapper#activity-${id} .mud-badge`)?.textContent || '')),
      args.path, { timeout });
    await page.locator('.mud-timeline-item').first().waitFor({ timeout });
    await page.locator('.ps-title', { hasText: args.receiptCode }).waitFor({ timeout });
    await assertNoStudioError('loading the viewer');
    await shot('viewer');

    const executed = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('elsa-activity-wrapper')]
      .map((w) => [w.getAttribute('activity-id'), w.querySelector('.mud-badge')?.textContent.trim() || ''])));
    const journal = (await page.locator('.mud-timeline-item').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim());
    return { url: page.url(), executed, journal };
  },

  // Create a procedure in the list, draw it (drop activities, connect them), configure its step,
  // and publish it.
  async 'draw-procedure'() {
    await signInWithStoredKey();
    await page.goto(`${base}/designer/procedures.html`);
    const create = page.getByRole('button', { name: 'Create workflow' });
    await create.waitFor({ timeout });
    const dialog = page.locator('.mud-dialog');
    const name = dialog.locator('.mud-input-control', { has: page.locator('label', { hasText: 'Name' }) }).locator('input');
    // On a loaded CI machine the dialog's Name field was detached while being filled and never came
    // back (the Studio redrew behind the first click): open the dialog again until it holds the name.
    await again(async (wait, left) => {
      if (!(await dialog.isVisible())) {
        await create.click({ timeout: left() });
      }

      await name.fill(args.name, { timeout: wait });
      return (await name.inputValue({ timeout: Math.min(5000, left()) })) === args.name;
    }, "the 'Create workflow' dialog did not take the name");

    await shot('create-dialog');
    await dialog.getByRole('button', { name: 'Ok' }).click();
    await page.waitForURL('**/editor.html?definitionId=**', { timeout, waitUntil: 'commit' });
    timings['editor-url'] = Date.now() - started;
    const definitionId = new URL(page.url()).searchParams.get('definitionId');
    await page.locator('.graph-container').waitFor({ timeout });
    timings['editor-canvas'] = Date.now() - started;
    await assertNoStudioError('opening the new procedure');

    await page.locator('.mud-expand-panel-header', { hasText: 'Procedure' }).click();
    const activities = [['Receive dossier', 'ProcessServer.ReceiveDossier'], ['Step', 'ProcessServer.Step'],
      ['Result ready', 'ProcessServer.ResultReady'], ['Return result', 'ProcessServer.ReturnResult']];
    const ids = [];
    for (let i = 0; i < activities.length; i++) {
      const [label, type] = activities[i];
      const dropped = saveResponse(false);
      await page.locator('div[draggable=true]', { hasText: label }).dragTo(page.locator('.graph-container'), { targetPosition: { x: 60 + i * 290, y: 160 + (i % 2) * 90 } });
      await dropped;
      const id = await page.evaluate((t) => [...document.querySelectorAll('elsa-activity-wrapper')]
        .map((w) => JSON.parse(w.getAttribute('activity-json'))).filter((a) => a.type === t).map((a) => a.id)[0], type);
      if (!id) {
        throw new Error(`dropping '${label}' added no ${type} to the canvas`);
      }

      ids.push(id);
    }

    await shot('activities-dropped');
    for (let i = 0; i < ids.length - 1; i++) {
      const source = await page.locator(`.x6-node[data-cell-id="${ids[i]}"] .x6-port-body[port="Done"]`).boundingBox();
      const target = await page.locator(`.x6-node[data-cell-id="${ids[i + 1]}"] .x6-port-body[port="In"]`).boundingBox();
      const connected = saveResponse(false);
      await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
      await page.mouse.down();
      await page.mouse.move((source.x + target.x) / 2, (source.y + target.y) / 2 + 10, { steps: 5 });
      await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 5 });
      await page.mouse.up();
      await connected;
    }

    await shot('activities-connected');

    // The receipt needs the procedure's total limit, or publishing is refused (one-stop rule).
    const receipt = node(ids[0]);
    await receipt.click();
    await field('Total time limit (working days)').waitFor({ timeout });
    const limitSaved = saveResponse(false);
    await fill('Total time limit (working days)', args.totalLimit);
    await limitSaved;

    const step = node(ids[1]);
    await step.click();
    await field('Time limit (working days)').waitFor({ timeout });
    await fill('Title', args.stepTitle);
    await choose('Handling unit', args.unitCode);
    const lastEdit = saveResponse(false);
    await fill('Time limit (working days)', args.stepLimit);
    await lastEdit;
    await shot('step-configured');

    const published = saveResponse(true);
    await page.locator('button.mud-icon-button:has(path[d^="M19.35 10.04"])').click();
    const response = await published;
    if (response.status() !== 200) {
      throw new Error(`publishing answered ${response.status()}: ${await response.text()}`);
    }

    await snackbar('Workflow published');
    await assertNoStudioError('publishing');
    await shot('published');
    return { definitionId, activityIds: ids };
  },
};

const launchArguments = [
  '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-extensions',
  // Nothing but this server: any other host fails to resolve, so the pages must work offline.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

// Runs one scenario in a fresh context of the browser; prints RESULT or FAILED, returns the exit code.
async function runScenario(browser, name, scenarioArgs) {
  args = scenarioArgs;
  base = args.baseUrl.replace(/\/$/, '');
  timeout = args.timeoutMs || 120000;
  log = [];
  offline = [];
  shotNumber = 0;
  started = Date.now();
  timings = {};
  page = undefined;
  fs.mkdirSync(args.shots, { recursive: true });
  const scenario = scenarios[name];
  if (!scenario) {
    console.log(`FAILED unknown scenario '${name}'`);
    return 2;
  }

  let context;
  try {
    context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, acceptDownloads: true });
    context.setDefaultTimeout(timeout);
    page = await context.newPage();
    const watch = (p) => {
      p.on('console', (m) => { if (m.type() === 'error') log.push(`console: ${m.text().slice(0, 2000)}`); });
      p.on('pageerror', (e) => log.push(`page error: ${e.message}`));
      p.on('request', (r) => {
        const host = new URL(r.url()).hostname;
        if (r.url().startsWith('http') && host !== '127.0.0.1' && host !== 'localhost') {
          offline.push(r.url());
        }
      });
      p.on('response', (r) => {
        if (r.url().includes('/elsa/api/') && r.status() >= 400) {
          log.push(`${r.status()} ${r.request().method()} ${r.url()}`);
        }
      });
    };
    watch(page);
    context.on('page', (p) => { if (p !== page) { watch(p); } });

    const result = await scenario();
    result.timings = timings;
    result.externalRequests = offline;
    result.log = log;
    console.log(`RESULT ${JSON.stringify(result)}`);
    return 0;
  } catch (error) {
    try {
      if (page) {
        await shot('failure');
      }
    } catch {
      // The screenshot is a bonus; the message below is what matters.
    }

    console.log(`FAILED ${error && error.stack ? error.stack : error}`);
    console.log(`BROWSER LOG\n${log.join('\n')}`);
    return 1;
  } finally {
    await context?.close().catch(() => {});
  }
}

if (scenarioName === '--session') {
  const browser = await chromium.launch({ executablePath: process.env.PROCESSSERVER_CHROMIUM || '/usr/bin/chromium', headless: true, args: launchArguments });
  const readline = await import('node:readline');
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) {
      continue;
    }

    const command = JSON.parse(line);
    await runScenario(browser, command.scenario, command.args);
    console.log('END');
  }

  await browser.close();
  process.exit(0);
}

const browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: launchArguments });
let exitCode = 1;
try {
  exitCode = await runScenario(browser, scenarioName, args);
} finally {
  await browser.close();
}

process.exit(exitCode);
