export * from './clients.js';
export * from './fluxpay/api-keys.js';
export * from './fluxpay/schema.js';
export * as fluxpaySchema from './fluxpay/schema.js';
export * from './moalog/schema.js';
export * as moalogSchema from './moalog/schema.js';
export * from './seed-data.js';
