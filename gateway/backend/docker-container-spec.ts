import { isAbsolute } from 'node:path';
import type Dockerode from 'dockerode';
import { MaiError } from '../errors.js';
import type { ContainerInfo, ContainerSpec, ContainerState } from './backend.js';

/** Docker's own rule for volume names. */
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const STATES: readonly ContainerState[] = ['created', 'running', 'paused', 'restarting', 'exited', 'dead', 'removing'];

/** Translates the domain's container spec into the engine's create options (pure). */
export function toCreateOptions(spec: ContainerSpec): Dockerode.ContainerCreateOptions {
  const mounts: Dockerode.MountSettings[] = spec.volumes.map((v) => {
    if (!isAbsolute(v.target)) throw new MaiError('INPUT_INVALID', `volume target must be an absolute path: ${v.target}`);
    if (isAbsolute(v.source)) return { Type: 'bind', Source: v.source, Target: v.target, ReadOnly: v.readOnly };
    if (!VOLUME_NAME.test(v.source)) {
      throw new MaiError('INPUT_INVALID', `volume source must be an absolute host path or a volume name: ${v.source}`);
    }
    // Labels take effect when the engine creates the volume on first use.
    const options = v.labels ? { VolumeOptions: { NoCopy: false, Labels: v.labels, DriverConfig: { Name: 'local', Options: {} } } } : {};
    return { Type: 'volume', Source: v.source, Target: v.target, ReadOnly: v.readOnly, ...options };
  });

  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.ports) {
    const key = `${p.container}/tcp`;
    exposed[key] = {};
    // Loopback only: a session's ports are for its owner (through ssh -L or
    // the host itself), never for the network the host sits on.
    if (p.host !== undefined) bindings[key] = [{ HostIp: '127.0.0.1', HostPort: String(p.host) }];
  }

  const { cpus, memoryMb, pids } = spec.limits;
  const hostConfig: Dockerode.HostConfig = {
    // `Mounts` rather than `Binds`: a missing host path is an error instead of
    // an empty root-owned directory silently created on the host.
    Mounts: mounts,
    PortBindings: bindings,
    SecurityOpt: ['no-new-privileges'],
    // docker-init as PID 1 reaps the orphans of killed execs and forwards
    // signals (docker stop, `mai stop`) to the entrypoint.
    Init: true,
    RestartPolicy: { Name: 'no' },
    ...(cpus > 0 ? { NanoCpus: Math.round(cpus * 1e9) } : {}),
    // Swap equal to memory: the limit is a real limit, not a swap invitation.
    ...(memoryMb > 0 ? { Memory: memoryMb * 1024 * 1024, MemorySwap: memoryMb * 1024 * 1024 } : {}),
    ...(pids > 0 ? { PidsLimit: pids } : {}),
    ...(spec.network ? { NetworkMode: spec.network } : {}),
  };

  return {
    name: spec.name,
    Image: spec.image,
    Labels: { ...spec.labels },
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    ExposedPorts: exposed,
    Tty: false,
    OpenStdin: false,
    HostConfig: hostConfig,
  };
}

export function toState(value: string | undefined): ContainerState {
  const s = (value ?? '').toLowerCase();
  return (STATES as readonly string[]).includes(s) ? (s as ContainerState) : 'dead';
}

export function fromInspect(info: Dockerode.ContainerInspectInfo): ContainerInfo {
  const state = toState(info.State.Status);
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    labels: info.Config.Labels ?? {},
    state,
    exitCode: state === 'exited' || state === 'dead' ? info.State.ExitCode : null,
  };
}

export function fromListing(info: Dockerode.ContainerInfo): ContainerInfo {
  const state = toState(info.State);
  // The listing has no exit code field, only the human status ("Exited (100) 3 seconds ago").
  const exited = /^Exited \((-?\d+)\)/.exec(info.Status);
  return {
    id: info.Id,
    name: (info.Names[0] ?? '').replace(/^\//, ''),
    image: info.Image,
    labels: info.Labels ?? {},
    state,
    exitCode: exited?.[1] !== undefined ? Number(exited[1]) : null,
  };
}

/** The engine's `label` filter for "carries all these labels" (value '' = the label with any value). */
export function labelFilter(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`));
}

/** Whether `labels` carries all of `wanted`, as `labelFilter` selects on the engine. */
export function matchesLabels(labels: Record<string, string>, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => k in labels && (v === '' || labels[k] === v));
}
