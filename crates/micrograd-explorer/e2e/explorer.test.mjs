// End-to-end tests of `micrograd serve` in Debian's headless Chromium, driven by
// playwright-core (which never downloads a browser). Run by .ci/run:
//   MICROGRAD_BIN=target/release/micrograd node --test explorer.test.mjs
// Screenshots go to $SCREENSHOT_DIR (default target/e2e-screenshots).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const BIN = process.env.MICROGRAD_BIN || path.join(root, 'target/release/micrograd');
const SHOTS = process.env.SCREENSHOT_DIR || path.join(root, 'target/e2e-screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
fs.mkdirSync(SHOTS, { recursive: true });

let server, base, browser;
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `explorer-${name}.png`), fullPage: true });

async function newPage(hash = '') {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(base + (hash ? '#' + hash : ''));
  return page;
}

before(async () => {
  assert.ok(fs.existsSync(BIN), `the micrograd binary is missing: ${BIN}`);
  assert.ok(fs.existsSync(CHROMIUM), `Chromium is missing: ${CHROMIUM} (apt-get install chromium)`);
  server = spawn(BIN, ['serve'], { stdio: ['ignore', 'pipe', 'inherit'] });
  base = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL from micrograd serve: ${out}`)), 20000);
    server.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    });
    server.on('exit', (code) => reject(new Error(`micrograd serve exited (${code}): ${out}`)));
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) server.kill('SIGKILL');
});

const LECTURE_ARGS = ['grad', 'o = tanh(x1*w1 + x2*w2 + b)', 'x1=2', 'x2=0', 'w1=-3', 'w2=1', 'b=6.8813735870194432', '--json'];

test('the lecture neuron: the page shows the grads of micrograd grad --json', async () => {
  const page = await newPage();
  await page.click('#lecture');
  await page.waitForSelector('.grad[data-name="b"]');
  const cli = JSON.parse(execFileSync(BIN, LECTURE_ARGS, { encoding: 'utf8' }));
  const grads = await page.$$eval('.grad', (es) => Object.fromEntries(es.map((e) => [e.dataset.name, e.textContent])));
  assert.deepEqual(Object.keys(grads).sort(), Object.keys(cli.grads).sort());
  for (const [name, g] of Object.entries(cli.grads)) {
    assert.equal(Number(grads[name]), g, `grad of ${name}: page ${grads[name]}, CLI ${g}`);
  }
  const value = await page.textContent('#expr-value');
  assert.equal(Number(value.split('=')[1]), cli.value);
  // Every finite difference agrees with its grad.
  assert.equal(await page.locator('.checks .ok').count(), 5);
  assert.deepEqual(page.errors, []);
  await shot(page, 'expression');
  await page.close();
});

test('backward step by step: each step highlights its node and shows its rule with numbers', async () => {
  const page = await newPage();
  await page.click('#lecture');
  await page.waitForSelector('.grad[data-name="b"]');
  const expected = [
    ['o.grad = 1 (the output\'s gradient with respect to itself)', 'o.grad = 1'],
    ['o = tanh(x1*w1+x2*w2+b): its grad 1.0000 goes back to its operands',
      '(x1*w1+x2*w2+b).grad += (1 - o.data**2) \u00d7 o.grad = (1 - 0.7071**2) \u00d7 1.0000 = 0.5000'],
    ['x1*w1+x2*w2+b: its grad 0.5000 goes back to its operands',
      '(x1*w1+x2*w2).grad += 1 \u00d7 (x1*w1+x2*w2+b).grad = 1 \u00d7 0.5000 = 0.5000',
      'b.grad += 1 \u00d7 (x1*w1+x2*w2+b).grad = 1 \u00d7 0.5000 = 0.5000'],
    ['x1*w1+x2*w2: its grad 0.5000 goes back to its operands',
      '(x1*w1).grad += 1 \u00d7 (x1*w1+x2*w2).grad = 1 \u00d7 0.5000 = 0.5000',
      '(x2*w2).grad += 1 \u00d7 (x1*w1+x2*w2).grad = 1 \u00d7 0.5000 = 0.5000'],
    ['x2*w2: its grad 0.5000 goes back to its operands',
      'x2.grad += w2.data \u00d7 (x2*w2).grad = 1.0000 \u00d7 0.5000 = 0.5000',
      'w2.grad += x2.data \u00d7 (x2*w2).grad = 0.0000 \u00d7 0.5000 = 0.0000'],
    ['x1*w1: its grad 0.5000 goes back to its operands',
      'x1.grad += w1.data \u00d7 (x1*w1).grad = -3.0000 \u00d7 0.5000 = -1.5000',
      'w1.grad += x1.data \u00d7 (x1*w1).grad = 2.0000 \u00d7 0.5000 = 1.0000'],
  ];
  assert.match(await page.textContent('#step-text'), /Forward pass done/);
  const highlighted = [];
  for (let k = 0; k < expected.length; k++) {
    // Half the steps by the button, half by the arrow key (focus on the page, not a field).
    if (k % 2 === 0) await page.click('#step-next');
    else { await page.focus('#step-next'); await page.keyboard.press('ArrowRight'); }
    const lines = await page.$$eval('#step-text p', (ps) => ps.map((p) => p.textContent));
    assert.deepEqual(lines, expected[k], `step ${k + 1}`);
    highlighted.push(await page.$eval('#node-table tr.hl th', (th) => th.textContent));
    if (k === 4) await shot(page, 'backward-step');
  }
  assert.deepEqual(highlighted, ['o', 'o', 'x1*w1+x2*w2+b', 'x1*w1+x2*w2', 'x2*w2', 'x1*w1']);
  assert.equal(await page.isDisabled('#step-next'), true);
  // After the last step the table's grads are the engine's (4 decimals).
  const cli = JSON.parse(execFileSync(BIN, LECTURE_ARGS, { encoding: 'utf8' }));
  const rows = await page.$$eval('#node-table tbody tr', (trs) => trs.map((tr) => [tr.children[1].textContent, tr.children[4].textContent]));
  for (const [name, g] of Object.entries(cli.grads)) {
    const row = rows.find((r) => r[0] === name);
    assert.equal(row[1], (Math.abs(g) < 5e-5 ? 0 : g).toFixed(4), name);
  }
  // Back again: ArrowLeft goes one step back.
  await page.keyboard.press('ArrowLeft');
  assert.match(await page.textContent('#step-count'), /step 5 of 6/);
  // A value used twice: the second contribution is marked as added to the first.
  await page.fill('#program', 'a = x*x; a + x');
  await page.waitForFunction(() => document.querySelector('#expr-value').textContent.startsWith('a+x'));
  await page.click('#step-last');
  const acc = await page.$$eval('#step-text p.acc', (ps) => ps.map((p) => p.textContent));
  assert.deepEqual(acc, [
    'x.grad += x.data \u00d7 a.grad = 1.0000 \u00d7 1.0000 = 1.0000 (used again: 1.0000 + 1.0000 = 2.0000)',
    'x.grad += x.data \u00d7 a.grad = 1.0000 \u00d7 1.0000 = 1.0000 (used again: 2.0000 + 1.0000 = 3.0000)',
  ]);
  // A parse error shows the caret as you type.
  await page.fill('#program', 'x = a * ) + 1');
  await page.waitForSelector('#parse-error:not([hidden])');
  const err = await page.textContent('#parse-error');
  assert.equal(err, "syntax error at line 1, column 9: expected an expression after '*', found ')'\n  x = a * ) + 1\n          ^");
  await shot(page, 'parse-error');
  assert.deepEqual(page.errors, []);
  await page.close();
});

// Reads the boundary canvas's cells (the classes, by hue) as a string of 0/1 per pixel.
const boundaryCells = (page) => page.$eval('#boundary', (c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let s = '';
  for (let i = 0; i < d.length; i += 4) s += d[i + 2] > d[i] ? '0' : '1'; // blue-ish: class 0
  return s;
});

async function waitDone(page, timeout = 60000) {
  await page.waitForFunction(() => document.querySelector('#train-status').textContent.startsWith('done'), null, { timeout });
  return page.textContent('#train-status');
}

test('train the demo moons to 100%: the boundary changes, the command reproduces the loss', async () => {
  const page = await newPage('tab=train&speed=0');
  await page.waitForSelector('#points circle');
  assert.equal(await page.locator('#points circle').count(), 100);
  await page.click('#step');
  await page.waitForFunction(() => /step 1\/100/.test(document.querySelector('#train-status').textContent));
  const first = await boundaryCells(page);
  await page.click('#play');
  const status = await waitDone(page);
  assert.match(status, /training accuracy 100\.0%/);
  const last = await boundaryCells(page);
  let changed = 0;
  for (let i = 0; i < first.length; i++) if (first[i] !== last[i]) changed++;
  assert.ok(changed > first.length * 0.05, `only ${changed} of ${first.length} cells changed class`);
  await shot(page, 'training');
  // Copy as command: the line runs, and gives the page's loss and accuracy.
  await page.click('#copy-command');
  const command = await page.textContent('#command');
  assert.equal(command, 'micrograd train'); // micrograd's demo is the command's default
  const args = command.split(' ').slice(1);
  const out = JSON.parse(execFileSync(BIN, [...args, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const pageLoss = await page.evaluate(() => train.frame.final_loss);
  assert.equal(out.loss, pageLoss);
  assert.equal(out.accuracy, 1);
  // A click on a point shows its forward graph, with data and grad.
  const circle = page.locator('#points circle').nth(3);
  await circle.click();
  await page.waitForSelector('#point-graph .vbox');
  assert.match(await page.textContent('#point-text'), /^point 3 at/);
  assert.ok(await page.locator('#point-graph .vbox').count() > 300);
  // The exports answer files.
  const json = await page.evaluate(async () => (await fetch(document.querySelector('#export-json').href)).json());
  assert.equal(json.format, 'micrograd-mlp');
  assert.equal(json.weights.length, 337);
  const png = await page.evaluate(async () => (await fetch(document.querySelector('#export-png').href)).headers.get('content-type'));
  assert.equal(png, 'image/png');
  assert.deepEqual(page.errors, []);
  await shot(page, 'point-graph');
  // The page draws 20+ frames a second while a long run trains at full speed (printed,
  // not asserted: no timing in tests).
  await page.fill('#steps', '20000');
  await page.dispatchEvent('#steps', 'change');
  await page.click('#play');
  await page.waitForFunction(() => window.__frames > 3);
  const f0 = await page.evaluate(() => window.__frames);
  await page.waitForTimeout(3000);
  const f1 = await page.evaluate(() => window.__frames);
  console.log(`# page frames per second while training at full speed: ${((f1 - f0) / 3).toFixed(1)}`);
  await page.click('#reset');
  await page.close();
});

test('a bad CSV shows its line number; a good one trains and the command reproduces it', async () => {
  const page = await newPage('tab=train&data=csv&speed=0');
  await page.setInputFiles('#csv-file', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('x0,x1,label\n0.5,1.0,a\n0.7,oops,b\n') });
  await page.waitForSelector('#train-error:not([hidden])');
  const err = await page.textContent('#train-error');
  assert.match(err, /line 3, column 2 \("x1"\): "oops" is not a number/);
  await shot(page, 'csv-error');
  // A good file: two clusters, labels as text.
  const rows = ['x0,x1,label'];
  for (let i = 0; i < 40; i++) {
    const t = i / 40 * 2 * Math.PI;
    rows.push(`${(Math.cos(t) * 0.3).toFixed(4)},${(Math.sin(t) * 0.3).toFixed(4)},inner`);
    rows.push(`${(Math.cos(t) * 1.2).toFixed(4)},${(Math.sin(t) * 1.2).toFixed(4)},outer`);
  }
  const csv = rows.join('\n') + '\n';
  await page.setInputFiles('#csv-file', { name: 'rings.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.waitForFunction(() => document.querySelectorAll('#points circle').length === 80);
  assert.equal(await page.isHidden('#train-error'), true);
  await page.selectOption('#optimizer', 'adam');
  await page.fill('#steps', '300');
  await page.dispatchEvent('#steps', 'change');
  await page.click('#play');
  const status = await waitDone(page);
  assert.match(status, /training accuracy 100\.0%/);
  await shot(page, 'csv-training');
  const command = await page.textContent('#command');
  assert.match(command, /--data rings\.csv/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'explorer-e2e-'));
  fs.writeFileSync(path.join(dir, 'rings.csv'), csv);
  const out = JSON.parse(execFileSync(BIN, [...command.split(' ').slice(1), '--json'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  assert.equal(out.loss, await page.evaluate(() => train.frame.final_loss));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('keyboard only: Space plays and pauses, the arrow steps', async () => {
  const page = await newPage('tab=train&speed=10&steps=5000');
  await page.waitForSelector('#points circle');
  // Tab from the start of the page to the Play button.
  let focused = '';
  for (let k = 0; k < 60 && focused !== 'play'; k++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement.id);
  }
  assert.equal(focused, 'play');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => /^step \d+\/5000/.test(document.querySelector('#train-status').textContent));
  assert.equal(await page.getAttribute('#play', 'aria-pressed'), 'true');
  // Space on the page itself (not in a field) pauses.
  await page.evaluate(() => document.activeElement.blur());
  await page.keyboard.press('Space');
  await page.waitForFunction(() => /^paused at step/.test(document.querySelector('#train-status').textContent));
  assert.equal(await page.getAttribute('#play', 'aria-pressed'), 'false');
  const at = Number((await page.textContent('#train-status')).match(/step (\d+)/)[1]);
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((n) => new RegExp(`^paused at step ${n}/`).test(document.querySelector('#train-status').textContent), at + 1);
  // The summary for screen readers follows (about once a second).
  await page.waitForFunction(() => /paused at step/.test(document.querySelector('#summary').textContent));
  await shot(page, 'keyboard');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => document.querySelector('#play').getAttribute('aria-pressed') === 'true');
  await page.click('#reset');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the state is in the URL: a link restores the settings', async () => {
  const page = await newPage('tab=train&data=spiral&samples=150&noise=0.1&classes=3&layers=8,8&loss=ce&optimizer=adam&steps=50&seed=7');
  await page.waitForFunction(() => document.querySelectorAll('#points circle').length === 150);
  assert.equal(await page.inputValue('#layers'), '8,8');
  assert.equal(await page.inputValue('#loss'), 'ce');
  await page.click('#copy-command');
  await page.waitForFunction(() => document.querySelector('#command').textContent.length > 0);
  assert.equal(await page.textContent('#command'),
    'micrograd train --data spiral --samples 150 --noise 0.1 --classes 3 --layers 8,8 --loss ce --optimizer adam --steps 50 --seed 7');
  // A blank learning rate shows the command line's default for these settings (adam: 0.03).
  await page.waitForFunction(() => document.querySelector('#lr').placeholder === 'default: 0.03');
  await page.close();
});

test("the lecture's net: sse loss, tanh output, the default learning rate shown and reproduced", async () => {
  const page = await newPage('tab=train&speed=0&activation=tanh&output=tanh&loss=sse');
  await page.waitForSelector('#points circle');
  assert.equal(await page.inputValue('#output-activation'), 'tanh');
  assert.equal(await page.inputValue('#loss'), 'sse');
  // A sum over the 100 examples: 0.05 / 100, shown before a run starts.
  await page.waitForFunction(() => document.querySelector('#lr').placeholder === 'default: 0.0005');
  assert.match(await page.textContent('#lr-hint'), /, here 0\.0005\.$/);
  // It follows the loss, the optimizer and the batch size as they change.
  await page.selectOption('#loss', 'mse');
  await page.waitForFunction(() => document.querySelector('#lr').placeholder === 'default: 0.05');
  await page.selectOption('#loss', 'sse');
  await page.fill('#batch', '20');
  await page.dispatchEvent('#batch', 'change');
  await page.waitForFunction(() => document.querySelector('#lr').placeholder === 'default: 0.0025');
  await page.fill('#batch', '');
  await page.dispatchEvent('#batch', 'change');
  await page.waitForFunction(() => document.querySelector('#lr').placeholder === 'default: 0.0005');
  assert.match(await page.evaluate(() => location.hash), /output=tanh/);
  await page.click('#play');
  const status = await waitDone(page);
  assert.match(status, /training accuracy/);
  await shot(page, 'training-sse-tanh');
  const command = await page.textContent('#command');
  assert.equal(command, 'micrograd train --activation tanh --output-activation tanh --loss sse');
  const out = JSON.parse(execFileSync(BIN, [...command.split(' ').slice(1), '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  assert.equal(out.loss, await page.evaluate(() => train.frame.final_loss));
  assert.equal(out.accuracy, await page.evaluate(() => train.frame.final_accuracy));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Ctrl-C stops the server cleanly, with a stream open', async () => {
  const page = await newPage('tab=train&speed=2&steps=1000');
  await page.waitForSelector('#points circle');
  await page.click('#play');
  await page.waitForFunction(() => window.__frames > 0);
  const code = await new Promise((resolve) => {
    server.once('exit', (c, sig) => resolve(c === null ? sig : c));
    server.kill('SIGINT');
    setTimeout(() => resolve('still running after 10 s'), 10000);
  });
  assert.equal(code, 0);
  await page.close();
});
