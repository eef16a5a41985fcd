import { parseEnvAssignment, parsePort, parseTtl, type CreateSessionRequest } from '../domain/session-request.js';
import { MaiError } from '../errors.js';

/**
 * `new [--driver D] [--name N] [--project URL] [-e K=V]... [-p PORT]... [--model P/M]
 * [--mcp NAME]... [--egress E] [--ttl 2h]` as typed after `ssh alice@gw`. Flags take
 * `--flag value` or `--flag=value`.
 */
export function parseNewCommand(args: string[]): CreateSessionRequest {
  const request: CreateSessionRequest & { env: Record<string, string>; ports: ReturnType<typeof parsePort>[] } = {
    env: {},
    ports: [],
  };
  const mcp: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = () => {
      if (eq > 0) return arg.slice(eq + 1);
      const next = args[++i];
      if (next === undefined) throw new MaiError('INPUT_INVALID', `${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--driver':
      case '-d':
        request.driver = value();
        break;
      case '--name':
      case '-n':
        request.name = value();
        break;
      case '--project':
        request.projectUrl = value();
        break;
      case '-e':
      case '--env': {
        const [key, val] = parseEnvAssignment(value());
        request.env[key] = val;
        break;
      }
      case '-p':
      case '--port':
        request.ports.push(parsePort(value()));
        break;
      case '--model':
        request.model = value();
        break;
      case '--mcp':
        mcp.push(value());
        break;
      case '--egress':
        request.egress = value();
        break;
      case '--ttl':
        request.ttl = parseTtl(value());
        break;
      default:
        throw new MaiError('INPUT_INVALID', `new: unknown option "${arg}" (try: help)`);
    }
  }
  return mcp.length ? { ...request, mcp } : request;
}
