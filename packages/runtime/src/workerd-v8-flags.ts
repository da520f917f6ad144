import { Runtime } from 'miniflare';

/*
 * workerd reads V8's flags from its config (`Config.v8Flags`, pointer 2 of the root struct), which Miniflare
 * never sets. Miniflare hands workerd its config as one serialized Cap'n Proto message, so the flags are added
 * to that message on its way: a new segment holding the list of texts, and a far pointer to it in the root
 * struct's empty v8Flags slot. Everything else in the message stays byte for byte as Miniflare wrote it.
 */

const WORD = 8;
const V8_FLAGS_POINTER = 2;
const LIST_POINTER = 1;
const FAR_POINTER = 2;
const ELEMENT_BYTE = 2;
const ELEMENT_POINTER = 6;

/** The config message `config` with its root Config's `v8Flags` set to `flags` (which it must not have yet). */
export function withV8Flags(config: Uint8Array, flags: readonly string[]): Buffer {
  const view = new DataView(config.buffer, config.byteOffset, config.byteLength);
  if (config.byteLength < 16) throw new Error('not a Cap’n Proto message: too short');
  const segmentCount = view.getUint32(0, true) + 1;
  const headerBytes = Math.ceil((4 + 4 * segmentCount) / WORD) * WORD;
  const segmentWords = Array.from({ length: segmentCount }, (_, i) => view.getUint32(4 + 4 * i, true));
  const expectedBytes = headerBytes + WORD * segmentWords.reduce((sum, words) => sum + words, 0);
  if (expectedBytes !== config.byteLength)
    throw new Error(`not one Cap’n Proto message: ${config.byteLength} bytes, its header says ${expectedBytes}`);

  // Miniflare's encoder puts the root struct in the first segment, so its pointer is a plain struct pointer.
  const root = headerBytes;
  const rootLow = view.getUint32(root, true);
  const rootHigh = view.getUint32(root + 4, true);
  if ((rootLow & 3) !== 0) throw new Error('the config’s root is not a struct in the first segment');
  const structWord = 1 + (rootLow >> 2);
  const dataWords = rootHigh & 0xffff;
  const pointerCount = rootHigh >>> 16;
  if (pointerCount <= V8_FLAGS_POINTER) throw new Error('the config’s root struct has no v8Flags field');
  const slot = root + WORD * (structWord + dataWords + V8_FLAGS_POINTER);
  if (view.getUint32(slot, true) !== 0 || view.getUint32(slot + 4, true) !== 0) throw new Error('the config already sets v8Flags');

  // The new segment: a landing pad (a list pointer to the list right after it), the list of text pointers,
  // then each text NUL-terminated and padded to whole words.
  const texts = flags.map((flag) => Buffer.from(`${flag}\0`, 'utf8'));
  const textWords = texts.map((text) => Math.ceil(text.length / WORD));
  const added = Buffer.alloc(WORD * (1 + texts.length + textWords.reduce((sum, words) => sum + words, 0)));
  added.writeUInt32LE(LIST_POINTER, 0);
  added.writeUInt32LE(ELEMENT_POINTER | (texts.length << 3), 4);
  let textWord = 1 + texts.length;
  texts.forEach((text, i) => {
    const pointerWord = 1 + i;
    added.writeUInt32LE(((textWord - (pointerWord + 1)) << 2) | LIST_POINTER, WORD * pointerWord);
    added.writeUInt32LE(ELEMENT_BYTE | (text.length << 3), WORD * pointerWord + 4);
    text.copy(added, WORD * textWord);
    textWord += textWords[i] ?? 0;
  });

  const header = Buffer.alloc(Math.ceil((4 + 4 * (segmentCount + 1)) / WORD) * WORD);
  header.writeUInt32LE(segmentCount, 0);
  for (const [i, words] of segmentWords.entries()) header.writeUInt32LE(words, 4 + 4 * i);
  header.writeUInt32LE(added.length / WORD, 4 + 4 * segmentCount);
  const segments = Buffer.from(config.subarray(headerBytes));
  // A far pointer to the landing pad at word 0 of the new segment.
  segments.writeUInt32LE(FAR_POINTER, slot - headerBytes);
  segments.writeUInt32LE(segmentCount, slot - headerBytes + 4);
  return Buffer.concat([header, segments, added]);
}

let installed: readonly string[] | undefined;

/**
 * Every workerd that Miniflare starts in this process from now on runs V8 with `flags`. Process-wide, as
 * Miniflare's runtime class is; installing a different set afterwards is refused.
 */
export function useWorkerdV8Flags(flags: readonly string[]): void {
  if (installed) {
    if (installed.join(' ') !== flags.join(' ')) throw new Error(`workerd's V8 flags are already ${installed.join(' ')}`);
    return;
  }
  installed = [...flags];
  const runtime = Runtime.prototype as unknown as { updateConfig: (config: Buffer, ...rest: unknown[]) => Promise<unknown> };
  const updateConfig = runtime.updateConfig;
  const chosen = installed;
  runtime.updateConfig = function (this: unknown, config: Buffer, ...rest: unknown[]) {
    return updateConfig.call(this, withV8Flags(config, chosen), ...rest);
  };
}
