/**
 * @octo/core/queue: distributed mode on BullMQ, apart from the main entry so that nothing loads
 * BullMQ unless Redis is configured. The runtime picks {@link BullmqJobRunner} by itself
 * (`openJobRunner`); `octo worker` runs a {@link FileWorker}.
 */
export { BullmqJobRunner, bullmqConnection } from './bullmq-job-runner.js';
export { FileWorker, type FileWorkerOptions, type WorkerStopResult } from './file-worker.js';
export { type FileJobData, type FileJobResult } from './file-job.js';
export { fileJobId } from './file-job-id.js';
export { RedisProviderLock, REDIS_LOCK_LEASE_MS } from './redis-provider-lock.js';
export { ScheduleWorker, publishJobSchedulers, type ScheduleWorkerOptions, type ScheduledSyncResult } from './schedule-worker.js';
export { configuredSchedules, jobSchedulerId, syncJobSchedulers, type JobSchedulerChanges, type JobSchedulerQueue } from './job-schedulers.js';
