import { describe, expect, it } from 'vitest';
import { answerComplete } from './http.js';

const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('answerComplete: a raw answer is read until its own framing ends, not until the server closes', () => {
  it('waits for the whole head and the Content-Length body', () => {
    expect(answerComplete(bytes('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n'), false)).toBe(false);
    expect(answerComplete(bytes('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{}'), false)).toBe(false);
    expect(answerComplete(bytes('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{"a"'), false)).toBe(true);
  });

  it('waits for the last chunk of a chunked body', () => {
    const head = 'HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n';
    expect(answerComplete(bytes(`${head}2\r\n{}\r\n`), false)).toBe(false);
    expect(answerComplete(bytes(`${head}2\r\n{}\r\n0\r\n\r\n`), false)).toBe(true);
  });

  it('ends at the head for HEAD, 204 and 304, and waits for the close when nothing bounds the body', () => {
    expect(answerComplete(bytes('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'), true)).toBe(true);
    expect(answerComplete(bytes('HTTP/1.1 204 No Content\r\n\r\n'), false)).toBe(true);
    expect(answerComplete(bytes('HTTP/1.1 304 Not Modified\r\n\r\n'), false)).toBe(true);
    expect(answerComplete(bytes('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc'), false)).toBe(false);
  });
});
