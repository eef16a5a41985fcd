import type { ProjectInput, ProjectView } from '../../gateway/domain/project-service.js';
import { parseProjectUrl } from '../../gateway/domain/project-url.js';
import { sealTo } from '../../keys/secret-box.js';
import type { CliContext } from '../context.js';
import { ApiClient } from '../remote/api-client.js';
import { remoteFor } from '../remote/remotes.js';
import { StoredLoginSource } from '../remote/stored-login.js';

/**
 * `mai -r NAME project ...`: the server's /projects API. A secret is sealed to
 * the server's X25519 key (GET /projects/key) before it is sent: it is never
 * readable in transit logs or by anything but the server, even behind a TLS-terminating proxy.
 */
export async function remoteProjects(ctx: CliContext, name: string) {
  const remote = remoteFor(ctx, name);
  const login = await StoredLoginSource.open(remote);
  const api = new ApiClient(remote, login);
  const path = (ref: string) => `/projects/${encodeURIComponent(idOf(ref))}`;
  return {
    async save(input: ProjectInput): Promise<{ project: ProjectView; created: boolean }> {
      const { publicKey } = await api.json<{ publicKey: string }>('GET', '/projects/key');
      const body: ProjectInput = { ...input };
      // Sealed for this user: the server opens it for no one else.
      if (body.sshKey !== undefined) body.sshKey = await sealTo(publicKey, body.sshKey, login.user);
      if (body.token !== undefined) body.token = await sealTo(publicKey, body.token, login.user);
      const before = await api.json<{ projects: ProjectView[] }>('GET', '/projects');
      const project = await api.json<ProjectView>('POST', '/projects', { body });
      return { project, created: !before.projects.some((p) => p.id === project.id) };
    },
    async list(): Promise<ProjectView[]> {
      return (await api.json<{ projects: ProjectView[] }>('GET', '/projects')).projects;
    },
    async remove(ref: string): Promise<void> {
      await api.json<void>('DELETE', path(ref));
    },
  };
}

/** The API names projects by id; users type URLs. */
function idOf(ref: string): string {
  try {
    return parseProjectUrl(ref).id;
  } catch {
    return ref;
  }
}
