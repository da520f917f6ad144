import { CONTROL_TOKEN_HEADER } from '@moalog/local-cloud/control-header';

/**
 * What a test needs to flip a local-cloud's switches: its address and the control token its
 * `__control`, `__stats` and `__payloads` endpoints require. Imports no Node module, so worker tests can use it.
 */
export interface LocalCloudControl {
  url: string;
  controlToken: string;
}

export { CONTROL_TOKEN_HEADER };

/** `fetch` of one of local-cloud's control endpoints (`path` like `/toss/__control`) with the token. */
export function controlFetch(cloud: LocalCloudControl, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set(CONTROL_TOKEN_HEADER, cloud.controlToken);
  return fetch(`${cloud.url}${path}`, { ...init, headers });
}
