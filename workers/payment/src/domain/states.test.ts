import { describe, expect, it } from 'vitest';
import { FluxpayError } from '../errors.js';
import {
  assertOrderMove,
  assertPaymentWalk,
  canMoveOrder,
  canMovePayment,
  canMoveRefund,
  canWalkPayment,
  pathToConfirmed,
} from './states.js';

describe('state machines', () => {
  it('orders: PENDING → PAID → COMPLETED; PENDING|PAID → CANCELLED|FAILED; terminal states stay', () => {
    expect(canMoveOrder('PENDING', 'PAID')).toBe(true);
    expect(canMoveOrder('PAID', 'COMPLETED')).toBe(true);
    expect(canMoveOrder('PENDING', 'CANCELLED')).toBe(true);
    expect(canMoveOrder('PAID', 'FAILED')).toBe(true);
    expect(canMoveOrder('PENDING', 'COMPLETED')).toBe(false);
    for (const terminal of ['COMPLETED', 'CANCELLED', 'FAILED'] as const) {
      for (const to of ['PENDING', 'PAID', 'COMPLETED', 'CANCELLED', 'FAILED'] as const) expect(canMoveOrder(terminal, to)).toBe(false);
    }
  });

  it('payments: READY → PROCESSING → APPROVED → CONFIRMED → REFUNDED; READY|PROCESSING|APPROVED → FAILED', () => {
    expect(canWalkPayment('READY', ['PROCESSING', 'APPROVED', 'CONFIRMED', 'REFUNDED'])).toBe(true);
    expect(canMovePayment('APPROVED', 'FAILED')).toBe(true);
    expect(canMovePayment('CONFIRMED', 'FAILED')).toBe(false);
    expect(canMovePayment('READY', 'CONFIRMED')).toBe(false);
    expect(canMovePayment('FAILED', 'READY')).toBe(false);
    expect(canMovePayment('REFUNDED', 'CONFIRMED')).toBe(false);
    expect(pathToConfirmed('READY')).toEqual(['PROCESSING', 'APPROVED', 'CONFIRMED']);
    expect(pathToConfirmed('APPROVED')).toEqual(['CONFIRMED']);
  });

  it('refunds: REQUESTED → PROCESSING → COMPLETED | FAILED', () => {
    expect(canMoveRefund('REQUESTED', 'PROCESSING')).toBe(true);
    expect(canMoveRefund('PROCESSING', 'COMPLETED')).toBe(true);
    expect(canMoveRefund('COMPLETED', 'FAILED')).toBe(false);
  });

  it('throws ORD_002 and PAY_006 for moves the machines do not have', () => {
    expect(() => assertOrderMove('CANCELLED', 'CANCELLED')).toThrow(FluxpayError);
    try {
      assertPaymentWalk('CONFIRMED', ['PROCESSING', 'APPROVED']);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'PAY_006', status: 400 });
    }
    expect(() => assertPaymentWalk('READY', ['PROCESSING', 'APPROVED'])).not.toThrow();
  });
});
