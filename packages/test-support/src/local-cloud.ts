import { CONTROL_TOKEN_HEADER, configFromEnv, type LocalCloud, startLocalCloud } from '@moalog/local-cloud';
import { afterAll, beforeAll } from 'vitest';

export interface LocalCloudFixture {
  /** The running local-cloud's base URL (from beforeAll on). */
  readonly url: string;
  /** Its control token (for `x-local-cloud-control-token`). */
  readonly controlToken: string;
  /** POSTs a JSON command to local-cloud's OTLP receiver test switch, `/otlp/__control`. */
  otlpControl(body: unknown): Promise<Response>;
  /** GETs one of local-cloud's control endpoints (`/otlp/__payloads`) with its control token. */
  controlGet(path: string): Promise<Response>;
}

/** Starts a local-cloud on a free port before the file's tests (beforeAll) and closes it after them (afterAll). */
export function useLocalCloud(): LocalCloudFixture {
  let cloud: LocalCloud | undefined;
  beforeAll(async () => {
    cloud = await startLocalCloud({ ...configFromEnv(), port: 0 });
  });
  afterAll(async () => {
    await cloud?.close();
  });
  const running = (): LocalCloud => {
    if (!cloud) throw new Error('local-cloud is not running yet (use the fixture inside hooks and tests)');
    return cloud;
  };
  return {
    get url() {
      return running().url;
    },
    get controlToken() {
      return running().controlToken;
    },
    otlpControl: (body) =>
      fetch(`${running().url}/otlp/__control`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CONTROL_TOKEN_HEADER]: running().controlToken },
        body: JSON.stringify(body),
      }),
    controlGet: (path) => fetch(`${running().url}${path}`, { headers: { [CONTROL_TOKEN_HEADER]: running().controlToken } }),
  };
}
