import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { listeningPid } from './processes.js';

describe('listeningPid', () => {
  it('finds the process listening on a port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      expect(listeningPid(port)).toBe(process.pid);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(listeningPid(port)).toBeUndefined();
  });
});
