/** App-wide keys. They never fire while the user types in a field (except Escape). */
export interface Shortcut {
  key: string;
  description: string;
  run: () => void;
}

function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT') return true;
  // A ticked checkbox or a radio keeps focus after a click: shortcuts must still work there.
  return (
    target instanceof HTMLInputElement &&
    !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(target.type)
  );
}

export function installShortcuts(shortcuts: Shortcut[]): () => void {
  const onKey = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target)) return;
    const hit = shortcuts.find((s) => s.key === event.key);
    if (!hit) return;
    event.preventDefault();
    hit.run();
  };
  window.addEventListener('keydown', onKey);
  return () => window.removeEventListener('keydown', onKey);
}
