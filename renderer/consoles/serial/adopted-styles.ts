/**
 * xterm.js 6 writes the CSS it computes (cell size, theme colours, the scrollbar's colours) into `<style>` elements.
 * The page's CSP (`style-src 'self'`, no 'unsafe-inline') refuses every such element, logs a violation each time,
 * and the terminal loses its colours. This keeps them out of the document and applies their text as constructed
 * stylesheets instead (`document.adoptedStyleSheets`: CSSOM, which the CSP allows).
 *
 * xterm creates them in two ways. The renderer asks the document it was given (`documentOverride`) for a `style`
 * element: `document` below answers with an inert `<template>` (never rendered, its text never applied) and mirrors
 * its text. The viewport asks the page's own document during `open()`: open the terminal on a detached element, then
 * call `adoptFrom` before attaching it, and the element is taken out (xterm keeps writing to it; the mirror follows).
 */
export class AdoptedStyles {
  /** Give this to xterm as `documentOverride`. */
  readonly document: Document;
  private readonly sheets: CSSStyleSheet[] = [];
  private readonly observers: MutationObserver[] = [];

  constructor(private readonly page: Document) {
    // A real Document, so xterm's `instanceof Document` check takes it; what xterm calls on it goes to the page.
    const stand = new Document();
    const methods: Partial<Record<keyof Document, unknown>> = {
      createElement: (tag: string) => (tag.toLowerCase() === 'style' ? this.mirror(page.createElement('template')) : page.createElement(tag)),
      createDocumentFragment: () => page.createDocumentFragment(),
      addEventListener: (...args: Parameters<Document['addEventListener']>) => page.addEventListener(...args),
      removeEventListener: (...args: Parameters<Document['removeEventListener']>) => page.removeEventListener(...args),
      getSelection: () => page.getSelection(),
    };
    for (const [name, value] of Object.entries(methods)) Object.defineProperty(stand, name, { value });
    this.document = stand;
  }

  /** Takes every `<style>` under `root` (still detached) out of it, its text applied through a mirror. */
  adoptFrom(root: Element): void {
    for (const style of root.querySelectorAll('style')) {
      this.mirror(style);
      style.remove();
    }
  }

  /** Applies `element`'s text (now and whenever xterm rewrites it) as a constructed stylesheet. */
  private mirror<E extends Element>(element: E): E {
    const sheet = new CSSStyleSheet();
    const apply = () => sheet.replaceSync(element.textContent ?? '');
    apply();
    const observer = new MutationObserver(apply);
    observer.observe(element, { childList: true, characterData: true, subtree: true });
    this.sheets.push(sheet);
    this.observers.push(observer);
    this.page.adoptedStyleSheets = [...this.page.adoptedStyleSheets, sheet];
    return element;
  }

  dispose(): void {
    for (const o of this.observers) o.disconnect();
    const mine = new Set(this.sheets);
    this.page.adoptedStyleSheets = this.page.adoptedStyleSheets.filter((s) => !mine.has(s));
    this.sheets.length = 0;
    this.observers.length = 0;
  }
}

let styleAttributesRouted = false;

/**
 * xterm.js's DOM renderer also gives single cells their own colour with `setAttribute('style', …)` (24-bit colours,
 * colours it adjusts for contrast). The CSP refuses style attributes set that way, so those cells would lose their
 * colour and every one would log a violation. Setting the same declarations through CSSOM (`style.cssText`) is
 * allowed and means the same, so this routes every `setAttribute('style', …)` of the page there. Nothing else in the
 * page sets style attributes (React writes its `style` props through CSSOM too). Installed once per page.
 */
export function routeStyleAttributesThroughCssom(): void {
  if (styleAttributesRouted) return;
  styleAttributesRouted = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with each element as `this`
  const original = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function setAttribute(this: Element, name: string, value: string): void {
    if (name.toLowerCase() === 'style' && (this instanceof HTMLElement || this instanceof SVGElement)) {
      this.style.cssText = String(value);
      return;
    }
    original.call(this, name, value);
  };
}
