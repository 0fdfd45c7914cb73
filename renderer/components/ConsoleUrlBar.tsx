import { useState, type RefObject } from 'react';
import { parseConsoleInput } from '../logic/parse-target.ts';
import { useApp } from './context.ts';

/** The "Console URL or address" box. Also the target of Ctrl+L and of pastes outside a session (see App). */
export function ConsoleUrlBar({ inputRef }: { inputRef: RefObject<HTMLInputElement | null> }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const inputError = useApp((s) => s.inputError);
  const submitText = useSubmitConsoleText();

  async function submit(value: string) {
    setBusy(true);
    try {
      if (await submitText(value)) setText('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="url-bar"
      onSubmit={(e) => {
        e.preventDefault();
        void submit(text);
      }}
    >
      <input
        ref={inputRef}
        type="text"
        aria-label="Console URL or address"
        placeholder="Paste a console URL, vnc://host[:port], rdp://host[:port] or host:port  (Ctrl+L)"
        spellCheck={false}
        autoComplete="off"
        value={text}
        aria-invalid={inputError ? true : undefined}
        aria-describedby={inputError ? 'url-error' : undefined}
        onChange={(e) => setText(e.target.value)}
        onPaste={(e) => {
          // A paste into the empty box connects at once; into a partly typed one it just edits.
          const pasted = e.clipboardData.getData('text');
          if (text === '' && pasted.trim()) {
            e.preventDefault();
            setText(pasted.trim());
            void submit(pasted);
          }
        }}
      />
      <button type="submit" disabled={busy}>
        Connect
      </button>
      {inputError && (
        <div id="url-error" className="url-error" role="alert">
          {inputError}
        </div>
      )}
    </form>
  );
}

/** Parses and opens a pasted/typed target; a rejected one sets the alert and opens nothing. */
export function useSubmitConsoleText(): (text: string) => Promise<boolean> {
  const openTarget = useApp((s) => s.openTarget);
  const setInputError = useApp((s) => s.setInputError);
  return async (text: string) => {
    const parsed = parseConsoleInput(text);
    if (!parsed.ok) {
      setInputError(parsed.message);
      return false;
    }
    return openTarget(parsed.target, parsed.label);
  };
}
