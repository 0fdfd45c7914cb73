import type { Terminal } from '@xterm/xterm';
import type { FitAddon } from '@xterm/addon-fit';
import type { SearchAddon } from '@xterm/addon-search';
import type { SerialGrant } from '../../../electron/common/contract.ts';
import type { ConsoleBackend, ConsoleCallbacks, ConsoleMount, ConsoleSession } from '../console-view.ts';
import { isHostKey } from '../host-key.ts';
import { reason } from '../local-input.ts';
import { AdoptedStyles, routeStyleAttributesThroughCssom } from './adopted-styles.ts';
import { OutputQueue } from './output-queue.ts';
import { createSearchBar, type SearchBar } from './search-bar.ts';

/**
 * Serial consoles (Nova's serial proxy) in xterm.js 6. The terminal connects to the main process's relay (the
 * grant's loopback URL), never to the proxy: the proxies refuse a page's Origin. The line carries raw bytes both
 * ways: keys leave as UTF-8 in binary frames (never text frames, which the proxies refuse with 1003), and output is
 * decoded as UTF-8 by one streaming decoder, so a character split across frames survives and invalid bytes show as
 * U+FFFD. The terminal follows the tab's size (fit addon); a serial line has no way to tell the guest, so the guest
 * keeps its own idea of the size (`stty rows … cols …` there).
 */

const SCROLLBACK_LINES = 10_000;
/** Output waiting for the terminal beyond this is dropped, oldest first (see OutputQueue). */
const MAX_PENDING_CHARS = 4 << 20;
/** Handed to xterm at a time; the next part follows when xterm has parsed it, so the queue is what holds the rest. */
const WRITE_CHUNK_CHARS = 256 << 10;
/** Keys typed before the relay's socket opened are sent when it does; more than this is no typing. */
const MAX_EARLY_INPUT = 64 << 10;
/** Search highlights (the addon takes #RRGGBB only). */
const SEARCH_DECORATIONS = { matchBackground: '#5c4b00', matchOverviewRuler: '#c8a400', activeMatchBackground: '#c8a400', activeMatchColorOverviewRuler: '#ffd700' };

interface Xterm {
  Terminal: typeof Terminal;
  FitAddon: typeof FitAddon;
  SearchAddon: typeof SearchAddon;
}

/** xterm.js is loaded on first use, as its own chunk: a window without serial tabs never pays for it. */
let xtermModules: Promise<Xterm> | undefined;
const loadXterm = () =>
  (xtermModules ??= Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit'), import('@xterm/addon-search')]).then(([x, f, s]) => ({
    Terminal: x.Terminal,
    FitAddon: f.FitAddon,
    SearchAddon: s.SearchAddon,
  })));

export function serialBackend(): ConsoleBackend<SerialGrant> {
  return {
    protocol: 'serial',
    capabilities: {
      // A text console: no scaling, no layouts (characters are text), no Ctrl+Alt+Del (nothing on a serial line
      // would take it) and no picture to save; the text itself is copied and searched.
      scaleModes: [],
      inputModes: [],
      ctrlAltDel: false,
      typeText: true,
      screenshot: false,
      credentials: false,
      copyPaste: true,
      search: true,
    },
    warmUp: () => loadXterm().then(() => undefined),
    connect: (mount, grant, _credentials, callbacks) => new SerialSession(mount, grant, callbacks),
  };
}

class SerialSession implements ConsoleSession {
  private closed = false;
  private term?: Terminal;
  private fitAddon?: FitAddon;
  private searchAddon?: SearchAddon;
  private readonly styles = (routeStyleAttributesThroughCssom(), new AdoptedStyles(document));
  private readonly ws: WebSocket;
  private readonly root: HTMLElement;
  private readonly screen: HTMLElement;
  private readonly searchBar: SearchBar;
  private readonly output = new OutputQueue(MAX_PENDING_CHARS);
  private writing = false;
  private readonly decoder = new TextDecoder('utf-8');
  private readonly encoder = new TextEncoder();
  private early: Uint8Array[] = [];
  private earlyBytes = 0;
  private saidConnected = false;
  private resizeObserver?: ResizeObserver;
  private fitFrame = 0;

  constructor(
    { container, label }: ConsoleMount,
    grant: SerialGrant,
    private readonly callbacks: ConsoleCallbacks,
  ) {
    this.root = document.createElement('div');
    this.root.className = 'serial-console';
    this.searchBar = createSearchBar(label, {
      next: (query, incremental) => this.searchAddon?.findNext(query, { incremental, decorations: SEARCH_DECORATIONS }),
      previous: (query) => this.searchAddon?.findPrevious(query, { decorations: SEARCH_DECORATIONS }),
      clear: () => this.searchAddon?.clearDecorations(),
      closed: () => this.term?.focus(),
    });
    this.screen = document.createElement('div');
    this.screen.className = 'serial-screen';
    this.root.append(this.searchBar.element, this.screen);
    container.append(this.root);

    this.ws = new WebSocket(grant.relayUrl, ['binary']);
    this.ws.binaryType = 'arraybuffer';
    this.ws.addEventListener('open', () => this.flushEarly());
    this.ws.addEventListener('message', (e: MessageEvent) => this.received(e.data));
    this.ws.addEventListener('close', (e) => this.ended(e));

    loadXterm()
      .then((xterm) => this.start(xterm, label))
      .catch((err: unknown) => {
        if (this.closed) return;
        this.callbacks.onDisconnected(`the terminal could not start: ${reason(err)}`);
        this.close();
      });
  }

  private start(xterm: Xterm, label: string): void {
    if (this.closed) return;
    const term = new xterm.Terminal({
      scrollback: SCROLLBACK_LINES,
      documentOverride: this.styles.document,
      fontFamily: "ui-monospace, 'DejaVu Sans Mono', 'Cascadia Mono', Menlo, Consolas, monospace",
      fontSize: 14,
      cursorBlink: true,
      // The search addon highlights matches with decorations, an API xterm 6 still marks as proposed.
      allowProposedApi: true,
    });
    const fit = new xterm.FitAddon();
    const search = new xterm.SearchAddon();
    term.loadAddon(fit);
    term.loadAddon(search);
    // Opened detached, so the <style> xterm makes on the page's own document never applies (see AdoptedStyles).
    const element = document.createElement('div');
    element.className = 'serial-terminal';
    term.open(element);
    this.styles.adoptFrom(element);
    this.screen.append(element);
    term.textarea?.setAttribute('aria-label', label);
    term.attachCustomKeyEventHandler((e) => this.key(e));
    term.onData((text) => this.send(this.encoder.encode(text)));
    // Mouse reports in X10 mode come as a "binary" string: one byte per character.
    term.onBinary((text) => this.send(Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff)));
    search.onDidChangeResults(({ resultIndex, resultCount }) => this.searchBar.showResults(resultIndex, resultCount));
    this.term = term;
    this.fitAddon = fit;
    this.searchAddon = search;
    this.resizeObserver = new ResizeObserver(() => this.scheduleFit());
    this.resizeObserver.observe(this.screen);
    this.fit();
    this.pump();
  }

  private scheduleFit(): void {
    if (this.fitFrame) return;
    this.fitFrame = requestAnimationFrame(() => {
      this.fitFrame = 0;
      this.fit();
    });
  }

  /** Rows and columns that fill the tab; a hidden tab (no size) keeps what it had. */
  private fit(): void {
    if (!this.fitAddon || this.screen.clientWidth === 0 || this.screen.clientHeight === 0) return;
    this.fitAddon.fit();
  }

  private key(e: KeyboardEvent): boolean {
    if (isHostKey(e)) {
      e.preventDefault();
      this.term?.blur();
      return false;
    }
    // Ctrl+Shift+C/V/F are the terminal's own (Ctrl+C and Ctrl+V belong to the remote shell).
    if (e.ctrlKey && e.shiftKey && !e.altKey && !e.metaKey && ['KeyC', 'KeyV', 'KeyF'].includes(e.code)) {
      e.preventDefault();
      if (e.type !== 'keydown') return false;
      if (e.code === 'KeyC') this.copy();
      else if (e.code === 'KeyV') this.paste();
      else this.openSearch();
      return false;
    }
    return true;
  }

  private received(data: unknown): void {
    if (this.closed || !(data instanceof ArrayBuffer)) return;
    if (!this.saidConnected) {
      // Bytes from the console prove it is there (a silent one is reported Connected by the relay's status).
      this.saidConnected = true;
      this.callbacks.onConnected();
    }
    this.output.push(this.decoder.decode(new Uint8Array(data), { stream: true }));
    this.pump();
  }

  /** Hands the terminal the next part of the queued output once it has parsed the last (xterm parses in time slices). */
  private pump(): void {
    const term = this.term;
    if (this.writing || !term || this.closed) return;
    const text = this.output.take(WRITE_CHUNK_CHARS);
    if (text === undefined) return;
    this.writing = true;
    term.write(text, () => {
      this.writing = false;
      this.pump();
    });
  }

  private ended(e: CloseEvent): void {
    if (this.closed) return;
    // An incomplete character at the very end shows as U+FFFD.
    this.output.push(this.decoder.decode());
    this.pump();
    // The relay's close reason is its sentence (the same one its session.status carries).
    const why = e.reason || (e.code === 1000 ? 'the serial console session ended.' : 'the connection to the serial console was lost.');
    this.callbacks.onDisconnected(why);
  }

  private send(bytes: Uint8Array): void {
    if (this.closed || bytes.length === 0) return;
    if (this.ws.readyState === WebSocket.OPEN) {
      // A typed array is always a binary frame.
      this.ws.send(bytes);
    } else if (this.ws.readyState === WebSocket.CONNECTING) {
      this.earlyBytes += bytes.length;
      if (this.earlyBytes <= MAX_EARLY_INPUT) this.early.push(bytes);
    }
  }

  private flushEarly(): void {
    const early = this.early;
    this.early = [];
    this.earlyBytes = 0;
    for (const bytes of early) this.send(bytes);
  }

  typeText(text: string): void {
    // As keystrokes: a line break is the Enter key (CR), whatever this clipboard used.
    this.send(this.encoder.encode(text.replace(/\r\n?|\n/g, '\r')));
  }

  copy(): void {
    const text = this.term?.getSelection() ?? '';
    if (!text) return this.callbacks.onProblem('Nothing was copied: select text in the terminal first.');
    if (!navigator.clipboard) return this.callbacks.onProblem('The selection was not copied: this page has no clipboard access.');
    navigator.clipboard.writeText(text).catch((err: unknown) => this.callbacks.onProblem(`The selection was not copied: ${reason(err)}`));
  }

  paste(): void {
    if (!navigator.clipboard) return this.callbacks.onProblem('Nothing was pasted: this page has no clipboard access.');
    navigator.clipboard
      .readText()
      // xterm turns line breaks into CR and brackets the text when the remote program asked for bracketed paste.
      .then((text) => (text ? this.term?.paste(text) : this.callbacks.onProblem('Nothing was pasted: the clipboard holds no text.')))
      .catch((err: unknown) => this.callbacks.onProblem(`Nothing was pasted: the clipboard could not be read (${reason(err)}).`));
  }

  openSearch(): void {
    this.searchBar.open();
  }

  focus(): void {
    this.term?.focus();
  }

  ctrlAltDel(): void {}
  setScaleMode(): void {}
  setInputMode(): void {}

  screenshot(): Promise<Blob> {
    return Promise.reject(new Error('a serial console has no picture to save; copy its text instead'));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.close();
    this.resizeObserver?.disconnect();
    cancelAnimationFrame(this.fitFrame);
    this.term?.dispose();
    this.styles.dispose();
    this.output.clear();
    this.root.remove();
  }
}
