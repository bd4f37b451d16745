// A small driver for real headless Chromium over the DevTools protocol, for the tests of the
// services' web pages (the monitor's dashboard, the training service's runs page; playwright-core is
// not installed in this workspace). It launches the system Chromium with a
// throw-away profile, opens one page through a flattened target session on the browser's
// WebSocket (Node's global WebSocket), and offers what the test needs: navigate, evaluate, wait for
// a condition, a real mouse click on an element, screenshots, and the page's console errors.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumAvailable = (): boolean => existsSync(CHROMIUM);

type Pending = { resolve: (v: any) => void; reject: (e: Error) => void };
type EventHandler = (params: any, sessionId?: string) => void;

class CdpConnection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, Set<EventHandler>>();

  private constructor(private readonly ws: WebSocket) {
    ws.addEventListener('message', (event: MessageEvent) => {
      const msg = JSON.parse(String(event.data));
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
        else p?.resolve(msg.result);
      } else if (msg.method) {
        for (const h of this.handlers.get(msg.method) ?? []) h(msg.params, msg.sessionId);
      }
    });
    // Chromium may exit before it answers (Browser.close): nothing waits for an answer after that.
    ws.addEventListener('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('the DevTools connection closed'));
      this.pending.clear();
    });
  }

  static open(url: string): Promise<CdpConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.addEventListener('open', () => resolve(new CdpConnection(ws)));
      ws.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)));
    });
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  on(method: string, handler: EventHandler): void {
    const set = this.handlers.get(method) ?? new Set();
    set.add(handler);
    this.handlers.set(method, set);
  }

  close(): void {
    this.ws.close();
  }
}

export class Page {
  readonly consoleErrors: string[] = [];

  constructor(
    private readonly cdp: CdpConnection,
    private readonly sessionId: string,
  ) {
    cdp.on('Runtime.exceptionThrown', (p, s) => {
      if (s === sessionId)
        this.consoleErrors.push(p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text);
    });
    cdp.on('Runtime.consoleAPICalled', (p, s) => {
      if (s === sessionId && p.type === 'error')
        this.consoleErrors.push(p.args.map((a: any) => a.value ?? a.description).join(' '));
    });
    cdp.on('Log.entryAdded', (p, s) => {
      if (s === sessionId && p.entry.level === 'error')
        this.consoleErrors.push(`${p.entry.source}: ${p.entry.text}`);
    });
  }

  private send(method: string, params: object = {}): Promise<any> {
    return this.cdp.send(method, params, this.sessionId);
  }

  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => {
      this.cdp.on('Page.loadEventFired', (_p, s) => {
        if (s === this.sessionId) resolve();
      });
    });
    await this.send('Page.navigate', { url });
    await loaded;
  }

  /** Evaluates an expression in the page (promises awaited) and returns its JSON value. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) {
      throw new Error(`page error: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    }
    return r.result.value as T;
  }

  /** Polls an expression until it is truthy; returns its value. */
  async waitFor<T = unknown>(expression: string, timeoutMs = 15_000, what = expression): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await this.evaluate<T>(expression).catch(() => undefined);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A real mouse click (move, press, release) at the centre of the first element matching selector. */
  async click(selector: string): Promise<void> {
    const box = await this.evaluate<{ x: number; y: number } | null>(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      if (!el) return null;
      el.scrollIntoView({ block: 'center' });
      const r = el.getBoundingClientRect();
      return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
    })()`);
    if (!box) throw new Error(`no element matches ${selector}`);
    await this.send('Input.dispatchMouseEvent', { type: 'mouseMoved', x: box.x, y: box.y });
    await this.send('Input.dispatchMouseEvent', {
      type: 'mousePressed',
      x: box.x,
      y: box.y,
      button: 'left',
      clickCount: 1,
    });
    await this.send('Input.dispatchMouseEvent', {
      type: 'mouseReleased',
      x: box.x,
      y: box.y,
      button: 'left',
      clickCount: 1,
    });
  }

  /** A PNG of the page, or of the first element matching `selector`, written to `path` and returned. */
  async screenshot(path: string, selector?: string): Promise<Buffer> {
    const clip = selector
      ? await this.evaluate<{ x: number; y: number; width: number; height: number } | null>(`(() => {
          const el = document.querySelector(${JSON.stringify(selector)});
          if (!el) return null;
          el.scrollIntoView({ block: 'center' });
          const r = el.getBoundingClientRect();
          return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height };
        })()`)
      : undefined;
    if (clip === null) throw new Error(`no element matches ${selector}`);
    const { data } = await this.send('Page.captureScreenshot', {
      format: 'png',
      ...(clip ? { clip: { ...clip, scale: 1 }, captureBeyondViewport: true } : {}),
    });
    const png = Buffer.from(data as string, 'base64');
    await writeFile(path, png);
    return png;
  }
}

export interface Browser {
  newPage(width?: number, height?: number): Promise<Page>;
  close(): Promise<void>;
}

export async function launchChromium(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'mercato-chromium-'));
  const child: ChildProcess = spawn(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
      `--user-data-dir=${profile}`,
      '--remote-debugging-port=0',
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const wsUrl = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start:\n${err}`)), 30_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    child.once('exit', (code) => reject(new Error(`chromium exited with ${code}:\n${err}`)));
  });
  const cdp = await CdpConnection.open(wsUrl);
  return {
    async newPage(width = 1440, height = 900) {
      const { targetId } = await cdp.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
      const page = new Page(cdp, sessionId);
      for (const domain of ['Page', 'Runtime', 'Log']) await cdp.send(`${domain}.enable`, {}, sessionId);
      await cdp.send(
        'Emulation.setDeviceMetricsOverride',
        { width, height, deviceScaleFactor: 1, mobile: false },
        sessionId,
      );
      return page;
    },
    async close() {
      await cdp.send('Browser.close').catch(() => undefined);
      cdp.close();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      await rm(profile, { recursive: true, force: true });
    },
  };
}
