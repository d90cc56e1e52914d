// The API as the console uses it: the tenant's key from this tab's session storage, JSON in and out, the service's
// error model turned into ApiError, and the presigned upload (generate-upload-url, PUT, confirm-upload).

const KEY = 'inlet.api-key';

/** The key lives in sessionStorage only: never localStorage, never a cookie; gone with the tab or at sign-out. */
export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn: (key) => sessionStorage.setItem(KEY, key),
  signOut: () => sessionStorage.removeItem(KEY),
};

/** A refusal in the service's error model: the message, and each field named with why. */
export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.message ? body.message : `The service answered HTTP ${status}`);
    this.status = status;
    this.errors = body && Array.isArray(body.errors) ? body.errors : [];
  }
}

/** Paths relative to the console's own address, so a proxy that serves the service under a prefix still works. */
function apiUrl(path) {
  return new URL(`../${path}`, document.baseURI);
}

async function call(method, path, body) {
  const headers = { 'x-api-key': session.key() ?? '' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
  }
  const response = await fetch(apiUrl(path), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, json);
  }
  return json;
}

/** A page of the tenant's uploads, newest first: {uploads, next_cursor}. */
export function listUploads(limit, cursor) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor) {
    query.set('cursor', cursor);
  }
  return call('GET', `ingestion/uploads?${query}`);
}

/** The whole status document of one file. */
export function uploadStatus(fileKey) {
  return call('GET', `ingestion/uploads/status?${new URLSearchParams({ file_key: fileKey })}`);
}

/**
 * Sends a file the way large files go: an upload URL, the file PUT straight to the storage behind it (the browser
 * reports the bytes sent to onProgress(sent, total)), then the confirmation that hands it to the pipeline.
 * Resolves to the file key.
 */
export async function uploadFile(stream, file, onProgress) {
  const { upload_url: uploadUrl, file_key: fileKey } = await call('POST', 'ingestion/generate-upload-url',
    { stream, content_type: 'application/jsonl', content_encoding: 'gzip' });
  await new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', uploadUrl);
    request.upload.addEventListener('progress', (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size));
    request.addEventListener('load', () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress(file.size, file.size);
        resolve();
      } else {
        reject(new Error(`The storage refused the file (HTTP ${request.status})`));
      }
    });
    request.addEventListener('error', () => reject(new Error('The file could not be sent to the storage: it is '
      + 'unreachable from this browser, or does not allow uploads from this page (its CORS rule)')));
    request.send(file);
  });
  await call('POST', 'ingestion/confirm-upload', { file_key: fileKey });
  return fileKey;
}
