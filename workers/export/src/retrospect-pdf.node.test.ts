import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { describe, expect, it } from 'vitest';
import { type RetrospectReport, renderRetrospectReport } from './retrospect-pdf.js';

const require = createRequire(import.meta.url);
const font = new Uint8Array(readFileSync(require.resolve('@expo-google-fonts/nanum-gothic/400Regular/NanumGothic_400Regular.ttf')));

async function pdfText(bytes: Uint8Array): Promise<{ pages: number; text: string }> {
  const doc = await getDocument({ data: bytes.slice(), useSystemFonts: false, isEvalSupported: false }).promise;
  let text = '';
  for (let i = 1; i <= doc.numPages; i++) {
    const content = await (await doc.getPage(i)).getTextContent();
    text += `${content.items.map((item) => ('str' in item ? item.str : '')).join('')}\n`;
  }
  const pages = doc.numPages;
  await doc.destroy();
  return { pages, text };
}

const baseReport: RetrospectReport = {
  retrospectId: 7,
  projectName: '모아로그 스프린트 회고',
  roomName: '백엔드 팀',
  method: 'KPT',
  startsAt: '2026-12-01 14:00',
  participants: ['김모아', 'lee'],
  insight: '팀은 일정 관리에 강점을 보였습니다.',
  questions: [
    { index: 1, content: '계속 유지하고 싶은 점은?', answers: [{ author: '김모아', content: '코드 리뷰가 빨랐다.' }] },
    { index: 2, content: '문제점은?', answers: [] },
  ],
  generatedAt: '2026-11-26 20:00',
};

describe('renderRetrospectReport', () => {
  it('writes a valid PDF whose text holds the Korean project name, answers and insight', async () => {
    const { pages, text } = await pdfText(await renderRetrospectReport(baseReport, font));
    expect(pages).toBe(1);
    expect(text).toContain('모아로그 스프린트 회고');
    expect(text).toContain('코드 리뷰가 빨랐다.');
    expect(text).toContain('팀은 일정 관리에 강점을 보였습니다.');
    expect(text).toContain('(답변 없음)');
  });

  it('wraps long Korean text without spaces and continues on new pages', async () => {
    const long = '가나다라마바사아자차카타파하'.repeat(400);
    const report = { ...baseReport, questions: [{ index: 1, content: '긴 답변', answers: [{ author: 'a', content: long }] }] };
    const { pages, text } = await pdfText(await renderRetrospectReport(report, font));
    expect(pages).toBeGreaterThan(1);
    expect(text.replace(/\s/g, '')).toContain(long);
  });

  it('replaces characters the font lacks instead of failing', async () => {
    const report = { ...baseReport, projectName: '회고 🚀 完了', insight: 'run `npm test` now' };
    const { text } = await pdfText(await renderRetrospectReport(report, font));
    expect(text).toContain('회고 ? ');
    expect(text).toContain('run \u2018npm test\u2018 now');
  });
});
