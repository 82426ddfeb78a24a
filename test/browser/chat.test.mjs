// Browser test of examples/chat: builds the chat app, starts it (embedded Gyre, memory engine) on free
// loopback ports, and drives two pages in Debian's Chromium through playwright-core (no browser
// download). Run with `make test-browser` (or `node --test` here after `npm ci`).
//
// Environment: CHROMIUM (default /usr/bin/chromium), CHAT_BIN (a prebuilt chat binary; otherwise
// `go build` here), GYRE_REQUIRE_SERVICES (set in CI: a missing Chromium fails instead of skipping),
// CHAT_URL (test an app that is already running instead, e.g. split mode started by hand with
// -session-ttl 2s; the test then expects a fresh app: empty rooms, no users).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const artifacts = path.join(here, 'artifacts');
const WAIT = 15_000;

function skipReason() {
  const required = !!process.env.GYRE_REQUIRE_SERVICES;
  const missing = [];
  if (!fs.existsSync(chromiumPath)) missing.push(`Chromium not found at ${chromiumPath} (apt-get install -y chromium)`);
  if (!fs.existsSync(path.join(repo, 'examples/chat/web/vendor/centrifuge.js'))) {
    missing.push('examples/chat/web/vendor/centrifuge.js missing (run npm ci in examples/chat)');
  }
  if (missing.length === 0) return false;
  if (required) throw new Error('GYRE_REQUIRE_SERVICES is set but: ' + missing.join('; '));
  return missing.join('; ');
}

// ---- the chat app process ----------------------------------------------------------------------

// build returns envBin when set, else `go build`s pkg into dir.
function build(envBin, pkg, dir) {
  if (envBin) return path.resolve(envBin);
  const bin = path.join(dir, path.basename(pkg));
  execFileSync(process.env.GO || 'go', ['build', '-o', bin, pkg], { cwd: repo, stdio: 'inherit' });
  return bin;
}

// start runs a process we own, logs its output to logFile and resolves `ready` when ready(output) gives
// a value (checked on every chunk of stdout/stderr).
function start(bin, args, logFile, ready, what) {
  const child = spawn(bin, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  fs.writeFileSync(logFile, '');
  let out = '';
  const value = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready within 30s (its log is below)`)), 30_000);
    const onData = (chunk) => {
      out += chunk;
      fs.appendFileSync(logFile, chunk);
      const v = ready(out);
      if (v) {
        clearTimeout(timer);
        resolve(v);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited early (code ${code}, signal ${sig}; its log is below)`));
    });
  });
  value.catch(() => {}); // reported where awaited
  return { child, value, logFile };
}

const chatURL = (out) => (/Chat: (http:\/\/\S+)/.exec(out) || [])[1];

// Common flags: every port 0, absolute paths, short sessions so that Gyre calls the Refresh service
// during the test.
const chatArgs = (...extra) => ['-addr', '127.0.0.1:0', '-web', path.join(repo, 'examples/chat/web'), '-session-ttl', '2s', ...extra];

// Embedded mode: one process, Gyre inside.
function startEmbedded(chatBin, dir, procs) {
  const app = start(chatBin, chatArgs('-gyre-addr', '127.0.0.1:0', '-config', path.join(repo, 'examples/chat/gyre.json')),
    path.join(dir, 'chat.log'), chatURL, 'chat app');
  procs.push(app);
  return app.value;
}

// freePort asks the system for a free loopback port (closed again before use: a tiny race, loopback only).
async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

// Split mode: gyre --config gyre-split.json and chat -split with bridge.yaml, as in the README, with the
// fixed ports (8000, 10000, 10001) replaced by free ones.
async function startSplit(chatBin, gyreBin, dir, procs) {
  const [httpPort, apiPort, proxyPort] = [await freePort(), await freePort(), await freePort()];
  const cfg = fs.readFileSync(path.join(repo, 'examples/chat/gyre-split.json'), 'utf8')
    .replaceAll('127.0.0.1:10001', `127.0.0.1:${proxyPort}`)
    .replace('"port": 8000', `"port": ${httpPort}`)
    .replace('"port": 10000', `"port": ${apiPort}`);
  assert.ok(cfg.includes(`"port": ${httpPort}`) && cfg.includes(`"port": ${apiPort}`), 'gyre-split.json ports');
  const bridgeCfg = fs.readFileSync(path.join(repo, 'examples/chat/bridge.yaml'), 'utf8')
    .replace('127.0.0.1:10001', `127.0.0.1:${proxyPort}`)
    .replace('127.0.0.1:10000', `127.0.0.1:${apiPort}`);
  fs.writeFileSync(path.join(dir, 'gyre-split.json'), cfg);
  fs.writeFileSync(path.join(dir, 'bridge.yaml'), bridgeCfg);
  const gyre = start(gyreBin, ['--config', path.join(dir, 'gyre-split.json')], path.join(dir, 'gyre.log'),
    (out) => out.includes('gyre is listening'), 'gyre');
  procs.push(gyre);
  await gyre.value;
  const app = start(chatBin, chatArgs('-split', '-bridge-config', path.join(dir, 'bridge.yaml'),
    '-websocket-url', `ws://127.0.0.1:${httpPort}/connection/websocket`), path.join(dir, 'chat.log'), chatURL, 'chat app');
  procs.unshift(app); // stopped first
  return app.value;
}

// stopProcess stops a process we started, by PID: SIGTERM, then SIGKILL after 10s.
async function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

async function telemetry(url) {
  const resp = await fetch(new URL('telemetry', url));
  return resp.json();
}

async function waitFor(what, fn, timeout = WAIT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---- page helpers --------------------------------------------------------------------------------

// Both pages are tabs of one window; only the front one renders, and a hidden tab's frames (which
// Playwright's actionability checks wait for) are throttled. So bring a page to the front to act on it.
async function login(page, url, name) {
  await page.bringToFront();
  await page.goto(url);
  await page.fill('#login-name', name);
  await page.click('#login-btn');
  await page.waitForSelector('#status[data-state="connected"]', { timeout: WAIT });
  await page.waitForSelector('#rooms li[data-room="lobby"]', { timeout: WAIT });
}

async function join(page, room) {
  await page.bringToFront();
  await page.click(`#rooms li[data-room="${room}"] button`);
  await page.waitForSelector('#room-state[data-state="subscribed"]', { timeout: WAIT });
}

async function send(page, text) {
  await page.bringToFront();
  await page.fill('#msg-input', text);
  await page.press('#msg-input', 'Enter');
}

const presence = (page) => page.$$eval('#presence li', (lis) => lis.map((li) => li.dataset.user).sort());
const messages = (page) =>
  page.$$eval('#messages li.msg', (lis) => lis.map((li) => `${li.querySelector('.author').textContent}: ${li.querySelector('.text').textContent}`));
const systemLines = (page) => page.$$eval('#messages li.system', (lis) => lis.map((li) => li.textContent));


// ---- the test ----------------------------------------------------------------------------------------

const reason = skipReason();
if (!reason) fs.rmSync(artifacts, { recursive: true, force: true });

// scenario drives two pages (Alice and Bob) through everything the chat does. The steps run in order on
// the same pages; after a failure the rest are skipped.
async function scenario(t, mode, url, tmp) {
  const { chromium } = await import('playwright-core');
  const ctx = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: chromiumPath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 700 },
  });
  let failed = false;
  try {
    // Two tabs; the page keeps its session in sessionStorage, which is per tab.
    const alice = ctx.pages()[0] || (await ctx.newPage());
    const bob = await ctx.newPage();
    const pageErrors = [];
    for (const p of [alice, bob]) p.on('pageerror', (err) => pageErrors.push(err.message));
    const step = (name, fn) => t.test(name, { skip: failed && 'an earlier step failed' }, async () => {
      try {
        await fn();
      } catch (err) {
        failed = true;
        throw err;
      }
    });
    const shot = async (page, name) => {
      await page.bringToFront();
      await page.screenshot({ path: path.join(artifacts, `${mode}-${name}.png`) });
    };

    await step('both users log in (connect proxy + Auth interceptor) and see the rooms (RPC get:rooms)', async () => {
      await login(alice, url, 'Alice');
      await login(bob, url, 'Bob');
      const rooms = await alice.$$eval('#rooms li', (lis) => lis.map((li) => li.dataset.room));
      assert.deepEqual(rooms, ['lobby', 'gyre', 'random']);
    });

    await step('a bad login is refused', async () => {
      const resp = await fetch(new URL('login', url), { method: 'POST', body: JSON.stringify({ name: 'no spaces' }) });
      assert.equal(resp.status, 400);
    });

    await step('a forged token is refused (Auth interceptor: 401) and the page asks to log in again', async () => {
      const eve = await ctx.newPage();
      try {
        await eve.goto(url);
        await eve.evaluate(() => sessionStorage.setItem('gyre-chat-session', JSON.stringify({ user: 'Alice', token: 'Alice.00' })));
        await eve.reload();
        await eve.waitForSelector('#login:not([hidden])', { timeout: WAIT });
        assert.match(await eve.textContent('#status'), /401/);
        assert.match(await eve.textContent('#login-error'), /log in again/);
      } finally {
        await eve.close();
      }
    });

    await step('both join the lobby; presence shows both; the join is pushed', async () => {
      await join(alice, 'lobby');
      await join(bob, 'lobby');
      for (const p of [alice, bob]) {
        await waitFor('presence of Alice and Bob', async () => (await presence(p)).join() === 'Alice,Bob');
      }
      await waitFor('"Bob joined" at Alice', async () => (await systemLines(alice)).includes('Bob joined'));
    });

    await step('a message typed by Alice appears at Bob, rewritten with user and time', async () => {
      await send(alice, '  hello from Alice  ');
      await waitFor('the message at Bob', async () => (await messages(bob)).includes('Alice: hello from Alice'));
      await waitFor('the message at Alice', async () => (await messages(alice)).includes('Alice: hello from Alice'));
      const time = await bob.$eval('#messages li.msg time', (e) => e.dateTime);
      assert.ok(!Number.isNaN(Date.parse(time)), `time ${time}`);
      await shot(alice, 'alice-lobby');
      await shot(bob, 'bob-lobby');
    });

    await step('the Publish service refuses a 501-character message', async () => {
      await send(bob, 'x'.repeat(501));
      await waitFor('the error at Bob', async () => (await bob.textContent('#send-error')).startsWith('400'));
      assert.ok(!(await messages(alice)).some((m) => m.includes('xxxx')));
    });

    await step('a mention reaches the personal channel personal:#Alice', async () => {
      await send(bob, '@Alice are you there?');
      await waitFor('the mention toast at Alice', async () => {
        const toasts = await alice.$$eval('.toast.mention', (els) => els.map((e) => e.textContent));
        return toasts.some((s) => s.includes('Bob mentioned you in #lobby'));
      });
      await waitFor('the message at Alice', async () => (await messages(alice)).includes('Bob: @Alice are you there?'));
    });

    await step("Bob may not subscribe to Alice's personal channel (topic rule personal:#{user})", async () => {
      const res = await bob.evaluate(() => new Promise((resolve) => {
        const c = window.chat.state.centrifuge;
        const sub = c.newSubscription('personal:#Alice');
        const done = (v) => {
          c.removeSubscription(sub);
          resolve(v);
        };
        sub.on('subscribed', () => done({ subscribed: true }));
        sub.on('unsubscribed', (ctx) => done({ code: ctx.code, reason: ctx.reason }));
        sub.subscribe();
      }));
      assert.equal(res.code, 403, JSON.stringify(res));
    });

    await step('the room list counts online users (RPC → net/http router → server API)', async () => {
      await alice.bringToFront();
      await alice.click('#rooms-refresh');
      await waitFor('lobby: 2 online', async () =>
        (await alice.textContent('#rooms li[data-room="lobby"] .room-online')) === '2 online');
    });

    await step('after a reload Bob sees the history; Alice sees the leave and the join', async () => {
      await bob.bringToFront();
      await bob.reload();
      await bob.waitForSelector('#status[data-state="connected"]', { timeout: WAIT });
      await bob.waitForSelector('#room-state[data-state="subscribed"]', { timeout: WAIT });
      await waitFor('history at Bob', async () => {
        const m = await messages(bob);
        return m.length === 2 && m[0] === 'Alice: hello from Alice' && m[1] === 'Bob: @Alice are you there?';
      });
      await waitFor('"Bob left" at Alice', async () => (await systemLines(alice)).includes('Bob left'));
      await waitFor('presence after the reload', async () => (await presence(bob)).join() === 'Alice,Bob');
      await shot(bob, 'bob-after-reload');
    });

    await step('after a connection drop Bob recovers what he missed (force_recovery)', async () => {
      await bob.evaluate(() => window.chat.state.centrifuge.disconnect());
      await bob.waitForSelector('#status[data-state="disconnected"]', { timeout: WAIT });
      await send(alice, 'sent while Bob was away');
      await waitFor('the message at Alice', async () => (await messages(alice)).includes('Alice: sent while Bob was away'));
      await bob.bringToFront();
      await bob.evaluate(() => window.chat.state.centrifuge.connect());
      await waitFor('recovery at Bob', async () =>
        (await bob.textContent('#room-state')) === 'reconnected, missed messages recovered');
      await waitFor('the missed message at Bob', async () => (await messages(bob)).includes('Alice: sent while Bob was away'));
      const m = await messages(bob);
      assert.equal(new Set(m).size, m.length, `no duplicates: ${JSON.stringify(m)}`);
    });

    await step('Gyre asked the Refresh service to extend the 2s sessions, and both stay connected', async () => {
      await waitFor('refreshes', async () => ((await telemetry(url)).refresh || {}).result >= 2, 20_000);
      for (const p of [alice, bob]) {
        assert.equal(await p.getAttribute('#status', 'data-state'), 'connected');
      }
      await send(bob, 'still here');
      await waitFor('the message at Alice', async () => (await messages(alice)).includes('Bob: still here'));
    });

    await step('the Telemetry interceptor saw every event type', async () => {
      const tel = await telemetry(url);
      t.diagnostic(`telemetry ${JSON.stringify(tel)}`);
      assert.ok(tel.connect.result >= 3 && tel.connect.error >= 1, 'connects');
      assert.ok(tel.subscribe.result >= 5 && tel.subscribe.error >= 1, 'subscribes');
      assert.ok(tel.publish.result >= 3 && tel.publish.error >= 1, 'publishes');
      assert.ok(tel.rpc.result >= 3, 'rpcs');
      assert.deepEqual(pageErrors, []);
    });
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await ctx.close().catch(() => {});
  }
  return !failed;
}

// run starts the processes, runs the scenario and stops what it started, by PID.
async function run(t, mode) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gyre-browser-'));
  fs.mkdirSync(artifacts, { recursive: true });
  const procs = [];
  let ok = false;
  try {
    let url = process.env.CHAT_URL;
    if (url) {
      t.diagnostic(`using the running chat app at ${url} (it must run with -session-ttl 2s)`);
    } else {
      const chatBin = build(process.env.CHAT_BIN, './examples/chat', tmp);
      url = mode === 'split'
        ? await startSplit(chatBin, build(process.env.GYRE_BIN, './cmd/gyre', tmp), tmp, procs)
        : await startEmbedded(chatBin, tmp, procs);
      t.diagnostic(`${mode}: ${procs.map((p) => `${path.basename(p.logFile, '.log')} pid ${p.child.pid}`).join(', ')}; ${url}`);
    }
    ok = await scenario(t, mode, url, tmp);
  } finally {
    for (const p of procs) await stopProcess(p.child);
    for (const p of procs) {
      const name = `${mode}-${path.basename(p.logFile)}`;
      if (fs.existsSync(p.logFile)) fs.copyFileSync(p.logFile, path.join(artifacts, name));
      if (!ok && fs.existsSync(p.logFile)) {
        const lines = fs.readFileSync(p.logFile, 'utf8').trim().split('\n');
        t.diagnostic(`${name} (last 30 lines):\n` + lines.slice(-30).join('\n'));
      }
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

test('embedded: examples/chat with Gyre in the same process, two browser pages', { skip: reason, timeout: 180_000 },
  (t) => run(t, 'embedded'));

test('split: gyre --config gyre-split.json + chat -split over gRPC, two browser pages',
  { skip: reason || (process.env.CHAT_URL && 'CHAT_URL is set'), timeout: 180_000 }, (t) => run(t, 'split'));
