/**
 * Keys the subscription flow derives: FluxPay's `X-Idempotency-Key` (a UUID) from the client's opaque
 * key.
 */

/** Namespace of moalog's name-based UUIDs (a fixed random UUID; changing it changes every derived key). */
const MOALOG_UUID_NAMESPACE = '0f4c6a2e-5b1d-4e8f-9a37-2c6d8e1b4f90';

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new TypeError(`not a UUID: ${uuid}`);
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function formatUuid(bytes: Uint8Array): string {
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** RFC 9562 UUIDv5: SHA-1 of namespace and name, version 5, variant 10. */
export async function uuidV5(name: string, namespace = MOALOG_UUID_NAMESPACE): Promise<string> {
  const nameBytes = new TextEncoder().encode(name);
  const input = new Uint8Array(16 + nameBytes.length);
  input.set(uuidBytes(namespace), 0);
  input.set(nameBytes, 16);
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-1', input));
  const bytes = hash.slice(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  return formatUuid(bytes);
}

/**
 * FluxPay's `X-Idempotency-Key` for one step (`order`, `payment`) of one subscription request: derived from
 * the member, the plan and the client's key, so a retry with the same key reaches the same FluxPay
 * answers; a fresh random UUID when the client sent no key (then nothing is replayed).
 */
export async function fluxpayKey(
  step: 'order' | 'payment',
  memberId: number,
  plan: string,
  clientKey: string | undefined,
): Promise<string> {
  if (clientKey === undefined) return crypto.randomUUID();
  // The client's key is opaque: JSON keeps every separator inside it unambiguous.
  return uuidV5(JSON.stringify(['moalog-subscription', step, memberId, plan, clientKey]));
}
