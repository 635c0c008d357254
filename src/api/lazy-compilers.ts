// Validators and serializers compiled on a route's first use instead of when the application starts.
// Compiling every route's schemas up front costs about a second of CPU per application (ajv and
// fast-json-stringify), paid by every broker start and every `starling ctl` run on a stopped broker,
// which serves a single request; compiled lazily, each route pays a few milliseconds once.

import AjvCompiler from '@fastify/ajv-compiler';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import type { FastifySchemaCompiler } from 'fastify';
import type { ApiApp } from './app.js';

type Validate = ((this: unknown, data: unknown) => unknown) & { errors?: unknown };
/** ajv's options (fastify's ajv compiler passes them on). */
type AjvOptions = Record<string, unknown>;

export function compileLazily(app: ApiApp, ajvOptions: AjvOptions): void {
  const compileValidator = AjvCompiler()({}, { customOptions: ajvOptions });
  const compileSerializer = SerializerSelector()();
  app.setValidatorCompiler((route) => {
    let validate: Validate | undefined;
    const lazy = function (this: unknown, data: unknown): unknown {
      validate ??= compileValidator(route as Parameters<typeof compileValidator>[0]) as Validate;
      return validate.call(this, data);
    };
    // Fastify reads a failed validation's errors from the function it was given.
    Object.defineProperty(lazy, 'errors', { get: () => validate?.errors });
    return lazy as ReturnType<FastifySchemaCompiler<unknown>>;
  });
  app.setSerializerCompiler((route) => {
    let serialize: ((data: unknown) => string) | undefined;
    return (data: unknown) => (serialize ??= compileSerializer(route as Parameters<typeof compileSerializer>[0]))(data);
  });
}
