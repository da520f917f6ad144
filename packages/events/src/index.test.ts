import { describe, expect, it } from 'vitest';
import {
  aggregateTypeOf,
  cloudEvent,
  fluxpayEventTypeOf,
  fluxpayEventTypes,
  fluxpayOutboxEvent,
  messageKeyFor,
  parseFluxpayCloudEvent,
  topicFor,
} from './index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('cloudEvent', () => {
  it('builds a CloudEvents 1.0 envelope with the FluxPay type prefix and the tenant extension', () => {
    const event = cloudEvent({ type: 'payment.confirmed', tenantId: 't1', data: { a: 1 }, time: new Date('2026-01-02T03:04:05.678Z') });
    expect(event).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(UUID),
      source: 'fluxpay-engine',
      type: 'com.fluxpay.payment.confirmed',
      datacontenttype: 'application/json',
      time: '2026-01-02T03:04:05.678Z',
      tenantid: 't1',
      data: { a: 1 },
    });
  });

  it('keeps a type that already has the prefix, and a given id and source', () => {
    const event = cloudEvent({ type: 'com.fluxpay.order.created', tenantId: 't', data: null, id: 'e-1', source: 'x' });
    expect(event).toMatchObject({ type: 'com.fluxpay.order.created', id: 'e-1', source: 'x' });
  });

  it('gives every event its own id', () => {
    const ids = new Set(Array.from({ length: 100 }, () => cloudEvent({ type: 'order.created', tenantId: 't', data: {} }).id));
    expect(ids.size).toBe(100);
  });

  it('rejects an empty type or tenant and an invalid time', () => {
    expect(() => cloudEvent({ type: '', tenantId: 't', data: {} })).toThrow(TypeError);
    expect(() => cloudEvent({ type: 'order.created', tenantId: '', data: {} })).toThrow(TypeError);
    expect(() => cloudEvent({ type: 'order.created', tenantId: 't', data: {}, time: 'not a date' })).toThrow(TypeError);
  });
});

describe('topic and message key naming', () => {
  it('names topics fluxpay.<aggregate>.events in lower case', () => {
    expect(topicFor('payment')).toBe('fluxpay.payment.events');
    expect(topicFor('Order')).toBe('fluxpay.order.events');
    expect(topicFor('REFUND')).toBe('fluxpay.refund.events');
  });

  it('refuses names that would make odd topics', () => {
    for (const bad of ['', 'pay ment', 'a.b', '../x']) expect(() => topicFor(bad)).toThrow(TypeError);
  });

  it('keys messages <tenant>:<aggregateId>', () => {
    expect(messageKeyFor('__default__', 'abc')).toBe('__default__:abc');
  });

  it('maps every event type to its aggregate', () => {
    expect(fluxpayEventTypes.map(aggregateTypeOf)).toEqual([
      'order',
      'order',
      'payment',
      'payment',
      'payment',
      'payment',
      'refund',
      'refund',
    ]);
  });
});

describe('fluxpayOutboxEvent', () => {
  it('makes the outbox row of a payment.confirmed event with one id in row, envelope and data', () => {
    const occurredAt = new Date('2026-03-01T00:00:00.000Z');
    const row = fluxpayOutboxEvent({
      eventType: 'payment.confirmed',
      tenantId: '__default__',
      aggregateId: 'pay-1',
      occurredAt,
      data: {
        paymentId: 'pay-1',
        orderId: 'ord-1',
        userId: '42',
        amount: 9900,
        currency: 'KRW',
        pgPaymentKey: 'pk',
        pgTransactionId: 'tx',
        paymentMethod: 'CARD',
        approvedAt: occurredAt.toISOString(),
        confirmedAt: occurredAt.toISOString(),
        metadata: { subscriptionId: 7 },
      },
    });
    expect(row).toMatchObject({
      tenantId: '__default__',
      aggregateType: 'payment',
      aggregateId: 'pay-1',
      eventType: 'payment.confirmed',
      topic: 'fluxpay.payment.events',
      messageKey: '__default__:pay-1',
    });
    expect(row.payload.id).toBe(row.eventId);
    expect(row.payload.data.eventId).toBe(row.eventId);
    expect(row.payload.data.occurredAt).toBe('2026-03-01T00:00:00.000Z');
    expect(row.payload).toMatchObject({
      type: 'com.fluxpay.payment.confirmed',
      time: '2026-03-01T00:00:00.000Z',
      tenantid: '__default__',
      subject: 'pay-1',
    });
    expect(row.payload.data.metadata).toEqual({ subscriptionId: 7 });
    // The payload survives a JSON round trip unchanged (it is stored as JSONB and sent as JSON).
    expect(JSON.parse(JSON.stringify(row.payload))).toEqual(row.payload);
  });
});

describe('parseFluxpayCloudEvent', () => {
  const valid = () =>
    fluxpayOutboxEvent({
      eventType: 'order.created',
      tenantId: 't',
      aggregateId: 'o',
      data: { orderId: 'o', userId: 'u', totalAmount: 1, currency: 'KRW', exclusiveKey: null, metadata: null },
    }).payload;

  it('accepts what fluxpayOutboxEvent produced, after JSON', () => {
    const event = parseFluxpayCloudEvent(JSON.parse(JSON.stringify(valid())));
    expect(event?.type).toBe('com.fluxpay.order.created');
    expect(fluxpayEventTypeOf(event!.type)).toBe('order.created');
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['another spec version', { ...valid(), specversion: '0.3' }],
    ['a missing id', { ...valid(), id: '' }],
    ['a foreign type', { ...valid(), type: 'com.example.thing' }],
    ['an unknown FluxPay type', { ...valid(), type: 'com.fluxpay.order.exploded' }],
    ['a bad time', { ...valid(), time: 'yesterday' }],
    ['no tenant', { ...valid(), tenantid: undefined }],
    ['data that is not an object', { ...valid(), data: 'x' }],
  ])('rejects %s', (_label, value) => {
    expect(parseFluxpayCloudEvent(value)).toBeUndefined();
  });
});
