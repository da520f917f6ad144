import { configFromEnv } from './config.js';
import { startLocalCloud } from './server.js';

const config = configFromEnv();
const cloud = await startLocalCloud(config);
console.log(`local-cloud listening on ${cloud.url} (${cloud.faces.map((f) => f.name).join(', ') || 'no faces'})`);
if (!config.controlToken) {
  console.log(
    'local-cloud: control endpoints (__control, __stats, ...) use a token made for this start; set LOCAL_CLOUD_CONTROL_TOKEN to choose one',
  );
}
const stop = async () => {
  await cloud.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
