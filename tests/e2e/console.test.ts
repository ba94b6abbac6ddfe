// The operator console in headless Chromium against the demo federation (config/demo/federation.ts:
// directory, provider with inway and person registry, consumer with outway), started in-process on
// free ports with a temporary data directory. An operator logs in, sees the demo service, approves a
// pending connection contract by clicking, watches a call made through the outway appear in the live
// tail, filters by a BSN and exports. Screenshots of every page go to a folder under os.tmpdir().
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_SERVICE_NAME, startDemoFederation, type DemoFederation } from '../../demo/federation.ts';
import { DEFAULT_DEMO_PORTS, findFreePort, type DemoPortName, type DemoPorts } from '../../demo/ports.ts';
import type { RunningPeer } from '../../peer/index.ts';

const HOST = '127.0.0.1';
const CHROMIUM = '/usr/bin/chromium';
const STEP_MS = 30_000;

interface OrgConsole {
  url: string;
  token: string;
}

async function freePorts(): Promise<DemoPorts> {
  const ports = { ...DEFAULT_DEMO_PORTS };
  for (const name of Object.keys(ports) as DemoPortName[]) ports[name] = await findFreePort(HOST);
  return ports;
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = STEP_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The console of one organisation, on its admin listener (peer/start-peer.ts mounts it there). */
async function consoleOf(peer: RunningPeer): Promise<OrgConsole> {
  const token = (await readFile(peer.config.admin.tokenPath, 'utf8')).trim();
  const url = peer.urls.admin ?? '';
  const probe = await request(`${url}/console/login`, { headers: { accept: 'text/html' } });
  await probe.body.dump();
  if (probe.statusCode !== 200) throw new Error(`no console on the admin listener of ${peer.name} (HTTP ${probe.statusCode})`);
  return { url, token };
}

describe('operator console in a browser', () => {
  let dataDir: string;
  let shots: string;
  let fed: DemoFederation;
  let browser: Browser;
  let context: BrowserContext;
  let provider: OrgConsole;
  let consumer: OrgConsole;
  let shot = 0;
  const bsn = '999993653';

  async function screenshot(page: Page, name: string): Promise<void> {
    shot++;
    await page.screenshot({ path: join(shots, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  }

  async function login(page: Page, org: OrgConsole, path: string): Promise<void> {
    await page.goto(`${org.url}${path}`);
    await expect.poll(() => page.url()).toContain('/console/login');
    await page.getByLabel('Admin token').fill(org.token);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`**${path}`);
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'koppel-e2e-console-'));
    shots = join(tmpdir(), `koppel-console-screenshots-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    await mkdir(shots, { recursive: true });
    fed = await startDemoFederation({ dataDir, ports: await freePorts(), host: HOST, logLevel: 'warn', stepTimeoutMs: STEP_MS });
    provider = await consoleOf(fed.peers.provider);
    consumer = await consoleOf(fed.peers.consumer);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 180_000);

  // Every test has a browser context of its own (no cookies, no session from another test) and logs
  // in itself: each passes alone and in any order.
  beforeEach(async () => {
    context = await browser.newContext({ acceptDownloads: true, locale: 'en-GB', viewport: { width: 1280, height: 900 } });
  });

  afterEach(async () => {
    await context?.close();
  });

  afterAll(async () => {
    console.log(`console screenshots: ${shots}`);
    await browser?.close();
    await fed?.close();
    await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('logs in and shows the demo service with its health', async () => {
    const page = await context.newPage();
    await login(page, provider, '/console/services');
    await expect.poll(() => page.title()).toContain('Services');
    const own = page.locator(`tr[data-own-service="${DEMO_SERVICE_NAME}"]`);
    await expect.poll(() => own.count()).toBe(1);
    // The directory probes the inway; once it has, the group listing says "up".
    const listed = page.locator(`tr[data-service="${fed.peers.provider.peerId}/${DEMO_SERVICE_NAME}"] [data-health]`);
    // For a peer that is not the directory this needs the console's group services to come from the
    // directory over mTLS (the admin API's remote directory).
    await eventually('the directory lists the demo service with its inway up', async () => {
      await page.reload();
      if ((await listed.count()) === 0) return undefined;
      return (await listed.getAttribute('data-health')) === 'up' ? true : undefined;
    }).catch(async (err: unknown) => {
      await screenshot(page, 'services-failed');
      throw err;
    });
    // Keyboard first: the skip link is the first stop and moves focus to the main content.
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.className')).toBe('skip-link');
    await screenshot(page, 'services');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement.id')).toBe('main');
    await page.close();
  }, 90_000);

  it('approves a pending connection contract by clicking Accept', async () => {
    // Another organisation (the directory peer, through its own admin API) asks for a connection.
    const directory = fed.peers.directory;
    const directoryToken = (await readFile(directory.config.admin.tokenPath, 'utf8')).trim();
    const res = await request(`${directory.urls.admin ?? ''}/admin/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${directoryToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ peerId: fed.peers.provider.peerId, service: DEMO_SERVICE_NAME }),
    });
    const body = (await res.body.json()) as { contract?: { hash: string } };
    expect(res.statusCode).toBe(201);
    const hash = body.contract?.hash ?? '';
    const providerService = fed.peers.provider.manager!.service;
    await eventually('the contract reaches the provider', async () => ((await providerService.getContract(hash))?.state === 'proposed' ? true : undefined));

    const page = await context.newPage();
    await login(page, provider, '/console/contracts');
    const row = page.locator(`tr[data-contract="${hash}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getAttribute('data-state')).toBe('proposed');
    expect(await row.innerText()).toContain('Waiting for: you');
    await screenshot(page, 'contracts-pending');
    await row.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL('**/console/contracts?show=all');
    expect(await page.getByRole('status').first().innerText()).toContain('You accepted contract');
    expect((await providerService.getContract(hash))?.state).toBe('valid');
    expect(await page.locator(`tr[data-contract="${hash}"]`).getAttribute('data-state')).toBe('valid');
    await screenshot(page, 'contracts-accepted');

    // Revoking asks first; the confirmation page is as far as this test goes with the demo's contract.
    await page.locator(`tr[data-contract="${hash}"] a[data-action="revoke"]`).click();
    await page.waitForURL('**/revoke');
    expect(await page.getByRole('button', { name: 'Yes, revoke this contract' }).count()).toBe(1);
    await screenshot(page, 'contracts-revoke-confirm');
    await page.close();
  }, 90_000);

  it('shows a call through the outway in the live tail, filters by BSN and exports', async () => {
    const page = await context.newPage();
    await login(page, consumer, '/console/traffic');
    await expect.poll(() => page.locator('#live-status').innerText(), { timeout: STEP_MS }).toBe('live');

    const outway = fed.peers.consumer.urls.outway ?? '';
    const res = await request(`${outway}/${fed.peers.provider.peerId}/${DEMO_SERVICE_NAME}/personen/${fed.info.examples.bsn}`, {
      headers: { 'x-nlx-request-data-subject': `bsn=${bsn}`, 'x-nlx-request-process-id': 'e2e-console' },
    });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    const txid = String(res.headers['fsc-transaction-id']);
    const live = page.locator(`#log-rows tr[data-tx="${txid}"]`);
    await expect.poll(() => live.count(), { timeout: STEP_MS }).toBe(1);
    await expect.poll(() => live.locator('[data-col="status"]').innerText(), { timeout: STEP_MS }).toBe('200');
    expect(await live.locator('[data-col="subjects"]').innerText()).toBe(`bsn=${bsn}`);
    expect(await page.locator('#live-status').innerText()).toContain('1 new');
    await screenshot(page, 'traffic-live');

    await page.getByLabel('Data subject').fill(`bsn=${bsn}`);
    await page.getByRole('button', { name: 'Apply filter' }).click();
    await page.waitForURL(/subject=bsn%3D999993653/);
    const rows = page.locator('#log-rows tr[data-tx]');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-tx')).toBe(txid);
    await screenshot(page, 'traffic-filtered');

    const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download as CSV' }).click()]);
    const csvText = await readFile((await csv.path()) ?? '', 'utf8');
    const lines = csvText.trimEnd().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(txid);
    expect(lines[1]).toContain(`bsn=${bsn}`);
    const [jsonl] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download as JSON Lines' }).click()]);
    const exported = (await readFile((await jsonl.path()) ?? '', 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { transaction_id: string; status?: number });
    expect(exported).toEqual([expect.objectContaining({ transaction_id: txid, status: 200 })]);

    // The same call on the provider's side: the inway's record, without the consumer's purpose data.
    const providerPage = await context.newPage();
    await login(providerPage, provider, `/console/traffic?transaction=${txid}`);
    const incoming = providerPage.locator(`#log-rows tr[data-tx="${txid}"]`);
    await expect.poll(() => incoming.count()).toBe(1);
    expect(await incoming.locator('[data-col="direction"]').innerText()).toBe('incoming');
    await screenshot(providerPage, 'traffic-provider');
    await providerPage.goto(`${provider.url}/console/traffic?lang=nl`);
    expect(await providerPage.locator('h1').innerText()).toBe('Verkeerslog');
    await screenshot(providerPage, 'traffic-provider-nl');
    await providerPage.close();
    await page.close();
  }, 120_000);
});
