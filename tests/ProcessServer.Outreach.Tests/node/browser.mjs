// Debian's headless Chromium driven by playwright-core for the outreach browser tests.
//
//   node browser.mjs '<json arguments>'
//
// arguments: { chromium, shots, steps: [...] } where a step is one of
//   { do: "page", name, url, headers?, html?, waitFor? }  open a page (or write html into a page of
//        the server's origin), screenshot it on screen (shots/<name>.png) and read its text in print
//        media; the QR code in the screenshot, if any, is decoded.
//   { do: "lookup", name, url, receiptCode?, secret?, rate? }  the public look-up page: fills the form
//        (unless the URL carries the code and secret), waits for the answer, optionally rates.
//   { do: "decode", name, file }  decodes the QR code in a PNG file.
// Prints "RESULT <json>" with one entry per step, or "FAILED <message>" and exits 1.
import { chromium } from 'playwright-core';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import fs from 'node:fs';
import path from 'node:path';

const args = JSON.parse(process.argv[2] || '{}');
fs.mkdirSync(args.shots, { recursive: true });

function decode(file) {
  const png = PNG.sync.read(fs.readFileSync(file));
  const found = jsQR(new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), png.width, png.height);
  return found ? found.data : null;
}

const browser = await chromium.launch({
  executablePath: args.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const results = [];
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 1000 }, deviceScaleFactor: 2, locale: 'vi-VN' });
  const page = await context.newPage();
  page.setDefaultTimeout(60000);
  for (const step of args.steps) {
    const shot = path.join(args.shots, `${step.name}.png`);
    if (step.do === 'decode') {
      results.push({ name: step.name, qr: decode(step.file) });
      continue;
    }

    await page.setExtraHTTPHeaders(step.headers || {});
    if (step.do === 'page') {
      await page.emulateMedia({ media: 'screen' });
      if (step.html) {
        await page.goto(step.url);
        await page.setContent(step.html, { waitUntil: 'load' });
      } else {
        const response = await page.goto(step.url);
        if (!response.ok()) {
          throw new Error(`${step.url} answered ${response.status()}: ${await response.text()}`);
        }
      }
      // The sheet of paper itself when the page is a form.
      const sheet = page.locator('.page');
      if (await sheet.count() === 1) {
        await sheet.screenshot({ path: shot });
      } else {
        await page.screenshot({ path: shot, fullPage: true });
      }
      await page.emulateMedia({ media: 'print' });
      const text = await page.evaluate(() => document.body.innerText);
      results.push({ name: step.name, text, qr: decode(shot), shot });
      continue;
    }

    if (step.do === 'lookup') {
      await page.emulateMedia({ media: 'screen' });
      await page.goto(step.url);
      if (step.receiptCode) {
        await page.fill('#receiptCode', step.receiptCode);
        await page.fill('#secret', step.secret);
        await page.click('#lookup button[type=submit]');
      }
      await page.waitForSelector('#result:not([hidden]), #error:not([hidden])');
      const error = await page.locator('#error').isVisible() ? await page.locator('#error').innerText() : null;
      let rated = null;
      if (step.rate && !error) {
        await page.waitForSelector('#rating:not([hidden])');
        await page.check(`#rating input[value="${step.rate.satisfied}"]`);
        await page.fill('#comment', step.rate.comment || '');
        await page.click('#rating button[type=submit]');
        await page.waitForSelector('#r-rated:not([hidden])');
        rated = await page.locator('#r-rated').innerText();
      }
      await page.screenshot({ path: shot, fullPage: true });
      const text = await page.evaluate(() => document.querySelector('main').innerText);
      results.push({ name: step.name, text, error, rated, url: page.url(), shot });
      continue;
    }

    throw new Error(`unknown step ${step.do}`);
  }
  console.log('RESULT ' + JSON.stringify(results));
} catch (error) {
  console.log('FAILED ' + (error && error.stack || error));
  process.exitCode = 1;
} finally {
  await browser.close();
}
