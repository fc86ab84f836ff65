import { z } from 'zod';
import { API_ROUTES, type ApiResponseHeader } from './api-routes';
import { ZJsonValue } from './json';

type JsonSchema = Record<string, unknown>;

/**
 * zod's own JSON Schema output (OpenAPI 3.1 schemas are JSON Schema 2020-12). Recursive
 * parts come back as local `$defs`; they are moved into `components.schemas`, deduplicated
 * by content, and the references rewritten to point there.
 */
class SchemaCollector {
  readonly components: Record<string, JsonSchema> = {};
  private readonly byContent = new Map<string, string>();

  toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const generated = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      override: (ctx) => {
        // Any JSON value: `{}` in JSON Schema, rather than zod's unrolled recursive union.
        if ((ctx.zodSchema as unknown) === ZJsonValue) {
          for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as JsonSchema)[key];
          ctx.jsonSchema.description = 'Any JSON value';
        }
      },
    }) as JsonSchema;
    delete generated.$schema;
    const defs = (generated.$defs ?? {}) as Record<string, JsonSchema>;
    delete generated.$defs;
    const renamed = new Map<string, string>();
    for (const [local, def] of Object.entries(defs)) {
      const content = JSON.stringify(def);
      let name = this.byContent.get(content);
      if (!name) {
        name = def.description === 'Any JSON value' ? 'JsonValue' : `Schema${this.byContent.size + 1}`;
        this.byContent.set(content, name);
        this.components[name] = def;
      }
      renamed.set(`#/$defs/${local}`, `#/components/schemas/${name}`);
    }
    return JSON.parse(
      JSON.stringify(generated, (key, value) =>
        key === '$ref' && renamed.has(value) ? renamed.get(value) : value,
      ),
    ) as JsonSchema;
  }
}

function parameters(path: string, query: z.ZodObject | undefined, collector: SchemaCollector) {
  const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const inQuery = Object.entries(query?.shape ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: !(schema as z.ZodType).safeParse(undefined).success,
    schema: collector.toSchema(schema as z.ZodType, 'input'),
  }));
  return [...inPath, ...inQuery];
}

/**
 * Response headers as references into `components.headers`: the limit headers appear on
 * nearly every answer, so each distinct one is written out once.
 */
function headerRefs(
  declared: Record<string, ApiResponseHeader>,
  components: Map<string, { name: string; header: ApiResponseHeader }>,
) {
  return Object.fromEntries(
    Object.entries(declared).map(([field, header]) => {
      const content = JSON.stringify(header);
      let entry = components.get(content);
      if (!entry) {
        const base = `${field.replace(/-/g, '')}${header.required ? '' : 'Optional'}`;
        const names = new Set([...components.values()].map((e) => e.name));
        let name = base;
        for (let n = 2; names.has(name); n += 1) name = `${base}${n}`;
        entry = { name, header };
        components.set(content, entry);
      }
      return [field, { $ref: `#/components/headers/${entry.name}` }];
    }),
  );
}

/** The OpenAPI 3.1 document, generated from the route table and its zod schemas. */
export function buildOpenApiDocument(serverUrl = '/') {
  const collector = new SchemaCollector();
  const headers = new Map<string, { name: string; header: ApiResponseHeader }>();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of API_ROUTES) {
    const operation = {
      summary: route.summary,
      tags: [route.tag],
      security: route.auth ? [{ ApiKey: [] }] : [],
      parameters: parameters(route.path, route.query, collector),
      ...(route.body
        ? {
            requestBody: {
              required: !route.path.startsWith('/v1/query/'),
              content: Object.fromEntries(
                route.body.contentTypes.map((type) => [
                  type,
                  { schema: collector.toSchema(route.body?.schema ?? z.unknown(), 'input') },
                ]),
              ),
            },
          }
        : {}),
      responses: Object.fromEntries(
        Object.entries(route.responses).map(([status, response]) => [
          status,
          {
            description: response.description,
            ...(response.headers ? { headers: headerRefs(response.headers, headers) } : {}),
            ...(response.schema || response.contentType
              ? {
                  content: {
                    [response.contentType ?? 'application/json']: {
                      schema: response.schema
                        ? collector.toSchema(response.schema, 'output')
                        : { type: 'string' },
                    },
                  },
                }
              : {}),
          },
        ]),
      ),
    };
    paths[route.path] = { ...paths[route.path], [route.method]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Analytics Jobs API',
      version: '1.0.0',
      description:
        'Upload datasets, save queries, run them synchronously or as asynchronous jobs, and poll job status and results.',
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes: { ApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
      headers: Object.fromEntries([...headers.values()].map((e) => [e.name, e.header])),
      schemas: collector.components,
    },
  };
}
