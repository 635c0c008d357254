// The built-in MQTT users at EMQX's path (/api/v5/authentication/password_based:built_in_database/users):
// `user_id` and `is_superuser` as EMQX names them, plus Starling's own `client_id` binding and the
// password hash and minimum-length options of `starling ctl users`, which runs the same routes.

import { Type } from 'typebox';
import type { UserSummary } from '../../auth/users.js';
import { addUser, AdminError, deleteUser, listUsers, setUserPassword, updateUser } from '../../admin/operations.js';
import type { ApiApp } from '../app.js';
import type { ApiContext } from '../context.js';
import { NoContent, Paged, pageOf, PageQuery, refusals, StringEnum } from '../schemas.js';

// Fastify reads ':' as a parameter; '::' is a literal colon.
export const USERS_PATH = '/api/v5/authentication/password_based::built_in_database/users';

const User = Type.Object({
  user_id: Type.String(),
  is_superuser: Type.Boolean(),
  client_id: Type.Optional(Type.String({ description: 'The only client id this user may connect with (Starling)' })),
});
const PasswordOptions = {
  hash: Type.Optional(StringEnum(['argon2id', 'scrypt'], { description: 'Hash for this password (default: password_hash)' })),
  force: Type.Optional(Type.Boolean({ description: 'Accept a password shorter than 8 characters' })),
};
const UserId = Type.Object({ user_id: Type.String() });

function shape(user: UserSummary) {
  return { user_id: user.username, is_superuser: user.superuser, ...(user.clientId === undefined ? {} : { client_id: user.clientId }) };
}

export function builtinUserRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['MQTT users'];
  app.get(
    USERS_PATH,
    {
      schema: {
        tags,
        summary: 'List built-in MQTT users',
        querystring: Type.Object({ ...PageQuery, like_user_id: Type.Optional(Type.String({ description: 'Substring of the user id' })), is_superuser: Type.Optional(Type.Boolean()) }),
        response: { 200: Paged(User), ...refusals(400) },
      },
    },
    (request) => {
      const { page, limit, like_user_id, is_superuser } = request.query;
      const users = listUsers(context.admin).filter(
        (user) => (like_user_id === undefined || user.username.includes(like_user_id)) && (is_superuser === undefined || user.superuser === is_superuser),
      );
      return { ...pageOf(users.map(shape), page, limit) };
    },
  );

  app.post(
    USERS_PATH,
    {
      schema: {
        tags,
        summary: 'Add a built-in MQTT user',
        body: Type.Object(
          { user_id: Type.String(), password: Type.String(), is_superuser: Type.Optional(Type.Boolean()), client_id: Type.Optional(Type.String()), ...PasswordOptions },
          { additionalProperties: false },
        ),
        response: { 201: User, ...refusals(400, 409) },
      },
    },
    async (request, reply) => {
      const { user_id, password, is_superuser, client_id, hash, force } = request.body;
      const user = await addUser(context.admin, {
        username: user_id,
        password,
        ...(is_superuser === undefined ? {} : { superuser: is_superuser }),
        ...(client_id === undefined ? {} : { clientId: client_id }),
        ...(hash === undefined ? {} : { hash }),
        ...(force === undefined ? {} : { force }),
      });
      return reply.code(201).send(shape(user));
    },
  );

  app.get(`${USERS_PATH}/:user_id`, { schema: { tags, summary: 'One built-in MQTT user', params: UserId, response: { 200: User, ...refusals(404) } } }, (request) => {
    const user = listUsers(context.admin).find((candidate) => candidate.username === request.params.user_id);
    if (user === undefined) throw new AdminError(404, `unknown user ${request.params.user_id}`, 'NOT_FOUND');
    return shape(user);
  });

  app.put(
    `${USERS_PATH}/:user_id`,
    {
      schema: {
        tags,
        summary: "Change a user's password, superuser flag or client id binding (client_id null removes it)",
        params: UserId,
        body: Type.Object(
          { password: Type.Optional(Type.String()), is_superuser: Type.Optional(Type.Boolean()), client_id: Type.Optional(Type.Union([Type.String(), Type.Null()])), ...PasswordOptions },
          { additionalProperties: false },
        ),
        response: { 200: User, ...refusals(400, 404) },
      },
    },
    async (request) => {
      const { user_id } = request.params;
      const { password, is_superuser, client_id, hash, force } = request.body;
      if (password !== undefined) await setUserPassword(context.admin, user_id, password, { ...(hash === undefined ? {} : { hash }), ...(force === undefined ? {} : { force }) });
      return shape(await updateUser(context.admin, user_id, { ...(is_superuser === undefined ? {} : { superuser: is_superuser }), ...(client_id === undefined ? {} : { clientId: client_id }) }));
    },
  );

  app.delete(`${USERS_PATH}/:user_id`, { schema: { tags, summary: 'Delete a built-in MQTT user', params: UserId, response: { 204: NoContent, ...refusals(404) } } }, async (request, reply) => {
    await deleteUser(context.admin, request.params.user_id);
    return reply.code(204).send(null);
  });
}
