import type { ServerChannel } from 'ssh2';
import { sessionTable, sessionView, type SessionView } from '../domain/session-view.js';
import type { SessionRecord } from '../domain/types.js';
import type { ConnectionContext } from './connection-context.js';
import { parseNewCommand } from './new-command.js';
import type { Route } from './route.js';
import { usageText } from './usage.js';

type ManagementRoute = Exclude<Route, { kind: 'shell' } | { kind: 'exec' } | { kind: 'watch' }>;

/**
 * The management commands (`ls`, `new`, `close`, `logs`, `help`, none): the same
 * domain calls as REST and the CLI, rendered as text. Returns the exit code, or,
 * for `new` with a pty, the created session for the caller to attach to.
 */
export async function runManagement(
  route: ManagementRoute,
  channel: ServerChannel,
  ctx: ConnectionContext,
  hasPty: boolean,
): Promise<number | SessionRecord> {
  const { actor } = ctx.identity;
  // A client with a pty has its terminal in raw mode: lines need \r\n.
  const eol = (text: string) => (hasPty ? text.replace(/\r?\n/g, '\r\n') : text);
  const out = (text: string) => channel.write(eol(text));
  switch (route.kind) {
    case 'usage': {
      out(sessionTable(await views(ctx)));
      out(`\n${usageText(actor.name, ctx.host)}`);
      return 0;
    }
    case 'help':
      out(usageText(actor.name, ctx.host));
      return 0;
    case 'list': {
      const sessions = await views(ctx);
      out(route.json ? `${JSON.stringify(sessions)}\n` : sessionTable(sessions));
      return 0;
    }
    case 'new': {
      const request = parseNewCommand(route.args);
      const session = await ctx.sessions.create(actor, request, (line) => channel.stderr.write(eol(`${line}\n`)));
      out(`${session.id}\n`);
      return hasPty ? session : 0;
    }
    case 'close': {
      const sessions = await Promise.all(route.sessions.map((ref) => ctx.sessions.find(actor, ref)));
      for (const session of sessions) {
        await ctx.sessions.close(session, { by: actor });
        out(`${session.id}\n`);
      }
      return 0;
    }
    case 'logs': {
      const session = await ctx.sessions.find(actor, route.session);
      const logs = await ctx.sessions.logs(session, { follow: route.follow, ...(route.tail !== undefined ? { tail: route.tail } : {}) });
      // `logs` reads no input. Drained, the channel's input ends, and only then does ssh2
      // report the channel closed when the client goes: a followed log must stop then.
      channel.resume();
      channel.on('close', () => logs.destroy());
      logs.pipe(channel, { end: false });
      await new Promise<void>((resolve) => logs.on('end', resolve).on('close', resolve).on('error', () => resolve()));
      return 0;
    }
  }
}

/** The actor's sessions as clients see them, with what the lifecycle does next to each. */
async function views(ctx: ConnectionContext): Promise<SessionView[]> {
  return (await ctx.sessions.list(ctx.identity.actor)).map((s) => sessionView(s, ctx.sessions.lifecycle));
}
