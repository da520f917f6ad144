import { WORKER_NAMES, type WorkerName } from '../../platform.js';
import type { LocalConfig } from './wrangler-environments.js';

/**
 * The order to deploy in: every worker after the workers its service bindings call, so a binding never
 * names a worker that is not there yet (payment, api, gateway). Ties keep platform.ts's order.
 */
export function deployOrder(locals: Readonly<Record<WorkerName, LocalConfig>>): WorkerName[] {
  const byScript = new Map(WORKER_NAMES.map((name) => [locals[name].name, name]));
  const dependsOn = new Map(
    WORKER_NAMES.map((name) => [
      name,
      locals[name].services.map((service) => byScript.get(service.service)).filter((dep) => dep !== undefined),
    ]),
  );
  const order: WorkerName[] = [];
  while (order.length < WORKER_NAMES.length) {
    const next = WORKER_NAMES.find((name) => !order.includes(name) && (dependsOn.get(name) ?? []).every((dep) => order.includes(dep)));
    if (!next) {
      const left = WORKER_NAMES.filter((name) => !order.includes(name));
      throw new Error(`the service bindings of ${left.join(', ')} form a cycle: no deploy order exists`);
    }
    order.push(next);
  }
  return order;
}
