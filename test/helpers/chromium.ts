/**
 * A small Chrome DevTools Protocol client for tests that must see a page the way a browser draws
 * it: headless Chromium started with `--remote-debugging-port=0`, its port read from the
 * `DevToolsActivePort` file it writes into the user-data dir, and the protocol spoken over the
 * `ws` package. Pages are flat-mode target sessions (`Target.attachToTarget` with `flatten`).
 * Console errors, uncaught exceptions and browser log errors of each page are collected.
 *
 * @see https://chromedevtools.github.io/devtools-protocol/ (Target, Page, Runtime, Log, Input)
 * Also a minimal PNG decoder (PNG spec, ISO/IEC 15948: IHDR, IDAT, scanline filters 0–4) so a
 * screenshot's pixels can be checked without an image package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import WebSocket from 'ws';

const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** The Chromium executable: `$CHROMIUM_PATH`, else the first candidate on `$PATH`; throws with the install command when absent. */
export function findChromium(): string {
  const env = process.env.CHROMIUM_PATH;
  if (env) {
    if (!existsSync(env)) throw new Error(`CHROMIUM_PATH=${env} does not exist`);
    return env;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of CANDIDATES) {
      const p = join(dir, name);
      if (dir && existsSync(p)) return p;
    }
  }
  throw new Error(
    'Chromium is not installed, and the browser tests need it: on Debian run `apt-get update && apt-get install -y chromium` ' +
      `(or set CHROMIUM_PATH). Looked for ${CANDIDATES.join(', ')} on PATH.`,
  );
}

type Listener = (params: Record<string, unknown>) => void;

/** One CDP connection; commands go to the browser or, with `sessionId`, to a page. */
class Connection {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners = new Map<string, Set<Listener>>();
  constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; method?: string; params?: Record<string, unknown>; sessionId?: string; result?: unknown; error?: { message: string } };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result);
      } else if (msg.method) {
        for (const fn of this.listeners.get(`${msg.sessionId ?? ''}|${msg.method}`) ?? []) fn(msg.params ?? {});
      }
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: the DevTools connection closed`));
      this.pending.clear();
    });
  }
  send<T = Record<string, unknown>>(method: string, params: object = {}, sessionId?: string, timeoutMs = 30_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${method}: no answer from Chromium within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        method,
        resolve: (v) => (clearTimeout(timer), resolve(v as T)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.ws.send(JSON.stringify(sessionId ? { id, method, params, sessionId } : { id, method, params }));
    });
  }
  on(method: string, fn: Listener, sessionId = ''): () => void {
    const key = `${sessionId}|${method}`;
    const set = this.listeners.get(key) ?? new Set<Listener>();
    this.listeners.set(key, set);
    set.add(fn);
    return () => set.delete(fn);
  }
  close(): void {
    this.ws.close();
  }
}

/** A page (tab) of the browser. */
export class Page {
  /** Console errors, uncaught exceptions and log errors, as `kind: text`. */
  readonly errors: string[] = [];
  constructor(
    private readonly conn: Connection,
    readonly sessionId: string,
  ) {
    conn.on('Runtime.consoleAPICalled', (p) => {
      if (p.type === 'error' || p.type === 'assert') {
        const args = (p.args as { value?: unknown; description?: string }[]).map((a) => a.description ?? String(a.value));
        this.errors.push(`console.${String(p.type)}: ${args.join(' ')}`);
      }
    }, sessionId);
    conn.on('Runtime.exceptionThrown', (p) => {
      const d = p.exceptionDetails as { text: string; exception?: { description?: string } };
      this.errors.push(`exception: ${d.exception?.description ?? d.text}`);
    }, sessionId);
    conn.on('Log.entryAdded', (p) => {
      const entry = p.entry as { level: string; text: string; url?: string };
      if (entry.level === 'error') this.errors.push(`log: ${entry.text}${entry.url ? ` (${entry.url})` : ''}`);
    }, sessionId);
  }
  send<T = Record<string, unknown>>(method: string, params: object = {}): Promise<T> {
    return this.conn.send<T>(method, params, this.sessionId);
  }
  /** Navigate and wait for the load event. */
  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((resolve) => {
      const off = this.conn.on('Page.loadEventFired', () => (off(), resolve()), this.sessionId);
    });
    const nav = await this.send<{ errorText?: string }>('Page.navigate', { url });
    if (nav.errorText) throw new Error(`Page.navigate ${url}: ${nav.errorText}`);
    await loaded;
  }
  /** Evaluate an expression in the page and return its value (JSON-serialisable); a thrown error rejects. */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const r = await this.send<{ result: { value?: T }; exceptionDetails?: { text: string; exception?: { description?: string } } }>(
      'Runtime.evaluate',
      { expression, returnByValue: true, awaitPromise: true },
    );
    if (r.exceptionDetails) throw new Error(`evaluate: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
    return r.result.value as T;
  }
  /** A real mouse click (pressed and released) at page coordinates. */
  async click(x: number, y: number): Promise<void> {
    for (const type of ['mousePressed', 'mouseReleased']) {
      await this.send('Input.dispatchMouseEvent', { type, x, y, button: 'left', clickCount: 1 });
    }
  }
  /** A PNG screenshot of the page, or of a clip in CSS pixels (beyond the viewport too). */
  async screenshot(clip?: { x: number; y: number; width: number; height: number }): Promise<Buffer> {
    const r = await this.send<{ data: string }>('Page.captureScreenshot', {
      format: 'png',
      captureBeyondViewport: true,
      ...(clip ? { clip: { ...clip, scale: 1 } } : {}),
    });
    return Buffer.from(r.data, 'base64');
  }
}

/** A headless Chromium started for a test; `close()` ends it and removes its profile. */
export class Chromium {
  private constructor(
    private readonly proc: ChildProcess,
    private readonly conn: Connection,
    private readonly profile: string,
  ) {}

  static async launch(options: { width?: number; height?: number; timeoutMs?: number } = {}): Promise<Chromium> {
    const bin = findChromium();
    const profile = mkdtempSync(join(tmpdir(), 'ofi-chromium-'));
    const args = [
      '--headless=new', '--disable-gpu', '--no-sandbox', '--disable-dev-shm-usage', '--no-first-run',
      '--no-default-browser-check', '--disable-extensions', '--hide-scrollbars', '--mute-audio',
      '--remote-debugging-port=0', `--user-data-dir=${profile}`,
      `--window-size=${options.width ?? 1280},${options.height ?? 900}`, 'about:blank',
    ];
    const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + String(d)).slice(-4000)));
    let exited: string | null = null;
    proc.on('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
    proc.on('error', (e) => (exited = `failed to start: ${e.message}`));
    const portFile = join(profile, 'DevToolsActivePort');
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    let endpoint: string | null = null;
    while (endpoint === null) {
      if (exited !== null) {
        rmSync(profile, { recursive: true, force: true });
        throw new Error(`${bin} ${exited} before DevTools was up; stderr:\n${stderr}`);
      }
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        rmSync(profile, { recursive: true, force: true });
        throw new Error(`${bin} wrote no DevToolsActivePort within the time limit; stderr:\n${stderr}`);
      }
      if (existsSync(portFile)) {
        const [port, path] = readFileSync(portFile, 'utf8').split('\n');
        if (port && path) endpoint = `ws://127.0.0.1:${port.trim()}${path.trim()}`;
      }
      if (endpoint === null) await new Promise((r) => setTimeout(r, 50));
    }
    const ws = new WebSocket(endpoint, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (e) => reject(new Error(`DevTools websocket ${endpoint}: ${e.message}`)));
    });
    return new Chromium(proc, new Connection(ws), profile);
  }

  /** A new page with Page, Runtime and Log enabled. */
  async newPage(): Promise<Page> {
    const { targetId } = await this.conn.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.conn.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this.conn, sessionId);
    await Promise.all(['Page.enable', 'Runtime.enable', 'Log.enable'].map((m) => page.send(m)));
    return page;
  }

  async close(): Promise<void> {
    const gone = new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) resolve();
      else this.proc.once('exit', () => resolve());
    });
    try {
      await this.conn.send('Browser.close', {}, undefined, 5_000);
    } catch {
      // the connection may close before the answer arrives
    }
    this.conn.close();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
    rmSync(this.profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

/** A decoded 8-bit PNG: RGBA or RGB pixels row by row. */
export interface Png {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/** Decode an 8-bit, non-interlaced greyscale/RGB/RGBA PNG (what Chromium's screenshots are). */
export function decodePng(buf: Buffer): Png {
  const SIG = [137, 80, 78, 71, 13, 10, 26, 10];
  if (buf.length < 8 || SIG.some((b, i) => buf[i] !== b)) throw new Error('not a PNG: bad signature');
  let off = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Buffer[] = [];
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8], colour = data[9], interlace = data[12];
      channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colour!] ?? 0;
      if (depth !== 8 || channels === 0 || interlace !== 0) throw new Error(`PNG: unsupported depth ${depth} colour ${colour} interlace ${interlace}`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  if (!width || !idat.length) throw new Error('PNG: no IHDR or IDAT');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1)) throw new Error(`PNG: ${raw.length} bytes inflated, expected ${height * (stride + 1)}`);
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1, row = y * stride, prev = row - stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? out[row + i - channels]! : 0;
      const b = y > 0 ? out[prev + i]! : 0;
      const c = y > 0 && i >= channels ? out[prev + i - channels]! : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`PNG: bad filter ${filter} on row ${y}`);
      out[row + i] = (raw[src + i]! + pred) & 0xff;
    }
  }
  return { width, height, channels, pixels: out };
}

/** Distinct colours and the variance of the luminance of a decoded PNG's pixels. */
export function pixelStats(png: Png): { colours: number; lumaVariance: number } {
  const seen = new Set<number>();
  let sum = 0, sum2 = 0;
  const n = png.width * png.height, ch = png.channels;
  for (let p = 0; p < n; p++) {
    const i = p * ch;
    const r = png.pixels[i]!, g = ch >= 3 ? png.pixels[i + 1]! : r, b = ch >= 3 ? png.pixels[i + 2]! : r;
    seen.add((r << 16) | (g << 8) | b);
    const l = 0.2126 * r + 0.7152 * g + 0.0722 * b;
    sum += l;
    sum2 += l * l;
  }
  const mean = sum / n;
  return { colours: seen.size, lumaVariance: sum2 / n - mean * mean };
}
