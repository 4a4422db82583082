// Modal questions before a write: a plain confirmation (rollback), and one that asks to type
// the app's name before a destructive stop.
import { h } from './dom.js';

function ask(build: (dialog: HTMLDialogElement, confirm: HTMLButtonElement) => Node[]): Promise<boolean> {
  return new Promise((resolve) => {
    const confirm = h(
      'button',
      { type: 'submit', value: 'yes', class: 'danger', id: 'dialog-confirm' },
      'Confirm',
    );
    const dialog = h('dialog', { class: 'confirm' });
    dialog.append(
      h(
        'form',
        { method: 'dialog' },
        ...build(dialog, confirm),
        h('menu', {}, h('button', { type: 'submit', value: 'no', id: 'dialog-cancel' }, 'Cancel'), confirm),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function confirmAction(title: string, text: string, action: string): Promise<boolean> {
  return ask((_dialog, confirm) => {
    confirm.textContent = action;
    return [h('h2', {}, title), h('p', {}, text)];
  });
}

/** Enabled only once the app's name is typed exactly. */
export function confirmByName(title: string, text: string, name: string, action: string): Promise<boolean> {
  return ask((_dialog, confirm) => {
    confirm.textContent = action;
    confirm.disabled = true;
    const input = h('input', { type: 'text', id: 'confirm-name', autocomplete: 'off', spellcheck: 'false' });
    input.addEventListener('input', () => {
      confirm.disabled = input.value !== name;
    });
    return [
      h('h2', {}, title),
      h('p', {}, text),
      h('label', { for: 'confirm-name' }, `Type ${name} to confirm`),
      input,
    ];
  });
}
