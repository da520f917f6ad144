export * from './databases.js';
export * from './redis.js';
