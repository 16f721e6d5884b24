/**
 * Dispositions: explicit in-app confirmation dialogs (`<dialog>`, never `window.confirm`) for
 * single and bulk resolutions, and the suppression form prefilled from the alert.
 */

import { byId } from './dom.js';
import { isoToLocalInput, localInputToIso } from './filters.js';

/** @type {Record<string, string>} */
export const ACTION_LABELS = {
  investigate: 'Investigate',
  resolve_confirmed: 'Resolve as Confirmed',
  resolve_false_positive: 'Resolve as False Positive',
  suppress: 'Suppress',
};

/**
 * Shows the confirmation dialog; resolves with the note when confirmed, null when cancelled.
 * @param {string} title
 * @param {string} message
 * @param {string} okLabel
 * @returns {Promise<{note: string} | null>}
 */
export function confirmAction(title, message, okLabel) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('confirm-dialog'));
  const note = /** @type {HTMLTextAreaElement} */ (byId('confirm-note'));
  byId('confirm-title').textContent = title;
  byId('confirm-text').textContent = message;
  byId('confirm-ok').textContent = okLabel;
  note.value = '';
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? { note: note.value.trim() } : null), { once: true });
    dialog.showModal();
  });
}

/**
 * @typedef {object} SuppressionRequest
 * @property {{src?: string, dest?: string, domain_regex?: string, port?: number, app_proto?: string}} scope
 * @property {string} reason
 * @property {string | null} expires_at ISO-8601, null = permanent
 */

/** Escapes a host name into an anchored regex for the SNI/domain scope. @param {string} name */
export function domainRegex(name) {
  return `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

/**
 * Opens the suppression form prefilled from the alert; resolves with the request or null.
 * @param {any} row AlertRow
 * @param {(req: SuppressionRequest) => Promise<string | null>} submit returns an error message to keep the form open
 * @returns {Promise<SuppressionRequest | null>}
 */
export function suppressForm(row, submit) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('suppress-dialog'));
  const form = /** @type {HTMLFormElement} */ (byId('suppress-form'));
  const err = byId('suppress-error');
  const el = (/** @type {string} */ name) => /** @type {HTMLInputElement} */ (form.elements.namedItem(name));
  el('src').value = row.src_ip ?? '';
  el('dest').value = row.dest_ip ?? '';
  el('domain_regex').value = row.sni ? domainRegex(String(row.sni)) : '';
  el('port').value = row.dest_port === undefined || row.dest_port === null ? '' : String(row.dest_port);
  el('app_proto').value = row.app_proto ?? '';
  el('expires_at').value = isoToLocalInput(new Date(Date.now() + 30 * 86_400_000).toISOString());
  el('permanent').checked = false;
  el('reason').value = '';
  err.hidden = true;
  const syncExpiry = () => { el('expires_at').disabled = el('permanent').checked; };
  el('permanent').onchange = syncExpiry;
  syncExpiry();

  return new Promise((resolve) => {
    /** @param {SubmitEvent} e */
    const onSubmit = async (e) => {
      const submitter = /** @type {HTMLButtonElement | null} */ (e.submitter);
      if (!submitter || submitter.value !== 'ok') return; // cancel: let the dialog close
      e.preventDefault();
      /** @type {SuppressionRequest['scope']} */
      const scope = {};
      for (const k of /** @type {const} */ (['src', 'dest', 'domain_regex', 'app_proto'])) {
        const v = el(k).value.trim();
        if (v) scope[k] = v;
      }
      if (el('port').value !== '') scope.port = Number(el('port').value);
      const expires = el('permanent').checked ? null : localInputToIso(el('expires_at').value);
      if (!el('permanent').checked && !expires) return showError('Give an expiry, or tick Permanent (admin only).');
      if (Object.keys(scope).length === 0) return showError('The scope is empty: it would suppress everything.');
      const req = { scope, reason: el('reason').value.trim(), expires_at: expires };
      const failure = await submit(req);
      if (failure) return showError(failure);
      cleanup();
      dialog.close('ok');
      resolve(req);
    };
    const showError = (/** @type {string} */ m) => { err.textContent = m; err.hidden = false; };
    const onClose = () => { cleanup(); resolve(null); };
    const cleanup = () => {
      form.removeEventListener('submit', onSubmit);
      dialog.removeEventListener('close', onClose);
    };
    form.addEventListener('submit', onSubmit);
    dialog.addEventListener('close', onClose);
    dialog.showModal();
  });
}
