// Opening the soak's console tabs on the demo cloud, and the input a user would give them while they run.
import type { Locator, Page } from 'playwright-core';
import type { MockCloudServer } from '../../electron/demo/cloud/index.ts';
import type { Protocol, SoakApp } from './app.ts';

export const DEMO_TREE = 'Demo cloud (offline)';
const MENU_LABEL: Record<Protocol, string> = { rdp: 'RDP', vnc: 'VNC', serial: 'Serial' };
const CONNECT_TIMEOUT_MS = 30_000;
/** No single UI action waits longer: a stuck page shows up as a counted input failure, not as a hung soak. */
const ACTION_TIMEOUT_MS = 10_000;

export interface SoakTab {
  /** The tab panel's element id: tab titles repeat (two tabs of one server), panel ids do not. */
  panelId: string;
  protocol: Protocol;
  server: string;
  /** How it was opened: the sidebar's "Open as" menu, or a console URL pasted into the URL bar. */
  via: 'menu' | 'url';
  /** Milliseconds from the open action to Connected; undefined if it did not connect within the timeout. */
  connectMs?: number;
  /** Serial tabs: times input was typed, numbering the echo lines. */
  visits: number;
}

/** How many tabs of each kind: a third each, RDP and VNC taking the remainder first. */
export function split(total: number): Record<Protocol, number> {
  const rdp = Math.ceil(total / 3);
  const vnc = Math.ceil((total - rdp) / 2);
  return { rdp, vnc, serial: total - rdp - vnc };
}

/**
 * Which server each tab shows, in opening order (kinds interleaved, so the tab strip mixes them). RDP needs a
 * Hyper-V server, VNC and serial a libvirt one; only running servers (ACTIVE, powered on) are used. The first tab of
 * a server and kind opens from the menu; the app shows that tab again for a second click, so further tabs of the
 * same server and kind come from pasting a fresh console URL, which always opens a tab of its own.
 */
export function plan(servers: MockCloudServer[], total: number): Array<{ protocol: Protocol; server: MockCloudServer; via: 'menu' | 'url' }> {
  const running = servers.filter((s) => s.status === 'ACTIVE' && s.power_state === 1);
  const pool: Record<Protocol, MockCloudServer[]> = {
    rdp: running.filter((s) => s.hypervisor_type === 'hyperv'),
    vnc: running.filter((s) => s.hypervisor_type === 'QEMU'),
    serial: running.filter((s) => s.hypervisor_type === 'QEMU'),
  };
  const counts = split(total);
  const queues: Record<Protocol, Array<{ protocol: Protocol; server: MockCloudServer; via: 'menu' | 'url' }>> = { rdp: [], vnc: [], serial: [] };
  for (const protocol of ['rdp', 'vnc', 'serial'] as const) {
    const list = pool[protocol];
    if (counts[protocol] > 0 && list.length === 0) throw new Error(`the demo cloud has no running server with a ${MENU_LABEL[protocol]} console`);
    for (let i = 0; i < counts[protocol]; i++) queues[protocol].push({ protocol, server: list[i % list.length], via: i < list.length ? 'menu' : 'url' });
  }
  const out: Array<{ protocol: Protocol; server: MockCloudServer; via: 'menu' | 'url' }> = [];
  while (out.length < total) {
    for (const protocol of ['rdp', 'vnc', 'serial'] as const) {
      const next = queues[protocol].shift();
      if (next) out.push(next);
    }
  }
  return out;
}

const statusOf = (page: Page, panelId: string) =>
  page.evaluate((id) => document.getElementById(id)?.querySelector('[role=status]')?.textContent ?? null, panelId);

/** Opens one tab and waits (bounded) until it says Connected. */
export async function openTab(app: SoakApp, item: { protocol: Protocol; server: MockCloudServer; via: 'menu' | 'url' }): Promise<SoakTab> {
  const { page } = app;
  const before = await page.locator('[role=tab]').count();
  const t0 = performance.now();
  if (item.via === 'menu') {
    const tree = page.getByRole('tree', { name: DEMO_TREE });
    await tree.getByRole('treeitem', { name: item.server.name, exact: true }).click({ button: 'right', timeout: ACTION_TIMEOUT_MS });
    await page
      .getByRole('menu', { name: `Open ${item.server.name}` })
      .getByRole('menuitem', { name: `Open as ${MENU_LABEL[item.protocol]}` })
      .click({ timeout: ACTION_TIMEOUT_MS });
  } else {
    // A fresh console URL from the demo's Nova (what `openstack console url show` would print), typed into the URL bar.
    const { url } = await app.host.app.services.consoles.consoleUrl('demo', item.server.id, item.protocol);
    const box = page.getByRole('textbox', { name: 'Console URL or address' });
    await box.fill(url, { timeout: ACTION_TIMEOUT_MS });
    await box.press('Enter', { timeout: ACTION_TIMEOUT_MS });
  }
  await page.waitForFunction((n) => document.querySelectorAll('[role=tab]').length > n, before, { timeout: CONNECT_TIMEOUT_MS });
  // A new tab is the active one.
  const panelId = await page.locator('[role=tab][aria-selected=true]').getAttribute('aria-controls', { timeout: ACTION_TIMEOUT_MS });
  if (!panelId) throw new Error(`the new tab of ${item.server.name} names no panel`);
  const tab: SoakTab = { panelId, protocol: item.protocol, server: item.server.name, via: item.via, visits: 0 };
  try {
    await page.waitForFunction((id) => document.getElementById(id)?.querySelector('[role=status]')?.textContent === 'Connected', panelId, {
      timeout: CONNECT_TIMEOUT_MS,
      polling: 100,
    });
    tab.connectMs = performance.now() - t0;
  } catch {
    // Left for the report: the soak goes on with the tabs that did connect.
  }
  return tab;
}

export async function tabStatus(page: Page, tab: SoakTab): Promise<string | null> {
  return statusOf(page, tab.panelId);
}

const panel = (page: Page, tab: SoakTab): Locator => page.locator(`#${tab.panelId}`);

/**
 * Brings a tab to the front by clicking it, and gives it input: the pointer moves around a graphical display and a
 * few keys are typed into it (the demo desktop shows both, so they cause frames); a serial console logs in once
 * (the demo guest's login, shared by every tab of the same VM) and then gets `echo soak N`, every fourth visit
 * `dmesg` for a longer burst of output.
 */
export async function visit(page: Page, tab: SoakTab): Promise<void> {
  await page.locator(`[role=tab][aria-controls="${tab.panelId}"]`).click({ timeout: ACTION_TIMEOUT_MS });
  tab.visits++;
  if (tab.protocol === 'serial') return typeIntoSerial(page, tab);
  const canvas = panel(page, tab).locator('canvas[aria-label^="Remote display"]');
  const box = await canvas.boundingBox({ timeout: ACTION_TIMEOUT_MS });
  if (!box) throw new Error(`${tab.server}: the display has no size`);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const r = Math.min(box.width, box.height) / 4;
  for (let i = 0; i <= 12; i++) await page.mouse.move(cx + r * Math.cos((i * Math.PI) / 6), cy + r * Math.sin((i * Math.PI) / 6), { steps: 2 });
  await canvas.click({ position: { x: box.width / 2, y: box.height / 2 }, timeout: ACTION_TIMEOUT_MS });
  await page.keyboard.type(`soak${tab.visits % 10} `);
  // The host key gives the keyboard back to the app, as a user leaving the display would.
  await page.keyboard.press('Control+Alt+Home');
}

async function typeIntoSerial(page: Page, tab: SoakTab): Promise<void> {
  const p = panel(page, tab);
  await p.locator('.xterm').click({ timeout: ACTION_TIMEOUT_MS });
  const rows = (await p.locator('.xterm-rows > div').allTextContents()).map((r) => r.replace(/\u00a0/g, ' ').trimEnd()).filter((r) => r !== '');
  const last = rows.at(-1) ?? '';
  let line: string;
  if (/login:$/.test(last)) line = 'admin';
  else if (/Password:$/.test(last)) line = 'demo';
  else if (/[$#]$/.test(last)) line = tab.visits % 4 === 0 ? 'dmesg' : `echo soak ${tab.visits}`;
  // Still booting, or a prompt not shown yet: Enter asks the getty for one.
  else line = '';
  if (line) await page.keyboard.type(line);
  await page.keyboard.press('Enter');
  await page.keyboard.press('Control+Alt+Home');
}
