import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { PostgresPasswordGate } from './neon-ws-auth.js';

/**
 * Neon's WebSocket proxy (neondatabase/wsproxy) in Node: `GET /v1?address=host:port` upgrades to a
 * WebSocket whose binary messages are the raw bytes of a Postgres TCP connection, both ways.
 * For safety the TCP side always goes to local-cloud's own Postgres; `address` must be present
 * (as with Neon's proxy) but does not choose the target. With a password configured, the client must
 * give it first (see neon-ws-auth.ts), before the tunnel opens a connection to Postgres.
 */

/**
 * How long the WebSocket stays open after Postgres closed the TCP connection. The driver closes it
 * itself after its Terminate message; closing first makes workerd report "Network connection lost".
 */
const TCP_CLOSED_GRACE_MS = 500;
/** Bytes a client may send before the TCP connection to Postgres is open. */
const MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** Postgres output buffered towards a slow WebSocket before reading from Postgres pauses. */
const WS_HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** After the client left, how long Postgres gets to take the last bytes before the socket is destroyed. */
const TCP_END_TIMEOUT_MS = 5_000;

export interface PostgresTarget {
  host: string;
  port: number;
}

export class NeonWebSocketProxy {
  private readonly wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });
  private readonly tunnels = new Set<Tunnel>();

  /** `password`: the one password clients must give (empty: none is asked, and Postgres decides). */
  constructor(
    private readonly target: PostgresTarget,
    private readonly password = '',
  ) {}

  /** A plain HTTP request to `/v1` gets what Neon's proxy answers a non-WebSocket client. */
  handlePlainHttp(_req: IncomingMessage, res: ServerResponse): void {
    const body = 'Bad Request\n';
    res.writeHead(400, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'sec-websocket-version': '13',
    });
    res.end(body);
  }

  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    if (!url.searchParams.get('address')) {
      rejectUpgrade(socket, 400, 'Bad Request', 'proxying to specified address not allowed\n');
      return;
    }
    // handleUpgrade answers a malformed handshake (no key, wrong version…) with 400 by itself.
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const gate = this.password === '' ? undefined : new PostgresPasswordGate(this.password);
      const tunnel = new Tunnel(ws, this.target, gate, () => this.tunnels.delete(tunnel));
      this.tunnels.add(tunnel);
    });
  }

  async close(): Promise<void> {
    for (const tunnel of this.tunnels) tunnel.destroy();
    this.tunnels.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

function rejectUpgrade(socket: Duplex, status: number, statusText: string, body: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** One WebSocket bridged to one TCP connection to Postgres. */
class Tunnel {
  private tcp: Socket | undefined;
  private tcpConnected = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private closeTimer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly target: PostgresTarget,
    private gate: PostgresPasswordGate | undefined,
    private readonly onFinished: () => void,
  ) {
    if (!gate) this.openPostgres();
    ws.on('message', (data: RawData) => this.receiveFromClient(toBuffer(data)));
    ws.on('error', () => {
      // ws closes the socket itself after a protocol error; only Postgres' side is left to end.
      this.tcp?.destroy();
    });
    ws.on('close', () => this.clientClosed());
  }

  private openPostgres(): void {
    const tcp = connect({ host: this.target.host, port: this.target.port });
    this.tcp = tcp;
    tcp.setNoDelay(true);
    tcp.on('connect', () => {
      this.tcpConnected = true;
      const pending = this.pending;
      this.pending = [];
      this.pendingBytes = 0;
      for (const chunk of pending) this.writeToPostgres(chunk);
    });
    tcp.on('data', (chunk: Buffer) => this.sendToClient(chunk));
    tcp.on('error', (err) => {
      const reason = this.tcpConnected ? `Postgres connection failed: ${err.message}` : `could not connect to Postgres: ${err.message}`;
      this.closeClient(1011, reason);
      tcp.destroy();
    });
    // Postgres ended the connection (after Terminate, or on a fatal error): let the client close first.
    tcp.on('close', () => {
      if (this.finished || this.closeTimer) return;
      this.closeTimer = setTimeout(() => this.closeClient(1000, 'TCP connection is closed'), TCP_CLOSED_GRACE_MS);
    });
  }

  /** The password gate's answer to what the client sent before Postgres was opened. */
  private passGate(gate: PostgresPasswordGate, chunk: Buffer): void {
    const step = gate.feed(chunk);
    if (step.kind === 'reply') {
      this.sendToClient(step.bytes);
    } else if (step.kind === 'refuse') {
      this.gate = undefined;
      this.sendToClient(step.bytes);
      this.finish();
      if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000, 'authentication failed');
    } else if (step.kind === 'pass') {
      this.gate = undefined;
      this.openPostgres();
      this.receiveFromClient(step.forward);
    }
  }

  /** Drops both sides at once (local-cloud is shutting down). */
  destroy(): void {
    this.finish();
    this.ws.terminate();
    this.tcp?.destroy();
  }

  private receiveFromClient(chunk: Buffer): void {
    if (this.gate) {
      this.passGate(this.gate, chunk);
      return;
    }
    if (!this.tcp || this.tcp.destroyed) return;
    if (this.tcpConnected) {
      this.writeToPostgres(chunk);
      return;
    }
    this.pendingBytes += chunk.length;
    if (this.pendingBytes > MAX_PENDING_BYTES) {
      this.closeClient(1009, 'too much data before the Postgres connection opened');
      this.tcp.destroy();
      return;
    }
    this.pending.push(chunk);
  }

  private writeToPostgres(chunk: Buffer): void {
    const tcp = this.tcp;
    if (!tcp || tcp.destroyed || !tcp.writable) return;
    if (!tcp.write(chunk) && !this.ws.isPaused) {
      this.ws.pause();
      tcp.once('drain', () => this.ws.resume());
    }
  }

  private sendToClient(chunk: Buffer): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(chunk, { binary: true }, () => {
      if (this.tcp?.isPaused() && this.ws.bufferedAmount < WS_HIGH_WATER_BYTES) this.tcp.resume();
    });
    if (this.tcp && this.ws.bufferedAmount >= WS_HIGH_WATER_BYTES) this.tcp.pause();
  }

  private closeClient(code: number, reason: string): void {
    if (this.ws.readyState === this.ws.OPEN) {
      this.ws.close(code, truncateUtf8(reason, 120));
    } else if (this.ws.readyState === this.ws.CONNECTING) {
      this.ws.terminate();
    }
  }

  private clientClosed(): void {
    this.finish();
    const tcp = this.tcp;
    if (!tcp || tcp.destroyed) return;
    if (!this.tcpConnected) {
      tcp.destroy();
      return;
    }
    // Let Postgres read what is still queued (usually the driver's Terminate), then close.
    tcp.end();
    setTimeout(() => tcp.destroy(), TCP_END_TIMEOUT_MS).unref();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.closeTimer);
    this.pending = [];
    this.onFinished();
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Cut on a character boundary: drop continuation bytes at the end of the slice.
  let end = maxBytes;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
