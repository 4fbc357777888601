/**
 * @octo/server: the HTTP API over Octo's core. Start syncs, follow them live (SSE), read each
 * file's result; health, readiness and Prometheus metrics. `octo serve` runs it.
 */
export { createOctoApi, type OctoApi, type OctoApiOptions } from './create-octo-api.js';
export { apiConfigSchema, apiLimitsSchema, parseApiConfig, type ApiConfig, type ApiConfigInput } from './config/api-config.js';
export { BearerTokens } from './auth/bearer-tokens.js';
export { JobService, type JobQuery } from './jobs/job-service.js';
export { followJob, type JobFollow, type JobFollower } from './jobs/follow-job.js';
export { OctoMetrics } from './metrics/octo-metrics.js';
export { serveOctoApi, type ServeOptions } from './serve-octo-api.js';
export { jobDetailSchema, jobEventSchema } from './http/schemas.js';
/** The shapes of the API's answers, for clients in TypeScript (the web console). */
export type { JobDetailView, JobEventView, JobListView, JobSummaryView, ProviderListView } from './http/schemas.js';
export type { ProviderCheckView } from './routes/check-routes.js';
export type { LedgerAnswerView } from './routes/ledger-routes.js';
export type { PendingAnswerView } from './routes/pending-routes.js';
export type { QuarantineAnswerView, ReleaseAnswerView } from './routes/quarantine-routes.js';
export type { SessionView } from './routes/session-routes.js';
export { CONSOLE_CSP } from './console/console-routes.js';
