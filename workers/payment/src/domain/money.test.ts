import { describe, expect, it } from 'vitest';
import { amountFromDecimal, amountFromMinor, decimalFromMinor, MAX_AMOUNT, minorFromDecimal, toMinor } from './money.js';

describe('money', () => {
  it('turns JSON amounts into exact cents', () => {
    expect(toMinor(9900, 'KRW')).toBe(990_000);
    expect(toMinor(0.1 + 0.2, 'USD')).toBe(30);
    expect(toMinor(19.99, 'EUR')).toBe(1999);
    expect(toMinor(MAX_AMOUNT, 'KRW')).toBe(MAX_AMOUNT * 100);
  });

  it('refuses more decimals than the currency has', () => {
    expect(toMinor(10.5, 'KRW')).toBeUndefined();
    expect(toMinor(10.5, 'JPY')).toBeUndefined();
    expect(toMinor(10.005, 'USD')).toBeUndefined();
    expect(toMinor(Number.NaN, 'USD')).toBeUndefined();
    expect(toMinor(Number.POSITIVE_INFINITY, 'USD')).toBeUndefined();
  });

  it('reads and writes NUMERIC(19,2) strings', () => {
    expect(minorFromDecimal('9900.00')).toBe(990_000);
    expect(minorFromDecimal('12.5')).toBe(1250);
    expect(minorFromDecimal('7')).toBe(700);
    expect(minorFromDecimal('-3.05')).toBe(-305);
    expect(decimalFromMinor(990_000)).toBe('9900.00');
    expect(decimalFromMinor(5)).toBe('0.05');
    expect(decimalFromMinor(-305)).toBe('-3.05');
    expect(amountFromDecimal('0.30')).toBe(0.3);
    expect(amountFromMinor(1999)).toBe(19.99);
  });

  it('rejects what is not an amount', () => {
    expect(() => minorFromDecimal('1e3')).toThrow(TypeError);
    expect(() => minorFromDecimal('1.234')).toThrow(TypeError);
    expect(() => decimalFromMinor(1.5)).toThrow(TypeError);
  });
});
