/**
 * The gateway's request body limit.
 *
 * A declared `Content-Length` is trusted (the runtime ends the body there): over the limit → 413 at
 * once. Every other body is read here whole (up to the limit, so an oversized chunked one is refused
 * before anything reaches api or payment) and goes upstream as bytes. Reading it here also keeps the
 * client's connection usable when the upstream answers without reading the body (a 401 before the
 * body is looked at): workerd closes a connection whose request body was left unread, without saying
 * `Connection: close`, and the client's next request on it fails.
 *
 * Refusing a body that is still arriving must not leave it half-read. An HTTP/1.1 connection can
 * carry the next request only after the whole current body has gone by; a worker that answers
 * while bytes are still unread leaves the runtime (and wrangler dev's proxy in front of it) with a
 * connection it cannot reuse, so the client's next request on it hangs or fails. So the rest of an
 * oversized body is read and discarded first, up to `drainBytes` more and `drainMs`; a body larger
 * than that is cut off (the runtime then closes the connection, which is what such a client earns).
 */
export interface BodyLimitOptions {
  maxBytes: number;
  /** How much of an oversized body is still read (and discarded) so the connection stays usable. */
  drainBytes: number;
  /** How long draining may take. */
  drainMs: number;
}

export type BodyCheck = { ok: true; request: Request } | { ok: false; refusal: 'body-too-large' | 'body-unreadable' };

/** The request as it may go upstream, or `{ok: false}` when its body is over the limit. */
export async function checkBodySize(request: Request, options: BodyLimitOptions): Promise<BodyCheck> {
  const body = request.body;
  if (!body) return { ok: true, request };
  const declared = request.headers.get('content-length');
  if (declared !== null && /^\d{1,15}$/.test(declared) && Number(declared) > options.maxBytes) {
    const length = Number(declared);
    if (length - options.maxBytes <= options.drainBytes) await drain(body.getReader(), options);
    else await body.cancel().catch(() => undefined);
    return { ok: false, refusal: 'body-too-large' };
  }

  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > options.maxBytes) {
        await drain(reader, options);
        return { ok: false, refusal: 'body-too-large' };
      }
      chunks.push(value);
    }
  } catch {
    // The runtime could not decode the body (a chunk size that is not hex, a cut-off chunk): a client error.
    return { ok: false, refusal: 'body-unreadable' };
  }
  if (request.method === 'GET' || request.method === 'HEAD') {
    // A Request with these methods cannot carry a body, and a body means nothing to them: it goes no further.
    const headers = new Headers(request.headers);
    headers.delete('transfer-encoding');
    headers.delete('content-length');
    return { ok: true, request: new Request(request.url, { method: request.method, headers }) };
  }
  return { ok: true, request: new Request(request, { body: concat(chunks, size) }) };
}

/** Reads and discards the rest of a body within the drain budget; cancels it past the budget. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, options: BodyLimitOptions): Promise<void> {
  let drained = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), options.drainMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === 'late') break;
      if (next.done) return;
      drained += next.value.byteLength;
      if (drained > options.drainBytes) break;
    }
    await reader.cancel().catch(() => undefined);
  } catch {
    // The client went away: nothing left to keep usable.
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
