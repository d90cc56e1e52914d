// The console page: sign in with an API key, the tenant's uploads a page at a time (refreshed while any is on its
// way), one upload's details and rejected lines, and uploading a file. Everything is built with DOM calls and
// textContent, never from HTML strings: what the service returns is shown, never run.
import { ApiError, listUploads, session, uploadFile, uploadStatus } from './api.js';

const PAGE = 50;
const POLL_MS = 1000;
/** States after which an upload changes no more, and awaiting_upload, which changes only when someone uploads. */
const SETTLED = new Set(['completed', 'completed_with_errors', 'failed', 'expired', 'awaiting_upload']);

const $ = (id) => document.getElementById(id);
const view = {
  signIn: $('sign-in'), signedIn: $('signed-in'), signOut: $('sign-out'), key: $('api-key'),
  problem: $('problem'), notice: $('notice'),
  rows: $('upload-rows'), none: $('no-uploads'), more: $('more'), refresh: $('refresh'),
  uploadForm: $('upload-form'), uploadButton: $('upload-button'), stream: $('stream'), file: $('file'),
  uploadProgress: $('upload-progress'), uploadBar: $('upload-bar'), uploadFigures: $('upload-figures'),
  uploadStatus: $('upload-status'),
  details: $('details'), detailsHeading: $('details-heading'), detailsFields: $('details-fields'),
  rejectionsNote: $('rejections-note'), rejections: $('rejections'), rejectionRows: $('rejection-rows'),
};

/** The uploads shown, by file key, in the order listed; the cursor of the next (older) page. */
let shown = new Map();
let nextCursor = null;
let pollTimer = null;
let openedFrom = null;

function el(tag, text, attributes = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) {
    node.textContent = String(text);
  }
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  return node;
}

function bytes(n) {
  if (n === undefined || n === null) {
    return '';
  }
  const units = ['bytes', 'KB', 'MB', 'GB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '';
}

function timeElement(iso) {
  return el('time', when(iso), iso ? { datetime: iso } : {});
}

function showProblem(error) {
  const details = error instanceof ApiError && error.errors.length
    ? ` (${error.errors.map((e) => [e.index !== undefined ? `record ${e.index}` : null,
      e.line !== undefined ? `line ${e.line}` : null, e.pointer, e.message]
      .filter(Boolean).join(': ')).join('; ')})`
    : '';
  view.problem.textContent = `${error.message}${details}`;
  view.problem.hidden = false;
}

function clearProblem() {
  view.problem.hidden = true;
  view.problem.textContent = '';
}

function announce(text) {
  view.notice.textContent = text;
}

/** A refused key ends the session: the page goes back to signing in. */
function handle(error) {
  if (error instanceof ApiError && error.status === 401) {
    signOut();
    showProblem(new Error('The service did not accept this API key. Sign in with a valid one.'));
    return;
  }
  showProblem(error);
}

// ---- the list -------------------------------------------------------------------------------------------------

function progressCell(upload) {
  const cell = el('td');
  if (upload.state === 'processing' && upload.bytes_total > 0) {
    const read = upload.bytes_read ?? 0;
    const percent = Math.floor((100 * read) / upload.bytes_total);
    cell.append(el('progress', null, {
      max: String(upload.bytes_total), value: String(read), 'aria-label': `Processed ${percent}%`,
    }), ' ', el('span', `${percent}%`));
  } else if (upload.state === 'queued' || upload.state === 'processing') {
    cell.append(el('progress', null, { 'aria-label': `${upload.state}, waiting to be read` }));
  } else if (upload.bytes_total !== undefined) {
    cell.textContent = bytes(upload.bytes_total);
  }
  return cell;
}

function row(upload) {
  const tr = el('tr');
  tr.dataset.fileKey = upload.file_key;
  tr.dataset.state = upload.state;
  const created = el('td');
  created.append(timeElement(upload.created_at));
  const open = el('button', 'Details', { type: 'button' });
  open.append(el('span', ` of the ${upload.stream} upload of ${when(upload.created_at)}`, { class: 'visually-hidden' }));
  open.addEventListener('click', () => openDetails(upload.file_key, open));
  const action = el('td');
  action.append(open);
  tr.append(created, el('td', upload.stream), el('td', upload.state.replaceAll('_', ' '), { class: `state-${upload.state}` }),
    progressCell(upload), el('td', upload.records_accepted ?? '', { class: 'number' }),
    el('td', upload.records_rejected ?? '', { class: 'number' }), action);
  return tr;
}

function render(upload) {
  const fresh = row(upload);
  const old = view.rows.querySelector(`tr[data-file-key="${CSS.escape(upload.file_key)}"]`);
  if (old) {
    // the Details button keeps the keyboard focus across a refresh
    const focused = old.contains(document.activeElement);
    old.replaceWith(fresh);
    if (focused) {
      fresh.querySelector('button').focus();
    }
  } else {
    view.rows.append(fresh);
  }
}

async function loadFirstPage() {
  const page = await listUploads(PAGE);
  shown = new Map();
  view.rows.replaceChildren();
  addPage(page);
}

function addPage(page) {
  for (const upload of page.uploads) {
    if (!shown.has(upload.file_key)) {
      shown.set(upload.file_key, upload);
      render(upload);
    }
  }
  nextCursor = page.next_cursor;
  view.more.hidden = !nextCursor;
  view.none.hidden = shown.size > 0;
  pollWhileBusy();
}

async function loadMore() {
  view.more.disabled = true;
  try {
    const before = shown.size;
    addPage(await listUploads(PAGE, nextCursor));
    announce(`${shown.size - before} older uploads shown`);
  } catch (error) {
    handle(error);
  } finally {
    view.more.disabled = false;
  }
}

/** While uploads are queued or being processed, their status is asked again every second (only theirs). */
function pollWhileBusy() {
  if (pollTimer !== null || !session.key()) {
    return;
  }
  const busy = [...shown.values()].filter((u) => !SETTLED.has(u.state));
  if (busy.length === 0) {
    return;
  }
  pollTimer = setTimeout(async () => {
    try {
      const statuses = await Promise.all(busy.slice(0, 20).map((u) => uploadStatus(u.file_key)));
      for (const status of statuses) {
        const before = shown.get(status.file_key);
        if (!before || !session.key()) {
          continue;
        }
        const upload = { ...before, ...status };
        shown.set(status.file_key, upload);
        render(upload);
        if (before.state !== upload.state && SETTLED.has(upload.state)) {
          announce(`The ${upload.stream} upload of ${when(upload.created_at)} is ${upload.state.replaceAll('_', ' ')}: `
            + `${upload.records_accepted ?? 0} accepted, ${upload.records_rejected ?? 0} rejected`);
        }
      }
    } catch (error) {
      handle(error);
    } finally {
      pollTimer = null;
      pollWhileBusy();
    }
  }, POLL_MS);
}

// ---- one upload -----------------------------------------------------------------------------------------------

function field(name, value) {
  if (value === undefined || value === null || value === '') {
    return;
  }
  const dd = el('dd');
  dd.append(value instanceof Node ? value : document.createTextNode(String(value)));
  view.detailsFields.append(el('dt', name), dd);
}

async function openDetails(fileKey, from) {
  clearProblem();
  let status;
  try {
    status = await uploadStatus(fileKey);
  } catch (error) {
    handle(error);
    return;
  }
  openedFrom = from;
  view.detailsFields.replaceChildren();
  field('File key', el('code', status.file_key));
  field('Stream', status.stream);
  field('State', status.state.replaceAll('_', ' '));
  field('Created', timeElement(status.created_at));
  field('Confirmed', status.confirmed_at ? timeElement(status.confirmed_at) : null);
  field('Processing started', status.started_at ? timeElement(status.started_at) : null);
  field('Finished', status.finished_at ? timeElement(status.finished_at) : null);
  field('Size', bytes(status.bytes_total));
  field('Records accepted', status.records_accepted);
  field('Records rejected', status.records_rejected);
  field('Why it failed', status.failure_reason);
  field('Lake files', status.lake_keys ? status.lake_keys.length : null);
  // a zip archive: entries other than JSONL files are refused, each with its reason
  field('Archive entries read', status.entries_read);
  field('Archive entries refused', (status.refused_entries ?? []).map((e) => `${e.entry}: ${e.reason}`).join('; '));

  const listed = status.first_rejections ?? [];
  const rejected = status.records_rejected ?? 0;
  view.rejectionRows.replaceChildren(...listed.map((r) => {
    const tr = el('tr');
    // in a zip archive a line number counts within its entry, so the entry comes with it
    const line = r.entry ? `${r.entry}, line ${r.line}` : (r.line ?? '');
    tr.append(el('td', line, { class: 'number' }), el('td', r.pointer ?? ''), el('td', r.message));
    return tr;
  }));
  view.rejections.hidden = listed.length === 0;
  // The status document keeps the first rejected lines; the rejected-records file in the lake has them all, up to its
  // bound (rejected_not_kept says how many it does not hold).
  // first_rejections lists errors, several to a line at times: the note counts the lines they come from
  const linesListed = new Set(listed.map((r) => `${r.entry ?? ''}\n${r.line}`)).size;
  let shownLines = `All ${rejected} rejected lines.`;
  if (rejected === 1) {
    shownLines = 'The one rejected line.';
  } else if (linesListed < rejected) {
    shownLines = `The first ${linesListed} of ${rejected} rejected lines.`;
  }
  view.rejectionsNote.textContent = rejected === 0 ? 'No line was rejected.' : `${shownLines} `
    + (status.rejected_key ? (status.rejected_not_kept
      ? `The first ${rejected - status.rejected_not_kept} rejected lines, with their text, are in the lake bucket at `
        + `${status.rejected_key} (the other ${status.rejected_not_kept} were counted, not kept).`
      : `Every rejected line, with its text, is in the lake bucket at ${status.rejected_key}.`) : '');
  view.details.hidden = false;
  view.details.scrollIntoView({ block: 'start' });
  view.detailsHeading.focus({ preventScroll: true });
}

function closeDetails() {
  view.details.hidden = true;
  if (openedFrom && openedFrom.isConnected) {
    openedFrom.focus();
  }
  openedFrom = null;
}

// ---- uploading ------------------------------------------------------------------------------------------------

async function upload(event) {
  event.preventDefault();
  clearProblem();
  const file = view.file.files[0];
  if (!file) {
    return;
  }
  view.uploadButton.disabled = true;
  view.uploadProgress.hidden = false;
  view.uploadBar.value = 0;
  let announced = -25;
  view.uploadStatus.textContent = `Sending ${file.name} (${bytes(file.size)})`;
  try {
    const fileKey = await uploadFile(view.stream.value, file, (sent, total) => {
      const percent = total > 0 ? Math.floor((100 * sent) / total) : 100;
      view.uploadBar.value = percent;
      view.uploadFigures.textContent = `${bytes(sent)} of ${bytes(total)} (${percent}%)`;
      if (percent >= announced + 25) {
        // a screen reader hears every quarter, not every packet
        announced = percent - (percent % 25);
        view.uploadStatus.textContent = `Sending ${file.name}: ${announced}%`;
      }
    });
    view.uploadStatus.textContent = `${file.name} is uploaded and confirmed; its processing shows in the list below.`;
    // the stream stays chosen for the next file
    view.file.value = '';
    await loadFirstPage();
    const added = view.rows.querySelector(`tr[data-file-key="${CSS.escape(fileKey)}"]`);
    if (!added) {
      // listed once its status says so: ask the listing again shortly
      setTimeout(() => loadFirstPage().catch(handle), POLL_MS);
    }
  } catch (error) {
    view.uploadStatus.textContent = `${file.name} was not uploaded.`;
    handle(error);
  } finally {
    view.uploadButton.disabled = false;
  }
}

// ---- signing in and out ---------------------------------------------------------------------------------------

async function showSignedIn() {
  view.signIn.hidden = true;
  view.signedIn.hidden = false;
  view.signOut.hidden = false;
  try {
    await loadFirstPage();
  } catch (error) {
    handle(error);
  }
}

function signOut() {
  session.signOut();
  clearTimeout(pollTimer);
  pollTimer = null;
  shown = new Map();
  nextCursor = null;
  view.rows.replaceChildren();
  view.detailsFields.replaceChildren();
  view.rejectionRows.replaceChildren();
  view.details.hidden = true;
  view.uploadStatus.textContent = '';
  view.uploadProgress.hidden = true;
  view.signedIn.hidden = true;
  view.signOut.hidden = true;
  view.signIn.hidden = false;
  view.key.value = '';
  view.key.focus();
}

$('sign-in-form').addEventListener('submit', (event) => {
  event.preventDefault();
  clearProblem();
  session.signIn(view.key.value.trim());
  view.key.value = '';
  showSignedIn().then(() => {
    if (session.key()) {
      announce('Signed in');
      $('uploads-heading').focus();
    }
  });
});
view.signOut.addEventListener('click', () => {
  signOut();
  announce('Signed out; the key is no longer kept in this browser');
});
view.uploadForm.addEventListener('submit', upload);
view.more.addEventListener('click', loadMore);
view.refresh.addEventListener('click', () => {
  clearProblem();
  loadFirstPage().then(() => announce('Uploads refreshed')).catch(handle);
});
$('close-details').addEventListener('click', closeDetails);
view.details.addEventListener('keydown', (event) => {
  if (event.key === 'Escape') {
    closeDetails();
  }
});

if (session.key()) {
  showSignedIn();
}
