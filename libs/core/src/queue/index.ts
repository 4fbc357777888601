/**
 * @octo/core/queue: distributed mode on BullMQ, apart from the main entry so that nothing loads
 * BullMQ unless Redis is configured. The runtime picks {@link BullmqJobRunner} by itself
 * (`openJobRunner`); `octo worker` runs a {@link FileWorker}.
 */
export * from './bullmq-job-runner.js';
export * from './file-worker.js';
export * from './file-job.js';
export * from './file-job-id.js';
export * from './queue-names.js';
export * from './redis-provider-lock.js';
export * from './distributed-sync.js';
