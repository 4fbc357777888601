import type { FastifySchemaCompiler, FastifyTypeProvider } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { z } from 'zod';

/** Lets route handlers see the types of their zod schemas (request: output, reply: input). */
export interface ZodTypeProvider extends FastifyTypeProvider {
  validator: this['schema'] extends z.ZodType ? z.output<this['schema']> : unknown;
  serializer: this['schema'] extends z.ZodType ? z.input<this['schema']> : unknown;
}

function isZod(schema: unknown): schema is z.ZodType {
  return schema instanceof z.ZodType;
}

/** A request part that did not match its schema; the error handler turns it into a 400. */
export class RequestValidationError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_VALIDATION';
  constructor(
    readonly validationContext: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    super(
      issues
        .map((issue) => {
          const where = [validationContext, ...issue.path.map(String)].join('.');
          return `${where}: ${issue.message}`;
        })
        .join('; '),
    );
    this.name = 'RequestValidationError';
  }
}

/** Validates params, querystring, headers and body with their zod schemas. */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  if (!isZod(schema)) throw new Error(`route schema for ${httpPart ?? 'request'} must be a zod schema`);
  return (data: unknown) => {
    const result = schema.safeParse(data);
    return result.success ? { value: result.data } : { error: new RequestValidationError(httpPart ?? 'request', result.error.issues) };
  };
};

/** A response that does not match its declared schema: a bug on our side, answered as 500. */
export class ResponseValidationError extends Error {
  constructor(
    readonly route: string,
    readonly issues: readonly z.core.$ZodIssue[],
  ) {
    super(`response of ${route} does not match its schema: ${issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    this.name = 'ResponseValidationError';
  }
}

/** Checks every response against its zod schema before it is sent, and strips undeclared fields. */
export const zodSerializerCompiler: FastifySerializerCompiler<unknown> = ({ schema, method, url }) => {
  if (!isZod(schema)) return (data: unknown) => JSON.stringify(data);
  return (data: unknown) => {
    const result = schema.safeParse(data);
    if (!result.success) throw new ResponseValidationError(`${method} ${url}`, result.error.issues);
    return JSON.stringify(result.data);
  };
};

const PARTS = ['params', 'querystring', 'body', 'headers'] as const;

/** Converts one zod schema to JSON Schema for OpenAPI 3.1 (request side reads inputs, response side outputs). */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete json['$schema'];
  return json;
}

/** `@fastify/swagger` transform: turns the zod schemas of a route into JSON Schema. */
export function zodSwaggerTransform({ schema, url }: { schema: Record<string, unknown>; url: string }): { schema: Record<string, unknown>; url: string } {
  if (!schema) return { schema, url };
  const out: Record<string, unknown> = { ...schema };
  for (const part of PARTS) {
    let value = schema[part];
    // An optional body is documented by its shape; "absent" needs no schema of its own.
    while (value instanceof z.ZodOptional || value instanceof z.ZodNullable) value = value.unwrap();
    if (isZod(value)) out[part] = toJsonSchema(value, 'input');
  }
  const response = schema['response'] as Record<string, unknown> | undefined;
  if (response) {
    out['response'] = Object.fromEntries(
      Object.entries(response).map(([code, value]) => [code, isZod(value) ? toJsonSchema(value, 'output') : value]),
    );
  }
  return { schema: out, url };
}
