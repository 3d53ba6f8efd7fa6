'use client';
/**
 * Opens a `<dialog>` as a modal when it mounts: focus stays inside, Escape closes it, and its first
 * control gets focus. `close()` closes it (its `onClose` then runs), or calls `onClose` directly
 * when it never opened.
 */
import { useEffect, useRef } from 'react';

export function useModal(onClose: () => void) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return { ref, close: () => (ref.current?.open ? ref.current.close() : onClose()) };
}
