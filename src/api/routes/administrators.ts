// Administrators of the management plane (EMQX's /api/v5/users): list, add, change description and
// role, change password, delete. `starling ctl admins` runs the same routes. An administrator may
// change any password; anyone logged in may change their own, given the old one.

import { Type } from 'typebox';
import type { AdminRole } from '../../admin/admins.js';
import { addAdmin, AdminError, deleteAdmin, listAdmins, setAdminPassword, updateAdmin } from '../../admin/operations.js';
import type { ApiApp } from '../app.js';
import type { ApiContext } from '../context.js';
import { NoContent, refusals, StringEnum } from '../schemas.js';

const Role = StringEnum(['administrator', 'viewer'], { description: 'administrator: everything; viewer: read only' });
const Administrator = Type.Object({
  username: Type.String(),
  description: Type.String(),
  role: Role,
  created_at: Type.Integer({ description: 'Milliseconds since the epoch' }),
});
const Username = Type.Object({ username: Type.String() });

function shape(admin: { username: string; description: string; role: AdminRole; createdAt: number }) {
  return { username: admin.username, description: admin.description, role: admin.role, created_at: admin.createdAt };
}

export function administratorRoutes(app: ApiApp, context: ApiContext): void {
  const tags = ['Administrators'];
  app.get('/api/v5/users', { config: { bearerOnly: true }, schema: { tags, summary: 'List administrators', response: { 200: Type.Array(Administrator), ...refusals() } } }, () =>
    listAdmins(context.admin).map(shape),
  );

  app.post(
    '/api/v5/users',
    {
      config: { bearerOnly: true },
      schema: {
        tags,
        summary: 'Add an administrator',
        body: Type.Object(
          { username: Type.String(), password: Type.String(), description: Type.Optional(Type.String()), role: Type.Optional(Role) },
          { additionalProperties: false },
        ),
        response: { 200: Administrator, ...refusals(400, 409) },
      },
    },
    async (request) => {
      const { username, password, description, role } = request.body;
      return shape(await addAdmin(context.admin, { username, password, ...(description === undefined ? {} : { description }), ...(role === undefined ? {} : { role }) }));
    },
  );

  app.put(
    '/api/v5/users/:username',
    {
      config: { bearerOnly: true },
      schema: {
        tags,
        summary: "Change an administrator's description or role",
        params: Username,
        body: Type.Object({ description: Type.Optional(Type.String()), role: Type.Optional(Role) }, { additionalProperties: false }),
        response: { 200: Administrator, ...refusals(400, 404) },
      },
    },
    async (request) => shape(await updateAdmin(context.admin, request.params.username, request.body)),
  );

  app.delete(
    '/api/v5/users/:username',
    { config: { bearerOnly: true }, schema: { tags, summary: 'Delete an administrator', params: Username, response: { 204: NoContent, ...refusals(400, 404) } } },
    async (request, reply) => {
      if (request.principal.kind === 'admin' && request.principal.name === request.params.username) {
        throw new AdminError(400, 'Cannot delete self', 'NOT_ALLOWED');
      }
      await deleteAdmin(context.admin, request.params.username);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/api/v5/users/:username/change_pwd',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Change a password (your own with old_pwd; an administrator may change any)',
        params: Username,
        body: Type.Object({ old_pwd: Type.Optional(Type.String()), new_pwd: Type.String() }, { additionalProperties: false }),
        response: { 204: NoContent, ...refusals(400, 404) },
      },
    },
    async (request, reply) => {
      const { principal } = request;
      const { username } = request.params;
      const own = principal.kind === 'admin' && principal.name === username;
      if (!own && principal.role !== 'administrator') throw new AdminError(403, 'a viewer may change only their own password', 'UNAUTHORIZED_ROLE');
      if (own) {
        if (request.body.old_pwd === undefined) throw new AdminError(400, 'old_pwd: required to change your own password', 'BAD_REQUEST');
        if ((await context.admin.admins.verify(username, request.body.old_pwd)) === undefined) throw new AdminError(400, 'old_pwd: Old password not match', 'ERROR_PWD_NOT_MATCH');
      }
      await setAdminPassword(context.admin, username, request.body.new_pwd);
      return reply.code(204).send(null);
    },
  );
}
