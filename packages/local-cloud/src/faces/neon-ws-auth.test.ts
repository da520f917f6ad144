import { describe, expect, it } from 'vitest';
import { type GateStep, PostgresPasswordGate } from './neon-ws-auth.js';

function startupMessage(params: Record<string, string>): Buffer {
  const body = Buffer.from(`${Object.entries(params).flat().join('\0')}\0\0`, 'utf8');
  const message = Buffer.alloc(8 + body.length);
  message.writeInt32BE(message.length, 0);
  message.writeInt32BE(196_608, 4);
  body.copy(message, 8);
  return message;
}

function passwordMessage(password: string): Buffer {
  const text = Buffer.from(`${password}\0`, 'utf8');
  const message = Buffer.alloc(5 + text.length);
  message.write('p', 0);
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}

const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
const CLEARTEXT_REQUEST = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3]);

function errorCode(step: GateStep): string | undefined {
  if (step.kind !== 'refuse') return undefined;
  return /C([0-9A-Z]{5})\0/.exec(step.bytes.toString('utf8'))?.[1];
}

describe('PostgresPasswordGate', () => {
  const startup = startupMessage({ user: 'app', database: 'fluxpay' });

  it('asks for a cleartext password after the startup message, then lets the right one through with the startup first', () => {
    const gate = new PostgresPasswordGate('s3cret');
    expect(gate.feed(startup)).toEqual({ kind: 'reply', bytes: CLEARTEXT_REQUEST });
    const step = gate.feed(passwordMessage('s3cret'));
    expect(step).toEqual({ kind: 'pass', forward: startup });
  });

  it('reads messages split at any byte and pipelined together, and declines SSL first', () => {
    const gate = new PostgresPasswordGate('s3cret');
    const all = Buffer.concat([SSL_REQUEST, startup, passwordMessage('s3cret'), Buffer.from('Q')]);
    const steps = [...all].map((byte) => gate.feed(Buffer.from([byte])));
    const replies = steps.filter((s) => s.kind === 'reply').map((s) => (s as { bytes: Buffer }).bytes);
    expect(replies).toEqual([Buffer.from('N'), CLEARTEXT_REQUEST]);
    // The last byte came after the gate opened: the tunnel forwards it itself.
    expect(steps.at(-2)).toEqual({ kind: 'pass', forward: startup });
    expect(steps.at(-1)).toEqual({ kind: 'wait' });
  });

  it('refuses a wrong, longer, shorter or empty password with FATAL 28P01 naming the user', () => {
    for (const wrong of ['s3cre', 's3cretx', '', 'S3CRET']) {
      const gate = new PostgresPasswordGate('s3cret');
      gate.feed(startup);
      const step = gate.feed(passwordMessage(wrong));
      expect(errorCode(step), wrong).toBe('28P01');
      expect((step as { bytes: Buffer }).bytes.toString('utf8')).toContain('password authentication failed for user "app"');
    }
  });

  it('refuses malformed openings with 08P01: bad lengths, an unknown protocol, another message instead of the password', () => {
    const badLength = Buffer.from([0, 0, 0, 4, 0, 3, 0, 0]);
    const huge = Buffer.from([0, 0x10, 0, 0, 0, 3, 0, 0]);
    const oldProtocol = Buffer.from([0, 0, 0, 8, 0, 2, 0, 0]);
    for (const opening of [badLength, huge, oldProtocol]) {
      expect(errorCode(new PostgresPasswordGate('s3cret').feed(opening))).toBe('08P01');
    }
    const gate = new PostgresPasswordGate('s3cret');
    gate.feed(startup);
    expect(errorCode(gate.feed(Buffer.from([0x51, 0, 0, 0, 9, 0x53, 0x45, 0x4c, 0x00])))).toBe('08P01');
  });
});
