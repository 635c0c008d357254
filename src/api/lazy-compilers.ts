// Route schemas compiled when a route first needs them rather than all at start. The management API
// has some eighty routes, and compiling every validator (ajv) and serializer (fast-json-stringify) up
// front was most of the time it took to build the application, which every `starling start` and every
// `starling ctl` on a stopped broker's data directory (one request) pays. The compilers are fastify's
// own defaults; only the moment changes. A schema mistake then shows at the route's first request,
// which the route tests make.

import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type Validate = ((data: unknown) => unknown) & { errors?: unknown };

export function lazyCompilers(): CompilersFactory {
  const buildValidator = AjvCompiler();
  const buildSerializer = SerializerSelector();
  return {
    buildValidator: (externalSchemas, options) => {
      const compile = buildValidator(externalSchemas as never, options as never);
      return (route) => {
        let validate: Validate | undefined;
        // Fastify reads the errors of a failed validation from the function it was given.
        const lazy: Validate = (data) => {
          validate ??= compile(route as never) as unknown as Validate;
          const result = validate(data);
          lazy.errors = validate.errors;
          return result;
        };
        return lazy as never;
      };
    },
    buildSerializer: (externalSchemas, options) => {
      const compile = buildSerializer(externalSchemas as never, options as never);
      return (route) => {
        let serialize: ((data: unknown) => string) | undefined;
        return (data: unknown) => (serialize ??= compile(route as never) as (data: unknown) => string)(data);
      };
    },
  };
}
