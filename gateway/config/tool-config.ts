import { z } from 'zod';
import { egressSchema, OPEN_EGRESS } from '../domain/egress.js';
import { MCP_NAME, mcpServerSchema, MODEL_REF, providerSchema, uniqueByName } from '../domain/tool-definitions.js';

/**
 * The AI tool settings both configs share (`mai-service.yaml` and the CLI's config.yaml):
 * model providers, MCP servers, what a session gets when it names none, and egress.
 */
export const toolConfigShape = {
  /** Model providers everyone on this server (or this machine) may name; keys as `${VAR}`. */
  providers: uniqueByName(providerSchema),
  /** `PROVIDER/MODEL` for sessions that name none, when their driver can take that provider. */
  defaultModel: z.string().regex(MODEL_REF, 'expected PROVIDER/MODEL').optional(),
  /** MCP servers everyone may name with `--mcp NAME`. */
  mcp: uniqueByName(mcpServerSchema),
  /** MCP servers of sessions that name none (`--mcp`), where their driver can take them. */
  defaultMcp: z.array(z.string().regex(MCP_NAME, 'must be an MCP server name')).default([]),
  egress: z
    .object({
      /** `open`, `none` or `allow:HOST,...`: what a session gets when it asks for nothing. */
      default: egressSchema.default(OPEN_EGRESS),
      /** Every session gets the default; asking for another is refused. */
      force: z.boolean().default(false),
    })
    .strict()
    .prefault({}),
};
