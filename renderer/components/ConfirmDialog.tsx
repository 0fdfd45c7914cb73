import { useEffect, useId, useRef } from 'react';

interface Props {
  title: string;
  message: string;
  /** The button that goes ahead (an action that interrupts users): never the default, Cancel is. */
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * An accessible confirmation (role=alertdialog): Cancel has the focus, so Enter or Escape do nothing harmful; Tab
 * stays inside; focus goes back to what opened it when it closes.
 */
export function ConfirmDialog({ title, message, confirmLabel, onConfirm, onCancel }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const id = useId();
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    cancelRef.current?.focus();
    return () => opener?.focus();
  }, []);
  return (
    <div className="modal-backdrop">
      <div
        ref={ref}
        className="modal confirm"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-text`}
        onKeyDown={(e) => {
          // Keys stay here: the app's shortcuts (Ctrl+W…) must not act behind a question.
          e.stopPropagation();
          if (e.key === 'Escape') {
            e.preventDefault();
            onCancel();
          } else if (e.key === 'Tab') {
            const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>('button') ?? [])];
            const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
            const next = buttons[(i + (e.shiftKey ? -1 : 1) + buttons.length) % buttons.length];
            e.preventDefault();
            next?.focus();
          }
        }}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        <p id={`${id}-text`}>{message}</p>
        <div className="buttons">
          <button ref={cancelRef} onClick={onCancel}>
            Cancel
          </button>
          <button className="danger" onClick={onConfirm}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
