import { ERROR_MESSAGE, ERROR_STATUS, InvalidRequest, type Operation } from './toss-wire.js';

/** The Toss face's failure switches: declines and latency, filtered by key prefixes and counted down. */

/** The longest latency a switch or a `slow-<ms>-` key may ask for. */
export const MAX_DELAY_MS = 60_000;
/** Switches that may be in force at once. */
export const MAX_SWITCHES = 1_000;

interface Filter {
  paymentKeyPrefix?: string;
  orderIdPrefix?: string;
}

export interface DeclineSwitch extends Filter {
  kind: 'decline';
  operation: 'confirm' | 'cancel';
  remaining: number | null;
  code: string;
  message: string;
  status: number;
}

export interface LatencySwitch extends Filter {
  kind: 'latency';
  operation: Operation | 'all';
  remaining: number | null;
  ms: number;
}

export type Switch = DeclineSwitch | LatencySwitch;

function matchesFilter(filter: Filter, paymentKey: string, orderId: string | undefined): boolean {
  if (filter.paymentKeyPrefix !== undefined && !paymentKey.startsWith(filter.paymentKeyPrefix)) return false;
  if (filter.orderIdPrefix !== undefined && !(orderId ?? '').startsWith(filter.orderIdPrefix)) return false;
  return true;
}

function optionalPrefix(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 200)
    throw new InvalidRequest(`${field} must be a non-empty string of at most 200 characters`);
  return value;
}

function optionalCount(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new InvalidRequest('count must be a positive integer');
  return value;
}

export function parseSwitch(command: Record<string, unknown>): Switch {
  const filter: Filter = {};
  const paymentKeyPrefix = optionalPrefix(command.paymentKeyPrefix, 'paymentKeyPrefix');
  const orderIdPrefix = optionalPrefix(command.orderIdPrefix, 'orderIdPrefix');
  if (paymentKeyPrefix !== undefined) filter.paymentKeyPrefix = paymentKeyPrefix;
  if (orderIdPrefix !== undefined) filter.orderIdPrefix = orderIdPrefix;
  const remaining = optionalCount(command.count);
  if (command.action === 'decline') {
    const operation = command.operation ?? 'confirm';
    if (operation !== 'confirm' && operation !== 'cancel') throw new InvalidRequest('operation must be "confirm" or "cancel"');
    const code = command.code ?? 'REJECT_CARD_PAYMENT';
    if (typeof code !== 'string' || !/^[A-Z][A-Z0-9_]{0,99}$/.test(code))
      throw new InvalidRequest('code must be an upper-case Toss error code');
    const status = command.status ?? ERROR_STATUS[code] ?? 400;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599)
      throw new InvalidRequest('status must be an HTTP error status (400-599)');
    const message = command.message ?? ERROR_MESSAGE[code] ?? code;
    if (typeof message !== 'string' || message.length > 500) throw new InvalidRequest('message must be a string of at most 500 characters');
    return { kind: 'decline', operation, remaining, code, message, status, ...filter };
  }
  if (command.action === 'latency') {
    const ms = command.ms;
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_DELAY_MS)
      throw new InvalidRequest(`ms must be an integer from 0 to ${MAX_DELAY_MS}`);
    const operation = command.operation ?? 'all';
    if (operation !== 'confirm' && operation !== 'cancel' && operation !== 'get' && operation !== 'all') {
      throw new InvalidRequest('operation must be "confirm", "cancel", "get" or "all"');
    }
    return { kind: 'latency', operation, remaining, ms, ...filter };
  }
  throw new InvalidRequest('action must be "decline", "latency" or "reset"');
}

/** The switches in force, in the order they were set; the first that matches a call applies. */
export class TossSwitches {
  private switches: Switch[] = [];

  /** What `GET /toss/__control` shows. */
  get list(): readonly Switch[] {
    return this.switches;
  }

  add(found: Switch): void {
    this.switches.push(found);
  }

  reset(): void {
    this.switches = [];
  }

  /** Takes the first matching decline switch for this call, counting it down. */
  takeDecline(operation: 'confirm' | 'cancel', paymentKey: string, orderId: string | undefined): DeclineSwitch | undefined {
    const found = this.switches.find(
      (s): s is DeclineSwitch => s.kind === 'decline' && s.operation === operation && matchesFilter(s, paymentKey, orderId),
    );
    if (found) this.consume(found);
    return found;
  }

  takeLatency(operation: Operation, paymentKey: string, orderId: string | undefined): number {
    const found = this.switches.find(
      (s): s is LatencySwitch =>
        s.kind === 'latency' && (s.operation === 'all' || s.operation === operation) && matchesFilter(s, paymentKey, orderId),
    );
    if (!found) return 0;
    this.consume(found);
    return found.ms;
  }

  private consume(found: Switch): void {
    if (found.remaining === null) return;
    found.remaining -= 1;
    if (found.remaining <= 0) this.switches = this.switches.filter((s) => s !== found);
  }
}
