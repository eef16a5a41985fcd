export function usageText(user: string, host: string): string {
  return `Usage (mai SSH gateway):
  ssh -t ${user}@${host} SESSION            shell in SESSION (id or name)
  ssh ${user}@${host} SESSION CMD ARGS...   run CMD in SESSION
  ssh ${user}+SESSION@${host}               same, by login name (sftp, scp, ssh -L, ssh -R)
  ssh -t ${user}@${host} watch SESSION      SESSION's terminal, read-only
  ssh -t ${user}@${host} new [--driver D] [--name N] [--project URL] [-e K=V]... [--ttl 8h]
        [--model PROVIDER/MODEL] [--mcp NAME]... [--egress open|none|allow:HOST,...]
  ssh ${user}@${host} ls [--json]           list your sessions
  ssh ${user}@${host} close SESSION...      close sessions
  ssh ${user}@${host} logs SESSION [-f] [--tail N|all]   session output (last 10000 lines by default)
  ssh ${user}@${host} help                  this text
`;
}
