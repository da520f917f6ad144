import type { RetrospectReport } from '@moalog/shared/retrospect-report';
import fontkit from '@pdf-lib/fontkit';
import { PDFDocument, type PDFFont, type PDFPage, rgb } from 'pdf-lib';

export type { RetrospectReport };

/**
 * fontkit parses a font file into tables and glyph metrics; pdf-lib asks it to on every embed. The parsed
 * font is only read afterwards (each document takes its own subset), so it is parsed once per isolate and
 * file, and every later document reuses it.
 */
type ParsedFont = ReturnType<typeof fontkit.create>;
const parsedFonts = new WeakMap<ArrayBufferLike, ParsedFont>();
let parseCount = 0;

const fontkitParsingOnce = {
  create(data: Uint8Array, postscriptName?: string) {
    let font = parsedFonts.get(data.buffer);
    if (!font) {
      font = fontkit.create(data, postscriptName);
      parseCount++;
      parsedFonts.set(data.buffer, font);
    }
    return font;
  },
};

/** How many times this isolate has parsed a font file (once per file, however many reports it renders). */
export function fontParseCount(): number {
  return parseCount;
}

const PAGE = { width: 595.28, height: 841.89 }; // A4 in points
/**
 * NanumGothic's glyph records for U+0020 and U+0060 are malformed for fontkit (it throws reading their
 * bounding boxes), so spaces are never drawn as glyphs: words are placed apart by this advance instead,
 * and backticks are printed as U+2018.
 */
const SPACE_EM = 0.3;
const MARGIN = 56;
const TEXT_WIDTH = PAGE.width - 2 * MARGIN;

/** Lays text out on A4 pages, starting a new page when the current one is full. */
class ReportWriter {
  private page: PDFPage;
  private y: number;

  constructor(
    private readonly doc: PDFDocument,
    private readonly font: PDFFont,
  ) {
    this.page = doc.addPage([PAGE.width, PAGE.height]);
    this.y = PAGE.height - MARGIN;
  }

  private width(text: string, size: number): number {
    let total = 0;
    for (const word of text.split(' ')) total += word ? this.font.widthOfTextAtSize(word, size) : 0;
    return total + (text.split(' ').length - 1) * SPACE_EM * size;
  }

  private drawLine(line: string, x: number, size: number, color: [number, number, number]): void {
    let cursor = x;
    for (const word of line.split(' ')) {
      if (word) {
        this.page.drawText(word, { x: cursor, y: this.y, size, font: this.font, color: rgb(...color) });
        cursor += this.font.widthOfTextAtSize(word, size);
      }
      cursor += SPACE_EM * size;
    }
  }

  /** Writes `text` wrapped to the text width; Korean has no spaces to break at, so lines break per character where needed. */
  paragraph(text: string, size: number, options: { indent?: number; color?: [number, number, number]; gapAfter?: number } = {}): void {
    const indent = options.indent ?? 0;
    const lineHeight = size * 1.45;
    for (const line of this.wrap(text, size, TEXT_WIDTH - indent)) {
      if (this.y - lineHeight < MARGIN) {
        this.page = this.doc.addPage([PAGE.width, PAGE.height]);
        this.y = PAGE.height - MARGIN;
      }
      this.y -= lineHeight;
      this.drawLine(line, MARGIN + indent, size, options.color ?? [0.1, 0.1, 0.1]);
    }
    this.y -= options.gapAfter ?? size * 0.4;
  }

  rule(): void {
    this.y -= 6;
    this.page.drawLine({
      start: { x: MARGIN, y: this.y },
      end: { x: PAGE.width - MARGIN, y: this.y },
      thickness: 0.5,
      color: rgb(0.7, 0.7, 0.7),
    });
    this.y -= 10;
  }

  private wrap(text: string, size: number, width: number): string[] {
    const lines: string[] = [];
    for (const raw of text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').split('\n')) {
      let line = '';
      for (const word of raw.replace(/\s/g, ' ').split(/(?<= )/)) {
        const candidate = line + word;
        if (this.width(candidate, size) <= width) {
          line = candidate;
          continue;
        }
        if (line.trim()) lines.push(line.trimEnd());
        line = '';
        for (const ch of word) {
          if (this.width(line + ch, size) > width && line) {
            lines.push(line);
            line = '';
          }
          line += ch;
        }
      }
      lines.push(line.trimEnd());
    }
    return lines;
  }
}

/** Characters the font has no glyph for would make pdf-lib throw; they are replaced instead. */
function printable(supported: ReadonlySet<number>, text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '`') out += '\u2018';
    else out += ch === '\n' || ch === ' ' || supported.has(code) ? ch : '?';
  }
  return out;
}

/** Renders the retrospect report as a PDF with NanumGothic embedded (subset to the characters used). */
export async function renderRetrospectReport(report: RetrospectReport, fontBytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const doc = await PDFDocument.create();
  doc.registerFontkit(fontkitParsingOnce);
  doc.setTitle(`회고 리포트 - ${report.projectName}`);
  doc.setCreator('Moalog Edge');
  doc.setProducer('Moalog Edge');
  const font = await doc.embedFont(fontBytes, { subset: true });
  const supported = new Set(font.getCharacterSet());
  const t = (s: string) => printable(supported, s);
  const w = new ReportWriter(doc, font);

  w.paragraph(t(report.projectName), 20, { gapAfter: 4 });
  w.paragraph(t(`회고 리포트 · ${report.roomName}`), 11, { color: [0.35, 0.35, 0.35] });
  w.paragraph(t(`회고 방식: ${report.method}    일시: ${report.startsAt}`), 10, { color: [0.35, 0.35, 0.35] });
  w.paragraph(t(`참여자: ${report.participants.length > 0 ? report.participants.join(', ') : '없음'}`), 10, { color: [0.35, 0.35, 0.35] });
  w.rule();

  if (report.insight) {
    w.paragraph(t('AI 인사이트'), 14);
    w.paragraph(t(report.insight), 10.5, { gapAfter: 10 });
    w.rule();
  }

  if (report.questions.length === 0) w.paragraph(t('아직 제출된 답변이 없습니다.'), 10.5);
  for (const question of report.questions) {
    w.paragraph(t(`Q${question.index}. ${question.content}`), 13);
    if (question.answers.length === 0) w.paragraph(t('(답변 없음)'), 10, { indent: 12, color: [0.5, 0.5, 0.5] });
    for (const answer of question.answers) {
      w.paragraph(t(answer.author), 10, { indent: 12, color: [0.3, 0.3, 0.55], gapAfter: 1 });
      w.paragraph(t(answer.content || '-'), 10.5, { indent: 12, gapAfter: 8 });
    }
    w.paragraph('', 4);
  }
  w.paragraph(t(`생성 시각: ${report.generatedAt} (KST)`), 8, { color: [0.55, 0.55, 0.55] });
  const bytes = await doc.save();
  return new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}
