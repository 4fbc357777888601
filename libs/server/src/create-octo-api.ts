import {
  createObjectStore,
  createOctoRuntime,
  OctoError,
  publishDistributedSchedules,
  SecretResolver,
  type LoadedConfig,
  type ObjectStore,
  type OctoRuntime,
  type ProviderPlugin,
  type Scheduler,
  type SchedulerClock,
} from '@octo/core';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { DestinationStream } from 'pino';
import { BearerTokens } from './auth/bearer-tokens.js';
import { requestAccess } from './auth/request-access.js';
import { SessionStore } from './auth/session-store.js';
import { registerConsoleRoutes } from './console/console-routes.js';
import { parseApiConfig, type ApiConfig, type ApiConfigInput } from './config/api-config.js';
import { ApiError } from './http/api-error.js';
import { clientErrorHandler, frameworkErrorHandler } from './http/framework-errors.js';
import { registerRateLimits } from './http/rate-limits.js';
import { RequestValidationError, ResponseValidationError, zodSerializerCompiler, zodSwaggerTransform, zodValidatorCompiler } from './http/zod-type-provider.js';
import { JobService } from './jobs/job-service.js';
import { createProviderScheduler } from './jobs/provider-scheduler.js';
import { coreLogger, createApiLogger } from './logging.js';
import { JobStoreMetrics } from './metrics/job-store-metrics.js';
import { completeOpenApiDocument } from './http/openapi-document.js';
import { OctoMetrics } from './metrics/octo-metrics.js';
import { registerCheckRoutes } from './routes/check-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerJobRoutes } from './routes/job-routes.js';
import { registerProviderRoutes } from './routes/provider-routes.js';
import { registerLedgerRoutes } from './routes/ledger-routes.js';
import { registerPendingRoutes } from './routes/pending-routes.js';
import { registerQuarantineRoutes } from './routes/quarantine-routes.js';
import { registerSessionRoutes } from './routes/session-routes.js';
import { registerProviderDetailRoutes } from './routes/provider-detail-routes.js';
import { registerArrivalMetrics } from './metrics/arrival-metrics.js';

/** What {@link createOctoApi} needs: the loaded config and the installed provider plugins. */
export interface OctoApiOptions {
  readonly loaded: LoadedConfig;
  readonly plugins: ReadonlyArray<ProviderPlugin<unknown>>;
  /** Overrides fields of the config's `api:` block (tests, `octo serve --port`); validated like the block. */
  readonly api?: Partial<ApiConfigInput>;
  /** Where token references `env:NAME` are looked up (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Where JSON log lines go (default: stdout). */
  readonly logDestination?: DestinationStream;
  /** The built web console (apps/console's dist folder), served at `/`; without it only the API is served. */
  readonly consoleAssetsDir?: string;
  /** Time as the arrival checks see it (tests pass a fake one). */
  readonly clock?: SchedulerClock;
}

/** A built API: the Fastify app, its services, and its lifecycle. */
export interface OctoApi {
  readonly app: FastifyInstance;
  readonly config: ApiConfig;
  readonly runtime: OctoRuntime;
  readonly jobs: JobService;
  readonly metrics: OctoMetrics;
  /** Runs the providers' `schedule:` in this process from {@link OctoApi.listen} until shutdown. */
  readonly scheduler: Scheduler;
  /** The console's sign-in sessions. */
  readonly sessions: SessionStore;
  /** Starts listening on the configured host and port, then the schedules; resolves with the base URL. */
  listen(): Promise<string>;
  /**
   * Stops accepting requests, lets running jobs finish for up to `deadlineMs` (default
   * from config), cancels what still runs (nothing partial lands), then closes.
   */
  shutdown(deadlineMs?: number): Promise<{ finished: number; cancelled: number; abandoned: number }>;
}

/** Route-level flags read by the auth hook. */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** Open to anyone (health, the OpenAPI document). */
    public?: boolean;
    /** GET /metrics: open or not per `api.metricsAuth`. */
    metrics?: boolean;
  }
}

/**
 * Builds the HTTP API over the same runtime the CLI uses: validates config, resolves the
 * bearer tokens (failing at start when one is unset), loads job history from the work
 * directory (jobs whose process died become `interrupted`), and registers the routes.
 */
export async function createOctoApi(options: OctoApiOptions): Promise<OctoApi> {
  const { loaded } = options;
  const config = parseApiConfig(loaded, options.api);
  const log = createApiLogger({ level: config.logLevel, destination: options.logDestination });
  const logger = coreLogger(log);
  const secrets = new SecretResolver(loaded.baseDir, options.env ?? process.env);
  const tokens = await BearerTokens.fromRefs(config.tokens, secrets);
  const sessions = new SessionStore(config.session.ttlMs);
  const runtime = await createOctoRuntime({ loaded, plugins: options.plugins, logger, ...(options.clock ? { clock: options.clock } : {}) });
  const metrics = new OctoMetrics(runtime.providers.names());
  metrics.countWebhooks(() => runtime.notifier.counts);
  registerArrivalMetrics(metrics.registry, runtime.arrivals);
  const jobs = new JobService(runtime, logger);
  await jobs.init();
  await JobStoreMetrics.start(runtime.jobStore, metrics);
  const scheduler = createProviderScheduler(runtime, jobs, logger);

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: config.limits.bodyBytes,
    // Provider names and job ids are short; anything longer is refused before routing.
    routerOptions: { maxParamLength: 128 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    // Every error answer has the documented shape, those from the router and Node's parser too.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  });
  // Bodies are JSON or nothing: a text body gets 415 instead of reaching validation.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Octo API',
        version: '1.0.0',
        description: 'Start syncs of partner drops, follow their progress live (Server-Sent Events), read each file\'s result.',
        // package.json says UNLICENSED: no licence is granted; SPDX spells a custom one LicenseRef-.
        license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'octo_session', description: 'The console\'s session cookie (POST /v1/session); POST and DELETE with it also need the X-Octo-CSRF header' } } },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: zodSwaggerTransform as never,
    // operationIds, servers, optional bodies: what the generated document lacks to lint clean.
    transformObject: (documentObject) => completeOpenApiDocument((documentObject as { openapiObject: object }).openapiObject, servedAt(app, config)) as never,
  });

  // Known paths asked with another method get 405 and an Allow header, not 404.
  const routeMethods: Array<{ pattern: RegExp; methods: string[] }> = [];
  app.addHook('onRoute', (route) => {
    const pattern = new RegExp(`^${route.url.replace(/:[^/]+/g, '[^/]+')}$`);
    const methods = [route.method].flat();
    const known = routeMethods.find((entry) => entry.pattern.source === pattern.source);
    if (known) known.methods.push(...methods);
    else routeMethods.push({ pattern, methods });
  });
  const notFound = async (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = request.url.split('?')[0] ?? request.url;
    const allowed = [...new Set(routeMethods.find((entry) => entry.pattern.test(pathname))?.methods ?? [])].sort();
    if (allowed.length > 0) {
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send({ statusCode: 405, error: 'Method Not Allowed', message: `${request.method} is not allowed on ${pathname}: use ${allowed.join(', ')}` });
    }
    return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `no route ${request.method} ${pathname}` });
  };

  const authFailures = await registerRateLimits(app, config.rateLimit);
  await app.register(cookie);
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.config;
    if (route?.public) return;
    if (route?.metrics && config.metricsAuth === 'none') return;
    // Checked before the token, so an address that is guessing learns nothing more until the window ends.
    if (await authFailures.refuseIfLocked(request, reply)) return;
    const access = requestAccess(request, tokens, sessions);
    if (access.granted) {
      if (access.via === 'session' && access.csrfRefusal) return refuseCsrf(request, reply, access.csrfRefusal);
      // Answer unknown routes here, before any body is parsed (a QUERY or PUT body would fail first).
      if (request.is404) return notFound(request, reply);
      return;
    }
    await authFailures.recordFailure(request);
    request.log.warn({ reason: access.reason }, 'request refused: not authenticated');
    await reply.code(401).header('www-authenticate', 'Bearer realm="octo"').send({ statusCode: 401, error: 'Unauthorized', message: access.message });
  });

  app.setErrorHandler(async (error, request, reply) => {
    if (error instanceof RequestValidationError) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: error.message });
    }
    if (ApiError.is(error)) {
      return reply.code(error.statusCode).send({ statusCode: error.statusCode, error: statusText(error.statusCode), message: error.message, ...(error.jobId ? { jobId: error.jobId } : {}) });
    }
    if (error instanceof ResponseValidationError) {
      request.log.error({ err: error }, 'response does not match its schema');
      return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'the server produced an invalid response; see the logs' });
    }
    if (OctoError.is(error)) {
      // The job could not start: a secret that is not set, a store or source that cannot be reached.
      request.log.error({ err: error, kind: error.kind }, 'request failed');
      return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message: error.message });
    }
    const status = (error as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      return reply.code(status).send({ statusCode: status, error: statusText(status), message: (error as Error).message });
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'unexpected error; see the logs' });
  });

  app.setNotFoundHandler(notFound);

  const stores = new Map<string, Promise<ObjectStore>>();
  const storeFor = (bucket: string) => {
    let store = stores.get(bucket);
    if (!store) {
      store = createObjectStore(loaded.config.store, bucket, { baseDir: loaded.baseDir, secrets, logger });
      stores.set(bucket, store);
    }
    return store;
  };

  registerHealthRoutes(app, { runtime, metrics, storeFor });
  registerProviderRoutes(app, { runtime, jobs, config, scheduler });
  registerProviderDetailRoutes(app, { runtime, jobs, scheduler });
  registerLedgerRoutes(app, { runtime });
  registerQuarantineRoutes(app, { runtime });
  registerCheckRoutes(app, { runtime });
  registerPendingRoutes(app, { runtime });
  registerJobRoutes(app, { jobs, config });
  registerSessionRoutes(app, { tokens, sessions, authFailures });
  if (options.consoleAssetsDir) await registerConsoleRoutes(app, { assetsDir: options.consoleAssetsDir });
  app.get('/openapi.json', { schema: { hide: true }, config: { public: true } }, async () => app.swagger());

  let shuttingDown: Promise<{ finished: number; cancelled: number; abandoned: number }> | undefined;
  return {
    app,
    config,
    runtime,
    jobs,
    metrics,
    scheduler,
    sessions,
    async listen() {
      const url = await app.listen({ host: config.host, port: config.port });
      // In distributed mode the workers run the schedules (BullMQ job schedulers): ticking here too would start each twice.
      if (!(await publishDistributedSchedules(loaded, logger))) scheduler.start();
      runtime.arrivals.start();
      return url;
    },
    shutdown(deadlineMs = config.shutdownDeadlineMs) {
      shuttingDown ??= (async () => {
        app.log.info({ deadlineMs }, 'shutting down: no new requests, waiting for running jobs');
        // No tick may start a job once draining begins.
        scheduler.stop();
        runtime.arrivals.stop();
        // Stop listening first; event streams stay open until their jobs end.
        const closing = app.close();
        const result = await jobs.drain(deadlineMs);
        // Streams have ended with their jobs; kept-alive sockets go now, anything else after a grace period.
        app.server.closeIdleConnections?.();
        const grace = setTimeout(() => app.server.closeAllConnections?.(), 2000);
        grace.unref();
        await closing;
        clearTimeout(grace);
        for (const store of stores.values()) await (await store.catch(() => undefined))?.close?.();
        await runtime.close();
        app.log.info(result, 'shut down');
        return result;
      })();
      return shuttingDown;
    },
  };
}

/** A cookie-authenticated action without its CSRF token or from another origin: 403, said and logged. */
async function refuseCsrf(request: FastifyRequest, reply: FastifyReply, message: string): Promise<void> {
  request.log.warn({ reason: 'csrf' }, 'request refused: cross-site or without the CSRF header');
  await reply.code(403).send({ statusCode: 403, error: 'Forbidden', message });
}

function statusText(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

/** The base URL the API answers on: the port it listens on once it does (`port: 0` picks one). */
function servedAt(app: FastifyInstance, config: { host: string; port: number }): string {
  const address = app.server.address();
  const port = address !== null && typeof address === 'object' ? address.port : config.port;
  return `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
}
