export { type BuildManifest, type BuildOptions, type BuiltModule, type BuiltWorker, buildWorkers, readBuild } from './build.js';
export { type HttpFront, type HttpFrontOptions, startHttpFront } from './front.js';
export { listeningPid } from './processes.js';
export { LOCAL_WORKERD_V8_FLAGS, prepareStackDatabases, type Stack, type StackDatabases, type StackOptions, startStack } from './stack.js';
export { type StackProcess, spawnStack } from './stack-process.js';
export { localConfigOf, REPO_ROOT, STACK_WORKERS, type WorkerName, workersIn } from './workers.js';
