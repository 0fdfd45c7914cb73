/**
 * The search box of a serial tab, over the terminal's scrollback: Enter finds the next match, Shift+Enter the
 * previous one, Escape closes the box and gives the keyboard back to the terminal. Plain DOM (the backend owns its
 * display element); the search itself is the caller's (xterm's search addon).
 */
export interface SearchActions {
  /** Finds the next match of `query` (typing searches as you go: `incremental`). */
  next(query: string, incremental: boolean): void;
  previous(query: string): void;
  /** The query was emptied: clear the highlights. */
  clear(): void;
  /** The box closed (highlights cleared already): give the keyboard back to the terminal. */
  closed(): void;
}

export interface SearchBar {
  readonly element: HTMLElement;
  open(): void;
  close(): void;
  /** "3 of 12", "No matches"; `count` undefined clears it. */
  showResults(index: number, count: number | undefined): void;
}

export function createSearchBar(label: string, actions: SearchActions): SearchBar {
  const bar = document.createElement('div');
  bar.className = 'serial-search';
  bar.setAttribute('role', 'search');
  bar.hidden = true;
  const input = document.createElement('input');
  input.type = 'search';
  input.setAttribute('aria-label', `Search the output: ${label}`);
  input.placeholder = 'Search the output';
  const results = document.createElement('span');
  results.className = 'serial-search-results';
  results.setAttribute('aria-live', 'polite');
  const button = (text: string, title: string, onClick: () => void) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.title = title;
    b.addEventListener('click', onClick);
    return b;
  };
  const query = () => input.value;
  const close = () => {
    if (bar.hidden) return;
    bar.hidden = true;
    results.textContent = '';
    actions.clear();
    actions.closed();
  };
  bar.append(
    input,
    results,
    button('Previous', 'Previous match (Shift+Enter)', () => query() && actions.previous(query())),
    button('Next', 'Next match (Enter)', () => query() && actions.next(query(), false)),
    button('Close', 'Close the search (Escape)', close),
  );
  input.addEventListener('input', () => {
    if (query()) return actions.next(query(), true);
    results.textContent = '';
    actions.clear();
  });
  bar.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    } else if (e.key === 'Enter' && e.target === input) {
      e.preventDefault();
      if (!query()) return;
      if (e.shiftKey) actions.previous(query());
      else actions.next(query(), false);
    }
  });
  return {
    element: bar,
    open() {
      bar.hidden = false;
      input.focus();
      input.select();
    },
    close,
    showResults(index, count) {
      results.textContent = count === undefined ? '' : count === 0 ? 'No matches' : index >= 0 ? `${index + 1} of ${count}` : `${count} matches`;
    },
  };
}
