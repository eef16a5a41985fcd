import { decryptAtRest, encryptAtRest, type BoxKeyPair } from '../../keys/secret-box.js';
import type { ContainerFile } from '../backend/backend.js';
import { MaiError } from '../errors.js';
import type { ProjectRecord, ProjectStore } from '../store/project-store.js';
import { checkCaCert, checkGitUsername, checkKnownHosts, checkSshPrivateKey, checkToken } from './project-credentials.js';
import { httpsCloneUrl, parseProjectUrl, sshCloneUrl } from './project-url.js';
import { noEvents, type Events } from './events.js';
import { unsealInput } from './sealed-input.js';
import type { Actor } from './types.js';

/** Where a session finds what a project needs; mai-init.sh reads these paths. */
export const SESSION_USER_ID = 1000;
export const PROJECT_FILES = {
  sshKey: '/run/mai/secrets/git-ssh-key',
  token: '/run/mai/secrets/git-token',
  knownHosts: '/run/mai/ssh/known_hosts',
  caCert: '/run/mai/git/ca.pem',
} as const;

/** What a user gives: a URL and at most one secret (plain, or sealed to the server's key). */
export interface ProjectInput {
  url: string;
  sshKey?: string;
  token?: string;
  username?: string;
  knownHosts?: string;
  caCert?: string;
}

/** A project as every front end shows it: never the secret. */
export interface ProjectView {
  id: string;
  owner: string;
  url: string;
  auth: 'ssh' | 'token' | 'none';
  publicKey: string | null;
  username: string | null;
  knownHosts: boolean;
  caCert: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What a session needs from its project: the URL to clone and files placed before start. */
export interface SessionProject {
  cloneUrl: string;
  files: ContainerFile[];
  env: Record<string, string>;
}

export interface ProjectServiceOptions {
  store: ProjectStore;
  /** The at-rest key; null when none is configured (then only listing works). */
  key: Uint8Array | null;
  /** The server's X25519 key pair for sealed secrets (REST); absent in local mode. */
  boxKeys?: BoxKeyPair;
  events?: Events;
  now?: () => Date;
}

export function projectView(p: ProjectRecord): ProjectView {
  return {
    id: p.id,
    owner: p.owner,
    url: p.url,
    auth: p.authType,
    publicKey: p.publicKey,
    username: p.username,
    knownHosts: p.knownHosts !== null,
    caCert: p.caCert !== null,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

/**
 * Projects: repositories a user works on and the credentials to clone them,
 * encrypted at rest. Every front end (CLI local mode, REST) goes through here;
 * sessions get a project's material only through `forSession`.
 */
export class ProjectService {
  private readonly events: Events;
  private readonly now: () => Date;

  constructor(private readonly options: ProjectServiceOptions) {
    this.events = options.events ?? noEvents;
    this.now = options.now ?? (() => new Date());
  }

  /** Base64 of the X25519 public key remote CLIs seal to. */
  publicKey(): string {
    if (!this.options.boxKeys) throw new MaiError('CONFIG_INVALID', 'this server has no key for sealed secrets');
    return Buffer.from(this.options.boxKeys.publicKey).toString('base64');
  }

  /**
   * Adds a project, or replaces the owner's project of the same repository.
   * `expectId` (PUT /projects/{id}) must be the id the URL normalizes to.
   */
  async save(owner: Actor, input: ProjectInput, expectId?: string): Promise<{ project: ProjectView; created: boolean }> {
    const url = parseProjectUrl(input.url);
    if (expectId !== undefined && expectId !== url.id) {
      throw new MaiError('INPUT_INVALID', `the URL is the project "${url.id}", not "${expectId}"`);
    }
    if (input.sshKey !== undefined && input.token !== undefined) throw new MaiError('INPUT_INVALID', 'give an SSH key or a token, not both');
    const context = contextOf(owner.name, url.id);
    let authType: ProjectRecord['authType'] = 'none';
    let secret: string | null = null;
    let publicKey: string | null = null;
    let cloneUrl = url.cloneUrl;
    if (input.sshKey !== undefined) {
      const checked = checkSshPrivateKey(await this.unseal(input.sshKey, owner.name));
      authType = 'ssh';
      publicKey = checked.publicKey;
      secret = await encryptAtRest(this.key(), checked.key, context);
      cloneUrl = sshCloneUrl(url);
    } else if (input.token !== undefined) {
      authType = 'token';
      secret = await encryptAtRest(this.key(), checkToken(await this.unseal(input.token, owner.name)), context);
      cloneUrl = httpsCloneUrl(url);
    }
    const stamp = this.now().toISOString();
    const existing = await this.options.store.getProject(owner.name, url.id);
    const record: ProjectRecord = {
      owner: owner.name,
      id: url.id,
      url: cloneUrl,
      authType,
      secret,
      publicKey,
      username: authType === 'token' && input.username ? checkGitUsername(input.username) : null,
      knownHosts: input.knownHosts !== undefined ? checkKnownHosts(input.knownHosts) : null,
      caCert: input.caCert !== undefined ? checkCaCert(input.caCert) : null,
      createdAt: existing?.createdAt ?? stamp,
      updatedAt: stamp,
    };
    const created = await this.options.store.upsertProject(record);
    this.events.emit(created ? 'project.added' : 'project.updated', { owner: owner.name, project: url.id, auth: authType });
    return { project: projectView(record), created };
  }

  /** The actor's projects (admins with `all`: everyone's). */
  async list(actor: Actor, options: { all?: boolean } = {}): Promise<ProjectView[]> {
    const rows = await this.options.store.listProjects(actor.admin && options.all ? undefined : actor.name);
    return rows.map(projectView);
  }

  /** A project by URL or id; another user's is PROJECT_NOT_FOUND (admins may name the `owner`). */
  async get(actor: Actor, ref: string, owner?: string): Promise<ProjectView> {
    return projectView(await this.find(actor, ref, owner));
  }

  async remove(actor: Actor, ref: string, owner?: string): Promise<void> {
    const project = await this.find(actor, ref, owner);
    await this.options.store.deleteProject(project.owner, project.id);
    this.events.emit('project.removed', { owner: project.owner, project: project.id, by: actor.name });
  }

  /**
   * What a session of `owner` needs to clone `url`: the stored project's URL and
   * credentials as files (never env), or the URL alone when no project matches.
   */
  async forSession(owner: string, url: string): Promise<SessionProject> {
    // A path inside the container (a mounted checkout) has no host and no credentials.
    if (url.startsWith('/')) return { cloneUrl: url, files: [], env: {} };
    const parsed = parseProjectUrl(url);
    const project = await this.options.store.getProject(owner, parsed.id);
    if (!project) return { cloneUrl: parsed.cloneUrl, files: [], env: {} };
    const file = (path: string, content: string, mode: number): ContainerFile => ({
      path,
      content,
      mode,
      uid: SESSION_USER_ID,
      gid: SESSION_USER_ID,
    });
    const files: ContainerFile[] = [];
    if (project.secret !== null) {
      let secret: string;
      try {
        secret = await decryptAtRest(this.key(), project.secret, contextOf(project.owner, project.id));
      } catch (err) {
        if (err instanceof MaiError) throw err;
        throw new MaiError('CONFIG_INVALID', `the credentials of project ${project.id} cannot be decrypted (was the project key changed?)`, { cause: err });
      }
      files.push(file(project.authType === 'ssh' ? PROJECT_FILES.sshKey : PROJECT_FILES.token, secret, 0o400));
    }
    if (project.knownHosts) files.push(file(PROJECT_FILES.knownHosts, project.knownHosts, 0o444));
    if (project.caCert) files.push(file(PROJECT_FILES.caCert, project.caCert, 0o444));
    return { cloneUrl: project.url, files, env: project.username ? { MAI_GIT_USERNAME: project.username } : {} };
  }

  private async find(actor: Actor, ref: string, owner?: string): Promise<ProjectRecord> {
    let id: string;
    try {
      id = parseProjectUrl(ref).id;
    } catch {
      id = ref;
    }
    const who = owner !== undefined && actor.admin ? owner : actor.name;
    const project = await this.options.store.getProject(who, id);
    // Someone else's project is "not found", never "forbidden": its existence is not disclosed.
    if (!project || (owner !== undefined && owner !== actor.name && !actor.admin)) {
      throw new MaiError('PROJECT_NOT_FOUND', `no such project: ${ref}`);
    }
    return project;
  }

  private key(): Uint8Array {
    if (!this.options.key) {
      throw new MaiError('CONFIG_INVALID', 'projects need an encryption key: set projects.storage.key (e.g. ${PROJECT_ENCRYPTION_KEY})');
    }
    return this.options.key;
  }

  /** A secret as given, or opened when it was sealed to this server's key. */
  private unseal(text: string, owner: string): Promise<string> {
    return unsealInput(this.options.boxKeys, text, owner);
  }
}

/** Associated data binding a ciphertext to its row. */
function contextOf(owner: string, id: string): string {
  return `mai project\0${owner}\0${id}`;
}
