import net from 'node:net';

/** A port on 127.0.0.1 that nothing listens on right now (free when it is returned, not reserved). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TcpRelay {
  /** Stops listening and cuts every open connection, as an outage would. */
  close(): Promise<void>;
}

/** A TCP relay on 127.0.0.1:port to a real server that the test can cut, to play an outage. */
export async function startTcpRelay(port: number, targetHost: string, targetPort: number): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const target = net.connect(targetPort, targetHost);
    for (const socket of [client, target]) {
      sockets.add(socket);
      socket.on('error', () => {
        client.destroy();
        target.destroy();
      });
      socket.on('close', () => sockets.delete(socket));
    }
    client.pipe(target);
    target.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Calls until the call succeeds, every 100 ms, for at most timeoutMs and maxAttempts calls;
 * then throws the last call's error.
 */
export async function retryUntilSuccess<T>(call: () => Promise<T>, limits: { timeoutMs: number; maxAttempts: number }): Promise<T> {
  const deadline = Date.now() + limits.timeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= limits.maxAttempts || Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
