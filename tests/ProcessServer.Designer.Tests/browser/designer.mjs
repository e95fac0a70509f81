// Drives the real Elsa Studio 3.8.2 bundle, served by ProcessServer, in Debian's headless Chromium.
//
//   node designer.mjs <scenario> '<json arguments>'
//
// Prints "RESULT <json>" and exits 0, or prints "FAILED <message>" and exits 1. Every stage leaves a
// screenshot in arguments.shots (NN-stage.png); a failure adds NN-failure.png and the browser log.
// Waits are on selectors and responses, never on fixed sleeps.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

const [scenarioName, argumentText] = process.argv.slice(2);
const args = JSON.parse(argumentText || '{}');
const base = args.baseUrl.replace(/\/$/, '');
const timeout = args.timeoutMs || 120000;
fs.mkdirSync(args.shots, { recursive: true });

const log = [];
const offline = [];
let page;
let shotNumber = 0;

const started = Date.now();
const timings = {};

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
    await create.click();
    const dialog = page.locator('.mud-dialog');
    await field('Name').locator('input').waitFor({ timeout });
    await dialog.locator('.mud-input-control', { has: page.locator('label', { hasText: 'Name' }) }).locator('input').fill(args.name);
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

const scenario = scenarios[scenarioName];
if (!scenario) {
  console.log(`FAILED unknown scenario '${scenarioName}'`);
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-quic',
    '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-extensions',
    // Nothing but this server: any other host fails to resolve, so the pages must work offline.
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
  ],
});

let exitCode = 0;
try {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  context.setDefaultTimeout(timeout);
  page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') log.push(`console: ${m.text().slice(0, 2000)}`); });
  page.on('pageerror', (e) => log.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const host = new URL(r.url()).hostname;
    if (r.url().startsWith('http') && host !== '127.0.0.1' && host !== 'localhost') {
      offline.push(r.url());
    }
  });
  page.on('response', (r) => {
    if (r.url().includes('/elsa/api/') && r.status() >= 400) {
      log.push(`${r.status()} ${r.request().method()} ${r.url()}`);
    }
  });

  const result = await scenario();
  result.timings = timings;
  result.externalRequests = offline;
  result.log = log;
  console.log(`RESULT ${JSON.stringify(result)}`);
} catch (error) {
  exitCode = 1;
  try {
    if (page) {
      await shot('failure');
    }
  } catch {
    // The screenshot is a bonus; the message below is what matters.
  }

  console.log(`FAILED ${error && error.stack ? error.stack : error}`);
  console.log(`BROWSER LOG\n${log.join('\n')}`);
} finally {
  await browser.close();
}

process.exit(exitCode);
