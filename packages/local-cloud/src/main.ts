import { configFromEnv } from './config.js';
import { startLocalCloud } from './server.js';

const cloud = await startLocalCloud(configFromEnv());
console.log(`local-cloud listening on ${cloud.url} (${cloud.faces.map((f) => f.name).join(', ') || 'no faces'})`);
const stop = async () => {
  await cloud.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
