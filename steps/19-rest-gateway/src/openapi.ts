// An OpenAPI 3.1 document from the same routes the gateway serves: paths and
// parameters from the google.api.http options, schemas from the messages in
// their proto3 JSON shape (lowerCamelCase names, 64-bit integers as strings).
import { type DescField, type DescMessage, type DescService, ScalarType } from '@bufbuild/protobuf';
import { commentOf } from './descriptors.js';
import type { Route } from './routes.js';

type Schema = Record<string, unknown>;

const ERROR_SCHEMA: Schema = {
  type: 'object',
  description: 'google.rpc.Status as JSON, the way Google APIs answer errors.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'status'],
      properties: {
        code: { type: 'integer', description: 'The HTTP status.' },
        message: { type: 'string' },
        status: { type: 'string', description: 'The gRPC status code name, e.g. INVALID_ARGUMENT.' },
        details: { type: 'array', items: { type: 'object', properties: { '@type': { type: 'string' } }, required: ['@type'] } },
      },
    },
  },
};

function scalarSchema(type: ScalarType): Schema {
  switch (type) {
    case ScalarType.BOOL:
      return { type: 'boolean' };
    case ScalarType.STRING:
      return { type: 'string' };
    case ScalarType.BYTES:
      return { type: 'string', contentEncoding: 'base64' };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return { type: 'number' };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: 'integer', format: 'int32' };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: 'integer', format: 'int32', minimum: 0 };
    default:
      // 64-bit integers are strings in proto3 JSON: a JavaScript number cannot hold them.
      return { type: 'string', format: 'int64' };
  }
}

const ref = (message: DescMessage) => ({ $ref: `#/components/schemas/${message.typeName}` });

function fieldSchema(field: DescField, schemas: Map<string, Schema>): Schema {
  const one = (kind: DescField): Schema => {
    if (kind.fieldKind === 'scalar' || (kind.fieldKind === 'list' && kind.listKind === 'scalar'))
      return scalarSchema(kind.scalar as ScalarType);
    if (kind.fieldKind === 'enum' || (kind.fieldKind === 'list' && kind.listKind === 'enum')) {
      return { type: 'string', enum: (kind.enum as NonNullable<typeof kind.enum>).values.map((v) => v.name) };
    }
    const message = kind.message as DescMessage;
    addSchema(message, schemas);
    return ref(message);
  };
  if (field.fieldKind === 'list') return { type: 'array', items: one(field) };
  if (field.fieldKind === 'map') return { type: 'object', additionalProperties: true };
  return one(field);
}

function addSchema(message: DescMessage, schemas: Map<string, Schema>): void {
  if (schemas.has(message.typeName)) return;
  const properties: Schema = {};
  schemas.set(message.typeName, { type: 'object', properties });
  for (const field of message.fields) properties[field.jsonName] = fieldSchema(field, schemas);
}

export function openApiOf(service: DescService, routes: Route[]): Schema {
  const schemas = new Map<string, Schema>();
  const paths: Record<string, Record<string, Schema>> = {};
  for (const route of routes) {
    const { method } = route;
    addSchema(method.input, schemas);
    addSchema(method.output, schemas);
    const streaming = method.methodKind === 'server_streaming';
    const parameters = [
      ...route.pathFields.map((f) => ({ name: f.name, in: 'path', required: true, schema: fieldSchema(f, schemas) })),
      ...(route.verb === 'GET' || route.body !== '*'
        ? route.queryFields.map((f) => ({ name: f.jsonName, in: 'query', required: false, schema: fieldSchema(f, schemas) }))
        : []),
    ];
    const operations = paths[route.template] ?? {};
    paths[route.template] = operations;
    const index = routes.filter((r) => r.method === method).indexOf(route);
    operations[route.verb.toLowerCase()] = {
      operationId: index === 0 ? method.name : `${method.name}${index + 1}`,
      summary: commentOf(method) || method.name,
      description: `gRPC ${route.grpcPath}${streaming ? ': one JSON message per line (newline-delimited JSON), an error as a last line {"error": …}' : ''}.`,
      parameters,
      ...(route.body !== '' && {
        requestBody: { required: true, content: { 'application/json': { schema: ref(method.input) } } },
      }),
      responses: {
        '200': {
          description: streaming ? `${method.output.name} messages, one per line` : method.output.name,
          content: { [streaming ? 'application/x-ndjson' : 'application/json']: { schema: ref(method.output) } },
        },
        default: {
          description: 'An error: the gRPC status mapped to HTTP',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
      security: [{ bearer: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: service.typeName,
      version: service.file.proto.package.split('.').at(-1) || '1',
      description: commentOf(service) || `The ${service.typeName} service over HTTP.`,
    },
    paths,
    components: {
      schemas: { ...Object.fromEntries([...schemas].sort(([a], [b]) => a.localeCompare(b))), Error: ERROR_SCHEMA },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    },
  };
}
