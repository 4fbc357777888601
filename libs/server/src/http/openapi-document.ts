/** The part of an OpenAPI document this module completes. */
interface OpenApiDocument {
  servers?: Array<{ url: string; description?: string }>;
  paths?: Record<string, Record<string, OpenApiOperation | undefined>>;
}

interface OpenApiOperation {
  operationId?: string;
  responses?: Record<string, unknown>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: { required?: unknown[] } }> };
}

/** The operationId of each route, stable for client generators; a route missing here gets one made from its method and path. */
const OPERATION_IDS: Record<string, string> = {
  'get /healthz': 'getHealth',
  'get /readyz': 'getReadiness',
  'get /metrics': 'getMetrics',
  'get /v1/providers': 'listProviders',
  'get /v1/providers/{name}': 'getProvider',
  'post /v1/providers/{name}/jobs': 'startJob',
  'get /v1/providers/{name}/ledger': 'listLedgerRecords',
  'get /v1/providers/{name}/quarantine': 'listQuarantinedFiles',
  'post /v1/providers/{name}/quarantine/release': 'releaseQuarantinedFile',
  'get /v1/providers/{name}/check': 'checkProvider',
  'get /v1/providers/{name}/pending': 'listPendingFiles',
  'get /v1/jobs': 'listJobs',
  'get /v1/jobs/{id}': 'getJob',
  'delete /v1/jobs/{id}': 'cancelJob',
  'get /v1/jobs/{id}/events': 'followJobEvents',
  'post /v1/session': 'createSession',
  'get /v1/session': 'getSession',
  'delete /v1/session': 'deleteSession',
};

/** What every route may answer: the per-address rate limit runs before routing (see rate-limits.ts). */
const TOO_MANY_REQUESTS = {
  description: 'Too many requests from this address (api.rateLimit), or too many failed authentications; retry after Retry-After seconds',
  headers: { 'Retry-After': { description: 'seconds to wait', schema: { type: 'integer', minimum: 1 } } },
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['statusCode', 'error', 'message'],
        properties: { statusCode: { type: 'integer', const: 429 }, error: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/**
 * Completes the document @fastify/swagger generates so it lints clean (Redocly's recommended
 * rules): an operationId on every operation, the server it is served from, the 429 every route
 * may answer, and a body that may be left out marked not required (@fastify/swagger marks
 * every body required).
 */
export function completeOpenApiDocument<T>(document: T, serverUrl: string): T {
  const doc = document as OpenApiDocument;
  doc.servers = [{ url: serverUrl, description: 'this octo serve (api.host and api.port)' }];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!operation || !METHODS.has(method)) continue;
      operation.operationId ??= OPERATION_IDS[`${method} ${path}`] ?? derivedOperationId(method, path);
      operation.responses = { ...operation.responses, '429': operation.responses?.['429'] ?? TOO_MANY_REQUESTS };
      const body = operation.requestBody;
      if (body && Object.values(body.content ?? {}).every((media) => !media.schema?.required?.length)) body.required = false;
    }
  }
  return document;
}

/** `get /v1/jobs/{id}/events` -> `getV1JobsIdEvents`. */
function derivedOperationId(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method + words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('');
}
