// Just enough of source maps (v3) to say which source file and line a bundle position comes from.
import { readFileSync } from 'node:fs';

export interface OriginalPosition {
  source: string;
  /** 1-based. */
  line: number;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((ch, i) => [ch, i]));

/** A bundle's map: `lookup(line, column)` (0-based, as CPU profiles give them). */
export class SourceMap {
  private readonly sources: string[];
  /** Per generated line: segments as [generatedColumn, sourceIndex, originalLine] triples, by column. */
  private readonly lines: Int32Array[];

  constructor(json: { sources: string[]; mappings: string }) {
    this.sources = json.sources;
    this.lines = decodeMappings(json.mappings);
  }

  static read(path: string): SourceMap {
    return new SourceMap(JSON.parse(readFileSync(path, 'utf8')) as { sources: string[]; mappings: string });
  }

  lookup(line: number, column: number): OriginalPosition | undefined {
    const segments = this.lines[line];
    if (!segments || segments.length === 0) return undefined;
    // The last segment starting at or before the column.
    let lo = 0;
    let hi = segments.length / 3 - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((segments[mid * 3] ?? 0) <= column) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    if (found < 0) return undefined;
    const source = this.sources[segments[found * 3 + 1] ?? -1];
    return source === undefined ? undefined : { source, line: (segments[found * 3 + 2] ?? 0) + 1 };
  }
}

function decodeMappings(mappings: string): Int32Array[] {
  const lines: Int32Array[] = [];
  let sourceIndex = 0;
  let originalLine = 0;
  for (const lineText of mappings.split(';')) {
    const segments: number[] = [];
    let column = 0;
    if (lineText !== '') {
      for (const segment of lineText.split(',')) {
        const fields = decodeVlq(segment);
        column += fields[0] ?? 0;
        if (fields.length >= 4) {
          sourceIndex += fields[1] ?? 0;
          originalLine += fields[2] ?? 0;
          segments.push(column, sourceIndex, originalLine);
        }
      }
    }
    lines.push(Int32Array.from(segments));
  }
  return lines;
}

function decodeVlq(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of text) {
    const digit = DIGIT.get(ch);
    if (digit === undefined) throw new Error(`bad VLQ character "${ch}"`);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}
