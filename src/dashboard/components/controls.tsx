// Buttons that change something (disabled for a viewer, who may only read), the confirmation dialog
// in front of destructive ones, modal dialogs, and labelled form fields.

import type { ButtonHTMLAttributes, ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { canWrite, session } from '../session.js';
import { useStore } from '../store.js';
import { ErrorNotice } from './notice.js';

const VIEWER_HINT = 'Your role is viewer: you can look, not change.';

export function useCanWrite(): boolean {
  return canWrite(useStore(session));
}

type ButtonProps = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'type'> & { type?: 'button' | 'submit'; kind?: 'primary' | 'danger' | 'plain' };

/** A button that changes the broker: disabled, with the reason as its title, for a viewer. */
export function WriteButton({ kind = 'plain', type = 'button', disabled, children, ...rest }: ButtonProps) {
  const writable = useCanWrite();
  return (
    <button {...rest} type={type} class={`button ${kind}`} disabled={!writable || disabled === true} title={writable ? (rest.title as string | undefined) : VIEWER_HINT}>
      {children}
    </button>
  );
}

export function Dialog({ title, open, onClose, children }: { title: string; open: boolean; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog === null) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby="dialog-title">
      {open ? (
        <>
          <h2 id="dialog-title">{title}</h2>
          {children}
        </>
      ) : null}
    </dialog>
  );
}

export interface ConfirmButtonProps {
  label: ComponentChildren;
  /** The question in the dialog: "Kick client abc?" */
  question: string;
  detail?: ComponentChildren;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  kind?: 'danger' | 'primary' | 'plain';
  /** Accessible name when the label is terse ("Delete" in a row). */
  ariaLabel?: string;
  /** Disabled for another reason than the viewer role (said in `title`). */
  disabled?: boolean;
  title?: string;
}

/** A button that asks first in a modal dialog, then acts, showing the API's refusal if any. */
export function ConfirmButton({ label, question, detail, confirmLabel = 'Confirm', onConfirm, kind = 'danger', ariaLabel, disabled = false, title }: ConfirmButtonProps) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const act = async (): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      setOpen(false);
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <WriteButton kind={kind} onClick={() => setOpen(true)} aria-label={ariaLabel} disabled={disabled} title={title}>
        {label}
      </WriteButton>
      <Dialog title={question} open={open} onClose={() => setOpen(false)}>
        {detail !== undefined ? <div class="dialog-detail">{detail}</div> : null}
        <ErrorNotice error={error} />
        <div class="actions">
          <button type="button" class="button plain" onClick={() => setOpen(false)}>
            Cancel
          </button>
          <button type="button" class={`button ${kind}`} onClick={() => void act()} disabled={busy}>
            {confirmLabel}
          </button>
        </div>
      </Dialog>
    </>
  );
}

export function Field({ label, hint, children }: { label: string; hint?: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span class="field-label">{label}</span>
      {children}
      {hint !== undefined ? <span class="hint">{hint}</span> : null}
    </label>
  );
}

/** Runs a form's action, keeps its refusal to show, and says when it is busy. */
export function useAction(): { busy: boolean; error: Error | undefined; run: (action: () => Promise<unknown>) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const run = async (action: () => Promise<unknown>): Promise<boolean> => {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      return true;
    } catch (failure) {
      setError(failure as Error);
      return false;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, clear: () => setError(undefined) };
}

export function inputValue(event: Event): string {
  return (event.target as HTMLInputElement).value;
}

export function checked(event: Event): boolean {
  return (event.target as HTMLInputElement).checked;
}
