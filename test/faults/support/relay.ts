import net from 'node:net';

/**
 * A TCP relay on 127.0.0.1 in front of a real server (MySQL, Postgres, Redis), for playing its faults:
 * - `cut()`: every open connection is destroyed and the port stops listening, so new connections are
 *   refused — what clients see when the server process is gone;
 * - `slow(ms)`: every chunk in either direction is held `ms` before it is passed on (order kept);
 * - `restore()`: listens again on the same port and passes bytes on at once.
 * The port stays the same for the relay's whole life, so clients reconnect by themselves once restored.
 */
export interface FaultRelay {
  port: number;
  /** Connections accepted since the relay started (while up or slow). */
  readonly accepted: number;
  /** Connections open right now. */
  readonly open: number;
  cut(): Promise<void>;
  slow(delayMs: number): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultRelay(target: { host: string; port: number }): Promise<FaultRelay> {
  const sockets = new Set<net.Socket>();
  let delayMs = 0;
  let accepted = 0;
  let listening = false;

  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    forward(client, upstream, () => delayMs);
    forward(upstream, client, () => delayMs);
  });

  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        listening = true;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!listening) return resolve();
      listening = false;
      server.close(() => resolve());
    });

  await listen(0);
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size / 2;
    },
    async cut() {
      const closed = stopListening();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    slow(ms) {
      delayMs = ms;
    },
    async restore() {
      delayMs = 0;
      if (!listening) await listen(port);
    },
    async close() {
      const closed = stopListening();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Passes `from`'s bytes to `to`, each chunk `delay()` ms late but never before the chunk ahead of it. */
function forward(from: net.Socket, to: net.Socket, delay: () => number): void {
  let lastDue = 0;
  let pending = 0;
  let ended = false;
  const endIfDone = () => {
    if (ended && pending === 0 && !to.destroyed) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    const ms = delay();
    if (ms === 0 && pending === 0) {
      if (!to.destroyed) to.write(chunk);
      return;
    }
    const due = Math.max(Date.now() + ms, lastDue);
    lastDue = due;
    pending++;
    setTimeout(() => {
      pending--;
      if (!to.destroyed) to.write(chunk);
      endIfDone();
    }, due - Date.now());
  });
  from.on('end', () => {
    ended = true;
    endIfDone();
  });
}
