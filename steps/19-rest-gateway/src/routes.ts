// The gateway's routes, read at start-up from each method's google.api.http
// option: the verb and path template, which fields come from the path, which
// from the body, and that every other field is a query parameter.
import { type DescField, type DescMethod, type DescService, getOption, hasOption } from '@bufbuild/protobuf';
import { httpOption } from './descriptors.js';

export type Verb = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';

export interface Route {
  verb: Verb;
  /** As the annotation writes it: /v1/greet/{name} */
  template: string;
  /** As Fastify matches it: /v1/greet/:name */
  url: string;
  method: DescMethod;
  /** The gRPC path: /greeter.v1.Greeter/SayHello */
  grpcPath: string;
  /** Request fields bound to path segments. */
  pathFields: DescField[];
  /** '' (no body), '*' (the whole request) or one field's name. */
  body: string;
  /** The request fields a query string may set: those neither in the path nor in the body. */
  queryFields: DescField[];
}

/** google.api.HttpRule, as the registry decodes it (the `pattern` oneof). */
interface HttpRule {
  pattern: { case: 'get' | 'put' | 'post' | 'delete' | 'patch' | 'custom' | undefined; value?: unknown };
  body: string;
  additionalBindings: HttpRule[];
}

/** Every route the service's annotations declare; methods without one (Chat) get none. */
export function routesOf(service: DescService): Route[] {
  return service.methods.flatMap((method) => {
    if (!hasOption(method, httpOption)) return [];
    const rule = getOption(method, httpOption) as unknown as HttpRule;
    return [rule, ...rule.additionalBindings].map((binding) => routeOf(method, binding));
  });
}

function routeOf(method: DescMethod, rule: HttpRule): Route {
  const where = `${method.parent.typeName}.${method.name}`;
  const { pattern } = rule;
  if (pattern.case === undefined || pattern.case === 'custom')
    throw new Error(`${where}: only get, put, post, delete and patch are mapped`);
  const template = String(pattern.value);
  const fields = method.input.fields;
  const pathFields: DescField[] = [];
  const segments = template.split('/').map((segment) => {
    const variable = /^\{([a-z_][a-z0-9_]*)(=\*)?\}$/.exec(segment);
    if (!variable) {
      if (segment.includes('{')) throw new Error(`${where}: path variable ${segment} is not supported (one top-level field per segment)`);
      return segment;
    }
    const field = fields.find((f) => f.name === variable[1]);
    if (field?.fieldKind !== 'scalar') throw new Error(`${where}: ${segment} names no scalar field of ${method.input.typeName}`);
    pathFields.push(field);
    return `:${field.name}`;
  });
  const { body } = rule;
  if (body !== '' && body !== '*' && !fields.some((f) => f.name === body)) throw new Error(`${where}: body "${body}" is no field`);
  if (body !== '' && method.methodKind === 'server_streaming' && pattern.case === 'get') throw new Error(`${where}: GET has no body`);
  const queryFields = body === '*' ? [] : fields.filter((f) => !pathFields.includes(f) && f.name !== body);
  return {
    verb: pattern.case.toUpperCase() as Verb,
    template,
    url: segments.join('/'),
    method,
    grpcPath: `/${method.parent.typeName}/${method.name}`,
    pathFields,
    body,
    queryFields,
  };
}
