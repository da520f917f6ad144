export * from './config.js';
export * from './envelope.js';
export * from './error-catalogue.js';
export * from './errors.js';
export * from './hono-errors.js';
export * from './openapi.js';
export * from './security-headers.js';
