import { secretsEqual } from '../http-helpers.js';

/**
 * The password check of local-cloud's Neon WebSocket tunnel, as Neon's proxy does it: the client's
 * startup message is answered with a cleartext password request, and only a client that sends the
 * configured password is let through to Postgres (which then sees its startup message as if sent
 * directly). A wrong password gets Postgres' FATAL 28P01 before any byte has reached Postgres.
 */

const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSS_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;
/** Longest startup or password message accepted (Postgres allows 10,000 bytes for a startup packet). */
const MAX_MESSAGE_BYTES = 10_000;

export type GateStep =
  /** Send these bytes to the client and wait for more. */
  | { kind: 'reply'; bytes: Buffer }
  /** The client passed: open Postgres and send it these bytes first. */
  | { kind: 'pass'; forward: Buffer }
  /** Send these bytes (an ErrorResponse) to the client and close. */
  | { kind: 'refuse'; bytes: Buffer }
  | { kind: 'wait' };

export class PostgresPasswordGate {
  private buffered: Buffer = Buffer.alloc(0);
  private startup: Buffer | undefined;
  private user = '';
  private done = false;

  constructor(private readonly password: string) {}

  /** Takes the next bytes the client sent; answers what the tunnel does next. */
  feed(chunk: Buffer): GateStep {
    if (this.done) return { kind: 'wait' };
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const replies: Buffer[] = [];
    for (;;) {
      const step = this.startup === undefined ? this.readStartup() : this.readPassword();
      if (step.kind === 'reply') {
        replies.push(step.bytes);
        continue;
      }
      if (step.kind === 'wait') return replies.length > 0 ? { kind: 'reply', bytes: Buffer.concat(replies) } : step;
      this.done = true;
      if (step.kind === 'refuse' && replies.length > 0) return { kind: 'refuse', bytes: Buffer.concat([...replies, step.bytes]) };
      return step;
    }
  }

  private take(length: number): Buffer {
    const message = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    return message;
  }

  private readStartup(): GateStep {
    if (this.buffered.length < 8) return { kind: 'wait' };
    const length = this.buffered.readInt32BE(0);
    if (length < 8 || length > MAX_MESSAGE_BYTES) return refuse('08P01', 'invalid startup packet length');
    if (this.buffered.length < length) return { kind: 'wait' };
    const code = this.buffered.readInt32BE(4);
    if (code === SSL_REQUEST || code === GSS_REQUEST) {
      this.take(length);
      return { kind: 'reply', bytes: Buffer.from('N') };
    }
    // A cancel request carries its own secret (the backend key), not a password.
    if (code === CANCEL_REQUEST) return { kind: 'pass', forward: this.take(this.buffered.length) };
    if (code !== PROTOCOL_3) return refuse('08P01', `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}`);
    this.startup = Buffer.from(this.take(length));
    this.user = startupParameter(this.startup, 'user') ?? '';
    const request = Buffer.alloc(9);
    request.write('R', 0);
    request.writeInt32BE(8, 1);
    request.writeInt32BE(3, 5); // AuthenticationCleartextPassword
    return { kind: 'reply', bytes: request };
  }

  private readPassword(): GateStep {
    if (this.buffered.length < 5) return { kind: 'wait' };
    if (this.buffered[0] !== 0x70 /* 'p' */) return refuse('08P01', 'expected a password message');
    const length = this.buffered.readInt32BE(1);
    if (length < 5 || length > MAX_MESSAGE_BYTES) return refuse('08P01', 'invalid password message length');
    if (this.buffered.length < 1 + length) return { kind: 'wait' };
    const message = this.take(1 + length);
    const end = message[message.length - 1] === 0 ? message.length - 1 : message.length;
    const presented = message.subarray(5, end);
    if (!secretsEqual(presented, this.password)) {
      return refuse('28P01', `password authentication failed for user "${this.user}"`);
    }
    return { kind: 'pass', forward: Buffer.concat([this.startup as Buffer, this.take(this.buffered.length)]) };
  }
}

function startupParameter(startup: Buffer, name: string): string | undefined {
  const fields = startup.subarray(8).toString('utf8').split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** A FATAL ErrorResponse, as Postgres sends it before closing a connection. */
function refuse(code: string, message: string): GateStep {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const bytes = Buffer.alloc(5 + fields.length);
  bytes.write('E', 0);
  bytes.writeInt32BE(4 + fields.length, 1);
  fields.copy(bytes, 5);
  return { kind: 'refuse', bytes };
}
